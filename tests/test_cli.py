"""The command line as users script it: output, files, exit codes and messages."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
import pytest

from rankl_net import paths
from rankl_net.build import antimony_to_sbml
from rankl_net.errors import InputError, SimulationError, comma_list


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rankl_net", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_a_file_perturbation_that_scales_a_species_at_zero_says_so_in_the_note(tmp_path):
    """oe:y=2 on a product that starts at 0 changes nothing: the note says why."""
    path = tmp_path / "zero.xml"
    path.write_text(antimony_to_sbml("model zero\n J0: x -> y; k*x\n x = 1; y = 0; k = 0.1\nend"),
                    encoding="utf-8")
    same = run("simulate", str(path), "-p", "oe:y=2", "--end", "10")
    assert same.returncode == 0, same.stderr
    assert ("leaves every readout as it is without perturbation over 10 time units (oe:y=2 scales y, which "
            "is 0 at time 0)") in same.stderr
    assert "leaves every readout" not in run("simulate", str(path), "-p", "kd:x=0.5", "--end", "10").stderr


def test_a_time_unit_written_apart_from_its_number_is_told_how_to_write_it():
    out = run("simulate", "bone", "--end", "12", "weeks")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("error: Got unexpected extra argument (weeks) (a time's unit goes with its "
                                 "number, without a space: 12weeks, or quote both: '12 weeks')")
    other = run("simulate", "bone", "--end", "12", "fortnights")  # not a unit: no hint
    assert other.returncode == 2 and "a time's unit" not in other.stderr


def test_models_says_which_models_contexts_set_the_same_values():
    """The osteoclastogenesis culture has the same parameters in its mouse and human contexts
    (models/catalog.toml gives neither a value); bone's mouse context changes the tissue's."""
    from rankl_net.catalog import get_model

    assert get_model("osteoclastogenesis").contexts == {"mouse": {}, "human": {}}
    assert get_model("bone").contexts["mouse"] != get_model("bone").contexts["human"]
    lines = run("models").stdout.splitlines()
    said = {name: lines[lines.index(next(x for x in lines if x.startswith(f"{name}\t"))) + 1]
            for name in ("osteoclastogenesis", "bone")}
    assert "(default mouse; they set the same values)" in said["osteoclastogenesis"]
    assert "same values" not in said["bone"]


def test_models_lists_every_model_with_readouts():
    from rankl_net.catalog import get_model, model_names

    out = run("models")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    for name in model_names():  # each model heads its block, and its readouts follow
        at = next(k for k, line in enumerate(lines) if line.startswith(f"{name}\t"))
        listed = next(line for line in lines[at + 1:] if line.strip().startswith("readouts:"))
        assert listed.split(":", 1)[1].strip() == ", ".join(get_model(name).readouts)
    # each readout's unit, as the docs' model cards state them, in ASCII
    assert "  readout units: pM: osteoclasts, osteoblasts, rankl_free, opg_free, osteoclast_precursors, " \
           "nfatc1; %: bone_volume; % change: ctx, p1np" in lines
    clinical = next(line for line in lines if line.startswith("  readout units: ug/mL: denosumab_serum;"))
    assert "% change: ctx, untx, p1np, bmd_lumbar_spine, bmd_total_hip" in clinical
    assert out.stdout.isascii()


def test_simulate_prints_a_table_with_time_and_readouts():
    out = run(
        "simulate",
        "bone",
        "-p",
        "ko:OPG",
        "--end",
        "84",
        "--points",
        "5",
        "--readouts",
        "bone_volume,osteoclasts",
    )
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert list(frame.columns) == ["time", "bone_volume", "osteoclasts"]
    assert frame["time"].tolist() == [0, 21, 42, 63, 84]
    assert frame["bone_volume"].iloc[0] == pytest.approx(100)
    assert frame["bone_volume"].iloc[-1] < 90

    assert "note:" not in out.stderr  # ko:OPG changes the readouts


def test_simulate_says_when_a_perturbation_changes_no_readout():
    """The culture makes no OPG, so oe:OPG scales nothing; a timed change after the end acts on
    nothing either. A perturbation that does act gets no note."""
    culture = run("simulate", "osteoclastogenesis", "-p", "oe:OPG=10", "--end", "72", "--points", "4")
    assert culture.returncode == 0, culture.stderr
    assert "note: oe:OPG=10 leaves every readout as it is without perturbation over 72 hours" in (
        culture.stderr)
    late = run("simulate", "bone", "-p", "set:pth=6@100-200", "--end", "84", "--points", "3")
    assert "note: set:pth=6@100-200 leaves every readout" in late.stderr
    added = run("simulate", "osteoclastogenesis", "-p", "set:opg_input=100", "--end", "72", "--points", "4")
    assert added.returncode == 0 and "note:" not in added.stderr


def test_the_note_of_no_change_holds_for_readouts_near_zero():
    """Denosumab does not bind mouse RANKL: in the mouse context it changes nothing, though CTX
    (a percent change near 0 %) and the lesion index (round-off of a bone without tumour) differ
    from the unperturbed run in their round-off; in mice with human RANKL it acts."""
    args = ["-p", "drug:denosumab=10mg/kg/1wk", "--end", "28", "--points", "3"]
    mouse = run("simulate", "bone_tumour", *args)
    assert mouse.returncode == 0, mouse.stderr
    assert "note: drug:denosumab=10mg/kg/1wk leaves every readout as it is without" in mouse.stderr
    # and why: said once, though the unperturbed run is simulated too
    assert mouse.stderr.count("note: drug:denosumab=10mg/kg/1wk: denosumab does not bind RANKL in context "
                              "mouse of bone_tumour: it has no effect") == 1
    humanised = run("simulate", "bone_tumour", "--context", "mouse_huRANKL", *args)
    assert humanised.returncode == 0 and "note:" not in humanised.stderr, humanised.stderr


def test_a_drug_that_binds_nothing_in_the_context_is_noted_once_per_regimen(tmp_path):
    """A screen checks each condition on its own (each says its notes again): the note on
    denosumab in mice is made once for the regimen, not once per condition."""
    conditions = tmp_path / "conditions.txt"
    conditions.write_text("drug:denosumab=1mg/kg/1wk\ndrug:denosumab=1mg/kg/1wk+ko:OPG\n"
                          "drug:denosumab=1mg/kg/1wk+ko:RANKL\n", encoding="utf-8")
    out = run("screen", "bone_tumour", "--conditions", str(conditions), "--end", "1", "--workers", "1",
              "--readouts", "ctx", "--out", str(tmp_path / "screen"))
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("note: drug:denosumab=1mg/kg/1wk: denosumab does not bind RANKL") == 1


def test_an_experiment_that_can_never_hold_is_refused_before_any_runs(tmp_path):
    """The first experiment is sound; the second compares a condition with itself: nothing runs."""
    path = tmp_path / "e.toml"
    head = ('[[experiments]]\nid = "{id}"\ntitle = "t"\nmodel = "bone"\nend = 1\nreadouts = ["ctx"]\n'
            'conditions = [{{ label = "a", spec = "" }}, {{ label = "b", spec = "ko:OPG" }}]\n')
    expect = ('expectations = [{{ readout = "ctx", condition = "b", reference = "{ref}", relation = "lower", '
              'margin = 0.1 }}]\n')
    path.write_text(head.format(id="fine") + expect.format(ref="a") + head.format(id="self")
                    + expect.format(ref="b"), encoding="utf-8")
    out = run("experiment", str(path), "--out", str(tmp_path / "out"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "error: experiment self: an expectation on ctx compares 'b' with itself" in out.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "said"), [
    # "bone has no presets", without saying which model has
    (["bone", "-p", "preset:breast"], "error: preset:breast: bone (mouse) has no presets; the models with "
     "presets: bone_tumour (breast, prostate, myeloma, osteosarcoma, giant_cell_tumour)"),
    # "Did you mean 'mouse'?"
    (["bone", "--context", "mouse_huRANKL"], "error: bone has no context 'mouse_huRANKL': it is a context of "
     "bone_tumour and clinical; bone's contexts are human, mouse"),
    # "error: dose of denosumab_depot: the amount must be a finite number >= 0, got inf"
    (["clinical", "-p", "drug:denosumab=1e300mg", "--end", "10"],
     "error: drug:denosumab=1e300mg: 1e300 mg of denosumab is beyond the numbers a simulation holds (in "
     "pmol it exceeds the largest floating-point number); give a dose in g, mg, ug or ng, such as 60mg"),
    # a CVODE convergence failure, exit 3
    (["bone", "--end", "1e300"], "error: --end 1e+300 days is 2.74e+297 years, longer than the age of the "
     "universe (13.8 billion years); give a run that could be observed, such as 100 years (36525 days)"),
    (["osteoclastogenesis", "--end", "1e15"], "error: --end 1e+15 hours is 1.14e+11 years, longer than"),
])
def test_input_that_cannot_run_says_what_would(args, said):
    out = run("simulate", *args)
    assert out.returncode == 2 and not out.stdout and "Traceback" not in out.stderr
    assert said in out.stderr and "note:" not in out.stderr


def test_a_long_run_is_not_taken_for_an_absurd_one():
    from rankl_net.dosing import check_run_length

    out = run("simulate", "bone", "--end", "1e9", "--points", "2", "--readouts", "bone_volume")
    assert out.returncode == 0, out.stderr
    check_run_length(100 * 365.25 * 86400, 1.0, "second")  # 100 years of a model counting seconds
    check_run_length(1e300, None, "time unit")  # a unit of no known length is left alone
    with pytest.raises(InputError, match="end 1e[+]18 seconds is 3.17e[+]10 years"):
        check_run_length(1e18, 1.0, "second")


def test_a_dosing_interval_without_a_unit_is_refused():
    """zoledronate=5mg/1 dosed daily: /1 was read as days."""
    out = run("simulate", "clinical", "-p", "drug:zoledronate=5mg/1", "--end", "1y")
    assert out.returncode == 2 and "Traceback" not in out.stderr and not out.stdout
    assert ("error: 'drug:zoledronate=5mg/1': interval '1' has no unit: write /1d, /1wk or /1mo (units: "
            "s, min, h, d, wk, mo, y)") in out.stderr


@pytest.mark.parametrize(("end", "said"), [("nan", "positive"), ("inf", "finite"), ("-5", "positive")])
def test_an_end_that_is_no_time_is_refused_before_doses_are_counted_against_it(end, said):
    out = run("simulate", "clinical", "-p", "drug:denosumab=60mg/6mo", "--end", end, "--points", "2")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"error: end time must be a {said} number of days" in out.stderr


def test_simulate_writes_its_table_when_the_unperturbed_run_would_fail(tmp_path):
    """The note compares with the run without perturbations; when that run fails (dx/dt = x^2
    blows up at t = 1), the perturbed table is still written and no note is made."""
    blow = tmp_path / "blow.xml"
    blow.write_text(antimony_to_sbml("model blow\n J0: -> x; k * x^2\n x = 1; k = 1\nend"), encoding="utf-8")
    out = run("simulate", str(blow), "-p", "set:x=0", "--end", "2", "--points", "3", "--out",
              str(tmp_path / "o.csv"))
    assert out.returncode == 0, out.stderr
    assert pd.read_csv(tmp_path / "o.csv")["x"].tolist() == [0.0, 0.0, 0.0]
    assert "note:" not in out.stderr


def test_dose_response_names_the_levels_whose_simulation_failed(tmp_path):
    """dx/dt = k x^2 from x = 1 has no solution past t = 1/k: up to 2 time units, the levels
    k = 1 and 2 fail and the five below 0.5 do not."""
    blow = tmp_path / "blow.xml"
    blow.write_text(antimony_to_sbml("model blow\n J0: -> x; k * x^2\n x = 1; k = 0.1\nend"),
                    encoding="utf-8")
    args = ["dose-response", str(blow), "--perturb", "set:k", "--levels", "0,0.1,0.2,0.3,0.4,1,2",
            "--end", "2"]
    out = run(*args)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    at = lines.index("failed at 2 of 7 levels (left out of the fits):")
    assert lines[at + 1].startswith("  1, 2: blow.xml: integration failed: CVODE Error")
    assert len(lines) == at + 2
    drawn = run(*args, "--out", str(tmp_path / "d.csv"))
    marked = "failed at 2 of 7 levels (left out of the fits, marked x on the figure's dose axis):"
    assert drawn.returncode == 0 and marked in drawn.stdout, drawn.stdout + drawn.stderr
    fine = run("dose-response", str(blow), "--perturb", "set:k", "--levels", "0,0.1,0.2,0.3,0.4",
               "--end", "2")
    assert fine.returncode == 0 and "failed at" not in fine.stdout, fine.stdout + fine.stderr


def test_dose_response_of_a_file_says_when_a_readout_has_not_settled(tmp_path):
    """x grows as k t: at t = 2 it moves by 10 % of its size over the last tenth of the run, and the
    fits describe that moment; y relaxes to k from k, so it is settled throughout."""
    f = tmp_path / "f.xml"
    f.write_text(antimony_to_sbml("model f\n J0: -> x; k\n J1: -> y; k - y\n x = 0; y = 1; k = 1\nend"),
                 encoding="utf-8")
    out = run("dose-response", str(f), "--perturb", "set:k", "--levels", "0:1:6", "--end", "2")
    assert out.returncode == 0, out.stderr
    notes = [ln for ln in out.stderr.splitlines() if "without the perturbation" in ln]
    assert notes == ["note: without the perturbation, x still moves by 10 % over the last tenth of the run "
                     "(1.8 to 2 time units): the fits describe the response at 2 time units, and move with "
                     "--end"]


def test_a_drug_on_an_sbml_file_is_refused(tmp_path):
    f = tmp_path / "f.xml"
    f.write_text(antimony_to_sbml("model f\n J0: -> x; k\n x = 0; k = 1\nend"), encoding="utf-8")
    out = run("simulate", str(f), "--end", "2", "-p", "drug:denosumab=60mg")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "drug regimens belong to the shipped models" in out.stderr

def test_a_file_without_a_steady_baseline_points_to_its_initial_state(tmp_path):
    """--baseline steady on a growing model: simulate, screen and dose-response say the file can
    start from its initial state (--baseline initial); validate, which has no such option, says
    only that no steady state is reached."""
    grow = tmp_path / "grow.xml"
    grow.write_text(antimony_to_sbml("model grow\n J0: -> x; k * x\n x = 1; k = 0.1\nend"), encoding="utf-8")
    for args in (["simulate", str(grow), "--end", "1"],
                 ["screen", str(grow), "--knockouts", "x", "--end", "1", "--out", str(tmp_path / "s")],
                 ["dose-response", str(grow), "--perturb", "set:k", "--levels", "0:0.2:5", "--end", "1"]):
        out = run(*args, "--baseline", "steady")
        assert out.returncode == SimulationError.exit_code, (args, out.stderr)
        assert "no steady baseline" in out.stderr and "--baseline initial" in out.stderr, out.stderr
    assert not (tmp_path / "s").exists()
    checked = run("validate", str(grow))
    assert "steady_state" in checked.stdout and "no steady state reached" in checked.stdout
    assert "--baseline" not in checked.stdout + checked.stderr


def test_a_failed_integration_is_one_message_without_the_integrators_error_log(tmp_path):
    blow = tmp_path / "blow.xml"  # dx/dt = x^2, x(0) = 1: no solution past t = 1
    blow.write_text(antimony_to_sbml("model blow\n J0: -> x; k * x^2\n x = 1; k = 1\nend"), encoding="utf-8")
    out = run("simulate", str(blow), "--end", "10")
    assert out.returncode == SimulationError.exit_code and out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines[-1].startswith("error: blow.xml: integration failed: CVODE Error: CV_CONV_FAILURE")
    # SUNDIALS' error log and libRoadRunner's would repeat the message in pieces
    assert not [ln for ln in lines if "[ERROR]" in ln or "CV_CONV_FAILURE, Function" in ln]


def test_dose_response_takes_readouts_as_simulate_does(tmp_path):
    args = ["dose-response", "bone", "--perturb", "inh:CTSK", "--levels", "0:1:5", "--out"]
    out = run(*args, str(tmp_path / "d.csv"), "--readouts", "bone_volume,ctx")
    assert out.returncode == 0, out.stderr
    # the printed fits say when the readouts are taken (bone's default end, 84 days), as the figure does
    assert out.stdout.startswith("inh:CTSK on bone, readouts at 84 days: Hill fits (IC50 as a dose")
    fits = pd.read_csv(tmp_path / "d_fits.csv")
    assert list(fits["readout"]) == ["bone_volume", "ctx"]
    # CTSK inhibition does not saturate bone volume within 0-1: said, and the IC50's bound is not
    # printed as an estimate (the fits file keeps it, with at_bound naming it); CTX falls to -71 %
    # without levelling off: its maximal effect stops at the floor of a percent change, -100 %
    assert fits["quality"].tolist() == ["ambiguous", "ambiguous"]
    assert "bone_volume: ambiguous fit: IC50 at the top of its range" in out.stdout
    assert fits["at_bound"].tolist() == ["ic50", "emax"] and fits["ic50"].iloc[0] == pytest.approx(100.0)
    series = pd.read_csv(tmp_path / "d.csv")
    # what the series ran on, which the report names: bone's default context and end time
    assert series[["model", "context", "end"]].drop_duplicates().values.tolist() == [["bone", "mouse", 84.0]]
    assert series["baseline"].isna().all()  # (a file's baseline; a shipped model has its context)
    assert (series["time_unit"] == "day").all()
    page = run("report", str(tmp_path / "d.csv"))
    assert page.returncode == 0, page.stderr
    assert "<p>Model: bone; context mouse; readouts at 84 days</p>" in (tmp_path / "d.html").read_text()
    ctx = series[series["readout"] == "ctx"]
    assert fits["emax"].iloc[1] == pytest.approx(100.0 + ctx["baseline_value"].iloc[0], rel=1e-6)
    assert "ctx: ambiguous fit: maximal effect at its limit (the response falling to -100)" in out.stdout
    printed = next(ln.split() for ln in out.stdout.splitlines() if ln.split()[:1] == ["bone_volume"])
    # ic50, its interval, hill and emax printed empty: the next field is emax_scale
    assert printed[1] == "fraction" and "NaN" not in out.stdout
    out = run(*args, str(tmp_path / "e.csv"), "--readout", "osteoclasts")  # the older spelling
    assert out.returncode == 0, out.stderr
    assert list(pd.read_csv(tmp_path / "e_fits.csv")["readout"]) == ["osteoclasts"]


def test_a_knockdown_series_is_fitted_on_the_fraction_removed(tmp_path):
    out = run("dose-response", "bone", "--perturb", "kd:RANKL", "--levels", "0:1:6", "--readouts",
              "osteoclasts", "--out", str(tmp_path / "k.csv"))
    assert out.returncode == 0, out.stderr
    assert "IC50 as a dose: fraction of RANKL expression removed" in out.stdout
    series, fits = pd.read_csv(tmp_path / "k.csv"), pd.read_csv(tmp_path / "k_fits.csv")
    assert series["dose"].tolist() == pytest.approx((1 - series["level"]).tolist())
    # dose 0 (all RANKL kept) is the readout without the knockdown: the fit's baseline
    assert fits["baseline"].iloc[0] == series["baseline_value"].iloc[0]
    assert 0 < fits["ic50"].iloc[0] < 1 and fits["emax"].iloc[0] == pytest.approx(1.0, abs=0.01)


def test_thousands_of_levels_are_run_with_a_note_on_what_a_b_n_means(tmp_path):
    """0:1:1001 is 1,001 levels from 0 to 1; whoever meant "0 to 1001 in steps of 1" is told."""
    out = run("dose-response", "osteoclastogenesis", "--perturb", "inh:P38", "--levels", "0:1:1001",
              "--readouts", "nfatc1", "--end", "1", "--out", str(tmp_path / "many.csv"))
    assert out.returncode == 0, out.stderr
    assert ("note: --levels 0:1:1001 is 1,001 levels from 0 to 1 (A:B:N gives N evenly spaced levels, not "
            "a step); a Hill fit needs tens, such as 0:1:11") in out.stderr
    assert len(pd.read_csv(tmp_path / "many.csv")) == 1001
    few = run("dose-response", "osteoclastogenesis", "--perturb", "inh:P38", "--levels", "0:1:11",
              "--readouts", "nfatc1", "--end", "1", "--out", str(tmp_path / "few.csv"))
    assert few.returncode == 0 and "note: --levels" not in few.stderr, few.stderr


@pytest.mark.parametrize("order", ["p_first", "p_last"])
def test_dose_response_without_perturb_but_with_p_says_which_is_the_dosed_one(order):
    """-p is --perturb in simulate and screen, but dose-response's background: a series written with
    -p alone is told that --perturb names the dosed perturbation, whichever order the options come
    in; without -p the parser's message is as for any missing option."""
    args = ["-p", "inh:P38", "--levels", "0:1:6"] if order == "p_first" else ["--levels", "0:1:6", "-p",
                                                                                "inh:P38"]
    out = run("dose-response", "bone", *args)
    said = out.stderr.strip().replace("python -m rankl_net", "rankl-net")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert said.startswith("error: Missing option '--perturb' (got -p inh:P38): ")
    assert "--perturb inh:X (or kd:X, oe:X, set:ID, drug:NAME) names the dosed perturbation" in said
    assert "-p gives a background applied in every level and in the reference" in said
    assert "Did you mean --perturb inh:P38?" in said
    # a knockout cannot be dosed: no suggestion to dose it
    knockout = run("dose-response", "bone", "-p", "ko:OPG", "--levels", "0:1:6")
    assert "names the dosed perturbation" in knockout.stderr and "Did you mean" not in knockout.stderr
    # a drug's regimen is suggested as the series of its doses, on its schedule
    drug = run("dose-response", "clinical", "-p", "drug:denosumab=60mg/6mo", "--levels", "1,3,10,30,60")
    assert "Did you mean --perturb drug:denosumab/6mo?" in drug.stderr
    plain = run("dose-response", "bone", "--levels", "0:1:6")
    assert plain.stderr.strip().replace("python -m rankl_net", "rankl-net") == (
        "error: Missing option '--perturb'; `rankl-net dose-response --help` lists the options")


