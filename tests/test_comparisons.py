"""Comparison experiments (rankl_net.comparisons): what the reader of an experiment file refuses
and accepts, how each relation is checked against its margin or threshold, and the tables
run_comparison makes. Small synthetic inputs; the one simulation is a week of the bone model."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

import rankl_net
from rankl_net import comparisons
from rankl_net.errors import InputError

HEAD = ('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone"\nend = 1\nreadouts = ["ctx"]\n'
        'conditions = [{ label = "a", spec = "" }, { label = "b", spec = "ko:OPG" }]\n')


def _write(tmp_path, text: str):
    path = tmp_path / "e.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _expecting(tmp_path, expectation: str):
    """An experiment file of two conditions, a and b, with one expectation."""
    return _write(tmp_path, HEAD + f"expectations = [{{ {expectation} }}]\n")


# ------------------------------------------------------------------------------ the reader
@pytest.mark.parametrize(("expectation", "message"), [
    # within 0 % asks for equal values to the last digit
    ('readout = "ctx", condition = "b", reference = "a", relation = "within", margin = 0, '
     'percent_change = true',
     "relation 'within' takes a margin above 0 and below 10, a fraction of the reference (0.2 for 20 %); "
     "got 0; 0 asks for equal values to the last digit"),
    # an expectation on a condition the experiment does not have (not only its reference)
    ('readout = "ctx", condition = "wt", relation = "below", threshold = 0',
     "experiment x: expectation on unknown condition(s) ['wt']; its conditions are ['a', 'b']"),
    # "" is no condition's label: it was accepted, and failed only after the conditions ran
    ('readout = "ctx", condition = "", relation = "below", threshold = 0',
     "experiment x: expectation on unknown condition(s) ['']; its conditions are ['a', 'b']"),
    ('readout = "ctx", condition = "b", relation = "above"',
     "experiment x: relation 'above' needs a threshold"),
    # TOML writes nan and inf: a threshold of neither is a number to compare with
    ('readout = "ctx", condition = "b", relation = "above", threshold = nan',
     "experiment x: threshold must be a finite number, got nan"),
    ('readout = "ctx", condition = "b", relation = "below", threshold = -inf',
     "experiment x: threshold must be a finite number, got -inf"),
    ('readout = "ctx", condition = "b", reference = "a", relation = "lower", margin = 0.2, '
     'percent_change = "yes"', "experiment x: percent_change must be true or false, got 'yes'"),
    # TOML's true is no fraction (Python would take it for 1)
    ('readout = "ctx", condition = "b", reference = "a", relation = "lower", margin = true, '
     'percent_change = true', "margin must be a fraction (0.2 for 20 %), got True"),
])
def test_an_expectation_that_cannot_be_checked_as_written_is_refused(tmp_path, expectation, message):
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.read_comparisons(_expecting(tmp_path, expectation))


@pytest.mark.parametrize(("relation", "value"), [("lower", 0), ("higher", 0), ("lower", 0.99),
                                                 ("higher", 9.99), ("within", 9.99), ("within", 0.001)])
def test_a_margin_inside_its_relations_range_is_taken_as_written(tmp_path, relation, value):
    """margin = 0 with lower or higher asks for any decrease or increase (the message for a
    missing margin suggests it); the upper ends of the ranges exclude only 1 and 10."""
    path = _expecting(tmp_path, f'readout = "ctx", condition = "b", reference = "a", '
                                f'relation = "{relation}", margin = {value}, percent_change = true')
    (experiment,) = comparisons.read_comparisons(path)
    assert experiment.expectations[0].margin == value
    comparisons.check_comparison(experiment)


@pytest.mark.parametrize(("text", "message"), [
    (HEAD.replace('id = "x"\n', ""), "e.toml: experiment #1 lacks 'id'"),
    (HEAD + HEAD, "e.toml: experiment ids must be unique; 'x' is given twice"),
    (HEAD.replace('label = "b"', 'label = "a"'),
     "experiment x: condition labels must be unique; 'a' is given twice"),
    (HEAD.replace('label = "b"', "label = 5"), "experiment x, a condition: label must be a string, got 5"),
    (HEAD + 'tags = ["bone", 1]\n', "experiment x: tags must be a list of strings"),
])
def test_an_experiment_missing_an_id_or_repeating_a_name_is_refused(tmp_path, text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.read_comparisons(_write(tmp_path, text))


@pytest.mark.parametrize("exp_id", [".x", "-x", "_x", ".."])
def test_an_experiment_id_starts_with_a_letter_or_digit(tmp_path, exp_id):
    """An id names files: '..' and '.x' would write hidden files ('...csv', '.x.csv')."""
    with pytest.raises(InputError, match="names its output files"):
        comparisons.read_comparisons(_write(tmp_path, HEAD.replace('"x"', f'"{exp_id}"')))


def test_an_experiment_without_points_runs_the_default_number_of_the_dataclass(tmp_path):
    (experiment,) = comparisons.read_comparisons(_write(tmp_path, HEAD))
    default = comparisons.Comparison("x", "t", "bone", None, 1.0, ("ctx",), ()).points
    assert experiment.points == default == 101


@pytest.mark.parametrize(("change", "message"), [
    # a typing error in an expectation's readout (not among the readouts of the table)
    (('readouts = ["ctx"]', 'readouts = ["ctx"]\nexpectations = [{ readout = "osteoclastss", '
      'condition = "b", relation = "above", threshold = 0 }]'), "unknown readout 'osteoclastss'"),
    (('spec = "ko:OPG"', 'spec = "ko:NOPE"'), "experiment x: unknown node 'NOPE'"),
])
def test_what_a_run_would_trip_on_is_found_before_it_runs(tmp_path, change, message):
    (experiment,) = comparisons.read_comparisons(_write(tmp_path, HEAD.replace(*change)))
    with pytest.raises(InputError, match=re.escape(message)):
        comparisons.check_comparison(experiment)


def test_an_expectation_may_be_taken_at_the_start_of_the_run(tmp_path):
    path = _expecting(tmp_path, 'readout = "ctx", condition = "b", relation = "below", threshold = 1, at = 0')
    (experiment,) = comparisons.read_comparisons(path)
    comparisons.check_comparison(experiment)
    assert experiment.expectations[0].at == 0.0


# ----------------------------------------------------------------------- the checks, by hand
@pytest.mark.parametrize(("relation", "value", "holds"), [
    # a margin of 25 % of a reference of 100: the bound itself (75, 125) is met
    ("lower", 75.0, True), ("higher", 125.0, True), ("within", 75.0, True), ("within", 125.0, True),
    ("lower", 75.5, False), ("higher", 124.5, False), ("within", 125.5, False),
])
def test_a_value_on_the_bound_of_its_margin_meets_it(relation, value, holds):
    expect = comparisons.Expectation("x", "b", relation, reference="a", margin=0.25)
    assert comparisons.check(expect, value, 100.0)[0] is holds


@pytest.mark.parametrize(("relation", "margin", "value", "holds", "change"), [
    # a reference of -50 (a change from baseline compared as itself): 20 % of it is 10
    ("lower", 0.2, -61.0, True, -0.22), ("lower", 0.2, -59.0, False, -0.18),
    ("higher", 0.2, -39.0, True, 0.22), ("higher", 0.2, -41.0, False, 0.18),
    ("within", 0.1, -54.0, True, -0.08), ("within", 0.1, -56.0, False, -0.12),
])
def test_a_margin_of_a_negative_reference_is_a_fraction_of_its_size(relation, margin, value, holds, change):
    """Lower is more negative, higher less; the relative change is over the reference's size."""
    expect = comparisons.Expectation("ctx", "b", relation, reference="a", margin=margin, percent_change=False)
    ok, relative = comparisons.check(expect, value, -50.0)
    assert ok is holds
    assert relative == pytest.approx(change)


