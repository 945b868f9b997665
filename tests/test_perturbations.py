"""Perturbation specs, name resolution and their translation into parameter changes."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from rankl_net import (
    Inhibition,
    InputError,
    Knockdown,
    Knockout,
    Overexpression,
    Preset,
    RedundantPerturbationWarning,
    SetValue,
    load_model,
    parse_spec,
)
from rankl_net.engine import TimedChange
from rankl_net.perturbations import condition_spec, nodes_for, resolve_node, to_changes


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ko:OPG", [Knockout("OPG")]),
        ("kd:TRAF6=0.25", [Knockdown("TRAF6", 0.25)]),
        ("oe:RANKL=3", [Overexpression("RANKL", 3.0)]),
        ("inh:P38=0.9", [Inhibition("P38", 0.9)]),
        ("set:pth=6", [SetValue("pth", 6.0)]),
        ("set:pth=6@10", [SetValue("pth", 6.0, 10.0, None)]),
        ("set:pth=6@10-20", [SetValue("pth", 6.0, 10.0, 20.0)]),
        ("ko:NFKB1+ko:NFKB2", [Knockout("NFKB1"), Knockout("NFKB2")]),
        # exponents: the minus of 1e-05 is not the window's dash, and no '+' (it joins specs)
        ("set:pth=6@1e-05-2", [SetValue("pth", 6.0, 1e-5, 2.0)]),
        ("set:pth=1e20", [SetValue("pth", 1e20)]),
    ],
)
def test_parse_spec(spec, expected):
    parsed = parse_spec(spec)
    assert parsed == expected
    assert condition_spec(parsed) == spec


@pytest.mark.parametrize(("spec", "expected"), [
    # an exponent's '+', as Python's "%g" writes a million, is the number's: the '+' after it joins
    ("set:pth=1e+06+ko:OPG", [SetValue("pth", 1e6), Knockout("OPG")]),
    ("ko:OPG+set:pth=2.5E+3@1e+1-2e+1", [Knockout("OPG"), SetValue("pth", 2500.0, 10.0, 20.0)]),
    ("set:k2e+ko:OPG", "'set:k2e': set needs a value"),  # an id ending in 'e' before the join
])
def test_a_plus_in_an_exponent_does_not_join(spec, expected):
    if isinstance(expected, str):
        with pytest.raises(InputError, match=expected):
            parse_spec(spec)
        return
    parsed = parse_spec(spec)
    assert parsed == expected
    assert parse_spec(condition_spec(parsed)) == expected  # written back without the '+'
    assert "e+" not in condition_spec(parsed)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("knock:OPG", "cannot read"),
        ("kd:OPG=1.5", "between 0 and 1"),
        ("inh:P38=-0.1", "between 0 and 1"),
        ("oe:OPG=0.5", ">= 1"),
        ("kd:OPG", "needs a value"),
        ("ko:OPG=1", "takes no value"),
        ("kd:OPG=abc", "not a number"),
        ("set:pth=1_000", "not a number"),
        ("set:pth=\u0663", "not a number"),  # an Arabic-Indic 3
        ("set:pth=1@20-10", "0 <= T0 < T1"),
        ("set:pth=1@10-10", "0 <= T0 < T1"),  # a window that closes as it opens
        ("inh:P38=0.5@3", "only set:"),
        ("ko:OPG@10", "only set: takes a time window"),  # not an unknown node 'OPG@10'
        ("set:pth=6@1e400", r"finite numbers, got @inf \("),
        ("set:pth=6@5-1e400", "got @5-inf"),
        ("set:pth=1@nan", "finite"),
        ("set:pth=1@inf", "finite"),
        ("set:pth=1@7-nan", "finite"),
        ("set:pth=1@7-", "cannot read the time window"),
        ("set:pth=1@-1", "cannot read the time window"),
        ("set:pth=6@2wk-4wk", "'2wk' is not a number; the times of a set: window are plain numbers in the "
         "model's time unit"),
        # what a time with a unit is in the time unit of each shipped model
        ("set:pth=6@2wk-4wk", r"2wk is 336 in a model that counts hours \(osteoclastogenesis\) and 14 in a "
         r"model that counts days \(bone, bone_tumour, clinical\) "
         r"\(an SBML file counts in its own time unit\)$"),
        ("set:pth=6@90s", r"90s is 0.025 in a model that counts hours .* and 0.00104167 in a model that"),
        ("set:pth=6@1e400d", r"'1e400d' is not a number; .* \(a shipped model's: `rankl-net models`\)$"),
        ("set:pth=6@1-36h", "36h is 36 in a model that counts hours .* and 1.5 in a model that counts days"),
        ("set:pth=6@1-5x", r"'5x' is not a number; .* \(a shipped model's: `rankl-net models`\)$"),
        ("", "for the wild type give no perturbation at all"),
    ],
)
def test_bad_specs_are_rejected_with_a_reason(spec, message):
    with pytest.raises(InputError, match=message):
        parse_spec(spec)


@pytest.mark.parametrize(
    "name", ["RANKL", "TNFSF11", "Tnfsf11", "tnfsf11", "TRANCE", "OPGL", "rankl_membrane", "RANKL_expr"]
)
def test_names_accept_ids_protein_names_and_gene_symbols(bone_mouse, name):
    assert resolve_node(name, bone_mouse.engine).node == "RANKL"


@pytest.mark.parametrize(("name", "node"), [
    ("ODAR", "RANK"),  # osteoclast differentiation and activation receptor (Hsu 1999 PNAS 96:3540)
    ("CatK", "CTSK"), ("CTSO2", "CTSK"),  # cathepsin O2, its name before cathepsin K
    ("TM7SF4", "DCSTAMP"), ("Tm7sf4", "DCSTAMP"),  # DC-STAMP's gene symbol before Dcstamp
    ("NFATc", "NFATC1"), ("TRAcP", "ACP5"),
])
def test_older_and_short_names_in_the_literature_name_their_nodes(bone_mouse, name, node):
    assert resolve_node(name, bone_mouse.engine).node == node


def test_unknown_node_suggests_a_close_match(bone_mouse):
    with pytest.raises(InputError, match="Did you mean 'OPG'"):
        to_changes(parse_spec("ko:OPGG"), bone_mouse.engine)


@pytest.mark.parametrize(("name", "said"), [
    # c-Fms (the M-CSF receptor, not in the model) looks like c-Fos: the suggestion says it is c-Fos
    ("c-Fms", "Did you mean 'c-Fos' (node FOS: c-Fos)?"),
    # Tyrobp (DAP12) looks like TRAP, which is the phosphatase Acp5
    ("Tyrobp", "Did you mean 'TRAP' (node ACP5: tartrate-resistant acid phosphatase)?"),
    ("OPGG", "Did you mean 'OPG' (node OPG: decoy receptor of RANKL)?"),
])
def test_a_suggested_node_says_which_gene_product_it_is(bone_mouse, name, said):
    with pytest.raises(InputError) as error:
        to_changes(parse_spec(f"ko:{name}"), bone_mouse.engine)
    assert said in str(error.value)
    assert str(error.value).isascii()


def test_a_model_quantity_given_as_a_node_points_to_set(bone_mouse):
    """ko:pth names a parameter, not a gene product: the message says so and offers set:, and an
    unknown name lists the nodes' own names before their protein names and gene symbols."""
    for spec, kind in (("ko:pth", "parameter"), ("inh:osteoclasts=0.5", "species")):
        name = spec.split(":")[1].split("=")[0]
        with pytest.raises(InputError, match=re.escape(f"'{name}' is a {kind} of bone (mouse), not a node")
                           + ".*" + re.escape(f"set:{name}=VALUE")):
            to_changes(parse_spec(spec), bone_mouse.engine)
    with pytest.raises(InputError) as err:
        to_changes(parse_spec("ko:OPGG"), bone_mouse.engine)
    listed = str(err.value).split("Valid node names: ")[1].split(", ")
    nodes = sorted(nodes_for(bone_mouse.engine))
    assert listed[:len(nodes)] == nodes


