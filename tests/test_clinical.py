"""The clinical model: regimens, dosing, pharmacokinetics and the clinical validation table."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import roadrunner

from rankl_net import load_model, paths
from rankl_net.catalog import get_model
from rankl_net.dosing import Regimen, drugs, parse_regimen, sbml_with_dose_events
from rankl_net.errors import InputError
from rankl_net.perturbations import parse_spec, to_changes
from rankl_net.validation import Predictor, read_facts

FACTS = read_facts()


@pytest.fixture(scope="module")
def clinical():
    return load_model("clinical", context="human")


@pytest.fixture(scope="module")
def predictor(clinical):
    return Predictor(clinical)


@pytest.mark.parametrize(
    "spec, dose, every, count, start, per_kg",
    [
        ("drug:denosumab=60mg/6mo", 60.0, 365.25 / 2, None, 0.0, False),
        ("drug:Prolia=60mg/6mo*4", 60.0, 365.25 / 2, 4, 0.0, False),
        ("drug:zoledronic acid=4mg/4wk*12", 4.0, 28.0, 12, 0.0, False),
        ("drug:opg_fc=1mg/kg@10d", 1.0, None, None, 10.0, True),
        ("drug:odanacatib=5000ug/1d*28@12h", 5.0, 1.0, 28, 0.5, False),
        ("drug:zoledronate=5mg/1y", 5.0, 365.25, None, 0.0, False),
        ("drug:denosumab=60mg/6months*2@3weeks", 60.0, 365.25 / 2, 2, 21.0, False),  # long forms
        ("drug:opg_fc=250000ng", 0.25, None, None, 0.0, False),  # 1 ng = 1e-6 mg
        ("drug:denosumab=60000mcg/6mo", 60.0, 365.25 / 2, None, 0.0, False),  # mcg: micrograms, as ug
        ("drug:zoledronate=0.004g", 4.0, None, None, 0.0, False),
        ("drug:odanacatib=5mg/1d*3@90min", 5.0, 1.0, 3, 90 / 1440, False),  # 1 min = 1/1440 day
    ],
)
def test_regimen_spec_units(spec, dose, every, count, start, per_kg):
    r = parse_regimen(spec)
    assert (r.dose, r.count, r.start, r.per_kg) == (pytest.approx(dose), count, pytest.approx(start), per_kg)
    assert r.every == (None if every is None else pytest.approx(every))
    assert parse_regimen(r.spec) == r


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("drug:aspirin=60mg", "unknown drug"),
        ("drug:denosumab=60", "dose"),
        ("drug:denosumab=60mg/6parsecs", "interval"),
        ("drug:denosumab=60mg/6mon", r"unknown unit 'mon'; .* \(or sec, .*, hour, hours, day, days, w, week"),
        ("drug:denosumab=60mg/6mo*two", "whole number"),
        ("drug:denosumab=-60mg", r"'drug:denosumab=-60mg': dose '-60mg': must be a finite amount above zero"),
        ("drug:denosumab=60mg*3", "interval"),
        ("drug:denosumab=60mg@-1d", "cannot be negative"),
    ],
)
def test_bad_regimens_are_input_errors(spec, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_spec(spec)


@pytest.mark.parametrize("spec", ["drug:denosumab=1 mg / kg", "drug:denosumab=1mg / kg",
                                  "drug:denosumab=1 MG/KG "])
def test_a_dose_per_kg_reads_with_spaces(spec):
    assert parse_regimen(spec) == Regimen("denosumab", 1.0, per_kg=True)
    spaced = parse_regimen("drug:denosumab=1 mg / kg / 6 mo * 2 @ 1d")
    assert spaced == Regimen("denosumab", 1.0, every=365.25 / 2, count=2, start=1.0, per_kg=True)


@pytest.mark.parametrize(
    "spec, said",
    [
        ("drug:denosumab=60mg/m2",
         "doses per body surface area (mg/m2) are not supported: give the dose in g, mg, ug or ng, or per kg "
         "of body weight (1mg/kg)"),
        ("drug:denosumab=60mg/m^2*4", "doses per body surface area (mg/m2) are not supported"),
        ("drug:denosumab=60mg/day",
         "interval 'day': an interval is a number with a unit, such as /1day (a dose every day) or /6mo"),
        ("drug:denosumab=60mg/d",
         "interval 'd': an interval is a number with a unit, such as /1d (a dose every day)"),
        ("drug:denosumab=60mg/WK*4", "such as /1wk (a dose every week)"),
        ("drug:denosumab=60mg/L",
         "'/L' after the dose is neither /kg (per kg of body weight) nor an interval"),
        ("drug:denosumab=60mg/6mo@1mo*2", "the number of doses (*N) comes before the start (@START): "
                                          "drug:denosumab=60mg/6mo*2@1mo (valid form: "),
        ("drug:denosumab=60mg*2/6mo", "the interval (/EVERY) comes before the number of doses (*N): "
                                      "drug:denosumab=60mg/6mo*2 "),
        ("drug:opg_fc=1mg/kg@1mo/6mo*2", "the interval (/EVERY) comes before the start (@START): "
                                         "drug:opg_fc=1mg/kg/6mo*2@1mo "),
        # said '/kg' was "neither /kg (per kg of body weight) nor an interval"
        ("drug:denosumab=1mg/kg/kg", "/kg is given twice; a dose is per kg once (1mg/kg)"),
        # a part without its value out of order: no spec "in order" (60mg*2@, itself unreadable)
        ("drug:denosumab=60mg@*2", "start '*2': expected a number with a unit"),
        ("drug:denosumab=60mg@/", "start '/': expected a number with a unit"),
    ],
)
def test_a_regimen_misread_says_what_to_write(spec, said):
    """'60mg/m2' and '60mg/day' were read as intervals ('interval 'm2': expected a number with a
    unit'), '60mg/6mo@1mo*2' as a start of '1mo*2'."""
    with pytest.raises(InputError) as caught:
        parse_regimen(spec)
    assert said in str(caught.value)
    assert str(caught.value).startswith(repr(spec))


@pytest.mark.parametrize(
    "spec, said",
    [
        ("drug:zoledronate=5mg/1",
         "interval '1' has no unit: write /1d, /1wk or /1mo (units: s, min, h, d, wk, mo, y)"),
        ("drug:denosumab=60mg/6", "interval '6' has no unit: write /6d, /6wk or /6mo"),
        ("drug:denosumab=120mg/4*3", "interval '4' has no unit: write /4d, /4wk or /4mo"),
        ("drug:opg_fc=1mg/kg/2.5", "interval '2.5' has no unit: write /2.5d, /2.5wk or /2.5mo"),
        ("drug:denosumab=120mg@8", "start '8' has no unit: write @8d, @8wk or @8mo"),
    ],
)
def test_an_interval_or_start_without_a_unit_is_refused(spec, said):
    """/6 and @8 were read as days: zoledronate=5mg/1 dosed daily, denosumab=60mg/6 every six
    days, where six weeks or months were as likely meant."""
    with pytest.raises(InputError) as caught:
        parse_spec(spec)
    assert said in str(caught.value)
    assert str(caught.value).startswith(repr(spec))


def test_a_start_of_zero_needs_no_unit(tmp_path):
    """0 is the same time in every unit."""
    from rankl_net.regimens import read_experiments

    assert parse_regimen("drug:denosumab=60mg/6mo*4@0") == parse_regimen("drug:denosumab=60mg/6mo*4")
    path = tmp_path / "r.toml"
    path.write_text('[a]\ntitle = "t"\nend = "1y"\n'
                    'arms.x = [{ drug = "denosumab", dose = "60mg", every = "6mo", start = 0 }]\n',
                    encoding="utf-8")
    (experiment,) = read_experiments(path).values()
    assert experiment.arms["x"][0].start == 0.0


def test_an_injected_drug_dosed_more_often_than_daily_is_noted(clinical):
    """Denosumab every 6 minutes (6min for 6mo) reached 44,000 ug/mL in serum without a word;
    daily doses, and an oral drug twice a day, are left alone."""
    from rankl_net import DoseAboveStudiedWarning

    assert parse_regimen("drug:denosumab=60mg/6min").spec == "drug:denosumab=60mg/6min"
    assert parse_regimen("drug:odanacatib=5mg/12h@30s").spec == "drug:odanacatib=5mg/12h@30s"
    with pytest.warns(DoseAboveStudiedWarning) as said:
        to_changes(parse_spec("drug:denosumab=60mg/6min"), clinical.engine)
    assert [str(w.message) for w in said] == [
        "drug:denosumab=60mg/6min: a dose every 6 min is more often than once a day, far more often than "
        "denosumab (subcutaneous) is given in its sources: its serum level builds up far above any "
        "studied; check the interval's unit (/6mo is every six months, /4wk every four weeks)"]
    with pytest.warns(DoseAboveStudiedWarning, match=r"every 12 h .* zoledronate \(intravenous\)"):
        to_changes(parse_spec("drug:zoledronate=4mg/12h"), clinical.engine)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_changes(parse_spec("drug:denosumab=60mg/1d+drug:odanacatib=5mg/12h"), clinical.engine)
        to_changes(parse_spec("drug:denosumab=60mg/6min"), clinical.engine, warn=False)  # a screen's worker
        to_changes(parse_spec("drug:denosumab=60mg/6min*1"), clinical.engine)  # one dose: no interval


def test_a_dose_per_area_in_a_regimen_table_is_refused_as_such():
    from rankl_net.dosing import parse_dose

    with pytest.raises(InputError, match=r"dose '60mg/m²': doses per body surface area \(mg/m2\) are not"):
        parse_dose("60mg/m²")
    assert parse_dose("60 mg / kg") == (60.0, True)


@pytest.mark.parametrize(
    "name, suggested",
    [
        ("denosumb", "Did you mean 'denosumab'?"),
        ("desonumab", "Did you mean 'denosumab'?"),  # two slips in a long name
        ("Prollia", "Did you mean 'Prolia' (denosumab)?"),
        ("xegva", "Did you mean 'Xgeva' (denosumab)?"),
        ("zoledronic", "Did you mean 'zoledronic acid' (zoledronate)?"),
        ("zolendronate", "Did you mean 'zoledronate'?"),
    ],
)
def test_a_misspelt_drug_is_suggested(name, suggested):
    with pytest.raises(InputError) as caught:
        parse_regimen(f"drug:{name}=60mg")
    assert f"unknown drug {name!r}. {suggested} Valid drug names" in str(caught.value)


@pytest.mark.parametrize("name", ["Fosamax", "alendronate", "risedronate", "ibandronate", "romosozumab",
                                  "RANKL", "ZOO", "odt"])
def test_a_drug_not_modelled_is_not_taken_for_one_that_is(name):
    """Fosamax was suggested 'denosumab' and alendronate 'zoledronate' (82 % similar in spelling,
    another drug): a suggestion is for a name typed wrong. The message lists every drug with
    its aliases."""
    with pytest.raises(InputError) as caught:
        parse_regimen(f"drug:{name}=70mg")
    message = str(caught.value)
    assert message.startswith(f"unknown drug {name!r}. Valid drug names, with their aliases (in any case; ")
    assert "Did you mean" not in message
    for drug in drugs().values():
        assert f"{drug.name} ({', '.join(drug.aliases)})" in message
    assert "denosumab (Prolia, Xgeva, AMG 162, AMG162); opg_fc (OPG-Fc, " in message


@pytest.mark.parametrize(
    "name, node, drug",
    [("osteoprotegerin", "OPG", "opg_fc"), ("OPG", "OPG", "opg_fc"), ("Tnfrsf11b", "OPG", "opg_fc"),
     ("RANK", "RANK", "rank_fc")],
)
@pytest.mark.parametrize("how", ["spec", "malformed spec", "Regimen"])
def test_the_endogenous_protein_of_a_drug_points_to_the_drug(name, node, drug, how):
    """'osteoprotegerin' and 'OPG' are not aliases of opg_fc (they name the node OPG, as in
    ko:osteoprotegerin), but the message names opg_fc (it gave no suggestion), from a spec (before
    what else is wrong with it) as from a Regimen made in Python."""
    with pytest.raises(InputError) as caught:
        if how == "Regimen":
            Regimen(name, 1.0, per_kg=True)
        else:
            parse_spec(f"drug:{name}=1mg/kg" + ("@-3d" if how == "malformed spec" else ""))
    message = str(caught.value)
    assert message.startswith(f"unknown drug {name!r}: it names the endogenous protein, the node {node} of "
                              f"perturbations such as ko:{node} or oe:{node}. The drug modelled is {drug} (")
    assert f"e.g. drug:{drug}=1mg/kg. Valid drug names" in message
    assert drugs()[drug].endogenous_node == node


def test_no_drug_alias_names_a_node():
    """A drug alias that also named a node (OPG) would dose the drug where the protein was meant."""
    from rankl_net.annotations import node_table
    from rankl_net.dosing import _norm

    nodes = {_norm(n) for row in node_table() for n in [row["node"], *row["aliases"].split(",")] if n}
    assert {_norm(a) for d in drugs().values() for a in (d.name, *d.aliases)} & nodes == set()
    assert {d.endogenous_node for d in drugs().values()} - {""} <= {row["node"] for row in node_table()}



def test_a_body_weight_or_volume_of_zero_is_bad_input():
    """The model divides by them: a zero body weight ended in a CVODE convergence failure (exit 3)."""
    from rankl_net.engine import load
    from rankl_net.perturbations import to_changes

    eng = load("clinical", "human")
    for spec in ("set:body_weight=0", "set:denosumab_vc_ref=0@10-20"):
        with pytest.raises(InputError, match="mass or volume .* must be above zero"):
            to_changes(parse_spec(spec), eng)
    assert to_changes(parse_spec("set:body_weight=50"), eng).parameters["body_weight"] == 50.0
    said = "set:body_weight=-1: body_weight cannot be negative: it is a mass or volume (a body weight"
    with pytest.raises(InputError, match=re.escape(said)):
        to_changes(parse_spec("set:body_weight=-1"), eng)


def test_a_molar_mass_of_zero_is_bad_input():
    """A dose in mg is divided by the drug's molar mass, which a set: in the condition gives: zero
    ended in a ZeroDivisionError traceback."""
    from rankl_net.engine import load

    eng = load("clinical", "human")
    for spec in ("set:denosumab_molar_mass=0+drug:denosumab=60mg",
                 "drug:denosumab=60mg+set:denosumab_molar_mass=0"):
        with pytest.raises(InputError, match="denosumab_molar_mass is 0; it is denosumab's molar mass"):
            to_changes(parse_spec(spec), eng)


def test_a_model_without_a_body_weight_takes_doses_in_mg():
    """An engine of one's own whose model has a drug's dose species and molar mass but no
    body_weight: a dose in mg is dosed (it raised KeyError 'body_weight' once doses were compared
    with those studied), and a dose per kg is refused, naming body_weight (also a KeyError)."""
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model t\n J: denosumab_depot -> ; k*denosumab_depot\n denosumab_depot = 0; k = 0.1; "
            "denosumab_molar_mass = 147000\nend")
    eng = Engine(antimony_to_sbml(text), name="t", time_unit="day")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a dose above those studied is not judged without a weight)
        dosing = to_changes("drug:denosumab=60g", eng).dosing
    assert [d.amount for d in dosing] == [pytest.approx(60e3 * 1e9 / 147000)]
    with pytest.raises(InputError, match="per kg reads the model's body_weight, which t does not have"):
        to_changes("drug:denosumab=1mg/kg", eng)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("denosumab", "60mg"), "dose is a number"),
        (("denosumab", 60.0, "6mo"), "every is a number"),
        (("denosumab", 60.0, 182.6, 2.5), "count is a whole number"),
        ((None, 60.0), "drug is a name such as 'denosumab'"),
        ((["denosumab"], 60.0), r"got list \['denosumab'\]"),
        (("denosumab", None), "dose is a number"),
        (("denosumab", 60.0, None, None, None), "start is a number"),
        (("opg_fc", 1.0, None, None, 0.0, "no"), "per_kg must be True or False, got str 'no'"),
    ],
)
def test_a_regimen_built_from_strings_is_an_input_error(args, fragment):
    with pytest.raises(InputError, match=fragment):
        Regimen(*args)


