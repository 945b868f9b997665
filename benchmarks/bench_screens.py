"""All-pairs knockout screen of the ``bone`` model, run side by side with its peers.

Peers, all on the same SBML file and the same conditions (each: pre-equilibrated mouse baseline,
a pair of knockouts at time 0, readouts after 84 days):

(a) rankl-net, serial (``workers=1``);
(b) rankl-net on every core;
(c) the loop most users write with tellurium: load the model for each condition, find the
    baseline by integration, apply the knockouts, simulate;
(d) the best hand-written libRoadRunner loop: compile once, keep the baseline as value arrays,
    restore them, set values, simulate (libRoadRunner's CVODE settings: it has no setting for
    CVODE's stability-limit detection, which the engine switches on);
(e) COPASI through basico on the same SBML (compile once; restore the baseline, set values,
    time course), when basico is installed.

Then peak memory (max RSS of a fresh process) of a serial rankl-net screen streaming to Parquet
with 1,000 and with 10,000 conditions.

Prints conditions per second and ratios (rankl-net serial, all cores, the hand-written loop
and the tellurium loop: medians of eleven runs in rotation, with the engine alone doing the same
work once per core in one process and at once in one forked process per core, and what forking
and reaping a process holding the compiled model costs); the hand-written and tellurium loops
run in processes of their own, so that their models and imports do not weigh on the forks of
the pool; the CVODE steps rankl-net and the hand-written loop take over the screen; the
hand-written loop again with the stability-limit detection switched on through
``rankl_net.cvode`` (the same integration as the engine's, so the ratio is rankl-net's own cost
around it), and the time each spends per condition around the integration (the same screen over
a thousandth of a day); and where the tellurium loop spends its time per condition (loading,
pre-equilibrating, simulating).
``--quick`` runs fewer conditions for the slow peers and for the memory runs (a smoke test;
record figures from a full run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

from rankl_net import cvode, screens
from rankl_net import engine as engine_mod
from rankl_net.catalog import get_model
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0
READOUTS = ("bone_volume", "osteoclasts")
OVERHEAD_END = 1e-3


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("nan")


def time_rankl_net(conds: list[str], workers: int, end: float = END) -> float:
    """Wall time of one rankl-net screen (about a second)."""
    start = time.perf_counter()
    screens.run_screen("bone", conds, context="mouse", end=end, readouts=READOUTS, workers=workers)
    return time.perf_counter() - start


def hand_loop(conds: list[str], end: float = END, detection: bool = False):
    """The best loop we know how to write on libRoadRunner alone: compile once, find the
    baseline, keep it as value arrays; per condition restore them (microseconds, where
    ``loadStateS`` rebuilds the model), set the knockouts, simulate. ``detection``: CVODE's
    stability-limit detection switched on, as the engine does. Returns a timed run."""
    import numpy as np
    import roadrunner

    eng = engine_mod.load("bone", "mouse")
    changes = [to_changes(parse_spec(c), eng) for c in conds]
    rr = roadrunner.RoadRunner(str(get_model("bone").sbml_path))
    engine_mod.configure_integrator(rr.integrator)
    if detection:  # the integrator lives as long as rr: once is enough
        cvode.set_stability_limit_detection(rr.integrator)
    rr.tissue_time_scale = 8.0
    rr.simulate(0, 5000, 2)
    rr.model.setTime(0.0)
    rr["bone_volume"] = 100.0
    m = rr.model
    assigned = set(rr.getAssignmentRuleIds())
    settable = np.array([i for i, p in enumerate(m.getGlobalParameterIds()) if p not in assigned], np.int32)
    params = np.array(m.getGlobalParameterValues(), float)[settable]
    species = np.array(m.getFloatingSpeciesConcentrations(), float)
    rr.timeCourseSelections = ["time", "bone_volume", "[osteoclasts]"]

    def prepare(ch) -> None:
        m.setGlobalParameterValues(settable, params)
        m.setFloatingSpeciesConcentrations(species)
        m.setTime(0.0)
        for k, v in ch.parameters.items():
            rr[k] = v
        for k, v in ch.species.items():
            rr[f"[{k}]"] = v

    def run() -> float:
        start = time.perf_counter()
        for ch in changes:
            prepare(ch)
            rr.simulate(0, end, 2)
        return time.perf_counter() - start

    run.steps = lambda: cvode_steps(rr, changes, prepare)
    return run


def cvode_steps(rr, changes, prepare) -> int:
    """CVODE steps summed over the conditions."""
    total = 0
    for ch in changes:
        prepare(ch)
        rr.simulate(0, END, 2)
        total += cvode.steps_of_last_run(rr.integrator)
    return total


def rankl_net_steps(conds: list[str]) -> int:
    """CVODE steps of the engine over the distinct conditions it simulates."""
    eng = engine_mod.load("bone", "mouse")
    total = 0
    for ch in {ch.key(): ch for ch in (to_changes(parse_spec(c), eng) for c in conds)}.values():
        eng.final_values(ch, end=END, readouts=READOUTS)
        total += cvode.steps_of_last_run(eng.rr.integrator)
    return total


def in_rotation(runners: dict, repeats: int = 11) -> dict[str, float]:
    """Median wall time of each runner, the runners timed in rotation (the machine's speed
    drifts by tens of percent within minutes, so each median spans the same stretch)."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(runners[name]())
    return {name: statistics.median(t) for name, t in times.items()}


