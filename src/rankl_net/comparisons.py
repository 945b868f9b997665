"""Comparison experiments defined as data (``experiments/*.toml``): conditions of one model run
side by side, with expected outcomes stated as a direction and a margin, and their sources.

File format (TOML)::

    [[experiments]]
    id = "osteolytic_blockade"            # names the output files: letters, digits, _ - .
    title = "..."
    model = "bone_tumour"
    context = "mouse"
    end = "4wk"                           # a time with a unit (s, min, h, d, wk, mo, y), or a number
                                          # in the model's time unit (28.0)
    readouts = ["tumour_burden", "osteolysis"]
    source = "..."
    conditions = [
      { label = "no tumour", spec = "" },                 # every condition writes its spec; "": none
      { label = "untreated", spec = "preset:breast" },
      { label = "OPG-Fc", spec = "preset:breast+drug:opg_fc=1mg/kg/2d" },
    ]
    expectations = [
      # relative: value(condition) at least 20 % below value(reference)
      { readout = "osteolysis", condition = "OPG-Fc", reference = "untreated",
        relation = "lower", margin = 0.2, source = "..." },
      # absolute: value(condition) above a threshold
      { readout = "lesion_index", condition = "untreated", relation = "above", threshold = 0.0 },
    ]

Relations: ``lower`` (``value <= reference - margin x |reference|``), ``higher``
(``value >= reference + margin x |reference|``), ``within``
(``|value - reference| <= margin x |reference|``), ``above`` (value > threshold), ``below``
(value < threshold). A margin is a fraction of the reference: from 0 up to,
not including, 1 for ``lower`` (1 or more would ask for a value at or below zero: use ``below``
with a threshold), from 0 up to, not including, 10 for ``higher``, above 0 and below 10 for
``within``; each of the three needs one (``margin = 0``: any decrease or increase), and a
reference other than its condition. ``above`` and ``below`` take a threshold, not a margin.
Readouts are named once each. Every
condition writes its ``spec``: ``spec = ""`` is the untreated condition. Values are taken at
``at`` (default: the end; a time as ``end`` is). With
``percent_change = true`` (a readout that is a percent change from baseline, such as CTX) the
relative relations compare the level it stands for, 100 + value.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import paths
from .dosing import DURATION_UNITS
from .engine import check_points, load
from .errors import InputError, first_repeated, given, known_keys, read_toml
from .model import Model
from .perturbations import parse_spec, to_changes
from .sbml_files import time_in_model_unit
from .screens import readout_units
from .units import is_percent_change

RELATIVE = ("lower", "higher", "within")
ABSOLUTE = ("above", "below")
# the margin each relative relation takes (a fraction of the reference), as the range it lies in
# and that range in words. "lower" by 1 (100 %) or more asks for a value at or below zero, which
# a threshold states ("below"); "within" 0 asks for values equal to the last digit
MARGINS = {
    "lower": (lambda m: 0.0 <= m < 1.0, "from 0 up to, not including, 1"),
    "higher": (lambda m: 0.0 <= m < 10.0, "from 0 up to, not including, 10"),
    "within": (lambda m: 0.0 < m < 10.0, "above 0 and below 10"),
}
TUMOUR_EXPERIMENTS = paths.EXPERIMENTS / "tumour.toml"
# an id names the experiment's output files, so it stays inside the output folder
EXPERIMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Condition:
    """One condition: a label and its perturbation spec ("" for the untreated baseline)."""

    label: str
    spec: str


@dataclass(frozen=True)
class Expectation:
    """An expected outcome: ``readout`` of ``condition`` against ``reference`` or a threshold."""

    readout: str
    condition: str
    relation: str
    reference: str = ""
    margin: float = 0.0
    threshold: float = math.nan
    at: float = math.nan
    source: str = ""
    note: str = ""
    # the readout is a % change from baseline: compare the level, 100 + it (None: not said; a
    # relative relation on a percent change must say which it compares)
    percent_change: bool | None = None

    @property
    def text(self) -> str:
        """The expectation in words, for tables."""
        if self.relation in ABSOLUTE:
            return f"{self.readout} {self.relation} {self.threshold:g}"
        what = f"{self.readout} level (100 % + change)" if self.percent_change else self.readout
        if self.relation == "within":
            return f"{what} within {100 * self.margin:g} % of {self.reference}"
        return f"{what} at least {100 * self.margin:g} % {self.relation} than {self.reference}"


@dataclass(frozen=True)
class Comparison:
    """One experiment of a comparison file."""

    id: str
    title: str
    model: str
    context: str | None
    end: float
    readouts: tuple[str, ...]
    conditions: tuple[Condition, ...]
    expectations: tuple[Expectation, ...] = ()
    points: int = 101
    source: str = ""
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def condition(self, label: str) -> Condition:
        """The condition called ``label``."""
        for c in self.conditions:
            if c.label == label:
                return c
        raise InputError(f"experiment {self.id}: no condition {label!r}")


# the keys each table of an experiment file may hold: any other is a typing error, which would
# otherwise fall back silently to a default (`contxt = "human"` running in the default context)
FILE_KEYS = ("experiments",)
EXPERIMENT_KEYS = ("id", "title", "model", "context", "end", "readouts", "conditions", "expectations",
                   "points", "source", "note", "tags")
CONDITION_KEYS = ("label", "spec")
EXPECTATION_KEYS = ("readout", "condition", "relation", "reference", "margin", "threshold", "at", "source",
                    "note", "percent_change")


def _text(where: str, table: dict, key: str, default: str | None = None) -> str:
    """The string ``table[key]`` (``default`` when the key is absent and a default is given; a
    required key that is absent raises KeyError, which the reader reports as missing)."""
    value = table[key] if default is None else table.get(key, default)
    if not isinstance(value, str):
        raise InputError(f"{where}: {key} must be a string (text in quotes), got {given(value)}")
    return value


def _tables(where: str, value: object, example: str) -> list:
    """A TOML list (of tables, which :func:`known_keys` checks one by one)."""
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list of tables, such as [{example}], got {given(value)}")
    return value


def _number(where: str, value: object, what: str = "a number") -> float:
    """A TOML number (integer or float) as a float; anything else is refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise InputError(f"{where} must be {what}, got {value!r}")


