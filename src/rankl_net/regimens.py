"""Clinical regimen experiments of ``experiments/clinical/regimens.toml``, or of a file of the
same form (``rankl-net regimens --file FILE``).

Each experiment compares arms (lists of regimens) on the ``clinical`` model in the human
context (or the context it names), from the untreated baseline at time 0, and returns one long
table: experiment, context, arm, time (days) and the clinical readouts.

File format (TOML): one table per experiment, whose name names its output files (letters,
digits, ``_``, ``-`` and ``.``)::

    [denosumab_120mg_loading]
    title = "Denosumab 120 mg every 4 weeks with loading doses on days 8 and 15"
    end = "6mo"                          # a time with a unit (d, wk, mo, y), or a number of days
    arms.untreated = []                  # an arm without regimens: the untreated baseline
    arms.without_loading = ["drug:denosumab=120mg/4wk"]
    arms.with_loading = [{ drug = "denosumab", dose = "120mg", every = "4wk" },
                         { drug = "denosumab", dose = "120mg", at = ["8d", "15d"] }]

    [huRANKL_mice_denosumab]
    title = "Denosumab 10 mg/kg twice weekly in human-RANKL knock-in mice"
    context = "mouse_huRANKL"            # optional: a context of the clinical model (default human)
    end = "4wk"
    arms.untreated = []
    arms.denosumab = ["drug:denosumab=10mg/kg/3.5d"]

An arm is a list of regimens: ``drug:`` specs, or tables with ``drug`` and ``dose``, and either
``every``, ``count`` and ``start`` (a repeated regimen; without ``every``, one dose) or ``at``
(a list of single-dose times, in any order, each once). ``every``, ``start`` and the times of
``at`` are strings with a unit ("4wk", "8d"): a number without one is refused, as ``/6`` is in a
spec. Every key and value is checked before any experiment runs.
"""

from __future__ import annotations

import math
import re
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .catalog import get_model
from .dosing import (
    DURATION_UNITS,
    Regimen,
    drugs,
    no_unit_message,
    parse_dose,
    parse_duration,
    parse_regimen,
    resolve_drug,
    spec_number,
    unitless,
)
from .engine import MAX_POINTS
from .errors import (
    DosesAfterEndWarning,
    InputError,
    given,
    known_keys,
    read_toml,
    unknown_name,
    user_stacklevel,
)
from .model import Model

REGIMENS_FILE = paths.EXPERIMENTS / "clinical" / "regimens.toml"
# the model every regimen experiment runs on
REGIMEN_MODEL = "clinical"
# after the serum concentration of every drug (`serum_readouts`): turnover markers and bone density
READOUTS = ["ctx", "untx", "p1np", "bmd_lumbar_spine", "bmd_total_hip", "osteoclasts"]
POINTS_PER_DAY = 2
# an experiment's name names its output files (NAME.csv, NAME.png), so it stays inside the folder
# (as an experiment id of rankl_net.comparisons does)
EXPERIMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
EXPERIMENT_KEYS = ("title", "end", "arms")  # each experiment's; "context" may be given too
OPTIONAL_KEYS = ("context",)
REGIMEN_KEYS = ("drug", "dose", "every", "count", "start", "at")


@dataclass(frozen=True)
class RegimenExperiment:
    """One experiment: a title, its length (days), its arms and the context of the ``clinical``
    model it runs in (None: the model's default, human)."""

    name: str
    title: str
    end: float
    arms: dict[str, tuple[Regimen, ...]]
    context: str | None = None


def _duration(where: str, value: object) -> float:
    """An experiment's end in days: a string with a unit ("4wk") or a number of days."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where} must be a time such as \"4wk\" (units d, wk, mo, y; a number is in "
                         f"days), got {given(value)}")
    return parse_duration(str(value), what=where)


def _dose_time(where: str, value: object) -> float:
    """A regimen's interval or dose time in days: a string with a unit ("4wk", "8d"). A number,
    or a string without a unit, is refused: 4 could be days, weeks or months."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where} must be a time with a unit such as \"4wk\" (units {DURATION_UNITS}), "
                         f"got {given(value)}")
    text = value if isinstance(value, str) else spec_number(value)
    if unitless(text):  # (a TOML file writes a time in quotes: "4wk")
        raise InputError(no_unit_message(where, text, quote='"'))
    return parse_duration(text, "d", what=where)  # (only 0 comes without a unit)


