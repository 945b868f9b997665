"""Figures read as the values they draw (rankl_net.plots): integration round-off is drawn flat,
tick labels carry no offset, and lines that coincide stay visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rankl_net import plots

TIME = np.linspace(0.0, 84.0, 50)
# a wild-type run: nothing changes but the integration's round-off
ROUND_OFF = {
    "bone_volume": 100.0 + 3.3e-8 * TIME / 84,   # % of baseline, on a 1e-8+1e2 offset axis
    "resorption": 0.5522182755 + 4e-11 * TIME,   # %/day, on a 1e-11+5.52e-1 offset axis
    "ctx": -2.2e-7 + 2e-8 * TIME / 84,           # % change, round-off about 0
    "osteoclasts": 1.840727587e-3 * (1 + 1e-13 * np.sin(TIME)),  # pM
}
UNITS = {"bone_volume": "%", "resorption": "%/day", "ctx": "% change", "osteoclasts": "pM", "trend": "pM"}
# the flat axes: 5 % of the value either side, at least 0.05 for a percent (0.05 % about 0 %
# change)
FLAT_LIMITS = {"bone_volume": (95.0, 105.0), "resorption": (0.5522182755 - 0.05, 0.5522182755 + 0.05),
               "ctx": (-0.05, 0.05), "osteoclasts": (1.840727587e-3 * 0.95, 1.840727587e-3 * 1.05)}


@pytest.fixture
def figures(monkeypatch):
    """The figures the plotting functions make, drawn (as saving would), not written."""
    made = []

    def keep(fig, path, dpi=110):
        fig.canvas.draw()
        made.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return made


def _check_flat(ax, readout):
    assert ax.get_ylim() == pytest.approx(FLAT_LIMITS[readout], rel=1e-6, abs=1e-9), readout
    assert ax.yaxis.get_offset_text().get_text() == "", readout  # no 1e-8+1e2 over the title


def test_round_off_is_drawn_flat_with_tick_labels_as_values(figures, tmp_path):
    frame = pd.DataFrame({"time": TIME, **ROUND_OFF, "trend": 1e-3 * (1 + TIME / 84)})
    plots.time_course_figure(frame, tmp_path / "t.png", title="t", time_unit="day", units=UNITS)
    axes = {ax.get_title(): ax for ax in figures[0].axes if ax.get_title()}
    for readout in ROUND_OFF:
        _check_flat(axes[readout], readout)
    low, high = axes["trend"].get_ylim()  # a trend keeps its autoscaled axis
    assert low < 1.05e-3 and high > 1.95e-3 and high - low < 1.5e-3
    labels = [t.get_text() for t in axes["bone_volume"].get_yticklabels()]
    assert "100" in labels  # a value, not an offset from one


def test_a_panel_flat_in_its_unit_only_near_zero_follows_the_unit():
    """A concentration of 1e-9 pM that doubles is a trend; a percent change of 1e-9 % is
    round-off, as is a dimensionless index at 1e-10."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    rising = 1e-9 * (1 + TIME / 84)
    assert not plots.value_axis(ax, rising, plots.round_off_floor("pM"))
    assert plots.value_axis(ax, rising, plots.round_off_floor("% change"))
    assert ax.get_ylim() == pytest.approx((-0.05, 0.05))
    assert plots.value_axis(ax, 6e-10 - 2e-12 * TIME, plots.round_off_floor("dimensionless"))
    assert plots.value_axis(ax, np.zeros(5), plots.round_off_floor(""))  # exactly 0: -1 to 1
    assert ax.get_ylim() == pytest.approx((-1.0, 1.0))
    assert not plots.value_axis(ax, [np.nan, np.nan])
    plt.close(fig)


