"""Build the shipped SBML models from their Antimony sources and annotation tables.

``models/antimony/<model>.ant`` is the single source of the maths. A line
``// @include PATH`` pulls in a module file (relative to ``models/antimony``) so several models
share one copy of a module. The build

1. expands the includes and converts the Antimony text to SBML with libAntimony;
2. converts to SBML Level 3 Version 2, gives every literal number the unit ``dimensionless``
   (so libSBML can check every expression) and every rule variable the unit derived from its
   rule;
3. adds names, SBO terms and identifiers.org annotations from ``models/annotations/*.tsv``;
4. writes ``models/sbml/<model>.xml`` and a readable listing ``models/sbml/<model>.md`` (whose
   sources say where a fitted value sits at a bound of ``experiments/fits/clinical.toml``).

The output is byte-stable: the same sources give the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import antimony
import libsbml

from . import annotations as ann
from . import paths, units
from .errors import InputError
from .fit_spec import read_fit_spec

INCLUDE = re.compile(r"^\s*//\s*@include\s+(\S+)\s*$")


def expand_includes(path: Path, root: Path | None = None, _seen: tuple[Path, ...] = ()) -> str:
    """Return the Antimony text of ``path`` with every ``// @include`` line replaced by the file."""
    root = root or paths.ANTIMONY
    if path in _seen:
        raise InputError(f"include cycle: {' -> '.join(str(p) for p in (*_seen, path))}")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = INCLUDE.match(line)
        if m:
            target = root / m.group(1)
            out.append(f"  // ---- begin {m.group(1)} ----")
            out.append(expand_includes(target, root, (*_seen, path)))
            out.append(f"  // ---- end {m.group(1)} ----")
        else:
            out.append(line)
    return "\n".join(out)


def antimony_to_sbml(text: str, model_id: str | None = None) -> str:
    """Convert Antimony text to an SBML string with libAntimony (``model_id``: default, the main
    module)."""
    antimony.clearPreviousLoads()
    label = model_id or "the Antimony text"
    if antimony.loadAntimonyString(text) < 0:
        raise InputError(f"Antimony error in {label}: {antimony.getLastError()}")
    sbml = antimony.getSBMLString(model_id or antimony.getMainModuleName())
    if not sbml:
        raise InputError(f"Antimony produced no SBML for {label}: {antimony.getLastError()}")
    return sbml


_MATH_BLOCK = re.compile(r'(<math xmlns="http://www.w3.org/1998/Math/MathML"[^>]*)(>.*?</math>)', re.S)
_BARE_CN = re.compile(r"<cn(?![^>]*\bsbml:units=)")
_SBML_NS = ' xmlns:sbml="http://www.sbml.org/sbml/level3/version2/core"'


def literal_units(sbml_text: str) -> str:
    """Give every literal number of the MathML without a unit the unit ``dimensionless``.

    Done on the XML text rather than on libSBML's ASTNode objects: when libSED-ML is loaded in
    the same process (tellurium loads it), libSBML's ``getMath()`` hands out libSED-ML proxies
    that libSBML's ``setMath()`` silently ignores.
    """

    def fix(match: re.Match) -> str:
        head, body = match.group(1), match.group(2)
        if not _BARE_CN.search(body):
            return match.group(0)
        if "xmlns:sbml=" not in head:
            head += _SBML_NS
        return head + _BARE_CN.sub('<cn sbml:units="dimensionless"', body)

    return _MATH_BLOCK.sub(fix, sbml_text)


def _unit_id_for(model: libsbml.Model, derived: libsbml.UnitDefinition) -> str:
    """Find (or create) a unit definition identical to ``derived``, after conversion to SI.
    A scaled dimensionless unit (percent: 0.01 dimensionless) is not ``dimensionless``."""
    want = units.signature(derived)
    if want == units.DIMENSIONLESS:
        return "dimensionless"
    named = units.name_of(model, derived)
    if named is not None:
        return named
    new = model.createUnitDefinition()
    new.setId(f"unit_{len(model.getListOfUnitDefinitions())}")
    for u in derived.getListOfUnits():
        new.addUnit(u)
    return new.getId()


