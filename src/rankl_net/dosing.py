"""Drugs and dosing regimens: the ``drug:`` spec, dose and interval units, dose schedules.

A regimen is ``drug:NAME=DOSE[/EVERY][*N][@START]``:

* ``DOSE``: a number with ``mg``, ``ug`` (or ``µg``, ``mcg``), ``ng`` or ``g``, optionally per
  kilogram of body weight (``1mg/kg``; the model's ``body_weight`` parameter, kg);
* ``EVERY``: the dosing interval, a number with ``h``, ``d``, ``wk``, ``mo`` (365.25/12 days)
  or ``y`` (365.25 days); without it, a single dose;
* ``N``: the number of doses (default: every interval until the end of the simulation);
* ``START``: the time of the first dose (default 0), a number with a unit.

An interval or start without a unit (``/6``, ``@8``) is refused: 6 days, weeks and months are
all regimens in use.

Examples: ``drug:denosumab=60mg/6mo``, ``drug:denosumab=60mg/6mo*4`` (stopped after four
doses), ``drug:zoledronate=4mg/4wk*12``, ``drug:opg_fc=1mg/kg@10d``. Joined with ``+``, regimens
make loading doses (``drug:denosumab=120mg/4wk+drug:denosumab=120mg@8d+drug:denosumab=120mg@15d``),
stops and restarts, and switches from one drug to another.

The drugs are listed in ``models/drugs.toml``; a dose in mass becomes an amount (pmol) through
the molar mass the model carries, and is added to the drug's dose species at the dose time.
"""

from __future__ import annotations

import math
import numbers
import re
import tomllib
from dataclasses import dataclass
from functools import cache

from . import paths
from .annotations import node_table
from .errors import (
    InputError,
    check_bool,
    given,
    is_misspelling,
    typo_distance,
    unknown_name,
)

# (micrograms with the micro sign U+00B5 or the Greek mu U+03BC, which look the same)
MASS_UNITS_IN_MG = {"g": 1e3, "mg": 1.0, "ug": 1e-3, "\u00b5g": 1e-3, "\u03bcg": 1e-3, "mcg": 1e-3,
                    "ng": 1e-6}
DAYS_PER = {
    "s": 1 / 86400, "sec": 1 / 86400, "second": 1 / 86400, "seconds": 1 / 86400,
    "min": 1 / 1440, "minute": 1 / 1440, "minutes": 1 / 1440,
    "h": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "d": 1.0, "day": 1.0, "days": 1.0,
    "w": 7.0, "wk": 7.0, "week": 7.0, "weeks": 7.0,
    "mo": 365.25 / 12, "month": 365.25 / 12, "months": 365.25 / 12,
    "y": 365.25, "yr": 365.25, "year": 365.25, "years": 365.25,
}
REGIMEN_HELP = (
    "drug:NAME=DOSE[/EVERY][*N][@START], DOSE in g, mg, ug or ng (or per kg: 1mg/kg), EVERY and "
    "START in h, d, wk, mo or y; e.g. drug:denosumab=60mg/6mo, drug:zoledronate=4mg/4wk*12, "
    "drug:opg_fc=1mg/kg@10d"
)


@dataclass(frozen=True)
class Drug:
    """One entry of ``models/drugs.toml``."""

    name: str
    aliases: tuple[str, ...]
    route: str
    dose_species: str
    molar_mass: str
    description: str
    # the highest single dose the sources report in any species, mg per kg of body weight (None:
    # none recorded), and those sources
    highest_dose_mg_per_kg: float | None = None
    highest_dose_source: str = ""
    # the node (models/annotations/nodes.tsv) whose protein the drug is a form of (OPG for
    # OPG-Fc): its names are not the drug's ('osteoprotegerin' is the endogenous protein, as in
    # ko:osteoprotegerin), but an unknown drug of one of them is pointed to the drug
    endogenous_node: str = ""


# the body weight of the adult a dose in mg is given to, where a source gives no weight (kg)
ADULT_BODY_WEIGHT = 70.0


def _per_kg(text: str) -> float:
    """A dose of ``models/drugs.toml`` (``10mg/kg``, or ``600mg`` for an adult) in mg/kg."""
    dose, per_kg = parse_dose(text)
    return dose if per_kg else dose / ADULT_BODY_WEIGHT