def test_a_screen_given_both_knockouts_and_conditions_says_not_both(tmp_path):
    """--knockouts and --conditions are alternatives: both given is refused as such (a missing
    file said as well), neither given asks for one; nothing is written."""
    conditions = tmp_path / "c.txt"
    conditions.write_text("ko:OPG\n", encoding="utf-8")
    out = tmp_path / "x.parquet"
    both = run("screen", "bone", "--knockouts", "RANKL", "--conditions", str(conditions), "--out", str(out))
    assert both.returncode == 2 and "give either --knockouts or --conditions, not both:" in both.stderr
    missing = run("screen", "bone", "--knockouts", "RANKL", "--conditions", str(tmp_path / "nofile.txt"),
                  "--out", str(out))
    assert missing.returncode == 2
    assert f"not both (and {tmp_path / 'nofile.txt'}: no such file)" in missing.stderr
    neither = run("screen", "bone", "--out", str(out))
    assert neither.returncode == 2 and "not both" not in neither.stderr
    assert "give the conditions: --knockouts all|X,Y,... or --conditions FILE" in neither.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


@pytest.mark.parametrize("table", ["d.csv", "d.parquet"])
def test_report_of_the_fits_of_a_dose_response_points_to_its_table(tmp_path, table):
    """report takes a dose-response table, not the NAME_fits.csv written beside it: given the
    fits, it names the table (which it reports), or says the table is not there."""
    out = run("dose-response", "osteoclastogenesis", "--perturb", "inh:P38", "--levels", "0:1:6",
              "--readouts", "nfatc1", "--end", "24", "--out", str(tmp_path / table))
    assert out.returncode == 0, out.stderr
    fits = tmp_path / "d_fits.csv"
    said = run("report", str(fits))
    assert said.returncode == 2 and "not a table that report draws" not in said.stderr
    assert f"{fits} holds the Hill fits that dose-response writes beside its table" in said.stderr
    assert said.stderr.strip().endswith(f"`rankl-net report {tmp_path / table}`")
    assert not (tmp_path / "d_fits.html").exists()
    assert run("report", str(tmp_path / table)).returncode == 0  # the table it points to is reported
    (tmp_path / table).unlink()
    alone = run("report", str(fits))
    assert alone.returncode == 2
    assert f"the table it was written beside ({tmp_path / 'd.csv'}, or .parquet) is not there" in alone.stderr


