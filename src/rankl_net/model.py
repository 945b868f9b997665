"""The Python entry point: a shipped model in a context, simulated under perturbations.

>>> import rankl_net
>>> bone = rankl_net.load_model("bone", context="mouse")
>>> wt = bone.simulate(end=84)                       # wild type, 12 weeks, all readouts
>>> opg_ko = bone.simulate("ko:OPG", end=84)          # specs or Perturbation objects
>>> with bone.perturbed("inh:CTSK=0.9"):              # undone on exit, even after an error
...     treated = bone.simulate(end=84, readouts=["bone_volume", "ctx"])
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import pandas as pd

from .catalog import ModelInfo, get_model
from .dosing import parse_time
from .engine import Engine, build, load
from .errors import DosesAfterEndWarning, InputError, RedundantPerturbationWarning, name_list, user_stacklevel
from .perturbations import (
    ONCE_KINDS,
    Perturbation,
    as_perturbations,
    canonical_part,
    check_no_repeats,
    condition_spec,
    doses_after_end,
    to_changes,
)
from .sbml_files import time_in_model_unit

PerturbationLike = str | Perturbation


class Model:
    """A shipped model, compiled once, with its pre-equilibrated baseline.

    Parameters
    ----------
    name
        A shipped model name (``rankl-net models`` lists them).
    context
        "mouse", "human" or, for the drug models, "mouse_huRANKL" (``get_model(name).contexts``);
        None: the model's default.
    values
        Parameter values (in the model's units) applied before the baseline is found, so that
        every condition starts from the steady state they give (the model compiled anew for
        this object; see :func:`rankl_net.engine.build` for what stays as shipped). None: the
        shipped values, with the model compiled once per process. A ``set:`` perturbation
        instead changes a value at time 0 of a condition, starting from the shipped baseline.
    """

    def __init__(
        self, name: str, context: str | None = None, values: Mapping[str, float] | None = None
    ) -> None:
        self.info: ModelInfo = get_model(name)
        self.context = self.info.context_or_default(context)
        self.values = dict(values or {})
        self.engine: Engine = (
            build(name, self.context, self.values) if self.values else load(name, self.context)
        )
        self._blocks: list[list[Perturbation]] = []  # one list per open perturbed() block

    def __repr__(self) -> str:
        values = f", values={self.values!r}" if self.values else ""
        return f"Model({self.info.name!r}, context={self.context!r}{values})"

    @property
    def readouts(self) -> tuple[str, ...]:
        """Default readouts, named as in the model card."""
        return self.info.readouts

    @property
    def time_unit(self) -> str:
        """Unit of the time axis ("hour" or "day")."""
        return self.info.time_unit

    def _perturbations(self, specs: Sequence[PerturbationLike]) -> list[Perturbation]:
        out = self._active
        active = len(out)
        for s in specs:
            hint = self._misplaced(s)
            if hint or not isinstance(s, (str, *Perturbation.__args__)):
                if not hint and isinstance(s, list | tuple):
                    hint = " (pass them as separate arguments, simulate('ko:OPG', 'ko:RANK'))"
                raise InputError(f"a perturbation is a spec such as 'ko:OPG' or a Perturbation object, got "
                                 f"{type(s).__name__} {s!r}{hint}")
            out.extend(as_perturbations(s))
        # one call's perturbations are one condition (simulate("ko:OPG", "ko:OPG") is ko:OPG+ko:OPG);
        # the enclosing perturbed() blocks' are beneath them, as a screen's background
        given = out[active:]
        check_no_repeats(given, condition_spec(given))
        self._note_repeats_of_blocks(out[:active], given)
        return out

    def _note_repeats_of_blocks(self, active: list[Perturbation], given: list[Perturbation]) -> None:
        """Warn once for each knockout, ``set:`` or preset of ``given`` that an enclosing
        :meth:`perturbed` block applies already (under any of its node's names): it changes nothing
        more there; a screen notes a condition that repeats its background in the same way."""
        def canonical(p: Perturbation) -> Perturbation:
            try:
                return canonical_part(p, self.engine)
            except InputError:  # not a node or preset of the model: to_changes says so
                return p

        applied = {canonical(p) for p in active if isinstance(p, ONCE_KINDS)}
        for p in given:
            if isinstance(p, ONCE_KINDS) and canonical(p) in applied:
                warnings.warn(f"an enclosing perturbed() block applies {canonical(p).spec} already: "
                              f"{p.spec} here changes nothing more", RedundantPerturbationWarning,
                              stacklevel=user_stacklevel())

    def _misplaced(self, arg) -> str:
        """A hint when a positional argument is an end time or readouts given without their
        keyword (``simulate("ko:OPG", 84)``), else ""."""
        if isinstance(arg, numbers.Real) and not isinstance(arg, bool):
            return f" (an end time is given by keyword: end={arg!r})"
        if isinstance(arg, str) and ":" not in arg:
            try:
                parse_time(arg)
                return f" (an end time is given by keyword: end={arg!r})"
            except InputError:
                pass
        names = [arg] if isinstance(arg, str) else arg if isinstance(arg, list | tuple) else []
        if names and all(isinstance(n, str) and n.strip() in self.engine.symbols for n in names):
            return f" (readouts are given by keyword: readouts={arg!r})"
        return ""

    def _readouts(self, readouts: Sequence[str] | str | None) -> list[str]:
        if readouts is None:
            return list(self.readouts)
        return name_list(readouts, "readouts")

    def simulate(
        self,
        *perturbations: PerturbationLike,
        end: float | str | None = None,
        points: int = 101,
        readouts: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Simulate from the baseline with ``perturbations`` starting at time 0.

        Parameters
        ----------
        perturbations
            Specs ("ko:OPG", "inh:P38=0.8", "ko:NFKB1+ko:NFKB2") or Perturbation objects,
            added to those of any enclosing :meth:`perturbed` block.
        end
            End time in the model's time unit (hours or days), or a time with a unit ("12wk",
            "72h"; units s, min, h, d, wk, mo, y); default from the catalog.
        points
            Number of evenly spaced output times, including 0 and ``end``.
        readouts
            Quantities to report (default: the model's readouts); a string is one name or a
            comma-separated list.

        Returns
        -------
        DataFrame with ``time`` and one column per readout.

        Warns
        -----
        DosesAfterEndWarning
            A regimen with a number of doses (``*N``), or a single dose, has doses at or after
            ``end``, or a regimen without ``*N`` starts at or after it: they are not given.
        """
        return self._simulate(perturbations, end, points, readouts)

    def _simulate(self, perturbations, end, points, readouts) -> pd.DataFrame:
        """:meth:`simulate`, called by the public methods (warnings point to their caller)."""
        perts = self._perturbations(perturbations)
        changes = to_changes(perts, self.engine)
        end = self.info.default_end if end is None else time_in_model_unit(self.info.name, end)
        self.engine.check_end(end)  # (before the doses are counted against it)
        for lost in doses_after_end(perts, changes, end, self.time_unit):
            warnings.warn(lost, DosesAfterEndWarning, stacklevel=3)
        return self.engine.simulate(changes, end=end, points=points, readouts=self._readouts(readouts))

    def final(
        self,
        *perturbations: PerturbationLike,
        end: float | str | None = None,
        readouts: Sequence[str] | None = None,
    ) -> pd.Series:
        """Readout values at ``end`` (model time units or a time with a unit, as for
        :meth:`simulate`; default: the model's) under
        ``perturbations``, by readout, in the readouts' units; the Series is named after the time."""
        frame = self._simulate(perturbations, end, 2, readouts)
        last = frame.iloc[-1]
        return last.drop("time").rename(float(last["time"]))

    @contextmanager
    def perturbed(self, *perturbations: PerturbationLike) -> Iterator[Model]:
        """Apply ``perturbations`` to every simulation inside the block; always undone on exit."""
        added = self._perturbations(perturbations)[len(self._active) :]
        if not added:
            raise InputError("perturbed() needs at least one perturbation")
        to_changes(self._active + added, self.engine)  # validate before entering
        self._blocks.append(added)
        try:
            yield self
        finally:
            # this block's list by identity: blocks left out of order (an ExitStack, generators)
            # each undo their own perturbations
            self._blocks = [block for block in self._blocks if block is not added]
            self.engine.restore_baseline()

    @property
    def _active(self) -> list[Perturbation]:
        return [p for block in self._blocks for p in block]

    @property
    def active_spec(self) -> str:
        """The spec of the perturbations active in enclosing :meth:`perturbed` blocks."""
        return condition_spec(self._active)


def load_model(name: str, context: str | None = None, values: Mapping[str, float] | None = None) -> Model:
    """Load a shipped model (compiled once per process and context; with ``values``, parameter
    values applied before the baseline is found, compiled anew: see :class:`Model`)."""
    return Model(name, context, values)
