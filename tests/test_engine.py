"""Engine rules: compile once, restore the baseline for every condition, no leaks, timed changes."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import roadrunner

import rankl_net
from rankl_net import Knockout, engine
from rankl_net.build import antimony_to_sbml
from rankl_net.engine import Changes, TimedChange
from rankl_net.perturbations import parse_spec, to_changes

READ = ["bone_volume", "osteoclasts", "opg_free", "rankl_free"]


def test_load_compiles_once_per_model_and_context():
    assert engine.load("bone", "mouse") is engine.load("bone", "mouse")
    assert engine.load("bone", "mouse") is not engine.load("bone", "human")



def test_a_model_built_with_values_starts_from_their_steady_state(bone_mouse):
    """values= finds the baseline with the values (twice the OPG production: more free OPG from
    time 0 on, and a steady state); set: at time 0 starts from the shipped baseline instead; the
    shared engine of the shipped model is left as it was."""
    shipped = bone_mouse.engine.baseline["opg_free"]
    doubled = 2 * bone_mouse.engine.baseline["k_opg_production"]
    built = rankl_net.load_model("bone", "mouse", values={"k_opg_production": doubled})
    assert built.engine is not bone_mouse.engine
    assert built.engine.baseline["opg_free"] > 1.5 * shipped
    course = built.simulate(end=84, points=3, readouts=["opg_free"])["opg_free"]
    assert course.iloc[0] == built.engine.baseline["opg_free"]
    assert course.iloc[-1] == pytest.approx(course.iloc[0], rel=1e-6)
    acute = bone_mouse.simulate(f"set:k_opg_production={doubled}", end=84, points=3, readouts=["opg_free"])
    assert acute["opg_free"].iloc[0] == shipped
    assert engine.load("bone", "mouse").baseline["opg_free"] == shipped


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"nosuch": 1.0}, "nosuch"),
        ({"opg_free": 1.0}, "not a parameter"),
        ({"bone_volume": 50.0}, "not a parameter"),  # integrated by a rate rule, reset at time 0
        ({"k_opg_production": -1.0}, "at least 0"),
        ({"k_opg_production": math.nan}, "finite"),
        ({"k_opg_production": True}, "finite number"),
    ],
)
def test_bad_values_before_the_baseline_are_input_errors(values, message):
    with pytest.raises(rankl_net.InputError, match=message):
        rankl_net.load_model("bone", "mouse", values=values)


def test_values_before_the_baseline_take_numpy_numbers_and_refuse_held_ones():
    import numpy as np

    built = rankl_net.load_model("bone", "mouse", values={"k_opg_production": np.float32(4e5)})
    assert built.engine.baseline["k_opg_production"] == 4e5
    # the culture's RANKL is held at 0 while its baseline is found (models/catalog.toml)
    with pytest.raises(rankl_net.InputError, match="rankl_input is held at the catalog's value"):
        rankl_net.load_model("osteoclastogenesis", values={"rankl_input": 5.0})

def test_a_perturbation_never_recompiles(bone_mouse, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the model was reloaded")

    monkeypatch.setattr(roadrunner, "RoadRunner", forbidden)
    rr_before = bone_mouse.engine.rr
    bone_mouse.simulate("ko:OPG", "inh:P38=0.5", "set:pth=6@10-20", end=30, points=4)
    assert bone_mouse.engine.rr is rr_before


def test_one_condition_never_leaks_into_the_next(bone_mouse):
    first = bone_mouse.simulate(end=84, points=5, readouts=READ)
    for spec in (
        "ko:OPG",
        "oe:RANKL=3",
        "ko:CTSK",
        "set:bone_volume=50",
        "set:osteoclasts=0.1",
        "set:pth=10@5-40",
        "inh:CALCINEURIN=1",
    ):
        bone_mouse.simulate(spec, end=84, points=5, readouts=READ)
        again = bone_mouse.simulate(end=84, points=5, readouts=READ)
        pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_results_are_deterministic(bone_mouse):
    a = bone_mouse.simulate("ko:OPG", end=84, points=9, readouts=READ)
    b = bone_mouse.simulate("ko:OPG", end=84, points=9, readouts=READ)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_perturbed_block_applies_and_always_restores(bone_mouse):
    wt = bone_mouse.final(end=84, readouts=READ)
    direct = bone_mouse.final("ko:OPG", end=84, readouts=READ)
    with bone_mouse.perturbed("ko:OPG") as m:
        inside = m.final(end=84, readouts=READ)
        assert m.active_spec == "ko:OPG"
    pd.testing.assert_series_equal(inside, direct)
    with pytest.raises(RuntimeError, match="boom"), bone_mouse.perturbed("oe:RANKL=5"):
        raise RuntimeError("boom")
    assert bone_mouse.active_spec == ""
    pd.testing.assert_series_equal(bone_mouse.final(end=84, readouts=READ), wt)


def test_nested_perturbed_blocks_compose(bone_mouse):
    with bone_mouse.perturbed("ko:OPG"), bone_mouse.perturbed("inh:CTSK=0.5") as m:
        assert m.active_spec == "ko:OPG+inh:CTSK=0.5"
        both = m.final(end=84, readouts=READ)
    assert both.equals(bone_mouse.final("ko:OPG", "inh:CTSK=0.5", end=84, readouts=READ))


def test_perturbed_blocks_left_out_of_order_each_undo_their_own(bone_mouse):
    """An outer block left before the inner one (contexts held by hand) removes its own
    perturbation, not the inner block's; the same object in two blocks counts twice."""
    knockout = Knockout("OPG")
    outer, inner = bone_mouse.perturbed(knockout), bone_mouse.perturbed("inh:CTSK=0.5")
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert bone_mouse.active_spec == "inh:CTSK=0.5"
    inner.__exit__(None, None, None)
    assert bone_mouse.active_spec == ""
    with pytest.warns(rankl_net.RedundantPerturbationWarning), bone_mouse.perturbed(knockout), \
            bone_mouse.perturbed(knockout):
        pass
    assert bone_mouse.active_spec == ""
    with bone_mouse.perturbed(knockout):
        with pytest.warns(rankl_net.RedundantPerturbationWarning), bone_mouse.perturbed(knockout):
            assert bone_mouse.active_spec == "ko:OPG+ko:OPG"
        assert bone_mouse.active_spec == "ko:OPG"