def test_a_regimen_spec_that_is_not_text_is_named():
    from rankl_net.dosing import parse_regimen

    with pytest.raises(InputError, match="a regimen is a spec such as .drug:denosumab=60mg/6mo., got None"):
        parse_regimen(None)

def test_drug_on_a_model_without_pharmacology_is_an_input_error():
    bone = load_model("bone")
    with pytest.raises(InputError, match="no pharmacology"):
        bone.simulate("drug:denosumab=60mg", end=10)


def test_too_many_doses_are_refused_before_any_work(clinical):
    # every hour for 1e9 days: 2.4e10 pieces of integration, which would never finish
    from rankl_net.engine import MAX_DOSES

    with pytest.raises(InputError, match=f"2.4e\\+10 doses before 1e\\+09 days; at most {MAX_DOSES}"):
        clinical.simulate("drug:odanacatib=5mg/1h", end=1e9)
    daily = to_changes(parse_spec("drug:odanacatib=5mg/1d"), clinical.engine)
    assert len(clinical.engine.dose_table(daily.dosing, float(MAX_DOSES))) == MAX_DOSES


def test_dose_times_stop_after_count_and_at_the_end(clinical):
    changes = to_changes(parse_spec("drug:denosumab=60mg/6mo*4+drug:denosumab=60mg@1000d"), clinical.engine)
    times = sorted(clinical.engine.dose_table(changes.dosing, 1095.0))
    assert times == pytest.approx([0.0, 182.625, 365.25, 547.875, 1000.0])
    # a dose at the end time itself is not given
    assert len(clinical.engine.dose_table(changes.dosing, 1000.0)) == 4


