"""One-file HTML report of a screen: summary table and figures embedded as PNG."""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path

import pandas as pd

from .analysis import fit_hill, pair_matrix, pairwise_epistasis
from .errors import InputError
from .plots import bar_figure, dose_response_figure, heatmap_figure
from .screens import level_label


def read_results(path: Path) -> pd.DataFrame:
    """A screen's result table from a Parquet dataset folder or file, or a CSV file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    try:
        return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"{path}: cannot read a screen table: {exc}") from None


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%">'


def _dose_response(ok: pd.DataFrame, folder: Path) -> list[str]:
    """The Hill fits of a dose-response table (``rankl-net dose-response --out``: a ``level``
    column), its figure and its fits table."""
    fits = pd.DataFrame([{"readout": r, **fit_hill(sub["level"], sub["value"])}
                         for r, sub in ok.groupby("readout", sort=False)])
    series = sorted({p.partition("=")[0] for p in ok["perturbation"]})
    label = level_label(None, series[0]) if len(series) == 1 else "level"
    figure = dose_response_figure(ok, fits, folder / "dose-response.png", title=" / ".join(series),
                                  level_label=label)
    shown = fits[["readout", "ic50", "ic50_lo", "ic50_hi", "hill", "emax", "emax_scale", "rms"]]
    return ["<h2>Dose-response and Hill fits</h2>", _img(figure),
            shown.to_html(index=False, float_format=lambda x: f"{x:.4g}")]


def write_report(results: Path, out: Path) -> Path:
    """Write ``out`` (HTML): counts by status, per-readout figures of the knockout effects,
    pairwise heatmaps and epistasis when the screen holds pairs; for a dose-response table, the
    series with its Hill fits."""
    table = read_results(results)
    required = {"perturbation", "readout", "log2_fold_change", "status"}
    if not required <= set(table.columns):
        raise InputError(f"{results}: not a rankl-net screen table (needs columns {sorted(required)})")
    parts = [f"<h1>Screen report: {html.escape(str(results))}</h1>",
             "<h2>Summary</h2>", table.groupby(["readout", "status"]).size().rename("conditions")
             .reset_index().to_html(index=False)]
    failed = table[table["status"] != "ok"]
    if len(failed):
        parts += ["<h2>Failed conditions</h2>",
                  failed[["perturbation", "message"]].drop_duplicates().to_html(index=False)]
    ok = table[table["status"] == "ok"]
    dose = "level" in ok.columns
    with tempfile.TemporaryDirectory() as tmp:
        if dose and len(ok):
            parts += _dose_response(ok, Path(tmp))
        for readout, sub in ([] if dose else ok.groupby("readout", sort=False)):
            singles = sub[~sub["perturbation"].str.contains(r"\+")]
            if len(singles):
                s = singles.set_index("perturbation")["log2_fold_change"].sort_values()
                parts += [f"<h2>{html.escape(readout)}: single perturbations</h2>",
                          _img(bar_figure(s, Path(tmp) / f"{readout}-single.png", title=readout,
                                          label="log2 fold change vs background"))]
            if (sub["perturbation"].str.count(r"\+") == 1).any():
                m = pair_matrix(sub, readout)
                title = f"{html.escape(readout)}: pairs (log2 fold change; singles on the diagonal)"
                parts += [f"<h2>{title}</h2>",
                          _img(heatmap_figure(m, Path(tmp) / f"{readout}-pairs.png", title=readout,
                                              label="log2 fold change"))]
        epi = pairwise_epistasis(table)
        if len(epi):
            parts += ["<h2>Strongest epistasis</h2>",
                      epi.reindex(epi["epistasis"].abs().sort_values(ascending=False).index)
                      .head(20).to_html(index=False, float_format=lambda x: f"{x:.3g}")]
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("<!doctype html><meta charset='utf-8'><title>rankl-net screen report</title>"
                       "<body style='font-family:sans-serif;max-width:1100px;margin:auto'>"
                       + "\n".join(parts) + "</body>", encoding="utf-8")
    return out