def test_timed_change_equals_a_change_made_by_hand_at_that_time(ocg):
    """set:X=V@T0-T1 by piecewise integration matches stopping, changing and continuing."""
    timed = ocg.engine.simulate(
        Changes(timed=[TimedChange("rankl_input", 0.0, 24.0, 48.0)]), end=72, points=73, readouts=["nfatc1"]
    )
    eng = ocg.engine
    eng.apply(Changes())
    eng.rr.timeCourseSelections = ["time", "[nfatc1]"]
    # the model never reads the time, so each piece runs on a clock starting at 0
    a = eng.rr.simulate(0, 24, 25)
    eng.rr["rankl_input"] = 0.0
    b = eng.rr.simulate(0, 24, 25)
    eng.rr["rankl_input"] = eng.baseline["rankl_input"]
    c = eng.rr.simulate(0, 24, 25)
    by_hand = list(a[:, 1]) + list(b[1:, 1]) + list(c[1:, 1])
    assert timed["nfatc1"].tolist() == pytest.approx(by_hand, rel=1e-9)
    assert timed["nfatc1"].iloc[48] < timed["nfatc1"].iloc[24]  # RANKL withdrawn: NFATc1 falls
    assert timed["nfatc1"].iloc[72] > timed["nfatc1"].iloc[48]  # and rises again



def test_a_closing_window_returns_a_parameter_to_its_value_outside_windows(bone_mouse):
    """Outside its window a parameter has the condition's time-0 value (the knockout's 0, the
    time-0 set:), not the shipped baseline; of overlapping windows the one opened last holds
    while open; a rate-rule state (bone volume) set in a window is left to evolve after it."""
    def course(spec, readout):
        frame = bone_mouse.simulate(spec, end=40, points=9, readouts=[readout])  # every 5 days
        return dict(zip(frame["time"], frame[readout], strict=True))

    ko = course("ko:OPG+set:OPG_expr=0.5@10-20", "OPG_expr")
    assert (ko[5.0], ko[15.0], ko[25.0]) == (0.0, 0.5, 0.0)
    pth = course("set:pth=6+set:pth=1@10-20", "pth")
    assert (pth[5.0], pth[15.0], pth[25.0]) == (6.0, 1.0, 6.0)
    overlap = course("set:pth=6@10-20+set:pth=2@15-30", "pth")
    assert [overlap[t] for t in (5.0, 15.0, 20.0, 25.0, 35.0)] == [3.0, 6.0, 2.0, 2.0, 3.0]
    # the window opened last closes first: the earlier one, still open, holds again
    nested = course("set:pth=6@10-30+set:pth=2@15-20", "pth")
    assert [nested[t] for t in (15.0, 20.0, 25.0, 35.0)] == [6.0, 2.0, 6.0, 3.0]
    # a window acts as the same set: untimed, in its place: multipliers after it scale it, an
    # untimed set: of the same parameter changes only the value outside it
    scaled = course("set:OPG_expr=2@10-20+oe:OPG=3", "OPG_expr")
    assert (scaled[5.0], scaled[15.0], scaled[25.0]) == (3.0, 6.0, 3.0)
    assert course("set:OPG_expr=2@10-20+ko:OPG", "OPG_expr")[15.0] == 0.0
    assert course("set:opg_free=5@10-20+ko:OPG", "opg_free")[15.0] == 0.0  # a species window too
    assert course("oe:OPG=3+set:OPG_expr=2@10-20", "OPG_expr")[15.0] == 2.0
    untimed_after = course("set:pth=6@10-20+set:pth=1", "pth")
    assert (untimed_after[5.0], untimed_after[15.0], untimed_after[25.0]) == (1.0, 6.0, 1.0)
    after = course("ko:OPG+set:bone_volume=50@10-20", "bone_volume")
    plain = course("ko:OPG", "bone_volume")
    days = (20.0, 25.0, 30.0, 35.0, 40.0)  # evolving from about 46 %, below the run without the window
    assert after[20.0] < 50 and all(after[a] > after[b] for a, b in zip(days, days[1:], strict=False))
    assert all(after[t] < plain[t] for t in days)



