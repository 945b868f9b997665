"""One-file HTML report, figures embedded as PNG, of a screen (knockouts and their pairs), a
dose-response series (``rankl-net dose-response --out``), a two-agent combination matrix or a
sensitivity table (:func:`rankl_net.sensitivity.sensitivity`, saved as CSV or Parquet)."""

from __future__ import annotations

import base64
import html
import json
import tempfile
from pathlib import Path

import pandas as pd

from .analysis import (
    check_table,
    combination_matrix,
    fit_notes,
    fit_summary,
    hill_fits,
    pair_matrix,
    pairwise_epistasis,
    round_off_to_zero,
    single_value,
    units_by_readout,
)
from .catalog import get_model, model_names
from .errors import InputError, as_path
from .plots import bar_figure, dose_response_figure, heatmap_figure, sensitivity_figure
from .sbml_files import is_sbml_file
from .screens import (
    MANIFEST,
    NEUTRAL_LEVEL,
    ParquetStore,
    anchored,
    dose_label,
    dose_of,
    is_screen_folder,
    readout_units,
    series_of,
)
from .units import is_percent_change


def read_results(path: Path) -> pd.DataFrame:
    """A screen's result table from a Parquet dataset folder or file, or a CSV file (``path``: a
    string or a :class:`pathlib.Path`)."""
    path = as_path(path, "results (a screen's folder, or its table saved as .csv or .parquet)")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    given = "give a screen folder, or a screen table written as .csv or .parquet"
    if path.is_dir() and not is_screen_folder(path):
        held = sorted(p for p in path.iterdir() if is_screen_folder(p))
        if held:  # a folder of results (results/), not one screen's
            named = ", ".join(map(str, held[:10])) + (", ..." if len(held) > 10 else "")
            raise InputError(f"{path} is a folder that holds results, not one screen's: give one screen "
                             f"folder in it ({named}), or a dose-response or sensitivity table by its name")
        # a Parquet dataset's folder holds Parquet files only (and files its writers name _ or .)
        other = sorted(p.name for p in path.iterdir() if p.suffix.lower() != ".parquet"
                       and not p.name.startswith(("_", ".")))
        if other and any(path.glob("*.parquet")):
            raise InputError(f"{path} is a folder of files ({', '.join(other[:5])}"
                             f"{', ...' if len(other) > 5 else ''}), not a screen's folder: give one "
                             "of its tables by its name")
    if path.is_dir() and not is_screen_folder(path) and not any(path.glob("*.parquet")):
        raise InputError(f"{path} is a folder without results: a screen's folder holds {MANIFEST} and "
                         f"part-*.parquet files; {given}")
    csv = path.suffix.lower() == ".csv"
    if path.is_file() and not csv and path.suffix.lower() != ".parquet":
        raise InputError(f"{path} is not a screen's results; {given}")
    try:
        if is_screen_folder(path):  # its part files only: other files in the folder are not results
            return ParquetStore(path).read()
        return pd.read_csv(path) if csv else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path} cannot be read as a {'CSV' if csv else 'Parquet'} table ({reason}); "
                         f"{given}") from None


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%">'


def model_of(results: Path, table: pd.DataFrame) -> str | None:
    """The model a result table comes from, as the screen named it: its ``model`` column (a
    dose-response table) or its screen folder's manifest; None when neither names one model."""
    if "model" in table.columns:
        names = table["model"].dropna().astype(str).unique()
        return str(names[0]) if len(names) == 1 else None
    name = _manifest_of(results).get("model")
    return name if isinstance(name, str) else None


