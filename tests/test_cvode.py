"""CVODE's stability-limit detection: on for the models that ask for it, for every run, with
fewer steps at the same accuracy; off (libRoadRunner's CVODE) for any other model.

The all-pairs knockout screen of ``bone`` is the case it is for: at CVODE's default (BDF up to
order 5, no detection) many of its conditions hold the step at the stability limit of the
NF-κB/IκBα oscillation for weeks of model time.
"""

from __future__ import annotations

import sys

import libsbml
import numpy as np
import pytest

from rankl_net import cvode, engine, screens
from rankl_net.build import antimony_to_sbml
from rankl_net.catalog import get_model
from rankl_net.perturbations import parse_spec, to_changes

pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="libRoadRunner's C++ accessor is looked up by its Itanium ABI name")

READOUTS = ["bone_volume", "osteoclasts"]
END = 84.0


def _conditions(eng) -> list:
    specs = screens.knockout_conditions("bone", "all", pairs=True, context="mouse")
    return list({ch.key(): ch for ch in (to_changes(parse_spec(s), eng) for s in specs)}.values())


def _steps(eng, conditions, detection: bool | None) -> int:
    """CVODE steps over the conditions: through the engine (None) or through libRoadRunner
    straight after the engine's restore, with the detection set as given."""
    total = 0
    for ch in conditions:
        if detection is None:
            eng.final_values(ch, end=END, readouts=READOUTS)
        else:
            eng.apply(ch)
            cvode.set_stability_limit_detection(eng.rr.integrator, detection)
            eng.rr.simulate(0.0, END, 2)
        total += cvode.steps_of_last_run(eng.rr.integrator)
    return total


def test_the_detection_is_on_for_the_models_whose_catalog_entry_asks_for_it(bone_mouse, ocg, monkeypatch):
    assert get_model("bone").stability_limit_detection and bone_mouse.engine.stability_limit_detection
    assert not get_model("osteoclastogenesis").stability_limit_detection
    assert not ocg.engine.stability_limit_detection
    # and that is what reaches CVODE before each run
    from rankl_net import engine

    calls, real = [], engine.set_stability_limit_detection
    monkeypatch.setattr(engine, "set_stability_limit_detection",
                        lambda integrator, on=True: calls.append(on) or real(integrator, on))
    ocg.final(end=1)
    assert calls and not any(calls)
    calls.clear()
    bone_mouse.final(end=1)
    assert calls and all(calls)


def test_the_detection_cuts_the_steps_of_the_bone_screen_and_keeps_its_accuracy(bone_mouse):
    eng = bone_mouse.engine
    conditions = _conditions(eng)
    with_detection = _steps(eng, conditions, None)
    without = _steps(eng, conditions, False)
    # about 0.57 on this screen; which conditions stall without it is a matter of round-off
    assert with_detection < 0.75 * without
    # readouts against a reference run at relative tolerance 1e-11, on a sample of the screen
    sample = conditions[::10]
    values = np.array([list(eng.final_values(ch, end=END, readouts=READOUTS).values()) for ch in sample])
    eng.rr.integrator.relative_tolerance = 1e-11
    try:
        reference = np.array([list(eng.final_values(ch, end=END, readouts=READOUTS).values())
                              for ch in sample])
    finally:
        eng.rr.integrator.relative_tolerance = engine.RELATIVE_TOLERANCE
    scale = np.maximum(np.abs(reference), 1e-3 * np.array([eng.baseline[r] for r in READOUTS]))
    assert np.max(np.abs(values - reference) / scale) < 1e-6


def test_a_new_integrator_for_every_condition_gets_the_detection_too():
    """A model with events is restored with loadStateS, which gives libRoadRunner a new CVODE
    memory (its detection off) for every condition: the engine switches it on each run."""
    info = get_model("bone")
    doc = libsbml.readSBMLFromFile(str(info.sbml_path))
    event = doc.getModel().createEvent()  # never fires within the runs; makes the model one with events
    event.setId("far_future")
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setInitialValue(False)
    trigger.setPersistent(True)
    trigger.setMath(libsbml.parseL3Formula("time > 1e12"))
    assignment = event.createEventAssignment()
    assignment.setVariable("pth")
    assignment.setMath(libsbml.parseL3Formula("pth"))
    eng = engine.Engine(libsbml.writeSBMLToString(doc), name="bone with an event", time_unit="day",
                        context_values=info.contexts["mouse"], preequilibration=info.preequilibration,
                        reset_at_start=info.reset_at_start, preequilibration_time=5000.0,
                        absolute_tolerance=info.absolute_tolerance or engine.ABSOLUTE_TOLERANCE,
                        stability_limit_detection=True)
    assert not eng._fast_restore and eng.stability_limit_detection
    conditions = _conditions(eng)[::3]
    assert _steps(eng, conditions, None) < 0.75 * _steps(eng, conditions, False)


# a lightly damped oscillation followed for 200 time units: at a relative tolerance of 1e-6 the
# lower orders the detection chooses cost steps here (why it is not on for every model)
OSCILLATOR = """model oscillator
 x' = -0.5*x - 100*y + 0.01*z
 y' = 100*x - 0.5*y
 z' = -0.001*z
 x = 1; y = 0; z = 1
end"""


def test_any_other_model_runs_libroadrunners_cvode_and_the_setting_follows_the_attribute():
    eng = engine.Engine(antimony_to_sbml(OSCILLATOR), name="oscillator", preequilibrate=False)
    eng.rr.integrator.maximum_num_steps = 10**6
    eng.rr.integrator.relative_tolerance = 1e-6
    eng.rr.integrator.absolute_tolerance = 1e-9
    assert not eng.stability_limit_detection
    steps = {}
    for setting in (False, True, False):
        eng.stability_limit_detection = setting
        eng.final_values(None, end=200, readouts=["x"])
        steps.setdefault(setting, []).append(cvode.steps_of_last_run(eng.rr.integrator))
    assert steps[False][0] == steps[False][1]  # switched off again after a run with it
    assert steps[True][0] > 1.3 * steps[False][0]


def test_where_it_cannot_be_switched_on_the_engine_warns_and_runs_libroadrunners_cvode(monkeypatch):
    monkeypatch.setattr(cvode, "_library", lambda: None)
    with pytest.warns(RuntimeWarning, match="stability-limit detection cannot be switched on"):
        eng = engine.Engine(antimony_to_sbml(OSCILLATOR), name="oscillator", preequilibrate=False,
                            stability_limit_detection=True)
    assert eng.stability_limit_detection is False
    assert cvode.steps_of_last_run(eng.rr.integrator) is None
    assert eng.final_values(None, end=1, readouts=["z"])["z"] == pytest.approx(0.999, rel=1e-6)


def test_the_adams_method_is_left_alone_without_cvode_errors(capfd):
    eng = engine.Engine(antimony_to_sbml(OSCILLATOR), name="oscillator", preequilibrate=False)
    eng.rr.integrator.stiff = False
    assert cvode.set_stability_limit_detection(eng.rr.integrator) is False  # CVODE refuses it with Adams
    eng.stability_limit_detection = True
    eng.final_values(None, end=1, readouts=["z"])
    assert "CV_ILL_INPUT" not in capfd.readouterr().err
