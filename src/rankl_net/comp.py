"""Hierarchical SBML (``comp`` package) export of a shipped model, one submodel per module.

Each file a model includes with ``// @include`` becomes an Antimony module (an SBML
``ModelDefinition``); the top model instantiates one submodel per module and links every
symbol the module shares with the model (``module.X is X``), so the flattened model has the
same ids and the same maths as the shipped flat SBML. :func:`flatten` does the flattening with
libSBML's comp converter.
"""

from __future__ import annotations

import re
from pathlib import Path

import antimony
import libsbml

from . import paths
from .annotations import annotate
from .build import INCLUDE, literal_units
from .errors import InputError
from .sbml_io import flatten_comp

UNITS_MODULE = "modules/units.ant"
_WORD = re.compile(r"\b[A-Za-z_]\w*\b")


def _module_name(include: str) -> str:
    return Path(include).stem


def _model_ids(model_name: str) -> set[str]:
    doc = libsbml.readSBMLFromFile(str(paths.SBML / f"{model_name}.xml"))
    m = doc.getModel()
    ids = {x.getId() for lst in (m.getListOfSpecies(), m.getListOfParameters(), m.getListOfCompartments(),
                                 m.getListOfReactions()) for x in lst}
    return ids


def comp_antimony(model_name: str, root: Path | None = None) -> str:
    """Antimony text of the hierarchical model: one module per included file plus the top model."""
    root = root or paths.ANTIMONY
    host = (root / f"{model_name}.ant").read_text(encoding="utf-8")
    ids = _model_ids(model_name)
    units = (root / UNITS_MODULE).read_text(encoding="utf-8")
    time_unit = next((ln for ln in host.splitlines() if "unit time_unit" in ln), "")
    modules, top_lines = [], []
    for line in host.splitlines():
        m = INCLUDE.match(line)
        if not m:
            top_lines.append(line)
            continue
        include = m.group(1)
        if include == UNITS_MODULE:
            top_lines.append(units)
            continue
        name = _module_name(include)
        body = (root / include).read_text(encoding="utf-8")
        shared = sorted(set(_WORD.findall(_strip_comments(body))) & ids)
        modules.append(f"model {name}()\n{time_unit}\n{units}\n{body}\nend\n")
        top_lines.append(f"  {name}_module: {name}()")
        top_lines += [f"  {name}_module.{sid} is {sid}" for sid in shared]
    return "\n".join(modules) + "\n" + "\n".join(top_lines) + "\n"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def comp_sbml(model_name: str) -> str:
    """SBML Level 3 with the comp package: the model as a hierarchy of its modules."""
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(comp_antimony(model_name)) < 0:
        raise InputError(f"{model_name}: cannot compose its modules: {antimony.getLastError()}")
    text = antimony.getCompSBMLString(model_name)
    if not text:
        raise InputError(f"{model_name}: Antimony produced no comp SBML: {antimony.getLastError()}")
    return _as_shipped(text, model_name)


def _as_shipped(comp_text: str, model_name: str) -> str:
    """Give every model of the hierarchy what the build gives the flat file: units on literal
    numbers, the flat file's unit of each parameter (Antimony leaves rule outputs without one),
    the flat file's kind of each species (amount or concentration, with its substance unit:
    Antimony's top-model copy of a linked ``substanceOnly`` species, which replaces the
    module's, is a concentration), and the names, SBO terms and identifiers.org annotations of
    the tables."""
    flat = libsbml.readSBMLFromFile(str(paths.SBML / f"{model_name}.xml")).getModel()
    doc = libsbml.readSBMLFromString(literal_units(comp_text))
    plugin = doc.getPlugin("comp")
    models = [doc.getModel(), *(plugin.getModelDefinition(i) for i in range(plugin.getNumModelDefinitions()))]
    for model in models:
        for species in model.getListOfSpecies():
            shipped = flat.getSpecies(species.getId())
            if shipped is not None:
                _same_kind(species, shipped, model, flat)
            species.setMetaId(f"meta_{model.getId()}__{species.getId()}")  # unique in the document
        annotate(model)
        for parameter in model.getListOfParameters():
            shipped = flat.getParameter(parameter.getId())
            if shipped is None:
                continue
            if not parameter.isSetUnits() and shipped.isSetUnits():
                parameter.setUnits(_unit_of_flat(shipped.getUnits(), model, flat))
            # a parameter's role (and so its SBO term) is that of the whole model: a module that
            # declares a quantity another module's rule computes would call it a constant
            if shipped.isSetSBOTerm():
                parameter.setSBOTerm(shipped.getSBOTermID())
    return libsbml.writeSBMLToString(doc)


def _same_kind(species: libsbml.Species, shipped: libsbml.Species, model, flat: libsbml.Model) -> None:
    """Make ``species`` (in ``model``) an amount or a concentration as ``shipped`` is in the flat
    model, with its substance unit and its initial value in the same form."""
    species.setHasOnlySubstanceUnits(shipped.getHasOnlySubstanceUnits())
    if shipped.isSetSubstanceUnits():
        species.setSubstanceUnits(_unit_of_flat(shipped.getSubstanceUnits(), model, flat))
    if shipped.isSetInitialAmount():
        species.setInitialAmount(shipped.getInitialAmount())
    elif shipped.isSetInitialConcentration():
        species.setInitialConcentration(shipped.getInitialConcentration())


def _unit_of_flat(unit: str, model, flat: libsbml.Model) -> str:
    """``unit``, defined in ``model`` as the flat model defines it (Antimony leaves some unit
    definitions of the top model empty)."""
    shipped = flat.getUnitDefinition(unit)
    if shipped is not None:
        own = model.getUnitDefinition(unit)
        if own is not None and not libsbml.UnitDefinition.areIdentical(own, shipped):
            model.removeUnitDefinition(unit)
            own = None
        if own is None:
            model.addUnitDefinition(shipped)
    return unit


def flatten(comp_text: str) -> str:
    """Flatten a comp SBML document to plain SBML with libSBML's converter."""
    doc = libsbml.readSBMLFromString(comp_text)
    flatten_comp(doc)
    return libsbml.writeSBMLToString(doc)