def test_changes_at_one_time_apply_in_the_order_of_time_0(bone_mouse):
    """Parameters and compartments first, then species, whatever the order of the list: a
    species set together with its compartment's size keeps the concentration given, at T as at 0."""
    def after(spec, t):
        frame = bone_mouse.simulate(spec, end=t + 0.05, points=2, readouts=["osteoclasts"])
        return float(frame["osteoclasts"].iloc[-1])

    at_0 = after("set:osteoclasts=0.01+set:bone_marrow=2", 0.0)
    at_5 = [after(spec, 5.0) for spec in ("set:osteoclasts=0.01@5+set:bone_marrow=2@5",
                                          "set:bone_marrow=2@5+set:osteoclasts=0.01@5")]
    assert at_5[0] == at_5[1] == pytest.approx(at_0, rel=1e-6)


def test_a_boundary_species_set_in_a_window_returns_after_it():
    """A boundary species is held by the model, not integrated: like a parameter, it returns to
    its value outside the window when the window closes."""
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model b\n compartment c = 1\n species $s in c, x in c\n J0: -> x; k0 * s\n"
            " s = 1; x = 0; k0 = 1\nend")
    engine = Engine(antimony_to_sbml(text), name="b", preequilibrate=False)
    changes = to_changes(parse_spec("set:s=5@2-4"), engine)
    frame = engine.simulate(changes, end=8, points=9, readouts=["s", "x"])
    s = dict(zip(frame["time"], frame["s"], strict=True))
    assert (s[1.0], s[3.0], s[5.0], s[8.0]) == (1.0, 5.0, 1.0, 1.0)
    assert frame["x"].iloc[-1] == pytest.approx(8 + 4 * 2, rel=1e-6)  # 1 per unit time, 5 for 2 units

def test_a_closing_window_gives_way_to_the_models_own_events():
    """A parameter that the model's events assign returns, when a window closes, to the value it
    had when the window opened (an event before the window included); an event that assigns it
    while the window holds it stands after the window."""
    from rankl_net.engine import Engine

    text = "model e\n k = 1; x = 0; x' = k\n E1: at time > 15: k = 5\nend"
    engine = Engine(antimony_to_sbml(text), name="e", preequilibrate=False)

    def k_course(spec):
        frame = engine.simulate(to_changes(parse_spec(spec), engine), end=30, points=31, readouts=["k"])
        return dict(zip(frame["time"], frame["k"], strict=True))

    # the event at day 15 falls inside the window: its 5 stands after day 20 (the window's
    # closing used to put back the time-0 value, 1, undoing the event)
    inside = k_course("set:k=2@10-20")
    assert [inside[t] for t in (9.0, 14.0, 21.0, 30.0)] == [1.0, 2.0, 5.0, 5.0]
    after_event = k_course("set:k=2@17-22")  # the window opens after the event: back to 5
    assert [after_event[t] for t in (14.0, 16.0, 20.0, 23.0)] == [1.0, 5.0, 2.0, 5.0]
    before_event = k_course("set:k=2@5-12")  # the window closes before it: back to 1, then 5
    assert [before_event[t] for t in (10.0, 13.0, 16.0)] == [2.0, 1.0, 5.0]


@pytest.mark.parametrize("preequilibrate", [False, True])
def test_a_piecewise_run_does_not_leak_into_the_next_on_a_model_with_events(preequilibrate):
    """Models with events restore their baseline with libRoadRunner's loadStateS, which anchors
    the loaded events at the start of the last integration before it. After a run integrated
    in pieces (a window, a dose, the pre-equilibration) the next condition's delayed event fired
    at the wrong time (the piece's start + 3 instead of 15 + 3) and an event's value leaked."""
    from rankl_net.engine import Engine

    text = ("model d\n compartment c = 1; species S in c; S = 1; k = 1\n"
            " J0: -> S; 0.1; J1: S -> ; 0.1 * S\n E1: at 3 after time > 15: k = k + 4, S = 10\nend")
    engine = Engine(antimony_to_sbml(text), name="d", preequilibrate=preequilibrate)
    read = ["k", "S"]
    plain = engine.simulate(None, end=30, points=31, readouts=read)
    assert plain["S"].iloc[17] < 2 < 5 < plain["S"].iloc[19]  # fired at 18
    for spec in ("set:k=2@17-22", "set:S=3@16-19", "set:k=2@22-30"):
        engine.simulate(to_changes(parse_spec(spec), engine), end=30, points=31, readouts=read)
        after = engine.simulate(None, end=30, points=31, readouts=read)
        pd.testing.assert_frame_equal(after, plain, rtol=1e-9)


