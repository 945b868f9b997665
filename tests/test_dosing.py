"""Dose, time and regimen parsing of rankl_net.dosing, and the specs regimens write."""

from __future__ import annotations

import math
import re

import pytest

from rankl_net.dosing import (
    DAYS_PER,
    Regimen,
    check_run_length,
    drugs,
    interval_below_studied,
    parse_dose,
    parse_duration,
    parse_regimen,
    parse_time,
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