def test_a_node_of_another_model_names_that_model(bone_mouse):
    """PTHrP (PTHLH) is a tumour node: on bone the message says where it is (it suggested an
    unrelated node, 'Did you mean JNK1' for EDN1)."""
    for name in ("PTHLH", "edn1"):
        with pytest.raises(InputError, match=f"'{name}' is a node of bone_tumour, not of bone"):
            to_changes(parse_spec(f"ko:{name}"), bone_mouse.engine)


def test_knockout_zeroes_expression_and_species(bone_mouse):
    changes = to_changes(parse_spec("ko:RANKL"), bone_mouse.engine)
    assert changes.parameters == {"RANKL_expr": 0.0}
    # free RANKL and the complexes that hold it: none lingers or is released after the knockout
    assert changes.species == {"rankl_membrane": 0.0, "rankl_soluble": 0.0, "rankl_opg": 0.0,
                               "RANK_bound": 0.0}


def test_a_knocked_out_product_is_not_released_from_its_complexes(bone_mouse):
    """OPG-/- has no OPG: none is freed from the RANKL-OPG complex of the wild-type baseline;
    a complex id still names its own node (RANK_bound is RANK's), not the knocked-out partner."""
    frame = bone_mouse.simulate("ko:OPG", end=2, points=9, readouts=["opg_free", "rankl_opg"])
    assert (frame[["opg_free", "rankl_opg"]].abs() < 1e-9).all().all()
    assert resolve_node("RANK_bound", bone_mouse.engine).node == "RANK"
    assert to_changes(parse_spec("ko:RANK"), bone_mouse.engine).species == {"RANK_bound": 0.0}


def test_multipliers_compose_by_product(bone_mouse):
    changes = to_changes(parse_spec("kd:OPG=0.5+kd:OPG=0.5+inh:P38=0.5+inh:P38=0.5"), bone_mouse.engine)
    assert changes.parameters == {"OPG_expr": 0.25, "P38_act": 0.25}