def test_a_delayed_event_pending_at_a_window_still_fires():
    """A run in pieces restarted the clock at 0 where no math reads the time; a delayed event
    waits on the clock, so one pending at a break (x > 10 at 10, fires at 13) never fired."""
    from rankl_net.engine import Engine

    text = "model d\n x = 0; x' = 1; k = 1; q = 0\n E1: at 3 after x > 10: k = 5\nend"
    engine = Engine(antimony_to_sbml(text), name="d", preequilibrate=False)
    for spec in (None, "set:q=1@11-12"):
        changes = to_changes(parse_spec(spec), engine) if spec else None
        k = engine.simulate(changes, end=20, points=21, readouts=["k"])["k"]
        assert (k.iloc[12], k.iloc[14]) == (1.0, 5.0), spec


def test_the_osteoclastogenesis_baseline_is_finite_with_nfkb_in_the_nucleus():
    eng = rankl_net.load_model("osteoclastogenesis").engine
    assert all(v == v for v in eng.baseline.values())  # no NaN
    assert eng.baseline["nfkb_nuclear"] > 0


def test_integration_failure_is_a_simulation_error(ocg):
    with (pytest.raises(rankl_net.SimulationError, match="integration failed"),
          pytest.warns(rankl_net.ExtremeChangeWarning)):
        ocg.simulate("set:k_nfkb_import=1e30", end=72, points=3, readouts=["nfatc1"])
    # the next condition is unaffected
    assert ocg.final(end=72, readouts=["nfatc1"])["nfatc1"] > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"end": -1}, "end time"),
        ({"end": 0}, "end time must be a positive number of days, got 0"),
        # infinity is positive: the message says what is wrong with it
        ({"end": float("inf")}, "end time must be a finite number of days, got inf: a run ends"),
        ({"end": float("nan")}, "end time must be a positive number of days, got nan"),
        ({"end": 10, "points": 1}, "points"),
        ({"end": 10, "readouts": ["osteoclast"]}, "Did you mean 'osteoclasts'"),
        ({"end": 10, "points": 2.5}, "points must be a whole number"),
        ({"end": [84]}, "end time must be a number of days"),
        ({"end": "eighty"}, "end: 'eighty' is neither a number"),
        ({"end": "-2wk"}, "end: '-2wk': a time cannot be negative"),
        ({"end": 1e300}, "longer than the age of the universe"),
    ],
)
def test_bad_simulation_arguments(bone_mouse, kwargs, message):
    with pytest.raises(rankl_net.InputError, match=message):
        bone_mouse.simulate(**kwargs)


@pytest.mark.parametrize(
    ("model", "typed", "suggested"),
    [
        ("clinical", "denosumab", "denosumab_serum"),  # a usual readout, not denosumab_vp (a closer spelling)
        ("clinical", "BMD", "bmd_lumbar_spine"),  # the first usual readout that starts with it
        ("bone", "OPG", "opg_free"),  # not OPG_expr, in that case
        ("bone", "RANKL", "rankl_free"),
        ("bone", "osteoclast", "osteoclasts"),
        ("bone", "Osteoclasts", "osteoclasts"),  # another case
        ("bone", "ostoclasts", "osteoclasts"),
    ],
)
def test_a_readout_suggestion_prefers_the_model_readouts_and_what_starts_as_typed(model, typed, suggested):
    eng = engine.load(model)
    with pytest.raises(rankl_net.InputError, match=re.escape(f"unknown readout {typed!r}. Did you mean "
                                                             f"{suggested!r}? Valid readout names: ")):
        eng.check_readouts([typed])


def test_a_suggestion_ranks_case_then_start_then_usual_then_similarity():
    from rankl_net.errors import suggestion

    valid = ["denosumab_vp", "denosumab_serum", "Serum", "ctx"]
    assert suggestion("denosumab", valid) == "denosumab_vp"  # as similar a start: the closer
    assert suggestion("denosumab", valid, preferred=["ctx", "denosumab_serum"]) == "denosumab_serum"
    assert suggestion("serum", valid, preferred=["denosumab_serum"]) == "Serum"
    assert suggestion("xyz", valid) is None
    assert suggestion("den", ["denosumab_vp", "ctx"]) == "denosumab_vp"  # a start, however short a part


@pytest.mark.parametrize(("a", "b", "slips"), [
    ("denosumab", "denosumab", 0), ("denosumb", "denosumab", 1), ("xegva", "xgeva", 1),
    ("desonumab", "denosumab", 2), ("alendronate", "zoledronate", 3), ("", "zol", 3),
])
def test_typo_distance_counts_slips(a, b, slips):
    from rankl_net.errors import is_misspelling, typo_distance

    assert typo_distance(a, b) == typo_distance(b, a) == slips
    assert is_misspelling(a, b) == (slips <= (2 if len(b) >= 9 else 1 if len(b) >= 5 else 0))


@pytest.mark.parametrize(("model", "typed", "context"), [
    ("bone", "Human", "human"), ("clinical", "MOUSE_HURANKL", "mouse_huRANKL"),
    ("clinical", "human", "human"),
])
def test_a_context_is_named_in_any_case_and_reported_as_the_catalog_names_it(model, typed, context):
    """'--context Human' was refused (drugs, nodes and units are read in any case)."""
    from rankl_net.catalog import get_model

    assert get_model(model).context_or_default(typed) == context
    assert rankl_net.load_model(model, typed).context == context
    with pytest.raises(rankl_net.InputError, match="unknown context 'Humann'. Did you mean 'human'?"):
        get_model(model).context_or_default("Humann")


