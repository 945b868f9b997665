"""Units compared with their scale (rankl_net.units), the rule-unit check, and unit labels on
figures."""

from __future__ import annotations

import functools
import re

import libsbml
import pytest

from rankl_net import InputError, checks, units
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
    from rankl_net import build

    # the committed file and the file the build writes now
    for model in (libsbml.readSBMLFromFile(str(get_model("clinical").sbml_path)).getModel(),
                  libsbml.readSBMLFromString(build.build_sbml("clinical")).getModel()):
        for pid in ("ctx", "p1np", "bmd_lumbar_spine", "untx"):
            assert model.getParameter(pid).getUnits() == "percent", pid
        assert model.getParameter("denosumab_serum").getUnits() == "ug_per_ml"


def test_labels_name_units_as_a_person_reads_them():
    doc = libsbml.readSBMLFromFile(str(get_model("clinical").sbml_path))
    got = units.labels(doc.getModel(), ["osteoclasts", "ctx", "formation", "tissue_time_scale",
                                       "denosumab_serum", "no_such_id"])
    assert got == {"osteoclasts": "pM", "ctx": "%", "formation": "%/day",
                   "tissue_time_scale": "dimensionless", "denosumab_serum": "µg/mL", "no_such_id": ""}


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
    # a unit with a scale keeps it: a millilitre is not a litre
    scaled = "model t\n unit ml = 1e-3 litre\n compartment c = 1\n c has ml\n species x in c\n x = 1\nend"
    model = libsbml.readSBMLFromString(antimony_to_sbml(scaled)).getModel()
    model.getSpecies("x").setSubstanceUnits("item")
    assert units.label(model, "x") == "item/0.001 litre"


def test_a_species_declared_by_amount_is_labelled_as_the_concentration_reported():
    """The engine reports every species per volume of its compartment: a drug amount in the body
    (pmol, hasOnlySubstanceUnits) is read in pM."""
    doc = libsbml.readSBMLFromFile(str(get_model("clinical").sbml_path))
    species = doc.getModel().getSpecies("denosumab_central")
    assert species.getHasOnlySubstanceUnits()
    assert units.labels(doc.getModel(), ["denosumab_central"]) == {"denosumab_central": "pM"}


def test_figure_panels_carry_the_unit_of_each_readout(monkeypatch, tmp_path):
    from rankl_net import plots
    from rankl_net.model import Model
    from rankl_net.screens import readout_units

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    frame = Model("bone").simulate(end=1.0, points=3, readouts=["osteoclasts", "ctx", "tissue_time_scale"])
    plots.time_course_figure(frame, tmp_path / "t.png", title="t", time_unit="day",
                             units=readout_units("bone", frame.columns[1:]))
    assert [ax.get_ylabel() for ax in figures[0].axes] == ["pM", "% change", "dimensionless"]

    sbml = tmp_path / "file.xml"  # an SBML file: its own unit names
    text = ("model f\n unit nanomolar = 1e-9 mole / litre\n compartment c = 1\n c has litre\n"
            " species x in c\n x = 1\n x has nanomolar\n k = 2\nend")
    sbml.write_text(antimony_to_sbml(text), encoding="utf-8")
    assert readout_units(str(sbml), ["x", "k"]) == {"x": "nanomolar", "k": ""}



_DOCUMENTS = []  # libSBML frees a model with its document: keep them


def _level2(body: str, version: int = 4) -> libsbml.Model:
    """A Level 2 model from the XML of its content."""
    namespace = "http://www.sbml.org/sbml/level2" + (f"/version{version}" if version > 1 else "")
    doc = libsbml.readSBMLFromString(f'<?xml version="1.0" encoding="UTF-8"?><sbml xmlns="{namespace}" '
                                     f'level="2" version="{version}"><model id="m">{body}</model></sbml>')
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0, doc.getErrorLog().toString()
    _DOCUMENTS.append(doc)
    return doc.getModel()


def _unit(uid: str, *units_xml: str) -> str:
    return f'<unitDefinition id="{uid}"><listOfUnits>{"".join(units_xml)}</listOfUnits></unitDefinition>'