def engine_loops(conds: list[str], cores: int, forked: bool):
    """The engine alone (no screen around it) doing the same work, a share of the conditions
    (every ``cores``-th), ``cores`` times: one after the other in this process, or at once in
    ``cores`` forked processes. Every process has the same work, so the ratio of the two is a
    reference for the parallel speed-up on this machine at the time, free of how a screen is
    split. ``run.busy`` records the work alone (the slowest process's, without the forks and
    exits around it)."""
    eng = engine_mod.load("bone", "mouse")
    share = [to_changes(parse_spec(c), eng) for c in conds[::cores]]

    def work() -> None:
        for ch in share:
            eng.final_values(ch, end=END, readouts=READOUTS)

    def run() -> float:
        start = time.perf_counter()
        if not forked:
            for _ in range(cores):
                work()
            run.busy.append(time.perf_counter() - start)
            return run.busy[-1]
        children, (read_end, write_end) = [], os.pipe()
        for _ in range(cores):
            pid = os.fork()
            if pid == 0:
                began = time.perf_counter()
                work()
                os.write(write_end, struct.pack("d", time.perf_counter() - began))
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        seconds = time.perf_counter() - start
        run.busy.append(max(struct.unpack("d", os.read(read_end, 8))[0] for _ in children))
        os.close(read_end)
        os.close(write_end)
        return seconds

    run.busy = []
    return run


def serial_hand_and_pool(conds: list[str], cores: int, end: float = END,
                         tellurium_conds: list[str] | None = None) -> dict[str, float]:
    """rankl-net serial, the hand-written loop (without and with the stability-limit detection)
    and rankl-net on ``cores`` processes, with the engine alone in one and in ``cores`` forked
    processes and the tellurium loop over ``tellurium_conds``, in rotation."""
    # the peers run in processes of their own: their models and imports stay out of this
    # process, whose pool workers are forked from it
    runners = {"serial": lambda: time_rankl_net(conds, 1, end), "hand": in_own_process(hand_loop, conds, end),
               "hand + detection": in_own_process(hand_loop, conds, end, True)}
    if cores > 1:
        runners["all cores"] = lambda: time_rankl_net(conds, cores, end)
        runners["engine, 1 process"] = engine_loops(conds, cores, forked=False)
        runners["engine, forked"] = engine_loops(conds, cores, forked=True)
    if tellurium_conds:
        runners["tellurium"] = in_own_process(tellurium_loop, tellurium_conds)
    try:
        timed = in_rotation(runners)
    finally:
        for run in runners.values():
            if hasattr(run, "close"):
                run.close()
    if cores > 1:
        for name in ("engine, 1 process", "engine, forked"):
            timed[name.replace("engine", "engine work")] = statistics.median(runners[name].busy)
    if tellurium_conds:  # seconds per condition in each phase
        loop = runners["tellurium"]
        conditions_run = loop.runs * len(tellurium_conds)
        timed["tellurium phases"] = {k: v / conditions_run for k, v in loop.phases.items()}
    return timed


