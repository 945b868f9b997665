"""Perturbations as data, the CLI spec parser, and how perturbations become engine changes.

======================  ==========================  ===============================================
spec                    object                      meaning
======================  ==========================  ===============================================
``ko:X``                ``Knockout("X")``           expression 0 and the node's species 0 at time 0
``kd:X=F``              ``Knockdown("X", F)``       expression x F, 0 <= F <= 1
``oe:X=N``              ``Overexpression("X", N)``  expression x N, N >= 1
``inh:X=F``             ``Inhibition("X", F)``      activity x (1 - F), 0 <= F <= 1
``set:ID=V[@T0[-T1]]``  ``SetValue(ID, V, T0, T1)`` any parameter, species or compartment, from T0
                                                    (until T1), in model time units
``drug:NAME=DOSE...``   ``Regimen(...)``            a dosing regimen (see :mod:`rankl_net.dosing`)
``preset:NAME``         ``Preset(NAME)``            a named set of values of the model (a tumour
                                                    type of ``bone_tumour``), from the catalog
======================  ==========================  ===============================================

Several specs joined by ``+`` form one condition (``ko:NFKB1+ko:NFKB2``). ``X`` is a node id, a
protein name or a gene symbol (case-insensitive), from ``models/annotations/nodes.tsv``.
``set:`` works on every model quantity. A preset is applied before the other perturbations of
its condition, so ``preset:breast+set:tumour_rank_expression=0`` is a RANK- breast tumour.
"""

from __future__ import annotations

import math
import re
import warnings
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from .annotations import node_table
from .catalog import get_model, model_names
from .dosing import (
    SECONDS_PER_DAY,
    SECONDS_PER_TIME_UNIT,
    Regimen,
    dose_above_studied,
    interval_below_studied,
    parse_regimen,
    parse_time,
    read_number,
    resolve_drug,
)
from .dosing import spec_number as _num
from .engine import Changes, Dosing, Engine, TimedChange, check_engine
from .errors import (
    DoseAboveStudiedWarning,
    DrugWithoutTargetWarning,
    ExtremeChangeWarning,
    InputError,
    given,
    is_ordered_collection,
    unknown_name,
    user_stacklevel,
)
from .errors import check_number as _check_number


@dataclass(frozen=True)
class Knockout:
    """Gene product absent: expression 0 and its species 0 from time 0."""

    node: str

    def __post_init__(self) -> None:
        _check_name("ko", self.node)

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        return f"ko:{self.node}"


@dataclass(frozen=True)
class Knockdown:
    """Expression multiplied by ``fraction`` (0-1)."""

    node: str
    fraction: float

    def __post_init__(self) -> None:
        _check_fraction("kd", self.node, self.fraction)

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        return f"kd:{self.node}={_num(self.fraction)}"


@dataclass(frozen=True)
class Overexpression:
    """Expression multiplied by ``factor`` (at least 1): a transgenic line."""

    node: str
    factor: float

    def __post_init__(self) -> None:
        _check_name("oe", self.node)
        _check_number(f"oe:{self.node}", "the factor", self.factor)
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise InputError(f"oe:{self.node}: the factor must be a finite number >= 1, got {self.factor:g}"
                             f"{_meant_instead('oe', self.node, self.factor)}")

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        return f"oe:{self.node}={_num(self.factor)}"


@dataclass(frozen=True)
class Inhibition:
    """Activity multiplied by ``1 - fraction`` (fraction 0-1): an inhibitor at a fixed effect."""

    node: str
    fraction: float

    def __post_init__(self) -> None:
        _check_fraction("inh", self.node, self.fraction)

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        return f"inh:{self.node}={_num(self.fraction)}"


@dataclass(frozen=True)
class SetValue:
    """Set a parameter, species or compartment to ``value`` from ``start`` until ``end`` (model
    time units)."""

    target: str
    value: float
    start: float = 0.0
    end: float | None = None

    def __post_init__(self) -> None:
        _check_name("set", self.target)
        _check_number(f"set:{self.target}", "the value", self.value)
        _check_number(f"set:{self.target}", "the start", self.start)
        if self.end is not None:
            _check_number(f"set:{self.target}", "the end", self.end)
        if not math.isfinite(self.value):
            raise InputError(f"set:{self.target}: the value must be a finite number, got {self.value}")
        if not math.isfinite(self.start) or (self.end is not None and not math.isfinite(self.end)):
            window = f"{self.start:g}" + ("" if self.end is None else f"-{self.end:g}")
            raise InputError(f"set:{self.target}: the window's times must be finite numbers, got "
                             f"@{window} (leave out -T1 for no end)")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise InputError(
                f"set:{self.target}: the window must satisfy 0 <= T0 < T1, got {self.start}-{self.end}"
            )

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        window = ""
        if self.start or self.end is not None:
            window = f"@{_num(self.start)}" + (f"-{_num(self.end)}" if self.end is not None else "")
        return f"set:{self.target}={_num(self.value)}{window}"