def test_simulate_writes_csv_and_plot(tmp_path):
    out = run(
        "simulate",
        "osteoclastogenesis",
        "--end",
        "72",
        "--points",
        "13",
        "--out",
        str(tmp_path / "t.csv"),
        "--plot",
        str(tmp_path / "t.png"),
    )
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(tmp_path / "t.csv")
    assert frame.columns[0] == "time" and "nfatc1" in frame.columns
    assert (tmp_path / "t.png").stat().st_size > 1000


def _figures_of(monkeypatch, *args: str) -> tuple[list, str]:
    """The matplotlib figures a command draws (in this process) and its output."""
    from click.testing import CliRunner

    from rankl_net import plots
    from rankl_net.cli import main

    figures: list = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return figures, res.output


def test_the_plot_of_simulate_draws_each_readout_of_the_table(tmp_path, monkeypatch):
    """One panel per readout, titled by it, drawing the table's values over its times (up to the
    unit's display scale)."""
    figures, _ = _figures_of(monkeypatch, "simulate", "bone", "--end", "84", "--points", "13", "--readouts",
                             "osteoclasts,bone_volume,ctx", "--out", str(tmp_path / "b.csv"),
                             "--plot", str(tmp_path / "b.png"))
    frame = pd.read_csv(tmp_path / "b.csv")
    (fig,) = figures
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert list(panels) == ["osteoclasts", "bone_volume", "ctx"]
    for readout, ax in panels.items():
        (line,) = ax.get_lines()
        x, y = line.get_data()
        np.testing.assert_allclose(x, frame["time"])
        scale = np.ptp(y) / np.ptp(frame[readout])
        np.testing.assert_allclose(y, scale * frame[readout], rtol=1e-9, atol=1e-12 * np.abs(y).max())
    assert fig.get_suptitle().startswith("bone (mouse)")
    # each x axis names its quantity and unit: bone counts days
    assert {ax.get_xlabel() for ax in panels.values()} == {"time (day)"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "boen"], "Did you mean 'bone'"),
        (["simulate", "nosuch.xml"], "nosuch.xml: no such file"),  # before asking for --end
        (["simulate", "bone", "--baseline", "initial"],
         "--baseline (baseline= in Python) applies to an SBML file"),
        (["export", "bone", "--format", "sbml", "--context", "human", "--out", "x.xml"],
         "--context applies to the sbml-baseline, sedml, omex, petab exports"),
        (["export", "bone", "--format", "petab", "--experiment", "genetic_lines", "--out", "p"],
         "--experiment genetic_lines applies to the sedml and omex exports"),
        (["simulate", "bone", "-p", "ko:OPGG"], "Did you mean 'OPG'"),
        (["simulate", "bone", "--readouts", "osteoclast"], "Did you mean 'osteoclasts'"),
        (["simulate", "bone", "-p", "kd:OPG=2"], "between 0 and 1"),
        (["simulate", "bone", "-p", "inh:CTSK=90"], "90 % is inh:CTSK=0.9"),
        (["simulate", "bone", "-p", "oe:OPG=0"], "for a knockout write ko:OPG"),
        (["simulate", "bone", "--context", "rat"], "unknown context"),
        (["simulate", "bone", "--end", "-5"], "end time"),
        (["simulate", "bone", "--readouts", ","], "names no readout"),
        (["simulate", "bone", "--readouts", "opg_free,,rankl_free"],
         "--readouts has an empty name between commas: 'opg_free,,rankl_free'"),
        (["simulate", "bone", "--readouts", "opg_free,"], "--readouts ends in a comma, with no name after"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:9", "--readouts", ",ctx"],
         "--readouts starts with a comma, with no name before it: ',ctx'"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0,0.2,,0.6,0.8,1"],
         "levels has an empty level between commas: '0,0.2,,0.6,0.8,1'"),
        (["phenotypes", "--out", "lines.png"], "overwritten by the figure"),
        (["phenotypes", "--out", "lines.json"], "a table is written as CSV, or as Parquet for a name ending"),
        (["simulate", "bone", "-p", "ko:OPG,ko:RANK"],
         "join perturbations with '+', not ',' (ko:OPG+ko:RANK)"),
        (["simulate", "bone", "-p", "KO:OPG"], "kinds are written in lower case (ko:OPG)"),
        (["export", "models/sbml/bone.xml", "--format", "omex", "--out", "x.omex"],
         "export writes the shipped models (osteoclastogenesis, bone, bone_tumour, clinical)"),
        (["report", "README.md"], "README.md is not a screen's results; give a screen folder"),
        (["experiment", "no/such.toml"], "no such experiment file (relative to "),
        (["experiment", "/no/such.toml"], "no such experiment file; the shipped ones are tumour.toml in "),
        (["regimens", "--out", "r.csv"], "--out r.csv: this command writes a folder of files"),
        (["experiment", str(paths.EXPERIMENTS / "tumour.toml"), "--out", "x.csv"],
         "--out x.csv: this command writes a folder"),
        (["simulate", "clinical", "-p", "drug:denosumab=60"],
         "expected a number with g, mg, ug (or mcg) or ng"),
        (["simulate", "bone", "--context", ""], "unknown context ''. Valid context names: human, mouse"),
        (["simulate", "bone", "--context", "rats"],
         "unknown context 'rats'. Valid context names: human, mouse"),
        (["simulate", "clinical", "-p", "drug:alendronate=70mg"],
         "unknown drug 'alendronate'. Valid drug names, with their aliases"),
        (["simulate", "clinical", "-p", "drug:denosumab=60mg/6mo@1mo*2"],
         "the number of doses (*N) comes before the start (@START): drug:denosumab=60mg/6mo*2@1mo"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, needle):
    out = run(*args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.parametrize(("text", "names"), [
    ("OPG", ["OPG"]), ("OPG, RANKL ,CTSK", ["OPG", "RANKL", "CTSK"]), ("", []), (" , ", []), (",", []),
])
def test_a_comma_list_gives_its_names(text, names):
    assert comma_list(text, "--knockouts") == names


@pytest.mark.parametrize(("text", "message"), [
    ("OPG,,RANKL", "--knockouts has an empty name between commas: 'OPG,,RANKL'"),
    ("OPG, ,RANKL", "--knockouts has an empty name between commas: 'OPG, ,RANKL'"),
    ("OPG,", "--knockouts ends in a comma, with no name after it: 'OPG,'"),
    (",OPG", "--knockouts starts with a comma, with no name before it: ',OPG'"),
])
def test_a_comma_list_with_an_empty_name_is_refused(text, message):
    """Every comma list (--readouts, --knockouts, --levels, a string of names in Python) is read by
    one helper: an empty name may be one left out, so it is refused rather than dropped."""
    with pytest.raises(InputError, match="^" + re.escape(message + "; give the names separated by single "
                                                         "commas") + "$"):
        comma_list(text, "--knockouts")


def test_a_dataframe_or_series_given_where_it_does_not_belong_is_described_briefly(tmp_path, monkeypatch):
    """A pandas table in a message is its size and first column names (or values), on one line:
    not its repr cut short ("DataFrame condi... x 10 columns]")."""
    from rankl_net.errors import given
    from rankl_net.screens import run_screen

    columns = ["condition_id", "perturbation", "background", "readout", "value", "baseline_value",
               "log2_fold_change", "status", "message", "unit"]
    frame = pd.DataFrame({c: [f"{c}{k}" for k in range(20)] for c in columns})
    described = f"DataFrame of 20 rows and 10 columns ({', '.join(columns[:6])}, ...)"
    assert given(frame) == described
    assert given(frame[["perturbation"]].head(1)) == "DataFrame of 1 row and 1 column (perturbation)"
    assert given(pd.DataFrame()) == "DataFrame of 0 rows and 0 columns"
    assert given(frame["status"]) == (f"Series 'status' of 20 values "
                                      f"[{', '.join(repr(f'status{k}') for k in range(6))}, ...]")
    assert given(pd.Series(["ko:RANKL"])) == "Series of 1 value ['ko:RANKL']"
    assert given(pd.Index(["a", "b"])) == "Index of 2 values ['a', 'b']"
    assert given([1, 2]) == "list [1, 2]"  # anything else as before
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        run_screen("bone", frame, workers=1, end=7)
    assert str(caught.value).endswith(f"got {described}")


def test_integration_failure_exits_3():
    out = run("simulate", "osteoclastogenesis", "-p", "set:k_nfkb_import=1e30", "--end", "72")
    assert out.returncode == 3
    assert "integration failed" in out.stderr
    assert "Traceback" not in out.stderr
    # the million-fold change that is the likely cause is noted before the run
    assert "note: set:k_nfkb_import=1e30: sets k_nfkb_import to 1e+30" in out.stderr


def test_unwritable_output_exits_2_and_writes_nothing(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep")
    out = run("simulate", "bone", "--out", str(target / "sub" / "x.csv"))
    assert out.returncode == 2
    assert target.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "bone", "--end", "1", "--plot", "{tmp}/curves.txt"], "figure's file name ends in"),
        (["simulate", "bone", "--end", "1", "--points", "100000000"], "points must be from 2 to 1,000,000"),
        (["simulate", "bone", "--end", "1", "--readouts", "ctx,ctx"], "'ctx' is listed more than once"),
        (["simulate", "bone", "--end", "1", "--plot", "{tmp}/curves"], "figure's file name ends in"),
        (["simulate", "bone", "--end", "1", "--out", "{tmp}/t.png", "--plot", "{tmp}/t.png"],
         "a table is written as CSV, or as Parquet for a name ending in .parquet"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:9", "--out", "{tmp}/d.xlsx"],
         "a table is written as CSV, or as Parquet for a name ending in .parquet"),
        (["screen", "bone", "--knockouts", "OPG", "--out", "{tmp}/s.csv"],
         "a screen writes a Parquet dataset"),
        (["export", "bone", "--format", "omex", "--out", "{tmp}/keep/x.omex"], "keep is a file"),
        (["export", "bone", "--format", "petab", "--out", "{tmp}/keep"], "keep is a file"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:9", "--out", "{tmp}/d.csv"],
         "d_fits.csv is a folder"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0,0.5,1"], "at least 5"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0,0,0,0,0,0"], "at least 5"),
        (["dose-response", "bone", "--perturb", "set:k_rankl_production", "--levels", "-4,-3,-2,-1,0"],
         "no dose above 0"),
        (["phenotypes", "--out", "{tmp}/lines.csv"], "lines.png is a folder"),
        # a name ending in '/' (or in '/.') names a folder, not a file called "results"
        (["simulate", "bone", "--end", "1", "--out", "{tmp}/results/"], "such as {tmp}/results/table.csv"),
        (["simulate", "bone", "--end", "1", "--out", "{tmp}/results/."], "such as {tmp}/results/table.csv"),
        (["simulate", "bone", "--end", "1", "--plot", "{tmp}/figs/"], "such as {tmp}/figs/figure.png"),
        (["phenotypes", "--out", "{tmp}/results/"], "names a folder"),
        (["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:9", "--out", "{tmp}/results/"],
         "names a folder"),
        (["export", "bone", "--format", "sbml", "--out", "{tmp}/results/"], "only petab writes a folder"),
        (["export", "bone", "--format", "sbml", "--out", "{tmp}/b.omex"],
         ".omex is not a suffix of the sbml format; give a name ending in .xml or .sbml"),
        (["export", "bone", "--format", "petab", "--out", "{tmp}/p.xml"], "petab writes a folder"),
        (["export", "bone", "--format", "petab", "--out", "{tmp}/mine"],
         "not a PEtab export of bone (README.md); they would be overwritten"),
        # a refused command creates no folder either
        (["simulate", "bone", "--out", "{tmp}/new/t.csv", "--plot", "{tmp}/new/t.txt"], "ends in"),
        (["simulate", "bone", "--out", "{tmp}/dangling.csv"], "which does not exist"),
        (["simulate", "bone", "--out", "{tmp}/dangling/t.csv"], "which does not exist"),
        (["screen", "bone", "--knockouts", "OPG", "--out", "{tmp}/dangling"], "which does not exist"),
        (["phenotypes", "--out", "/dev/stdout"], "is not an output file here"),
        (["export", "bone", "--format", "sbml", "--out", "models/sbml/bone.xml"],
         "shipped model file itself"),
        (["report", "/"], "give --out"),
        (["export", "bone", "--format", "sedml", "--out", "{tmp}/b.sedml"],
         "bone_mouse_baseline.xml is a folder"),
        (["export", "bone", "--format", "sedml", "--context", "human", "--out",
          "{tmp}/bone_human_baseline.xml"], "the name of the model file"),
        (["experiment", "experiments/tumour.toml", "--only", "rank_status", "--out", "{tmp}/new"],
         "rank_status.png is a folder"),
        (["regimens", "rank_fc_vs_opg_fc", "--out", "{tmp}/new"], "rank_fc_vs_opg_fc.png is a folder"),
        # '-' is standard output for simulate only: a folder of files was once made with that name
        (["regimens", "rank_fc_vs_opg_fc", "--out", "-"],
         "--out -: this command writes a folder of files (a table and a figure per experiment), which "
         "standard output cannot hold; give a folder name such as results/regimens"),
        (["experiment", "experiments/tumour.toml", "--only", "rank_status", "--out", "-"],
         "--out -: this command writes a folder of files"),
        (["regimens", "rank_fc_vs_opg_fc", "--out", "/dev/stdout"], "which standard output cannot hold"),
        (["screen", "bone", "--knockouts", "OPG", "--out", "-"], "'-' is not an output folder here"),
    ],
)
def test_outputs_are_checked_before_any_work(tmp_path, args, needle):
    (tmp_path / "keep").write_text("keep")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "README.md").write_text("mine")
    (tmp_path / "d_fits.csv").mkdir()
    (tmp_path / "lines.png").mkdir()
    (tmp_path / "bone_mouse_baseline.xml").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    for name in ("rank_status.png", "rank_fc_vs_opg_fc.png"):  # inside a folder to be made
        if name.split(".")[0] in " ".join(args):
            (tmp_path / "new" / name).mkdir(parents=True)
    before = sorted(p.name for p in tmp_path.iterdir())
    inside = sorted(p.name for p in (tmp_path / "new").iterdir()) if (tmp_path / "new").exists() else None
    out = run(*(a.format(tmp=tmp_path) for a in args), cwd=paths.ROOT)
    assert out.returncode == 2, out.stderr
    assert needle.format(tmp=tmp_path) in out.stderr and "Traceback" not in out.stderr
    assert not (paths.ROOT / "-").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    if inside is not None:
        assert sorted(p.name for p in (tmp_path / "new").iterdir()) == inside
    assert (tmp_path / "keep").read_text(encoding="utf-8") == "keep"
    assert (tmp_path / "mine" / "README.md").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(("fmt", "out", "example"),
                         [("petab", "", "bone_petab"), ("sedml", " ", "bone.sedml")])