def tellurium_loop(conds: list[str]):
    """The loop most users write with tellurium. Returns a timed run; its ``phases`` sum the
    seconds spent in each phase over every run, and ``runs`` counts the runs."""
    import tellurium as te

    eng = engine_mod.load("bone", "mouse")
    changes = [to_changes(parse_spec(c), eng) for c in conds]
    sbml = get_model("bone").sbml_path.read_text(encoding="utf-8")
    phases = dict.fromkeys(("load", "pre-equilibrate", "simulate"), 0.0)

    def run() -> float:
        start = time.perf_counter()
        for ch in changes:
            t0 = time.perf_counter()
            r = te.loadSBMLModel(sbml)
            t1 = time.perf_counter()
            r.tissue_time_scale = 8.0
            r.simulate(0, 5000, 2)
            r.bone_volume = 100.0
            for k, v in ch.parameters.items():
                r[k] = v
            for k, v in ch.species.items():
                r[f"[{k}]"] = v
            t2 = time.perf_counter()
            r.simulate(0, END, 2, selections=["time", "bone_volume", "[osteoclasts]"])
            t3 = time.perf_counter()
            for phase, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                phases[phase] += seconds
        run.runs += 1
        return time.perf_counter() - start

    run.phases, run.runs = phases, 0
    return run


def _serve(factory, args: tuple, conn) -> None:
    """Build a runner with ``factory(*args)`` in this process and run it whenever asked."""
    run = factory(*args)
    while conn.recv():
        conn.send((run(), getattr(run, "phases", None), getattr(run, "runs", 0)))


def in_own_process(factory, *args):
    """The runner ``factory(*args)`` built and run in a fresh process of its own (spawned, not
    forked), timed in the rotation like the others. Its imports and models stay out of this
    process, whose pool workers are forked from it: tellurium's import alone adds tens of MB that
    every fork and exit of a worker would otherwise copy and free, a cost no user of the pool
    pays."""
    ctx = get_context("spawn")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(factory, args, there), daemon=True)
    proc.start()

    def run() -> float:
        here.send(True)
        seconds, run.phases, run.runs = here.recv()
        return seconds

    def close() -> None:
        here.send(False)
        proc.join()

    run.close = close
    return run


