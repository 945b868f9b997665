"""The analysis functions on numbers written out by hand (Hill curves with known parameters,
Bliss independence): fold changes and round-off at their limits, flat series, Hill fits at the
edges of their ranges and their notes, dose series in a table, combination matrices, and the
arguments each refuses."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from rankl_net.analysis import (
    FLAT_RESPONSE,
    IC50_REACH,
    PERCENT_CHANGE_FLOOR,
    combination_matrix,
    fit_hill,
    fit_summary,
    hill,
    hill_fits,
    is_flat,
    log2_fold_change,
    pairwise_epistasis,
    round_off_floor,
    round_off_sizes,
    round_off_to_zero,
    units_by_readout,
)
from rankl_net.errors import InputError


def test_a_dose_below_zero_is_read_as_no_dose_by_the_hill_curve():
    """hill(x) = 10 (1 - 0.5 x / (1 + x)) for x >= 0: at -1 it is the baseline, as at 0, not the
    pole of x / (1 + x)."""
    np.testing.assert_allclose(hill([-1.0, -0.5, 0.0, 1.0, 3.0], 10.0, 0.5, 1.0, 1.0),
                               [10.0, 10.0, 10.0, 7.5, 6.25])


def test_a_value_of_exactly_a_millionth_of_the_baseline_is_zero_for_a_fold_change():
    """"At most FLAT_RESPONSE of the larger": the limit itself counts as zero."""
    assert log2_fold_change(FLAT_RESPONSE * 1.0, 1.0) == -math.inf
    assert log2_fold_change(2 * FLAT_RESPONSE, 1.0) == pytest.approx(math.log2(2 * FLAT_RESPONSE))


def test_a_fold_change_against_a_scale_that_is_not_a_number_is_nan():
    """The readout's size in the model's baseline failed (NaN) or ran off (inf): no fold change
    can be judged against it, not even of values that would give one without a scale."""
    assert log2_fold_change(2.0, 8.0) == -2.0
    assert math.isnan(log2_fold_change(2.0, 8.0, scale=math.nan))
    assert math.isnan(log2_fold_change(2.0, 8.0, scale=math.inf))


def test_round_off_at_exactly_its_limit_shows_as_zero():
    """A value at most FLAT_RESPONSE of the column's size is set to 0, the limit included."""
    table = pd.DataFrame({"x": [FLAT_RESPONSE * 4.0, 2 * FLAT_RESPONSE * 4.0, 4.0]})
    assert round_off_to_zero(table, {"x": 4.0})["x"].tolist() == [0.0, 2 * FLAT_RESPONSE * 4.0, 4.0]


@pytest.mark.parametrize(("unit", "floor"), [
    # one molecule of 100 g/mol per litre: 100 / 6.02214076e23 g/L = 1.66e-22 g/L
    ("ug/mL", 1.6605e-19), ("\u00b5g/mL", 1.6605e-19), ("ng/mL", 1.6605e-16), ("g/L", 1.6605e-22),
    # one molecule per litre: 1.66e-24 M
    ("pM", 1.6605e-12), ("nM", 1.6605e-15),
    ("%", 1.0), ("% change", 1.0), ("dimensionless", 1.0), ("cells", 0.0), ("", 0.0), (None, 0.0),
])
def test_the_round_off_floor_of_a_unit_is_one_molecule_per_litre_or_one_percent(unit, floor):
    """A concentration's floor is one molecule per litre (of a 100 g/mol drug for a mass
    concentration), in its unit; a percent's or an index's is 1; other units have none."""
    assert round_off_floor(unit) == pytest.approx(floor, rel=1e-4, abs=0.0)


def test_round_off_sizes_are_each_readouts_largest_magnitude_or_its_floor_in_wide_and_long_tables():
    """The same readouts give the same sizes whether their values are columns or rows."""
    wide = pd.DataFrame({"time": [0.0, 1.0, 2.0], "drug": [0.0, -9e-35, 3e-35],
                         "ctx": [-2e-7, -50.0, 10.0], "cells": [1e-30, 2e-30, -4e-30]})
    units = {"drug": "ug/mL", "ctx": "% change", "cells": "count"}
    expected = {"drug": pytest.approx(1.6605e-19, rel=1e-4), "ctx": 50.0, "cells": 4e-30}
    assert round_off_sizes(wide, units) == expected
    long = wide.melt(id_vars="time", var_name="readout", value_name="value")
    assert round_off_sizes(long, units) == expected
    # a readout without a unit listed has no size; one listed but absent has none either
    assert round_off_sizes(wide, {"ctx": "% change", "absent": "pM"}) == {"ctx": 50.0}
    shown = round_off_to_zero(wide, round_off_sizes(wide, units))
    assert shown["drug"].tolist() == [0.0, 0.0, 0.0] and shown["cells"].tolist() == [1e-30, 2e-30, -4e-30]


