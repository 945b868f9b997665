"""Dose, time and regimen parsing of rankl_net.dosing, and the specs regimens write."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from rankl_net.dosing import (
    DAYS_PER,
    LONGEST_RUN_YEARS,
    SECONDS_PER_DAY,
    Drug,
    Regimen,
    check_run_length,
    dose_above_studied,
    drugs,
    interval_below_studied,
    parse_dose,
    parse_duration,
    parse_regimen,
    parse_time,
    read_number,
    resolve_drug,
    spec_number,
)
from rankl_net.errors import InputError


@pytest.mark.parametrize(("text", "days"), [
    ("2Y", 2 * 365.25),  # the docstring's example
    ("6MO", 365.25 / 2),
    ("4WK", 28.0),
    ("12H", 0.5),
])
def test_a_duration_reads_its_unit_in_any_case(text, days):
    assert parse_duration(text) == pytest.approx(days, rel=1e-15)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0),  # 30 x (1/86400 day) x 86400 is 29.999999999999996 before rounding
    ("90min", 5400.0),
    ("12wk", 84 * 86400.0),
    ("+2d", 2 * 86400.0),
])
def test_a_time_with_a_unit_is_read_in_seconds_rounded_to_what_was_written(text, seconds):
    """parse_time: a time with a unit is in seconds, rounded to twelve significant digits, with True."""
    assert parse_time(text) == (seconds, True)


@pytest.mark.parametrize("end", [math.inf, math.nan, -1.0, 0.0])
def test_an_end_that_is_not_a_positive_finite_number_is_left_to_the_end_time_checks(end):
    """check_run_length leaves such an end alone (its docstring): it is not 'longer than the age of
    the universe', and the end-time checks say what is wrong with it."""
    check_run_length(end, 1.0, "second")


@pytest.mark.parametrize("text", ["60ug", "60mcg", "60\u00b5g", "60\u03bcg", "60 \u039cG"])
def test_a_dose_in_micrograms_reads_with_either_micro_sign(text):
    """60 ug is 0.06 mg, written with the micro sign (U+00B5, a Mac's Option-M) or the Greek mu
    (U+03BC, which text copied from a label or a Greek keyboard gives, and to which Unicode
    normalises the micro sign): both look the same, and the Greek one was refused."""
    assert parse_dose(text) == (pytest.approx(0.06, rel=1e-15), False)


@pytest.mark.parametrize("text", ["0mg", "0 ug/kg", "0g"])
def test_a_dose_of_zero_is_refused(text):
    with pytest.raises(InputError, match=re.escape(f"dose {text!r}: must be a finite amount above zero")):
        parse_dose(text)


@pytest.mark.parametrize(("args", "spec"), [
    # the shortest duration that reads back exactly, in the largest unit it is a whole number of
    (("denosumab", 60.0, {"every": 365.25 / 2}), "drug:denosumab=60mg/6mo"),
    (("denosumab", 60.0, {"every": 365.25}), "drug:denosumab=60mg/1y"),
    (("zoledronate", 4.0, {"every": 28.0, "count": 12}), "drug:zoledronate=4mg/4wk*12"),
    (("odanacatib", 5.0, {"every": 1.0, "count": 3}), "drug:odanacatib=5mg/1d*3"),
    (("odanacatib", 5.0, {"every": 0.5}), "drug:odanacatib=5mg/12h"),
    (("opg_fc", 1.0, {"start": 10.0, "per_kg": True}), "drug:opg_fc=1mg/kg@10d"),
    # a start of 0 is the default: not written
    (("denosumab", 60.0, {"every": 365.25 / 2, "count": 4, "start": 0.0}), "drug:denosumab=60mg/6mo*4"),
    (("denosumab", 60.0, {}), "drug:denosumab=60mg"),
    # a single dose given a count of 1 keeps it ("drug:denosumab=60mg" would read back as count None)
    (("denosumab", 60.0, {"count": 1}), "drug:denosumab=60mg*1"),
])
def test_a_regimen_writes_the_spec_a_user_would(args, spec):
    drug, dose, kwargs = args
    regimen = Regimen(drug, dose, **kwargs)
    assert regimen.spec == spec
    assert parse_regimen(spec) == regimen


