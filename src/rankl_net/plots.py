"""Figures for the command line and the docs (matplotlib, non-interactive backend)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .analysis import round_off_floor, units_by_readout  # noqa: E402
from .experiments import AGE_DAYS, OC_ABSENT, OC_INCREASED, OSTEOPETROTIC_BV, OSTEOPOROTIC_BV  # noqa: E402
from .regimens import REGIMEN_MODEL  # noqa: E402
from .screens import readout_units  # noqa: E402
from .validation import fact_units  # noqa: E402

DPI = 110  # of the figures saved, unless one says otherwise


def _save(fig, path: Path, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix: .png, .pdf, .svg; creating its folder)
    and release it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def phenotype_figure(table: pd.DataFrame, path: Path, age_days: float = AGE_DAYS) -> Path:
    """Bar charts of bone volume and osteoclast number (percent of wild type) per genetic line.

    Bars of lines that agree with the literature are filled; disagreeing lines are hatched red.
    Each panel's axis label names its vertical lines: wild type (100 %) and the thresholds that
    classify a line. ``age_days``: the time the lines ran (days), named in the title.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(table) + 2.4), sharey=True)
    y = range(len(table))
    colours = ["#4477aa" if ok else "#cc3311" for ok in table["agrees"]]
    for ax, col, title, lines in (
        (axes[0], "bone_volume_pct_wt", "bone volume (% of wild type)",
         ((OSTEOPOROTIC_BV, "osteoporotic"), (OSTEOPETROTIC_BV, "osteopetrotic"))),
        (axes[1], "osteoclasts_pct_wt", "osteoclasts (% of wild type)",
         ((OC_ABSENT, "absent"), (OC_INCREASED, "increased"))),
    ):
        ax.barh(list(y), table[col], color=colours, hatch=["" if ok else "//" for ok in table["agrees"]])
        ax.axvline(100, color="black", lw=0.8)
        (low, low_name), (high, high_name) = lines
        for x in (low, high):
            ax.axvline(x, color="grey", lw=0.8, ls="--")
        low_sign, high_sign = ("<=", ">=") if col.startswith("bone") else ("<", ">")
        ax.set_xlabel(f"{title}\nsolid line: wild type, 100 %\ndashed lines: {low_name} {low_sign} {low:g} %,"
                      f"\n{high_name} {high_sign} {high:g} %", fontsize=9)
    axes[0].set_yticks(
        list(y), [f"{ln}  [{p}]" for ln, p in zip(table["line"], table["perturbation"], strict=True)]
    )
    axes[0].invert_yaxis()
    fig.suptitle(f"Mouse genetic lines vs wild type, {age_days:g} days ({age_days / 7:g} weeks) after the "
                 "perturbation\n(blue: agrees with the literature; hatched red: disagrees)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path, dpi=120)


def time_course_figure(frame: pd.DataFrame, path: Path, *, title: str, time_unit: str,
                       units: Mapping[str, str] | None = None, reference: pd.DataFrame | None = None,
                       label: str = "") -> Path:
    """One small panel per readout of a simulated time course; ``units``: the unit of each
    readout for its y axis (:func:`rankl_net.units.labels`). ``reference``: the same readouts
    without the perturbation (the wild type), drawn grey and dashed behind ``frame``, which is
    labelled ``label`` in the first panel's legend."""
    cols = [c for c in frame.columns if c != "time"]
    n = len(cols)
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    # constrained layout leaves room for the figure title above any number of rows
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.8 * nrow), squeeze=False, layout="constrained")
    for ax, col in zip(axes.flat, cols, strict=False):
        drawn = [frame[col]]
        if reference is not None:
            ax.plot(reference["time"], reference[col], lw=1.2, ls="--", color="0.55",
                    label="without perturbation")
            drawn.append(reference[col])
        ax.plot(frame["time"], frame[col], lw=1.5, color="C0", label=label or None)
        ax.set_title(col, fontsize=10)
        ax.set_xlabel(f"time ({time_unit})")
        _unit_axis(ax, col, units)
        value_axis(ax, pd.concat(drawn, ignore_index=True), round_off_floor((units or {}).get(col)))
    if reference is not None:
        axes.flat[0].legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title)
    return _save(fig, path)


def _unit_axis(ax, readout: str, units: Mapping[str, str] | None) -> None:
    """Label the y axis with the readout's unit, where it is known."""
    if units and units.get(readout):
        ax.set_ylabel(units[readout])


