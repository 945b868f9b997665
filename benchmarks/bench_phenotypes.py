"""Time the genetic-line phenotype job, side by side with the loop users write with tellurium.

Runs, in one process tree:

(a) ``rankl-net phenotypes`` end to end in a fresh interpreter (import, compile, baseline,
    every line; what a user waits for);
(b) the same job in a warm process (model already compiled): the cost per line;
(c) the per-condition tellurium loop: load the SBML for every line, pre-equilibrate by
    integration, apply the perturbation's parameter changes, simulate 84 days.

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


def warm_api() -> float:
    experiments.run_phenotypes()  # compile and baseline outside the timing
    start = time.perf_counter()
    experiments.run_phenotypes()
    return time.perf_counter() - start


def tellurium_loop() -> float:
    import tellurium as te

    info = get_model("bone")
    engine = rankl_net.load_model("bone", "mouse").engine
    lines = experiments.read_genetic_lines()
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
    n = len(experiments.read_genetic_lines())
    rows = [
        ("rankl-net phenotypes (fresh process, CLI)", statistics.median(cold)),
        ("rankl-net run_phenotypes (warm process)", statistics.median(warm)),
        ("tellurium loop (load per condition)", statistics.median(te_loop)),
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; {n} genetic lines + wild type; median of {args.repeats} runs")
    print(f"{'job':45s} {'seconds':>9s} {'vs warm rankl-net':>18s}")
    for name, sec in rows:
        print(f"{name:45s} {sec:9.2f} {sec / rows[1][1]:17.1f}x")


if __name__ == "__main__":
    main()