def test_an_empty_export_name_is_refused(tmp_path, fmt, out, example):
    """`--out "$DIR"` with DIR unset: a PEtab problem was written into the working folder, and a
    blank name became a file called ' '."""
    res = run("export", "bone", "--format", fmt, "--out", out, cwd=tmp_path)
    assert res.returncode == 2 and not list(tmp_path.iterdir()), res.stdout
    kind = "folder" if fmt == "petab" else "file"
    assert f"error: --out: the name is empty; give a {kind} name, such as {example}" in res.stderr


def _make_unwritable(path: Path, flag: str) -> bool:
    """Make the existing file ``path`` unwritable: as root with ``chattr`` ``flag`` (+i
    immutable, +a append-only), otherwise read-only; False when this file system cannot."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("flag", ["+i", "+a"])
@pytest.mark.parametrize("through", ["", "new/../"])  # a '..' after a folder still to be made
def test_an_existing_file_that_cannot_be_written_is_refused_up_front(tmp_path, flag, through):
    figure = tmp_path / "t.png"
    figure.write_text("keep", encoding="utf-8")
    if not _make_unwritable(figure, flag):
        pytest.skip(f"this file system cannot make a file unwritable to root (chattr {flag})")
    try:  # the figure is written after the table: the table must not be written either
        out = run("simulate", "bone", "--out", str(tmp_path / "t.csv"),
                  "--plot", f"{tmp_path}/{through}t.png")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-" + flag[1:], str(figure)], check=True)
    assert out.returncode == 2, out.stderr
    assert f"cannot write {figure}" in out.stderr and "Traceback" not in out.stderr
    assert figure.read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.png"]


def test_missing_folders_are_made_when_the_file_is_written(tmp_path):
    target = tmp_path / "a" / "b" / "t.csv"
    out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx", "--out", str(target))
    assert out.returncode == 0, out.stderr
    assert list(pd.read_csv(target).columns) == ["time", "ctx"]
    # the '..' of a part still to be made is collapsed: no folder is made for it
    out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx",
              "--out", f"{tmp_path}/c/../u.csv")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "u.csv").is_file() and not (tmp_path / "c").exists()
    # a '..' after an existing link is the file system's: the parent of the link's target
    (tmp_path / "target" / "deep").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "target" / "deep")
    out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx",
              "--out", f"{tmp_path}/d/../link/../v.csv")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "target" / "v.csv").is_file() and not (tmp_path / "d").exists()


def test_dev_stdout_is_standard_output(tmp_path):
    out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx", "--out", "/dev/stdout")
    assert out.returncode == 0, out.stderr
    assert list(pd.read_csv(io.StringIO(out.stdout)).columns) == ["time", "ctx"]


def test_a_named_pipe_takes_the_table(tmp_path):
    pipe = tmp_path / "table.csv"
    os.mkfifo(pipe)
    with subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE, text=True) as reader:
        out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx", "--out", str(pipe))
        received = reader.communicate(timeout=60)[0]
    assert out.returncode == 0, out.stderr
    assert list(pd.read_csv(io.StringIO(received)).columns) == ["time", "ctx"]


def test_a_petab_folder_is_checked_file_by_file_before_any_work(tmp_path):
    (tmp_path / "problem" / "problem.yaml").mkdir(parents=True)
    out = run("export", "bone", "--format", "petab", "--out", str(tmp_path / "problem"))
    assert out.returncode == 2 and "problem.yaml is a folder" in out.stderr, out.stderr
    assert [p.name for p in (tmp_path / "problem").iterdir()] == ["problem.yaml"]


@pytest.mark.parametrize(("ids", "said"), [
    (("a", "a_checks"), "experiments a and a_checks would both write"),
    # opg_ko.csv and OPG_ko.csv are one file on macOS and Windows: the second would replace the first
    (("opg_ko", "OPG_ko"), "experiments opg_ko and OPG_ko would both write .* differ only in case, one file "
                           "on macOS and Windows"),
])
def test_experiments_that_would_write_the_same_file_are_refused(tmp_path, ids, said):
    one = ('[[experiments]]\nid = "{id}"\ntitle = "t"\nmodel = "bone"\nend = 7\nreadouts = ["ctx"]\n'
           'conditions = [{{ label = "a", spec = "" }}]\n')
    spec = tmp_path / "two.toml"
    spec.write_text("".join(one.format(id=i) for i in ids), encoding="utf-8")
    out = run("experiment", str(spec), "--out", str(tmp_path / "results"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert re.search(said, out.stderr), out.stderr
    assert not (tmp_path / "results").exists()
    arms = '[{name}]\ntitle = "t"\nend = "1wk"\narms.untreated = []\n'
    regimens = tmp_path / "regimens.toml"
    regimens.write_text(arms.format(name="deno") + arms.format(name="Deno"), encoding="utf-8")
    out = run("regimens", "--file", str(regimens), "--out", str(tmp_path / "results"))
    assert out.returncode == 2 and "experiments deno and Deno would both write" in out.stderr, out.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("command", [["experiment"], ["regimens", "--file"]])
def test_an_input_file_that_is_a_folder_a_device_or_empty_says_so(tmp_path, command):
    what = "an experiment file" if command == ["experiment"] else "a regimen file"
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    for given, said in [(tmp_path, f"{tmp_path} is a folder, not {what}; give a file (.toml)"),
                        ("/dev/null", f"/dev/null is a device, not a regular file; give {what} (.toml)"),
                        (tmp_path / "empty.toml", f"{tmp_path / 'empty.toml'} is empty")]:
        out = run(*command, str(given), "--out", str(tmp_path / "results"))
        assert out.returncode == 2 and said in out.stderr, out.stderr
        assert "no such" not in out.stderr and "Traceback" not in out.stderr


def test_a_write_that_fails_names_its_file(tmp_path):
    """A full disk (ENOSPC: /dev/full) gives an OSError without a file name: the message said
    "error: No space left on device" and not which file."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    out = run("simulate", "bone", "--end", "1", "--points", "3", "--out", "/dev/full")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: cannot write /dev/full: No space left on device"
    out = run("export", "bone", "--format", "sbml", "--out", "/dev/full")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: cannot write /dev/full: No space left on device"
    (tmp_path / "t.png").symlink_to("/dev/full")  # a figure, written by matplotlib
    out = run("simulate", "bone", "--end", "1", "--points", "3", "--plot", str(tmp_path / "t.png"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: cannot write {tmp_path / 't.png'}: No space left on device"
    (tmp_path / "r.html").symlink_to("/dev/full")
    table = tmp_path / "s.csv"
    pd.DataFrame({"perturbation": ["ko:OPG"], "readout": ["ctx"], "log2_fold_change": [1.0],
                  "status": ["ok"]}).to_csv(table, index=False)
    out = run("report", str(table), "--out", str(tmp_path / "r.html"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: cannot write {tmp_path / 'r.html'}: No space left on device"


def test_version_is_the_package_version():
    import rankl_net

    out = run("--version")
    assert out.returncode == 0 and out.stdout.split()[-1] == rankl_net.__version__


def test_out_dash_is_standard_output(tmp_path):
    out = run("simulate", "bone", "--end", "7", "--points", "3", "--readouts", "ctx", "--out", "-",
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert list(pd.read_csv(io.StringIO(out.stdout)).columns) == ["time", "ctx"]
    assert not (tmp_path / "-").exists()


def test_an_experiment_shows_a_percent_change_that_is_round_off_throughout_as_zero(tmp_path):
    spec = tmp_path / "flat.toml"
    spec.write_text('[[experiments]]\nid = "flat"\ntitle = "t"\nmodel = "bone"\nend = 7\n'
                    'readouts = ["ctx", "osteoclasts"]\nconditions = [{ label = "a", spec = "" }]\n',
                    encoding="utf-8")
    out = run("experiment", str(spec), "--out", str(tmp_path / "results"))
    assert out.returncode == 0, out.stderr
    shown = next(line.split() for line in out.stdout.splitlines() if line.startswith("a "))
    assert shown[1] == "0" and float(shown[2]) > 1e-4, out.stdout  # CTX at baseline; osteoclasts as computed
    table = pd.read_csv(tmp_path / "results" / "flat.csv")
    assert 0 < table.loc[table["readout"] == "ctx", "value"].abs().max() < 1e-6  # the CSV keeps the round-off


def test_an_expectation_may_check_a_readout_the_table_does_not_show(tmp_path):
    spec = tmp_path / "extra.toml"
    spec.write_text('[[experiments]]\nid = "extra"\ntitle = "t"\nmodel = "bone"\nend = 7\n'
                    'readouts = ["bone_volume"]\nconditions = [{ label = "a", spec = "" }, '
                    '{ label = "b", spec = "ko:OPG" }]\nexpectations = [{ readout = "osteoclasts", '
                    'condition = "b", reference = "a", relation = "higher", margin = 0 }]\n',
                    encoding="utf-8")
    out = run("experiment", str(spec), "--out", str(tmp_path / "results"))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert "ok   b: osteoclasts at least 0 % higher than a" in out.stdout
    assert "osteoclasts" not in next(ln for ln in out.stdout.splitlines() if ln.startswith("readout"))
    assert next(ln.split() for ln in out.stdout.splitlines() if ln.startswith("unit")) == ["unit", "%"]


def test_an_experiment_file_is_checked_whole_before_any_runs(tmp_path):
    good = ('[[experiments]]\nid = "first"\ntitle = "t"\nmodel = "bone"\nend = 7\nreadouts = ["ctx"]\n'
            'conditions = [{ label = "a", spec = "" }]\n')
    bad = good.replace('"first"', '"second"').replace('["ctx"]', '["ctxx"]')
    spec = tmp_path / "two.toml"
    spec.write_text(good + bad, encoding="utf-8")
    results = tmp_path / "results"
    out = run("experiment", str(spec), "--out", str(results))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "experiment second" in out.stderr and "Did you mean 'ctx'" in out.stderr
    assert not results.exists()  # the first experiment did not run either
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    out = run("experiment", str(empty), "--out", str(results))
    assert out.returncode == 2 and "defines no experiment" in out.stderr


def test_sbml_without_an_encoding_declaration_is_read_as_utf8(tmp_path):
    text = (paths.SBML / "osteoclastogenesis.xml").read_text(encoding="utf-8")
    bare = tmp_path / "bare.xml"
    bare.write_text(text.replace(' encoding="UTF-8"', "", 1), encoding="utf-8")
    assert "encoding" not in bare.read_text(encoding="utf-8").splitlines()[0]
    tables = [run("simulate", str(f), "--end", "2", "--points", "3", "--readouts", "nfkb_nuclear").stdout
              for f in (paths.SBML / "osteoclastogenesis.xml", bare)]
    assert tables[0] == tables[1] and "nfkb_nuclear" in tables[0]


def test_a_table_named_parquet_is_written_as_parquet(tmp_path):
    out = run("simulate", "bone", "--end", "28", "--points", "5", "--readouts", "bone_volume,ctx",
              "--out", str(tmp_path / "t.parquet"))
    assert out.returncode == 0, out.stderr
    table = pd.read_parquet(tmp_path / "t.parquet")
    assert list(table.columns) == ["time", "bone_volume", "ctx"] and table["time"].tolist()[-1] == 28.0


@pytest.mark.parametrize("name", ["/dev/null", "{tmp}/table", "{tmp}/table.v2", "{tmp}/T.CSV", "{tmp}/fifo"])
def test_a_table_goes_to_any_name_but_another_format(tmp_path, name):
    """Names without a suffix, devices and named pipes still take the CSV table."""
    os.mkfifo(tmp_path / "fifo")
    target = name.format(tmp=tmp_path)
    reader = subprocess.Popen(["cat", target], stdout=subprocess.PIPE) if name.endswith("fifo") else None
    out = run("simulate", "bone", "--end", "1", "--points", "2", "--readouts", "ctx", "--out", target)
    assert out.returncode == 0, out.stderr
    if target != "/dev/null":  # which cannot be read back
        written = reader.communicate(timeout=60)[0].decode() if reader else Path(target).read_text()
        assert written.startswith("time,ctx\n")


def test_a_context_in_another_case_runs_and_is_named_as_the_catalog_names_it(tmp_path, monkeypatch):
    figure = tmp_path / "course.png"
    out = run("simulate", "clinical", "--context", "MOUSE_HURANKL", "--end", "1", "--points", "2",
              "--readouts", "ctx", "--plot", str(figure))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("time,ctx\n") and figure.exists()
    figures, _ = _figures_of(monkeypatch, "simulate", "clinical", "--context", "MOUSE_HURANKL", "--end", "1",
                             "--points", "2", "--readouts", "ctx", "--plot", str(figure))
    assert figures[0].get_suptitle().startswith("clinical (mouse_huRANKL)")  # the catalog's spelling
    said = run("simulate", "bone", "--context", "Humann")
    assert said.returncode == 2 and "unknown context 'Humann'. Did you mean 'human'?" in said.stderr


def test_an_unknown_readout_lists_the_model_readouts_first():
    out = run("simulate", "bone", "--readouts", "bone_volum")
    assert out.returncode == 2
    assert "Did you mean 'bone_volume'? Valid readout names: osteoclasts, osteoblasts, bone_volume, ctx" in (
        out.stderr)


def test_end_required_for_an_sbml_file_names_its_time_unit():
    out = run("simulate", str(paths.SBML / "osteoclastogenesis.xml"))
    assert out.returncode == 2
    assert "osteoclastogenesis.xml measures time in hours; give a number of them or a time with a unit" in (
        out.stderr)


def test_phenotypes_prints_and_writes_the_table(tmp_path):
    out = run("phenotypes", "--out", str(tmp_path / "p.csv"))
    assert out.returncode == 0, out.stdout + out.stderr
    table = pd.read_csv(tmp_path / "p.csv")
    assert table["agrees"].all()
    # the verdict is the table's own columns, not a constant: phenotype as expected, and an
    # osteoclast call that meets its expectation ("present" includes "increased", "any" any)
    osteoclasts_ok = [e == "any" or o == e or (e == "present" and o == "increased")
                      for e, o in zip(table["expected_osteoclasts"], table["osteoclasts"], strict=True)]
    assert (table["phenotype"] == table["expected_phenotype"]).all() and all(osteoclasts_ok)
    assert {"line", "expected_phenotype", "phenotype", "source", "agrees"} <= set(table.columns)
    assert (tmp_path / "p.png").exists()
    assert "lines agree with the literature" in out.stdout
    header = next(line for line in out.stdout.splitlines() if "perturbation" in line).split()
    assert header[:5] == ["line", "perturbation", "bone_volume_pct_wt", "osteoclasts_pct_wt", "ctx_pct_wt"]


@pytest.mark.parametrize("name", ["bone", "osteoclastogenesis"])
def test_validate_shipped_models(name):
    out = run("validate", str(paths.SBML / f"{name}.xml"))
    assert out.returncode == 0, out.stdout
    assert "0 libSBML errors" in out.stdout and "0 libSBML warnings" in out.stdout


def test_an_antimony_file_is_named_by_its_suffix_too(tmp_path):
    f = tmp_path / "bone.ant"
    f.write_text("// a model\nx = 1\n")
    out = run("simulate", str(f), "--end", "1")
    assert out.returncode == 2 and "an Antimony file; rankl-net reads SBML" in out.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not xml at all", "not an XML file"),
        ("model bone\n  J0: -> x; k\nend\n", "an Antimony file; rankl-net reads SBML"),
        ("<?xml version='1.0'?><html></html>", "not SBML"),
        ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><sbml>&a;</sbml>", "entity"),
        ("<?xml version='1.0'?><sbml xmlns='http://www.sbml.org/sbml/level3/version2/core' level='3' "
         "version='2'></sbml>", "the <sbml> element holds no <model>"),
    ],
)
def test_validate_refuses_bad_files(tmp_path, content, needle):
    f = tmp_path / "bad.xml"
    f.write_text(content)
    out = run("validate", str(f))
    assert out.returncode == 2
    assert needle in out.stderr


@pytest.mark.parametrize("command", [["validate"], ["simulate", "--end", "1"]])
def test_a_missing_file_named_as_a_shipped_model_points_to_its_name(tmp_path, command):
    out = run(command[0], "bone.xml", *command[1:], cwd=tmp_path)
    assert out.returncode == 2, out.stdout
    assert (f"error: bone.xml: no such file; the shipped model goes by its name, bone, from any folder (its "
            f"file is {paths.SBML / 'bone.xml'})") in out.stderr
    assert "error: nope.xml: no such file\n" in run(command[0], "nope.xml", *command[1:], cwd=tmp_path).stderr


def test_validate_names_the_exchange_files_that_are_not_sbml(tmp_path):
    """An export's SED-ML or COMBINE archive given to validate (or simulate) says what it is and
    which file to give; so does an empty file."""
    sedml = tmp_path / "bone.sedml"
    out = run("export", "bone", "--format", "sedml", "--out", str(sedml))
    assert out.returncode == 0, out.stderr
    (tmp_path / "empty.xml").touch()
    (tmp_path / "bone.omex").write_bytes(b"PK\x03\x04" + bytes(60))  # a zip file's signature
    (tmp_path / "page.xml").write_text('<?xml version="1.0"?>\n<!-- a <b>page</b> -->\n<html/>\n')
    for name, message in [
        ("bone.sedml", "bone.sedml: a SED-ML file (a simulation experiment), not SBML; give the model file "
         "it names (bone_mouse_baseline.xml, relative to its folder)"),
        ("bone.omex", "bone.omex: a zip archive (a COMBINE archive, .omex, is one), not an SBML file; give "
         "the SBML file inside it"),
        ("empty.xml", "empty.xml: an empty file, not an SBML file"),
        ("page.xml", "page.xml: XML but not SBML (its root element is <html>, not <sbml>)"),
    ]:
        out = run("validate", str(tmp_path / name))
        assert out.returncode == 2 and message in out.stderr, out.stderr
    out = run("validate", str(tmp_path / "bone_mouse_baseline.xml"))  # the file the SED-ML names
    assert out.returncode == 0 and "0 libSBML errors" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["simulate", "bone", "--points", "many"],
     "error: Invalid value for '--points': 'many' is not a valid integer; `rankl-net simulate --help` "
     "lists the options"),
    (["simulate"], "error: Missing argument 'MODEL'; `rankl-net simulate --help` lists the options"),
    (["nosuch"], "error: No such command 'nosuch'; `rankl-net --help` lists the commands"),
    (["simulat"], "error: No such command 'simulat'. Did you mean 'simulate'? `rankl-net --help` lists the "
     "commands"),
    (["--bogus"], "error: No such option '--bogus'; `rankl-net --help` lists the options"),
    # an option without its argument: the command's options, not rankl-net's commands
    (["simulate", "bone", "-p"], "error: Option '-p' requires an argument; `rankl-net simulate --help` lists "
     "the options"),
    (["phenotypes", "--out", ""], "error: Invalid value for '--out': the name is empty; give a file name, "
     "such as table.csv; `rankl-net phenotypes --help` lists the options"),
])
def test_options_the_parser_refuses_are_messages_like_the_others(args, message):
    out = run(*args)
    said = out.stderr.strip().replace("python -m rankl_net", "rankl-net")  # as it was started
    assert out.returncode == 2 and said == message and "Usage:" not in out.stderr