# line styles of the arms or conditions of a figure, with their colours: an arm that draws the
# same curve as another (a loading dose that changes no marker) stays visible over it
LINE_STYLES = ("-", "--", ":", "-.")


def line_style(i: int) -> dict:
    """Colour and line style of the ``i``-th line of a panel (from 0): colours cycle through
    matplotlib's ten, styles through :data:`LINE_STYLES`, so no two of the first 20 share both."""
    return {"color": f"C{i % 10}", "linestyle": LINE_STYLES[i % len(LINE_STYLES)]}


def value_axis(ax, values, floor: float = 0.0) -> bool:
    """Make the y axis of a panel read as values: tick labels without matplotlib's offset (a
    ``1e-8+1e2`` above the axis, over the panel's title), and a panel whose ``values`` (every
    value drawn in it, NaN left out) vary by at most :data:`~rankl_net.analysis.FLAT_RESPONSE`
    of their size, or of ``floor`` where that is larger (:func:`round_off_floor`), drawn flat:
    the axis spans 5 % of the value either side (of ``floor`` where the value is smaller; 1 about
    a value of 0 with a floor below 1, or none), so that integration round-off shows no slope.
    Returns whether the panel is flat."""
    from .analysis import FLAT_RESPONSE, is_flat

    ax.ticklabel_format(axis="y", useOffset=False)
    y = np.asarray(values, float).ravel()
    y = y[np.isfinite(y)]
    if not len(y) or not is_flat(y, floor=floor):
        return False
    centre = (float(y.max()) + float(y.min())) / 2
    if abs(centre) <= FLAT_RESPONSE * floor:
        centre = 0.0  # round-off about zero, such as CTX at -2e-7 % at baseline
    # about zero, a floor below 1 (a concentration's molecule) sets no scale: -1 to 1, as at 0 exactly
    half = 0.05 * max(abs(centre), floor) if abs(centre) > 0 or floor >= 1 else 1.0
    ax.set_ylim(centre - half, centre + half)
    return True


# dose-response panels per row of a figure
PANELS_PER_ROW = 4


