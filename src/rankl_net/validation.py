"""Clinical validation: the quantitative facts of ``experiments/clinical_validation.tsv``,
predicted by the ``clinical`` model and compared with what was observed.

Each row names a regimen (``drug:`` specs), a readout, a metric and a time, the observed value
with its tolerance, and its source; a row passes when ``|predicted - observed| <= tolerance``.
Metrics: ``value`` (readout at a time), ``tmax`` (time of the maximum), ``half_life`` (log-linear
terminal half-life over a window), ``time_to_nadir`` (first time within ``NADIR_BAND`` of
the minimum), ``max`` (maximum over a
window) and ``difference`` (readout under ``spec`` minus under ``reference_spec``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .errors import InputError
from .model import Model
from .screens import readout_units

VALIDATION_TABLE = paths.EXPERIMENTS / "clinical_validation.tsv"
METRICS = ("value", "tmax", "half_life", "time_to_nadir", "max", "difference")
# the metrics that are times (days), not values of their readout
TIME_METRICS = ("tmax", "half_life", "time_to_nadir")
NADIR_BAND = 2.0  # percentage points: "at its nadir" means within this of the minimum
POINTS_PER_DAY = 4  # output resolution of the simulated curves (6 h)


@dataclass(frozen=True)
class Fact:
    """One row of the validation table."""

    id: str
    spec: str
    reference_spec: str
    readout: str
    metric: str
    time_d: str
    observed: float
    tolerance: float
    fit: bool
    source: str

    def window(self) -> tuple[float, float]:
        """(start, end) of the metric's time window, in days."""
        a, sep, b = self.time_d.partition("-")
        return (float(a), float(b)) if sep else (0.0, float(a))


def read_facts(path: Path = VALIDATION_TABLE) -> list[Fact]:
    """Read the validation table; a malformed row raises an error naming it."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
    facts = []
    for i, r in enumerate(rows, start=1):
        try:
            fact = Fact(
                id=r["id"].strip(),
                spec=r["spec"].strip(),
                reference_spec=(r.get("reference_spec") or "").strip(),
                readout=r["readout"].strip(),
                metric=r["metric"].strip(),
                time_d=r["time_d"].strip(),
                observed=float(r["observed"]),
                tolerance=float(r["tolerance"]),
                fit=r["fit"].strip() == "yes",
                source=r["source"].strip(),
            )
            fact.window()
        except (KeyError, ValueError, AttributeError) as exc:
            raise InputError(f"{path.name} row {i}: cannot read it ({exc})") from None
        if fact.metric not in METRICS:
            raise InputError(f"{path.name} row {i} ({fact.id}): metric must be one of {METRICS}")
        if fact.metric == "difference" and not fact.reference_spec:
            raise InputError(f"{path.name} row {i} ({fact.id}): a difference needs a reference_spec")
        if not fact.tolerance > 0:
            raise InputError(f"{path.name} row {i} ({fact.id}): tolerance must be positive")
        facts.append(fact)
    return facts


class Predictor:
    """Simulates the regimens of the facts once each and computes the facts' metrics.

    Parameters
    ----------
    model
        The model (default: ``clinical`` in the human context).
    parameters
        Parameter values applied to every simulation (``set:`` at time 0), e.g. during a fit.
    """

    def __init__(self, model: Model | None = None, parameters: Mapping[str, float] | None = None) -> None:
        self.model = model or Model("clinical", context="human")
        self.parameters = dict(parameters or {})
        self._curves: dict[tuple[str, str, float], pd.Series] = {}

    def curve(self, spec: str, readout: str, end: float) -> pd.Series:
        """The readout under ``spec`` from 0 to ``end`` days (index: time in days)."""
        key = (spec, readout, end)
        if key not in self._curves:
            specs = [spec] if spec else []
            specs += [f"set:{k}={v!r}" for k, v in self.parameters.items()]
            frame = self.model.simulate(
                *specs, end=end, points=int(round(end * POINTS_PER_DAY)) + 1, readouts=[readout]
            )
            self._curves[key] = pd.Series(frame[readout].to_numpy(), index=frame["time"].to_numpy())
        return self._curves[key]

    def predict(self, fact: Fact) -> float:
        """The model's value of ``fact``'s metric."""
        t0, t1 = fact.window()
        end = max(t1, 1.0)
        y = self.curve(fact.spec, fact.readout, end)
        t = y.index.to_numpy()
        inside = (t >= t0) & (t <= t1)
        if fact.metric == "value":
            return float(np.interp(t1, t, y.to_numpy()))
        if fact.metric == "difference":
            ref = self.curve(fact.reference_spec, fact.readout, end)
            return float(np.interp(t1, t, y.to_numpy()) - np.interp(t1, ref.index.to_numpy(), ref.to_numpy()))
        if fact.metric == "max":
            return float(y[inside].max())
        if fact.metric == "tmax":
            return float(y[inside].idxmax())
        if fact.metric == "time_to_nadir":
            yy = y[inside]
            return float(yy[yy <= yy.min() + NADIR_BAND].index[0])
        # half_life: log-linear fit of the positive values in the window
        yy = y[inside]
        yy = yy[yy > 0]
        if len(yy) < 3:
            return math.nan
        slope = np.polyfit(yy.index.to_numpy(), np.log(yy.to_numpy()), 1)[0]
        return float(math.log(2) / -slope) if slope < 0 else math.inf


def fact_units(table: pd.DataFrame, model: str | Model = "clinical") -> list[str]:
    """The unit of each row of a validation table (:func:`validate`'s columns ``readout`` and
    ``metric`` at least): days for a time (:data:`TIME_METRICS`), else the unit of the row's
    readout in ``model``, a shipped model's name or a :class:`~rankl_net.model.Model` (``% change``,
    ``µg/mL``; a difference is in its readout's unit)."""
    readouts = [r for r, m in zip(table["readout"], table["metric"], strict=True) if m not in TIME_METRICS]
    readouts = list(dict.fromkeys(readouts))
    if not readouts:
        units = {}
    else:  # a loaded model has read its units already
        units = model.engine.units(readouts) if isinstance(model, Model) else readout_units(model, readouts)
    return ["days" if m in TIME_METRICS else units.get(r, "")
            for r, m in zip(table["readout"], table["metric"], strict=True)]


def validate(facts: Sequence[Fact] | None = None, predictor: Predictor | None = None) -> pd.DataFrame:
    """Predicted vs observed for every fact, with pass/fail.

    Returns one row per fact: id, regimen, readout, metric, time_d, predicted, observed,
    tolerance, unit (of those three; :func:`fact_units`), passed, fitted (whether the fact was a
    fitting target) and source.
    """
    facts = read_facts() if facts is None else list(facts)
    predictor = predictor or Predictor()
    rows = []
    for f in facts:
        predicted = predictor.predict(f)
        rows.append(
            {
                "id": f.id,
                "regimen": f.spec + (f" vs {f.reference_spec}" if f.reference_spec else ""),
                "readout": f.readout,
                "metric": f.metric,
                "time_d": f.time_d,
                "predicted": predicted,
                "observed": f.observed,
                "tolerance": f.tolerance,
                "unit": "",
                "passed": bool(abs(predicted - f.observed) <= f.tolerance),
                "fitted": f.fit,
                "source": f.source,
            }
        )
    table = pd.DataFrame.from_records(rows)
    if len(table):
        # (a predictor of one's own, without a model, predicts the clinical model's readouts)
        table["unit"] = fact_units(table, getattr(predictor, "model", "clinical"))
    return table
