"""Mouse genetic lines: each row of experiments/genetic_lines.tsv against its expected phenotype."""

from __future__ import annotations

import pandas as pd
import pytest

import rankl_net
from rankl_net import experiments

LINES = experiments.read_genetic_lines()


@pytest.fixture(scope="module")
def table():
    return experiments.run_phenotypes().set_index("line")


def test_every_required_line_is_in_the_experiment_file():
    specs = {gl.spec for gl in LINES}
    for required in (
        "ko:RANKL",
        "ko:RANK",
        "ko:OPG",
        "ko:TRAF6",
        "ko:FOS",
        "ko:NFKB1+ko:NFKB2",
        "ko:NFATC1",
        "ko:CTSK",
    ):
        assert required in specs
    assert any(s.startswith("oe:OPG") for s in specs)
    assert any(s.startswith("oe:RANKL") for s in specs)


@pytest.mark.parametrize("line", LINES, ids=[gl.line for gl in LINES])
def test_line_matches_expected_phenotype(table, line):
    row = table.loc[line.line]
    assert row["phenotype"] == line.expected_phenotype, row.to_dict()
    assert experiments.osteoclasts_agree(line.expected_osteoclasts, row["osteoclasts"]), row.to_dict()


@pytest.mark.parametrize(
    ("bv", "call"),
    [
        (111.0, "osteopetrotic"),
        (110.0, "osteopetrotic"),
        (109.9, "normal"),
        (90.1, "normal"),
        (90.0, "osteoporotic"),
        (40.0, "osteoporotic"),
    ],
)
def test_bone_classification_thresholds(bv, call):
    assert experiments.classify_bone(bv) == call


@pytest.mark.parametrize(
    ("oc", "call"),
    [(0.0, "absent"), (9.9, "absent"), (10.0, "present"), (120.0, "present"), (120.1, "increased")],
)
def test_osteoclast_classification_thresholds(oc, call):
    assert experiments.classify_osteoclasts(oc) == call


def test_present_includes_increased_but_absent_is_strict():
    assert experiments.osteoclasts_agree("present", "increased")
    assert not experiments.osteoclasts_agree("present", "absent")
    assert not experiments.osteoclasts_agree("absent", "present")
    assert experiments.osteoclasts_agree("any", "absent")


def test_malformed_experiment_row_is_reported(tmp_path):
    bad = tmp_path / "lines.tsv"
    bad.write_text(
        "line\tspec\texpected_phenotype\texpected_osteoclasts\tsource\tnote\n"
        "X\tko:OPG\tbrittle\tany\tnone\t\n"
    )
    with pytest.raises(experiments.InputError, match="expected_phenotype"):
        experiments.read_genetic_lines(bad)


def test_lines_are_chosen_by_name():
    table = rankl_net.run_phenotypes(["OPG-/-", "RANKL-/-"])
    assert table["line"].tolist() == ["OPG-/-", "RANKL-/-"]
    assert rankl_net.run_phenotypes("OPG-/-")["line"].tolist() == ["OPG-/-"]
    with pytest.raises(rankl_net.InputError, match="unknown genetic line 'OPG'. Did you mean 'OPG-/-'"):
        rankl_net.run_phenotypes(["OPG"])
    with pytest.raises(rankl_net.InputError, match="no genetic line given"):
        rankl_net.run_phenotypes([])
    # in any case, as model and node names are
    assert rankl_net.run_phenotypes(["opg-/-"])["line"].tolist() == ["OPG-/-"]
    with pytest.raises(rankl_net.InputError, match="lines are names such as 'OPG-/-' .* got int 3"):
        rankl_net.run_phenotypes(3)


@pytest.mark.parametrize("context", ["mouse", "human"])
def test_exogenous_soluble_rankl_is_the_concentration_it_reaches_on_its_own(context):
    """set:srankl_exogenous=V (a transgene outside the bone, an injection) adds soluble RANKL that
    settles at V pM where nothing else makes or binds RANKL, in either context's clock."""
    bone = rankl_net.load_model("bone", context=context)
    alone = bone.final("ko:RANKL+ko:OPG+set:srankl_exogenous=50", end=365, readouts=["rankl_free"])
    assert alone["rankl_free"] == pytest.approx(50.0, rel=1e-6)
    more = bone.final("set:srankl_exogenous=50", end=84, readouts=["osteoclasts"])
    assert more["osteoclasts"] > 1.2 * bone.engine.baseline["osteoclasts"]