def test_a_reference_of_zero_gives_no_relative_change():
    expect = comparisons.Expectation("ctx", "b", "lower", reference="a", margin=0.0, percent_change=False)
    ok, change = comparisons.check(expect, -5.0, 0.0)
    assert ok and math.isnan(change)


def test_a_threshold_compares_the_value_as_it_is_even_for_a_percent_change():
    """percent_change turns a relative comparison into one of levels (100 + change); CTX +10 %
    is not above a threshold of 50 (its level, 110, would be)."""
    expect = comparisons.Expectation("ctx", "b", "above", threshold=50.0, percent_change=True)
    ok, change = comparisons.check(expect, 10.0, math.nan)
    assert not ok and math.isnan(change)


@pytest.mark.parametrize(("expect", "text"), [
    (comparisons.Expectation("ctx", "b", "lower", reference="a", margin=0.2, percent_change=True),
     "ctx level (100 % + change) at least 20 % lower than a"),
    (comparisons.Expectation("osteoclasts", "b", "higher", reference="a", margin=0.5),
     "osteoclasts at least 50 % higher than a"),
    (comparisons.Expectation("bone_volume", "b", "within", reference="a", margin=0.05),
     "bone_volume within 5 % of a"),
    (comparisons.Expectation("lesion_index", "b", "below", threshold=-0.2), "lesion_index below -0.2"),
])
def test_an_expectation_reads_in_words_with_its_margin_in_percent(expect, text):
    assert expect.text == text


