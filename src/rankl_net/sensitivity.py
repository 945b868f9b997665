"""Global sensitivity analysis (SALib: Sobol and Morris) of readouts to model parameters.

Each sample is a condition of ``set:`` perturbations run through the screen executor (local
pool or Dask), so a large analysis distributes and checkpoints like any screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import single_value
from .catalog import get_model, model_names
from .dosing import spec_number
from .engine import load
from .errors import InputError, check_bool, suggestion, unknown_name
from .perturbations import SetValue, condition_spec, nonnegative, parse_spec
from .sbml_files import check_model_arguments
from .screens import RUNS_FOLDER, file_engine, run_screen

METHODS = ("sobol", "morris")


def _is_multiple(bound) -> bool:
    """Whether one end of a range is given as a multiple of the model's value ("0.5x")."""
    return isinstance(bound, str) and bound.strip().lower().endswith("x")


def _bound(pid: str, bound, value: float) -> float:
    """One end of a parameter's range: a number in the model's units, or text ``"Nx"``, N times
    the parameter's ``value`` in the model (its context applied)."""
    if not isinstance(bound, str):
        return float(bound)  # (a TypeError for anything else: the caller names the range)
    text = bound.strip()
    fold = _is_multiple(bound)
    try:
        number = float(text[:-1] if fold else text)
    except ValueError:
        raise InputError(f"{pid}: {bound!r} is neither a number nor a multiple of the model's value "
                         "(such as 0.5x)") from None
    if not fold:
        return number
    if value == 0 or not np.isfinite(value):
        raise InputError(f"{pid} is {value:g} in the model, so {bound!r} of it is no range; give the "
                         "ends as numbers in the model's units")
    return number * value


def _not_a_parameter(pid: str, engine, settable: Sequence[str], is_file: bool) -> InputError:
    """The error for a ``--vary`` of ``pid``, which is no parameter that can be varied: a species
    or compartment says so, a file's parameter local to a reaction or SBML name says which it is,
    anything else is an unknown name with the closest parameter."""
    names = sorted(settable)
    shown = ", ".join(names[:40]) + (f", ... ({len(names) - 40} more)" if len(names) > 40 else "")
    for kind, ids in (("species", engine.species_ids), ("compartment", engine.compartment_ids)):
        if isinstance(pid, str) and pid in ids:
            close = suggestion(pid, settable)  # (opg_free, the free protein: OPG_expr, its production)
            hint = f" Did you mean {close!r}?" if close else ""
            return InputError(f"{pid} is a {kind} of {engine.name}; a sensitivity analysis varies "
                              f"parameters.{hint} Valid parameter names: {shown or 'none'}")
    hint = engine.not_an_id(pid) if is_file and isinstance(pid, str) else ""
    if hint:
        return InputError(f"{pid}: {hint}")
    return unknown_name("parameter", pid, settable)


