"""Exchange: any SBML file in; the shipped models out to SBML, Antimony, SED-ML, OMEX and PEtab.

Three jobs (ARCHITECTURE, "Exchange"):

* **Any SBML file in** (:func:`load_any`, :func:`generic_changes`, :func:`simulate_any`, defined
  in :mod:`rankl_net.sbml_files`, where screens use them too, and importable from here). A file
  (SBML Level 2 or 3) is read through :func:`rankl_net.sbml_io.read_sbml_document`, which refuses
  unsafe or non-SBML input, and compiled once. By default its baseline is the model's own
  initial state at time 0 (what COPASI and tellurium simulate), because many published models
  never settle (oscillators) or are driven by events at fixed times; ``preequilibrate=True``
  asks for the pre-equilibrated baseline that the shipped models use.
* **Shipped models out** (:func:`export`): the flattened SBML L3V2 file, an SBML L2V4
  conversion with a list of what the conversion changed, Antimony, a SED-ML L1V4 time course,
  COMBINE archives (OMEX) per experiment, and a PEtab v1 problem.
* **Cross-simulator agreement** (:func:`cross_check`, :func:`cross_check_file`,
  :func:`run_omex_tellurium`, :func:`run_omex_copasi`): the same time course in libRoadRunner
  (the rankl-net engine), tellurium and COPASI (through basico).

The baseline SBML
-----------------
A shipped model starts from a pre-equilibrated baseline (for ``osteoclastogenesis`` the
unstimulated precursor, ``rankl_input = 0`` during pre-equilibration) in a context (mouse or
human). Other tools do not know that protocol, so every SED-ML, OMEX and cross-check uses the
*baseline SBML* (:func:`baseline_sbml`): the shipped file with its initial values replaced by the
engine's baseline state (species concentrations, context parameter values, values reset at
time 0). Simulated from time 0 it reproduces ``rankl-net simulate`` exactly. Perturbations are
SED-ML ``changeAttribute`` changes on that file. PEtab, which has a pre-equilibration concept of
its own, gets the shipped SBML and a pre-equilibration condition instead.

Heavy tools (tellurium, basico/COPASI, petab) are imported only inside the functions that need
them (``pip install 'rankl-net[exchange]'``); nothing here is on the simulation hot path.
"""

from __future__ import annotations

import copy
import math
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import antimony
import libsbml
import numpy as np
import pandas as pd

from ._version import __version__
from .catalog import ModelInfo, get_model
from .engine import RELATIVE_TOLERANCE, Changes, check_points, configure_integrator, load
from .errors import InputError, SimulationError, as_path, existing_file, name_list, unknown_name
from .paths import FILE_FORMAT_SUFFIXES
from .perturbations import (
    Perturbation,
    as_perturbations,
    parse_spec,
    to_changes,
)
from .sbml_files import (  # noqa: F401 (any SBML file in: their home is sbml_files)
    UNDECLARED_TIME_UNIT,
    FileEngine,
    GenericCondition,
    _rule_targets,
    _species_value_attribute,
    generic_changes,
    knockout_sbml,
    load_any,
    shipped_model_of,
    simulate_any,
    state_sbml,
    time_in_model_unit,
    time_unit_of,
)
from .units import PERCENT_CHANGE, PERCENT_LABEL

FORMATS = ("sbml", "sbml-baseline", "sbml-l2v4", "antimony", "comp", "sedml", "omex", "petab")
"""Export formats of :func:`export`."""

EXPERIMENTS = ("baseline", "genetic_lines")
"""Experiments that :func:`export` writes as SED-ML / OMEX."""

CROSS_CHECK_RTOL = 1e-4
"""Relative tolerance of the cross-simulator comparisons."""

CROSS_CHECK_FLOOR = RELATIVE_TOLERANCE / CROSS_CHECK_RTOL
"""Values below this fraction (1e-4) of a readout's size are compared against that fraction of
it: there, an agreement at 1e-4 is one to the engine's relative tolerance (1e-8) of the size,
the accuracy its integration promises for a value that has fallen far below its size."""

CROSS_CHECK_ABSOLUTE = 1e-6
"""Values below this (model units, e.g. pM) are compared against it: at rtol 1e-4 an absolute
error of 1e-10, a hundred times the engine's absolute integration tolerance (1e-12)."""

SEDML_RELATIVE_TOLERANCE = 1e-10
SEDML_ABSOLUTE_TOLERANCE = 1e-14
SEDML_MAX_STEPS = 100000

# the resorption rate rather than CTX: CTX is a percent change, 0 at baseline, where simulators
# can only agree in absolute terms
GENETIC_LINE_READOUTS = ("bone_volume", "osteoclasts", "osteoblasts", "resorption")
"""Readouts of the genetic-lines experiment (as in :func:`rankl_net.experiments.run_phenotypes`)."""

PETAB_ESTIMATED = {
    "osteoclastogenesis": ("k_commit", "k_decommit", "K_d_rankl_opg", "k_nfat_auto"),
    "bone": ("k_resorption", "k_oca_apoptosis", "k_opg_production", "k_rankl_production"),
}
"""Parameters marked estimable in the PEtab export (others keep their SBML values)."""

_SBML_L3V2_NS = "http://www.sbml.org/sbml/level3/version2/core"
_KISAO_CVODE = "KISAO:0000019"
_KISAO_RTOL = "KISAO:0000209"
_KISAO_ATOL = "KISAO:0000211"
_KISAO_MAX_STEPS = "KISAO:0000415"
_TIME_SYMBOL = "urn:sedml:symbol:time"


# ===================================================================== the baseline as SBML values
def _sbml_value_changes(
    model: libsbml.Model, values: Mapping[str, float]
) -> list[tuple[str, str, str, float]]:
    """(kind, id, attribute, value) for each entry of ``values`` (species as concentrations)."""
    out = []
    for sid, v in values.items():
        s = model.getSpecies(sid)
        if s is not None:
            attr, val = _species_value_attribute(s, v, model, values)
            out.append(("species", sid, attr, val))
        elif model.getParameter(sid) is not None:
            out.append(("parameter", sid, "value", v))
        elif model.getCompartment(sid) is not None:
            out.append(("compartment", sid, "size", v))
        else:
            raise unknown_name("model quantity", sid, [p.getId() for p in model.getListOfParameters()])
    return out


def baseline_values(model_name: str, context: str | None = None) -> dict[str, float]:
    """The values that turn the shipped SBML's initial state into the engine's baseline.

    Returns every species (concentration) and every parameter or compartment whose baseline
    value differs from the file (context values, values reset at time 0, rate-rule variables).
    """
    info = get_model(model_name)
    eng = load(model_name, context)
    doc = libsbml.readSBMLFromFile(str(info.sbml_path))
    model = doc.getModel()
    assign, _, _ = _rule_targets(model)
    out: dict[str, float] = {}
    for s in model.getListOfSpecies():
        if s.getId() not in assign:
            out[s.getId()] = eng.baseline[s.getId()]
    for p in model.getListOfParameters():
        pid = p.getId()
        if pid not in assign and (not p.isSetValue() or eng.baseline[pid] != p.getValue()):
            out[pid] = eng.baseline[pid]
    for c in model.getListOfCompartments():
        cid = c.getId()
        if cid not in assign and (not c.isSetSize() or eng.baseline[cid] != c.getSize()):
            out[cid] = eng.baseline[cid]
    return out


def condition_values(model_name: str, changes: Changes, context: str | None = None) -> dict[str, float]:
    """The time-0 values a condition sets on top of the baseline, in the engine's order.

    The values the model resets at time 0 first, then parameters, then species (as
    :meth:`rankl_net.engine.Engine.apply`: a condition's own value of a reset quantity wins).
    Timed changes and doses cannot be written as initial values and raise :class:`InputError`.
    """
    if changes.dosing:
        drugs = ", ".join(sorted({d.species for d in changes.dosing}))
        raise InputError(f"doses ({drugs}) are events in time and cannot be exported as initial values; "
                         "cross-check or export conditions without drug: specs")
    if changes.timed:
        specs = ", ".join(f"{t.target}@{t.start:g}" for t in changes.timed)
        raise InputError(
            f"timed changes ({specs}) cannot be exported as initial values; export the condition "
            "without a time window"
        )
    info = get_model(model_name)
    out = dict(info.reset_at_start)
    out.update(changes.parameters)
    out.update(changes.species)
    return out