@dataclass(frozen=True)
class Preset:
    """A named set of values of the model (``models/catalog.toml``), set at time 0."""

    name: str

    def __post_init__(self) -> None:
        _check_name("preset", self.name)

    @property
    def spec(self) -> str:
        """The CLI spec of this perturbation."""
        return f"preset:{self.name}"


Perturbation = Knockout | Knockdown | Overexpression | Inhibition | SetValue | Regimen | Preset


def _check_name(kind: str, name: str) -> None:
    """A perturbation's target is named by one non-empty string (a node, a quantity, a preset)."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{kind}: the target is named by one non-empty string (such as "
                         f"{'OPG' if kind != 'preset' else 'breast'}), got {type(name).__name__} {name!r}")


def _check_fraction(kind: str, node: str, f: float) -> None:
    _check_name(kind, node)
    _check_number(f"{kind}:{node}", "the fraction", f)
    if not (math.isfinite(f) and 0.0 <= f <= 1.0):
        raise InputError(f"{kind}:{node}: the fraction must be between 0 and 1, got {f:g}"
                         f"{_meant_instead(kind, node, f)}")


def _meant_instead(kind: str, node: str, value: float) -> str:
    """What a value out of range for ``kind`` most likely meant, as the end of its message: a
    percent given for a fraction (``inh:CTSK=90`` is ``inh:CTSK=0.9``), a factor above 1 given to
    ``kd:`` (``oe:``), a fraction below 1 given to ``oe:`` (``kd:``, or ``ko:`` for 0); else
    nothing."""
    if not math.isfinite(value) or value < 0:
        return ""
    if kind == "oe":
        if value == 0:
            return f" (for a knockout write ko:{node})"
        return f" (to lower expression write kd:{node}={value:g})"
    percent = f"{value:g} % is {kind}:{node}={value / 100:g}" if 1 < value <= 100 else ""
    if kind == "kd" and value > 1:
        return (f" (to raise expression {value:g}-fold write oe:{node}={value:g}"
                + (f"; as a percent, {percent}" if percent else "") + ")")
    if percent:
        return f" (a fraction, not a percent: {percent})"
    return ""


_SPEC = re.compile(
    r"^(?P<kind>ko|kd|oe|inh|set|preset):(?P<target>[^=@\s]+)(?:=(?P<value>[^@\s]+))?(?:@(?P<window>\S+))?$"
)
# T0[-T1]; an exponent's minus ("1e-05") belongs to its number, not to the window
_WINDOW = re.compile(r"^(?P<t0>[^-]*?(?:[eE]-\d+)?)(?:-(?P<t1>.*))?$")
_KINDS = ("ko", "kd", "oe", "inh", "set", "preset", "drug")
# the '+' that joins perturbations: not the sign of an exponent ("set:k=1e+06", as Python's
# "%g" writes a million)
_JOIN = re.compile(r"(?<![0-9.][eE])\+|(?<=[0-9.][eE])\+(?![0-9])")
# "ko:OPG,ko:RANK": a comma before a second kind means two perturbations joined the wrong way
_COMMA_JOINED = re.compile(rf",\s*(?:{'|'.join(_KINDS)}):", re.IGNORECASE)
SPEC_HELP = (
    "ko:X, kd:X=F, oe:X=N, inh:X=F, set:ID=V[@T0[-T1]], drug:NAME=DOSE[/EVERY][*N][@START], "
    "preset:NAME; join several with '+'"
)


def _value_hint(kind: str, text: str) -> str:
    """What a value that is not a number is told: for a kd: or inh: fraction written as a percent
    ("50%"), the fraction it stands for; for an oe: factor written with its fold ("10x",
    "10-fold"), the number; for a set: value with a unit ("100pM"), the plain number; else the
    valid forms. Each example uses the number given where it reads as one."""
    fold = re.fullmatch(r"(.+?)(?:x|X|-?fold)", text)
    unit = re.fullmatch(r"([0-9.eE+-]+)\s*([^\d\s].*)", text)
    if kind in ("kd", "inh") and text.endswith("%"):
        n = _number_or_none(text[:-1])
        example = f"{text} is {n / 100:g}" if n is not None else "50% is 0.5"
        return f"; the fraction is a number from 0 to 1, without % ({example})"
    if kind == "oe" and fold:
        n = _number_or_none(fold[1])
        return f"; the factor is a plain number ({f'{text} is {n:g}' if n is not None else '10x is 10'})"
    if kind == "set" and unit:
        n = _number_or_none(unit[1])
        picomolar = f"{n:g}pM is {n:g}" if n is not None else "100pM is 100"
        return ("; a set: value is a plain number in the model's unit of the quantity (concentrations "
                f"in the shipped models are in pM: {picomolar}; convert other units; each quantity's unit "
                "is in its model's listing, docs/models/MODEL-listing.md)")
    return f" (valid forms: {SPEC_HELP})"


def _number_or_none(text: str) -> float | None:
    try:
        return read_number(text)
    except ValueError:
        return None


def _number(text: str, spec: str, why: str = f" (valid forms: {SPEC_HELP})") -> float:
    try:
        return read_number(text)
    except ValueError:
        raise InputError(f"{spec!r}: {text!r} is not a number{why}") from None


# what a set: window time that is not a number (a time with a unit) is told
_WINDOW_TIMES = ("; the times of a set: window are plain numbers in the model's time unit (a shipped "
                 "model's: `rankl-net models`)")


def _window_time_hint(text: str) -> str:
    """What a set: window time that is not a number is told; for a time with a unit ("1wk"),
    the number it is in each time unit of the shipped models (the window is read before the
    model is known)."""
    try:
        seconds, with_unit = parse_time(text)
    except InputError:
        return _WINDOW_TIMES
    if not with_unit or not math.isfinite(seconds):
        return _WINDOW_TIMES
    by_unit: dict[str, list[str]] = {}
    for name in model_names():
        by_unit.setdefault(get_model(name).time_unit, []).append(name)
    known = [u for u in by_unit if u in SECONDS_PER_TIME_UNIT]
    if not known:
        return _WINDOW_TIMES
    said = " and ".join(f"{seconds / SECONDS_PER_TIME_UNIT[u]:.6g} in a model that counts {u}s "
                        f"({', '.join(by_unit[u])})" for u in known)
    return f"{_WINDOW_TIMES}: {text.strip()} is {said} (an SBML file counts in its own time unit)"


def parse_spec(spec: str) -> list[Perturbation]:
    """Parse one condition spec (perturbations joined by ``+``) into perturbation objects."""
    if not isinstance(spec, str):
        raise InputError(f"a perturbation spec is a string such as 'ko:OPG+inh:P38=0.5', got "
                         f"{type(spec).__name__} {spec!r}")
    spec = spec.strip()
    if not spec:
        raise InputError(f"empty perturbation spec: for the wild type give no perturbation at all "
                         f"(valid forms: {SPEC_HELP})")
    if _COMMA_JOINED.search(spec):
        joined = _COMMA_JOINED.sub(lambda m: "+" + m.group(0)[1:].lstrip(), spec)
        raise InputError(f"{spec!r}: join perturbations with '+', not ',' ({joined})")
    parts = [_parse_one(part.strip(), spec) for part in _JOIN.split(spec)]
    check_no_repeats(parts, spec)
    return parts


# perturbations that a second copy in one condition leaves as they are: a knockout (it wins over
# every other change of its node), a set: (the last of two identical ones holds what the first
# would) and a preset (its values, set once more). kd:, oe: and inh: compose by product
# (kd:X=0.5 twice is x 0.25) and a regimen adds its doses: repeated, they act again.
ONCE_KINDS = (Knockout, SetValue, Preset)


def repeated_part(perturbations: Iterable[Perturbation]) -> Perturbation | None:
    """The first perturbation of ``perturbations`` (objects, in order) that repeats an earlier
    one exactly and so changes nothing more: a knockout, a ``set:`` or a preset given twice
    (``ko:OPG+ko:OPG``). None when there is none; ``kd:``, ``oe:``, ``inh:`` and regimens, which
    act again when repeated, are never one."""
    seen: set[Perturbation] = set()
    for p in perturbations:
        if isinstance(p, ONCE_KINDS):
            if p in seen:
                return p
            seen.add(p)
    return None


def canonical_part(p: Perturbation, engine: Engine) -> Perturbation:
    """``p`` as a condition's canonical spec names it: a node by its id (``ko:Tnfrsf11b`` is
    ``ko:OPG``), a preset by its catalog name (``preset:Breast`` is ``preset:breast``); any other
    perturbation as it is. Raises InputError for a node or preset the model does not have."""
    if hasattr(p, "node"):
        return replace(p, node=resolve_node(p.node, engine).node)
    if isinstance(p, Preset):
        return replace(p, name=resolve_preset(p, engine))
    return p


def check_no_repeats(perturbations: Iterable[Perturbation], whole: str) -> None:
    """Refuse a condition (``whole``, its spec as given) that gives a knockout, ``set:`` or preset
    twice (:func:`repeated_part`): the copy changes nothing, and is most likely a typing error
    for another perturbation."""
    p = repeated_part(perturbations)
    if p is not None:
        raise InputError(f"{whole!r} gives {p.spec} twice, which changes nothing more than once; give it "
                         "once (or correct the one meant to be another perturbation)")


def _parse_one(part: str, whole: str) -> Perturbation:
    if part.startswith("drug:"):
        return parse_regimen(part)
    m = _SPEC.match(part)
    if not m:
        kind = part.partition(":")[0]
        if kind.lower() in _KINDS and kind != kind.lower():
            raise InputError(f"cannot read perturbation {part!r} in {whole!r}: kinds are written in lower "
                             f"case ({kind.lower()}:{part.partition(':')[2]})")
        packed = "".join(part.split())
        if packed != part and _SPEC.match(packed):
            raise InputError(f"cannot read perturbation {part!r} in {whole!r}: a spec has no spaces "
                             f"({packed})")
        raise InputError(f"cannot read perturbation {part!r} in {whole!r} (valid forms: {SPEC_HELP})")
    kind, target, value, window = m["kind"], m["target"], m["value"], m["window"]
    if window and kind != "set":
        raise InputError(f"{part!r}: only set: takes a time window @T0[-T1]")
    if kind == "preset":
        if value is not None:
            raise InputError(f"{part!r}: preset takes no value (preset:NAME)")
        return Preset(target)
    if kind == "ko":
        if value is not None:
            raise InputError(f"{part!r}: ko takes no value (use kd:X=F for a partial knockdown)")
        return Knockout(target)
    if value is None:
        raise InputError(f"{part!r}: {kind} needs a value (valid forms: {SPEC_HELP})")
    v = _number(value, part, _value_hint(kind, value))
    if kind == "kd":
        return Knockdown(target, v)
    if kind == "oe":
        return Overexpression(target, v)
    if kind == "inh":
        return Inhibition(target, v)
    start, end = 0.0, None
    if window:
        times = _WINDOW.match(window)
        if not times or not times["t0"] or times["t1"] == "":
            raise InputError(f"{part!r}: cannot read the time window {window!r}; write @T0 or @T0-T1 "
                             "with 0 <= T0 < T1")
        start, end = (None if t is None else _number(t, part, _window_time_hint(t))
                      for t in (times["t0"], times["t1"]))
    return SetValue(target, v, start, end)


def parse_specs(specs: Iterable[str]) -> list[Perturbation]:
    """Parse several specs (each possibly joined by ``+``) into one flat list."""
    out: list[Perturbation] = []
    for s in specs:
        out.extend(parse_spec(s))
    return out


def as_perturbations(items: str | Perturbation | Sequence[str | Perturbation]) -> list[Perturbation]:
    """The perturbations of one condition given as a spec ("ko:OPG+inh:P38=0.5"), a perturbation
    object, or specs and objects in order (a list, a tuple, a numpy array, a pandas Series)."""
    if isinstance(items, (str, *Perturbation.__args__)):
        items = [items]
    if not is_ordered_collection(items):  # (a set would give its perturbations in no fixed order)
        raise InputError(f"a condition is a spec such as 'ko:OPG', a perturbation object or a list of them, "
                         f"got {given(items)}")
    out: list[Perturbation] = []
    for item in items:
        if isinstance(item, str):
            out.extend(parse_spec(item))
        elif isinstance(item, Perturbation.__args__):
            out.append(item)
        else:
            raise InputError(f"a perturbation is a spec such as 'ko:OPG' or a perturbation object, got "
                             f"{type(item).__name__} {item!r}")
    return out


def condition_spec(perturbations: str | Perturbation | Sequence[str | Perturbation]) -> str:
    """The spec of a condition ("" for wild type / baseline) from its perturbations (as
    :func:`as_perturbations` takes them), each written as its object writes it: the names are
    those given (``ko:tnfsf11``); a screen's table names nodes by their ids (``ko:RANKL``)."""
    return "+".join(p.spec for p in as_perturbations(perturbations))