def test_rule_units_reads_a_level_2_models_time_unit():
    # x' = k x with k per minute: in x per time when time is the minute, not when it is the second
    def model(time_multiplier: int) -> libsbml.Model:
        return _level2(
            "<listOfUnitDefinitions>"
            + _unit("time", f'<unit kind="second" multiplier="{time_multiplier}"/>')
            + _unit("per_min", '<unit kind="second" exponent="-1" multiplier="60"/>')
            + "</listOfUnitDefinitions>"
            '<listOfCompartments><compartment id="c" size="1"/></listOfCompartments>'
            '<listOfParameters><parameter id="k" value="0.1" units="per_min"/>'
            '<parameter id="x" value="1" units="dimensionless" constant="false"/></listOfParameters>'
            '<listOfRules><rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">'
            "<apply><times/><ci>k</ci><ci>x</ci></apply></math></rateRule></listOfRules>")

    assert checks.rule_units(model(60)).message == "1/1 rules in their declared units"
    assert checks.rule_units(model(1)).items == ("x",)
    assert units.label(model(60), "c") == "litre"  # Level 2's default unit of a size


def test_rule_units_leaves_out_species_without_declared_units():
    text = ("model t\n unit mM = 1e-3 mole / litre\n compartment c = 1\n c has litre\n species x in c\n"
            " x := p\n p = 1\n p has mM\nend")
    doc = libsbml.readSBMLFromString(antimony_to_sbml(text))
    model = doc.getModel()
    model.unsetSubstanceUnits()  # x's substance unit: none
    assert checks.rule_units(model).message == "0/0 rules in their declared units"
    model.getSpecies("x").setSubstanceUnits("mole")  # x in mol/L, p in mmol/L
    assert checks.rule_units(model).items == ("x",)


def test_rule_units_leaves_out_a_rule_that_reads_a_quantity_without_units():
    """y := q * p with p in mM and q without a unit: the rule's unit is unknown, not wrong (y is
    declared mM, which it is when q is dimensionless)."""
    text = "model t\n unit mM = 1e-3 mole / litre\n p = 1\n p has mM\n q = 2\n y := q * p\n y has mM\nend"
    model = libsbml.readSBMLFromString(antimony_to_sbml(text)).getModel()
    assert checks.rule_units(model).message == "0/0 rules in their declared units"
    model.getParameter("q").setUnits("second")  # now declared, and y is mM * s
    assert checks.rule_units(model).items == ("y",)


def test_signature_keeps_fractional_exponents_of_a_file():
    sbml = antimony_to_sbml("model t\n unit sqrt_nM = (1e-9 mole / litre)^0.5\n p = 1\n p has sqrt_nM\nend")
    doc = libsbml.readSBMLFromString(sbml)  # Level 3: exponents are real numbers
    kinds, scale = units.signature(doc.getModel().getUnitDefinition("sqrt_nM"))
    assert kinds == ((libsbml.UNIT_KIND_METRE, -1.5), (libsbml.UNIT_KIND_MOLE, 0.5))
    assert scale == pytest.approx(1e-3)  # (1e-9 mol / 1e-3 m^3)^0.5


def test_units_with_an_offset_equal_none_without_it():
    definitions = _unit("degC", '<unit kind="kelvin" offset="273.15"/>') + _unit("K", '<unit kind="kelvin"/>')
    model = _level2(f"<listOfUnitDefinitions>{definitions}</listOfUnitDefinitions>", version=1)
    assert units.signature(model.getUnitDefinition("degC")) != units.signature(model.getUnitDefinition("K"))


