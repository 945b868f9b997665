"""The dynamic model-quality checks on small models with known answers."""

from __future__ import annotations

import libsbml

from rankl_net.build import antimony_to_sbml
from rankl_net.checks import dynamic_checks
from rankl_net.engine import Engine


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


def test_a_law_holds_in_a_compartment_that_grows():
    # the amounts A + B stay at 10 while the cell grows and their concentrations fall
    c = _checks("model t\n compartment cell = 1\n species A in cell, B in cell\n cell' = 0.3\n"
                " J: A -> B; cell*k*A\n A = 6; B = 4; k = 0.5\nend")
    assert c["conservation"].passed, c["conservation"].items


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