def _set_rule_units(model: libsbml.Model) -> None:
    """Give each parameter computed by an assignment rule or an initial assignment the unit of
    its formula, inputs first."""

    def target(formula) -> str:
        initial = isinstance(formula, libsbml.InitialAssignment)
        return formula.getSymbol() if initial else formula.getVariable()

    formulas = [*(r for r in model.getListOfRules() if r.isAssignment()),
                *model.getListOfInitialAssignments()]
    pending = [f for f in formulas if model.getParameter(target(f)) is not None
               and not model.getParameter(target(f)).isSetUnits()]
    while pending:
        done = []
        for formula in pending:
            # libSBML caches derived units; a fresh document view after each pass re-derives them
            model.populateListFormulaUnitsData()
            derived = formula.getDerivedUnitDefinition()
            if derived is None or formula.containsUndeclaredUnits():
                continue
            model.getParameter(target(formula)).setUnits(_unit_id_for(model, derived))
            done.append(formula)
        if not done:
            names = ", ".join(target(f) for f in pending)
            raise InputError(f"cannot derive the units of {names}: declare the units of their inputs")
        pending = [f for f in pending if f not in done]


@dataclass(frozen=True)
class BuildResult:
    """What the build made for one model."""

    model: str
    sbml_path: Path
    listing_path: Path
    sbml: str
    listing: str


def build_sbml(model_name: str, root: Path | None = None) -> str:
    """Return the annotated SBML L3V2 text of one model (nothing is written)."""
    root = root or paths.ANTIMONY
    text = expand_includes(root / f"{model_name}.ant", root)
    doc = libsbml.readSBMLFromString(antimony_to_sbml(text, model_name))
    if doc.getLevel() != 3 or doc.getVersion() != 2:
        if not doc.setLevelAndVersion(3, 2, True):
            raise InputError(f"{model_name}: conversion to SBML L3V2 failed")
    doc = libsbml.readSBMLFromString(literal_units(libsbml.writeSBMLToString(doc)))
    model = doc.getModel()
    # Antimony turns a unit it does not know (a typing error: per_dayy) into an empty definition
    undefined = [ud.getId() for ud in model.getListOfUnitDefinitions() if ud.getNumUnits() == 0]
    if undefined:
        raise InputError(f"{model_name}: unit(s) {', '.join(sorted(undefined))} used but not defined; define "
                         "them with `unit NAME = ...` in models/antimony/ (or correct the name)")
    _set_rule_units(model)
    ann.annotate(model)
    # Antimony writes its own provenance comment; keep the file free of tool versions so it is
    # byte-stable across installs of the same libraries.
    return libsbml.writeSBMLToString(doc)