def test_doses_say_what_they_measure():
    from rankl_net.screens import dose_label

    assert dose_label("bone", "inh:CTSK") == "fraction of CTSK activity inhibited"
    assert dose_label("bone", "kd:OPG") == "fraction of OPG expression removed"
    assert dose_label("bone", "oe:OPG") == "OPG expression added (fold - 1)"
    assert dose_label("bone", "set:tissue_time_scale") == "tissue_time_scale (dimensionless)"
    assert dose_label("clinical", "set:ctx_background") == "ctx_background (dimensionless)"
    assert dose_label("bone", "set:marker_percent") == "marker_percent (%)"
    # no model (a report of a table from elsewhere gives None): the parameter without a unit; a
    # model that is not shipped is named (it gave no unit in silence)
    assert dose_label(None, "set:pth") == "pth"
    with pytest.raises(InputError, match=re.escape("unknown model 'oldmodel'")):
        dose_label("oldmodel", "set:pth")


def test_readout_units_come_from_a_model_name_or_an_sbml_file():
    from rankl_net.catalog import get_model
    from rankl_net.screens import readout_units

    wanted = {"bone_volume": "%", "osteoclasts": "pM"}
    assert readout_units("bone", list(wanted)) == wanted
    assert readout_units(str(get_model("bone").sbml_path), list(wanted)) == wanted
    assert readout_units(None, ["x"]) == {}
    with pytest.raises(InputError, match=re.escape("unknown model 'oldmodel'")):
        readout_units("oldmodel", ["x"])


def test_a_percent_change_from_baseline_is_labelled_apart_from_a_percent_of_a_whole():
    """SBML gives CTX (0 % change at baseline) and bone volume (100 % of its baseline) one unit,
    percent; the catalog's percent_changes tell them apart on axes and in checks. An SBML file
    carries no such list: its percents stay %."""
    from rankl_net.screens import readout_units

    changes = ["ctx", "p1np", "untx", "bmd_lumbar_spine", "bmd_total_hip"]
    wholes = ["bone_volume", "tumour_burden", "osteolysis"]
    got = readout_units("bone_tumour", changes + wholes + ["denosumab_serum", "formation"])
    assert got == {**dict.fromkeys(changes, "% change"), **dict.fromkeys(wholes, "%"),
                   "denosumab_serum": "µg/mL", "formation": "%/day"}
    assert readout_units("clinical", ["ctx", "bone_volume"]) == {"ctx": "% change", "bone_volume": "%"}
    assert readout_units(str(get_model("bone").sbml_path), ["ctx", "bone_volume"]) == {
        "ctx": "%", "bone_volume": "%"}
    for name in model_names():  # every percent change a model names is in percent in its SBML
        info = get_model(name)
        assert set(readout_units(str(info.sbml_path), info.percent_changes).values()) <= {"%"}, name
        assert set(info.unit_labels(info.percent_changes).values()) <= {"% change"}, name
    # a percent change that is not in percent keeps its unit
    assert units.with_changes({"a": "%", "b": "pM", "c": "%"}, ["b", "c"]) == {
        "a": "%", "b": "pM", "c": "% change"}
    assert units.is_percent_change("% change") and not units.is_percent_change("%")


@pytest.mark.parametrize(("readout", "refused"), [("osteolysis", True), ("tumour_burden", True),
                                                  ("ctx", False)])
def test_percent_change_true_takes_a_percent_change_from_baseline_only(tmp_path, readout, refused):
    """osteolysis is in percent of the baseline bone volume (0 without a tumour): compared as
    100 % + change, 0 against 50 read as a 33 % fall and failed an 80 % one."""
    from rankl_net import comparisons

    text = ('[[experiments]]\nid = "x"\ntitle = "t"\nmodel = "bone_tumour"\nend = 28\n'
            f'readouts = ["{readout}"]\nconditions = [{{ label = "a", spec = "" }}, '
            '{ label = "b", spec = "preset:breast" }]\n'
            f'expectations = [{{ readout = "{readout}", condition = "a", reference = "b", '
            'relation = "lower", margin = 0.8, percent_change = true }]\n')
    (tmp_path / "e.toml").write_text(text, encoding="utf-8")
    (experiment,) = comparisons.read_comparisons(tmp_path / "e.toml")
    if not refused:
        comparisons.check_comparison(experiment)
        return
    with pytest.raises(InputError, match=re.escape(
            f"percent_change = true, but {readout} is in %, not a percent change from baseline")):
        comparisons.check_comparison(experiment)