# ----------------------------------------------------------------------------- node resolution
@dataclass(frozen=True)
class Node:
    """A perturbable node and the model quantities it acts on."""

    node: str
    aliases: tuple[str, ...]
    expression: tuple[str, ...]
    activity: tuple[str, ...]
    species: tuple[str, ...]
    # complexes holding the node's product, set to 0 by ko like its species (they do not name it)
    complexes: tuple[str, ...] = ()


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split(",") if x.strip())


_NODES: weakref.WeakKeyDictionary[Engine, dict[str, Node]] = weakref.WeakKeyDictionary()


def nodes_for(engine: Engine) -> dict[str, Node]:
    """Nodes of the annotation table that act on ``engine``'s model (by their node id)."""
    if engine not in _NODES:
        _NODES[engine] = _build_nodes(engine)
    return _NODES[engine]


def _build_nodes(engine: Engine) -> dict[str, Node]:
    params = set(engine.parameter_ids)
    species = set(engine.species_ids)
    out = {}
    for row in node_table():
        expr = tuple(p for p in _split(row["expression"]) if p in params)
        act = tuple(p for p in _split(row["activity"]) if p in params)
        if not (expr or act):
            continue
        sp = tuple(s for s in _split(row["species"]) if s in species)
        cx = tuple(s for s in _split(row["complexes"]) if s in species)
        out[row["node"]] = Node(row["node"], _split(row["aliases"]), expr, act, sp, cx)
    return out


