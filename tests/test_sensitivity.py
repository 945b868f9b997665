"""Global sensitivity from the command line and the table it writes: ranges as multiples of a
parameter's value, the settings a table carries, the `sensitivity` command's output, its bad
input and its interruption."""

from __future__ import annotations

import re

import libsbml
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rankl_net import cli
from rankl_net.build import antimony_to_sbml
from rankl_net.errors import InputError
from rankl_net.sensitivity import describe, problem, sample, sensitivity


def test_a_range_may_be_given_as_multiples_of_the_models_value(linear_file):
    prob = problem(str(linear_file), {"k1": ("0.5x", "2X"), "k2": (0.1, " 3x ")})
    assert prob["bounds"] == [[0.25, 1.0], [0.1, 1.5]]
    # a shipped model's value in the context asked for: the bone model's PTH is 3 in the mouse
    assert problem("bone", {"pth": ("0.5x", "2x")}, "mouse")["bounds"] == [[1.5, 6.0]]
    with pytest.raises(InputError, match=r"k1: 'ax' is neither a number nor a multiple of the model's value"):
        problem(str(linear_file), {"k1": ("ax", "2x")})
    with pytest.raises(InputError, match=r"k0 is 0 in the model, so '2x' of it is no range"):
        problem(str(linear_file), {"k0": (0, "2x")})
    with pytest.raises(InputError, match=re.escape("got 1:0.25 (2x:0.5x of its value 0.5)")):
        problem(str(linear_file), {"k1": ("2x", "0.5x")})
    with pytest.raises(InputError, match=re.escape("got 1:0.5")):  # numbers: nothing to explain
        problem(str(linear_file), {"k1": (1, 0.5)})


def test_multiples_of_a_negative_value_say_which_end_is_lower(tmp_path):
    path = tmp_path / "negative.xml"
    path.write_text(antimony_to_sbml("model negative\n J0: -> y; k1 + kn\n y = 0\n k1 = 2; kn = -1\nend"),
                    encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("got -0.5:-2 (0.5x:2x of its value -1; of a negative "
                                                   "value the larger multiple is the lower end, such as "
                                                   "2x:0.5x)")):
        problem(str(path), {"kn": ("0.5x", "2x")})
    assert problem(str(path), {"kn": ("2x", "0.5x")})["bounds"] == [[-2.0, -0.5]]


def test_the_table_carries_the_ranges_and_what_was_analysed(linear_file):
    table = sensitivity(str(linear_file), {"k1": ("0x", "2x"), "k2": (0.0, 1.0)}, n=16, end=1,
                        readouts=["y"], workers=1, seed=3)
    assert list(table.columns) == ["parameter", "low", "high", "readout", "S1", "S1_conf", "ST", "ST_conf",
                                   "model", "context", "baseline", "background", "end", "time_unit", "n",
                                   "seed"]
    assert table[["parameter", "low", "high"]].values.tolist() == [["k1", 0.0, 1.0], ["k2", 0.0, 1.0]]
    settings = table[["model", "end", "n", "seed"]].drop_duplicates().values.tolist()
    assert settings == [["linear.xml", 1.0, 16, 3]]
    assert table["context"].isna().all() and (table["background"] == "").all()  # a file: no context
    assert table[["baseline", "time_unit"]].drop_duplicates().values.tolist() == [["initial", ""]]
    assert {k: table.attrs[k] for k in ("method", "baseline", "time_unit", "points", "runs", "resumed")} == {
        "method": "sobol", "baseline": "initial", "time_unit": "", "points": 16 * (2 + 2),
        "runs": 16 * (2 + 2), "resumed": 0}
    # the variance shares of y = k1 + 3 k2 with both uniform on (0, 1): 0.1 and 0.9
    assert table["ST"].tolist() == pytest.approx([0.1, 0.9], abs=0.12)


@pytest.mark.parametrize(("columns", "text"), [
    ({"ST": 0.5, "model": "bone", "context": "mouse", "end": 84.0, "n": 64, "seed": 1},
     "Sobol' indices of bone (mouse), readouts at 84 days; 64 base samples, seed 1"),
    ({"mu_star": 0.5, "model": "bone", "context": "human", "end": 1.0, "n": 8, "seed": 2},
     "Morris elementary effects of bone (human), readouts at 1 day; 8 trajectories, seed 2"),
    ({"ST": 0.5, "model": "f.xml", "context": np.nan, "end": 2.5, "n": 4, "seed": 1},
     "Sobol' indices of f.xml, readouts at 2.5; 4 base samples, seed 1"),
    ({"ST": 0.5}, "Sobol' indices"),  # a table of an older version, without the settings
])
def test_a_table_is_described_by_what_it_analysed(columns, text):
    table = pd.DataFrame({"parameter": ["a", "b"], "readout": "x", **columns})
    assert describe(table) == text