def dose_response_figure(table: pd.DataFrame, fits: pd.DataFrame, path: Path, *, title: str,
                         units: Mapping[str, str] | None = None, dose_label: str = "dose") -> Path:
    """Dose-response points with their Hill fits, one panel per readout, at most
    ``PANELS_PER_ROW`` to a row, against the table's ``dose`` (or else ``level``) column
    (``units``: as for :func:`time_course_figure`; ``dose_label``: what the doses measure, for
    the x axis, :func:`rankl_net.screens.dose_label`)."""
    from .analysis import hill

    readouts = list(dict.fromkeys(table["readout"]))
    dose = "dose" if "dose" in table.columns else "level"
    columns = min(len(readouts), PANELS_PER_ROW)
    rows = -(-len(readouts) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[len(readouts):]:
        ax.set_visible(False)
    for ax, r in zip(axes.flat, readouts, strict=False):
        sub = table[table["readout"] == r]
        ax.plot(sub[dose], sub["value"], "o", ms=4, label="simulated")
        fit = fits.set_index("readout").loc[r]
        fractional = fit.get("emax_scale", "fraction") == "fraction"
        # a flat response: an axis zoomed to its integration noise would show a slope (the size
        # of a change from a reference, about 0, is at least 1 in its unit, as is_flat takes it)
        value_axis(ax, sub["value"], 0.0 if fractional else 1.0)
        positive = sub.loc[sub[dose] > 0, dose]
        log_axis = bool(len(positive)) and positive.max() / positive.min() > 100
        if np.isfinite(fit["ic50"]):
            x = np.linspace(sub[dose].min(), sub[dose].max(), 200)
            if log_axis:  # evenly spaced on the log part of the axis, where the curve bends
                x = np.union1d(x, np.geomspace(positive.min(), positive.max(), 200))
            curve = hill(x, fit["baseline"], fit["emax"], fit["ic50"], fit["hill"],
                         fractional=fractional)
            # an ambiguous fit (IC50 or n at the edge of its range) is drawn dashed, its numbers
            # not given: the series does not fix them
            ambiguous = fit.get("quality", "ok") == "ambiguous"
            ax.plot(x, curve, "--" if ambiguous else "-", lw=1.2,
                    label="Hill fit (ambiguous)" if ambiguous
                    else f"Hill fit: IC50 {fit['ic50']:.3g}, n {fit['hill']:.2g}")
        failed = sub[sub["status"] != "ok"] if "status" in sub.columns else sub.iloc[:0]
        if len(failed):  # doses without a value: marked on the axis, not left out unseen
            ax.plot(failed[dose], np.full(len(failed), 0.03), "x", color="C3", ms=6, clip_on=False,
                    transform=ax.get_xaxis_transform(), label="simulation failed")
        if log_axis:
            ax.set_xscale("symlog", linthresh=float(positive.min()))
        ax.set_title(r, fontsize=10)
        ax.set_xlabel(dose_label)
        _unit_axis(ax, r, units)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


# a heatmap's cell without a value: grey, apart from the white of zero on the diverging scale
MISSING_COLOUR = "#b0b0b0"


def _infinity(value: float) -> str:
    """The mark of an infinite value (a log2 fold change of a readout taken to zero)."""
    return "\u2212\u221e" if value < 0 else "+\u221e"


def heatmap_figure(matrix: pd.DataFrame, path: Path, *, title: str, label: str,
                   min_range: float = 0.0) -> Path:
    """A heatmap on a diverging scale centred at zero (e.g. pairwise-knockout log2 fold change,
    epistasis, Bliss excess); the scale spans at least ``min_range`` either side, so that
    values at integration noise show as white, not as full colour. A cell without a value (a
    pair not run, a failed condition) is grey (``MISSING_COLOUR``), not the white of zero."""
    fig, ax = plt.subplots(figsize=(0.42 * len(matrix.columns) + 2.5, 0.42 * len(matrix) + 1.8),
                           layout="constrained")
    # twice the default pads: a long label's glyphs run a few pixels past its measured extent
    fig.get_layout_engine().set(w_pad=6 / 72, h_pad=6 / 72)
    values = matrix.to_numpy(float)
    finite = np.isfinite(values)
    lim = max(np.abs(values[finite]).max() if finite.any() else 1.0, min_range)
    # an infinite log2 fold change (a readout taken to zero) takes the end of the scale
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad=MISSING_COLOUR)
    im = ax.imshow(np.clip(values, -lim, lim), cmap=cmap, vmin=-lim, vmax=lim)
    for i, j in np.argwhere(np.isinf(values)):  # marked, to tell them from the largest finite values
        ax.text(j, i, _infinity(values[i, j]), ha="center", va="center",
                fontsize=7, color="white")
    ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=90, fontsize=8)
    ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
    fig.colorbar(im, ax=ax, label=label, shrink=0.8)
    ax.set_title(title, fontsize=10)
    _grow_to_fit(fig, DPI)
    return _save(fig, path, DPI)


def _grow_to_fit(fig, dpi: int, tries: int = 4) -> None:
    """Enlarge ``fig`` (laid out as constrained) until all it draws at ``dpi`` (that it is saved
    at: the layout moves with it) lies inside it: the size of a heatmap follows its number of
    cells, and long tick labels read down (``inh:CTSK=0.3``) or a colour bar's label longer than
    a few cells are tall would be cut off at its edges."""
    fig.set_dpi(dpi)
    for _ in range(tries):
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # in inches
        width, height = fig.get_size_inches()
        over_x = max(0.0, -box.x0) + max(0.0, box.x1 - width)
        over_y = max(0.0, -box.y0) + max(0.0, box.y1 - height)
        if over_x <= 0.01 and over_y <= 0.01:
            return
        # the margin: the constrained layout's own pads, which a figure grown by the overflow alone
        # would leave out
        fig.set_size_inches(width + over_x + 0.1 * (over_x > 0.01), height + over_y + 0.1 * (over_y > 0.01))


