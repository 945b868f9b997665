"""Units compared with their scale (rankl_net.units), the rule-unit check, and unit labels on
figures."""

from __future__ import annotations

import functools

import libsbml
import pytest

from rankl_net import checks, units
from rankl_net.build import antimony_to_sbml, literal_units
from rankl_net.catalog import get_model, model_names

# ctx computed in percent: a declared "dimensionless" is 100 times off
MARKER = """model t
  unit percent = 0.01 dimensionless
  fraction = 0.5
  marker_percent = 100 percent
  ctx := marker_percent * fraction
  ctx has {ctx_unit}
  fraction has dimensionless
end"""


@functools.cache
def _marker_document(ctx_unit: str) -> libsbml.SBMLDocument:
    sbml = literal_units(antimony_to_sbml(MARKER.format(ctx_unit=ctx_unit)))
    return libsbml.readSBMLFromString(sbml)


def _ud(text: str) -> libsbml.UnitDefinition:
    """A unit definition from Antimony's unit syntax."""
    doc = libsbml.readSBMLFromString(antimony_to_sbml(f"model u\n unit q = {text}\n p = 1\nend"))
    return libsbml.UnitDefinition(doc.getModel().getUnitDefinition("q"))


def test_signature_keeps_the_scale_of_dimensionless_units():
    assert units.signature(_ud("0.01 dimensionless")) == units.PERCENT
    assert units.signature(_ud("0.01 dimensionless")) != units.signature(_ud("dimensionless"))
    assert units.signature(_ud("dimensionless")) == units.DIMENSIONLESS


def test_signature_compares_the_whole_scale_not_each_unit():
    assert units.signature(_ud("1e-3 gram / litre")) == units.signature(_ud("gram / (1000 litre)"))
    assert units.signature(_ud("1e-3 gram / litre")) != units.signature(_ud("gram / litre"))


def test_rule_units_flags_a_percent_declared_dimensionless():
    wrong = checks.rule_units(_marker_document("dimensionless").getModel())
    assert not wrong.passed and wrong.items == ("ctx",)
    right = checks.rule_units(_marker_document("percent").getModel())
    assert right.passed and right.message == "1/1 rules in their declared units"


def test_rule_units_compares_rate_rules_per_time_unit():
    text = ("model t\n unit day = 86400 second\n unit per_day = 1 / day\n unit percent = 0.01 dimensionless\n"
            " bone' = -k * bone\n bone = 100 percent\n k = 0.1 per_day\nend")
    doc = libsbml.readSBMLFromString(literal_units(antimony_to_sbml(text)))
    model = doc.getModel()
    model.setTimeUnits("day")
    assert checks.rule_units(model).passed
    model.setTimeUnits("second")  # the rule's per day is not per second
    assert checks.rule_units(model).items == ("bone",)


@pytest.mark.parametrize("name", model_names())
def test_shipped_rules_are_in_their_declared_units(name):
    doc = libsbml.readSBMLFromFile(str(get_model(name).sbml_path))
    result = checks.rule_units(doc.getModel())
    assert result.passed, result.items


def test_shipped_markers_and_densities_are_declared_in_percent():
    model = libsbml.readSBMLFromFile(str(get_model("clinical").sbml_path)).getModel()
    for pid in ("ctx", "p1np", "bmd_lumbar_spine", "untx"):
        assert model.getParameter(pid).getUnits() == "percent", pid
    assert model.getParameter("denosumab_serum").getUnits() == "ug_per_ml"


def test_labels_name_units_as_a_person_reads_them():
    doc = libsbml.readSBMLFromFile(str(get_model("clinical").sbml_path))
    got = units.labels(doc.getModel(), ["osteoclasts", "ctx", "formation", "tissue_time_scale",
                                       "denosumab_serum", "no_such_id"])
    assert got == {"osteoclasts": "pM", "ctx": "%", "formation": "percent_per_day",
                   "tissue_time_scale": "dimensionless", "denosumab_serum": "ug_per_ml", "no_such_id": ""}


def test_labels_of_a_file_without_names_for_its_units():
    text = "model t\n compartment c = 1\n species x in c\n x = 1\nend"
    doc = libsbml.readSBMLFromString(antimony_to_sbml(text))
    model = doc.getModel()
    model.unsetSubstanceUnits()
    assert units.label(model, "x") == ""  # Level 3 has no default substance unit
    model.getSpecies("x").setSubstanceUnits("mole")
    model.getCompartment("c").setUnits("litre")
    assert units.label(model, "x") == "M"
    model.getSpecies("x").setSubstanceUnits("item")
    assert units.label(model, "x") == "item/litre"
    model.getCompartment("c").setUnits("metre")
    model.getSpecies("x").setSubstanceUnits("mole")
    assert units.label(model, "x") == "mole/metre"


def test_figure_panels_carry_the_unit_of_each_readout(monkeypatch, tmp_path):
    from rankl_net import cli, plots
    from rankl_net.model import Model

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    frame = Model("bone").simulate(end=1.0, points=3, readouts=["osteoclasts", "ctx", "tissue_time_scale"])
    plots.time_course_figure(frame, tmp_path / "t.png", title="t", time_unit="day",
                             units=cli._units_of("bone", frame.columns[1:]))
    assert [ax.get_ylabel() for ax in figures[0].axes] == ["pM", "%", "dimensionless"]

    sbml = tmp_path / "file.xml"  # an SBML file: its own unit names
    text = ("model f\n unit nanomolar = 1e-9 mole / litre\n compartment c = 1\n c has litre\n"
            " species x in c\n x = 1\n x has nanomolar\n k = 2\nend")
    sbml.write_text(antimony_to_sbml(text), encoding="utf-8")
    assert cli._units_of(str(sbml), ["x", "k"]) == {"x": "nanomolar", "k": ""}
