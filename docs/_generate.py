"""Figures, tables and numbers that the documentation pages include.

Everything here is computed from the installed ``rankl_net`` package and the shipped models
when the documentation is built (``docs/conf.py`` calls :func:`generate`), so the numbers in
the pages always match the models. Output goes to ``docs/_generated/`` (not committed).

Run it on its own to inspect the output: ``.venv/bin/python docs/_generate.py``.
"""

from __future__ import annotations

import contextlib
import io
import math
import runpy
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import rankl_net  # noqa: E402
from rankl_net import annotations, calibrate, catalog, checks, comparisons, experiments, paths, plots, sbml_io  # noqa: E402
from rankl_net.engine import MAX_DOSES, load  # noqa: E402
from rankl_net.perturbations import nodes_for  # noqa: E402

# the pages dose denosumab in mice on purpose, to show that it does not bind mouse RANKL
warnings.filterwarnings("ignore", category=rankl_net.DrugWithoutTargetWarning)

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "_generated"

# Unit conversion for RANKL added to a culture: soluble RANKL is a homotrimer of about
# 20 kDa chains (about 60 kDa), so 1 ng/mL = 1e-6 g/L / 60e3 g/mol = 16.7 pM.
RANKL_TRIMER_G_PER_MOL = 60e3
PM_PER_NG_PER_ML = 1e-6 / RANKL_TRIMER_G_PER_MOL * 1e12

# Conditions shown in the figures and tables (specs as on the command line).
OCG_CONDITIONS = [
    ("RANKL alone", ""),
    ("+ OPG (equimolar to RANKL)", "set:opg_input={rankl}"),
    ("IKK inhibitor, 90 %", "inh:IKK=0.9"),
    ("p38 inhibitor, 90 %", "inh:P38=0.9"),
    ("calcineurin inhibitor, 90 %", "inh:CALCINEURIN=0.9"),
    ("NF-kB p50/p52 double knockout", "ko:NFKB1+ko:NFKB2"),
    ("TRAF6 knockout", "ko:TRAF6"),
    ("c-Fos knockout", "ko:FOS"),
    ("NFATc1 knockout", "ko:NFATC1"),
    ("RANK knockdown to 50 %", "kd:RANK=0.5"),
]
OCG_TABLE_READOUTS = ["nfkb_nuclear", "cfos", "nfatc1", "trap", "commitment"]
DOSE_OPG_PM = [0.0, 170.0, 1700.0]
DOSE_RANKL_PM = np.geomspace(1.0, 1e5, 41)
BONE_LINES = [
    ("wild type", ""),
    ("OPG-/-", "ko:OPG"),
    ("soluble-RANKL transgenic", "oe:RANKL=2"),
    ("TRAF6-/-", "ko:TRAF6"),
    ("cathepsin K-/-", "ko:CTSK"),
    ("p38 inhibitor, 90 %", "inh:P38=0.9"),
]
BONE_PANELS = ["bone_volume", "osteoclasts", "ctx", "p1np"]
CONTEXT_SPECS = ["ko:OPG", "ko:TRAF6", "inh:CTSK=0.9"]