def _time(where: str, value: object, model: str) -> float:
    """A time of an experiment in its model's time unit: a number (in that unit already) or a
    string, either a number or a time with a unit ("12wk", "72h"), as ``--end`` reads it."""
    if isinstance(value, str):
        return time_in_model_unit(model, value, what=where)
    return _number(where, value, f"a number in the model's time unit or a time with a unit among "
                                 f"{DURATION_UNITS} (such as \"12wk\")")


def _points(value: object) -> object:
    """A number of time points: a whole number, also written as a float (``101.0``); anything
    else is left for :func:`check_comparison` to refuse with a message."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _readouts(where: str, value: object) -> tuple[str, ...]:
    """The readouts of an experiment: a non-empty list of strings."""
    readouts = _strings(where, value)
    if not readouts:
        raise InputError(f"{where} is empty; name at least one readout (the model's are listed by "
                         "`rankl-net models`)")
    repeated = first_repeated(readouts)
    if repeated is not None:  # (as --readouts ctx,ctx is refused)
        raise InputError(f"{where} lists {repeated!r} more than once; name each readout once")
    return readouts


def _strings(where: str, value: object) -> tuple[str, ...]:
    """A TOML list of strings as a tuple; anything else is refused."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{where} must be a list of strings (such as [\"bone_volume\", \"ctx\"]), "
                     f"got {value!r}")


