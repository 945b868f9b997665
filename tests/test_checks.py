"""The dynamic model-quality checks on small models with known answers."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import libsbml
import pytest

from rankl_net import exchange as ex
from rankl_net import paths
from rankl_net.build import antimony_to_sbml
from rankl_net.checks import (
    SIMULATION_CHECKS,
    dynamic_checks,
    parameter_units,
    sbml_consistency,
    species_annotations,
    static_checks,
)
from rankl_net.engine import Engine
from rankl_net.errors import InputError
from rankl_net.sbml_io import read_sbml_document


def _checks(text: str, steady: bool = False) -> dict:
    sbml = antimony_to_sbml(text)
    engine = Engine(sbml, name="t", preequilibrate=False)
    factory = (lambda: Engine(sbml, name="t")) if steady else None
    return {c.name: c for c in dynamic_checks(engine, 10.0, factory)}


def test_a_conservation_law_is_found_and_holds():
    c = _checks("model t\n A -> B; k1*A - k2*B\n A = 3; B = 1; k1 = 0.5; k2 = 0.2\nend", steady=True)
    assert c["conservation"].passed and c["conservation"].message.startswith("1 conservation laws")
    assert c["non_negativity"].passed
    assert c["steady_state"].passed


def test_a_negative_species_is_flagged():
    c = _checks("model t\n J: -> A; -k\n A = 1; k = 1\nend")
    assert not c["non_negativity"].passed
    assert c["non_negativity"].items == ("A",)


def test_a_model_without_steady_state_is_reported():
    c = _checks("model t\n J: -> A; k\n A = 1; k = 1\nend", steady=True)
    assert not c["steady_state"].passed
    assert c["steady_state"].message.startswith("no steady state reached: t: no steady baseline")


def test_a_law_across_compartments_of_different_sizes_holds_in_amounts():
    # A in a cell of size 1 moves to B in a medium of size 10: A + 10 B (concentrations) is
    # conserved, A + B is not
    c = _checks("model t\n compartment cell = 1, medium = 10\n species A in cell, B in medium\n"
                " J: A -> B; cell*k*A\n A = 3; B = 0; k = 0.5\nend")
    assert c["conservation"].passed, c["conservation"].items
    assert c["conservation"].message.startswith("1 conservation laws")


def test_a_species_set_by_a_rate_rule_is_no_conservation_law():
    c = _checks("model t\n species C\n A -> B; k*A\n C' = -C\n A = 3; B = 0; C = 1; k = 0.5\nend")
    assert c["conservation"].passed, c["conservation"].items
    assert c["conservation"].message.startswith("1 conservation laws")


def test_a_law_broken_by_an_event_is_reported():
    # A -> B conserves A + B; an event that resets A at time 5 breaks it
    c = _checks("model t\n J: A -> B; k*A\n at time > 5: A = 10\n A = 3; B = 0; k = 0.5\nend")
    assert not c["conservation"].passed
    assert c["conservation"].message == "1 conservation laws, 1 broken"


def test_a_law_broken_by_a_twenty_thousandth_is_reported():
    # A(5) = 3 exp(-2.5) = 0.24626; the event sets 0.2464: A + B drifts by 4.8e-5 of its total
    c = _checks("model t\n J: A -> B; k*A\n at time > 5: A = 0.2464\n A = 3; B = 0; k = 0.5\nend")
    assert not c["conservation"].passed
    assert c["conservation"].message == "1 conservation laws, 1 broken"


def test_a_law_holds_in_a_compartment_that_grows():
    # the amounts A + B stay at 10 while the cell grows and their concentrations fall
    c = _checks("model t\n compartment cell = 1\n species A in cell, B in cell\n cell' = 0.3\n"
                " J: A -> B; cell*k*A\n A = 6; B = 4; k = 0.5\nend")
    assert c["conservation"].passed, c["conservation"].items
    assert c["conservation"].message == "1 conservation laws, 0 broken"  # checked, not skipped


def _checks_of_sbml(sbml: str) -> dict:
    return {c.name: c for c in dynamic_checks(Engine(sbml, name="t", preequilibrate=False), 10.0)}


def _edited(edit) -> str:
    text = antimony_to_sbml("model t\n J: A -> B; k*A\n A = 3; B = 0; k = 0.5\nend")
    doc = libsbml.readSBMLFromString(text)
    edit(doc.getModel())
    return libsbml.writeSBMLToString(doc)


def test_a_conversion_factor_enters_the_law():
    def edit(model):
        cf = model.createParameter()
        cf.setId("cf"), cf.setValue(2.0), cf.setConstant(True)
        model.getSpecies("B").setConversionFactor("cf")

    c = _checks_of_sbml(_edited(edit))  # 2 A + B is conserved, A + B is not
    assert c["conservation"].passed and c["conservation"].message == "1 conservation laws, 0 broken"


def test_a_stoichiometry_set_by_an_initial_assignment_is_not_checked():
    def edit(model):
        ref = model.getReaction("J").getProduct(0)
        ref.setId("sB"), ref.unsetStoichiometry()
        assignment = model.createInitialAssignment()
        assignment.setSymbol("sB")
        assignment.setMath(libsbml.parseL3Formula("2"))

    c = _checks_of_sbml(_edited(edit))
    assert c["conservation"].passed and c["conservation"].message.startswith("not checked: the stoichiometry")


def test_a_rate_constant_recorded_as_a_multiplier_has_no_source():
    """parameters.tsv records multipliers (1 = wild type) with a label instead of a source; a
    rate constant given that label is flagged, and one without any source too."""
    from rankl_net.checks import MULTIPLIER_SOURCE, parameter_sources

    model = libsbml.readSBMLFromString(
        antimony_to_sbml("model t\n J: -> A; k_a_act * A_act\n A = 0; k_a_act = 20; A_act = 1; k_b = 2\nend")
    ).getModel()
    label = {"source": f"{MULTIPLIER_SOURCE}: 1 = wild type"}
    right = {"A_act": label, "k_a_act": {"source": "hand-tuned"}, "k_b": {"source": "a paper"}}
    assert parameter_sources(model, right).passed
    wrong = parameter_sources(model, right | {"k_a_act": label})
    assert not wrong.passed and wrong.items == ("k_a_act",)
    unsourced = parameter_sources(model, {"A_act": label, "k_a_act": {"source": "hand-tuned"}})
    assert not unsourced.passed and unsourced.items == ("k_b",)

    # a quantity an assignment rule computes is defined by its rule, not by a source
    computed = libsbml.readSBMLFromString(antimony_to_sbml("model t\n k = 2\n y := 2 * k\nend")).getModel()
    assert parameter_sources(computed, {"k": {"source": "a paper"}}).passed
    assert parameter_sources(computed, {}).items == ("k",)


# ---------------------------------------------------------- what validate and load_any say
CORPUS = Path(paths.ROOT).parent / "shared" / "sbml-corpus"
KOMAROVA = CORPUS / "BIOMD0000000148_Komarova2003.xml"
needs_corpus = pytest.mark.skipif(not KOMAROVA.is_file(), reason=f"SBML corpus not found at {CORPUS}")


@needs_corpus
def test_a_libsbml_finding_without_a_short_message_shows_its_message():
    """libSBML's 10501 (a power that is not an integer) has an empty short message: the first
    line of the full one stands in for it."""
    _, warnings = sbml_consistency(read_sbml_document(KOMAROVA))
    powers = [w for w in warnings.items if w.startswith("10501:")]
    assert powers and all("contains a power that is not an integer" in w for w in powers), powers
    assert powers[0].startswith("10501: The formula 'pow(x1, g11)'") and powers[0].endswith("(line 232)")


def test_a_libsbml_finding_names_its_case(tmp_path):
    """Each finding names the element, id or expression it is about (the last line of libSBML's
    full message), as `simulate` names it in its refusal: the short message alone says what kind
    of error, not where to fix it."""
    def errors(edit) -> tuple[str, ...]:
        return {c.name: c for c in static_checks(_write(tmp_path, _edited(edit)))}["sbml_errors"].items

    assert any(e.startswith("20601: Invalid value found for Species 'compartment' attribute: The <species> "
                            "with id 'A' refers to the compartment 'nowhere' which is not defined (line ")
               for e in errors(lambda model: model.getSpecies("A").setCompartment("nowhere")))
    dangling = errors(lambda model: model.getParameter("k").setUnits("per_sec"))
    assert any(e.startswith("10313: Dangling reference to a unit: The units 'per_sec' of the <parameter> "
                            "with id 'k'") for e in dangling), dangling
    _, warnings = sbml_consistency(read_sbml_document(_write(tmp_path, _edited(lambda model: None))))
    assert any("expression 'k * A'" in w for w in warnings.items), warnings.items


def _write(tmp_path, sbml: str) -> Path:
    f = tmp_path / "t.xml"
    f.write_text(sbml, encoding="utf-8")
    return f


def test_the_checks_that_need_a_valid_model_are_not_run_on_an_invalid_one(tmp_path):
    """A reaction naming a species the model does not have: libSBML leaves out its unit checks
    and libRoadRunner would simulate another model, so those checks are not run (and not ok)."""
    def edit(model):
        model.getReaction("J").getReactant(0).setSpecies("Z")

    path = _write(tmp_path, _edited(edit))
    checks = {c.name: c for c in static_checks(path)}
    assert not checks["sbml_errors"].passed
    for name in ("sbml_warnings", *SIMULATION_CHECKS):
        c = checks[name]
        assert not c.ran and not c.passed and c.mark == "skip" and c.message.startswith("not run: "), c
    assert "without errors" in checks["sbml_warnings"].message
    assert "validity rules" in checks["simulation"].message
    assert checks["species_annotations"].ran and checks["parameter_units"].ran
    out = subprocess.run([sys.executable, "-m", "rankl_net", "validate", str(path)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2 and "skip simulation: not run: " in out.stdout, out.stdout + out.stderr
    assert "ok   steady_state" not in out.stdout and "score: 2/5 checks passed, 5 not run" in out.stdout


def test_an_error_that_leaves_the_meaning_clear_still_simulates(tmp_path):
    """A species a rate law reads without declaring it a modifier (libSBML 21121), which
    load_any accepts: the simulation checks are left to run."""
    doc = libsbml.readSBMLFromString(antimony_to_sbml("model t\n species M\n J: A -> B; k*A*M\n"
                                                      " A = 3; B = 0; M = 1; k = 0.5\nend"))
    doc.getModel().getReaction("J").removeModifier(0)
    checks = {c.name: c for c in static_checks(_write(tmp_path, libsbml.writeSBMLToString(doc)))}
    assert [e.split(":")[0] for e in checks["sbml_errors"].items] == ["21121"]
    assert not checks["sbml_warnings"].ran  # libSBML checks no units in a file with errors
    assert not set(SIMULATION_CHECKS) & set(checks)


def test_a_list_of_offending_items_says_what_they_are():
    model = libsbml.readSBMLFromString(
        antimony_to_sbml("model t\n J: -> z; k\n z = 0; k = 1\nend")).getModel()
    annotated, units = species_annotations(model), parameter_units(model)
    assert annotated.message == "0/1 species with an identifiers.org annotation and an SBO term; lacking one:"
    assert annotated.items == ("z: no identifiers.org annotation and no SBO term",)
    assert units.message == "0/1 parameters with units; without a unit:" and units.items == ("k",)


def test_a_species_with_an_identifier_but_no_sbo_term_is_named_for_what_it_lacks():
    """A BioModels file annotates its species with UniProt but gives no SBO term: the report names
    the SBO term, not the annotation, as missing."""
    model = libsbml.readSBMLFromString(
        antimony_to_sbml("model t\n J: -> z; k\n z = 0; k = 1\n z identity \"urn:miriam:uniprot:P09560\"\n"
                         "end")).getModel()
    assert species_annotations(model).items == ("z: no SBO term",)
    model.getSpecies("z").setSBOTerm(247)
    assert species_annotations(model).passed


@pytest.mark.parametrize("level", [(2, 4), (3, 1)])
def test_the_local_parameters_of_reactions_are_checked_for_units(level):
    doc = libsbml.readSBMLFromString(antimony_to_sbml("model t\n J: -> z; k\n z = 0; k = 1\nend"))
    doc.setLevelAndVersion(*level, False)
    model = doc.getModel()
    local = model.getReaction("J").getKineticLaw().createParameter()
    local.setId("v")
    local.setValue(2.0)
    units = parameter_units(model)
    assert "J/v" in units.items and not units.passed
    assert f"/{model.getNumParameters() + 1} parameters with units (1 local to reactions)" in units.message


@pytest.mark.parametrize(("text", "said"), [
    ("model t\n species A, B\n J: A -> ; k*A\n 0 = A + B - 2\n A = 1; B = 1; k = 1\nend",
     "Unable to support algebraic rules. The formula '0 = A + B - 2' is not supported."),
    ("model t\n J: -> A; delay(A, 1)\n A = 1\nend",
     "Unable to support delay differential equations. The function 'delay(A, 1)' is not supported."),
])
def test_libroadrunners_load_errors_leave_out_its_cpp_location(text, said):
    with pytest.raises(InputError) as err:
        Engine(antimony_to_sbml(text), name="t")
    assert str(err.value) == f"t: libRoadRunner cannot load the model: {said}"


def test_sbml_text_given_as_a_path_is_refused():
    text = antimony_to_sbml("model t\n J: -> A; k\n A = 0; k = 1\nend")
    long = text.replace("<model", f"<!-- {'x' * 300} -->\n<model")  # a name too long for a path
    for given in (text, "  " + text, Path(text), long):
        with pytest.raises(InputError, match="SBML text given where the path of an SBML file is") as err:
            read_sbml_document(given)
        assert "FileEngine(text)" in str(err.value) and "<sbml" not in str(err.value)
    with pytest.raises(InputError, match="load_any, like every reader of SBML files, takes a path"):
        ex.load_any(text)


def test_a_gzip_compressed_file_is_named_as_such(tmp_path):
    f = tmp_path / "t.xml.gz"
    f.write_bytes(gzip.compress(antimony_to_sbml("model t\n J: -> A; k\n A = 0; k = 1\nend").encode()))
    with pytest.raises(InputError, match=r"compressed with gzip: gunzip it first"):
        read_sbml_document(f)