def resolve_node(name: str, engine: Engine) -> Node:
    """The node called ``name`` in ``engine``'s model.

    ``name`` is a node id, protein name or gene symbol (any case), or one of the model ids the
    node acts on (its species or its expression/activity parameters, exact case).

    An unknown name raises an error listing the valid ones with a close-match suggestion.
    """
    check_engine(engine, "resolve_node(name, engine)")
    _check_name("node", name)
    by_name, by_id = _lookup(engine)
    node = by_name.get(name.casefold()) or by_id.get(name)
    if node is not None:
        return node
    nodes = nodes_for(engine)
    elsewhere = _models_with_node(name)
    if elsewhere:
        raise InputError(f"{name!r} is a node of {', '.join(elsewhere)}, not of {engine.name}, whose "
                         f"nodes are: {', '.join(sorted(nodes))}")
    if name in engine.symbols:  # a quantity of the model, such as a parameter: set: changes it
        kind = ("parameter" if name in engine.parameter_ids else "species" if name in engine.species_ids
                else "quantity")
        raise InputError(f"{name!r} is a {kind} of {engine.name}, not a node (a gene product, which ko:, "
                         f"kd:, oe: and inh: act on); change its value with set:{name}=VALUE. The nodes: "
                         f"{', '.join(sorted(nodes))}")
    # the nodes' own names listed first, then their protein names and gene symbols; a suggestion
    # says which node and protein it is
    described = {row["node"]: row["description"].split(" (")[0] for row in node_table()}
    meaning = {a: f"node {n.node}: {described.get(n.node) or n.node}" for n in nodes.values()
               for a in (n.node, *n.aliases)}
    raise unknown_name("node", name, list(nodes) + [a for n in nodes.values() for a in n.aliases],
                       first=sorted(nodes), meaning=meaning)