def fork_exit_ms(repeats: int = 9) -> float:
    """Median milliseconds to fork this process, let the child exit at once and reap it: what
    each forked pool worker costs beyond its work."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def run_basico_loop(conds: list[str]) -> float | None:
    try:
        import basico
    except ImportError:
        return None
    eng = engine_mod.load("bone", "mouse")
    changes = [to_changes(parse_spec(c), eng) for c in conds]
    dm = basico.load_model(str(get_model("bone").sbml_path))
    # basico addresses parameters and species by name, not by SBML id
    pname = basico.get_parameters(model=dm).reset_index().set_index("sbml_id")["name"].to_dict()
    sname = basico.get_species(model=dm).reset_index().set_index("sbml_id")["name"].to_dict()
    basico.set_parameters(pname["tissue_time_scale"], initial_value=8.0, model=dm)
    basico.run_time_course(duration=5000, intervals=1, update_model=True, model=dm)
    species = basico.get_species(model=dm)["initial_concentration"].to_dict()
    start = time.perf_counter()
    for ch in changes:
        for name, value in species.items():
            basico.set_species(name, initial_concentration=value, model=dm)
        for k, v in ch.parameters.items():
            basico.set_parameters(pname[k], initial_value=v, model=dm)
        for k, v in ch.species.items():
            basico.set_species(sname[k], initial_concentration=v, model=dm)
        basico.set_parameters(pname["bone_volume"], initial_value=100.0, model=dm)
        basico.run_time_course(duration=END, intervals=1, model=dm)
        for k in ch.parameters:
            basico.set_parameters(pname[k], initial_value=eng.baseline[k], model=dm)
    return time.perf_counter() - start


MEMORY_SCRIPT = """
import resource, sys
from rankl_net import screens
n, out = int(sys.argv[1]), sys.argv[2]
conds = [f"set:k_rankl_production={1.0e6 + 1.0e2 * i!r}" for i in range(n)]
screens.run_screen("bone", conds, context="mouse", end=84.0, readouts=["bone_volume", "osteoclasts"],
                   workers=1, out=out, chunk_size=64)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_memory_mb(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(n), str(Path(tmp) / "m.parquet")],
                             capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="All-pairs knockout screen of the bone model vs peers")
    parser.add_argument("--quick", action="store_true", help="fewer conditions (a smoke run)")
    args = parser.parse_args()
    conds = screens.knockout_conditions("bone", "all", pairs=True, context="mouse")
    subset = conds[: 20 if args.quick else 60]
    engine_mod.load("bone", "mouse")  # compile outside the timings
    cores = os.cpu_count() or 1
    timed = serial_hand_and_pool(conds, cores, tellurium_conds=subset)
    fork_cost = fork_exit_ms()
    serial_time, hand_time = timed["serial"], timed["hand"]
    all_cores_time = timed.get("all cores", serial_time)
    steps = {"rankl-net": rankl_net_steps(conds), "hand-written loop": hand_loop(conds).steps(),
             "with detection": hand_loop(conds, detection=True).steps()}
    # all but the integration: the same screens over a thousandth of a day
    overhead = [1e6 * t / len(conds) for t in serial_hand_and_pool(conds, 1, OVERHEAD_END).values()]
    reference = timed["engine, 1 process"] / timed["engine, forked"] if cores > 1 else 1.0
    work_reference = timed["engine work, 1 process"] / timed["engine work, forked"] if cores > 1 else 1.0
    rows = [
        ("rankl-net serial", len(conds), serial_time),
        (f"rankl-net all cores ({cores})", len(conds), all_cores_time),
        ("tellurium loop (load per condition)", len(subset), timed["tellurium"]),
        ("hand-written libRoadRunner loop", len(conds), hand_time),
        ("  the same + stability-limit detection", len(conds), timed["hand + detection"]),
    ]
    basico_time = run_basico_loop(subset)
    serial_rate = rate(rows[0][1], rows[0][2])
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}; "
          f"bone all-pairs knockout screen: {len(conds)} conditions, {END:g} days each")
    print(f"{'runner':40s} {'conditions':>10s} {'cond/s':>9s} {'rankl-net serial vs it':>23s}")
    for name, n, sec in rows + ([("COPASI via basico", len(subset), basico_time)] if basico_time else []):
        r = rate(n, sec)
        print(f"{name:40s} {n:10d} {r:9.1f} {serial_rate / r:22.2f}x")
    if basico_time is None:
        print("COPASI via basico: not installed (pip install copasi-basico)")
    print(f"all cores vs serial: {rate(rows[1][1], rows[1][2]) / serial_rate:.2f}x; the engine alone in "
          f"{cores} forked processes vs in one, the same work in each: {reference:.2f}x (the work alone, "
          f"without the forks and exits: {work_reference:.2f}x); forking and reaping a process holding "
          f"the compiled model: {fork_cost:.1f} ms")
    distinct = len({to_changes(parse_spec(c), engine_mod.load("bone", "mouse")).key() for c in conds})
    print(f"CVODE steps over the screen: rankl-net {steps['rankl-net']} ({distinct} distinct conditions), "
          f"hand-written loop {steps['hand-written loop']} ({len(conds)}; ratio "
          f"{steps['rankl-net'] / steps['hand-written loop']:.2f}), the same loop with the "
          f"stability-limit detection {steps['with detection']}")
    print(f"time per condition around the integration ({OVERHEAD_END:g} days simulated): rankl-net "
          f"{overhead[0]:.0f} us, hand-written loop {overhead[1]:.0f} us")
    per_condition = {k: 1e3 * v for k, v in timed["tellurium phases"].items()}
    print("tellurium loop per condition: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_condition.items())
          + f"; rankl-net serial: {1e3 / serial_rate:.1f} ms")
    # the same CVODE integration is in both: a runner that only integrates, at the peer's cost
    # per integration, is faster than the loop by at most this factor
    ceiling = sum(per_condition.values()) / per_condition["simulate"]
    print(f"loop / its own integration of a condition: {ceiling:.1f}x")
    small, large = (200, 2000) if args.quick else (1000, 10000)
    m_small, m_large = peak_memory_mb(small), peak_memory_mb(large)
    print(f"peak memory, serial screen to Parquet: {small} conditions {m_small:.0f} MB, "
          f"{large} conditions {m_large:.0f} MB, ratio {m_large / m_small:.2f}")


if __name__ == "__main__":
    main()