def _screen_settings(results: Path, model: str, table: pd.DataFrame) -> str:
    """The context (a file's baseline) and the time of the readouts of a screen folder, from its
    manifest, or of a table with ``context`` (or a file's ``baseline``), ``end`` and
    ``time_unit`` columns (a dose-response table), as a
    phrase ("context mouse; readouts at 84 days"); "" for a table or folder that does not say."""
    held = _manifest_of(results)
    if not held:  # a table: a file's baseline in its own column (a manifest keeps it as the context)
        baseline = single_value(table, "baseline")
        held = {"context": baseline if baseline is not None else single_value(table, "context"),
                "end": single_value(table, "end"), "time_unit": single_value(table, "time_unit")}
    # (a shipped model this installation lacks is no file)
    is_file = "sbml_sha256" in held or is_sbml_file(model)
    context, end = held.get("context"), held.get("end")
    pieces = []
    if isinstance(context, str):
        pieces.append(f"baseline: the file's {context} state" if is_file else f"context {context}")
    if isinstance(end, int | float) and not isinstance(end, bool):
        if is_file and held.get("time_unit"):  # (a folder written since its time unit was recorded)
            unit = f" {held['time_unit']}{'' if end == 1 else 's'}"
        elif is_file:
            unit = " in the file's time unit"
        elif model in model_names():
            unit = f" {get_model(model).time_unit}{'' if end == 1 else 's'}"
        else:
            unit = ""
        pieces.append(f"readouts at {end:g}{unit}")
    return "; ".join(pieces)