def _models_with_node(name: str) -> list[str]:
    """The shipped models that have the node called ``name`` (by id or alias, any case)."""
    for row in node_table():
        if name.casefold() in (n.casefold() for n in (row["node"], *_split(row["aliases"]))):
            wanted = set(_split(row["expression"])) | set(_split(row["activity"]))
            return [m for m in model_names() if wanted & _parameter_ids(get_model(m).sbml_path)]
    return []


@cache
def _parameter_ids(path) -> frozenset[str]:
    return frozenset(_parameter_values(path))


@cache
def _parameter_values(path) -> dict[str, float]:
    """The values a SBML file gives its parameters (before any context)."""
    import libsbml

    model = libsbml.readSBMLFromFile(str(path)).getModel()
    return {p.getId(): p.getValue() for p in model.getListOfParameters()} if model is not None else {}


_Lookup = tuple[dict[str, Node], dict[str, Node]]
_LOOKUP: weakref.WeakKeyDictionary[Engine, _Lookup] = weakref.WeakKeyDictionary()


def _lookup(engine: Engine) -> _Lookup:
    """Nodes by casefolded name or alias, and by the model ids they act on (exact case); where
    two nodes share a key, the first in the annotation table wins."""
    if engine not in _LOOKUP:
        by_name: dict[str, Node] = {}
        by_id: dict[str, Node] = {}
        for node in nodes_for(engine).values():
            for n in _names(node):
                by_name.setdefault(n.casefold(), node)
            for sid in (*node.species, *node.expression, *node.activity):
                by_id.setdefault(sid, node)
        _LOOKUP[engine] = (by_name, by_id)
    return _LOOKUP[engine]


def _names(node: Node) -> tuple[str, ...]:
    return (node.node, *node.aliases)


def nonnegative(target: str, engine: Engine) -> bool:
    """Whether ``target`` cannot take a negative value: a species or a compartment, or in a
    shipped model any parameter (rates, concentrations, fractions), unless the model itself
    gives it a negative value at the baseline."""
    if engine.baseline.get(target, 0.0) < 0:
        return False
    return (target in engine.species_ids or target in engine.compartment_ids
            or engine.nonnegative_parameters)


def _check_sign(p: SetValue, engine: Engine) -> None:
    """A negative value of what :func:`nonnegative` says cannot be negative is bad input: the
    model would run on it to non-physical results; so is a compartment of size zero."""
    if (p.value == 0 and p.target in engine.compartment_ids and engine.baseline.get(p.target, 1.0) > 0):
        raise InputError(f"set:{p.target}=0: {p.target} is a compartment, whose size must be above zero "
                         "(its species' concentrations would be infinite)")
    if (p.value == 0 and engine.nonnegative_parameters and p.target in engine.size_parameters
            and engine.baseline.get(p.target, 1.0) > 0):
        raise InputError(f"set:{p.target}=0: {p.target} is a mass or volume in {engine.name}, which "
                         "the model divides by: it must be above zero")
    if p.value >= 0 or not nonnegative(p.target, engine):
        return
    what = ("a species" if p.target in engine.species_ids
            else "a compartment's size" if p.target in engine.compartment_ids
            else f"a mass or volume (a body weight, a volume of distribution) in {engine.name}"
            if p.target in engine.size_parameters
            else f"a quantity {engine.name} integrates over time (a rate rule), and the quantities of a "
            "shipped model are amounts, volumes and fractions" if p.target in engine.rate_rule_ids
            else f"a parameter of {engine.name}, whose parameters are rates, amounts, sizes and fractions")
    raise InputError(f"set:{p.target}={_num(p.value)}: {p.target} cannot be negative: it is {what}")