@cache
def drugs() -> dict[str, Drug]:
    """The drugs that regimens can dose, by canonical name."""
    raw = tomllib.loads(paths.DRUGS_FILE.read_text(encoding="utf-8"))
    return {
        name: Drug(
            name=name,
            aliases=tuple(e.get("aliases", ())),
            route=e["route"],
            dose_species=e["dose_species"],
            molar_mass=e["molar_mass"],
            description=e.get("description", ""),
            highest_dose_mg_per_kg=(_per_kg(e["highest_dose_studied"]) if "highest_dose_studied" in e
                                    else None),
            highest_dose_source=e.get("highest_dose_source", ""),
            endogenous_node=e.get("endogenous_node", ""),
        )
        for name, e in raw.items()
    }


def _readable(x: float) -> str:
    """A number for a message: 3 significant digits, or in full with digit grouping from 1,000
    (60,000 rather than 6e+04)."""
    return f"{x:,.0f}" if 1e3 <= x < 1e15 else f"{x:,.3g}"


def dose_above_studied(drug: Drug, dose_mg: float, body_weight: float) -> str:
    """Why a single dose of ``dose_mg`` (mg) to a body of ``body_weight`` (kg) lies above the
    highest dose of ``drug`` its sources report (a message), or "" when it does not."""
    limit = drug.highest_dose_mg_per_kg
    per_kg = dose_mg / body_weight
    if limit is None or not per_kg > limit:
        return ""
    ratio = per_kg / limit  # 3 digits: a dose just above the limit is 1.00 times it, not "1 times"
    dose, weight = _readable(dose_mg), f"{body_weight:g}"
    times = f"{ratio:.2f}" if ratio < 10 else _readable(ratio)
    return (f"{dose} mg per dose is {_readable(per_kg)} mg/kg of the model's {weight} kg body weight, "
            f"{times} times the highest single dose of {drug.name} its sources report ({limit:.3g} mg/kg); "
            "check the unit (g, mg, ug, ng; /kg). The model's pharmacology is not checked above that "
            f"dose. Sources: {drug.highest_dose_source}")


# the routes of the drugs that are injected or infused (models/drugs.toml): their sources give
# them at most once a day, most every few weeks or months
INJECTED_ROUTES = {"sc": "subcutaneous", "iv": "intravenous"}


def interval_below_studied(drug: Drug, every: float | None, count: int | None = None) -> str:
    """Why ``count`` doses (None: without end) of ``drug`` every ``every`` days lie beyond what
    its sources study (a message): an injected or infused drug (INJECTED_ROUTES) more often than
    once a day, most often an interval typed in the wrong unit (``/6min`` for ``/6mo``); "" otherwise,
    and for a single dose, which has no interval."""
    if every is None or count == 1 or drug.route not in INJECTED_ROUTES or not every < 1.0:
        return ""
    shown = (f"{every * 24:.3g} h" if every >= 1 / 24 else f"{every * 1440:.3g} min" if every >= 1 / 1440
             else f"{every * 86400:.3g} s")
    return (f"a dose every {shown} is more often than once a day, far more often than {drug.name} "
            f"({INJECTED_ROUTES[drug.route]}) is given in its sources: its serum level builds up far above "
            "any studied; check the interval's unit (/6mo is every six months, /4wk every four weeks)")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.casefold())


@cache
def _node_names() -> dict[str, tuple[str, ...]]:
    """Each perturbable node's other names (gene symbols, protein names) from the annotations."""
    return {row["node"]: tuple(a for a in row["aliases"].split(",") if a) for row in node_table()}


def resolve_drug(name: str) -> Drug:
    """The drug called ``name`` (canonical name or alias, any case, '-', '_' and spaces ignored).
    An unknown name raises :class:`InputError` listing the drugs with their aliases, with a
    suggestion only for a misspelt name or alias (:func:`rankl_net.errors.is_misspelling`: a
    drug that is not modelled is not taken for one that is), or for the name of a protein a
    drug is a form of ('osteoprotegerin', 'OPG', 'Tnfrsf11b': opg_fc)."""
    if not isinstance(name, str):
        raise unknown_name("drug", name, list(drugs()))
    key = _norm(name)
    for drug in drugs().values():
        if key in {_norm(n) for n in (drug.name, *drug.aliases)}:
            return drug
    listed = "; ".join(f"{d.name} ({', '.join(d.aliases)})" if d.aliases else d.name
                       for d in drugs().values())
    valid = f"Valid drug names, with their aliases (in any case; '-', '_' and spaces ignored): {listed}"
    for drug in drugs().values():
        node = drug.endogenous_node
        if node and key in {_norm(n) for n in (node, *_node_names().get(node, ()))}:
            raise InputError(f"unknown drug {name!r}: it names the endogenous protein, the node {node} of "
                             f"perturbations such as ko:{node} or oe:{node}. The drug modelled is "
                             f"{drug.name} ({drug.description}), e.g. drug:{drug.name}=1mg/kg. {valid}")
    names = {n: d.name for d in drugs().values() for n in (d.name, *d.aliases)}
    close = [n for n in names if is_misspelling(key, _norm(n))]
    close.sort(key=lambda n: (typo_distance(key, _norm(n)), n != names[n]))
    hint = ""
    if close:
        n = close[0]
        hint = f" Did you mean {n!r}?" if n == names[n] else f" Did you mean {n!r} ({names[n]})?"
    raise InputError(f"unknown drug {name!r}.{hint} {valid}")