@pytest.mark.parametrize("bad", [["ko:OPG", "ko:RANK"], None, 5])
def test_a_perturbation_that_is_neither_spec_nor_object_is_an_input_error(bone_mouse, bad):
    with pytest.raises(rankl_net.InputError, match="a perturbation is a spec such as 'ko:OPG'"):
        bone_mouse.simulate(bad, end=10)


@pytest.mark.parametrize(("args", "hint"), [
    (("ko:OPG", 84), "(an end time is given by keyword: end=84)"),
    (("ko:OPG", "12wk"), "(an end time is given by keyword: end='12wk')"),
    (("ko:OPG", ["bone_volume", "ctx"]), "(readouts are given by keyword: readouts=['bone_volume', 'ctx'])"),
    (("ctx",), "(readouts are given by keyword: readouts='ctx')"),
    (("ko:OPG", ["ko:RANK"]), "(pass them as separate arguments, simulate('ko:OPG', 'ko:RANK'))"),
])
def test_an_end_time_or_readouts_given_by_position_are_named(bone_mouse, args, hint):
    with pytest.raises(rankl_net.InputError, match=re.escape(hint)):
        bone_mouse.final(*args)


def test_readouts_given_as_a_string_are_names_not_letters(bone_mouse):
    assert bone_mouse.final(end=10, readouts="bone_volume").index.tolist() == ["bone_volume"]
    assert bone_mouse.final(end=10, readouts="bone_volume, ctx").index.tolist() == ["bone_volume", "ctx"]


def test_a_state_at_round_off_does_not_stall_the_integrator():
    # libRoadRunner scales a scalar absolute tolerance by each state's value: a species at
    # 1e-300 (a drug long after washout) would get a tolerance of 1e-312 and CVODE gives up
    sbml = antimony_to_sbml(
        """model washout
        compartment C = 1
        species A in C = 1, D in C = 1e-300
        k = 1
        J1: A -> ; C * k * A
        J2: D -> ; C * k * D
        end""",
        "washout",
    )
    eng = engine.Engine(sbml, preequilibrate=False)
    frame = eng.simulate(end=10, points=3, readouts=["A", "D"])
    assert frame["A"].iloc[-1] == pytest.approx(math.exp(-10), rel=1e-5)
    assert frame["D"].iloc[-1] == pytest.approx(1e-300 * math.exp(-10), rel=1e-4)


LATE_SWITCH = """model late_switch
    compartment C = 1
    species A in C = 1, B in C = 0
    k = 1
    J1: A -> B; C * k * A
    J2: B -> A; C * 1e-3 * B
    end"""


def test_a_late_change_integrates_without_step_warnings(capfd):
    # after a change at t = 1e6, CVODE's first step (about 1e-13) is below the spacing of doubles
    # there (1.2e-10): on the absolute clock SUNDIALS prints "t + h = t" warnings on C stdout
    eng = engine.Engine(antimony_to_sbml(LATE_SWITCH, "late_switch"), preequilibrate=False)
    with pytest.warns(rankl_net.ExtremeChangeWarning):  # (a trillion-fold k, as meant)
        changes = to_changes(parse_spec("set:k=1e12@1e6"), eng)
    frame = eng.simulate(changes, end=2e6, points=5, readouts=["A"])
    assert frame["A"].iloc[-1] == pytest.approx(1e-15, rel=1e-3)  # k_back / k after the switch
    assert frame["time"].tolist() == [0.0, 5e5, 1e6, 1.5e6, 2e6]
    assert "t + h = t" not in capfd.readouterr().out


def test_a_model_that_reads_the_time_keeps_the_absolute_clock():
    # the rate depends on time itself: a piece after a change must run on the model's clock
    sbml = antimony_to_sbml("""model clocked
        compartment C = 1
        species A in C = 0
        k = 1
        J1: -> A; C * k * time
        end""", "clocked")
    eng = engine.Engine(sbml, preequilibrate=False)
    frame = eng.simulate(to_changes(parse_spec("set:k=2@5"), eng), end=10, points=3, readouts=["A"])
    # A(10) = integral of t over 0..5 + 2 * integral of t over 5..10 = 12.5 + 75
    assert frame["A"].iloc[-1] == pytest.approx(87.5, rel=1e-6)


def test_absolute_tolerances_stay_fixed_at_the_baseline_through_doses():
    eng = engine.load("clinical")
    baseline = list(eng.rr.integrator.getAbsoluteToleranceVector())
    assert min(baseline) > 0
    # a restart after a long washout, where the drug species have decayed to round-off
    changes = to_changes(parse_spec("drug:zoledronate=4mg+drug:zoledronate=4mg@1500d"), eng)
    eng.final_values(changes, end=1600, readouts=["ctx"])
    assert list(eng.rr.integrator.getAbsoluteToleranceVector()) == baseline