def test_validate_lists_the_errors_libsbml_finds_while_reading(tmp_path):
    """A species without hasOnlySubstanceUnits (required in Level 3) is an error libSBML reports
    when it reads the file, before any consistency check: validate counts and lists it."""
    f = tmp_path / "no_attribute.xml"
    f.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"><model id="m">'
        '<listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>'
        '<listOfSpecies><species id="X" compartment="c" initialConcentration="1" boundaryCondition="false" '
        'constant="false"/></listOfSpecies></model></sbml>\n', encoding="utf-8")
    out = run("validate", str(f))
    assert out.returncode == 2, out.stderr
    assert "FAIL sbml_errors: 1 libSBML errors" in out.stdout and "20623" in out.stdout


def test_validate_reads_sbml_with_a_byte_order_mark_or_a_long_prolog(tmp_path):
    shipped = (paths.SBML / "bone.xml").read_bytes()
    bom = tmp_path / "bom.xml"
    bom.write_bytes(b"\xef\xbb\xbf" + shipped)
    at = shipped.index(b"<sbml")
    prolog = tmp_path / "prolog.xml"
    prolog.write_bytes(shipped[:at] + b"<!--" + b"x" * 20000 + b"-->\n" + shipped[at:])
    for f in (bom, prolog):
        out = run("validate", str(f))
        assert out.returncode == 0 and "0 libSBML errors" in out.stdout, (f.name, out.stderr)
    utf16 = tmp_path / "utf16.xml"
    utf16.write_text(shipped.decode("utf-8"), encoding="utf-16")
    out = run("validate", str(utf16))
    assert out.returncode == 2 and "XML in UTF-16; save it as UTF-8" in out.stderr
    out = run("validate", "/dev/null")
    assert out.returncode == 2 and "/dev/null: not a regular file" in out.stderr
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as f:  # sparse: the size is checked before anything is read
        f.truncate(51 * 2**20)
    out = run("validate", str(huge))
    assert out.returncode == 2 and "huge.xml: 51.0 MiB is over the 50 MiB limit" in out.stderr


