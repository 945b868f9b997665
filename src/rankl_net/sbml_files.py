"""Any SBML file as an engine, and the generic perturbations on it.

A file (SBML Level 2 or 3) is read through :func:`rankl_net.sbml_io.read_sbml_document`, which
refuses unsafe or non-SBML input, and compiled once (:func:`load_any`). By default its baseline
is the model's own initial state at time 0 (what COPASI and tellurium simulate), because many
published models never settle (oscillators) or are driven by events at fixed times;
``preequilibrate=True`` asks for the pre-equilibrated baseline that the shipped models use.
:func:`generic_changes` turns perturbation specs into a condition on such a file (``ko:`` holds
a species at zero, ``oe:`` scales it, ``set:`` as on the shipped models).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libsbml
import pandas as pd

from .dosing import SECONDS_PER_TIME_UNIT, Regimen, parse_time
from .engine import (
    ABSOLUTE_TOLERANCE,
    RELATIVE_TOLERANCE,
    UNDECLARED_TIME_UNIT,
    Changes,
    Engine,
    check_engine,
    check_tolerances,
)
from .errors import DosesAfterEndWarning, InputError, as_path, name_list, unknown_name
from .perturbations import (
    Inhibition,
    Knockdown,
    Knockout,
    Overexpression,
    Perturbation,
    Preset,
    SetValue,
    as_perturbations,
    check_no_repeats,
    doses_after_end,
    nodes_for,
    resolve_node,
    to_changes,
)
from .sbml_io import CLEAR_MEANING_ERRORS, read_sbml_document


def _rule_targets(model: libsbml.Model) -> tuple[set[str], set[str], set[str]]:
    """Ids set by (assignment rules, rate rules, algebraic rules)."""
    assign, rate, algebraic = set(), set(), set()
    for r in model.getListOfRules():
        if r.isAssignment():
            assign.add(r.getVariable())
        elif r.isRate():
            rate.add(r.getVariable())
        else:
            # the formula string, not the AST: see _rewrite_min_max on libSBML/libSED-ML proxies
            algebraic |= set(_IDENTIFIER.findall(r.getFormula() or ""))
    return assign, rate, algebraic


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_sbml_file(model: str | Path) -> bool:
    """Whether ``model`` names an SBML file (``*.xml``, or any existing file) rather than a shipped
    model: how the command line reads a MODEL argument. A shipped model's name ("bone") names
    the model even when a file of that name is in the working folder (``./bone`` is the file)."""
    from .catalog import model_names

    if isinstance(model, str) and model in model_names():
        return False
    return str(model).lower().endswith(".xml") or Path(model).is_file()


def missing_file_message(model: str | Path) -> str:
    """What to say of an SBML file ``model`` that does not exist; a name such as ``bone.xml``
    (or ``models/sbml/bone.xml`` outside the checkout) is most likely the shipped model, which
    goes by its name from any folder."""
    from .catalog import get_model, model_names

    name = Path(model).stem
    if name not in model_names():
        return f"{model}: no such file"
    return (f"{model}: no such file; the shipped model goes by its name, {name}, from any folder (its file "
            f"is {get_model(name).sbml_path})")


def check_model_arguments(model: str | Path, *, context: str | None = None, baseline: str | None = None,
                          end: float | None = None, needs_end: bool = False,
                          tolerances: Sequence[float | None] = ()) -> bool:
    """Refuse the options that do not apply to MODEL (a context for a file; a baseline or
    ``tolerances``, CVODE's relative and absolute ones, for a shipped model; a file without
    ``end`` where one is needed; a file that is missing); return whether MODEL is an SBML file."""
    from .catalog import model_names

    as_path(model, "model (a shipped model's name or an SBML file's path)")
    if Path(model).is_dir() and str(model) not in model_names():  # a model's name wins over a folder
        raise InputError(f"{model} is a folder, not a model: give a shipped model's name "
                         "(`rankl-net models`) or an SBML file")
    if is_sbml_file(model):
        if not Path(model).is_file():
            raise InputError(missing_file_message(model))
        if context is not None:
            raise InputError("--context (context= in Python) applies to the shipped models, not to an SBML "
                             "file")
        if needs_end and end is None:
            doc, name = read_sbml_document(Path(model)), Path(model).name
            unit = time_unit_of(doc)
            named = f"{unit}s" if unit in SECONDS_PER_TIME_UNIT else repr(unit)
            if unit == UNDECLARED_TIME_UNIT:
                hint = f"{name} declares no time unit; give a number in the model's time units"
            elif seconds_per_time_unit(doc) is not None:
                hint = f"{name} measures time in {named}; give a number of them or a time with a unit (10h)"
            else:
                hint = f"{name} measures time in {named}; give a number of them"
            raise InputError(f"--end (end= in Python) is required for an SBML file: {hint}")
        return True
    if baseline is not None:
        raise InputError("--baseline (baseline= in Python) applies to an SBML file; the shipped models start "
                         "from their steady baseline")
    if any(t is not None for t in tolerances):
        raise InputError(f"the tolerances (--rtol, --atol; relative_tolerance= and absolute_tolerance= in "
                         f"Python) apply to an SBML file; the shipped models integrate at their catalog's "
                         f"(relative {RELATIVE_TOLERANCE:g}); to integrate one at others, export it "
                         f"(`rankl-net export {model} --format sbml-baseline --out FILE.xml`; "
                         f"exchange.export({model!r}, 'sbml-baseline', 'FILE.xml') in Python) and simulate "
                         "the file")
    return False


def shipped_model_of(path: str | Path) -> str | None:
    """The name of the shipped model whose SBML file has the same content as ``path``, else None."""
    from .catalog import get_model, model_names

    content = Path(path).read_bytes()
    for name in model_names():
        shipped = get_model(name).sbml_path
        if shipped.stat().st_size == len(content) and shipped.read_bytes() == content:
            return name
    return None


def _time_unit(doc: libsbml.SBMLDocument) -> tuple[str, float | None]:
    """The id of the model's time unit ("time unit" when a Level 3 model declares none) and its
    length in seconds (None when it is not a multiple of the second).

    SBML Level 3 names it in ``model/@timeUnits``; Level 2 redefines the built-in ``time`` unit
    (``second`` when it does not).
    """
    model = doc.getModel()
    if doc.getLevel() >= 3:
        uid = model.getTimeUnits() if model.isSetTimeUnits() else ""
        if not uid:
            return UNDECLARED_TIME_UNIT, None
    else:
        uid = "time"
    ud = model.getUnitDefinition(uid)
    if ud is None:
        return ("second", 1.0) if uid in ("time", "second") else (uid, None)
    if ud.getNumUnits() == 1 and ud.getUnit(0).getKind() == libsbml.UNIT_KIND_SECOND:
        u = ud.getUnit(0)
        if u.getExponent() == 1:
            return uid, u.getMultiplier() * 10 ** u.getScale()
    return uid, None


def time_unit_of(doc: libsbml.SBMLDocument) -> str:
    """The model's time unit as a word ("second", "minute", "hour", "day"), its unit id, or
    "time unit" when a Level 3 model declares none (see :func:`_time_unit`)."""
    uid, seconds = _time_unit(doc)
    if seconds is not None:
        for word, s in SECONDS_PER_TIME_UNIT.items():
            if math.isclose(seconds, s, rel_tol=1e-9):
                return word
    return uid


def second_by_default(doc: libsbml.SBMLDocument) -> bool:
    """Whether the model counts time in seconds only because it declares no time unit: an SBML
    Level 2 file that does not redefine the built-in ``time`` unit."""
    return doc.getLevel() < 3 and doc.getModel().getUnitDefinition("time") is None


def seconds_per_time_unit(doc: libsbml.SBMLDocument) -> float | None:
    """The length of the model's time unit in seconds, or None when it declares none or its unit
    is not a multiple of the second."""
    return _time_unit(doc)[1]


def time_in_model_unit(model: str | Path, time: float | str, *, what: str = "end") -> float:
    """``time`` in ``model``'s time unit (a shipped model's name or an SBML file): a number is
    one already; a string is a number or a time with a unit among DURATION_UNITS ("12wk",
    "72h"), converted to the unit the model declares (an SBML Level 2 file that declares none
    counts in seconds, as the specification says). A time with a unit for a file whose time unit
    is not a multiple of the second raises InputError, as does a model that is neither; ``what``
    names the time in messages ("end", "--end")."""
    if not isinstance(time, str):
        return time  # a number, or what the end-time checks refuse with their own message
    value, with_unit = _parse(time, what)
    if not with_unit:
        return value
    unit, seconds, name = model_time_unit(model)
    return _in_unit(value, time, unit, seconds, name, what)


def model_time_unit(model: str | Path) -> tuple[str, float | None, str]:
    """The time unit of ``model`` (a shipped model's name or an SBML file): its word
    (:func:`time_unit_of`), its length in seconds (None when it has none) and the model's name for
    messages. A model that is neither raises InputError, as does a file that cannot be read."""
    from .catalog import get_model, model_names

    if str(model) in model_names():
        unit = get_model(str(model)).time_unit
        return unit, SECONDS_PER_TIME_UNIT[unit], str(model)
    if is_sbml_file(model) and Path(model).is_file():
        doc = read_sbml_document(Path(model))
        return time_unit_of(doc), seconds_per_time_unit(doc), Path(model).name
    raise unknown_name("model", str(model), model_names())


def _parse(time: str, what: str) -> tuple[float, bool]:
    try:
        return parse_time(time)
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None


def _in_unit(seconds_given: float, time: str, unit: str, seconds: float | None, name: str,
             what: str) -> float:
    """A time given with a unit (``seconds_given``, written ``time``) in a model's time ``unit`` of
    ``seconds`` seconds; None: not convertible, an InputError naming the model."""
    if seconds is None:
        declared = "declares no time unit" if unit == UNDECLARED_TIME_UNIT else f"measures time in {unit!r}"
        raise InputError(f"{what} {time}: {name} {declared}, which a time with a unit cannot be converted "
                         f"to; give {what} as a plain number in the model's time unit")
    return seconds_given / seconds


class FileEngine(Engine):
    """An :class:`~rankl_net.engine.Engine` for any SBML file, with a choice of baseline.

    Parameters
    ----------
    sbml_text
        SBML text (Level 2 or 3). Parameters local to a reaction are made global, named with the
        reaction's id (V1 of J0 is J0_V1; :func:`promote_local_parameters`), so that they can be
        set and read out; ``local_parameters`` maps each local id to its reactions and global ids.
    name
        Name used in messages (usually the file name).
    time_unit
        Unit of the model's time axis.
    preequilibrate
        True: the baseline is the steady state reached by integration (as for the shipped
        models; fails with :class:`SimulationError` for oscillators). False (default): the
        baseline is the model's initial state at time 0, as COPASI and tellurium start.
    **kwargs
        Passed on to :class:`~rankl_net.engine.Engine`.
    """

    def __init__(
        self,
        sbml_text: str,
        *,
        name: str = "model",
        time_unit: str = UNDECLARED_TIME_UNIT,
        preequilibrate: bool = False,
        **kwargs,
    ) -> None:
        # libRoadRunner neither reports nor sets a reaction's local parameters: as global ones
        # (V1 of J0 as J0_V1) they can be set, varied and read out, with the same maths
        sbml_text, self.local_parameters = promote_local_parameters(sbml_text)
        self.sbml_text = sbml_text
        doc = libsbml.readSBMLFromString(sbml_text)
        _, _, algebraic = _rule_targets(doc.getModel())
        self.algebraic_symbols = frozenset(algebraic)
        self.seconds_per_time_unit = seconds_per_time_unit(doc)  # None: not a multiple of the second
        self._knockouts: dict[frozenset[str], FileEngine] = {}
        self._state_text: str | None = None  # the baseline as SBML (state_sbml), once needed
        super().__init__(sbml_text, name=name, time_unit=time_unit, preequilibrate=preequilibrate, **kwargs)

    def check_readouts(self, readouts: Sequence[str]) -> list[str]:
        """As :meth:`Engine.check_readouts`; a name that is no id of the file but an element's
        name, or a reaction's local parameter, is said to be so."""
        for r in readouts:
            hint = self.not_an_id(r)
            if hint:
                raise InputError(f"readout {hint}")
        return super().check_readouts(readouts)

    def not_an_id(self, name: str) -> str:
        """Why ``name``, which is no id of a quantity of this file, is not one: the ids of the
        species, parameters or compartments it is the SBML name of (any case), or the reactions
        it is a local parameter of; "" when it is an id or none of these."""
        if name in self._symbol_set:
            return ""
        model = libsbml.readSBMLFromString(self.sbml_text).getModel()
        key = name.strip().casefold()
        named = [e.getId() for elements in (model.getListOfSpecies(), model.getListOfParameters(),
                                            model.getListOfCompartments())
                 for e in elements if e.isSetName() and e.getName().strip().casefold() == key]
        if named:
            return (f"{name!r} is the name of {', '.join(named)} in {self.name}; specs and readouts take ids "
                    f"({named[0]})")
        promoted = self.local_parameters.get(name)
        if promoted:
            return (f"{name!r} is a parameter local to reaction {', '.join(r for r, _ in promoted)} of "
                    f"{self.name}, named {' or '.join(pid for _, pid in promoted)} here (with its "
                    "reaction's id)")
        return ""

    @property
    def default_readouts(self) -> list[str]:
        """What a run reports when no readouts are named: every species; in a file without
        species, the quantities its rate rules integrate, else its parameters."""
        found = list(self.species_ids) or list(self.rr.getRateRuleIds()) or list(self.parameter_ids)
        if not found:
            raise InputError(f"{self.name} defines no species, rate rule or parameter: nothing to report")
        return found

    def knockout(self, species: Iterable[str], *, remember: bool = True) -> FileEngine:
        """The engine with ``species`` held at zero, compiled once per set of species.

        The clamped model (:func:`knockout_sbml`) starts from this engine's baseline, written
        into it as initial values (:func:`state_sbml`), with the knocked-out species at zero.
        ``remember=False`` compiles it without keeping it (a screen of many knockouts would
        otherwise hold a compiled model for each).
        """
        key = frozenset(species)
        if key in self._knockouts:
            return self._knockouts[key]
        if self._state_text is None:
            self._state_text = state_sbml(self)
        clamped = FileEngine(
            knockout_sbml(self._state_text, sorted(key)),
            name=f"{self.name} [{'+'.join(f'ko:{s}' for s in sorted(key))}]",
            time_unit=self.time_unit,
            preequilibrate=False,
            relative_tolerance=self.relative_tolerance,
            absolute_tolerance=self.absolute_tolerance,
        )
        clamped.local_parameters = self.local_parameters  # (its text has them promoted already)
        if remember:
            self._knockouts[key] = clamped
        return clamped


def state_sbml(engine: FileEngine) -> str:
    """The engine's SBML with its baseline written as initial values.

    Compartment sizes, parameter values and species initial values (concentrations, or
    amounts for species declared by amount) take the baseline's values; initial assignments to
    them are removed. Quantities computed by assignment rules are left to their rules.
    """
    doc = libsbml.readSBMLFromString(engine.sbml_text)
    model = doc.getModel()
    skip = engine.assigned_ids
    for c in model.getListOfCompartments():
        if c.getId() not in skip and c.getId() in engine.baseline:
            c.setSize(engine.baseline[c.getId()])
            model.removeInitialAssignment(c.getId())
    for p in model.getListOfParameters():
        if p.getId() not in skip and p.getId() in engine.baseline:
            p.setValue(engine.baseline[p.getId()])
            model.removeInitialAssignment(p.getId())
    for sp in model.getListOfSpecies():
        if sp.getId() not in skip and sp.getId() in engine.baseline:
            attr, value = _species_value_attribute(sp, engine.baseline[sp.getId()], model, engine.baseline)
            if attr == "initialAmount":
                sp.setInitialAmount(value)
            else:
                sp.setInitialConcentration(value)
            model.removeInitialAssignment(sp.getId())
    return libsbml.writeSBMLToString(doc)


def load_any(path: str | Path, *, preequilibrate: bool = False, check_rules: bool = True,
             relative_tolerance: float | None = None,
             absolute_tolerance: float | None = None) -> FileEngine:
    """Load any SBML file (Level 2 or 3) into an engine, after the safety checks.

    Parameters
    ----------
    path
        An SBML file. Files over 50 MiB, non-XML, XML with a DOCTYPE or entity declarations,
        XML that is not SBML and files libSBML cannot read are refused with :class:`InputError`
        before anything is compiled; so are files that break SBML's validity rules (a reaction
        naming a species the model does not have), except where the meaning stays clear
        (``CLEAR_MEANING_ERRORS``: a species a rate law reads without declaring it a modifier).
    preequilibrate
        False (default): the baseline (time 0 of every condition) is the model's initial state
        as the file defines it. True: the steady state reached by integration, as for the
        shipped models; :class:`SimulationError` if the model does not settle (an oscillator).
    check_rules
        False: skip the validity rules (``rankl-net validate`` reports them itself and still
        tries to simulate the file).
    relative_tolerance
        CVODE's relative tolerance (None: the default, 1e-8; from 1e-14 to 1e-2). Tighten it, with
        ``absolute_tolerance``, for a stiff or oscillating model whose result moves when the
        tolerances do (``rankl-net simulate FILE --rtol``).
    absolute_tolerance
        CVODE's absolute tolerance (None: the default, 1e-12): a fraction of each state's size at the
        baseline, or in concentration units for a state that is zero there.

    Returns
    -------
    FileEngine
        Compiled once; time is in the model's own time unit (``engine.time_unit``), species in
        concentration units of the file.
    """
    from .catalog import get_model, model_names

    path = as_path(path, "load_any(path): path")
    # (a name first: SBML text given as the path is too long a name to look up)
    if path.stem in model_names() and not path.exists() and not path.is_symlink():
        raise InputError(f"{path}: no such file; load_any reads SBML files, and the shipped model "
                         f"{path.stem} is rankl_net.load_model({path.stem!r}) (its file is "
                         f"{get_model(path.stem).sbml_path})")
    doc = read_sbml_document(path)
    if check_rules:
        # units and modelling practice give warnings only
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
        doc.checkConsistency()
    fatal = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        and doc.getError(i).getErrorId() not in CLEAR_MEANING_ERRORS
    ]
    if fatal:
        e = fatal[0]
        specific = " ".join(e.getMessage().strip().splitlines()[-1].split()).rstrip(".")  # the case
        more = (f"; {len(fatal)} errors in all, `rankl-net validate {path}` lists them"
                if len(fatal) > 1 else "")
        raise InputError(f"{path}: not valid SBML (libSBML error {e.getErrorId()}, line {e.getLine()}): "
                         f"{e.getShortMessage().strip()}: {specific}{more}")
    relative_tolerance = RELATIVE_TOLERANCE if relative_tolerance is None else relative_tolerance
    absolute_tolerance = ABSOLUTE_TOLERANCE if absolute_tolerance is None else absolute_tolerance
    check_tolerances(relative_tolerance, absolute_tolerance, path.name)  # before compiling
    text = libsbml.writeSBMLToString(doc)
    return FileEngine(text, name=path.name, time_unit=time_unit_of(doc), preequilibrate=preequilibrate,
                      relative_tolerance=relative_tolerance, absolute_tolerance=absolute_tolerance)


