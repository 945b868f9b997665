"""CVODE's stability-limit detection: on for every engine run, fewer steps, the same accuracy.

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
from rankl_net.catalog import get_model
from rankl_net.perturbations import parse_spec, to_changes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the CVODE memory is found through /proc/self/mem (Linux)")

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


def test_the_detection_is_on_for_the_pinned_libroadrunner(bone_mouse):
    assert bone_mouse.engine.stability_limit_detection


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
    """A model with events is restored with loadStateS, which gives libRoadRunner a new
    integrator (its detection off) for every condition: the engine switches it on each run."""
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
                        absolute_tolerance=info.absolute_tolerance or engine.ABSOLUTE_TOLERANCE)
    assert not eng._fast_restore and eng.stability_limit_detection
    conditions = _conditions(eng)[::3]
    assert _steps(eng, conditions, None) < 0.75 * _steps(eng, conditions, False)


def test_without_the_detection_the_engine_runs_libroadrunners_cvode(monkeypatch, bone_mouse):
    monkeypatch.setattr(cvode, "_memory_offset", lambda: None)
    assert cvode.set_stability_limit_detection(bone_mouse.engine.rr.integrator) is False
    assert cvode.steps_of_last_run(bone_mouse.engine.rr.integrator) is None
    assert bone_mouse.final("ko:OPG", end=10, readouts=READOUTS)["bone_volume"] > 0