def listing_markdown(sbml: str) -> str:
    """A readable listing of a model: compartments, species, parameters, rules and reactions."""
    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    sources = ann.parameter_sources()
    sp_table = ann.species_table()
    lines = [
        f"# {m.getId()}: model listing",
        "",
        f"Generated from `models/antimony/{m.getId()}.ant` by `rankl-net build`; do not edit.",
        "",
        f"Time unit: `{m.getTimeUnits()}`; "
        f"substance: `{m.getSubstanceUnits()}`; volume: `{m.getVolumeUnits()}`.",
        "",
    ]
    lines += ["## Compartments", "", "| id | name | size | unit | SBO |", "|---|---|---|---|---|"]
    for c in m.getListOfCompartments():
        lines.append(f"| `{c.getId()}` | {c.getName()} | {_fmt(c.getSize())} | {c.getUnits()} | "
                     f"{c.getSBOTermID()} |")
    lines += ["", "## Species", "", "| id | compartment | name | initial (pM) | SBO | identifiers |",
              "|---|---|---|---|---|---|"]
    for s in m.getListOfSpecies():
        row = sp_table.get(s.getId(), {})
        lines.append(
            f"| `{s.getId()}` | `{s.getCompartment()}` | {s.getName()} | "
            f"{_fmt(s.getInitialConcentration())} | {s.getSBOTermID()} | {row.get('identifiers', '')} |"
        )
    lines += ["", "## Parameters", "", "| id | value | unit | source |", "|---|---|---|---|"]
    rule_vars = {r.getVariable() for r in m.getListOfRules()}
    fitted = {fp.id: fp for group in read_fit_spec() for fp in group.parameters}
    for p in m.getListOfParameters():
        if p.getId() in rule_vars and p.getConstant() is False and m.getRule(p.getId()).isAssignment():
            continue
        value = _fmt(p.getValue()) if p.isSetValue() else "(initial assignment)"
        source = sources.get(p.getId(), {}).get("source", "")
        bound = fitted[p.getId()].bound_reached(p.getValue()) if p.getId() in fitted else ""
        if bound:  # the bound, not the fit's targets, sets the value: a reader must know
            source += f" (at the fit's {bound} bound, {_fmt(getattr(fitted[p.getId()], bound))})"
        lines.append(f"| `{p.getId()}` | {value} | {p.getUnits()} | {source} |")
    lines += ["", "## Assignment and rate rules", "", "| variable | unit | rule |", "|---|---|---|"]
    for r in m.getListOfRules():
        var = r.getVariable()
        obj = m.getParameter(var) or m.getSpecies(var)
        unit = obj.getUnits() if obj is not None and hasattr(obj, "getUnits") else ""
        kind = "d/dt = " if r.isRate() else "= "
        lines.append(f"| `{var}` | {unit} | {kind}`{_formula(r)}` |")
    if m.getNumInitialAssignments():
        lines += ["", "## Initial assignments", "", "| symbol | value |", "|---|---|"]
        for ia in m.getListOfInitialAssignments():
            lines.append(f"| `{ia.getSymbol()}` | `{_formula(ia)}` |")
    lines += ["", "## Reactions", "", "| id | SBO | equation | rate law |", "|---|---|---|---|"]
    for r in m.getListOfReactions():
        lhs = " + ".join(sr.getSpecies() for sr in r.getListOfReactants()) or "∅"
        rhs = " + ".join(sr.getSpecies() for sr in r.getListOfProducts()) or "∅"
        arrow = "⇌" if r.getReversible() else "→"
        lines.append(
            f"| `{r.getId()}` | {r.getSBOTermID()} | {lhs} {arrow} {rhs} | "
            f"`{_formula(r.getKineticLaw())}` |"
        )
    return "\n".join(lines) + "\n"


def _formula(holder) -> str:
    """Infix formula of a rule, initial assignment or kinetic law, as libSBML writes it."""
    if hasattr(holder, "getFormula"):
        formula = holder.getFormula()
    else:
        formula = libsbml.formulaToString(holder.getMath())
    return formula.replace("|", "\\|")


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def build(models: list[str] | None = None, check: bool = False) -> list[BuildResult]:
    """Generate (or, with ``check``, only compare) the SBML and listings of the shipped models.

    Returns one :class:`BuildResult` per model. With ``check`` nothing is written and an
    :class:`InputError` lists the files that differ from what the sources generate.
    """
    from .catalog import model_names

    names = models or model_names()
    results, drift = [], []
    for name in names:
        sbml = build_sbml(name)
        listing = listing_markdown(sbml)
        xml_path, md_path = paths.SBML / f"{name}.xml", paths.SBML / f"{name}.md"
        for path, text in ((xml_path, sbml), (md_path, listing)):
            if check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    drift.append(str(path.relative_to(paths.ROOT)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        results.append(BuildResult(name, xml_path, md_path, sbml, listing))
    if drift:
        raise InputError("generated files differ from their sources (run `make models`): " + ", ".join(drift))
    return results
