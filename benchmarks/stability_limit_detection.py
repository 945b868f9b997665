"""Which shipped models CVODE's stability-limit detection helps (``stability_limit_detection`` in
``models/catalog.toml``).

For every shipped model in its default context, the conditions are its single knockouts and,
where the model carries drugs or tumour presets, the drug arms of the clinical regimen
experiments (``experiments/clinical/regimens.toml``) and each preset; each is run to the
model's default end time (the regimens to their own). Each condition is run with the
detection and without it (CVODE as libRoadRunner sets it), and once more without it at relative
tolerance 1e-11 as the reference. Prints, for each model and setting, the CVODE steps over all
conditions (every piece of a dosed run counted), the time per condition (median of three passes,
the settings in alternation) and the largest error of the readouts against the reference
(relative to the reference value, or to a thousandth of the readout's largest size where it is
smaller, and never below the engine's absolute tolerance).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rankl_net import cvode, engine, screens
from rankl_net.catalog import get_model, model_names
from rankl_net.dosing import drugs
from rankl_net.perturbations import parse_spec, to_changes
from rankl_net.regimens import read_experiments


def conditions(model: str, eng) -> list[tuple[object, float]]:
    """(changes, end) of the model's benchmark conditions."""
    info = get_model(model)
    knockouts = screens.knockout_conditions(model, "all", context=info.default_context)
    runs = [(to_changes(parse_spec(s), eng), info.default_end)
            for s in knockouts + [f"preset:{p}" for p in info.presets]]
    # the regimen experiments are human regimens (`rankl-net regimens` runs them on clinical,
    # human): in a mouse context their doses would be hundreds of times those studied
    if info.default_context == "human" and all(d.dose_species in eng.species_ids for d in drugs().values()):
        runs += [(to_changes(list(arm), eng), experiment.end)
                 for experiment in read_experiments().values() for arm in experiment.arms.values() if arm]
    return runs


def run_all(eng, runs, readouts) -> tuple[np.ndarray, int, float]:
    """Final readouts of every run, the CVODE steps over all of them and the seconds they took."""
    steps = 0
    plain = eng._run

    def counted(*args, **kwargs):  # every piece of a dosed run is one call
        nonlocal steps
        result = plain(*args, **kwargs)
        steps += cvode.steps_of_last_run(eng.rr.integrator)
        return result

    eng._run = counted
    try:
        start = time.perf_counter()
        values = np.array([list(eng.final_values(ch, end=end, readouts=readouts).values())
                           for ch, end in runs])
        seconds = time.perf_counter() - start
    finally:
        del eng._run
    return values, steps, seconds


def main() -> None:
    print(f"{'model':20s} {'conditions':>10s} {'detection':>10s} {'CVODE steps':>12s} "
          f"{'ms/condition':>13s} {'largest error':>14s}")
    for model in model_names():
        info = get_model(model)
        eng = engine.load(model)
        chosen = eng.stability_limit_detection
        runs = conditions(model, eng)
        readouts = list(info.readouts)
        try:
            eng.stability_limit_detection = False
            eng.rr.integrator.relative_tolerance = 1e-11
            reference = run_all(eng, runs, readouts)[0]
            eng.rr.integrator.relative_tolerance = engine.RELATIVE_TOLERANCE
            # a readout that stays at zero: errors below the absolute tolerance are not errors
            floor = np.maximum(1e-3 * np.max(np.abs(reference), axis=0), eng.absolute_tolerance)
            results: dict[bool, dict] = {False: {"seconds": []}, True: {"seconds": []}}
            for rnd in range(3):
                for setting in (False, True) if rnd % 2 == 0 else (True, False):
                    eng.stability_limit_detection = setting
                    values, steps, seconds = run_all(eng, runs, readouts)
                    error = float(np.max(np.abs(values - reference) / np.maximum(np.abs(reference), floor)))
                    results[setting].update(steps=steps, error=error)
                    results[setting]["seconds"].append(seconds)
        finally:
            eng.rr.integrator.relative_tolerance = engine.RELATIVE_TOLERANCE
            eng.stability_limit_detection = chosen
        for setting in (False, True):
            r = results[setting]
            ms = 1e3 * statistics.median(r["seconds"]) / len(runs)
            label = ("on" if setting else "off") + (" *" if setting == chosen else "")
            print(f"{model:20s} {len(runs):10d} {label:>10s} {r['steps']:12,d} {ms:13.2f} {r['error']:14.1e}")
    print("* the model's setting in models/catalog.toml")


if __name__ == "__main__":
    main()
