"""Why a ``bone`` screen condition takes the steps it takes: CVODE's BDF order and the NF-kB loop.

Prints the complex eigenvalues of the ``bone`` model's Jacobian at the mouse baseline (the
damped NF-kB/IkBa oscillation of the signalling module), then, for the conditions of the
all-pairs knockout screen that take the most steps, the number of CVODE steps over 84 days at
each maximum BDF order, and the mean time per condition of the whole screen at each order.
"""

from __future__ import annotations

import time

import numpy as np

from rankl_net import engine as engine_mod
from rankl_net import screens
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0


def main() -> None:
    eng = engine_mod.load("bone", "mouse")
    rr = eng.rr
    eng.restore_baseline()
    eigenvalues = np.linalg.eigvals(np.array(rr.getFullJacobian()))
    oscillatory = sorted({complex(round(e.real, 1), round(abs(e.imag), 1))
                          for e in eigenvalues if abs(e.imag) > 1e-9}, key=lambda e: -abs(e.imag))
    print("complex eigenvalues at the baseline (per day): "
          + ", ".join(f"{e.real:g} ± {e.imag:g}i" for e in oscillatory))
    conds = screens.knockout_conditions("bone", "all", pairs=True, context="mouse")
    changes = [to_changes(parse_spec(c), eng) for c in conds]
    integrator = rr.integrator
    default_order = integrator.maximum_bdf_order
    orders = (5, 4, 3)
    steps = {}
    mean_ms = {}
    for order in orders:  # the screen through the engine, timed
        integrator.maximum_bdf_order = order
        start = time.perf_counter()
        for ch in changes:
            eng.final_values(ch, end=END, readouts=["bone_volume", "osteoclasts"])
        mean_ms[order] = 1e3 * (time.perf_counter() - start) / len(changes)
    rr.timeCourseSelections = ["time"]  # then every step reported, to count them
    integrator.variable_step_size = True
    for order in orders:
        integrator.maximum_bdf_order = order
        counts = []
        for ch in changes:
            eng.apply(ch)
            counts.append(len(rr.simulate(0, END)) - 1)
        steps[order] = np.array(counts)
    integrator.variable_step_size = False
    integrator.maximum_bdf_order = default_order
    worst = np.argsort(-steps[default_order])[:8]
    print(f"\nCVODE steps over {END:g} days, by maximum BDF order")
    print(f"{'condition':28s}" + "".join(f"{'order ' + str(o):>10s}" for o in orders))
    for i in worst:
        print(f"{conds[i]:28s}" + "".join(f"{steps[o][i]:10d}" for o in orders))
    print(f"{'mean over the screen':28s}" + "".join(f"{steps[o].mean():10.0f}" for o in orders))
    print(f"{'ms per condition':28s}" + "".join(f"{mean_ms[o]:10.2f}" for o in orders))


if __name__ == "__main__":
    main()
