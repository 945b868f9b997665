"""How much of a ``bone`` screen's cost is decided at the level of round-off.

The all-pairs knockout screen of ``bone`` is integrated from the engine's baseline and from
copies of it whose species values are moved by a few parts in 10^16 (normally distributed,
relative standard deviation ``--jitter``, fixed seed), each at CVODE maximum BDF orders 3, 4
and 5 without stability-limit detection (libRoadRunner's default is order 5 without it) and at
order 5 with it (the engine's setting). Prints the CVODE steps over the screen for each: the
engine's own baseline, and the median, smallest and largest over the jittered copies, with the
mean time per condition.
Usage: ``python benchmarks/roundoff_steps.py [--copies N] [--jitter R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from rankl_net import cvode, screens
from rankl_net import engine as engine_mod
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0
# (label, maximum BDF order, stability-limit detection)
SETTINGS = (("3", 3, False), ("4", 4, False), ("5", 5, False), ("5 + STALD", 5, True))


def prepare(eng, ch, species: np.ndarray) -> None:
    """The engine's baseline with ``species`` (concentrations), then the condition's changes
    (as ``Engine.apply``, which would restore the engine's own species)."""
    eng.restore_baseline()
    eng.rr.model.setFloatingSpeciesConcentrations(species)
    for sid, v in {**ch.parameters, **ch.species}.items():
        eng.set_value(sid, v)
    eng.set_value("bone_volume", 100.0)  # the model's reset at time 0 (models/catalog.toml)


def screen_steps(eng, changes, species: np.ndarray, detection: bool) -> tuple[int, float]:
    """CVODE steps summed over the conditions from the baseline with ``species``, and the mean
    seconds per condition (two output points, as a screen runs them)."""
    rr = eng.rr
    steps, seconds = 0, 0.0
    for ch in changes:
        prepare(eng, ch, species)
        cvode.set_stability_limit_detection(rr.integrator, detection)
        start = time.perf_counter()
        rr.simulate(0, END, 2)
        seconds += time.perf_counter() - start
        steps += cvode.steps_of_last_run(rr.integrator)
    eng.restore_baseline()
    return steps, seconds / len(changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--jitter", type=float, default=2e-15)
    args = parser.parse_args()
    eng = engine_mod.load("bone", "mouse")
    conds = screens.knockout_conditions("bone", "all", pairs=True)
    changes = list({ch.key(): ch for ch in (to_changes(parse_spec(c), eng) for c in conds)}.values())
    eng.restore_baseline()
    base = np.array(eng.rr.model.getFloatingSpeciesConcentrations(), float)
    rng = np.random.default_rng(1)
    copies = [base * (1 + args.jitter * rng.standard_normal(base.size)) for _ in range(args.copies)]
    default_order = int(eng.rr.integrator.getValue("maximum_bdf_order"))
    print(f"bone all-pairs screen: {len(changes)} distinct conditions over {END:g} days; "
          f"{args.copies} baselines jittered at a relative {args.jitter:g}")
    print(f"{'max BDF order':>13s} {'engine baseline':>16s} {'median':>9s} {'min':>9s} {'max':>9s} "
          f"{'ms/condition':>13s}")
    try:
        for label, order, detection in SETTINGS:
            eng.rr.integrator.setValue("maximum_bdf_order", order)
            own, own_time = screen_steps(eng, changes, base, detection)
            runs = [screen_steps(eng, changes, s, detection) for s in copies]
            steps = [r[0] for r in runs]
            ms = 1e3 * statistics.median([own_time, *(r[1] for r in runs)])
            print(f"{label:>13s} {own:16,d} {statistics.median(steps):9,.0f} {min(steps):9,d} "
                  f"{max(steps):9,d} {ms:13.2f}")
    finally:
        eng.rr.integrator.setValue("maximum_bdf_order", default_order)
        cvode.set_stability_limit_detection(eng.rr.integrator)


if __name__ == "__main__":
    main()