def problem(model: str, parameters: Mapping[str, tuple[float | str, float | str]],
            context: str | None = None) -> dict:
    """The SALib problem for ``parameters`` ({id: (low, high)}), checked against the model (a
    shipped model's name or an SBML file's path).

    Each end of a range is a number in the model's units, or text ``"Nx"``: N times the
    parameter's value in the model (in ``context``), so ``("0.5x", "2x")`` is half to twice it.
    The problem's ``bounds`` are numbers in the model's units."""
    if not isinstance(parameters, Mapping):
        raise InputError(f"parameters is a mapping of parameter id to its range (low, high), such as "
                         f"{{'pth': (1.5, 6.0)}}, got {type(parameters).__name__}")
    if not parameters:
        raise InputError("give at least one parameter with its range")
    # (an SBML file's parameters are those of the file as written: a steady baseline changes none)
    is_file = check_model_arguments(model, context=context)
    engine = file_engine(model) if is_file else load(model, context)
    engine.restore_baseline()  # (a cached engine holds the values of the last condition it ran)
    # quantities computed by assignment rules cannot be set: neither named nor suggested
    settable = [p for p in engine.parameter_ids if p not in engine.assigned_ids]
    bounds = []
    for pid, given in parameters.items():
        if pid in engine.assigned_ids:
            raise InputError(f"{pid} is computed by an assignment rule in {engine.name} and cannot be "
                             "varied; vary one of its inputs")
        if pid not in settable:
            raise _not_a_parameter(pid, engine, settable, is_file)
        try:
            if isinstance(given, str | bytes) or len(given) != 2:
                raise ValueError
            lo, hi = (_bound(pid, b, engine.value(pid)) for b in given)
        except InputError:
            raise
        except (TypeError, ValueError):
            raise InputError(f"{pid}: the range is two numbers (low, high), such as (1.5, 6.0), or two "
                             f"multiples of the model's value, such as ('0.5x', '2x'); got {given!r}"
                             ) from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            value = engine.value(pid)
            read = ""
            if any(_is_multiple(b) for b in given):
                hint = ("; of a negative value the larger multiple is the lower end, such as 2x:0.5x"
                        if value < 0 and lo > hi else "")
                read = f" ({given[0]}:{given[1]} of its value {value:g}{hint})"
            raise InputError(f"{pid}: the range must be finite with low < high, got {lo:g}:{hi:g}{read}")
        if lo < 0 and nonnegative(pid, engine):
            raise InputError(f"{pid}: the range {lo:g}:{hi:g} reaches below 0, and {pid} cannot be negative "
                             f"in {engine.name}")
        bounds.append([lo, hi])
    return {"num_vars": len(parameters), "names": list(parameters), "bounds": bounds}