def bar_figure(series: pd.Series, path: Path, *, title: str, label: str,
               errors: pd.Series | None = None) -> Path:
    """Horizontal bars of one value per condition; an infinite value (a log2 fold change of a
    readout taken to zero) is a hatched bar past the largest finite one, marked with its sign.
    ``errors``: the half-width of each value's interval (by the same index), drawn as error
    bars (a sensitivity index's 95 % confidence interval)."""
    fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(series) + 1.4))
    values = series.to_numpy(float)
    infinite = np.isinf(values)
    finite = np.abs(values[np.isfinite(values)])
    if errors is not None:
        half = errors.reindex(series.index).to_numpy(float)
        finite = np.abs(np.concatenate([finite, (np.abs(values) + np.nan_to_num(half))[np.isfinite(values)]]))
    reach = 1.15 * (finite.max() if finite.size and finite.max() > 0 else 1.0)
    drawn = np.where(infinite, np.sign(values) * reach, values)
    bars = ax.barh(range(len(series)), drawn, color="#4477aa",
                   xerr=None if errors is None else np.where(infinite, np.nan, half),
                   error_kw={"ecolor": "black", "capsize": 3, "lw": 0.8})
    for i in np.flatnonzero(infinite):
        bars[i].set_hatch("//")
        bars[i].set_facecolor("white")
        bars[i].set_edgecolor("#4477aa")
        ax.annotate(_infinity(values[i]), (np.sign(values[i]) * reach, i),
                    ha="right" if values[i] < 0 else "left", va="center", fontsize=8)
    if infinite.any():
        ax.margins(x=0.08)  # room for the marks
    ax.set_yticks(range(len(series)), series.index, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(label)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


# the indices a sensitivity figure draws, top bar first: (column, legend label, colour); the
# first ranks the parameters
SOBOL_BARS = (("ST", "total order ST", "#4477aa"), ("S1", "first order S1", "#99bbdd"))
MORRIS_BARS = (("mu_star", "mu*", "#4477aa"), ("sigma", "sigma", "#99bbdd"))


def sensitivity_figure(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Sensitivity indices (:func:`rankl_net.sensitivity.sensitivity`), one panel per readout, at
    most ``PANELS_PER_ROW`` to a row: for Sobol', each parameter's first- and total-order indices
    (fractions of the readout's variance); for Morris, its mu* and sigma in the readout's unit
    per parameter range (SALib's effects are of a range scaled to 0..1)
    (the table's ``unit`` column). Parameters are ranked by ST or mu*; error bars are SALib's
    95 % intervals (``*_conf``) where the table has them."""
    sobol = "ST" in table.columns
    bars = SOBOL_BARS if sobol else MORRIS_BARS
    readouts = list(dict.fromkeys(table["readout"]))
    n_parameters = table["parameter"].nunique()
    columns = min(len(readouts), PANELS_PER_ROW)
    rows = -(-len(readouts) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.8 * columns, (0.45 * n_parameters + 1.3) * rows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat[len(readouts):]:
        ax.set_visible(False)
    height = 0.8 / len(bars)
    # Morris's effects are in each readout's unit (Sobol' indices are fractions)
    units = units_by_readout(table) if not sobol and "unit" in table.columns else {}
    for ax, readout in zip(axes.flat, readouts, strict=False):
        sub = table[table["readout"] == readout].set_index("parameter")
        sub = sub.sort_values(bars[0][0], ascending=False, kind="stable")
        y = np.arange(len(sub))
        for k, (column, label, colour) in enumerate(bars):
            conf = sub.get(f"{column}_conf")
            ax.barh(y + (k - (len(bars) - 1) / 2) * height, sub[column], height=height, color=colour,
                    label=label, xerr=None if conf is None else conf.to_numpy(float),
                    error_kw={"ecolor": "black", "capsize": 2, "lw": 0.7})
        ax.set_yticks(y, sub.index, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.8)
        unit = units.get(readout, "")
        # (SALib scales each range to 0..1: an effect is the readout's change across a whole range)
        label = ("fraction of the variance" if sobol
                 else f"elementary effect ({unit or 'readout units'} per range)")
        ax.set_xlabel(label, fontsize=9)
        ax.set_title(readout, fontsize=10)
    axes.flat[0].legend(fontsize=8, loc="lower right")
    # wrapped to the figure's width (about 11 characters an inch at 10 points): one panel is narrow
    fig.suptitle(textwrap.fill(title, int(11 * fig.get_figwidth())), fontsize=10)
    return _save(fig, path)


def comparison_figure(courses: pd.DataFrame, readouts: list[str], path: Path, *, title: str,
                      time_unit: str, units: Mapping[str, str] | None = None) -> Path:
    """Time courses of a comparison experiment: one panel per readout, one line per condition,
    each in its colour and line style (:func:`line_style`).

    ``courses`` is the tidy table of :func:`rankl_net.comparisons.run_comparison` (condition,
    time, readout, value); ``units`` as for :func:`time_course_figure`.
    """
    n = len(readouts)
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol, 2.9 * nrow + 0.6), squeeze=False)
    labels = list(dict.fromkeys(courses["condition"]))
    for ax, readout in zip(axes.flat, readouts, strict=False):
        sub = courses[courses["readout"] == readout]
        for i, label in enumerate(labels):
            line = sub[sub["condition"] == label]
            ax.plot(line["time"], line["value"], lw=1.5, label=label, **line_style(i))
        ax.set_title(readout, fontsize=10)
        ax.set_xlabel(f"time ({time_unit})")
        _unit_axis(ax, readout, units)
        value_axis(ax, sub["value"], round_off_floor((units or {}).get(readout)))
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06 + 0.02 * ((len(labels) - 1) // 4), 1, 1))
    return _save(fig, path)


SERUM_SHOWN = 1e-6  # µg/mL (1 pg/mL): below it a drug counts as not dosed in the arm
# the marker panels of a regimen figure: column and name (the unit comes from the model)
REGIMEN_PANELS = (
    ("ctx", "serum CTX"),
    ("p1np", "P1NP"),
    ("bmd_lumbar_spine", "lumbar spine BMD"),
)


# the marker of each drug an experiment doses, in the order of its serum columns: the drugs of one
# arm share the arm's colour and line style
DRUG_MARKERS = ("", "o", "s", "^", "D", "v")


def regimen_figure(table: pd.DataFrame, title: str, path: Path) -> Path:
    """Serum drug concentrations, turnover markers and bone density over time, one line per arm,
    each arm in its colour and line style (:func:`line_style`), so that arms with the same curve
    stay visible.

    The first panel shows, on a log axis, the serum concentration (µg/mL) of every drug an arm
    doses (the ``*_serum`` columns that exceed ``SERUM_SHOWN`` in that arm), each drug with its
    marker (:data:`DRUG_MARKERS`), so that two drugs of one arm are told apart.
    """
    fig, axes = plt.subplots(1, 1 + len(REGIMEN_PANELS), figsize=(4 * (1 + len(REGIMEN_PANELS)), 3.4))
    serum_columns = [c for c in table.columns if c.endswith("_serum")]
    # each drug of the experiment its marker (none for the first): an arm's drugs share its style
    dosed = [c for c in serum_columns if table[c].max() > SERUM_SHOWN]
    markers = {c: DRUG_MARKERS[k % len(DRUG_MARKERS)] for k, c in enumerate(dosed)}
    peak = 0.0
    for i, (arm, part) in enumerate(table.groupby("arm", sort=False)):
        style = line_style(i)  # arms with the same curve (a loading dose that moves no marker) stay visible
        for col in serum_columns:
            if part[col].max() > SERUM_SHOWN:
                peak = max(peak, float(part[col].max()))
                drug = col.removesuffix("_serum")
                axes[0].plot(part["time"], part[col], label=arm if arm == drug else f"{arm}: {drug}",
                             marker=markers[col], markevery=0.08, markersize=4, **style)
        for ax, (col, _) in zip(axes[1:], REGIMEN_PANELS, strict=True):
            ax.plot(part["time"], part[col], label=arm, **style)
    axes[0].set_ylabel("serum drug (µg/mL)")
    if peak > 0:
        axes[0].set_yscale("log")
        axes[0].set_ylim(peak * 1e-4, peak * 2)
        axes[0].legend(fontsize=7)
    units = readout_units(REGIMEN_MODEL, [col for col, _ in REGIMEN_PANELS])
    for ax, (col, name) in zip(axes[1:], REGIMEN_PANELS, strict=True):
        ax.set_ylabel(f"{name} ({units[col]})" if units[col] else name)
        value_axis(ax, table[col], round_off_floor(units[col]))
    for ax in axes:
        ax.set_xlabel("time (day)")
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def validation_figure(table: pd.DataFrame, path: Path, model: str = "clinical") -> Path:
    """Predicted vs observed for every clinical fact, with the tolerance as an error bar; each
    row's name gives its unit (the table's ``unit`` column; for a table without one,
    :func:`rankl_net.validation.fact_units` in ``model``), as the rows share one axis."""
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(table) + 1.2))
    y = list(range(len(table)))[::-1]
    ax.errorbar(table["observed"], y, xerr=table["tolerance"], fmt="o", color="black", ms=4,
                label="observed ± tolerance", capsize=3)
    colours = ["#4477aa" if ok else "#cc3311" for ok in table["passed"]]
    ax.scatter(table["predicted"], y, marker="D", color=colours, zorder=3, label="predicted")
    ax.set_yticks(y)
    units = table["unit"].fillna("") if "unit" in table.columns else fact_units(table, model)
    names = [f"{name} ({unit})" if unit else name
             for name, unit in zip(table["id"], units, strict=True)]
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel("value, in the unit after each row's name")
    # above the axes: inside them it would hide a row
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return _save(fig, path)