@dataclass
class GenericCondition:
    """One condition on a generic SBML model.

    Attributes
    ----------
    knockouts
        Species held at zero for the whole run (needs the clamped copy of the model).
    changes
        Parameter and species changes applied at time 0 (or in a window) on that model.
    """

    knockouts: tuple[str, ...] = ()
    changes: Changes = field(default_factory=Changes)


def is_node(name: str, engine: Engine) -> bool:
    """Whether ``name`` is an annotated node acting on ``engine``'s model (a species id of the
    model is a species: ``ko:rankl_membrane`` holds that species at zero)."""
    if not nodes_for(engine) or name in engine.species_ids:
        return False
    try:
        resolve_node(name, engine)
    except InputError:
        return False
    return True


def generic_changes(
    perturbations: str | Perturbation | Iterable[str | Perturbation], engine: FileEngine
) -> GenericCondition:
    """Turn perturbations into a condition on any SBML model.

    Semantics on a file without node annotations (``X`` is a species id of the file):

    * ``ko:X``: species ``X`` is held at zero for the whole run: it is set to 0 and made a
      constant boundary species of a modified copy of the model (rules and event assignments
      that would change it are dropped), so reactions that consume or produce it no longer
      change it, and every rate that depends on it sees 0. The run starts from the same
      baseline as wild type, with ``X = 0``.
    * ``oe:X=N``: the species' value at time 0 (its initial amount, or its baseline value
      with ``preequilibrate``) is multiplied by ``N`` (N >= 1); the model's dynamics then act
      on it as usual.
    * ``set:ID=V[@T0[-T1]]``: as on the shipped models, any parameter, compartment or species
      not computed by an assignment rule, in the model's own units.

    Names that are nodes of ``models/annotations/nodes.tsv`` acting on this model (a shipped
    model's file) keep the shipped semantics (expression multipliers); ``kd:`` and ``inh:``
    need such a node.

    Parameters
    ----------
    perturbations
        A spec (``"ko:MKKK"``, ``"oe:x1=2+set:k1=0.5@10-20"``), a Perturbation object, or a list
        of them.
    engine
        The engine from :func:`load_any`.

    Returns
    -------
    GenericCondition
        The knocked-out species and the changes on the (clamped) model. A knockout wins over
        any other change of the same species.
    """
    swapped = " (the perturbations come first)" if isinstance(perturbations, Engine) else ""
    check_engine(engine, f"generic_changes(perturbations, engine){swapped}", FileEngine, "load_any(path)")
    perts = as_perturbations(perturbations)
    # node perturbations and set:, in the order given: set: replaces what is listed before it
    node_perts: list[Perturbation] = []
    knockouts: list[str] = []
    factors: dict[str, float] = {}
    sets: list[SetValue] = []
    species_ids = list(engine.species_ids)
    for p in perts:
        if isinstance(p, Preset):
            raise InputError(f"{p.spec}: presets belong to the shipped models, not to an SBML file")
        if isinstance(p, Regimen):
            raise InputError(f"{p.spec}: drug regimens belong to the shipped models with pharmacology "
                             "(clinical, bone_tumour), not to an SBML file; a bolus is set:SPECIES=V@T")
        if isinstance(p, SetValue):
            if p.target in engine.assigned_ids:
                raise InputError(
                    f"{p.spec}: {p.target} is computed by an assignment rule in {engine.name} "
                    "and cannot be set; set one of its inputs"
                )
            sets.append(p)
            node_perts.append(p)
            continue
        if is_node(p.node, engine):
            node_perts.append(p)
            continue
        if isinstance(p, (Knockdown, Inhibition)):
            raise InputError(
                f"{p.spec}: kd: and inh: need an annotated node; on a generic SBML model use "
                f"ko:SPECIES, oe:SPECIES=N or set:ID=V ({engine.name} has no node {p.node!r})"
            )
        if p.node not in species_ids:
            if p.node in engine.parameter_ids or p.node in engine.compartment_ids:
                kind = "parameter" if p.node in engine.parameter_ids else "compartment"
                raise InputError(f"{p.spec}: {p.node} is a {kind} of {engine.name}; ko: and oe: act on "
                                 f"species: change it with set:{p.node}=VALUE")
            hint = engine.not_an_id(p.node)
            if hint:
                raise InputError(f"{p.spec}: {hint}")
            raise unknown_name("species", p.node, species_ids)
        if p.node in engine.algebraic_symbols:
            raise InputError(f"{p.spec}: {p.node} appears in an algebraic rule and cannot be clamped")
        if isinstance(p, Knockout):
            knockouts.append(p.node)
        elif isinstance(p, Overexpression):
            if p.node in engine.assigned_ids:
                raise InputError(f"{p.spec}: {p.node} is computed by an assignment rule and cannot be scaled")
            factors[p.node] = factors.get(p.node, 1.0) * p.factor
    for p in sets:
        if p.target not in engine.symbols:
            promoted = engine.local_parameters.get(p.target)
            if promoted:
                forms = " or ".join(p.spec.replace(f"set:{p.target}", f"set:{pid}", 1) for _, pid in promoted)
                raise InputError(f"{p.spec}: {p.target} is a parameter local to reaction "
                                 f"{', '.join(r for r, _ in promoted)} of {engine.name}; set it with its "
                                 f"reaction's id: {forms}")
            hint = engine.not_an_id(p.target)  # an element's name
            if hint:
                raise InputError(f"{p.spec}: {hint}")
    changes = to_changes(node_perts, engine)
    ko = set(knockouts)
    for sid, f in factors.items():
        changes.species[sid] = changes.species.get(sid, engine.baseline[sid]) * f
    if ko:
        changes.species = {k: v for k, v in changes.species.items() if k not in ko}
        changes.parameters = {k: v for k, v in changes.parameters.items() if k not in ko}
        changes.timed = [t for t in changes.timed if t.target not in ko]
    return GenericCondition(tuple(sorted(ko)), changes)