def _manifest_of(results: Path) -> dict:
    """The manifest of a screen folder ({} for a file, or a folder without a readable one)."""
    try:
        held = json.loads((Path(results) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return held if isinstance(held, dict) else {}


def _units(table: pd.DataFrame, model: str | None) -> dict[str, str]:
    """The unit of each readout of a result table: its ``unit`` column, which tables carry
    since units were recorded (a CSV reads an empty unit back as missing: ""), else that of the
    readout in ``model`` (a model at hand; None: none)."""
    if "unit" in table.columns:
        return units_by_readout(table)
    return readout_units(model, list(dict.fromkeys(table["readout"])))


def _dose_response(table: pd.DataFrame, folder: Path, model: str | None) -> list[str]:
    """The Hill fits of a dose-response table (``rankl-net dose-response --out``: a ``level``
    column; its failed levels are left out of the fits and marked on the figure), its figure and
    its fits table; the units (and which readouts are percent changes, fitted above -100 %) are
    the table's, else ``model``'s (None: none)."""
    units = _units(table, model)
    series = sorted({series_of(p) for p in table["perturbation"]})
    perturb = series[0] if len(series) == 1 else ""
    if "dose" not in table.columns:  # a table written before doses were recorded
        table = table.assign(dose=dose_of(perturb, table["level"]) if perturb else table["level"])
    fits = hill_fits(table, anchored=anchored(perturb) if perturb else False,
                     changes=[r for r, u in units.items() if is_percent_change(u)])
    figure = dose_response_figure(table, fits, folder / "dose-response.png", title=" / ".join(series),
                                  dose_label=dose_label(model, perturb) if perturb else "dose",
                                  units=units)
    notes = [f"<li>{html.escape(line)}</li>" for line in fit_notes(fits)]
    return ["<h2>Dose-response and Hill fits</h2>", _img(figure),
            fit_summary(fits).to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep=""),
            *(["<ul>", *notes, "</ul>"] if notes else [])]


# heatmap scales span at least this either side of zero (1 % of the baseline; log2 fold change
# 0.01 is 0.7 %): differences at integration noise show as white
SHOWN_RANGE = 0.01


def _two_agent_levels(perturbations: pd.Series) -> tuple[str, str, tuple[float, float],
                                                        list[tuple[float, float]]] | None:
    """The two agents of a combination matrix (``inh:A=x+kd:B=y`` with the single agents at
    their levels), the level at which each is absent (:data:`NEUTRAL_LEVEL`) and each condition's
    (level of A, level of B), an agent left out at its absent level; None: not such a screen
    (an agent given twice in one condition, as in a loading dose, has no single level)."""
    agents: list[str] = []
    levels = []
    for spec in perturbations:
        level = {}
        for part in spec.split("+"):
            agent, sep, value = part.partition("=")
            if not sep or agent.partition(":")[0] not in NEUTRAL_LEVEL or agent in level:
                return None
            if agent not in agents:
                agents.append(agent)
            try:
                level[agent] = float(value)
            except ValueError:
                return None
        levels.append(level)
    if len(agents) != 2:
        return None
    # in the order a combination writes them (inh:P38=x+inh:CTSK=y), whatever the order of rows
    pair = next((list(lv) for lv in levels if len(lv) == 2), agents)
    a, b = pair
    absent = (NEUTRAL_LEVEL[a.partition(":")[0]], NEUTRAL_LEVEL[b.partition(":")[0]])
    return a, b, absent, [(lv.get(a, absent[0]), lv.get(b, absent[1])) for lv in levels]


def _not_a_matrix(perturbations: pd.Series) -> list[str]:
    """A note for a screen that combines perturbations at levels but is not a two-agent matrix
    the report can read (nothing for a screen of knockouts and their pairs)."""
    combined = [p for p in perturbations if "+" in p and "=" in p]
    if not combined:
        return []
    kinds = ", ".join(f"{k}: (absent at {v:g})" for k, v in NEUTRAL_LEVEL.items())
    return [f"<p>No Bliss analysis: the report reads dose matrices of two agents, each given once per "
            f"condition as {kinds}, with the single agents; this screen (for example "
            f"{html.escape(combined[0])}) is shown as its single perturbations, and as pairs where it "
            "has pairs.</p>"]


def _combinations(ok: pd.DataFrame, found: tuple, folder: Path) -> tuple[list[str], bool]:
    """Bliss excess heatmaps of a two-agent dose matrix (``found``: :func:`_two_agent_levels`),
    one per readout with a positive baseline (the effects are fractions of it, in the direction
    the readout moves), and its table of Bliss and HSA excess. Returns them and whether any
    readout was analysed (not when the screen holds no combination with both single agents)."""
    a, b, absent, levels = found
    level_of = dict(zip(ok["perturbation"], levels, strict=True))
    parts = ["<p>Effects are fractions of the readout without the agents (the background alone): "
             "1 - value / baseline for a readout the agents lower, value / baseline - 1 for one they "
             "raise. A Bliss or highest-single-agent excess above 0 means the combination acts more "
             "strongly than expected, in that direction.</p>"]
    tables, skipped = [], []
    for readout, sub in ok.groupby("readout", sort=False):
        baseline = float(sub["baseline_value"].iloc[0])
        if not baseline > 0:
            skipped.append(readout)
            continue
        values = dict(zip(sub["perturbation"].map(level_of), sub["value"], strict=True))
        # the combinations with both single agents (one may have failed, or not be in the screen)
        values = {(x, y): v for (x, y), v in values.items()
                  if x == absent[0] or y == absent[1] or {(x, absent[1]), (absent[0], y)} <= values.keys()}
        rows = combination_matrix(values, baseline, absent=absent)  # (its direction from the singles)
        if not len(rows):
            continue
        matrix = rows.pivot(index="level_a", columns="level_b", values="bliss_excess")
        matrix.index = [f"{a}={x:g}" for x in matrix.index]
        matrix.columns = [f"{b}={x:g}" for x in matrix.columns]
        parts += [f"<h2>{html.escape(readout)}: Bliss excess of {html.escape(a)} with {html.escape(b)}</h2>",
                  _img(heatmap_figure(matrix, folder / f"{readout}-bliss.png", title=readout,
                                      label="Bliss excess (fraction of baseline)", min_range=SHOWN_RANGE))]
        tables.append(rows.assign(readout=readout))
    note = ([f"<p>No Bliss analysis of {html.escape(', '.join(skipped))}: changes from a reference "
             "(zero without the agents), of which a fraction cannot be taken.</p>"] if skipped else [])
    if not tables:
        return note, False
    fractions = ["effect", "bliss_excess", "hsa_excess"]
    # a millionth of the baseline is integration round-off (an agent that leaves the readout as
    # it is), not an effect or a synergy: shown as 0
    shown = round_off_to_zero(pd.concat(tables)[["readout", "level_a", "level_b", *fractions]],
                              dict.fromkeys(fractions, 1.0))
    return [*parts, *note, "<h2>Combination effects (fractions of the baseline)</h2>",
            shown.rename(columns={"level_a": a, "level_b": b})
            .to_html(index=False, float_format=lambda x: f"{x:.3g}")], True


def _sensitivity(table: pd.DataFrame, folder: Path) -> list[str]:
    """The sensitivity indices of :func:`rankl_net.sensitivity.sensitivity`: what was analysed,
    the parameters' ranges, a figure of the indices per readout and the full table."""
    from .sensitivity import describe

    title = describe(table)
    parts = [f"<p>{html.escape(title)}</p>"]
    if {"low", "high"} <= set(table.columns):
        ranges = table.drop_duplicates("parameter")[["parameter", "low", "high"]]
        parts += ["<h2>Parameter ranges (model units, sampled uniformly)</h2>",
                  ranges.to_html(index=False, float_format=lambda x: f"{x:.4g}")]
    figure = sensitivity_figure(table, folder / "sensitivity.png", title=title)
    # a file's context is empty: None in a Parquet table, NaN read back from a CSV
    shown = table.assign(**{c: table[c].astype(object).where(table[c].notna(), "") for c in table.columns
                            if not pd.api.types.is_numeric_dtype(table[c])})
    return [*parts, "<h2>Indices by readout</h2>", _img(figure),
            "<h2>Indices</h2>", shown.to_html(index=False, float_format=lambda x: f"{x:.3g}", na_rep="")]


def _own_figure(results: Path, table: pd.DataFrame) -> str:
    """For a table of ``rankl-net phenotypes`` or ``validation`` given to report: where the figure
    of it is (those commands draw their own, beside the table); else nothing."""
    for command, columns in (("phenotypes", {"line", "phenotype", "agrees"}),
                             ("validation", {"predicted", "observed", "passed"})):
        if columns <= set(table.columns):
            return (f"; this is a table of rankl-net {command}, which draws its figure itself, beside the "
                    f"table ({Path(results).with_suffix('.png')})")
    return ""


def write_report(results: Path, out: Path) -> Path:
    """Write ``out`` (HTML), titled for what it reports: for a screen, the background, counts by
    status, per-readout figures of the knockout effects, pairwise heatmaps and epistasis when the
    screen holds pairs; for a dose-response table, the series with its Hill fits; for a
    two-agent dose matrix, its Bliss excess; for a sensitivity table, its indices. ``results``
    and ``out`` are paths (strings or :class:`pathlib.Path`): a table in Python is saved first
    (``table.to_csv(path)``)."""
    out = as_path(out, "out")
    table = read_results(results)
    if {"parameter", "readout"} <= set(table.columns) and ({"ST", "mu_star"} & set(table.columns)):
        with tempfile.TemporaryDirectory() as tmp:
            return _write_page(out, "Sensitivity report", results, _sensitivity(table, Path(tmp)))
    required = {"perturbation", "readout", "log2_fold_change", "status"}
    if {"experiment", "arm", "time"} <= set(table.columns):  # (rankl_net.regimens.run_experiment's)
        figure = Path(results).with_suffix(".png")
        raise InputError(f"{results} is the table of a regimen experiment (rankl-net regimens), drawn in its "
                         f"figure beside it, {figure}; report takes a screen's folder or table, a "
                         "dose-response table (dose-response --out) or a sensitivity table")
    if not required <= set(table.columns):
        raise InputError(f"{results}: not a table that report draws: a screen's (its folder, or its table "
                         f"with the columns {', '.join(sorted(required))}), a dose-response table (the same "
                         "columns; dose-response --out) or a sensitivity table (parameter, readout, ST or "
                         f"mu_star; sensitivity --out){_own_figure(results, table)}")
    # a folder's rows come in the order of its part files, which differ between a screen run in
    # one go and one interrupted and resumed: ordered by perturbation (each condition's readouts
    # keep their order), the same screen gives the same report, ties included
    table = table.sort_values("perturbation", kind="stable", ignore_index=True)
    background = set(table["background"].dropna().astype(str)) if "background" in table else set()
    model = model_of(results, table)
    # units and percent changes come from a model at hand (shipped, or the file here); a table from
    # elsewhere may name one this installation does not have
    known = model if model is not None and (model in model_names() or is_sbml_file(model)
                                            and Path(model).is_file()) else None
    settings = _screen_settings(results, model, table) if model else ""
    parts = [*([f"<p>Model: {html.escape(model)}{'; ' + html.escape(settings) if settings else ''}</p>"]
               if model else []),
             *([f"<p><b>This screen has not finished</b> (it was interrupted, or is still running): the "
                f"report shows the {table['condition_id'].nunique()} conditions written so far. Run the "
                "same screen command with --resume to finish it.</p>"]
               if _manifest_of(results).get("finished") is False else []),
             *[f"<p>Background, in every condition and in the baseline: {html.escape(b)}</p>"
               for b in sorted(background - {""})],
             "<h2>Summary</h2>", table.groupby(["readout", "status"]).size().rename("conditions")
             .reset_index().to_html(index=False)]
    failed = table[table["status"] != "ok"]
    if len(failed):
        parts += ["<h2>Failed conditions</h2>",
                  failed[[c for c in ("perturbation", "message") if c in failed]].drop_duplicates()
                  .to_html(index=False)]
    ok = table[table["status"] == "ok"]
    dose = "level" in ok.columns
    with tempfile.TemporaryDirectory() as tmp:
        if dose and len(ok):
            parts += _dose_response(table, Path(tmp), known)
        matrix = None if dose or not len(ok) else _two_agent_levels(ok["perturbation"])
        analysed = False
        if matrix is not None:
            check_table(ok, ["value", "baseline_value"], "a table of a two-agent dose matrix")
            combination, analysed = _combinations(ok, matrix, Path(tmp))
            parts += combination
        elif not dose:
            parts += _not_a_matrix(ok["perturbation"])
        versus = "background" if background - {""} else "baseline"
        for readout, sub in ([] if dose or analysed else ok.groupby("readout", sort=False)):
            column, label = "log2_fold_change", "log2 fold change"
            if sub[column].isna().all() and {"value", "baseline_value"} <= set(sub.columns):
                # no fold change (a baseline at zero, as a percent change in an SBML file): the change
                unit = _units(sub, known).get(readout, "")
                sub = sub.assign(change=sub["value"] - sub["baseline_value"])
                column, label = "change", f"change{f' ({unit})' if unit else ''}"
            singles = sub[~sub["perturbation"].str.contains(r"\+")]
            if len(singles):
                s = singles.set_index("perturbation")[column].sort_values(kind="stable")
                parts += [f"<h2>{html.escape(readout)}: single perturbations</h2>",
                          _img(bar_figure(s, Path(tmp) / f"{readout}-single.png", title=readout,
                                          label=f"{label} vs {versus}"))]
            if (sub["perturbation"].str.count(r"\+") == 1).any():
                m = pair_matrix(sub, readout, value=column, sort=True)
                diagonal = "; singles on the diagonal" if len(singles) else ""
                title = f"{html.escape(readout)}: pairs ({label}{diagonal})"
                parts += [f"<h2>{title}</h2>",
                          _img(heatmap_figure(m, Path(tmp) / f"{readout}-pairs.png", title=readout,
                                              label=label, min_range=SHOWN_RANGE))]
        # a dose matrix has its Bliss and HSA excess instead
        epi = pairwise_epistasis(table).dropna(subset=["epistasis"]) if not analysed else pd.DataFrame()
        if len(epi):
            parts += ["<h2>Strongest epistasis</h2>",
                      epi.reindex(epi["epistasis"].abs().sort_values(ascending=False, kind="stable").index)
                      .head(20).to_html(index=False, float_format=lambda x: f"{x:.3g}")]
        elif not dose and not analysed and _pairs_without_singles(ok["perturbation"]):
            parts.append("<p>No epistasis scores: they compare each pair with its two single perturbations, "
                         "which this screen does not hold (add them to its conditions; with "
                         "<code>--knockouts</code>, run it with <code>--pairs --singles</code>).</p>")
        # titled for what it shows: a dose-response series, a two-agent matrix or a screen
        kind = "Dose-response report" if dose else "Combination report" if analysed else "Screen report"
        return _write_page(out, kind, results, parts)


def _pairs_without_singles(perturbations: pd.Series) -> bool:
    """Whether the screen holds pairs (``A+B``) but not the single perturbations of any of them."""
    names = set(perturbations)
    pairs = [p.split("+") for p in names if p.count("+") == 1]
    return bool(pairs) and not any(a in names and b in names for a, b in pairs)


def _write_page(out: Path, kind: str, results: Path, parts: list[str]) -> Path:
    """Write the page, headed "``kind``: ``results``"; a write that fails names ``out``."""
    out = Path(out)
    heading = f"{kind}: {results}"
    page = (f"<!doctype html><meta charset='utf-8'><title>rankl-net {kind.lower()}</title>"
            "<body style='font-family:sans-serif;max-width:1100px;margin:auto'>"
            f"<h1>{html.escape(heading)}</h1>\n" + "\n".join(parts) + "</body>")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None  # a full disk names no file
    return out
