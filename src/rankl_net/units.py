"""SBML units compared and named.

libSBML's own unit checks compare kinds and exponents only (``UnitDefinition.areEquivalent``),
so a quantity declared ``dimensionless`` whose rule computes percent (0.01 dimensionless) passes
them, a factor of 100 off. :func:`signature` keeps the scale, and :func:`label` names the unit a
quantity is reported in, for axes and tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import libsbml

DIMENSIONLESS = ((), 1.0)
PERCENT = ((), 0.01)
# the label of a quantity in percent, and of one that is a percent change from the model's own
# baseline (0 there; :func:`with_changes`)
PERCENT_LABEL = "%"
PERCENT_CHANGE = "% change"


def signature(ud: libsbml.UnitDefinition | None) -> tuple:
    """A unit in SI base units, comparable with ``==``: the (kind, exponent) of each base unit
    and one overall scale (percent: ``((), 0.01)``; ``1e-3 gram/litre`` and ``gram/(1000 litre)``
    alike). Dimensionless factors only scale, so ``dimensionless`` at any power, and no unit at
    all, is ``((), 1.0)``. Offsets (Level 2 Version 1 only, as in degrees Celsius) are kept as a
    third item, so such a unit equals none without the same offset."""
    if ud is None:
        return DIMENSIONLESS
    offsets = tuple(sorted(273.15 if u.getKind() == libsbml.UNIT_KIND_CELSIUS else u.getOffset()
                           for u in ud.getListOfUnits()
                           if u.getOffset() or u.getKind() == libsbml.UNIT_KIND_CELSIUS))
    ud = libsbml.UnitDefinition(ud)
    for u in ud.getListOfUnits():
        # a fractional exponent read from a file is dropped by convertToSI unless set this way
        u.setExponentUnitChecking(u.getExponentAsDouble())
    ud = libsbml.UnitDefinition.convertToSI(ud)
    libsbml.UnitDefinition.simplify(ud)
    kinds, scale = [], 1.0
    for u in ud.getListOfUnits():
        scale *= (u.getMultiplier() * 10 ** u.getScale()) ** u.getExponentAsDouble()
        if u.getKind() != libsbml.UNIT_KIND_DIMENSIONLESS:
            kinds.append((u.getKind(), u.getExponentAsDouble()))
    found = (tuple(sorted(kinds)), float(f"{scale:.10g}"))
    return found + (offsets,) if offsets else found


# the SBML base units a quantity of a biological model is named by (not hertz for 1/second)
BASE_UNITS = ("second", "mole", "litre", "gram", "kilogram", "metre", "item", "kelvin", "ampere", "candela")


@cache
def _base_units() -> dict[tuple, str]:
    """Signature of each of :data:`BASE_UNITS` to its name."""
    empty = libsbml.Model(3, 2)
    return {signature(definition(empty, name)): name for name in BASE_UNITS}


def name_of(model: libsbml.Model, ud: libsbml.UnitDefinition) -> str | None:
    """The model's id for the unit ``ud``, else the name of the SBML base unit it is (None:
    neither)."""
    want = signature(ud)
    for named in model.getListOfUnitDefinitions():
        if signature(named) == want:
            return named.getId()
    return _base_units().get(want)


# concentrations by their usual names where the model has none (signature: mole per cubic metre)
_PER_CUBIC_METRE = ((libsbml.UNIT_KIND_METRE, -3.0), (libsbml.UNIT_KIND_MOLE, 1.0))
_MOLAR = {(_PER_CUBIC_METRE, float(f"{1e3 * molar:.10g}")): name
          for name, molar in (("M", 1.0), ("mM", 1e-3), ("µM", 1e-6), ("nM", 1e-9), ("pM", 1e-12),
                              ("fM", 1e-15))}


def _format(ud: libsbml.UnitDefinition) -> str:
    """A unit definition written out (``1e-12 mole/litre``) where the model has no name for it."""
    above, below = [], []
    for u in ud.getListOfUnits():
        factor = u.getMultiplier() * 10 ** u.getScale()
        text = libsbml.UnitKind_toString(u.getKind())
        if factor != 1:
            text = f"{factor:g} {text}"
        power = abs(u.getExponentAsDouble())
        if power != 1:
            text = f"({text})^{power:g}"
        (below if u.getExponentAsDouble() < 0 else above).append(text)
    return "·".join(above or ["1"]) + "".join(f"/{t}" for t in below)


_SIZE_UNITS = {3: "isSetVolumeUnits", 2: "isSetAreaUnits", 1: "isSetLengthUnits"}


def _size_declared(model: libsbml.Model, compartment: libsbml.Compartment | None) -> bool:
    """Whether the compartment's size has a unit: its own, the model's default for its
    dimensions (Level 3), or SBML's built-in default (Level 2)."""
    if compartment is None:
        return False
    if compartment.isSetUnits():
        return True
    dimensions = compartment.getSpatialDimensionsAsDouble()
    if dimensions not in _SIZE_UNITS:
        return False
    return model.getLevel() < 3 or getattr(model, _SIZE_UNITS[int(dimensions)])()


