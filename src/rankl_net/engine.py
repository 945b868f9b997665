"""Simulation engine: a compiled libRoadRunner model with a pre-equilibrated baseline.

Rules (ARCHITECTURE, "Engine rules"):

* The SBML is compiled once per model, context and process (:func:`load`); a condition never
  reloads or recompiles it.
* The baseline is found by integration with a convergence test (max relative rate of change
  below ``tolerance`` per time unit); NLEQ's ``steadyState()`` is tried only as a polish, from a
  saved state that is restored if it fails or lands elsewhere.
* Every condition starts from the saved baseline state (``loadStateS``), then applies its
  changes in a fixed order: parameters, then species, then values reset at the start. So one
  condition cannot leak into the next.
* Timed changes (``SetValue`` with a window) are applied by piecewise integration between the
  change times.
* CVODE's absolute tolerances are set per state once, at the baseline, so a restart (a dose, a
  timed change) never rescales them to the state of the moment.
* CVODE's stability-limit detection is set for every run as the model asks
  (:mod:`rankl_net.cvode`; on for the shipped models whose fast damped oscillation would
  otherwise hold BDF orders 3-5 at their stability limit long after it has died out).
"""

from __future__ import annotations

import math
import numbers
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import roadrunner

from .catalog import ModelInfo, get_model
from .cvode import set_stability_limit_detection, sundials_error_log_quiet
from .dosing import SECONDS_PER_TIME_UNIT, check_run_length
from .errors import InputError, PreequilibrationError, SimulationError, first_repeated, given, unknown_name
from .units import labels, with_changes

# what messages call the time unit of a model that declares none ("10 time units")
UNDECLARED_TIME_UNIT = "time unit"

roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)

RELATIVE_TOLERANCE = 1e-8
# output time points of one simulation at most: each holds every readout in memory, and
# libRoadRunner's own result another copy (10^6 points of 20 readouts: about 320 MB)
MAX_POINTS = 1_000_000
ABSOLUTE_TOLERANCE = 1e-12
# a state below this (in the model's units) at the baseline is round-off of zero
ROUND_OFF = 1e-20
# doses in one simulation (each starts a piece of integration): beyond this, a typing error
MAX_DOSES = 100_000
# the MathML csymbol of model time: a model without it does not depend on the clock's value
TIME_CSYMBOL = "http://www.sbml.org/sbml/symbols/time"


@dataclass(frozen=True)
class TimedChange:
    """Set ``target`` to ``value`` from ``start`` until ``end`` (model time units; None: to the end)."""

    target: str
    value: float
    start: float
    end: float | None = None


@dataclass(frozen=True)
class Dosing:
    """Add ``amount`` (substance units, pmol) to species ``species`` at ``start`` and then every
    ``every`` time units, ``count`` times (None: until the end of the simulation)."""

    species: str
    amount: float
    start: float = 0.0
    every: float | None = None
    count: int | None = None

    def number_before(self, end: float) -> int:
        """How many doses fall before ``end`` (model time units)."""
        if end <= self.start:
            return 0
        if self.every is None:
            return 1
        # doses at start + k * every < end; one within round-off of the end is not before it
        q = (end - self.start) / self.every
        n_max = round(q) if math.isclose(q, round(q), rel_tol=1e-9) else math.ceil(q)
        return max(n_max if self.count is None else min(self.count, n_max), 0)

    def times(self, end: float) -> list[float]:
        """Dose times before ``end`` (model time units)."""
        return [self.start + k * (self.every or 0.0) for k in range(self.number_before(end))]


@dataclass
class Changes:
    """What one condition changes relative to the baseline.

    Attributes
    ----------
    parameters
        Parameter (or compartment) values set at time 0.
    species
        Species concentrations set at time 0.
    timed
        Changes that start (and possibly end) later.
    dosing
        Doses added to species amounts at their times (after the changes of that time).
    """

    parameters: dict[str, float] = field(default_factory=dict)
    species: dict[str, float] = field(default_factory=dict)
    timed: list[TimedChange] = field(default_factory=list)
    dosing: list[Dosing] = field(default_factory=list)

    def key(self) -> tuple:
        """A hashable summary: conditions with equal keys simulate identically (the values set
        at time 0 are independent of one another; timed changes and doses keep their order)."""
        return (tuple(sorted(self.parameters.items())), tuple(sorted(self.species.items())),
                tuple(self.timed), tuple(self.dosing))


def _stoichiometry_of(model) -> tuple[np.ndarray, list[str], list[str]]:
    """Stoichiometry matrix of a libSBML model (species x reactions, from the reactions' species
    references and conversion factors; it changes amounts), the ids of its rows (the species
    that reactions change: not boundary, not constant, not the variable of a rule) and each
    row's compartment. Raises ValueError when a stoichiometry or a conversion factor is
    computed by the model."""
    if model is None or model.getNumReactions() == 0:
        return np.zeros((0, 0)), [], []
    # a species set by a rule is not changed by reactions (SBML forbids both), whatever the
    # references say; a species with a rate rule would otherwise be a spurious law of its own
    ruled = {r.getVariable() for r in model.getListOfRules() if r.isAssignment() or r.isRate()}
    kept = [sp for sp in model.getListOfSpecies()
            if not (sp.getBoundaryCondition() or sp.getConstant() or sp.getId() in ruled)]
    rows = [sp.getId() for sp in kept]
    index = {sid: i for i, sid in enumerate(rows)}
    computed = ruled | {a.getSymbol() for a in model.getListOfInitialAssignments()}
    n = np.zeros((len(rows), model.getNumReactions()))
    for j, reaction in enumerate(model.getListOfReactions()):
        for refs, sign in ((reaction.getListOfReactants(), -1.0), (reaction.getListOfProducts(), 1.0)):
            for ref in refs:
                if ref.getSpecies() not in index:
                    continue
                if ref.isSetId() and ref.getId() in computed:
                    raise ValueError(f"the stoichiometry of {ref.getSpecies()} in {reaction.getId()} is "
                                     "computed by a rule or an initial assignment")
                value = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                n[index[ref.getSpecies()], j] += sign * value
    # a conversion factor scales what the reactions do to a species' amount
    for i, sp in enumerate(kept):
        factor = sp.getConversionFactor() or model.getConversionFactor()
        if factor:
            parameter = model.getParameter(factor)
            if parameter is None or not parameter.getConstant() or factor in computed:
                raise ValueError(f"the conversion factor {factor} of {sp.getId()} is not a constant value")
            n[i] *= parameter.getValue()
    return n, rows, [sp.getCompartment() for sp in kept]


