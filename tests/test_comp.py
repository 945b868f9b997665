"""The hierarchical (comp) export of each shipped model flattens back to the same maths."""

from __future__ import annotations

import re
from pathlib import Path

import libsbml
import numpy as np
import pytest

from rankl_net import catalog, comp, paths
from rankl_net.engine import Engine
from rankl_net.errors import InputError
from rankl_net.sbml_io import read_sbml_document


@pytest.mark.parametrize("name", catalog.model_names())
def test_comp_export_has_one_submodel_per_module(name):
    doc = libsbml.readSBMLFromString(comp.comp_sbml(name))
    assert doc.isPackageEnabled("comp")
    plugin = doc.getModel().getPlugin("comp")
    submodels = {plugin.getSubmodel(i).getModelRef() for i in range(plugin.getNumSubmodels())}
    # one per file the model's source includes, read from the source itself (units are the
    # document's unit definitions, not a module)
    source = (paths.ANTIMONY / f"{name}.ant").read_text(encoding="utf-8")
    included = {Path(m).stem for m in re.findall(r"^\s*//\s*@include\s+(\S+)", source, flags=re.MULTILINE)}
    assert submodels == included - {"units"} and "rank_signalling" in submodels


@pytest.mark.parametrize("name", catalog.model_names())
def test_comp_export_flattens_to_the_same_simulation(name):
    info = catalog.get_model(name)
    flat = comp.flatten(comp.comp_sbml(name))
    kwargs = dict(name=name, time_unit=info.time_unit, context_values=info.contexts[info.default_context],
                  preequilibration=info.preequilibration, reset_at_start=info.reset_at_start)
    shipped = Engine(info.sbml_path, **kwargs)
    rebuilt = Engine(flat, **kwargs)
    assert set(rebuilt.symbols) == set(shipped.symbols)
    a = shipped.simulate(end=info.default_end, points=25, readouts=list(info.readouts))
    b = rebuilt.simulate(end=info.default_end, points=25, readouts=list(info.readouts))
    for col in a.columns:
        # percent-change readouts sit at 0 at baseline, where only an absolute comparison holds
        # (and readouts that are 0 at baseline, such as the lesion index, are round-off there)
        near_zero = float(np.abs(a[col]).max()) < 1e-6
        percent_change = col in ("ctx", "untx", "p1np", "bmd_lumbar_spine", "bmd_total_hip")
        atol = 1e-5 if near_zero or percent_change else 1e-12
        np.testing.assert_allclose(b[col], a[col], rtol=1e-6, atol=atol, err_msg=col)


def test_comp_file_simulates_like_the_flat_file_through_load_any(tmp_path):
    """libRoadRunner alone cannot load the comp file (it loses linked rules); load_any flattens it."""
    from rankl_net.exchange import load_any

    target = tmp_path / "bone_comp.xml"
    target.write_text(comp.comp_sbml("bone"), encoding="utf-8")
    # from the file's initial values (not a steady state): integrated tightly, so that the two
    # files' different order of the same equations leaves differences below the comparison's
    a = load_any(catalog.get_model("bone").sbml_path, relative_tolerance=1e-12).simulate(
        end=84, points=5, readouts=["bone_volume"])
    b = load_any(target, relative_tolerance=1e-12).simulate(end=84, points=5, readouts=["bone_volume"])
    np.testing.assert_allclose(b["bone_volume"], a["bone_volume"], rtol=1e-9)


@pytest.mark.parametrize("name", catalog.model_names())
def test_comp_export_carries_the_annotations_and_units_of_the_flat_file(tmp_path, name):
    from rankl_net.checks import static_checks

    target = tmp_path / f"{name}_comp.xml"
    target.write_text(comp.comp_sbml(name), encoding="utf-8")
    checks = {c.name: c for c in static_checks(target)}  # read flattened, as validate reads it
    for check in ("sbml_errors", "sbml_warnings", "species_annotations", "parameter_units", "orphans"):
        assert checks[check].passed, (check, checks[check].message, checks[check].items[:3])


@pytest.mark.parametrize("name", catalog.model_names())
def test_every_species_of_the_comp_export_is_an_amount_or_a_concentration_as_in_the_flat_file(name):
    shipped = libsbml.readSBMLFromFile(str(catalog.get_model(name).sbml_path)).getModel()
    flattened = libsbml.readSBMLFromString(comp.flatten(comp.comp_sbml(name))).getModel()
    for species in shipped.getListOfSpecies():
        other = flattened.getSpecies(species.getId())
        assert other.getHasOnlySubstanceUnits() == species.getHasOnlySubstanceUnits(), species.getId()
        assert other.isSetInitialAmount() == species.isSetInitialAmount(), species.getId()
        units = [m.getUnitDefinition(s.getSubstanceUnits() or m.getSubstanceUnits())
                 for m, s in ((shipped, species), (flattened, other))]
        assert libsbml.UnitDefinition.areEquivalent(*units), species.getId()


TOP = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"
      xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" comp:required="true">
  <comp:listOfExternalModelDefinitions>
    <comp:externalModelDefinition comp:id="ext" comp:source="{source}" comp:modelRef="inner"/>
  </comp:listOfExternalModelDefinitions>
  <model id="top">
    <comp:listOfSubmodels><comp:submodel comp:id="sub" comp:modelRef="ext"/></comp:listOfSubmodels>
  </model>