# ------------------------------------------------------------------------------------ helpers
def fmt(x: float, digits: int = 3) -> str:
    """A number for the pages: ``digits`` significant digits, trailing zeros dropped."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 1e6 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.{digits}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    x = float(f"{x:.{digits}g}")
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct(x: float) -> str:
    """A percentage with one decimal."""
    if math.isnan(x):
        return "n/a"
    return f"{0.0 if abs(x) < 0.05 else x:.1f}"


def code(text: str) -> str:
    """Inline code for a Markdown table cell (empty: wild type / baseline)."""
    return f"`{text}`" if text else "(none)"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> str:
    """A Markdown (GFM) table; ``align`` holds "l" or "r" per column."""
    align = align or ["l"] * len(header)
    sep = ["---:" if a == "r" else "---" for a in align]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(header), line(sep), *(line(r) for r in rows)]) + "\n"


def write(name: str, text: str) -> Path:
    path = OUT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def half_max_dose(doses: np.ndarray, values: np.ndarray, floor: float) -> float:
    """Dose giving half of the maximal increase above ``floor`` (log-linear interpolation)."""
    top = float(np.max(values))
    target = floor + 0.5 * (top - floor)
    above = np.nonzero(values >= target)[0]
    if top <= floor or len(above) == 0 or above[0] == 0:
        return float("nan")
    i = above[0]
    x0, x1 = np.log10(doses[i - 1]), np.log10(doses[i])
    y0, y1 = values[i - 1], values[i]
    return float(10 ** (x0 + (target - y0) * (x1 - x0) / (y1 - y0)))


# ------------------------------------------------------------------------------- phenotypes
def phenotypes(subs: dict[str, str]) -> None:
    table = rankl_net.run_phenotypes()
    table.to_csv(OUT / "phenotypes.csv", index=False)
    plots.phenotype_figure(table, OUT / "phenotypes.png")
    rows = []
    for r in table.itertuples():
        rows.append(
            [
                r.line,
                code(r.perturbation),
                pct(r.bone_volume_pct_wt),
                pct(r.osteoclasts_pct_wt),
                pct(r.ctx_pct_wt),
                f"{r.phenotype} ({r.expected_phenotype})",
                f"{r.osteoclasts} ({r.expected_osteoclasts})",
                "yes" if r.agrees else "**no**",
                r.source,
            ]
        )
    write(
        "phenotypes.md",
        md_table(
            [
                "line",
                "perturbation",
                "bone volume (% WT)",
                "osteoclasts (% WT)",
                "CTX (% WT)",
                "phenotype (expected)",
                "osteoclasts (expected)",
                "agrees",
                "source",
            ],
            rows,
            ["l", "l", "r", "r", "r", "l", "l", "l", "l"],
        ),
    )
    subs["phenotype_lines"] = str(len(table))
    subs["phenotype_agree"] = str(int(table["agrees"].sum()))
    subs["age_days"] = f"{experiments.AGE_DAYS:g}"
    subs["age_weeks"] = f"{experiments.AGE_DAYS / 7:g}"
    subs["osteopetrotic_bv"] = f"{experiments.OSTEOPETROTIC_BV:g}"
    subs["osteoporotic_bv"] = f"{experiments.OSTEOPOROTIC_BV:g}"
    subs["oc_absent"] = f"{experiments.OC_ABSENT:g}"
    subs["oc_increased"] = f"{experiments.OC_INCREASED:g}"


# ------------------------------------------------------------------------ osteoclastogenesis
def osteoclastogenesis(subs: dict[str, str]) -> None:
    model = rankl_net.load_model("osteoclastogenesis")
    base = model.engine.baseline
    rankl = base["rankl_input"]
    subs["ocg_context"] = model.context
    subs["ocg_rankl_pm"] = fmt(rankl, 4)
    subs["ocg_rankl_ngml"] = fmt(rankl / PM_PER_NG_PER_ML, 3)
    subs["ocg_opg_pm"] = fmt(base["opg_input"], 3)
    subs["ocg_kd_pm"] = fmt(base["K_d_rankl_opg"], 3)
    subs["pm_per_ngml"] = fmt(PM_PER_NG_PER_ML, 3)
    subs["ocg_sig_time_scale"] = fmt(base["sig_time_scale"], 3)
    subs["ocg_preeq"] = ", ".join(f"`{k}` = {v:g}" for k, v in model.info.preequilibration.items())

    # time course after RANKL
    frame = model.simulate(end=72, points=145)
    frame.to_csv(OUT / "osteoclastogenesis_time_course.csv", index=False)
    plots.time_course_figure(
        frame,
        OUT / "osteoclastogenesis_time_course.png",
        time_unit="hour",
        units=model.info.unit_labels(frame.columns[1:]),
        title=f"osteoclastogenesis ({model.context}): RANKL {fmt(rankl, 4)} pM "
        f"(about {fmt(rankl / PM_PER_NG_PER_ML, 3)} ng/mL) from time 0",
    )
    times = [0, 0.5, 1, 2, 6, 12, 24, 48, 72]
    sel = frame[frame["time"].isin(times)]
    write(
        "osteoclastogenesis_time_course.md",
        md_table(
            ["time (h)", *OCG_TABLE_READOUTS],
            [[fmt(r["time"], 3), *(fmt(r[c], 3) for c in OCG_TABLE_READOUTS)] for _, r in sel.iterrows()],
            ["r"] * (1 + len(OCG_TABLE_READOUTS)),
        ),
    )
    nfkb = frame["nfkb_nuclear"].to_numpy()
    # the first peak on a fine grid (the figure's half-hour grid misses its time)
    early = model.simulate(end=3, points=3001, readouts=["nfkb_nuclear"])
    i_peak = int(np.argmax(early["nfkb_nuclear"].to_numpy()))
    subs["ocg_nfkb_peak_h"] = fmt(float(early["time"].iloc[i_peak]), 2)
    subs["ocg_nfkb_peak_fold"] = fmt(float(early["nfkb_nuclear"].iloc[i_peak]) / nfkb[0], 3)
    subs["ocg_nfkb_plateau_fold"] = fmt(nfkb[-1] / nfkb[0], 2)
    nfat = frame["nfatc1"].to_numpy()
    subs["ocg_nfatc1_fold_24"] = fmt(float(frame.loc[frame["time"] == 24, "nfatc1"].iloc[0]) / nfat[0], 2)
    subs["ocg_nfatc1_fold_72"] = fmt(nfat[-1] / nfat[0], 2)
    subs["ocg_commitment_72"] = fmt(float(frame["commitment"].iloc[-1]), 2)

    # conditions at 72 h, percent of RANKL alone
    ref = model.final(end=72, readouts=OCG_TABLE_READOUTS)
    rows = []
    for label, spec in OCG_CONDITIONS:
        spec = spec.format(rankl=f"{rankl:g}")
        res = model.final(spec, end=72, readouts=OCG_TABLE_READOUTS) if spec else ref
        rows.append([label, code(spec), *(pct(100 * res[c] / ref[c]) for c in OCG_TABLE_READOUTS)])
    write(
        "osteoclastogenesis_conditions.md",
        md_table(
            ["condition", "spec", *(f"{c} (%)" for c in OCG_TABLE_READOUTS)],
            rows,
            ["l", "l", *["r"] * len(OCG_TABLE_READOUTS)],
        ),
    )

    # RANKL dose-response of NFATc1 at 72 h, with and without OPG
    floor = model.final("set:rankl_input=0", end=72, readouts=["nfatc1"])["nfatc1"]
    curves = {}
    for opg in DOSE_OPG_PM:
        vals = [
            model.final(f"set:rankl_input={r:g}+set:opg_input={opg:g}", end=72, readouts=["nfatc1"])["nfatc1"]
            for r in DOSE_RANKL_PM
        ]
        curves[opg] = np.array(vals)
    pd.DataFrame(
        {"rankl_input_pM": DOSE_RANKL_PM, **{f"nfatc1_opg_{o:g}pM": v for o, v in curves.items()}}
    ).to_csv(OUT / "rankl_dose_response.csv", index=False)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for opg, vals in curves.items():
        ax.semilogx(DOSE_RANKL_PM, vals, marker="o", ms=3, lw=1.5, label=f"OPG {opg:g} pM")
    ax.axhline(floor, color="grey", lw=0.8, ls="--", label="no RANKL")
    ax.set_xlabel(f"RANKL added (pM; 1 ng/mL = {fmt(PM_PER_NG_PER_ML, 3)} pM)")
    ax.set_ylabel("NFATc1 at 72 h (pM)")
    ax.set_title(f"osteoclastogenesis ({model.context}): RANKL dose-response")
    ax.legend(frameon=False)
    sec = ax.secondary_xaxis(
        "top", functions=(lambda x: x / PM_PER_NG_PER_ML, lambda x: x * PM_PER_NG_PER_ML)
    )
    sec.set_xlabel("RANKL (ng/mL)")
    fig.tight_layout()
    fig.savefig(OUT / "rankl_dose_response.png", dpi=110)
    plt.close(fig)
    rows = []
    ec0 = half_max_dose(DOSE_RANKL_PM, curves[DOSE_OPG_PM[0]], floor)
    for opg, vals in curves.items():
        ec = half_max_dose(DOSE_RANKL_PM, vals, floor)
        rows.append(
            [
                fmt(opg, 4),
                fmt(ec, 3),
                fmt(ec / PM_PER_NG_PER_ML, 3),
                fmt(ec / ec0, 3),
                fmt(float(vals[-1]), 3),
            ]
        )
    write(
        "rankl_dose_response.md",
        md_table(
            [
                "OPG (pM)",
                "half-maximal RANKL (pM)",
                "half-maximal RANKL (ng/mL)",
                "shift (fold)",
                f"NFATc1 at {fmt(DOSE_RANKL_PM[-1], 3)} pM RANKL (pM)",
            ],
            rows,
            ["r"] * 5,
        ),
    )
    subs["dose_floor_nfatc1"] = fmt(floor, 3)
    subs["dose_rankl_min"] = fmt(DOSE_RANKL_PM[0], 3)
    subs["dose_rankl_max"] = fmt(DOSE_RANKL_PM[-1], 3)
    subs["dose_levels"] = str(len(DOSE_RANKL_PM))


# -------------------------------------------------------------------------------------- bone
def bone(subs: dict[str, str]) -> None:
    info = catalog.get_model("bone")
    mouse = rankl_net.load_model("bone", context="mouse")
    human = rankl_net.load_model("bone", context="human")
    bm, bh = mouse.engine.baseline, human.engine.baseline
    subs["bone_default_context"] = info.default_context
    subs["mouse_tissue_time_scale"] = fmt(info.contexts["mouse"].get("tissue_time_scale", 1.0), 3)
    subs["bone_sig_time_scale"] = fmt(bh["sig_time_scale"], 3)
    kd = bh["koff_rankl_opg"] / bh["kon_rankl_opg"]
    subs["bone_kd_pm"] = fmt(kd, 3)
    subs["ctsk_independent_pct"] = fmt(100 * bh["ctsk_independent_resorption"], 3)
    subs["ctx_background_pct"] = fmt(100 * bh["ctx_background"], 3)
    subs["ctx_floor_pct"] = fmt(100 * (1 - bh["ctx_background"]), 3)
    subs["K_oca_activity"] = fmt(bh["K_oca_activity"], 3)
    subs["oca_activity_max_fold"] = fmt(1 + bh["K_oca_activity"], 3)
    subs["obu_tgfb_independent_pct"] = fmt(100 * bh["obu_tgfb_independent"], 3)
    subs["oca_apoptosis_tgfb_pct"] = fmt(100 * bh["oca_apoptosis_tgfb_share"], 3)
    subs["oca_apoptosis_intrinsic_pct"] = fmt(100 * (1 - bh["oca_apoptosis_tgfb_share"]), 3)
    subs["soluble_rankl_potency"] = fmt(bh["soluble_rankl_potency"], 3)
    subs["formation_lag_days"] = fmt(bh["formation_lag"], 3)
    subs["K_formation_coupling"] = fmt(bh["K_formation_coupling"], 3)
    subs["formation_uncoupled_share"] = fmt(bh["formation_uncoupled_share"], 2)
    subs["formation_uncoupled_share_mouse"] = fmt(bm["formation_uncoupled_share"], 2)
    subs["p1np_background_pct"] = fmt(100 * bh["p1np_background"], 2)
    subs["osteomorph_ratio"] = fmt(bh["osteomorph_ratio"], 3)
    subs["osteomorph_fusion_days"] = fmt(1 / bh["k_osteomorph_fusion"], 3)
    subs["osteomorph_lifespan_days"] = fmt(1 / bh["k_osteomorph_death"], 2)
    subs["K_osteomorph_fusion"] = fmt(bh["K_osteomorph_fusion"], 3)
    subs["n_osteomorph_fusion"] = fmt(bh["n_osteomorph_fusion"], 3)
    subs["opg_active_osteoblast_share"] = fmt(bh["opg_active_osteoblast_share"], 2)
    subs["human_turnover_pct_yr"] = fmt(bh["resorption"] * 365.25, 3)
    subs["mouse_turnover_pct_yr"] = fmt(bm["resorption"] * 365.25, 3)
    subs["bone_reset"] = ", ".join(f"`{k}` = {v:g}" for k, v in info.reset_at_start.items())
    # bone volume has no ceiling: an osteopetrotic line over years
    no_rankl = mouse.simulate("ko:RANKL", end=3652.5, points=11, readouts=["bone_volume"])["bone_volume"]
    subs["ko_rankl_bv_1y"] = f"{no_rankl.iloc[1]:.0f}"
    subs["ko_rankl_bv_10y"] = f"{no_rankl.iloc[-1]:.0f}"
    # why: RANKL close to equivalence with OPG, most of it bound (titration)
    total_rankl = bm["rankl_membrane"] + bm["rankl_soluble"] + bm["rankl_opg"]
    subs["rankl_bound_pct"] = f"{100 * bm['rankl_opg'] / total_rankl:.0f}"
    subs["rankl_to_opg_total"] = f"{total_rankl / (bm['opg_free'] + bm['rankl_opg']):.2f}"
    # half a gene's dose (heterozygous lines) at the age the genetic lines are compared
    for gene in ("RANKL", "RANK", "OPG"):
        half = mouse.final(f"kd:{gene}=0.5", end=84, readouts=["osteoclasts", "bone_volume"])
        subs[f"half_{gene.lower()}_oc_pct"] = f"{100 * half['osteoclasts'] / bm['osteoclasts']:.0f}"
        subs[f"half_{gene.lower()}_bv_pct"] = f"{half['bone_volume']:.0f}"

    # baseline of both contexts
    quantities = [
        ("osteoclast_precursors", "pM"),
        ("osteoclasts", "pM"),
        ("preosteoblasts", "pM"),
        ("osteoblasts", "pM"),
        ("rankl_free", "pM"),
        ("rankl_membrane", "pM"),
        ("rankl_soluble", "pM"),
        ("opg_free", "pM"),
        ("rankl_opg", "pM"),
        ("tgfb", "pM"),
        ("nfatc1", "pM"),
        ("differentiation_drive", "0-1"),
        ("resorption", "% per day"),
        ("formation", "% per day"),
    ]
    rows = [[f"`{q}`", u, fmt(bh[q], 4), fmt(bm[q], 4)] for q, u in quantities]
    rows.append(["turnover", "% per year", subs["human_turnover_pct_yr"], subs["mouse_turnover_pct_yr"]])
    write("bone_baseline.md", md_table(["quantity", "unit", "human", "mouse"], rows, ["l", "l", "r", "r"]))
    states = list(mouse.engine.species_ids)
    diff = max(abs(bm[s] - bh[s]) / max(abs(bh[s]), 1e-30) for s in states if abs(bh[s]) > 1e-12)
    subs["context_max_rel_diff"] = f"{diff:.1g}"

    # calibrated references versus the baseline they describe
    refs = calibrate.read_references()
    rows = []
    for pid, (source, unit) in calibrate.REFERENCES.items():
        rows.append([f"`{pid}`", f"`{source}`", unit, fmt(refs[pid], 6), fmt(bh[source], 6)])
    write(
        "bone_references.md",
        md_table(
            [
                "reference parameter",
                "baseline quantity",
                "unit",
                "value in bone_baseline.ant",
                "human baseline now",
            ],
            rows,
            ["l", "l", "l", "r", "r"],
        ),
    )

    # key parameters behind the departures from the published structures
    keys = [
        ("ctsk_independent_resorption", "share of resorption that does not need cathepsin K"),
        ("obu_tgfb_independent", "share of osteoblast recruitment independent of TGF-beta"),
        ("oca_apoptosis_tgfb_share", "share of osteoclast apoptosis that depends on TGF-beta"),
        ("k_oca_apoptosis", "baseline osteoclast apoptosis rate"),
        ("kon_rankl_opg", "RANKL-OPG association"),
        ("koff_rankl_opg", "RANKL-OPG dissociation"),
        ("soluble_rankl_potency", "signalling potency of soluble relative to membrane RANKL"),
        ("k_resorption", "resorption per osteoclast"),
        ("K_differentiation", "nuclear NFATc1 giving half-maximal differentiation drive"),
        ("n_differentiation", "Hill coefficient of the differentiation drive"),
        ("k_ocp_differentiation", "maximal precursor-to-osteoclast differentiation rate"),
        ("pth", "PTH (constant input)"),
        ("sig_time_scale", "hours per model time unit in the signalling module"),
        ("tissue_time_scale", "tissue clock (human context)"),
    ]
    units = _parameter_units(info.sbml_path)
    rows = [[f"`{p}`", fmt(bh[p], 4), units.get(p, ""), text] for p, text in keys]
    rows.append(["`koff_rankl_opg / kon_rankl_opg`", fmt(kd, 3), "pM", "RANKL-OPG dissociation constant"])
    write(
        "bone_parameters.md", md_table(["parameter", "value", "unit", "meaning"], rows, ["l", "r", "l", "l"])
    )

    # genetic lines over time (mouse)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4), sharex=True)
    oc0 = bm["osteoclasts"]
    for label, spec in BONE_LINES:
        frame = mouse.simulate(*([spec] if spec else []), end=84, points=85, readouts=BONE_PANELS)
        for ax, col in zip(axes.flat, BONE_PANELS, strict=True):
            y = frame[col] if col != "osteoclasts" else 100 * frame[col] / oc0
            ax.plot(frame["time"], y, lw=1.5, label=f"{label} [{spec}]" if spec else label)
    titles = {
        "bone_volume": "bone volume (% of baseline)",
        "osteoclasts": "osteoclasts (% of baseline)",
        "ctx": "CTX (% change from baseline)",
        "p1np": "P1NP (% change from baseline)",
    }
    for ax, col in zip(axes.flat, BONE_PANELS, strict=True):
        ax.set_title(titles[col], fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel("day")
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle("bone (mouse): perturbations from time 0")
    fig.tight_layout()
    fig.savefig(OUT / "bone_lines.png", dpi=110)
    plt.close(fig)

    # contexts: the mouse clock runs tissue_time_scale times faster
    scale = info.contexts["mouse"].get("tissue_time_scale", 1.0)
    rows = []
    for spec in CONTEXT_SPECS:
        m84 = mouse.final(spec, end=84, readouts=["bone_volume"])["bone_volume"]
        h84 = human.final(spec, end=84, readouts=["bone_volume"])["bone_volume"]
        hs = human.final(spec, end=84 * scale, readouts=["bone_volume"])["bone_volume"]
        rows.append([code(spec), pct(m84), pct(h84), pct(hs)])
    write(
        "bone_contexts.md",
        md_table(
            ["perturbation", "mouse, day 84", "human, day 84", f"human, day {84 * scale:g}"],
            rows,
            ["l", "r", "r", "r"],
        ),
    )


def _parameter_units(sbml: Path) -> dict[str, str]:
    doc = sbml_io.read_sbml_document(sbml)
    return {p.getId(): p.getUnits() for p in doc.getModel().getListOfParameters()}


# ------------------------------------------------------------------------ provenance summary
def provenance(subs: dict[str, str]) -> None:
    sources = annotations.parameter_sources()
    for name in catalog.model_names():
        doc = sbml_io.read_sbml_document(catalog.get_model(name).sbml_path)
        c = checks.parameter_sources(doc.getModel(), sources)
        model = doc.getModel()
        rules = {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
        n = sum(1 for p in model.getListOfParameters() if p.getId() not in rules)
        subs[f"{name}_params_with_source"] = str(n - len(c.items))
        subs[f"{name}_params_valued"] = str(n)


# ------------------------------------------------------------------------------ nodes table
def nodes(subs: dict[str, str]) -> None:
    engines = {name: load(name, catalog.get_model(name).default_context) for name in catalog.model_names()}
    acting = {name: nodes_for(e) for name, e in engines.items()}
    rows = []
    for row in annotations.node_table():
        node = row["node"]
        models = [name for name, ns in acting.items() if node in ns]
        split = [x.strip() for x in row["aliases"].split(",") if x.strip()]
        rows.append(
            [
                f"`{node}`",
                ", ".join(split),
                ", ".join(f"`{x}`" for x in row["expression"].split(",") if x) or "-",
                ", ".join(f"`{x}`" for x in row["activity"].split(",") if x) or "-",
                ", ".join(f"`{x}`" for x in row["species"].split(",") if x) or "-",
                ", ".join(f"`{x}`" for x in row["complexes"].split(",") if x) or "-",
                ", ".join(models) or "-",
                row["description"],
            ]
        )
    write(
        "nodes.md",
        md_table(
            [
                "node",
                "aliases",
                "expression (ko, kd, oe)",
                "activity (inh)",
                "set to 0 by ko",
                "complexes set to 0 by ko",
                "models",
                "description",
            ],
            rows,
        ),
    )
    subs["node_count"] = str(len(rows))
    table = annotations.node_table()
    subs["nodes_without_activity"] = ", ".join(code(r["node"]) for r in table if not r["activity"])
    ctsk = next(r for r in table if r["node"] == "CTSK")["activity"].split(",")
    subs["ctsk_inh_models"] = ", ".join(code(n) for n, e in engines.items()
                                        if all(p in e.parameter_ids for p in ctsk))


# ------------------------------------------------------------------------------ contexts
def contexts(subs: dict[str, str]) -> None:
    rows = []
    for name in catalog.model_names():
        info = catalog.get_model(name)
        for ctx, values in info.contexts.items():
            changes = (
                ", ".join(f"`{k}` = {v:g}" for k, v in values.items()) or "none (the values in the SBML)"
            )
            default = " (default)" if ctx == info.default_context else ""
            rows.append([f"`{name}`", f"{ctx}{default}", changes])
    write("contexts.md", md_table(["model", "context", "parameter values set"], rows))
    for name in catalog.model_names():
        info = catalog.get_model(name)
        per_model = []
        for ctx, values in info.contexts.items():
            changes = (
                ", ".join(f"`{k}` = {v:g}" for k, v in values.items()) or "none (the values in the SBML)"
            )
            per_model.append([ctx + (" (default)" if ctx == info.default_context else ""), changes])
        write(f"contexts_{name}.md", md_table(["context", "parameter values set"], per_model))
    rows = []
    for name in catalog.model_names():
        info = catalog.get_model(name)
        rows.append(
            [
                f"`{name}`",
                info.title,
                info.time_unit,
                f"{info.default_end:g}",
                ", ".join(f"`{r}`" for r in info.readouts),
            ]
        )
    write("models.md", md_table(["model", "title", "time unit", "default end", "readouts"], rows))


# --------------------------------------------------------------------------------------- CLI
def cli(subs: dict[str, str]) -> None:
    from click.testing import CliRunner

    from rankl_net.cli import main

    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()

    def run(args: list[str], shown: str | None = None) -> str:
        res = runner.invoke(main, args, prog_name="rankl-net", terminal_width=100)
        text = (res.stdout or "") + (res.stderr or "")
        text = text.replace(str(paths.ROOT) + "/", "")  # paths relative to the checkout
        return f"$ {shown or 'rankl-net ' + ' '.join(args)}\n{text.rstrip()}\n[exit code {res.exit_code}]\n"

    parts = [
        "$ rankl-net --help\n"
        + runner.invoke(main, ["--help"], prog_name="rankl-net", terminal_width=100).stdout
    ]
    write("cli/main.txt", parts[0])
    reference = []
    for name, cmd in main.commands.items():
        text = runner.invoke(main, [name, "--help"], prog_name="rankl-net", terminal_width=100).stdout
        summary = cmd.get_short_help_str(limit=200)
        reference.append(f"### `rankl-net {name} --help`\n\n{summary}\n\n```text\n{text.rstrip()}\n```\n")
    write("cli/reference.md", "\n".join(reference))
    subs["cli_commands"] = ", ".join(f"`{n}`" for n in main.commands)
    points = next(p for p in main.commands["simulate"].params if p.name == "points")
    subs["cli_points_default"] = str(points.default)
    subs["max_sbml_mib"] = f"{sbml_io.MAX_SBML_BYTES / 2**20:g}"

    examples = {
        "models": run(["models"]),
        "simulate_ocg": run(["simulate", "osteoclastogenesis", "--end", "72", "--points", "7"]),
        "simulate_bone": run(
            [
                "simulate",
                "bone",
                "-p",
                "ko:OPG",
                "--end",
                "84",
                "--points",
                "5",
                "--readouts",
                "bone_volume,osteoclasts",
            ]
        ),
        "simulate_pth": run(
            [
                "simulate",
                "bone",
                "-p",
                "set:pth=6@7-35",
                "--end",
                "56",
                "--points",
                "9",
                "--readouts",
                "osteoclasts,rankl_free,bone_volume,ctx",
            ]
        ),
        "simulate_combo": run(
            [
                "simulate",
                "bone",
                "--context",
                "human",
                "-p",
                "ko:NFKB1+ko:NFKB2",
                "--end",
                "365",
                "--points",
                "5",
                "--readouts",
                "bone_volume,osteoclasts,nfatc1",
            ]
        ),
        "simulate_drug": run(
            [
                "simulate",
                "clinical",
                "-p",
                "drug:denosumab=60mg/6mo",
                "--end",
                "1095",
                "--points",
                "7",
                "--readouts",
                "denosumab_serum,ctx,p1np,bmd_lumbar_spine",
            ]
        ),
        "err_regimen": run(["simulate", "clinical", "-p", "drug:denosumab=60/6mo"]),
        "err_drug": run(["simulate", "clinical", "-p", "drug:denosumabb=60mg"]),
        "validate": run(["validate", "bone"]),
        "err_model": run(["simulate", "bonee"]),
        "err_node": run(["simulate", "bone", "-p", "ko:OPGG"]),
        "err_readout": run(["simulate", "bone", "--readouts", "bone_volum"]),
        "err_value": run(["simulate", "bone", "-p", "kd:OPG=2"]),
        "err_inh": run(["simulate", "bone", "-p", "inh:RANKL=0.5"]),
        "err_context": run(["simulate", "bone", "--context", "rat"]),
        "err_integration": run(["simulate", "osteoclastogenesis", "-p", "set:rankl_input=1e30"]),
    }
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        examples["phenotypes"] = run(["phenotypes", "--out", "results/phenotypes.csv"])
    for key, text in examples.items():
        write(f"cli/{key}.txt", text)


# ------------------------------------------------------------------------------- quickstart
def quickstart(subs: dict[str, str]) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(str(DOCS / "examples" / "quickstart.py"), run_name="__main__")
    write("quickstart.out", buf.getvalue())


def screens_example(subs: dict[str, str]) -> None:
    """The worked example of the screens page: knockout pairs, a dose series, sensitivity."""
    from rankl_net import screens
    from rankl_net.analysis import hill_fits, pair_matrix, pairwise_epistasis
    from rankl_net.sensitivity import describe, sensitivity

    targets = ["RANKL", "OPG", "TRAF6", "FOS", "NFKB1", "NFKB2", "CTSK", "P38"]
    singles = screens.knockout_conditions("bone", targets, context="mouse")
    pairs = screens.knockout_conditions("bone", targets, pairs=True, context="mouse")
    table = screens.run_screen("bone", singles + pairs, context="mouse", end=84, readouts=["bone_volume"],
                               workers=1)
    subs["screen_conditions"] = str(table["condition_id"].nunique())
    single = table[~table["perturbation"].str.contains(r"\+")].set_index("perturbation")["log2_fold_change"]
    plots.bar_figure(single.sort_values(), OUT / "screen_singles.png", title="bone volume at 84 days",
                     label="log2 fold change vs wild type")
    m = pair_matrix(table, "bone_volume")
    plots.heatmap_figure(m, OUT / "screen_pairs.png", title="pairwise knockouts (singles on the diagonal)",
                         label="log2 fold change")
    epi = pairwise_epistasis(table)
    epi = epi.reindex(epi["epistasis"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    nfkb = epi.index[(epi["a"] == "ko:NFKB1") & (epi["b"] == "ko:NFKB2")][0]
    subs["p50_p52_epistasis"] = fmt(epi.loc[nfkb, "epistasis"])
    rank = nfkb + 1
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    subs["p50_p52_rank"] = f"{rank}{suffix}"
    subs["screen_pairs"] = str(len(epi))
    subs["p50_p52_singles"] = " and ".join(fmt(single[f"ko:{n}"]) for n in ("NFKB1", "NFKB2"))
    epi = epi.head(5)
    write("screen_epistasis.md", md_table(["a", "b", "log2 fold change", "epistasis"],
                                          [[code(r.a), code(r.b), fmt(r.log2_fold_change), fmt(r.epistasis)]
                                           for r in epi.itertuples()]))
    levels = np.linspace(0, 1, 11)
    specs = screens.dose_conditions("inh:CALCINEURIN", levels)
    dose = screens.run_screen("osteoclastogenesis", specs, readouts=["nfatc1"], workers=1)
    dose.insert(2, "level", screens.levels_of(dose["perturbation"]))
    dose.insert(3, "dose", screens.dose_of("inh:CALCINEURIN", dose["level"]))
    fits = hill_fits(dose, anchored=screens.anchored("inh:CALCINEURIN"))
    fit = fits.iloc[0]
    plots.dose_response_figure(dose, fits, OUT / "screen_dose.png",
                               title="osteoclastogenesis: inh:CALCINEURIN",
                               units=catalog.get_model("osteoclastogenesis").unit_labels(["nfatc1"]),
                               dose_label=screens.dose_label("osteoclastogenesis", "inh:CALCINEURIN"))
    subs["dose_ic50"] = fmt(fit["ic50"])
    subs["dose_ic50_lo"] = fmt(fit["ic50_lo"])
    subs["dose_ic50_hi"] = fmt(fit["ic50_hi"])
    subs["dose_hill"] = fmt(fit["hill"])
    subs["dose_emax"] = fmt(fit["emax"])
    full = dose.loc[dose["level"] == 1.0].iloc[0]
    subs["dose_effect_at_1"] = fmt(1 - full["value"] / full["baseline_value"])
    # a drug's single doses, as the page's command: CTX and spine BMD at 28 days
    drug, drug_levels = "drug:denosumab", [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 60]
    drug_dose = screens.run_screen("clinical", screens.dose_conditions(drug, drug_levels),
                                   readouts=["ctx", "bmd_lumbar_spine"], end=28, workers=1)
    drug_dose.insert(2, "level", screens.levels_of(drug_dose["perturbation"]))
    drug_dose.insert(3, "dose", screens.dose_of(drug, drug_dose["level"]))
    clinical = catalog.get_model("clinical")
    drug_fits = hill_fits(drug_dose, anchored=screens.anchored(drug), changes=clinical.percent_changes)
    plots.dose_response_figure(drug_dose, drug_fits, OUT / "screen_drug_dose.png",
                               title="clinical (human): drug:denosumab, readouts at 28 days",
                               units=clinical.unit_labels(["ctx", "bmd_lumbar_spine"]),
                               dose_label=screens.dose_label("clinical", drug))
    ctx_fit = drug_fits.set_index("readout").loc["ctx"]
    subs["drug_ctx_ic50"] = fmt(ctx_fit["ic50"])
    subs["drug_ctx_emax"] = fmt(ctx_fit["emax"])
    subs["sobol_n"] = "256"
    # as the page's command: each parameter from half to twice its value in the mouse
    ranges = dict.fromkeys(["k_rankl_production", "k_opg_production", "pth"], ("0.5x", "2x"))
    gsa = sensitivity("bone", ranges, method="sobol", n=int(subs["sobol_n"]), readouts=["bone_volume"],
                      context="mouse", end=84, workers=1)
    header = ["parameter", "low", "high", "S1", "S1 95 % half-width", "ST", "ST 95 % half-width"]
    rows = [[code(r.parameter), fmt(r.low), fmt(r.high), fmt(r.S1), fmt(r.S1_conf), fmt(r.ST), fmt(r.ST_conf)]
            for r in gsa.itertuples()]
    write("screen_sobol.md", md_table(header, rows))
    plots.sensitivity_figure(gsa, OUT / "screen_sobol.png", title=describe(gsa))


# ------------------------------------------------------------------------------------ tumour
def tumour(subs: dict[str, str]) -> None:
    """The bone_tumour card (presets, parameters) and the tumour experiments page."""
    info = catalog.get_model("bone_tumour")
    rows = []
    for p in info.presets.values():
        values = ", ".join(f"`{k}` = {v:g}" for k, v in p.values.items())
        rows.append([f"`preset:{p.name}`", p.title, values, p.source])
    write("tumour_presets.md", md_table(["spec", "tumour", "values set at time 0", "sources"], rows))
    subs["tumour_presets"] = ", ".join(f"`{name}`" for name in info.presets)

    # parameters the tumour, lesion and arthritis modules add to the bone and clinical models
    bone_ids = set(_parameter_units(catalog.get_model("bone").sbml_path))
    bone_ids |= set(_parameter_units(catalog.get_model("clinical").sbml_path))
    units = _parameter_units(info.sbml_path)
    doc = sbml_io.read_sbml_document(info.sbml_path)
    model = doc.getModel()
    assigned = {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
    sources = annotations.parameter_sources()
    rows = []
    for p in model.getListOfParameters():
        pid = p.getId()
        if pid in bone_ids or pid in assigned:
            continue
        source = sources.get(pid, {}).get("source", "**missing**")
        rows.append([code(pid), fmt(p.getValue()), units[pid], source])
    write("bone_tumour_parameters.md",
          md_table(["parameter", "value", "unit", "source"], rows, ["l", "r", "l", "l"]))
    subs["bone_tumour_added_parameters"] = str(len(rows))

    # the experiments of experiments/tumour.toml
    total = held = 0
    summary = []
    for exp in comparisons.read_comparisons():
        result = comparisons.run_comparison(exp)
        unit = catalog.get_model(exp.model).time_unit
        context = exp.context or catalog.get_model(exp.model).default_context
        plots.comparison_figure(result.time_courses, list(exp.readouts), OUT / f"tumour_{exp.id}.png",
                                title=f"{exp.title} ({exp.model}, {context})", time_unit=unit,
                                units=catalog.get_model(exp.model).unit_labels(exp.readouts))
        final = comparisons.final_table(result)
        spec = {c.label: c.spec for c in exp.conditions}
        write(
            f"tumour_{exp.id}.md",
            md_table(["condition", "spec", *final.columns],
                     [[label, code(spec[label]), *(fmt(v) for v in row)] for label, row in final.iterrows()],
                     ["l", "l", *["r"] * len(final.columns)]),
        )
        checks_rows = []
        for r in result.checks.itertuples():
            change = "" if math.isnan(r.relative_change) else f"{100 * r.relative_change:+.1f} %"
            checks_rows.append([r.condition, r.expectation, fmt(r.value), change,
                                "yes" if r.passed else "**no**", r.source])
        write(f"tumour_{exp.id}_checks.md",
              md_table(["condition", "expected", "value", "change", "holds", "source"], checks_rows,
                       ["l", "l", "r", "r", "l", "l"]))
        n, ok = len(result.checks), int(result.checks["passed"].sum()) if len(result.checks) else 0
        total, held = total + n, held + ok
        summary.append([f"[{exp.title}](#{exp.id.replace('_', '-')})", f"`{exp.id}`", context,
                        f"{exp.end:g} {unit}s", f"{ok} of {n}"])
        subs[f"tumour_{exp.id}_end"] = f"{exp.end:g}"
        subs[f"tumour_{exp.id}_context"] = context
    write("tumour_summary.md", md_table(["experiment", "id", "context", "duration", "expectations held"],
                                        summary))
    subs["tumour_expectations_total"] = str(total)
    subs["tumour_expectations_held"] = str(held)

    # how much of zoledronic acid's effect on the tumour is its direct effect
    human = rankl_net.load_model("bone_tumour", context="human")
    b = human.engine.baseline
    kd_rankl, kd_trail = (b[f"koff_{x}"] / b[f"kon_{x}"] for x in ("rankl_opg", "trail_opg"))
    subs["opg_trail_kd_pm"] = fmt(kd_trail, 3)
    subs["opg_rankl_over_trail_fold"] = fmt(kd_trail / kd_rankl, 3)
    arms = {"zol": "+drug:zoledronate=4mg/4wk",
            "zol_oc_only": "+drug:zoledronate=4mg/4wk+set:bisphosphonate_tumour_kill=0",
            "dmab": "+drug:denosumab=120mg/4wk"}
    for key, arm in arms.items():
        burden = human.final("preset:breast" + arm, end=365, readouts=["tumour_burden"])["tumour_burden"]
        subs[f"breast_burden_{key}"] = fmt(burden)


# ---------------------------------------------------------------- clinical model and drug pages
# parameters of the bone modules that only act through a drug (shown in the clinical card)
DRUG_HOOK_PARAMETERS = ("bp_apoptosis_gain",)


def clinical(subs: dict[str, str]) -> None:
    """The clinical model card (PK/PD parameters, fit, validation) and the per-drug pages."""
    from rankl_net import dosing, fitting, regimens, validation

    info = catalog.get_model("clinical")
    bone_ids = set(_parameter_units(catalog.get_model("bone").sbml_path))
    units = _parameter_units(info.sbml_path)
    model = sbml_io.read_sbml_document(info.sbml_path).getModel()
    assigned = {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
    sources = annotations.parameter_sources()
    fitted = {p.id: (g, p) for g in fitting.read_fit_spec() for p in g.parameters}
    drugs = dosing.drugs()

    # every PK/PD parameter: what the clinical model adds to bone, plus the fitted ones
    rows: list[list[str]] = []
    per_drug: dict[str, list[list[str]]] = {d: [] for d in drugs}
    for p in model.getListOfParameters():
        pid = p.getId()
        if pid in assigned or (pid in bone_ids and pid not in fitted and pid not in DRUG_HOOK_PARAMETERS):
            continue
        source = sources.get(pid, {}).get("source", "**missing**")
        row = [code(pid), fmt(p.getValue()), units[pid], source]
        rows.append(row)
        for d in drugs:
            if d in pid:
                per_drug[d].append(row)
    header, align = ["parameter", "value", "unit", "source"], ["l", "r", "l", "l"]
    write("clinical_parameters.md", md_table(header, rows, align))
    subs["clinical_pkpd_parameters"] = str(len(rows))
    for d, drug_rows in per_drug.items():
        write(f"drug_{d}_parameters.md", md_table(header, drug_rows, align))

    # the fit: values, bounds, targets
    values = {p.getId(): p.getValue() for p in model.getListOfParameters()}
    fit_rows, at_bound = [], []
    for pid, (group, fp) in fitted.items():
        v = values[pid]
        bound = fp.bound_reached(v)
        if bound:
            at_bound.append(f"`{pid}` ({bound})")
        fit_rows.append([code(pid), fmt(v), fp.unit, f"{fmt(fp.lower)} – {fmt(fp.upper)}",
                         f"**{bound}**" if bound else "no", group.name,
                         ", ".join(f"`{t}`" for t in group.targets)])
    write("clinical_fit.md", md_table(["parameter", "fitted value", "unit", "bounds", "at a bound",
                                       "group", "fitted to"], fit_rows,
                                      ["l", "r", "l", "l", "l", "l", "l"]))
    subs["clinical_fitted_count"] = str(len(fit_rows))
    subs["fit_converged_pct"] = f"{100 * fitting.CONVERGED:g}"
    subs["max_doses"] = f"{MAX_DOSES:,}"
    write("drug_highest_doses.md", md_table(
        ["drug", "highest single dose studied (mg/kg)", f"as mg for a {dosing.ADULT_BODY_WEIGHT:g} kg adult",
         "sources"],
        [[code(d), fmt(drug.highest_dose_mg_per_kg),
          fmt(drug.highest_dose_mg_per_kg * dosing.ADULT_BODY_WEIGHT), drug.highest_dose_source]
         for d, drug in drugs.items() if drug.highest_dose_mg_per_kg is not None],
        ["l", "r", "r", "l"]))
    subs["clinical_fit_at_bound"] = ", ".join(at_bound) or "none"

    # validation: predicted vs observed
    table = validation.validate()
    plots.validation_figure(table, OUT / "clinical_validation.png")
    val_rows = [[f"`{r.id}`", code(r.regimen), r.readout, r.metric, r.time_d, fmt(r.predicted),
                 fmt(r.observed), fmt(r.tolerance), "yes" if r.passed else "**no**",
                 "yes" if r.fitted else "no", r.source] for r in table.itertuples()]
    val_header = ["fact", "regimen", "readout", "metric", "days", "predicted", "observed", "tolerance",
                  "passes", "fit target", "source"]
    val_align = ["l"] * 5 + ["r"] * 3 + ["l"] * 3
    write("clinical_validation.md", md_table(val_header, val_rows, val_align))
    subs["clinical_facts_total"] = str(len(table))
    subs["clinical_facts_passed"] = str(int(table["passed"].sum()))
    for d in drugs:
        mine = [row for row, r in zip(val_rows, table.itertuples(), strict=True) if d in r.regimen]
        write(f"drug_{d}_validation.md",
              md_table(val_header, mine, val_align) if mine
              else "No row of the validation table doses this drug.\n")
    month6 = table.set_index("id").loc["dmab_ctx_month6", "predicted"]
    subs["dmab_ctx_month6"] = f"{month6:.0f}"
    # how far formation follows resorption down in the first 6-month interval
    first = rankl_net.load_model("clinical").simulate("drug:denosumab=60mg", end=182, points=183,
                                                      readouts=["ctx", "p1np"])
    subs["dmab_ctx_nadir"] = f"{-first['ctx'].min():.0f}"
    subs["dmab_p1np_nadir"] = f"{-first['p1np'].min():.0f}"
    subs["dmab_p1np_month1"] = f"{first['p1np'][30]:.0f}"
    by_id = table.set_index("id")["predicted"]
    subs["dmab_p1np_month24"] = f"{by_id['dmab_p1np_month24']:.0f}"
    subs["dmab_ctx_month24"] = f"{by_id['dmab_ctx_month24']:.0f}"
    # the early rise of P1NP after an antiresorptive (the Pivonka TGF-beta structure)
    for key, spec in (("dmab", "drug:denosumab=60mg"), ("zol5", "drug:zoledronate=5mg")):
        early = rankl_net.load_model("clinical").simulate(spec, end=28, points=113, readouts=["p1np"])
        peak = early["p1np"].idxmax()
        subs[f"{key}_p1np_rise"] = f"{early['p1np'][peak]:.0f}"
        subs[f"{key}_p1np_rise_day"] = f"{early['time'][peak]:.0f}"
    ec50 = rankl_net.load_model("clinical").engine.baseline
    subs["pam_zol_ec50_ratio"] = f"{ec50['pamidronate_ec50'] / ec50['zoledronate_ec50']:,.0f}"
    # stopping denosumab after 2 years: where the rebound of resorption comes from
    stop = rankl_net.load_model("clinical")
    # (to 2.5 years after the day a zoledronic acid infusion follows it, below: a row a day)
    bmd = ["bmd_lumbar_spine", "bmd_total_hip"]
    course = stop.simulate("drug:denosumab=60mg/6mo*4", end=1643, points=1644,
                           readouts=["ctx", "bone_volume", *bmd,
                                     "osteoclasts", "osteomorphs", "mineral_density", "p1np"])
    course = course.set_index("time")
    off = course.loc[730.0:1095.0]
    peak = off["ctx"].idxmax()
    subs["dmab_stop_ctx_max"] = f"{off['ctx'][peak]:.0f}"
    subs["dmab_stop_ctx_max_day"] = f"{peak:.0f}"
    subs["dmab_stop_ctx_max_months"] = f"{(peak - 730.0) / 30.4375:.0f}"
    oc0 = course["osteoclasts"].iloc[0]
    subs["dmab_stop_oc_peak_pct"] = f"{100 * off['osteoclasts'].max() / oc0:.0f}"
    on = course.loc[:730.0]
    # osteomorphs per osteoclast, relative to baseline, before the fourth dose's interval ends
    ratio = (on["osteomorphs"] / on["osteoclasts"]) / (course["osteomorphs"].iloc[0] / oc0)
    subs["dmab_osteomorph_ratio_month24"] = f"{ratio.loc[730.0]:.1f}"
    subs["dmab_stop_p1np_max"] = f"{off['p1np'].max():.0f}"
    after_peak = off.loc[peak:]
    subs["dmab_stop_ctx_back_months"] = f"{(after_peak.index[after_peak['ctx'] < 5][0] - peak) / 30.4375:.0f}"
    subs["dmab_stop_bmd_2mo"] = f"{course.loc[790.0, 'bmd_lumbar_spine']:.1f}"
    subs["dmab_stop_bv_2y"] = f"{course.loc[730.0, 'bone_volume'] - 100:.1f}"
    subs["dmab_stop_mineral_2y"] = f"{100 * (course.loc[730.0, 'mineral_density'] - 1):.1f}"
    continued = stop.final("drug:denosumab=60mg/6mo", end=1095, readouts=["bone_volume", "mineral_density"])
    subs["dmab_bv_3y"] = f"{continued['bone_volume'] - 100:.1f}"
    subs["dmab_mineral_3y"] = f"{100 * (continued['mineral_density'] - 1):.1f}"
    subs["bmd_lumbar_spine_response"] = fmt(stop.engine.baseline["bmd_lumbar_spine_response"], 2)
    subs["bmd_total_hip_response"] = fmt(stop.engine.baseline["bmd_total_hip_response"], 2)
    subs["mineral_new_pct"] = fmt(100 * stop.engine.baseline["mineral_new"], 2)
    k_secondary = stop.engine.baseline["k_secondary_mineralisation"]
    subs["secondary_mineralisation_years"] = fmt(1 / k_secondary / 365.25, 2)
    # cathepsin K inhibition keeps the osteoclasts, and with them formation
    odn = stop.final("drug:odanacatib=50mg/7d", end=365, readouts=["ctx", "p1np"])
    subs["odn_ctx_1y"] = f"{odn['ctx']:.0f}"
    subs["odn_p1np_1y"] = f"{round(odn['p1np'])}"  # (round: no "-0" for -1e-7)
    # its bone density after 3 years of 50 mg weekly, against Eisman 2011's
    odn_bmd = stop.final("drug:odanacatib=50mg/7d", end=1095.75, readouts=bmd)
    subs["odn_bmd_spine_3y"] = f"{odn_bmd['bmd_lumbar_spine']:.0f}"
    subs["odn_bmd_hip_3y"] = f"{odn_bmd['bmd_total_hip']:.0f}"
    subs["dmab_stop_bmd_2y"] = f"{course.loc[730.0, 'bmd_lumbar_spine']:.1f}"
    subs["dmab_stop_bmd_3y"] = f"{course.loc[1095.0, 'bmd_lumbar_spine']:.1f}"
    # zoledronic acid 6 months after the last of four denosumab doses, to Everts-Graber's median
    # follow-up of 2.5 years after the infusion
    zol_after = stop.simulate("drug:denosumab=60mg/6mo*4+drug:zoledronate=5mg@2y", end=1643, points=1644,
                              readouts=["ctx", *bmd]).set_index("time")
    after = {"alone": course, "zol": zol_after}
    for arm, course_after in after.items():
        for site in bmd:
            kept = course_after[site].iloc[-1] / course_after.loc[730.0, site]
            subs[f"dmab_{arm}_{site}_kept_pct"] = f"{100 * kept:.0f}"
    subs["dmab_zol_ctx_max"] = f"{after['zol'].loc[731.0:, 'ctx'].max():.0f}"
    spine_zol = after["zol"]["bmd_lumbar_spine"]
    subs["dmab_zol_spine_low_months"] = f"{(spine_zol.loc[731.0:].idxmin() - 730.5) / 30.4375:.0f}"
    # one zoledronic acid infusion over years
    zol = rankl_net.load_model("clinical")
    zol5 = zol.simulate("drug:zoledronate=5mg", end=1095, points=4, readouts=["ctx"]).set_index("time")["ctx"]
    subs["zol5_ctx_month12"] = f"{zol5.loc[365.0]:.0f}"
    subs["zol5_ctx_month36"] = f"{zol5.loc[1095.0]:.0f}"
    zol4 = zol.final("drug:zoledronate=4mg", end=365, readouts=["bmd_lumbar_spine"])["bmd_lumbar_spine"]
    subs["zol4_bmd_spine_1y"] = f"{zol4:.1f}"
    # plasma 4 hours after a 4 mg infusion (a bolus in the model), as a share of its peak
    plasma = zol.simulate("drug:zoledronate=4mg", end=4 / 24, points=2, readouts=["zoledronate_serum"])
    serum = plasma["zoledronate_serum"]
    subs["zol_plasma_4h_pct"] = f"{100 * serum.iloc[-1] / serum.iloc[0]:.0f}"
    # (clearance in L/day: the half-life in hours)
    subs["zol_beta_half_life_h"] = fmt(24 * math.log(2) * zol.engine.baseline["zoledronate_v_ref"]
                                       / zol.engine.baseline["zoledronate_cl_ref"], 3)
    # pamidronate wears off within months, leaving the osteomorphs that piled up to refuse
    pam = zol.simulate("drug:pamidronate=90mg", end=365, points=366, readouts=["ctx"])
    pam = pam.set_index("time")["ctx"]
    subs["pam_ctx_overshoot"] = f"{pam.max():.0f}"
    subs["pam_ctx_overshoot_day"] = f"{pam.idxmax():.0f}"

    # regimen experiments: one figure each, listed on the page of every drug they dose
    figures: dict[str, list[str]] = {d: [] for d in drugs}
    for name, exp in regimens.read_experiments().items():
        frame = regimens.run_experiment(exp)
        plots.regimen_figure(frame, exp.title, OUT / f"regimen_{name}.png")
        for d in regimens.dosed_drugs(exp):
            figures[d].append(f"### {exp.title}\n\n`rankl-net regimens {name}`\n\n"
                              f"![{exp.title}](regimen_{name}.png)\n")
    for d, parts in figures.items():
        write(f"drug_{d}_regimens.md", "\n".join(parts))
    # the mouse contexts: denosumab binds human RANKL only
    mouse = {}
    for ctx in ("mouse", "mouse_huRANKL"):
        m = rankl_net.load_model("clinical", context=ctx)
        treated = m.final("drug:denosumab=10mg/kg/3.5d", end=28, readouts=["osteoclasts"])["osteoclasts"]
        mouse[ctx] = 100 * treated / m.engine.baseline["osteoclasts"]
    subs["dmab_mouse_oc_pct"] = pct(mouse["mouse"])
    subs["dmab_huRANKL_oc_pct"] = pct(mouse["mouse_huRANKL"])


def generate() -> dict[str, str]:
    """Write every generated file into ``docs/_generated`` and return the page substitutions."""
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    subs: dict[str, str] = {"version": rankl_net.__version__}
    timings = []
    for step in (contexts, nodes, provenance, osteoclastogenesis, bone, phenotypes, tumour, clinical,
                 screens_example,
                 quickstart, cli):
        start = time.perf_counter()
        step(subs)
        timings.append(f"{step.__name__}: {time.perf_counter() - start:.2f} s\n")
    write("timings.txt", "".join(timings))
    write("substitutions.txt", "".join(f"{k} = {v}\n" for k, v in sorted(subs.items())))
    return subs


if __name__ == "__main__":
    for key, value in generate().items():
        print(f"{key} = {value}")
