"""Reproducible fits of the ``clinical`` model's pharmacodynamic parameters.

``experiments/fits/clinical.toml`` names groups of parameters, their bounds and the rows of
``experiments/clinical_validation.tsv`` they are fitted to. Each group is fitted by bounded least
squares (``scipy.optimize.least_squares``) on residuals ``(predicted - observed) / tolerance``,
in order, each with the current values of the other groups; the passes over the groups repeat
until no value moves. Every simulation starts from the baseline of the model with the fitted
parameters at their ``start`` values, each trial value applied at time 0, so the result depends
on the fit specification, the validation table and the model sources only, never on the values
the models were last built with (those leave a trace of round-off in the baseline, which the
fit would amplify in its last digits). The values are written to the generated
Antimony files (``models/antimony/generated/clinical_fit.ant``, or the file a parameter names),
after which the models are rebuilt (``rankl-net build``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from . import paths
from .errors import SimulationError
from .fit_spec import FIT_SPEC, FitGroup, FitParameter, read_fit_spec
from .model import Model
from .validation import Predictor, read_facts

SIGNIFICANT_DIGITS = 6
# a pass over the groups that moves no value by more than this (relative) ends the fit
CONVERGED = 1e-3
MAX_PASSES = 8
# forward-difference step of the Jacobian: this fraction of the (log-)parameter, or this
# absolute step where the parameter is smaller than 1
DIFF_STEP = 1e-4


def fit(path: Path = FIT_SPEC, progress=print) -> dict[str, float]:
    """Fit every group in order, repeatedly, until a pass changes no value by more than
    CONVERGED (relative); return the fitted values (not yet written).

    The first pass starts every parameter at its ``start`` value; later passes start each group
    from where the pass before left it. Raises :class:`~rankl_net.errors.SimulationError`, naming
    the values that still moved, when ``MAX_PASSES`` passes do not settle.
    """
    facts = {f.id: f for f in read_facts()}
    groups = read_fit_spec(path)
    values = {p.id: p.start for g in groups for p in g.parameters}
    model = Model("clinical", context="human", values=values)
    for n in range(1, MAX_PASSES + 1):
        before = dict(values)
        for group in groups:
            fitted, sol = _fit_group(group, [facts[t] for t in group.targets], values, model)
            values |= fitted
            progress(
                f"pass {n}, {group.name}: {', '.join(f'{k}={v:g}' for k, v in fitted.items())} "
                f"(cost {sol.cost:.3g}, {sol.nfev} evaluations)"
            )
        moving = {k: (v, values[k]) for k, v in before.items()
                  if not math.isclose(values[k], v, rel_tol=CONVERGED)}
        if not moving:
            return values
    digits = SIGNIFICANT_DIGITS
    changes = "; ".join(f"{k} {a:.{digits}g} -> {b:.{digits}g}" for k, (a, b) in moving.items())
    raise SimulationError(
        f"the fit did not converge in {MAX_PASSES} passes over the groups: in the last pass "
        f"{len(moving)} {'value' if len(moving) == 1 else 'values'} still moved by more than "
        f"{100 * CONVERGED:g} % ({changes}). A value that keeps moving is poorly identified by its "
        "group's targets, or pulled between groups: add a target that constrains it, narrow its "
        "bounds, or take it out of the fit"
    )


def _fit_group(group: FitGroup, targets: list, values: dict[str, float], model: Model):
    """Bounded least squares of one group from its entries in ``values``, every other
    parameter held at its entry there; ``model`` simulates the facts."""
    ps = group.parameters

    def to_x(p: FitParameter, v: float) -> float:
        return math.log(v) if p.log else v

    def from_x(x: np.ndarray) -> dict[str, float]:
        return {p.id: (math.exp(xi) if p.log else float(xi)) for p, xi in zip(ps, x, strict=True)}

    def residuals(x: np.ndarray) -> np.ndarray:
        predictor = Predictor(model, parameters=values | from_x(x))
        return np.array([(predictor.predict(f) - f.observed) / f.tolerance for f in targets])

    lb = np.array([to_x(p, p.lower) for p in ps])
    ub = np.array([to_x(p, p.upper) for p in ps])
    x0 = np.clip([to_x(p, values[p.id]) for p in ps], lb, ub)
    jacobian = _ParallelJacobian(residuals, ub)
    sol = least_squares(jacobian.residuals, x0, jac=jacobian, bounds=(lb, ub), x_scale="jac")
    return {k: float(f"{v:.{SIGNIFICANT_DIGITS}g}") for k, v in from_x(sol.x).items()}, sol


# the residual function the forked workers of _ParallelJacobian evaluate
_WORKER_RESIDUALS: Callable[[np.ndarray], np.ndarray] | None = None


def _worker_residuals(x: np.ndarray) -> np.ndarray:
    assert _WORKER_RESIDUALS is not None
    return _WORKER_RESIDUALS(x)


class _ParallelJacobian:
    """Forward-difference Jacobian of ``residuals``, its columns computed on every core (forked
    workers, each with the compiled model). Each column is one simulation of the group's facts,
    so the result does not depend on the number of workers; a step that would leave the bounds
    is taken backwards."""

    def __init__(self, residuals: Callable[[np.ndarray], np.ndarray], ub: np.ndarray):
        self._residuals, self._ub = residuals, ub
        self._last: tuple[bytes, np.ndarray] | None = None

    def residuals(self, x: np.ndarray) -> np.ndarray:
        key = np.asarray(x, dtype=float).tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (key, self._residuals(x))
        return self._last[1]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        global _WORKER_RESIDUALS
        f0 = self.residuals(x)
        steps = DIFF_STEP * np.maximum(1.0, np.abs(x))
        steps = np.where(x + steps > self._ub, -steps, steps)
        points = [x + np.eye(len(x))[i] * steps[i] for i in range(len(x))]
        workers = min(len(points), os.cpu_count() or 1)
        if workers > 1:
            _WORKER_RESIDUALS = self._residuals
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    columns = pool.map(_worker_residuals, points)
            finally:
                _WORKER_RESIDUALS = None
        else:
            columns = [self._residuals(p) for p in points]
        return np.column_stack([(c - f0) / h for c, h in zip(columns, steps, strict=True)])


def render(values: dict[str, float], path: Path = FIT_SPEC) -> dict[str, str]:
    """The generated Antimony text of each output file, for the given fitted values."""
    out: dict[str, list[str]] = {}
    for group in read_fit_spec(path):
        for p in group.parameters:
            lines = out.setdefault(
                p.file,
                [
                    "// Generated by `rankl-net fit` (src/rankl_net/fitting.py) from "
                    "experiments/fits/clinical.toml; do not edit."
                ],
            )
            lines.append(f"{p.id} = {values[p.id]:.{SIGNIFICANT_DIGITS}g} {p.unit}")
    return {name: "\n".join(lines) + "\n" for name, lines in out.items()}


def write(values: dict[str, float], path: Path = FIT_SPEC) -> list[Path]:
    """Write the generated files; return their paths."""
    written = []
    for name, text in render(values, path).items():
        target = paths.ANTIMONY / "generated" / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