def doses_after_end(perturbations: Sequence[Perturbation], changes: Changes, end: float,
                    time_unit: str) -> list[str]:
    """One sentence per regimen of ``perturbations`` with doses at or after ``end`` (model time
    units), which are not given: a counted regimen (``*N``) or a single dose; ``changes`` is
    :func:`to_changes` of the same perturbations. An open-ended regimen runs to the end, and is
    named only when its first dose is at or after it. A ``set:`` window that opens at or after
    ``end`` has no effect either, and is named too."""
    regimens = [p for p in perturbations if isinstance(p, Regimen)]
    said = [f"{p.spec}: its window opens at {p.start:g} {time_unit}s, not within the {end:g} {time_unit}s "
            "simulated; it has no effect" for p in perturbations
            if isinstance(p, SetValue) and p.start > 0 and p.start >= end]
    for regimen, dosing in zip(regimens, changes.dosing, strict=True):
        given = dosing.number_before(end)
        if dosing.every is None and given == 0:
            said.append(f"{regimen.spec}: its dose at {dosing.start:g} {time_unit}s is not within the "
                        f"{end:g} {time_unit}s simulated; it is not given")
        elif dosing.count is None and given == 0:  # (an open-ended regimen that starts too late)
            said.append(f"{regimen.spec}: its first dose at {dosing.start:g} {time_unit}s is not within "
                        f"the {end:g} {time_unit}s simulated; none of its doses is given")
        elif dosing.count is not None and given < dosing.count:
            said.append(f"{regimen.spec}: {given} of its {dosing.count} doses fall within the {end:g} "
                        f"{time_unit}s simulated; the others are not given")
    return said


def to_changes(perturbations: str | Perturbation | Sequence[str | Perturbation], engine: Engine, *,
               warn: bool = True) -> Changes:
    """Turn perturbations (a spec, a perturbation object or a list of them, as
    :func:`as_perturbations` takes them) into the parameter and species changes the engine applies.

    Presets are applied first (two presets may not set the same symbol to different values);
    then the other perturbations in order.
    Multipliers compose by product (``kd:X=0.5`` twice is ``x 0.25``); a knockout wins over
    any other change of the same node. A ``set:`` with a window acts in its window as it would
    without one: the multipliers listed after it scale it (``set:OPG_expr=2@10-20+oe:OPG=3`` is
    6 in the window); an untimed ``set:`` of the same quantity changes its value outside the
    window only, wherever it is listed. Doses per kg read the condition's ``body_weight``
    (``set:body_weight=W``, wherever it is listed; refused with a window).

    Warns :class:`~rankl_net.errors.DoseAboveStudiedWarning` for a drug's dose above the highest
    its sources report, and :class:`~rankl_net.errors.ExtremeChangeWarning` for a value raised a
    million-fold or more (``oe:OPG=1e9``), unless ``warn`` is False (a screen's workers: the
    screen says it once).
    """
    check_engine(engine, "to_changes(perturbations, engine)")
    perturbations = as_perturbations(perturbations)
    changes = Changes()
    params = changes.parameters
    presets = [p for p in perturbations if isinstance(p, Preset)]
    set_by: dict[str, tuple[str, float]] = {}
    for p in presets:
        for sid, v in engine.presets[resolve_preset(p, engine)].items():
            earlier = set_by.setdefault(sid, (p.name, v))
            if earlier[1] != v:  # the result would depend on the order of the presets
                raise InputError(f"preset:{earlier[0]} and {p.spec} set {sid} to different values "
                                 f"({earlier[1]:g} and {v:g}); give one of them, and set:{sid}=V to "
                                 "change the value")
            (changes.species if sid in engine.species_ids else params)[sid] = v
    regimens: list[Regimen] = []  # dosed once every value of the condition is known (body_weight)
    for p in perturbations:
        if isinstance(p, Preset):
            continue
        if isinstance(p, Regimen):
            regimens.append(p)
            continue
        if isinstance(p, SetValue):
            if p.target in engine.assigned_ids:
                raise InputError(f"set:{p.target}: {p.target} is computed by an assignment rule in "
                                 f"{engine.name} and cannot be set; set one of its inputs instead")
            if p.target in engine.reaction_ids:
                raise InputError(f"set:{p.target}: {p.target} is a reaction of {engine.name}, whose rate its "
                                 "kinetic law computes; set one of the law's parameters instead")
            if p.target in engine.event_ids:
                raise InputError(f"set:{p.target}: {p.target} is an event of {engine.name}, not a value; set "
                                 "a quantity it assigns or that its trigger reads instead")
            if p.target not in engine.symbols:
                valid = [i for i in engine.parameter_ids + engine.species_ids + engine.compartment_ids
                         if i not in engine.assigned_ids]
                raise unknown_name("parameter, species or compartment", p.target, valid)
            _check_sign(p, engine)
            if p.start == 0 and p.end is None:
                bucket = changes.species if p.target in engine.species_ids else params
                bucket[p.target] = p.value
            else:
                changes.timed.append(TimedChange(p.target, p.value, p.start, p.end))
            continue
        node = resolve_node(p.node, engine)
        if isinstance(p, Inhibition):
            if not node.activity:
                raise InputError(
                    f"inh:{p.node}: {node.node} has no activity to inhibit in {engine.name}; "
                    "use kd: to lower its expression"
                )
            for pid in node.activity:
                params[pid] = params.get(pid, engine.baseline[pid]) * (1.0 - p.fraction)
                _scale_windows(changes, pid, 1.0 - p.fraction)
            continue
        if not node.expression:
            raise InputError(
                f"{p.spec}: {node.node} has no expression parameter in {engine.name}; "
                "use inh: for an activity change"
            )
        factor = {Knockout: 0.0}.get(type(p))
        if factor is None:
            factor = p.fraction if isinstance(p, Knockdown) else p.factor
        for pid in node.expression:
            params[pid] = params.get(pid, engine.baseline[pid]) * factor
            _scale_windows(changes, pid, factor)
        if isinstance(p, Knockout):
            for sid in (*node.species, *node.complexes):
                changes.species[sid] = 0.0
                _scale_windows(changes, sid, 0.0)  # a window listed before sets 0, as untimed
    overflown = next((pid for pid, v in params.items() if not math.isfinite(v)), None)
    if overflown is not None:  # factors that multiply beyond the largest float
        raise InputError(f"{condition_spec(perturbations)}: these factors make {overflown} "
                         f"{params[overflown]:g}, beyond the numbers a simulation holds; use smaller ones")
    per_kg = next((r for r in regimens if r.per_kg), None)
    weighed = next((tc for tc in changes.timed if tc.target == BODY_WEIGHT), None)
    if per_kg is not None and weighed is not None:
        raise InputError(f"{per_kg.spec} doses per kg of {BODY_WEIGHT}, which a set: window changes during "
                         f"the run ({weighed.value:g} kg from {weighed.start:g} {engine.time_unit}s); a dose "
                         f"per kg reads one body weight: set {BODY_WEIGHT} without a window, or give the "
                         "dose in mg")
    if warn:
        _warn_extreme(changes, engine, perturbations)
    set_by_condition = set(params) | {tc.target for tc in changes.timed}
    changes.dosing.extend(_dosing(r, engine, params, warn, set_by_condition) for r in regimens)
    return changes