def declared_unit(model: libsbml.Model, sid: str) -> libsbml.UnitDefinition | None:
    """The unit of ``sid`` as the model declares it: a species' concentration (or amount, with
    only substance units), a compartment's size, a parameter's unit (None: not a symbol with a
    unit, or its unit, or part of it, is not declared)."""
    element = model.getElementBySId(sid)
    level = model.getLevel()
    if isinstance(element, libsbml.Species):
        if not (level < 3 or element.isSetSubstanceUnits() or model.isSetSubstanceUnits()):
            return None  # Level 3 has no default substance unit
        size = model.getCompartment(element.getCompartment())
        if not element.getHasOnlySubstanceUnits() and not _size_declared(model, size):
            return None
    elif isinstance(element, libsbml.Compartment):
        if not _size_declared(model, element):
            return None
    elif not isinstance(element, libsbml.Parameter) or not element.isSetUnits():
        return None
    ud = element.getDerivedUnitDefinition()
    return ud if ud is not None and ud.getNumUnits() else None


def _reported_unit(model: libsbml.Model, sid: str) -> libsbml.UnitDefinition | None:
    """The unit of ``sid`` as the engine reports it: species as concentrations, other symbols as
    declared (None: not declared)."""
    ud = declared_unit(model, sid)
    element = model.getElementBySId(sid)
    if ud is None or not isinstance(element, libsbml.Species) or not element.getHasOnlySubstanceUnits():
        return ud
    # amount-only species are still reported per volume of their compartment
    size = model.getCompartment(element.getCompartment())
    if not _size_declared(model, size):
        return None
    return libsbml.UnitDefinition.combine(ud, _inverse(size.getDerivedUnitDefinition()))


def label(model: libsbml.Model, sid: str) -> str:
    """The unit a quantity of the model is reported in, for a person: the model's own name for it
    (``pM``; the shipped models' ``ug_per_ml`` as ``µg/mL``), ``%`` for percent (a percent
    change from baseline too: SBML has no unit that tells them apart; see :func:`with_changes`),
    ``dimensionless``, or the unit written out; "" when the model does not declare it."""
    return labels(model, [sid])[sid]


def labels(model: libsbml.Model, ids) -> dict[str, str]:
    """:func:`label` of each id."""
    model.populateListFormulaUnitsData()  # libSBML caches derived units: derive them anew
    return {sid: _label(model, sid) for sid in ids}


# how the shipped models' unit ids read on an axis
_READABLE = {"ug_per_ml": "µg/mL", "percent_per_day": "%/day", "per_day": "1/day", "per_hour": "1/hour",
             "pmol_unit": "pmol", "pmol_per_day": "pmol/day", "pM_per_day": "pM/day",
             "pM_per_hour": "pM/hour", "litre_per_day": "L/day", "kilogram_unit": "kg"}


def with_changes(found: Mapping[str, str], changes: Iterable[str]) -> dict[str, str]:
    """The labels ``found`` (:func:`labels`) with :data:`PERCENT_CHANGE` for each quantity of
    ``changes`` (the percent changes from the model's baseline that the model names: a shipped
    model's ``percent_changes`` in ``models/catalog.toml``) that is in percent. SBML gives both
    the one unit, percent; "% change" tells CTX (0 % change at baseline) from a percent of a
    whole, such as bone volume (100 % of its baseline) or tumour burden (% of its capacity)."""
    changes = set(changes)
    return {sid: PERCENT_CHANGE if sid in changes and text == PERCENT_LABEL else text
            for sid, text in found.items()}


def is_percent_change(text: str | None) -> bool:
    """Whether a unit label (:func:`with_changes`) is that of a percent change from baseline."""
    return text == PERCENT_CHANGE


def _label(model: libsbml.Model, sid: str) -> str:
    ud = _reported_unit(model, sid)
    if ud is None or ud.getNumUnits() == 0:
        return ""
    want = signature(ud)
    if want == DIMENSIONLESS:
        return "dimensionless"
    if want == PERCENT:
        return PERCENT_LABEL
    name = name_of(model, ud)
    return _READABLE.get(name, name) if name else (_MOLAR.get(want) or _format(ud))



def definition(model: libsbml.Model, uid: str) -> libsbml.UnitDefinition | None:
    """The unit definition of a unit id: one of the model's, or an SBML base unit (None: neither)."""
    ud = model.getUnitDefinition(uid)
    if ud is not None:
        return ud
    if not libsbml.UnitKind_isValidUnitKindString(uid, model.getLevel(), model.getVersion()):
        return None
    ud = libsbml.UnitDefinition(model.getLevel(), model.getVersion())
    unit = ud.createUnit()
    unit.setKind(libsbml.UnitKind_forName(uid))
    unit.setExponent(1)
    unit.setScale(0)
    unit.setMultiplier(1)
    return ud


def per_time(model: libsbml.Model, ud: libsbml.UnitDefinition) -> libsbml.UnitDefinition | None:
    """``ud`` divided by the model's time unit (None: the model declares no time unit). Level 3
    names it in ``timeUnits``; Level 2 redefines the built-in ``time`` (``second`` when not)."""
    if model.getLevel() >= 3:
        time = definition(model, model.getTimeUnits()) if model.isSetTimeUnits() else None
    else:
        time = model.getUnitDefinition("time") or definition(model, "second")
    if time is None:
        return None
    return libsbml.UnitDefinition.combine(ud, _inverse(time))


def _inverse(ud: libsbml.UnitDefinition) -> libsbml.UnitDefinition:
    inverse = libsbml.UnitDefinition(ud)
    for u in inverse.getListOfUnits():
        u.setExponent(-u.getExponentAsDouble())
    return inverse