def test_gene_pair_node_changes_both_genes(ocg):
    changes = to_changes(parse_spec("kd:ERK=0.5"), ocg.engine)
    assert changes.parameters == {"MAPK3_expr": 0.5, "MAPK1_expr": 0.5}


def test_inhibition_needs_an_activity(bone_mouse):
    with pytest.raises(InputError, match="no activity"):
        to_changes(parse_spec("inh:OPG=0.5"), bone_mouse.engine)


def test_set_rejects_unknown_and_reaction_ids(bone_mouse):
    with pytest.raises(InputError, match="Did you mean 'pth'"):
        to_changes(parse_spec("set:ptth=3"), bone_mouse.engine)
    with pytest.raises(InputError, match="oba_apoptosis is a reaction of bone .mouse., whose rate"):
        to_changes(parse_spec("set:oba_apoptosis=3"), bone_mouse.engine)


def test_timed_set_goes_to_timed_changes(bone_mouse):
    changes = to_changes(parse_spec("set:pth=6@10-20"), bone_mouse.engine)
    assert not changes.parameters and changes.timed == [TimedChange("pth", 6.0, 10.0, 20.0)]


def test_species_id_names_its_node(ocg):
    assert resolve_node("nfatc1", ocg.engine).node == "NFATC1"
    assert resolve_node("CaN_active", ocg.engine).node == "CALCINEURIN"


def test_set_rejects_rule_outputs(bone_mouse):
    with pytest.raises(InputError, match="assignment rule"):
        to_changes(parse_spec("set:rankl_free=5"), bone_mouse.engine)


def test_dose_series_specs_read_back_at_large_levels():
    from rankl_net.screens import dose_conditions

    specs = dose_conditions("set:pth", [0.0, 1e16, 2.5e20])
    assert [parse_spec(s)[0].value for s in specs] == [0.0, 1e16, 2.5e20]


def test_a_value_raised_a_million_fold_or_more_is_run_with_a_warning(bone_mouse):
    """oe:OPG=1e9 (and set: a million times a parameter's value, in a window too) warns; a rise
    below a million-fold, a knockout, and a screen's workers (warn=False) do not."""
    import warnings

    from rankl_net.engine import EXTREME_CHANGE
    from rankl_net.errors import ExtremeChangeWarning

    engine = bone_mouse.engine
    said = r"^oe:OPG=1000000000: sets OPG_expr to 1e\+09, 1e\+09 times its value in bone \(mouse\): beyond"
    with pytest.warns(ExtremeChangeWarning, match=said):
        changes = to_changes("oe:OPG=1e9", engine)
    assert changes.parameters["OPG_expr"] == 1e9 * engine.baseline["OPG_expr"]  # run as given
    # named by the parts that raise it: two thousand-fold rises, not the knockout beside them
    with pytest.warns(ExtremeChangeWarning, match=r"^oe:OPG=1000\+oe:OPG=1000: sets OPG_expr to 1e\+06,"):
        to_changes("ko:RANK+oe:OPG=1000+oe:OPG=1000", engine)
    k = engine.baseline["k_resorption"]
    with pytest.warns(ExtremeChangeWarning, match="sets k_resorption to"):
        to_changes(f"set:k_resorption={EXTREME_CHANGE * k!r}@10-20", engine)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtremeChangeWarning)
        to_changes(f"oe:OPG={0.99 * EXTREME_CHANGE!r}", engine)
        to_changes("ko:OPG+kd:RANKL=1e-9", engine)
        to_changes("oe:OPG=1e9", engine, warn=False)


def test_set_refuses_negative_amounts_and_rates(bone_mouse, tmp_path):
    engine = bone_mouse.engine
    species = engine.species_ids[0]
    with pytest.raises(InputError, match=f"{species} cannot be negative: it is a species"):
        to_changes(parse_spec(f"set:{species}=-1"), engine)
    with pytest.raises(InputError, match=r"pth cannot be negative: it is a parameter of bone \(mouse\), whose"
                                         " parameters are rates, amounts, sizes and fractions"):
        to_changes(parse_spec("set:pth=-5"), engine)
    # bone volume, a readout, is not a parameter but a state a rate rule integrates
    with pytest.raises(InputError, match=r"bone_volume cannot be negative: it is a quantity bone \(mouse\) "
                                         r"integrates over time \(a rate rule\)"):
        to_changes(parse_spec("set:bone_volume=-1"), engine)
    with pytest.raises(InputError, match="cannot be negative"):
        to_changes(parse_spec("set:pth=-5@10"), engine)  # timed too
    assert to_changes(parse_spec("set:pth=0"), engine).parameters == {"pth": 0.0}
    # an SBML file of someone else's: parameters may be negative, species may not
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = "model f\n compartment c = 1\n species x in c\n x = 1\n g = -0.5\n J0: x -> ; g * x * 0.01\nend"
    other = Engine(antimony_to_sbml(text), name="f", preequilibrate=False)
    assert to_changes(parse_spec("set:g=-2"), other).parameters == {"g": -2.0}
    with pytest.raises(InputError, match="x cannot be negative: it is a species"):
        to_changes(parse_spec("set:x=-2"), other)
    with pytest.raises(InputError, match="c cannot be negative: it is a compartment's size"):
        to_changes(parse_spec("set:c=-2"), other)
    with pytest.raises(InputError, match="c is a compartment, whose size must be above zero"):
        to_changes(parse_spec("set:c=0"), other)
    # a species the file itself starts below zero may be set below zero
    signed = Engine(antimony_to_sbml(text.replace("x = 1", "x = -1")), name="g", preequilibrate=False)
    assert to_changes(parse_spec("set:x=-2"), signed).species == {"x": -2.0}


