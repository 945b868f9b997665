"""Annotation tables (``models/annotations/*.tsv``) and how they are written into SBML.

* ``species.tsv``: id, name, sbo, qualifier, identifiers (identifiers.org URIs), description
* ``parameters.tsv``: id, source, description (value and unit live in the Antimony source)
* ``nodes.tsv``: perturbable nodes: node, aliases, expression, activity, species, description
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import libsbml

from . import paths

# SBO terms by role. Parameters: by id pattern; reactions: by id pattern.
SBO_COMPARTMENT = "SBO:0000290"  # physical compartment
SBO_MULTIPLIER = "SBO:0000002"  # quantitative systems description parameter
SBO_KINETIC_CONSTANT = "SBO:0000009"
SBO_HALF_SATURATION = "SBO:0000193"  # equilibrium or steady-state constant
SBO_HILL = "SBO:0000190"
SBO_POOL = "SBO:0000196"  # concentration of an entity pool
SBO_OBSERVABLE = "SBO:0000002"

_REACTION_SBO = (
    ("binding", "SBO:0000177"),  # non-covalent binding
    ("binds", "SBO:0000177"),
    ("dissociation", "SBO:0000180"),  # dissociation
    ("transcription", "SBO:0000183"),
    ("translation", "SBO:0000184"),
    ("synthesis", "SBO:0000393"),  # production
    ("release", "SBO:0000393"),
    ("formation", "SBO:0000393"),
    ("supply", "SBO:0000393"),
    ("gain", "SBO:0000182"),  # conversion
    ("degradation", "SBO:0000179"),
    ("decay", "SBO:0000179"),
    ("clearance", "SBO:0000179"),
    ("apoptosis", "SBO:0000179"),
    ("death", "SBO:0000179"),
    ("loss", "SBO:0000179"),
    ("shedding", "SBO:0000182"),
    ("import", "SBO:0000185"),  # transport reaction
    ("export", "SBO:0000185"),
    ("inactivation", "SBO:0000330"),  # dephosphorylation; before "activation", which it contains
    ("activation", "SBO:0000216"),  # phosphorylation
    ("_to_", "SBO:0000182"),
)

# reactions whose verb says less than their mechanism: TRAF6 is activated by K63-linked
# ubiquitination and switched off by deubiquitination (A20), calcineurin by Ca2+/calmodulin
# binding (no phosphorylation); activated T cells and synoviocytes are produced, not converted
_REACTION_SBO_BY_ID = {
    "traf6_activation": "SBO:0000224",  # ubiquitination
    "traf6_inactivation": "SBO:0000211",  # removal of a chemical group
    "calcineurin_activation": "SBO:0000182",  # conversion
    "calcineurin_inactivation": "SBO:0000182",
    "t_cell_activation": "SBO:0000393",  # production
    "synoviocyte_activation": "SBO:0000393",
}


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")]
    return [{k: (v or "").strip() for k, v in r.items()} for r in rows]


@cache
def species_table() -> dict[str, dict[str, str]]:
    """Species annotations by SBML id."""
    return {r["id"]: r for r in _read_tsv(paths.ANNOTATIONS / "species.tsv")}


@cache
def parameter_sources() -> dict[str, dict[str, str]]:
    """Parameter provenance (source, description) by SBML id."""
    return {r["id"]: r for r in _read_tsv(paths.ANNOTATIONS / "parameters.tsv")}


@cache
def node_table() -> list[dict[str, str]]:
    """Perturbable nodes with their aliases and the model quantities a perturbation changes."""
    return _read_tsv(paths.ANNOTATIONS / "nodes.tsv")


def parameter_sbo(pid: str, model: libsbml.Model) -> str:
    """The SBO term of a parameter, from its role (multiplier, rate constant, ...)."""
    if model.getRule(pid) is not None:
        return SBO_OBSERVABLE
    # perturbation multipliers (TRAF6_act, OPG_expr); k_traf6_act is a rate constant
    if pid.endswith(("_expr", "_act")) and not pid.startswith("k_"):
        return SBO_MULTIPLIER
    if pid.startswith("n_"):
        return SBO_HILL
    if pid.startswith("K_"):
        return SBO_HALF_SATURATION
    if pid.startswith(("k", "kon", "koff")):
        return SBO_KINETIC_CONSTANT
    if pid.endswith(("_tot0", "_baseline")) or pid in {"precursors"}:
        return SBO_POOL
    return SBO_MULTIPLIER


def reaction_sbo(rid: str) -> str:
    """The SBO term of a reaction, from the verb in its id."""
    if rid in _REACTION_SBO_BY_ID:
        return _REACTION_SBO_BY_ID[rid]
    for word, term in _REACTION_SBO:
        if word in rid:
            return term
    return "SBO:0000176"  # biochemical reaction


def _cv_term(qualifier: str, uris: list[str]) -> libsbml.CVTerm:
    term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
    term.setBiologicalQualifierType(libsbml.BiolQualifierType_fromString(qualifier))
    for uri in uris:
        term.addResource(uri)
    return term


def annotate(model: libsbml.Model) -> None:
    """Write names, SBO terms and identifiers.org annotations from the tables into ``model``."""
    species = species_table()
    params = parameter_sources()
    for c in model.getListOfCompartments():
        c.setSBOTerm(SBO_COMPARTMENT)
    for s in model.getListOfSpecies():
        row = species.get(s.getId())
        if row is None:
            continue
        s.setName(row["name"])
        s.setSBOTerm(row["sbo"])
        _set_cv(s, row["qualifier"], row["identifiers"].split())
    for p in model.getListOfParameters():
        p.setSBOTerm(parameter_sbo(p.getId(), model))
        row = params.get(p.getId())
        if row and row.get("description"):
            p.setName(row["description"])
    for r in model.getListOfReactions():
        r.setSBOTerm(reaction_sbo(r.getId()))


def _set_cv(sbase: libsbml.SBase, qualifier: str, uris: list[str]) -> None:
    if not uris:
        return
    if not sbase.isSetMetaId():
        sbase.setMetaId(f"meta_{sbase.getId()}")
    sbase.unsetCVTerms()
    sbase.addCVTerm(_cv_term(qualifier, uris))