def _warn_extreme(changes: Changes, engine: Engine, perturbations: Sequence[Perturbation]) -> None:
    """Warn :class:`~rankl_net.errors.ExtremeChangeWarning` where the changes raise a value of the
    model EXTREME_CHANGE-fold or more (the largest such rise, in or out of a window)."""
    extreme = engine.most_extreme_change([*changes.parameters.items(), *changes.species.items(),
                                          *((tc.target, tc.value) for tc in changes.timed)])
    if extreme is not None:
        fold, sid, value = extreme
        # the parts that change it, so that a screen says it once for a background that gives it
        parts = [p for p in perturbations if sid in _changed_by(p, engine)] or perturbations
        warnings.warn(f"{condition_spec(parts)}: sets {sid} to {value:.3g}, {fold:.3g} times its "
                      f"value in {engine.name}: beyond what a transgene, an infusion or a culture supplement "
                      "reaches, so the concentrations it gives may not be physical", ExtremeChangeWarning,
                      stacklevel=user_stacklevel())


def _changed_by(p: Perturbation, engine: Engine) -> tuple[str, ...]:
    """The ids of the model quantities a perturbation other than a regimen changes."""
    if isinstance(p, SetValue):
        return (p.target,)
    if isinstance(p, Preset):
        return tuple(engine.presets[resolve_preset(p, engine)])
    if isinstance(p, Regimen):
        return ()
    node = resolve_node(p.node, engine)
    return node.activity if isinstance(p, Inhibition) else (*node.expression, *node.species)


def resolve_preset(preset: Preset, engine: Engine) -> str:
    """The name of ``preset`` in the engine's presets (``models/catalog.toml``), in any case
    (``preset:Breast`` is ``preset:breast``); an unknown one raises :class:`InputError`."""
    if not engine.presets:
        having = [f"{m} ({', '.join(get_model(m).presets)})" for m in model_names() if get_model(m).presets]
        where = f"; the models with presets: {'; '.join(having)}" if having else ""
        raise InputError(f"{preset.spec}: {engine.name} has no presets{where}")
    key = preset.name.strip().casefold()
    found = next((name for name in engine.presets if name.casefold() == key), None)
    if found is None:
        raise unknown_name("preset", preset.name, engine.presets)
    return found


def _scale_windows(changes: Changes, pid: str, factor: float) -> None:
    """Multiply the windows set on ``pid`` (a parameter, or a species a knockout empties) so far
    by ``factor``, as the perturbation scales the value an untimed ``set:`` before it gave."""
    changes.timed[:] = [replace(tc, value=tc.value * factor) if tc.target == pid else tc
                        for tc in changes.timed]


MG_TO_PMOL_TIMES_G_PER_MOL = 1e9  # 1 mg = 1e-3 g; 1 mol = 1e12 pmol
BODY_WEIGHT = "body_weight"  # the parameter (kg) of the models with drugs that doses per kg read