def _regimens(entry, where: str) -> list[Regimen]:
    """A regimen entry: a ``drug:`` spec or a table {drug, dose, every, count, start, at}."""
    if isinstance(entry, str):
        try:
            return [parse_regimen(entry)]
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    if not isinstance(entry, dict) or "drug" not in entry or "dose" not in entry:
        raise InputError(f"{where}: a regimen is a drug: spec or a table with drug and dose, got {entry!r}")
    known_keys(where, entry, REGIMEN_KEYS)
    if not isinstance(entry["dose"], str):
        raise InputError(f"{where}: dose must be a string with its unit, such as \"120mg\" or \"1mg/kg\", "
                         f"got {given(entry['dose'])}")
    try:
        if isinstance(entry["drug"], str):
            resolve_drug(entry["drug"])
        dose, per_kg = parse_dose(entry["dose"])
        if "at" in entry:
            repeated = [key for key in ("every", "count", "start") if key in entry]
            if repeated:
                raise InputError(f"at lists single doses, which take no {', '.join(repeated)}; give a "
                                 "repeated regimen (every, count, start) as a table of its own")
            times = entry["at"]
            if not isinstance(times, list) or not times:
                raise InputError(f"at must be a list of dose times, such as [\"8d\", \"15d\"], "
                                 f"got {given(times)}")
            days = [_dose_time("at", t) for t in times]
            # (two doses at one time were given silently; any order is fine; 10h is 0.41666...d)
            pairs = ((i, j) for j in range(len(days)) for i in range(j) if math.isclose(days[i], days[j]))
            pair = next(pairs, None)
            if pair is not None:
                first, again = times[pair[0]], times[pair[1]]
                both = f"{first!r} twice" if first == again else f"{first!r} and {again!r}"
                raise InputError(f"at lists {both}, two doses at day {spec_number(days[pair[1]])}; give each "
                                 "dose time once")
            return [Regimen(entry["drug"], dose, start=t, per_kg=per_kg) for t in days]
        count = entry.get("count")
        if "every" not in entry and isinstance(count, int) and not isinstance(count, bool) and count > 1:
            # (Regimen says "/EVERY", the spec's part, which a file does not write)
            raise InputError(f"count = {count!r} needs every, the dosing interval (such as every = \"6mo\"); "
                             "without every, a table gives one dose")
        every = _dose_time("every", entry["every"]) if "every" in entry else None
        start = _dose_time("start", entry.get("start", "0d"))
        return [Regimen(entry["drug"], dose, every, entry.get("count"), start, per_kg)]
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _arms(where: str, arms: object) -> dict[str, tuple[Regimen, ...]]:
    """The arms of an experiment: a table of arm names and lists of regimens."""
    if not isinstance(arms, dict) or not arms:
        raise InputError(f"{where}: arms must be a table of arms, each a list of regimens, such as "
                         f"arms.untreated = [] and arms.denosumab = [\"drug:denosumab=60mg/6mo\"], "
                         f"got {given(arms)}")
    out = {}
    for arm, entries in arms.items():
        if not arm.strip():  # (a row of the table, and a line of the figure's legend, without a name)
            raise InputError(f"{where}: an arm's name is empty; name each arm, such as arms.untreated = []")
        if not isinstance(entries, list):
            raise InputError(f"{where} arm {arm!r}: an arm is a list of regimens ([] for an untreated arm), "
                             f"such as [\"drug:denosumab=60mg/6mo\"], got {given(entries)}")
        out[arm] = tuple(r for entry in entries for r in _regimens(entry, f"{where} arm {arm!r}"))
    return out


def read_experiments(path: Path = REGIMENS_FILE) -> dict[str, RegimenExperiment]:
    """The regimen experiments of ``path`` (default: the shipped file), by name; a malformed
    entry raises an :class:`InputError` naming the file, the experiment and the arm."""
    raw = read_toml(path, "regimen file")
    path = Path(path)
    if isinstance(raw.get("experiments"), list):
        raise InputError(f"{path.name} is a file of comparison experiments ([[experiments]]): run it with "
                         f"`rankl-net experiment {shlex.quote(str(path))}`; `rankl-net regimens` runs files "
                         "of experiments with arms")
    if not raw:
        raise InputError(f"{path} defines no regimen experiment; each is a table such as [my_regimens] with "
                         "title, end and arms")
    out = {}
    for name, e in raw.items():
        where = f"{path.name} [{name}]"
        if not EXPERIMENT_NAME.fullmatch(name):
            raise InputError(f"{path.name}: experiment name {name!r} names its output files (NAME.csv, "
                             "NAME.png); use letters, digits, '_', '-' and '.', starting with a letter or "
                             "digit")
        if not isinstance(e, dict):
            raise InputError(f"{where}: an experiment is a table with title, end and arms, got {given(e)}")
        known_keys(where, e, EXPERIMENT_KEYS + OPTIONAL_KEYS)
        missing = [key for key in EXPERIMENT_KEYS if key not in e]
        if missing:
            raise InputError(f"{where} lacks {', '.join(repr(k) for k in missing)}; an experiment has a "
                             "title, an end and arms")
        if not isinstance(e["title"], str):
            raise InputError(f"{where}: title must be a string (text in quotes), got {given(e['title'])}")
        end = _duration(f"{where}: end", e["end"])
        if not (math.isfinite(end) and end > 0):
            raise InputError(f"{where}: end must be a time above zero, got {e['end']!r}")
        points = int(end * POINTS_PER_DAY) + 1
        if points > MAX_POINTS:
            raise InputError(f"{where}: end {e['end']!r} is longer than the {MAX_POINTS // POINTS_PER_DAY:,} "
                             f"days a run of {POINTS_PER_DAY} output times a day can have")
        context = None
        if "context" in e:
            try:
                context = get_model(REGIMEN_MODEL).context_or_default(_text(e["context"]))
            except InputError as exc:
                raise InputError(f"{where}: context: {exc}") from None
        out[name] = RegimenExperiment(name, e["title"], end, _arms(where, e["arms"]), context)
    return out


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InputError(f"a context is a name in quotes, got {given(value)}")
    return value