def _expectation(exp_id: str, raw: dict, labels: set[str], model: str) -> Expectation:
    known_keys(f"experiment {exp_id}, an expectation", raw, EXPECTATION_KEYS)
    where = f"experiment {exp_id}, an expectation:"
    text = f"experiment {exp_id}, an expectation"
    try:
        e = Expectation(
            readout=_text(text, raw, "readout"),
            condition=_text(text, raw, "condition"),
            relation=_text(text, raw, "relation"),
            reference=_text(text, raw, "reference", ""),
            margin=_number(f"{where} margin", raw.get("margin", 0.0), "a fraction (0.2 for 20 %)"),
            threshold=_number(f"{where} threshold", raw.get("threshold", math.nan)),
            at=_time(f"{where} at", raw["at"], model) if "at" in raw else math.nan,
            source=_text(text, raw, "source", ""),
            note=_text(text, raw, "note", ""),
            percent_change=raw.get("percent_change"),
        )
    except KeyError as exc:
        raise InputError(f"experiment {exp_id}: an expectation lacks {exc.args[0]!r}") from None
    if e.relation not in RELATIVE + ABSOLUTE:
        raise InputError(f"experiment {exp_id}: relation {e.relation!r} is not one of "
                         f"{', '.join(RELATIVE + ABSOLUTE)} (lower, higher and within compare with a "
                         "reference condition; above and below with a threshold)")
    # (an empty reference is none; an empty condition is a label like any other, which it may lack)
    missing = ({e.condition, e.reference} if e.reference else {e.condition}) - labels
    if missing:
        raise InputError(f"experiment {exp_id}: expectation on unknown condition(s) {sorted(missing)}; "
                         f"its conditions are {sorted(labels)}")
    if e.relation in RELATIVE and not e.reference:
        raise InputError(f"experiment {exp_id}: relation {e.relation!r} needs a reference condition")
    if e.relation in ABSOLUTE and e.reference:
        raise InputError(f"experiment {exp_id}: relation {e.relation!r} compares with a threshold, not with "
                         f"the reference {e.reference!r}; use lower, higher or within to compare conditions")
    if e.relation in RELATIVE and not math.isnan(e.threshold):
        raise InputError(f"experiment {exp_id}: relation {e.relation!r} compares with the reference "
                         "condition, not with a threshold; use above or below for a threshold")
    if "threshold" in raw and not math.isfinite(e.threshold):  # (TOML writes nan and inf)
        raise InputError(f"experiment {exp_id}: threshold must be a finite number, got {e.threshold:g}")
    if e.relation in ABSOLUTE and math.isnan(e.threshold):
        raise InputError(f"experiment {exp_id}: relation {e.relation!r} needs a threshold")
    if e.percent_change is not None and not isinstance(e.percent_change, bool):
        raise InputError(f"experiment {exp_id}: percent_change must be true or false, "
                         f"got {e.percent_change!r}")
    if e.relation in ABSOLUTE and e.percent_change:
        raise InputError(f"experiment {exp_id}: percent_change = true applies to lower, higher and within "
                         f"(which compare the level, 100 + the change); relation {e.relation!r} compares "
                         "the value as it is with the threshold: leave percent_change out")
    _check_margin(exp_id, e, "margin" in raw)
    if e.relation in RELATIVE and e.reference == e.condition:
        outcome = "always holds" if e.relation == "within" else "can never hold"
        raise InputError(f"experiment {exp_id}: an expectation on {e.readout} compares {e.condition!r} with "
                         f"itself (reference = condition), which {outcome}; give another condition as the "
                         "reference")
    return e


