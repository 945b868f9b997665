"""Perturbation screens: many conditions on one model, on a process pool or a Dask cluster.

A screen is a list of conditions (perturbation specs) applied on top of a background
(perturbations common to all, e.g. an inhibitor). Each condition is simulated from the
baseline to ``end`` and its readouts at ``end`` are compared with the background alone. The
model is a shipped model or any SBML file, whose conditions take the generic perturbations of
:func:`rankl_net.sbml_files.generic_changes`.

Execution
---------
* ``workers=1`` runs in this process; ``workers=N`` (default: every core) runs a local process
  pool; ``scheduler="tcp://host:port"`` runs on a Dask distributed cluster. Each worker compiles
  the model once (:func:`rankl_net.engine.load` is cached per process) and receives conditions
  in chunks.
* With ``out``, results stream to a Parquet dataset (a folder of ``part-*.parquet`` files, each
  written atomically when its chunk finishes). ``resume=True`` reads what is there, skips every
  condition already written and writes the rest to new files: nothing is computed or written
  twice, and an interrupted screen resumed gives the same table as an uninterrupted one. The
  folder's ``_screen.json`` records the screen's settings and the integrator's (relative
  tolerance, stability-limit detection); resuming with others is refused.
* A condition whose integration fails becomes rows with status ``failed`` and the integrator's
  message; the screen goes on.

The result is a tidy table: one row per condition and readout with ``condition_id`` (a hash of
the model, context, end time, background and condition spec, and a file's content),
``perturbation``, ``background``, ``readout``, ``value``, ``baseline_value``, ``unit`` (of
both values), ``log2_fold_change``, ``status`` and ``message``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
import os
import platform
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence, Set
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from .analysis import NEUTRAL_LEVEL, check_table, log2_fold_change
from .catalog import get_model
from .cvode import integrator_log_quiet
from .dosing import parse_regimen, read_number, resolve_drug, spec_number
from .engine import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, ROUND_OFF, Changes, check_tolerances, load
from .errors import (
    DoseAboveStudiedWarning,
    DosesAfterEndWarning,
    DrugWithoutTargetWarning,
    ExtremeChangeWarning,
    InputError,
    RedundantPerturbationWarning,
    SimulationError,
    as_path,
    check_bool,
    check_number,
    comma_list,
    first_repeated,
    given,
    is_ordered_collection,
    name_list,
    unknown_name,
)
from .paths import FILE_FORMAT_SUFFIXES
from .perturbations import (
    ONCE_KINDS,
    Perturbation,
    canonical_part,
    condition_spec,
    doses_after_end,
    nodes_for,
    parse_spec,
    repeated_part,
    resolve_node,
    to_changes,
)
from .sbml_files import (
    FileEngine,
    check_model_arguments,
    generic_changes,
    is_node,
    is_sbml_file,
    load_any,
    promote_local_parameters,
    time_in_model_unit,
    time_unit_of,
)
from .sbml_io import read_sbml_document
from .units import labels, with_changes

COLUMNS = ["condition_id", "perturbation", "background", "readout", "value", "baseline_value", "unit",
           "log2_fold_change", "status", "message"]
SCHEMA_TYPES = {"value": "float64", "baseline_value": "float64", "log2_fold_change": "float64"}


@dataclass(frozen=True)
class ScreenSpec:
    """Everything that defines a screen except its list of conditions."""

    model: str  # a shipped model's name, or an SBML file's name
    context: str  # a shipped model's context; for a file, its baseline ("initial" or "steady")
    end: float
    readouts: tuple[str, ...]
    background: str = ""
    # the integration every worker must use (:func:`integration_settings`), as (name, value) pairs
    integration: tuple[tuple[str, object], ...] = ()
    # an SBML file's text (as rankl_net.sbml_files.load_any read it) and its SHA-256: workers
    # compile the text, so a Dask worker needs no copy of the file
    sbml_digest: str = ""
    sbml: str = field(default="", compare=False, repr=False)
    # an SBML file's CVODE tolerances, relative and absolute (load_any's); () for a shipped model
    tolerances: tuple[float, ...] = ()

    @property
    def is_file(self) -> bool:
        """Whether the screen runs on an SBML file rather than a shipped model."""
        return bool(self.sbml_digest)

    @property
    def percent_changes(self) -> tuple[str, ...]:
        """The readouts that are percent changes from the model's baseline (a shipped model's
        catalog says which); their fold changes are those of 100 % + change."""
        return () if self.is_file else percent_changes(self.model)

    def condition_id(self, spec: str) -> str:
        """Deterministic id of a condition: the same inputs give the same id on any machine."""
        key = f"{self.model}|{self.context}|{self.end!r}|{self.background}|{spec}"
        if self.sbml_digest:  # the file's content, not only its name
            key += f"|{self.sbml_digest}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


FILE_BASELINES = ("initial", "steady")  # of an SBML file: its initial state, or the steady state


_FILE_ENGINES: dict[tuple[str, str, tuple[float, ...]], FileEngine] = {}


def _engine(spec: ScreenSpec):
    """The compiled model of a screen, once per process: a shipped model's engine, or the
    file's, compiled from the text the screen carries."""
    if not spec.is_file:
        return load(spec.model, spec.context)
    key = (spec.sbml_digest, spec.context, spec.tolerances)
    if key not in _FILE_ENGINES:
        unit = time_unit_of(libsbml.readSBMLFromString(spec.sbml))
        relative, absolute = spec.tolerances
        _FILE_ENGINES[key] = FileEngine(spec.sbml, name=spec.model, time_unit=unit,
                                        preequilibrate=spec.context == "steady",
                                        relative_tolerance=relative, absolute_tolerance=absolute)
    return _FILE_ENGINES[key]


def _final_values(spec: ScreenSpec, engine, perturbations: list) -> dict[str, float]:
    """Readouts at ``spec.end`` under ``perturbations`` (background included). On a file,
    knockouts hold species at zero in a clamped copy of the model, compiled for this condition
    and not kept."""
    if not spec.is_file:
        # (a dose above those studied was said when the screen checked its conditions)
        changes = to_changes(perturbations, engine, warn=False)
        return engine.final_values(changes, end=spec.end, readouts=spec.readouts)
    cond = generic_changes(perturbations, engine)
    run = engine.knockout(cond.knockouts, remember=False) if cond.knockouts else engine
    return run.final_values(cond.changes, end=spec.end, readouts=spec.readouts)


# notes on a regimen, or on a change a million-fold, that a screen says once, however many of its
# conditions carry it
SAID_ONCE = (DoseAboveStudiedWarning, DrugWithoutTargetWarning, ExtremeChangeWarning)


