"""Regimen experiment files (rankl_net.regimens): what a file's tables read as, what is refused,
and the table an experiment's run returns."""

from __future__ import annotations

import re

import pytest

from rankl_net.dosing import Regimen
from rankl_net.engine import MAX_POINTS
from rankl_net.errors import InputError
from rankl_net.regimens import (
    POINTS_PER_DAY,
    RegimenExperiment,
    dosed_drugs,
    read_experiments,
    run_experiment,
)

HEAD = '[a]\ntitle = "t"\nend = "1y"\n'


def _read(tmp_path, text: str) -> dict[str, RegimenExperiment]:
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    return read_experiments(path)


@pytest.mark.parametrize(("text", "message"), [
    # TOML's true is no time (Python takes it for 1)
    ('[a]\ntitle = "t"\nend = true\narms.x = []\n', "r.toml [a]: end must be a time such as \"4wk\""),
    ('[a]\ntitle = "t"\nend = "1y"\narms = {}\n', "r.toml [a]: arms must be a table of arms"),
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", at = [] }]\n',
     "[a] arm 'x': at must be a list of dose times, such as [\"8d\", \"15d\"]"),
    # two doses without an interval, as any count above one
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", count = 2 }]\n',
     "[a] arm 'x': count = 2 needs every, the dosing interval"),
    (HEAD + 'arms.x = [{ drug = "denosumab", every = "6mo" }]\n',
     "[a] arm 'x': a regimen is a drug: spec or a table with drug and dose, got {'drug': 'denosumab', "
     "'every': '6mo'}"),
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", every = true }]\n',
     "[a] arm 'x': every must be a time with a unit such as \"4wk\""),
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", at = ["8d", false] }]\n',
     "[a] arm 'x': at must be a time with a unit such as \"4wk\""),
    # single doses have no start of their own
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", at = ["8d"], start = "1d" }]\n',
     "[a] arm 'x': at lists single doses, which take no start"),
    # the unknown drug is said first, as in a spec
    (HEAD + 'arms.x = [{ drug = "aspirin", dose = "60" }]\n', "[a] arm 'x': unknown drug 'aspirin'"),
    # a number of days written as a float is shown as the user would write it with a unit
    (HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", at = [8.0] }]\n',
     "[a] arm 'x': at '8' has no unit: write \"8d\", \"8wk\" or \"8mo\""),
    # a name that would put the output files in another folder
    ('["a/b"]\ntitle = "t"\nend = "1y"\narms.x = []\n',
     "r.toml: experiment name 'a/b' names its output files"),
    ('[[experiments]]\nid = "x"\n',
     "r.toml is a file of comparison experiments ([[experiments]]): run it with `rankl-net experiment "),
])
def test_a_regimen_file_refuses_what_it_cannot_run(tmp_path, text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        _read(tmp_path, text)


def test_the_longest_end_is_that_of_the_most_output_times_a_run_can_have(tmp_path):
    """POINTS_PER_DAY output times a day from time 0 to the end, both included."""
    longest = (MAX_POINTS - 1) / POINTS_PER_DAY
    text = '[a]\ntitle = "t"\nend = "{}d"\narms.x = []\n'
    assert _read(tmp_path, text.format(longest))["a"].end == longest
    with pytest.raises(InputError, match=re.escape(f"end '{longest + 0.5}d' is longer than the")):
        _read(tmp_path, text.format(longest + 0.5))


def test_a_regimen_table_without_a_start_starts_at_time_zero(tmp_path):
    (experiment,) = _read(tmp_path, HEAD + 'arms.x = [{ drug = "denosumab", dose = "60mg", every = "6mo" }, '
                                           '{ drug = "zoledronate", dose = "5mg" }]\n').values()
    assert experiment.arms["x"] == (Regimen("denosumab", 60.0, every=365.25 / 2),
                                    Regimen("zoledronate", 5.0))
    assert [r.start for r in experiment.arms["x"]] == [0.0, 0.0]


def test_single_doses_at_times_keep_a_dose_per_kg(tmp_path):
    text = HEAD + 'arms.x = [{ drug = "opg_fc", dose = "3mg/kg", at = ["1d", "2wk"] }]\n'
    (experiment,) = _read(tmp_path, text).values()
    assert experiment.arms["x"] == (Regimen("opg_fc", 3.0, start=1.0, per_kg=True),
                                    Regimen("opg_fc", 3.0, start=14.0, per_kg=True))


def test_an_unknown_regimen_experiment_name_is_an_input_error():
    with pytest.raises(InputError, match="unknown regimen experiment 'no_such_experiment'"):
        run_experiment("no_such_experiment")


def test_the_dosed_drugs_are_named_once_in_alphabetical_order(tmp_path):
    (experiment,) = _read(tmp_path, HEAD + 'arms.x = ["drug:zoledronate=5mg", "drug:Prolia=60mg"]\n'
                                           'arms.y = ["drug:odanacatib=5mg/1d", "drug:opg_fc=1mg/kg",\n'
                                           '          "drug:denosumab=60mg@1d", "drug:pamidronate=90mg"]\n'
                          ).values()
    assert dosed_drugs(experiment) == ["denosumab", "odanacatib", "opg_fc", "pamidronate", "zoledronate"]


def test_an_experiments_table_has_an_output_time_every_half_day_for_each_arm(tmp_path):
    """Two days at POINTS_PER_DAY = 2: times 0, 0.5, 1, 1.5 and 2 in each arm, after the columns
    naming the experiment, the context and the arm."""
    (experiment,) = _read(tmp_path, '[short]\ntitle = "t"\nend = "2d"\narms.none = []\n'
                                    'arms.deno = ["drug:denosumab=60mg"]\n').values()
    table = run_experiment(experiment)
    assert list(table.columns[:4]) == ["experiment", "context", "arm", "time"]
    assert table["arm"].tolist() == ["none"] * 5 + ["deno"] * 5
    assert table["time"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0] * 2
    assert set(table["experiment"]) == {"short"} and set(table["context"]) == {"human"}
    serum = table.groupby("arm")["denosumab_serum"]  # ug/mL
    assert serum.max()["deno"] > 1e-3 and serum.apply(lambda s: s.abs().max())["none"] < 1e-12
