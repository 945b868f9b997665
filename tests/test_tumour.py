"""bone_tumour: equality with bone without tumour, presets, and the tumour and immunity
behaviours of BIOLOGY.md, each as a direction with a margin."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import rankl_net
from rankl_net import comparisons
from rankl_net.errors import InputError

SHARED = ["osteoclasts", "osteoblasts", "bone_volume", "ctx", "p1np", "rankl_free", "opg_free",
          "osteoclast_precursors", "nfatc1", "tgfb"]
TUMOUR_EXPERIMENTS = comparisons.read_comparisons()


@pytest.fixture(scope="module")
def tumour_mouse() -> rankl_net.Model:
    return rankl_net.load_model("bone_tumour", "mouse")


@pytest.fixture(scope="module")
def tumour_human() -> rankl_net.Model:
    return rankl_net.load_model("bone_tumour", "human")


def _final(model, *specs, end, readouts):
    return model.final(*specs, end=end, readouts=readouts)


# ------------------------------------------------------------------ no tumour: the bone model
@pytest.mark.parametrize("context", ["mouse", "human"])
def test_without_tumour_the_baseline_is_that_of_bone(context):
    bone = rankl_net.load_model("bone", context).engine
    tumour = rankl_net.load_model("bone_tumour", context).engine
    for sid in bone.species_ids:
        assert tumour.baseline[sid] == pytest.approx(bone.baseline[sid], rel=1e-7, abs=1e-12), sid
    # IGF-I is released by resorption at baseline; everything else the tumour and arthritis add is absent
    for sid in set(tumour.species_ids) - set(bone.species_ids) - {"igf"}:
        assert abs(tumour.baseline[sid]) < 1e-12, sid


@pytest.mark.parametrize("spec", ["", "ko:OPG", "ko:RANKL", "oe:RANKL=2", "ko:CTSK", "ko:NFKB1+ko:NFKB2",
                                  "inh:P38=0.9", "oe:OPG=10"])
def test_without_tumour_knockout_phenotypes_are_those_of_bone(bone_mouse, tumour_mouse, spec):
    specs = [spec] if spec else []
    a = bone_mouse.simulate(*specs, end=84, points=8, readouts=SHARED)
    b = tumour_mouse.simulate(*specs, end=84, points=8, readouts=SHARED)
    # the two models take different steps (bone_tumour has more states), so they agree to the
    # global error of the integration, which grows to a multiple of the local tolerances: a
    # hundred times the relative tolerance (1e-8) of each readout's largest value over the run
    # (ctx and p1np are changes from the baseline that cross zero), and a hundred times the
    # absolute tolerance near zero (1e-12 of the baseline value, as the engine sets it per
    # state, no less than 1e-12; OPG after its knockout is such a zero; for a percent change,
    # 1e-12 of the whole, 100 %, as exchange.cross_check measures it: at the baseline ctx and
    # p1np are round-off that the two models drift through differently)
    percent = {"ctx", "p1np"}
    scale = [1.0, *(100.0 if r in percent else max(abs(bone_mouse.engine.baseline[r]), 1.0) for r in SHARED)]
    atol = 100 * bone_mouse.engine.absolute_tolerance * np.array(scale)
    off = np.abs(b.to_numpy() - a.to_numpy()) > 1e-6 * np.abs(a.to_numpy()).max(axis=0) + atol
    assert not off.any(), f"bone {a.to_numpy()[off]} vs bone_tumour {b.to_numpy()[off]}"


def test_without_tumour_the_tumour_readouts_stay_at_zero(tumour_mouse):
    res = _final(tumour_mouse, "ko:OPG", end=84,
                 readouts=["tumour_burden", "tumour_apoptosis", "pthrp", "bmp2", "inflammation"])
    assert np.all(np.abs(res.to_numpy()) < 1e-9), res.to_dict()


# ----------------------------------------------------------------------------- presets
def test_every_tumour_type_has_a_preset_with_a_source(tumour_mouse):
    presets = rankl_net.get_model("bone_tumour").presets
    assert {"breast", "prostate", "myeloma", "osteosarcoma", "giant_cell_tumour"} <= set(presets)
    for p in presets.values():
        assert p.source and p.title
        assert p.values["tumour_cells"] > 0


def test_preset_is_applied_first_so_later_specs_override_it(tumour_mouse):
    spec = "set:tumour_rank_expression=0+preset:breast"
    r = _final(tumour_mouse, spec, end=28, readouts=["migration_index"])
    assert r["migration_index"] == pytest.approx(1.0)


def test_a_preset_is_named_in_any_case(tumour_mouse):
    from rankl_net.screens import run_screen

    readouts = ["tumour_burden"]
    given = tumour_mouse.final("preset:Breast", end=10, readouts=readouts)
    assert given.iloc[0] == tumour_mouse.final("preset:breast", end=10, readouts=readouts).iloc[0] > 0
    table = run_screen("bone_tumour", ["preset:MYELOMA+ko:OPG"], end=10, readouts=readouts, workers=1)
    assert table["perturbation"].tolist() == ["preset:myeloma+ko:OPG"]  # one spec and id, whatever the case


def test_unknown_preset_names_the_valid_ones(tumour_mouse, bone_mouse):
    with pytest.raises(InputError, match="Did you mean 'breast'"):
        tumour_mouse.final("preset:braest", end=1)
    with pytest.raises(InputError) as caught:  # said only "bone has no presets": which model has?
        bone_mouse.final("preset:breast", end=1)
    assert str(caught.value) == ("preset:breast: bone (mouse) has no presets; the models with presets: "
                                 "bone_tumour (breast, prostate, myeloma, osteosarcoma, giant_cell_tumour)")
    with pytest.raises(InputError, match="takes no value"):
        rankl_net.parse_spec("preset:breast=1")
    with pytest.raises(InputError, match="set .* to different values"):  # order would decide
        tumour_mouse.final("preset:breast+preset:prostate", end=1)


def test_cli_runs_a_preset_and_rejects_a_bad_one():
    cmd = [sys.executable, "-m", "rankl_net", "simulate", "bone_tumour", "-p", "preset:prostate",
           "--end", "28", "--points", "3", "--readouts", "tumour_burden,lesion_index"]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "time,tumour_burden,lesion_index"
    bad = subprocess.run(cmd[:6] + ["preset:lung"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: unknown preset 'lung'") and "Traceback" not in bad.stderr


# -------------------------------------------------------------------------- tumour behaviours
def test_denosumab_where_it_binds_no_rankl_says_so(tumour_mouse, tumour_human):
    """Denosumab in the mouse context (bone_tumour's default) equalled the untreated run without
    a word. The contexts it binds in are those where the catalog leaves denosumab_binds_rankl
    at the model's 1; a condition that sets it is taken as meant."""
    import warnings

    from rankl_net import DrugWithoutTargetWarning
    from rankl_net.catalog import get_model
    from rankl_net.perturbations import to_changes

    contexts = get_model("bone_tumour").contexts
    binding = [c for c, values in contexts.items() if values.get("denosumab_binds_rankl", 1.0) != 0]
    assert binding == ["human", "mouse_huRANKL"]
    with pytest.warns(DrugWithoutTargetWarning) as said:
        tumour_mouse.final("preset:breast", "drug:denosumab=1mg/kg/4wk", end=1, readouts=["ctx"])
    assert len(said) == 1 and said[0].filename == __file__  # the user's line, not the package's
    assert str(said[0].message) == (
        "drug:denosumab=1mg/kg/4wk: denosumab does not bind RANKL in context mouse of bone_tumour: it has no "
        "effect there (denosumab_binds_rankl is 0, models/catalog.toml); it binds in context human or "
        "mouse_huRANKL (--context; context = in an experiment file, context= in Python)")
    humanised = rankl_net.load_model("bone_tumour", "mouse_huRANKL")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in (tumour_human, humanised):
            to_changes("drug:denosumab=1mg/kg/4wk", model.engine)
        to_changes("drug:denosumab=1mg/kg/4wk+set:denosumab_binds_rankl=1", tumour_mouse.engine)
        to_changes("drug:denosumab=1mg/kg/4wk+set:denosumab_binds_rankl=1@1", tumour_mouse.engine)
        to_changes("drug:opg_fc=1mg/kg/1wk", tumour_mouse.engine)  # OPG-Fc binds mouse RANKL
        to_changes("drug:denosumab=1mg/kg/4wk", tumour_mouse.engine, warn=False)  # a screen's worker


def test_osteolytic_tumour_grows_faster_with_resorption_than_without(tumour_mouse):
    with_resorption = _final(tumour_mouse, "preset:breast", end=28, readouts=["tumour_burden", "bone_volume"])
    without = _final(tumour_mouse, "preset:breast+ko:RANK", end=28, readouts=["tumour_burden", "bone_volume"])
    assert with_resorption["bone_volume"] <= 90.0
    assert without["tumour_burden"] <= 0.5 * with_resorption["tumour_burden"]


def test_pthrp_drives_the_osteolysis(tumour_mouse):
    full = _final(tumour_mouse, "preset:breast", end=28, readouts=["osteolysis"])
    no_pthrp = _final(tumour_mouse, "preset:breast+ko:PTHLH", end=28, readouts=["osteolysis"])
    assert no_pthrp["osteolysis"] <= 0.5 * full["osteolysis"]


@pytest.mark.parametrize("secretion", [1e5, 1e6])
def test_pthrp_lowers_opg_synthesis_without_taking_free_opg_below_zero(tumour_human, secretion):
    """PTHrP's repression of OPG acts on the cells that make OPG (active osteoblasts and cells
    held at baseline): with an osteoblastic lesion (osteoblasts up tenfold) and 50 to 500 times
    the prostate preset's PTHrP, free OPG falls but stays positive (it went to -9 pM when the
    repression counted active osteoblasts alone)."""
    spec = f"preset:prostate+set:k_pthrp_secretion={secretion:g}"
    frame = tumour_human.simulate(spec, end=365, points=366, readouts=["opg_free", "osteoblasts"])
    assert frame["osteoblasts"].max() > 5 * frame["osteoblasts"].iloc[0]
    assert frame["opg_free"].min() > 0
    assert frame["opg_free"].iloc[-1] < 0.5 * frame["opg_free"].iloc[0]


def test_endothelin_drives_the_osteoblastic_lesion(tumour_mouse):
    r = ["lesion_index", "bone_volume"]
    full = _final(tumour_mouse, "preset:prostate", end=28, readouts=r)
    no_edn1 = _final(tumour_mouse, "preset:prostate+ko:EDN1", end=28, readouts=r)
    assert full["lesion_index"] >= 0.2 and full["bone_volume"] >= 105
    assert no_edn1["lesion_index"] < 0 < full["lesion_index"]


def test_rank_positive_cells_answer_rankl_directly_rank_negative_cells_do_not(tumour_mouse):
    """RANKL lowered to a tenth: migration falls only for RANK+ cells."""
    readouts = ["migration_index"]
    pos = _final(tumour_mouse, "preset:breast", end=28, readouts=readouts)["migration_index"]
    pos_low = _final(tumour_mouse, "preset:breast+kd:RANKL=0.1", end=28, readouts=readouts)["migration_index"]
    neg = _final(tumour_mouse, "preset:breast+set:tumour_rank_expression=0", end=28, readouts=readouts)
    neg_low = _final(tumour_mouse, "preset:breast+set:tumour_rank_expression=0+kd:RANKL=0.1", end=28,
                     readouts=readouts)
    assert pos_low <= 0.7 * pos
    assert neg_low["migration_index"] == pytest.approx(neg["migration_index"], rel=1e-9)


def test_rank_survival_is_an_osteoclast_independent_growth_advantage(tumour_mouse):
    """Without osteoclasts (ko:RANK of the precursors), RANK+ cells still outgrow RANK- cells."""
    pos = _final(tumour_mouse, "preset:breast+ko:RANK", end=28, readouts=["tumour_burden"])
    neg = _final(tumour_mouse, "preset:breast+ko:RANK+ko:TUMOUR_RANK", end=28, readouts=["tumour_burden"])
    assert pos["tumour_burden"] >= 1.1 * neg["tumour_burden"]


def test_rankl_raises_bmp2_in_rank_positive_osteosarcoma(tumour_mouse):
    r = ["bmp2", "lesion_index"]
    full = _final(tumour_mouse, "preset:osteosarcoma", end=28, readouts=r)
    rank_negative = _final(tumour_mouse, "preset:osteosarcoma+ko:TUMOUR_RANK", end=28, readouts=r)
    more_rankl = _final(tumour_mouse, "preset:osteosarcoma+oe:RANKL=2", end=28, readouts=r)
    assert rank_negative["bmp2"] <= 0.5 * full["bmp2"]
    assert more_rankl["bmp2"] >= 1.1 * full["bmp2"]


def test_free_opg_protects_tumour_cells_from_trail(tumour_mouse):
    """OPG binds TRAIL: with TRAIL supplied at a fixed rate (no tumour, so nothing else changes
    with it), more OPG lowers free TRAIL and the TRAIL-induced death rate of tumour cells. (At
    the measured 3 nM affinity, the pM endogenous OPG of a lesion binds little TRAIL; OPG-Fc at
    nM concentrations binds most of it, see the OPG-Fc experiment.)"""
    r = ["tumour_apoptosis", "trail", "opg_free"]
    trail = "set:trail_basal_production=20"
    normal = _final(tumour_mouse, trail, end=28, readouts=r)
    # fortyfold: the osteoblasts, and the part of OPG they make, fall as OPG removes osteoclasts
    more_opg = _final(tumour_mouse, trail + "+oe:OPG=40", end=28, readouts=r)
    assert more_opg["opg_free"] >= 10 * normal["opg_free"]
    assert more_opg["tumour_apoptosis"] <= 0.9 * normal["tumour_apoptosis"]


def test_trail_knockout_removes_tumour_apoptosis(tumour_mouse):
    r = _final(tumour_mouse, "preset:breast+ko:TRAIL", end=28, readouts=["tumour_apoptosis"])
    assert r["tumour_apoptosis"] == pytest.approx(0.0, abs=1e-9)


# ----------------------------------------------------------------------- experiments as data
@pytest.fixture(scope="module")
def experiment_results():
    import warnings

    from rankl_net import DrugWithoutTargetWarning

    with warnings.catch_warnings():  # denosumab_species doses denosumab in mice on purpose
        warnings.simplefilter("ignore", DrugWithoutTargetWarning)
        return {e.id: comparisons.run_comparison(e) for e in TUMOUR_EXPERIMENTS}


@pytest.mark.parametrize(
    ("exp_id", "index"),
    [(e.id, i) for e in TUMOUR_EXPERIMENTS for i in range(len(e.expectations))],
    ids=[f"{e.id}-{x.condition}-{x.readout}-{x.relation}"
         for e in TUMOUR_EXPERIMENTS for x in e.expectations],
)
def test_experiment_expectation_holds(experiment_results, exp_id, index):
    row = experiment_results[exp_id].checks.iloc[index]
    assert row["passed"], row.to_dict()


def test_every_expectation_has_a_source():
    for e in TUMOUR_EXPERIMENTS:
        assert e.source
        for x in e.expectations:
            assert x.source, (e.id, x)


def test_malformed_experiment_file_is_reported(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\nreadouts = ["ctx"]\n'
                   'conditions = [{ label = "a", spec = "" }]\n'
                   'expectations = [{ readout = "ctx", condition = "a", relation = "lower" }]\n')
    with pytest.raises(InputError, match="needs a reference"):
        comparisons.read_comparisons(bad)


@pytest.mark.parametrize(("typo", "message"), [
    ('contxt = "human"\n', "experiment x: unknown key 'contxt'. Did you mean 'context'?"),
    ('conditions = [{ label = "a", specs = "" }]\n', "a condition: unknown key 'specs'. Did you mean"),
    ('expectations = [{ readout = "ctx", condition = "a", relation = "below", threshold = 0, margn = 1 }]\n',
     "an expectation: unknown key 'margn'. Did you mean 'margin'?"),
    ('experiment = 1\n', "unknown key 'experiment'"),
    ('points = 2000000\n', "points must be from 2 to 1,000,000"),
    ('points = "many"\n', "points must be a whole number, got 'many'"),
    ('points = 10.5\n', "points must be a whole number, got 10.5"),
    ('end = "-2wk"\n', "end: '-2wk': a time cannot be negative"),
    ('expectations = [{ readout = "ctx", condition = "a", reference = "a", relation = "lower", '
     'margin = "10%" }]\n', "margin must be a fraction (0.2 for 20 %), got '10%'"),
    ('expectations = [{ readout = "ctx", condition = "a", relation = "below", threshold = "90" }]\n',
     "threshold must be a number, got '90'"),
    ('expectations = [{ readout = "ctx", condition = "a", reference = "wt", relation = "lower" }]\n',
     "unknown condition(s) ['wt']; its conditions are ['a', 'b']"),
    ('expectations = [{ readout = "ctx", condition = "a", relation = "below", threshold = 0, '
     'at = "2 fortnights" }]\n',
     "at: '2 fortnights' is neither a number (in the model's time unit) nor a time with a unit"),
    ('conditions = [{ label = "a", spec = 5 }]\n', "a condition: spec must be a string, got 5"),
    ('tags = "bone"\n', "tags must be a list of strings"),
    ('conditions = []\n', "experiment x: conditions is empty; give at least one"),
    ('readouts = ["osteoclasts"]\nexpectations = [{ readout = "osteoclasts", condition = "a", '
     'reference = "b", relation = "within", margin = 0.1, percent_change = true }]\n',
     "has percent_change = true, but osteoclasts is in pM, not a percent change"),
    ('expectations = [{ readout = "ctx", condition = "a", reference = "a", relation = "below", '
     'threshold = 0 }]\n', "relation 'below' compares with a threshold, not with the reference 'a'"),
    # an expectation that can never hold (or always does), or whose size was left out
    ('expectations = [{ readout = "ctx", condition = "b", reference = "b", relation = "lower", '
     'margin = 0.2 }]\n', "experiment x: an expectation on ctx compares 'b' with itself (reference = "
     "condition), which can never hold; give another condition as the reference"),
    ('expectations = [{ readout = "ctx", condition = "a", reference = "a", relation = "within", '
     'margin = 0.2 }]\n', "compares 'a' with itself (reference = condition), which always holds"),
    ('expectations = [{ readout = "ctx", condition = "b", reference = "a", relation = "lower" }]\n',
     "experiment x: relation 'lower' takes a margin from 0 up to, not including, 1, a fraction of the "
     "reference (0.2 for 20 %); none is given (margin = 0 accepts any decrease)"),
    ('expectations = [{ readout = "ctx", condition = "b", reference = "a", relation = "higher" }]\n',
     "relation 'higher' takes a margin from 0 up to, not including, 10, a fraction of the reference (0.2 "
     "for 20 %); none is given (margin = 0 accepts any increase)"),
    ('readouts = ["ctx", "p1np", "ctx"]\n', "experiment x: readouts lists 'ctx' more than once; name each "
     "readout once"),
    ('end = 1e300\n', "experiment x: end 1e+300 days is 2.74e+297 years, longer than the age of the universe "
     "(13.8 billion years); give a run that could be observed, such as 100 years (36525 days)"),
    ('expectations = [{ readout = "ctx", condition = "b", relation = "below", threshold = 0, at = 84 }]\n',
     "experiment x: an expectation on ctx is taken at 84 days, outside the run, 0-1 days"),
    ('expectations = [{ readout = "ctx", condition = "a", reference = "a", relation = "lower", '
     'threshold = 0 }]\n', "relation 'lower' compares with the reference condition, not with a threshold"),
    # against an untreated reference, a margin on CTX's change (about 0) asked for round-off
    ('expectations = [{ readout = "ctx", condition = "b", reference = "a", relation = "higher", '
     'margin = 0.2 }]\n', "experiment x: an expectation on ctx (higher than a) compares a percent change "
     "from baseline by a fraction of the reference's: say which it compares, percent_change = true"),
])
def test_a_misspelled_key_or_a_bad_value_in_an_experiment_file_is_refused(tmp_path, typo, message):
    # a key the reader does not know would otherwise leave its default in place, silently
    conditions = 'conditions = [{ label = "a", spec = "" }, { label = "b", spec = "ko:OPG" }]\n'
    text = ('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\nreadouts = ["ctx"]\n'
            + conditions)
    if typo.startswith("conditions"):
        text = text.replace(conditions, typo)
    elif typo.startswith("end ="):
        text = text.replace("end = 1\n", typo)
    elif typo.startswith("readouts ="):
        text = text.replace('readouts = ["ctx"]\n', "") + typo
    elif typo.startswith("experiment ="):
        text = typo + text
    else:
        text += typo
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        for experiment in comparisons.read_comparisons(bad):
            comparisons.check_comparison(experiment)  # what is checked before any experiment runs


# a valid experiment, each of whose lines a case below replaces
VALID_EXPERIMENT = {
    "id": 'id = "x"', "title": 'title = "t"', "model": 'model = "bone"', "end": 'end = "12wk"',
    "readouts": 'readouts = ["ctx"]', "conditions": 'conditions = [{ label = "a", spec = "" }]',
}


@pytest.mark.parametrize(("lines", "message"), [
    # a model or context of the wrong type was used before it was checked: a TypeError
    ({"model": 'model = ["bone"]'},
     "experiment x: model must be a string (text in quotes), got list ['bone']"),
    ({"model": "model = 5"}, "experiment x: model must be a string (text in quotes), got int 5"),
    ({"context": 'context = ["mouse"]'}, "experiment x: context must be a string such as \"mouse\""),
    ({"title": "title = 5"}, "experiment x: title must be a string (text in quotes), got int 5"),
    ({"source": 'source = ["Lacey 1998"]'}, "experiment x: source must be a string"),
    ({"note": "note = true"}, "experiment x: note must be a string (text in quotes), got bool True"),
    ({"conditions": "conditions = 5"}, "experiment x: conditions must be a list of tables"),
    ({"expectations": 'expectations = "ctx lower"'}, "experiment x: expectations must be a list of tables"),
    ({"conditions": 'conditions = [{ label = "OPG-/-" }]'},
     "experiment x, condition 'OPG-/-' lacks 'spec'; give its perturbations (spec = \"ko:OPG\"), or "
     "spec = \"\" for an untreated condition"),
    ({"conditions": 'conditions = [{ spec = "ko:OPG" }]'}, "experiment x, a condition lacks 'label'"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = ["a"], relation = "below", '
                      'threshold = 0 }]'}, "an expectation: condition must be a string"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", reference = "a", '
                      'relation = "less" }]'},
     "relation 'less' is not one of lower, higher, within, above, below (lower, higher and within"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", reference = "a", '
                      'relation = "lower", margin = 1.5 }]'},
     "relation 'lower' takes a margin from 0 up to, not including, 1, a fraction of the reference "
     "(0.2 for 20 %); got 1.5; 1 or more asks for a value at or below zero"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", reference = "a", '
                      'relation = "lower", margin = 1 }]'}, "got 1; 1 or more asks"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", reference = "a", '
                      'relation = "higher", margin = 10 }]'},
     "relation 'higher' takes a margin from 0 up to, not including, 10"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", reference = "a", '
                      'relation = "within" }]'},
     "relation 'within' takes a margin above 0 and below 10, a fraction of the reference (0.2 for 20 %); "
     "none is given"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", relation = "below", '
                      'threshold = 0, margin = 0.2 }]'}, "relation 'below' compares with the threshold, "
     "which takes no margin"),
    ({"expectations": 'expectations = [{ readout = "ctx", condition = "a", relation = "above", '
                      'threshold = 0, percent_change = true }]'},
     "percent_change = true applies to lower, higher and within"),
])
def test_every_value_of_an_experiment_is_checked_for_its_type_and_meaning(tmp_path, lines, message):
    text = "[[experiments]]\n" + "".join(f"{line}\n" for line in {**VALID_EXPERIMENT, **lines}.values())
    path = tmp_path / "bad.toml"
    path.write_text(text.replace('end = "12wk"', "end = 84") if "expectations" in lines else text)
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.read_comparisons(path)
    if "model" in lines:  # end = 84 was refused cleanly; "12wk" converted with the model first
        path.write_text(text.replace('end = "12wk"', "end = 84"))
        with pytest.raises(InputError, match=re.escape(message)):
            comparisons.read_comparisons(path)