def promote_local_parameters(sbml_text: str) -> tuple[str, dict[str, list[tuple[str, str]]]]:
    """``sbml_text`` with the local parameters of its reactions made global (libSBML's
    ``promoteLocalParameters`` converter: parameter V1 of reaction J0 becomes J0_V1, with the
    same value and unit), and, for each local parameter's id, the reactions that have one of
    that id with its global id. A file without local parameters is returned as it is."""
    doc = libsbml.readSBMLFromString(sbml_text)
    model = doc.getModel()
    owners: dict[str, list[str]] = {}
    for r in (model.getListOfReactions() if model is not None else ()):
        law = r.getKineticLaw() if r.isSetKineticLaw() else None
        if law is None:
            continue
        locals_ = law.getListOfLocalParameters() if doc.getLevel() >= 3 else law.getListOfParameters()
        for lp in locals_:
            owners.setdefault(lp.getId(), []).append(r.getId())
    if not owners:
        return sbml_text, {}
    before = {p.getId() for p in model.getListOfParameters()}
    props = libsbml.ConversionProperties()
    props.addOption("promoteLocalParameters", True)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        return sbml_text, {}
    made = {p.getId() for p in doc.getModel().getListOfParameters()} - before
    promoted = {pid: [(r, f"{r}_{pid}") for r in rs if f"{r}_{pid}" in made] for pid, rs in owners.items()}
    return libsbml.writeSBMLToString(doc), {pid: found for pid, found in promoted.items() if found}