def baseline_sbml(
    model_name: str, context: str | None = None,
    changes: Changes | str | Perturbation | Sequence[str | Perturbation] | None = None,
) -> str:
    """The shipped SBML with its initial state replaced by the engine's baseline.

    Parameters
    ----------
    model_name
        A shipped model.
    context
        "mouse", "human" or, for the drug models, "mouse_huRANKL" (default: the model's).
    changes
        Optional changes of one condition at time 0, written into the file as well: specs or
        perturbation objects, as everywhere in rankl-net ("ko:OPG", ["ko:OPG", "oe:RANKL=2"]),
        or the engine's changes of them (:func:`rankl_net.perturbations.to_changes`).

    Returns
    -------
    SBML L3V2 text whose simulation from time 0 (in the model's time unit) is the engine's
    simulation of that condition. libSBML writes the values with 15 significant digits, a
    relative rounding below 1e-15.
    """
    info = get_model(model_name)
    context = info.context_or_default(context)
    doc = libsbml.readSBMLFromFile(str(info.sbml_path))
    model = doc.getModel()
    values = baseline_values(model_name, context)
    if changes is not None and not isinstance(changes, Changes):
        changes = to_changes(as_perturbations(changes), load(model_name, context))
    if changes is not None:
        values.update(condition_values(model_name, changes, context))
    for kind, sid, attr, v in _sbml_value_changes(model, values):
        getters = {"species": model.getSpecies, "parameter": model.getParameter}
        obj = getters.get(kind, model.getCompartment)(sid)
        if attr == "initialAmount":
            obj.setInitialAmount(v)
        elif attr == "initialConcentration":
            obj.setInitialConcentration(v)
        elif attr == "value":
            obj.setValue(v)
        else:
            obj.setSize(v)
        model.removeInitialAssignment(sid)
    preeq = ", ".join(f"{k} = {v:g}" for k, v in info.preequilibration.items()) or "none"
    model.appendNotes(
        '<body xmlns="http://www.w3.org/1999/xhtml"><p>Initial state: the pre-equilibrated baseline '
        f"of the rankl-net model {model_name} ({context} context; values held during "
        f"pre-equilibration: {preeq}), written by rankl-net {__version__}. Simulate from time 0 "
        f"in {info.time_unit}s.</p></body>"
    )
    return libsbml.writeSBMLToString(doc)


# ======================================================================================= conversions
_MATHML = "http://www.w3.org/1998/Math/MathML"