@pytest.mark.parametrize("days", [30.4375 + 1e-7, 7.0 - 1e-9, 1.0 + 1e-12, 1 / 24 + 1e-15, 365.25 * 2 + 1e-6])
def test_a_regimen_spec_reads_back_exactly_near_a_whole_number_of_a_unit(days):
    """A duration a hair from 1 month or 1 week is not written as that (it would read back as
    another regimen)."""
    regimen = Regimen("denosumab", 60.0, every=days, start=days)
    assert parse_regimen(regimen.spec) == regimen


@pytest.mark.parametrize(("kwargs", "said"), [
    ({"every": 1.0, "count": 0}, "the number of doses must be at least 1, got 0"),
    ({"start": math.inf}, "the start must be a finite time >= 0, got inf days"),
    ({"start": math.nan}, "the start must be a finite time >= 0, got nan days"),
])
def test_a_regimen_refuses_a_count_or_start_that_cannot_be_dosed(kwargs, said):
    with pytest.raises(InputError, match=re.escape(f"drug:denosumab: {said}")):
        Regimen("denosumab", 60.0, **kwargs)


def test_dosing_more_often_than_daily_is_noted_below_a_day_only():
    """interval_below_studied: an injected drug more often than once a day; a daily dose, or a
    single dose (count 1, no interval to speak of), is not noted. The interval is shown in hours
    from one hour, in minutes below it."""
    denosumab = drugs()["denosumab"]
    assert denosumab.route == "sc"
    assert interval_below_studied(denosumab, 1.0) == ""
    assert interval_below_studied(denosumab, 1 / 24, count=1) == ""
    assert interval_below_studied(denosumab, 1 / 24).startswith("a dose every 1 h is more often than once")
    assert interval_below_studied(denosumab, 1.25 / 24).startswith("a dose every 1.25 h is more often")
    assert interval_below_studied(denosumab, 0.5 / 24).startswith("a dose every 30 min is more often")
    assert interval_below_studied(denosumab, 30 / 86400).startswith("a dose every 30 s is more often")
    assert interval_below_studied(drugs()["odanacatib"], 0.5) == ""  # oral


def test_the_duration_units_are_those_the_module_docstring_names():
    """h, d, wk, mo (365.25/12 days) and y (365.25 days), with their long forms."""
    assert (DAYS_PER["h"], DAYS_PER["d"], DAYS_PER["wk"], DAYS_PER["mo"], DAYS_PER["y"]) == (
        1 / 24, 1.0, 7.0, 365.25 / 12, 365.25)
    assert DAYS_PER["hours"] == DAYS_PER["h"] and DAYS_PER["months"] == DAYS_PER["mo"]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"dose": True}, "dose"),
    ({"dose": 60.0, "every": True}, "every"),
    ({"dose": 60.0, "start": False}, "start"),
])
def test_a_regimen_refuses_true_or_false_for_a_number(kwargs, name):
    """A bool is a number to Python (True is 1 mg), not to a regimen."""
    with pytest.raises(InputError, match=re.escape(f"drug:denosumab: {name} is a number (mg for the dose")):
        Regimen("denosumab", **kwargs)


@pytest.mark.parametrize(("text", "days"), [
    ("2w", 14.0),  # w, as wk
    ("1yr", 365.25),  # yr, as y
    ("3600second", 1 / 24),  # an hour
    ("90 seconds", 90 / 86400),
    ("2 weeks", 14.0),
    ("30 minutes", 30 / 1440),
])
def test_a_duration_reads_the_other_forms_of_its_units(text, days):
    """The forms DAYS_PER takes besides those messages name (LONG_DURATION_UNITS)."""
    assert parse_duration(text) == pytest.approx(days, rel=1e-15)


@pytest.mark.parametrize(("text", "read"), [(" +2d ", (2 * 86400.0, True)), (" 84 ", (84.0, False))])
def test_a_time_is_read_around_spaces(text, read):
    assert parse_time(text) == read


def test_a_negative_time_with_a_unit_is_refused_as_negative_around_spaces():
    with pytest.raises(InputError, match="'-3d': a time cannot be negative"):
        parse_time(" -3d")


def test_a_time_with_a_unit_keeps_twelve_significant_digits():
    """1000001 s is 11.574085... days, which reads back to 1000001 s (not 1e6 s)."""
    assert parse_time("1000001s") == (1000001.0, True)