def _invoke(*args):
    return CliRunner().invoke(cli.main, ["sensitivity", *map(str, args)])


def test_the_command_writes_the_indices_the_python_function_gives(linear_file, tmp_path):
    out = tmp_path / "s.csv"
    result = _invoke(linear_file, "--vary", "k1=0:1", "--vary", "k2=0.5x:4x", "--end", 1, "--readouts", "y",
                     "--n", 16, "--method", "morris", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    expected = sensitivity(str(linear_file), {"k1": (0, 1), "k2": (0.25, 2.0)}, method="morris", n=16,
                           end=1, readouts=["y"], workers=1)
    written = pd.read_csv(out)
    columns = ["parameter", "low", "high", "readout", "mu_star", "mu_star_conf", "sigma", "model", "end", "n"]
    pd.testing.assert_frame_equal(written[columns], expected[columns])
    lines = result.output.splitlines()
    assert lines[0] == ("Morris elementary effects of linear.xml, readouts at 1; 16 trajectories, seed 1 "
                        "(48 sample points, 16 distinct runs)")
    # mu* of y = k1 + 3 k2 over the ranges: one unit and 3 x 1.75 (Morris scales each to 0..1)
    assert re.match(r"\s*k1\s+0\s+1\s+y\s+1\s", lines[2]) and re.match(r"\s*k2\s+0\.25\s+2\s+y\s+5\.25\s",
                                                                       lines[3])
    assert lines[-1] == f"wrote {out} and {tmp_path / 's.png'}" and (tmp_path / "s.png").stat().st_size > 0


def test_the_samples_stream_to_a_folder_and_resume(linear_file, tmp_path):
    args = [linear_file, "--vary", "k1=0:1", "--vary", "k2=0:1", "--end", 1, "--readouts", "y", "--n", 8,
            "--workers", 1, "--samples", tmp_path / "runs"]
    first = _invoke(*args, "--out", tmp_path / "a.csv")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "runs" / "_screen.json").is_file()
    # the folder is a screen's: kept, not overwritten, unless resumed
    again = _invoke(*args, "--out", tmp_path / "b.csv")
    assert again.exit_code == 2 and "--resume" in again.output and not (tmp_path / "b.csv").exists()
    # the folder is this command's --samples (its --out is the table of the indices)
    said = " ".join(again.output.split())
    assert "choose another runs folder (--samples, or out= in Python)" in said and "--out" not in said
    resumed = _invoke(*args, "--resume", "--out", tmp_path / "b.csv")
    assert resumed.exit_code == 0, resumed.output
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_a_folder_of_other_files_is_refused_in_the_terms_of_the_runs_folder(linear_file, tmp_path):
    """sensitivity(out=...) is the command's --samples: the refusal names both, not a screen's --out."""
    (tmp_path / "notes.txt").write_text("kept")
    with pytest.raises(InputError, match=re.escape(
            "holds other files, not a screen; choose another runs folder (--samples, or out= in Python)")):
        sensitivity(linear_file, {"k1": (0, 1)}, n=8, end=1, readouts=["y"], workers=1, out=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "k1"], "--vary k1: give a parameter and its range as ID=LOW:HIGH"),
    (["--vary", "k1=0:1:2"], "--vary k1=0:1:2: give a parameter and its range as ID=LOW:HIGH"),
    (["--vary", "=0:1"], "--vary =0:1: give a parameter"),
    (["--vary", "k1=0:1", "--vary", "k1=1:2"], "--vary names k1 twice"),
    (["--vary", "k1=0:1", "--resume"], "--resume continues the runs streamed to a --samples folder"),
    (["--vary", "k1=0:1", "--worker-timeout", "5"], "--worker-timeout applies to a Dask cluster"),
    (["--vary", "kx=0:1"], "unknown parameter 'kx'"),
    (["--vary", "k1=0:1", "--n", "12"], "must be a power of 2"),
    (["--vary", "k1=0:1", "--samples", "runs.csv"], "--samples runs.csv: the runs stream to a Parquet "
     "dataset, a folder of part files; give it a folder name such as results/runs.parquet"),
    (["--vary", "k1=0:1", "--seed", "-1"], "Invalid value for '--seed': -1 is not in the range x>=0"),
    (["--vary", "k1=0:1", "--method", "sobol2"], "'sobol2' is not one of 'sobol', 'morris'"),
    (["--vary", "k1=0:1", "--out", "s.png"], "would be overwritten by the figure"),
])
def test_bad_input_exits_2_and_names_the_problem(linear_file, tmp_path, args, message):
    result = _invoke(linear_file, "--end", 1, "--workers", 1, *args)
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_the_samples_folder_and_the_table_must_differ(linear_file, tmp_path, monkeypatch):
    """The same .parquet name for both would stream the runs into a folder, then fail to write
    the table over it once every run had finished: refused before anything runs."""
    from rankl_net import sensitivity as module

    ran = []
    monkeypatch.setattr(module, "run_screen", lambda *a, **k: ran.append(1))
    result = _invoke(linear_file, "--vary", "k1=0:1", "--end", 1, "--workers", 1,
                     "--out", tmp_path / "s.parquet", "--samples", tmp_path / "." / "s.parquet")
    assert result.exit_code == 2 and not ran and not (tmp_path / "s.parquet").exists()
    assert "name one path: the runs stream to the --samples folder" in " ".join(result.output.split())