def test_validate_missing_file_exits_2(tmp_path):
    out = run("validate", str(tmp_path / "none.xml"))
    assert out.returncode == 2
    assert "no such file" in out.stderr



def test_validate_takes_a_shipped_model_by_name_from_any_folder(tmp_path):
    by_name = run("validate", "osteoclastogenesis", cwd=tmp_path)
    by_path = run("validate", str(paths.SBML / "osteoclastogenesis.xml"))
    assert by_name.returncode == 0 and by_name.stdout == by_path.stdout
    assert "parameter_sources" in by_name.stdout  # scored as the shipped file it is
    (tmp_path / "osteoclastogenesis").write_text("not SBML")
    shadowed = run("validate", "osteoclastogenesis", cwd=tmp_path)
    assert shadowed.stdout == by_path.stdout  # the name names the model, ./name the file
    assert "./osteoclastogenesis names the file of that name" in shadowed.stderr
    typo = run("validate", "bonee", cwd=tmp_path)
    assert typo.returncode == 2 and typo.stdout == ""
    assert "no such file 'bonee', and unknown model 'bonee'. Did you mean 'bone'?" in typo.stderr
    (tmp_path / "bone").mkdir()  # a folder of a model's name: the name names the model
    shipped = run("validate", str(paths.SBML / "bone.xml")).stdout
    assert run("validate", "bone", cwd=tmp_path).stdout == shipped


def test_validation_given_a_file_points_to_validate():
    out = run("validation", "models/sbml/bone.xml")
    assert out.returncode == 2
    said = "(validation takes none; `rankl-net validate MODEL` checks a shipped model or an SBML file)"
    assert said in out.stderr

