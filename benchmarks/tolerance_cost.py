"""What the absolute tolerances cost in the ``bone`` all-pairs knockout screen.

The engine fixes one CVODE absolute tolerance per state at the baseline. This script scales all
of them by 0.01, 1 and 100 and prints, for each scale, the mean time per condition over the
screen (median of three passes, the scales in alternation), the time of one condition where a
knocked-out lineage dies away, and the largest error of the readouts against a reference run at
relative tolerance 1e-11, relative to each readout's baseline value.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rankl_net import engine as engine_mod
from rankl_net import screens
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0
READOUTS = ["bone_volume", "osteoclasts", "osteoblasts", "rankl_free", "nfatc1"]
SCALES = (0.01, 1.0, 100.0)
EXAMPLE = "ko:ERK2+ko:ACP5"


def main() -> None:
    conds = screens.knockout_conditions("bone", "all", pairs=True, context="mouse")
    eng = engine_mod.load("bone", "mouse")
    changes = [to_changes(parse_spec(c), eng) for c in conds]
    example = changes[conds.index(EXAMPLE)]
    integrator = eng.rr.integrator
    fixed = np.array(integrator.getAbsoluteToleranceVector(), float)
    baseline = np.array([eng.baseline[r] for r in READOUTS])

    def finals() -> np.ndarray:
        return np.array([list(eng.final_values(ch, end=END, readouts=READOUTS).values()) for ch in changes])

    integrator.relative_tolerance = 1e-11
    integrator.absolute_tolerance = list(fixed * 1e-4)
    reference = finals()
    integrator.relative_tolerance = engine_mod.RELATIVE_TOLERANCE

    screen_ms: dict[float, list[float]] = {s: [] for s in SCALES}
    example_ms: dict[float, list[float]] = {s: [] for s in SCALES}
    error: dict[float, float] = {}
    for rnd in range(3):
        for scale in SCALES if rnd % 2 == 0 else SCALES[::-1]:
            integrator.absolute_tolerance = list(fixed * scale)
            start = time.perf_counter()
            values = finals()
            screen_ms[scale].append(1e3 * (time.perf_counter() - start) / len(conds))
            start = time.perf_counter()
            eng.final_values(example, end=END, readouts=READOUTS)
            example_ms[scale].append(1e3 * (time.perf_counter() - start))
            error[scale] = float(np.max(np.abs(values - reference) / np.abs(baseline)))
    integrator.absolute_tolerance = list(fixed)

    print(f"bone all-pairs knockout screen, {len(conds)} conditions, {END:g} days; "
          f"relative tolerance {engine_mod.RELATIVE_TOLERANCE:g}")
    print(f"{'absolute tolerances x':>22s} {'ms/condition':>13s} {EXAMPLE + ' ms':>20s} "
          f"{'max error / baseline':>21s}")
    for scale in SCALES:
        print(f"{scale:22g} {statistics.median(screen_ms[scale]):13.2f} "
              f"{statistics.median(example_ms[scale]):20.1f} {error[scale]:21.1e}")


if __name__ == "__main__":
    main()
