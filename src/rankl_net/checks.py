"""Model-quality checks as pure functions: each returns a :class:`Check` (data, not asserts).

The pytest suite asserts on them; ``rankl-net validate`` prints them for any SBML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import libsbml

from . import units
from .sbml_io import CLEAR_MEANING_ERRORS, read_sbml_document

# resolvable annotations: identifiers.org (either scheme) and the older MIRIAM URNs
MIRIAM_PREFIXES = ("https://identifiers.org/", "http://identifiers.org/", "urn:miriam:")


@dataclass(frozen=True)
class Check:
    """Outcome of one check: whether it passed, a metric, a message and the offending items;
    ``ran`` is False for a check that could not be run (it has not passed; its message says why)."""

    name: str
    passed: bool
    message: str
    items: tuple[str, ...] = field(default_factory=tuple)
    ran: bool = True

    @property
    def mark(self) -> str:
        """How a report marks it: "ok  ", "FAIL" or "skip" (not run)."""
        return "ok  " if self.passed else "FAIL" if self.ran else "skip"


def not_run(name: str, why: str) -> Check:
    """The check ``name`` reported as not run, for the reason ``why``."""
    return Check(name, False, f"not run: {why}", ran=False)


def _finding(e: libsbml.SBMLError) -> str:
    """One libSBML error or warning as a line: its id, short message, the case (the last line of
    its full message, which names the element, the expression or the id: "The <species> with id
    'S' refers to the compartment 'cc' which is not defined") and line; the first line of its full
    message where the short one is empty (as for 10501, a power that is not an integer)."""
    lines = [" ".join(ln.split()) for ln in e.getMessage().splitlines() if ln.strip()]
    text = e.getShortMessage().strip() or (lines[0] if lines else "")
    case = lines[-1].rstrip(".") if len(lines) > 1 and lines[-1] != text else ""
    shown = f"{text.rstrip('.')}: {case}" if case else text
    return f"{e.getErrorId()}: {shown} (line {e.getLine()})"


def _libsbml_findings(doc: libsbml.SBMLDocument) -> tuple[list[tuple[int, str]], list[str]]:
    """libSBML's errors (id and line of text) and warnings, those found while reading included."""
    checked = doc.clone()
    checked.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    checked.checkConsistency()
    found = [checked.getError(i) for i in range(checked.getNumErrors())]

    def key(e: libsbml.SBMLError) -> tuple:
        return e.getErrorId(), e.getLine(), e.getColumn(), e.getMessage()

    # the reading's own errors, unless the consistency checks found the same one again
    again = {key(e) for e in found}
    read = [e for e in (doc.getError(i) for i in range(doc.getNumErrors())) if key(e) not in again]
    errors, warnings = [], []
    for e in [*read, *found]:
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append((e.getErrorId(), _finding(e)))
        else:
            warnings.append(_finding(e))
    return errors, warnings


def _consistency_checks(errors: list[tuple[int, str]], warnings: list[str]) -> tuple[Check, Check]:
    texts = tuple(text for _, text in errors)
    if errors:  # libSBML checks units and modelling practice only in a file without errors
        found = f" (it found {len(warnings)} other warnings)" if warnings else ""
        return (Check("sbml_errors", False, f"{len(errors)} libSBML errors", texts),
                Check("sbml_warnings", False, "not run: libSBML checks units and modelling practice only "
                      f"in a file without errors{found}", tuple(warnings), ran=False))
    return (
        Check("sbml_errors", True, "0 libSBML errors"),
        Check(
            "sbml_warnings",
            not warnings,
            f"{len(warnings)} libSBML warnings (units checked)",
            tuple(warnings),
        ),
    )


def sbml_consistency(doc: libsbml.SBMLDocument) -> tuple[Check, Check]:
    """libSBML consistency of a document with unit checks on: (errors, warnings), with those
    libSBML found while reading the file (a clone, which the consistency checks run on, does not
    carry them). In a file with errors, libSBML checks no units: the warnings check is not run."""
    return _consistency_checks(*_libsbml_findings(doc))


def species_annotations(model: libsbml.Model) -> Check:
    """Every species has an identifiers.org annotation and an SBO term; each item names a
    species and what it lacks."""
    missing = []
    for s in model.getListOfSpecies():
        uris = [
            s.getCVTerm(i).getResourceURI(j)
            for i in range(s.getNumCVTerms())
            for j in range(s.getCVTerm(i).getNumResources())
        ]
        annotated = any(u.startswith(MIRIAM_PREFIXES) for u in uris)
        lacks = [what for what, has in (("identifiers.org annotation", annotated),
                                        ("SBO term", s.isSetSBOTerm())) if not has]
        if lacks:
            missing.append(f"{s.getId()}: no {' and no '.join(lacks)}")
    n = model.getNumSpecies()
    listed = "; lacking one:" if missing else ""
    return Check("species_annotations", not missing,
                 f"{n - len(missing)}/{n} species with an identifiers.org annotation and an SBO term{listed}",
                 tuple(missing))


def parameter_units(model: libsbml.Model) -> Check:
    """Every parameter declares a unit, the local parameters of reactions too (named
    ``reaction/parameter``; libSBML lists them as the kinetic law's parameters in every
    level)."""
    params = [(p.getId(), p) for p in model.getListOfParameters()]
    for r in model.getListOfReactions():
        law = r.getKineticLaw()
        if law is not None:
            params += [(f"{r.getId()}/{p.getId()}", p) for p in law.getListOfParameters()]
    missing = [name for name, p in params if not p.isSetUnits()]
    listed = "; without a unit:" if missing else ""
    local = sum("/" in name for name, _ in params)
    of_them = f" ({local} local to reactions)" if local else ""
    return Check("parameter_units", not missing,
                 f"{len(params) - len(missing)}/{len(params)} parameters with units{of_them}{listed}",
                 tuple(missing))


def rule_units(model: libsbml.Model) -> Check:
    """The value of every rule is in the unit its variable declares, scale included (libSBML's
    unit checks compare kinds and exponents only: a percent declared dimensionless passes them).
    Rules with undeclared units in their maths, and variables without a declared unit, are
    left out."""
    model.populateListFormulaUnitsData()
    wrong, compared = [], 0
    for rule in model.getListOfRules():
        if rule.isAlgebraic() or rule.containsUndeclaredUnits():
            continue
        declared = units.declared_unit(model, rule.getVariable())
        if declared is not None and rule.isRate():
            declared = units.per_time(model, declared)
        computed = rule.getDerivedUnitDefinition()
        if declared is None or computed is None:
            continue
        compared += 1
        if units.signature(declared) != units.signature(computed):
            wrong.append(rule.getVariable())
    listed = "; not in it:" if wrong else ""
    return Check("rule_units", not wrong,
                 f"{compared - len(wrong)}/{compared} rules in their declared units{listed}", tuple(wrong))


MULTIPLIER_SOURCE = "perturbation multiplier"  # how parameters.tsv labels ko/kd/oe/inh multipliers


def parameter_sources(model: libsbml.Model, sources: dict[str, dict[str, str]]) -> Check:
    """Every parameter that holds a value (not a rule output) has a recorded source, and a
    parameter recorded as a perturbation multiplier is 1 (wild type): a rate constant given
    that label would have no provenance."""
    rule_vars = {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
    held = [p for p in model.getListOfParameters() if p.getId() not in rule_vars]
    missing = [p.getId() for p in held if not sources.get(p.getId(), {}).get("source")]
    mislabelled = [p.getId() for p in held
                   if sources.get(p.getId(), {}).get("source", "").startswith(MULTIPLIER_SOURCE)
                   and p.getValue() != 1.0]
    return Check(
        "parameter_sources", not missing and not mislabelled,
        f"{len(missing)} parameters without a source, {len(mislabelled)} recorded as a multiplier "
        "with a value other than 1", tuple(missing + mislabelled)
    )


def orphans(model: libsbml.Model) -> Check:
    """Species that take part in no reaction and no rule, and parameters used nowhere."""
    used: set[str] = set()

    def collect(math: libsbml.ASTNode | None) -> None:
        if math is None:
            return
        if math.isName():
            used.add(math.getName())
        for i in range(math.getNumChildren()):
            collect(math.getChild(i))

    for r in model.getListOfReactions():
        for sr in (*r.getListOfReactants(), *r.getListOfProducts(), *r.getListOfModifiers()):
            used.add(sr.getSpecies())
        if r.isSetKineticLaw():
            collect(r.getKineticLaw().getMath())
    for rule in model.getListOfRules():
        collect(rule.getMath())
        used.add(rule.getVariable())
    for ia in model.getListOfInitialAssignments():
        collect(ia.getMath())
    for ev in model.getListOfEvents():
        collect(ev.getTrigger().getMath() if ev.isSetTrigger() else None)
        for ea in ev.getListOfEventAssignments():
            collect(ea.getMath())
            used.add(ea.getVariable())
    ids = [s.getId() for s in model.getListOfSpecies()] + [p.getId() for p in model.getListOfParameters()]
    unused = [i for i in ids if i not in used]
    return Check("orphans", not unused, f"{len(unused)} unused species or parameters", tuple(unused))


# the checks of a simulation (dynamic_checks, with its steady-state check)
SIMULATION_CHECKS = ("simulation", "non_negativity", "conservation", "steady_state")


def static_checks(path: Path, sources: dict[str, dict[str, str]] | None = None) -> list[Check]:
    """Every check that needs no simulation, for one SBML file (a path; ``sources``: the recorded
    source of each parameter, for :func:`parameter_sources`). When libSBML finds errors that
    change what the file means (any but ``CLEAR_MEANING_ERRORS``, which libRoadRunner reads as
    meant), the list ends with the ``SIMULATION_CHECKS`` as not run: a simulation would not be of
    the model the file describes."""
    doc = read_sbml_document(path)
    model = doc.getModel()
    found_errors, found_warnings = _libsbml_findings(doc)
    errors, warnings = _consistency_checks(found_errors, found_warnings)
    out = [errors, warnings, species_annotations(model), parameter_units(model), rule_units(model),
           orphans(model)]
    if sources is not None:
        out.append(parameter_sources(model, sources))
    if any(i not in CLEAR_MEANING_ERRORS for i, _ in found_errors):
        why = "the file breaks SBML's validity rules (sbml_errors): a simulation would not be of its model"
        out += [not_run(name, why) for name in SIMULATION_CHECKS]
    return out


# --------------------------------------------------------------------------- dynamic checks
def dynamic_checks(engine, end: float, steady_engine_factory=None) -> list[Check]:
    """Checks that simulate a compiled model (``rankl_net.engine.Engine``) from its baseline.

    * simulation: the model integrates to ``end`` (model time units);
    * non_negativity: no species goes below zero (beyond 1e-9 of its scale) on the way;
    * conservation: every conservation law of the stoichiometry (left null space of N) holds
      along the run to 1e-6;
    * steady_state: with ``steady_engine_factory`` (a callable building the model with
      pre-equilibration), whether a steady state is reached by integration.
    """
    import numpy as np

    from .errors import InputError, SimulationError

    species = list(engine.rr.model.getFloatingSpeciesIds())
    try:
        laws, rows, compartments = engine.conservation_laws()
        unchecked = ""
    except ValueError as exc:  # stoichiometry computed by the model: no fixed laws to check
        laws, rows, compartments, unchecked = np.zeros((0, 0)), [], [], str(exc)
    sizes = list(dict.fromkeys(compartments))  # read along the run: a size may change
    out = []
    try:
        frame = engine.simulate(end=end, points=101, readouts=species + sizes or list(engine.symbols[:1]))
    except (InputError, SimulationError) as exc:
        return [Check("simulation", False, f"does not integrate to {end:g}: {exc}")]
    out.append(Check("simulation", True, f"integrates {end:g} {engine.time_unit}s from its baseline"))
    x = frame[species].to_numpy()
    scale = np.maximum(np.abs(x).max(axis=0), 1e-30)
    negative = [s for s, lo, sc in zip(species, x.min(axis=0), scale, strict=True) if lo < -1e-9 * sc]
    out.append(Check("non_negativity", not negative, f"{len(negative)} species go negative", tuple(negative)))
    if unchecked:
        out.append(Check("conservation", True, f"not checked: {unchecked}"))
    elif not rows:  # rate rules only: no stoichiometry, no conservation laws
        out.append(Check("conservation", True, "0 conservation laws (no reactions)"))
    elif len(laws):
        # the laws conserve amounts: concentrations times their compartment's size at each time
        amounts = frame[rows].to_numpy() * frame[compartments].to_numpy()
        totals = amounts @ laws.T
        drift = np.abs(totals - totals[0]).max(axis=0) / np.maximum(np.abs(totals).max(axis=0), 1e-30)
        broken = [f"law {i}: relative drift {d:.2g}" for i, d in enumerate(drift) if d > 1e-6]
        message = f"{len(laws)} conservation laws, {len(broken)} broken"
        out.append(Check("conservation", not broken, message, tuple(broken)))
    else:
        out.append(Check("conservation", True, "0 conservation laws"))
    if steady_engine_factory is not None:
        try:
            steady_engine_factory()
            out.append(Check("steady_state", True, "a steady state is reached by integration"))
        except SimulationError as exc:
            out.append(Check("steady_state", False, f"no steady state reached: {exc}"))
    return out