_QUANTITY = re.compile(r"^\s*(?P<x>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<unit>[^\d\s]*)\s*$")


DURATION_UNITS = "s, min, h, d, wk, mo, y"  # the units messages name (DAYS_PER also takes their long forms)
LONG_DURATION_UNITS = ", ".join(u for u in DAYS_PER if u not in DURATION_UNITS.split(", "))


def parse_duration(text: str, default_unit: str = "d", *, what: str = "time") -> float:
    """A duration such as ``6mo``, ``4wk``, ``10d``, ``12h`` or ``10`` (``default_unit``), in days.
    Units in any case (``2Y``)."""
    m = _QUANTITY.match(text)
    unit = (m["unit"] or default_unit).lower() if m else ""
    if text.strip().startswith("-") and _QUANTITY.match(text.strip()[1:]):
        raise InputError(f"{what} {text!r}: cannot be negative")
    if m and unit not in DAYS_PER:
        raise InputError(f"{what} {text!r}: unknown unit {m['unit']!r}; expected a number with a unit among "
                         f"{DURATION_UNITS} (or {LONG_DURATION_UNITS})")
    if not m:
        raise InputError(f"{what} {text!r}: expected a number with a unit among {DURATION_UNITS}")
    return float(m["x"]) * DAYS_PER[unit]


SECONDS_PER_DAY = 86400.0
# the time units a model's time unit is named by (sbml_files.time_unit_of), in seconds
SECONDS_PER_TIME_UNIT = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": SECONDS_PER_DAY}
# the age of the universe, 13.8 billion years: no run of a model is longer. (CVODE fails on ends
# some 1e18 times longer still: 1e31 days on clinical, 1e34 on bone.)
LONGEST_RUN_YEARS = 13.8e9


def check_run_length(end: float, seconds_per_unit: float | None, unit: str, what: str = "end") -> None:
    """Refuse an end time (``end`` in a time unit of ``seconds_per_unit`` seconds, called ``unit``)
    longer than the age of the universe (LONGEST_RUN_YEARS): a number typed wrong (1e300), which
    the integrator would fail on. A time unit of no known length, or an end that is not a positive
    finite number (which the end-time checks refuse), is left alone."""
    if seconds_per_unit is None or not (math.isfinite(end) and end > 0):
        return
    years = end * seconds_per_unit / (365.25 * SECONDS_PER_DAY)
    if years > LONGEST_RUN_YEARS:
        raise InputError(f"{what} {end:g} {unit}s is {years:.3g} years, longer than the age of the universe "
                         f"({LONGEST_RUN_YEARS / 1e9:g} billion years); give a run that could be observed, "
                         f"such as 100 years ({100 * 365.25 * SECONDS_PER_DAY / seconds_per_unit:g} {unit}s)")


def parse_time(text: str) -> tuple[float, bool]:
    """A time as a user writes it: a plain number (``84``: in the model's time unit, returned as
    it is, with False) or a time with a unit among DURATION_UNITS (``12wk``, ``+2d``: in seconds,
    rounded to twelve significant digits so that ``12wk`` is 84 days exactly, with True). A
    negative time with a unit, or text that is neither, raises InputError."""
    text = text.strip()
    try:
        return read_number(text), False
    except ValueError:
        pass
    try:  # "+2d" as "+2" is read
        days = parse_duration(text.removeprefix("+"), default_unit="")
    except InputError:
        try:  # a time but for its sign ("-3d", not "-3x")
            negative = text.startswith("-") and parse_duration(text[1:], default_unit="") >= 0
        except InputError:
            negative = False
        if negative:
            raise InputError(f"{text!r}: a time cannot be negative") from None
        raise InputError(f"{text!r} is neither a number (in the model's time unit) nor a time with a unit "
                         f"among {DURATION_UNITS} (such as 84d, 12wk or 2y)") from None
    return float(f"{days * SECONDS_PER_DAY:.12g}"), True