def test_a_set_value_of_a_quantity_reset_at_time_0_is_its_starting_value(bone_mouse):
    # bone volume starts each condition at 100 %, unless the condition says otherwise
    frame = bone_mouse.simulate("set:bone_volume=50", end=1, points=2, readouts=["bone_volume"])
    assert frame["bone_volume"].iloc[0] == 50.0
    assert bone_mouse.simulate(end=1, points=2, readouts=["bone_volume"])["bone_volume"].iloc[0] == 100.0


def test_every_complex_of_the_node_table_is_a_species_of_a_shipped_model():
    """A misspelt complex id would be skipped silently (a model without it is not an error)."""
    from rankl_net import annotations, catalog
    from rankl_net.engine import load

    species = {s for name in catalog.model_names() for s in load(name).species_ids}
    listed = {c for row in annotations.node_table() for c in row["complexes"].split(",") if c}
    assert listed and listed <= species, listed - species


@pytest.mark.parametrize(("call", "message"), [
    (lambda: parse_spec(["ko:OPG"]), "a perturbation spec is a string such as 'ko:OPG+inh:P38=0.5'"),
    (lambda: condition_spec(5), "a condition is a spec such as 'ko:OPG', a perturbation object or a list"),
    (lambda: condition_spec([Knockout("OPG"), 5]), "a perturbation is a spec such as 'ko:OPG' or a pert"),
    (lambda: load_model(["bone"]), "a model is named by a string, got list ['bone']"),
    (lambda: load_model("bone", context=1), "a context is named by a string, got int 1"),
    (lambda: load_model("bone", {"pth": 6.0}), "got dict {'pth': 6.0} (parameter values go in values=)"),
    (lambda: load_model("bone").simulate(end=1, readouts={"ctx"}), "readouts must be a name, names"),
    (lambda: load_model("bone").simulate(end=1, readouts=[1]), "readouts must be a name, names separated"),
])
def test_python_calls_with_a_wrong_type_say_what_is_wrong(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_condition_spec_takes_a_spec_an_object_or_a_list_of_them():
    assert condition_spec("ko:OPG+inh:P38=0.5") == "ko:OPG+inh:P38=0.5"
    assert condition_spec(Knockout("OPG")) == "ko:OPG"
    assert condition_spec(["ko:OPG", Inhibition("P38", 0.5)]) == "ko:OPG+inh:P38=0.5"
    assert condition_spec([]) == ""


def test_dose_units_are_read_in_any_case():
    assert parse_spec("drug:denosumab=60MG/6mo") == parse_spec("drug:denosumab=60mg/6mo")
    assert parse_spec("drug:opg_fc=1MG/KG/2d") == parse_spec("drug:opg_fc=1mg/kg/2d")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Knockdown("OPG", np.array([0.2, 0.5])), "kd:OPG: the fraction must be a number, got ndarray"),
    (lambda: Knockdown("OPG", "0.5"), "kd:OPG: the fraction must be a number, got str '0.5'"),
    (lambda: Inhibition("P38", True), "inh:P38: the fraction must be a number, got bool True"),
    (lambda: Overexpression("OPG", "2"), "oe:OPG: the factor must be a number, got str"),
    (lambda: SetValue("pth", 6.0, "1wk"), "set:pth: the start must be a number, got str '1wk'"),
    (lambda: Knockout(["OPG", "RANK"]), "ko: the target is named by one non-empty string"),
    (lambda: Preset(""), "preset: the target is named by one non-empty string"),
])
def test_perturbation_objects_refuse_values_of_the_wrong_kind(make, message):
    """Built in Python (not parsed from a spec), a perturbation checks its own types: a list of
    nodes or a text number failed later with a TypeError or AttributeError."""
    with pytest.raises(InputError, match=re.escape(message)):
        make()


def test_perturbation_objects_take_numpy_numbers():
    assert Knockdown("OPG", np.float64(0.5)).spec == "kd:OPG=0.5"
    assert SetValue("pth", np.int64(6)).spec == "set:pth=6"


