"""Exceptions that the command line turns into exit codes (see ARCHITECTURE: 2 and 3)."""

from __future__ import annotations

import contextlib
import difflib
import numbers
import os
import reprlib
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path

import numpy as np
from rapidfuzz.distance import OSA


class RanklNetError(Exception):
    """Base class of the errors rankl-net reports to users."""

    exit_code = 1


class InputError(RanklNetError, ValueError):
    """Bad input from the user: an unknown name, a malformed spec, an invalid value (exit 2)."""

    exit_code = 2


class SimulationError(RanklNetError, RuntimeError):
    """An integration or steady-state computation failed (exit 3)."""

    exit_code = 3


class RanklNetWarning(UserWarning):
    """Base class of the warnings rankl-net gives users: the input is run as given, but part of
    it does not do what it seems to. The command line prints them as ``note:`` lines."""


class DosesAfterEndWarning(RanklNetWarning):
    """A counted dosing regimen has doses at or after the end of the simulation, or a regimen
    without a count starts at or after it: they are not given (the run is shorter than the
    regimen); or a ``set:`` window opens at or after the end, and has no effect."""


class DoseAboveStudiedWarning(RanklNetWarning):
    """A drug's single dose lies above the highest its sources report (``models/drugs.toml``),
    per kg of the model's body weight: most often a unit typed wrong (60 g for 60 mg) or a human
    dose given to a mouse. The dose is simulated as given."""


class DrugWithoutTargetWarning(RanklNetWarning):
    """A drug is dosed in a context whose target it does not bind (denosumab and mouse RANKL:
    the context sets the drug's ``NAME_binds_TARGET`` parameter to 0 in ``models/catalog.toml``),
    so it has no effect there. The regimen is simulated as given."""


class ExtremeChangeWarning(RanklNetWarning):
    """A perturbation raises a value of the model a million-fold or more (``oe:OPG=1e9``, or
    ``set:`` of a parameter far above its value): beyond what a transgene, an infusion or a culture
    supplement reaches, so the concentrations it gives may not be physical. It is simulated as
    given."""


class RedundantPerturbationWarning(RanklNetWarning):
    """A perturbation that changes nothing where it is given: a screen's condition repeats a
    knockout, ``set:`` or preset of the screen's background, which applies it already."""