_PER_KG = re.compile(r"\s*/\s*kg\s*$", re.IGNORECASE)
# doses per square metre of body surface area: mg/m2, mg/m^2, mg/m²
_PER_AREA = re.compile(r"\s*m\s*(?:\^?\s*2|²)\s*$", re.IGNORECASE)
PER_AREA_HELP = ("doses per body surface area (mg/m2) are not supported: give the dose in g, mg, ug or ng, "
                 "or per kg of body weight (1mg/kg)")


def parse_dose(text: str) -> tuple[float, bool]:
    """A dose such as ``60mg``, ``500ug`` or ``1mg/kg`` (``1 mg / kg``), units in any case
    (``60MG``): (amount in mg or mg/kg, per kg?)."""
    per_kg = _PER_KG.search(text)
    body = text[:per_kg.start()] if per_kg else text  # "1 mg / kg": 1 mg
    if "/" in text and _PER_AREA.match(text.rpartition("/")[2]):
        raise InputError(f"dose {text!r}: {PER_AREA_HELP}")
    m = _QUANTITY.match(body)
    unit = m["unit"].lower() if m else ""
    if body.strip().startswith("-") and _QUANTITY.match(body.strip()[1:]):
        raise InputError(f"dose {text!r}: must be a finite amount above zero")
    if not m or unit not in MASS_UNITS_IN_MG:
        raise InputError(f"dose {text!r}: expected a number with g, mg, ug (or mcg) or ng, optionally "
                         "per kg (1mg/kg)")
    value = float(m["x"]) * MASS_UNITS_IN_MG[unit]
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"dose {text!r}: must be a finite amount above zero")
    return value, per_kg is not None


# a number as specs and level lists write it: ASCII digits, no digit grouping (Python's float()
# also reads "1_000" and other scripts' digits)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|nan)",
                     re.IGNORECASE)


def read_number(text: str) -> float:
    """``text`` as a float, written with ASCII digits (``6``, ``0.5``, ``1e-3``, ``inf``);
    raises ValueError otherwise."""
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def spec_number(x: float) -> str:
    """Shortest text that reads back as the same float (so a spec round-trips exactly); no '+'
    in exponents ("1e20", not "1e+20"): '+' joins perturbations."""
    text = repr(float(x)).replace("e+", "e")
    return text[:-2] if text.endswith(".0") else text


def _fmt(days: float) -> str:
    """Shortest readable duration that parses back to ``days`` exactly (under a day in hours,
    minutes or seconds: 12h, 6min)."""
    for unit in ("y", "mo", "wk", "d") if days >= 1 else ("h", "min", "s"):
        n = round(days / DAYS_PER[unit])  # (30s is 30 x 1/86400 days, which / (1/86400) is not 30)
        if n >= 1 and n * DAYS_PER[unit] == days:
            return f"{n}{unit}"
    return f"{spec_number(days)}d"