def simulate_any(
    engine: FileEngine,
    *perturbations: str | Perturbation,
    end: float | str,
    points: int = 101,
    readouts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Simulate a generic SBML model under perturbations (see :func:`generic_changes`).

    Parameters
    ----------
    engine
        From :func:`load_any`.
    perturbations
        Specs or Perturbation objects, all starting at time 0 unless a ``set:`` window says
        otherwise.
    end
        End time, in the model's time unit (``engine.time_unit``), or a time with a unit
        ("30min", "2h"; units s, min, h, d, wk, mo, y) when the model's time unit is a multiple
        of the second.
    points
        Number of evenly spaced output times from 0 to ``end``.
    readouts
        Quantities to report; default: every species, as concentrations.

    Returns
    -------
    DataFrame with ``time`` and one column per readout.

    Warns
    -----
    DosesAfterEndWarning
        A ``set:`` window opens at or after ``end``: it has no effect.
    """
    check_engine(engine, "simulate_any(engine, ...)", FileEngine, "load_any(path)")
    if isinstance(end, str):
        value, with_unit = _parse(end, "end")
        if with_unit:
            end = _in_unit(value, end, engine.time_unit, engine.seconds_per_time_unit, engine.name, "end")
        else:
            end = value
    perts = as_perturbations(list(perturbations))
    check_no_repeats(perts, "+".join(p.spec for p in perts))  # (across arguments: one spec checks itself)
    cond = generic_changes(perts, engine)
    eng = engine.knockout(cond.knockouts) if cond.knockouts else engine
    readouts = name_list(readouts, "readouts") if readouts is not None else engine.default_readouts
    frame = eng.simulate(cond.changes, end=end, points=points, readouts=readouts)
    # (a file takes no regimens: only set: windows after the end are said)
    for said in doses_after_end(perts, Changes(), end, engine.time_unit):
        warnings.warn(said, DosesAfterEndWarning, stacklevel=2)
    return frame


def knockout_sbml(sbml_text: str, species: Sequence[str]) -> str:
    """A copy of the model with each of ``species`` held at zero.

    Each species gets initial value 0, ``boundaryCondition="true"`` and ``constant="true"``;
    its initial assignment, assignment or rate rule and event assignments are removed (an event
    left without assignments is removed in Level 2, where one is required). Reactions keep
    their stoichiometry: they still consume and produce their other species, at rates that see
    the clamped species at 0.
    """
    doc = libsbml.readSBMLFromString(sbml_text)
    model = doc.getModel()
    for sid in species:
        s = model.getSpecies(sid)
        if s is None:
            raise unknown_name("species", sid, [x.getId() for x in model.getListOfSpecies()])
        if s.isSetInitialAmount() or (not s.isSetInitialConcentration() and s.getHasOnlySubstanceUnits()):
            s.setInitialAmount(0.0)
        else:
            s.setInitialConcentration(0.0)
        s.setBoundaryCondition(True)
        s.setConstant(True)
        model.removeInitialAssignment(sid)
        model.removeRuleByVariable(sid)
        for i in reversed(range(model.getNumEvents())):
            ev = model.getEvent(i)
            ev.removeEventAssignment(sid)
            if ev.getNumEventAssignments() == 0 and doc.getLevel() < 3:
                model.removeEvent(i)
    return libsbml.writeSBMLToString(doc)


def _species_value_attribute(s: libsbml.Species, conc: float, model: libsbml.Model,
                             sizes: Mapping[str, float] | None = None) -> tuple[str, float]:
    """The attribute (initialConcentration or initialAmount) and value that give ``conc``; an
    amount is ``conc`` times the compartment's size in ``sizes`` (the model's values, such as a
    size an assignment rule computes, which the file does not hold), else the file's size."""
    if s.isSetInitialAmount() or (not s.isSetInitialConcentration() and s.getHasOnlySubstanceUnits()):
        cid = s.getCompartment()
        comp = model.getCompartment(cid)
        if sizes is not None and cid in sizes:
            size = sizes[cid]
        else:
            size = comp.getSize() if comp is not None and comp.isSetSize() else 1.0
        return "initialAmount", conc * size
    return "initialConcentration", conc