def user_stacklevel() -> int:
    """The ``stacklevel`` at which ``warnings.warn``, called by the caller of this function, names
    the first frame outside rankl-net: the user's call, however deep in the package it warns."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE_FOLDER)
                                 or frame.f_code.co_filename == _CONTEXTLIB):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE_FOLDER = os.path.dirname(os.path.abspath(__file__)) + os.sep
# a `with model.perturbed(...)` enters through contextlib: the user's line is the one beyond it
_CONTEXTLIB = contextlib.__file__


class PreequilibrationError(SimulationError):
    """No steady baseline was reached by integration (exit 3): the model oscillates, grows
    without bound, or its integration failed on the way."""


def unknown_name(kind: str, name: str, valid: Iterable[str], first: Iterable[str] = (),
                 meaning: Mapping[str, str] | None = None) -> InputError:
    """Build an :class:`InputError` for an unknown name, with a close-match suggestion.

    Parameters
    ----------
    kind
        What was looked up ("model", "node", "readout", ...).
    name
        The name the user gave.
    valid
        The names that would have been accepted.
    first
        Names of ``valid`` to list first, in their order (a model's usual readouts before the
        alphabetical rest); the rest is listed alphabetically. Where two names match as well,
        the suggestion is one of these (:func:`suggestion`).
    meaning
        What a valid name stands for, said after the suggestion (a gene symbol's node and
        protein: 'c-Fos' is node FOS, c-Fos), so that a suggestion that only looks like the name
        given ('c-Fos' for the M-CSF receptor c-Fms) is seen to be another thing.
    """
    if not isinstance(name, str):
        return InputError(f"a {kind} is named by a string, got {type(name).__name__} {name!r}")
    valid = sorted(set(valid))
    if not valid:
        return InputError(f"unknown {kind} {name!r}: there is no {kind} to choose from here")
    first = [f for f in dict.fromkeys(first) if f in valid]
    close = suggestion(name, valid, first)
    said = (meaning or {}).get(close) if close else None
    hint = f" Did you mean {close!r}{f' ({said})' if said else ''}?" if close else ""
    listed = first + sorted(set(valid) - set(first))
    shown = ", ".join(listed[:40]) + (f", ... ({len(listed) - 40} more)" if len(listed) > 40 else "")
    return InputError(f"unknown {kind} {name!r}.{hint} Valid {kind} names: {shown}")


def suggestion(name: str, valid: Iterable[str], preferred: Iterable[str] = (),
               cutoff: float = 0.5) -> str | None:
    """The name of ``valid`` closest to ``name``, for a "Did you mean" (None: none is close).

    The names similar enough (difflib's ratio of at least ``cutoff``, as written or in any
    case), or that start with ``name`` of three letters or more, are ranked: a name that
    differs in case alone first; then the names that start with ``name`` (in any case:
    'denosumab' for denosumab_serum, 'BMD' for bmd_lumbar_spine), those of ``preferred`` (a
    model's usual readouts, most usual first) first in its order, then the most similar; then
    the most similar of the rest, and of two as similar one of ``preferred``."""
    valid = list(dict.fromkeys(valid))
    preferred = {p: k for k, p in enumerate(dict.fromkeys(preferred))}
    folded = name.casefold()
    same = [v for v in valid if v.casefold() == folded]
    if same:
        return same[0]
    ratios = {v: max(difflib.SequenceMatcher(None, name, v).ratio(),
                     difflib.SequenceMatcher(None, folded, v.casefold()).ratio()) for v in valid}
    close = [v for v in valid if ratios[v] >= cutoff or (len(name) >= 3 and v.casefold().startswith(folded))]
    if not close:
        return None

    def rank(v: str) -> tuple:
        starts = v.casefold().startswith(folded)
        usual = v in preferred
        order = preferred.get(v, len(preferred)) if starts else 0
        return (not starts, order, -ratios[v], not usual, v)

    return min(close, key=rank)


def typo_distance(a: str, b: str) -> int:
    """The number of typing slips between ``a`` and ``b``: letters left out, added, replaced or
    two neighbours swapped (the optimal string alignment distance, rapidfuzz's)."""
    return OSA.distance(a, b)


def is_misspelling(typed: str, name: str) -> bool:
    """Whether ``typed`` reads as ``name`` mistyped: one slip (:func:`typo_distance`) in a name
    of five letters or more, two in one of nine or more, or the first five letters or more of
    it ('zoledronic' for 'zoledronic acid'); a name of up to four letters (an abbreviation,
    'ZOL') is not guessed at. Stricter than :func:`suggestion`'s similarity, which finds a
    relative where another name was meant (alendronate, a bisphosphonate not modelled, is 82 %
    similar to zoledronate, but three slips away)."""
    if len(typed) >= 5 and name.startswith(typed):
        return True
    allowed = 2 if len(name) >= 9 else 1 if len(name) >= 5 else 0
    return typo_distance(typed, name) <= allowed


def is_ordered_collection(value: object) -> bool:
    """Whether ``value`` holds items in an order of its own: an iterable (a list, a tuple, a
    generator, a pandas Index or Series, a numpy array) that is not a string, a set or a dict."""
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Set | Mapping)


def known_keys(where: str, table: object, allowed: Sequence[str]) -> None:
    """Refuse a key of ``table`` (a table read from a TOML file) that is not in ``allowed``, with
    the closest allowed key; ``where`` says where the table is."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table of keys, got {table!r}")
    for key in table:
        if key not in allowed:
            raise InputError(f"{where}: {unknown_name('key', key, allowed)}")


def comma_list(text: str, what: str, item: str = "name") -> list[str]:
    """The items of ``text`` separated by commas, stripped of spaces ("OPG, RANKL" gives OPG and
    RANKL): how every comma list is read, on the command line and in the Python API. A text
    without an item (blank, or commas alone) gives [] (the caller says what an empty list
    means). An empty item between two commas, or a comma at either end, raises
    :class:`InputError` naming ``what`` ("--readouts", "readouts") and the text: "OPG,,RANKL"
    may have lost a name, and which one cannot be told. ``item`` is what the list holds
    ("name", "level")."""
    items = [t.strip() for t in text.split(",")]
    if not any(items):
        return []
    if items[0] == "":
        where = f"starts with a comma, with no {item} before it"
    elif items[-1] == "":
        where = f"ends in a comma, with no {item} after it"
    elif "" in items:
        where = f"has an empty {item} between commas"
    else:
        return items
    raise InputError(f"{what} {where}: {text!r}; give the {item}s separated by single commas")


def name_list(value: object, what: str, *, commas: bool = True) -> list[str]:
    """Names as the Python API takes them: one string (a name, or with ``commas`` names separated
    by commas, as on the command line and read as :func:`comma_list` reads them) or strings in
    order (a list, a tuple, a pandas Index or Series, a numpy array). A set or a dict (which hold
    no order of their own) or anything else raises :class:`InputError` naming ``what``
    ("readouts", ...)."""
    if isinstance(value, str):
        return comma_list(value, what) if commas else [value]
    if is_ordered_collection(value):
        names = list(value)
        if all(isinstance(v, str) for v in names):
            return [str(v) for v in names]  # numpy's strings as Python's
    raise InputError(f"{what} must be a name, names separated by commas or a list of names, got "
                     f"{type(value).__name__} {value!r}")


def check_number(where: str, what: str, value: object) -> None:
    """Refuse a ``value`` that is not one real number (a numpy scalar is one; text, True or a
    list is not) with an :class:`InputError` saying ``where`` (a spec, a function), ``what`` it
    is and the value given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{where}: {what} must be a number, got {given(value)}")


def check_bool(where: str, what: str, value: object) -> None:
    """Refuse a ``value`` that is not True or False (a numpy bool is one; "no", 0, None or a list,
    which Python would read as true or false, are not) with an :class:`InputError` saying
    ``where`` (a function), ``what`` it is and the value given."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{where}: {what} must be True or False, got {given(value)}")


def as_path(value: object, what: str) -> Path:
    """``value``, a file or folder's path (a string or a :class:`pathlib.Path`), as a Path; anything
    else (a DataFrame, a list, None) raises :class:`InputError` naming ``what`` ("out", ...)."""
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise InputError(f"{what} must be a string or a pathlib.Path, got {given(value)}")


def existing_file(value: object, what: str) -> Path:
    """``value`` (as :func:`as_path` takes it) as the Path of an existing file; a missing file or
    a folder raises :class:`InputError` naming ``what`` ("problem_yaml", ...)."""
    path = as_path(value, what)
    if path.is_dir():
        raise InputError(f"{what} {path}: a folder, not a file")
    if not path.exists():
        raise InputError(f"{what} {path}: no such file")
    return path


def read_toml(path: Path, what: str = "file") -> dict:
    """A TOML file of the user's (an experiment or regimen file) as a dict; a path that is not a
    file, or a file that is not UTF-8 text or not valid TOML, raises :class:`InputError` naming
    it (``what``: "regimen file", ...)."""
    path = existing_file(path, what)
    try:  # utf-8-sig: a byte-order mark, which some editors write, is not part of the TOML
        return tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8, "
                         "as TOML requires") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


# how many column names or values of a pandas table a message shows, and how much of each
GIVEN_ITEMS = 6
GIVEN_NAME_LENGTH = 30


def given(value: object) -> str:
    """What was given, for a message: its type and the start of its repr on one line (a long
    list is not printed whole); a pandas DataFrame by its size and first column names
    ("DataFrame of 20 rows and 10 columns (condition_id, perturbation, ...)"), a Series or an
    Index by its size and first values; an object whose repr is Python's default
    (``<... object at 0x...>``) by its type alone."""
    described = _pandas_given(value)
    if described is not None:
        return described
    if type(value).__repr__ is object.__repr__:
        name = type(value).__name__
        return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} object"
    return f"{type(value).__name__} {' '.join(reprlib.repr(value).split())}"


def _pandas_given(value: object) -> str | None:
    """:func:`given` of a pandas DataFrame, Series or Index (None for anything else), whose repr
    spans lines and, cut short, reads as none of its parts. pandas is not imported for it: a
    value can only be one of these once pandas has been."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return None
    kind = type(value).__name__
    if isinstance(value, pandas.DataFrame):
        rows, columns = value.shape
        names = [str(c) if len(str(c)) <= GIVEN_NAME_LENGTH else str(c)[:GIVEN_NAME_LENGTH - 3] + "..."
                 for c in value.columns[:GIVEN_ITEMS]]
        more = ", ..." if columns > GIVEN_ITEMS else ""
        listed = f" ({', '.join(names)}{more})" if names else ""
        return f"{kind} of {_count(rows, 'row')} and {_count(columns, 'column')}{listed}"
    if isinstance(value, pandas.Series | pandas.Index):
        name = "" if value.name is None else f" {reprlib.repr(value.name)}"
        first = value.iloc[:GIVEN_ITEMS] if isinstance(value, pandas.Series) else value[:GIVEN_ITEMS]
        shown = reprlib.repr(first.tolist()[:GIVEN_ITEMS]).removesuffix("]")
        shown += ", ...]" if len(value) > GIVEN_ITEMS else "]"
        return f"{kind}{name} of {_count(len(value), 'value')} {shown}"
    return None


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless n is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def first_repeated(items: Iterable[str]) -> str | None:
    """The first item that appears a second time in ``items`` (None when all differ), to name
    it in an error message."""
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