def test_an_unwritable_table_is_refused_before_anything_runs(linear_file, tmp_path, monkeypatch):
    from rankl_net import sensitivity as module

    ran = []
    monkeypatch.setattr(module, "run_screen", lambda *a, **k: ran.append(1))
    (tmp_path / "file").write_text("kept", encoding="utf-8")
    result = _invoke(linear_file, "--vary", "k1=0:1", "--end", 1, "--out", tmp_path / "file" / "s.csv")
    assert result.exit_code == 2 and "file" in result.output and not ran
    assert (tmp_path / "file").read_text(encoding="utf-8") == "kept"


@pytest.mark.parametrize(("samples", "said"), [
    (None, "interrupted; nothing was kept (with --samples FOLDER the runs stream to a folder"),
    ("runs", "interrupted before any run was written"),
])
def test_an_interrupted_analysis_says_what_was_kept(linear_file, tmp_path, monkeypatch, samples, said):
    from rankl_net import sensitivity as module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run_screen", interrupted)
    extra = [] if samples is None else ["--samples", tmp_path / samples]
    result = _invoke(linear_file, "--vary", "k1=0:1", "--end", 1, "--workers", 1, *extra)
    assert result.exit_code == 1 and said in result.output


def test_an_interrupted_analysis_with_runs_written_says_how_many(linear_file, tmp_path, monkeypatch):
    from rankl_net import screens
    from rankl_net import sensitivity as module

    real = screens.run_screen

    def part_then_interrupt(model, conditions, **kwargs):
        real(model, conditions[:3], **kwargs)  # writes three runs to the folder, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run_screen", part_then_interrupt)
    runs = tmp_path / "runs"
    result = _invoke(linear_file, "--vary", "k1=0:1", "--end", 1, "--workers", 1, "--samples", runs)
    assert result.exit_code == 1
    assert f"interrupted: 3 runs finished so far, in {runs}; run the same command with --resume" in \
        " ".join(result.output.split())


def test_multiples_are_of_the_models_value_not_of_the_last_run(linear_file):
    from rankl_net.screens import run_screen

    run_screen(str(linear_file), ["set:k1=7"], end=1, readouts=["y"], workers=1)  # k1 at 7 in this process
    assert problem(str(linear_file), {"k1": ("1x", "2x")})["bounds"] == [[0.5, 1.0]]


