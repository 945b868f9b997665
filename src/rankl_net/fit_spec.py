"""The fit specification, ``experiments/fits/clinical.toml``: the groups of fitted parameters,
their start values, bounds, units and output files, and the validation rows each group is
fitted to (read by :mod:`rankl_net.fitting`, which fits them, and by the model listings, which
say where a fitted value stopped at a bound)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import paths

FIT_SPEC = paths.EXPERIMENTS / "fits" / "clinical.toml"
DEFAULT_FILE = "clinical_fit.ant"
# a fitted value within this fraction of a bound counts as at the bound
AT_BOUND_RTOL = 1e-3


@dataclass(frozen=True)
class FitParameter:
    """A fitted parameter: start value, bounds (in ``unit``), unit, log scale and output file."""

    id: str
    start: float
    lower: float
    upper: float
    unit: str
    log: bool = False
    file: str = DEFAULT_FILE

    def bound_reached(self, value: float) -> str:
        """"lower" or "upper" when ``value`` (in the parameter's unit) is at that bound of the
        fit (within AT_BOUND_RTOL of the bound, or of the range for a bound at 0), else ""."""
        for name, bound in (("lower", self.lower), ("upper", self.upper)):
            if math.isclose(value, bound, rel_tol=AT_BOUND_RTOL,
                            abs_tol=AT_BOUND_RTOL * (self.upper - self.lower) if bound == 0 else 0.0):
                return name
        return ""


@dataclass(frozen=True)
class FitGroup:
    """Parameters fitted together to a set of validation rows."""

    name: str
    targets: tuple[str, ...]
    parameters: tuple[FitParameter, ...]


def read_fit_spec(path: Path = FIT_SPEC) -> list[FitGroup]:
    """The fit groups of ``experiments/fits/clinical.toml``."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = []
    for g in raw["group"]:
        params = tuple(FitParameter(id=k, **v) for k, v in g["parameters"].items())
        groups.append(FitGroup(g["name"], tuple(g["targets"]), params))
    return groups
