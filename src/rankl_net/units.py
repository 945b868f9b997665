"""SBML units compared and named.

libSBML's own unit checks compare kinds and exponents only (``UnitDefinition.areEquivalent``),
so a quantity declared ``dimensionless`` whose rule computes percent (0.01 dimensionless) passes
them, a factor of 100 off. :func:`signature` keeps the scale, and :func:`label` names the unit a
quantity is reported in, for axes and tables.
"""

from __future__ import annotations

from functools import cache

import libsbml

DIMENSIONLESS = ((), 1.0)
PERCENT = ((), 0.01)


def signature(ud: libsbml.UnitDefinition | None) -> tuple:
    """A unit in SI base units, comparable with ``==``: the (kind, exponent) of each base unit
    and one overall scale (percent: ``((), 0.01)``; ``1e-3 gram/litre`` and ``gram/(1000 litre)``
    alike). Dimensionless factors only scale, so ``dimensionless`` at any power, and no unit at
    all, is ``((), 1.0)``."""
    if ud is None:
        return DIMENSIONLESS
    ud = libsbml.UnitDefinition.convertToSI(ud)
    libsbml.UnitDefinition.simplify(ud)
    kinds, scale = [], 1.0
    for u in ud.getListOfUnits():
        scale *= (u.getMultiplier() * 10 ** u.getScale()) ** u.getExponentAsDouble()
        if u.getKind() != libsbml.UNIT_KIND_DIMENSIONLESS:
            kinds.append((u.getKind(), u.getExponentAsDouble()))
    return tuple(sorted(kinds)), float(f"{scale:.10g}")


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


def _reported_unit(model: libsbml.Model, sid: str) -> libsbml.UnitDefinition | None:
    """The unit of ``sid`` as the engine reports it: species as concentrations, other symbols as
    declared (None: not a symbol of the model, or its unit is not declared)."""
    element = model.getElementBySId(sid)
    if element is None or not hasattr(element, "getDerivedUnitDefinition"):
        return None
    if isinstance(element, libsbml.Species):
        declared = model.getLevel() < 3 or element.isSetSubstanceUnits() or model.isSetSubstanceUnits()
        if not declared:  # Level 3 has no default substance unit
            return None
        if not element.getHasOnlySubstanceUnits():
            return element.getDerivedUnitDefinition()
        # amount-only species are still reported per volume of their compartment
        amount = element.getDerivedUnitDefinition()
        size = model.getCompartment(element.getCompartment())
        size = size.getDerivedUnitDefinition() if size is not None else None
        if amount is None or size is None or size.getNumUnits() == 0:
            return None
        return libsbml.UnitDefinition.combine(amount, _inverse(size))
    if isinstance(element, libsbml.Parameter | libsbml.Compartment) and not element.isSetUnits():
        return None
    return element.getDerivedUnitDefinition()


def label(model: libsbml.Model, sid: str) -> str:
    """The unit a quantity of the model is reported in, for a person: the model's own name for it
    (``pM``, ``percent_per_day``), ``%`` for percent, ``dimensionless``, or the unit written out;
    "" when the model does not declare it."""
    return labels(model, [sid])[sid]


def labels(model: libsbml.Model, ids) -> dict[str, str]:
    """:func:`label` of each id."""
    model.populateListFormulaUnitsData()  # libSBML caches derived units: derive them anew
    return {sid: _label(model, sid) for sid in ids}


def _label(model: libsbml.Model, sid: str) -> str:
    ud = _reported_unit(model, sid)
    if ud is None or ud.getNumUnits() == 0:
        return ""
    want = signature(ud)
    if want == DIMENSIONLESS:
        return "dimensionless"
    if want == PERCENT:
        return "%"
    return name_of(model, ud) or _MOLAR.get(want) or _format(ud)



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
    """``ud`` divided by the model's time unit (None: the model declares no time unit)."""
    uid = model.getTimeUnits() if model.isSetTimeUnits() else ("second" if model.getLevel() < 3 else "")
    time = definition(model, uid) if uid else None
    if time is None:
        return None
    return libsbml.UnitDefinition.combine(ud, _inverse(time))


def _inverse(ud: libsbml.UnitDefinition) -> libsbml.UnitDefinition:
    inverse = libsbml.UnitDefinition(ud)
    for u in inverse.getListOfUnits():
        u.setExponent(-u.getExponentAsDouble())
    return inverse
