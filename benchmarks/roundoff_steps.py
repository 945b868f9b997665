"""How much of a ``bone`` screen's cost is decided at the level of round-off.

The all-pairs knockout screen of ``bone`` is integrated from the engine's baseline and from
copies of it whose species values are moved by a few parts in 10^16 (normally distributed,
relative standard deviation ``--jitter``, fixed seed), each at CVODE maximum BDF orders 3, 4
and 5. Prints the CVODE steps over the screen for each: the engine's own baseline, and the
median, smallest and largest over the jittered copies, with the mean time per condition.
Usage: ``python benchmarks/roundoff_steps.py [--copies N] [--jitter R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from rankl_net import engine as engine_mod
from rankl_net import screens
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0


def prepare(eng, ch, species: np.ndarray) -> None:
    """The engine's baseline with ``species`` (concentrations), then the condition's changes
    (as ``Engine.apply``, which would restore the engine's own species)."""
    eng.restore_baseline()
    eng.rr.model.setFloatingSpeciesConcentrations(species)
    for sid, v in {**ch.parameters, **ch.species}.items():
        eng.set_value(sid, v)
    eng.set_value("bone_volume", 100.0)  # the model's reset at time 0 (models/catalog.toml)


def screen_steps(eng, changes, species: np.ndarray) -> tuple[int, float]:
    """CVODE steps summed over the conditions from the baseline with ``species``, and the mean
    seconds per condition of the same runs with two output points (as a screen runs them)."""
    rr = eng.rr
    steps, seconds = 0, 0.0
    for ch in changes:
        prepare(eng, ch, species)
        rr.integrator.variable_step_size = True
        steps += len(rr.simulate(0, END)) - 1
        rr.integrator.variable_step_size = False
        prepare(eng, ch, species)
        start = time.perf_counter()
        rr.simulate(0, END, 2)
        seconds += time.perf_counter() - start
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
        for order in (3, 4, 5):
            eng.rr.integrator.setValue("maximum_bdf_order", order)
            own, own_time = screen_steps(eng, changes, base)
            runs = [screen_steps(eng, changes, s) for s in copies]
            steps = [r[0] for r in runs]
            ms = 1e3 * statistics.median([own_time, *(r[1] for r in runs)])
            print(f"{order:13d} {own:16,d} {statistics.median(steps):9,.0f} {min(steps):9,d} "
                  f"{max(steps):9,d} {ms:13.2f}")
    finally:
        eng.rr.integrator.setValue("maximum_bdf_order", default_order)


if __name__ == "__main__":
    main()
