"""Time the genetic-line phenotype job, side by side with the loop users write with tellurium.

Runs, in one process tree:

(a) ``rankl-net phenotypes`` end to end in a fresh interpreter (import, compile, baseline,
    every line; what a user waits for);
(b) the same job in a warm process (model already compiled): the cost per line;
(c) the per-condition tellurium loop: load the SBML for every line, pre-equilibrate by
    integration, apply the perturbation's parameter changes, simulate 84 days.

(b) and (c) run the lines of the ``bone`` model (genetic changes only): the drug-treated lines
run on the clinical model with dosing events, which the hand-written loop does not reproduce.

Prints seconds and ratios. Usage: ``python benchmarks/bench_phenotypes.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rankl_net
from rankl_net import experiments
from rankl_net.catalog import get_model
from rankl_net.perturbations import parse_spec, to_changes


def cold_cli(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rankl_net", "phenotypes", "--out", str(out)],
                   check=False, capture_output=True)
    return time.perf_counter() - start


def bone_lines() -> list[experiments.GeneticLine]:
    """The lines that run on the bone model in the mouse context."""
    return [gl for gl in experiments.read_genetic_lines() if (gl.model, gl.context) == ("bone", "mouse")]


def warm_api() -> float:
    lines = bone_lines()
    experiments.run_phenotypes(lines)  # compile and baseline outside the timing
    start = time.perf_counter()
    experiments.run_phenotypes(lines)
    return time.perf_counter() - start


def tellurium_loop() -> float:
    import tellurium as te

    info = get_model("bone")
    engine = rankl_net.load_model("bone", "mouse").engine
    lines = bone_lines()
    changes = [to_changes(parse_spec(gl.spec), engine) for gl in lines]
    sbml = info.sbml_path.read_text(encoding="utf-8")
    start = time.perf_counter()
    for ch in [None, *changes]:
        r = te.loadSBMLModel(sbml)
        for k, v in info.contexts["mouse"].items():
            r[k] = v
        r.simulate(0, 5000, 2)
        r.bone_volume = 100.0
        if ch is not None:
            for k, v in {**ch.parameters}.items():
                r[k] = v
            for k, v in ch.species.items():
                r[f"[{k}]"] = v
        r.simulate(0, experiments.AGE_DAYS, 2)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "phenotypes.csv"
        cold = [cold_cli(out) for _ in range(args.repeats)]
    warm = [warm_api() for _ in range(args.repeats)]
    te_loop = [tellurium_loop() for _ in range(args.repeats)]
    n, n_bone = len(experiments.read_genetic_lines()), len(bone_lines())
    rows = [
        (f"rankl-net phenotypes, all {n} lines (fresh, CLI)", statistics.median(cold)),
        (f"rankl-net run_phenotypes, {n_bone} bone lines (warm)", statistics.median(warm)),
        (f"tellurium loop, {n_bone} bone lines (load each)", statistics.median(te_loop)),
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; each job also runs wild type; median of {args.repeats} runs")
    print(f"{'job':50s} {'seconds':>9s} {'vs warm rankl-net':>18s}")
    for name, sec in rows:
        print(f"{name:50s} {sec:9.2f} {sec / rows[1][1]:17.1f}x")


if __name__ == "__main__":
    main()