</sbml>
"""
INNER = """<?xml version="1.0" encoding="UTF-8"?>{doctype}
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="inner">
    <listOfCompartments><compartment id="cell" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies>
      <species id="x" compartment="cell" initialConcentration="2" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
  </model>
</sbml>
"""


def test_an_external_submodel_file_is_read_and_flattened(tmp_path):
    (tmp_path / "inner.xml").write_text(INNER.format(doctype=""), encoding="utf-8")
    (tmp_path / "top.xml").write_text(TOP.format(source="inner.xml"), encoding="utf-8")
    model = read_sbml_document(tmp_path / "top.xml").getModel()
    assert [s.getId() for s in model.getListOfSpecies()] == ["sub__x"]
    assert model.getSpecies("sub__x").getInitialConcentration() == 2


@pytest.mark.parametrize(
    ("source", "inner", "needle"),
    [
        ("http://example.org/inner.xml", None, "only local files are read"),
        ("missing.xml", None, "submodel file missing.xml: no such file"),
        ("inner.xml", INNER.format(doctype='\n<!DOCTYPE sbml [<!ENTITY e "x">]>'), "DOCTYPE"),
        ("inner.xml", "not xml", "not an XML file"),
    ],
)
def test_an_external_submodel_file_is_checked_before_libsbml_reads_it(tmp_path, source, inner, needle):
    if inner is not None:
        (tmp_path / "inner.xml").write_text(inner, encoding="utf-8")
    (tmp_path / "top.xml").write_text(TOP.format(source=source), encoding="utf-8")
    with pytest.raises(InputError, match=needle) as caught:
        read_sbml_document(tmp_path / "top.xml")
    assert str(tmp_path / "top.xml") in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["c%20d.xml", "q.xml#part", "r.xml?x=1"])
def test_an_external_file_name_is_taken_literally_as_libsbml_takes_it(tmp_path, name):
    # what is checked is the file libSBML opens: no percent-decoding, '#' and '?' in the name
    doctype = '\n<!DOCTYPE sbml [<!ENTITY e "x">]>'
    (tmp_path / name).write_text(INNER.format(doctype=doctype), encoding="utf-8")
    (tmp_path / "top.xml").write_text(TOP.format(source=name), encoding="utf-8")
    with pytest.raises(InputError, match="DOCTYPE"):
        read_sbml_document(tmp_path / "top.xml")
    (tmp_path / name).write_text(INNER.format(doctype=""), encoding="utf-8")
    assert read_sbml_document(tmp_path / "top.xml").getModel().getSpecies("sub__x") is not None


@pytest.mark.parametrize("form", ["file:{name}", "file://{folder}/{name}", "file://localhost{folder}/{name}",
                                  "{folder}/{name}"])
def test_an_external_file_may_be_named_by_a_file_uri_or_an_absolute_path(tmp_path, form):
    (tmp_path / "inner.xml").write_text(INNER.format(doctype=""), encoding="utf-8")
    source = form.format(folder=tmp_path, name="inner.xml")
    (tmp_path / "top.xml").write_text(TOP.format(source=source), encoding="utf-8")
    assert read_sbml_document(tmp_path / "top.xml").getModel().getSpecies("sub__x") is not None


@pytest.mark.parametrize("name", catalog.model_names())
def test_the_comp_export_flattens_to_the_sbo_terms_of_the_flat_file(name):
    """K_rank_oca, computed by a rule of another module, keeps the flat file's SBO term
    (an observable), not that of a constant in the module that declares it."""
    shipped = libsbml.readSBMLFromFile(str(catalog.get_model(name).sbml_path)).getModel()
    flattened = libsbml.readSBMLFromString(comp.flatten(comp.comp_sbml(name))).getModel()
    differ = [(x.getId(), x.getSBOTermID(), flattened.getElementBySId(x.getId()).getSBOTermID())
              for kind in ("Parameters", "Species", "Reactions", "Compartments")
              for x in getattr(shipped, f"getListOf{kind}")()
              if flattened.getElementBySId(x.getId()).getSBOTermID() != x.getSBOTermID()]
    assert not differ


@pytest.mark.parametrize("name", ["osteoclastogenesis", "bone"])
def test_every_module_of_the_comp_export_counts_time_in_the_flat_files_unit(name):
    """A module's rates are per time unit of the whole model (hours for the culture, days for
    the tissue): each ModelDefinition declares the flat file's time unit, defined as there."""
    flat = libsbml.readSBMLFromFile(str(catalog.get_model(name).sbml_path)).getModel()
    doc = libsbml.readSBMLFromString(comp.comp_sbml(name))
    plugin = doc.getPlugin("comp")
    definitions = [plugin.getModelDefinition(i) for i in range(plugin.getNumModelDefinitions())]
    assert definitions and flat.isSetTimeUnits()
    expected = flat.getUnitDefinition(flat.getTimeUnits())
    for definition in definitions:
        assert definition.getTimeUnits() == flat.getTimeUnits(), definition.getId()
        own = definition.getUnitDefinition(definition.getTimeUnits())
        assert own is not None and libsbml.UnitDefinition.areIdentical(own, expected), definition.getId()