def sample(prob: dict, method: str, n: int, seed: int = 1) -> np.ndarray:
    """Deterministic SALib sample (Saltelli/Sobol' with ``n`` base samples, or ``n`` Morris trajectories)."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, n, calc_second_order=False, seed=seed)
    _check_method(method)
    from SALib.sample import morris

    return morris.sample(prob, n, num_levels=4, seed=seed)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


def analyse(prob: dict, method: str, X: np.ndarray, Y: np.ndarray, seed: int = 1) -> dict:
    """SALib indices of one output ``Y`` for the sample ``X``."""
    if method == "sobol":
        from SALib.analyze import sobol

        return sobol.analyze(prob, Y, calc_second_order=False, seed=seed)
    from SALib.analyze import morris

    return morris.analyze(prob, X, Y, num_levels=4, seed=seed)


def sensitivity(
    model: str,
    parameters: Mapping[str, tuple[float | str, float | str]],
    *,
    method: str = "sobol",
    n: int = 64,
    readouts: Sequence[str] | None = None,
    background: str | Sequence[str] = (),
    context: str | None = None,
    end: float | str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    worker_timeout: float = 60.0,
    out: Path | None = None,
    resume: bool = False,
    seed: int = 1,
    baseline: str | None = None,
    relative_tolerance: float | None = None,
    absolute_tolerance: float | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of each readout (at ``end``) to each parameter over its range.

    Parameters
    ----------
    model
        A shipped model name, or the path of an SBML file (``*.xml``; ``end`` is then required).
    parameters
        ``{parameter id: (low, high)}``, the range of each in the model's units (the parameter
        table of the model card gives them), or as multiples of its value in the model
        (``("0.5x", "2x")``: half to twice it); sampled uniformly.
    method
        "sobol" (first-order and total Sobol' indices) or "morris" (elementary effects).
    n
        Sobol': the number of base samples, a power of 2 (the model runs ``n`` x (number of
        parameters + 2) times); Morris: the number of trajectories (``n`` x (parameters + 1)
        points, of which those the trajectories share run once). Few samples give wide
        intervals, within which S1 may exceed ST.
    readouts
        Quantities whose value at ``end`` is analysed (default: the model's readouts); a string
        is one name or a comma-separated list.
    background
        Perturbations under every sample, as a screen's (:func:`~rankl_net.screens.run_screen`):
        a spec such as ``"drug:denosumab=60mg/26wk"`` or a list of them; the sample's ``set:``
        values are applied on top of it, and a parameter it sets cannot be varied.
    context
        The model's context (default: its default).
    end
        Time of the readouts, in the model's time unit or with a unit ("12wk"); default from the
        catalog.
    workers, scheduler, worker_timeout
        Processes of the local pool (default: every core), or a Dask scheduler's address
        (``tcp://HOST:PORT``) whose workers run the samples, and the seconds to wait for its
        first worker, as for :func:`~rankl_net.screens.run_screen`.
    out, resume
        A screen folder the samples stream to, and whether to continue one (True or False, as
        :func:`run_screen`).
    seed
        A whole number that fixes the sample.
    baseline, relative_tolerance, absolute_tolerance
        For an SBML file, as for :func:`~rankl_net.screens.run_screen`: start from the file's
        initial state ("initial", default) or from its steady state ("steady"), and CVODE's
        tolerances.

    Returns
    -------
    DataFrame with one row per parameter and readout: the parameter's range (``low``, ``high``,
    in the model's units), then for Sobol, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; for Morris,
    ``mu_star``, ``mu_star_conf`` and ``sigma``, in the readout's unit (the ``unit`` column) per
    parameter range (SALib's elementary effects are of ranges scaled to 0..1);
    then what was analysed: ``model`` (a file's name), ``context`` (empty for a file), ``baseline``
    (a file's: "initial" or "steady"; empty for a shipped model), ``background`` (its canonical
    spec; "" for none), ``end`` and its ``time_unit``, ``n`` and ``seed``. Its ``attrs`` hold
    these too, with ``method``, ``points`` (the rows of the sample), ``runs`` (its distinct
    points, each simulated once: a Morris sample on its grid repeats points, and Sobol's of one
    parameter too) and ``resumed`` (those of the runs read back from ``out``, not simulated
    again).
    Failed samples (integration failures) make the analysis of that readout fail with an error
    naming how many failed.
    """
    _check_method(method)
    check_bool("sensitivity", "resume", resume)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a whole number of at least 0 (SALib's seeds are not negative), "
                         f"got {seed!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise InputError(f"n must be a whole number of at least 2, got {n!r}")
    if method == "sobol" and n & (n - 1):
        low = 1 << (int(n).bit_length() - 1)
        raise InputError(f"n for Sobol' indices must be a power of 2 (Saltelli's sequence keeps its "
                         f"balance only then), got {n}: use {low} or {2 * low}")
    if readouts is not None and not len(readouts):
        raise InputError("readouts is empty: name at least one, or leave it out for the model's readouts")
    # the options that do not apply to the model (or a file's missing end), before anything is compiled
    check_model_arguments(model, context=context, baseline=baseline, end=end, needs_end=True,
                          tolerances=(relative_tolerance, absolute_tolerance))
    prob = problem(model, parameters, context)
    _check_background(background, prob["names"])
    X = sample(prob, method, n, seed)
    specs = ["+".join(f"set:{p}={spec_number(v)}" for p, v in zip(prob["names"], row, strict=True))
             for row in X]
    unique = list(dict.fromkeys(specs))
    table = run_screen(model, unique, background=background, context=context, end=end, readouts=readouts,
                       workers=workers,
                       scheduler=scheduler, worker_timeout=worker_timeout, out=out, resume=resume,
                       baseline=baseline, folder_names=RUNS_FOLDER,
                       relative_tolerance=relative_tolerance, absolute_tolerance=absolute_tolerance)
    # the screen's rows come in the order of its conditions: each sample's row, by position (a
    # sample drawn twice was run once)
    position = {spec: i for i, spec in enumerate(unique)}
    sample_rows = np.array([position[spec] for spec in specs])
    rows = []
    for readout, sub in table.groupby("readout", sort=False):
        values = sub["value"].to_numpy(float)  # (one per run, in the order of `unique`)
        Y = values[sample_rows]
        if not np.all(np.isfinite(Y)):
            # counted as runs (a run repeated in the sample fails once), with the first and its message
            failed = np.flatnonzero(~np.isfinite(values))
            why = str(sub["message"].fillna("").iloc[failed[0]]) if "message" in sub.columns else ""
            raise InputError(f"{readout}: {len(failed)} of {len(unique)} runs failed "
                             f"({int((~np.isfinite(Y)).sum())} of {len(X)} sample points), such as "
                             f"{unique[failed[0]]}{f' ({why})' if why else ''}; narrow the ranges")
        res = analyse(prob, method, X, Y, seed)
        for i, pid in enumerate(prob["names"]):
            lo, hi = prob["bounds"][i]
            row = {"parameter": pid, "low": lo, "high": hi, "readout": readout}
            keys = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf",
                                                                                   "sigma")
            row.update({k: float(res[k][i]) for k in keys})
            if method == "morris":  # elementary effects are in the readout's unit (Sobol' indices: none)
                row["unit"] = sub["unit"].iloc[0]
            rows.append(row)
    # what was analysed, in columns (a CSV keeps them) and in attrs
    settings = {k: table.attrs[k] for k in ("model", "context", "baseline", "background", "end", "time_unit")}
    settings.update(n=int(n), seed=int(seed))
    indices = pd.DataFrame(rows).assign(**settings)
    indices.attrs.update(settings, method=method, points=len(X), runs=len(unique),
                         resumed=table.attrs["resumed"])
    return indices


