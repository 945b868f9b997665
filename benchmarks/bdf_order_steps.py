"""Why a ``bone`` screen condition takes the steps it takes: CVODE's BDF order, its
stability-limit detection and the NF-kB loop.

Prints the complex eigenvalues of the ``bone`` model's Jacobian at the mouse baseline (the
damped NF-kB/IkBa oscillation of the signalling module), then, for the conditions of the
all-pairs knockout screen that take the most steps at libRoadRunner's default (maximum order 5,
no stability-limit detection), the number of CVODE steps over 84 days at maximum orders 5, 4
and 3 without the detection and at order 5 with it (the engine's setting), the mean time per
condition of the whole screen in each setting, and the largest error of its readouts against a
reference run at relative tolerance 1e-11 (relative to the reference value, or to a thousandth
of the baseline value where the readout falls below it).
"""

from __future__ import annotations

import time

import numpy as np

from rankl_net import cvode, screens
from rankl_net import engine as engine_mod
from rankl_net.perturbations import parse_spec, to_changes

END = 84.0
READOUTS = ["bone_volume", "osteoclasts"]
# (label, maximum BDF order, stability-limit detection)
SETTINGS = (("order 5", 5, False), ("order 4", 4, False), ("order 3", 3, False),
            ("5 + STALD", 5, True))


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
    integrator.relative_tolerance = 1e-11
    reference = np.array([list(eng.final_values(ch, end=END, readouts=READOUTS).values()) for ch in changes])
    integrator.relative_tolerance = engine_mod.RELATIVE_TOLERANCE
    floor = 1e-3 * np.array([eng.baseline[r] for r in READOUTS])
    default_order = integrator.maximum_bdf_order
    rr.timeCourseSelections = ["time", *(f"[{r}]" if r in eng.species_ids else r for r in READOUTS)]
    steps, mean_ms, error = {}, {}, {}
    try:
        for label, order, detection in SETTINGS:
            integrator.maximum_bdf_order = order
            counts, seconds, values = [], 0.0, []
            for ch in changes:  # as the engine runs a condition, with the setting under test
                eng.apply(ch)
                cvode.set_stability_limit_detection(rr.integrator, detection)
                start = time.perf_counter()
                values.append(np.asarray(rr.simulate(0, END, 2))[-1, 1:])
                seconds += time.perf_counter() - start
                counts.append(cvode.steps_of_last_run(rr.integrator))
            steps[label] = np.array(counts)
            mean_ms[label] = 1e3 * seconds / len(changes)
            error[label] = float(np.max(np.abs(np.array(values) - reference)
                                        / np.maximum(np.abs(reference), floor)))
    finally:
        integrator.maximum_bdf_order = default_order
        cvode.set_stability_limit_detection(rr.integrator)
    labels = [s[0] for s in SETTINGS]
    worst = np.argsort(-steps[labels[0]])[:8]
    print(f"\nCVODE steps over {END:g} days, by maximum BDF order and stability-limit detection (STALD)")
    print(f"{'condition':28s}" + "".join(f"{label:>11s}" for label in labels))
    for i in worst:
        print(f"{conds[i]:28s}" + "".join(f"{steps[label][i]:11d}" for label in labels))
    print(f"{'mean over the screen':28s}" + "".join(f"{steps[label].mean():11.0f}" for label in labels))
    print(f"{'largest over the screen':28s}" + "".join(f"{steps[label].max():11d}" for label in labels))
    print(f"{'ms per condition':28s}" + "".join(f"{mean_ms[label]:11.2f}" for label in labels))
    print(f"{'largest readout error':28s}" + "".join(f"{error[label]:11.1e}" for label in labels))
    print(f"(readouts {', '.join(READOUTS)}, against relative tolerance 1e-11)")


if __name__ == "__main__":
    main()