def test_osteoclast_poor_osteopetrosis_forms_less_bone_than_osteoclast_rich():
    """Formation follows the osteoclasts that erode bone: it falls where they are absent
    (c-Fos-/-, RANKL-/-) and is kept where they are present but cannot degrade collagen
    (cathepsin K-/-; Pennypacker 2009 Bone 44:199 reports raised formation)."""
    mouse = rankl_net.Model("bone", context="mouse")
    p1np = {spec: mouse.final(spec, end=84, readouts=["p1np"])["p1np"]
            for spec in ("ko:FOS", "ko:RANKL", "ko:CTSK")}
    assert p1np["ko:FOS"] < -40 and p1np["ko:RANKL"] < -40
    assert p1np["ko:CTSK"] > -5


@pytest.mark.parametrize(("expected_phenotype", "expected_osteoclasts", "agrees"), [
    ("osteoporotic", "increased", True),
    ("osteopetrotic", "increased", False),  # the wrong phenotype
    ("osteoporotic", "absent", False),  # the wrong osteoclast call
    ("osteoporotic", "present", True),  # "present" includes "increased"
    ("osteoporotic", "any", True),
])
def test_a_line_that_disagrees_with_its_expectation_is_marked(expected_phenotype, expected_osteoclasts,
                                                               agrees):
    line = experiments.GeneticLine("OPG-/- (test)", "ko:OPG", expected_phenotype, expected_osteoclasts, "t")
    row = experiments.run_phenotypes([line]).iloc[0]
    assert (row["phenotype"], row["osteoclasts"]) == ("osteoporotic", "increased")
    assert bool(row["agrees"]) is agrees


def test_each_percent_of_wild_type_is_the_line_over_wild_type_at_the_age_asked():
    """The table's columns are the line's final value over wild type's, both at ``age_days`` (here
    4 weeks, not the default 12); CTX, a percent change from baseline, compares the levels it
    stands for (100 % + the change)."""
    line = experiments.line_named("OPG-/-", LINES)
    age = 28.0
    readouts = ["bone_volume", "osteoclasts", "osteoblasts", "ctx"]
    model = rankl_net.Model(line.model, context=line.context)
    wild_type = model.final(end=age, readouts=readouts)
    knockout = model.final(line.spec, end=age, readouts=readouts)
    row = experiments.run_phenotypes([line], age_days=age).iloc[0]
    for readout in ("bone_volume", "osteoclasts", "osteoblasts"):
        expected = 100.0 * knockout[readout] / wild_type[readout]
        assert row[f"{readout}_pct_wt"] == pytest.approx(expected, rel=1e-9), readout
        assert abs(expected - 100.0) > 1.0, readout  # (the knockout moves each by 4 weeks)
    level = 100.0 * (100.0 + knockout["ctx"]) / (100.0 + wild_type["ctx"])
    assert row["ctx_pct_wt"] == pytest.approx(level, rel=1e-9) and level > 101.0