def test_a_dense_output_grid_costs_memory_linear_in_its_points(bone_mouse):
    # matching the integrator's rows to the grid pairwise would need 1e10 comparisons here
    frame = bone_mouse.simulate("set:pth=6@5", end=10, points=100_000, readouts=["bone_volume"])
    assert len(frame) == 100_000 and frame["time"].iloc[-1] == 10.0


def test_a_compartment_sized_by_a_rule_is_left_to_it_and_the_baseline_restored():
    sbml = antimony_to_sbml("model t\n compartment V; V := 1 + time\n species A in V = 1, B in V = 0\n"
                            " J: A -> B; k*A*V\n k = 0.5\nend")
    eng = engine.Engine(sbml, name="t", preequilibrate=False)
    first = eng.simulate(end=1, points=3, readouts=["A", "V"])
    again = eng.simulate(end=1, points=3, readouts=["A", "V"])  # from the restored baseline
    assert first["A"].iloc[0] == 1.0 and first["V"].tolist() == [1.0, 1.5, 2.0]
    pd.testing.assert_frame_equal(again, first)


def test_species_set_by_rules_are_left_to_them_and_the_baseline_restored():
    # a floating and a boundary species computed by assignment rules: libRoadRunner refuses to
    # set them, so the restore sets every other species
    sbml = antimony_to_sbml("model t\n species A = 1, Y, $S = 1, $W\n J: A -> ; k*A*S\n k = 0.5\n"
                            " Y := 2*A\n W := 3*A\nend")
    eng = engine.Engine(sbml, name="t", preequilibrate=False)
    first = eng.simulate(end=2, points=3, readouts=["A", "Y", "W"])
    again = eng.simulate(end=2, points=3, readouts=["A", "Y", "W"])
    assert first["A"].iloc[0] == 1.0 and first["A"].iloc[-1] == pytest.approx(math.exp(-1.0), rel=1e-6)
    assert (first["Y"] == 2 * first["A"]).all() and (first["W"] == 3 * first["A"]).all()
    pd.testing.assert_frame_equal(again, first)


def test_a_boundary_species_is_restored_with_the_baseline():
    sbml = antimony_to_sbml("model t\n species $S = 2, A = 0\n J: $S -> A; k*S\n S' = -S\n k = 0.5\nend")
    eng = engine.Engine(sbml, name="t", preequilibrate=False)
    first = eng.simulate(end=1, points=3, readouts=["S", "A"])
    again = eng.simulate(end=1, points=3, readouts=["S", "A"])
    assert first["S"].iloc[0] == 2.0 and first["S"].iloc[-1] < 1.3
    pd.testing.assert_frame_equal(again, first)


def test_final_is_named_after_its_time(bone_mouse):
    """Model.final is the last row by readout, named after its time (not the row's index)."""
    last = bone_mouse.final("ko:OPG", end=10, readouts=["bone_volume", "osteoclasts"])
    assert last.name == 10.0 and list(last.index) == ["bone_volume", "osteoclasts"]
    course = bone_mouse.simulate("ko:OPG", end=10, points=2, readouts=["bone_volume", "osteoclasts"])
    assert last.tolist() == course.iloc[-1][["bone_volume", "osteoclasts"]].tolist()


def test_simulations_from_several_threads_take_turns(bone_mouse):
    """One engine holds one libRoadRunner state: threads that simulate at once take turns
    instead of overwriting each other's state (which returned other conditions' values)."""
    from concurrent.futures import ThreadPoolExecutor

    specs = ["ko:OPG", "ko:RANK", "ko:CTSK", "inh:P38=0.5"] * 5

    def bone_volume(spec: str) -> float:
        return float(bone_mouse.final(spec, end=28, readouts=["bone_volume"]).iloc[0])

    one_at_a_time = {spec: bone_volume(spec) for spec in dict.fromkeys(specs)}
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(bone_volume, specs))
    assert together == [one_at_a_time[spec] for spec in specs]


@pytest.mark.parametrize(("spec", "end", "points"), [
    ("set:pth=6@0.999999999999", 1.0, 11),  # a change within round-off of the end
    ("set:pth=6@0-1e-12", 1.0, 2),  # a window closing within round-off of time 0
    ("set:pth=6@0.5-0.5000000000001", 1.0, 3),  # opening and closing at one output time
    ("", 1e-9, 3),  # output times closer than the round-off of a one-day run
])
def test_changes_within_round_off_of_an_output_time_give_one_row_per_time(bone_mouse, spec, end, points):
    """Each output time has one row, the value just before a change made at it (the integrator
    returned two rows for such a time, reported as "returned 12 of 11 times")."""
    frame = bone_mouse.simulate(*([spec] if spec else []), end=end, points=points, readouts=["pth"])
    assert frame["time"].tolist() == pytest.approx(np.linspace(0, end, points).tolist(), abs=0)
    assert frame["pth"].iloc[-1] == bone_mouse.engine.baseline["pth"]  # closed, or not yet given