@pytest.mark.parametrize("responses", [[], [np.nan, np.nan], [np.nan, 3.0, np.nan, 3.0]])
def test_a_series_without_two_finite_responses_that_differ_is_flat(responses):
    """A failed level says nothing of the others; a series with no finite response has nothing
    to read an IC50 from."""
    assert is_flat(responses) and is_flat(responses, fractional=False)


def test_a_change_that_is_round_off_at_its_reference_is_fitted_in_its_unit():
    """A percent change whose reference is round-off above zero (3e-7 % against a rise to 400 %)
    is a change: emax in percent, not a fraction of 3e-7."""
    x = np.concatenate([[0.0], np.logspace(-3, 1, 24)])
    rising = hill(x, 0.0, -400.0, 0.05, 1.7, fractional=False)
    fit = fit_hill(x, rising, reference=3e-7)
    assert fit["emax_scale"] == "absolute" and fit["emax"] == pytest.approx(-400.0, rel=1e-3)
    assert fit["ic50"] == pytest.approx(0.05, rel=1e-3)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"confidence": 1.5}, r"confidence is a fraction between 0 and 1 \(0.95 for 95 %\), got 1.5"),
    ({"confidence": 0.0}, "confidence is a fraction between 0 and 1"),
    ({"anchored": True}, "an anchored fit fixes the baseline at the reference: give reference"),
])
def test_a_hill_fit_refuses_arguments_it_cannot_use(kwargs, message):
    x = np.linspace(0.0, 1.0, 6)
    with pytest.raises(InputError, match=message):
        fit_hill(x, hill(x, 10.0, 0.5, 0.3, 1.0), **kwargs)


def test_units_by_readout_gives_each_readout_its_unit_in_order():
    """Two readouts may share a unit, and a CSV reads an empty unit back as missing: ""."""
    table = pd.DataFrame({"readout": ["a", "b", "a", "c", "d"], "unit": ["pM", "pM", "pM", np.nan, "%"]})
    assert units_by_readout(table) == {"a": "pM", "b": "pM", "c": "", "d": "%"}


def test_a_response_complete_from_the_lowest_dose_has_its_ic50_at_the_bottom_of_its_range():
    """A true IC50 of 1e-4 under doses from 1: the fit stops at the lowest dose / IC50_REACH
    (0.01), says so, and names the IC50 as a bound, not an estimate."""
    x = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 16.0])
    fit = fit_hill(x, hill(x, 10.0, 0.9, 1e-4, 1.0), reference=10.0, anchored=True)
    assert fit["ic50"] == pytest.approx(1.0 / IC50_REACH, rel=1e-2)
    assert fit["at_bound"] == "ic50" and fit["quality"] == "ambiguous"
    assert fit["note"].startswith("IC50 at the bottom of its range (the lowest dose above 0 / 100)")


def test_a_response_that_is_no_hill_curve_is_called_so_whatever_its_baseline():
    """A zigzag of 10 on a baseline of 1000: the misfit is measured against the response's range
    (10), not its size (1000)."""
    x = np.linspace(0.0, 1.0, 9)
    y = 1000.0 - 10.0 * np.array([0, 1, 0, 1, 0, 1, 0, 1, 0])
    fit = fit_hill(x, y, reference=1000.0, anchored=True)
    assert fit["quality"] == "ambiguous" and "the Hill curve misses the series by" in fit["note"]


def test_an_ic50_above_the_highest_dose_is_called_extrapolated():
    """A Hill curve with IC50 1.5 tested up to dose 1: the fit finds 1.5, beyond what was tested."""
    x = np.linspace(0.0, 1.0, 9)
    fit = fit_hill(x, hill(x, 10.0, 0.9, 1.5, 2.0), reference=10.0, anchored=True)
    assert fit["ic50"] == pytest.approx(1.5, rel=1e-3)
    assert (fit["quality"], fit["note"]) == ("ambiguous", "IC50 1.5 above the highest dose 1: extrapolated")


def test_the_maximal_effect_of_a_change_above_its_floor_stops_at_the_floor():
    """A percent change falling to -99 (from 0, its floor -100), with noise: the interval of its
    maximal effect stops at 100, the fall to the floor."""
    x = np.linspace(0.0, 1.0, 9)
    noise = np.array([0.0, 1.0, -1.0, 1.5, -1.5, 1.0, -1.0, 0.5, -0.5])
    y = np.maximum(hill(x, 0.0, 99.0, 0.2, 2.0, fractional=False) + noise, -99.9)
    fit = fit_hill(x, y, reference=0.0, anchored=True, change=True, floor=PERCENT_CHANGE_FLOOR)
    assert fit["emax_scale"] == "absolute" and fit["emax"] == pytest.approx(99.0, abs=2.0)
    assert fit["emax_lo"] < fit["emax"] < fit["emax_hi"] == 100.0