def test_to_changes_and_resolve_node_take_specs_and_name_a_wrong_engine(bone_mouse):
    assert to_changes("ko:OPG+inh:CTSK=0.5", bone_mouse.engine) == to_changes(
        [Knockout("OPG"), Inhibition("CTSK", 0.5)], bone_mouse.engine)
    with pytest.raises(InputError, match=r"to_changes\(perturbations, engine\): engine is a compiled "
                       r"model \(load_model\(name\).engine\), got str 'bone'"):
        to_changes("ko:OPG", "bone")
    with pytest.raises(InputError, match="engine is a compiled model"):
        resolve_node("OPG", "bone")
    with pytest.raises(InputError, match="node: the target is named by one non-empty string"):
        resolve_node(None, bone_mouse.engine)


def test_factors_that_multiply_beyond_the_largest_float_name_the_condition(bone_mouse):
    with pytest.raises(InputError, match=r"oe:OPG=1e200\+oe:OPG=1e200: these factors make OPG_expr inf"):
        to_changes("oe:OPG=1e200+oe:OPG=1e200", bone_mouse.engine)


def test_a_condition_is_taken_from_any_sequence_in_order_but_not_from_a_set(bone_mouse):
    import collections

    import pandas as pd

    specs = ["ko:OPG", "inh:CTSK=0.5"]
    expected = to_changes(specs, bone_mouse.engine)
    for given in (np.array(specs, dtype=object), pd.Series(specs), collections.deque(specs), iter(specs)):
        assert to_changes(given, bone_mouse.engine) == expected
    with pytest.raises(InputError, match=r"a condition is a spec .* got set \{'ko:OPG'\}"):
        condition_spec({"ko:OPG"})


@pytest.mark.parametrize(("spec", "part"), [
    ("ko:OPG+ko:OPG", "ko:OPG"),
    ("ko:OPG+inh:P38=0.5+ko:OPG", "ko:OPG"),
    ("set:pth=2+set:pth=2.0", "set:pth=2"),  # the same value, written otherwise
    ("set:pth=2@10-20+set:pth=2@10-20", "set:pth=2@10-20"),
    ("preset:breast+preset:breast", "preset:breast"),
])
def test_a_part_that_changes_nothing_the_second_time_is_refused(bone_mouse, spec, part):
    """A knockout, set: or preset given twice in one condition is the same condition as given once:
    most likely a typing error for another part, refused with the part named."""
    message = f"{spec!r} gives {part} twice, which changes nothing more than once; give it once"
    with pytest.raises(InputError, match=re.escape(message)):
        parse_spec(spec)
    with pytest.raises(InputError, match=re.escape(message.replace(spec, spec.replace("2.0", "2")))):
        bone_mouse.simulate(*spec.split("+"), end=1, points=2)  # one condition as several arguments too


def test_parts_that_act_again_when_repeated_are_kept(bone_mouse):
    """kd:, oe: and inh: compose by product and a regimen adds its doses; windows that differ, and
    a perturbed() block beneath a call that repeats it, are not repeats within one condition."""
    assert len(parse_spec("kd:OPG=0.5+kd:OPG=0.5+oe:RANK=2+oe:RANK=2+inh:P38=0.5+inh:P38=0.5")) == 6
    assert len(parse_spec("drug:denosumab=60mg@1d+drug:denosumab=60mg@1d")) == 2
    assert len(parse_spec("set:pth=2@10-20+set:pth=2@10-30+set:pth=3@10-20")) == 3
    with bone_mouse.perturbed("ko:CTSK") as m, pytest.warns(RedundantPerturbationWarning):
        assert m.final("ko:CTSK", end=1, readouts=["osteoclasts"]).equals(
            bone_mouse.final(end=1, readouts=["osteoclasts"]))


def test_a_part_an_enclosing_block_applies_is_noted_at_the_users_line(bone_mouse):
    """A knockout, set: or preset that a perturbed() block applies already, given again (under
    another name of its node, or by a nested block), changes nothing: a note names the user's
    line, as a screen notes a condition that repeats its background. Other parts are not noted."""
    with bone_mouse.perturbed("ko:OPG", "set:pth=4"):
        note = "applies ko:OPG already: ko:Tnfrsf11b"
        with pytest.warns(RedundantPerturbationWarning, match=note) as caught:
            bone_mouse.final("ko:Tnfrsf11b", end=1, readouts=["osteoclasts"])
        assert caught[0].filename == __file__
        with pytest.warns(RedundantPerturbationWarning, match=r"applies set:pth=4 already") as caught:
            with bone_mouse.perturbed("set:pth=4"):
                pass
        assert caught[0].filename == __file__
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bone_mouse.final("set:pth=5", "kd:OPG=0.5", "ko:RANK", end=1, readouts=["osteoclasts"])


def test_an_inhibitor_scales_a_window_listed_before_it(bone_mouse):
    """inh:X=F multiplies the activity by 1 - F, in a window set before it as outside it."""
    changes = to_changes("set:P38_act=1@10-20+inh:P38=0.75", bone_mouse.engine)
    assert changes.timed == [TimedChange("P38_act", 0.25, 10.0, 20.0)]
    assert changes.parameters == {"P38_act": pytest.approx(0.25 * bone_mouse.engine.baseline["P38_act"])}