def test_piecewise_dosing_equals_sbml_events(clinical):
    """The same regimen dosed by the engine (piecewise) and by SBML events in libRoadRunner."""
    spec = "drug:denosumab=60mg/6mo+drug:zoledronate=4mg@30d+drug:odanacatib=5mg/1d*10@200d"
    end, readouts = 400.0, ["denosumab_serum", "ctx", "zoledronate_bone", "odanacatib_central", "bone_volume"]
    engine = clinical.engine
    changes = to_changes(parse_spec(spec), engine)
    grid = np.linspace(0, end, 161)
    piecewise = clinical.simulate(spec, end=end, points=len(grid), readouts=readouts)

    doses = engine.dose_table(changes.dosing, end)
    rr = roadrunner.RoadRunner(sbml_with_dose_events(engine.rr.getCurrentSBML(), doses))
    rr.integrator.relative_tolerance = 1e-10
    # the engine's absolute tolerances (one per state, fixed at the baseline) a hundred times
    # tighter: libRoadRunner's own scaling of a scalar tolerance by each state's current value
    # leaves states at round-off after a dose with none, and CVODE fails there
    rr.integrator.absolute_tolerance = list(np.array(engine.rr.integrator.getAbsoluteToleranceVector()) / 100)
    engine.apply(changes)  # baseline state, then time-0 changes
    # the events model starts from the engine's state at time 0 (before the time-0 doses):
    # as initial values, so that resetting fires the time-0 event
    for sid in engine.species_ids:
        rr.model[f"init([{sid}])"] = engine.value(sid)
    for p in engine.parameter_ids:
        if p not in engine.assigned_ids:
            rr.model[f"init({p})"] = engine.rr[p]
    rr.reset()
    rr.timeCourseSelections = ["time", *readouts]
    events = np.array(rr.simulate(times=grid))
    # rows at a dose time hold the value just before the dose in the engine, just after in libRoadRunner
    off_dose = ~np.isin(np.round(grid, 9), np.round(list(doses), 9))
    for j, r in enumerate(readouts):
        np.testing.assert_allclose(events[off_dose, j + 1], piecewise[r].to_numpy()[off_dose],
                                   rtol=1e-4, atol=1e-6 * max(1.0, np.abs(piecewise[r]).max()), err_msg=r)


def test_apparent_clearance_falls_with_dose(clinical):
    """Target-mediated disposition: CL/F = dose / AUC falls from 0.1 to 3 mg/kg (Bekker 2004)."""
    clearance = []
    for dose in (0.1, 0.3, 1.0, 3.0):
        frame = clinical.simulate(f"drug:denosumab={dose}mg/kg", end=1500, points=6001,
                                  readouts=["denosumab_serum"])
        auc = np.trapezoid(frame["denosumab_serum"], frame["time"])  # ug day / mL
        dose_ug = dose * 70 * 1000
        clearance.append(dose_ug / auc / 1000)  # L/day (apparent, CL/F)
    assert all(a > b for a, b in zip(clearance, clearance[1:], strict=False))
    assert clearance[0] > 1.5 * clearance[-1]


def test_denosumab_clearance_is_linear_where_it_does_not_bind_rankl():
    """The saturable term is binding to RANKL: wild-type mice (no binding) clear denosumab
    linearly, so the same dose leaves more in serum than in mice with human RANKL."""
    from rankl_net import DrugWithoutTargetWarning

    auc = {}
    for context in ("mouse", "mouse_huRANKL"):
        with warnings.catch_warnings():  # (in mice it binds no RANKL, as the note says: the point here)
            warnings.simplefilter("ignore", DrugWithoutTargetWarning)
            frame = load_model("clinical", context=context).simulate(
                "drug:denosumab=10mg/kg", end=200, points=2001, readouts=["denosumab_serum"])
        auc[context] = np.trapezoid(frame["denosumab_serum"], frame["time"])
    assert auc["mouse"] > 1.02 * auc["mouse_huRANKL"]


@pytest.mark.parametrize("fact", FACTS, ids=[f.id for f in FACTS])
def test_clinical_fact(predictor, fact):
    predicted = predictor.predict(fact)
    assert abs(predicted - fact.observed) <= fact.tolerance, (fact.id, predicted, fact.observed)


def test_regimen_objects_and_specs_agree(clinical):
    a = clinical.final(Regimen("denosumab", 60.0, every=182.625), end=400, readouts=["ctx"])
    b = clinical.final("drug:denosumab=60mg/6mo", end=400, readouts=["ctx"])
    assert a["ctx"] == b["ctx"]


def test_denosumab_raises_bone_density_and_stopping_rebounds(clinical):
    on = clinical.simulate("drug:denosumab=60mg/6mo", end=1095, points=4, readouts=["bmd_lumbar_spine"])
    assert on["bmd_lumbar_spine"].is_monotonic_increasing and on["bmd_lumbar_spine"].iloc[-1] > 5
    stopped = clinical.simulate("drug:denosumab=60mg/6mo*4", end=1095, points=1096, readouts=["ctx"])
    assert stopped["ctx"].iloc[730:].max() > 20


def test_formation_follows_resorption_down_more_slowly_and_less_far(clinical):
    """Under denosumab P1NP falls more slowly and less far than CTX (Eastell 2011 J Bone Miner Res
    26:530), yet by month 6 it is well below baseline: formation is coupled to resorption."""
    course = clinical.simulate("drug:denosumab=60mg", end=182, points=183, readouts=["ctx", "p1np"])
    assert course["p1np"][30] > course["ctx"][30] + 30
    assert course["p1np"].min() > course["ctx"].min()
    assert course["p1np"][150] < -30


def test_after_denosumab_stops_formation_returns_after_resorption(clinical):
    """Bone 2011 (J Clin Endocrinol Metab 96:972): CTX rises above baseline within 3 months of the
    end of treatment, P1NP later but within 6 months; when CTX is back, P1NP is still well below
    baseline, and it reaches baseline at least a month later."""
    off = clinical.simulate("drug:denosumab=60mg/6mo*4", end=1095, points=1096,
                            readouts=["ctx", "p1np"]).set_index("time").loc[730.0:]
    ctx_back = off.index[off["ctx"] > 0][0]
    p1np_back = off.index[off["p1np"] > -1][0]
    assert ctx_back <= 730 + 91
    assert off.loc[ctx_back, "p1np"] < -25
    assert p1np_back >= ctx_back + 30
    assert off.loc[:730 + 182.625, "p1np"].max() > 0