def test_an_output_time_at_a_change_reports_the_value_before_it(bone_mouse):
    frame = bone_mouse.simulate("set:pth=6@0.5", end=1, points=3, readouts=["pth"])
    assert frame["pth"].tolist() == [bone_mouse.engine.baseline["pth"]] * 2 + [6.0]


@pytest.mark.parametrize("outcome", ["raises", "another_branch", "worse"])
def test_a_failed_or_unhelpful_nleq_polish_keeps_the_integrated_state(monkeypatch, outcome):
    """The engine refines its integrated baseline with NLEQ and keeps the result only when it is
    a better fixed point on the same branch: a solver that fails, jumps to another state or
    leaves faster rates leaves the integrated state as it was."""
    eng = engine.build("osteoclastogenesis", values={"k_nfat_deg": 0.1})
    assert eng is not engine.load("osteoclastogenesis")  # (its own compiled model)
    eng.rr["rankl_input"] = 0.0  # as while the baseline is found: the state is a fixed point
    ids, before, _ = eng._state()
    rates_before = eng._state_rates()

    def solver():  # moves nfatc1 (a failing solver may leave a partial step behind) and ends
        index = eng.rr.model.getFloatingSpeciesIds().index("nfatc1")
        values = eng.rr.model.getFloatingSpeciesConcentrations()
        values[index] *= 10.0 if outcome == "another_branch" else 1.0 + 1e-5
        eng.rr.model.setFloatingSpeciesConcentrations(values)
        if outcome == "raises":
            raise RuntimeError("NLEQ failed")

    monkeypatch.setattr(eng.rr, "steadyState", solver)
    eng._polish_steady_state(())
    after_ids, after, _ = eng._state()
    assert after_ids == ids
    np.testing.assert_array_equal(after, before)
    assert eng._state_rates() == rates_before


def test_each_state_gets_its_own_absolute_tolerance_where_rate_rules_come_first():
    """libRoadRunner's state vector lists quantities under rate rules before species, and CVODE
    takes the tolerances by position: a micromolar-scale species beside a large rate-rule
    quantity must get the species' tolerance, or its decay is lost in the other's."""
    sbml = antimony_to_sbml(
        "compartment c = 1; species A in c = 1e-6; A -> ; k*A; k = 1; z = 1e6; z' = 0"
    )
    toy = engine.Engine(sbml, name="toy", preequilibrate=False)
    tolerances = dict(zip(
        [toy.rr.model.getStateVectorId(i) for i in range(2)],
        toy.rr.integrator.getAbsoluteToleranceVector(),
        strict=True,
    ))
    assert tolerances["A"] == pytest.approx(toy.absolute_tolerance * 1e-6)
    assert tolerances["z"] == pytest.approx(toy.absolute_tolerance * 1e6)
    a_end = toy.simulate(end=10, points=3, readouts=["A"])["A"].iloc[-1]
    assert a_end == pytest.approx(1e-6 * math.exp(-10), rel=1e-5)


def test_the_shipped_models_with_rate_rules_scale_each_tolerance_by_its_own_state(bone_mouse):
    """bone integrates bone volume (100 %) beside cell densities near 1e-3 pM: each state's
    tolerance is the absolute tolerance times its own baseline size."""
    eng = bone_mouse.engine
    rr = eng.rr
    species = list(rr.model.getFloatingSpeciesIds())
    volumes = rr.model.getCompartmentVolumes()
    vector = rr.integrator.getAbsoluteToleranceVector()
    assert set(rr.getRateRuleIds()) & {rr.model.getStateVectorId(k) for k in range(len(vector))}
    for k, tolerance in enumerate(vector):
        sid = rr.model.getStateVectorId(k)
        size = eng.baseline[sid]
        if sid in species:
            size *= volumes[rr.model.getCompartmentIndexForFloatingSpecies(species.index(sid))]
        assert tolerance == pytest.approx(eng.absolute_tolerance * abs(size), rel=1e-6), sid


# x integrates k: x(t) is the integral of k from 0 to t, whatever windows set k to
CLOCK = "model w\n k = 1; x = 0; x' = k\nend"


def test_a_window_that_opens_at_time_0_holds_in_it_and_gives_way_after_it():
    """set:k=2@0-10 holds k at 2 from time 0 to 10; then k has its value outside the window: the
    baseline's, or the condition's untimed set: (not the window's, nor the baseline's)."""
    eng = engine.Engine(antimony_to_sbml(CLOCK), name="w", preequilibrate=False)

    def run(spec):
        frame = eng.simulate(to_changes(spec, eng), end=20, points=21, readouts=["k", "x"])
        return frame["k"].tolist(), float(frame["x"].iloc[-1])

    k, x = run("set:k=2@0-10")
    assert k[:11] == [2.0] * 11 and k[11:] == [1.0] * 10  # (the row at 10: the value before the change)
    assert x == pytest.approx(2 * 10 + 1 * 10, rel=1e-9)
    k, x = run("set:k=3+set:k=2@0-10")
    assert (k[0], k[5], k[15], k[20]) == (2.0, 2.0, 3.0, 3.0)
    assert x == pytest.approx(2 * 10 + 3 * 10, rel=1e-9)