def test_a_species_that_starts_at_zero_is_refused_a_negative_value():
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = "model z\n compartment c = 1\n species x in c = 0\n J0: -> x; 0.1\nend"
    engine = Engine(antimony_to_sbml(text), name="z", preequilibrate=False)
    with pytest.raises(InputError, match="set:x=-1: x cannot be negative: it is a species"):
        to_changes("set:x=-1", engine)
    assert to_changes("set:x=2", engine).species == {"x": 2.0}


def test_a_preset_sets_a_compartment_before_a_species_whatever_its_order():
    """As at time 0 of any condition: a species set together with its compartment's size keeps
    the concentration given (set after the size, not diluted by it)."""
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = "model p\n compartment c = 1\n species x in c = 1\n J: x -> ; 0 * x\nend"
    engine = Engine(antimony_to_sbml(text), name="p", preequilibrate=False,
                    presets={"big": {"x": 5.0, "c": 2.0}})
    frame = engine.simulate(to_changes("preset:big", engine), end=1, points=2, readouts=["x", "c"])
    assert frame[["x", "c"]].iloc[0].tolist() == [5.0, 2.0]


def test_a_regimen_in_days_is_dosed_in_hours_on_a_model_that_counts_hours():
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model t\n J: denosumab_depot -> ; k*denosumab_depot\n denosumab_depot = 0; k = 0.1; "
            "denosumab_molar_mass = 147000\nend")
    engine = Engine(antimony_to_sbml(text), name="t", time_unit="hour")
    (dosing,) = to_changes("drug:denosumab=60mg/1d*3@2d", engine).dosing
    assert (dosing.start, dosing.every, dosing.count) == (2 * 24.0, 24.0, 3)
    assert sorted(engine.dose_table([dosing], 200.0)) == [48.0, 72.0, 96.0]


@pytest.mark.parametrize(("unit", "per_day"), [("day", 1.0), ("minute", 1440.0), ("second", 86400.0)])
def test_a_regimen_in_days_is_dosed_in_the_time_unit_the_model_counts(unit, per_day):
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model t\n J: denosumab_depot -> ; k*denosumab_depot\n denosumab_depot = 0; k = 0.1; "
            "denosumab_molar_mass = 147000\nend")
    engine = Engine(antimony_to_sbml(text), name="t", time_unit=unit)
    (dosing,) = to_changes("drug:denosumab=60mg/1d*3@2d", engine).dosing
    assert (dosing.start, dosing.every, dosing.count) == (2 * per_day, per_day, 3)


def test_a_regimen_on_a_model_whose_time_unit_has_no_known_length_is_refused():
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model t\n J: denosumab_depot -> ; k*denosumab_depot\n denosumab_depot = 0; k = 0.1; "
            "denosumab_molar_mass = 147000\nend")
    engine = Engine(antimony_to_sbml(text), name="t", time_unit="time unit")
    with pytest.raises(InputError, match="counts time in 'time unit', whose length is not known"):
        to_changes("drug:denosumab=60mg/1d*3@2d", engine)


@pytest.mark.parametrize(("spec", "kind", "node", "value"), [
    # the bounds of the module's table are included: 0 <= F <= 1 for kd: and inh:, N >= 1 for oe:
    ("kd:OPG=0", Knockdown, "OPG", 0.0),
    ("kd:OPG=1", Knockdown, "OPG", 1.0),
    ("inh:P38=0", Inhibition, "P38", 0.0),
    ("inh:P38=1", Inhibition, "P38", 1.0),
    ("oe:OPG=1", Overexpression, "OPG", 1.0),
])
def test_the_bounds_of_a_fraction_and_a_factor_are_accepted(spec, kind, node, value):
    assert parse_spec(spec) == [kind(node, value)]


def test_a_full_inhibition_zeroes_the_activity_and_a_knockdown_of_one_changes_nothing(bone_mouse):
    """inh:X=1 multiplies the activity by 1 - 1 = 0; kd:X=1 and oe:X=1 multiply the expression by 1."""
    baseline = bone_mouse.engine.baseline
    assert to_changes("inh:P38=1", bone_mouse.engine).parameters == {"P38_act": 0.0}
    for spec in ("kd:OPG=1", "oe:OPG=1"):
        assert to_changes(spec, bone_mouse.engine).parameters == {"OPG_expr": baseline["OPG_expr"]}


def test_a_set_value_built_in_python_refuses_a_negative_start():
    """The window of SetValue satisfies 0 <= T0 < T1 whether parsed or built in Python."""
    said = "set:pth: the window must satisfy 0 <= T0 < T1, got -1.0-None"
    with pytest.raises(InputError, match=re.escape(said)):
        SetValue("pth", 1.0, -1.0)