def test_osteomorphs_pile_up_under_denosumab_and_refuse_when_it_stops(clinical):
    """McDonald 2021 (Cell 184:1330): under RANKL inhibition osteoclasts' daughter cells stop
    refusing and accumulate; when RANKL returns they refuse, and the osteoclasts overshoot."""
    course = clinical.simulate("drug:denosumab=60mg/6mo*4", end=1095, points=1096,
                               readouts=["osteoclasts", "osteomorphs"])
    per_osteoclast = course["osteomorphs"] / course["osteoclasts"]
    assert per_osteoclast[730] > 1.5 * per_osteoclast[0]
    assert course["osteoclasts"][730:].max() > 1.15 * course["osteoclasts"][0]


def test_bone_gained_on_denosumab_is_lost_within_a_year_of_stopping(clinical):
    """The BMD gained in 2 years of denosumab is mostly lost in the year after the last dose's
    interval ends (Bone 2011 J Clin Endocrinol Metab 96:972), as remodelling returns above
    baseline and young, less mineralised bone replaces old bone; bone volume itself rises by
    refilling the remodelling space, not by tens of percent."""
    course = clinical.simulate("drug:denosumab=60mg/6mo*4", end=1095, points=1096,
                               readouts=["bmd_lumbar_spine", "bone_volume", "mineral_density"])
    assert course["bmd_lumbar_spine"][1095] < 0.4 * course["bmd_lumbar_spine"][730]
    assert course["bone_volume"].max() < 110
    assert course["mineral_density"][1095] < course["mineral_density"][730]


def test_zoledronate_after_denosumab_keeps_much_of_the_density_gained(clinical):
    """Zoledronic acid 6 months after the last of four denosumab doses: much of the lumbar spine
    BMD gained is kept where stopping alone loses most of it, the CTX rebound is blunted, and
    what is lost is lost within 18 months of the infusion (Everts-Graber 2020 J Bone Miner Res
    35:1207; Anastasilakis 2019 J Bone Miner Res, doi 10.1002/jbmr.3853)."""
    infusion, end = 730.5, 1643.0  # 2.5 years after it: Everts-Graber's median follow-up (a row a day)
    readouts = ["ctx", "bmd_lumbar_spine"]
    alone = clinical.simulate("drug:denosumab=60mg/6mo*4", end=end, points=1644, readouts=readouts)
    then = clinical.simulate("drug:denosumab=60mg/6mo*4+drug:zoledronate=5mg@2y", end=end, points=1644,
                             readouts=readouts)
    gained = then["bmd_lumbar_spine"][730]
    assert gained == pytest.approx(alone["bmd_lumbar_spine"][730], rel=1e-6) and gained > 5
    kept, kept_alone = then["bmd_lumbar_spine"].iloc[-1] / gained, alone["bmd_lumbar_spine"].iloc[-1] / gained
    assert kept > 0.5 > kept_alone + 0.2
    assert then["ctx"][731:].max() < alone["ctx"][731:].max() - 40
    month18 = round(infusion + 18 * 30.4375)
    assert then["bmd_lumbar_spine"].iloc[-1] >= then["bmd_lumbar_spine"][month18] - 0.1


def test_bone_density_keeps_rising_on_denosumab(clinical):
    """BMD rises year after year on denosumab (FREEDOM: +9.2 % at 3 years after +4.2 % at 1 year):
    with remodelling slowed the bone grows older and more mineralised (secondary mineralisation),
    and formation that does not follow erosion keeps adding bone."""
    on = clinical.simulate("drug:denosumab=60mg/6mo", end=1826.25, points=6,
                           readouts=["bmd_lumbar_spine", "mineral_density"])
    assert (on["bmd_lumbar_spine"].diff().iloc[1:] > 0.5).all()
    assert on["mineral_density"].iloc[-1] > 1.02


def test_cathepsin_k_inhibition_keeps_formation_where_other_antiresorptives_lower_it(clinical):
    """Osteoclasts stay under a cathepsin K inhibitor and still erode, so formation is kept
    (formation markers fall much less than resorption markers under odanacatib: Eisman 2011
    J Bone Miner Res 26:242); denosumab and zoledronic acid lower P1NP with CTX."""
    odn = clinical.final("drug:odanacatib=50mg/7d", end=365, readouts=["ctx", "p1np"])
    dmab = clinical.final("drug:denosumab=60mg/6mo", end=365, readouts=["ctx", "p1np"])
    zol = clinical.final("drug:zoledronate=5mg", end=365, readouts=["ctx", "p1np"])
    assert odn["ctx"] < -50 and abs(odn["p1np"]) < 10
    assert dmab["p1np"] < -30 and zol["p1np"] < -20


@pytest.mark.slow
def test_fit_reproduces_the_generated_parameters():
    """`rankl-net fit` from experiments/fits/clinical.toml gives the values the models are built with."""
    from rankl_net import fitting
    from rankl_net.calibrate import read_references

    values = fitting.fit(progress=lambda _: None)
    committed: dict[str, float] = {}
    for name in {p.file for g in fitting.read_fit_spec() for p in g.parameters}:
        committed |= read_references(paths.ANTIMONY / "generated" / name)
    assert set(values) <= set(committed)
    for pid, value in values.items():
        # within one unit of the last digit written: another CPU may round the integration
        # differently, which the fit carries to that digit
        last_digit = 10.0 ** (math.floor(math.log10(abs(committed[pid]))) - fitting.SIGNIFICANT_DIGITS + 1)
        assert abs(value - committed[pid]) <= last_digit * (1 + 1e-9), (pid, value, committed[pid])


def test_a_fit_that_does_not_converge_names_the_values_still_moving_and_writes_nothing(monkeypatch):
    """`rankl-net fit` whose passes never settle exits 3, naming the value that kept moving, and
    leaves the generated parameter files as they were."""
    from types import SimpleNamespace

    from click.testing import CliRunner

    from rankl_net import cli, fitting

    groups = fitting.read_fit_spec()
    drifting = groups[-1].parameters[0].id

    def drift(group, targets, values, model):  # every group settles but one value, +1 % a pass
        fitted = {p.id: values[p.id] * (1.01 if p.id == drifting else 1.0) for p in group.parameters}
        return fitted, SimpleNamespace(cost=0.0, nfev=1)

    generated = {path: path.read_bytes() for path in (paths.ANTIMONY / "generated").glob("*.ant")}
    monkeypatch.setattr(fitting, "_fit_group", drift)
    monkeypatch.setattr(fitting, "Model", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli.main, ["fit"])
    assert result.exit_code == 3, result.output
    assert f"did not converge in {fitting.MAX_PASSES} passes" in result.output
    assert "1 value still moved by more than 0.1 %" in result.output and f"({drifting} " in result.output
    others = [p.id for g in groups for p in g.parameters if p.id != drifting]
    assert not any(f"{pid} " in result.output.split("did not converge")[1] for pid in others)
    assert {path: path.read_bytes() for path in generated} == generated


def test_every_drug_has_a_regimen_experiment():
    """The per-drug documentation pages show each drug's regimen experiments."""
    from rankl_net.dosing import drugs
    from rankl_net.regimens import dosed_drugs, read_experiments

    dosed = set().union(*(dosed_drugs(e) for e in read_experiments().values()))
    assert dosed == set(drugs())


