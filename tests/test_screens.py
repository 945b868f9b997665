"""Screens: tidy tables, determinism, failures as rows, resume after SIGKILL, Dask, bad input."""

from __future__ import annotations

import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rankl_net
from rankl_net import ExtremeChangeWarning, InputError, SimulationError, analysis, paths, screens
from rankl_net.analysis import (
    bliss_excess,
    combination_matrix,
    epistasis,
    fit_hill,
    fit_summary,
    hill,
    hill_fits,
    hsa_excess,
    is_flat,
    log2_fold_change,
)
from rankl_net.build import antimony_to_sbml
from rankl_net.engine import load
from rankl_net.screens import run_screen

READ = ["bone_volume", "osteoclasts"]


def test_single_knockout_screen_is_tidy_and_matches_direct_simulation(bone_mouse):
    conds = screens.knockout_conditions("bone", ["OPG", "RANKL", "CTSK"], context="mouse")
    table = run_screen("bone", conds, context="mouse", end=84, readouts=READ, workers=1)
    assert list(table.columns) == screens.COLUMNS
    assert len(table) == 3 * len(READ)
    row = table[(table.perturbation == "ko:OPG") & (table.readout == "osteoclasts")].iloc[0]
    direct = bone_mouse.final("ko:OPG", end=84, readouts=["osteoclasts"])["osteoclasts"]
    assert row.value == direct
    assert row.baseline_value == bone_mouse.final(end=84, readouts=["osteoclasts"])["osteoclasts"]
    assert row.log2_fold_change == pytest.approx(np.log2(row.value / row.baseline_value))


def test_background_applies_to_conditions_and_reference(bone_mouse):
    table = run_screen("bone", ["ko:CTSK"], background=["ko:OPG"], context="mouse", end=84, readouts=READ,
                       workers=1).set_index("readout")
    both = bone_mouse.final("ko:OPG", "ko:CTSK", end=84, readouts=READ)
    ref = bone_mouse.final("ko:OPG", end=84, readouts=READ)
    assert table.loc["bone_volume", "value"] == both["bone_volume"]
    assert table.loc["bone_volume", "baseline_value"] == ref["bone_volume"]
    assert table.loc["bone_volume", "background"] == "ko:OPG"
    # the background by another name of its node: the same screen, ids and all
    aliased = run_screen("bone", ["ko:CTSK"], background="ko:Tnfrsf11b", context="mouse", end=84,
                         readouts=READ, workers=1).set_index("readout")
    pd.testing.assert_frame_equal(aliased, table, check_exact=True)


def test_pairs_screen_counts_and_ids_are_deterministic():
    conds = screens.knockout_conditions("bone", ["OPG", "RANKL", "CTSK", "FOS"], pairs=True)
    assert len(conds) == 6
    a = run_screen("bone", conds, end=28, readouts=READ, workers=1)
    b = run_screen("bone", list(reversed(conds)), end=28, readouts=READ, workers=1)
    # the same condition has the same id and value whatever the order
    key = ["condition_id", "readout"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                  b.sort_values(key).reset_index(drop=True), check_exact=True)


def test_all_knockouts_lists_each_distinct_knockout_once(bone_mouse):
    from rankl_net.perturbations import parse_spec, to_changes

    conds = screens.knockout_conditions("bone", "all")
    effects = [to_changes(parse_spec(c), bone_mouse.engine).key() for c in conds]
    assert len(set(effects)) == len(conds)
    # NFKB (the activity node of RELA) knocks out what RELA knocks out; explicit lists keep it
    assert "ko:RELA" in conds and "ko:NFKB" not in conds
    assert screens.knockout_conditions("bone", ["RELA", "NFKB"]) == ["ko:RELA", "ko:NFKB"]
    # the keyword in any case, and only by itself
    assert screens.knockout_conditions("bone", "ALL") == screens.knockout_conditions("bone", ["All"]) == conds
    with pytest.raises(InputError, match="'all' lists every knockout by itself"):
        screens.knockout_conditions("bone", "all,OPG")


def test_conditions_that_change_the_model_identically_are_simulated_once(monkeypatch, tmp_path):
    from rankl_net.engine import Engine

    conds = ["ko:RELA", "ko:NFKB", "ko:ERK+ko:ERK1", "ko:ERK+ko:ERK2", "ko:OPG"]
    alone = pd.concat([run_screen("bone", [c], end=28, readouts=READ, workers=1) for c in conds],
                      ignore_index=True)
    calls = []
    original = Engine.final_values

    def counted(self, changes, **kwargs):
        calls.append(changes)
        return original(self, changes, **kwargs)

    monkeypatch.setattr(Engine, "final_values", counted)
    shared = run_screen("bone", conds, end=28, readouts=READ, workers=1, out=tmp_path / "s")
    assert len(calls) == 3  # the reference was computed (once per process) by the runs above
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)


def test_process_pool_gives_the_serial_table():
    conds = screens.knockout_conditions("bone", "all")
    serial = run_screen("bone", conds, end=84, readouts=READ, workers=1)
    pooled = run_screen("bone", conds, end=84, readouts=READ, workers=2, chunk_size=3)
    pd.testing.assert_frame_equal(serial, pooled, check_exact=True)


def test_integration_failure_becomes_a_failed_row_and_the_screen_goes_on(tmp_path):
    conds = ["inh:P38=0.5", "set:k_nfkb_import=1e30", "ko:FOS"]
    with pytest.warns(ExtremeChangeWarning, match="^set:k_nfkb_import=1e30: sets k_nfkb_import to 1e"):
        table = run_screen("osteoclastogenesis", conds, readouts=["nfatc1"], workers=1, out=tmp_path / "s")
    status = dict(zip(table.perturbation, table.status, strict=True))
    assert status == {"inh:P38=0.5": "ok", "set:k_nfkb_import=1e30": "failed", "ko:FOS": "ok"}
    failed = table[table.status == "failed"].iloc[0]
    assert np.isnan(failed.value) and "integration failed" in failed.message


def _python_stderr(script: str) -> str:
    """Run ``script`` in a fresh interpreter, with SUNDIALS' log settings as a user's are (the CLI
    tests of this process change them), and return its stderr; it must print "done"."""
    env = {k: v for k, v in os.environ.items() if k != "SUNLOGGER_ERROR_FILENAME"}
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0 and run.stdout.split() == ["done"], run.stdout + run.stderr
    return run.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_condition_is_reported_once_in_its_row_not_again_in_the_integrator_logs(workers):
    err = _python_stderr(f"""
        import os
        import roadrunner
        from rankl_net.screens import run_screen
        level = roadrunner.Logger.getLevel()
        table = run_screen("osteoclastogenesis", ["set:k_nfkb_import=1e30", "ko:FOS"], readouts=["nfatc1"],
                           workers={workers})
        assert list(table.status) == ["failed", "ok"] and "CV_ERR_FAILURE" in table.message.iloc[0]
        assert roadrunner.Logger.getLevel() == level  # the caller's log level is back
        assert "SUNLOGGER_ERROR_FILENAME" not in os.environ  # nor is the environment changed
        print("done")
    """)
    assert "CVODE" not in err and "cvodes" not in err, err


def test_a_failed_simulation_is_logged_once_by_libroadrunner_and_raised_with_its_message():
    """Outside a screen the failure raises SimulationError and libRoadRunner logs it once; SUNDIALS'
    own error line, which repeats it, is not printed."""
    err = _python_stderr("""
        import rankl_net
        model = rankl_net.load_model("osteoclastogenesis")
        try:
            model.simulate("set:k_nfkb_import=1e30", readouts=["nfatc1"])
        except rankl_net.SimulationError as exc:
            assert "CV_ERR_FAILURE" in str(exc)
            print("done")
    """)
    assert err.count("CV_ERR_FAILURE") == 1 and "cvodes.c" not in err, err


def _cli(*args):
    return [sys.executable, "-m", "rankl_net", *args]


def _ctrl_c_default() -> None:
    """In the child before it starts: Ctrl-C raises KeyboardInterrupt, as in a terminal, even
    when the test suite runs as a background job (whose processes start with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    args = ["screen", "bone", "--knockouts", "all", "--pairs", "--readouts", "bone_volume,osteoclasts",
            "--end", "84", "--workers", "1", "--chunk-size", "4"]
    full = tmp_path / "full.parquet"
    assert subprocess.run(_cli(*args, "--out", str(full)), capture_output=True).returncode == 0
    expected = pd.read_parquet(full)
    part = tmp_path / "part.parquet"
    proc = subprocess.Popen(_cli(*args, "--out", str(part)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(part.glob("part-*.parquet"))) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = len(list(part.glob("part-*.parquet")))
    assert 5 <= written < len(list(full.glob("part-*.parquet")))  # killed mid-run
    done_before = set(pd.read_parquet(part)["condition_id"])
    # the folder says its screen has not finished, and so does a report of it
    from rankl_net.report import write_report

    unfinished = "This screen has not finished"
    assert json.loads((part / screens.MANIFEST).read_text())["finished"] is False
    assert unfinished in write_report(part, tmp_path / "part.html").read_text(encoding="utf-8")
    resumed = subprocess.run(_cli(*args, "--out", str(part), "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert unfinished not in write_report(part, tmp_path / "part.html").read_text(encoding="utf-8")
    assert f"; {len(done_before)} read from the earlier run" in resumed.stdout
    got = pd.read_parquet(part)
    assert not got.duplicated(["condition_id", "readout"]).any()  # nothing written twice
    assert done_before <= set(got["condition_id"])
    key = ["condition_id", "readout"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  expected.sort_values(key).reset_index(drop=True), check_exact=True)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from Linux /proc")
def test_the_workers_of_a_killed_screen_end_with_it(tmp_path):
    """SIGKILL of the screen alone (an out-of-memory or batch-system kill): its pool's workers
    do not wait for work forever."""
    part = tmp_path / "part.parquet"
    args = ["screen", "bone", "--knockouts", "all", "--pairs", "--readouts", "bone_volume", "--end", "84",
            "--workers", "2", "--chunk-size", "4", "--out", str(part)]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(part.glob("part-*.parquet")):
            time.sleep(0.05)
        children = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) >= 2  # the pool is running
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 30
        while time.time() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        assert not any(_alive(c) for c in children)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group, if the test failed


def test_an_interrupted_screen_says_how_to_continue(tmp_path):
    part = tmp_path / "part.parquet"
    args = ["screen", "bone", "--knockouts", "all", "--pairs", "--readouts", "bone_volume", "--end", "84",
            "--workers", "1", "--chunk-size", "4", "--out", str(part)]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_default)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(part.glob("part-*.parquet"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err
    said = re.search(rf"interrupted: (\d+) conditions? of (\d+) finished so far, in {re.escape(str(part))}; "
                     "run the same command with --resume to continue", " ".join(err.split()))
    assert said, err
    written = screens.ParquetStore(part).read()["condition_id"].nunique()
    assert (int(said[1]), int(said[2])) == (written, 210) and 0 < written < 210
    assert "Aborted!" not in err


def test_resume_without_an_earlier_run_says_so(tmp_path):
    """A --resume given a folder that holds no screen (a typing error in --out, say) runs the whole
    screen, and says that nothing was found to resume."""
    from click.testing import CliRunner

    from rankl_net import cli

    args = ["screen", "bone", "--knockouts", "OPG", "--end", "7", "--workers", "1", "--resume"]
    first = CliRunner().invoke(cli.main, [*args, "--out", str(tmp_path / "new")])
    assert first.exit_code == 0, first.output
    assert "(0 failed; --resume found no earlier run here, so all ran)" in first.output
    again = CliRunner().invoke(cli.main, [*args, "--out", str(tmp_path / "new")])
    assert again.exit_code == 0 and "(0 failed; 1 read from the earlier run)" in again.output
    # an earlier run that wrote its folder but no condition yet (interrupted at once) is one
    for part in (tmp_path / "new").glob("part-*.parquet"):
        part.unlink()
    third = CliRunner().invoke(cli.main, [*args, "--out", str(tmp_path / "new")])
    assert third.exit_code == 0 and "(0 failed; 0 read from the earlier run)" in third.output


def test_ctrl_c_before_the_results_folder_exists_says_so(tmp_path, monkeypatch):
    """Interrupted before the folder is made, there is nothing to resume (the message pointed to
    a folder that did not exist)."""
    from click.testing import CliRunner

    from rankl_net import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(screens, "run_screen", interrupted)
    out = tmp_path / "never"
    result = CliRunner().invoke(cli.main, ["screen", "bone", "--knockouts", "OPG", "--out", str(out)])
    assert result.exit_code == 1 and "interrupted before any condition was written" in result.output
    assert not out.exists()


def test_ctrl_c_stops_a_pool_screen_at_once_and_frees_its_folder(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) on a screen with a
    worker pool: the chunks not started are dropped, not computed and thrown away (the whole
    screen takes about half a minute here), no worker prints a traceback, and the folder's lock
    is free for --resume."""
    from filelock import FileLock

    conditions = tmp_path / "conditions.txt"
    specs = [f"set:pth={3 + k / 1000:g}" for k in range(8000)]
    conditions.write_text("\n".join(specs) + "\n", encoding="utf-8")
    part = tmp_path / "part.parquet"
    args = ["screen", "bone", "--conditions", str(conditions), "--readouts", "bone_volume", "--end", "3650",
            "--workers", "2", "--chunk-size", "2", "--out", str(part)]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_ctrl_c_default)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list(part.glob("part-*.parquet"))) < 3:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        interrupted = time.time()
        _, err = proc.communicate(timeout=120)
        stopped_after = time.time() - interrupted
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert re.search(r"interrupted: \d+ conditions? of 8000 finished so far, in", err), err
    assert stopped_after < 10, stopped_after
    assert len(list(part.glob("part-*.parquet"))) < 4000 - 100  # most chunks were never computed
    lock = FileLock(part / screens.LOCK, timeout=0)
    lock.acquire()  # free: --resume may continue the screen
    lock.release()


def test_resume_recomputes_nothing(tmp_path, monkeypatch):
    conds = screens.knockout_conditions("bone", ["OPG", "RANKL", "CTSK"])
    first = run_screen("bone", conds, end=28, readouts=READ, workers=1, out=tmp_path / "r")
    calls = []
    monkeypatch.setattr(screens, "run_chunk", lambda *a, **k: calls.append(a) or [])
    again = run_screen("bone", conds, end=28, readouts=READ, workers=1, out=tmp_path / "r", resume=True)
    assert calls == []
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert (first.attrs["resumed"], again.attrs["resumed"]) == (0, len(conds))


