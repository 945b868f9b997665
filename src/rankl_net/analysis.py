"""Analysis of screen results: Hill fits, combination synergy, epistasis, global sensitivity."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats


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


# four parameters and at least one degree of freedom for the confidence intervals
MIN_HILL_LEVELS = 5
# a response that moves by less than this fraction of its size is flat: below what the
# integrator resolves (relative tolerance 1e-8), so no IC50 can be read from it
FLAT_RESPONSE = 1e-6


def fit_hill(
    levels: Sequence[float], responses: Sequence[float], confidence: float = 0.95,
    reference: float | None = None,
) -> dict[str, float]:
    """Least-squares Hill fit with confidence intervals from the parameter covariance.

    Returns baseline, emax, ic50 (same unit as ``levels``), hill, their lower/upper bounds
    (``*_lo``/``*_hi``; IC50 and Hill bounds on the log scale), the residual RMS and
    ``emax_scale``: "fraction" for a readout that is a positive quantity (emax a fraction of
    the baseline, at most 1: the response cannot fall below zero), "absolute" for a change from
    a reference, such as a percent change, which is zero without the perturbation (emax in the
    unit of the response; see :func:`hill`). ``reference``, the readout without the perturbation
    (a screen's ``baseline_value``), decides which: positive, "fraction"; otherwise (about zero
    or below), "absolute". Without it, "fraction" when every response is positive. The numbers
    are NaN when the data cannot fix four parameters: fewer than ``MIN_HILL_LEVELS`` distinct
    levels, no positive level, or a flat response (one that moves by at most ``FLAT_RESPONSE``
    of its size).
    """
    x = np.asarray(levels, float)
    y = np.asarray(responses, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if reference is not None and np.isfinite(reference):
        # a change from a reference sits at zero without the perturbation (up to integration noise)
        fractional = reference > FLAT_RESPONSE * max(np.abs(y).max(initial=0.0), abs(reference))
    else:
        fractional = bool(len(y)) and bool(np.all(y > 0))
    nan = {k: math.nan for k in ("baseline", "emax", "ic50", "hill", "baseline_lo", "baseline_hi", "emax_lo",
                                 "emax_hi", "ic50_lo", "ic50_hi", "hill_lo", "hill_hi", "rms")}
    nan["emax_scale"] = "fraction" if fractional else "absolute"
    if len(np.unique(x)) < MIN_HILL_LEVELS:
        return nan
    # a change from a reference (absolute scale) may sit at zero: its size is at least 1 (one
    # part in a million of a percent change is integration noise)
    size = np.abs(y).max() if fractional else max(np.abs(y).max(), 1.0)
    if np.ptp(y) <= FLAT_RESPONSE * size:
        return nan
    y0 = float(y[np.argmin(x)])
    positive = x[x > 0]
    span = y[np.argmax(x)] - y0

    def model(xx, b, e, log_ic50, log_h):
        return hill(xx, b, e, math.exp(log_ic50), math.exp(log_h), fractional=fractional)

    if not len(positive):
        return nan
    # the IC50 must lie within 100-fold of the tested levels: without saturation the unbounded
    # fit runs off to infinity; a positive response cannot fall below zero (emax <= 1)
    lo_ic, hi_ic = math.log(positive.min() / 100), math.log(positive.max() * 100)
    if fractional:
        emax_bounds, emax0 = (-100.0, 1.0), float(np.clip(-span / y0, -99, 0.99))
    else:
        emax_bounds, emax0 = (-np.inf, np.inf), float(-span)
    lower = [-np.inf, emax_bounds[0], lo_ic, math.log(0.1)]
    upper = [np.inf, emax_bounds[1], hi_ic, math.log(20.0)]
    guess = [y0, emax0, float(np.log(np.median(positive))), 0.0]
    try:
        p, cov = optimize.curve_fit(model, x, y, p0=guess, bounds=(lower, upper), maxfev=20000)
    except (RuntimeError, ValueError):
        return nan
    dof = max(1, len(x) - 4)
    t = stats.t.ppf(0.5 + confidence / 2, dof)
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(4, math.nan)
    rms = float(np.sqrt(np.mean((model(x, *p) - y) ** 2)))
    def exp(v: float) -> float:
        return math.exp(v) if v < 700 else math.inf

    return {
        "baseline": p[0], "emax": p[1], "ic50": exp(p[2]), "hill": exp(p[3]),
        "baseline_lo": p[0] - t * se[0], "baseline_hi": p[0] + t * se[0],
        "emax_lo": p[1] - t * se[1], "emax_hi": p[1] + t * se[1],
        "ic50_lo": exp(p[2] - t * se[2]), "ic50_hi": exp(p[2] + t * se[2]),
        "hill_lo": exp(p[3] - t * se[3]), "hill_hi": exp(p[3] + t * se[3]),
        "rms": rms, "emax_scale": nan["emax_scale"],
    }


def hill_fits(series: pd.DataFrame) -> pd.DataFrame:
    """:func:`fit_hill` of each readout of a dose-response table (columns ``readout``, ``level``,
    ``value``, ``baseline_value``: the readout without the perturbation), one row per readout."""
    return pd.DataFrame([{"readout": r, **fit_hill(sub["level"], sub["value"],
                                                   reference=sub["baseline_value"].iloc[0])}
                         for r, sub in series.groupby("readout", sort=False)])


def fractional_effect(value: np.ndarray | float, baseline: float) -> np.ndarray | float:
    """Fractional inhibition ``1 - value / baseline`` (0: no effect, 1: complete)."""
    return 1.0 - np.asarray(value, float) / baseline


def bliss_excess(effect_a: float, effect_b: float, effect_ab: float) -> float:
    """Observed combined effect minus the Bliss-independence expectation ``a + b - a b``."""
    return effect_ab - (effect_a + effect_b - effect_a * effect_b)


def hsa_excess(effect_a: float, effect_b: float, effect_ab: float) -> float:
    """Observed combined effect minus the highest single agent's effect."""
    return effect_ab - max(effect_a, effect_b)