def test_regimens_command_writes_table_and_plot(tmp_path):
    """`rankl-net regimens NAME`: stopping denosumab makes CTX rebound above the continued arm."""
    import pandas as pd
    from click.testing import CliRunner

    from rankl_net.cli import main

    res = CliRunner().invoke(main, ["regimens", "denosumab_stopped_after_2y", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "denosumab_stopped_after_2y.csv")
    assert (tmp_path / "denosumab_stopped_after_2y.png").stat().st_size > 10_000
    late = table[table["time"] > 730].groupby("arm")["ctx"].max()
    assert late["stopped"] > 20 > late["continued"]
    then = CliRunner().invoke(main, ["regimens", "denosumab_then_zoledronate", "--out", str(tmp_path)])
    assert "after the last dose: at 1643.625 days" in then.output  # 4.5 years, not 1643.62
    rows = [ln.split() for ln in then.output.splitlines() if ln.startswith("then_zoledronate ")]
    assert [row[1] for row in rows] == ["1643.625"], then.output
    # the printed summary shows round-off (a drug never given, CTX without a drug) as 0
    untreated = next(line.split() for line in res.output.splitlines() if line.split()[:1] == ["untreated"])
    assert untreated[2:8] == ["0"] * 6 and float(untreated[8]) > 0, res.output
    assert table[table["arm"] == "untreated"]["ctx"].abs().max() > 0  # the table keeps the values computed
    assert "zoledronate_serum" not in res.output  # only the drugs the arms dose are printed
    # a percent change that is round-off in every arm (P1NP under 12 weeks of odanacatib) shows as 0
    oda = CliRunner().invoke(main, ["regimens", "odanacatib_daily_and_weekly", "--out", str(tmp_path)])
    assert oda.exit_code == 0, oda.output
    lines = oda.output.splitlines()
    wrote = next(k for k, line in enumerate(lines) if line.startswith("wrote"))
    printed = pd.read_fwf(io.StringIO("\n".join(lines[1:wrote])), skiprows=[1])  # (the units' row)
    # each column's unit under its name: days, ug/mL for a drug, % change for the markers, in ASCII
    # (a terminal in the C locale would read the micro sign as bytes)
    assert lines[2].split() == ["days", "ug/mL"] + ["%", "change"] * 5 + ["pM"], oda.output
    assert oda.output.isascii()
    assert len(printed) == 3 and printed["p1np"].tolist() == [0, 0, 0], oda.output
    assert (printed["ctx"] < -50).sum() == 2  # the changes are shown as computed
    computed = pd.read_csv(tmp_path / "odanacatib_daily_and_weekly.csv")
    assert 0 < computed["p1np"].abs().max() < 1e-6  # round-off, kept in the table
    bad = CliRunner().invoke(main, ["regimens", "denosumab_stoped"])
    assert bad.exit_code == 2 and "denosumab_stopped_after_2y" in bad.output


def test_a_regimen_file_of_ones_own_runs_with_file(tmp_path):
    """A copy of the shipped regimen file, edited: `experiment` sends it to `regimens --file`,
    with the exact command, and that command runs it (it once ran only the shipped file's names)."""
    import pandas as pd
    from click.testing import CliRunner

    from rankl_net.cli import main
    from rankl_net.regimens import REGIMENS_FILE

    mine = tmp_path / "my reg.toml"
    mine.write_text(REGIMENS_FILE.read_text(encoding="utf-8") + '\n[my_arms]\ntitle = "Mine"\nend = "4wk"\n'
                    'arms.none = []\narms.weekly = [{ drug = "denosumab", dose = "60mg", every = "1wk" }]\n',
                    encoding="utf-8")
    redirect = CliRunner().invoke(main, ["experiment", str(mine)])
    assert redirect.exit_code == 2
    command = f"rankl-net regimens --file '{mine}'"
    assert f"run it with `{command}`" in redirect.output
    ran = CliRunner().invoke(main, ["regimens", "--file", str(mine), "my_arms", "--out",
                                    str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    table = pd.read_csv(tmp_path / "out" / "my_arms.csv")
    assert list(table["arm"].unique()) == ["none", "weekly"]
    assert table.groupby("arm")["ctx"].last()["weekly"] < -50
    # a file where a name goes: the command that runs it
    named = CliRunner().invoke(main, ["regimens", str(mine)])
    assert named.exit_code == 2 and f"`{command}`" in named.output
    # report, given the table regimens wrote, says what it is and where its figure is, rather
    # than that it is not a screen table
    said = CliRunner().invoke(main, ["report", str(tmp_path / "out" / "my_arms.csv")])
    assert said.exit_code == 2 and "Traceback" not in said.output
    assert (f"{tmp_path / 'out' / 'my_arms.csv'} is the table of a regimen experiment (rankl-net regimens), "
            f"drawn in its figure beside it, {tmp_path / 'out' / 'my_arms.png'}") in said.output
    assert "not a rankl-net screen table" not in said.output and said.output.isascii()
    # and the other way round: a file of [[experiments]] is sent to `experiment`
    other = CliRunner().invoke(main, ["regimens", "--file", str(paths.EXPERIMENTS / "tumour.toml")])
    assert other.exit_code == 2
    assert f"run it with `rankl-net experiment {paths.EXPERIMENTS / 'tumour.toml'}`" in other.output


@pytest.mark.parametrize(("text", "message"), [
    ('[a]\ntitle = "t"\nend = "1y"\n', "r.toml [a] lacks 'arms'; an experiment has a title, an end and arms"),
    ('[a]\ntitle = "t"\nend = "1y"\nlength = "2y"\narms.x = []\n', "[a]: unknown key 'length'"),
    ('[a]\ntitle = 5\nend = "1y"\narms.x = []\n', "[a]: title must be a string (text in quotes), got int 5"),
    ('[a]\ntitle = "t"\nend = "0d"\narms.x = []\n', "[a]: end must be a time above zero, got '0d'"),
    ('[a]\ntitle = "t"\nend = "1y"\narms = 5\n', "[a]: arms must be a table of arms"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = "drug:denosumab=60mg"\n',
     "[a] arm 'x': an arm is a list of regimens ([] for an untreated arm)"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = ["drug:denosumb=60mg"]\n',
     "[a] arm 'x': unknown drug 'denosumb'. Did you mean 'denosumab'?"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = 60 }]\n',
     "[a] arm 'x': dose must be a string with its unit"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", at = "8d" }]\n',
     "[a] arm 'x': at must be a list of dose times"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", at = ["8d"], '
     'every = "4wk" }]\n', "at lists single doses, which take no every"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", evry = "4wk" }]\n',
     "unknown key 'evry'. Did you mean 'every'?"),
    # a time without a unit could be days, weeks or months: it was read as days
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = ["drug:denosumab=120mg/4"]\n',
     "[a] arm 'x': 'drug:denosumab=120mg/4': interval '4' has no unit: write /4d, /4wk or /4mo"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "120mg", every = 28 }]\n',
     "[a] arm 'x': every '28' has no unit: write \"28d\", \"28wk\" or \"28mo\" (units: s, min, h, d, wk"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "120mg", every = "28" }]\n',
     "[a] arm 'x': every '28' has no unit"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "120mg", start = 2.5 }]\n',
     "[a] arm 'x': start '2.5' has no unit: write \"2.5d\""),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "120mg", at = ["8d", 15] }]\n',
     "[a] arm 'x': at '15' has no unit: write \"15d\", \"15wk\" or \"15mo\""),
    # two doses at one time were given silently
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", '
     'at = ["2d", "1d", "1d"] }]\n',
     "[a] arm 'x': at lists '1d' twice, two doses at day 1; give each dose time once"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", at = ["1d", "24h"] }]\n',
     "[a] arm 'x': at lists '1d' and '24h', two doses at day 1; give each dose time once"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", '
     'at = ["10h", "0.4166666666666667d"] }]\n',
     "[a] arm 'x': at lists '10h' and '0.4166666666666667d', two doses at day 0.41666"),
    # a count without an interval: the file's key is every, not the spec's /EVERY
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", count = 4 }]\n',
     "[a] arm 'x': count = 4 needs every, the dosing interval (such as every = \"6mo\"); without every, "
     "a table gives one dose"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "denosumab", dose = "60mg", count = 0 }]\n',
     "[a] arm 'x': drug:denosumab: the number of doses must be at least 1, got 0"),
    ('["../a"]\ntitle = "t"\nend = "1y"\narms.x = []\n', "experiment name '../a' names its output files"),
    ("a = 5\n", "r.toml [a]: an experiment is a table with title, end and arms, got int 5"),
    ("# nothing yet\n", "defines no regimen experiment"),
    ('[a\n', "not valid TOML"),
    # the endogenous protein points to the drug that is a form of it, as in a spec
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = [{ drug = "osteoprotegerin", dose = "3mg/kg" }]\n',
     "[a] arm 'x': unknown drug 'osteoprotegerin': it names the endogenous protein, the node OPG"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = ["drug:Tnfrsf11b=3mg/kg"]\n',
     "unknown drug 'Tnfrsf11b': it names the endogenous protein, the node OPG"),
    ('[a]\ntitle = "t"\ncontext = "rat"\nend = "1y"\narms.x = []\n',
     "r.toml [a]: context: unknown context 'rat'"),
    ('[a]\ntitle = "t"\ncontext = 5\nend = "1y"\narms.x = []\n',
     "r.toml [a]: context: a context is a name in quotes, got int 5"),
    ('[a]\ntitle = "t"\ncontex = "mouse"\nend = "1y"\narms.x = []\n',
     "unknown key 'contex'. Did you mean 'context'?"),
    ('[a]\ntitle = "t"\nend = "1y"\narms.x = []\narms." " = []\n',
     "r.toml [a]: an arm's name is empty; name each arm"),
])
def test_a_regimen_file_is_checked_whole(tmp_path, text, message):
    """Each of these was a Python traceback, or was run with a key or value left aside."""
    from rankl_net.regimens import read_experiments

    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        read_experiments(path)


