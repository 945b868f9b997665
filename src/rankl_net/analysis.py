"""Analysis of screen results: Hill fits, combination synergy, epistasis, global sensitivity."""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import InputError, check_bool, check_number, given, name_list, unknown_name


def hill(x: np.ndarray, baseline: float, emax: float, ic50: float, h: float, *,
         fractional: bool = True) -> np.ndarray:
    """Response to a dose ``x``: ``baseline * (1 - emax * x^h / (ic50^h + x^h))``, or with
    ``fractional=False`` ``baseline - emax * x^h / (ic50^h + x^h)``.

    ``emax`` is the maximal effect (positive: inhibition, negative: induction): a fraction of the
    baseline, or with ``fractional=False`` in the unit of the response (for responses that are
    changes from a reference, such as a percent change, whose baseline may be zero); ``ic50`` is
    in the unit of ``x``; ``h`` is the Hill coefficient.
    """
    x = np.asarray(x, float)
    xh = np.power(np.clip(x, 0, None) / ic50, h)
    occupancy = xh / (1.0 + xh)
    return baseline * (1.0 - emax * occupancy) if fractional else baseline - emax * occupancy


# the level of a perturbation that leaves its target as it is (ko: and set: have none): doses
# are measured from it (rankl_net.screens.dose_of), and in a combination matrix an agent at it is
# absent
NEUTRAL_LEVEL = {"inh": 0.0, "kd": 1.0, "oe": 1.0}
# four parameters (three when anchored) and at least one degree of freedom for the intervals
MIN_HILL_LEVELS = 5
# a response that moves by less than this fraction of its size is flat: below what the
# integrator resolves (relative tolerance 1e-8), so no IC50 can be read from it
FLAT_RESPONSE = 1e-6
# a fitted IC50 lies within this factor of the tested levels (without saturation the
# unbounded fit runs off to infinity)
IC50_REACH = 100.0
# the Hill coefficient's range in a fit
HILL_RANGE = (0.1, 20.0)
# an IC50 whose 95 % interval is wider than this (hi / lo) is not fixed by the series
AMBIGUOUS_IC50_SPAN = 100.0
# a fit whose RMS residual exceeds this fraction of the response's range does not describe it
POOR_FIT = 0.05
# a maximal effect that stopped at the response's limit (a fall to zero) is an estimate only
# where the series comes this close to it (a fraction of the baseline left at the lowest point)
APPROACHED_LIMIT = 0.1
# how far a percent change from baseline can fall: -100 %, its quantity at zero
PERCENT_CHANGE_FLOOR = -100.0


