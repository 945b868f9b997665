"""Shared fixtures: engines are compiled once per test session (as in production)."""

from __future__ import annotations

import pytest

import rankl_net


@pytest.fixture(scope="session")
def bone_mouse() -> rankl_net.Model:
    return rankl_net.load_model("bone", "mouse")


@pytest.fixture(scope="session")
def bone_human() -> rankl_net.Model:
    return rankl_net.load_model("bone", "human")


@pytest.fixture(scope="session")
def ocg() -> rankl_net.Model:
    return rankl_net.load_model("osteoclastogenesis")


@pytest.fixture(scope="session")
def with_time_unit():
    """A function giving SBML text with its time unit set to a unit of its own, ``unit_id``,
    defined as ``seconds`` seconds."""
    import libsbml

    def make(text: str, unit_id: str, seconds: float) -> str:
        doc = libsbml.readSBMLFromString(text)
        definition = doc.getModel().createUnitDefinition()
        definition.setId(unit_id)
        unit = definition.createUnit()
        unit.setKind(libsbml.UNIT_KIND_SECOND)
        unit.setExponent(1)
        unit.setScale(0)
        unit.setMultiplier(seconds)
        doc.getModel().setTimeUnits(unit_id)
        return libsbml.writeSBMLToString(doc)

    return make