class Engine:
    """A compiled model with its baseline state.

    Parameters
    ----------
    sbml
        SBML text or path to an SBML file.
    name
        Model name used in messages.
    time_unit
        Unit of the model's time axis (for messages and tables).
    context_values
        Parameter values of the chosen context, applied before pre-equilibration.
    preequilibration
        Parameter values held only while the baseline is found; restored at time 0.
    reset_at_start
        Values assigned at time 0 of every condition (for example bone volume = 100 %), before
        the condition's own changes.
    preequilibration_time
        Integration horizon of each pre-equilibration step, in model time units.
    tolerance
        Convergence test of the baseline: max |dx/dt| / max(|x|, scale) per time unit.
    presets
        Named sets of values (parameters or species) that ``preset:NAME`` applies at time 0.
    preequilibrate
        True (default): the baseline is the steady state reached by integration. False: the
        baseline is the model's initial state at time 0 (context values and values reset at
        the start applied), for models that never settle (oscillators) or that are driven by
        events at fixed times.
    relative_tolerance
        CVODE's relative tolerance (default ``RELATIVE_TOLERANCE``, 1e-8).
    absolute_tolerance
        CVODE's absolute tolerance: of a state that is zero at the baseline, in concentration
        units; of any other state, this fraction of its baseline value (libRoadRunner's
        scaling, fixed at the baseline: see ``_fix_absolute_tolerances``).
    stability_limit_detection
        Integrate with CVODE's stability-limit detection (:mod:`rankl_net.cvode`); False
        (default): as libRoadRunner sets CVODE. Where it cannot be switched on, a warning, and
        the attribute of the same name is False.
    nonnegative_parameters
        Refuse a negative value (``set:``) for a parameter that is not negative at the baseline:
        True for the shipped models, whose parameters are rates, concentrations and fractions.
        Species and compartments are refused negative values in any model, unless the model
        starts them below zero (:func:`rankl_net.perturbations.nonnegative`).
    usual_readouts
        The model's usual readouts, which a message about an unknown readout lists first (the
        catalog's, for a shipped model); any species, parameter or compartment is a readout.

    Attributes
    ----------
    shipped
        The shipped model and context the engine was built for (:func:`load`), None for
        another model.
    """

    def __init__(
        self,
        sbml: str | Path,
        *,
        name: str = "model",
        time_unit: str = UNDECLARED_TIME_UNIT,
        context_values: Mapping[str, float] | None = None,
        preequilibration: Mapping[str, float] | None = None,
        reset_at_start: Mapping[str, float] | None = None,
        preequilibration_time: float = 1000.0,
        tolerance: float = 1e-9,
        preequilibrate: bool = True,
        presets: Mapping[str, Mapping[str, float]] | None = None,
        relative_tolerance: float = RELATIVE_TOLERANCE,
        absolute_tolerance: float = ABSOLUTE_TOLERANCE,
        stability_limit_detection: bool = False,
        nonnegative_parameters: bool = False,
        usual_readouts: Sequence[str] = (),
    ) -> None:
        check_tolerances(relative_tolerance, absolute_tolerance, name)
        self.name = name
        self.usual_readouts = tuple(usual_readouts)
        self.shipped: tuple[str, str] | None = None
        self.nonnegative_parameters = nonnegative_parameters
        self.time_unit = time_unit
        text = sbml.read_text(encoding="utf-8") if isinstance(sbml, Path) else sbml
        self._sbml_text = text
        try:
            # SUNDIALS' error log would print each failure a second time (see _load_state)
            with sundials_error_log_quiet():
                self.rr = roadrunner.RoadRunner(text)
        except RuntimeError as exc:
            raise InputError(f"{name}: libRoadRunner cannot load the model: {_load_message(exc)}") from None
        configure_integrator(self.rr.integrator, relative=relative_tolerance, absolute=absolute_tolerance)
        self.relative_tolerance = float(relative_tolerance)
        self.absolute_tolerance = float(absolute_tolerance)
        # set for every run (_run), the baseline's search included
        self.stability_limit_detection = stability_limit_detection and set_stability_limit_detection(
            self.rr.integrator)
        if stability_limit_detection and not self.stability_limit_detection:
            warnings.warn(f"{name}: CVODE's stability-limit detection cannot be switched on with this "
                          "build of libRoadRunner; integrating with its default settings",
                          RuntimeWarning, stacklevel=2)
        m = self.rr.model
        self.species_ids: tuple[str, ...] = tuple(m.getFloatingSpeciesIds()) + tuple(
            m.getBoundarySpeciesIds()
        )
        self.parameter_ids: tuple[str, ...] = tuple(m.getGlobalParameterIds())
        self.compartment_ids: tuple[str, ...] = tuple(m.getCompartmentIds())
        self.reaction_ids: tuple[str, ...] = tuple(m.getReactionIds())
        # quantities computed by assignment rules: readable, never settable
        self.assigned_ids: frozenset[str] = frozenset(self.rr.getAssignmentRuleIds())
        # the state: floating species and quantities integrated by rate rules (a timed change sets
        # them and leaves them to evolve; a boundary species is held, like a parameter)
        self.rate_rule_ids: frozenset[str] = frozenset(self.rr.getRateRuleIds())
        self._state_ids: frozenset[str] = frozenset(m.getFloatingSpeciesIds()) | self.rate_rule_ids
        # True when no math reads the model time and no event waits on the clock (a delayed
        # event pending at a break would not fire on a clock restarted at 0), so a piece of
        # integration may start at 0
        self._clock_free = TIME_CSYMBOL not in text and m.getNumEvents() == 0
        self._context = dict(context_values or {})
        self._preeq = dict(preequilibration or {})
        self._reset = dict(reset_at_start or {})
        self.presets: dict[str, dict[str, float]] = {k: dict(v) for k, v in (presets or {}).items()}
        preset_keys = [sid for values in self.presets.values() for sid in values]
        for key in (*self._context, *self._preeq, *self._reset, *preset_keys):
            self._check_symbol(key)
        # values of the parameters as the SBML and the context give them, before any change
        self._defaults = {p: float(self.rr[p]) for p in self.parameter_ids} | self._context
        self.preequilibration_time = preequilibration_time
        self.tolerance = tolerance
        self.preequilibrate = preequilibrate
        self._baseline_state: bytes = b""
        self._fast_restore = False  # set by _capture_baseline_arrays once the baseline is known
        self._late_start = False  # a simulate() began after time 0 since the last restore
        # one libRoadRunner instance holds one state: simulations from several threads take
        # turns (they overwrote each other's state and returned wrong values)
        self._lock = threading.RLock()
        self._selections: list[str] = []
        self._changes: Changes | None = None  # the last run's (named by a failed integration)
        self.baseline: dict[str, float] = {}
        self._unit_labels: dict[str, str] = {}  # filled by units()
        with sundials_error_log_quiet():  # the steady-state search may recompile the model
            self._find_baseline()

    # ---------------------------------------------------------------- symbols
    @cached_property
    def symbols(self) -> tuple[str, ...]:
        """Every model quantity a readout or ``set:`` may name."""
        return self.species_ids + self.parameter_ids + self.compartment_ids + self.reaction_ids

    @cached_property
    def _symbol_set(self) -> frozenset[str]:
        return frozenset(self.symbols)

    @cached_property
    def _species_set(self) -> frozenset[str]:
        return frozenset(self.species_ids)

    @cached_property
    def _sbml_document(self):
        """The model's SBML read with libSBML (for what libRoadRunner does not report), kept."""
        import libsbml

        return libsbml.readSBMLFromString(self._sbml_text)

    def units(self, ids: Iterable[str]) -> dict[str, str]:
        """The unit of each of ``ids`` (model quantities) as a person reads it
        (:func:`rankl_net.units.label`: ``pM``, ``µg/mL``; "" where the model declares none), a
        shipped model's percent changes from baseline as ``% change``
        (:func:`rankl_net.units.with_changes`), and ``time`` as the model's time unit."""
        ids = list(ids)
        missing = [i for i in dict.fromkeys(ids) if i not in self._unit_labels and i != "time"]
        if missing:  # libSBML derives units anew for each call: each id is derived once
            found = labels(self._sbml_document.getModel(), missing)
            changes = get_model(self.shipped[0]).percent_changes if self.shipped else ()
            self._unit_labels.update(with_changes(found, changes))
        # (a file that declares no time unit: "" as for any undeclared unit, not a placeholder)
        time = "" if self.time_unit == UNDECLARED_TIME_UNIT else self.time_unit
        return {i: time if i == "time" else self._unit_labels[i] for i in ids}

    @cached_property
    def size_parameters(self) -> frozenset[str]:
        """Parameters in units of mass or volume (a body weight, a volume of distribution): a
        model divides by them."""
        model = self._sbml_document.getModel()
        return frozenset(p.getId() for p in model.getListOfParameters()
                         if (ud := p.getDerivedUnitDefinition()) is not None
                         and (ud.isVariantOfMass() or ud.isVariantOfVolume()))

    @cached_property
    def event_ids(self) -> frozenset[str]:
        """Ids of the model's events."""
        return frozenset(self.rr.model.getEventIds()) if self.rr.model.getNumEvents() else frozenset()

    @cached_property
    def event_targets(self) -> frozenset[str]:
        """Ids the model's own events assign (empty for a model without events)."""
        if self.rr.model.getNumEvents() == 0:
            return frozenset()
        model = self._sbml_document.getModel()
        return frozenset(ea.getVariable() for ev in model.getListOfEvents()
                         for ea in ev.getListOfEventAssignments())

    def _check_symbol(self, sid: str) -> None:
        if sid not in self._symbol_set:
            raise unknown_name("model quantity", sid, self.symbols)

    def _key(self, sid: str) -> str:
        return f"[{sid}]" if sid in self._species_set else sid

    def value(self, sid: str) -> float:
        """Current value of a model quantity (species as concentrations)."""
        return float(self.rr[self._key(sid)])

    def set_value(self, sid: str, value: float) -> None:
        """Set a parameter, compartment or species (concentration) on the compiled model."""
        if sid in self.assigned_ids:
            raise InputError(f"{sid} is computed by an assignment rule and cannot be set")
        if not math.isfinite(value):
            raise InputError(f"{sid}: value must be a finite number, got {value}")
        self.rr[self._key(sid)] = float(value)

    # --------------------------------------------------------------- baseline
    def _state(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """State variables (independent species, rate-rule variables), their values and rates.

        libRoadRunner's state vector: a species set by an assignment or rate rule is not in
        the floating-species rate array, so that array can be shorter than the species list.
        """
        rates = np.asarray(self.rr.getRatesOfChange(), float).ravel()
        ids = [self.rr.model.getStateVectorId(i) for i in range(rates.size)]
        x = np.array([self.rr[i] for i in ids], float)
        return ids, x, rates

    def _state_rates(self, exclude: Iterable[str] = ()) -> float:
        """Max relative rate of change of the state, per time unit (``exclude`` left out)."""
        ids, x, dx = self._state()
        keep = np.array([i not in set(exclude) for i in ids], bool)
        if not keep.any():
            return 0.0
        x, dx = x[keep], dx[keep]
        scale = max(float(np.max(np.abs(x))), 1e-30) * 1e-6
        return float(np.max(np.abs(dx) / np.maximum(np.abs(x), scale)))

    def _integrate(self, duration: float) -> None:
        try:
            self._run(self.rr.model.getTime(), self.rr.model.getTime() + duration, 2)
        except RuntimeError as exc:
            raise PreequilibrationError(
                f"{self.name}: pre-equilibration failed: {_integrator_message(exc)} (a model that "
                "oscillates or grows without bound has no steady baseline)"
            ) from None

    def _find_baseline(self) -> None:
        rr = self.rr
        # a context's values (and build's values=) make the model whose baseline is found: a
        # parameter's initial value is set, so that the initial assignments that depend on it are
        # evaluated with it, as in an SBML file with that value (set: at time 0 changes the value
        # alone)
        initially_assigned = frozenset(rr.getInitialAssignmentIds())
        for sid, v in self._context.items():
            self.set_value(sid, v)
            if sid in self.parameter_ids and sid not in initially_assigned:
                rr[f"init({sid})"] = float(v)
        if self.preequilibrate:
            self._fix_absolute_tolerances()
            self._preequilibrate()
        rr.model.setTime(0.0)
        for sid, v in self._reset.items():
            self.set_value(sid, v)
        self._fix_absolute_tolerances()
        self._baseline_state = rr.saveStateS()
        self._capture_baseline_arrays()
        self.baseline = {s: self.value(s) for s in self.symbols}

    def _preequilibrate(self) -> None:
        """Integrate (with the pre-equilibration values held) until the state stops changing."""
        for sid, v in self._preeq.items():
            self.set_value(sid, v)
        exclude = tuple(self._reset)
        horizon = self.preequilibration_time
        for _ in range(12):
            self._integrate(horizon)
            if self._state_rates(exclude) < self.tolerance:
                break
            horizon *= 2
        else:
            raise PreequilibrationError(
                f"{self.name}: no steady baseline: the relative rate of change is still "
                f"{self._state_rates(exclude):.3g} per {self.time_unit} after long integration"
            )
        self._polish_steady_state(exclude)
        for sid in self._preeq:
            self.set_value(sid, self._defaults[sid])

    def _fix_absolute_tolerances(self) -> None:
        """Give CVODE one absolute tolerance per state, scaled to the state's current size.

        libRoadRunner multiplies a scalar absolute tolerance by each state's value every time
        integration restarts (each simulate() call, so each dose or timed change). A state
        that has decayed to round-off (a drug after washout, 1e-300 pM) then gets a tolerance
        near zero, and CVODE shrinks its step below what the time can resolve ("t + h = t")
        or fails. Fixed here instead, from the current state (the baseline once it is known):
        ``absolute_tolerance`` times the state's amount, or times its compartment volume (a
        concentration tolerance) where the state is zero or round-off at the baseline.
        """
        m = self.rr.model
        integrator = self.rr.integrator
        # CVODE takes the list by position, in the order of libRoadRunner's state vector
        # (quantities under rate rules first, then the species the reactions change)
        n_states = len(integrator.getAbsoluteToleranceVector())
        species = {sid: i for i, sid in enumerate(m.getFloatingSpeciesIds())}
        amounts = np.abs(np.array(m.getFloatingSpeciesAmounts(), float))
        volumes = np.array(m.getCompartmentVolumes(), float)
        rules = set(self.rr.getRateRuleIds())
        scale = np.empty(n_states)
        for k in range(n_states):
            sid = m.getStateVectorId(k)
            if sid in species and sid not in rules:
                i = species[sid]
                floor = volumes[m.getCompartmentIndexForFloatingSpecies(i)]
                scale[k] = amounts[i] if amounts[i] > ROUND_OFF * floor else floor
            else:
                value = abs(float(self.rr[sid]))
                scale[k] = value if value > ROUND_OFF else 1.0
        integrator.absolute_tolerance = list(self.absolute_tolerance * scale)

    def _capture_baseline_arrays(self) -> None:
        """Keep the baseline as value arrays: restoring them costs microseconds, where
        ``loadStateS`` rebuilds the model object (milliseconds). Models with events keep using
        ``loadStateS``, which also restores the event state."""
        m = self.rr.model
        self._fast_restore = m.getNumEvents() == 0
        ids = list(m.getGlobalParameterIds())
        settable = [i for i, p in enumerate(ids) if p not in self.assigned_ids]
        self._settable = np.array(settable, dtype=np.int32)
        self._base_params = np.array(m.getGlobalParameterValues(), float)[self._settable]
        # species, and compartments, set by an assignment rule are left to it (libRoadRunner
        # refuses to set them)
        def free(ids) -> np.ndarray:
            return np.array([i for i, sid in enumerate(ids) if sid not in self.assigned_ids], dtype=np.int32)

        # floating species as amounts, the state itself: a concentration would be read against
        # the size its compartment has when it is set (a rule-sized one is still at its last size)
        self._free_species = free(m.getFloatingSpeciesIds())
        self._base_species = np.array(m.getFloatingSpeciesAmounts(), float)[self._free_species]
        self._free_boundary = free(m.getBoundarySpeciesIds())
        self._base_boundary = np.array(m.getBoundarySpeciesConcentrations(), float)[self._free_boundary]
        self._free_compartments = free(m.getCompartmentIds())
        self._base_volumes = np.array(m.getCompartmentVolumes(), float)[self._free_compartments]

    def conservation_laws(self) -> tuple[np.ndarray, list[str], list[str]]:
        """The conservation laws of the reaction network: the rows of the left null space of the
        stoichiometry matrix (one row per law, dimensionless weights on species *amounts*:
        the engine's concentrations times their compartments' sizes), the ids of the species
        its columns refer to (the species that reactions change) and each one's compartment.
        No reactions: no rows and no ids. Raises ValueError when a stoichiometry or a
        conversion factor is computed by the model.

        Read from the SBML with libSBML: libRoadRunner 2.10 corrupts its heap when its
        stoichiometry matrix is taken before a steady-state solve with moiety analysis.
        """
        n, rows, compartments = _stoichiometry_of(self._sbml_document.getModel())
        if not n.size:
            return np.zeros((0, len(rows))), rows, compartments
        u, sv, _ = np.linalg.svd(n)
        rank = int((sv > 1e-10 * max(sv.max(), 1.0)).sum())
        return u[:, rank:].T, rows, compartments

    def _polish_steady_state(self, exclude: tuple[str, ...]) -> None:
        """Refine the integrated baseline with NLEQ; keep it only if it is a better fixed point."""
        saved = self.rr.saveStateS()
        before = self._state_rates(exclude)
        x0 = self._state()[1]
        # moiety analysis recompiles the model twice (seconds for the larger models); it only
        # matters where conservation laws make the Jacobian singular
        try:
            has_laws = len(self.conservation_laws()[0]) > 0
        except ValueError:  # a stoichiometry the model computes: let the solver find out
            has_laws = True
        self.rr.steadyStateSolver.setValue("auto_moiety_analysis", has_laws)
        try:
            self.rr.steadyState()
            after = self._state_rates(exclude)
            x1 = self._state()[1]
            same_branch = np.all(np.abs(x1 - x0) <= 1e-3 * np.maximum(np.abs(x0), 1e-30) + 1e-15)
            if not (after <= before and same_branch and np.all(np.isfinite(x1))):
                self._load_state(saved)
        except RuntimeError:
            self._load_state(saved)

    def _load_state(self, state: bytes) -> None:
        """``loadStateS``, which makes the integrator anew: SUNDIALS' error log is quiet for it,
        as for the model's loading."""
        with sundials_error_log_quiet():
            self.rr.loadStateS(state)

    def restore_baseline(self) -> None:
        """Return the compiled model to the saved baseline (state, parameters, time 0)."""
        if not self._fast_restore:
            self._load_state(self._baseline_state)
            if self._late_start:
                # libRoadRunner 2.10 anchors the events of a loaded state at the start time of
                # the last simulate() before the load: after a piece that began at T > 0, an
                # event's trigger is first seen at T (a delayed one fires late, an assignment
                # made at load time leaks; tests/test_engine.py). A load after a run from 0 is clean.
                self.rr.simulate(times=[0.0, 1e-9])
                self._load_state(self._baseline_state)
                self._late_start = False
            # loadStateS also restores the output selections saved with the state: the cached
            # list no longer describes the model, so the next simulate() sets them again
            self._selections = []
            return
        m = self.rr.model
        if len(self._free_compartments):
            m.setCompartmentVolumes(self._free_compartments, self._base_volumes)
        m.setGlobalParameterValues(self._settable, self._base_params)
        if len(self._free_boundary):  # (libRoadRunner 2.10 binds no setBoundarySpeciesAmounts for arrays)
            m.setBoundarySpeciesConcentrations(self._free_boundary, self._base_boundary)
        if len(self._free_species):
            m.setFloatingSpeciesAmounts(self._free_species, self._base_species)
        m.setTime(0.0)

    # ------------------------------------------------------------- simulation
    def check_readouts(self, readouts: Sequence[str]) -> list[str]:
        """Validate readout names; unknown names raise an error with a suggestion."""
        if not readouts:
            raise InputError("no readouts selected")
        for r in readouts:
            if r not in self._symbol_set:
                raise unknown_name("readout", r, self.symbols, first=self.usual_readouts)
        if len(set(readouts)) != len(readouts):
            raise InputError(f"the readout {first_repeated(list(readouts))!r} is listed more than once")
        return list(readouts)

    def apply(self, changes: Changes) -> None:
        """Restore the baseline, reset what the model resets at time 0 (bone volume to 100 %),
        then apply the time-0 changes in a fixed order: a condition's own value of a reset
        quantity (``set:bone_volume=50``) is its starting value."""
        self.restore_baseline()
        for sid, v in self._reset.items():
            self.set_value(sid, v)
        for sid, v in changes.parameters.items():
            self.set_value(sid, v)
        for sid, v in changes.species.items():
            self.set_value(sid, v)
        for tc in changes.timed:
            if tc.start <= 0.0:
                self.set_value(tc.target, tc.value)

    def simulate(
        self,
        changes: Changes | None = None,
        *,
        end: float,
        points: int = 101,
        readouts: Sequence[str],
    ) -> pd.DataFrame:
        """Simulate one condition from the baseline at time 0 to ``end``.

        Parameters
        ----------
        changes
            What the condition changes (None: the baseline itself).
        end
            End time, in model time units.
        points
            Number of output time points, evenly spaced from 0 to ``end`` (2 to ``MAX_POINTS``).
        readouts
            Model quantities to report.

        Returns
        -------
        DataFrame with a ``time`` column and one column per readout; ``attrs["units"]`` maps
        each column to its unit (:meth:`units`).
        """
        readouts = self.check_readouts(readouts)
        with self._lock:
            grid, data = self._trajectory(changes or Changes(), end, points, readouts)
        frame = pd.DataFrame(data, columns=["time", *readouts])
        frame["time"] = grid
        frame.attrs["units"] = self.units(frame.columns)
        return frame

    def final_values(
        self, changes: Changes | None, *, end: float, readouts: Sequence[str]
    ) -> dict[str, float]:
        """Values of ``readouts`` at ``end`` (model time units), without building a table."""
        readouts = self.check_readouts(readouts)
        changes = changes or Changes()
        with self._lock:
            if changes.timed or changes.dosing:
                _, data = self._trajectory(changes, end, 2, readouts)
                last = data[-1, 1:]
            else:  # one piece from 0 to end, the screens' case: no output grid, and libRoadRunner's
                # (start, end, points) form, which integrates faster than an explicit times array
                self._start(changes, end, readouts)
                try:
                    last = np.asarray(self._run(0.0, float(end), 2))[-1, 1:]
                except RuntimeError as exc:
                    raise self._integration_failed(exc) from None
        return {r: float(v) for r, v in zip(readouts, last, strict=True)}

    def _trajectory(self, changes: Changes, end: float, points: int, readouts: Sequence[str]):
        """Integrate piecewise between change times; return the output grid and the rows on it.

        At a change time that is also an output time, the row holds the value just before the
        change.
        """
        check_points(points)
        self._start(changes, end, readouts)
        grid = np.linspace(0.0, float(end), int(points))
        doses = self.dose_table(changes.dosing, end)
        breaks = sorted(set(self._breakpoints(changes.timed, end)) | set(doses))
        # an output time within round-off of a change time is that change time's row (a piece
        # [t, t + 1e-15] is too short for CVODE)
        close = min(1e-9 * max(1.0, float(end)), 0.25 * float(end) / (int(points) - 1))
        rows = []
        held = self._held_values(changes)
        for t0, t1 in zip(breaks[:-1], breaks[1:], strict=True):
            self._apply_timed(changes, t0, held)
            for sid, amount in doses.get(t0, ()):
                self.rr[sid] = self.rr[sid] + amount  # species amount, not concentration
            inside = grid[(grid > t0 + close) & (grid < t1 - close)]
            res = self._integrate_piece(np.concatenate([[t0], inside, [t1]]), t0)
            rows.append(res[1:] if rows else res)  # a piece's first row is the last of the one before
        data = np.vstack(rows)
        # rows at change times that are not output times are dropped
        # (the nearest grid time of each row, found by bisection: memory linear in the points)
        right = np.clip(np.searchsorted(grid, data[:, 0]), 1, len(grid) - 1)
        below = np.abs(grid[right - 1] - data[:, 0]) <= np.abs(grid[right] - data[:, 0])
        index = np.where(below, right - 1, right)
        on_grid = np.abs(grid[index] - data[:, 0]) <= close
        # a change within round-off of an output time gives that time two rows (the ends of the
        # pieces before and after it): the first, the value just before the change, is its row
        first = np.zeros(len(data), bool)
        first[np.flatnonzero(on_grid)[np.unique(index[on_grid], return_index=True)[1]]] = True
        data = data[first]
        if len(data) != len(grid):
            raise SimulationError(f"{self.name}: the integrator returned {len(data)} of {len(grid)} times")
        data[:, 0] = grid  # change times within round-off of an output time report that time
        return grid, data

    def check_end(self, end: float) -> None:
        """Refuse an end time (model time units) that is not a positive finite number, or that is
        longer than the age of the universe (:func:`rankl_net.dosing.check_run_length`)."""
        if isinstance(end, bool) or not isinstance(end, numbers.Real):
            raise InputError(f"end time must be a number of {self.time_unit}s, got {end!r}")
        if end == math.inf:  # positive, but a run that never ends
            raise InputError(f"end time must be a finite number of {self.time_unit}s, got inf: a run ends "
                             f"(give one that could be observed, such as 100 years)")
        if not (end > 0 and math.isfinite(end)):
            raise InputError(f"end time must be a positive number of {self.time_unit}s, got {end}")
        check_run_length(end, SECONDS_PER_TIME_UNIT.get(self.time_unit), self.time_unit)

    def _start(self, changes: Changes, end: float, readouts: Sequence[str]) -> None:
        """Check the end time, apply the time-0 changes and select time and ``readouts``."""
        self.check_end(end)
        self.apply(changes)
        self._changes = changes  # (named by a failed integration: see _integration_failed)
        keys = ["time", *(self._key(r) for r in readouts)]
        if keys != self._selections:
            self.rr.timeCourseSelections = keys
            self._selections = keys

    def _integrate_piece(self, times, t0: float) -> np.ndarray:
        """Integrate from ``times[0] = t0`` through ``times``; rows of time and the selections."""
        # on a clock starting at 0 where the model allows it: CVODE's first step after a dose can
        # be smaller than the spacing of doubles at a late t0 ("t + h = t"), never at 0
        shift = t0 if self._clock_free else 0.0
        self._late_start = self._late_start or t0 - shift > 0
        try:
            res = np.array(self._run(times=np.asarray(times, float) - shift))
        except RuntimeError as exc:
            raise self._integration_failed(exc, shift) from None
        res[:, 0] += shift
        return res

    def _run(self, *args, **kwargs):
        """libRoadRunner's simulate() with CVODE's stability-limit detection as the engine has it
        (set again for each run: loading a state gives libRoadRunner a new CVODE memory)."""
        set_stability_limit_detection(self.rr.integrator, self.stability_limit_detection)
        return self.rr.simulate(*args, **kwargs)

    def _integration_failed(self, exc: BaseException, shift: float = 0.0) -> SimulationError:
        """The error of a failed integration; it names the run's most extreme change where one
        moves a value at least EXTREME_CHANGE-fold from the model's (oe:OPG=1e300), the likely
        cause, and the rates that are not finite where the integrator stopped (a division by
        zero, or 0 to a negative power, once a condition sets a value to 0). ``shift`` is the
        model time (model time units) of the integrator's clock 0."""
        said = f"{self.name}: integration failed: {_integrator_message(exc)}"
        changes = self._changes or Changes()
        extreme = self.most_extreme_change({**changes.parameters, **changes.species}.items(), falls=True)
        if extreme is not None:
            fold, sid, value = extreme
            said += (f" (this run sets {sid} to {value:.3g}, {fold:.3g} times its value in the model: a "
                     "change that large may be more than the integrator can follow)")
        said += self._not_finite_rates(changes, shift)
        return SimulationError(said)

    def most_extreme_change(self, values: Iterable[tuple[str, float]], *, falls: bool = False
                            ) -> tuple[float, str, float] | None:
        """Of ``values`` ((id, value) pairs a condition sets), the one that moves a value of the
        model furthest, where it raises it EXTREME_CHANGE-fold or more (or, with ``falls``, moves
        it that far either way), as (fold, id, value): fold is the value over the model's (its
        size, with ``falls``); None when none does."""
        found = []
        for sid, value in values:
            base = self.baseline.get(sid, 0.0)
            if value == 0 or base == 0 or not math.isfinite(value) or (base < 0 and not falls):
                continue
            fold = abs(value / base) if falls else value / base
            size = max(fold, 1 / fold) if falls else fold
            if size >= EXTREME_CHANGE:
                found.append((size, sid, value, fold))
        if not found:
            return None
        _, sid, value, fold = max(found)
        return fold, sid, value

    def _not_finite_rates(self, changes: Changes, shift: float) -> str:
        """The reactions and states whose rate is not a finite number at the state where the
        integrator stopped, said as the end of an error message ("" when every rate is finite).
        ``shift`` is the model time (model time units) of the integrator's clock 0."""
        try:
            reactions = dict(zip(self.rr.model.getReactionIds(), self.rr.model.getReactionRates(),
                                 strict=True))
            named = self.rr.getRatesOfChangeNamedArray()
            states = dict(zip((c.rstrip("'") for c in named.colnames), np.ravel(named), strict=True))
            at = float(self.rr.model.getTime()) + shift
        except RuntimeError:  # (a model libRoadRunner cannot evaluate at that state says nothing more)
            return ""

        def listed(values: dict) -> str:
            bad = [f"{float(v):g} for {k}" for k, v in values.items() if not math.isfinite(v)]
            shown = bad[:5] + ([f"more for {len(bad) - 5} others"] if len(bad) > 5 else [])
            return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else "".join(shown)

        parts = [f"{kind} is {text}" for kind, text in (("the rate of reaction", listed(reactions)),
                                                        ("the rate of change", listed(states))) if text]
        if not parts:
            return ""
        zeros = [sid for sid, v in {**changes.parameters, **changes.species}.items() if v == 0]
        cause = f"; this run sets {', '.join(zeros)} to 0" if zeros else ""
        return (f" (at time {at:g} {self.time_unit}s {'; '.join(parts)}: a rate that is not a finite "
                "number, from a division by zero or 0 to a negative power, cannot be integrated"
                f"{cause})")

    @staticmethod
    def _breakpoints(timed: Sequence[TimedChange], end: float) -> list[float]:
        cuts = {0.0, float(end)}
        for tc in timed:
            for t in (tc.start, tc.end):
                if t is not None and 0.0 < t < end:
                    cuts.add(float(t))
        return sorted(cuts)

    def dose_table(self, dosing: Sequence[Dosing], end: float) -> dict[float, list[tuple[str, float]]]:
        """Doses by time (before ``end``): species and amount to add."""
        table: dict[float, list[tuple[str, float]]] = {}
        total = sum(d.number_before(end) for d in dosing)
        if total > MAX_DOSES:
            raise InputError(f"{total:.3g} doses before {end:g} {self.time_unit}s; at most {MAX_DOSES} fit "
                             "in one simulation: use a longer interval or an earlier end time")
        for d in dosing:
            if d.species not in self.species_ids:
                raise unknown_name("dose species", d.species, self.species_ids)
            if not (math.isfinite(d.amount) and d.amount >= 0):
                raise InputError(f"dose of {d.species}: the amount must be a finite number >= 0, "
                                 f"got {d.amount}")
            for t in d.times(end):
                table.setdefault(float(t), []).append((d.species, float(d.amount)))
        return table

    def _held_values(self, changes: Changes) -> dict[str, list[float]]:
        """For each quantity held by windows (not a state): [its value outside windows, the value
        the windows last gave it], as of time 0 after the time-0 changes."""
        held = {}
        for tc in changes.timed:
            sid = tc.target
            if sid not in self._state_ids and sid not in held:
                outside = changes.parameters.get(sid, changes.species.get(sid, self.baseline[sid]))
                held[sid] = [outside, self.value(sid)]
        return held

    def _apply_timed(self, changes: Changes, t: float, held: dict[str, list[float]]) -> None:
        """At a break time ``t`` > 0, each quantity whose window opens or closes at ``t`` takes
        the value of the latest-opened window still open after ``t`` (of two opened together,
        the one given last) or, when none is, its value outside windows: the value it had when
        the window opened (at time 0: the condition's value, ``ko:OPG`` sets OPG_expr to 0, else
        the baseline; later, with what the model's own events assigned to it before). When the
        model's events assign it while a window holds it, the event's value stands after the
        window. A state (a floating species, or a quantity a rate rule integrates, such as bone
        volume) is set when its window opens and then left to evolve: a closing window does not
        reset it. A boundary species is held, like a parameter. ``held`` (from
        :meth:`_held_values`) carries each held quantity's values from one break to the next.
        """
        if t <= 0:
            return
        timed = changes.timed
        touched = dict.fromkeys(tc.target for tc in timed if math.isclose(tc.start, t)
                                or (tc.end is not None and math.isclose(tc.end, t)))
        # in the order of time 0: parameters and compartments, then species (a species set
        # together with its compartment's size keeps the concentration given)
        for target in sorted(touched, key=lambda sid: sid in self._species_set):
            windows = [tc for tc in timed if tc.target == target]
            if target in self._state_ids:
                opening = [tc for tc in windows if math.isclose(tc.start, t)]
                if opening:
                    self.set_value(target, opening[-1].value)
                continue
            latest = None
            for tc in windows:
                opened = tc.start < t or math.isclose(tc.start, t)
                still_open = tc.end is None or (tc.end > t and not math.isclose(tc.end, t))
                if opened and still_open and (latest is None or tc.start >= latest.start):
                    latest = tc
            was_open = any(tc.start < t and not math.isclose(tc.start, t)
                           and (tc.end is None or tc.end > t or math.isclose(tc.end, t)) for tc in windows)
            outside, given = held[target]
            current = self.value(target)
            assigned_by_event = target in self.event_targets and not math.isclose(
                current, given, rel_tol=1e-12, abs_tol=0.0)
            if not was_open or assigned_by_event:
                outside = current  # the model's own value: time-0, or what its events assigned
            value = outside if latest is None else latest.value
            self.set_value(target, value)
            held[target] = [outside, value]


# tolerances an engine accepts: tighter than this, CVODE works below double precision's round-off
# (it refuses a relative tolerance under about 1e-15); looser, a result is no longer a simulation
# result worth reporting
RELATIVE_TOLERANCE_RANGE = (1e-14, 1e-2)


def check_tolerances(relative: float, absolute: float, name: str = "model") -> None:
    """Refuse tolerances CVODE cannot use or that give no usable result: a relative tolerance
    outside ``RELATIVE_TOLERANCE_RANGE``, an absolute one not above 0 (or above 1, a fraction of
    each state's size)."""
    low, high = RELATIVE_TOLERANCE_RANGE
    for what, value in (("relative tolerance", relative), ("absolute tolerance", absolute)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise InputError(f"{name}: the {what} must be a finite number, got {given(value)}")
    if not low <= relative <= high:
        raise InputError(f"{name}: the relative tolerance must be from {low:g} to {high:g} (the default is "
                         f"{RELATIVE_TOLERANCE:g}), got {relative:g}")
    if not 0 < absolute <= 1:
        raise InputError(f"{name}: the absolute tolerance must be above 0 and at most 1 (a fraction of each "
                         f"state's size; the default is {ABSOLUTE_TOLERANCE:g}), got {absolute:g}")


def configure_integrator(
    integrator,
    relative: float = RELATIVE_TOLERANCE,
    absolute: float = ABSOLUTE_TOLERANCE,
    max_steps: int = 100000,
) -> None:
    """Set CVODE's tolerances and step limit on a libRoadRunner integrator (the engine's defaults)."""
    integrator.relative_tolerance = relative
    integrator.absolute_tolerance = absolute
    integrator.maximum_num_steps = max_steps


# where in libRoadRunner's C++ an error was raised: ", at [virtual] type ns::Class::function(args)"
_CPP_LOCATION = re.compile(r",\s+at\s+[^(]*::~?\w+\(.*\)\s*$", re.S)


def _load_message(exc: BaseException) -> str:
    """libRoadRunner's reason for not loading a model, without the C++ function it came from."""
    return " ".join(_CPP_LOCATION.sub("", str(exc)).split()) or type(exc).__name__


# the same in CVODE's messages: "; In virtual double rr::CVODEIntegrator::integrate(double, double)"
_CVODE_LOCATION = re.compile(r";?\s+In\s+[^(;]*::~?\w+\([^)]*\)\s*$")


# a change of a value by this factor or more (either way) is named when an integration fails
EXTREME_CHANGE = 1e6


def _integrator_message(exc: BaseException) -> str:
    """CVODE's first line on a failed integration, without the C++ function it came from."""
    text = str(exc).strip().splitlines()
    return _CVODE_LOCATION.sub("", text[0]).rstrip() if text else type(exc).__name__


def check_engine(engine, call: str, kind: type | None = None,
                 source: str = "load_model(name).engine") -> None:
    """Refuse an ``engine`` argument of ``call`` that is not a compiled ``kind`` (default
    :class:`Engine`), naming where one comes from (``source``)."""
    if not isinstance(engine, kind or Engine):
        # a rankl_net.Model, which the layers above this one define, simulates itself
        hint = "; a Model holds its engine in model.engine and simulates itself (model.simulate)" if type(
            engine).__name__ == "Model" else ""
        raise InputError(f"{call}: engine is a compiled model ({source}), got {given(engine)}{hint}")


def check_points(points: int) -> None:
    """Refuse a number of output time points that is not a whole number from 2 to ``MAX_POINTS``."""
    if isinstance(points, bool) or not isinstance(points, int | np.integer):
        raise InputError(f"points must be a whole number, got {points!r}")
    if not 2 <= points <= MAX_POINTS:
        raise InputError(f"points must be from 2 to {MAX_POINTS:,}, got {points:,}")


@cache
def load(model: str, context: str | None = None) -> Engine:
    """The engine of a shipped model in a context (parameters as for :func:`build`), compiled once
    per process and shared by every caller."""
    return build(model, context)


def build(model: str, context: str | None = None, values: Mapping[str, float] | None = None) -> Engine:
    """A new engine of a shipped model in a context (not shared with :func:`load`).

    Parameters
    ----------
    model
        Name of a shipped model (see ``rankl-net models``).
    context
        Species context ("mouse", "human"; "mouse_huRANKL" for the drug models: see the
        model's contexts); None: the model's default context.
    values
        Parameter values (in the model's units) applied before the baseline is found, on top of
        the context's, so that each condition starts from the steady state they give. (A
        ``set:`` perturbation instead changes a value at time 0 of a condition, from the
        baseline of the values the model was built with.) The initial assignments that depend
        on them are evaluated with them, as in an SBML file with those values (``k_resorption``
        moves ``k_formation``, which balances formation against resorption at the calibrated
        cell densities, and the resorption CTX is relative to). What the model resets at time 0
        (bone volume to 100 %) is still reset, and readouts that are changes from the baseline
        (``ctx``, ``p1np``) keep the shipped cell-density references: a value that moves the
        steady tissue (``pth``) starts a transient from there. Quantities a rate rule integrates, those reset
        at time 0 and those held while the baseline is found (the culture's ``rankl_input``)
        are refused.
    """
    info: ModelInfo = get_model(model)
    context = info.context_or_default(context)
    if not info.sbml_path.exists():
        raise InputError(f"{info.sbml_path} is missing: run `rankl-net build`")
    preeq_time = 1000.0 if info.time_unit == "hour" else 5000.0
    values = dict(values or {})
    for sid, v in values.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
            raise InputError(f"{model}: the value of {sid} must be a finite number of at least 0, got {v!r}")
        values[sid] = float(v)
    held = [sid for sid in values if sid in info.preequilibration]
    if held:
        raise InputError(f"{model}: {', '.join(held)} is held at the catalog's value while the baseline "
                         "is found (models/catalog.toml); change it in a condition with set:")
    engine = Engine(
        info.sbml_path,
        name=f"{model} ({context})",
        time_unit=info.time_unit,
        context_values=dict(info.contexts[context]) | values,
        preequilibration=info.preequilibration,
        reset_at_start=info.reset_at_start,
        preequilibration_time=preeq_time,
        presets={k: p.values for k, p in info.presets.items()},
        absolute_tolerance=info.absolute_tolerance or ABSOLUTE_TOLERANCE,
        stability_limit_detection=info.stability_limit_detection,
        nonnegative_parameters=True,
        usual_readouts=info.readouts,
    )
    not_parameters = [sid for sid in values if sid not in engine.parameter_ids or sid in engine.assigned_ids
                      or sid in engine._state_ids or sid in info.reset_at_start]
    if not_parameters:
        raise InputError(f"{model}: {', '.join(not_parameters)} is not a parameter the model holds constant; "
                         "values before the baseline apply to parameters (set: changes a state at time 0)")
    engine.shipped = (model, context)
    return engine