def test_a_regimen_experiment_runs_in_the_context_it_names(tmp_path):
    """Denosumab binds human RANKL, not mouse RANKL (Kostenuik 2009 J Bone Miner Res 24:182): in
    human-RANKL knock-in mice it suppresses CTX, in wild-type mice it leaves CTX as it is. The
    context is named in the table, the printed title and the figure's."""
    import pandas as pd
    from click.testing import CliRunner

    from rankl_net.cli import main
    from rankl_net.model import Model
    from rankl_net.regimens import read_experiments, run_experiment

    mine = tmp_path / "mice.toml"
    mine.write_text("".join(f'[{context}]\ntitle = "Denosumab in mice"\ncontext = "{context}"\nend = "4wk"\n'
                            'arms.untreated = []\narms.denosumab = ["drug:denosumab=10mg/kg/3.5d"]\n'
                            for context in ("mouse_huRANKL", "mouse")), encoding="utf-8")
    ran = CliRunner().invoke(main, ["regimens", "--file", str(mine), "--out", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    assert "Denosumab in mice (mouse_huRANKL context): at 28 days" in ran.output
    ctx = {}
    for context in ("mouse_huRANKL", "mouse"):
        table = pd.read_csv(tmp_path / f"{context}.csv")
        assert set(table["context"]) == {context}
        ctx[context] = table.groupby("arm")["ctx"].last()["denosumab"]
    assert ctx["mouse_huRANKL"] < -50 and abs(ctx["mouse"]) < 1
    # a model in another context than the experiment names is refused
    experiment = read_experiments(mine)["mouse"]
    with pytest.raises(InputError, match="runs in the mouse context, and the model given is in human"):
        run_experiment(experiment, Model("clinical", context="human"))


def test_a_dose_after_the_end_of_a_regimen_experiment_is_said_with_its_arm(tmp_path):
    """The note names the experiment and the arm whose dose is lost (two arms may dose alike)."""
    from click.testing import CliRunner

    from rankl_net.cli import main

    mine = tmp_path / "late.toml"
    mine.write_text('[late]\ntitle = "t"\nend = "4wk"\narms.none = []\n'
                    'arms.twice = [{ drug = "denosumab", dose = "60mg", at = ["1d", "40d"] }]\n',
                    encoding="utf-8")
    ran = CliRunner().invoke(main, ["regimens", "--file", str(mine), "--out", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    assert ("note: late arm 'twice': drug:denosumab=60mg@40d: its dose at 40 days is not within the 28 days "
            "simulated; it is not given") in ran.output


def test_a_drug_dosed_only_after_the_end_is_printed_at_zero_and_written_as_computed(tmp_path):
    """Zoledronate dosed after the end is in the table (the experiment doses it) at integration
    round-off, a mass concentration far below one molecule per litre: printed as 0; the file
    keeps the values as computed."""
    from click.testing import CliRunner

    from rankl_net.analysis import round_off_floor
    from rankl_net.cli import main

    mine = tmp_path / "late.toml"
    mine.write_text('[late]\ntitle = "t"\nend = "30d"\narms.none = []\n'
                    'arms.late = [{ drug = "zoledronate", dose = "4mg", at = ["60d"] }]\n', encoding="utf-8")
    ran = CliRunner().invoke(main, ["regimens", "--file", str(mine), "--out", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    written = pd.read_csv(tmp_path / "late.csv")
    assert written["zoledronate_serum"].abs().max() < 1e-6 * round_off_floor("ug/mL")
    lines = ran.output.splitlines()
    start = lines.index("t: at 30 days") + 1
    header, units, *rows = [line.split() for line in lines[start:start + 4]]
    column = header.index("zoledronate_serum")
    assert units[column - 1] == "ug/mL"  # (the unit row has no arm)
    assert [row[column] for row in rows] == ["0", "0"]


def test_a_dose_response_of_a_drug_fits_its_doses_from_the_untreated_model(tmp_path):
    """Denosumab single doses from 10 ug to 3 mg: CTX at 28 days falls with each larger dose, from
    the untreated model's (the fit's baseline, dose 0); the Hill fit's IC50 lies within the doses
    given, in mg."""
    from click.testing import CliRunner

    from rankl_net.cli import main

    out = tmp_path / "dmab.csv"
    levels = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    ran = CliRunner().invoke(main, ["dose-response", "clinical", "--perturb", "drug:denosumab", "--levels",
                                    ",".join(map(str, levels)), "--readouts", "ctx", "--end", "28d",
                                    "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "IC50 as a dose: denosumab dose (mg)" in ran.output
    table = pd.read_csv(out)
    assert table["perturbation"].tolist() == [f"drug:denosumab={x:g}mg" for x in levels]
    assert table["dose"].tolist() == levels == table["level"].tolist()
    ctx = table["value"].to_numpy()
    assert (np.diff(ctx) < 0).all() and ctx[0] < 0
    assert (table["baseline_value"].abs() < 1e-6).all()  # the untreated CTX: no change but round-off
    fit = pd.read_csv(tmp_path / "dmab_fits.csv").iloc[0]
    assert fit["quality"] == "ok" and levels[0] < fit["ic50"] < levels[-1]


def test_a_regimen_table_of_a_regimen_file_is_the_spec_it_stands_for(tmp_path):
    """The tables of a regimen file (every, count, start; at) read as the drug: specs they stand
    for: 4wk is 28 days, doses at 8d and 15d are two single doses, 36h is 1.5 days, end = 365 is
    365 days."""
    from rankl_net.regimens import read_experiments

    path = tmp_path / "r.toml"
    path.write_text(
        '[a]\ntitle = "t"\nend = 365\n'
        'arms.tables = [{ drug = "denosumab", dose = "120mg", every = "4wk", count = 3, start = "2d" },\n'
        '               { drug = "denosumab", dose = "120mg", at = ["8d", "15d"] },\n'
        '               { drug = "odanacatib", dose = "5mg", every = "7d", start = "36h" }]\n'
        'arms.specs = ["drug:denosumab=120mg/4wk*3@2d", "drug:denosumab=120mg@8d",\n'
        '              "drug:denosumab=120mg@15d", "drug:odanacatib=5mg/1wk@36h"]\n', encoding="utf-8")
    (experiment,) = read_experiments(path).values()
    assert experiment.end == 365.0
    tables = experiment.arms["tables"]
    assert tables == experiment.arms["specs"]
    assert tables[0] == Regimen("denosumab", 120.0, every=28.0, count=3, start=2.0)
    assert [(r.every, r.count, r.start) for r in tables[1:3]] == [(None, None, 8.0), (None, None, 15.0)]
    assert (tables[3].every, tables[3].start) == (7.0, 1.5)


def test_the_times_of_at_may_come_in_any_order(tmp_path):
    from rankl_net.regimens import read_experiments

    path = tmp_path / "r.toml"
    path.write_text('[a]\ntitle = "t"\nend = "1y"\n'
                    'arms.x = [{ drug = "denosumab", dose = "60mg", at = ["15d", "8d", "2wk"] }]\n',
                    encoding="utf-8")
    (experiment,) = read_experiments(path).values()
    assert [r.start for r in experiment.arms["x"]] == [15.0, 8.0, 14.0]


def test_restarting_and_switching_treatment(clinical):
    """The regimens of the Drugs and dosing page: a restart suppresses CTX again; a switch to
    zoledronic acid at the end of denosumab holds CTX below the rebound of a plain stop."""
    stop = "drug:denosumab=60mg/6mo*4"
    times = [900, 1200]  # days: off treatment (rebound), then after the restart at 3 years
    stopped = clinical.simulate(stop, end=1200, points=1201, readouts=["ctx"]).set_index("time")["ctx"]
    restarted = clinical.simulate(stop, "drug:denosumab=60mg/6mo@3y", end=1200, points=1201,
                                  readouts=["ctx"]).set_index("time")["ctx"]
    switched = clinical.simulate(stop, "drug:zoledronate=5mg/1y@2y", end=1200, points=1201,
                                 readouts=["ctx"]).set_index("time")["ctx"]
    assert restarted[times[0]] == pytest.approx(stopped[times[0]])  # identical until the restart
    assert stopped[times[0]] > 0 and restarted[times[1]] < -50
    assert switched.loc[730:900].max() < stopped.loc[730:900].max() - 10


def test_the_python_api_warns_when_the_run_is_too_short_for_a_regimen(clinical):
    from rankl_net import DosesAfterEndWarning

    with pytest.warns(DosesAfterEndWarning, match="2 of its 10 doses fall within the 365 days simulated"):
        clinical.final("drug:denosumab=60mg/6mo*10", end=365, readouts=["ctx"])
    with pytest.warns(DosesAfterEndWarning, match="its dose at 730.5 days is not within the 365.25 days"):
        clinical.simulate("drug:denosumab=60mg@2y", end="1y", points=2, readouts=["ctx"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an open-ended regimen runs to the end: nothing to say
        clinical.final("drug:denosumab=60mg/6mo", "drug:denosumab=60mg/6mo*2", end=365.25, readouts=["ctx"])
    # a set: window that opens at or after the end has no effect either
    with pytest.warns(DosesAfterEndWarning, match="set:pth=6@400-500: its window opens at 400 days, not "
                      "within the 365 days simulated; it has no effect"):
        clinical.final("set:pth=6@400-500", end=365, readouts=["ctx"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clinical.final("set:pth=6@300-500", end=365, readouts=["ctx"])


def test_simulate_says_when_a_counted_regimen_loses_doses_to_the_end():
    from click.testing import CliRunner

    from rankl_net.cli import main

    args = ["simulate", "clinical", "--end", "365", "--points", "2", "--readouts", "ctx", "-p"]
    cut = CliRunner().invoke(main, [*args, "drug:denosumab=60mg/6mo*10"])
    assert cut.exit_code == 0 and "2 of its 10 doses fall within the 365 days simulated" in cut.output
    whole = CliRunner().invoke(main, [*args, "drug:denosumab=60mg/6mo*2"])
    assert whole.exit_code == 0 and "doses fall within" not in whole.output
    # without --end the run goes to the model's default end, and the note counts against that
    default_end = get_model("clinical").default_end
    by_default = CliRunner().invoke(main, ["simulate", "clinical", "--points", "2", "--readouts", "ctx",
                                           "-p", "drug:denosumab=60mg/6mo*10"])
    assert by_default.exit_code == 0, by_default.output
    assert f"of its 10 doses fall within the {default_end:g} days simulated" in by_default.output


def test_a_dose_above_those_studied_warns_from_the_users_call(clinical):
    """60 g for 60 mg of denosumab, and a human dose in a mouse: the dose per kg of the model's
    body weight lies far above the highest single dose of the drug's sources."""
    from rankl_net import DoseAboveStudiedWarning

    with pytest.warns(DoseAboveStudiedWarning) as said:
        clinical.final("drug:denosumab=60g/6mo", end=30, readouts=["ctx"])
    assert len(said) == 1 and said[0].filename == __file__  # the user's line, not the package's
    message = str(said[0].message)
    assert message.startswith("drug:denosumab=60000mg/6mo: 60,000 mg per dose is 857 mg/kg of the "
                              "model's 70 kg body weight, 85.7 times the highest single dose")
    assert "Kostenuik 2009" in message and "check the unit" in message
    mouse = load_model("clinical", context="mouse_huRANKL")
    with pytest.warns(DoseAboveStudiedWarning, match=r"2,400 mg/kg of the model's 0\.025 kg body weight"):
        mouse.final("drug:denosumab=60mg", end=30, readouts=["ctx"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clinical.final("drug:denosumab=60mg/6mo+drug:zoledronate=4mg+drug:odanacatib=50mg/1wk", end=30,
                       readouts=["ctx"])
        mouse.final("drug:denosumab=10mg/kg/3.5d", end=30, readouts=["ctx"])


def test_a_highest_dose_given_in_mg_is_per_kg_of_a_70_kg_adult(clinical):
    """models/drugs.toml may give a drug's highest dose in mg, an adult's (odanacatib: 600 mg): it is
    that dose per kg of a 70 kg adult, so on the clinical model (70 kg) that many mg is the limit of the
    warning, and a fifth more lies above it."""
    import tomllib

    from rankl_net import DoseAboveStudiedWarning

    assert clinical.engine.baseline["body_weight"] == 70.0
    raw = tomllib.loads(paths.DRUGS_FILE.read_text(encoding="utf-8"))
    in_mg = {name: entry["highest_dose_studied"] for name, entry in raw.items()
             if "/kg" not in entry.get("highest_dose_studied", "/kg")}
    assert in_mg  # (odanacatib's is an adult dose in mg)
    for name, dose in in_mg.items():
        mg = float(dose.removesuffix("mg"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            to_changes(parse_spec(f"drug:{name}={mg!r}mg"), clinical.engine)
        with pytest.warns(DoseAboveStudiedWarning, match=f"drug:{name}=.* 1.20 times the highest"):
            to_changes(parse_spec(f"drug:{name}={mg * 1.2!r}mg"), clinical.engine)


@pytest.mark.parametrize("name", sorted(drugs()))
def test_each_drugs_highest_studied_dose_is_the_limit_of_the_warning(clinical, name):
    from rankl_net import DoseAboveStudiedWarning

    drug = drugs()[name]
    assert drug.highest_dose_mg_per_kg > 0
    assert re.search(r"[A-Z][a-z]+ 20\d\d|label", drug.highest_dose_source)  # a dated source or a label
    at = drug.highest_dose_mg_per_kg
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_changes(parse_spec(f"drug:{name}={at!r}mg/kg"), clinical.engine)
    with pytest.warns(DoseAboveStudiedWarning, match=f"drug:{name}=.*1.01 times the highest"):
        to_changes(parse_spec(f"drug:{name}={at * 1.01!r}mg/kg"), clinical.engine)
    with warnings.catch_warnings():  # a screen's workers: the screen said it
        warnings.simplefilter("error")
        to_changes(parse_spec(f"drug:{name}={at * 100!r}mg/kg"), clinical.engine, warn=False)
    # just above the limit is "1.00 times" it, not "1 times" (which reads as the limit itself)
    with pytest.warns(DoseAboveStudiedWarning, match=f"drug:{name}=.* 1.00 times the highest"):
        to_changes(parse_spec(f"drug:{name}={at * 1.001!r}mg/kg"), clinical.engine)


def test_the_command_line_notes_a_dose_above_those_studied_once(tmp_path):
    from click.testing import CliRunner

    from rankl_net.cli import main

    simulate = CliRunner().invoke(main, ["simulate", "clinical", "--end", "30", "--points", "2", "--readouts",
                                         "ctx", "-p", "drug:zoledronate=4g"])
    assert simulate.exit_code == 0, simulate.output
    assert simulate.output.count("note: drug:zoledronate=4000mg: 4,000 mg per dose is 57.1 mg/kg") == 1
    conditions = tmp_path / "doses.txt"
    conditions.write_text("drug:zoledronate=4g\ndrug:zoledronate=4mg\n")
    screen = subprocess.run([sys.executable, "-m", "rankl_net", "screen", "clinical", "--conditions",
                             str(conditions), "--end", "30", "--readouts", "ctx", "--workers", "2", "--out",
                             str(tmp_path / "s")], capture_output=True, text=True, timeout=300)
    assert screen.returncode == 0, screen.stderr
    assert screen.stderr.count("DoseAboveStudied") == 0  # a note, not Python's warning
    assert screen.stderr.count("note: drug:zoledronate=4000mg") == 1  # not again from the workers


def test_a_screen_in_python_warns_of_a_dose_above_those_studied_once_whatever_the_filters():
    """The screen checks its background and each condition: with the "always" filter (which
    pytest and notebooks may set) the caller got one warning per condition that carried it."""
    from rankl_net import DoseAboveStudiedWarning
    from rankl_net.screens import run_screen

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run_screen("clinical", ["kd:RANKL=0.5", "kd:RANKL=0.7", "drug:zoledronate=4g"],
                   background="drug:zoledronate=4g", end=10, readouts="ctx", workers=1)
    above = [w for w in said if issubclass(w.category, DoseAboveStudiedWarning)]
    assert [str(w.message).partition(" per dose")[0] for w in above] == ["drug:zoledronate=4000mg: 4,000 mg"]
    assert above[0].filename == __file__  # the caller's line


def test_a_dose_per_kg_reads_the_conditions_body_weight_wherever_it_is_listed(clinical):
    """1 mg/kg to a 140 kg patient is 140 mg, whether set:body_weight comes before or after the
    regimen; a body weight that a window changes during the run is refused with a dose per kg."""
    readout = ["denosumab_serum"]
    per_kg_after = clinical.final("drug:denosumab=1mg/kg", "set:body_weight=140", end=10, readouts=readout)
    per_kg_before = clinical.final("set:body_weight=140+drug:denosumab=1mg/kg", end=10, readouts=readout)
    in_mg = clinical.final("drug:denosumab=140mg", "set:body_weight=140", end=10, readouts=readout)
    seventy = clinical.final("drug:denosumab=70mg", "set:body_weight=140", end=10, readouts=readout)
    assert per_kg_after.iloc[0] == per_kg_before.iloc[0] == in_mg.iloc[0]
    assert in_mg.iloc[0] > 1.5 * seventy.iloc[0]
    with pytest.raises(InputError, match=r"doses per kg of body_weight, which a set: window changes .*140 kg "
                                         r"from 5 days"):
        clinical.final("drug:denosumab=1mg/kg", "set:body_weight=140@5", end=10, readouts=readout)
    clinical.final("drug:denosumab=60mg", "set:body_weight=140@5", end=10, readouts=readout)  # in mg: taken


@pytest.mark.parametrize(("metric", "window", "expected"), [
    # CTX falls to -80 % by day 10, then creeps to -81 % at day 30 and recovers: the nadir is
    # reached (within NADIR_BAND of the minimum) on day 10, not at the minimum on day 30
    ("time_to_nadir", "60", 10.0),
    ("time_to_nadir", "20-60", 20.0),  # the window's first time already at the nadir
    ("tmax", "60", 45.0),
    ("max", "60", 5.0),
    ("max", "20-40", -81.0 + 10 * 86 / 15),  # over the window only: the curve peaks at 5 after it
    ("tmax", "20-40", 40.0),
    ("value", "12.5", -80.125),  # interpolated between output times
])
def test_the_metrics_read_a_known_curve(clinical, metric, window, expected):
    from rankl_net.validation import NADIR_BAND, Fact, Predictor

    t = np.arange(0.0, 61.0, 5.0)
    y = np.select([t < 10, t <= 30, t <= 45], [-8.0 * t, -80.0 - (t - 10) / 20, -81.0 + (t - 30) * 86 / 15],
                  default=5.0 - (t - 45))
    assert NADIR_BAND >= 1.0  # (the curve is built for a band of at least 1 point)
    predictor = Predictor(clinical)
    for end in (60.0, 40.0, 12.5):  # the curves the predictor would have simulated
        predictor._curves[("drug:x", "ctx", end)] = pd.Series(y, index=t)
    fact = Fact("f", "drug:x", "", "ctx", metric, window, 0.0, 1.0, False, "test")
    assert predictor.predict(fact) == pytest.approx(expected)


def test_a_fact_passes_within_its_tolerance_and_fails_outside_it():
    """validate() compares each prediction with the observed value: |predicted - observed| <= tolerance,
    on either side, the tolerance itself included."""
    from rankl_net.validation import Fact, validate

    class Given:  # a predictor whose predictions are given
        def __init__(self, values):
            self.values = values

        def predict(self, fact):
            return self.values[fact.id]

    predicted = {"inside": -78.0, "edge_below": -85.0, "edge_above": -75.0, "above": -74.0, "below": -86.5}
    facts = [Fact(i, "drug:denosumab=60mg", "", "ctx", "value", "30", -80.0, 5.0, i == "inside", "test")
             for i in predicted]
    table = validate(facts, Given(predicted)).set_index("id")
    assert table["passed"].to_dict() == {"inside": True, "edge_below": True, "edge_above": True,
                                         "above": False, "below": False}
    assert table["predicted"].to_dict() == predicted
    assert table["fitted"].to_dict() == {i: i == "inside" for i in predicted}


def test_the_facts_marked_fit_are_the_targets_of_the_fit(tmp_path):
    """The fit column of experiments/clinical_validation.tsv ('yes'/'no') names the facts that
    experiments/fits/clinical.toml fits to, and no others."""
    from rankl_net.fitting import read_fit_spec
    from rankl_net.validation import VALIDATION_TABLE

    targets = {t for group in read_fit_spec() for t in group.targets}
    assert targets and {f.id for f in FACTS if f.fit} == targets
    lines = VALIDATION_TABLE.read_text(encoding="utf-8").splitlines()
    header = next(ln for ln in lines if ln.startswith("id\t"))
    columns = header.split("\t")
    rows = []
    for fit in ("yes", "no"):
        cells = {"id": f"f_{fit}", "spec": "drug:denosumab=60mg", "readout": "ctx", "metric": "value",
                 "time_d": "30", "observed": "-80", "tolerance": "5", "fit": fit, "source": "test"}
        rows.append("\t".join(cells.get(c, "") for c in columns))
    path = tmp_path / "facts.tsv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert [(f.id, f.fit) for f in read_facts(path)] == [("f_yes", True), ("f_no", False)]


def test_a_predictors_parameters_apply_to_every_simulation(clinical):
    """The values a fit tries reach the simulations: with denosumab's molar mass doubled, 120 mg is
    as many molecules as 60 mg (a dose in mg is divided by the molar mass), so CTX follows the
    course of 60 mg."""
    from rankl_net.validation import Fact

    def fact(spec):
        return Fact("f", spec, "", "ctx", "value", "182", -60.0, 20.0, False, "test")  # as CTX recovers

    molar_mass = clinical.engine.baseline["denosumab_molar_mass"]
    doubled = Predictor(clinical, {"denosumab_molar_mass": 2 * molar_mass})
    plain = Predictor(clinical)
    assert doubled.predict(fact("drug:denosumab=120mg")) == pytest.approx(
        plain.predict(fact("drug:denosumab=60mg")), rel=1e-9)
    assert doubled.predict(fact("drug:denosumab=120mg")) != pytest.approx(
        plain.predict(fact("drug:denosumab=120mg")), rel=1e-3)


def test_the_regimen_figure_draws_every_arm_in_every_panel(tmp_path, monkeypatch):
    """Odanacatib daily vs weekly: each marker panel has one line per arm, drawing the table's
    values; the serum panel a line for each arm that doses the drug."""
    from click.testing import CliRunner

    from rankl_net import plots
    from rankl_net.cli import main

    figures: list = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    res = CliRunner().invoke(main, ["regimens", "odanacatib_daily_and_weekly", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "odanacatib_daily_and_weekly.csv")
    arms = list(dict.fromkeys(table["arm"]))
    (fig,) = figures
    serum, *panels = fig.axes
    dosed = [f"{a}: odanacatib" for a in arms if a != "untreated"]
    assert [line.get_label() for line in serum.get_lines()] == dosed
    assert len(panels) == len(plots.REGIMEN_PANELS)
    for ax, (column, _) in zip(panels, plots.REGIMEN_PANELS, strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == arms
        for line, arm in zip(lines, arms, strict=True):
            np.testing.assert_allclose(line.get_ydata(), table.loc[table["arm"] == arm, column])