def _digest(key: tuple) -> bytes:
    """A 16-byte stand-in for a comparable key: a screen holds one per condition, and a key
    (every value set, every dose) takes hundreds of bytes. Floats' reprs are exact, so equal
    digests mean equal keys (up to a 2^-128 chance)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).digest()


def _effect(spec: ScreenSpec, engine, perturbations: list, lost: dict | None = None,
            above: dict | None = None) -> tuple:
    """What ``perturbations`` change in the model, as a comparable key (validates them); the
    sentences on doses and ``set:`` windows after the end of the screen go into ``lost``, those on
    doses above the ones studied, and drugs that bind nothing in the context, into ``above``
    (message: category; the screen says each once, whatever the filters)."""
    if not spec.is_file:
        with warnings.catch_warnings(record=True) as said:
            for category in SAID_ONCE:
                warnings.simplefilter("always", category)
            changes = to_changes(perturbations, engine)
        for w in said:
            if above is not None and issubclass(w.category, SAID_ONCE):
                above[str(w.message)] = w.category
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if lost is not None:
            lost.update(dict.fromkeys(doses_after_end(perturbations, changes, spec.end, engine.time_unit)))
        return changes.key()
    cond = generic_changes(perturbations, engine)
    if lost is not None:  # a file takes no regimens: only set: windows after the end are said
        lost.update(dict.fromkeys(doses_after_end(perturbations, Changes(), spec.end, engine.time_unit)))
    return (cond.knockouts, cond.changes.key())


def knockout_conditions(model: str, targets: str | Sequence[str] = "all", *, pairs: bool = False,
                        context: str | None = None, baseline: str | None = None) -> list[str]:
    """Knockout specs: every single knockout of ``targets``, or every pair of them with ``pairs``.

    ``targets`` is "all", a node's name, names separated by commas ("OPG,RANKL", as on the
    command line) or names in order (a list, a tuple, a numpy array, a pandas Series).
    On a shipped model, "all" is every node with an expression parameter whose knockout differs
    from those of the nodes before it: a node that knocks out the same thing as an earlier one
    (NFKB, the activity node of RELA) would only repeat that node's rows. On an SBML file
    (``model`` a path; ``baseline`` as in :func:`run_screen`), "all" is every species that can
    be held at zero (not one an algebraic rule constrains). ``pairs``: True or False.
    """
    check_bool("knockout_conditions", "pairs", pairs)
    # "all", "OPG" or "OPG,RANKL", as on the command line, or names in order
    targets = name_list(targets, "knockout targets ('all', or nodes to knock out)")
    if any(t.strip().casefold() == "all" for t in targets):
        if len([t for t in targets if t.strip()]) > 1:
            raise InputError("'all' lists every knockout by itself; give it alone, or name the knockouts")
        targets = "all"
    if check_model_arguments(model, context=context, baseline=baseline):
        engine = _file_engine(model, baseline)[0]
        available = [sid for sid in engine.species_ids if sid not in engine.algebraic_symbols]

        def resolve(name: str) -> str:
            knocked = generic_changes([f"ko:{name}"], engine).knockouts  # unknown names fail here
            # a node of a shipped model's file (its expression is knocked out) by its id
            return knocked[0] if knocked else resolve_node(name, engine).node
    else:
        engine = load(model, context)
        available, seen = [], set()
        for n in nodes_for(engine).values():
            effect = to_changes(parse_spec(f"ko:{n.node}"), engine).key() if n.expression else None
            if effect is not None and effect not in seen:
                seen.add(effect)
                available.append(n.node)

        def resolve(name: str) -> str:
            to_changes(parse_spec(f"ko:{name}"), engine)  # unknown names fail here, with a suggestion
            return resolve_node(name, engine).node  # a gene symbol or protein name is the same knockout
    if targets == "all":
        chosen = available
        if not chosen:
            raise InputError(f"knockouts 'all': {Path(str(model)).name} has no species to knock out; "
                             "screen a list of conditions (set:ID=V) instead")
    else:
        named = [t.strip() for t in targets if t.strip()]
        if not named:
            raise InputError("the knockout list is empty")
        chosen = [resolve(t) for t in named]
        if len(set(chosen)) != len(chosen):
            node = first_repeated(chosen)
            names = [t for t, n in zip(named, chosen, strict=True) if n == node]
            raise InputError(f"the knockout list names {node} more than once ({', '.join(names)})")
    if pairs:
        if len(chosen) < 2:
            raise InputError(f"pairs need at least two knockout targets, got {len(chosen)} "
                             f"({', '.join(chosen)})")
        return [f"ko:{a}+ko:{b}" for a, b in itertools.combinations(chosen, 2)]
    return [f"ko:{t}" for t in chosen]


def _file_engine(path: str | Path, baseline: str | None,
                 tolerances: tuple[float, float] = (RELATIVE_TOLERANCE, ABSOLUTE_TOLERANCE)
                 ) -> tuple[FileEngine, str]:
    """The engine of an SBML file for a screen (read with the checks of ``rankl-net validate``;
    ``tolerances``: CVODE's relative and absolute ones) and the SHA-256 of the
    file's bytes, registered so that this process and its forked workers compile it once."""
    baseline = baseline or FILE_BASELINES[0]
    if baseline not in FILE_BASELINES:
        raise InputError(f"baseline {baseline!r}: use one of {', '.join(FILE_BASELINES)}")
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    # the file as written, not libSBML's rewriting of it: the same file gives the same ids
    # whatever the libSBML version, and is read and compiled once (knockout lists, then the screen)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    key = (digest, baseline, tolerances)  # (a knockout list and its screen share one engine)
    if key not in _FILE_ENGINES:
        _FILE_ENGINES[key] = load_any(Path(path), preequilibrate=baseline == "steady",
                                      relative_tolerance=tolerances[0], absolute_tolerance=tolerances[1])
    return _FILE_ENGINES[key], digest


def _file_tolerances(path: str | Path, relative: float | None, absolute: float | None) -> tuple[float, float]:
    """CVODE's relative and absolute tolerances for the SBML file ``path`` (None: the engine's
    defaults), checked."""
    tolerances = (RELATIVE_TOLERANCE if relative is None else relative,
                  ABSOLUTE_TOLERANCE if absolute is None else absolute)
    check_tolerances(*tolerances, Path(path).name)
    return float(tolerances[0]), float(tolerances[1])


def file_engine(path: str | Path, baseline: str | None = None, relative_tolerance: float | None = None,
                absolute_tolerance: float | None = None) -> FileEngine:
    """The engine of an SBML file as the screens of this process run it (``baseline`` "initial"
    or "steady"; tolerances as for :func:`run_screen`), compiled once per content, baseline and
    tolerances: checking a file's parameters or its unperturbed run reuses the screen's."""
    return _file_engine(path, baseline, _file_tolerances(path, relative_tolerance, absolute_tolerance))[0]


def _canonical_part(spec: ScreenSpec, engine, p: Perturbation) -> Perturbation:
    """``p`` named as a condition's spec and id name it: a node by its id (ko:Tnfrsf11b is
    ko:OPG), a preset by its catalog name (preset:Breast is preset:breast). On a file, species
    ids stay as they are, and the nodes of a shipped model's file go by their ids."""
    if spec.is_file and not (hasattr(p, "node") and is_node(p.node, engine)):
        return p
    return canonical_part(p, engine)


def _validate(spec: ScreenSpec, conditions: Sequence[str]) -> tuple[list[str], list[tuple], str]:
    """Parse every condition up front so bad input fails before any work. Returns the canonical
    specs and, for each, the key of what it changes in the model (:meth:`Changes.key`), and the
    background's canonical spec."""
    if not conditions:
        raise InputError("the screen has no conditions")
    engine = _engine(spec)
    engine.check_end(spec.end)
    engine.check_readouts(spec.readouts)

    def by_id(perts: list) -> list:
        return [_canonical_part(spec, engine, p) for p in perts]

    background = parse_spec(spec.background) if spec.background else []
    above: dict[str, type[Warning]] = {}  # doses above those studied, drugs binding nothing: once each
    # a bad background is its own error, not the first condition's
    _effect(spec, engine, background, above=above)
    # what a condition that gives it again leaves as it is (a knockout, a set:, a preset)
    applied = {p for p in by_id(background) if isinstance(p, ONCE_KINDS)}
    again: dict[str, list[str]] = {}  # such parts of the background, and the conditions that repeat them
    canonical, effects, seen, lost = [], [], {}, {}
    for k, c in enumerate(conditions):
        try:
            given = parse_spec(c)  # (which refuses a part given twice as written)
            perts = by_id(given)
            twice = repeated_part(perts)
            if twice is not None:  # twice under two names of its node (ko:OPG+ko:Tnfrsf11b)
                names = " and ".join(g.spec for g, p in zip(given, perts, strict=True) if p == twice)
                raise InputError(f"{c!r} gives {twice.spec} twice ({names} name the same node), which "
                                 "changes nothing more than once; give it once")
            effects.append(_digest(_effect(spec, engine, background + perts, lost, above)))
        except InputError as exc:
            where = f"condition {k + 1} of {len(conditions)} ({c}): " if len(conditions) > 1 else ""
            error = InputError(f"{where}{exc}")
            error.condition_index = k  # for the command line, which knows the file's lines
            raise error from None
        canonical.append(condition_spec(perts))
        for p in perts:
            if p in applied:  # (only parts of ONCE_KINDS are)
                again.setdefault(p.spec, []).append(canonical[-1])
        # the same parts in another order, with the same effect, are the same condition
        same = _digest((tuple(sorted(condition_spec([p]) for p in perts)), effects[-1]))
        if same in seen and canonical[seen[same]] != canonical[-1]:
            j = seen[same]
            error = InputError(f"the screen lists {canonical[j]!r} and {canonical[-1]!r} (conditions {j + 1} "
                               f"and {k + 1} of {len(conditions)}), the same condition with its parts in "
                               "another order; keep one")
            error.condition_pair = (j, k)  # for the command line, which knows the file's lines
            raise error
        seen.setdefault(same, k)
    if len(set(canonical)) != len(canonical):
        repeated = first_repeated(canonical)
        i, j = [k for k, c in enumerate(canonical) if c == repeated][:2]
        given = (f" (given as {conditions[i]!r} and {conditions[j]!r})"
                 if (conditions[i], conditions[j]) != (repeated, repeated) else "")
        error = InputError(f"the screen lists the condition {repeated!r} more than once: conditions {i + 1} "
                           f"and {j + 1} of {len(conditions)}{given}")
        error.condition_pair = (i, j)  # for the command line, which knows the file's lines
        raise error
    for said in lost:  # once per regimen or window, however many conditions carry it (run_screen's caller)
        warnings.warn(said, DosesAfterEndWarning, stacklevel=3)
    for said, category in above.items():  # once per regimen, however many conditions carry it
        warnings.warn(said, category, stacklevel=3)
    for part, where in again.items():  # once per part of the background
        shown = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
        count = "1 condition gives" if len(where) == 1 else f"{len(where)} conditions give"
        warnings.warn(f"the background ({spec.background}) applies {part} already: {count} it again "
                      f"({shown}), which changes nothing there", RedundantPerturbationWarning, stacklevel=3)
    return canonical, effects, condition_spec(by_id(background)) if background else ""


def _share_simulations(todo: Sequence[tuple[str, str]], effects: Sequence[bytes]
                       ) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """Conditions that change the model identically (ko:ERK+ko:ERK1 and ko:ERK+ko:ERK2: both
    knock out ERK1 and ERK2) are simulated once. Returns the conditions to simulate (the first
    of each kind) and, by their ids, the (id, spec) of the others that take their values."""
    first: dict[bytes, str] = {}
    simulate, copies = [], {}
    for (cid, cspec), effect in zip(todo, effects, strict=True):
        if effect in first:
            copies.setdefault(first[effect], []).append((cid, cspec))
        else:
            first[effect] = cid
            simulate.append((cid, cspec))
    return simulate, copies


def _with_copies(rows: list[dict], copies: dict[str, list[tuple[str, str]]]) -> list[dict]:
    """``rows`` followed by the same rows for each condition that shares their simulation."""
    out = list(rows)
    for row in rows:
        for cid, cspec in copies.get(row["condition_id"], ()):
            out.append({**row, "condition_id": cid, "perturbation": cspec})
    return out


# --------------------------------------------------------------------------------- workers
_REFERENCE: dict[ScreenSpec, dict[str, float]] = {}


def _reference(spec: ScreenSpec) -> dict[str, float]:
    """Readouts of the background alone at ``end`` (computed once per worker)."""
    if spec not in _REFERENCE:
        background = parse_spec(spec.background) if spec.background else []
        _REFERENCE[spec] = _final_values(spec, _engine(spec), background)
    return _REFERENCE[spec]


def integration_settings(engine) -> dict[str, object]:
    """What decides an engine's results beyond the model and the conditions: CVODE's relative
    and absolute tolerances (the absolute one before its per-state scaling) and whether the
    stability-limit detection is on (libRoadRunner builds without it integrate otherwise, at
    the integrator's tolerance)."""
    return {"relative_tolerance": float(engine.rr.integrator.getValue("relative_tolerance")),
            "absolute_tolerance": float(engine.absolute_tolerance),
            "stability_limit_detection": bool(engine.stability_limit_detection)}


def run_chunk(spec: ScreenSpec, conditions: Sequence[tuple[str, str]]) -> list[dict]:
    """Simulate a chunk of (condition_id, spec) pairs; return tidy rows. Runs on a worker, which
    refuses a screen it would integrate otherwise than the screen's settings say."""
    engine = _engine(spec)
    mine = tuple(integration_settings(engine).items())
    if spec.integration and mine != spec.integration:
        differ = ", ".join(f"{k} {v!r} here, {w!r} for the screen"
                           for (k, v), (_, w) in zip(mine, spec.integration, strict=True) if v != w)
        raise InputError(f"a worker on {platform.node()} would integrate {spec.model} otherwise than the "
                         f"screen ({differ}); run the screen on workers with the same libRoadRunner build")
    reference = _reference(spec)
    units = engine.units(spec.readouts)
    background = parse_spec(spec.background) if spec.background else []
    percent = set(spec.percent_changes)
    # in the shipped models' units (pM, %, ug/mL) a value below ROUND_OFF is round-off; an SBML
    # file's units may make such values real (moles in a single cell)
    noise = 0.0 if spec.is_file else ROUND_OFF
    rows = []
    # a failure is reported in its rows, with the integrator's message: not in the log too (in
    # the caller's process, a pool's worker or a Dask worker alike)
    with integrator_log_quiet():
        for cid, cspec in conditions:
            try:
                values = _final_values(spec, engine, background + parse_spec(cspec))
                status, message = "ok", ""
            except SimulationError as exc:
                values = {r: math.nan for r in spec.readouts}
                status, message = "failed", str(exc)
            for r in spec.readouts:
                v, b = values[r], reference[r]
                lfc = (log2_fold_change(100.0 + v, 100.0 + b) if r in percent
                       else log2_fold_change(v, b, scale=engine.baseline.get(r, 0.0), noise=noise))
                rows.append({"condition_id": cid, "perturbation": cspec, "background": spec.background,
                             "readout": r, "value": v, "baseline_value": b, "unit": units[r],
                             "log2_fold_change": lfc,
                             "status": status, "message": message})
    return rows


# --------------------------------------------------------------------------------- storage
class ParquetStore:
    """A folder of Parquet part files, each written atomically (temporary name, then rename)."""

    def __init__(self, path: Path, lock: FileLock | None = None) -> None:
        self.path = Path(path)
        self.lock = lock  # held while the screen writes; released by close()

    def close(self) -> None:
        """Release the folder's lock (another screen may then write to it)."""
        if self.lock is not None:
            self.lock.release()

    def mark_finished(self, finished: bool) -> None:
        """Record in the folder's manifest whether the screen writing it has finished (False from
        its start or resumption until its last condition is written): a report can then say
        that a folder holds only part of its screen."""
        path = self.path / MANIFEST
        held = json.loads(path.read_text(encoding="utf-8"))
        held["finished"] = finished
        tmp = self.path / f".tmp-manifest-{os.getpid()}"
        tmp.write_text(json.dumps(held, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def parts(self) -> list[Path]:
        """Completed part files."""
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def done_ids(self) -> set[str]:
        """Condition ids already written."""
        ids: set[str] = set()
        for p in self.parts():
            try:
                ids.update(pd.read_parquet(p, columns=["condition_id"])["condition_id"])
            except Exception as exc:  # noqa: BLE001 - any reader failure is a damaged file
                raise InputError(f"{p} is not a readable part of this screen ({type(exc).__name__}); move "
                                 "it away and resume again to recompute its conditions") from None
        return ids

    def write(self, rows: list[dict]) -> Path:
        """Write one chunk's rows to a new part file named after its condition ids."""
        frame = pd.DataFrame(rows, columns=COLUMNS).astype(SCHEMA_TYPES)
        digest = hashlib.sha256("".join(sorted(set(frame["condition_id"]))).encode()).hexdigest()[:20]
        final = self.path / f"part-{digest}.parquet"
        tmp = self.path / f".tmp-{digest}-{os.getpid()}.parquet"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, final)
        return final

    def read(self) -> pd.DataFrame:
        """Every row written so far."""
        parts = self.parts()
        if not parts:
            return pd.DataFrame(columns=COLUMNS)
        # (columns in the order of COLUMNS, also with parts written before a column was added)
        return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True).reindex(columns=COLUMNS)


# names of files (tables, figures, pages), not of the folder of part files a screen writes
# (whose usual name ends in .parquet)
FILE_SUFFIXES = tuple(s for s in FILE_FORMAT_SUFFIXES if s != ".parquet")


@dataclass(frozen=True)
class FolderNames:
    """How messages name a results folder: the command-line option and the Python argument that
    gave it, and what it holds. A sensitivity analysis streams its runs to ``--samples`` (its
    Python ``out``), a screen to ``--out``."""

    option: str = "--out"
    argument: str = "out"
    holds: str = "results"

    def other(self) -> str:
        """The advice to choose another folder, in the terms of both interfaces."""
        return f"choose another {self.holds} folder ({self.option}, or {self.argument}= in Python)"


SCREEN_FOLDER = FolderNames()
RUNS_FOLDER = FolderNames("--samples", "out", "runs")  # a sensitivity analysis's runs


def check_results_folder_name(out: Path, names: FolderNames = SCREEN_FOLDER) -> None:
    """Refuse a screen's results folder named as a file (``results.csv``), unless a screen
    folder of that name exists already; ``names`` say which option gave the folder."""
    if Path(out).suffix.lower() in FILE_SUFFIXES and not is_screen_folder(Path(out)):
        if names != SCREEN_FOLDER:
            raise InputError(f"{names.option} {out}: the {names.holds} stream to a Parquet dataset, a "
                             f"folder of part files; give it a folder name such as "
                             f"results/{names.holds}.parquet")
        raise InputError(f"{out}: a screen writes a Parquet dataset, a folder of part files; give it a "
                         "folder name such as results/pairs.parquet (rankl-net report turns it into HTML)")


# what a screen folder holds, written when the screen starts; Parquet readers skip "_" files
MANIFEST = "_screen.json"
LOCK = "_screen.lock"  # locked by the screen writing to the folder


def _manifest(spec: ScreenSpec) -> dict:
    # rows integrated otherwise (a machine without the stability-limit detection) would differ
    # at the integrator's tolerance: a screen is resumed only with the same integration
    held = {"model": spec.model, "context": spec.context, "end": spec.end,
            "background": spec.background, "readouts": list(spec.readouts),
            "integrator": dict(spec.integration)}
    if spec.is_file:  # the file's content: a changed file is another screen
        held["sbml_sha256"] = spec.sbml_digest
    return held


# what the folder messages suggest, in the names of both the command line and the Python API
# (run_screen's resume), since either may have chosen the folder
RESUME = "--resume, or resume=True in Python"


def _check_resumable(out: Path, spec: ScreenSpec, names: FolderNames) -> None:
    """A folder continued with --resume (resume=True) must hold the same screen (model, context,
    end time, background, readouts, integrator settings): otherwise its conditions would count as
    done with other results."""
    path = out / MANIFEST
    if not path.is_file():
        return
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{path} is unreadable; {names.other()}") from None
    wanted = _manifest(spec)
    # a folder written before (some of) the integrator's settings were recorded: compared on
    # those it records
    recorded = held.get("integrator")
    if not isinstance(recorded, dict):
        wanted.pop("integrator")
    else:
        wanted["integrator"] = {k: v for k, v in wanted["integrator"].items() if k in recorded}
    differ = [f"{k} {held.get(k)!r} there, {v!r} here" for k, v in wanted.items()
              if held.get(k) != v and k != "integrator"]
    there = held.get("readouts")
    reordered = (isinstance(there, list) and there != wanted["readouts"]
                 and sorted(map(str, there)) == sorted(wanted["readouts"]))
    if reordered:  # the rows of each condition come in the readouts' order
        said = (f"the same readouts in another order: give them in that order (--readouts {','.join(there)}, "
                f"or readouts={there!r} in Python)")
        differ = [said if d.startswith("readouts ") else d for d in differ]
    differ += [f"{k.replace('_', ' ')} {held['integrator'].get(k)!r} there, {v!r} here"
               for k, v in wanted.get("integrator", {}).items() if held["integrator"].get(k) != v]
    if differ:
        raise InputError(f"{out} holds another screen ({'; '.join(differ)}); resume it with the same "
                         f"settings or {names.other()}")


def _lock(out: Path, names: FolderNames) -> FileLock:
    """The folder's lock, held. One screen writes to a folder at a time: two would both compute
    what neither has written (duplicated rows) and remove each other's part files in progress.
    The operating system releases the lock when its process ends, killed or not."""
    lock = FileLock(out / LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"another screen is writing to {out}; wait for it to end (then resuming, with "
                         f"{RESUME}, adds what it left out) or {names.other()}") from None
    except OSError as exc:
        raise InputError(f"cannot write results to {out}: {exc.strerror}") from None
    return lock


def is_screen_folder(path: Path) -> bool:
    """Whether ``path`` is a folder a screen wrote (its manifest or part files)."""
    path = Path(path)
    return path.is_dir() and ((path / MANIFEST).is_file() or any(path.glob("part-*.parquet")))


def _prepare_store(out: Path, resume: bool, spec: ScreenSpec, names: FolderNames) -> ParquetStore:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a screen folder; {names.other()}")
    # a screen's folder is locked first (whether another screen writes to it matters before what
    # it holds); a new folder once it exists. Held from then on, released if the folder is refused.
    lock = _lock(out, names) if (out / LOCK).is_file() else None
    try:
        if out.is_dir() and any(p.name != LOCK for p in out.iterdir()):
            if not is_screen_folder(out):
                raise InputError(f"{out} holds other files, not a screen; {names.other()}")
            if not resume:
                raise InputError(f"{out} already holds results; to continue that screen, resume it "
                                 f"({RESUME}), or {names.other()}")
        if out.is_dir():
            _check_resumable(out, spec, names)
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InputError(f"cannot write results to {out}: {exc.strerror}") from None
        if lock is None:
            lock = _lock(out, names)
        try:
            if not (out / MANIFEST).exists():
                tmp = out / f".tmp-manifest-{os.getpid()}"
                # with the time unit of `end`, for readers (a screen is the same whatever it records)
                held = {**_manifest(spec), "time_unit": _engine(spec).units(["time"])["time"]}
                tmp.write_text(json.dumps(held, indent=1) + "\n", encoding="utf-8")
                os.replace(tmp, out / MANIFEST)
            for stale in out.glob(".tmp-*"):
                stale.unlink()  # a chunk interrupted mid-write; its conditions are recomputed
        except OSError as exc:
            raise InputError(f"cannot write results to {out}: {exc.strerror} ({exc.filename})") from None
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return ParquetStore(out, lock)


# --------------------------------------------------------------------------------- executors
MAX_CHUNK = 64  # conditions per task at most: what an interrupted screen loses at worst, per worker
SPREAD = 16  # interleave stride: neighbouring conditions (pairs sharing a knockout) cost alike


def _chunks(items: Sequence, workers: int, size: int | None = None) -> list[list]:
    """Tasks for ``workers``: the items interleaved (every SPREAD-th, then the next ...), so that
    a task mixes cheap and costly conditions, cut into chunks of ``size`` or, by default, of
    shrinking size (a quarter of each worker's share of what remains, at most MAX_CHUNK), so
    that the last tasks are short and the workers finish together."""
    spread = [x for k in range(SPREAD) for x in items[k::SPREAD]]
    chunks, start = [], 0
    while start < len(spread):
        n = size or max(1, min(MAX_CHUNK, math.ceil((len(spread) - start) / (4 * max(1, workers)))))
        chunks.append(spread[start:start + n])
        start += n
    return chunks


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="cond", disable=not sys.stderr.isatty(), smoothing=0.1)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the screen handles it and stops its pool; a worker
    # interrupted inside the pool's queue would print a traceback or hang the shutdown
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()