def _dosing(regimen: Regimen, engine: Engine, params: dict[str, float], warn: bool = True,
            set_by_condition: set[str] | frozenset[str] = frozenset()) -> Dosing:
    """A regimen as amounts (pmol) added to the drug's dose species, in model time units; ``warn``:
    a dose above those the drug's sources report warns."""
    drug = resolve_drug(regimen.drug)
    if drug.dose_species not in engine.species_ids:
        raise InputError(
            f"{regimen.spec}: {engine.name} carries no pharmacology for {drug.name}; "
            "use a model with drugs (rankl-net models lists them)"
        )
    if engine.time_unit not in SECONDS_PER_TIME_UNIT:
        raise InputError(f"{regimen.spec}: {engine.name} counts time in {engine.time_unit!r}, whose length "
                         f"is not known, so a regimen's times cannot be placed in it; a model that doses "
                         f"counts in {', '.join(f'{u}s' for u in SECONDS_PER_TIME_UNIT)}")
    molar_mass = params.get(drug.molar_mass, engine.baseline[drug.molar_mass])  # g/mol
    if not molar_mass > 0:  # (a set: of it; a dose in mg is divided by it)
        raise InputError(f"{regimen.spec}: {drug.molar_mass} is {_num(molar_mass)}; it is {drug.name}'s "
                         "molar mass (g/mol), which a dose in mg is divided by: set it above zero")
    dose_mg = regimen.dose
    # a model without a body weight (an engine of one's own with a drug's species) takes doses in
    # mg, which are not compared with those studied per kg
    body_weight = params.get(BODY_WEIGHT, engine.baseline.get(BODY_WEIGHT))
    if regimen.per_kg:
        if body_weight is None:
            raise InputError(f"{regimen.spec}: a dose per kg reads the model's {BODY_WEIGHT}, which "
                             f"{engine.name} does not have; give the dose in mg")
        dose_mg *= body_weight
    amount = dose_mg * MG_TO_PMOL_TIMES_G_PER_MOL / molar_mass
    if not math.isfinite(amount):  # (1e300mg: a finite dose, in pmol beyond the largest float)
        raise InputError(f"{regimen.spec}: {_num(dose_mg)} mg of {drug.name} is beyond the numbers a "
                         "simulation holds (in pmol it exceeds the largest floating-point number); give a "
                         "dose in g, mg, ug or ng, such as 60mg")
    above = dose_above_studied(drug, dose_mg, body_weight) if warn and body_weight is not None else ""
    if above:
        warnings.warn(f"{regimen.spec}: {above}", DoseAboveStudiedWarning, stacklevel=user_stacklevel())
    often = interval_below_studied(drug, regimen.every, regimen.count) if warn else ""
    if often:
        warnings.warn(f"{regimen.spec}: {often}", DoseAboveStudiedWarning, stacklevel=user_stacklevel())
    if warn:
        for said in _targets_not_bound(drug, engine, set_by_condition):
            warnings.warn(f"{regimen.spec}: {said}", DrugWithoutTargetWarning, stacklevel=user_stacklevel())
    per_day = SECONDS_PER_DAY / SECONDS_PER_TIME_UNIT[engine.time_unit]  # model time units per day
    return Dosing(
        species=drug.dose_species,
        amount=amount,
        start=regimen.start * per_day,
        every=None if regimen.every is None else regimen.every * per_day,
        count=regimen.count,
    )



def _target_name(target: str) -> str:
    """The node a ``NAME_binds_TARGET`` parameter names (``rankl``: RANKL), as the annotation
    table writes it; the text itself when no node has that id."""
    return next((row["node"] for row in node_table() if row["node"].casefold() == target.casefold()), target)


def _targets_not_bound(drug, engine: Engine, set_by_condition: set[str] | frozenset[str]) -> list[str]:
    """One sentence per target ``drug`` does not bind in ``engine``'s context: the model gates
    the drug's binding by a parameter ``NAME_binds_TARGET`` (1: it binds), which a context sets
    to 0 (``models/catalog.toml``: denosumab does not bind mouse RANKL). A condition that sets
    the parameter itself (``set:denosumab_binds_rankl=1``, with or without a window; the ids in
    ``set_by_condition``) is taken as meant, and not noted."""
    prefix = f"{drug.name}_binds_"
    said = []
    for pid in engine.parameter_ids:
        if not pid.startswith(prefix) or pid in set_by_condition or engine.baseline.get(pid) != 0:
            continue
        target = _target_name(pid.removeprefix(prefix))
        if engine.shipped is None:
            said.append(f"{drug.name} does not bind {target} in {engine.name} ({pid} is 0): it has no effect")
            continue
        model, context = engine.shipped
        info = get_model(model)
        default = _parameter_values(info.sbml_path).get(pid, 0.0)
        binding = [c for c, values in info.contexts.items() if values.get(pid, default) != 0]
        where = (f"; it binds in context {' or '.join(binding)} (--context; context = in an experiment file, "
                 "context= in Python)" if binding else "")
        said.append(f"{drug.name} does not bind {target} in context {context} of {model}: it has no effect "
                    f"there ({pid} is 0, models/catalog.toml){where}")
    return said