def test_the_samples_run_on_the_background_given(product_file):
    """Morris's mu* of k2 over (0, 1) is dy/dk2 = k1 + 3: 3.5 with the file's k1, 4 on a
    background that sets k1 to 1; the table names the background."""
    kwargs = {"method": "morris", "n": 4, "end": 1, "readouts": ["y"], "workers": 1}
    plain = sensitivity(str(product_file), {"k2": (0.0, 1.0)}, **kwargs)
    on = sensitivity(str(product_file), {"k2": (0.0, 1.0)}, background="set:k1=1", **kwargs)
    assert plain["mu_star"].iloc[0] == pytest.approx(3.5, rel=1e-6)
    assert on["mu_star"].iloc[0] == pytest.approx(4.0, rel=1e-6)
    assert (plain["background"].iloc[0], on["background"].iloc[0]) == ("", "set:k1=1")
    assert describe(on).startswith("Morris elementary effects of product.xml on set:k1=1, readouts at 1;")
    with pytest.raises(InputError, match=r"the background sets k2 \(set:k2=0.3\), which the sample varies"):
        sensitivity(str(product_file), {"k2": (0.0, 1.0)}, background=["set:k1=1", "set:k2=0.3"], **kwargs)


def test_the_command_takes_a_background(product_file, tmp_path):
    result = _invoke(product_file, "-p", "set:k1=1", "--vary", "k2=0:1", "--method", "morris", "--n", 4,
                     "--end", 1, "--workers", 1, "--out", tmp_path / "m.csv")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Morris elementary effects of product.xml on set:k1=1, readouts at 1;")
    assert pd.read_csv(tmp_path / "m.csv")["mu_star"].iloc[0] == pytest.approx(4.0, rel=1e-6)


def test_a_morris_sample_runs_each_distinct_point_once_and_says_so(linear_file):
    """Morris trajectories on a grid of 4 levels share points: the sample's rows are not its runs."""
    ranges = {"k1": (0, 1), "k2": (0, 1)}
    X = sample(problem(str(linear_file), ranges), "morris", 16, 1)
    distinct = len(np.unique(X, axis=0))
    assert distinct < len(X) == 48
    table = sensitivity(str(linear_file), ranges, method="morris", n=16, end=1, readouts=["y"], workers=1)
    assert (table.attrs["points"], table.attrs["runs"]) == (48, distinct)