def test_dask_local_cluster_gives_the_process_pool_table(tmp_path):
    distributed = pytest.importorskip("distributed")
    conds = screens.knockout_conditions("bone", ["OPG", "RANKL", "CTSK", "FOS", "TRAF6"])
    pooled = run_screen("bone", conds, end=84, readouts=READ, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = run_screen("bone", conds, end=84, readouts=READ, scheduler=cluster.scheduler_address,
                             chunk_size=2)
        # an SBML file: the workers compile the text the screen carries (they have no copy of it)
        path = _cascade(tmp_path)
        file_conds = screens.knockout_conditions(path, "all", pairs=True)
        file_pooled = run_screen(path, file_conds, end=4, baseline="steady", workers=2)
        file_on_dask = run_screen(path, file_conds, end=4, baseline="steady",
                                  scheduler=cluster.scheduler_address, chunk_size=1)
    pd.testing.assert_frame_equal(pooled, on_dask, check_exact=True)
    pd.testing.assert_frame_equal(file_pooled, file_on_dask, check_exact=True)


def test_a_worker_that_would_integrate_otherwise_refuses_the_screen():
    # a Dask worker on a libRoadRunner build without the stability-limit detection, for example
    engine = load("bone", "mouse")
    settings = screens.integration_settings(engine)
    assert settings["stability_limit_detection"] is engine.stability_limit_detection is True
    spec = screens.ScreenSpec("bone", "mouse", 28.0, ("bone_volume",),
                              integration=tuple(settings.items()))
    assert screens.run_chunk(spec, [("c1", "ko:OPG")])[0]["status"] == "ok"
    other = replace(spec, integration=tuple({**settings, "stability_limit_detection": False}.items()))
    with pytest.raises(InputError, match="stability_limit_detection True here, False for the screen"):
        screens.run_chunk(other, [("c1", "ko:OPG")])


def test_the_interval_of_a_maximal_effect_stops_where_the_response_is_zero():
    """A readout inhibited to zero has emax 1 (a fraction of its baseline): its interval, from the
    covariance (half-width about 0.006 here), does not reach beyond 1."""
    x = np.linspace(0, 2, 12)
    fit = fit_hill(x, hill(x, 100.0, 1.0, 0.3, 2.0) + 0.5 * np.sin(5 * x))
    assert 0.99 < fit["emax_lo"] < fit["emax"] < fit["emax_hi"] == 1.0
    assert fit["emax_hi"] - fit["emax"] < fit["emax"] - fit["emax_lo"]  # cut at 1


def test_hill_fit_recovers_known_parameters():
    x = np.concatenate([[0.0], np.logspace(-3, 1, 24)])
    y = hill(x, 200.0, 0.9, 0.05, 1.7)
    fit = fit_hill(x, y)
    assert fit["ic50"] == pytest.approx(0.05, rel=1e-4)
    assert fit["hill"] == pytest.approx(1.7, rel=1e-4)
    assert fit["emax"] == pytest.approx(0.9, rel=1e-4)
    # with 1 % noise: estimates close, and the 95 % intervals cover the truth in most replicates
    covered_ic50 = covered_hill = 0
    for seed in range(40):
        noisy = y * (1 + 0.01 * np.random.default_rng(seed).standard_normal(len(y)))
        fit = fit_hill(x, noisy)
        assert fit["ic50"] == pytest.approx(0.05, rel=0.05)
        assert fit["hill"] == pytest.approx(1.7, rel=0.1)
        covered_ic50 += fit["ic50_lo"] < 0.05 < fit["ic50_hi"]
        covered_hill += fit["hill_lo"] < 1.7 < fit["hill_hi"]
    assert covered_ic50 >= 34 and covered_hill >= 34


def test_hill_fit_of_a_change_from_zero_recovers_known_parameters():
    # a readout that is a percent change (baseline 0, falling to -70): the effect is absolute
    x = np.concatenate([[0.0], np.logspace(-3, 1, 24)])
    y = hill(x, 0.0, 70.0, 0.05, 1.7, fractional=False)
    assert y[0] == 0.0 and y[-1] == pytest.approx(-70.0, rel=1e-3)
    fit = fit_hill(x, y)
    assert fit["emax_scale"] == "absolute"
    assert fit["ic50"] == pytest.approx(0.05, rel=1e-4) and fit["hill"] == pytest.approx(1.7, rel=1e-4)
    assert fit["emax"] == pytest.approx(70.0, rel=1e-4) and fit["baseline"] == pytest.approx(0.0, abs=1e-6)
    assert fit_hill(x, hill(x, 200.0, 0.9, 0.05, 1.7))["emax_scale"] == "fraction"
    noise = 1e-14 * np.random.default_rng(0).standard_normal(len(x))  # a readout that does not move
    assert np.isnan(fit_hill(x, noise)["ic50"])
    # the form follows the readout, not the levels tested: a percent change that only rises is
    # still a change (reference about 0), a concentration that reaches 0 still a fraction
    rising = hill(x, 0.0, -400.0, 0.05, 1.7, fractional=False)[1:]
    assert np.all(rising > 0) and fit_hill(x[1:], rising, reference=-2e-7)["emax_scale"] == "absolute"
    assert fit_hill(x[1:], rising, reference=-2e-7)["emax"] == pytest.approx(-400.0, rel=1e-3)
    to_zero = hill(x, 50.0, 1.0, 0.05, 1.7)
    assert fit_hill(x, to_zero, reference=50.0)["emax_scale"] == "fraction"


def test_a_percent_change_is_fitted_above_its_floor_of_minus_100():
    """A percent change cannot fall below -100 % (its quantity at zero): a series that falls
    steadily has its maximal effect bounded there, where a fit in the change's unit alone went
    past it (to CTX at -208 %)."""
    x = np.linspace(0.0, 1.0, 11)
    y = -69.0 * x  # falling without levelling off, to -69 % at the highest dose
    free = fit_hill(x, y, reference=0.0, anchored=True, change=True)
    floored = fit_hill(x, y, reference=0.0, anchored=True, change=True, floor=-100.0)
    assert free["emax"] > 100.0  # the fall the data alone allow goes below the floor
    assert floored["emax"] <= 100.0 + 1e-9 and floored["emax_scale"] == "absolute"
    assert floored["baseline"] == 0.0
    # hill_fits bounds the model's percent changes so, and not its other readouts
    table = pd.DataFrame({"readout": "ctx", "dose": x, "value": y, "baseline_value": 0.0})
    assert hill_fits(table, anchored=True, changes=["ctx"])["emax"].iloc[0] <= 100.0 + 1e-9
    # a change that saturates above the floor is fitted as before: its numbers recovered
    x = np.concatenate([[0.0], np.logspace(-3, 1, 24)])
    y = hill(x, 8.5, 80.0, 0.05, 1.7, fractional=False)
    fit = fit_hill(x, y, reference=8.5, anchored=True, change=True, floor=-100.0)
    assert fit["quality"] == "ok" and fit["baseline"] == pytest.approx(8.5, abs=1e-12)
    for name, truth in (("emax", 80.0), ("ic50", 0.05), ("hill", 1.7)):
        assert fit[name] == pytest.approx(truth, rel=1e-4)
    assert fit["emax_lo"] < 80.0 < fit["emax_hi"]
    # with the baseline fitted (a set: series) the maximal effect's interval takes the baseline's
    # uncertainty too: within the floor, the fit is the change's own fit written otherwise, and
    # its interval is the one the change's fit gives
    noisy = hill(x, 5.0, 60.0, 0.05, 1.7, fractional=False) + np.random.default_rng(3).normal(0, 2.0, len(x))
    free = fit_hill(x, noisy, change=True)
    floored = fit_hill(x, noisy, change=True, floor=-100.0)
    for name in ("baseline", "emax", "ic50", "hill", "emax_lo", "emax_hi", "baseline_lo", "baseline_hi"):
        assert floored[name] == pytest.approx(free[name], rel=1e-3), name
    # a rise that does not level off is named in the change's terms
    rising = fit_hill(x, 30.0 * x, reference=0.0, anchored=True, change=True, floor=-100.0)
    assert "times the baseline's height above -100" in rising["note"]
    with pytest.raises(InputError, match="floor is the lowest value of a change"):
        fit_hill(x, y, floor=-100.0)


def test_a_maximal_effect_at_the_fall_to_zero_is_an_estimate_only_where_the_series_nears_it():
    """A series that keeps 24 % of its baseline at the highest dose does not show where it
    levels off: a fit whose emax stopped at 1 (the fall to zero) there is ambiguous; a series
    that falls to 1 % is fitted with emax 1 as an estimate."""
    x = np.linspace(0.0, 1.0, 11)
    steady = 1.84 * (1.0 - 0.76 * x)  # as osteoclasts under p38 inhibition: near linear
    fit = fit_hill(x, steady, reference=1.84, anchored=True)
    assert fit["emax"] == pytest.approx(1.0, abs=1e-3)
    assert fit["quality"] == "ambiguous" and "emax" in fit["at_bound"].split(",")
    assert "does not approach" in fit["note"]
    x = np.linspace(0.0, 3.0, 13)
    to_zero = hill(x, 1.84, 1.0, 0.3, 2.0)
    assert to_zero.min() < 0.02 * 1.84
    fit = fit_hill(x, to_zero, reference=1.84, anchored=True)
    assert fit["quality"] == "ok" and fit["at_bound"] == ""
    assert fit["emax"] == pytest.approx(1.0, abs=1e-4) and fit["ic50"] == pytest.approx(0.3, rel=1e-3)


def test_a_rise_stopped_just_short_of_its_floor_is_at_its_bound():
    """The optimiser stops a rise that does not level off a little short of its floor (-99.998
    of a floor at -100, for osteoclasts as PTH rises): that is the bound, not an estimate."""
    table = run_screen("bone", screens.dose_conditions("set:pth", "0:10:6"), end=84,
                       readouts=["osteoclasts"], workers=1)
    table = table.assign(dose=screens.dose_of("set:pth", screens.levels_of(table["perturbation"])))
    fit = hill_fits(table).iloc[0]
    assert fit["emax"] <= -100.0 + 0.1 and fit["emax"] > -100.0  # short of the bound
    assert "emax" in fit["at_bound"].split(",") and fit["quality"] == "ambiguous"


def test_a_percent_change_on_top_of_a_background_is_fitted_as_a_change():
    """On top of a drug a percent change is not 0 without the dosed perturbation (+8.5 % CTX a
    year after denosumab): as a fraction of that its fall to -70 % could not be fitted."""
    x = np.concatenate([[0.0], np.logspace(-3, 1, 24)])
    y = hill(x, 8.5, 80.0, 0.05, 1.7, fractional=False)
    fit = fit_hill(x, y, reference=8.5, anchored=True, change=True)
    assert fit["emax_scale"] == "absolute" and fit["quality"] == "ok"
    assert fit["emax"] == pytest.approx(80.0, rel=1e-4) and fit["ic50"] == pytest.approx(0.05, rel=1e-4)
    assert fit_hill(x, y, reference=8.5, anchored=True)["emax_scale"] == "fraction"  # what the value says
    table = pd.DataFrame({"readout": "ctx", "dose": x, "value": y, "baseline_value": 8.5})
    assert hill_fits(table, anchored=True, changes=screens.percent_changes("clinical"))[
        "emax"].iloc[0] == pytest.approx(80.0, rel=1e-4)
    # the turnover markers and BMD are changes; concentrations and bone volume are not
    assert {"ctx", "p1np", "bmd_lumbar_spine"} <= set(screens.percent_changes("clinical"))
    assert not {"bone_volume", "osteoclasts", "denosumab_serum"} & set(screens.percent_changes("clinical"))
    assert screens.percent_changes(None) == () and screens.percent_changes(str(paths.SBML / "bone.xml")) == ()


def test_report_of_a_pairs_screen_has_its_heatmap_and_epistasis(tmp_path):
    from rankl_net.report import write_report

    nodes = ["OPG", "CTSK", "P38"]
    singles, pairs = (screens.knockout_conditions("bone", nodes, pairs=p) for p in (False, True))
    conds = singles + pairs
    run_screen("bone", conds, end=28, readouts=["bone_volume"], workers=1, out=tmp_path / "p.parquet")
    page = write_report(tmp_path / "p.parquet", tmp_path / "p.html").read_text(encoding="utf-8")
    assert "bone_volume: single perturbations" in page and "bone_volume: pairs" in page
    assert "Strongest epistasis" in page and page.count("<img ") == 2
    assert "Dose-response" not in page
    assert f"<h1>Screen report: {tmp_path / 'p.parquet'}</h1>" in page
    assert "<p>Model: bone; context mouse; readouts at 28 days</p>" in page  # from the folder's manifest
    assert "No epistasis scores" not in page
    # the scores are each pair's fold change less those of its two singles
    from rankl_net.analysis import pairwise_epistasis

    table = pd.read_parquet(tmp_path / "p.parquet")
    lfc = dict(zip(table["perturbation"], table["log2_fold_change"], strict=True))
    scores = pairwise_epistasis(table)
    assert len(scores) == 3 and scores["epistasis"].abs().max() > 0.01
    for r in scores.itertuples():
        assert r.epistasis == pytest.approx(lfc[f"{r.a}+{r.b}"] - lfc[r.a] - lfc[r.b], abs=1e-12)
    # the same pairs without their singles: the page says why it has no epistasis table
    run_screen("bone", pairs, end=28, readouts=["bone_volume"], workers=1, out=tmp_path / "q.parquet")
    page = write_report(tmp_path / "q.parquet", tmp_path / "q.html").read_text(encoding="utf-8")
    assert "Strongest epistasis" not in page and "bone_volume: pairs" in page
    assert "No epistasis scores" in page and "<code>--pairs --singles</code>" in page


def test_report_is_the_same_whatever_the_order_of_the_rows(tmp_path):
    """A folder's rows come in the order of its part files, which differ between a screen run in
    one go and one interrupted and resumed. ko:RANK and ko:RANKL tie on every readout, as do
    their pairs with ko:FOS: the bar charts, heatmaps and epistasis table must not follow the rows."""
    from rankl_net.report import write_report

    nodes = ["RANKL", "FOS", "RANK", "OPG"]
    singles, pairs = (screens.knockout_conditions("bone", nodes, pairs=p) for p in (False, True))
    conds = singles + pairs
    table = run_screen("bone", conds, end=28, readouts=["bone_volume", "osteoclasts"], workers=1)
    pages = []
    for k, seed in enumerate((1, 2)):
        path = tmp_path / f"t{k}" / "screen.csv"
        path.parent.mkdir()
        table.sample(frac=1.0, random_state=seed).to_csv(path, index=False)
        pages.append(write_report(path, tmp_path / f"t{k}.html").read_text(encoding="utf-8"))
    assert pages[0].count("<img ") == 4 and "Strongest epistasis" in pages[0]
    untitled = [re.sub(r"<h1>.*?</h1>", "", page) for page in pages]  # the title names the file
    assert "<h1>" in pages[0] and untitled[0] == untitled[1]


def test_report_never_writes_over_results_nor_into_a_screen_folder(tmp_path):
    """--out must be an HTML file outside the screen's folder: the report once replaced a
    series CSV or the folder's manifest with HTML, and an HTML file in the folder broke reading
    it. The default name keeps every part of the results' name (screen.v2 -> screen.v2.html)."""
    from click.testing import CliRunner

    from rankl_net.cli import main

    folder = tmp_path / "screen.v2"
    run_screen("bone", ["ko:OPG", "ko:CTSK"], end=28, readouts=["bone_volume"], workers=1, out=folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    part = next(folder.glob("part-*.parquet"))
    for args in (["--out", str(folder / screens.MANIFEST)], ["--out", str(folder / "r.html")],
                 ["--out", str(part)], ["--out", str(tmp_path / "r.csv")]):
        result = CliRunner().invoke(main, ["report", str(folder), *args])
        assert result.exit_code == 2
        assert "HTML file" in result.output or "inside the screen folder" in result.output
    assert CliRunner().invoke(main, ["report", str(part)]).exit_code == 2  # its default is in the folder
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    from rankl_net.report import read_results

    (tmp_path / "docs").mkdir()  # a folder of other files: said so (it was pyarrow's "magic bytes")
    (tmp_path / "docs" / "page.md").write_text("# notes", encoding="utf-8")
    with pytest.raises(InputError, match="is a folder without results"):
        read_results(tmp_path / "docs")
    (folder / "notes.txt").write_text("a file of the user's", encoding="utf-8")  # not a part of the results
    assert CliRunner().invoke(main, ["report", str(folder)]).exit_code == 0
    assert (tmp_path / "screen.v2.html").is_file() and not (tmp_path / "screen.html").exists()


def test_a_folder_of_results_is_told_to_name_one_screen_in_it(tmp_path):
    """results/, where the commands write by default, holds a screen folder beside other tables:
    report names the screens in it (it failed with pyarrow's "Parquet magic bytes not found",
    reading every file of the folder as one Parquet dataset)."""
    from rankl_net.report import read_results

    results = tmp_path / "results"
    run_screen("bone", ["ko:OPG"], end=7, readouts=["bone_volume"], workers=1, out=results / "ko.parquet")
    (results / "phenotypes.csv").write_text("line,agrees\nOPG-/-,True\n", encoding="utf-8")
    with pytest.raises(InputError) as said:
        read_results(results)
    assert str(said.value) == (f"{results} is a folder that holds results, not one screen's: give one screen "
                               f"folder in it ({results / 'ko.parquet'}), or a dose-response or sensitivity "
                               "table by its name")
    assert len(read_results(results / "ko.parquet")) == 1  # the screen in it reads
    # a folder of tables, one of them Parquet: not one dataset
    tables = tmp_path / "tables"
    tables.mkdir()
    read_results(results / "ko.parquet").to_parquet(tables / "dr.parquet")
    (tables / "p38.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{tables} is a folder of files (p38.csv), not a screen's "
                                                   "folder: give one of its tables by its name")):
        read_results(tables)


def test_a_percent_change_readout_has_the_fold_change_of_its_level(tmp_path):
    """CTX is a percent change from the model's baseline: its fold change is that of the marker
    level, 100 % + change (it had none, and under a background that raised CTX it had the log2
    of the change itself, NaN wherever a knockout lowered CTX)."""
    table = run_screen("bone_tumour", ["ko:OPG", "ko:CTSK", "ko:NFATC1"], background=["preset:breast"],
                       end=28, readouts=["ctx", "osteoclasts"], workers=1)
    ctx = table[table["readout"] == "ctx"]
    expected = np.log2((100 + ctx["value"]) / (100 + ctx["baseline_value"]))
    assert np.allclose(ctx["log2_fold_change"], expected) and np.isfinite(expected).all()
    lfc = dict(zip(ctx["perturbation"], ctx["log2_fold_change"], strict=True))
    assert lfc["ko:NFATC1"] < lfc["ko:CTSK"] < 0  # both were NaN
    # a background that removed a readout leaves noise on both sides: no fold change of noise
    gone = run_screen("bone", ["ko:CTSK", "ko:P38"], background=["ko:NFATC1"], end=84,
                      readouts=["osteoclasts"], workers=1)
    assert gone["log2_fold_change"].isna().all()


def test_the_report_draws_a_readout_without_fold_changes_as_its_change(tmp_path, monkeypatch):
    """A readout whose baseline sits at zero (a percent change in an SBML file, which says
    nothing of it) has no fold changes: its charts were empty."""
    from rankl_net.report import write_report

    perturbations = ["ko:A", "ko:B", "ko:A+ko:B"]
    table = pd.DataFrame({"condition_id": perturbations, "perturbation": perturbations, "background": "",
                          "readout": "marker", "value": [-40.0, 20.0, -30.0], "baseline_value": 0.0,
                          "log2_fold_change": np.nan, "status": "ok", "message": ""})
    table.to_csv(tmp_path / "s.csv", index=False)
    bars, maps = _bars_drawn(monkeypatch), _bars_drawn(monkeypatch, "heatmap_figure")
    page = write_report(tmp_path / "s.csv", tmp_path / "s.html").read_text(encoding="utf-8")
    assert "marker: pairs (change; singles on the diagonal)" in page and page.count("<img ") == 2
    (bar,), (heat,) = bars, maps
    assert bar["series"].to_dict() == {"ko:A": -40.0, "ko:B": 20.0} and bar["label"].startswith("change")
    assert heat["series"].loc["ko:A", "ko:B"] == heat["series"].loc["ko:B", "ko:A"] == -30.0


def test_the_report_finds_the_model_and_its_units(tmp_path):
    from rankl_net import report

    table = pd.DataFrame({"model": ["bone"], "readout": ["bone_volume"]})
    assert report.model_of(tmp_path, table) == "bone"
    assert report.model_of(tmp_path, table.drop(columns="model")) is None  # no manifest either
    (tmp_path / screens.MANIFEST).write_text('{"model": "osteoclastogenesis"}', encoding="utf-8")
    assert report.model_of(tmp_path, table.drop(columns="model")) == "osteoclastogenesis"
    assert report.model_of(tmp_path, pd.concat([table, table.assign(model="clinical")])) is None
    # a model that is not shipped names the report, and its figures go without units
    levels = np.concatenate([[0.0], np.logspace(-3, 0, 12)])
    series = pd.DataFrame({"model": "oldmodel", "condition_id": [f"c{i}" for i in range(len(levels))],
                           "level": levels, "perturbation": screens.dose_conditions("set:pth", levels),
                           "background": "", "readout": "osteoclasts",
                           "value": hill(levels, 200.0, 0.9, 0.05, 1.7), "baseline_value": 200.0,
                           "log2_fold_change": 0.0, "status": "ok", "message": ""})
    series.to_csv(tmp_path / "d.csv", index=False)
    page = report.write_report(tmp_path / "d.csv", tmp_path / "d.html").read_text(encoding="utf-8")
    assert "<p>Model: oldmodel</p>" in page and "Dose-response and Hill fits" in page


def test_report_of_a_dose_response_table_fits_its_series(tmp_path):
    from rankl_net.report import write_report

    levels = np.concatenate([[0.0], np.logspace(-3, 0, 12)])
    specs = screens.dose_conditions("inh:P38", levels)
    table = pd.DataFrame({"condition_id": [f"c{i}" for i in range(len(levels))], "level": levels,
                          "perturbation": specs, "background": "", "readout": "osteoclasts",
                          "value": hill(levels, 200.0, 0.9, 0.05, 1.7), "baseline_value": 200.0,
                          "log2_fold_change": 0.0, "status": "ok", "message": ""})
    # a readout that rises in a straight line: no plateau, so no IC50 to read
    line = table.assign(readout="bone_volume", value=100.0 + 40.0 * levels, baseline_value=100.0)
    pd.concat([table, line]).to_csv(tmp_path / "d.csv", index=False)
    page = write_report(tmp_path / "d.csv", tmp_path / "d.html").read_text(encoding="utf-8")
    assert "Dose-response and Hill fits" in page and page.count("<img ") == 1
    # titled for what it reports: it was "Screen report", and `report --help` named screens only
    assert f"<h1>Dose-response report: {tmp_path / 'd.csv'}</h1>" in page and "Screen report" not in page
    assert "<title>rankl-net dose-response report</title>" in page
    from click.testing import CliRunner

    from rankl_net.cli import main

    helped = " ".join(CliRunner().invoke(main, ["report", "--help"]).output.split())
    assert "a dose-response table (dose-response --out: the series and its Hill fits)" in helped
    fits = pd.read_html(io.StringIO(page))[-1]
    assert list(fits["readout"]) == ["osteoclasts", "bone_volume"]
    assert fits["emax_scale"].tolist() == ["fraction"] * 2
    assert fits["quality"].tolist() == ["ok", "ambiguous"]
    assert "<li>bone_volume: ambiguous fit: IC50 at the top of its range" in page
    assert "<li>osteoclasts" not in page
    assert fits["ic50"].iloc[0] == pytest.approx(0.05, rel=1e-3)
    assert fits["hill"].iloc[0] == pytest.approx(1.7, rel=1e-3)


@pytest.mark.parametrize(("manifest", "said"), [
    ({"model": "bone", "context": "human", "end": 1}, "context human; readouts at 1 day"),
    ({"model": "clinical", "context": "human", "end": 365.25}, "context human; readouts at 365.25 days"),
    ({"model": "oldmodel", "context": "mouse", "end": 28}, "context mouse; readouts at 28"),  # not here
    ({"model": "f.xml", "context": "steady", "end": 5, "sbml_sha256": "ab"},
     "baseline: the file's steady state; readouts at 5 in the file's time unit"),
    ({"model": "f.xml", "context": "initial", "end": 2, "sbml_sha256": "ab", "time_unit": "hour"},
     "baseline: the file's initial state; readouts at 2 hours"),  # a folder that records its time unit
    ({"model": "bone"}, ""),  # a folder written before these were recorded
])
def test_the_report_says_what_a_screen_folder_records_of_its_settings(tmp_path, manifest, said):
    from rankl_net import report

    (tmp_path / screens.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert report._screen_settings(tmp_path, manifest["model"], pd.DataFrame()) == said


@pytest.mark.parametrize(("columns", "said"), [
    ({"model": "bone", "context": "mouse", "end": 28.0}, "context mouse; readouts at 28 days"),
    ({"model": "f.xml", "context": np.nan, "end": 5.0}, "readouts at 5 in the file's time unit"),
    ({"model": "f.xml", "context": np.nan, "baseline": "steady", "end": 5.0},
     "baseline: the file's steady state; readouts at 5 in the file's time unit"),
    ({"model": "f.xml", "context": np.nan, "baseline": "initial", "end": 1.0, "time_unit": "second"},
     "baseline: the file's initial state; readouts at 1 second"),
    ({"model": "bone"}, ""),  # a table written before these were recorded
])
def test_the_report_says_what_a_dose_response_table_records_of_its_settings(tmp_path, columns, said):
    from rankl_net import report

    table = pd.DataFrame({"readout": ["x", "x"], **columns})
    assert report._screen_settings(tmp_path / "d.csv", columns["model"], table) == said


def test_the_report_marks_the_failed_levels_of_a_dose_response_table(tmp_path, monkeypatch):
    from rankl_net import plots
    from rankl_net.report import write_report

    figures, save = [], plots._save
    monkeypatch.setattr(plots, "_save",
                        lambda fig, path, dpi=110: figures.append(fig) or save(fig, path, dpi))
    levels = np.linspace(0, 1, 9)
    failed = levels > 0.8
    table = pd.DataFrame({"condition_id": [f"c{i}" for i in range(len(levels))], "level": levels,
                          "perturbation": screens.dose_conditions("inh:P38", levels), "background": "",
                          "readout": "osteoclasts",
                          "value": np.where(failed, np.nan, hill(levels, 200.0, 0.9, 0.3, 1.7)),
                          "baseline_value": 200.0, "log2_fold_change": 0.0,
                          "status": np.where(failed, "failed", "ok"),
                          "message": np.where(failed, "integration failed", "")})
    table.to_csv(tmp_path / "d.csv", index=False)
    page = write_report(tmp_path / "d.csv", tmp_path / "d.html").read_text(encoding="utf-8")
    assert "Failed conditions" in page
    marks = [ln for ln in figures[0].axes[0].lines if ln.get_label() == "simulation failed"]
    assert len(marks) == 1 and marks[0].get_xdata().tolist() == levels[failed].tolist()


def test_report_of_a_combination_matrix_has_its_bliss_excess(tmp_path):
    from rankl_net.report import write_report

    levels = (0.5, 0.9)
    conds = [f"inh:P38={x}" for x in levels] + [f"inh:CTSK={y}" for y in levels]
    conds += [f"inh:P38={x}+inh:CTSK={y}" for x in levels for y in levels]
    table = run_screen("bone", conds, end=28, readouts=["osteoclasts", "bone_volume", "ctx"], workers=1,
                       background=["oe:OPG=1.2"])
    table.to_csv(tmp_path / "m.csv", index=False)
    page = write_report(tmp_path / "m.csv", tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Background, in every condition and in the baseline: oe:OPG=1.2" in page
    assert "osteoclasts: Bliss excess of inh:P38 with inh:CTSK" in page and page.count("<img ") == 2
    assert f"<h1>Combination report: {tmp_path / 'm.csv'}</h1>" in page
    assert "No Bliss analysis of ctx" in page  # a percent change: no fraction of it
    assert "Strongest epistasis" not in page  # the Bliss and HSA excess stand for it
    shown = next(t for t in pd.read_html(io.StringIO(page)) if "bliss_excess" in t.columns)
    assert len(shown) == 8 and list(shown.columns[:3]) == ["readout", "inh:P38", "inh:CTSK"]
    for readout, sign in (("osteoclasts", 1), ("bone_volume", -1)):  # bone volume rises
        sub = table[table["readout"] == readout]
        fold = dict(zip(sub["perturbation"], sub["value"] / sub["baseline_value"], strict=True))
        for row in shown[shown["readout"] == readout].itertuples(index=False):
            a, b = f"inh:P38={row[1]:g}", f"inh:CTSK={row[2]:g}"
            # Bliss: the single agents' folds multiply; above 0 is stronger than that, either way
            expected = sign * (fold[a] * fold[b] - fold[f"{a}+{b}"])
            assert row.bliss_excess == pytest.approx(expected, rel=2e-3, abs=1e-3)  # shown with 3 digits
            strongest = min(fold[a], fold[b]) if sign > 0 else max(fold[a], fold[b])
            assert row.hsa_excess == pytest.approx(sign * (strongest - fold[f"{a}+{b}"]), rel=2e-3, abs=1e-3)
    # inh:CTSK leaves osteoclasts as they are: its excess with P38 is integration round-off (of the
    # order of 1e-12 to 1e-9 here), shown as 0
    noise = shown[shown["readout"] == "osteoclasts"]
    assert (noise["bliss_excess"] == 0).all() and (noise["hsa_excess"] == 0).all()
    sub = table[table["readout"] == "osteoclasts"]
    fold = dict(zip(sub["perturbation"], sub["value"] / sub["baseline_value"], strict=True))
    assert any(fold[f"inh:P38={x}"] * fold[f"inh:CTSK={y}"] != fold[f"inh:P38={x}+inh:CTSK={y}"]
               for x in levels for y in levels)  # (the values themselves are not exactly so)


def test_a_knockdown_matrix_is_read_with_full_expression_as_the_absent_level(tmp_path):
    # kd:X=0 is a complete knockdown, a level like any other; the agent is absent at kd:X=1
    from rankl_net.report import write_report

    conds = ["kd:RANKL=0.5", "kd:RANKL=0", "inh:P38=0.5", "kd:RANKL=0.5+inh:P38=0.5",
             "kd:RANKL=0+inh:P38=0.5"]
    table = run_screen("bone", conds, end=28, readouts=["osteoclasts"], workers=1, out=tmp_path / "k.parquet")
    page = write_report(tmp_path / "k.parquet", tmp_path / "k.html").read_text(encoding="utf-8")
    assert "osteoclasts: Bliss excess of kd:RANKL with inh:P38" in page
    shown = next(t for t in pd.read_html(io.StringIO(page)) if "bliss_excess" in t.columns)
    assert sorted(shown["kd:RANKL"]) == [0.0, 0.5] and set(shown["inh:P38"]) == {0.5}
    fold = dict(zip(table["perturbation"], table["value"] / table["baseline_value"], strict=True))
    for row in shown.itertuples(index=False):
        a, b = f"kd:RANKL={row[1]:g}", f"inh:P38={row[2]:g}"
        expected = fold[a] * fold[b] - fold[f"{a}+{b}"]  # osteoclasts fall: effects are inhibition
        assert row.bliss_excess == pytest.approx(expected, rel=2e-3, abs=1e-3)


@pytest.mark.parametrize("conds", [
    ["set:pth=2", "inh:P38=0.5", "set:pth=2+inh:P38=0.5"],  # set: has no absent level
    ["inh:P38=0.5", "inh:CTSK=0.5", "kd:RANKL=0.5", "inh:P38=0.5+inh:CTSK=0.5+kd:RANKL=0.5"],  # three
    # an agent twice in a condition acts twice (kd 0.5 twice keeps 0.25): it has no one level
    ["kd:RANKL=0.5", "inh:P38=0.5", "kd:RANKL=0.5+inh:P38=0.5", "kd:RANKL=0.5+kd:RANKL=0.5+inh:P38=0.5"],
])
def test_the_report_says_when_a_combination_screen_has_no_bliss_analysis(tmp_path, conds):
    from rankl_net.report import write_report

    table = pd.DataFrame({"condition_id": [f"c{i}" for i in range(len(conds))], "perturbation": conds,
                          "background": "", "readout": "osteoclasts", "value": 1.0, "baseline_value": 2.0,
                          "log2_fold_change": -1.0, "status": "ok", "message": ""})
    table.to_csv(tmp_path / "t.csv", index=False)
    page = write_report(tmp_path / "t.csv", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "No Bliss analysis: the report reads dose matrices of two agents" in page
    assert "osteoclasts: single perturbations" in page
    knockouts = table.assign(perturbation=["ko:OPG", "ko:CTSK", "ko:OPG+ko:CTSK", "ko:P38"][:len(conds)])
    knockouts.to_csv(tmp_path / "k.csv", index=False)
    assert "No Bliss" not in write_report(tmp_path / "k.csv", tmp_path / "k.html").read_text(encoding="utf-8")


def _bars_drawn(monkeypatch, kind: str = "bar_figure") -> list[dict]:
    """What the report draws with ``kind`` (bar_figure or heatmap_figure): each call's data,
    title and label (the figure itself is not drawn)."""
    from rankl_net import report

    drawn: list[dict] = []

    def record(data, path, *, title, label, **extra):
        drawn.append({"series": data.copy(), "title": title, "label": label, **extra})
        Path(path).write_bytes(b"")
        return Path(path)

    monkeypatch.setattr(report, kind, record)
    return drawn


def test_report_of_a_sensitivity_table_names_the_analysis_and_draws_its_indices(tmp_path, monkeypatch):
    from rankl_net import report
    from rankl_net.report import write_report

    indices = pd.DataFrame({"parameter": ["k_a", "k_b", "k_a", "k_b"], "low": [1.0, 0.5, 1.0, 0.5],
                            "high": [2.0, 4.0, 2.0, 4.0], "readout": ["x", "x", "y", "y"],
                            "S1": [0.1, 0.6, 0.3, 0.2], "S1_conf": 0.05, "ST": [0.2, 0.7, 0.4, 0.3],
                            "ST_conf": 0.05, "model": "bone", "context": "mouse", "end": 84.0, "n": 64,
                            "seed": 1})
    indices.to_csv(tmp_path / "s.csv", index=False)
    drawn = []

    def record(table, path, *, title):
        drawn.append((table.copy(), title))
        Path(path).write_bytes(b"")
        return Path(path)

    monkeypatch.setattr(report, "sensitivity_figure", record)
    page = html.unescape(write_report(tmp_path / "s.csv", tmp_path / "s.html").read_text(encoding="utf-8"))
    described = "Sobol' indices of bone (mouse), readouts at 84 days; 64 base samples, seed 1"
    assert f"<p>{described}</p>" in page and page.count("<img ") == 1
    (table, title), = drawn
    pd.testing.assert_frame_equal(table, indices)  # every readout's indices, in one figure
    assert title == described
    # each parameter's range once, in the order of the table
    ranges = re.search(r"Parameter ranges.*?<tbody>(.*?)</tbody>", page, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", ranges) == ["k_a", "1", "2", "k_b", "0.5", "4"]
    assert f"<h1>Sensitivity report: {tmp_path / 's.csv'}</h1>" in page
    with pytest.raises(InputError, match=r"or a sensitivity table \(parameter, readout, ST or mu_star"):
        indices.drop(columns=["S1", "ST"]).to_csv(tmp_path / "t.csv", index=False)
        write_report(tmp_path / "t.csv", tmp_path / "t.html")


def test_round_off_shows_as_zero_and_a_change_does_not():
    """Display only: a value at most a millionth of its column's size is integration round-off."""
    table = pd.DataFrame({"ctx": [-1.5e-7, 8.3e-5, -8.5e-5], "dose": [1e-38, 2.0, 3.0]})
    shown = analysis.round_off_to_zero(table, {"ctx": 84.0})
    assert shown["ctx"].tolist() == [0.0, 0.0, -8.5e-5] and str(shown["ctx"][0]) == "0.0"  # not -0.0
    assert shown["dose"].tolist() == [1e-38, 2.0, 3.0]  # a column not named is left as it is
    assert table["ctx"][0] == -1.5e-7  # and the table given is not changed


def test_a_change_that_is_round_off_throughout_shows_as_zero():
    """A percent change at -7e-8 % in every arm (P1NP under a drug that leaves formation alone):
    its size over the run is round-off too, so a change's size is taken as at least 1 %."""
    table = pd.DataFrame({"p1np": [-7.2e-8, -9.6e-8], "osteoclasts": [1.8e-3, 1e-9]})
    sizes = table.abs().max().to_dict()
    assert analysis.round_off_to_zero(table, sizes)["p1np"].tolist() == [-7.2e-8, -9.6e-8]
    shown = analysis.round_off_to_zero(table, sizes, changes=["p1np"])
    assert shown["p1np"].tolist() == [0.0, 0.0]
    assert shown["osteoclasts"].tolist() == [1.8e-3, 0.0]  # not a change: its own size

def test_a_flat_or_short_series_has_no_hill_fit():
    x = np.linspace(0, 1, 9)
    flat = 50.0 * (1 - 1e-9 * x)  # integration noise, not a response
    assert np.isnan(fit_hill(x, flat)["ic50"])
    assert (fit_hill(x, flat)["quality"], fit_hill(x, flat)["note"][:13]) == ("none", "flat response")
    short = fit_hill(x[:4], hill(x[:4], 200.0, 0.9, 0.05, 1.7))
    assert np.isnan(short["ic50"]) and short["note"] == "4 distinct doses; a Hill fit needs at least 5"
    failed = np.where(x > 0.4, np.nan, hill(x, 200.0, 0.9, 0.05, 1.7))  # five levels failed
    assert fit_hill(x, failed)["note"] == ("4 distinct doses with a finite response (of 9); "
                                           "a Hill fit needs at least 5")
    assert is_flat(np.where(x > 0.9, np.nan, flat)) and not is_flat([1.0, 2.0, np.nan])
    assert np.isfinite(fit_hill(x, hill(x, 200.0, 0.9, 0.3, 1.7))["ic50"])
    # a dose below 0 is not a dose (the Hill curve would read it as 0): no fit, and why
    below = fit_hill(-x, hill(x, 200.0, 0.9, 0.3, 1.7))
    assert np.isnan(below["ic50"]) and below["quality"] == "none"
    assert below["note"] == "8 doses below 0 (down to -1); a Hill curve starts at dose 0 (no dose)"


def test_a_series_that_does_not_fix_its_hill_parameters_is_called_ambiguous():
    x = np.linspace(0, 1, 9)
    assert fit_hill(x, hill(x, 200.0, 0.9, 0.3, 1.7))["quality"] == "ok"
    # a straight line has no plateau: the IC50 runs to the top of its range
    line = fit_hill(x, 100.0 + 40.0 * x)
    assert line["quality"] == "ambiguous" and "does not saturate" in line["note"]
    assert line["ic50"] == pytest.approx(100.0, rel=1e-3)  # 100 times the highest level
    assert line["at_bound"] in ("ic50", "ic50,hill")
    # shown to a reader, a bound is not an estimate: left empty
    shown = fit_summary(pd.DataFrame([{"readout": "line", **line},
                                      {"readout": "ok", **fit_hill(x, hill(x, 200.0, 0.9, 0.3, 1.7))}]))
    assert shown[["ic50", "ic50_lo", "ic50_hi"]].iloc[0].isna().all()
    # and the Hill coefficient and maximal effect found with it are extrapolations: empty too
    assert shown[["hill", "emax"]].iloc[0].isna().all() and np.isfinite(line["emax"])
    assert shown[["hill", "emax"]].iloc[1].notna().all()
    assert shown["ic50"].iloc[1] == pytest.approx(0.3, rel=1e-6)
    # complete from the lowest level: any IC50 below it fits, the one found is extrapolated
    at_once = fit_hill(x, np.where(x > 0, 20.0, 200.0))
    assert at_once["quality"] == "ambiguous" and "below the lowest dose above 0 (0.125)" in at_once["note"]
    assert fit_hill(x, hill(x, 200.0, 0.9, 3.0, 1.7))["note"].startswith("IC50 3 above the highest dose 1")
    # an IC50 within five doses, with noise of 2 % of the effect: one degree of freedom leaves
    # an interval over 100-fold
    few = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    noisy = hill(few, 200.0, 0.9, 0.3, 1.7) + 4.0 * np.random.default_rng(2).standard_normal(len(few))
    wide = fit_hill(few, noisy)
    assert few[1] < wide["ic50"] < 1.0 and wide["ic50_hi"] / wide["ic50_lo"] > 100
    assert wide["quality"] == "ambiguous" and "IC50 interval spans" in wide["note"]
    # a response that is not a Hill curve of the dose (activity falling linearly, then a step)
    bent = np.where(x < 0.5, 200.0 * (1 - x), 20.0)
    assert "not a Hill curve of the dose" in fit_hill(x, bent)["note"]
    # a steep rise that has not levelled off: the maximal effect stops at its floor (a rise to
    # 101 times the baseline) and is named, not shown (it printed emax -100 and "ok")
    steep = fit_hill(x, 1.0 + 400.0 * x ** 3)
    assert steep["emax"] == pytest.approx(-100.0, abs=1e-3) and "emax" in steep["at_bound"].split(",")
    assert steep["quality"] == "ambiguous" and "maximal effect at the edge of its range" in steep["note"]
    shown = fit_summary(pd.DataFrame([{"readout": "steep", **steep}])).iloc[0]
    # with emax at its floor, the IC50 and n are set by that bound, not by the series
    assert shown[["emax", "ic50", "ic50_lo", "ic50_hi", "hill"]].isna().all()


def test_an_anchored_fit_fixes_the_baseline_at_the_reference():
    x = np.linspace(0, 1, 9)
    y = hill(x, 200.0, 0.9, 0.3, 1.7) + np.array([3.0, -2, 1, 0, -1, 2, -3, 1, 0])  # noise at dose 0 too
    free, fixed = fit_hill(x, y, reference=200.0), fit_hill(x, y, reference=200.0, anchored=True)
    assert free["baseline"] != 200.0 and fixed["baseline"] == 200.0
    assert fixed["baseline_lo"] == fixed["baseline_hi"] == 200.0
    assert fixed["ic50"] == pytest.approx(0.3, rel=0.05) and fixed["hill"] == pytest.approx(1.7, rel=0.1)
    # a knockdown series, fitted on the fraction removed (1 - kept fraction), dose 0 the reference
    kept = np.linspace(0, 1, 9)
    osteoclasts = hill(1 - kept, 2.0, 1.0, 0.25, 2.0)
    fit = fit_hill(screens.dose_of("kd:RANKL", kept), osteoclasts, reference=2.0, anchored=True)
    assert fit["ic50"] == pytest.approx(0.25, rel=1e-4) and fit["emax"] == pytest.approx(1.0, rel=1e-4)
    np.testing.assert_allclose(screens.dose_of("oe:OPG", [1.0, 3.0]), [0.0, 2.0])
    np.testing.assert_allclose(screens.dose_of("set:pth", [1.0, 3.0]), [1.0, 3.0])
    assert screens.anchored("kd:RANKL") and not screens.anchored("set:pth")


def test_bliss_excess_is_zero_for_independent_effects():
    for ea, eb in [(0.2, 0.5), (0.0, 0.7), (0.9, 0.9)]:
        independent = 1 - (1 - ea) * (1 - eb)
        assert bliss_excess(ea, eb, independent) == pytest.approx(0.0, abs=1e-15)
        assert hsa_excess(ea, eb, max(ea, eb)) == 0.0
    # synergy is positive: 0.7 observed where independence predicts 0.6
    assert bliss_excess(0.2, 0.5, 0.7) == pytest.approx(0.1)
    assert bliss_excess(0.2, 0.5, 0.5) == pytest.approx(-0.1)  # antagonism
    assert hsa_excess(0.2, 0.5, 0.7) == pytest.approx(0.2)
    base = 100.0
    values = {(a, b): base * (1 - a) * (1 - b) for a in (0.0, 0.3, 0.6) for b in (0.0, 0.2, 0.5)}
    matrix = combination_matrix(values, base)
    assert len(matrix) == 4
    np.testing.assert_allclose(matrix["bliss_excess"], 0.0, atol=1e-12)
    assert (matrix["hsa_excess"] > 0).all()


def test_a_screen_of_two_agents_without_combinations_shows_its_single_perturbations(tmp_path):
    from rankl_net.report import write_report

    conds = ["kd:RANKL=0.5", "kd:RANKL=0.2", "kd:TRAF6=0.5"]
    table = pd.DataFrame({"condition_id": ["a", "b", "c"], "perturbation": conds, "background": "",
                          "readout": "osteoclasts", "value": [1.0, 0.5, 1.5], "baseline_value": 2.0,
                          "log2_fold_change": [-1.0, -2.0, -0.415], "status": "ok", "message": ""})
    table.to_csv(tmp_path / "t.csv", index=False)
    page = write_report(tmp_path / "t.csv", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "osteoclasts: single perturbations" in page and page.count("<img ") == 1
    assert "Bliss" not in page


def test_combination_matrix_reads_the_direction_from_the_single_agents():
    """Without rising, the effects are counted in the direction the single agents move the
    readout: a synergistic rise (the pair above the product of the singles' folds) has a positive
    Bliss excess, as a synergistic fall has."""
    up = {(1.0, 0.0): 150.0, (0.0, 1.0): 120.0, (1.0, 1.0): 200.0}  # Bliss expects 100 * 1.5 * 1.2
    down = {(1.0, 0.0): 50.0, (0.0, 1.0): 80.0, (1.0, 1.0): 30.0}  # Bliss expects 100 * 0.5 * 0.8
    for values, rising in ((up, True), (down, False)):
        inferred = combination_matrix(values, 100.0)
        pd.testing.assert_frame_equal(inferred, combination_matrix(values, 100.0, rising=rising))
    assert combination_matrix(up, 100.0)["bliss_excess"].iloc[0] == pytest.approx((200 - 180) / 100)
    assert combination_matrix(down, 100.0)["bliss_excess"].iloc[0] == pytest.approx((40 - 30) / 100)


def test_combination_matrix_takes_the_absent_level_of_each_agent():
    # knockdown (kept fraction, absent at 1) with an inhibitor (absent at 0), independent
    values = {(0.5, 0.0): 50.0, (1.0, 0.4): 60.0, (0.5, 0.4): 30.0, (0.0, 0.0): 0.0, (0.0, 0.4): 0.0}
    rows = combination_matrix(values, 100.0, absent=(1.0, 0.0))
    assert rows[["level_a", "level_b"]].values.tolist() == [[0.0, 0.4], [0.5, 0.4]]
    np.testing.assert_allclose(rows["bliss_excess"], 0.0, atol=1e-12)
    # read with 0 as absent for both, (1, 0.4) is a combination without its single agent (1, 0)
    with pytest.raises(InputError, match=re.escape("the combination (1, 0.4) has no single-agent value at "
                                                   "(1, 0): each agent alone")):
        combination_matrix(values, 100.0)


def test_combination_matrix_is_zero_for_independent_agents_either_way():
    # independent agents multiply the readout's fold of baseline, whether they lower or raise it
    for fa, fb, rising in [(0.5, 0.8, False), (1.5, 1.2, True)]:
        rows = combination_matrix({(1.0, 0.0): 100 * fa, (0.0, 1.0): 100 * fb, (1.0, 1.0): 100 * fa * fb},
                                  100.0, rising=rising)
        assert rows["bliss_excess"].iloc[0] == pytest.approx(0.0, abs=1e-12)
        # the combination beats the stronger agent by the weaker one's share
        stronger, weaker = (min(fa, fb), max(fa, fb)) if not rising else (max(fa, fb), min(fa, fb))
        assert rows["hsa_excess"].iloc[0] == pytest.approx(abs(stronger * weaker - stronger), rel=1e-12)


def test_epistasis_is_zero_for_multiplicative_effects():
    assert epistasis(-1.0, 0.5, -0.5) == 0.0
    assert epistasis(-1.0, -1.0, -5.0) == -3.0
    assert np.isnan(epistasis(-10.0, -1.0, -np.inf))  # a readout taken to zero: not measurable


def test_a_pair_whose_single_takes_the_readout_to_its_floor_has_no_epistasis_score():
    """A single that leaves under 1 % of the readout (log2 fold change below log2(0.01)) leaves
    no room to measure an interaction; singles above it are scored as before."""
    rows = [("ko:A", -13.5), ("ko:B", -0.5), ("ko:C", -1.0), ("ko:A+ko:B", -27.0), ("ko:B+ko:C", -3.5)]
    table = pd.DataFrame({"perturbation": [p for p, _ in rows], "readout": "osteoclasts",
                          "log2_fold_change": [v for _, v in rows], "status": "ok"})
    scores = analysis.pairwise_epistasis(table).set_index(["a", "b"])["epistasis"]
    assert np.isnan(scores[("ko:A", "ko:B")])
    assert scores[("ko:B", "ko:C")] == pytest.approx(-3.5 - (-0.5 - 1.0))
    just_above = table.assign(log2_fold_change=table["log2_fold_change"].where(
        table["perturbation"] != "ko:A", np.log2(0.011)))
    assert np.isfinite(analysis.pairwise_epistasis(just_above).set_index(["a", "b"]).loc[
        ("ko:A", "ko:B"), "epistasis"])


def test_a_log2_fold_change_does_not_measure_integration_noise():
    """A value a millionth of the baseline or less is zero for a fold change (-inf): a double
    knockout left osteoclasts at 1e-18 pM or -7e-16 pM, which gave log2 fold changes of -51 or
    none at all. A baseline at zero (a percent change) has no fold change."""
    assert log2_fold_change(2.0, 8.0) == -2.0
    assert log2_fold_change(1e-3 * 1e-5, 1e-3) == pytest.approx(np.log2(1e-5))  # still resolved
    assert log2_fold_change(1e-18, 1.8e-3) == log2_fold_change(-7e-16, 1.8e-3) == -np.inf
    assert np.isnan(log2_fold_change(38.7, -1.7e-7))  # a percent change from its zero baseline
    assert np.isnan(log2_fold_change(-84.7, 0.0)) and np.isnan(log2_fold_change(0.0, 0.0))
    assert np.isnan(log2_fold_change(-0.5, 1.0)) and np.isnan(log2_fold_change(np.nan, 1.0))
    # noise against noise, where a background removed the readout (1.8e-3 pM in the model)
    assert log2_fold_change(1.4e-16, 1e-16) > 0 and np.isnan(log2_fold_change(1.4e-16, 1e-16, scale=1.8e-3))
    # round-off against round-off, with nothing larger for a scale (a drug not given)
    assert np.isnan(log2_fold_change(1.7e-39, 6.2e-39, scale=6.2e-39, noise=1e-20))
    assert np.isnan(log2_fold_change(7.6e-4, 1e-39, scale=1e-39, noise=1e-20))  # a drug's level from zero
    assert np.isnan(log2_fold_change(1e-45, 4.6e-36, scale=4.6e-36, noise=1e-20))  # not -inf
    assert log2_fold_change(2e-21, 1e-21) == 1.0  # without a noise floor (an SBML file's moles)


def test_drugs_not_given_have_no_fold_change_in_a_screen():
    """The serum level of a drug not given is round-off (1e-39 ug/mL) in the clinical model: it
    has no fold change, under another drug or a knockout."""
    table = run_screen("clinical", ["drug:denosumab=60mg", "ko:OPG"], end=30, workers=1,
                       readouts=["zoledronate_serum", "denosumab_serum", "ctx"])
    lfc = {(r.perturbation, r.readout): r.log2_fold_change for r in table.itertuples()}
    assert np.isnan(lfc[("drug:denosumab=60mg", "zoledronate_serum")])
    assert np.isnan(lfc[("ko:OPG", "zoledronate_serum")]) and np.isnan(lfc[("ko:OPG", "denosumab_serum")])
    assert np.isfinite(lfc[("drug:denosumab=60mg", "ctx")])


def test_a_double_knockout_that_removes_osteoclasts_has_no_epistasis_score(tmp_path):
    table = run_screen("bone", ["ko:NFATC1", "ko:P38", "ko:P38+ko:NFATC1"], end=84,
                       readouts=["osteoclasts"], workers=1, out=tmp_path / "s")
    lfc = dict(zip(table["perturbation"], table["log2_fold_change"], strict=True))
    assert lfc["ko:NFATC1"] == lfc["ko:P38+ko:NFATC1"] == -np.inf and np.isfinite(lfc["ko:P38"])
    from rankl_net.analysis import pairwise_epistasis

    scores = pairwise_epistasis(table)
    assert len(scores) == 1 and np.isnan(scores["epistasis"].iloc[0])  # the pair is listed, unscored


@pytest.mark.parametrize(("args", "needle"), [
    (["--knockouts", "OPGG"], "Did you mean 'OPG'"),
    (["--knockouts", "all", "--readouts", "osteoclast"], "Did you mean 'osteoclasts'"),
    (["--knockouts", ","], "empty"),
    (["--knockouts", "all", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--knockouts", "OPG", "--chunk-size", "-1"], "chunk size must be at least 1"),
    (["--knockouts", "OPG", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    (["--knockouts", "OPG,RANKL,OPG"], "names OPG more than once"),
    (["--knockouts", "OPG", "--readouts", "bone_volume,bone_volume"], "'bone_volume' is listed more"),
    (["--knockouts", "OPG", "--scheduler", ""], "the scheduler's address is empty (--scheduler, or"),
    (["--knockouts", "OPG", "--worker-timeout", "5"], "--worker-timeout applies to a Dask cluster"),
    (["--knockouts", "all,OPG"], "'all' lists every knockout by itself"),
    (["--knockouts", "OPG,,RANK"], "--knockouts has an empty name between commas: 'OPG,,RANK'"),
    (["--knockouts", "OPG,RANK,"], "--knockouts ends in a comma, with no name after it: 'OPG,RANK,'"),
    (["--knockouts", "OPG", "--readouts", "bone_volume,,osteoclasts"], "--readouts has an empty name"),
])
def test_screen_bad_input_exits_2(tmp_path, args, needle):
    results = tmp_path / "o.parquet"
    out = subprocess.run(_cli("screen", "bone", *args, "--out", str(results)),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and "Traceback" not in out.stderr
    assert not results.exists()  # refused before the results folder is made


def test_dose_response_fraction_outside_0_1_exits_2(tmp_path):
    out = subprocess.run(_cli("dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1.5:5"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "between 0 and 1" in out.stderr
    assert "the level 1.125 of inh:P38 (inh:P38=1.125) is out of range" in out.stderr  # which level


def test_dose_response_with_a_background_spec_in_perturb_says_where_it_goes():
    """--perturb is the dosed target; a knockout there is a background that belongs in -p."""
    out = subprocess.run(_cli("dose-response", "bone", "--perturb", "ko:OPG", "--levels", "0:1:5"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "got 'ko:OPG'" in out.stderr
    assert ("a perturbation under every level (a knockout, a drug at one dose) goes in the background (-p "
            "SPEC, or run_screen's background= in Python)") in out.stderr  # not Python's wording alone


def test_existing_results_are_left_untouched(tmp_path):
    """The refusal names the way to resume or to choose another folder both in Python's terms
    (resume=True, out=) and in the command line's (--resume, --out), since either may call it."""
    out = tmp_path / "s.parquet"
    run_screen("bone", ["ko:OPG"], end=28, readouts=READ, workers=1, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match=re.escape(
            "already holds results; to continue that screen, resume it (--resume, or resume=True in Python), "
            "or choose another results folder (--out, or out= in Python)")):
        run_screen("bone", ["ko:RANKL"], end=28, readouts=READ, workers=1, out=out)
    again = subprocess.run(_cli("screen", "bone", "--knockouts", "RANKL", "--end", "28", "--out", str(out)),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "resume it (--resume, or resume=True" in again.stderr
    assert "choose another results folder (--out, or out=" in again.stderr
    bad = subprocess.run(_cli("screen", "bone", "--knockouts", "OPGG", "--out", str(out), "--resume"),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("scheduler", ["", "  "])
def test_an_empty_scheduler_from_python_names_the_python_argument(scheduler):
    with pytest.raises(InputError, match=re.escape("the scheduler's address is empty (--scheduler, or "
                                                   "scheduler= in Python)")):
        screens.connect(scheduler)
    with pytest.raises(InputError, match=re.escape("scheduler= in Python")):
        run_screen("bone", ["ko:OPG"], end=28, readouts=READ, scheduler=scheduler)


def test_a_folder_another_screen_is_writing_to_is_refused_and_left_untouched(tmp_path):
    """Two screens writing to one folder would compute the same conditions twice (duplicated
    rows) and remove each other's part files in progress: the second is refused while the first
    holds the folder's lock, and may write once the first process has ended."""
    out = tmp_path / "s.parquet"
    run_screen("bone", ["ko:OPG"], end=28, readouts=READ, workers=1, out=out)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(120)",
         str(out / screens.LOCK)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        with pytest.raises(InputError, match=re.escape("another screen is writing to") + ".*"
                           + re.escape("(then resuming, with --resume, or resume=True in Python, adds")):
            run_screen("bone", ["ko:OPG", "ko:RANKL"], end=28, readouts=READ, workers=1, out=out,
                       resume=True)
        command = _cli("screen", "bone", "--knockouts", "RANKL", "--end", "28", "--readouts",
                       ",".join(READ), "--out", str(out), "--resume")
        busy = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert busy.returncode == 2 and "another screen is writing to" in busy.stderr
        # without --resume too: the folder is busy, which matters before what it holds
        with pytest.raises(InputError, match="another screen is writing to"):
            run_screen("bone", ["ko:RANKL"], end=28, readouts=READ, workers=1, out=out)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    finally:
        holder.kill()
        holder.wait()
    table = run_screen("bone", ["ko:OPG", "ko:RANKL"], end=28, readouts=READ, workers=1, out=out,
                       resume=True)
    assert table.attrs["resumed"] == 1 and len(table) == 2 * len(READ)


def test_a_folder_of_other_files_is_not_a_screen_to_resume(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    for resume in (False, True):
        with pytest.raises(InputError, match=re.escape("holds other files, not a screen; choose another "
                                                       "results folder (--out, or out= in Python)")):
            run_screen("bone", ["ko:OPG"], end=28, readouts=READ, workers=1, out=out, resume=resume)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_resume_names_a_damaged_part_file_and_leaves_the_folder_untouched(tmp_path):
    out = tmp_path / "s.parquet"
    run_screen("bone", ["ko:OPG", "ko:RANKL"], end=28, readouts=READ, workers=1, out=out, chunk_size=1)
    damaged = sorted(out.glob("part-*.parquet"))[0]
    damaged.write_bytes(b"not parquet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = subprocess.run(_cli("screen", "bone", "--knockouts", "OPG,RANKL", "--end", "28", "--readouts",
                              ",".join(READ), "--out", str(out), "--resume"),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert f"{damaged} is not a readable part of this screen" in bad.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_scheduler_without_workers_is_refused(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(InputError, match=re.escape("has no workers (waited 0.5 s)") + ".*"
                           + re.escape("wait longer (--worker-timeout, or worker_timeout= in Python)")):
            screens.connect(cluster.scheduler_address, worker_timeout=0.5)


@pytest.mark.parametrize("answer", [None, b"\xff" * 64], ids=["silent", "garbage"])
def test_a_server_that_is_not_a_dask_scheduler_is_refused_within_the_timeout(answer):
    """A server that accepts the connection and never answers (a web server) or answers in
    another protocol: bad input within seconds, not a wait for ever or a reader's MemoryError."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    held = []

    def serve():
        conn, _ = server.accept()
        held.append(conn)
        if answer:
            conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(InputError, match="cannot reach the Dask scheduler|is not a Dask scheduler"):
            screens.connect(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=1.0, worker_timeout=1.0)
        assert time.monotonic() - started < 5
        # with the connection still open, nothing of the probe is left running (a thread waiting on
        # it kept the process from exiting)
        probes = [t for t in threading.enumerate() if t.name.startswith("rankl-net-probe")]
        for t in probes:
            t.join(2.0)
        assert not any(t.is_alive() for t in probes)
    finally:
        for conn in held:
            conn.close()
        server.close()


def test_a_tls_scheduler_is_left_to_the_client_and_its_security_settings(monkeypatch):
    """The probe speaks plain TCP; a tls:// address goes to the Dask client, which takes its
    certificates from Dask's configuration (the probe had called it not a scheduler)."""
    import distributed

    reached = []

    def client(address, **_):
        reached.append(address)
        raise OSError("no TLS scheduler here")

    monkeypatch.setattr(distributed, "Client", client)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at tls://127.0.0.1:1: no TLS"):
        screens.connect("tls://127.0.0.1:1", timeout=1.0)
    assert reached == ["tls://127.0.0.1:1"]


def test_a_dask_worker_address_is_not_taken_for_its_scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      protocol="tcp://", host="127.0.0.1") as cluster:
        worker = next(iter(cluster.workers.values())).address
        assert worker.startswith("tcp://")
        said = f"{worker} is not a Dask scheduler but a Dask Worker"
        with pytest.raises(InputError, match=re.escape(said)):
            screens.connect(worker, worker_timeout=1.0)


def test_resume_refuses_a_folder_of_another_screen_and_leaves_it_untouched(tmp_path):
    out = tmp_path / "s.parquet"
    run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume"], workers=1, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match=r"holds another screen \(readouts \['bone_volume'\] there"):
        run_screen("bone", ["ko:OPG"], end=28, readouts=["osteoclasts"], workers=1, out=out, resume=True)
    both = tmp_path / "both.parquet"
    run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume", "ctx"], workers=1, out=both)
    said = ("(the same readouts in another order: give them in that order (--readouts bone_volume,ctx, "
            "or readouts=['bone_volume', 'ctx'] in Python))")
    with pytest.raises(InputError, match=re.escape(said)):
        run_screen("bone", ["ko:OPG"], end=28, readouts=["ctx", "bone_volume"], workers=1, out=both,
                   resume=True)
    args = ["--knockouts", "OPG", "--end", "84", "--readouts", "bone_volume", "--out", str(out), "--resume"]
    bad = subprocess.run(_cli("screen", "bone", *args), capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "end 28.0 there, 84.0 here" in bad.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # a folder integrated otherwise (here: without the stability-limit detection) is another screen
    manifest = json.loads((out / "_screen.json").read_text(encoding="utf-8"))
    engine = load("bone", "mouse")
    assert manifest["integrator"] == {
        "relative_tolerance": engine.rr.integrator.getValue("relative_tolerance"),
        "absolute_tolerance": engine.absolute_tolerance,
        "stability_limit_detection": engine.stability_limit_detection,
    }
    other = dict(manifest, integrator={**manifest["integrator"], "stability_limit_detection": False})
    (out / "_screen.json").write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(InputError, match="stability limit detection False there, True here"):
        run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume"], workers=1, out=out, resume=True)
    # a folder from before (some of) the integrator's settings were recorded resumes on the others
    recorded = {k: v for k, v in manifest["integrator"].items() if k != "absolute_tolerance"}
    older = {**manifest, "integrator": recorded}
    (out / "_screen.json").write_text(json.dumps(older), encoding="utf-8")
    run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume"], workers=1, out=out, resume=True)
    (out / "_screen.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "integrator"}),
                                      encoding="utf-8")
    run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume"], workers=1, out=out, resume=True)
    (out / "_screen.json").write_text(json.dumps(manifest), encoding="utf-8")
    # the same screen resumes, and the Parquet dataset reads without the manifest
    table = run_screen("bone", ["ko:OPG", "ko:CTSK"], end=28, readouts=["bone_volume"], workers=1, out=out,
                       resume=True)
    assert list(table.perturbation) == ["ko:OPG", "ko:CTSK"]
    assert len(pd.read_parquet(out)) == 2


def test_unwritable_output_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = subprocess.run(_cli("screen", "bone", "--knockouts", "OPG", "--out", str(blocker / "s.parquet")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "cannot write" in out.stderr


def test_pair_matrix_is_symmetric_with_singles_on_the_diagonal():
    from rankl_net.analysis import pair_matrix

    conds = screens.knockout_conditions("bone", ["OPG", "CTSK", "FOS"])
    conds += screens.knockout_conditions("bone", ["OPG", "CTSK", "FOS"], pairs=True)
    table = run_screen("bone", conds, end=28, readouts=READ, workers=1)
    m = pair_matrix(table, "bone_volume")
    assert list(m.index) == list(m.columns) and len(m) == 3
    np.testing.assert_array_equal(m.to_numpy(), m.to_numpy().T)
    rows = table[(table.perturbation == "ko:OPG") & (table.readout == "bone_volume")]
    single = rows.log2_fold_change.iloc[0]
    assert m.loc["ko:OPG", "ko:OPG"] == single
    pairs = table[table.perturbation.str.contains(r"\+") & (table.readout == "bone_volume")]
    assert len(pairs) == 3
    for r in pairs.itertuples():  # each pair's fold change, at both of its places
        a, b = r.perturbation.split("+")
        assert m.loc[a, b] == m.loc[b, a] == r.log2_fold_change
    # sorted (as the report draws a folder's table, whose rows come in part-file order): the same
    # matrix, its perturbations in alphabetical order whatever the order of the rows
    shuffled = table.sample(frac=1.0, random_state=3)
    ordered = pair_matrix(shuffled, "bone_volume", sort=True)
    assert list(ordered.index) == ["ko:CTSK", "ko:FOS", "ko:OPG"] == list(ordered.columns)
    pd.testing.assert_frame_equal(ordered, m.loc[ordered.index, ordered.columns])


def test_a_bad_end_time_leaves_no_results_folder(tmp_path):
    with pytest.raises(InputError, match="end time"):
        run_screen("bone", ["ko:OPG"], end=-1, readouts=READ, workers=1, out=tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_dose_response_figure_draws_ambiguous_fits_dashed_and_flat_series_plainly(monkeypatch, tmp_path):
    from rankl_net import plots
    from rankl_net.analysis import hill_fits

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    x = np.linspace(0, 1, 9)
    series = {"sigmoid": hill(x, 200.0, 0.9, 0.3, 1.7), "line": 100.0 + 40.0 * x,
              "flat": 1.8e-3 * (1 + 1e-12 * np.sin(7 * x))}  # integration noise about a value
    table = pd.concat([pd.DataFrame({"readout": r, "level": x, "value": y, "baseline_value": y[0]})
                       for r, y in series.items()])
    fits = hill_fits(table)
    assert fits["quality"].tolist() == ["ok", "ambiguous", "none"]
    plots.dose_response_figure(table, fits, tmp_path / "d.png", title="t")
    sigmoid, line, flat = figures[0].axes
    assert [ln.get_linestyle() for ln in sigmoid.lines[1:]] == ["-"]
    assert "IC50 0.3" in sigmoid.lines[1].get_label()
    assert [ln.get_linestyle() for ln in line.lines[1:]] == ["--"]
    assert line.lines[1].get_label() == "Hill fit (ambiguous)"
    assert len(flat.lines) == 1  # the points, no fit
    assert flat.get_ylim() == pytest.approx((1.8e-3 * 0.95, 1.8e-3 * 1.05), rel=1e-9)


def test_dose_response_figure_marks_the_doses_whose_simulation_failed(monkeypatch, tmp_path):
    from rankl_net import plots
    from rankl_net.analysis import hill_fits

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    x = np.linspace(0, 1, 9)
    y = hill(x, 200.0, 0.9, 0.3, 1.7)
    status = np.where(x > 0.8, "failed", "ok")
    table = pd.DataFrame({"readout": "r", "level": x, "value": np.where(status == "ok", y, np.nan),
                          "baseline_value": y[0], "status": status})
    plots.dose_response_figure(table, hill_fits(table), tmp_path / "d.png", title="t")
    ax = figures[0].axes[0]
    marks = [ln for ln in ax.lines if ln.get_label() == "simulation failed"]
    assert len(marks) == 1 and marks[0].get_marker() == "x"
    assert marks[0].get_xdata().tolist() == x[x > 0.8].tolist()
    plots.dose_response_figure(table.assign(status="ok", value=y), hill_fits(table), tmp_path / "e.png",
                               title="t")
    assert not [ln for ln in figures[1].axes[0].lines if ln.get_label() == "simulation failed"]


def test_a_fitted_curve_on_a_log_axis_follows_the_low_doses(monkeypatch, tmp_path):
    """Doses over decades are drawn on a log axis; the fitted curve is evaluated there too, so
    that it passes through the low doses instead of a straight segment from 0 to the second."""
    from rankl_net import plots
    from rankl_net.analysis import hill_fits

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, dpi=110: figures.append(fig) or path)
    x = np.array([0, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7])
    table = pd.DataFrame({"readout": "r", "dose": x, "value": hill(x, 5.0, 1.0, 1.2e5, 1.3),
                          "baseline_value": 5.0})
    plots.dose_response_figure(table, hill_fits(table), tmp_path / "d.png", title="t")
    ax = figures[0].axes[0]
    curve = ax.lines[1].get_xdata()
    assert ax.get_xscale() == "symlog"
    assert ((curve > 1e4) & (curve < 3e4)).sum() >= 10  # the first decade is drawn, not jumped


def test_pairs_with_singles_screen_both(tmp_path):
    args = ["screen", "bone", "--knockouts", "OPG,CTSK,P38", "--pairs", "--end", "28", "--readouts",
            "bone_volume", "--workers", "1"]
    out = subprocess.run(_cli(*args, "--singles", "--out", str(tmp_path / "s")), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "6 conditions (0 failed) x 1 readout in" in out.stdout
    table = pd.read_parquet(tmp_path / "s")
    assert sorted(table["perturbation"]) == sorted(["ko:OPG", "ko:CTSK", "ko:P38", "ko:OPG+ko:CTSK",
                                                    "ko:OPG+ko:P38", "ko:CTSK+ko:P38"])
    singles_only = [a for a in args if a != "--pairs"]
    alone = subprocess.run(_cli(*singles_only, "--singles", "--out", str(tmp_path / "t")),
                           capture_output=True, text=True, timeout=120)
    assert alone.returncode == 2 and "--singles adds the single knockouts to --pairs" in alone.stderr


def test_nodes_are_named_by_their_ids_whatever_the_user_calls_them():
    # Tnfrsf11b is the gene of OPG, Mapk14 of p38: the same knockout, one spec and one id
    with pytest.raises(InputError, match=r"names OPG more than once \(OPG, Tnfrsf11b\)"):
        screens.knockout_conditions("bone", ["OPG", "Tnfrsf11b"], pairs=True)
    with pytest.raises(InputError, match="'ko:OPG' more than once"):
        run_screen("bone", ["ko:OPG", "ko:Tnfrsf11b"], end=28, readouts=["osteoclasts"], workers=1)
    table = run_screen("bone", ["ko:Tnfrsf11b", "inh:Mapk14=0.5"], end=28, readouts=["osteoclasts"],
                       workers=1)
    assert table["perturbation"].tolist() == ["ko:OPG", "inh:P38=0.5"]
    np.testing.assert_array_equal(screens.levels_of(["inh:P38=0.5", "kd:RANKL=1e-09"]), [0.5, 1e-9])


def test_a_dose_series_named_by_a_gene_symbol_has_its_levels(tmp_path):
    out = subprocess.run(_cli("dose-response", "bone", "--perturb", "inh:Mapk14", "--levels", "0:1:5",
                              "--readouts", "osteoclasts", "--out", str(tmp_path / "d.csv")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    series = pd.read_csv(tmp_path / "d.csv")
    assert series["level"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert series["perturbation"].iloc[1] == "inh:P38=0.25"
    assert pd.read_csv(tmp_path / "d_fits.csv")["quality"].iloc[0] != "none"


def test_a_percent_change_under_a_drug_background_is_fitted_in_its_unit(tmp_path):
    """Eight months after one dose of denosumab CTX is above baseline (the rebound); cathepsin K
    inhibition takes it far below: the fit is of the change in percent, not a fraction of it."""
    out = subprocess.run(_cli("dose-response", "clinical", "-p", "drug:denosumab=60mg", "--end", "240",
                              "--perturb", "inh:CTSK", "--levels", "0:1:5", "--readouts", "ctx",
                              "--out", str(tmp_path / "d.csv")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    series = pd.read_csv(tmp_path / "d.csv").set_index("level")["value"]
    assert series[0.0] > 0 and series[1.0] < -50  # the value without inhibition is not 0
    fits = pd.read_csv(tmp_path / "d_fits.csv")
    assert fits["emax_scale"].tolist() == ["absolute"]
    assert fits["emax"].iloc[0] > 50  # percentage points (a fraction of the baseline is at most 1)


def test_levels_and_doses_are_free_of_round_off_and_keep_their_ends():
    assert screens.parse_levels("0:1:6").tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert screens.dose_conditions("inh:P38", screens.parse_levels("0:1:6"))[3] == "inh:P38=0.6"
    # the ends as typed, even past 12 digits
    assert screens.parse_levels("0:0.9999999999999:5")[-1] == 0.9999999999999
    assert screens.parse_levels("0.1234567890123456:1:2")[0] == 0.1234567890123456
    assert screens.dose_of("kd:RANKL", [0.7, 0.8]).tolist() == [0.3, 0.2]


@pytest.mark.parametrize("levels", ["0:1_0:5", "0:1:1_0", "0,\u0663", "0:1:\u0663"])
def test_levels_are_written_with_ascii_digits(levels):
    """As in specs: Python's digit grouping and other scripts' digits are not numbers here."""
    with pytest.raises(InputError, match="cannot read levels"):
        screens.parse_levels(levels)


def test_the_report_of_a_file_screen_names_its_baseline_and_time(linear_file, tmp_path):
    from rankl_net.report import write_report

    run_screen(str(linear_file), ["set:k1=1", "set:k2=0"], end=2, readouts=["y"], workers=1,
               out=tmp_path / "f.parquet")
    page = write_report(tmp_path / "f.parquet", tmp_path / "f.html").read_text(encoding="utf-8")
    assert ("<p>Model: linear.xml; baseline: the file's initial state; readouts at 2 in the file's time "
            "unit</p>") in html.unescape(page)
    # a file with a time unit: the folder records it, and the report gives the time in it
    timed = tmp_path / "timed.xml"
    timed.write_text(antimony_to_sbml("model timed\n unit time_unit = 3600 second\n J0: -> y; k1\n y = 0\n"
                                      " k1 = 1\nend"), encoding="utf-8")
    run_screen(str(timed), ["set:k1=2"], end=3, readouts=["y"], workers=1, out=tmp_path / "t.parquet")
    assert json.loads((tmp_path / "t.parquet" / screens.MANIFEST).read_text())["time_unit"] == "hour"
    page = html.unescape(write_report(tmp_path / "t.parquet", tmp_path / "t.html").read_text("utf-8"))
    assert "<p>Model: timed.xml; baseline: the file's initial state; readouts at 3 hours</p>" in page


def test_sobol_indices_of_an_sbml_file_are_the_shares_of_the_variance(linear_file):
    """With k1 and k2 uniform on (0, 1), y = k1 + 3 k2 has variance 1/12 + 9/12: k2 holds 0.9 of
    it and k1 0.1, as first-order and total indices alike (no interaction); k3 none."""
    from rankl_net.sensitivity import sensitivity

    ranges = {"k1": (0.0, 1.0), "k2": (0.0, 1.0), "k3": (0.0, 1.0)}
    table = sensitivity(str(linear_file), ranges, n=256, end=1, readouts=["y"]).set_index("parameter")
    assert table.loc["k1", "S1"] == pytest.approx(0.1, abs=0.03)
    assert table.loc["k2", "S1"] == pytest.approx(0.9, abs=0.05)
    assert table.loc["k1", "ST"] == pytest.approx(0.1, abs=0.03)
    assert table.loc["k2", "ST"] == pytest.approx(0.9, abs=0.05)
    assert table.loc["k3", "ST"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(InputError, match="unknown parameter 'k4'"):
        sensitivity(str(linear_file), {"k4": (0.0, 1.0)}, n=8, end=1)
    with pytest.raises(InputError, match=r"--context \(context= in Python\) applies to the shipped"):
        sensitivity(str(linear_file), ranges, n=8, end=1, context="human")
    with pytest.raises(InputError, match=r"--end \(end= in Python\) is required for an SBML file"):
        sensitivity(str(linear_file), ranges, n=8)
    with pytest.raises(InputError, match=r"--baseline \(baseline= in Python\) applies to an SBML"):
        sensitivity("bone", {"pth": (1.5, 6.0)}, n=8, baseline="steady")


def test_sensitivity_of_a_file_runs_at_the_baseline_and_tolerances_given(tmp_path):
    from rankl_net.sensitivity import sensitivity

    decay = tmp_path / "decay.xml"  # settles at x = k / d
    decay.write_text(antimony_to_sbml("model decay\n J0: -> x; k - d * x\n x = 0; k = 1; d = 1\nend"),
                     encoding="utf-8")
    ranges = {"k": (1.0, 2.0), "d": (1.0, 2.0)}
    table = sensitivity(str(decay), ranges, method="morris", n=4, end=1e-9, readouts=["x"], baseline="steady",
                        relative_tolerance=1e-10, absolute_tolerance=1e-14, out=tmp_path / "s")
    held = json.loads((tmp_path / "s" / screens.MANIFEST).read_text(encoding="utf-8"))
    assert held["context"] == "steady"
    integrator = held["integrator"]
    assert integrator["relative_tolerance"] == 1e-10 and integrator["absolute_tolerance"] == 1e-14
    # from the steady state (x = 1) a change of k or d at time 0 has not yet moved x at 1e-9
    assert table["mu_star"].max() < 1e-6
    initial = sensitivity(str(decay), ranges, method="morris", n=4, end=1, readouts=["x"])
    assert initial["mu_star"].min() > 0.1  # from x = 0, x(1) = (k / d) (1 - exp(-d)) moves with both


def test_morris_effects_of_an_sbml_file_follow_its_slopes(linear_file):
    """Each elementary effect of y = k1 + 3 k2 over equal ranges is that parameter's slope: the
    mean absolute effect of k2 is three times k1's, with no spread, and k3 has none."""
    from rankl_net.sensitivity import sensitivity

    ranges = {"k1": (0.0, 1.0), "k2": (0.0, 1.0), "k3": (0.0, 1.0)}
    table = sensitivity(str(linear_file), ranges, method="morris", n=10, end=1,
                        readouts=["y"]).set_index("parameter")
    assert table.loc["k2", "mu_star"] == pytest.approx(3 * table.loc["k1", "mu_star"], rel=1e-6)
    assert table.loc["k1", "mu_star"] > 0 and table.loc["k3", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert table["sigma"].max() == pytest.approx(0.0, abs=1e-6)


def test_a_sensitivity_range_below_zero_of_a_rate_is_refused():
    from rankl_net.sensitivity import problem

    with pytest.raises(InputError, match="pth: the range -1:3 reaches below 0"):
        problem("bone", {"pth": (-1.0, 3.0)})
    assert problem("bone", {"pth": (0.0, 3.0)})["bounds"] == [[0.0, 3.0]]


def test_a_sensitivity_parameter_computed_by_a_rule_is_neither_taken_nor_suggested():
    from rankl_net.sensitivity import problem

    with pytest.raises(InputError, match="rankl_free is computed by an assignment rule in bone"):
        problem("bone", {"rankl_free": (1.0, 2.0)})
    with pytest.raises(InputError, match=r"opg_free is a species of bone \(mouse\); a sensitivity analysis "
                                         r"varies parameters. Did you mean 'OPG_expr'\?"):  # not rankl_free
        problem("bone", {"opg_free": (10.0, 50.0)})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": -4}, "n must be a whole number of at least 2, got -4"),  # was numpy's "negative dimensions"
    ({"n": 0}, "at least 2"),  # was "the screen has no conditions"
    ({"n": 10}, "must be a power of 2 .* got 10: use 8 or 16"),  # gave S1 1.07 > ST
    ({"n": 8, "readouts": []}, "readouts is empty"),  # was every readout
    ({"n": 8, "resume": "no"}, "sensitivity: resume must be True or False, got str 'no'"),  # was true
])
def test_bad_sensitivity_arguments_are_refused_before_any_run(kwargs, message):
    from rankl_net.sensitivity import sensitivity

    with pytest.raises(InputError, match=message):
        sensitivity("bone", {"pth": (1.5, 6.0)}, end=10, **kwargs)



# ------------------------------------------------------------------------------ an SBML file
CASCADE = """model cascade
 made: -> x; k0
 converted: x -> y; k1 * x
 removed: y -> ; k2 * y
 k0 = 1; k1 = 1; k2 = 0.5
 x = 0; y = 0
end"""


def _cascade(folder, text: str = CASCADE) -> str:
    """A two-species cascade; its steady state is x = k0/k1 = 1, y = k0/k2 = 2."""
    path = folder / "cascade.xml"
    path.write_text(antimony_to_sbml(text), encoding="utf-8")
    return str(path)


def test_a_screen_on_an_sbml_file_takes_its_generic_perturbations(tmp_path):
    """From the steady state, ko:x leaves y to decay, y(t) = 2 exp(-k2 t); oe:y=2 doubles y at
    time 0, y(t) = 2 + 2 exp(-k2 t); set:k0=2 doubles both steady values."""
    path = _cascade(tmp_path)
    assert screens.knockout_conditions(path, "all") == ["ko:x", "ko:y"]
    assert screens.knockout_conditions(path, ["x", "y"], pairs=True) == ["ko:x+ko:y"]
    t = 4.0
    table = run_screen(path, ["ko:x", "oe:y=2", "set:k0=2"], end=t, baseline="steady", workers=1)
    y = table[table.readout == "y"].set_index("perturbation")
    assert y["baseline_value"].tolist() == pytest.approx([2.0] * 3, rel=1e-6)
    assert y.loc["ko:x", "value"] == pytest.approx(2 * np.exp(-0.5 * t), rel=1e-6)
    assert y.loc["oe:y=2", "value"] == pytest.approx(2 + 2 * np.exp(-0.5 * t), rel=1e-6)
    assert table.loc[table.readout == "x", "value"].tolist() == pytest.approx([0.0, 1.0, 2.0 - np.exp(-t)],
                                                                               abs=1e-6)
    # from the file's initial state (x = y = 0) instead: the knockout of x leaves y at 0
    initial = run_screen(path, ["ko:x"], end=t, readouts=["y"], workers=1)
    assert initial["value"].tolist() == [0.0] and initial["baseline_value"].iloc[0] > 1
    # the pool gives the same table
    pd.testing.assert_frame_equal(table, run_screen(path, ["ko:x", "oe:y=2", "set:k0=2"], end=t,
                                                    baseline="steady", workers=2), check_exact=True)


def test_a_file_screen_warns_once_of_a_set_window_after_its_end(tmp_path):
    """As on a shipped model: a set: window that opens at or after the end has no effect, and the
    screen says so once, however many conditions (or the background) carry it."""
    from rankl_net import DosesAfterEndWarning

    path = _cascade(tmp_path)
    with pytest.warns(DosesAfterEndWarning) as caught:
        table = run_screen(path, ["set:k0=2@4", "set:k0=2@4+ko:y", "ko:x"], background="set:k1=3@10",
                           end=4, readouts=["y"], workers=1)
    said = sorted(str(w.message) for w in caught if issubclass(w.category, DosesAfterEndWarning))
    assert len(said) == 2, said  # one per window, not one per condition
    assert said[0].startswith("set:k0=2@4: its window opens at 4 ") and "not within the 4 " in said[0]
    assert said[1].startswith("set:k1=3@10: its window opens at 10 ")
    first = table.set_index("perturbation")["value"]
    assert first["set:k0=2@4"] == table["baseline_value"].iloc[0]  # no effect
    with warnings.catch_warnings():
        warnings.simplefilter("error", DosesAfterEndWarning)
        run_screen(path, ["set:k0=2@3.9"], end=4, readouts=["y"], workers=1)  # opens within the run
    command = subprocess.run(_cli("screen", path, "--knockouts", "x,y", "-p", "set:k0=2@4", "--end", "4",
                                  "--workers", "1", "--out", str(tmp_path / "s")),
                             capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stderr
    assert command.stderr.count("note: set:k0=2@4: its window opens at 4 ") == 1, command.stderr
    assert "Warning" not in command.stderr


def test_a_file_screen_is_identified_by_the_files_content(tmp_path):
    """Two files of the same name with other rate constants give other condition ids, and a
    folder of one is not resumed with the other."""
    first = run_screen(_cascade(tmp_path), ["ko:x"], end=4, workers=1, out=tmp_path / "r")
    other = tmp_path / "other"
    other.mkdir()
    changed = _cascade(other, CASCADE.replace("k2 = 0.5", "k2 = 0.25"))
    second = run_screen(changed, ["ko:x"], end=4, workers=1)
    assert first["condition_id"].iloc[0] != second["condition_id"].iloc[0]
    held = json.loads((tmp_path / "r" / "_screen.json").read_text())
    import hashlib

    assert held["model"] == "cascade.xml"
    assert held["sbml_sha256"] == hashlib.sha256((tmp_path / "cascade.xml").read_bytes()).hexdigest()
    before = sorted(p.name for p in (tmp_path / "r").iterdir())
    with pytest.raises(InputError, match="sbml_sha256"):
        run_screen(changed, ["ko:x"], end=4, workers=1, out=tmp_path / "r", resume=True)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == before
    again = run_screen(_cascade(tmp_path), ["ko:x"], end=4, workers=1, out=tmp_path / "r", resume=True)
    assert again.attrs["resumed"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"context": "mouse"}, r"--context \(context= in Python\) applies to the shipped models"),
        ({"end": None}, r"--end \(end= in Python\) is required for an SBML file"),
        ({"baseline": "settled"}, "use one of initial, steady"),
        ({"conditions": ["kd:x=0.5"]}, "kd: and inh: need an annotated node"),
        ({"conditions": ["ko:z"]}, "unknown species 'z'"),
        ({"conditions": ["drug:denosumab=60mg"]}, "drug regimens belong to the shipped models"),
        ({"readouts": ["z"]}, "z"),
    ],
)
def test_bad_input_on_an_sbml_file(tmp_path, kwargs, message):
    args = {"conditions": ["ko:x"], "end": 4.0} | kwargs
    conditions = args.pop("conditions")
    with pytest.raises(InputError, match=message):
        run_screen(_cascade(tmp_path), conditions, workers=1, out=tmp_path / "r", **args)
    assert not (tmp_path / "r").exists()


def test_screen_and_dose_response_commands_on_an_sbml_file(tmp_path):
    path = _cascade(tmp_path)
    ok = subprocess.run(_cli("screen", path, "--knockouts", "all", "--pairs", "--singles", "--end", "4",
                             "--baseline", "steady", "--out", str(tmp_path / "s")),
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    table = pd.read_parquet(tmp_path / "s")
    assert sorted(table["perturbation"].unique()) == ["ko:x", "ko:x+ko:y", "ko:y"]
    dr = subprocess.run(_cli("dose-response", path, "--perturb", "set:k1", "--levels", "0.1,0.3,1,3,10",
                             "--end", "20", "--readouts", "x", "--out", str(tmp_path / "d.csv")),
                        capture_output=True, text=True)
    assert dr.returncode == 0, dr.stderr
    series = pd.read_csv(tmp_path / "d.csv")
    k1 = series["dose"].to_numpy()  # from the file's initial state x = 0: x(t) = k0/k1 (1 - exp(-k1 t))
    assert series["value"].to_numpy() == pytest.approx((1 - np.exp(-k1 * 20)) / k1, rel=1e-6)
    refused = subprocess.run(_cli("screen", "bone", "--knockouts", "OPG", "--baseline", "steady",
                                  "--out", str(tmp_path / "b")), capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--baseline (baseline= in Python) applies to an SBML file" in refused.stderr
    assert not (tmp_path / "b").exists()


CORPUS = paths.ROOT.parent / "shared" / "sbml-corpus"


@pytest.mark.skipif(not (CORPUS / "BIOMD0000000010_Kholodenko2000.xml").is_file(),
                    reason="needs ../shared/sbml-corpus beside the checkout")
def test_a_knockout_screen_of_a_published_model():
    """Kholodenko 2000's MAPK cascade: without the first kinase (MKKK) no MAPK is doubly
    phosphorylated; every species knockout runs."""
    path = CORPUS / "BIOMD0000000010_Kholodenko2000.xml"
    conds = screens.knockout_conditions(path, "all")
    table = run_screen(path, conds, end=3000, workers=2)
    assert (table["status"] == "ok").all()
    assert len(table) == len(conds) * 8  # every species is a readout
    mapk_pp = table[table.readout == "MAPK_PP"].set_index("perturbation")
    assert mapk_pp["baseline_value"].iloc[0] > 1
    assert abs(mapk_pp.loc["ko:MKKK", "value"]) < 1e-6



def test_knockout_lists_name_nodes_once_on_a_shipped_models_file_and_read_a_string():
    """On bone.xml the nodes keep their meaning: OPG and its gene symbol are one knockout; a
    string of names is a comma-separated list, not letters."""
    path = paths.SBML / "bone.xml"
    assert screens.knockout_conditions(path, ["OPG", "RANKL"]) == ["ko:OPG", "ko:RANKL"]
    with pytest.raises(InputError, match="names OPG more than once"):
        screens.knockout_conditions(path, ["OPG", "Tnfrsf11b"])
    assert screens.knockout_conditions("bone", "OPG,RANKL") == ["ko:OPG", "ko:RANKL"]
    with pytest.raises(InputError, match=r"--context \(context= in Python\) applies to the shipped models"):
        screens.knockout_conditions(path, "all", context="mouse")



def test_every_species_of_a_shipped_models_file_is_its_own_knockout(tmp_path):
    """On bone.xml, `--knockouts all` is every species (rankl_membrane and rankl_soluble are two
    species, not the RANKL node twice), and a species id holds that species at zero."""
    path = paths.SBML / "bone.xml"
    conds = screens.knockout_conditions(path, "all")
    assert {"ko:rankl_membrane", "ko:rankl_soluble"} <= set(conds)
    table = run_screen(path, ["ko:rankl_membrane", "ko:rankl_soluble"], end=10, readouts="rankl_membrane",
                       workers=1)
    assert table.set_index("perturbation").loc["ko:rankl_membrane", "value"] == 0.0
    assert table.set_index("perturbation").loc["ko:rankl_soluble", "value"] > 0


def test_a_reference_the_model_cannot_run_leaves_no_folder(tmp_path):
    """A background under which the integration fails (NF-kB import 1e30 times faster) fails the
    unperturbed reference: the screen stops before it makes its folder."""
    out = tmp_path / "r"
    with pytest.raises(SimulationError), warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run_screen("bone", ["ko:OPG", "ko:RANK"], background=["set:k_nfkb_import=1e30"], end=28,
                   readouts=READ, workers=1, out=out)
    assert not out.exists()
    # the background's million-fold change is said once, named by itself, not once per condition
    extreme = [str(w.message) for w in said if w.category is ExtremeChangeWarning]
    assert len(extreme) == 1 and extreme[0].startswith("set:k_nfkb_import=1e30: sets k_nfkb_import")


def test_run_screen_reads_strings_as_one_spec_or_a_list_of_readouts():
    table = run_screen("bone", "ko:OPG", background="inh:P38=0.5", end=28,
                       readouts="bone_volume, osteoclasts", workers=1)
    assert table["perturbation"].unique().tolist() == ["ko:OPG"]
    assert table["readout"].tolist() == ["bone_volume", "osteoclasts"]
    assert table["background"].unique().tolist() == ["inh:P38=0.5"]


def test_a_conditions_file_is_read_with_its_line_numbers_and_bad_files_exit_2(tmp_path):
    """A bad condition names its line; a byte-order mark, comments and blank lines are skipped; a
    file that is not UTF-8 text, a folder, or --pairs with a conditions file exit 2 without a
    traceback and leave no results folder."""
    good = tmp_path / "good.txt"
    good.write_bytes("\ufeffko:OPG\n# a comment\n\n  ko:RANKL\n".encode())
    out = subprocess.run(_cli("screen", "bone", "--conditions", str(good), "--end", "5", "--readouts",
                              "bone_volume", "--out", str(tmp_path / "ok")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert set(pd.read_parquet(tmp_path / "ok")["perturbation"]) == {"ko:OPG", "ko:RANKL"}

    bad = tmp_path / "bad.txt"
    bad.write_text("ko:OPG\n# a comment\n\nko:FOO\nkd:OPG=0.5\n", encoding="utf-8")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"ko:OPG\n\xff\xfeko:RANK\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    one = tmp_path / "one.txt"
    one.write_text("# one condition\nko:FOO\n", encoding="utf-8")
    twice = tmp_path / "twice.txt"
    twice.write_text("ko:OPG\nko:RANKL\n\nko:Tnfrsf11b\n", encoding="utf-8")
    swapped = tmp_path / "swapped.txt"
    swapped.write_text("ko:OPG+ko:RANKL\n# the same\nko:RANKL+ko:OPG\n", encoding="utf-8")
    comments = tmp_path / "comments.txt"
    comments.write_text("# to do\n\n", encoding="utf-8")
    cases = [
        ([str(twice)], f"--conditions {twice}, lines 1 and 4: the screen lists the condition 'ko:OPG' "
                       "more than once: conditions 1 and 3 of 3 (given as 'ko:OPG' and 'ko:Tnfrsf11b')"),
        ([str(comments)], f"--conditions {comments} lists no condition"),
        ([str(swapped)], f"--conditions {swapped}, lines 1 and 3: the screen lists 'ko:OPG+ko:RANKL' and "
                         "'ko:RANKL+ko:OPG' (conditions 1 and 2 of 2), the same condition"),
        ([str(bad)], f"--conditions {bad}, line 4: condition 2 of 3 (ko:FOO): unknown node 'FOO'"),
        ([str(one)], f"--conditions {one}, line 2: unknown node 'FOO'"),
        # a bad background is not blamed on a condition
        ([str(bad), "-p", "set:NOPE=1"], "error: unknown parameter, species or compartment 'NOPE'"),
        ([str(latin)], "is not UTF-8 text"),
        ([str(folder)], "is a folder"),
        ([str(bad), "--pairs"], "--pairs and --singles apply to --knockouts"),
    ]
    for args, message in cases:
        result = subprocess.run(_cli("screen", "bone", "--end", "5", "--out", str(tmp_path / "no"),
                                     "--conditions", *args), capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, a folder that takes no files")
def test_a_folder_that_takes_no_files_is_named_with_the_path_asked_for():
    out = subprocess.run(_cli("screen", "bone", "--knockouts", "OPG", "--end", "5", "--out",
                              "/proc/rankl-net-screen"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "cannot write /proc/rankl-net-screen: the folder /proc does not accept new files" in out.stderr


def test_a_screen_takes_perturbation_objects_as_conditions():
    from rankl_net import Inhibition, Knockout

    by_object = run_screen("bone", [Knockout("OPG"), [Knockout("OPG"), Inhibition("P38", 0.5)]], end=7,
                           readouts="bone_volume", workers=1, background=Inhibition("CTSK", 0.2))
    by_spec = run_screen("bone", ["ko:OPG", "ko:OPG+inh:P38=0.5"], end=7, readouts=["bone_volume"],
                         workers=1, background=["inh:CTSK=0.2"])
    pd.testing.assert_frame_equal(by_object, by_spec, check_exact=True)
    # specs and readouts from a table (a numpy array, a pandas Index) as from lists
    from_table = run_screen("bone", np.array(["ko:OPG", "ko:OPG+inh:P38=0.5"]), end=7, workers=1,
                            readouts=pd.Index(["bone_volume"]), background=["inh:CTSK=0.2"])
    pd.testing.assert_frame_equal(from_table, by_spec, check_exact=True)


def test_an_end_with_a_unit_is_converted_to_the_model_unit():
    weekly = run_screen("bone", ["ko:OPG"], end="1wk", readouts="ctx", workers=1)
    pd.testing.assert_frame_equal(weekly, run_screen("bone", ["ko:OPG"], end=7, readouts="ctx", workers=1))
    daily = run_screen("osteoclastogenesis", ["ko:OPG"], end="1d", readouts="nfatc1", workers=1)
    hourly = run_screen("osteoclastogenesis", ["ko:OPG"], end=24, readouts="nfatc1", workers=1)
    pd.testing.assert_frame_equal(daily, hourly)
    model = rankl_net.load_model("bone")
    assert model.simulate(end="12wk", points=3, readouts="ctx")["time"].tolist() == [0.0, 42.0, 84.0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"end": "soon"}, "end: 'soon' is neither a number (in the model's time unit) nor a time with a unit"),
    ({"end": [7]}, "end must be a number in the model's time unit or a time with a unit"),
    ({"workers": 2.5}, "workers must be a whole number, got 2.5"),
    ({"resume": True}, "resume continues the screen in a results folder: give out as well"),
    ({"out": "results.csv"}, "results.csv: a screen writes a Parquet dataset"),
    ({"readouts": {"bone_volume"}}, "readouts must be a name, names separated by commas or a list"),
    ({"conditions": {"ko:OPG"}}, "conditions must be specs in order (such as ['ko:OPG', 'ko:RANK'])"),
    ({"context": 1}, "a context is named by a string, got int 1"),
    # "no" is true to Python: it resumed (or wrote) the folder
    ({"resume": "no", "out": "r"}, "run_screen: resume must be True or False, got str 'no'"),
    # a table's column names were read as conditions
    ({"conditions": pd.DataFrame({"condition_id": ["c"], "perturbation": ["ko:OPG"]})},
     "conditions must be specs in order (such as ['ko:OPG', 'ko:RANK']) or a pandas Series of them (a "
     "screen table's table['perturbation']), got DataFrame"),
    # "the truth value of a Series is ambiguous"
    ({"background": pd.Series(["ko:RANKL"])}, "background holds the perturbations shared by every "
                                              "condition: a spec such as 'ko:OPG+inh:P38=0.5', a "
                                              "perturbation object or a list of them, got Series"),
    ({"background": pd.DataFrame({"perturbation": ["ko:RANKL"]})}, "a list of them, got DataFrame"),
])
def test_a_screen_called_with_a_wrong_type_says_what_is_wrong(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=re.escape(message)):
        run_screen("bone", **{"conditions": ["ko:OPG"], "workers": 1, "end": 7, **kwargs})
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_hill_fits_of_a_screen_table_without_levels_says_how_to_add_the_doses():
    """A knockdown's level is the fraction kept (kd:RANK=1 is no knockdown): the message adds
    doses, and following it gives the fit the command line gives."""
    specs = screens.dose_conditions("kd:RANK", np.linspace(0.0, 1.0, 6))
    table = run_screen("osteoclastogenesis", specs, end=24, readouts=["nfatc1"], workers=1)
    with pytest.raises(InputError, match=re.escape("this one lacks ['level']")) as said:
        hill_fits(table)
    assert "dose=rankl_net.screens.dose_of(PERTURB, rankl_net.screens.levels_of(" in str(said.value)
    doses = screens.dose_of("kd:RANK", screens.levels_of(table["perturbation"]))
    fits = hill_fits(table.assign(dose=doses), anchored=screens.anchored("kd:RANK"))
    assert fits["readout"].tolist() == ["nfatc1"] and fits["quality"].iloc[0] != "none"
    assert 0 < fits["emax"].iloc[0] <= 1  # removing RANK lowers NFATc1, at most to nothing
    # a table with levels only: kd:RANK=1 is no knockdown, so its levels are not doses (a fit on
    # them read a rise where there is a fall): the message says how to add the doses
    by_level = table.assign(level=screens.levels_of(table["perturbation"]))
    with pytest.raises(InputError, match=re.escape(
            "this table has levels and no dose column, and a level of kd: is not its dose (kd:X=1 leaves X "
            "as it is: dose 0); add the doses with table.assign(dose=rankl_net.screens.dose_of('kd:RANK', "
            "table['level']))")):
        hill_fits(by_level, anchored=True)
    followed = hill_fits(by_level.assign(dose=screens.dose_of("kd:RANK", by_level["level"])), anchored=True)
    pd.testing.assert_frame_equal(followed, fits)


def test_a_drug_dose_series_gives_each_level_as_a_dose_of_its_regimen():
    """drug:NAME doses in mg, drug:NAME=mg/kg per kg, each on the schedule written after it; the
    levels read back from the specs are the doses, and dose 0 (no drug) is the reference."""
    assert screens.dose_conditions("drug:denosumab/4wk", [0.5, 60]) == [
        "drug:denosumab=0.5mg/4wk", "drug:denosumab=60mg/4wk"]
    specs = screens.dose_conditions("drug:opg_fc=mg/kg/1wk*3@2d", "0.1,1")
    assert specs == ["drug:opg_fc=0.1mg/kg/1wk*3@2d", "drug:opg_fc=1mg/kg/1wk*3@2d"]
    assert screens.levels_of(specs).tolist() == [0.1, 1.0]
    assert screens.dose_of("drug:opg_fc=mg/kg/1wk*3@2d", [0.1, 1.0]).tolist() == [0.1, 1.0]
    assert screens.anchored("drug:denosumab") and not screens.anchored("set:pth")
    assert [screens.series_of(s) for s in ["drug:denosumab=60mg/6mo", *specs, "inh:P38=0.5"]] == [
        "drug:denosumab/6mo", "drug:opg_fc=mg/kg/1wk*3@2d", "drug:opg_fc=mg/kg/1wk*3@2d", "inh:P38"]
    assert screens.dose_label("clinical", "drug:denosumab") == "denosumab dose (mg)"
    assert (screens.dose_label("clinical", "drug:opg_fc=mg/kg/1wk")
            == "opg_fc dose (mg/kg, as drug:opg_fc=DOSEmg/kg/1wk)")
    with pytest.raises(InputError, match=r"the level 0 of drug:denosumab: a drug's doses are above 0; the "
                                         r"model without the drug \(dose 0\) is the reference"):
        screens.dose_conditions("drug:denosumab", [0, 1])


@pytest.mark.parametrize(("perturb", "said"), [
    ("drug:denosumab=ug", r"a drug's dose series is drug:NAME \(doses in mg\), drug:NAME=mg/kg \(per kg\)"),
    ("drug:denosumab/kg", "a drug's dose series is drug:NAME"),
    ("drug:denosumab=60mg/6mo", r"\(a dose is a level: --perturb drug:denosumab/6mo --levels 60,\.\.\.; a "
                                r"drug at one dose under every level goes in the background, -p\)"),
    ("drug:opg_fc=1mg/kg", r"--perturb drug:opg_fc=mg/kg --levels 1,"),
    ("drug:denosumb", "unknown drug 'denosumb'. Did you mean 'denosumab'"),
    ("drug:denosumab+ko:OPG", "takes inh:X, kd:X, oe:X or set:ID without a value"),
])
def test_a_drug_dose_series_that_cannot_be_read_is_refused_with_its_forms(perturb, said):
    with pytest.raises(InputError, match=said):
        screens.dose_conditions(perturb, [1.0, 2.0])


def test_dose_conditions_read_a_string_of_levels_as_the_command_line_does():
    assert screens.dose_conditions("inh:P38", "0:1:3") == ["inh:P38=0", "inh:P38=0.5", "inh:P38=1"]
    with pytest.raises(InputError, match=re.escape("levels are written as A:B:N or a comma-separated list")):
        screens.parse_levels([0, 1])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fit_hill([0, 0.1, 0.2], [1, 2]), "levels and responses must be two series of the same length"),
    (lambda: fit_hill([0, 0.1, 0.2], [1, 2, 3], confidence=95), "confidence is a fraction between 0 and 1"),
    (lambda: fit_hill([0, 0.1, 0.2], [1, 2, 3], anchored=True), "an anchored fit fixes the baseline"),
    (lambda: combination_matrix({(0.5,): 1.0}, 1.0), "a combination is keyed by its two levels"),
])
def test_analysis_calls_with_wrong_arguments_say_what_is_wrong(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_a_combination_matrix_names_a_missing_single_agent_and_keeps_its_columns_without_combinations():
    """A combination without its single agents (or read with the wrong absent levels) cannot be
    scored: the missing single-agent value is named, not a table left empty in silence."""
    with pytest.raises(InputError, match=re.escape("the combination (0.5, 0.5) has no single-agent value at "
                                                   "(0.5, 0) nor (0, 0.5)")):
        combination_matrix({(0.5, 0.5): 1.0}, 2.0)
    knockdowns = {(1.0, 0.5): 1.5, (0.5, 1.0): 1.5, (0.5, 0.5): 1.0}  # absent at 1, not 0
    with pytest.raises(InputError, match=re.escape("(absent=(0, 0)); give them in values, or the agents'")):
        combination_matrix(knockdowns, 2.0)
    assert len(combination_matrix(knockdowns, 2.0, absent=(1.0, 1.0))) == 1
    empty = combination_matrix({(0.5, 0.0): 1.0, (0.0, 0.5): 1.5}, 2.0)  # single agents only
    assert empty.empty
    assert list(empty.columns) == ["level_a", "level_b", "effect", "bliss_excess", "hsa_excess"]


def test_a_pair_matrix_of_an_unknown_readout_names_the_readouts():
    from rankl_net.analysis import pair_matrix

    table = run_screen("bone", ["ko:OPG+ko:CTSK"], end=7, readouts=["bone_volume"], workers=1)
    with pytest.raises(InputError, match=re.escape("unknown readout 'bone_vol'. Did you mean 'bone_vol")):
        pair_matrix(table, "bone_vol")


def test_the_same_condition_in_another_order_is_listed_twice():
    with pytest.raises(InputError, match="the same condition with its parts in another order"):
        run_screen("bone", ["ko:OPG+ko:RANKL", "ko:Tnfsf11+ko:OPG"], workers=1, end=1)
    # windows of one quantity are applied in the order given: two conditions, both simulated
    table = run_screen("bone", ["set:pth=6@1-2+set:pth=3@1-3", "set:pth=3@1-3+set:pth=6@1-2"],
                       workers=1, end=5, readouts=["ctx"])
    assert table["value"].nunique() == 2


def test_a_repeated_dose_level_is_named():
    with pytest.raises(InputError, match="the levels list 0.5 more than once"):
        screens.dose_conditions("inh:P38", [0.1, 0.2, 0.5, 0.5, 0.9])


@pytest.mark.parametrize("kwargs, message", [
    ({"parameters": {"pth": (1.5,)}}, r"pth: the range is two numbers \(low, high\)"),
    ({"parameters": {"pth": "1.5:6"}}, "got '1.5:6'"),
    ({"parameters": {"pth": "26"}}, "got '26'"),  # two characters are not two numbers
    ({"parameters": [("pth", (1.5, 6.0))]}, "parameters is a mapping"),
    ({"parameters": {"pth": (1.5, 6.0)}, "seed": "x"}, "seed must be a whole number"),
])
def test_sensitivity_arguments_of_the_wrong_kind_are_named(kwargs, message):
    from rankl_net.sensitivity import sensitivity

    with pytest.raises(InputError, match=message):
        sensitivity("bone", n=4, method="sobol", **kwargs)


@pytest.mark.parametrize("baseline", [0.0, -1.0, float("nan")])
def test_a_combination_matrix_needs_a_positive_baseline(baseline):
    with pytest.raises(InputError, match="baseline is the readout without either agent"):
        combination_matrix({(0.5, 0): 1.0, (0, 0.5): 2.0, (0.5, 0.5): 3.0}, baseline=baseline)


def test_run_screen_warns_of_doses_after_the_end_once_and_refuses_no_readouts(tmp_path, monkeypatch):
    from rankl_net import DosesAfterEndWarning

    with pytest.warns(DosesAfterEndWarning, match="2 of its 4 doses fall within the 365 days") as caught:
        table = run_screen("clinical", ["drug:denosumab=60mg/6mo*4",
                                        "drug:denosumab=60mg/6mo*4+inh:CTSK=0.5"],
                           end=365, readouts=["ctx"], workers=1)
    assert len([w for w in caught if issubclass(w.category, DosesAfterEndWarning)]) == 1  # once
    assert (table["status"] == "ok").all()
    with pytest.raises(InputError, match="readouts is empty"):
        run_screen("bone", ["ko:OPG"], end=28, readouts=[], workers=1)
    # '~' is the home folder, as the shell would read it, not a folder called '~'
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    run_screen("bone", ["ko:OPG"], end=28, readouts=["bone_volume"], workers=1, out="~/s")
    assert screens.is_screen_folder(tmp_path / "home" / "s") and not (tmp_path / "~").exists()


@pytest.mark.parametrize("targets", [np.array(["OPG", "RANK"]), pd.Series(["OPG", "RANK"]),
                                     (t for t in ["OPG", "RANK"])])
def test_knockout_targets_are_names_in_any_ordered_collection(targets):
    assert screens.knockout_conditions("bone", targets, pairs=True) == ["ko:OPG+ko:RANK"]


@pytest.mark.parametrize(("targets", "message"), [
    (5, "knockout targets ('all', or nodes to knock out) must be a name, names separated by commas or a list "
        "of names, got int 5"),
    (["OPG", 3], "got list ['OPG', 3]"),
    ({"OPG", "RANK"}, "got set"),  # no order of its own: the conditions' order would change between runs
])
def test_knockout_targets_of_the_wrong_kind_are_named(targets, message):
    with pytest.raises(InputError, match=re.escape(message)):
        screens.knockout_conditions("bone", targets)


def test_knockout_pairs_of_one_target_and_a_model_that_is_not_a_name_say_so_without_flags():
    with pytest.raises(InputError, match=re.escape("pairs need at least two knockout targets, got 1 (OPG)")):
        screens.knockout_conditions("bone", ["Tnfrsf11b"], pairs=True)
    with pytest.raises(InputError, match=re.escape("model (a shipped model's name or an SBML file's path) "
                                                   "must be a string or a pathlib.Path, got int 5")):
        screens.knockout_conditions(5, "OPG")


def test_a_single_number_is_one_level_of_a_dose_series_as_in_parse_levels():
    assert screens.dose_conditions("inh:P38", 0.5) == ["inh:P38=0.5"]
    assert screens.dose_conditions("inh:P38", "0.5") == ["inh:P38=0.5"]
    assert screens.dose_of("kd:RANK", 0.25).tolist() == [0.75]
    assert screens.dose_of("kd:RANK", "0:1:3").tolist() == [1.0, 0.5, 0.0]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: screens.dose_conditions("inh:P38", None), "levels are numbers in order (a list, a numpy array), "
                                                       "one number, or a string such as '0:1:11'"),
    (lambda: screens.dose_conditions("inh:P38", {0.5, 1.0}), "got set"),
    (lambda: screens.dose_conditions("inh:P38", [0.5, "abc"]), "inh:P38: a level must be a number, got str"),
    (lambda: screens.dose_conditions("inh:P38", [True]), "inh:P38: a level must be a number, got bool True"),
    (lambda: screens.dose_conditions("ko:OPG", [0.5]), "perturb (--perturb) takes inh:X, kd:X, oe:X or set"),
    (lambda: screens.dose_conditions("ko:OPG", [0.5]),
     "a perturbation under every level (a knockout, a drug at one dose) goes in the background (-p SPEC, or "
     "run_screen's background= in Python)"),
    (lambda: screens.parse_levels(""), "levels '' gives no level: use A:B:N"),
    (lambda: screens.parse_levels(" , "), "levels ' , ' gives no level"),
    (lambda: screens.parse_levels("0,,1"), "levels has an empty level between commas: '0,,1'"),
    (lambda: screens.parse_levels("0,1,"), "levels ends in a comma, with no level after it: '0,1,'"),
    (lambda: screens.knockout_conditions("bone", "OPG,,RANK"),
     "knockout targets ('all', or nodes to knock out) has an empty name between commas: 'OPG,,RANK'"),
    (lambda: run_screen("bone", ["ko:OPG"], end=7, workers=1, readouts="bone_volume,,osteoclasts"),
     "readouts has an empty name between commas: 'bone_volume,,osteoclasts'"),
    (lambda: screens.dose_of("ko:OPG", [0.5]), "got 'ko:OPG'"),  # a knockout has no dose
    (lambda: screens.dose_of(None, [0.5]), "got None"),
    (lambda: screens.dose_of("inh:P38", None), "levels are numbers in order"),
    (lambda: screens.levels_of(["inh:P38=0.5", "ko:OPG"]), "'ko:OPG' is not a condition of a dose series"),
    (lambda: screens.connect(5), "scheduler is the address of a Dask scheduler, tcp://HOST:PORT, got int 5"),
])
def test_dose_series_calls_with_wrong_arguments_say_what_is_wrong(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_levels_of_one_spec_and_the_units_of_one_readout():
    assert screens.levels_of("inh:P38=0.5").tolist() == [0.5]
    assert list(screens.readout_units("bone", "bone_volume")) == ["bone_volume"]  # not its letters


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": 5}, "model (a shipped model's name or an SBML file's path) must be a string or a pathlib"),
    ({"out": 5}, "out must be a string or a pathlib.Path, got int 5"),
    ({"worker_timeout": "x"}, "run_screen: worker_timeout must be a number, got str 'x'"),
    ({"workers": 0}, "workers must be at least 1, got 0"),
])
def test_run_screen_arguments_of_the_wrong_kind_are_named(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="^" + re.escape(message)):  # the Python argument, not a flag
        run_screen(**{"model": "bone", "conditions": ["ko:OPG"], "workers": 1, "end": 7, **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_the_hsa_excess_of_an_agent_without_an_effect_is_nan_whichever_agent_it_is():
    assert np.isnan(hsa_excess(0.25, np.nan, 0.5)) and np.isnan(hsa_excess(np.nan, 0.25, 0.5))
    for failed in ((0.5, 0.0), (0.0, 0.5)):  # a single agent that failed (NaN), as a or as b
        values = {(0.5, 0.0): 1.5, (0.0, 0.5): 1.5, (0.5, 0.5): 1.0, failed: np.nan}
        rows = combination_matrix(values, 2.0)
        assert rows[["bliss_excess", "hsa_excess"]].isna().all(axis=None), failed


SCREEN_COLUMNS = "perturbation, readout, log2_fold_change, status"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: combination_matrix([((0.5, 0.5), 1.0)], 2.0),
     "values maps each combination's two levels, (level_a, level_b), to the readout (a dict), got list"),
    (lambda: combination_matrix({(0.5, 0): 1.0}, 2.0, absent=0),
     "absent is the level of each agent when it is not given, (absent_a, absent_b), got 0"),
    (lambda: combination_matrix({(0.5, 0): "1"}, 2.0), "combination (0.5, 0): its value must be a number"),
    (lambda: combination_matrix({("a", 0): 1.0}, 2.0), "a combination is keyed by its two levels"),
    (lambda: analysis.pairwise_epistasis([1, 2]), f"a screen table is a pandas DataFrame with the columns "
                                                  f"{SCREEN_COLUMNS}, got list [1, 2]"),
    (lambda: analysis.pairwise_epistasis({"status": ["ok"]}), "got dict {'status': ['ok']}"),
    (lambda: analysis.pairwise_epistasis(pd.DataFrame({"perturbation": ["ko:OPG"], "readout": ["x"]})),
     f"a screen table needs the columns {SCREEN_COLUMNS}; this one lacks log2_fold_change, status"),
    (lambda: analysis.pair_matrix(pd.DataFrame({"readout": ["x"], "status": ["ok"], "perturbation": ["a+b"]}),
                                  "x"), "this one lacks log2_fold_change"),
    (lambda: analysis.pair_matrix([], "x"), "a screen table is a pandas DataFrame"),
    (lambda: analysis.hill_fits([1]), "a dose-response table is a pandas DataFrame with the columns readout, "
                                      "dose, value, baseline_value, got list [1]"),
    (lambda: analysis.fit_summary(pd.DataFrame({"readout": ["x"]})), "a table of hill_fits needs the"),
    (lambda: analysis.fit_notes(pd.DataFrame({"readout": ["x"]})), "this one lacks quality, note"),
    (lambda: screens.order_table([1], ["a"], ["x"]), "a screen table is a pandas DataFrame"),
    (lambda: fit_hill("abc", [1.0]), "levels and responses must be two series of numbers, got str 'abc'"),
    (lambda: fit_hill([0, 0.1, 0.2], [1, 2, 3], confidence="95%"), "fit_hill: confidence must be a number"),
])
def test_analysis_of_the_wrong_objects_says_what_it_takes(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_a_report_of_the_wrong_object_says_it_takes_a_path(tmp_path):
    from rankl_net.report import read_results, write_report

    table = pd.DataFrame({"perturbation": ["ko:OPG"], "readout": ["x"], "log2_fold_change": [-1.0],
                          "status": ["ok"]})
    said = "results (a screen's folder, or its table saved as .csv or .parquet) must be a string or a pathlib"
    for results in (table, [1], {"x": 1}):
        with pytest.raises(InputError, match=re.escape(said)):
            write_report(results, tmp_path / "r.html")
    with pytest.raises(InputError, match=re.escape(said)):
        read_results(5)
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=re.escape("out must be a string or a pathlib.Path, got NoneType")):
        write_report(tmp_path / "t.csv", None)
    assert list(tmp_path.iterdir()) == [tmp_path / "t.csv"]


def test_a_report_reads_a_minimal_table_and_names_the_columns_a_dose_matrix_needs(tmp_path):
    from rankl_net.report import write_report

    # failed rows without a message column are listed by their perturbation
    table = pd.DataFrame({"perturbation": ["ko:OPG", "ko:RANK"], "readout": "x", "log2_fold_change": -1.0,
                          "status": ["ok", "failed"]})
    table.to_csv(tmp_path / "t.csv", index=False)
    page = write_report(tmp_path / "t.csv", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "Failed conditions" in page
    # a two-agent matrix needs the values its Bliss analysis takes fractions of
    matrix = table.assign(perturbation=["inh:P38=0.5", "inh:P38=0.5+inh:CTSK=0.5"], status="ok")
    matrix.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputError, match=re.escape("a table of a two-agent dose matrix needs the columns "
                                                   "value, baseline_value; this one lacks value")):
        write_report(tmp_path / "m.csv", tmp_path / "m.html")


def test_the_report_scores_the_combinations_whose_single_agents_it_has(tmp_path):
    """One single agent failed (or was left out): the combinations that have both are scored."""
    from rankl_net.report import write_report

    conds = ["inh:P38=0.5", "inh:P38=0.9", "inh:CTSK=0.5", "inh:P38=0.5+inh:CTSK=0.5",
             "inh:P38=0.9+inh:CTSK=0.5"]
    table = pd.DataFrame({"condition_id": [f"c{i}" for i in range(5)], "perturbation": conds,
                          "background": "", "readout": "osteoclasts", "value": [1.5, 1.0, 1.5, 1.0, 0.5],
                          "baseline_value": 2.0, "log2_fold_change": -1.0,
                          "status": ["ok", "failed", "ok", "ok", "ok"], "message": ""})
    table.to_csv(tmp_path / "t.csv", index=False)
    page = write_report(tmp_path / "t.csv", tmp_path / "t.html").read_text(encoding="utf-8")
    shown = next(t for t in pd.read_html(io.StringIO(page)) if "bliss_excess" in t.columns)
    assert shown[["inh:P38", "inh:CTSK"]].values.tolist() == [[0.5, 0.5]]


def _series(perturb: str, levels, background: str = "") -> pd.DataFrame:
    """A dose-response table of one series, its values a Hill curve of the levels."""
    levels = np.asarray(levels, float)
    return pd.DataFrame({"perturbation": screens.dose_conditions(perturb, levels), "background": background,
                         "readout": "osteoclasts", "level": levels, "dose": levels,
                         "value": hill(levels, 200.0, 0.9, 0.3, 1.7), "baseline_value": 200.0})


def test_hill_fits_refuses_a_table_of_several_dose_series_naming_them():
    """Two dosed targets, or one on two backgrounds, were pooled into one fit per readout, with
    the first row's reference."""
    levels = np.linspace(0, 1, 6)
    one = _series("inh:CALCINEURIN", levels)
    assert hill_fits(one, anchored=True)["quality"].tolist() == ["ok"]
    assert hill_fits(_series("inh:P38", levels, "ko:OPG"), anchored=True)["quality"].tolist() == ["ok"]
    targets = pd.concat([one, _series("inh:P38", levels)])
    with pytest.raises(InputError, match=re.escape(
            "hill_fits fits one dose series (one dosed perturbation on one background) per readout; this "
            "table holds 2: inh:CALCINEURIN, inh:P38. Select the rows of each series and fit them apart")):
        hill_fits(targets, anchored=True)
    backgrounds = pd.concat([one, _series("inh:CALCINEURIN", levels, "ko:OPG")])
    with pytest.raises(InputError, match=re.escape("this table holds 2: inh:CALCINEURIN, inh:CALCINEURIN "
                                                   "(background ko:OPG)")):
        hill_fits(backgrounds)
    # a table read back from CSV: an empty background column is NaN
    assert hill_fits(one.assign(background=np.nan))["quality"].tolist() == ["ok"]


def test_hill_fits_takes_the_level_as_the_dose_only_where_it_is_one():
    """oe:RANK=1 is no overexpression: fitted on the levels, the IC50 came out one fold too high,
    marked "ok"."""
    levels = np.linspace(1, 5, 6)
    table = _series("oe:RANK", levels).drop(columns="dose")
    with pytest.raises(InputError, match=re.escape("add the doses with table.assign(dose=rankl_net.screens."
                                                   "dose_of('oe:RANK', table['level']))")):
        hill_fits(table)
    inhibited = _series("inh:P38", np.linspace(0, 1, 6)).drop(columns="dose")
    assert hill_fits(inhibited)["ic50"].iloc[0] == pytest.approx(0.3, rel=1e-3)  # a level of inh: is its dose
    # in a condition of several parts, the part whose level varies is the dosed one
    on_background = inhibited.assign(perturbation="oe:RANK=2+" + inhibited["perturbation"])
    assert hill_fits(on_background)["ic50"].iloc[0] == pytest.approx(0.3, rel=1e-3)
    with pytest.raises(InputError, match=re.escape("dose_of('oe:RANK', table['level'])")):
        hill_fits(table.assign(perturbation="inh:P38=0.5+" + table["perturbation"]))
    with pytest.raises(InputError, match=re.escape("got 'oe:RANK+inh:P38'")):
        screens.dose_of("oe:RANK+inh:P38", [1, 2])  # one dosed perturbation (it gave wrong doses)


def test_hill_fits_of_a_table_without_rows_has_the_columns_of_its_fits():
    fits = hill_fits(pd.DataFrame(columns=["readout", "dose", "value", "baseline_value"]))
    assert fits.columns.tolist() == analysis.HILL_COLUMNS and fits.empty
    assert analysis.fit_summary(fits).empty and analysis.fit_notes(fits) == []  # (a KeyError before)


def test_a_dosed_perturbation_in_upper_case_is_refused_as_parse_spec_refuses_it():
    said = "cannot read perturb 'KD:P38': kinds are written in lower case (kd:P38)"
    for call in (lambda: screens.dose_of("KD:P38", [1, 0.5, 0]), lambda: screens.anchored("KD:P38"),
                 lambda: screens.dose_conditions("KD:P38", [1, 0.5])):
        with pytest.raises(InputError, match=re.escape(said)):
            call()
    with pytest.raises(InputError, match=re.escape("perturb (--perturb) takes inh:X, kd:X, oe:X or set:ID")):
        screens.anchored("ko:OPG")  # no dose series: False before
    assert screens.anchored("kd:P38") and not screens.anchored("set:pth")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: screens.knockout_conditions("bone", ["OPG", "RANK"], pairs="no"),
     "knockout_conditions: pairs must be True or False, got str 'no'"),
    (lambda: fit_hill([0, 0.2, 0.4, 0.6, 0.8], [5, 4, 3, 2, 1], reference=5.0, anchored="no"),
     "fit_hill: anchored must be True or False, got str 'no'"),
    (lambda: fit_hill([0, 0.2, 0.4, 0.6, 0.8], [5, 4, 3, 2, 1], change=0),
     "fit_hill: change (or None) must be True or False, got int 0"),
    (lambda: hill_fits(_series("inh:P38", np.linspace(0, 1, 6)), anchored=1),
     "hill_fits: anchored must be True or False, got int 1"),
    (lambda: combination_matrix({(0.5, 0): 1.0, (0, 0.5): 1.0, (0.5, 0.5): 0.5}, 2.0, rising="yes"),
     "combination_matrix: rising (or None) must be True or False, got str 'yes'"),
    (lambda: analysis.pair_matrix(pd.DataFrame({"perturbation": ["a+b"], "readout": "x", "status": "ok",
                                                "log2_fold_change": 1.0}), "x", sort="no"),
     "pair_matrix: sort must be True or False, got str 'no'"),
    (lambda: analysis.is_flat([1.0, 2.0], fractional=None), "is_flat: fractional must be True or False"),
])
def test_a_switch_that_is_not_true_or_false_is_refused(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_a_switch_may_be_a_numpy_bool():
    assert screens.knockout_conditions("bone", ["OPG", "RANK"], pairs=np.bool_(True)) == ["ko:OPG+ko:RANK"]
    fits = hill_fits(_series("inh:P38", np.linspace(0, 1, 6)), anchored=np.True_)
    assert fits["quality"].tolist() == ["ok"]


def test_an_unknown_model_or_readout_is_named_with_a_suggestion():
    """percent_changes and readout_units answered () and {} (or '' for a readout) in silence."""
    for call in (lambda: screens.percent_changes("bones"), lambda: screens.readout_units("bones", ["x"])):
        with pytest.raises(InputError, match=re.escape("unknown model 'bones'. Did you mean 'bone'?")):
            call()
    said = "unknown readout 'bone_volum'. Did you mean 'bone_volume'? Valid readout names: osteoclasts, "
    with pytest.raises(InputError, match=re.escape(said + "osteoblasts, bone_volume")):
        screens.readout_units("bone", ["bone_volum"])
    # a parameter or a reaction of the model is a quantity with a unit, as the screens read them
    assert set(screens.readout_units("bone", ["osteoclasts", "ocp_death"])) == {"osteoclasts", "ocp_death"}


def test_readout_units_take_a_set_and_a_matrix_takes_numpy_absent_levels():
    assert screens.readout_units("bone", {"ctx", "bone_volume"}) == {"bone_volume": "%", "ctx": "% change"}
    values = {(0.0, 0.0): 10.0, (1.0, 0.0): 5.0, (0.0, 1.0): 5.0, (1.0, 1.0): 2.0}
    pd.testing.assert_frame_equal(analysis.combination_matrix(values, 10.0, absent=np.array([0.0, 0.0])),
                                  analysis.combination_matrix(values, 10.0))


def test_a_condition_that_repeats_the_background_is_noted_once_per_part(tmp_path):
    """A knockout (or set:, preset) of the background given again by conditions changes nothing
    there: the screen runs them and says so once, naming the part and the conditions; a condition
    that gives one part twice, under two names of its node, is refused."""
    from rankl_net import RanklNetWarning, RedundantPerturbationWarning

    conditions = ["ko:OPG", "ko:RANK", "ko:Tnfrsf11b+ko:CTSK", "set:pth=6+ko:CTSK", "ko:FOS+set:pth=6"]
    with pytest.warns(RedundantPerturbationWarning) as caught:
        table = run_screen("bone", conditions, background=["ko:OPG", "set:pth=6"], end=7,
                           readouts=["osteoclasts"], workers=1)
    said = [str(w.message) for w in caught if issubclass(w.category, RanklNetWarning)]
    assert said == [
        "the background (ko:OPG+set:pth=6) applies ko:OPG already: 2 conditions give it again (ko:OPG, "
        "ko:OPG+ko:CTSK), which changes nothing there",
        "the background (ko:OPG+set:pth=6) applies set:pth=6 already: 2 conditions give it again "
        "(set:pth=6+ko:CTSK, ko:FOS+set:pth=6), which changes nothing there"]
    alone = table.set_index("perturbation").loc["ko:OPG"]
    assert alone["value"] == alone["baseline_value"]  # the background itself
    with warnings.catch_warnings():  # a multiplier given again acts again (x 0.25): no note
        warnings.simplefilter("error", RanklNetWarning)
        run_screen("bone", ["kd:OPG=0.5", "ko:RANK"], background="kd:OPG=0.5", end=7,
                   readouts=["osteoclasts"], workers=1)
    with pytest.raises(InputError, match=re.escape(
            "condition 2 of 2 (ko:OPG+ko:tnfrsf11b): 'ko:OPG+ko:tnfrsf11b' gives ko:OPG twice (ko:OPG and "
            "ko:tnfrsf11b name the same node), which changes nothing more than once; give it once")):
        run_screen("bone", ["ko:RANK", "ko:OPG+ko:tnfrsf11b"], end=7, workers=1)
    command = subprocess.run(_cli("screen", "bone", "--knockouts", "OPG,RANK", "--pairs", "--singles", "-p",
                                  "ko:OPG", "--end", "7", "--readouts", "osteoclasts", "--workers", "1",
                                  "--out", str(tmp_path / "s")), capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stderr
    assert command.stderr.count("note: the background (ko:OPG) applies ko:OPG already: 2 conditions give it "
                                "again (ko:OPG, ko:OPG+ko:RANK), which changes nothing there") == 1
    assert "Warning" not in command.stderr
    twice = subprocess.run(_cli("simulate", "bone", "-p", "ko:OPG+ko:OPG", "--end", "7"), capture_output=True,
                           text=True, timeout=120)
    assert twice.returncode == 2 and "'ko:OPG+ko:OPG' gives ko:OPG twice" in twice.stderr


def test_a_python_screen_notes_a_drug_that_binds_nothing_once_per_regimen(tmp_path):
    """Each condition is checked on its own; the note on denosumab in mice is made once for the
    regimen, not once per condition, in Python as on the command line."""
    from rankl_net import DrugWithoutTargetWarning

    with pytest.warns(DrugWithoutTargetWarning) as said:
        screens.run_screen("bone_tumour", ["ko:OPG", "ko:RANKL", "ko:TRAF6"],
                           background=["drug:denosumab=1mg/kg/1wk"], readouts=["ctx"], end=1, workers=1,
                           out=tmp_path / "s")
    notes = [w for w in said if issubclass(w.category, DrugWithoutTargetWarning)]
    assert len(notes) == 1 and "denosumab does not bind RANKL in context mouse" in str(notes[0].message)


def test_a_conditions_id_follows_the_model_context_end_and_background():
    """Screens of one condition on two backgrounds (or at two end times, in two contexts) are
    different screens: their rows must not join on condition_id. The readouts, the integrator's
    settings and a file's tolerances are not part of the id."""
    spec = screens.ScreenSpec("bone", "mouse", 28.0, ("osteoclasts",))
    cid = spec.condition_id("ko:CTSK")
    assert cid == screens.ScreenSpec("bone", "mouse", 28.0, ("osteoclasts",)).condition_id("ko:CTSK")
    others = [replace(spec, background="ko:OPG"), replace(spec, end=29.0), replace(spec, context="human"),
              replace(spec, model="bone_tumour")]
    assert len({cid, *(s.condition_id("ko:CTSK") for s in others)}) == 5
    assert spec.condition_id("ko:FOS") != cid
    same = [replace(spec, readouts=("bone_volume",)), replace(spec, tolerances=(1e-6, 1e-9)),
            replace(spec, integration=(("relative_tolerance", 1e-6),))]
    assert {s.condition_id("ko:CTSK") for s in same} == {cid}
    # and as a screen gives them
    on_opg = run_screen("bone", ["ko:CTSK"], background="ko:OPG", end=28, readouts=["osteoclasts"], workers=1)
    alone = run_screen("bone", ["ko:CTSK"], end=28, readouts=["osteoclasts"], workers=1)
    assert alone["condition_id"].iloc[0] == cid
    assert on_opg["condition_id"].iloc[0] == replace(spec, background="ko:OPG").condition_id("ko:CTSK") != cid


def test_resuming_with_some_of_the_conditions_gives_the_table_of_those_only(tmp_path):
    """A folder may hold more conditions than the screen resumed on it lists: the table returned
    is that of the conditions asked for, in their order, as if run alone."""
    out = tmp_path / "s"
    run_screen("bone", ["ko:OPG", "ko:CTSK", "ko:FOS"], end=28, readouts=READ, workers=1, out=out)
    subset = run_screen("bone", ["ko:FOS", "ko:OPG"], end=28, readouts=READ, workers=1, out=out, resume=True)
    alone = run_screen("bone", ["ko:FOS", "ko:OPG"], end=28, readouts=READ, workers=1)
    pd.testing.assert_frame_equal(subset, alone, check_exact=True)
    assert subset.attrs["resumed"] == 2
    assert len(pd.read_parquet(out)) == 3 * len(READ)  # the folder keeps every condition


def test_a_file_screen_takes_fold_changes_of_amounts_however_small(tmp_path):
    """An SBML file's units may make 1e-21 a real amount (moles of a protein in one cell): its
    fold changes are read, not taken for round-off as in the shipped models' units."""
    path = tmp_path / "tiny.xml"
    path.write_text(antimony_to_sbml("model tiny\n J0: -> y; k\n y = 0; k = 1e-21\nend"), encoding="utf-8")
    table = run_screen(str(path), ["set:k=2e-21", "set:k=5e-22"], end=1, readouts=["y"], workers=1)
    np.testing.assert_allclose(table["baseline_value"], 1e-21, rtol=1e-6)
    np.testing.assert_allclose(table["value"], [2e-21, 5e-22], rtol=1e-6)
    np.testing.assert_allclose(table["log2_fold_change"], [1.0, -1.0], rtol=1e-6)


@pytest.mark.parametrize("levels", ["0:1:1", "0:1:0"])
def test_levels_a_b_n_need_two_levels_at_least(levels):
    with pytest.raises(InputError, match=r"cannot read levels .* use A:B:N \(N >= 2\)"):
        screens.parse_levels(levels)


def test_a_chunk_size_gives_tasks_and_part_files_of_that_many_conditions(tmp_path):
    conds = screens.knockout_conditions("bone", ["OPG", "RANKL", "CTSK", "FOS", "P38"])
    out = tmp_path / "s"
    table = run_screen("bone", conds, end=28, readouts=["osteoclasts"], workers=1, chunk_size=2, out=out)
    sizes = sorted(pd.read_parquet(p)["condition_id"].nunique() for p in out.glob("part-*.parquet"))
    assert sizes == [1, 2, 2]  # five conditions, at most two per task
    assert set(table["perturbation"]) == set(conds)


def test_hill_intervals_are_t_intervals_about_the_estimates():
    """The intervals are estimate +- t(confidence, dof) x standard error: on the log scale for the
    IC50 and the Hill coefficient, symmetric about the estimate, and as wide as Student's t says
    from one confidence to another (dof: the doses less the fitted parameters)."""
    from scipy import stats

    x = np.concatenate([[0.0], np.logspace(-3, 1, 12)])
    y = hill(x, 200.0, 0.8, 0.05, 1.7) * (1 + 0.02 * np.random.default_rng(4).standard_normal(len(x)))
    for anchored, fitted in ((False, 4), (True, 3)):
        fits = {c: fit_hill(x, y, confidence=c, reference=200.0, anchored=anchored) for c in (0.9, 0.99)}
        assert fits[0.99]["emax_hi"] < 1  # (not cut at 1)
        ratio = stats.t.ppf(0.995, len(x) - fitted) / stats.t.ppf(0.95, len(x) - fitted)
        for name, scale in (("ic50", np.log), ("hill", np.log), ("emax", float), ("baseline", float)):
            wide, narrow = ([scale(f[f"{name}_lo"]), scale(f[name]), scale(f[f"{name}_hi"])]
                            for f in (fits[0.99], fits[0.9]))
            assert fits[0.99][name] == fits[0.9][name]  # the same fit
            for lo, est, hi in (wide, narrow):
                assert lo <= est <= hi and hi - est == pytest.approx(est - lo, rel=1e-9, abs=1e-12)
            if name == "baseline" and anchored:
                assert wide[0] == wide[2] == 200.0  # the reference, known exactly
            else:
                assert narrow[2] - narrow[0] > 0
                assert (wide[2] - wide[0]) / (narrow[2] - narrow[0]) == pytest.approx(ratio, rel=1e-9)


def test_pairwise_epistasis_scores_only_the_conditions_that_ran():
    """A failed condition has no fold change: a pair that failed, or whose single failed, is not
    listed (the others are scored as before)."""
    from rankl_net.analysis import pairwise_epistasis

    lfc = {"ko:A": -1.0, "ko:B": 0.5, "ko:C": 2.0, "ko:A+ko:B": -0.25, "ko:A+ko:C": 0.5, "ko:B+ko:C": 1.0}
    failed = {"ko:C", "ko:A+ko:B"}
    table = pd.DataFrame({"perturbation": list(lfc), "readout": "x",
                          "log2_fold_change": [np.nan if p in failed else v for p, v in lfc.items()],
                          "status": ["failed" if p in failed else "ok" for p in lfc]})
    assert pairwise_epistasis(table).empty
    ran = table.assign(log2_fold_change=list(lfc.values()), status="ok")
    scores = pairwise_epistasis(ran).set_index(["a", "b"])["epistasis"]
    assert scores.to_dict() == {("ko:A", "ko:B"): -0.25 - (-1.0 + 0.5), ("ko:A", "ko:C"): 0.5 - (-1.0 + 2.0),
                                ("ko:B", "ko:C"): 1.0 - (0.5 + 2.0)}
    # one pair failed: the other two are scored
    one = ran.assign(status=["failed" if p == "ko:A+ko:B" else "ok" for p in lfc])
    assert sorted(pairwise_epistasis(one)["b"]) == ["ko:C", "ko:C"]


@pytest.mark.parametrize(("method", "n", "keys"), [("sobol", 32, ["S1", "S1_conf", "ST", "ST_conf"]),
                                                   ("morris", 6, ["mu_star", "mu_star_conf", "sigma"])])
def test_sensitivity_indices_are_salibs_of_the_sample_its_seed_gives(product_file, method, n, keys):
    """The table holds SALib's indices of the sample drawn with the seed given, each under its name
    and on its parameter's row: here computed from y(1) = k1 k2 + 3 k2 written out, not simulated."""
    from SALib.analyze import morris as analyse_morris
    from SALib.analyze import sobol as analyse_sobol
    from SALib.sample import morris as sample_morris
    from SALib.sample import sobol as sample_sobol

    from rankl_net.sensitivity import sensitivity

    ranges = {"k2": (0.0, 1.0), "k3": (0.5, 1.5), "k1": (0.0, 2.0)}
    prob = {"num_vars": 3, "names": list(ranges), "bounds": [list(r) for r in ranges.values()]}
    table = sensitivity(str(product_file), ranges, method=method, n=n, end=1, readouts=["y"], seed=7)
    # Morris's effects are in the readout's unit (the file declares none); Sobol' indices have none
    assert list(table.columns) == ["parameter", "low", "high", "readout", *keys,
                                   *(["unit"] if method == "morris" else []), "model", "context", "baseline",
                                   "background", "end", "time_unit", "n", "seed"]
    if method == "morris":
        assert set(table["unit"]) == {""}
    assert table["parameter"].tolist() == list(ranges) and set(table["readout"]) == {"y"}
    if method == "sobol":
        X = sample_sobol.sample(prob, n, calc_second_order=False, seed=7)
        res = analyse_sobol.analyze(prob, (X[:, 2] + 3) * X[:, 0], calc_second_order=False, seed=7)
    else:
        X = sample_morris.sample(prob, n, num_levels=4, seed=7)
        res = analyse_morris.analyze(prob, X, (X[:, 2] + 3) * X[:, 0], num_levels=4, seed=7)
    for k in keys:
        np.testing.assert_allclose(table[k], np.asarray(res[k], float), rtol=1e-6, atol=1e-9, err_msg=k)
    # another seed, another sample
    other = sensitivity(str(product_file), ranges, method=method, n=n, end=1, readouts=["y"], seed=8)
    assert not np.allclose(other[keys[0]], table[keys[0]])


def test_sensitivity_names_the_samples_that_failed(linear_file, monkeypatch):
    from rankl_net import sensitivity as module

    screen = module.run_screen

    def one_failed(*args, **kwargs):
        table = screen(*args, **kwargs)
        table.loc[1, ["value", "status"]] = [np.nan, "failed"]
        return table

    monkeypatch.setattr(module, "run_screen", one_failed)
    with pytest.raises(InputError, match=r"y: 1 of 16 runs failed \(1 of 16 sample points\), such as "
                                         r"set:k1=\S+\+set:k2=\S+; narrow the ranges"):
        module.sensitivity(str(linear_file), {"k1": (0.0, 1.0), "k2": (0.0, 1.0)}, n=4, end=1, readouts=["y"])


@pytest.mark.parametrize("bounds", [(2.0, 2.0), (3.0, 2.0), (0.0, np.inf)])
def test_a_sensitivity_range_must_have_low_below_high(bounds):
    from rankl_net.sensitivity import problem

    with pytest.raises(InputError, match="pth: the range must be finite with low < high"):
        problem("bone", {"pth": bounds})


def test_the_report_counts_each_readouts_conditions_by_status_and_lists_each_failure_once(tmp_path):
    from rankl_net.report import write_report

    perturbations = ["ko:A", "ko:B", "ko:C", "ko:A+ko:B"]
    failed = {"ko:C": "integration failed at t = 3", "ko:A+ko:B": "integration failed at t = 5"}
    rows = [{"condition_id": p, "perturbation": p, "background": "", "readout": r,
             "value": np.nan if p in failed else 1.0, "baseline_value": 2.0,
             "log2_fold_change": np.nan if p in failed else -1.0, "status": "failed" if p in failed else "ok",
             "message": failed.get(p, "")} for p in perturbations for r in ("x", "y", "z")]
    rows = [r for r in rows if not (r["readout"] == "z" and r["perturbation"] != "ko:A")]  # z: one condition
    pd.DataFrame(rows).to_csv(tmp_path / "s.csv", index=False)
    page = write_report(tmp_path / "s.csv", tmp_path / "s.html").read_text(encoding="utf-8")
    tables = pd.read_html(io.StringIO(page))
    summary = next(t for t in tables if "conditions" in t.columns)
    counted = {(r, s): sum(1 for row in rows if (row["readout"], row["status"]) == (r, s))
               for r in ("x", "y", "z") for s in ("failed", "ok")}
    assert {(r.readout, r.status): r.conditions for r in summary.itertuples()} == {
        k: v for k, v in counted.items() if v}
    listed = next(t for t in tables if "message" in t.columns)
    assert sorted(zip(listed["perturbation"], listed["message"], strict=True)) == sorted(failed.items())


def _screen_table(lfc: dict[str, float], background: str = "") -> pd.DataFrame:
    """A screen table of one readout, x, with the log2 fold change of each condition."""
    return pd.DataFrame({"condition_id": list(lfc), "perturbation": list(lfc), "background": background,
                         "readout": "x", "value": [2.0 ** v for v in lfc.values()], "baseline_value": 1.0,
                         "log2_fold_change": list(lfc.values()), "status": "ok", "message": ""})


def test_the_report_lists_the_twenty_strongest_epistasis_scores_strongest_first(tmp_path):
    import itertools

    from rankl_net.report import write_report

    singles = {f"ko:{c}": -0.1 * (k + 1) for k, c in enumerate("ABCDEFG")}
    pairs = {f"{a}+{b}": singles[a] + singles[b] + 0.01 * (k + 1) * (-1) ** k
             for k, (a, b) in enumerate(itertools.combinations(singles, 2))}  # 21 pairs
    _screen_table({**pairs, **singles}).to_csv(tmp_path / "s.csv", index=False)
    page = write_report(tmp_path / "s.csv", tmp_path / "s.html").read_text(encoding="utf-8")
    shown = next(t for t in pd.read_html(io.StringIO(page)) if "epistasis" in t.columns)
    scores = {p: v - singles[p.split("+")[0]] - singles[p.split("+")[1]] for p, v in pairs.items()}
    strongest = sorted(scores, key=lambda p: -abs(scores[p]))[:20]
    assert [f"{r.a}+{r.b}" for r in shown.itertuples()] == strongest
    np.testing.assert_allclose(shown["epistasis"], [scores[p] for p in strongest], rtol=2e-3)


def test_the_reports_bars_and_heatmaps_are_ordered_by_value_and_name(tmp_path, monkeypatch):
    """Single perturbations as bars from the lowest value up, against the background when the
    screen has one; pairs in a heatmap whose rows and columns go in alphabetical order, whatever
    the order of the conditions."""
    from rankl_net.report import write_report

    lfc = {"ko:D": 0.5, "ko:B": -2.0, "ko:C": 1.0, "ko:A": -0.5,
           "ko:D+ko:B": 0.1, "ko:C+ko:A": 0.2, "ko:B+ko:A": 0.3}
    for background, versus in (("", "baseline"), ("ko:OPG", "background")):
        bars, maps = _bars_drawn(monkeypatch), _bars_drawn(monkeypatch, "heatmap_figure")
        _screen_table(lfc, background).to_csv(tmp_path / "s.csv", index=False)
        write_report(tmp_path / "s.csv", tmp_path / "s.html")
        (bar,), (heat,) = bars, maps
        assert list(bar["series"].items()) == sorted(((p, v) for p, v in lfc.items() if "+" not in p),
                                                    key=lambda pv: pv[1])
        assert bar["label"] == f"log2 fold change vs {versus}"
        assert list(heat["series"].index) == list(heat["series"].columns) == ["ko:A", "ko:B", "ko:C", "ko:D"]
        assert heat["series"].loc["ko:B", "ko:D"] == heat["series"].loc["ko:D", "ko:B"] == 0.1


def test_a_pair_matrix_sorts_its_names_alphabetically_whatever_their_case():
    from rankl_net.analysis import pair_matrix

    lfc = {"ko:b": 1.0, "ko:C": 2.0, "ko:a": 3.0, "ko:b+ko:C": 4.0, "ko:a+ko:C": 5.0}
    m = pair_matrix(_screen_table(lfc), "x", sort=True)
    assert list(m.index) == list(m.columns) == ["ko:a", "ko:b", "ko:C"]


def test_a_report_of_pairs_whose_scores_are_not_finite_does_not_say_the_singles_are_missing(tmp_path):
    """ko:A+ko:B has its singles (its score is NaN: a readout taken to zero); ko:A+ko:C has not."""
    from rankl_net.report import write_report

    lfc = {"ko:A": -1.0, "ko:B": -np.inf, "ko:A+ko:B": -np.inf, "ko:A+ko:C": -1.5}
    _screen_table(lfc).to_csv(tmp_path / "s.csv", index=False)
    page = write_report(tmp_path / "s.csv", tmp_path / "s.html").read_text(encoding="utf-8")
    assert "x: pairs" in page and "Strongest epistasis" not in page and "No epistasis scores" not in page
    _screen_table({"ko:A+ko:C": -1.5, "ko:B": -1.0}).to_csv(tmp_path / "t.csv", index=False)
    page = write_report(tmp_path / "t.csv", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "No epistasis scores" in page


def test_the_report_fits_a_dose_series_as_hill_fits_does_for_its_kind(tmp_path):
    """An inhibitor's series is fitted with its baseline fixed at the readout without the
    perturbation (dose 0 leaves the model as it is), a set: series with its baseline free; a
    percent change (CTX of the clinical model) is fitted in its unit whatever its baseline."""
    from rankl_net.analysis import hill_fits
    from rankl_net.report import write_report

    levels = np.linspace(0, 1, 9)
    noise = np.array([6.0, -4, 2, 0, -2, 4, -6, 2, 0])  # at dose 0 too: the two fits differ
    for perturb, anchored in (("inh:P38", True), ("set:pth", False)):
        table = pd.DataFrame({"model": "bone", "condition_id": [f"c{i}" for i in range(len(levels))],
                              "level": levels, "perturbation": screens.dose_conditions(perturb, levels),
                              "background": "", "readout": "osteoclasts",
                              "value": hill(levels, 200.0, 0.9, 0.3, 1.7) + noise, "baseline_value": 200.0,
                              "log2_fold_change": 0.0, "status": "ok", "message": ""})
        table.to_csv(tmp_path / "d.csv", index=False)
        page = write_report(tmp_path / "d.csv", tmp_path / "d.html").read_text(encoding="utf-8")
        shown = pd.read_html(io.StringIO(page))[-1].iloc[0]
        fits = {a: hill_fits(table.assign(dose=levels), anchored=a).iloc[0] for a in (True, False)}
        assert abs(fits[True]["ic50"] / fits[False]["ic50"] - 1) > 0.01
        assert shown["ic50"] == pytest.approx(fits[anchored]["ic50"], rel=1e-3)
    ctx = pd.DataFrame({"model": "clinical", "condition_id": [f"c{i}" for i in range(len(levels))],
                        "level": levels, "perturbation": screens.dose_conditions("inh:CTSK", levels),
                        "background": "drug:denosumab=60mg", "readout": "ctx",
                        "value": hill(levels, 8.5, 80.0, 0.3, 1.7, fractional=False), "baseline_value": 8.5,
                        "log2_fold_change": 0.0, "status": "ok", "message": ""})
    ctx.to_csv(tmp_path / "c.csv", index=False)
    page = write_report(tmp_path / "c.csv", tmp_path / "c.html").read_text(encoding="utf-8")
    shown = pd.read_html(io.StringIO(page))[-1].iloc[0]
    assert shown["emax_scale"] == "absolute" and shown["emax"] == pytest.approx(80.0, rel=1e-3)


def test_the_report_takes_units_and_percent_changes_from_the_tables_unit_column(tmp_path, monkeypatch):
    """A dose-response table of a model not at hand (written elsewhere, or by an older version)
    carries its units: a percent change is fitted above its floor of -100 %, and the figure's
    axes name the units, as for a shipped model."""
    from rankl_net import report
    from rankl_net.analysis import hill_fits

    levels = np.linspace(0, 1, 9)
    falling = -100.0 + 100.0 / (1 + (levels / 0.3) ** 1.7) + np.array([0.0, -3, 2, 0, -2, 3, -1, 2, -4])
    table = pd.DataFrame({"model": "oldmodel", "condition_id": [f"c{i}" for i in range(len(levels))],
                          "level": levels, "perturbation": screens.dose_conditions("inh:CTSK", levels),
                          "background": "", "readout": "ctx", "value": falling, "baseline_value": 0.0,
                          "unit": "% change", "log2_fold_change": np.nan, "status": "ok", "message": ""})
    table.to_csv(tmp_path / "d.csv", index=False)
    drawn = []
    real = report.dose_response_figure

    def record(table, fits, path, **kwargs):
        drawn.append(kwargs["units"])
        return real(table, fits, path, **kwargs)

    monkeypatch.setattr(report, "dose_response_figure", record)
    page = report.write_report(tmp_path / "d.csv", tmp_path / "d.html").read_text(encoding="utf-8")
    shown = pd.read_html(io.StringIO(page))[-1].iloc[0]
    above_floor, free = (hill_fits(table.assign(dose=levels), anchored=True, changes=c).iloc[0]
                         for c in (["ctx"], []))
    assert abs(above_floor["ic50"] / free["ic50"] - 1) > 0.01  # the two fits differ
    assert shown["ic50"] == pytest.approx(above_floor["ic50"], rel=1e-3)
    assert drawn == [{"ctx": "% change"}]


def test_the_dose_axis_says_what_the_doses_of_each_kind_measure():
    """dose_of measures a knockdown by the expression removed (1 - level) and an overexpression
    by the expression added (level - 1): the axis says so."""
    assert screens.dose_of("kd:RANKL", [0.25]).tolist() == [0.75]
    assert screens.dose_of("oe:RANK", [3.0]).tolist() == [2.0]
    assert screens.dose_label("bone", "kd:RANKL") == "fraction of RANKL expression removed"
    assert screens.dose_label("bone", "oe:RANK") == "RANK expression added (fold - 1)"
    assert screens.dose_label("bone", "inh:P38") == "fraction of P38 activity inhibited"
    assert screens.dose_label(None, "set:pth") == "pth"  # no model, no unit


def test_hill_fits_tells_apart_series_whose_conditions_share_their_first_part():
    """oe:RANK=2+inh:P38=x and oe:RANK=2+inh:CTSK=x are two dose series: pooled, they would make
    one fit of two targets."""
    levels = np.linspace(0, 1, 6)
    on_rank = [_series(d, levels).assign(perturbation=lambda t: "oe:RANK=2+" + t["perturbation"])
               for d in ("inh:P38", "inh:CTSK")]
    assert hill_fits(on_rank[0])["ic50"].iloc[0] == pytest.approx(0.3, rel=1e-3)
    with pytest.raises(InputError, match=re.escape("this table holds 2: oe:RANK+inh:P38, oe:RANK+inh:CTSK")):
        hill_fits(pd.concat(on_rank))


def test_a_screen_without_readouts_takes_every_readout_of_the_model():
    from rankl_net.catalog import get_model

    table = run_screen("bone", ["ko:OPG", "ko:CTSK"], end=7, workers=1)
    expected = list(get_model("bone").readouts)
    assert len(expected) > 1 and table["readout"].tolist() == expected * 2


# y(1) of linear_file is k1 + 3 k2: 2.0 with k1 = k2 = 0.5 (tests/conftest.py)
def test_a_files_engine_is_compiled_for_the_tolerances_asked_for(linear_file):
    """Screens of one file at two tolerances in one process each integrate at their own: the
    engine compiled at the default tolerances is not handed out for others."""
    default = screens.file_engine(linear_file)
    loose = screens.file_engine(linear_file, relative_tolerance=1e-5, absolute_tolerance=1e-9)
    assert screens.integration_settings(loose)["relative_tolerance"] == 1e-5
    assert screens.integration_settings(loose)["absolute_tolerance"] == 1e-9
    assert screens.integration_settings(default)["relative_tolerance"] == 1e-8
    assert screens.file_engine(linear_file) is default  # compiled once per tolerances


def test_a_screen_without_conditions_is_refused(linear_file):
    with pytest.raises(InputError, match="the screen has no conditions"):
        run_screen(linear_file, [], end=1, workers=1)


def test_a_screens_end_and_readouts_are_checked_before_its_conditions(linear_file):
    """An end time or a readout the model cannot take is wrong for every condition: it is said,
    not the error of the first condition."""
    with pytest.raises(InputError, match="end time must be a positive number"):
        run_screen(linear_file, ["set:nope=1"], end=-1, workers=1)
    with pytest.raises(InputError, match="unknown readout 'nope'"):
        run_screen(linear_file, ["set:nope=1"], end=1, readouts=["nope"], workers=1)


def test_a_bad_condition_is_named_by_its_position_only_among_several(linear_file):
    unknown = "unknown parameter, species or compartment 'nope'"
    with pytest.raises(InputError, match=f"^{unknown}"):
        run_screen(linear_file, ["set:nope=1"], end=1, workers=1)
    with pytest.raises(InputError, match=re.escape(f"condition 2 of 2 (set:nope=1): {unknown}")):
        run_screen(linear_file, ["set:k1=1", "set:nope=1"], end=1, workers=1)


def test_the_note_on_a_part_of_the_background_given_again_names_three_conditions_and_counts_the_rest(
        linear_file):
    conditions = [f"set:k3=1+set:k1={v}" for v in (1, 2, 3, 4)] + ["set:k1=5"]
    with pytest.warns(rankl_net.RedundantPerturbationWarning) as said:
        run_screen(linear_file, conditions, background="set:k3=1", end=1, workers=1)
    notes = [str(w.message) for w in said if issubclass(w.category, rankl_net.RedundantPerturbationWarning)]
    assert notes == ["the background (set:k3=1) applies set:k3=1 already: 4 conditions give it again "
                     "(set:k3=1+set:k1=1, set:k3=1+set:k1=2, set:k3=1+set:k1=3 and 1 more), which changes "
                     "nothing there"]


def test_a_file_screen_has_no_fold_change_from_a_readout_its_background_left_at_integration_noise(tmp_path):
    """y' = -k y from y = 1: at time 1, k = 50 leaves y at e^-50 (2e-22) and k = 40 at e^-40
    (4e-18), both far below what CVODE resolves next to y's own size (about 0.37): the values it
    returns are noise, and a fold change between them would measure it."""
    path = tmp_path / "decay.xml"
    path.write_text(antimony_to_sbml("model decay\n J0: y -> ; k * y\n y = 1; k = 1\nend"), encoding="utf-8")
    table = run_screen(str(path), ["set:k=40", "set:k=2"], background="set:k=50", end=1, readouts=["y"],
                       workers=1)
    assert table["baseline_value"].abs().max() < 1e-9
    assert table["value"].iloc[1] == pytest.approx(np.exp(-2), rel=1e-6)
    assert table["log2_fold_change"].isna().all()


def test_a_screen_folder_named_like_a_file_is_resumed(linear_file, tmp_path):
    """A name such as results.csv is refused for a new folder, not for a screen folder that has
    it already (written before the check): that one is resumed."""
    run_screen(linear_file, ["set:k1=1"], end=1, workers=1, out=tmp_path / "s")
    (tmp_path / "s").rename(tmp_path / "s.csv")
    table = run_screen(linear_file, ["set:k1=1", "set:k1=2"], end=1, workers=1, out=tmp_path / "s.csv",
                       resume=True)
    assert table.attrs["resumed"] == 1
    assert table["value"].tolist() == pytest.approx([2.5, 3.5], rel=1e-6)


def test_resume_refuses_a_folder_screened_on_another_background(linear_file, tmp_path):
    out = tmp_path / "s"
    run_screen(linear_file, ["set:k1=1"], background="set:k3=1", end=1, workers=1, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match=re.escape("holds another screen (background 'set:k3=1' there, "
                                                   "'set:k3=2' here)")):
        run_screen(linear_file, ["set:k1=1"], background="set:k3=2", end=1, workers=1, out=out, resume=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_resume_removes_the_file_of_a_chunk_interrupted_mid_write(linear_file, tmp_path):
    out = tmp_path / "s"
    run_screen(linear_file, ["set:k1=1"], end=1, workers=1, out=out)
    stale = out / ".tmp-0123456789abcdef0123-4242.parquet"
    stale.write_bytes(b"PAR1 cut short")
    table = run_screen(linear_file, ["set:k1=1", "set:k1=2"], end=1, workers=1, out=out, resume=True)
    assert not stale.exists()
    assert table["value"].tolist() == pytest.approx([2.5, 3.5], rel=1e-6)


def test_a_results_folder_that_is_a_file_is_refused_as_such(linear_file, tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match=re.escape(f"{blocker} exists and is not a screen folder; choose "
                                                   "another results folder (--out, or out= in Python)")):
        run_screen(linear_file, ["set:k1=1"], end=1, workers=1, out=blocker)
    assert blocker.read_text() == "not a folder"


def test_a_refused_folder_is_free_for_the_next_screen_while_the_error_is_kept(linear_file, tmp_path):
    """A notebook keeps the last error (and with it the refused call's frames): the folder's lock
    is released when the folder is refused, not when the error is collected."""
    out = tmp_path / "s"
    run_screen(linear_file, ["set:k1=1"], end=1, workers=1, out=out)
    with pytest.raises(InputError, match="holds another screen") as refused:
        run_screen(linear_file, ["set:k1=1"], end=2, workers=1, out=out, resume=True)
    table = run_screen(linear_file, ["set:k1=1", "set:k1=2"], end=1, workers=1, out=out, resume=True)
    assert refused.value is not None and table.attrs["resumed"] == 1


def test_default_tasks_take_a_quarter_of_what_remains_and_at_most_64_conditions(linear_file, tmp_path):
    """run_screen's chunk_size: by default shrinking tasks of at most 64 conditions. On one
    worker, each takes a quarter of the conditions left (rounded up): 300 make tasks of 64 (not
    75), 59 (of 236), 45 (of 177), ... down to 1. Each task is a part file."""
    conditions = [f"set:k1={k}" for k in range(1, 301)]
    out = tmp_path / "s"
    table = run_screen(linear_file, conditions, end=1, readouts=["y"], workers=1, out=out)
    sizes = sorted((pd.read_parquet(p)["condition_id"].nunique() for p in out.glob("part-*.parquet")),
                   reverse=True)
    assert sizes == [64, 59, 45, 33, 25, 19, 14, 11, 8, 6, 4, 3, 3, 2, 1, 1, 1, 1]
    assert table["value"].tolist() == pytest.approx([k + 1.5 for k in range(1, 301)], rel=1e-6)


def test_a_task_interleaves_the_conditions_every_sixteenth_in_turn(linear_file, tmp_path):
    """Neighbouring conditions (pairs sharing a knockout) cost alike, so a task takes every 16th
    condition, then every 16th from the second, and so on: of 300, the first task of 64 holds
    conditions 1, 17, ..., 289 (19), 2, ..., 290 (19), 3, ..., 291 (19) and 4, 20, ..., 100 (7)."""
    conditions = [f"set:k1={k}" for k in range(1, 301)]
    out = tmp_path / "s"
    run_screen(linear_file, conditions, end=1, readouts=["y"], workers=1, out=out)
    parts = [pd.read_parquet(p) for p in out.glob("part-*.parquet")]
    first = next(p for p in parts if p["condition_id"].nunique() == 64)
    expected = {f"set:k1={k}" for start, n in ((1, 19), (2, 19), (3, 19), (4, 7))
                for k in range(start, 16 * n + 1, 16)}
    assert set(first["perturbation"]) == expected


def test_a_chunk_size_of_zero_is_refused_in_python(linear_file):
    with pytest.raises(InputError, match="the chunk size must be at least 1 condition, got 0"):
        run_screen(linear_file, ["set:k1=1"], end=1, workers=1, chunk_size=0)


def test_order_table_orders_rows_by_condition_then_readout_and_keeps_only_those_given():
    table = pd.DataFrame({"condition_id": ["b", "a", "b", "c", "a", "a"],
                          "readout": ["y", "y", "x", "x", "x", "z"],
                          "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    table["baseline_value"] = table["log2_fold_change"] = 0.0
    ordered = screens.order_table(table, ["a", "b"], ["x", "y"])
    assert ordered[["condition_id", "readout", "value"]].values.tolist() == [
        ["a", "x", 5.0], ["a", "y", 2.0], ["b", "x", 3.0], ["b", "y", 1.0]]


def test_a_file_screen_has_a_baseline_and_no_context(tmp_path):
    path = tmp_path / "turnover.xml"
    path.write_text(antimony_to_sbml("model turnover\n J0: -> y; k\n J1: y -> ; y\n y = 0; k = 1\nend"),
                    encoding="utf-8")
    table = run_screen(str(path), ["set:k=2"], end=1, workers=1, baseline="steady")
    assert (table.attrs["context"], table.attrs["baseline"]) == (None, "steady")
    assert table["baseline_value"].iloc[0] == pytest.approx(1.0, rel=1e-6)  # y at its steady state, k
    table = run_screen(str(path), ["set:k=2"], end=1, workers=1)
    assert (table.attrs["context"], table.attrs["baseline"]) == (None, "initial")
    assert table["baseline_value"].iloc[0] == pytest.approx(1 - np.exp(-1), rel=1e-6)  # from y = 0


def test_levels_of_refuses_a_combination_of_two_levels():
    with pytest.raises(InputError, match="is not a condition of a dose series"):
        screens.levels_of(["inh:P38=0.5+kd:OPG=0.2"])


def test_a_dosed_perturbation_with_another_part_says_the_part_goes_in_the_background():
    with pytest.raises(InputError, match=re.escape("got 'inh:P38+ko:OPG'; a perturbation under every level")):
        screens.dose_conditions("inh:P38+ko:OPG", [0.5])


def test_true_is_not_a_level_of_a_dose_series():
    with pytest.raises(InputError, match="got bool True"):
        screens.dose_conditions("inh:P38", True)
    with pytest.raises(InputError, match="got bool True"):
        screens.dose_of("kd:OPG", True)


def test_condition_ids_are_those_the_first_screens_wrote():
    """Results folders written since screens first shipped (commit ad917c0: the first 16 hex
    digits of the SHA-256 of model|context|end|background|spec) resume: their ids must not
    change. The values are those that version gives."""
    spec = screens.ScreenSpec("bone", "mouse", 28.0, ("osteoclasts",))
    assert spec.condition_id("ko:CTSK") == "c1dcde18483a9e8c"
    on_opg = screens.ScreenSpec("bone", "mouse", 84.0, ("bone_volume",), background="ko:OPG")
    assert on_opg.condition_id("ko:CTSK+ko:FOS") == "603ceef9af1ef6bb"


def test_a_folder_of_part_files_without_its_manifest_is_a_screen_to_resume(linear_file, tmp_path):
    """A folder whose _screen.json is gone (or that was written before there was one) still
    holds a screen: its part files are resumed, not refused as other files."""
    out = tmp_path / "s"
    run_screen(linear_file, ["set:k1=1"], end=1, workers=1, out=out)
    (out / screens.MANIFEST).unlink()
    table = run_screen(linear_file, ["set:k1=1", "set:k1=2"], end=1, workers=1, out=out, resume=True)
    assert table.attrs["resumed"] == 1
    assert table["value"].tolist() == pytest.approx([2.5, 3.5], rel=1e-6)


def test_a_node_of_a_shipped_models_file_is_one_condition_whatever_it_is_called():
    """On osteoclastogenesis.xml, ko:Tnfrsf11b is ko:OPG (its gene symbol): the screen names it
    so (and so ids it), and refuses a list that gives it under both names."""
    path = paths.SBML / "osteoclastogenesis.xml"
    table = run_screen(path, ["ko:Tnfrsf11b", "ko:CTSK"], end=1, readouts="ctsk", workers=1)
    assert table["perturbation"].tolist() == ["ko:OPG", "ko:CTSK"]
    with pytest.raises(InputError, match=re.escape("the screen lists the condition 'ko:OPG' more than once: "
                                                   "conditions 1 and 2 of 2 (given as 'ko:OPG' and "
                                                   "'ko:Tnfrsf11b')")):
        run_screen(path, ["ko:OPG", "ko:Tnfrsf11b"], end=1, readouts="ctsk", workers=1)


def test_the_engine_of_a_missing_file_is_refused_as_input(tmp_path):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'missing.xml'}: no such file")):
        screens.file_engine(tmp_path / "missing.xml")


def test_a_part_file_written_before_units_were_recorded_resumes_with_every_column(linear_file, tmp_path):
    """Part files of older screens have no unit column: the table read back has the columns of
    COLUMNS, in their order, and its units."""
    out = tmp_path / "s"
    run_screen(linear_file, ["set:k1=1"], end=1, readouts=["y"], workers=1, out=out)
    (part,) = out.glob("part-*.parquet")
    pd.read_parquet(part).drop(columns="unit").to_parquet(part, index=False)
    table = run_screen(linear_file, ["set:k1=1"], end=1, readouts=["y"], workers=1, out=out, resume=True)
    assert table.attrs["resumed"] == 1
    assert list(table.columns) == screens.COLUMNS
    assert table["value"].tolist() == pytest.approx([2.5], rel=1e-6)
    assert table["unit"].tolist() == [screens.readout_units(str(linear_file), ["y"])["y"]]


def test_a_dose_series_without_levels_is_refused():
    with pytest.raises(InputError, match="no levels given"):
        screens.dose_conditions("inh:P38", [])