def test_a_change_whose_fall_to_its_floor_is_extrapolated_says_so_in_the_changes_terms():
    """A percent change falling in a straight line to -50 does not level off: the maximal effect
    stops at the fall to -100, and the note measures the series against the height above it."""
    x = np.linspace(0.0, 1.0, 9)
    fit = fit_hill(x, -50.0 * x, reference=0.0, anchored=True, change=True, floor=PERCENT_CHANGE_FLOOR)
    assert fit["at_bound"].split(",")[-1] == "emax" and fit["emax"] == pytest.approx(100.0, rel=1e-3)
    assert ("maximal effect at its limit (the response falling to -100), which the series does not approach "
            "(50 % of the baseline's height above -100 at its lowest): extrapolated") in fit["note"]


def test_a_hill_coefficient_at_the_bottom_of_its_range_is_a_bound():
    """A curve with Hill coefficient 0.05 (below HILL_RANGE): the fit stops at 0.1 and says so."""
    x = np.concatenate([[0.0], np.logspace(-3, 3, 13)])
    fit = fit_hill(x, hill(x, 10.0, 0.9, 1.0, 0.05), reference=10.0, anchored=True)
    assert fit["hill"] == pytest.approx(0.1, rel=1e-3) and "hill" in fit["at_bound"].split(",")
    assert "Hill coefficient at the edge of its range 0.1-20" in fit["note"]


def test_a_fit_summary_leaves_a_hill_coefficient_at_its_bound_empty_and_keeps_the_ic50():
    """A Hill coefficient at the edge of its range is the bound, not an estimate: empty in the
    summary; the IC50 and the maximal effect, found, are kept."""
    fits = pd.DataFrame([{"readout": "x", "ic50": 0.3, "ic50_lo": 0.2, "ic50_hi": 0.4, "hill": 20.0,
                          "emax": 0.9, "emax_scale": "fraction", "rms": 0.01, "quality": "ambiguous",
                          "at_bound": "hill"}])
    shown = fit_summary(fits)
    assert math.isnan(shown["hill"].iloc[0])
    assert shown[["ic50", "ic50_lo", "ic50_hi", "emax"]].iloc[0].tolist() == [0.3, 0.2, 0.4, 0.9]


def test_a_row_without_a_perturbation_is_no_second_dose_series():
    """A screen that ran the model as it is (the empty condition) beside a dose series: that row has
    no dose, and the table still holds one series."""
    levels = np.linspace(0.0, 1.0, 6)
    series = pd.DataFrame({"perturbation": [f"inh:P38={v:g}" for v in levels] + [""], "background": "",
                           "readout": "osteoclasts", "dose": [*levels, np.nan],
                           "value": [*hill(levels, 200.0, 0.9, 0.3, 1.7), 200.0], "baseline_value": 200.0})
    fits = hill_fits(series, anchored=True)
    assert fits["quality"].tolist() == ["ok"] and fits["ic50"].iloc[0] == pytest.approx(0.3, rel=1e-4)


def test_knockdowns_varied_together_without_doses_are_refused():
    """kd:A=x+kd:B=x at levels 1, 0.5, 0: a level of kd: is the fraction kept (1 is no knockdown),
    so a table of levels without a dose column is refused whether one part varies or two."""
    levels = [1.0, 0.5, 0.0]
    for spec in ("kd:A={v:g}", "kd:A={v:g}+kd:B={v:g}"):
        series = pd.DataFrame({"perturbation": [spec.format(v=v) for v in levels], "background": "",
                               "readout": "x", "level": levels, "value": [10.0, 6.0, 2.0],
                               "baseline_value": 10.0})
        with pytest.raises(InputError, match=re.escape("a level of kd: is not its dose")) as said:
            hill_fits(series)
        assert ("kd:A and kd:B vary together" in str(said.value)) == ("kd:B" in spec)


