"""Clinical regimen experiments of ``experiments/clinical/regimens.toml``.

Each experiment compares arms (lists of regimens) on the ``clinical`` model in the human
context, from the untreated baseline at time 0, and returns one long table: experiment, arm,
time (days) and the clinical readouts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .dosing import Regimen, drugs, parse_dose, parse_duration, parse_regimen, resolve_drug
from .errors import InputError, unknown_name
from .model import Model

REGIMENS_FILE = paths.EXPERIMENTS / "clinical" / "regimens.toml"
# after the serum concentration of every drug (`serum_readouts`): turnover markers and bone density
READOUTS = ["ctx", "untx", "p1np", "bmd_lumbar_spine", "bmd_total_hip", "osteoclasts"]
POINTS_PER_DAY = 2


@dataclass(frozen=True)
class RegimenExperiment:
    """One experiment: a title, its length (days) and its arms."""

    name: str
    title: str
    end: float
    arms: dict[str, tuple[Regimen, ...]]


def _regimens(entry, where: str) -> list[Regimen]:
    """A regimen entry: a ``drug:`` spec or a table {drug, dose, every, count, start, at}."""
    if isinstance(entry, str):
        return [parse_regimen(entry)]
    if not isinstance(entry, dict) or "drug" not in entry or "dose" not in entry:
        raise InputError(f"{where}: a regimen is a drug: spec or a table with drug and dose, got {entry!r}")
    unknown = set(entry) - {"drug", "dose", "every", "count", "start", "at"}
    if unknown:
        raise InputError(f"{where}: unknown keys {sorted(unknown)} "
                         "(valid: drug, dose, every, count, start, at)")
    dose, per_kg = parse_dose(str(entry["dose"]))
    if "at" in entry:
        return [Regimen(entry["drug"], dose, start=parse_duration(str(t), what=f"{where}: at"), per_kg=per_kg)
                for t in entry["at"]]
    every = parse_duration(str(entry["every"]), what=f"{where}: every") if "every" in entry else None
    start = parse_duration(str(entry.get("start", "0d")), what=f"{where}: start")
    return [Regimen(entry["drug"], dose, every, entry.get("count"), start, per_kg)]


def read_experiments(path: Path = REGIMENS_FILE) -> dict[str, RegimenExperiment]:
    """The regimen experiments, by name."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for name, e in raw.items():
        arms = {
            arm: tuple(r for entry in entries for r in _regimens(entry, f"{path.name} [{name}] {arm}"))
            for arm, entries in e["arms"].items()
        }
        end = parse_duration(str(e["end"]), what=f"[{name}] end")
        out[name] = RegimenExperiment(name, e["title"], end, arms)
    return out


def serum_readouts() -> list[str]:
    """The serum concentration readout (ug/mL) of every drug of ``models/drugs.toml``."""
    return [f"{name}_serum" for name in drugs()]


def dosed_drugs(experiment: RegimenExperiment) -> list[str]:
    """Names of the drugs (``models/drugs.toml``) any arm of the experiment doses."""
    names = {resolve_drug(r.drug).name for arm in experiment.arms.values() for r in arm}
    return sorted(names)


def run_experiment(experiment: RegimenExperiment | str, model: Model | None = None) -> pd.DataFrame:
    """Simulate every arm of an experiment; one row per arm and output time."""
    if isinstance(experiment, str):
        known = read_experiments()
        if experiment not in known:
            raise unknown_name("regimen experiment", experiment, known)
        experiment = known[experiment]
    model = model or Model("clinical", context="human")
    readouts = [*serum_readouts(), *READOUTS]
    frames = []
    for arm, regimens in experiment.arms.items():
        frame = model.simulate(*regimens, end=experiment.end,
                               points=int(experiment.end * POINTS_PER_DAY) + 1, readouts=readouts)
        frame.insert(0, "arm", arm)
        frame.insert(0, "experiment", experiment.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