def test_an_interrupted_analysis_resumes_with_the_runs_it_kept(linear_file, tmp_path, monkeypatch):
    """Resumed, the runs written before Ctrl-C are read back, not run again, and the indices are
    those of an analysis run in one go."""
    from rankl_net import screens
    from rankl_net import sensitivity as module

    args = [linear_file, "--vary", "k1=0:1", "--vary", "k2=0:1", "--end", 1, "--readouts", "y", "--n", 8,
            "--workers", 1]
    whole = _invoke(*args, "--out", tmp_path / "whole.csv")
    assert whole.exit_code == 0, whole.output
    real = screens.run_screen

    def part_then_interrupt(model, conditions, **kwargs):
        real(model, conditions[:5], **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run_screen", part_then_interrupt)
    runs = tmp_path / "runs"
    assert _invoke(*args, "--samples", runs).exit_code == 1
    monkeypatch.setattr(module, "run_screen", real)
    resumed = _invoke(*args, "--samples", runs, "--resume", "--out", tmp_path / "resumed.csv")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output.splitlines()[0].endswith(f"(32 runs; 5 read back from {runs})")
    assert (tmp_path / "whole.csv").read_text() == (tmp_path / "resumed.csv").read_text()


def test_resume_without_an_earlier_run_says_all_ran(linear_file, tmp_path):
    runs = tmp_path / "runs"
    result = _invoke(linear_file, "--vary", "k1=0:1", "--end", 1, "--readouts", "y", "--n", 4, "--workers", 1,
                     "--samples", runs, "--resume")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(
        f"(12 sample points, 8 distinct runs; --resume found no earlier run in {runs}, so all ran)")


def test_a_negative_seed_is_refused_by_name(linear_file):
    """numpy's generators take no negative seed: refused as input, not a traceback from SALib."""
    with pytest.raises(InputError, match="seed must be a whole number of at least 0"):
        sensitivity(str(linear_file), {"k1": (0, 1)}, n=4, end=1, seed=-1, workers=1)


def test_the_description_names_a_files_time_unit_and_steady_baseline(tmp_path):
    """A file with a time unit gives its readouts' time in it (as --end 1d was read: 24 hours)."""
    path = tmp_path / "decay.xml"
    path.write_text(antimony_to_sbml("model decay\n unit time_unit = 3600 second\n J0: -> y; k1\n"
                                     " J1: y -> ; k2 * y\n y = 0\n k1 = 1; k2 = 0.5\nend"), encoding="utf-8")
    table = sensitivity(str(path), {"k1": ("0.5x", "2x")}, n=4, end="1d", readouts=["y"], workers=1)
    assert describe(table) == "Sobol' indices of decay.xml, readouts at 24 hours; 4 base samples, seed 1"
    steady = sensitivity(str(path), {"k1": ("0.5x", "2x")}, n=4, end=1, readouts=["y"], workers=1,
                         baseline="steady")
    assert describe(steady) == ("Sobol' indices of decay.xml from its steady state, readouts at 1 hour; "
                                "4 base samples, seed 1")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_report_leaves_a_files_context_empty(linear_file, tmp_path, suffix):
    """A file has no context: the report's table shows an empty cell, not NaN (CSV) or None
    (Parquet)."""
    from rankl_net.report import write_report

    table = sensitivity(str(linear_file), {"k1": (0, 1)}, n=4, end=1, readouts=["y"], workers=1)
    path = tmp_path / f"s{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_parquet(path, index=False)
    page = write_report(path, tmp_path / "s.html").read_text(encoding="utf-8")
    indices = page.rpartition("<h2>Indices</h2>")[2]
    assert "linear.xml</td>\n      <td></td>" in indices and "NaN" not in indices and "None" not in indices


def test_failed_runs_are_counted_once_and_named(tmp_path):
    """y' = k1 y^3 from y = 1 blows up by t = 2 for k1 above 1/4: the Morris points of the grid
    that fail are counted as runs (each run once, though the sample repeats points), and one is
    named with its message."""
    path = tmp_path / "blowup.xml"
    path.write_text(antimony_to_sbml("model blowup\n J0: -> y; k2 + k1 * y * y * y\n y = 1\n"
                                     " k1 = 0.1; k2 = 0\nend"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        sensitivity(str(path), {"k1": (0, 1), "k2": (0, 0.001)}, method="morris", n=8, end=2, readouts=["y"],
                    workers=1)
    said = str(info.value)
    counts = re.match(r"y: (\d+) of (\d+) runs failed \((\d+) of 24 sample points\), such as set:k1=", said)
    assert counts, said
    runs_failed, runs, points_failed = map(int, counts.groups())
    assert runs_failed < points_failed and runs < 24
    assert "integration failed" in said or "CVODE" in said, said


def test_the_command_prints_units_in_ascii(tmp_path):
    """A drug's serum level is in µg/mL: printed as ug/mL (the command line prints ASCII), kept as
    µg/mL in the table written."""
    result = _invoke("clinical", "-p", "drug:denosumab=60mg", "--vary", "k_resorption=0.5x:2x", "--readouts",
                     "denosumab_serum", "--end", 7, "--n", 2, "--method", "morris", "--workers", 1,
                     "--out", tmp_path / "m.csv")
    assert result.exit_code == 0, result.output
    assert result.output.isascii() and " ug/mL" in result.output.splitlines()[2]
    assert pd.read_csv(tmp_path / "m.csv")["unit"].tolist() == ["\u00b5g/mL"]


def test_a_problem_needs_at_least_one_parameter(linear_file):
    with pytest.raises(InputError, match="give at least one parameter with its range"):
        problem(str(linear_file), {})


def test_a_range_must_be_finite_at_either_end(linear_file):
    """A parameter of a file may be negative, so an infinite low end is caught as infinite, not as
    one below 0."""
    for ends, said in [((float("-inf"), 1.0), "-inf:1"), ((0.0, float("inf")), "0:inf")]:
        with pytest.raises(InputError, match=re.escape(f"k1: the range must be finite with low < high, "
                                                       f"got {said}")):
            problem(str(linear_file), {"k1": ends})


def test_multiples_of_an_infinite_value_are_refused_as_no_range(tmp_path):
    path = tmp_path / "infinite.xml"
    path.write_text(antimony_to_sbml("model infinite\n J0: -> y; k1 + 0 * kinf\n y = 0\n k1 = 1; kinf = inf\n"
                                     "end"), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("kinf is inf in the model, so '0.5x' of it is no range; "
                                                   "give the ends as numbers in the model's units")):
        problem(str(path), {"kinf": ("0.5x", "2x")})


def test_a_sample_of_an_unknown_method_is_refused(linear_file):
    prob = problem(str(linear_file), {"k1": (0, 1)})
    assert sample(prob, "morris", 4).shape == (8, 1)
    with pytest.raises(InputError, match=re.escape("unknown method 'sobel'; valid: sobol, morris")):
        sample(prob, "sobel", 4)


def test_a_seed_is_a_whole_number_from_0(linear_file):
    kwargs = {"n": 4, "end": 1, "readouts": ["y"], "workers": 1}
    table = sensitivity(str(linear_file), {"k1": (0, 1)}, seed=0, **kwargs)
    assert table["seed"].tolist() == [0] and table.attrs["seed"] == 0
    for seed in (True, 1.0, "1"):
        with pytest.raises(InputError, match=re.escape(f"seed must be a whole number of at least 0 (SALib's "
                                                       f"seeds are not negative), got {seed!r}")):
            sensitivity(str(linear_file), {"k1": (0, 1)}, seed=seed, **kwargs)


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_n_is_at_least_2(linear_file, method):
    """n = 1 is a power of 2, but one base sample (or one trajectory) gives no variance."""
    for n in (1, True):
        with pytest.raises(InputError, match=re.escape(f"n must be a whole number of at least 2, got {n!r}")):
            sensitivity(str(linear_file), {"k1": (0, 1)}, method=method, n=n, end=1, workers=1)


def test_a_background_given_as_one_spec_may_not_set_a_varied_parameter(product_file):
    with pytest.raises(InputError, match=r"the background sets k2 \(set:k2=0.3\), which the sample varies"):
        sensitivity(str(product_file), {"k2": (0.0, 1.0)}, background="set:k2=0.3", method="morris", n=4,
                    end=1, readouts=["y"], workers=1)


def test_the_failed_run_named_comes_with_its_own_message(tmp_path):
    """y' = k1 y^3 from y = 1 blows up before t = 2 for k1 above 1/4: of k1 on 0..0.3 only the
    top of the Morris grid (0.3) fails, and the run named is one of those, with its message."""
    path = tmp_path / "blowup.xml"
    path.write_text(antimony_to_sbml("model blowup\n J0: -> y; k2 + k1 * y * y * y\n y = 1\n"
                                     " k1 = 0.1; k2 = 0\nend"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        sensitivity(str(path), {"k1": (0, 0.3), "k2": (0, 0.001)}, method="morris", n=8, end=2,
                    readouts=["y"], workers=1)
    said = str(info.value)
    assert re.search(r"runs failed \(\d+ of 24 sample points\), such as set:k1=0\.3\+set:k2=[0-9.e-]+ "
                     r"\(.+\); "
                     r"narrow the ranges$", said), said
    assert "integration failed" in said or "CVODE" in said, said


def test_a_background_that_is_no_spec_is_refused_as_input(linear_file):
    said = "background holds the perturbations shared by every condition: .* got int 5"
    with pytest.raises(InputError, match=said):
        sensitivity(str(linear_file), {"k1": (0, 1)}, background=5, n=4, end=1, readouts=["y"], workers=1)


def test_a_species_compartment_or_local_parameter_is_named_for_what_it_is(tmp_path):
    """--vary takes parameters; a species, a compartment or a parameter local to a reaction (all of
    Kholodenko 2000's rate constants are) is refused saying which it is, not as an unknown name
    with "no parameter to choose from"."""
    doc = libsbml.readSBMLFromString(antimony_to_sbml(
        "model local\n compartment cell = 1\n species x in cell\n J0: -> x; kf\n x = 0; kf = 1\nend"))
    law = doc.getModel().getReaction("J0").getKineticLaw()
    promoted = doc.getModel().removeParameter("kf")
    local = law.createLocalParameter() if doc.getLevel() == 3 else law.createParameter()
    local.setId("kf")
    local.setValue(promoted.getValue())
    path = tmp_path / "local.xml"
    path.write_text(libsbml.writeSBMLToString(doc), encoding="utf-8")
    for name, said in (("kf", "'kf' is a parameter local to reaction J0 of local.xml"),
                       ("x", "x is a species of local.xml; a sensitivity analysis varies parameters"),
                       ("cell", "cell is a compartment of local.xml; a sensitivity analysis varies "
                                "parameters")):
        with pytest.raises(InputError) as refused:
            problem(str(path), {name: ("0.5x", "2x")})
        assert said in str(refused.value), str(refused.value)
        assert "no parameter to choose from" not in str(refused.value)