def check_table(table: object, columns: Sequence[str], what: str) -> None:
    """Refuse a ``table`` that is not a pandas DataFrame with ``columns`` with an
    :class:`InputError` saying ``what`` it should be ("a screen table"), the columns it needs and
    those it lacks, or what was given instead."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what} is a pandas DataFrame with the columns {', '.join(columns)}, got "
                         f"{given(table)}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{what} needs the columns {', '.join(columns)}; this one lacks "
                         f"{', '.join(missing)}")


def single_value(table: pd.DataFrame, column: str):
    """The one value ``column`` of ``table`` holds in every row that has one, as a Python value
    (a table's setting repeated in each row, such as its ``model`` or ``end``); None when the
    column is missing, empty or holds several values."""
    values = table[column].dropna().unique() if column in table.columns else []
    if len(values) != 1:
        return None
    return values[0].item() if isinstance(values[0], np.generic) else values[0]


def units_by_readout(table: pd.DataFrame) -> dict[str, str]:
    """The unit of each readout of a table in long form (its ``readout`` and ``unit`` columns),
    in the order the readouts first appear; "" for a readout without one (a CSV reads an empty
    unit back as missing)."""
    check_table(table, ["readout", "unit"], "a table with a unit per readout")
    first = table.drop_duplicates("readout")
    return {str(r): "" if pd.isna(u) else str(u)
            for r, u in zip(first["readout"], first["unit"], strict=True)}


def log2_fold_change(value: float, baseline: float, scale: float = 0.0, noise: float = 0.0) -> float:
    """log2(value / baseline) of a readout (any unit, the same for both). A value at most
    ``FLAT_RESPONSE`` of the larger of the two, or of ``scale`` (the readout's size in the
    model's own baseline, which a background may have taken to zero), or at most ``noise`` (an
    absolute size below which the readout is round-off, in its unit) counts as zero: the fold
    change would measure integration noise, such as osteoclasts at 1e-18 pM after a double
    knockout, or a drug not given at 1e-39 ug/mL. A value at zero against a baseline that is not
    gives -inf. NaN where a fold change has no meaning: a baseline at zero in that sense (a
    percent change, which sits at zero; a background that removed the readout; a drug's serum
    level before it is given), a negative value, or a value that is not a number."""
    if not (math.isfinite(value) and math.isfinite(baseline) and math.isfinite(scale)):
        return math.nan
    floor = max(FLAT_RESPONSE * max(abs(value), abs(baseline), abs(scale)), noise)
    if baseline <= floor:
        return math.nan
    if abs(value) <= floor:
        return -math.inf
    return math.log2(value / baseline) if value > 0 else math.nan


# the molar concentration of one molecule in a litre (1 / Avogadro's number, in M), in each molar
# unit: below it a concentration counts no molecule in any compartment of the models (a marrow
# space of a few mL at most), so its changes are integration round-off
ONE_MOLECULE_PER_LITRE_M = 1 / 6.02214076e23
MOLAR_UNITS = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "\u00b5M": 1e-6, "nM": 1e-9, "pM": 1e-12, "fM": 1e-15}
# a mass concentration counts one molecule in a litre of the lightest drug the models dose
# (pamidronate, 235 g/mol; the antibodies weigh about 147,000 g/mol) at about 100 g/mol in a litre:
# 1.66e-22 g/L, in each mass unit (g/L per unit)
LIGHTEST_DRUG_G_PER_MOL = 100.0
MASS_UNITS = {"g/L": 1.0, "mg/mL": 1.0, "mg/L": 1e-3, "ug/mL": 1e-3, "\u00b5g/mL": 1e-3,
              "ng/mL": 1e-6, "ug/L": 1e-6, "\u00b5g/L": 1e-6, "pg/mL": 1e-9, "ng/L": 1e-9}


def round_off_floor(unit: str | None) -> float:
    """The smallest size (in its unit) a readout's values are measured against to tell a trend
    from integration round-off: 1 for a percent (``%``, ``% change``, ``%/day``) or a
    dimensionless index, whose values may sit at 0 (CTX at baseline, a tumour not seeded, the
    lesion index of a bone without one), so that a millionth of a percent, or of 1, is
    round-off; one molecule per litre for a molar concentration (1.66e-12 pM: a concentration of
    1e-7 pM may be real, one of 1e-28 pM, BMP-2 of a lesion without osteoblastic tumour, is 0);
    one molecule of 100 g/mol per litre for a mass concentration (1.66e-19 ug/mL: a drug's serum
    level at -9e-35 ug/mL, dosed after the run's end, is 0); 0 for other units, whose values are
    measured against their own size only."""
    if unit in MOLAR_UNITS:
        return ONE_MOLECULE_PER_LITRE_M / MOLAR_UNITS[unit]
    if unit in MASS_UNITS:
        return ONE_MOLECULE_PER_LITRE_M * LIGHTEST_DRUG_G_PER_MOL / MASS_UNITS[unit]
    return 1.0 if unit and (unit.startswith("%") or unit == "dimensionless") else 0.0


def round_off_sizes(table: pd.DataFrame, units: Mapping[str, str | None]) -> dict[str, float]:
    """The size each readout's round-off is judged against (:func:`round_off_to_zero`): its
    largest magnitude in ``table``, or its unit's floor (:func:`round_off_floor`) where that is
    larger. ``units`` maps each readout to its unit; ``table`` holds the readouts as columns
    (wide), or in long form (``readout`` and ``value`` columns)."""
    if {"readout", "value"} <= set(table.columns):
        largest = table["value"].abs().groupby(table["readout"]).max().to_dict()
    else:
        largest = {c: float(table[c].abs().max()) for c in units if c in table.columns}
    return {r: max(float(largest[r]), round_off_floor(unit)) for r, unit in units.items() if r in largest}


def round_off_to_zero(table: pd.DataFrame, sizes: Mapping[str, float],
                      changes: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``table`` for display, in which each column named in ``sizes`` has the values
    of at most ``FLAT_RESPONSE`` of its size there (the column's largest magnitude over a run,
    in its unit) set to 0: integration round-off, such as a drug at 1e-38 ug/mL before it is
    given or CTX at -1e-7 % without a drug. The size of a column of ``changes`` (changes from a
    reference, such as a percent change from baseline, which may be round-off throughout) is at
    least 1 in its unit, as in :func:`is_flat`. Other columns are left as they are."""
    shown = table.copy()
    changes = set(changes)
    for column, size in sizes.items():
        size = max(abs(size), 1.0) if column in changes else abs(size)
        values = shown[column].to_numpy(float)
        shown[column] = np.where(np.abs(values) <= FLAT_RESPONSE * size, 0.0, values)
    return shown


def is_flat(responses: Sequence[float], fractional: bool = True, floor: float = 0.0) -> bool:
    """Whether ``responses`` move by at most ``FLAT_RESPONSE`` of their size (or of ``floor``,
    where that is larger): integration noise, from which no IC50 can be read. The size of a
    change from a reference (``fractional=False``, which may sit at zero) is at least 1 in its
    unit: one part in a million of a percent change is noise."""
    check_bool("is_flat", "fractional", fractional)
    y = np.asarray(responses, float).ravel()
    y = y[np.isfinite(y)]  # a failed level says nothing of the others
    size = max(float(np.abs(y).max(initial=0.0)), floor if fractional else max(floor, 1.0))
    return bool(np.ptp(y) <= FLAT_RESPONSE * size) if len(y) else True


# the numbers of a Hill fit, in the order :func:`fit_hill` gives them, and the columns of a
# table of :func:`hill_fits`
HILL_NUMBERS = ("baseline", "emax", "ic50", "hill", "baseline_lo", "baseline_hi", "emax_lo", "emax_hi",
                "ic50_lo", "ic50_hi", "hill_lo", "hill_hi", "rms")
HILL_COLUMNS = ["readout", *HILL_NUMBERS, "emax_scale", "quality", "note", "at_bound"]


def fit_hill(
    levels: Sequence[float], responses: Sequence[float], confidence: float = 0.95,
    reference: float | None = None, anchored: bool = False, change: bool | None = None,
    floor: float | None = None, *, _moments: bool = False,
) -> dict[str, float]:
    """Least-squares Hill fit with confidence intervals from the parameter covariance.

    ``levels`` are doses, 0 (no dose) or more (a series with doses below 0 has no fit), and
    ``responses`` the readout at each (numbers in order, of the same length; NaN where a level
    failed). With ``anchored`` True (dose 0 leaves the
    model as it is: inhibition, knockdown, overexpression), the baseline is not fitted but fixed
    at ``reference``, the readout without the perturbation, which is known exactly; then three
    parameters are fitted and the baseline's interval is the reference itself.

    Returns baseline, emax, ic50 (same unit as ``levels``), hill, their lower/upper bounds
    (``*_lo``/``*_hi``; IC50 and Hill bounds on the log scale; emax's upper one at most 1 for a
    fraction), the residual RMS and
    ``emax_scale``: "fraction" for a readout that is a positive quantity (emax a fraction of
    the baseline, at most 1: the response cannot fall below zero), "absolute" for a change from
    a reference, such as a percent change, which is zero without the perturbation (emax in the
    unit of the response; see :func:`hill`). ``reference``, the readout without the perturbation
    (a screen's ``baseline_value``), decides which: positive, "fraction"; otherwise (about zero
    or below), "absolute". Without it, "fraction" when every response is positive. ``change``
    (None: as the reference says) says it outright: True for a readout that is a change from a
    reference whatever its value without this perturbation (a percent change on top of a drug is
    not 0 there), False for a positive quantity. The numbers are NaN when the data cannot fix the
    parameters: fewer than ``MIN_HILL_LEVELS`` distinct doses or a flat response (one that moves
    by at most ``FLAT_RESPONSE`` of its size).

    ``quality`` says how far to trust the numbers: "ok"; "ambiguous" when the series does not
    fix them: the IC50 at the edge of its range (``IC50_REACH`` times beyond the tested levels,
    which is what a series that does not saturate within them gives) or extrapolated beyond the
    tested levels, the Hill coefficient at the edge of ``HILL_RANGE``, an RMS residual over
    ``POOR_FIT`` of the response's range (the response is not a Hill curve of the dose), an
    IC50 interval wider than ``AMBIGUOUS_IC50_SPAN``-fold, no interval at all (a singular
    covariance), a rising response whose maximal effect stopped at its floor (a rise to 101
    times the baseline), or a maximal effect that stopped at the response's fall to zero where
    the series keeps more than ``APPROACHED_LIMIT`` of its baseline; "none" when there is no
    fit. ``note`` says why, in words ("" for "ok"); ``at_bound`` names the parameters that
    stopped at the edge of their range ("ic50", "hill", "emax", comma-separated, or ""): their
    values are bounds, not estimates (see :func:`fit_summary`).

    ``floor``: for a change (``change`` True), the lowest value it can take
    (``PERCENT_CHANGE_FLOOR``, -100, for a percent change from baseline: its quantity at zero).
    The quantity above the floor is then fitted as a positive quantity, which bounds the maximal
    effect at the floor, and the numbers are given back as those of the change ("absolute":
    emax in the change's unit).
    """
    try:
        x, y = np.asarray(levels, float), np.asarray(responses, float)
    except (TypeError, ValueError):
        raise InputError(f"levels and responses must be two series of numbers, got {given(levels)} and "
                         f"{given(responses)}") from None
    if floor is not None:
        return _fit_above_floor(x, y, confidence, reference, anchored, change, floor)
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(f"levels and responses must be two series of the same length, got {x.shape} and "
                         f"{y.shape}")
    check_number("fit_hill", "confidence", confidence)
    if reference is not None:
        check_number("fit_hill", "reference", reference)
    check_bool("fit_hill", "anchored", anchored)
    if change is not None:
        check_bool("fit_hill", "change (or None)", change)
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence is a fraction between 0 and 1 (0.95 for 95 %), got {confidence!r}")
    if anchored and reference is None:  # (a NaN reference, a failed one, fits the baseline)
        raise InputError("an anchored fit fixes the baseline at the reference: give reference, the readout "
                         "without the perturbation")
    ok = np.isfinite(x) & np.isfinite(y)
    tested = len(np.unique(x[np.isfinite(x)]))
    x, y = x[ok], y[ok]
    if change is not None:
        fractional = not change
    elif reference is not None and np.isfinite(reference):
        # a change from a reference sits at zero without the perturbation (up to integration noise)
        fractional = reference > FLAT_RESPONSE * max(np.abs(y).max(initial=0.0), abs(reference))
    else:
        fractional = bool(len(y)) and bool(np.all(y > 0))
    scale = "fraction" if fractional else "absolute"

    def no_fit(why: str) -> dict:
        return {**dict.fromkeys(HILL_NUMBERS, math.nan), "emax_scale": scale, "quality": "none", "note": why,
                "at_bound": ""}

    below = x[x < 0]  # a dose is measured from no dose (0); the Hill curve has none below it
    if len(below):  # (a set: series may go below 0: its table stands, without a fit)
        return no_fit(f"{len(below)} doses below 0 (down to {below.min():g}); a Hill curve starts at dose 0 "
                      "(no dose)")
    distinct = len(np.unique(x))
    if distinct < MIN_HILL_LEVELS:
        failed = f" with a finite response (of {tested})" if distinct < tested else ""
        return no_fit(f"{distinct} distinct doses{failed}; a Hill fit needs at least {MIN_HILL_LEVELS}")
    if is_flat(y, fractional):
        return no_fit(f"flat response: it moves by at most {FLAT_RESPONSE:g} of its size")
    y0 = float(y[np.argmin(x)])
    positive = x[x > 0]  # (doses are 0 or more, and at least MIN_HILL_LEVELS differ)
    span = y[np.argmax(x)] - y0

    def model(xx, b, e, log_ic50, log_h):
        return hill(xx, b, e, math.exp(log_ic50), math.exp(log_h), fractional=fractional)

    # the IC50 within IC50_REACH of the tested levels; a positive response cannot fall below
    # zero (emax <= 1)
    lo_ic, hi_ic = math.log(positive.min() / IC50_REACH), math.log(positive.max() * IC50_REACH)
    if fractional:
        emax_bounds, emax0 = (-100.0, 1.0), float(np.clip(-span / y0, -99, 0.99))
    else:
        emax_bounds, emax0 = (-np.inf, np.inf), float(-span)
    lower = [-np.inf, emax_bounds[0], lo_ic, math.log(HILL_RANGE[0])]
    upper = [np.inf, emax_bounds[1], hi_ic, math.log(HILL_RANGE[1])]
    guess = [y0, emax0, float(np.log(np.median(positive))), 0.0]
    fixed = anchored and reference is not None and bool(np.isfinite(reference))
    # imported here: scipy's import is a large share of a screen's start-up, and tens of MB
    # that every forked screen worker would carry without needing them
    from scipy import optimize, stats

    try:
        if fixed:  # the baseline is the reference: three parameters, their covariance padded
            def model3(xx, e, log_ic50, log_h):
                return model(xx, reference, e, log_ic50, log_h)

            p3, cov3 = optimize.curve_fit(model3, x, y, p0=guess[1:], bounds=(lower[1:], upper[1:]),
                                          maxfev=20000)
            p, cov = np.concatenate([[float(reference)], p3]), np.zeros((4, 4))
            cov[1:, 1:] = cov3
        else:
            p, cov = optimize.curve_fit(model, x, y, p0=guess, bounds=(lower, upper), maxfev=20000)
    except (RuntimeError, ValueError) as exc:
        return no_fit(f"the least-squares fit failed: {exc}")
    dof = max(1, len(x) - (3 if fixed else 4))
    t = stats.t.ppf(0.5 + confidence / 2, dof)
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(4, math.nan)
    rms = float(np.sqrt(np.mean((model(x, *p) - y) ** 2)))

    def exp(v: float) -> float:  # (NaN stays NaN: an interval without a covariance is none, not inf)
        return math.exp(v) if v < 700 else math.inf if v >= 700 else math.nan

    fit = {
        "baseline": p[0], "emax": p[1], "ic50": exp(p[2]), "hill": exp(p[3]),
        "baseline_lo": p[0] - t * se[0], "baseline_hi": p[0] + t * se[0],
        # a fraction's interval stops at 1, a response fallen to zero, as its estimate does (the
        # lower bound only keeps the fit finite: no limit of the interval)
        "emax_lo": p[1] - t * se[1], "emax_hi": min(p[1] + t * se[1], emax_bounds[1]),
        "ic50_lo": exp(p[2] - t * se[2]), "ic50_hi": exp(p[2] + t * se[2]),
        "hill_lo": exp(p[3] - t * se[3]), "hill_hi": exp(p[3] + t * se[3]),
        "rms": rms, "emax_scale": scale,
    }
    why, at_bound = _ambiguity(p[2], p[3], (positive.min(), positive.max()), 2 * t * se[2],
                               rms / float(np.ptp(y)))
    # emax's upper bound (1: the response falls to zero) is a physical limit that a fit may
    # reach, where the series comes near it; its lower bound (a rise to 101 times the baseline)
    # only keeps the fit finite. (0.1 % of the bound: an optimiser stops short of it)
    if fractional and p[1] <= emax_bounds[0] + 1e-3 * abs(emax_bounds[0]):
        rise = f"a rise to {1 - emax_bounds[0]:g} {_TIMES_BASELINE}"
        why = "; ".join(filter(None, [why, f"maximal effect at the edge of its range ({rise}): "
                                           "the series does not saturate within the tested doses"]))
        at_bound = ",".join(filter(None, [at_bound, "emax"]))
    elif fractional and p[1] >= emax_bounds[1] - 1e-3 and y.min() > APPROACHED_LIMIT * p[0]:
        why = "; ".join(filter(None, [why, f"maximal effect at its limit ({_FALL_TO_ZERO}), which the series "
                                           f"does not approach ({100 * y.min() / p[0]:.0f} {_OF_BASELINE} at "
                                           "its lowest): extrapolated"]))
        at_bound = ",".join(filter(None, [at_bound, "emax"]))
    moments = {"_moments": (t, cov[0, 0], cov[1, 1], cov[0, 1])} if _moments else {}
    return {**fit, "quality": "ambiguous" if why else "ok", "note": why, "at_bound": at_bound, **moments}


# how a note names the limit of a falling response, and what is left of it
_FALL_TO_ZERO = "the response falling to zero"
_OF_BASELINE = "% of the baseline"
_TIMES_BASELINE = "times the baseline"


def _fit_above_floor(x: np.ndarray, y: np.ndarray, confidence, reference, anchored, change,
                     floor) -> dict:
    """:func:`fit_hill` of a change (doses ``x``, responses ``y``, as numbers) that cannot fall
    below ``floor``: its height above the floor fitted as a positive quantity, the numbers given
    back as the change's."""
    check_number("fit_hill", "floor", floor)
    if change is not True:
        raise InputError("floor is the lowest value of a change (change=True), such as -100 for a percent "
                         f"change; got change={change!r}")
    if reference is not None:
        check_number("fit_hill", "reference", reference)
    fit = fit_hill(x, y - floor, confidence, None if reference is None else reference - floor, anchored,
                   change=False, _moments=True)
    moments = fit.pop("_moments", None)
    # emax is a fraction of the height above the floor: in the change's unit, times that height;
    # its interval by the delta method, from the fitted height's variance and covariance with the
    # fraction (none when the height is the reference), capped at the fall to the floor
    height, fraction = fit["baseline"], fit["emax"]
    fit["emax"] = fraction * height
    if moments is not None:
        t, var_height, var_fraction, covariance = moments
        variance = height**2 * var_fraction + fraction**2 * var_height + 2 * fraction * height * covariance
        se = math.sqrt(max(0.0, variance)) if math.isfinite(variance) else math.nan
        fit["emax_lo"], fit["emax_hi"] = fit["emax"] - t * se, min(fit["emax"] + t * se, height)
    for k in ("baseline", "baseline_lo", "baseline_hi"):
        fit[k] += floor
    note = (fit["note"].replace(_FALL_TO_ZERO, f"the response falling to {floor:g}")
            .replace(_OF_BASELINE, f"% of the baseline's height above {floor:g}")
            .replace(_TIMES_BASELINE, f"times the baseline's height above {floor:g}"))
    return {**fit, "emax_scale": "absolute", "note": note}


def _ambiguity(log_ic50: float, log_hill: float, tested: tuple[float, float],
               log_ic50_span: float, misfit: float) -> tuple[str, str]:
    """Why a Hill fit's numbers are not fixed by its series, in words ("": they are), and the
    parameters at the edge of their range ("ic50", "hill", "ic50,hill" or ""). ``tested``: the
    lowest and highest positive doses; ``log_ic50_span``: the width of the IC50's interval,
    log(hi / lo); ``misfit``: the RMS residual as a fraction of the response's range. A
    parameter at the edge of its range stopped there, it was not found; an IC50 beyond the
    tested doses is extrapolated."""
    edge = 1e-3  # log units: within 0.1 % of a bound
    low, high = math.log(tested[0]), math.log(tested[1])
    reasons, at_bound = [], []
    if log_ic50 >= high + math.log(IC50_REACH) - edge:
        reasons.append(f"IC50 at the top of its range ({IC50_REACH:g} times the highest dose): the series "
                       "does not saturate within the tested doses")
        at_bound.append("ic50")
    elif log_ic50 <= low - math.log(IC50_REACH) + edge:
        reasons.append(f"IC50 at the bottom of its range (the lowest dose above 0 / {IC50_REACH:g}): the "
                       "response is complete from the lowest dose")
        at_bound.append("ic50")
    elif log_ic50 > high:
        reasons.append(f"IC50 {math.exp(log_ic50):.3g} above the highest dose {tested[1]:g}: extrapolated")
    elif log_ic50 < low:
        reasons.append(f"IC50 {math.exp(log_ic50):.3g} below the lowest dose above 0 ({tested[0]:g}): "
                       "extrapolated")
    if any(abs(log_hill - math.log(b)) < edge for b in HILL_RANGE):
        reasons.append(f"Hill coefficient at the edge of its range {HILL_RANGE[0]:g}-{HILL_RANGE[1]:g}")
        at_bound.append("hill")
    if misfit > POOR_FIT:
        reasons.append(f"the Hill curve misses the series by {100 * misfit:.2g} % of its range (RMS): the "
                       "response is not a Hill curve of the dose")
    if not reasons and math.isnan(log_ic50_span):
        reasons.append("no confidence interval: the parameters' covariance is singular")
    elif not reasons and log_ic50_span > math.log(AMBIGUOUS_IC50_SPAN):
        fold = f"{math.exp(log_ic50_span):.3g}-fold" if log_ic50_span < 700 else "beyond 1e300-fold"
        reasons.append(f"the IC50 interval spans {fold} (more than {AMBIGUOUS_IC50_SPAN:g})")
    return "; ".join(reasons), ",".join(at_bound)


# the columns of a fits table worth showing a reader, with the notes of :func:`fit_notes`
HILL_SUMMARY = ["readout", "ic50", "ic50_lo", "ic50_hi", "hill", "emax", "emax_scale", "rms", "quality"]


def fit_summary(fits: pd.DataFrame) -> pd.DataFrame:
    """The ``HILL_SUMMARY`` columns of a table of :func:`hill_fits`, for a reader: an IC50 or a
    Hill coefficient or a maximal effect that stopped at the edge of its range (``at_bound``) is
    left empty (NaN), since its value is the bound, not an estimate. With the IC50 at its bound
    the Hill coefficient and the maximal effect are extrapolations far past the doses; with the
    maximal effect at its bound (a rise that does not level off) the IC50 and the Hill
    coefficient are set by that bound: these are left empty too (:func:`hill_fits` keeps every
    value)."""
    check_table(fits, [*HILL_SUMMARY, "at_bound"], "a table of hill_fits")
    shown = fits[HILL_SUMMARY].copy()
    at_bound = fits["at_bound"].fillna("").astype(str).str.split(",")
    ic50_or_emax_at_bound = at_bound.map(lambda names: "ic50" in names or "emax" in names)
    shown.loc[ic50_or_emax_at_bound, ["ic50", "ic50_lo", "ic50_hi", "hill", "emax"]] = np.nan
    shown.loc[at_bound.map(lambda names: "hill" in names), "hill"] = np.nan
    return shown


def fit_notes(fits: pd.DataFrame) -> list[str]:
    """One line per fit that is not "ok" in a table of :func:`hill_fits`: the readout, the
    fit's quality and why."""
    check_table(fits, ["readout", "quality", "note"], "a table of hill_fits")
    said = {"ambiguous": "ambiguous fit", "none": "no fit"}
    return [f"{r.readout}: {said[r.quality]}: {r.note}" for r in fits.itertuples() if r.quality != "ok"]


def _dose_series(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The dose series of a screen table, in order: each condition's perturbation without its
    levels (``inh:P38=0.5`` is a condition of ``inh:P38``) and its background; [] for a table
    without a ``perturbation`` column."""
    if "perturbation" not in table.columns:
        return []

    def text(column: str) -> pd.Series:  # (a CSV's empty column reads as NaN, a float)
        return table[column].astype(object).fillna("").astype(str)

    dosed = text("perturbation").str.replace(r"=[^+]*", "", regex=True)
    background = text("background") if "background" in table.columns else pd.Series("", index=table.index)
    return list(dict.fromkeys((d, b) for d, b in zip(dosed, background, strict=True) if d))


def _varying_parts(perturbations: pd.Series) -> list[str]:
    """The parts of a series' conditions whose values vary from row to row (``oe:RANK`` of
    ``oe:RANK=2+inh:P38=0.5``, ``oe:RANK=3+inh:P38=0.5``), without their values; none when the
    conditions have different numbers of parts."""
    parts = [str(p).split("+") for p in perturbations.dropna()]
    if not parts or len({len(p) for p in parts}) != 1:
        return []
    return [parts[0][i].partition("=")[0] for i in range(len(parts[0])) if len({p[i] for p in parts}) > 1]


def hill_fits(series: pd.DataFrame, anchored: bool = False, changes: Collection[str] = ()) -> pd.DataFrame:
    """:func:`fit_hill` of each readout of one dose series (columns ``readout``, ``dose`` or else
    ``level``, ``value``, ``baseline_value``: the readout without the perturbation), one row per
    readout with the columns ``HILL_COLUMNS`` (no rows for a table without any); ``anchored``
    (True or False): as for :func:`fit_hill`. ``changes``: the readouts that are changes from a
    reference (a shipped model's ``percent_changes``), fitted in their unit ("absolute")
    whatever their value without the perturbation; the others as the reference decides
    (:func:`fit_hill`), and above their floor, -100 % (``PERCENT_CHANGE_FLOOR``); one name is
    one readout.

    A screen table (a ``perturbation`` column, and ``background``) must hold one series: one
    dosed perturbation (``inh:P38`` at its levels) on one background; a table of several is
    refused, naming them (select each one's rows and fit them apart). A ``level`` is taken as
    the dose only where it is one: the levels of ``kd:`` and ``oe:`` are not their doses
    (``kd:X=1`` is no knockdown), so such a series needs a ``dose`` column
    (:func:`rankl_net.screens.dose_of`)."""
    if not isinstance(series, pd.DataFrame):  # (the columns a DataFrame lacks are named below)
        check_table(series, ["readout", "dose", "value", "baseline_value"], "a dose-response table")
    check_bool("hill_fits", "anchored", anchored)
    changes = name_list(changes, "changes", commas=False) if isinstance(changes, str) else changes
    dose = "dose" if "dose" in series.columns else "level"
    missing = [c for c in (dose, "readout", "value", "baseline_value") if c not in series.columns]
    if missing:
        raise InputError(f"a dose-response table needs the columns readout, dose (or level), value and "
                         f"baseline_value; this one lacks {missing}. For a screen of "
                         "rankl_net.screens.dose_conditions(PERTURB, levels), add the doses with "
                         "table.assign(dose=rankl_net.screens.dose_of(PERTURB, "
                         "rankl_net.screens.levels_of(table['perturbation']))) (a level of kd: or oe: "
                         "is not its dose: kd:X=1 is no knockdown)")
    held = _dose_series(series)
    if len(held) > 1:
        named = [f"{d} (background {b})" if b else d for d, b in held]
        shown = ", ".join(named[:5]) + (f", ... ({len(named) - 5} more)" if len(named) > 5 else "")
        raise InputError(f"hill_fits fits one dose series (one dosed perturbation on one background) per "
                         f"readout; this table holds {len(named)}: {shown}. Select the rows of each series "
                         "and fit them apart")
    varying = _varying_parts(series["perturbation"]) if held else []
    # a level that leaves its target as it is (kd:X=1) is dose 0
    not_doses = [p for p in varying if NEUTRAL_LEVEL.get(p.partition(":")[0], 0.0) != 0.0]
    if dose == "level" and not_doses:
        perturb, kind = not_doses[0], not_doses[0].partition(":")[0]
        how = (f"table.assign(dose=rankl_net.screens.dose_of({perturb!r}, table['level']))"
               if len(varying) == 1
               else f"a dose column (the levels of {' and '.join(varying)} vary together)")
        raise InputError(f"this table has levels and no dose column, and a level of {kind}: is not its dose "
                         f"({kind}:X={NEUTRAL_LEVEL[kind]:g} leaves X as it is: dose 0); add the doses with "
                         f"{how}")
    return pd.DataFrame([{"readout": r, **fit_hill(sub[dose], sub["value"], anchored=anchored,
                                                   reference=sub["baseline_value"].iloc[0],
                                                   change=True if r in changes else None,
                                                   floor=PERCENT_CHANGE_FLOOR if r in changes else None)}
                         for r, sub in series.groupby("readout", sort=False)], columns=HILL_COLUMNS)


def fractional_effect(value: np.ndarray | float, baseline: float) -> np.ndarray | float:
    """Fractional inhibition ``1 - value / baseline`` (0: no effect, 1: complete)."""
    return 1.0 - np.asarray(value, float) / baseline


def bliss_excess(effect_a: float, effect_b: float, effect_ab: float) -> float:
    """Observed combined effect minus the Bliss-independence expectation ``a + b - a b``."""
    return effect_ab - (effect_a + effect_b - effect_a * effect_b)


def hsa_excess(effect_a: float, effect_b: float, effect_ab: float) -> float:
    """Observed combined effect minus the highest single agent's effect; NaN when either single
    agent's effect is NaN (which agent is the higher is then unknown)."""
    return effect_ab - float(np.maximum(effect_a, effect_b))


def epistasis(lfc_a: float, lfc_b: float, lfc_ab: float) -> float:
    """Pairwise-knockout epistasis on log2 fold changes: ``lfc_ab - (lfc_a + lfc_b)``
    (0 for multiplicative, independent effects). NaN where a fold change is not finite (a
    readout taken to zero: the size of the interaction cannot be measured)."""
    if not all(math.isfinite(x) for x in (lfc_a, lfc_b, lfc_ab)):
        return math.nan
    return lfc_ab - (lfc_a + lfc_b)


# a single perturbation that leaves less than this fraction of a readout has taken it to its
# floor: what a second one does then is noise on a near-zero value, not an interaction
EPISTASIS_FLOOR = 0.01


def pairwise_epistasis(table: pd.DataFrame) -> pd.DataFrame:
    """Epistasis of every pair in a knockout screen table holding the singles and the pairs (a
    DataFrame with the columns perturbation, readout, log2_fold_change and status, as
    :func:`rankl_net.screens.run_screen` returns). NaN (:func:`epistasis`) also where a single
    leaves less than ``EPISTASIS_FLOOR`` of the readout (RANKL-/- osteoclasts at 0.008 % of
    the baseline): the pair's fold change then measures a near-zero value, not an
    interaction."""
    check_table(table, ["perturbation", "readout", "log2_fold_change", "status"], "a screen table")
    ok = table[table["status"] == "ok"]
    single = {(r.perturbation, r.readout): r.log2_fold_change
              for r in ok.itertuples() if "+" not in r.perturbation}
    rows = []
    for r in ok.itertuples():
        if r.perturbation.count("+") != 1:
            continue
        a, b = r.perturbation.split("+")
        if (a, r.readout) in single and (b, r.readout) in single:
            singles = (single[(a, r.readout)], single[(b, r.readout)])
            floored = min(singles) < math.log2(EPISTASIS_FLOOR)
            eps = math.nan if floored else epistasis(*singles, r.log2_fold_change)
            rows.append({"a": a, "b": b, "readout": r.readout, "log2_fold_change": r.log2_fold_change,
                         "epistasis": eps})
    return pd.DataFrame(rows, columns=["a", "b", "readout", "log2_fold_change", "epistasis"])


def combination_matrix(values: Mapping[tuple[float, float], float], baseline: float,
                       rising: bool | None = None, absent: tuple[float, float] = (0.0, 0.0)) -> pd.DataFrame:
    """Bliss and HSA excess for a dose matrix of two agents.

    ``values`` maps (level_a, level_b) to the readout (a number; NaN for a failed condition); a
    level equal to the agent's ``absent`` level (a pair of numbers: 0 for a dose or an inhibited
    fraction, 1 for a knockdown's kept fraction or a fold expression) means the agent is not
    given. Every combination needs its two single agents, each alone with the other at its
    absent level (an InputError names one that is missing); (absent, absent) need not be
    present (``baseline`` is the value without either agent). Effects are fractions of the baseline in
    the direction the readout moves: ``1 - value / baseline`` (inhibition) or, with ``rising`` True,
    ``value / baseline - 1`` (for a readout that the agents raise, such as bone volume under
    resorption inhibitors); ``rising`` None (the default): as the single agents move the readout
    (their median above the baseline: rising), since effects counted in the other direction
    would turn synergy into antagonism.
    Bliss independence multiplies the single agents' folds of the baseline, so the Bliss excess
    is the combination's effect minus ``a + b - a b`` (``a + b + a b`` when rising); the
    highest-single-agent (HSA) excess is its effect minus the stronger single agent's. Above 0:
    the combination is stronger than expected; NaN where an effect is NaN. Returns one row per
    combination with both agents present.
    """
    if not isinstance(values, Mapping):
        raise InputError(f"values maps each combination's two levels, (level_a, level_b), to the readout (a "
                         f"dict), got {given(values)}")
    if isinstance(absent, np.ndarray):
        absent = tuple(absent.tolist())
    if not (isinstance(absent, tuple | list) and len(absent) == 2):
        raise InputError(f"absent is the level of each agent when it is not given, (absent_a, absent_b), got "
                         f"{absent!r}")
    for level in absent:
        check_number("combination_matrix", "an absent level", level)
    if rising is not None:
        check_bool("combination_matrix", "rising (or None)", rising)
    bad = next((k for k in values if not (isinstance(k, tuple) and len(k) == 2 and all(
        isinstance(x, numbers.Real) and not isinstance(x, bool) for x in k))), None)
    if bad is not None:
        raise InputError(f"a combination is keyed by its two levels, (level_a, level_b), two numbers, got "
                         f"{bad!r}")
    if not (isinstance(baseline, int | float | np.number) and math.isfinite(baseline) and baseline > 0):
        raise InputError(f"baseline is the readout without either agent, a positive number, got "
                         f"{baseline!r}; effects are fractions of it (a readout that is a change from a "
                         "reference, such as a percent change, has no Bliss analysis)")
    for key, value in values.items():
        check_number(f"combination {key}", "its value", value)
    if rising is None:
        singles = [v for (x, y), v in values.items()
                   if (x == absent[0]) != (y == absent[1]) and math.isfinite(v)]
        rising = bool(singles) and bool(np.median(singles) > baseline)
    sign = -1.0 if rising else 1.0
    eff = {k: sign * float(fractional_effect(v, baseline)) for k, v in values.items()}
    rows = []
    none_a, none_b = absent
    for (a, b), e in sorted(eff.items()):
        if a == none_a or b == none_b:
            continue
        missing = [f"({x:g}, {y:g})" for x, y in ((a, none_b), (none_a, b)) if (x, y) not in eff]
        if missing:
            raise InputError(f"the combination ({a:g}, {b:g}) has no single-agent value at "
                             f"{' nor '.join(missing)}: each agent alone, the other at its absent level "
                             f"(absent=({none_a:g}, {none_b:g})); give them in values, or the agents' absent "
                             "levels (1 for a knockdown's kept fraction or a fold expression)")
        ea, eb = eff[(a, none_b)], eff[(none_a, b)]
        expected = ea + eb - sign * ea * eb  # Bliss: the single agents' folds multiply
        rows.append({"level_a": a, "level_b": b, "effect": e, "bliss_excess": e - expected,
                     "hsa_excess": hsa_excess(ea, eb, e)})
    # no rows when there is no combination: the columns stay
    return pd.DataFrame(rows, columns=["level_a", "level_b", "effect", "bliss_excess", "hsa_excess"])


def pair_matrix(table: pd.DataFrame, readout: str, value: str = "log2_fold_change", *,
                sort: bool = False) -> pd.DataFrame:
    """Symmetric matrix of a pairwise screen: pairs off the diagonal, single perturbations on it.
    The perturbations are in the order they first appear in ``table`` (a screen table: columns
    perturbation, readout, status and ``value``), or sorted (``sort`` True: a table read back from a
    results folder comes in the order of its part files)."""
    check_table(table, ["perturbation", "readout", "status", value], "a screen table")
    check_bool("pair_matrix", "sort", sort)
    if not isinstance(readout, str) or readout not in set(table["readout"]):
        raise unknown_name("readout", readout, table["readout"])
    sub = table[(table["readout"] == readout) & (table["status"] == "ok")]
    pairs = sub[sub["perturbation"].str.count(r"\+") == 1]
    ab = pairs["perturbation"].str.split("+", expand=True)
    frame = pd.DataFrame({"a": ab[0], "b": ab[1], "v": pairs[value].to_numpy()})
    names = list(dict.fromkeys([*frame["a"], *frame["b"]]))
    if sort:
        names.sort(key=lambda n: (n.casefold(), n))
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for a, b, v in frame.itertuples(index=False):
        m.loc[a, b] = m.loc[b, a] = v
    singles = sub[~sub["perturbation"].str.contains(r"\+")].set_index("perturbation")[value]
    for n in names:
        if n in singles.index:
            m.loc[n, n] = singles[n]
    return m