PARENT_CHECK = 0.5  # seconds between a worker's checks that the screen that started it still runs


def _exit_with_parent() -> None:
    """End this worker when the screen's process ends. A screen killed outright (SIGKILL, an
    out-of-memory kill, a batch system's time limit) cannot stop its pool, and the forked
    workers, which hold the pool's pipes open themselves, would wait for work forever."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK)
            if os.getppid() != parent:  # adopted by init: the screen has gone
                os._exit(1)

    threading.Thread(target=watch, name="rankl-net-parent-watch", daemon=True).start()


def _execute(spec: ScreenSpec, todo: list[tuple[str, str]], *, workers: int, client,
             chunk_size: int | None) -> Iterator[list[dict]]:
    if client is not None:
        from distributed import as_completed as dask_completed

        chunks = _chunks(todo, sum(client.nthreads().values()), chunk_size)
        # sent to the cluster once, not with every task (a file screen carries the SBML text)
        shared = client.scatter(spec, broadcast=True)
        futures = [client.submit(run_chunk, shared, c, pure=False) for c in chunks]
        try:
            for fut in dask_completed(futures):
                yield fut.result()
        finally:  # interrupted or failed: the cluster drops what is left
            client.cancel(futures)
    elif workers <= 1:
        for c in _chunks(todo, 1, chunk_size):
            yield run_chunk(spec, c)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"),
                                   initializer=_worker_init)
        done = False
        try:
            futures = [pool.submit(run_chunk, spec, c) for c in _chunks(todo, workers, chunk_size)]
            for fut in as_completed(futures):
                yield fut.result()
            done = True
        finally:
            # done: the workers only have to exit, which for a process holding a compiled model
            # takes milliseconds; they do it while the table is built (the pool's thread reaps
            # them). Interrupted (Ctrl-C) or failed: the chunks not started are dropped, not
            # computed and thrown away, and the workers end after the chunk they are on.
            pool.shutdown(wait=not done, cancel_futures=not done)


def _probe_scheduler(scheduler: str, timeout: float) -> None:
    """Refuse a ``tcp://`` (or in-process) address where no Dask scheduler answers within
    ``timeout`` seconds. A Dask client bounds only the connection: a server of another kind (a
    web server, a dashboard's port) that accepts it and never answers would keep it waiting for
    ever, and one that answers otherwise makes it read a frame of any length. The probe asks for
    the server's identity, the whole exchange bounded, in a thread of its own (a caller may
    already run an event loop, as Jupyter does) that does not keep the process alive. Other
    protocols (``tls://``, with the security settings of Dask's configuration) are left to the
    client."""
    import asyncio

    from distributed.comm import connect as open_comm

    if "://" in scheduler and not scheduler.startswith(("tcp://", "inproc://")):
        return  # (tls://, ws://: the client's security settings, which a plain connection lacks)

    async def identity() -> object:
        comm = await open_comm(scheduler, timeout=timeout)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    outcome: list = []

    def probe() -> None:
        try:
            outcome.append(asyncio.run(asyncio.wait_for(identity(), timeout)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which names it
            outcome.append(exc)

    thread = threading.Thread(target=probe, name="rankl-net-probe", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)  # (wait_for ends the exchange at the timeout)
    answer = outcome[0] if outcome else TimeoutError()
    if isinstance(answer, (OSError, TimeoutError)):
        said = str(answer) or f"no answer within {timeout:g} s"
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {said}; check the address (the "
                         "scheduler's port, 8786 by default, not its dashboard's)")
    if isinstance(answer, BaseException):  # whatever a server that is not Dask's makes the reader do
        raise InputError(f"{scheduler} is not a Dask scheduler (its answer cannot be read: "
                         f"{type(answer).__name__}); give the scheduler's address (port 8786 by default), "
                         "not its dashboard's")
    if not (isinstance(answer, dict) and answer.get("type") == "Scheduler"):
        kind = f" but a Dask {answer['type']}" if isinstance(answer, dict) and answer.get("type") else ""
        raise InputError(f"{scheduler} is not a Dask scheduler{kind}; give the scheduler's address "
                         "(port 8786 by default)")


def connect(scheduler: str, timeout: float = 5.0, worker_timeout: float = 60.0):
    """A Dask client for ``scheduler`` (tcp://HOST:PORT), reached within ``timeout`` seconds,
    with at least one worker within ``worker_timeout`` seconds (an adaptive cluster or a batch
    queue may start its workers late); an unreachable scheduler, or one without workers, is bad
    input."""
    from distributed import Client

    if not isinstance(scheduler, str):
        raise InputError(f"scheduler is the address of a Dask scheduler, tcp://HOST:PORT, got "
                         f"{given(scheduler)}")
    if not scheduler.strip():
        raise InputError("the scheduler's address is empty (--scheduler, or scheduler= in Python); give "
                         "tcp://HOST:PORT, or leave it out for the local pool")
    _probe_scheduler(scheduler, timeout)
    try:
        client = Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=worker_timeout)
    except (OSError, TimeoutError):
        client.close()
        raise InputError(f"the Dask scheduler at {scheduler} has no workers (waited {worker_timeout:g} s); "
                         f"start one with `dask worker {scheduler}`, or wait longer (--worker-timeout, or "
                         "worker_timeout= in Python)") from None
    return client


def run_screen(
    model: str,
    conditions: Sequence[str],
    *,
    background: Sequence[str] = (),
    context: str | None = None,
    end: float | str | None = None,
    readouts: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    worker_timeout: float = 60.0,
    out: Path | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    baseline: str | None = None,
    relative_tolerance: float | None = None,
    absolute_tolerance: float | None = None,
    folder_names: FolderNames = SCREEN_FOLDER,
) -> pd.DataFrame:
    """Run a screen and return its tidy result table (see the module docstring).

    Parameters
    ----------
    model
        A shipped model name, or the path of an SBML file (``*.xml``), whose conditions take the
        generic perturbations of :func:`rankl_net.sbml_files.generic_changes` (``ko:SPECIES``,
        ``oe:SPECIES=N``, ``set:ID=V``).
    conditions
        Perturbation specs, one per condition ("ko:OPG", "ko:NFKB1+ko:NFKB2", "inh:P38=0.5"), in
        order: a list, a tuple, a pandas Series (a screen table's ``perturbation`` column) or one
        spec; a condition may also be a perturbation object or a list of them.
    background
        The perturbations applied in every condition and in the reference: a spec
        ("ko:OPG+inh:P38=0.5"), a perturbation object or a list or tuple of them.
    context
        "mouse", "human" or, for the drug models, "mouse_huRANKL" (default: the model's); shipped models only.
    end
        Time at which readouts are taken, in the model's time unit, or a time with a unit
        ("12wk", "72h") (default: the catalog's; required for a file).
    readouts
        Readouts (default: the model's readouts; for a file, every species, or in a file
        without species what its rate rules integrate, else its parameters).
    workers
        Processes of the local pool (default: every core; 1 runs in this process).
    scheduler
        Address of a Dask scheduler (tcp://HOST:PORT); its workers run the screen (give
        ``workers`` only for the local pool).
    worker_timeout
        Seconds to wait for the scheduler's first worker before refusing the screen.
    out
        Parquet dataset folder to stream results into.
    resume
        True: continue the screen already in ``out``; False (default): refuse a folder that holds
        results.
    chunk_size
        Conditions per task (default: shrinking tasks, at most 64 conditions, the last ones
        short so that the workers finish together).
    baseline
        For an SBML file: "initial" (default; the file's initial state at time 0) or "steady"
        (the steady state reached by integration), as ``rankl-net simulate --baseline``.
    relative_tolerance, absolute_tolerance
        For an SBML file: CVODE's tolerances (defaults 1e-8 and 1e-12; see
        :func:`rankl_net.sbml_files.load_any`). A results folder is resumed only with the
        tolerances it was written with; condition ids do not depend on them, so screens of
        one file at two tolerances join on ``condition_id``.
    folder_names
        How messages about ``out`` name it (:class:`FolderNames`; default ``--out``, ``out=``):
        a caller whose folder has another option says so.

    Returns
    -------
    The table of :data:`COLUMNS`, one row per condition and readout, with ``attrs`` naming what
    ran: ``model``, ``context`` (None for a file), ``baseline`` (a file's; None for a shipped
    model), ``background`` (its canonical spec, "" for none), ``end`` and its ``time_unit``, and
    ``resumed`` (conditions read back from ``out``).
    """
    # one string is one spec (or a comma-separated list of readouts), as on the command line; a
    # condition may also be a perturbation object or a list of them
    conditions = [conditions] if isinstance(conditions, (str, *Perturbation.__args__)) else conditions
    if not is_ordered_collection(conditions) or isinstance(conditions, pd.DataFrame):  # (its column names)
        raise InputError(f"conditions must be specs in order (such as ['ko:OPG', 'ko:RANK']) or a pandas "
                         f"Series of them (a screen table's table['perturbation']), got {given(conditions)}")
    conditions = [str(c) if isinstance(c, str) else condition_spec(c) for c in conditions]
    if background is not None and not isinstance(background, (str, list, tuple, *Perturbation.__args__)):
        raise InputError(f"background holds the perturbations shared by every condition: a spec such as "
                         f"'ko:OPG+inh:P38=0.5', a perturbation object or a list of them, got "
                         f"{given(background)}")
    background_spec = condition_spec(background) if background else ""
    readouts = name_list(readouts, "readouts") if readouts is not None else None
    if readouts is not None and not readouts:
        raise InputError("readouts is empty; name at least one readout, or leave readouts out for the "
                         "model's own")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            raise InputError(f"{name} must be a whole number, got {value!r}")
    check_number("run_screen", "worker_timeout", worker_timeout)
    check_bool("run_screen", "resume", resume)
    if resume and out is None:
        raise InputError("resume continues the screen in a results folder: give out as well")
    if out is not None:
        out = as_path(out, "out").expanduser()
        check_results_folder_name(out, folder_names)
    end = time_in_model_unit(model, end) if isinstance(end, str) else end
    if end is not None and (isinstance(end, bool) or not isinstance(end, numbers.Real)):
        raise InputError(f"end must be a number in the model's time unit or a time with a unit (\"12wk\"), "
                         f"got {type(end).__name__} {end!r}")
    tolerances = (relative_tolerance, absolute_tolerance)
    if check_model_arguments(model, context=context, baseline=baseline, end=end, needs_end=True,
                             tolerances=tolerances):
        tolerances = _file_tolerances(model, relative_tolerance, absolute_tolerance)
        engine, digest = _file_engine(model, baseline, tolerances)
        spec = ScreenSpec(Path(model).name, baseline or FILE_BASELINES[0], float(end),
                          tuple(readouts or engine.default_readouts), background_spec,
                          sbml_digest=digest, sbml=engine.sbml_text, tolerances=tolerances)
    else:
        info = get_model(model)
        context = info.context_or_default(context)
        spec = ScreenSpec(model, context, float(end if end is not None else info.default_end),
                          tuple(readouts or info.readouts), background_spec)
    canonical, effects, background_spec = _validate(spec, conditions)
    spec = replace(spec, background=background_spec)  # ids the same whatever names the background uses
    spec = replace(spec, integration=tuple(integration_settings(_engine(spec)).items()))
    units = _engine(spec).units([*spec.readouts, "time"])  # (read here once: forked workers inherit them)
    if scheduler is not None and workers is not None:
        raise InputError("give workers for the local pool or scheduler for a Dask cluster, not both "
                         "(the cluster's workers run the screen)")
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"the chunk size must be at least 1 condition, got {chunk_size}")
    # connected before the results folder is made: an unreachable scheduler leaves nothing behind
    client = connect(scheduler, worker_timeout=worker_timeout) if scheduler is not None else None
    store = None
    try:
        # the reference first: a background or end time the model cannot run leaves no folder
        _reference(spec)  # (forked workers inherit it)
        store = _prepare_store(out, resume, spec, folder_names) if out is not None else None
        ids = [spec.condition_id(c) for c in canonical]
        done = store.done_ids() if store is not None else set()
        pending = [k for k, i in enumerate(ids) if i not in done]
        if store is not None and pending:
            store.mark_finished(False)
        todo, copies = _share_simulations([(ids[k], canonical[k]) for k in pending],
                                          [effects[k] for k in pending])
        # each task's rows as a table: a row as a dict takes about 500 bytes, in a table about 100
        # (the strings a condition's readouts share are held once)
        collected: list[pd.DataFrame] = []
        results = _execute(spec, todo, workers=workers, client=client, chunk_size=chunk_size)
        try:
            with _progress(len(canonical), f"{spec.model} screen") as bar:
                bar.update(len(canonical) - len(pending))
                for rows in results:
                    rows = _with_copies(rows, copies)
                    if store is not None:
                        store.write(rows)
                    else:
                        collected.append(pd.DataFrame(rows, columns=COLUMNS))
                    bar.update(len({r["condition_id"] for r in rows}))
            if store is not None:
                store.mark_finished(True)
        finally:
            results.close()  # stops the pool or cancels the cluster's tasks now, not when collected
        table = (store.read() if store is not None
                 else pd.concat(collected, ignore_index=True) if collected
                 else pd.DataFrame(columns=COLUMNS))
    finally:
        try:
            if client is not None:
                client.close()
        finally:
            if store is not None:
                store.close()
    table = order_table(table, ids, spec.readouts)
    table["unit"] = table["readout"].map(units)  # (part files written before units were recorded)
    table.attrs["resumed"] = len(canonical) - len(pending)  # conditions read back from out, not run
    # what the screen ran: a file's context is None, its baseline "initial" or "steady"
    table.attrs.update(model=spec.model, context=None if spec.is_file else spec.context,
                       baseline=spec.context if spec.is_file else None, background=spec.background,
                       end=spec.end, time_unit=units["time"])
    return table


def order_table(table: pd.DataFrame, ids: Sequence[str], readouts: Sequence[str]) -> pd.DataFrame:
    """Rows in the order of the conditions and readouts given (a deterministic table); ``table``
    is a screen table (columns condition_id and readout at least)."""
    check_table(table, ["condition_id", "readout"], "a screen table")
    condition = pd.Index(ids).get_indexer(table["condition_id"])
    readout = pd.Index(readouts).get_indexer(table["readout"])
    keep = np.flatnonzero((condition >= 0) & (readout >= 0))  # only this screen's rows
    order = keep[np.lexsort((readout[keep], condition[keep]))]
    return table.take(order).reset_index(drop=True).astype(SCHEMA_TYPES)


def _round12(values: np.ndarray) -> np.ndarray:
    """``values`` to 12 significant digits: arithmetic's last-digit noise removed."""
    return np.array([float(f"{v:.12g}") for v in values])


def parse_levels(text: str) -> np.ndarray:
    """Levels ``A:B:N`` (N evenly spaced values from A to B) or a comma-separated list, written
    in a string ("0:1:11", "0,0.5,1", "0.5"); a string without a level is refused."""
    if not isinstance(text, str):
        raise InputError(f"levels are written as A:B:N or a comma-separated list (a string), got "
                         f"{type(text).__name__} {text!r}")
    try:
        if ":" in text:
            a, b, n = text.split(":")
            if not re.fullmatch(r"\s*[0-9]+\s*", n):
                raise ValueError
            n = int(n)
            if n < 2:
                raise ValueError
            # the ends as given; the points between to 12 significant digits (0.6, not the
            # 0.6000000000000001 of linspace, in specs)
            first, last = read_number(a), read_number(b)
            values = _round12(np.linspace(first, last, n))
            values[[0, -1]] = first, last
            return values
        values = np.array([read_number(x) for x in comma_list(text, "levels", "level")])
    except InputError:  # an empty level between commas, said as such
        raise
    except ValueError:
        raise InputError(f"cannot read levels {text!r}: use A:B:N (N >= 2) or a comma list") from None
    if not len(values):
        raise InputError(f"levels {text!r} gives no level: use A:B:N (N >= 2, such as 0:1:11) or a comma "
                         "list (0,0.5,1)")
    return values


def readout_units(model: str | None, readouts: Iterable[str]) -> dict[str, str]:
    """The unit of each readout (or parameter) of ``model``, a shipped model name or an SBML
    file, for axes (:func:`rankl_net.units.label`; "" for one the model does not declare;
    ``% change`` for a shipped model's percent changes from baseline, :func:`percent_changes`,
    and ``%`` for other percents, :func:`rankl_net.units.with_changes`); {} when ``model`` is
    None. ``readouts``: names in order, or one name. A model that is neither,
    or a name that is not one of the model's, raises :class:`InputError` with a close match."""
    if model is None:
        return {}
    if isinstance(readouts, Set):  # a set or a dict's keys: the units come back by name
        readouts = sorted(readouts)
    readouts = name_list(readouts, "readouts", commas=False)
    if is_sbml_file(model):  # read as `simulate` reads MODEL: a shipped model's name is the model
        # (with a reaction's local parameters as the engine has them: V1 of J0 as J0_V1)
        text, _ = promote_local_parameters(libsbml.writeSBMLToString(read_sbml_document(Path(model))))
        document, usual, changes = libsbml.readSBMLFromString(text), (), ()
    else:
        info = get_model(model)
        document, usual = libsbml.readSBMLFromFile(str(info.sbml_path)), info.readouts
        changes = info.percent_changes
    sbml = document.getModel()
    unknown = next((r for r in readouts if sbml.getElementBySId(r) is None), None)
    if unknown is not None:
        quantities = (sbml.getListOfSpecies(), sbml.getListOfParameters(), sbml.getListOfCompartments(),
                      sbml.getListOfReactions())
        raise unknown_name("readout", unknown, [q.getId() for listed in quantities for q in listed], usual)
    return with_changes(labels(sbml, readouts), changes)


def percent_changes(model: str | None) -> tuple[str, ...]:
    """The readouts of ``model`` (a shipped model's name; an SBML file or None: none) that are
    percent changes from the model's baseline; a model that is neither raises
    :class:`InputError` with a close match."""
    if model is None or is_sbml_file(model):  # read as `simulate` reads MODEL
        return ()
    return get_model(model).percent_changes


DOSED_KINDS = ("inh", "kd", "oe", "set", "drug")  # the perturbations a dose series gives at levels
# a drug's dose series: drug:NAME, or drug:NAME=mg/kg for doses per kg, then the regimen's schedule
# (/EVERY, *N, @START) if any; each level is a dose in mg (or mg/kg)
_DRUG_SERIES = re.compile(r"^(?P<name>[^=/*@\s]+)(?:=(?P<unit>mg/kg|mg))?(?P<schedule>(?:[/@]\S*)?)$")
DRUG_SERIES_HELP = "drug:NAME (doses in mg), drug:NAME=mg/kg (per kg), with a schedule if any: drug:NAME/6mo"


def _drug_series(target: str, perturb: str) -> tuple[str, str, str]:
    """The drug, the unit of the doses (mg or mg/kg) and the schedule (``/6mo*3@10d``, or "") of
    a drug's dose series ``drug:TARGET``."""
    m = _DRUG_SERIES.match(target)
    if not m or (m["schedule"] and m["schedule"].startswith("/kg")):
        name, _, dose = target.partition("=")
        level, unit, _ = dose.partition("mg")
        one = (f" (a dose is a level: --perturb {series_of(perturb)} --levels {level},...; a drug at one "
               "dose under every level goes in the background, -p)" if unit and level[:1].isdigit() else "")
        raise InputError(f"perturb (--perturb) {perturb!r}: a drug's dose series is {DRUG_SERIES_HELP}; "
                         f"the levels are its doses{one}")
    resolve_drug(m["name"])  # an unknown drug, said before any level
    return m["name"], m["unit"] or "mg", m["schedule"]


def _dosed(perturb: str) -> tuple[str, str]:
    """The kind and target of the dosed perturbation of a series (``inh:X``, ``kd:X``, ``oe:X``
    or ``set:ID``, without a value; ``drug:NAME`` with the unit of its doses and its schedule, as
    :data:`DRUG_SERIES_HELP` says)."""
    kind, sep, target = perturb.partition(":") if isinstance(perturb, str) else ("", "", "")
    if sep and kind != kind.lower() and kind.lower() in DOSED_KINDS:  # as parse_spec says it
        raise InputError(f"cannot read perturb {perturb!r}: kinds are written in lower case "
                         f"({kind.lower()}:{target})")
    if sep and kind == "drug" and target and "+" not in target:
        _drug_series(target, perturb)
        return kind, target
    if not sep or kind not in DOSED_KINDS or not target or "=" in target or "+" in target:
        raise InputError(f"perturb (--perturb) takes inh:X, kd:X, oe:X or set:ID without a value (the dosed "
                         f"target; the levels give its values), or {DRUG_SERIES_HELP} (the levels give its "
                         f"doses), got {perturb!r}; a perturbation under every level (a knockout, a drug at "
                         "one dose) goes in the background (-p SPEC, or run_screen's background= in Python)")
    return kind, target


def _levels(levels: Iterable[float] | float | str, perturb: str) -> list[float]:
    """The levels of a dose series: numbers in order, one number, or a string as
    :func:`parse_levels` reads it."""
    if isinstance(levels, str):
        return list(parse_levels(levels))
    if isinstance(levels, numbers.Real) and not isinstance(levels, bool):
        return [levels]
    if not is_ordered_collection(levels):
        raise InputError(f"levels are numbers in order (a list, a numpy array), one number, or a string such "
                         f"as '0:1:11' or '0,0.5,1', got {given(levels)}")
    levels = list(levels)
    for v in levels:
        check_number(perturb, "a level", v)
    return levels


def dose_of(perturb: str, levels: Iterable[float] | float | str) -> np.ndarray:
    """The dose of each level of a dose series, measured from the level that leaves the target
    as it is (:data:`NEUTRAL_LEVEL`): for ``inh:X`` the fraction of activity inhibited (the
    level), for ``kd:X`` the fraction of expression removed (1 - level), for ``oe:X`` the
    expression added (level - 1, in folds of the normal expression); for ``set:ID`` the value
    itself, and for ``drug:NAME`` the dose (mg or mg/kg). ``perturb`` is ``inh:X``, ``kd:X``,
    ``oe:X``, ``set:ID`` or a drug's series (other perturbations have no dose); ``levels`` as
    :func:`dose_conditions` takes them."""
    neutral = NEUTRAL_LEVEL.get(_dosed(perturb)[0])  # (a drug's level is its dose)
    values = np.asarray(_levels(levels, perturb), float)
    # 1 - 0.7 is 0.30000000000000004: the dose to 12 significant digits
    return values if neutral is None else _round12(np.abs(values - neutral))


def anchored(perturb: str) -> bool:
    """Whether dose 0 of a series of ``perturb`` leaves the model as it is, so the response at
    dose 0 is the readout without the perturbation (``inh:``, ``kd:``, ``oe:``; not ``set:``,
    whose dose 0 is a value of 0). ``perturb`` as :func:`dose_of` takes it (other perturbations
    have no dose series)."""
    kind = _dosed(perturb)[0]
    return kind in NEUTRAL_LEVEL or kind == "drug"  # (no dose of a drug is the model as it is)


def dose_label(model: str | None, perturb: str) -> str:
    """What the doses of a series (:func:`dose_of`) measure, for an axis: the inhibited
    fraction of X's activity, the removed fraction of its expression, the added expression (on
    an SBML file, the species added at time 0), or the value of ID in its unit (left out when
    :func:`readout_units` has none). ``model``: a shipped model's name, an SBML file, or None
    (no units)."""
    kind, _, target = perturb.partition(":")
    if kind == "drug":
        name, unit, schedule = _drug_series(target, perturb)
        as_given = f", as drug:{name}=DOSE{unit}{schedule}" if schedule else ""
        return f"{name} dose ({unit}{as_given})"
    if kind == "set":
        unit = readout_units(model, [target]).get(target, "")
        return f"{target} ({unit})" if unit else target
    if kind == "oe" and model is not None and is_sbml_file(model):  # a species scaled at time 0
        return f"{target} added at time 0 (fold - 1)"
    return {"inh": f"fraction of {target} activity inhibited",
            "kd": f"fraction of {target} expression removed",
            "oe": f"{target} expression added (fold - 1)"}.get(kind, "level")


def series_of(spec: str) -> str:
    """The dosed perturbation of a condition of a dose series, without its level: ``inh:P38`` of
    ``inh:P38=0.5``; ``drug:denosumab/6mo`` of ``drug:denosumab=60mg/6mo``, and
    ``drug:opg_fc=mg/kg/1wk`` of ``drug:opg_fc=1mg/kg/1wk``."""
    head, _, value = spec.partition("=")
    if not head.startswith("drug:"):
        return head
    schedule = re.sub(r"^[^m]*mg", "", value)
    return f"{head}=mg/kg{schedule[3:]}" if schedule.startswith("/kg") else f"{head}{schedule}"


def levels_of(perturbations: Iterable[str]) -> np.ndarray:
    """The level of each condition of a dose series (``inh:P38=0.5`` gives 0.5, and
    ``drug:denosumab=60mg/6mo`` its dose in mg, 60), read back from
    its spec, which holds it exactly. ``perturbations``: specs in order (a screen table's
    ``perturbation`` column), or one spec."""
    levels = []
    for spec in name_list(perturbations, "perturbations", commas=False):
        try:
            # (the dose of drug:NAME=60mg/6mo, in mg or mg/kg)
            levels.append(parse_regimen(spec).dose if spec.startswith("drug:")
                          else read_number(spec.partition("=")[2]))
        except (ValueError, InputError):
            raise InputError(f"{spec!r} is not a condition of a dose series: it has no level (such as "
                             "inh:P38=0.5)") from None
    return np.array(levels)


def dose_conditions(perturb: str, levels: Iterable[float] | float | str) -> list[str]:
    """Specs of a dose series: ``inh:X`` / ``kd:X`` / ``oe:X`` / ``set:ID`` at each level
    (numbers in order, one number, or a string as :func:`parse_levels` reads it: "0:1:11"), in
    the unit of the perturbation's value (a fraction, a fold, the unit of ID); or a drug's
    regimen (``drug:denosumab/6mo``, :data:`DRUG_SERIES_HELP`) at each dose, in mg or mg/kg,
    above 0 (``drug:denosumab=60mg/6mo``)."""
    kind, target = _dosed(perturb)
    levels = _levels(levels, perturb)
    if kind == "drug":
        name, unit, schedule = _drug_series(target, perturb)
    specs = []
    for v in levels:
        spec = f"{kind}:{target}={spec_number(v)}"
        if kind == "drug":
            if v <= 0:
                raise InputError(f"the level {v:g} of {perturb}: a drug's doses are above 0; the model "
                                 "without the drug (dose 0) is the reference each fit starts from")
            spec = f"drug:{name}={spec_number(v)}{unit}{schedule}"
        try:
            specs.append(condition_spec(parse_spec(spec)))
        except InputError as exc:  # a level outside the perturbation's range
            raise InputError(f"the level {v:g} of {perturb} ({spec}) is out of range: {exc}") from None
    if not specs:
        raise InputError("no levels given")
    if len(set(specs)) != len(specs):
        repeated = first_repeated(specs).partition("=")[2]
        raise InputError(f"the levels list {repeated} more than once; give each level once")
    return specs
