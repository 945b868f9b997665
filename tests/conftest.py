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


def _write_model(tmp_path_factory, name: str, antimony: str):
    from rankl_net.build import antimony_to_sbml

    path = tmp_path_factory.mktemp(name) / f"{name}.xml"
    path.write_text(antimony_to_sbml(antimony), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def linear_file(tmp_path_factory):
    """An SBML file: y(1) = k1 + 3 k2 from y(0) = 0, with k1 = k2 = 0.5; k3 (0.5) does nothing,
    and k0 is 0."""
    return _write_model(tmp_path_factory, "linear", "model linear\n J0: -> y; k1 + 3 * k2 + 0 * k3 + k0\n"
                        " y = 0\n k0 = 0; k1 = 0.5; k2 = 0.5; k3 = 0.5\nend")


@pytest.fixture(scope="session")
def product_file(tmp_path_factory):
    """An SBML file: y(1) = k1 k2 + 3 k2 from y(0) = 0, with k1 = k2 = 0.5 (the effect of each
    parameter depends on the other's value); k3 (0.5) does nothing."""
    return _write_model(tmp_path_factory, "product", "model product\n J0: -> y; k1 * k2 + 3 * k2 + 0 * k3\n"
                        " y = 0\n k1 = 0.5; k2 = 0.5; k3 = 0.5\nend")