def test_the_direction_of_a_combination_is_read_from_the_single_agents_alone():
    """Agent a raises the readout (12, 13 from 10), b lowers it less (9, 9.5): their median is
    above the baseline, so effects count as rises. The value without either agent (10, the
    baseline) is no single agent's and does not vote."""
    values = {(0.0, 0.0): 10.0, (1.0, 0.0): 12.0, (2.0, 0.0): 13.0, (0.0, 1.0): 9.0, (0.0, 2.0): 9.5,
              (1.0, 1.0): 11.0}
    row = combination_matrix(values, 10.0).set_index(["level_a", "level_b"]).loc[(1.0, 1.0)]
    # rising: effects a = 0.2, b = -0.1, the pair 0.1; Bliss a + b + a b = 0.08
    assert row["effect"] == pytest.approx(0.1)
    assert row["bliss_excess"] == pytest.approx(0.1 - (0.2 - 0.1 + 0.2 * -0.1))
    assert row["hsa_excess"] == pytest.approx(0.1 - 0.2)


def test_a_fit_without_a_covariance_has_no_interval_and_says_so(monkeypatch):
    """Where least squares cannot give the parameters' covariance (scipy returns it as inf: a
    singular Jacobian), the estimates stand without an interval, and the fit is not called ok."""
    from scipy import optimize

    real = optimize.curve_fit

    def singular(*args, **kwargs):
        p, cov = real(*args, **kwargs)
        return p, np.full_like(cov, np.inf)

    monkeypatch.setattr(optimize, "curve_fit", singular)
    x = np.linspace(0.0, 1.0, 9)
    fit = fit_hill(x, hill(x, 10.0, 0.9, 0.3, 1.7), reference=10.0, anchored=True)
    assert fit["ic50"] == pytest.approx(0.3, rel=1e-4) and fit["hill"] == pytest.approx(1.7, rel=1e-4)
    assert all(math.isnan(fit[k]) for k in ("ic50_lo", "ic50_hi", "hill_lo", "hill_hi", "emax_lo", "emax_hi"))
    said = "no confidence interval: the parameters' covariance is singular"
    assert (fit["quality"], fit["note"]) == ("ambiguous", said)


def test_hill_fits_names_the_first_five_series_of_a_table_and_counts_the_others():
    levels = np.linspace(0.0, 1.0, 6)
    targets = ["A", "B", "C", "D", "E", "F", "G"]
    table = pd.DataFrame([{"perturbation": f"inh:{t}={v:g}", "background": "", "readout": "x", "dose": v,
                           "value": 1.0 - v / 2, "baseline_value": 1.0} for t in targets for v in levels])
    said = "this table holds 7: inh:A, inh:B, inh:C, inh:D, inh:E, ... (2 more). Select the rows"
    with pytest.raises(InputError, match=re.escape(said)):
        hill_fits(table)


def test_hill_fits_reads_a_string_of_changes_as_one_readouts_name():
    """changes="xy" names the readout xy, not x: x, a positive quantity, is fitted as a fraction."""
    levels = np.linspace(0.0, 1.0, 6)
    table = pd.DataFrame({"readout": "x", "dose": levels, "value": hill(levels, 200.0, 0.9, 0.3, 1.7),
                          "baseline_value": 200.0})
    fits = hill_fits(table, anchored=True, changes="xy")
    assert fits["emax_scale"].tolist() == ["fraction"]
    assert fits["emax"].iloc[0] == pytest.approx(0.9, rel=1e-4)
    assert hill_fits(table, anchored=True, changes="x")["emax_scale"].tolist() == ["absolute"]


def test_a_combination_keyed_by_a_switch_is_refused():
    """True is a number to Python, not a level: (True, 0) is refused, as ("a", 0) is."""
    for key in [(True, 0.0), ("a", 0.0), (1.0,)]:
        with pytest.raises(InputError, match=re.escape(f"a combination is keyed by its two levels, (level_a, "
                                                       f"level_b), two numbers, got {key!r}")):
            combination_matrix({key: 5.0, (0.0, 1.0): 5.0, (1.0, 1.0): 2.0}, 10.0)


def test_a_combination_whose_value_is_not_a_number_is_named():
    """Text that reads as a number ("5") is still not a readout's value."""
    values = {(1.0, 0.0): "5", (0.0, 1.0): 5.0, (1.0, 1.0): 2.0}
    said = "combination (1.0, 0.0): its value must be a number, got"
    with pytest.raises(InputError, match=re.escape(said)):
        combination_matrix(values, 10.0)


def test_a_table_without_the_columns_a_function_needs_is_named_with_what_it_lacks():
    table = pd.DataFrame({"perturbation": ["ko:A", "ko:B", "ko:A+ko:B"], "readout": "x",
                          "log2_fold_change": [-1.0, -1.0, -2.0]})
    with pytest.raises(InputError, match=re.escape("a screen table needs the columns perturbation, readout, "
                                                   "log2_fold_change, status; this one lacks status")):
        pairwise_epistasis(table)