def epistasis(lfc_a: float, lfc_b: float, lfc_ab: float) -> float:
    """Pairwise-knockout epistasis on log2 fold changes: ``lfc_ab - (lfc_a + lfc_b)``
    (0 for multiplicative, independent effects)."""
    return lfc_ab - (lfc_a + lfc_b)


def pairwise_epistasis(table: pd.DataFrame) -> pd.DataFrame:
    """Epistasis of every pair in a knockout screen table holding the singles and the pairs."""
    ok = table[table["status"] == "ok"]
    single = {(r.perturbation, r.readout): r.log2_fold_change
              for r in ok.itertuples() if "+" not in r.perturbation}
    rows = []
    for r in ok.itertuples():
        if r.perturbation.count("+") != 1:
            continue
        a, b = r.perturbation.split("+")
        if (a, r.readout) in single and (b, r.readout) in single:
            eps = epistasis(single[(a, r.readout)], single[(b, r.readout)], r.log2_fold_change)
            rows.append({"a": a, "b": b, "readout": r.readout, "log2_fold_change": r.log2_fold_change,
                         "epistasis": eps})
    return pd.DataFrame(rows, columns=["a", "b", "readout", "log2_fold_change", "epistasis"])


def combination_matrix(values: Mapping[tuple[float, float], float], baseline: float,
                       rising: bool = False) -> pd.DataFrame:
    """Bliss and HSA excess for a dose matrix of two agents.

    ``values`` maps (level_a, level_b) to the readout; (0, 0) need not be present (``baseline``
    is the no-drug value). Effects are fractions of the baseline in the direction the readout
    moves: ``1 - value / baseline`` (inhibition) or, with ``rising``, ``value / baseline - 1``
    (for a readout that the agents raise, such as bone volume under resorption inhibitors).
    Bliss independence multiplies the single agents' folds of the baseline, so the Bliss excess
    is the combination's effect minus ``a + b - a b`` (``a + b + a b`` when rising); the
    highest-single-agent (HSA) excess is its effect minus the stronger single agent's. Above 0:
    the combination is stronger than expected. Returns one row per combination with both agents
    present.
    """
    sign = -1.0 if rising else 1.0
    eff = {k: sign * float(fractional_effect(v, baseline)) for k, v in values.items()}
    rows = []
    for (a, b), e in sorted(eff.items()):
        if a == 0 or b == 0:
            continue
        ea, eb = eff.get((a, 0.0)), eff.get((0.0, b))
        if ea is None or eb is None:
            continue
        expected = ea + eb - sign * ea * eb  # Bliss: the single agents' folds multiply
        rows.append({"level_a": a, "level_b": b, "effect": e, "bliss_excess": e - expected,
                     "hsa_excess": hsa_excess(ea, eb, e)})
    return pd.DataFrame(rows)


def pair_matrix(table: pd.DataFrame, readout: str, value: str = "log2_fold_change") -> pd.DataFrame:
    """Symmetric matrix of a pairwise screen: pairs off the diagonal, single perturbations on it."""
    sub = table[(table["readout"] == readout) & (table["status"] == "ok")]
    pairs = sub[sub["perturbation"].str.count(r"\+") == 1]
    ab = pairs["perturbation"].str.split("+", expand=True)
    frame = pd.DataFrame({"a": ab[0], "b": ab[1], "v": pairs[value].to_numpy()})
    names = list(dict.fromkeys([*frame["a"], *frame["b"]]))
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for a, b, v in frame.itertuples(index=False):
        m.loc[a, b] = m.loc[b, a] = v
    singles = sub[~sub["perturbation"].str.contains(r"\+")].set_index("perturbation")[value]
    for n in names:
        if n in singles.index:
            m.loc[n, n] = singles[n]
    return m