def test_a_run_as_long_as_the_age_of_the_universe_is_accepted_and_a_longer_one_refused():
    """The years are counted in years of 365.25 days: 13.8e9 of them is the limit itself."""
    check_run_length(LONGEST_RUN_YEARS * 365.25, SECONDS_PER_DAY, "day")
    with pytest.raises(InputError, match="longer than the age of the universe"):
        check_run_length(LONGEST_RUN_YEARS * 365.25 * 1.001, SECONDS_PER_DAY, "day")


def _drug(limit: float | None) -> Drug:
    return Drug(name="testmab", aliases=(), route="sc", dose_species="testmab_depot",
                molar_mass="testmab_molar_mass", description="", highest_dose_mg_per_kg=limit,
                highest_dose_source="Source 2001")


def test_a_dose_above_those_studied_is_told_per_kg_with_the_limit_in_three_digits():
    """100 mg to 80 kg is 1.25 mg/kg, ten times a limit of 0.125 mg/kg."""
    said = dose_above_studied(_drug(0.125), 100.0, 80.0)
    assert said.startswith("100 mg per dose is 1.25 mg/kg of the model's 80 kg body weight, 10 times the "
                           "highest single dose of testmab its sources report (0.125 mg/kg); ")
    assert said.endswith("Sources: Source 2001")
    assert dose_above_studied(_drug(0.125), 10.0, 80.0) == ""  # exactly the limit: not above it
    assert dose_above_studied(_drug(None), 1e6, 80.0) == ""  # no limit recorded


def test_a_dose_above_those_studied_is_written_in_full_up_to_1e15():
    """Digit grouping from 1,000 up to, not including, 1e15; above it, three digits and an exponent."""
    said = dose_above_studied(_drug(0.125), 1e13, 80.0)
    assert said.startswith("10,000,000,000,000 mg per dose is 125,000,000,000 mg/kg of the model's 80 kg "
                           "body weight, 1,000,000,000,000 times the highest")
    assert dose_above_studied(_drug(0.125), 1e15, 80.0).startswith("1e+15 mg per dose is ")


def test_an_injected_or_infused_drug_is_noted_when_dosed_more_often_than_daily():
    """Both routes of INJECTED_ROUTES: zoledronate is infused (iv), denosumab injected (sc)."""
    zoledronate = drugs()["zoledronate"]
    assert zoledronate.route == "iv"
    assert "every 12 h is more often than once a day, far more often than zoledronate (intravenous)" in (
        interval_below_studied(zoledronate, 0.5))


@pytest.mark.parametrize(("name", "drug"), [
    ("Zoledronic-Acid", "zoledronate"),  # '-' for the alias's space
    ("zoledronic_acid", "zoledronate"),
    ("O P G - F C", "opg_fc"),
    ("amg-162", "denosumab"),
])
def test_a_drug_name_reads_in_any_case_ignoring_dashes_underscores_and_spaces(name, drug):
    assert resolve_drug(name).name == drug
    assert Regimen(name, 1.0).drug == drug  # a regimen holds the canonical name


@pytest.mark.parametrize("name", [5, None, ["denosumab"]])
def test_a_drug_name_that_is_not_text_is_an_input_error(name):
    with pytest.raises(InputError, match="drug"):
        resolve_drug(name)


@pytest.mark.parametrize(("typed", "suggested"), [
    # as close to the drug's name as to an alias of it (OPG-Fc, RANK-Fc): the name is suggested
    ("opgf", "Did you mean 'opg_fc'?"),
    ("rankf", "Did you mean 'rank_fc'?"),
    # the start of zoledronate (3 letters short) and of zoledronic acid (6 short): the closer
    ("zoledron", "Did you mean 'zoledronate'?"),
])
def test_the_closest_drug_name_is_suggested_and_the_canonical_one_among_equals(typed, suggested):
    with pytest.raises(InputError) as caught:
        resolve_drug(typed)
    assert f"unknown drug {typed!r}. {suggested} Valid drug names" in str(caught.value)


@pytest.mark.parametrize("text", ["1e400mg", "1e400 ug/kg"])
def test_a_dose_too_large_for_a_float_is_refused(text):
    with pytest.raises(InputError, match=re.escape(f"dose {text!r}: must be a finite amount above zero")):
        parse_dose(text)


@pytest.mark.parametrize(("text", "value"), [("inf", math.inf), ("-INF", -math.inf), ("+6", 6.0),
                                             ("1e-3", 1e-3), (" .5 ", 0.5)])
def test_read_number_reads_ascii_numbers_and_infinity(text, value):
    assert read_number(text) == value
    assert math.isnan(read_number("nan"))