@pytest.mark.parametrize(("model", "end", "at", "expected_end", "expected_at"), [
    ("bone", '"12wk"', '"2wk"', 84.0, 14.0),
    ("bone", '"12 weeks"', "14", 84.0, 14.0),
    ("bone", "28", '"1.5"', 28.0, 1.5),
    ("osteoclastogenesis", '"3d"', '"36h"', 72.0, 36.0),
])
def test_experiment_times_take_units_and_convert_to_the_model_unit(tmp_path, model, end, at, expected_end,
                                                                   expected_at):
    """The shipped regimen file writes `end = "6mo"`; an experiment file may too."""
    path = tmp_path / "times.toml"
    path.write_text(f'[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "{model}"\nend = {end}\n'
                    'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "" }]\n'
                    'expectations = [{ readout = "ctx", condition = "a", relation = "below", '
                    f'threshold = 0, at = {at} }}]\n')
    (experiment,) = comparisons.read_comparisons(path)
    assert (experiment.end, experiment.expectations[0].at) == (expected_end, expected_at)


@pytest.mark.parametrize(("content", "message"), [
    ('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\nreadouts = []\n'
     'conditions = [{ label = "a", spec = "" }]\n'
     'expectations = [{ readout = "ctx", condition = "a", relation = "below", threshold = 0 }]\n',
     "experiment x: readouts is empty; name at least one readout"),
    ('[experiments]\nid = "x"\n', "each experiment starts with [[experiments]] (two brackets"),
    ('[arm_test]\ntitle = "t"\nend = "1y"\n[arm_test.arms]\na = []\n', "is a file of drug regimens"),
])
def test_experiment_files_that_are_not_what_the_reader_takes_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.read_comparisons(path)