@pytest.mark.parametrize(("spec", "said"), [
    ("set:pth=inf", "set:pth: the value must be a finite number, got inf"),
    ("set:pth=nan", "set:pth: the value must be a finite number, got nan"),
    ("preset:breast=1", "'preset:breast=1': preset takes no value (preset:NAME)"),
])
def test_a_value_a_spec_cannot_take_is_refused(spec, said):
    with pytest.raises(InputError, match=re.escape(said)):
        parse_spec(spec)


def test_a_canonical_part_names_a_node_by_its_id_and_a_preset_as_the_catalog_does(bone_mouse):
    """As canonical_part's docstring says: ko:Tnfrsf11b is ko:OPG, preset:Breast is preset:breast;
    other perturbations are kept as they are."""
    from rankl_net.perturbations import canonical_part

    assert canonical_part(Knockout("Tnfrsf11b"), bone_mouse.engine) == Knockout("OPG")
    assert canonical_part(Inhibition("Mapk14", 0.5), bone_mouse.engine) == Inhibition("P38", 0.5)
    assert canonical_part(SetValue("pth", 2.0), bone_mouse.engine) == SetValue("pth", 2.0)
    tumour = load_model("bone_tumour", "mouse")
    assert canonical_part(Preset("Breast"), tumour.engine) == Preset("breast")


def _depot_engine(**kwargs):
    """A model with denosumab's dose species and molar mass, counting days."""
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = ("model t\n J: denosumab_depot -> ; k*denosumab_depot\n denosumab_depot = 0; k = 0.1; "
            "denosumab_molar_mass = 147000; x = 1\nend")
    return Engine(antimony_to_sbml(text), name="t", time_unit="day", **kwargs)


def test_the_doses_and_windows_lost_to_the_end_are_those_at_or_after_it():
    """doses_after_end names a counted regimen with doses at or after the end, a single dose at
    or after it, an open-ended regimen whose first dose is at or after it, and a set: window
    opening at or after it; a regimen whose doses all fall before the end is not named."""
    from rankl_net.perturbations import doses_after_end

    engine = _depot_engine()

    def lost(spec, end):
        perts = parse_spec(spec)
        return doses_after_end(perts, to_changes(perts, engine), end, "day")

    assert lost("drug:denosumab=60mg/10d*3", 25.0) == []  # doses at 0, 10 and 20
    assert lost("drug:denosumab=60mg/10d*3", 20.0) == [
        "drug:denosumab=60mg/10d*3: 2 of its 3 doses fall within the 20 days simulated; the others are "
        "not given"]
    assert lost("drug:denosumab=60mg@10d", 10.5) == []
    assert lost("drug:denosumab=60mg@10d", 10.0) == [
        "drug:denosumab=60mg@10d: its dose at 10 days is not within the 10 days simulated; it is not given"]
    # an open-ended regimen runs to the end, unless it starts at or after it: then no dose is given
    assert lost("drug:denosumab=60mg/6mo@11y", 3652.5) == [
        "drug:denosumab=60mg/6mo@11y: its first dose at 4017.75 days is not within the 3652.5 days "
        "simulated; none of its doses is given"]
    assert lost("drug:denosumab=60mg/10d@10d", 10.0) == [
        "drug:denosumab=60mg/10d@10d: its first dose at 10 days is not within the 10 days simulated; "
        "none of its doses is given"]
    assert lost("drug:denosumab=60mg/10d@10d", 10.5) == []
    assert lost("set:x=2@10", 10.5) == []
    assert lost("set:x=2@10", 10.0) == [
        "set:x=2@10: its window opens at 10 days, not within the 10 days simulated; it has no effect"]


def test_a_multiplier_listed_after_a_window_scales_it():
    """to_changes: set:OPG_expr=2@10-20+oe:OPG=3 is 6 in the window (its docstring's example);
    kd: and ko: scale a window as oe: does."""
    engine = load_model("bone", "mouse").engine
    for after, value in (("oe:OPG=3", 6.0), ("kd:OPG=0.25", 0.5), ("ko:OPG", 0.0)):
        changes = to_changes(f"set:OPG_expr=2@10-20+{after}", engine)
        assert changes.timed == [TimedChange("OPG_expr", value, 10.0, 20.0)], after


def test_two_presets_that_set_one_quantity_to_different_values_are_refused():
    """The result would depend on the order of the presets (to_changes' docstring); presets that
    agree on a value, or set different quantities, are applied together."""
    engine = _depot_engine(presets={"a": {"x": 2.0}, "b": {"x": 3.0}, "c": {"x": 2.0, "k": 0.5}})
    said = "preset:a and preset:b set x to different values (2 and 3)"
    with pytest.raises(InputError, match=re.escape(said)):
        to_changes("preset:a+preset:b", engine)
    assert to_changes("preset:a+preset:c", engine).parameters == {"x": 2.0, "k": 0.5}