def _rewrite_min_max(sbml_text: str) -> tuple[str, int]:
    """Replace L3V2 ``min``/``max`` by equivalent ``piecewise`` MathML (Level 2 has neither).

    Works on the XML text rather than on libSBML's ASTNode objects: once libSED-ML is imported
    (tellurium imports it) after libSBML, libSBML hands out libSED-ML's ASTNode proxies, whose
    ``getType()`` is an opaque pointer that cannot be compared.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    root = etree.fromstring(sbml_text.encode("utf-8"), parser)
    m = f"{{{_MATHML}}}"
    count = 0
    for apply in reversed(list(root.iter(f"{m}apply"))):
        if len(apply) < 2 or apply[0].tag not in (f"{m}min", f"{m}max"):
            continue
        relation = "leq" if apply[0].tag == f"{m}min" else "geq"
        args = list(apply)[1:]
        result = copy.deepcopy(args[0])
        for arg in args[1:]:
            pw = etree.Element(f"{m}piecewise")
            piece = etree.SubElement(pw, f"{m}piece")
            piece.append(copy.deepcopy(result))
            cond = etree.SubElement(piece, f"{m}apply")
            etree.SubElement(cond, f"{m}{relation}")
            cond.append(copy.deepcopy(result))
            cond.append(copy.deepcopy(arg))
            otherwise = etree.SubElement(pw, f"{m}otherwise")
            otherwise.append(copy.deepcopy(arg))
            result = pw
        result.tail = apply.tail
        apply.getparent().replace(apply, result)
        count += 1
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    return text, count


def shipped_export_of(path: str | Path) -> tuple[str, str] | None:
    """The shipped model and export format ("sbml", "sbml-l2v4" or "comp") whose file
    :func:`export` writes with the content of ``path``, else None. These formats hold the model's
    own initial values, so as a file the model runs from them, not from its baseline (the
    ``sbml-baseline`` export starts at the baseline and is not named here)."""
    from .catalog import model_names
    from .comp import comp_sbml

    name = shipped_model_of(path)
    if name is not None:
        return name, "sbml"
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    found = re.search(r'<model\b[^>]*\bid="([^"]+)"', text)
    if found is None or found[1] not in model_names():
        return None
    name = found[1]
    if text == to_l2v4(get_model(name).sbml_path.read_text(encoding="utf-8"))[0]:
        return name, "sbml-l2v4"
    if text == comp_sbml(name):
        return name, "comp"
    return None


def to_l2v4(sbml_text: str) -> tuple[str, list[str]]:
    """Convert SBML Level 3 to Level 2 Version 4 with libSBML, reporting what changed.

    ``min``/``max`` (L3V2 MathML) become equivalent ``piecewise`` expressions; the model's time
    unit is kept by redefining Level 2's built-in ``time`` unit. What Level 2 cannot carry
    (units on literal numbers, the model's extent unit) is dropped and listed.

    Returns
    -------
    (SBML L2V4 text, notes): one note per kind of change or loss.
    """
    doc = libsbml.readSBMLFromString(sbml_text)
    notes: list[str] = []
    if doc.getLevel() == 2 and doc.getVersion() == 4:
        return sbml_text, ["already SBML Level 2 Version 4: unchanged"]
    text, rewritten = _rewrite_min_max(sbml_text)
    doc = libsbml.readSBMLFromString(text)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise InputError(f"rewriting min/max broke the SBML: {doc.getError(0).getMessage().strip()}")
    model = doc.getModel()
    if rewritten:
        notes.append(f"rewrote {rewritten} min/max (MathML of L3V2 only) as equivalent piecewise expressions")
    literal_units = libsbml.writeSBMLToString(doc).count("sbml:units=")
    time_unit = model.getTimeUnits() if model.isSetTimeUnits() else ""
    extent = model.getExtentUnits() if model.isSetExtentUnits() else ""
    substance = model.getSubstanceUnits() if model.isSetSubstanceUnits() else ""
    same_extent = bool(extent and substance) and _same_unit(model, extent, substance)
    if not doc.setLevelAndVersion(2, 4, True):
        errors = [doc.getError(i).getMessage().strip() for i in range(doc.getNumErrors())]
        raise InputError("conversion to SBML L2V4 failed: " + "; ".join(errors[:3]))
    model = doc.getModel()
    if time_unit and time_unit != "second":
        if model.getUnitDefinition("time") is None:
            ud = model.getUnitDefinition(time_unit).clone()
            ud.setId("time")
            ud.unsetMetaId()
            model.addUnitDefinition(ud)
        if _same_unit(model, "time", time_unit):
            notes.append(f"model time unit {time_unit!r} kept as Level 2's redefined built-in unit 'time'")
        else:
            notes.append(f"model time unit {time_unit!r} lost: Level 2's 'time' unit differs")
    if literal_units:
        notes.append(f"dropped the units of {literal_units} literal numbers (L2 has no units on numbers)")
    if extent:
        notes.append(
            f"dropped the model's extent unit {extent!r}; "
            + (
                f"it equals the substance unit {substance!r}, which Level 2 reaction rates use, so "
                "rates keep their unit"
                if same_extent
                else "Level 2 reaction rates are in substance/time, which differs: check the kinetic laws"
            )
        )
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_WARNING:
            notes.append(f"libSBML conversion: {e.getShortMessage()}")
    check = libsbml.readSBMLFromString(libsbml.writeSBMLToString(doc))
    check.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    check.checkConsistency()
    counts: dict[str, int] = {}
    for i in range(check.getNumErrors()):
        e = check.getError(i)
        label = f"{e.getSeverityAsString().lower()}: {e.getShortMessage()}"
        counts[label] = counts.get(label, 0) + 1
    for label, n in counts.items():
        notes.append(f"libSBML check of the L2V4 file (units on), {n} x {label}")
    return libsbml.writeSBMLToString(doc), notes


def _same_unit(model: libsbml.Model, a: str, b: str) -> bool:
    """Whether two unit definitions of ``model`` are the same unit (after conversion to SI)."""
    ua, ub = model.getUnitDefinition(a), model.getUnitDefinition(b)
    if ua is None or ub is None:
        return a == b
    return bool(libsbml.UnitDefinition.areEquivalent(ua, ub))


def to_antimony(sbml_text: str) -> str:
    """Antimony text of an SBML model (libAntimony)."""
    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(sbml_text) < 0:
        raise InputError(f"libAntimony cannot read the SBML: {antimony.getLastError()}")
    text = antimony.getAntimonyString(None)
    if not text:
        raise InputError(f"libAntimony produced no Antimony text: {antimony.getLastError()}")
    return text


# ============================================================================== SED-ML and OMEX
@dataclass(frozen=True)
class SedCondition:
    """One SED-ML model and task: a condition as initial-value changes of the baseline SBML.

    Attributes
    ----------
    id
        SId of the condition (used in model, task and data-generator ids).
    name
        Human-readable name (the perturbation spec or the genetic line).
    values
        Initial values set on the baseline SBML (species as concentrations).
    """

    id: str
    name: str
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentSpec:
    """What one SED-ML file / OMEX archive simulates."""

    id: str
    model: str
    context: str
    end: float
    points: int
    readouts: tuple[str, ...]
    conditions: tuple[SedCondition, ...]
    description: str


def _sid(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return s if s and (s[0].isalpha() or s[0] == "_") else f"c_{s}"


def experiment_spec(
    model_name: str,
    experiment: str = "baseline",
    *,
    context: str | None = None,
    lines: Sequence[str] | None = None,
    points: int | None = None,
) -> ExperimentSpec:
    """Describe an experiment as conditions on the baseline SBML.

    Parameters
    ----------
    model_name
        A shipped model.
    experiment
        "baseline": the wild-type time course of the model's default length and readouts.
        "genetic_lines": ``experiments/genetic_lines.tsv`` on the ``bone`` model (mouse
        context, ``AGE_DAYS`` days): wild type and every line.
    context
        Context for "baseline" (default: the model's); the genetic lines are mouse lines.
    lines
        For "genetic_lines": only these lines (by their ``line`` name), e.g. ``["OPG-/-"]``;
        refused for "baseline", which has none.
    points
        Output points (default: 101 for the baseline, one per day for the genetic lines).
    """
    info = get_model(model_name)
    if points is not None:  # (0 was taken for the default, 1 gave a time course of one time)
        check_points(points)
    if experiment == "baseline":
        _no_lines(lines, "the baseline experiment")
        context = info.context_or_default(context)
        return ExperimentSpec(
            id="baseline",
            model=model_name,
            context=context,
            end=info.default_end,
            points=points or 101,
            readouts=info.readouts,
            conditions=(SedCondition("wild_type", "wild type (baseline)", {}),),
            description=(
                f"Baseline time course of the rankl-net model {model_name} ({context} context): "
                f"{info.default_end:g} {info.time_unit}s from the pre-equilibrated baseline."
            ),
        )
    if experiment == "genetic_lines":
        from .experiments import AGE_DAYS, line_named, read_genetic_lines

        if model_name != "bone":
            raise InputError(f"the genetic_lines experiment runs on the bone model, not {model_name!r}")
        if context not in (None, "mouse"):
            raise InputError("the genetic_lines experiment is defined in the mouse context")
        # the lines of the bone model (drug rows run on the clinical model)
        all_lines = [gl for gl in read_genetic_lines() if (gl.model, gl.context) == ("bone", "mouse")]
        if lines is not None:
            all_lines = [line_named(n, all_lines) for n in name_list(lines, "lines", commas=False)]
        eng = load("bone", "mouse")
        conds = [SedCondition("wild_type", "wild type", {})]
        for gl in all_lines:
            changes = to_changes(parse_spec(gl.spec), eng)
            values = condition_values("bone", changes)
            conds.append(SedCondition(_sid(gl.spec), f"{gl.line} ({gl.spec})", values))
        return ExperimentSpec(
            id="genetic_lines",
            model="bone",
            context="mouse",
            end=AGE_DAYS,
            points=points or int(AGE_DAYS) + 1,
            readouts=GENETIC_LINE_READOUTS,
            conditions=tuple(conds),
            description=(
                "Mouse genetic lines of experiments/genetic_lines.tsv against wild type on the "
                f"rankl-net bone model (mouse context), {AGE_DAYS:g} days from the adult baseline; "
                "each line's perturbation starts at time 0."
            ),
        )
    raise unknown_name("experiment", experiment, EXPERIMENTS)


def _no_lines(lines: Sequence[str] | None, what: str) -> None:
    """Refuse ``lines`` where they would be ignored (``what`` has no genetic lines)."""
    if lines is not None:
        raise InputError(f"lines= chooses lines of the genetic_lines experiment (sedml and omex exports: "
                         f"experiment=\"genetic_lines\"); {what} has none, got lines={lines!r}")


def _xpath(kind: str, sid: str, attribute: str | None = None) -> str:
    lists = {"species": "listOfSpecies", "parameter": "listOfParameters", "compartment": "listOfCompartments"}
    path = f"/sbml:sbml/sbml:model/sbml:{lists[kind]}/sbml:{kind}[@id='{sid}']"
    return f"{path}/@{attribute}" if attribute else path


def sedml_text(spec: ExperimentSpec, model_file: str) -> str:
    """SED-ML Level 1 Version 4 for an experiment on the baseline SBML ``model_file``.

    One model (the baseline SBML plus the condition's ``changeAttribute`` changes), one task
    and one report per condition; a uniform time course from 0 to ``spec.end`` (model time
    units) with CVODE (KISAO:0000019) at relative tolerance 1e-10 and absolute 1e-14.
    Data generators are named ``dg_<condition>__<readout>`` and ``dg_<condition>__time``.
    """
    import libsedml

    info = get_model(spec.model)
    sbml_model = libsbml.readSBMLFromFile(str(info.sbml_path)).getModel()
    kinds = {s.getId(): "species" for s in sbml_model.getListOfSpecies()}
    kinds |= {p.getId(): "parameter" for p in sbml_model.getListOfParameters()}
    kinds |= {c.getId(): "compartment" for c in sbml_model.getListOfCompartments()}
    for r in spec.readouts:
        if r not in kinds:
            raise unknown_name("readout", r, kinds)
    sed = libsedml.SedDocument(1, 4)
    sed.getNamespaces().add(_SBML_L3V2_NS, "sbml")
    sim = sed.createUniformTimeCourse()
    sim.setId("time_course")
    sim.setName(f"{spec.end:g} {info.time_unit}s")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(float(spec.end))
    sim.setNumberOfSteps(int(spec.points) - 1)
    alg = sim.createAlgorithm()
    alg.setKisaoID(_KISAO_CVODE)
    for kisao, value in (
        (_KISAO_RTOL, SEDML_RELATIVE_TOLERANCE),
        (_KISAO_ATOL, SEDML_ABSOLUTE_TOLERANCE),
        (_KISAO_MAX_STEPS, SEDML_MAX_STEPS),
    ):
        ap = alg.createAlgorithmParameter()
        ap.setKisaoID(kisao)
        ap.setValue(f"{value:g}")
    for cond in spec.conditions:
        mod = sed.createModel()
        mod.setId(f"model_{cond.id}")
        mod.setName(cond.name)
        mod.setLanguage("urn:sedml:language:sbml.level-3.version-2")
        mod.setSource(model_file)
        for kind, sid, attr, value in _sbml_value_changes(sbml_model, cond.values):
            ch = mod.createChangeAttribute()
            ch.setTarget(_xpath(kind, sid, attr))
            ch.setNewValue(repr(float(value)))
        task = sed.createTask()
        task.setId(f"task_{cond.id}")
        task.setName(cond.name)
        task.setModelReference(mod.getId())
        task.setSimulationReference(sim.getId())
        report = sed.createReport()
        report.setId(f"report_{cond.id}")
        report.setName(f"{cond.name}: time ({info.time_unit}) and readouts")
        for quantity in ("time", *spec.readouts):
            dg = sed.createDataGenerator()
            dg.setId(f"dg_{cond.id}__{quantity}")
            dg.setName(quantity)
            var = dg.createVariable()
            var.setId(f"v_{cond.id}__{quantity}")
            var.setTaskReference(task.getId())
            if quantity == "time":
                var.setSymbol(_TIME_SYMBOL)
            else:
                var.setTarget(_xpath(kinds[quantity], quantity))
            dg.setMath(libsedml.parseL3Formula(var.getId()))
            ds = report.createDataSet()
            ds.setId(f"ds_{cond.id}__{quantity}")
            ds.setLabel(quantity)
            ds.setDataReference(dg.getId())
    text = libsedml.writeSedMLToString(sed)
    check = libsedml.readSedMLFromString(text)
    if check.getNumErrors(libsedml.LIBSEDML_SEV_ERROR):
        raise InputError(f"generated SED-ML is invalid: {check.getErrorLog().toString()}")
    return text


def baseline_file_name(model_name: str, context: str | None = None) -> str:
    """Name of the baseline SBML file a SED-ML export of ``model_name`` refers to and writes
    beside itself (``context``: "mouse", "human" or "mouse_huRANKL"; default: the model's)."""
    return f"{model_name}_{get_model(model_name).context_or_default(context)}_baseline.xml"


def _baseline_file_name(spec: ExperimentSpec) -> str:
    return baseline_file_name(spec.model, spec.context)


def write_omex(spec: ExperimentSpec, out: Path) -> Path:
    """Write a COMBINE archive: the baseline SBML, the SED-ML and the manifest (+ description)."""
    import libcombine

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model_file = _baseline_file_name(spec)
    sedml_file = f"{spec.id}.sedml"
    archive = libcombine.CombineArchive()
    ok = archive.addFileFromString(
        baseline_sbml(spec.model, spec.context),
        model_file,
        "http://identifiers.org/combine.specifications/sbml.level-3.version-2",
        False,
    )
    ok &= archive.addFileFromString(
        sedml_text(spec, model_file),
        sedml_file,
        # the generic SED-ML format: libcombine (and so tellurium) does not know ".level-1.version-4"
        "http://identifiers.org/combine.specifications/sed-ml",
        True,
    )
    content = archive.getManifest().createContent()
    content.setLocation(".")
    content.setFormat("http://identifiers.org/combine.specifications/omex")
    desc = libcombine.OmexDescription()
    desc.setAbout(".")
    desc.setDescription(spec.description)
    archive.addMetadata(".", desc)
    if out.exists():
        out.unlink()
    try:
        written = ok and archive.writeToFile(str(out))
    except RuntimeError:  # libcombine raises on a folder it cannot write to
        written = False
    archive.cleanUp()
    if not written:
        raise InputError(f"cannot write the COMBINE archive {out}")
    _fix_zip_times(out)
    return out


def _fix_zip_times(path: Path) -> None:
    """Give every member of the zip file ``path`` the same time stamp (1980-01-01, zip's
    earliest), so that the same archive contents give the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            new.writestr(fixed, data)


# ============================================================================================ PEtab
def _noise_sd(values: np.ndarray, size: float = 0.0) -> float:
    """5 % of a readout's peak over ``values``, or of its typical ``size`` in its unit if that is
    larger (100 for a percent or a percent change, whose wild type may stay at round-off of 0)."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    return max(0.05 * max(peak, abs(size)), 1e-12)


def petab_file_names(model_name: str) -> dict[str, str]:
    """The files :func:`write_petab` writes in its folder, by role."""
    return {
        "model": f"{model_name}.xml",
        "conditions": "conditions.tsv",
        "observables": "observables.tsv",
        "measurements": "measurements.tsv",
        "parameters": "parameters.tsv",
        "problem": "problem.yaml",
        "readme": "README.md",
    }


def write_petab(
    model_name: str,
    out: Path,
    *,
    context: str | None = None,
    points: int = 7,
) -> list[Path]:
    """Write a PEtab v1 problem folder for a shipped model.

    Contents: the shipped SBML; ``conditions.tsv`` with a pre-equilibration condition (the
    values held while the baseline is found), ``wild_type`` and every genetic line of
    ``experiments/genetic_lines.tsv`` whose nodes act on the model (as columns on the
    ``*_expr`` multipliers and, for knockouts, on the node's species); ``observables.tsv``
    with one observable per readout (normal noise, standard deviation ``sd_<observable>``);
    ``parameters.tsv`` with a few estimable parameters (log10 scale, bounds 1/100x to 100x of
    the nominal value) and the fixed noise parameters; ``measurements.tsv`` with values
    **simulated by rankl-net** (``datasetId`` ``rankl_net_simulation``, no experimental data);
    and ``problem.yaml``.

    Parameters
    ----------
    model_name
        A shipped model.
    out
        Folder to write (created).
    context
        "mouse", "human" or, for the drug models, "mouse_huRANKL" (default: the model's); its
        values are condition columns.
    points
        Measurement times per condition and observable, evenly spaced over the default end.

    Returns
    -------
    The files written.
    """
    import yaml

    from .experiments import read_genetic_lines

    info: ModelInfo = get_model(model_name)
    context = info.context_or_default(context)
    out = Path(out).expanduser()
    check_petab_folder(model_name, out)
    eng = load(model_name, context)
    out.mkdir(parents=True, exist_ok=True)
    doc = libsbml.readSBMLFromFile(str(info.sbml_path))
    model = doc.getModel()

    conditions: list[tuple[str, str, Changes]] = [("wild_type", "wild type", Changes())]
    for gl in read_genetic_lines():
        if (gl.model, gl.context) != (model_name, context):
            continue  # the line is defined on another model or context
        try:
            changes = to_changes(parse_spec(gl.spec), eng)
        except InputError:
            continue  # the line's node does not act on this model
        conditions.append((_sid(gl.spec), gl.line, changes))

    # condition table: every column has a value in every row
    param_cols: list[str] = list(info.contexts.get(context, {})) + list(info.preequilibration)
    species_cols: list[str] = []
    for _, _, ch in conditions:
        param_cols += [p for p in ch.parameters if p not in param_cols]
        species_cols += [s for s in ch.species if s not in species_cols]
    reset_cols = [r for r in info.reset_at_start if r not in param_cols and r not in species_cols]
    param_cols = list(dict.fromkeys(param_cols))
    rows = []
    preeq = {"conditionId": "preequilibration", "conditionName": "pre-equilibration (baseline search)"}
    for p in param_cols:
        preeq[p] = info.preequilibration.get(p, eng.baseline[p])
    for s in species_cols + reset_cols:
        preeq[s] = np.nan
    rows.append(preeq)
    for cid, name, ch in conditions:
        row = {"conditionId": cid, "conditionName": name}
        for p in param_cols:
            row[p] = ch.parameters.get(p, eng.baseline[p])
        for s in species_cols:
            row[s] = ch.species.get(s, np.nan)
        for r in reset_cols:
            row[r] = info.reset_at_start[r]
        rows.append(row)
    cond_df = pd.DataFrame(rows)

    # observables
    obs_rows = []
    for r in info.readouts:
        obs_rows.append(
            {
                "observableId": f"obs_{r}",
                "observableName": r,
                "observableFormula": r,
                "observableTransformation": "lin",
                "noiseFormula": f"sd_obs_{r}",
                "noiseDistribution": "normal",
            }
        )
    obs_df = pd.DataFrame(obs_rows)

    # measurements simulated by rankl-net
    meas_rows = []
    series: dict[str, list[float]] = {r: [] for r in info.readouts}
    for cid, _, ch in conditions:
        frame = eng.simulate(ch, end=info.default_end, points=points, readouts=list(info.readouts))
        for r in info.readouts:
            series[r].extend(frame[r].tolist())
            for t, y in zip(frame["time"], frame[r], strict=True):
                meas_rows.append(
                    {
                        "observableId": f"obs_{r}",
                        "preequilibrationConditionId": "preequilibration",
                        "simulationConditionId": cid,
                        "measurement": float(y),
                        "time": float(t),
                        "datasetId": "rankl_net_simulation",
                    }
                )
    meas_df = pd.DataFrame(meas_rows)

    # parameters: a few estimable ones, and the fixed noise standard deviations
    fixed_by_conditions = set(param_cols) | set(species_cols) | set(reset_cols)
    assign, rate, _ = _rule_targets(model)
    wanted = PETAB_ESTIMATED.get(model_name) or tuple(
        p.getId() for p in model.getListOfParameters() if p.getId().startswith(("k_", "K_"))
    )
    par_rows = []
    for pid in wanted:
        p = model.getParameter(pid)
        if p is None or pid in fixed_by_conditions or pid in assign or pid in rate:
            continue
        nominal = float(eng.baseline[pid])
        if not nominal > 0:
            continue
        par_rows.append(
            {
                "parameterId": pid,
                "parameterName": p.getName() or pid,
                "parameterScale": "log10",
                "lowerBound": nominal / 100,
                "upperBound": nominal * 100,
                "nominalValue": nominal,
                "estimate": 1,
            }
        )
    units = info.unit_labels(list(info.readouts))
    for r in info.readouts:
        # (an index's scale is 1: the lesion index of a bone without tumour stays at round-off of 0)
        size = {PERCENT_LABEL: 100.0, PERCENT_CHANGE: 100.0, "dimensionless": 1.0}.get(
            units.get(r, ""), eng.baseline.get(r, 0.0))
        sd = _noise_sd(np.asarray(series[r], float), size)
        par_rows.append(
            {
                "parameterId": f"sd_obs_{r}",
                "parameterName": f"noise standard deviation of {r} (5 % of its peak, or of its size at "
                                 "the baseline, 100 for a percent, 1 for an index, if larger)",
                "parameterScale": "lin",
                "lowerBound": sd / 100,
                "upperBound": sd * 100,
                "nominalValue": sd,
                "estimate": 0,
            }
        )
    par_df = pd.DataFrame(par_rows)

    files = {role: out / name for role, name in petab_file_names(model_name).items()}
    shutil.copyfile(info.sbml_path, files["model"])
    cond_df.to_csv(files["conditions"], sep="\t", index=False, na_rep="NaN", float_format="%.17g")
    obs_df.to_csv(files["observables"], sep="\t", index=False)
    meas_df.to_csv(files["measurements"], sep="\t", index=False, float_format="%.17g")
    par_df.to_csv(files["parameters"], sep="\t", index=False, float_format="%.17g")
    problem = {
        "format_version": 1,
        "parameter_file": files["parameters"].name,
        "problems": [
            {
                "sbml_files": [files["model"].name],
                "condition_files": [files["conditions"].name],
                "measurement_files": [files["measurements"].name],
                "observable_files": [files["observables"].name],
            }
        ],
    }
    files["problem"].write_text(yaml.safe_dump(problem, sort_keys=False), encoding="utf-8")
    files["readme"].write_text(
        f"# PEtab problem: rankl-net model `{model_name}` ({context} context)\n\n"
        f"Written by rankl-net {__version__}. The measurements are **simulated by rankl-net** "
        "(datasetId `rankl_net_simulation`), not experimental data: they let a PEtab tool check "
        "that it reproduces rankl-net, and they are a template for real data.\n\n"
        "Every simulation starts from the `preequilibration` condition run to steady state; the "
        f"time unit is the model's ({info.time_unit}). Check with `petablint problem.yaml`.\n",
        encoding="utf-8",
    )
    return list(files.values())


def simulate_petab(problem_yaml: str | Path) -> pd.DataFrame:
    """Simulate a PEtab problem of this package's kind with libRoadRunner, by PEtab's rules.

    An independent reading of the tables (not the rankl-net engine): for each pair of
    pre-equilibration and simulation conditions, set the pre-equilibration values, integrate
    until the state stops changing (max relative rate below 1e-9 per time unit), apply the
    simulation condition (every column that is not NaN), simulate to the measurement times
    (model time units) and evaluate the observables. Observable formulas must be model ids, as
    :func:`write_petab` writes them.

    Returns
    -------
    PEtab's simulation table: the measurement table with its ``measurement`` column replaced by a
    ``simulation`` column of simulated values (in the observables' units), which PEtab's
    ``calculate_chi2`` and ``calculate_llh`` take with the problem's tables.
    """
    import petab.v1 as petab
    import roadrunner

    problem = petab.Problem.from_yaml(str(existing_file(problem_yaml, "problem_yaml")))
    rr = roadrunner.RoadRunner(libsbml.writeSBMLToString(problem.sbml_document))
    configure_integrator(rr.integrator, SEDML_RELATIVE_TOLERANCE, SEDML_ABSOLUTE_TOLERANCE, SEDML_MAX_STEPS)
    species = set(rr.model.getFloatingSpeciesIds()) | set(rr.model.getBoundarySpeciesIds())
    conditions = problem.condition_df.drop(columns=["conditionName"], errors="ignore")
    formulas = problem.observable_df["observableFormula"].to_dict()
    for obs_id, formula in formulas.items():
        if formula not in rr.keys() and formula not in species:
            raise InputError(f"observable {obs_id}: only model ids are supported, got {formula!r}")
    meas = problem.measurement_df.copy()
    start = rr.saveStateS()

    def key(sid: str) -> str:
        return f"[{sid}]" if sid in species else sid

    def apply(cid: str) -> None:
        for col, v in conditions.loc[cid].items():
            if not (isinstance(v, float) and math.isnan(v)):
                rr[key(col)] = float(v)

    def settle(cid: str) -> None:
        horizon = 1000.0
        for _ in range(12):
            rr.simulate(rr.model.getTime(), rr.model.getTime() + horizon, 2)
            rates = np.asarray(rr.getRatesOfChange(), float).ravel()
            x = np.abs([rr[rr.model.getStateVectorId(i)] for i in range(rates.size)])
            if np.max(np.abs(rates) / np.maximum(x, 1e-6 * max(float(x.max()), 1e-30))) < 1e-9:
                return
            horizon *= 2
        raise SimulationError(f"PEtab pre-equilibration condition {cid!r} reaches no steady state")

    groups = meas.groupby(["preequilibrationConditionId", "simulationConditionId"], dropna=False)
    for (pre, sim), group in groups:
        observables = list(group["observableId"].unique())
        selections = ["time", *(key(formulas[o]) for o in observables)]
        times = np.unique(np.concatenate([[0.0], group["time"].to_numpy(float)]))
        try:
            rr.loadStateS(start)
            if isinstance(pre, str) and pre:
                apply(pre)
                settle(pre)
            rr.model.setTime(0.0)
            apply(sim)
            if times.size > 1:
                res = np.array(rr.simulate(times=times, selections=selections))
            else:
                res = np.array([[0.0, *(rr[s] for s in selections[1:])]])
        except RuntimeError as exc:
            raise SimulationError(f"PEtab {pre} -> {sim}: {str(exc).strip().splitlines()[0]}") from None
        for idx, row in group.iterrows():
            col = 1 + observables.index(row["observableId"])
            meas.loc[idx, "measurement"] = float(np.interp(row["time"], res[:, 0], res[:, col]))
    return meas.rename(columns={"measurement": "simulation"})


# =========================================================================================== export
@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote, and what the format could not carry."""

    paths: tuple[Path, ...]
    notes: tuple[str, ...] = ()


# the formats that carry a context's values (a simulation experiment or a PEtab problem); the
# model files themselves hold the model's own values, every context in its model card
CONTEXT_FORMATS = ("sbml-baseline", "sedml", "omex", "petab")


EXPERIMENT_FORMATS = ("sedml", "omex")


def export_example(model_name: str, fmt: str) -> str:
    """A name the ``fmt`` export of ``model_name`` may be written to, for messages."""
    suffixes = [s for s, fmts in SUFFIX_FORMATS.items() if fmt in fmts]
    suffix = ".sedml" if fmt == "sedml" else suffixes[0] if suffixes else ""
    return f"{model_name}_petab" if fmt == "petab" else f"{model_name}{suffix}"


def check_context_format(fmt: str, context: str | None, experiment: str = "baseline") -> None:
    """Refuse a context or an experiment for a format that cannot carry it (it would be ignored)."""
    if context is not None and fmt not in CONTEXT_FORMATS:
        raise InputError(f"--context applies to the {', '.join(CONTEXT_FORMATS)} exports; the {fmt} "
                         "export is the model with its own values (export sbml-baseline, sedml or omex for "
                         "a context's baseline)")
    if experiment != "baseline" and fmt not in EXPERIMENT_FORMATS:
        raise InputError(f"--experiment {experiment} applies to the {' and '.join(EXPERIMENT_FORMATS)} "
                         f"exports; the {fmt} export holds no experiment")


# the export formats each file suffix names; a name ending in another file format's suffix
# (paths.FILE_FORMAT_SUFFIXES: a table's, a figure's, another export's) is refused: a user who
# writes --format sbml --out bone.omex would get SBML under an archive's name
SUFFIX_FORMATS = {
    ".xml": ("sbml", "sbml-baseline", "sbml-l2v4", "comp", "sedml"),
    ".sbml": ("sbml", "sbml-baseline", "sbml-l2v4", "comp"),
    ".sedml": ("sedml",),
    ".omex": ("omex",),
    ".zip": ("omex",),  # a COMBINE archive is a zip file
    ".ant": ("antimony",),
    ".antimony": ("antimony",),
    ".txt": ("antimony",),
}


def check_export_target(model_name: str, fmt: str, out: str | Path) -> None:
    """Refuse an output name whose suffix says another format (a PEtab folder: any file
    format's suffix), and a PEtab folder that holds files other than an earlier PEtab export
    of the same model (:func:`check_petab_folder`)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix in FILE_FORMAT_SUFFIXES and fmt not in SUFFIX_FORMATS.get(suffix, ()):
        if fmt == "petab":
            raise InputError(f"{out}: petab writes a folder; give a folder name without a file suffix, "
                             f"such as {out.with_suffix('')}")
        ours = [s for s, fmts in SUFFIX_FORMATS.items() if fmt in fmts]
        endings = f"{', '.join(ours[:-1])} or {ours[-1]}" if len(ours) > 1 else ours[0]
        raise InputError(f"{out}: {suffix} is not a suffix of the {fmt} format; give a name ending in "
                         f"{endings}")
    if fmt == "petab":
        check_petab_folder(model_name, out)


def check_petab_folder(model_name: str, out: str | Path) -> None:
    """Refuse a PEtab folder that holds files other than an earlier PEtab export of the same
    model: they would be overwritten (a README.md of the user's) or mixed with the problem."""
    out = Path(out)
    if not out.is_dir():
        return
    names = petab_file_names(model_name)
    present = sorted(p.name for p in out.iterdir())
    others = [name for name in present if name not in names.values()]
    if present and (others or names["problem"] not in present):
        shown = others or present
        listed = ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "")
        raise InputError(f"{out} holds files that are not a PEtab export of {model_name} ({listed}); "
                         "they would be overwritten: give a new or empty folder")


def export(
    model_name: str,
    fmt: str,
    out: str | Path,
    *,
    context: str | None = None,
    experiment: str = "baseline",
    lines: Sequence[str] | None = None,
) -> ExportResult:
    """Export a shipped model.

    Parameters
    ----------
    model_name
        A shipped model (``rankl-net models``).
    fmt
        ``sbml``: the flattened SBML L3V2 file, copied. ``sbml-baseline``: the same with a
        context's baseline as initial state (:func:`baseline_sbml`). ``sbml-l2v4``: libSBML
        conversion to Level 2 Version 4 (see :func:`to_l2v4` for what changes). ``antimony``:
        libAntimony's text of the SBML. ``comp``: hierarchical SBML, one submodel per module
        (:func:`rankl_net.comp.comp_sbml`). ``sedml``: a SED-ML L1V4 file for ``experiment`` plus the baseline
        SBML it refers to, written next to it. ``omex``: a COMBINE archive with both and a
        manifest. ``petab``: a PEtab v1 problem folder (:func:`write_petab`).
    out
        File to write (for ``petab``, a folder).
    context
        "mouse", "human" or "mouse_huRANKL" for the baseline-based formats (default: the model's).
    experiment
        For ``sedml``/``omex``: "baseline" (the model's default time course) or
        "genetic_lines" (bone model only).
    lines
        For "genetic_lines": restrict to these lines (default: all); refused for the baseline
        experiment and the formats without an experiment, which would ignore them.

    Returns
    -------
    ExportResult
        The paths written and notes on what the format changed or could not carry.
    """
    info = get_model(model_name)
    if fmt not in FORMATS:
        raise unknown_name("export format", fmt, FORMATS)
    check_context_format(fmt, context, experiment)
    if fmt not in EXPERIMENT_FORMATS:
        _no_lines(lines, f"the {fmt} export")
    info.context_or_default(context)  # an unknown context is refused before anything is written
    if not (out if isinstance(out, str) else str(as_path(out, "out"))).strip():
        # ("" is Path("."), the working folder: a PEtab problem would be written into it)
        raise InputError(f"out: the name is empty; give a {'folder' if fmt == 'petab' else 'file'} name, "
                         f"such as {export_example(model_name, fmt)}")
    out = Path(out).expanduser()
    check_export_target(model_name, fmt, out)
    if fmt == "petab":
        if out.exists() and not out.is_dir():
            raise InputError(f"{out} is a file; PEtab needs a folder")
        paths = write_petab(model_name, out, context=context)
        return ExportResult(
            tuple(paths), ("measurements are simulated by rankl-net (datasetId rankl_net_simulation)",)
        )
    if out.is_dir():
        raise InputError(f"{out} is a folder; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    sbml_text = info.sbml_path.read_text(encoding="utf-8")
    if fmt == "sbml":
        shutil.copyfile(info.sbml_path, out)
        return ExportResult((out,), ())
    if fmt == "comp":
        from .comp import comp_sbml

        out.write_text(comp_sbml(model_name), encoding="utf-8")
        return ExportResult((out,), ())
    if fmt == "sbml-baseline":
        context = info.context_or_default(context)
        out.write_text(baseline_sbml(model_name, context), encoding="utf-8")
        return ExportResult((out,), (f"the initial state is the {context} baseline and the parameters are "
                                     f"the {context} context's: a simulation from time 0 in another tool "
                                     "is rankl-net's simulation without perturbation",))
    if fmt == "sbml-l2v4":
        text, notes = to_l2v4(sbml_text)
        out.write_text(text, encoding="utf-8")
        return ExportResult((out,), tuple(notes))
    if fmt == "antimony":
        out.write_text(to_antimony(sbml_text), encoding="utf-8")
        return ExportResult((out,), ())
    spec = experiment_spec(model_name, experiment, context=context, lines=lines)
    note = (
        f"the model file is the {spec.model} SBML with the {spec.context} baseline as initial state "
        "(rankl-net pre-equilibration is not part of SED-ML)",
    )
    if fmt == "sedml":
        beside = out.parent / _baseline_file_name(spec)
        model_text = baseline_sbml(spec.model, spec.context)
        # the model file is named by the export, not by the user: a file of that name that is not
        # this very export (the user's own) is not overwritten
        if beside.exists() and (not beside.is_file() or beside.read_bytes() != model_text.encode("utf-8")):
            raise InputError(f"{beside} exists and is not this export's model file, which the SED-ML "
                             f"{out.name} needs beside it under that name; export into another folder, "
                             "or move that file")
        out.write_text(sedml_text(spec, beside.name), encoding="utf-8")
        beside.write_text(model_text, encoding="utf-8")
        return ExportResult((out, beside), note)
    return ExportResult((write_omex(spec, out),), note)


# ================================================================================ cross-simulators
def compare_frames(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    *,
    floor: float = CROSS_CHECK_FLOOR,
    absolute: float = CROSS_CHECK_ABSOLUTE,
    magnitudes: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Largest scaled deviation per readout: max |a - b| / max(|b|, floor * max(max|b|, m), absolute),
    with ``m`` the readout's magnitude from ``magnitudes`` (0 when not given).

    Parameters
    ----------
    ours, theirs
        Time courses with the same ``time`` column (``theirs`` is the reference ``b``).
    floor
        Fraction of a readout's size (its peak, or its magnitude if larger) below which values
        are measured against that fraction of the size (default 1e-4).
    absolute
        Magnitude, in the readout's model unit, below which values are measured against it
        (default 1e-6).
    magnitudes
        A typical size of each readout in its unit, when its course can stay far below it: the
        wild-type baseline of a species a knockout removes, or 100 for a percent change from
        baseline, which is about 0 without perturbation (default: none).

    Returns
    -------
    dict
        Readout -> deviation. A value of 1e-4 means the two agree to a relative tolerance of
        1e-4. Near zero the integrators' absolute tolerances, not their relative ones, decide
        the digits, hence ``floor`` and ``absolute``: a species that stays at 1e-14 pM in one
        simulator and 1e-20 pM in another agrees.
    """
    if len(ours) != len(theirs) or not np.allclose(ours["time"], theirs["time"], rtol=1e-9, atol=1e-12):
        raise SimulationError("the two time courses do not have the same time points")
    out = {}
    for col in ours.columns:
        if col == "time":
            continue
        a = ours[col].to_numpy(float)
        b = theirs[col].to_numpy(float)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            out[col] = math.inf
            continue
        size = max(float(np.max(np.abs(b))), abs((magnitudes or {}).get(col, 0.0)))
        scale = np.maximum(np.abs(b), max(floor * size, absolute))
        diff = np.abs(a - b)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.where(scale > 0, scale, 1.0))
        out[col] = float(np.max(rel))
    return out


def simulate_tellurium(sbml_text: str, *, end: float, points: int, readouts: Sequence[str]) -> pd.DataFrame:
    """Time course of an SBML model from its initial state in tellurium (CVODE, rtol 1e-10)."""
    import tellurium as te

    r = te.loadSBMLModel(sbml_text)
    configure_integrator(r.integrator, SEDML_RELATIVE_TOLERANCE, SEDML_ABSOLUTE_TOLERANCE, SEDML_MAX_STEPS)
    species = set(r.model.getFloatingSpeciesIds()) | set(r.model.getBoundarySpeciesIds())
    sel = ["time", *(f"[{x}]" if x in species else x for x in readouts)]
    try:
        res = np.array(r.simulate(0.0, float(end), int(points), selections=sel))
    except RuntimeError as exc:
        raise SimulationError(f"tellurium: {str(exc).strip().splitlines()[0]}") from None
    return pd.DataFrame(res, columns=["time", *readouts])


def _copasi_frame(
    dm, readouts: Sequence[str], *, run_kwargs: Mapping[str, object] | None = None
) -> pd.DataFrame:
    import basico

    initial: dict[str, float] = {}
    for table, column in (
        (basico.get_species(model=dm), "initial_concentration"),
        (basico.get_parameters(model=dm), "initial_value"),
        (basico.get_compartments(model=dm), "initial_size"),
    ):
        if table is not None and "sbml_id" in table and column in table:
            initial.update(zip(table["sbml_id"], table[column].astype(float), strict=True))
    for r in readouts:
        if r not in initial:
            raise unknown_name("readout", r, initial)
    tc = basico.run_time_course(model=dm, use_sbml_id=True, **dict(run_kwargs or {}))
    if tc is None or tc.empty or not np.all(np.isfinite(tc.to_numpy(float))):
        raise SimulationError(f"COPASI: the time course failed: {basico.model_info.get_copasi_messages(0)}")
    frame = pd.DataFrame({"time": tc.index.to_numpy(float)})
    for r in readouts:
        # COPASI leaves quantities that nothing changes (a species in no reaction, rule or
        # event) out of its time series: they keep their initial value.
        frame[r] = tc[r].to_numpy(float) if r in tc else initial[r]
    return frame


def simulate_copasi(sbml_text: str, *, end: float, points: int, readouts: Sequence[str]) -> pd.DataFrame:
    """Time course of an SBML model from its initial state in COPASI (basico, LSODA, rtol 1e-10)."""
    import basico

    dm = basico.load_model_from_string(sbml_text)
    if dm is None:
        raise InputError("COPASI cannot import the SBML")
    try:
        return _copasi_frame(
            dm,
            readouts,
            run_kwargs={
                "duration": float(end),
                "intervals": int(points) - 1,
                "automatic": False,
                "r_tol": SEDML_RELATIVE_TOLERANCE,
                "a_tol": SEDML_ABSOLUTE_TOLERANCE,
                "max_steps": SEDML_MAX_STEPS,
                "use_initial_values": True,
            },
        )
    finally:
        basico.remove_datamodel(dm)


@dataclass(frozen=True)
class CrossCheck:
    """The same time course in several simulators.

    Attributes
    ----------
    frames
        Time course per simulator ("roadrunner" is the rankl-net engine).
    deviations
        Per simulator other than "roadrunner": largest scaled deviation per readout from it
        (see :func:`compare_frames`).
    rtol
        The tolerance of :attr:`agrees`.
    """

    frames: dict[str, pd.DataFrame]
    deviations: dict[str, dict[str, float]]
    rtol: float = CROSS_CHECK_RTOL

    @property
    def worst(self) -> float:
        """The largest deviation of any simulator and readout."""
        return max((v for d in self.deviations.values() for v in d.values()), default=0.0)

    @property
    def agrees(self) -> bool:
        """True when every simulator matches libRoadRunner within :attr:`rtol`."""
        return self.worst <= self.rtol

    def table(self) -> pd.DataFrame:
        """Deviations as a table: one row per simulator, one column per readout."""
        return pd.DataFrame(self.deviations).T


SIMULATORS = ("tellurium", "copasi")


def _cross(
    reference: pd.DataFrame,
    sbml_text: str,
    *,
    end: float,
    points: int,
    readouts: Sequence[str],
    simulators: Sequence[str],
    rtol: float,
    magnitudes: Mapping[str, float] | None = None,
) -> CrossCheck:
    runners = {"tellurium": simulate_tellurium, "copasi": simulate_copasi}
    frames = {"roadrunner": reference}
    deviations = {}
    for name in name_list(simulators, "simulators"):
        if name not in runners:
            raise unknown_name("simulator", name, runners)
        frames[name] = runners[name](sbml_text, end=end, points=points, readouts=readouts)
        deviations[name] = compare_frames(frames[name], reference, magnitudes=magnitudes)
    return CrossCheck(frames, deviations, rtol)


def cross_check(
    model_name: str,
    *perturbations: str | Perturbation,
    context: str | None = None,
    end: float | str | None = None,
    points: int = 101,
    readouts: Sequence[str] | None = None,
    simulators: Sequence[str] = SIMULATORS,
    rtol: float = CROSS_CHECK_RTOL,
) -> CrossCheck:
    """Simulate a shipped model's condition in rankl-net, tellurium and COPASI and compare.

    rankl-net simulates from its pre-equilibrated baseline; tellurium and COPASI simulate
    :func:`baseline_sbml` (the same state written as initial values, with the condition's
    time-0 changes) from time 0. All run at relative tolerance 1e-10 or tighter than the
    engine's 1e-8, so differences well below ``rtol`` (1e-4) are expected; COPASI integrates
    with LSODA, tellurium and rankl-net with CVODE.

    Parameters
    ----------
    model_name
        A shipped model.
    perturbations
        Specs or Perturbation objects starting at time 0 (no time windows).
    context
        "mouse", "human" or, for the drug models, "mouse_huRANKL" (default: the model's).
    end
        End time in the model's time unit (default: the catalog's).
    points
        Number of output times.
    readouts
        Default: the model's readouts.
    simulators
        Any of "tellurium", "copasi".
    rtol
        Tolerance of :attr:`CrossCheck.agrees`.
    """
    info = get_model(model_name)
    eng = load(model_name, context)
    end = info.default_end if end is None else time_in_model_unit(model_name, end)
    eng.check_end(end)
    readouts = name_list(readouts, "readouts") if readouts is not None else list(info.readouts)
    changes = to_changes(as_perturbations(list(perturbations)), eng)
    reference = eng.simulate(changes, end=end, points=points, readouts=readouts)
    text = baseline_sbml(model_name, context, changes)
    # each readout measured against its size in the wild type (a percent change against the
    # whole, 100 %): a species a knockout removes, or a marker that stays at 0 % change, is
    # otherwise compared at the integrators' absolute tolerances
    units = info.unit_labels(readouts)
    percent = (PERCENT_LABEL, PERCENT_CHANGE)
    magnitudes = {r: 100.0 if units.get(r) in percent else abs(eng.baseline.get(r, 0.0)) for r in readouts}
    return _cross(
        reference, text, end=end, points=points, readouts=readouts, simulators=simulators, rtol=rtol,
        magnitudes=magnitudes,
    )


def cross_check_file(
    path: str | Path,
    *,
    end: float,
    points: int = 101,
    readouts: Sequence[str] | None = None,
    simulators: Sequence[str] = SIMULATORS,
    rtol: float = CROSS_CHECK_RTOL,
) -> CrossCheck:
    """Simulate any SBML file from its initial state in rankl-net, tellurium and COPASI.

    Parameters
    ----------
    path
        An SBML file (checked as in :func:`load_any`).
    end
        End time in the model's time unit.
    points
        Number of output times.
    readouts
        Default: every species (concentrations).
    simulators
        Any of "tellurium", "copasi".
    rtol
        Tolerance of :attr:`CrossCheck.agrees`. rankl-net's run is the reference and integrates
        at the engine's relative tolerance, 1e-8: in a stiff file that error can grow past 1e-4
        over a long run (it does in Ayati 2010, BIOMD0000000402, over 500 days), and a
        deviation in another tool's row may then be rankl-net's own.
    """
    eng = load_any(path)
    eng.check_end(end)
    readouts = name_list(readouts, "readouts") if readouts is not None else eng.default_readouts
    reference = eng.simulate(end=end, points=points, readouts=readouts)
    return _cross(
        reference, eng.sbml_text, end=end, points=points, readouts=readouts, simulators=simulators, rtol=rtol
    )


# ======================================================================= executing SED-ML / OMEX
_ID_IN_XPATH = re.compile(r"@id=['\"]([^'\"]+)['\"]")


def _sedml_outputs(sedml: str) -> dict[str, dict[str, str]]:
    """For each task: {data-generator id: model id or 'time'} (single-variable generators)."""
    import libsedml

    doc = libsedml.readSedMLFromString(sedml)
    out: dict[str, dict[str, str]] = {}
    for i in range(doc.getNumDataGenerators()):
        dg = doc.getDataGenerator(i)
        if dg.getNumVariables() != 1:
            continue
        var = dg.getVariable(0)
        if var.isSetSymbol():
            target = "time"
        else:
            m = _ID_IN_XPATH.search(var.getTarget())
            if not m:
                continue
            target = m.group(1)
        out.setdefault(var.getTaskReference(), {})[dg.getId()] = target
    return out


def _frames_by_task(values: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, pd.DataFrame]:
    frames = {}
    for task, cols in values.items():
        cond = task.removeprefix("task_")
        frames[cond] = pd.DataFrame({name: np.asarray(v, float).ravel() for name, v in cols.items()})
    return frames


def _read_archive(path: Path) -> tuple[Path, list[Path]]:
    """Extract an OMEX archive to a temporary folder: (folder, SED-ML files from the manifest)."""
    import libcombine

    path = existing_file(path, "archive")
    archive = libcombine.CombineArchive()
    if not archive.initializeFromArchive(str(path)):
        raise InputError(f"{path}: not a COMBINE archive")
    folder = Path(tempfile.mkdtemp(prefix="rankl_net_omex_"))
    archive.extractTo(str(folder))
    sedml = [
        folder / archive.getEntry(i).getLocation()
        for i in range(archive.getNumEntries())
        if "sed-ml" in archive.getEntry(i).getFormat()
    ]
    archive.cleanUp()
    if not sedml:
        raise InputError(f"{path}: the archive has no SED-ML file")
    return folder, sedml


def run_omex_tellurium(path: str | Path) -> dict[str, pd.DataFrame]:
    """Execute every SED-ML task of an OMEX archive in tellurium.

    Returns
    -------
    One DataFrame per task (keyed by the condition id, the task id without ``task_``), with a
    ``time`` column and one column per model quantity the data generators report.
    """
    import tellurium as te

    path = Path(path)
    folder, sedml_files = _read_archive(path)
    try:
        results = te.executeCombineArchive(str(path), createOutputs=False)
    except Exception as exc:  # tellurium raises plain exceptions from generated code
        raise SimulationError(f"tellurium could not execute {path.name}: {exc}") from None
    generated = {}
    for res in results.values():
        generated.update(res["dataGenerators"])
    values: dict[str, dict[str, np.ndarray]] = {}
    for sedml in sedml_files:
        for task, dgs in _sedml_outputs(sedml.read_text(encoding="utf-8")).items():
            for dg, target in dgs.items():
                values.setdefault(task, {})[target] = np.asarray(generated[dg])
    shutil.rmtree(folder, ignore_errors=True)
    return _frames_by_task(values)


def run_omex_copasi(path: str | Path) -> dict[str, pd.DataFrame]:
    """Execute every SED-ML task of an OMEX archive in COPASI (basico).

    COPASI imports the archive once per task (model, changes, time course and its algorithm
    settings from the SED-ML) and runs the imported time course; the data generators'
    variables are read from COPASI's time series by their SBML ids.
    """
    import basico
    import COPASI
    import libsedml

    path = Path(path)
    folder, sedml_files = _read_archive(path)
    frames: dict[str, pd.DataFrame] = {}
    try:
        for sedml in sedml_files:
            doc = libsedml.readSedMLFromString(sedml.read_text(encoding="utf-8"))
            outputs = _sedml_outputs(sedml.read_text(encoding="utf-8"))
            for i in range(doc.getNumTasks()):
                task = doc.getTask(i)
                targets = [t for t in outputs.get(task.getId(), {}).values() if t != "time"]
                dm = basico.create_datamodel()
                try:
                    opts = COPASI.SedmlImportOptions(task.getId(), task.getModelReference())
                    if not dm.openCombineArchive(str(path), None, True, opts):
                        raise SimulationError(f"COPASI cannot import task {task.getId()} of {path.name}")
                    frame = _copasi_frame(dm, targets)
                finally:
                    basico.remove_datamodel(dm)
                frames[task.getId().removeprefix("task_")] = frame
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return frames


def reference_frames(spec: ExperimentSpec) -> dict[str, pd.DataFrame]:
    """rankl-net's own time courses of an experiment's conditions (keyed by condition id)."""
    eng = load(spec.model, spec.context)
    out = {}
    for cond in spec.conditions:
        changes = Changes()
        for sid, v in cond.values.items():
            bucket = changes.species if sid in eng.species_ids else changes.parameters
            bucket[sid] = v
        out[cond.id] = eng.simulate(changes, end=spec.end, points=spec.points, readouts=list(spec.readouts))
    return out