def _check_margin(exp_id: str, e: Expectation, given_margin: bool) -> None:
    """Refuse a margin with which an expectation cannot hold, or means nothing (see MARGINS)."""
    if e.relation in ABSOLUTE:
        if given_margin:
            raise InputError(f"experiment {exp_id}: relation {e.relation!r} compares with the threshold, "
                             "which takes no margin; leave margin out (lower, higher and within take one)")
        return
    valid, valid_text = MARGINS[e.relation]
    if given_margin and valid(e.margin):
        return
    why = {
        "lower": ("; 1 or more asks for a value at or below zero (for a value that falls to about zero, use "
                  "relation = \"below\" with a threshold)"),
        "higher": "",
        "within": "; 0 asks for equal values to the last digit (0.01: within 1 %)",
    }[e.relation]
    stated = f"got {e.margin:g}" if given_margin else "none is given"
    if not given_margin and e.relation != "within":  # a direction without a size: margin = 0 says so
        change = "decrease" if e.relation == "lower" else "increase"
        why = f" (margin = 0 accepts any {change})"
    raise InputError(f"experiment {exp_id}: relation {e.relation!r} takes a margin {valid_text}, a "
                     f"fraction of the reference (0.2 for 20 %); {stated}{why}")


def read_comparisons(path: Path = TUMOUR_EXPERIMENTS) -> list[Comparison]:
    """Read a comparison file; a malformed entry raises an error naming the experiment."""
    raw = read_toml(path, "experiment file")
    if isinstance(raw.get("experiments"), dict):
        raise InputError(f"{Path(path).name}: each experiment starts with [[experiments]] (two brackets: a "
                         "list of experiments), not [experiments]")
    if any(isinstance(v, dict) and "arms" in v for v in raw.values()):
        raise InputError(f"{Path(path).name} is a file of drug regimens (tables with arms): run it with "
                         f"`rankl-net regimens --file {shlex.quote(str(path))}`; `rankl-net experiment` runs "
                         "files of [[experiments]]")
    known_keys(Path(path).name, raw, FILE_KEYS)
    out = []
    entries = _tables(f"{Path(path).name}: experiments", raw.get("experiments", []), "{ id = \"x\", ... }")
    for i, entry in enumerate(entries, start=1):
        name = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        known_keys(f"{Path(path).name}: experiment {name}", entry, EXPERIMENT_KEYS)
        exp_id = entry.get("id", f"#{i}")
        if "id" in entry and not (isinstance(exp_id, str) and EXPERIMENT_ID.fullmatch(exp_id)):
            raise InputError(f"{Path(path).name}: experiment id {exp_id!r} names its output files; use "
                             "letters, digits, '_', '-' and '.', starting with a letter or digit")
        where = f"experiment {exp_id}"
        try:
            # the model first: a time with a unit is converted to its time unit
            model = _text(where, entry, "model")
            context = entry.get("context")
            if context is not None and not isinstance(context, str):
                raise InputError(f"{where}: context must be a string such as \"mouse\" or \"human\" (leave "
                                 f"it out for the model's default), got {given(context)}")
            raw_conditions = _tables(f"{where}: conditions", entry["conditions"],
                                     "{ label = \"untreated\", spec = \"\" }")
            for c in raw_conditions:
                known_keys(f"{where}, a condition", c, CONDITION_KEYS)
                if "label" not in c:
                    raise InputError(f"{where}, a condition lacks 'label'; name each condition (label = "
                                     "\"OPG-/-\"): expectations and tables refer to it by its label")
                if "spec" not in c:
                    raise InputError(f"{where}, condition {c['label']!r} lacks 'spec'; give its "
                                     "perturbations (spec = \"ko:OPG\"), or spec = \"\" for an untreated "
                                     "condition")
                for key in CONDITION_KEYS:
                    if not isinstance(c[key], str):
                        raise InputError(f"{where}, a condition: {key} must be a string, got {c[key]!r}")
            conditions = tuple(Condition(c["label"], c["spec"]) for c in raw_conditions)
            if not conditions:
                raise InputError(f"{where}: conditions is empty; give at least one, such as "
                                 "{ label = \"untreated\", spec = \"\" }")
            labels = {c.label for c in conditions}
            if len(labels) != len(conditions):
                raise InputError(f"{where}: condition labels must be unique; "
                                 f"{first_repeated([c.label for c in conditions])!r} is given twice")
            expectations = _tables(f"{where}: expectations", entry.get("expectations", []),
                                   "{ readout = \"ctx\", condition = \"...\", ... }")
            out.append(
                Comparison(
                    id=entry["id"],
                    title=_text(where, entry, "title"),
                    model=model,
                    context=context,
                    end=_time(f"{where}: end", entry["end"], model),
                    readouts=_readouts(f"{where}: readouts", entry["readouts"]),
                    conditions=conditions,
                    expectations=tuple(_expectation(exp_id, e, labels, model) for e in expectations),
                    points=_points(entry.get("points", 101)),
                    source=_text(where, entry, "source", ""),
                    note=_text(where, entry, "note", ""),
                    tags=_strings(f"{where}: tags", entry.get("tags", [])),
                )
            )
        except KeyError as exc:
            raise InputError(f"{Path(path).name}: experiment {exp_id} lacks {exc.args[0]!r}") from None
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise InputError(f"{Path(path).name}: experiment ids must be unique; "
                         f"{first_repeated(ids)!r} is given twice")
    return out