@dataclass(frozen=True)
class Regimen:
    """A drug given at ``dose`` every ``every`` days, ``count`` times, from ``start`` (days).

    Parameters
    ----------
    drug
        Drug name or alias (``models/drugs.toml``).
    dose
        Dose in mg, or in mg per kg of body weight when ``per_kg``.
    every
        Dosing interval in days; None: a single dose.
    count
        Number of doses; None: every interval until the end of the simulation.
    start
        Time of the first dose, in days from the start of the simulation.
    per_kg
        Whether ``dose`` is per kilogram of the model's ``body_weight``.
    """

    drug: str
    dose: float
    every: float | None = None
    count: int | None = None
    start: float = 0.0
    per_kg: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str):
            raise InputError(f"a regimen's drug is a name such as 'denosumab' (models/drugs.toml), got "
                             f"{type(self.drug).__name__} {self.drug!r}")
        object.__setattr__(self, "drug", resolve_drug(self.drug).name)
        for name in ("dose", "every", "start"):
            value = getattr(self, name)
            if (value is not None or name != "every") and (isinstance(value, bool)
                                                          or not isinstance(value, numbers.Real)):
                raise InputError(f"drug:{self.drug}: {name} is a number (mg for the dose, days for times), "
                                 f"got {value!r}; a spec with units reads with "
                                 "parse_spec('drug:NAME=60mg/6mo')")
        check_bool(f"drug:{self.drug}", "per_kg", self.per_kg)  # "no" read from a table would dose per kg
        object.__setattr__(self, "per_kg", bool(self.per_kg))
        count = self.count
        if count is not None and (isinstance(count, bool) or not isinstance(count, numbers.Integral)):
            raise InputError(f"drug:{self.drug}: count is a whole number of doses, got {self.count!r}")
        if not (math.isfinite(self.dose) and self.dose > 0):
            raise InputError(f"drug:{self.drug}: the dose must be a finite number of mg above zero, "
                             f"got {self.dose}")
        if self.every is not None and not (math.isfinite(self.every) and self.every > 0):
            raise InputError(f"drug:{self.drug}: the interval must be a finite time above zero, "
                             f"got {self.every} days")
        if self.count is not None and self.count < 1:
            raise InputError(f"drug:{self.drug}: the number of doses must be at least 1, got {self.count}")
        if self.every is None and self.count not in (None, 1):
            raise InputError(f"drug:{self.drug}: {self.count} doses need an interval (/EVERY)")
        if not (math.isfinite(self.start) and self.start >= 0):
            raise InputError(f"drug:{self.drug}: the start must be a finite time >= 0, got {self.start} days")

    @property
    def spec(self) -> str:
        """The CLI spec of this regimen (reads back to an equal Regimen)."""
        dose = f"{spec_number(self.dose)}mg" + ("/kg" if self.per_kg else "")
        text = f"drug:{self.drug}={dose}"
        if self.every is not None:
            text += f"/{_fmt(self.every)}"
        if self.count is not None:  # (*1 without an interval too: it reads back as count 1, not None)
            text += f"*{self.count}"
        if self.start:
            text += f"@{_fmt(self.start)}"
        return text


_REGIMEN = re.compile(
    r"^drug:(?P<name>[^=]+)=(?P<dose>[^/*@]+(?:/\s*[kK][gG](?=\s*(?:[/*@]|$)))?)(?:\s*/(?P<every>[^*@]+))?"
    r"(?:\*(?P<n>[^@]+))?(?:@(?P<start>.+))?$"
)
# the parts after the dose, in the order they are written
_PARTS = {"/": "the interval (/EVERY)", "*": "the number of doses (*N)", "@": "the start (@START)"}


def _out_of_order(part: str) -> str | None:
    """Why ``part``, a ``drug:`` spec, cannot be read as written when its /EVERY, *N and
    @START come in another order (each once), with the spec in order; None otherwise."""
    head, _, rest = part.partition("=")
    tokens = re.split(r"\s*([/*@])\s*", rest)
    dose, pairs = tokens[0], list(zip(tokens[1::2], tokens[2::2], strict=True))
    if pairs and pairs[0][0] == "/" and pairs[0][1].lower() == "kg":
        dose, pairs = f"{dose}/{pairs[0][1]}", pairs[1:]
    marks = [mark for mark, _ in pairs]
    order = list(_PARTS)
    # (a part without its value, "60mg@*2", has no spec in order to show: the parse says what is wrong)
    if (len(set(marks)) != len(marks) or marks == sorted(marks, key=order.index)
            or not all(value.strip() for _, value in pairs)):
        return None
    late, early = next((a, b) for a, b in zip(marks, marks[1:], strict=False)
                       if order.index(a) > order.index(b))
    ordered = sorted(pairs, key=lambda pair: order.index(pair[0]))
    spec = f"{head}={dose}" + "".join(mark + value for mark, value in ordered)
    return f"{_PARTS[early]} comes before {_PARTS[late]}: {spec}"


def _interval(text: str, part: str) -> float:
    """The interval of the regimen ``part`` (the text after the dose's '/'), in days."""
    bare = text.strip().lower()
    if _PER_AREA.match(text):
        raise InputError(f"{part!r}: {PER_AREA_HELP}")
    if bare in DAYS_PER:
        word = next(w for w in ("second", "minute", "hour", "day", "week", "month", "year")
                    if DAYS_PER[w] == DAYS_PER[bare])
        raise InputError(f"{part!r}: interval {text.strip()!r}: an interval is a number with a unit, such as "
                         f"/1{bare} (a dose every {word}) or /6mo")
    if bare == "kg":  # "60mg/kg/kg": the dose takes one /kg
        raise InputError(f"{part!r}: /kg is given twice; a dose is per kg once (1mg/kg), an interval follows "
                         "it (1mg/kg/4wk)")
    if bare and not any(c.isdigit() for c in bare):
        raise InputError(f"{part!r}: '/{text.strip()}' after the dose is neither /kg (per kg of body weight) "
                         f"nor an interval (a number with a unit among {DURATION_UNITS}: /1d, /6mo)")
    return _time_with_unit(text, "interval", "/", part)