@pytest.mark.parametrize("text", ["1_000", "6x", "6mo", "\u0666", "1,000", ""])
def test_read_number_refuses_what_is_not_wholly_an_ascii_number(text):
    """float() reads '1_000' and Arabic-Indic digits; a spec does not."""
    with pytest.raises(ValueError, match="not a number"):
        read_number(text)


def test_a_spec_number_has_no_plus_sign_which_joins_perturbations():
    assert spec_number(1e20) == "1e20"
    assert spec_number(60.0) == "60"
    regimen = Regimen("denosumab", 1e20)
    assert regimen.spec == "drug:denosumab=1e20mg"
    assert parse_regimen(regimen.spec) == regimen


@pytest.mark.parametrize(("kwargs", "said"), [
    ({"dose": 0.0}, "the dose must be a finite number of mg above zero, got 0.0"),
    ({"dose": math.inf}, "the dose must be a finite number of mg above zero, got inf"),
    ({"dose": math.nan}, "the dose must be a finite number of mg above zero, got nan"),
    ({"dose": 60.0, "every": 0.0}, "the interval must be a finite time above zero, got 0.0 days"),
    ({"dose": 60.0, "every": math.inf}, "the interval must be a finite time above zero, got inf days"),
    ({"dose": 60.0, "every": math.nan}, "the interval must be a finite time above zero, got nan days"),
    ({"dose": 60.0, "start": -0.5}, "the start must be a finite time >= 0, got -0.5 days"),
    ({"dose": 60.0, "count": 2}, "2 doses need an interval (/EVERY)"),
    ({"dose": 60.0, "every": 28.0, "count": True}, "count is a whole number of doses, got True"),
])
def test_a_regimen_refuses_a_dose_interval_start_or_count_it_cannot_give(kwargs, said):
    with pytest.raises(InputError, match=re.escape(f"drug:denosumab: {said}")):
        Regimen("denosumab", **kwargs)


def test_a_regimen_holds_a_numpy_bool_per_kg_as_a_bool():
    regimen = Regimen("opg_fc", 1.0, per_kg=np.True_)
    assert regimen.per_kg is True
    assert regimen.spec == "drug:opg_fc=1mg/kg"


def test_a_regimen_part_given_twice_is_not_said_to_be_out_of_order():
    """'*2/6mo*3' gives *N twice: no order of its parts reads, so none is offered."""
    with pytest.raises(InputError) as caught:
        parse_regimen("drug:denosumab=60mg*2/6mo*3")
    assert "comes before" not in str(caught.value)


def test_a_dose_per_kg_in_capitals_is_kept_when_the_parts_are_put_in_order():
    with pytest.raises(InputError, match=re.escape(
            "the interval (/EVERY) comes before the start (@START): drug:opg_fc=1mg/KG/6mo@1mo ")):
        parse_regimen("drug:opg_fc=1mg/KG@1mo/6mo")


def test_dose_events_add_each_dose_to_its_species_at_its_time():
    """x = 5 with no reactions: 2 added at time 0 (in the first row) and 3 at time 2, given out of
    order: 7 from time 0, 10 from time 2."""
    import roadrunner

    from rankl_net.build import antimony_to_sbml
    from rankl_net.dosing import sbml_with_dose_events

    sbml = antimony_to_sbml("model t\n substanceOnly species x = 5\n J: -> x; 0\nend")
    rr = roadrunner.RoadRunner(sbml_with_dose_events(sbml, {2.0: [("x", 3.0)], 0.0: [("x", 2.0)]}))
    result = np.array(rr.simulate(0, 4, 5))
    assert result[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(result[:, 1], [7.0, 7.0, 10.0, 10.0, 10.0], rtol=1e-12)


@pytest.mark.parametrize("n", ["\u00b2", "\u0663", "2.0", "-2"])
def test_the_number_of_doses_is_written_in_ascii_digits(n):
    """A superscript two passed str.isdigit() and ended in int()'s ValueError; an Arabic-Indic
    three was read as 3 where every other number of a spec is ASCII (read_number)."""
    spec = f"drug:denosumab=60mg/6mo*{n}"
    said = f"{spec!r}: the number of doses after '*' must be a whole number"
    with pytest.raises(InputError, match=re.escape(said)):
        parse_regimen(spec)
    assert parse_regimen("drug:denosumab=60mg/6mo* 12 ").count == 12