def check_comparison(exp: Comparison) -> None:
    """Check, without simulating, that ``exp`` can run: its model and context, end time and
    number of points, readouts, perturbation specs and the times of its expectations."""
    try:
        engine = load(exp.model, exp.context)
        engine.check_end(exp.end)
        check_points(exp.points)
        engine.check_readouts(list(dict.fromkeys([*exp.readouts, *(e.readout for e in exp.expectations)])))
        for c in exp.conditions:
            if c.spec:
                to_changes(parse_spec(c.spec), engine)
        for e in exp.expectations:
            unit = readout_units(exp.model, [e.readout]).get(e.readout)
            if e.percent_change and not is_percent_change(unit):
                raise InputError(f"an expectation on {e.readout} has percent_change = true, but "
                                 f"{e.readout} is in {unit or 'no unit'}, not a percent change from baseline "
                                 "(such as ctx)")
            # a margin relative to a change near 0 (an untreated reference) asks for nothing or
            # for round-off: the level, 100 + the change, is what such a margin is usually about
            if e.relation in RELATIVE and e.percent_change is None and is_percent_change(unit):
                raise InputError(f"an expectation on {e.readout} ({e.relation} than {e.reference}) "
                                 "compares a percent change from baseline by a fraction of the reference's: "
                                 "say which it compares, percent_change = true for the level (100 + the "
                                 "change: 0.2 lower is 20 % less of what the reference has) or "
                                 "percent_change = false for the changes themselves")
            if not math.isnan(e.at) and not 0 <= e.at <= exp.end:
                unit = f"{engine.time_unit}s"
                raise InputError(f"an expectation on {e.readout} is taken at {e.at:g} {unit}, outside the "
                                 f"run, 0-{exp.end:g} {unit}")
    except InputError as exc:
        raise InputError(f"experiment {exp.id}: {exc}") from None


@dataclass
class ComparisonResult:
    """Time courses and expectation checks of one experiment.

    Attributes
    ----------
    experiment
        The experiment that was run.
    time_courses
        Tidy table: experiment, condition, spec, time, readout, value and its unit
        (``attrs["units"]["time"]``: the time unit).
    checks
        One row per expectation: the values compared and their unit, the relative change and
        whether it holds.
    """

    experiment: Comparison
    time_courses: pd.DataFrame
    checks: pd.DataFrame

    @property
    def passed(self) -> bool:
        """Whether every expectation holds."""
        return bool(self.checks["passed"].all()) if len(self.checks) else True

    def value(self, condition: str, readout: str, at: float | None = None) -> float:
        """A readout of a condition at time ``at`` (default: the end; the nearest output time)."""
        sub = self.time_courses[
            (self.time_courses["condition"] == condition) & (self.time_courses["readout"] == readout)
        ]
        if sub.empty:
            raise InputError(f"experiment {self.experiment.id}: no {readout!r} for {condition!r}")
        t = sub["time"].max() if at is None or math.isnan(at) else at
        row = sub.iloc[(sub["time"] - t).abs().argsort().iloc[0]]
        return float(row["value"])