@pytest.mark.parametrize("unit", ["pM", "nM"])
def test_a_concentration_below_one_molecule_per_litre_is_drawn_flat_at_zero(unit):
    """BMP-2 of a lesion with no osteoblastic tumour falls from 1e-28 pM to 1e-300 pM: far below
    one molecule per litre (1 / 6.022e23 M = 1.66e-12 pM), no concentration at all; drawn as a
    fall to 0 it reads as a loss of BMP-2. Drawn flat at 0, as a concentration of exactly 0 is."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plots.value_axis(ax, [9.8e-29, -1.6e-196, -3e-319, 0.0], plots.round_off_floor(unit))
    assert ax.get_ylim() == pytest.approx((-1.0, 1.0))
    # a millionth of a picomolar is about 600,000 molecules per litre: a concentration
    assert not plots.value_axis(ax, 1e-6 * (1 + TIME / 84), plots.round_off_floor("pM"))
    plt.close(fig)


def test_comparison_and_regimen_figures_draw_round_off_flat(figures, tmp_path):
    courses = pd.concat([pd.DataFrame({"condition": c, "time": TIME, "readout": r, "value": y})
                         for c in ("a", "b") for r, y in ROUND_OFF.items()])
    plots.comparison_figure(courses, list(ROUND_OFF), tmp_path / "c.png", title="t", time_unit="day",
                            units=UNITS)
    axes = {ax.get_title(): ax for ax in figures[0].axes if ax.get_title()}
    for readout in ROUND_OFF:
        _check_flat(axes[readout], readout)
        assert axes[readout].get_xlabel() == "time (day)"  # the quantity with its unit, not "day"

    columns = {"ctx": ROUND_OFF["ctx"], "p1np": ROUND_OFF["ctx"] / 3,
               "bmd_lumbar_spine": ROUND_OFF["ctx"] / 7}
    table = pd.concat([pd.DataFrame({"arm": arm, "time": TIME, "denosumab_serum": 0.0, **columns})
                       for arm in ("untreated", "also_untreated")])
    plots.regimen_figure(table, "t", tmp_path / "r.png")
    serum, *panels = figures[1].axes
    for ax in panels:
        assert ax.get_ylim() == pytest.approx((-0.05, 0.05)), ax.get_ylabel()
        assert ax.yaxis.get_offset_text().get_text() == ""


def test_each_row_of_the_validation_figure_names_its_unit(figures, tmp_path):
    """Times, serum concentrations and percent changes share one axis: each row says which."""
    table = pd.DataFrame({
        "id": ["tmax", "cmax", "ctx_day3", "ctx_vs", "bmd_1y"],
        "readout": ["denosumab_serum", "denosumab_serum", "ctx", "untx", "bmd_lumbar_spine"],
        "metric": ["tmax", "max", "value", "difference", "value"],
        "predicted": [8.0, 7.0, -84.0, -60.0, 5.0], "observed": [10.0, 6.8, -85.0, -45.0, 5.5],
        "tolerance": [5.0, 2.0, 10.0, 30.0, 2.0], "passed": [True] * 5})
    plots.validation_figure(table, tmp_path / "v.png")
    (ax,) = figures[0].axes
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "tmax (days)", "cmax (µg/mL)", "ctx_day3 (% change)", "ctx_vs (% change)", "bmd_1y (% change)"]
    assert "unit" in ax.get_xlabel()


def test_arms_with_the_same_curve_stay_visible(figures, tmp_path):
    """A loading dose that moves no marker draws the curve of the arm without it: each arm has
    its own line style as well as its colour, so the one on top does not hide the other."""
    marker = -80.0 * (1 - np.exp(-TIME / 5))
    arms = ("untreated", "without_loading", "with_loading", "fourth", "fifth")
    table = pd.concat([pd.DataFrame({"arm": arm, "time": TIME, "denosumab_serum": 0.0 if i == 0 else 30.0,
                                     "ctx": 0.0 if i == 0 else marker, "p1np": 0.0 if i == 0 else marker / 2,
                                     "bmd_lumbar_spine": 0.0 if i == 0 else -marker / 20})
                       for i, arm in enumerate(arms)])
    plots.regimen_figure(table, "t", tmp_path / "r.png")
    courses = pd.concat([pd.DataFrame({"condition": c, "time": TIME, "readout": "ctx", "value": marker})
                         for c in arms])
    plots.comparison_figure(courses, ["ctx"], tmp_path / "c.png", title="t", time_unit="day")
    regimen, comparison = figures
    for ax in [*regimen.axes, comparison.axes[0]]:
        drawn = [(line.get_linestyle(), line.get_color()) for line in ax.get_lines()]
        assert len(set(drawn)) == len(drawn) > 1, ax.get_ylabel()
        styles = [style for style, _ in drawn]
        assert len(set(styles[:4])) == len(styles[:4]), styles  # the first four differ in style alone


@pytest.mark.parametrize(("levels", "fmt"), [(1, "{:.6f}"), (2, "{:g}"), (2, "{:.6f}"), (3, "{:g}"),
                                             (12, "{:g}")])
def test_a_heatmap_keeps_its_long_tick_labels_inside_the_saved_figure(monkeypatch, tmp_path, levels, fmt):
    """A combination matrix's labels (inh:CTSK=0.3, read down) are long beside a few cells: the saved
    PNG holds every tick label, the colour bar's label and the title whole (measured at the
    resolution it is saved at, as saving draws it), is the figure measured (not cropped or padded
    at saving), and nothing is drawn on its outermost pixels (a glyph cut at the edge)."""
    import matplotlib.image

    save, drawn = plots._save, []

    def measure(fig, path, dpi=plots.DPI):
        fig.set_dpi(dpi)  # as savefig(dpi=dpi) draws it
        fig.canvas.draw()
        renderer, inside = fig.canvas.get_renderer(), fig.bbox
        heat, bar = fig.axes
        texts = [*heat.get_xticklabels(), *heat.get_yticklabels(), heat.title, bar.yaxis.label]
        for text in texts:
            box = text.get_window_extent(renderer)
            assert (box.x0 >= inside.x0 and box.y0 >= inside.y0 and box.x1 <= inside.x1
                    and box.y1 <= inside.y1), (text.get_text(), box, inside)
        drawn.append((fig.get_size_inches() * dpi, [t.get_text() for t in texts]))
        return save(fig, path, dpi)

    monkeypatch.setattr(plots, "_save", measure)
    values = np.linspace(0.1, 0.9, levels)
    rows = [f"inh:P38={fmt.format(v)}" for v in values]
    columns = [f"inh:CTSK={fmt.format(v)}" for v in values]
    matrix = pd.DataFrame(np.linspace(-0.3, 0.2, levels * levels).reshape(levels, levels), index=rows,
                          columns=columns)
    path = plots.heatmap_figure(matrix, tmp_path / "bliss.png", title="bone_volume",
                                label="Bliss excess (fraction of baseline)")
    (size, texts), = drawn
    assert texts == [*columns, *rows, "bone_volume", "Bliss excess (fraction of baseline)"]
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert (width, height) == pytest.approx(tuple(size), abs=1)
    ink = image[..., :3].sum(axis=-1) < 2.9  # not white
    assert not (ink[:2].any() or ink[-2:].any() or ink[:, :2].any() or ink[:, -2:].any())


def test_a_heatmap_cell_without_a_value_is_grey_not_the_white_of_zero(tmp_path):
    """A pair not run (NaN) and a pair with no effect (0) were both drawn white."""
    import matplotlib.image

    matrix = pd.DataFrame([[0.0, np.nan], [np.nan, 1.0]], index=["a", "b"], columns=["a", "b"])
    image = matplotlib.image.imread(plots.heatmap_figure(matrix, tmp_path / "h.png", title="t", label="x"))
    grey = np.array(matplotlib.colors.to_rgb(plots.MISSING_COLOUR))
    is_grey = np.abs(image[..., :3] - grey).max(axis=-1) < 0.02
    assert is_grey.sum() > 1000  # the two missing cells
    # and zero stays the diverging scale's near-white, not grey
    assert not np.allclose(grey, matplotlib.colormaps["RdBu_r"](0.5)[:3], atol=0.1)


def test_bars_carry_their_intervals_and_an_infinite_bar_none(figures, tmp_path):
    """A sensitivity index's bar shows its 95 % half-width as an error bar, by parameter; the
    axis reaches the end of the widest interval."""
    values = pd.Series({"k_a": 0.7, "k_b": 0.2, "k_c": -np.inf})
    errors = pd.Series({"k_b": 0.1, "k_a": 0.4, "k_c": 0.3})  # (in another order than the bars)
    plots.bar_figure(values, tmp_path / "b.png", title="x", label="ST", errors=errors)
    (ax,) = figures[0].axes
    (container,) = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    segments = container.lines[2][0].get_segments()
    half = [(seg[1][0] - seg[0][0]) / 2 for seg in segments if len(seg) == 2]  # (none on k_c's bar)
    assert half == pytest.approx([0.4, 0.1])
    assert ax.get_xlim()[1] >= 0.7 + 0.4


@pytest.mark.parametrize(("method", "ranked", "label"), [
    ("sobol", ["k_b", "k_a", "k_c"], "fraction of the variance"),
    ("morris", ["k_b", "k_c", "k_a"], "elementary effect (% change per range)"),
])
def test_sensitivity_panels_rank_the_parameters_of_each_readout(figures, tmp_path, method, ranked, label):
    """One panel per readout; parameters ranked by ST (Sobol') or mu* (Morris), the ranking index
    drawn first with its 95 % half-widths as error bars, by parameter; Morris's axis names the
    readout's unit."""
    if method == "sobol":
        columns = {"ST": [0.2, 0.7, 0.1], "ST_conf": [0.01, 0.02, 0.03], "S1": [0.1, 0.6, 0.05],
                   "S1_conf": 0.01}
    else:
        columns = {"mu_star": [1.0, 9.0, 3.0], "mu_star_conf": [0.01, 0.02, 0.03], "sigma": [0.5, 2.0, 1.0],
                   "unit": "% change"}
    table = pd.DataFrame({"parameter": ["k_a", "k_b", "k_c"], "readout": "ctx", **columns})
    table = pd.concat([table, table.assign(readout="bone_volume")], ignore_index=True)
    plots.sensitivity_figure(table, tmp_path / "s.png", title="t")
    axes = [ax for ax in figures[0].axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["ctx", "bone_volume"]
    ax = axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ranked
    assert ax.get_xlabel() == label
    first = next(c for c in ax.containers if type(c).__name__ == "BarContainer")  # the ranking index's
    index = "ST" if method == "sobol" else "mu_star"
    expected = table[table["readout"] == "ctx"].set_index("parameter").loc[ranked]
    assert [bar.get_width() for bar in first.patches] == pytest.approx(expected[index].tolist())
    (errors, *_) = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    half = [(seg[1][0] - seg[0][0]) / 2 for seg in errors.lines[2][0].get_segments()]
    assert half == pytest.approx(expected[f"{index}_conf"].tolist())


def test_two_drugs_of_one_arm_are_told_apart(figures, tmp_path):
    """Denosumab, then zoledronic acid in one arm: the arm's colour and line style are the same
    for both drugs, so each drug has its marker, in the legend too."""
    deno = 30.0 * np.exp(-TIME / 20)
    zol = np.where(TIME > 42, 0.3 * np.exp(-(TIME - 42)), 0.0)
    table = pd.concat([pd.DataFrame({"arm": arm, "time": TIME, "denosumab_serum": deno,
                                     "zoledronate_serum": zol if arm == "then_zoledronate" else 0.0,
                                     "ctx": -80.0, "p1np": -50.0, "bmd_lumbar_spine": 5.0})
                       for arm in ("stopped", "then_zoledronate")])
    plots.regimen_figure(table, "t", tmp_path / "r.png")
    serum = figures[0].axes[0]
    drawn = {line.get_label(): (line.get_color(), line.get_linestyle(), line.get_marker())
             for line in serum.get_lines()}
    assert set(drawn) == {"stopped: denosumab", "then_zoledronate: denosumab",
                          "then_zoledronate: zoledronate"}
    assert drawn["then_zoledronate: denosumab"] != drawn["then_zoledronate: zoledronate"]
    assert drawn["stopped: denosumab"][2] == drawn["then_zoledronate: denosumab"][2]  # a drug's marker
    legend = {text.get_text(): handle.get_marker()
              for text, handle in zip(serum.get_legend().get_texts(), serum.get_legend().legend_handles,
                                      strict=True)}
    assert legend["then_zoledronate: denosumab"] != legend["then_zoledronate: zoledronate"]


def test_the_phenotype_figure_names_its_age_and_its_lines(figures, tmp_path):
    """A reader sees how long the lines ran and what the vertical lines are: wild type at 100 %
    and the thresholds that classify a line (rankl_net.experiments: osteoporotic at most 90 %,
    osteopetrotic at least 110 % of wild-type bone volume; osteoclasts absent below 10 %,
    increased above 120 %)."""
    table = pd.DataFrame({"line": ["OPG-/-", "RANKL-/-"], "perturbation": ["ko:OPG", "ko:RANKL"],
                          "bone_volume_pct_wt": [44.0, 117.0], "osteoclasts_pct_wt": [330.0, 0.0],
                          "agrees": [True, False]})
    plots.phenotype_figure(table, tmp_path / "p.png", age_days=84)
    (fig,) = figures
    title = fig._suptitle.get_text()
    assert "84 days (12 weeks)" in title and "hatched red: disagrees" in title
    bone, osteoclasts = (ax.get_xlabel() for ax in fig.axes)
    assert "bone volume (% of wild type)" in bone and "wild type, 100 %" in bone
    assert "osteoporotic <= 90 %" in bone and "osteopetrotic >= 110 %" in bone
    assert "absent < 10 %" in osteoclasts and "increased > 120 %" in osteoclasts
    # every label inside the saved figure
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for ax in fig.axes:
        label = ax.xaxis.label.get_window_extent(renderer)
        assert box.x0 <= label.x0 and label.x1 <= box.x1 and box.y0 <= label.y0


def test_simulates_figure_draws_the_run_without_the_perturbation_behind_it(figures, tmp_path):
    """simulate --plot with -p: each panel has the wild-type course (dashed, grey) behind the
    perturbed one, and the first panel's legend names both; without -p, one line."""
    from click.testing import CliRunner

    from rankl_net.cli import main
    from rankl_net.model import Model

    args = ["simulate", "bone", "--end", "7", "--points", "8", "--readouts", "opg_free,osteoclasts",
            "--out", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "t.png")]
    ran = CliRunner().invoke(main, [*args, "-p", "ko:OPG"])
    assert ran.exit_code == 0, ran.output
    wild = Model("bone").simulate(end=7, points=8, readouts=["opg_free", "osteoclasts"])
    opg, osteoclasts = figures[0].axes[:2]
    for ax, readout in ((opg, "opg_free"), (osteoclasts, "osteoclasts")):
        behind, drawn = ax.get_lines()
        assert behind.get_linestyle() == "--"
        np.testing.assert_allclose(behind.get_ydata(), wild[readout])
        assert drawn.get_ydata()[-1] != pytest.approx(wild[readout].iloc[-1])  # the knockout moved it
    assert [t.get_text() for t in opg.get_legend().get_texts()] == ["without perturbation", "ko:OPG"]
    alone = CliRunner().invoke(main, args)
    assert alone.exit_code == 0, alone.output
    assert len(figures[1].axes[0].get_lines()) == 1 and figures[1].axes[0].get_legend() is None