def test_a_line_that_states_a_drugs_species_specificity_gives_no_note_that_it_has_no_effect():
    """wild type + denosumab is in the table to show that denosumab does not bind mouse RANKL:
    the note a user gets for such a dose would only repeat the line."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = experiments.run_phenotypes(lines=["wild type + denosumab"])
    assert table["agrees"].all()


@pytest.mark.parametrize(("age", "message"), [
    (-1, r"run_phenotypes: age_days must be a positive number of days \(84: 12 weeks\), got -1$"),
    (0, "age_days must be a positive number of days .*, got 0$"),
    (float("nan"), "age_days must be a positive number of days .*, got nan"),
    (float("inf"), "age_days must be a positive number of days .*, got inf"),  # (not an end time)
    (None, "run_phenotypes: age_days must be a number, got None"),
])
def test_an_age_that_is_no_age_is_refused_naming_age_days(age, message):
    """The message names the argument given (age_days), not an end time the caller never gave."""
    with pytest.raises(experiments.InputError, match=message):
        experiments.run_phenotypes(["OPG-/-"], age_days=age)


def test_an_unknown_osteoclast_call_in_the_line_table_is_reported(tmp_path):
    bad = tmp_path / "lines.tsv"
    bad.write_text("line\tspec\texpected_phenotype\texpected_osteoclasts\tsource\tnote\n"
                   "X\tko:OPG\tosteoporotic\tmany\tnone\t\n", encoding="utf-8")
    message = r"lines.tsv row 1 \(X\): expected_osteoclasts must be one of"
    with pytest.raises(experiments.InputError, match=message):
        experiments.read_genetic_lines(bad)


def test_a_line_name_is_found_with_spaces_around_it():
    assert experiments.line_named("  opg-/- ", LINES).spec == "ko:OPG"


def test_a_list_of_lines_with_something_else_in_it_is_refused_before_any_run():
    with pytest.raises(experiments.InputError, match="a genetic line is a name such as 'OPG-/-' or a "
                                                     "GeneticLine, got int 3"):
        experiments.run_phenotypes(["OPG-/-", 3])


def test_one_line_object_and_an_age_with_a_unit_are_taken_as_a_list_and_days():
    """run_phenotypes(line) is run_phenotypes([line]); age_days="4wk" is 28 days. The row names
    the line's perturbation and the model and context it ran in."""
    line = experiments.line_named("OPG-/-", LINES)
    alone = experiments.run_phenotypes(line, age_days="4wk")
    listed = experiments.run_phenotypes([line], age_days=28.0)
    pd.testing.assert_frame_equal(alone, listed)
    row = alone.iloc[0]
    assert (row["line"], row["perturbation"], row["model"]) == ("OPG-/-", "ko:OPG", "bone (mouse)")


def test_each_context_is_compared_with_its_own_wild_type():
    """A line in the human context after one in the mouse context: each over the wild type of
    its own context (the wild types are kept per model and context)."""
    mouse = experiments.GeneticLine("OPG-/- mouse", "ko:OPG", "osteoporotic", "any", "t")
    human = experiments.GeneticLine("OPG-/- human", "ko:OPG", "osteoporotic", "any", "t", context="human")
    table = experiments.run_phenotypes([mouse, human], age_days=28.0).set_index("line")
    for line in (mouse, human):
        model = rankl_net.Model("bone", context=line.context)
        expected = (100.0 * model.final("ko:OPG", end=28.0, readouts=["bone_volume"])["bone_volume"]
                    / model.final(end=28.0, readouts=["bone_volume"])["bone_volume"])
        assert table.loc[line.line, "bone_volume_pct_wt"] == pytest.approx(expected, rel=1e-9), line.context
    assert table.loc["OPG-/- human", "model"] == "bone (human)"


def test_lines_are_compared_at_twelve_weeks_unless_told():
    """The module's AGE_DAYS (12 weeks, as its docstring and run_phenotypes' say) is the default."""
    assert experiments.AGE_DAYS == 12 * 7
    default = experiments.run_phenotypes(["OPG-/-"])
    pd.testing.assert_frame_equal(default, experiments.run_phenotypes(["OPG-/-"], age_days=84.0))
    assert not default.equals(experiments.run_phenotypes(["OPG-/-"], age_days=83.0))


def test_the_genetic_line_table_is_read_from_a_string_path_and_a_missing_one_is_named(tmp_path):
    from rankl_net.experiments import GENETIC_LINES, read_genetic_lines

    assert read_genetic_lines(str(GENETIC_LINES)) == read_genetic_lines(GENETIC_LINES)
    with pytest.raises(rankl_net.InputError, match=r"read_genetic_lines\(path\) .*lines.tsv: no such file"):
        read_genetic_lines(str(tmp_path / "lines.tsv"))