CORPUS = paths.ROOT.parent / "shared" / "sbml-corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/sbml-corpus beside the checkout")
@pytest.mark.parametrize(("stem", "timed", "ko"), [
    ("BIOMD0000000010_Kholodenko2000", "MAPK", "MKKK"),
    ("BIOMD0000000140_Hoffmann2002", "IkBalpha", "NFkB"),
    ("BIOMD0000000148_Komarova2003", "y1", "x1"),
    ("BIOMD0000000402_Ayati2010", "z", "Tumour"),
])
def test_public_sbml_file_validates_and_takes_timed_set_and_knockout(tmp_path, stem, timed, ko):
    f = CORPUS / f"{stem}.xml"
    report = run("validate", str(f))
    assert report.returncode == 0 and "score:" in report.stdout
    assert "parameter_sources" not in report.stdout  # provenance is scored for shipped models only
    out = run("simulate", str(f), "--end", "40", "--points", "5", "-p", f"set:{timed}=3@10-30",
              "-p", f"ko:{ko}", "--readouts", f"{timed},{ko}", "--out", str(tmp_path / "k.csv"))
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(tmp_path / "k.csv")
    assert list(frame.columns) == ["time", timed, ko]
    assert (frame[ko] == 0).all()
    plain = run("simulate", str(f), "--end", "40", "--points", "5", "--readouts", timed)
    assert pd.read_csv(io.StringIO(plain.stdout))[timed].iloc[2] != pytest.approx(frame[timed].iloc[2])


def test_a_shipped_models_file_says_it_runs_as_a_file_not_as_the_model(tmp_path):
    """Simulated as a file, a shipped model's SBML starts from the file's initial values with its
    own (human) parameter values, not from the mouse baseline of `simulate bone`: a note says so
    (for a copy too, recognised by content), and nothing is said of a file of one's own."""
    copy = tmp_path / "mine.xml"
    copy.write_bytes((paths.SBML / "bone.xml").read_bytes())
    out = run("simulate", str(copy), "--end", "1", "--points", "2", "--readouts", "ctx")
    assert out.returncode == 0, out.stderr
    assert "mine.xml is the SBML of the shipped model bone" in out.stderr
    assert "initial values, not the model's baseline" in out.stderr and "human context" in out.stderr
    assert "`rankl-net simulate bone`" in out.stderr and "mouse context" in out.stderr
    assert "`rankl-net export bone --format sbml-baseline`" in out.stderr
    # the note is right: the file's time 0 is not the baseline (CTX far from 0 % change)
    assert abs(pd.read_csv(io.StringIO(out.stdout))["ctx"].iloc[0]) > 10
    steady = run("simulate", str(copy), "--end", "1", "--points", "2", "--readouts", "ctx",
                 "--baseline", "steady")
    assert "a steady state found with the file's values" in steady.stderr
    copy.write_text(copy.read_text(encoding="utf-8").replace('name="', 'name="my ', 1), encoding="utf-8")
    mine = run("simulate", str(copy), "--end", "1", "--points", "2", "--readouts", "ctx")
    assert mine.returncode == 0 and "shipped model" not in mine.stderr


def test_the_l2v4_and_comp_exports_say_they_run_as_files_and_the_baseline_export_does_not(tmp_path):
    from rankl_net.exchange import export

    said = {}
    for fmt in ("sbml-l2v4", "comp", "sbml-baseline"):
        path = export("bone", fmt, tmp_path / f"b_{fmt}.xml").paths[0]
        out = run("simulate", str(path), "--end", "1", "--points", "2", "--readouts", "ctx")
        assert out.returncode == 0, out.stderr
        said[fmt] = out.stderr
    assert "b_sbml-l2v4.xml is the sbml-l2v4 export of the shipped model bone" in said["sbml-l2v4"]
    assert "b_comp.xml is the comp export of the shipped model bone" in said["comp"]
    assert "shipped model" not in said["sbml-baseline"]  # it starts at the baseline


def test_a_shipped_models_name_wins_over_a_file_of_that_name_in_the_folder(tmp_path, monkeypatch):
    """`simulate bone` runs the shipped model even when a file called bone is in the working
    folder (it ran the file, from its initial values), and says how to name the file."""
    (tmp_path / "bone").write_bytes((paths.SBML / "bone.xml").read_bytes())
    args = ["--end", "84", "--points", "2", "--readouts", "bone_volume", "-p", "ko:OPG"]
    named = run("simulate", "bone", *args, cwd=tmp_path)
    shipped = run("simulate", "bone", *args)
    assert named.returncode == 0 and named.stdout == shipped.stdout
    assert "note: bone is the shipped model; ./bone names the file of that name" in named.stderr
    as_file = run("simulate", "./bone", *args, cwd=tmp_path)
    assert as_file.returncode == 0 and as_file.stdout != shipped.stdout
    assert "bone is the SBML of the shipped model bone" in as_file.stderr
    # units and percent changes come from the model too (they came from the file)
    (tmp_path / "clinical").write_text("my notes", encoding="utf-8")
    plotted = run("simulate", "clinical", "--end", "10", "--points", "2", "--readouts", "ctx",
                  "--plot", "p.png", "--out", "t.csv", cwd=tmp_path)
    assert plotted.returncode == 0, plotted.stderr
    from rankl_net.catalog import get_model
    from rankl_net.screens import percent_changes, readout_units

    monkeypatch.chdir(tmp_path)
    assert percent_changes("clinical") == get_model("clinical").percent_changes
    assert readout_units("clinical", ["ctx"]) == {"ctx": "% change"}


def test_simulate_file_needs_an_end_time():
    out = run("simulate", str(paths.SBML / "bone.xml"))
    assert out.returncode == 2 and "--end (end= in Python) is required" in out.stderr


@pytest.mark.parametrize("fmt", ["sbml", "sbml-baseline", "antimony", "comp", "sbml-l2v4"])
def test_export_writes_a_readable_model(tmp_path, fmt):
    target = tmp_path / f"bone.{fmt}"
    out = run("export", "bone", "--format", fmt, "--out", str(target))
    assert out.returncode == 0, out.stderr
    text = target.read_text(encoding="utf-8")
    if fmt == "antimony":  # it reads back into the same model
        import antimony

        antimony.clearPreviousLoads()
        assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
        text = antimony.getSBMLString(antimony.getMainModuleName())
    doc = libsbml.readSBMLFromString(text)
    if fmt == "comp":  # flattened, as rankl-net reads it
        from rankl_net.comp import flatten

        doc = libsbml.readSBMLFromString(flatten(text))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    shipped = libsbml.readSBMLFromFile(str(paths.SBML / "bone.xml")).getModel()
    model = doc.getModel()
    assert sorted(s.getId() for s in model.getListOfSpecies()) == sorted(
        s.getId() for s in shipped.getListOfSpecies())
    assert model.getNumReactions() == shipped.getNumReactions()


def test_export_unknown_model_exits_2(tmp_path):
    out = run("export", "boen", "--format", "sbml", "--out", str(tmp_path / "x.xml"))
    assert out.returncode == 2 and "Did you mean 'bone'" in out.stderr