def test_a_compartment_the_model_itself_gives_size_zero_may_be_set_to_zero():
    """A compartment of size zero is refused where the model gives it a size above zero; one the
    model itself leaves at zero (holding no species) is kept as the model has it."""
    from rankl_net.build import antimony_to_sbml
    from rankl_net.engine import Engine

    text = "model z\n compartment c = 1, e = 0\n species x in c = 1\n J0: x -> ; 0.1*x\nend"
    engine = Engine(antimony_to_sbml(text), name="z", preequilibrate=False)
    assert to_changes("set:e=0", engine).parameters == {"e": 0.0}
    with pytest.raises(InputError, match="set:c=0: c is a compartment, whose size must be above zero"):
        to_changes("set:c=0", engine)


@pytest.mark.parametrize("model_id", ["RELA_expr", "nfkb_nuclear", "MAPK3_expr", "MAPK1_expr"])
def test_a_model_id_two_nodes_act_on_names_the_first_in_the_annotation_table(ocg, model_id):
    """RELA and NFKB both act on RELA_expr and nfkb_nuclear, ERK and ERK1 on MAPK3_expr: where two
    nodes share a key, the first in the annotation table wins (_lookup's docstring)."""
    from rankl_net.annotations import node_table

    nodes = nodes_for(ocg.engine)
    columns = ("species", "expression", "activity")
    sharing = [row["node"] for row in node_table() if row["node"] in nodes
               and model_id in {x.strip() for c in columns for x in row[c].split(",")}]
    assert len(sharing) == 2, sharing
    assert resolve_node(model_id, ocg.engine).node == sharing[0]


def test_a_set_from_a_time_without_an_end_is_timed_and_leaves_time_0_as_it_is(bone_mouse):
    """set:ID=V@T0 acts from T0 on (the module's table): a timed change, not a value set from 0."""
    changes = to_changes("set:pth=6@10", bone_mouse.engine)
    assert not changes.parameters and changes.timed == [TimedChange("pth", 6.0, 10.0, None)]


@pytest.mark.parametrize(("spec", "message"), [
    # a percent typed for a fraction: 90 % inhibition is 0.9 (the grammar's fractions are 0-1)
    ("inh:CTSK=90", re.escape("the fraction must be between 0 and 1, got 90 (a fraction, not a percent: "
                              "90 % is inh:CTSK=0.9)")),
    ("kd:OPG=50", re.escape("got 50 (to raise expression 50-fold write oe:OPG=50; as a percent, 50 % is "
                            "kd:OPG=0.5)")),
    ("kd:OPG=1000", r"got 1000 \(to raise expression 1000-fold write oe:OPG=1000\)$"),
    ("inh:CTSK=90%",
     r"'90%' is not a number; the fraction is a number from 0 to 1, without % \(90% is 0.9\)"),
    ("kd:OPG=50%", r"\(50% is 0.5\)"),
    # a factor written with its fold, as papers write it
    ("oe:OPG=10x", r"'10x' is not a number; the factor is a plain number \(10x is 10\)$"),
    ("oe:OPG=2.5-fold", r"the factor is a plain number \(2.5-fold is 2.5\)$"),
    ("oe:OPG=10fold", r"\(10fold is 10\)$"),
    # a set: value with a unit: the models' concentrations are in pM (docs/perturbations.md)
    ("set:rankl_input=100pM", r"'100pM' is not a number; a set: value is a plain number in the model's unit "
     r"of the quantity \(concentrations in the shipped models are in pM: 100pM is 100; convert other units"),
    ("set:rankl_input=100ng/mL", r"concentrations in the shipped models are in pM: 100pM is 100; convert"),
    # a fraction given to oe: (whose factor raises expression) meant a knockdown, 0 a knockout
    ("oe:OPG=0.5",
     r"the factor must be a finite number >= 1, got 0.5 \(to lower expression write kd:OPG=0.5\)"),
    ("oe:OPG=0", r"got 0 \(for a knockout write ko:OPG\)"),
    ("oe:OPG=1e400", r"the factor must be a finite number >= 1, got inf$"),  # beyond the largest float
])
def test_a_value_out_of_range_names_the_perturbation_most_likely_meant(spec, message):
    with pytest.raises(InputError, match=message):
        parse_spec(spec)


@pytest.mark.parametrize("spec", ["kd:OPG=-0.5", "inh:CTSK=150", "inh:CTSK=-90", "oe:OPG=-2"])
def test_a_value_with_no_likely_meaning_gets_no_suggestion(spec):
    with pytest.raises(InputError) as said:
        parse_spec(spec)
    assert "write" not in str(said.value) and "percent" not in str(said.value)


@pytest.mark.parametrize(("spec", "packed"), [
    ("set:pth = 2", "set:pth=2"),
    ("ko: OPG", "ko:OPG"),
    ("set:pth=2 @10-20", "set:pth=2@10-20"),
])
def test_a_spec_written_with_spaces_is_refused_with_it_written_without(spec, packed):
    with pytest.raises(InputError) as refused:
        parse_spec(spec)
    assert str(refused.value) == (f"cannot read perturbation {spec!r} in {spec!r}: a spec has no spaces "
                                  f"({packed})")
    assert parse_spec(packed)