def serum_readouts() -> list[str]:
    """The serum concentration readout (ug/mL) of every drug of ``models/drugs.toml``."""
    return [f"{name}_serum" for name in drugs()]


def dosed_drugs(experiment: RegimenExperiment) -> list[str]:
    """Names of the drugs (``models/drugs.toml``) any arm of the experiment doses."""
    names = {resolve_drug(r.drug).name for arm in experiment.arms.values() for r in arm}
    return sorted(names)


def _has_readout(model: Model, readout: str) -> bool:
    try:
        model.engine.check_readouts([readout])
    except InputError:
        return False
    return True


def run_experiment(experiment: RegimenExperiment | str, model: Model | None = None) -> pd.DataFrame:
    """Simulate every arm of an experiment; one row per arm and output time.

    Parameters
    ----------
    experiment
        A :class:`RegimenExperiment`, or the name of one of the shipped file.
    model
        The model to run it on (default: ``clinical`` in the experiment's context, human unless
        it names one), a :class:`~rankl_net.model.Model` with every drug's serum concentration
        (ug/mL) and the clinical markers and bone densities (% change from baseline) as readouts;
        in the experiment's context, if it names one.

    Returns
    -------
    One row per arm and output time: ``experiment``, ``context`` (the model's), ``arm``,
    ``time`` (days) and the readouts; ``attrs["units"]`` gives each column's unit.
    """
    if isinstance(experiment, str):
        known = read_experiments()
        if experiment not in known:
            raise unknown_name("regimen experiment", experiment, known)
        experiment = known[experiment]
    if not isinstance(experiment, RegimenExperiment):
        raise InputError(f"experiment must be a regimen experiment's name (of {REGIMENS_FILE.name}) or a "
                         f"RegimenExperiment (read_experiments(path) returns them), got {given(experiment)}")
    model = Model(REGIMEN_MODEL, context=experiment.context) if model is None else model
    if not isinstance(model, Model):
        raise InputError(f"model must be a Model, such as rankl_net.load_model({REGIMEN_MODEL!r}, "
                         f"context=\"human\"), got {given(model)}")
    if experiment.context is not None and model.context != experiment.context:
        raise InputError(f"the experiment {experiment.name} runs in the {experiment.context} context, and "
                         f"the model given is in {model.context}; give a model in {experiment.context}, or "
                         "leave model out")
    readouts = [*serum_readouts(), *READOUTS]
    missing = [r for r in readouts if not _has_readout(model, r)]
    if missing:
        raise InputError(f"a regimen experiment reads every drug's serum concentration and the clinical "
                         f"markers ({', '.join(READOUTS)}), as the {REGIMEN_MODEL} model has them; "
                         f"{model!r} lacks {', '.join(missing)}")
    frames = []
    for arm, regimens in experiment.arms.items():
        # a dose after the end is said with the experiment and arm that give it
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", DosesAfterEndWarning)
            frame = model.simulate(*regimens, end=experiment.end,
                                   points=int(experiment.end * POINTS_PER_DAY) + 1, readouts=readouts)
        for w in said:
            late = issubclass(w.category, DosesAfterEndWarning)
            message = f"{experiment.name} arm {arm!r}: {w.message}" if late else w.message
            warnings.warn(message, w.category, stacklevel=user_stacklevel())
        frame.insert(0, "arm", arm)
        frame.insert(0, "context", model.context)
        frame.insert(0, "experiment", experiment.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