def test_the_python_readers_of_experiments_say_what_is_missing_or_wrong(tmp_path):
    """A path that is not a file, and a name where an experiment goes, are input errors."""
    from rankl_net import regimens

    for call, message in [
        (lambda: comparisons.read_comparisons(tmp_path / "nope.toml"), "experiment file "),
        (lambda: regimens.read_experiments(tmp_path / "nope.toml"), "regimen file "),
        (lambda: regimens.read_experiments(tmp_path), "a folder, not a file"),
        (lambda: comparisons.run_comparison("rank_status"), "run_comparison takes a Comparison "
         "(read_comparisons(path) returns them), got str 'rank_status'"),
        (lambda: regimens.run_experiment(5), "experiment must be a regimen experiment's name"),
        (lambda: regimens.run_experiment("rank_fc_vs_opg_fc", model="clinical"), "model must be a Model, "
         "such as rankl_net.load_model('clinical', context=\"human\"), got str 'clinical'"),
        (lambda: regimens.run_experiment("rank_fc_vs_opg_fc", model=rankl_net.load_model("bone")),
         "Model('bone', context='mouse') lacks denosumab_serum, opg_fc_serum"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)):
            call()
    with pytest.raises(InputError, match="nope.toml: no such file"):
        comparisons.read_comparisons(tmp_path / "nope.toml")