def check(exp: Expectation, value: float, reference: float) -> tuple[bool, float]:
    """Whether an expectation holds for ``value`` (and ``reference``); the relative change. A
    percent change from baseline (``percent_change``) is compared as the level it stands for,
    100 + value: a margin relative to the change itself would pass a 90 % suppression of CTX that
    was 146 % above baseline with any CTX below +15 %."""
    if exp.percent_change and exp.relation in RELATIVE:
        value, reference = 100.0 + value, 100.0 + reference
    change = (value - reference) / abs(reference) if exp.reference and reference != 0 else math.nan
    if exp.relation == "lower":
        ok = value <= reference - exp.margin * abs(reference) and value < reference
    elif exp.relation == "higher":
        ok = value >= reference + exp.margin * abs(reference) and value > reference
    elif exp.relation == "within":
        ok = abs(value - reference) <= exp.margin * abs(reference)
    elif exp.relation == "above":
        ok = value > exp.threshold
    else:
        ok = value < exp.threshold
    return bool(ok), change


def run_comparison(exp: Comparison) -> ComparisonResult:
    """Simulate every condition of ``exp`` and check its expectations."""
    if not isinstance(exp, Comparison):
        raise InputError(f"run_comparison takes a Comparison (read_comparisons(path) returns them), got "
                         f"{given(exp)}")
    model = Model(exp.model, exp.context)
    needed = list(dict.fromkeys([*exp.readouts, *(e.readout for e in exp.expectations)]))
    units = model.engine.units(["time", *needed])
    frames = []
    for c in exp.conditions:
        frame = model.simulate(*([c.spec] if c.spec else []), end=exp.end, points=exp.points, readouts=needed)
        long = frame.melt(id_vars="time", var_name="readout", value_name="value")
        long["unit"] = long["readout"].map(units)
        long.insert(0, "spec", c.spec)
        long.insert(0, "condition", c.label)
        frames.append(long)
    courses = pd.concat(frames, ignore_index=True)
    courses.insert(0, "experiment", exp.id)
    courses.attrs = {"units": {"time": units["time"]}}  # (each value's unit is in its row)
    result = ComparisonResult(exp, courses, pd.DataFrame())
    rows = []
    for e in exp.expectations:
        at = None if math.isnan(e.at) else e.at
        value = result.value(e.condition, e.readout, at)
        reference = result.value(e.reference, e.readout, at) if e.reference else math.nan
        ok, change = check(e, value, reference)
        rows.append(
            {
                "experiment": exp.id,
                "expectation": e.text,
                "condition": e.condition,
                "reference": e.reference,
                "readout": e.readout,
                "time": result.time_courses["time"].max() if at is None else at,
                "value": value,
                "reference_value": reference,
                "unit": units[e.readout],
                "relative_change": change,
                "passed": ok,
                "source": e.source,
            }
        )
    result.checks = pd.DataFrame(
        rows,
        columns=["experiment", "expectation", "condition", "reference", "readout", "time", "value",
                 "reference_value", "unit", "relative_change", "passed", "source"],
    )
    result.checks.attrs = {"units": {"time": units["time"]}}
    return result


def final_table(result: ComparisonResult) -> pd.DataFrame:
    """Readouts at the end, one row per condition (wide), in the experiment's readout order."""
    tc = result.time_courses
    end = tc[tc["time"] == tc["time"].max()]
    wide = end.pivot(index="condition", columns="readout", values="value")
    order = [c.label for c in result.experiment.conditions]
    cols = [r for r in result.experiment.readouts if r in wide.columns]
    return wide.loc[order, cols]
