"""Experiments defined as data in ``experiments/``: the mouse genetic-line phenotypes.

How a germline line is represented
----------------------------------
Each line starts from the wild-type adult baseline of the ``bone`` model in the mouse context
(drug rows: the ``clinical`` model in a mouse context, against its own untreated wild type);
its perturbation is applied at time 0 and the model runs for ``AGE_DAYS`` (12 weeks, a usual
age of skeletal phenotyping). Wild type runs over the same window. The comparison therefore
measures the remodelling imbalance the genotype imposes over 12 weeks, not developmental
effects of the gene (tooth eruption, growth-plate defects), which the model does not carry.

Classification (against wild type at the same age)
--------------------------------------------------
* osteopetrotic: bone volume >= ``OSTEOPETROTIC_BV`` % of wild type;
* osteoporotic: bone volume <= ``OSTEOPOROTIC_BV`` % of wild type;
* normal otherwise.

Osteoclast number: absent below ``OC_ABSENT`` % of wild type, increased above
``OC_INCREASED`` %, present otherwise.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .errors import (
    DrugWithoutTargetWarning,
    InputError,
    check_number,
    existing_file,
    given,
    is_ordered_collection,
    unknown_name,
)
from .model import Model

AGE_DAYS = 84.0
OSTEOPETROTIC_BV = 110.0
OSTEOPOROTIC_BV = 90.0
OC_ABSENT = 10.0
OC_INCREASED = 120.0
PHENOTYPES = ("osteopetrotic", "osteoporotic", "normal")
OSTEOCLAST_CALLS = ("absent", "present", "increased", "any")
GENETIC_LINES = paths.EXPERIMENTS / "genetic_lines.tsv"


@dataclass(frozen=True)
class GeneticLine:
    """One row of ``experiments/genetic_lines.tsv``."""

    line: str
    spec: str
    expected_phenotype: str
    expected_osteoclasts: str
    source: str
    note: str = ""
    model: str = "bone"
    context: str = "mouse"


def read_genetic_lines(path: Path = GENETIC_LINES) -> list[GeneticLine]:
    """Read the genetic-line table (``path``: a string or a Path); malformed rows raise an error
    naming the row."""
    path = existing_file(path, "read_genetic_lines(path)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
    lines = []
    for i, r in enumerate(rows, start=1):
        cells = {k: (r.get(k) or "").strip() for k in GeneticLine.__dataclass_fields__}
        gl = GeneticLine(**{k: v for k, v in cells.items() if v or k not in ("model", "context")})
        if gl.expected_phenotype not in PHENOTYPES:
            raise InputError(
                f"{path.name} row {i} ({gl.line}): expected_phenotype must be one of {PHENOTYPES}"
            )
        if gl.expected_osteoclasts not in OSTEOCLAST_CALLS:
            raise InputError(
                f"{path.name} row {i} ({gl.line}): expected_osteoclasts must be one of {OSTEOCLAST_CALLS}"
            )
        lines.append(gl)
    return lines


def classify_bone(bone_volume_pct_wt: float) -> str:
    """Phenotype from bone volume in percent of wild type at the same age."""
    if bone_volume_pct_wt >= OSTEOPETROTIC_BV:
        return "osteopetrotic"
    if bone_volume_pct_wt <= OSTEOPOROTIC_BV:
        return "osteoporotic"
    return "normal"


def classify_osteoclasts(osteoclasts_pct_wt: float) -> str:
    """Osteoclast call from osteoclast number in percent of wild type."""
    if osteoclasts_pct_wt < OC_ABSENT:
        return "absent"
    if osteoclasts_pct_wt > OC_INCREASED:
        return "increased"
    return "present"


def osteoclasts_agree(expected: str, observed: str) -> bool:
    """Whether an osteoclast call meets the expectation ("present" includes "increased")."""
    if expected == "any":
        return True
    if expected == "present":
        return observed in ("present", "increased")
    return expected == observed


def line_named(name: str, lines: Sequence[GeneticLine]) -> GeneticLine:
    """The line of ``lines`` called ``name``, in any case ("opg-/-"); an unknown name raises
    InputError with the closest line name."""
    by_name = {gl.line.casefold(): gl for gl in lines}
    if not isinstance(name, str) or name.strip().casefold() not in by_name:
        raise unknown_name("genetic line", name, [gl.line for gl in lines])
    return by_name[name.strip().casefold()]


def run_phenotypes(
    lines: Sequence[GeneticLine | str] | str | None = None, age_days: float = AGE_DAYS
) -> pd.DataFrame:
    """Run genetic lines against wild type of the same age.

    Parameters
    ----------
    lines
        Lines of ``experiments/genetic_lines.tsv`` by name ("OPG-/-") or as
        :class:`GeneticLine` objects (default: every line of the file).
    age_days
        Age at which the lines are compared, in days (default 84: 12 weeks).

    Returns one row per line: bone volume, osteoclasts, osteoblasts and CTX in percent of wild
    type, the phenotype and osteoclast calls, the expectations, the source and whether they
    agree.
    """
    if not isinstance(age_days, str):  # a time with a unit ("12wk") is read as an end time is
        check_number("run_phenotypes", "age_days", age_days)
        if not (math.isfinite(age_days) and age_days > 0):
            raise InputError(f"run_phenotypes: age_days must be a positive number of days (84: 12 weeks), "
                             f"got {age_days:g}")
    if lines is None:
        lines = read_genetic_lines()
    else:
        if not isinstance(lines, str | GeneticLine) and not is_ordered_collection(lines):
            raise InputError(f"lines are names such as 'OPG-/-' or GeneticLine objects (one, or a list), got "
                             f"{given(lines)}")
        lines = [lines] if isinstance(lines, str | GeneticLine) else list(lines)
        if not lines:
            raise InputError("no genetic line given; leave lines out for every line of the file")
        for gl in lines:
            if not isinstance(gl, str | GeneticLine):
                raise InputError(f"a genetic line is a name such as 'OPG-/-' or a GeneticLine, got "
                                 f"{type(gl).__name__} {gl!r}")
        every = read_genetic_lines()
        lines = [line_named(gl, every) if isinstance(gl, str) else gl for gl in lines]
    readouts = ["bone_volume", "osteoclasts", "osteoblasts", "ctx"]
    models: dict[tuple[str, str], Model] = {}
    wild_types: dict[tuple[str, str], pd.Series] = {}
    records = []
    for gl in lines:
        key = (gl.model, gl.context)
        if key not in models:
            models[key] = Model(gl.model, context=gl.context)
            wild_types[key] = models[key].final(end=age_days, readouts=readouts)
        wt = wild_types[key]
        with warnings.catch_warnings():
            # a line of the table that doses a drug in a context it does not bind (wild type +
            # denosumab) states that species specificity: no note that it has no effect
            warnings.simplefilter("ignore", DrugWithoutTargetWarning)
            res = models[key].final(gl.spec, end=age_days, readouts=readouts)
        bv = 100.0 * res["bone_volume"] / wt["bone_volume"]
        oc = 100.0 * res["osteoclasts"] / wt["osteoclasts"]
        phenotype, oc_call = classify_bone(bv), classify_osteoclasts(oc)
        records.append(
            {
                "line": gl.line,
                "perturbation": gl.spec,
                "model": f"{gl.model} ({gl.context})",
                "bone_volume_pct_wt": bv,
                "osteoclasts_pct_wt": oc,
                "osteoblasts_pct_wt": 100.0 * res["osteoblasts"] / wt["osteoblasts"],
                "ctx_pct_wt": 100.0 * (100.0 + res["ctx"]) / (100.0 + wt["ctx"]),
                "phenotype": phenotype,
                "expected_phenotype": gl.expected_phenotype,
                "osteoclasts": oc_call,
                "expected_osteoclasts": gl.expected_osteoclasts,
                "agrees": phenotype == gl.expected_phenotype
                and osteoclasts_agree(gl.expected_osteoclasts, oc_call),
                "source": gl.source,
            }
        )
    return pd.DataFrame.from_records(records)