def test_of_two_windows_opened_together_the_one_given_last_holds_while_open():
    eng = engine.Engine(antimony_to_sbml(CLOCK), name="w", preequilibrate=False)
    frame = eng.simulate(to_changes("set:k=2@5-15+set:k=4@5-10", eng), end=20, points=21, readouts=["k", "x"])
    k = frame["k"].tolist()
    assert (k[3], k[7], k[12], k[17]) == (1.0, 4.0, 2.0, 1.0)
    assert frame["x"].iloc[-1] == pytest.approx(5 * 1 + 5 * 4 + 5 * 2 + 5 * 1, rel=1e-9)


def test_the_tolerances_given_reach_cvode_the_absolute_one_scaled_per_state():
    """relative_tolerance= is CVODE's; absolute_tolerance= is a fraction of each state at the
    baseline: of a species' amount (concentration x volume), of its compartment's volume where
    the species is 0, of the value of a quantity a rate rule integrates."""
    species = "model a\n compartment c = 2\n species A in c = 3, B in c = 0\n J: A -> B; 0.1 * A\nend"
    eng = engine.Engine(antimony_to_sbml(species), name="a", preequilibrate=False, relative_tolerance=1e-10,
                        absolute_tolerance=1e-6)
    assert eng.rr.integrator.getValue("relative_tolerance") == 1e-10
    expected = {"A": 1e-6 * 3 * 2, "B": 1e-6 * 2}
    ids = [eng.rr.model.getStateVectorId(i) for i in range(len(expected))]
    assert list(eng.rr.integrator.getAbsoluteToleranceVector()) == pytest.approx(
        [expected[i] for i in ids], rel=1e-12)
    ruled = engine.Engine(antimony_to_sbml("model r\n z = 5; z' = -0.1 * z\nend"), name="r",
                          preequilibrate=False, absolute_tolerance=1e-6)
    assert list(ruled.rr.integrator.getAbsoluteToleranceVector()) == pytest.approx([1e-6 * 5], rel=1e-12)


@pytest.mark.parametrize(("tolerances", "message"), [
    ({"absolute_tolerance": 2.0}, "absolute tolerance must be above 0 and at most 1 .*got 2$"),
    ({"absolute_tolerance": 0.0}, "absolute tolerance must be above 0 and at most 1 .*got 0$"),
    ({"relative_tolerance": 0.1}, r"relative tolerance must be from 1e-14 to 0\.01 .*got 0\.1$"),
    ({"relative_tolerance": 1e-15}, r"relative tolerance must be from 1e-14 to 0\.01 .*got 1e-15$"),
])
def test_an_engine_refuses_tolerances_outside_their_range(tolerances, message):
    with pytest.raises(rankl_net.InputError, match=message):
        engine.Engine(antimony_to_sbml(CLOCK), name="w", preequilibrate=False, **tolerances)
    engine.check_tolerances(1e-2, 1.0)  # the ends of the ranges are accepted
    engine.check_tolerances(1e-14, 1e-300)


def test_a_dose_adds_an_amount_to_its_species_and_a_negative_one_is_refused():
    """A dose is an amount (pmol), not a concentration: 6 into a compartment of size 2 raises the
    concentration by 3."""
    from rankl_net.engine import Dosing

    text = "model d\n compartment c = 2\n species x in c = 1\n J: x -> ; 0 * x\nend"
    eng = engine.Engine(antimony_to_sbml(text), name="d", preequilibrate=False)
    frame = eng.simulate(Changes(dosing=[Dosing("x", 6.0, start=1.0)]), end=2, points=3, readouts=["x"])
    assert frame["x"].tolist() == pytest.approx([1.0, 1.0, 1.0 + 6.0 / 2], rel=1e-9)
    refused = "dose of x: the amount must be a finite number >= 0, got -1"
    with pytest.raises(rankl_net.InputError, match=refused):
        eng.simulate(Changes(dosing=[Dosing("x", -1.0)]), end=2, points=3, readouts=["x"])


def test_a_value_of_zero_before_the_baseline_is_accepted(ocg):
    """values= takes any finite number of at least 0: without NFATc1 expression the culture's
    baseline has no NFATc1."""
    shipped = ocg.engine.baseline["nfatc1"]
    eng = engine.build("osteoclastogenesis", values={"NFATC1_expr": 0.0})
    assert eng.baseline["NFATC1_expr"] == 0.0
    assert shipped > 0 and abs(eng.baseline["nfatc1"]) < 1e-9 * shipped


def test_a_failed_integration_names_a_change_of_a_million_fold_or_more():
    """oe:OPG=1e300 makes CVODE fail; the error says which value the run moved that far, the
    likely cause (it said only CVODE's convergence failure)."""
    from rankl_net.model import Model

    with pytest.raises(rankl_net.SimulationError) as failed, pytest.warns(rankl_net.ExtremeChangeWarning):
        Model("bone").final("oe:OPG=1e300", end=84, readouts=["bone_volume"])
    assert "integration failed" in str(failed.value)
    assert "this run sets OPG_expr to 1e+300, 1e+300 times its value in the model" in str(failed.value)