@pytest.mark.parametrize("unbuffered", [True, False])
def test_integrator_warnings_never_enter_a_table_on_stdout(tmp_path, unbuffered):
    # a fast reaction switched on late by an SBML event: CVODE restarts at t = 1e6 with a first
    # step below what the time can resolve, and SUNDIALS prints "t + h = t" warnings on C stdout,
    # which the C library holds in its buffer until the process ends unless Python runs unbuffered
    sbml = antimony_to_sbml("""model late_switch
        compartment C = 1
        species A in C = 1, B in C = 0
        k = 1
        J1: A -> B; C * k * A
        J2: B -> A; C * 1e-3 * B
        E1: at time > 1e6: k = 1e12
        end""", "late_switch")
    model = tmp_path / "late_switch.xml"
    model.write_text(sbml, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    out = subprocess.run([sys.executable, "-m", "rankl_net", "simulate", str(model), "--end", "2e6",
                          "--points", "5"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "t + h = t" in out.stderr  # the warnings happened (no message carries them), on stderr
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert list(frame.columns) == ["time", "A", "B"]
    assert len(frame) == 5 and frame.dtypes.map(pd.api.types.is_numeric_dtype).all()
    assert frame["A"].iloc[-1] == pytest.approx(1e-15, rel=1e-3)  # k_back / k after the switch


def test_a_reader_that_stops_early_gets_no_error_message():
    proc = subprocess.Popen([sys.executable, "-m", "rankl_net", "simulate", "bone", "--end", "10",
                             "--points", "20000", "--readouts", "osteoclasts"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().decode().strip() == "time,osteoclasts"
    proc.stdout.close()  # as `rankl-net simulate ... | head -1` does
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert err.decode() == ""


def test_ctrl_c_is_one_line_and_exit_code_1(monkeypatch):
    """An interrupted command says so in one line (not click's "Aborted!") and exits 1."""
    from click.testing import CliRunner

    from rankl_net import cli
    from rankl_net.model import Model

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Model, "simulate", interrupted)
    result = CliRunner().invoke(cli.main, ["simulate", "bone", "--end", "1"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "interrupted" and "Aborted!" not in result.output


def test_a_folder_given_as_the_model_is_named_as_a_folder(tmp_path, monkeypatch):
    """`simulate /tmp` said "unknown model '/tmp'"; a folder named like a shipped model (./bone)
    does not hide the model."""
    from click.testing import CliRunner

    from rankl_net import cli

    result = CliRunner().invoke(cli.main, ["simulate", str(tmp_path), "--end", "1"])
    assert result.exit_code == 2 and "is a folder, not a model" in result.output
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bone").mkdir()
    result = CliRunner().invoke(cli.main, ["simulate", "bone", "--end", "1", "--points", "2",
                                           "--readouts", "ctx"])
    assert result.exit_code == 0 and result.output.startswith("time,ctx")


def _last_time(output: str) -> float:
    """The time of the last row of a simulate table printed to stdout."""
    return float(output.strip().splitlines()[-1].split(",")[0])


# none of them the model's default end, which a time left unconverted would fall back to
@pytest.mark.parametrize(("model", "end", "expected"), [
    ("bone", "10wk", 70.0),  # days
    ("osteoclastogenesis", "2D", 48.0),  # hours; units in any case
    ("osteoclastogenesis", "90min", 1.5),
    ("osteoclastogenesis", "5400s", 1.5),
    ("clinical", "6mo", 365.25 / 2),
    (str(paths.SBML / "bone.xml"), "36h", 1.5),  # a file declaring days
    ("bone", "60", 60.0),  # a plain number is in the model's unit
    ("bone", "1e-9h", 1e-9 / 24),  # small times keep their digits
])
def test_end_takes_a_time_with_a_unit_converted_to_the_models_unit(model, end, expected):
    from click.testing import CliRunner

    from rankl_net import cli

    result = CliRunner().invoke(
        cli.main, ["simulate", model, "--end", end, "--points", "2", "--readouts", "NFATC1_act"])
    assert result.exit_code == 0, result.stderr
    assert _last_time(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_end_with_a_unit_is_refused_for_a_file_without_a_time_unit_and_bad_times(tmp_path, with_time_unit):
    from click.testing import CliRunner

    from rankl_net import cli

    plain = tmp_path / "plain.xml"
    plain.write_text(antimony_to_sbml("model plain\n J0: -> x; k\n x = 0; k = 1\nend"), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["simulate", str(plain), "--end", "2d", "--points", "2"])
    assert result.exit_code == 2 and "plain.xml declares no time unit" in result.output
    assert "plain number" in result.output
    result = CliRunner().invoke(cli.main, ["simulate", str(plain), "--end", "2", "--points", "2"])
    assert result.exit_code == 0 and _last_time(result.output) == 2.0
    for bad, says in (("2x", "neither a number"), ("-3d", "cannot be negative"), ("d", "neither a number"),
                      ("-3x", "neither a number")):
        result = CliRunner().invoke(cli.main, ["simulate", "bone", "--end", bad])
        assert result.exit_code == 2 and says in result.output, bad
    # a unit of the file's own, defined in seconds, converts; "+2d" is read as "+2" is
    weekly = tmp_path / "weekly.xml"
    weekly.write_text(with_time_unit(plain.read_text(encoding="utf-8"), "wk", 604800.0), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["simulate", str(weekly), "--end", "+14d", "--points", "2"])
    assert result.exit_code == 0 and _last_time(result.output) == 2.0
    # without --end, the messages say which times each file takes
    result = CliRunner().invoke(cli.main, ["simulate", str(weekly)])
    assert result.exit_code == 2
    assert "weekly.xml measures time in 'wk'; give a number of them or a time with a unit" in result.output
    result = CliRunner().invoke(cli.main, ["simulate", str(plain)])
    assert result.exit_code == 2 and "plain.xml declares no time unit; give a number" in result.output
    # not a model: the model checks speak, as with a plain number
    result = CliRunner().invoke(cli.main, ["simulate", str(tmp_path), "--end", "2d"])
    assert result.exit_code == 2 and "is a folder, not a model" in result.output


def test_screen_end_with_a_unit_is_recorded_in_the_models_unit(tmp_path):
    import json

    from click.testing import CliRunner

    from rankl_net import cli

    out = tmp_path / "s"
    result = CliRunner().invoke(cli.main, ["screen", "bone", "--knockouts", "OPG", "--end", "2wk",
                                           "--readouts", "bone_volume", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "_screen.json").read_text(encoding="utf-8"))["end"] == 14.0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_behind_standard_output_is_said_once():
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "rankl_net", "models"], stdout=full,
                             stderr=subprocess.PIPE, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == "error: cannot write standard output: No space left on device"


def test_a_table_with_companions_is_not_written_to_a_device():
    """dose-response writes NAME_fits.csv and NAME.png beside its table: beside /dev/null they
    would go into /dev."""
    out = run("dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:5", "--end", "7", "--out",
              os.devnull)
    assert out.returncode == 2 and f"{os.devnull} is not a regular file" in out.stderr
    assert not Path(os.devnull + "_fits.csv").exists()


def test_a_dose_response_figure_is_titled_with_its_context_and_background():
    from rankl_net.catalog import get_model
    from rankl_net.cli import _series_title

    mouse = get_model("bone").default_context
    assert _series_title("bone", None, "inh:CTSK", ("ko:OPG",)) == f"bone ({mouse}): inh:CTSK on ko:OPG"
    assert _series_title("clinical", "Human", "inh:P38", ()) == "clinical (human): inh:P38"
    titled = _series_title("my.xml", None, "set:k1", ("set:k2=1", "ko:A"))
    assert titled == "my.xml: set:k1 on set:k2=1 + ko:A"
    # and the time of the readouts, on which a response under a drug regimen depends (CTX at day
    # 365.25, just before a dose of denosumab every 6 months, is not CTX a week later)
    timed = _series_title("clinical", None, "inh:CTSK", ("drug:denosumab=60mg/6mo",), 365.25, "day")
    assert timed == "clinical (human): inh:CTSK on drug:denosumab=60mg/6mo, readouts at 365.25 days"
    assert _series_title("my.xml", None, "set:k1", (), 1.0, "hour") == "my.xml: set:k1, readouts at 1 hour"
    assert _series_title("my.xml", None, "set:k1", (), 20.0, None) == "my.xml: set:k1, readouts at 20"


@pytest.mark.parametrize(("columns", "own"), [
    ("line,perturbation,phenotype,expected_phenotype,agrees\nOPG-/-,ko:OPG,osteoporotic,osteoporotic,True",
     "this is a table of rankl-net phenotypes, which draws its figure itself, beside the table"),
    ("id,readout,predicted,observed,tolerance,passed\ndmab_cmax,denosumab_serum,7.1,6.8,1.9,True",
     "this is a table of rankl-net validation, which draws its figure itself, beside the table"),
    ("a,b\n1,2", None),
])
def test_report_of_a_table_it_does_not_draw_names_every_kind_it_draws(tmp_path, columns, own):
    """report refuses a table that is none of its kinds, naming all three (a screen's, a
    dose-response table, a sensitivity table) and, for the table of a command that draws its own
    figure, where that figure is."""
    table = tmp_path / "t.csv"
    table.write_text(columns + "\n")
    said = run("report", str(table))
    assert said.returncode == 2 and "Traceback" not in said.stderr
    assert "a dose-response table" in said.stderr and "a sensitivity table" in said.stderr
    assert "a screen's" in said.stderr
    if own:
        assert f"{own} ({tmp_path / 't.png'})" in said.stderr
    else:
        assert "draws its figure itself" not in said.stderr
    assert not (tmp_path / "t.html").exists()


def test_simulate_prints_integration_round_off_as_zero_and_writes_it_as_computed(tmp_path):
    """The wild type's CTX and P1NP are changes from its own baseline: 0 by definition, printed
    as 0 (not -2.2e-07, the integrator's round-off); a real change is printed as it is, and the
    CSV file keeps every value as computed (within round-off of 0)."""
    wild = run("simulate", "bone", "--points", "3", "--readouts", "ctx,p1np,bone_volume")
    assert wild.returncode == 0, wild.stderr
    rows = [line.split(",") for line in wild.stdout.strip().splitlines()]
    assert rows[0] == ["time", "ctx", "p1np", "bone_volume"]
    assert [r[1:] for r in rows[1:]] == [["0", "0", "100"]] * 3
    opg = run("simulate", "bone", "-p", "ko:OPG", "--points", "3", "--readouts", "ctx")
    assert float(opg.stdout.splitlines()[2].split(",")[1]) > 50  # resorption up without OPG
    assert run("simulate", "bone", "--points", "3", "--readouts", "ctx", "--out", str(tmp_path / "w.csv"),
               ).returncode == 0
    written = pd.read_csv(tmp_path / "w.csv")["ctx"]
    assert (written.abs() < 1e-5).all()


def _level2(text: str, minutes: bool) -> str:
    """An SBML Level 2 Version 4 file of the Antimony ``text``, with or without ``time``
    redefined as the minute."""
    doc = libsbml.readSBMLFromString(antimony_to_sbml(text))
    converted = libsbml.ConversionProperties()
    converted.addOption("setLevelAndVersion", True)
    converted.addOption("strict", False)
    converted.setTargetNamespaces(libsbml.SBMLNamespaces(2, 4))
    assert doc.convert(converted) == libsbml.LIBSBML_OPERATION_SUCCESS
    model = doc.getModel()
    if model.getUnitDefinition("time") is not None:
        model.removeUnitDefinition("time")
    if minutes:
        unit = model.createUnitDefinition()
        unit.setId("time")
        u = unit.createUnit()
        u.setKind(libsbml.UNIT_KIND_SECOND)
        u.setExponent(1)
        u.setScale(0)
        u.setMultiplier(60)
    return libsbml.writeSBMLToString(doc)


def test_a_time_with_a_unit_on_a_level_2_file_without_a_time_unit_is_noted_as_seconds(tmp_path):
    """Ayati 2010 (BIOMD0000000402) is in days and declares no time unit: SBML Level 2 then counts
    in seconds, so --end 10d is 864000 of the model's time units, a run 86400 times longer than
    meant. The command says so; a plain number, or a file that declares its unit, needs no note."""
    plain = tmp_path / "plain.xml"
    plain.write_text(_level2("model plain\n J0: -> x; k\n x = 0; k = 1\nend", minutes=False),
                     encoding="utf-8")
    out = run("simulate", str(plain), "--end", "10d", "--points", "2")
    assert out.returncode == 0, out.stderr
    assert pd.read_csv(io.StringIO(out.stdout))["time"].tolist() == [0, 864000]
    assert ("note: plain.xml declares no time unit, so it counts in seconds (SBML Level 2's default): --end "
            "10d is 864000 seconds; if its rates are per minute, hour or day, give --end as a plain number "
            "in that unit") in out.stderr, out.stderr
    quiet = run("simulate", str(plain), "--end", "10", "--points", "2")
    assert quiet.returncode == 0 and "note:" not in quiet.stderr, quiet.stderr
    declared = tmp_path / "declared.xml"
    declared.write_text(_level2("model declared\n J0: -> x; k\n x = 0; k = 1\nend", minutes=True),
                        encoding="utf-8")
    said = run("simulate", str(declared), "--end", "1h", "--points", "2")
    assert said.returncode == 0 and "note:" not in said.stderr, said.stderr
    assert pd.read_csv(io.StringIO(said.stdout))["time"].tolist() == [0, 60]


def test_dose_response_says_a_bad_target_of_perturb_not_of_its_first_condition(tmp_path):
    """The levels are checked before the series runs: what its first level refuses is the target
    of --perturb (a typo, a quantity an assignment rule computes), and the message says so."""
    f = tmp_path / "f.xml"
    f.write_text(antimony_to_sbml("model f\n J0: -> x; k\n y := 2 * k\n x = 0; k = 1\nend"), encoding="utf-8")
    for target, said in (("set:kk", "unknown parameter, species or compartment 'kk'. Did you mean 'k'?"),
                         ("set:y", "y is computed by an assignment rule")):
        out = run("dose-response", str(f), "--perturb", target, "--levels", "0:1:6", "--end", "1")
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        last = out.stderr.strip().splitlines()[-1]
        assert last.startswith(f"error: --perturb {target} (at level 0, {target}=0): "), last
        assert said in last and "condition 1 of 6" not in last, last