# -------------------------------------------------------------------- results, synthetic
def _result(checks: pd.DataFrame | None = None) -> comparisons.ComparisonResult:
    """Two conditions at times 0, 1 and 2: untreated t, OPG-/- 10 + t."""
    conditions = (comparisons.Condition("untreated", ""), comparisons.Condition("OPG-/-", "ko:OPG"))
    experiment = comparisons.Comparison("x", "t", "bone", None, 2.0, ("osteoclasts",), conditions)
    rows = [{"experiment": "x", "condition": c.label, "spec": c.spec, "time": t, "readout": "osteoclasts",
             "value": 10 * k + t} for k, c in enumerate(conditions) for t in (0.0, 1.0, 2.0)]
    return comparisons.ComparisonResult(experiment, pd.DataFrame(rows),
                                        pd.DataFrame() if checks is None else checks)


def test_a_condition_is_found_by_its_label():
    experiment = _result().experiment
    assert experiment.condition("OPG-/-") == comparisons.Condition("OPG-/-", "ko:OPG")
    with pytest.raises(InputError, match=re.escape("experiment x: no condition 'OPG'")):
        experiment.condition("OPG")


def test_a_value_is_read_at_the_nearest_time_and_at_the_end_without_one():
    result = _result()
    assert result.value("OPG-/-", "osteoclasts") == 12.0
    assert result.value("OPG-/-", "osteoclasts", math.nan) == 12.0  # an expectation without `at`
    assert result.value("OPG-/-", "osteoclasts", 0.8) == 11.0
    assert result.value("untreated", "osteoclasts", 0.2) == 0.0
    with pytest.raises(InputError, match=re.escape("experiment x: no 'osteoclasts' for 'OPG'")):
        result.value("OPG", "osteoclasts")


@pytest.mark.parametrize(("passed", "expected"), [([], True), ([True, True], True), ([True, False], False),
                                                  ([False, False], False)])
def test_an_experiment_passes_when_every_expectation_holds(passed, expected):
    assert _result(pd.DataFrame({"passed": passed})).passed is expected


# ------------------------------------------------------------------ one run of the bone model
@pytest.fixture(scope="module")
def week_of_opg_knockout(tmp_path_factory):
    path = tmp_path_factory.mktemp("week") / "week.toml"
    path.write_text('[[experiments]]\nid = "week"\ntitle = "t"\nmodel = "bone"\ncontext = "mouse"\n'
                    'end = 7\npoints = 8\nreadouts = ["bone_volume"]\n'
                    'conditions = [{ label = "OPG tg", spec = "oe:OPG=10" },\n'
                    '              { label = "OPG-/-", spec = "ko:OPG" }]\n'
                    'expectations = [\n'
                    '  { readout = "osteoclasts", condition = "OPG-/-", reference = "OPG tg", '
                    'relation = "higher", margin = 0, at = 3, source = "S1" },\n'
                    '  { readout = "bone_volume", condition = "OPG-/-", relation = "below", threshold = 100, '
                    'source = "S2" },\n]\n', encoding="utf-8")
    (experiment,) = comparisons.read_comparisons(path)
    return comparisons.run_comparison(experiment)


def test_a_check_row_gives_the_values_compared_at_its_time(week_of_opg_knockout):
    """Each row's values are those of a plain simulation of its condition (and reference) at its
    time, with the relative change between them, the readout's unit and the source."""
    model = rankl_net.load_model("bone", "mouse")
    readouts = ["osteoclasts", "bone_volume"]
    tg = model.simulate("oe:OPG=10", end=7, points=8, readouts=readouts).set_index("time")
    ko = model.simulate("ko:OPG", end=7, points=8, readouts=readouts).set_index("time")
    units = ko.attrs["units"]
    checks = week_of_opg_knockout.checks
    first, second = checks.iloc[0], checks.iloc[1]
    value, reference = ko.loc[3.0, "osteoclasts"], tg.loc[3.0, "osteoclasts"]
    assert value > reference  # (the knockout raises osteoclasts within days, the transgene lowers them)
    # (both move after day 3: the values at the end are not those at 3)
    assert value != pytest.approx(ko.loc[7.0, "osteoclasts"])
    assert reference != pytest.approx(tg.loc[7.0, "osteoclasts"])
    assert (first["time"], first["value"], first["reference_value"]) == (3.0, pytest.approx(value),
                                                                          pytest.approx(reference))
    assert first["relative_change"] == pytest.approx(value / reference - 1.0)
    assert (first["unit"], first["source"], bool(first["passed"])) == (units["osteoclasts"], "S1", True)
    # a threshold: the value at the end, nothing to compare it with
    assert (second["time"], second["value"]) == (7.0, pytest.approx(ko.loc[7.0, "bone_volume"]))
    assert math.isnan(second["reference_value"]) and math.isnan(second["relative_change"])
    assert (second["unit"], second["source"]) == (units["bone_volume"], "S2")
    assert checks.attrs == {"units": {"time": units["time"]}}
    assert week_of_opg_knockout.passed