def test_experiment_files_are_read_as_utf8_with_or_without_a_byte_order_mark(tmp_path):
    text = ('[[experiments]]\nid = "x"\ntitle = "Müller 60 µg"\nmodel = "bone"\nend = 1\n'
            'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "" }]\n')
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert comparisons.read_comparisons(bom)[0].title == "Müller 60 µg"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        comparisons.read_comparisons(latin)


def test_a_whole_number_of_points_may_be_written_as_a_float(tmp_path):
    path = tmp_path / "points.toml"
    path.write_text('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\npoints = 11.0\n'
                    'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "" }]\n')
    (experiment,) = comparisons.read_comparisons(path)
    assert experiment.points == 11 and isinstance(experiment.points, int)
    comparisons.check_comparison(experiment)


@pytest.mark.parametrize("exp_id", ["../outside", "a/b", "", 7])
def test_an_experiment_id_must_name_files_inside_the_output_folder(tmp_path, exp_id):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[experiments]]\nid = {exp_id!r}\ntitle = "t"\nmodel = "bone"\nend = 1\n'
                   'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "" }]\n'.replace("'", '"'))
    with pytest.raises(InputError, match="names its output files"):
        comparisons.read_comparisons(bad)


def test_experiment_command_writes_table_plot_and_checks(tmp_path):
    cmd = [sys.executable, "-m", "rankl_net", "experiment", str(comparisons.TUMOUR_EXPERIMENTS), "--only"]
    out = subprocess.run(cmd + ["vicious_cycle", "--out", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("vicious_cycle.csv", "vicious_cycle_checks.csv", "vicious_cycle.png"):
        assert (tmp_path / name).stat().st_size > 0
    # without a tumour its readouts and CTX's change sit at zero: round-off prints as 0
    no_tumour = next(ln.split()[2:] for ln in out.stdout.splitlines() if ln.startswith("no tumour "))
    assert [no_tumour[i] for i in (0, 2, 4, 5)] == ["0"] * 4, out.stdout
    bad = subprocess.run(cmd + ["vicious"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Did you mean 'vicious_cycle'" in bad.stderr
    # a check at its own time (at = 21) says so: the table above it is at the end time
    gct = subprocess.run(cmd + ["giant_cell_tumour_denosumab", "--out", str(tmp_path)], capture_output=True,
                         text=True)
    assert gct.returncode == 0, gct.stdout + gct.stderr
    assert "readouts at 168 days:" in gct.stdout
    assert [ln for ln in gct.stdout.splitlines() if "denosumab_serum" in ln and " at 21 days: " in ln]


# ---------------------------------------------------------------------------------- immunity
def test_arthritis_erodes_bone_and_rankl_loss_stops_erosion_not_inflammation(tumour_human):
    r = ["erosion", "inflammation", "osteoclasts"]
    ra = _final(tumour_human, "set:inflammation_input=1", end=365, readouts=r)
    no_rankl = _final(tumour_human, "set:inflammation_input=1+ko:RANKL", end=365, readouts=r)
    assert ra["erosion"] >= 5.0 and ra["inflammation"] >= 90.0
    assert no_rankl["erosion"] <= 0.05 * ra["erosion"]
    assert abs(no_rankl["inflammation"] - ra["inflammation"]) <= 0.05 * ra["inflammation"]


def test_dose_times_on_the_output_grid_up_to_round_off(tumour_mouse):
    """Weekly doses over 28 days on a 101-point grid: 7.000000000000001 is the dose time 7."""
    frame = tumour_mouse.simulate("preset:breast+drug:opg_fc=3mg/kg/1wk", end=28, points=101,
                                  readouts=["osteoclasts"])
    assert len(frame) == 101
    np.testing.assert_allclose(frame["time"], np.linspace(0, 28, 101))


def test_a_percent_change_is_compared_as_the_level_it_stands_for():
    """A 90 % suppression of CTX from +150 %: the level falls from 250 % to at most 25 %; a margin
    on the change itself accepted anything below +15 %."""
    expect = comparisons.Expectation("ctx", "treated", "lower", reference="untreated", margin=0.9,
                                     percent_change=True)
    assert comparisons.check(expect, -76.0, 150.0)[0]
    assert not comparisons.check(expect, -70.0, 150.0)[0]
    assert comparisons.check(expect, -76.0, 150.0)[1] == pytest.approx(24.0 / 250.0 - 1.0)
    on_the_change = comparisons.Expectation("ctx", "treated", "lower", reference="untreated", margin=0.9)
    assert comparisons.check(on_the_change, 10.0, 150.0)[0]  # why the level is needed
    assert all(x.percent_change for e in comparisons.read_comparisons() for x in e.expectations
               if x.readout in ("ctx", "p1np", "untx") and x.relation in comparisons.RELATIVE)


def test_a_relative_expectation_on_a_percent_change_runs_once_it_says_what_it_compares(tmp_path):
    """percent_change = true or false, said, is accepted; the levels (100 + change) and the changes
    themselves give their own relative changes."""
    for said, expected in (("true", (100 + 5.0) / (100 + 0.0) - 1), ("false", (5.0 - 2.0) / 2.0)):
        path = tmp_path / f"{said}.toml"
        path.write_text('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\n'
                        'readouts = ["ctx"]\n'
                        'conditions = [{ label = "a", spec = "" }, { label = "b", spec = "ko:OPG" }]\n'
                        'expectations = [{ readout = "ctx", condition = "b", reference = "a", '
                        f'relation = "higher", margin = 0.2, percent_change = {said} }}]\n')
        (experiment,) = comparisons.read_comparisons(path)
        comparisons.check_comparison(experiment)
        reference = 0.0 if said == "true" else 2.0
        assert comparisons.check(experiment.expectations[0], 5.0, reference)[1] == pytest.approx(expected)


def test_an_experiment_too_short_for_its_regimen_says_so_in_a_note(tmp_path):
    """Every command turns the API's DosesAfterEndWarning into a note, not Python's warning line."""
    path = tmp_path / "short.toml"
    path.write_text('[[experiments]]\nid = "short"\ntitle = "t"\nmodel = "clinical"\nend = "1y"\n'
                    'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "drug:denosumab=60mg/6mo*4" }]\n'
                    'expectations = [{ readout = "ctx", condition = "a", relation = "below", '
                    'threshold = 0 }]\n')
    out = subprocess.run([sys.executable, "-m", "rankl_net", "experiment", str(path), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    said = "note: drug:denosumab=60mg/6mo*4: 2 of its 4 doses fall within the 365.25 days simulated"
    assert said in out.stderr
    assert "DosesAfterEndWarning" not in out.stderr and "Warning" not in out.stderr


@pytest.mark.parametrize(("relation", "margin", "threshold", "value", "holds"), [
    # against a reference of 100: lower / higher by at least the margin (20 %), within it
    ("lower", 0.2, math.nan, 79.0, True), ("lower", 0.2, math.nan, 81.0, False),
    ("lower", 0.0, math.nan, 100.0, False),  # equal is not lower, even with no margin
    ("higher", 0.2, math.nan, 121.0, True), ("higher", 0.2, math.nan, 119.0, False),
    ("higher", 0.0, math.nan, 100.0, False),
    ("within", 0.2, math.nan, 119.0, True), ("within", 0.2, math.nan, 81.0, True),
    ("within", 0.2, math.nan, 121.0, False), ("within", 0.2, math.nan, 79.0, False),
    # against a threshold (no reference)
    ("above", 0.0, 5.0, 5.1, True), ("above", 0.0, 5.0, 5.0, False),
    ("below", 0.0, 5.0, 4.9, True), ("below", 0.0, 5.0, 5.0, False),
])
def test_every_relation_holds_on_one_side_of_its_margin_only(relation, margin, threshold, value, holds):
    reference = "untreated" if relation in comparisons.RELATIVE else ""
    expect = comparisons.Expectation("x", "treated", relation, reference=reference, margin=margin,
                                     threshold=threshold)
    ok, change = comparisons.check(expect, value, 100.0)
    assert ok is holds
    if reference:
        assert change == pytest.approx(value / 100.0 - 1.0)


def test_an_expectation_taken_outside_the_run_is_refused_before_it_runs(tmp_path):
    """A check at a time after the end (or read in another unit) would compare the values at the
    end under its own time: check_comparison refuses it without simulating."""
    path = tmp_path / "late.toml"
    path.write_text('[[experiments]]\nid = "late"\ntitle = "t"\nmodel = "bone"\nend = "4wk"\n'
                    'readouts = ["ctx"]\nconditions = [{ label = "a", spec = "" }]\n'
                    'expectations = [{ readout = "ctx", condition = "a", relation = "below", threshold = 1, '
                    'at = "6wk" }]\n', encoding="utf-8")
    (experiment,) = comparisons.read_comparisons(path)
    message = "experiment late: an expectation on ctx is taken at 42 days, outside the run, 0-28 days"
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.check_comparison(experiment)
    path.write_text(path.read_text(encoding="utf-8").replace('end = "4wk"', 'end = "6wk"'), encoding="utf-8")
    comparisons.check_comparison(comparisons.read_comparisons(path)[0])  # at the end itself: taken


def test_the_final_table_lists_conditions_and_readouts_in_the_experiments_order():
    """Rows in the order the file lists the conditions (not sorted: 'untreated' first stays first),
    columns in the order of its readouts, values at the last time."""
    conditions = (comparisons.Condition("untreated", ""), comparisons.Condition("OPG-/-", "ko:OPG"))
    readouts = ("osteoclasts", "bone_volume")
    experiment = comparisons.Comparison("x", "t", "bone", None, 2.0, readouts, conditions)
    rows = [{"experiment": "x", "condition": c.label, "spec": c.spec, "time": t, "readout": r,
             "value": 10 * k + t + (0.5 if r == "bone_volume" else 0.0)}
            for k, c in enumerate(conditions) for t in (0.0, 1.0, 2.0) for r in experiment.readouts]
    result = comparisons.ComparisonResult(experiment, pd.DataFrame(rows), pd.DataFrame())
    table = comparisons.final_table(result)
    assert table.index.tolist() == ["untreated", "OPG-/-"]
    assert table.columns.tolist() == ["osteoclasts", "bone_volume"]
    assert table.to_numpy().tolist() == [[2.0, 2.5], [12.0, 12.5]]
