"""The shipped models and what the engine needs to know about each (``models/catalog.toml``)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import paths, units
from .errors import InputError, unknown_name


@dataclass(frozen=True)
class Preset:
    """A named set of values of a model (for example a tumour type), applied at time 0.

    Attributes
    ----------
    name
        Preset name, as in ``preset:NAME``.
    title
        One-line description.
    source
        Literature behind the values.
    values
        Parameter values and species concentrations set at time 0.
    """

    name: str
    title: str
    source: str
    values: dict[str, float]


@dataclass(frozen=True)
class ModelInfo:
    """Metadata of one shipped model.

    Attributes
    ----------
    name
        Model name, also the SBML model id and the file stem in ``models/sbml``.
    title
        One-line description.
    time_unit
        Unit of the model's time axis ("hour" or "day").
    default_end
        Default simulation length, in ``time_unit``.
    default_context
        Context used when none is given.
    readouts
        Model quantities reported by default, in order.
    contexts
        Parameter values by context name ("mouse", "human").
    preequilibration
        Parameter values held while the baseline steady state is found; restored at time 0.
    reset_at_start
        Values assigned at time 0 (for example bone volume, in percent of baseline).
    presets
        Named sets of values applied at time 0 with ``preset:NAME`` (tumour types).
    absolute_tolerance
        CVODE's absolute tolerance for this model (None: the engine's default); see
        :class:`rankl_net.engine.Engine`.
    stability_limit_detection
        Integrate with CVODE's stability-limit detection (see :mod:`rankl_net.cvode`).
    percent_changes
        Quantities that are percent changes from the model's own baseline (turnover markers,
        BMD): 0 there; their fold changes are those of the level they stand for, 100 + value.
    """

    name: str
    title: str
    time_unit: str
    default_end: float
    default_context: str
    readouts: tuple[str, ...]
    contexts: dict[str, dict[str, float]] = field(default_factory=dict)
    preequilibration: dict[str, float] = field(default_factory=dict)
    reset_at_start: dict[str, float] = field(default_factory=dict)
    presets: dict[str, Preset] = field(default_factory=dict)
    absolute_tolerance: float | None = None
    stability_limit_detection: bool = False
    percent_changes: tuple[str, ...] = ()

    @property
    def sbml_path(self) -> Path:
        """The generated SBML file."""
        return paths.SBML / f"{self.name}.xml"

    def context_or_default(self, context: str | None) -> str:
        """The model's context named ``context``, in any case ("Human", "mouse_hurankl"), by its
        name in the catalog ("human", "mouse_huRANKL"); an unknown context raises InputError;
        None: the default."""
        if context is None:
            return self.default_context
        if not isinstance(context, str):
            hint = " (parameter values go in values=)" if isinstance(context, Mapping) else ""
            raise InputError(f"{unknown_name('context', context, self.contexts)}{hint}")
        if context in self.contexts:
            return context
        same = [c for c in self.contexts if c.casefold() == context.casefold()]
        if len(same) != 1:  # none, or (in a catalog that had them) two that differ in case alone
            others = [m.name for m in _catalog().values()
                      if any(c.casefold() == context.casefold() for c in m.contexts)]
            if not same and others:  # a context of other models ("mouse_huRANKL" on bone)
                raise InputError(f"{self.name} has no context {context!r}: it is a context of "
                                 f"{' and '.join(others)}; {self.name}'s contexts are "
                                 f"{', '.join(self.contexts)}")
            raise unknown_name("context", context, self.contexts)
        return same[0]

    def unit_labels(self, readouts) -> dict[str, str]:
        """The unit of each readout as the model reports it, for axes (:func:`rankl_net.units.label`;
        ``% change`` for the model's ``percent_changes``, :func:`rankl_net.units.with_changes`)."""
        import libsbml

        document = libsbml.readSBMLFromFile(str(self.sbml_path))
        return units.with_changes(units.labels(document.getModel(), readouts), self.percent_changes)


@cache
def _catalog() -> dict[str, ModelInfo]:
    raw = tomllib.loads(paths.CATALOG_FILE.read_text(encoding="utf-8"))
    out = {}
    for name, entry in raw.items():
        out[name] = ModelInfo(
            name=name,
            title=entry["title"],
            time_unit=entry["time_unit"],
            default_end=float(entry["default_end"]),
            default_context=entry["default_context"],
            readouts=tuple(entry["readouts"]),
            contexts={k: {p: float(v) for p, v in c.items()} for k, c in entry.get("contexts", {}).items()},
            preequilibration={k: float(v) for k, v in entry.get("preequilibration", {}).items()},
            reset_at_start={k: float(v) for k, v in entry.get("reset_at_start", {}).items()},
            presets={
                k: Preset(k, p["title"], p["source"], {s: float(v) for s, v in p["values"].items()})
                for k, p in entry.get("presets", {}).items()
            },
            absolute_tolerance=entry.get("absolute_tolerance"),
            stability_limit_detection=bool(entry.get("stability_limit_detection", False)),
            percent_changes=tuple(entry.get("percent_changes", ())),
        )
    return out


def model_names() -> list[str]:
    """Names of the shipped models, in catalog order."""
    return list(_catalog())


def get_model(name: str) -> ModelInfo:
    """Metadata of a shipped model; an unknown name raises an error with a suggestion."""
    try:
        return _catalog()[name]
    except (KeyError, TypeError):  # TypeError: not a name at all (a list)
        raise unknown_name("model", name, model_names()) from None