def _check_background(background: str | Sequence[str], varied: Sequence[str]) -> None:
    """Refuse a background that sets a parameter the sample varies: each sample's value would
    replace the background's. (Anything else about the background is checked by the screen.)"""
    if isinstance(background, str):
        background = [background] if background else []
    try:
        parts = [p for b in background for p in (parse_spec(b) if isinstance(b, str) else [b])]
    except (InputError, TypeError):
        return  # the screen names what is wrong with it
    for part in parts:
        if isinstance(part, SetValue) and part.target in varied:
            raise InputError(f"the background sets {part.target} ({condition_spec([part])}), which the "
                             f"sample varies: each sample's value would replace it. Vary {part.target} "
                             "alone, or leave its set: out of the background")


def describe(indices: pd.DataFrame) -> str:
    """What a table of :func:`sensitivity` analysed, as a phrase for a title: "Sobol' indices of
    bone (mouse) on ko:OPG, readouts at 84 days; 64 base samples, seed 1", from the columns of
    the table (``model``, ``context``, ``baseline``, ``background``, ``end``, ``time_unit``,
    ``n``, ``seed``; a table of an older version may lack some)."""
    kind = "Sobol' indices" if "ST" in indices.columns else "Morris elementary effects"
    settings = ("model", "context", "baseline", "background", "end", "time_unit", "n", "seed")
    model, context, baseline, background, end, time_unit, n, seed = (single_value(indices, c)
                                                                      for c in settings)
    text = kind
    if model is not None:
        text += f" of {model}" + (f" ({context})" if context is not None and str(context) else "")
    if baseline == "steady":
        text += " from its steady state"
    if background is not None and str(background):
        text += f" on {background}"
    if end is not None:
        shipped = model is not None and str(model) in model_names()
        word = get_model(str(model)).time_unit if shipped else time_unit or ""
        unit = f" {word}{'' if float(end) == 1 else 's'}" if word else ""
        text += f", readouts at {float(end):g}{unit}"
    if n is not None:
        text += f"; {int(n)} {'base samples' if 'ST' in indices.columns else 'trajectories'}"
        text += f", seed {int(seed)}" if seed is not None else ""
    return text