def unitless(text: str) -> bool:
    """Whether ``text`` is a number without a unit (``6``, ``0.5``): a time that could be days,
    weeks or months. Zero is the same time in every unit, so it needs none."""
    m = _QUANTITY.match(text)
    return m is not None and not m["unit"] and float(m["x"]) != 0


def no_unit_message(what: str, text: str, mark: str = "", quote: str = "") -> str:
    """What a time without a unit (``text``, the ``what`` of a regimen: its interval, its start)
    is told: the readings it could have, each as it is written with a unit (after ``mark``, in
    ``quote``: '"8d"' in a TOML file)."""
    t = text.strip()
    days, weeks, months = (f"{quote}{mark}{t}{unit}{quote}" for unit in ("d", "wk", "mo"))
    return f"{what} {t!r} has no unit: write {days}, {weeks} or {months} (units: {DURATION_UNITS})"


def _time_with_unit(text: str, what: str, mark: str, part: str) -> float:
    """A time of the regimen ``part`` (its interval after '/', its start after '@'), in days; a
    number without a unit is refused, with the readings it could have."""
    if unitless(text):
        raise InputError(f"{part!r}: {no_unit_message(what, text, mark)}")
    return parse_duration(text, "d", what=f"{part!r}: {what}")  # (only 0 comes without a unit)


def parse_regimen(part: str) -> Regimen:
    """Parse one ``drug:`` spec into a Regimen; its interval and start carry a unit."""
    if not isinstance(part, str):
        raise InputError(f"a regimen is a spec such as 'drug:denosumab=60mg/6mo', got {given(part)}")
    text = part.strip()
    if text.startswith("drug:"):
        name = text[len("drug:"):].partition("=")[0].strip()
        if name:  # an unknown drug is the first thing to say, whatever else is wrong with the spec
            resolve_drug(name)
        disorder = _out_of_order(text)
        if disorder:
            raise InputError(f"{part!r}: {disorder} (valid form: drug:NAME=DOSE[/EVERY][*N][@START])")
    m = _REGIMEN.match(text)
    if not m:
        raise InputError(f"cannot read regimen {part!r} (valid form: {REGIMEN_HELP})")
    try:
        dose, per_kg = parse_dose(m["dose"].strip())
    except InputError as exc:
        raise InputError(f"{part!r}: {exc}") from None
    every = _interval(m["every"], part) if m["every"] else None
    count = None
    if m["n"] is not None:
        if not re.fullmatch(r"[0-9]+", m["n"].strip()):  # (isdigit() takes superscripts, int() not)
            raise InputError(f"{part!r}: the number of doses after '*' must be a whole number, "
                             f"got {m['n']!r}")
        count = int(m["n"])
    start = _time_with_unit(m["start"], "start", "@", part) if m["start"] else 0.0
    return Regimen(m["name"].strip(), dose, every, count, start, per_kg)


def _constant_parameter(model, pid: str, value: float, units: str) -> None:
    p = model.createParameter()
    p.setId(pid)
    p.setValue(value)
    p.setConstant(True)
    p.setUnits(units)


def sbml_with_dose_events(sbml: str, doses: dict[float, list[tuple[str, float]]]) -> str:
    """The SBML ``sbml`` with one event per dose time adding the doses to their species.

    ``doses`` maps a time (model time units) to (species, amount in substance units) pairs, as
    :meth:`rankl_net.engine.Engine.dose_table` returns them. Dose species must be amounts
    (``hasOnlySubstanceUnits``), as those of modules/pharmacology.ant are.
    """
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    for k, (t, items) in enumerate(sorted(doses.items())):
        _constant_parameter(model, f"dose_{k}_time", t, "time_unit")
        ev = model.createEvent()
        ev.setId(f"dose_{k}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(libsbml.parseL3Formula(f"time >= dose_{k}_time"))
        for j, (sid, amount) in enumerate(items):
            _constant_parameter(model, f"dose_{k}_{j}_amount", amount, "substance")
            ea = ev.createEventAssignment()
            ea.setVariable(sid)
            ea.setMath(libsbml.parseL3Formula(f"{sid} + dose_{k}_{j}_amount"))
    return libsbml.writeSBMLToString(doc)
