"""Units travel with the tables: simulation frames, Parquet files, screen datasets, experiment and
validation tables say what each value is measured in."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from rankl_net import load_model, screens
from rankl_net.build import antimony_to_sbml
from rankl_net.comparisons import read_comparisons, run_comparison
from rankl_net.sbml_files import load_any, simulate_any
from rankl_net.validation import TIME_METRICS, read_facts, validate

# what the catalog and the SBML units say of these readouts of the clinical model
CLINICAL_UNITS = {"time": "day", "ctx": "% change", "bone_volume": "%", "denosumab_serum": "µg/mL",
                  "osteoclasts": "pM"}


def test_a_simulation_frame_names_the_unit_of_each_column():
    frame = load_model("clinical", "human").simulate(end=10, points=3, readouts=list(CLINICAL_UNITS)[1:])
    assert frame.attrs["units"] == CLINICAL_UNITS
    # a percent of a whole and a percent change differ; the hour-based model counts in hours
    assert load_model("osteoclastogenesis").simulate(end=2, points=2).attrs["units"]["time"] == "hour"


def test_a_file_reports_the_units_it_declares_and_no_percent_change(tmp_path, with_time_unit):
    text = antimony_to_sbml(
        "model t\n unit pM = 1e-12 mole / litre\n unit percent = 0.01 dimensionless\n"
        " compartment c = 1; c has litre\n species x in c; x has pM; x = 5\n J: x -> ; k*x\n"
        " k = 0.1; k has per_hour\n unit per_hour = 1 / 3600 second\n"
        " share = 50; share has percent\n share' = 0\nend"
    )
    path = tmp_path / "t.xml"
    path.write_text(with_time_unit(text, "hour_unit", 3600.0), encoding="utf-8")
    frame = simulate_any(load_any(path), end=1.0, points=2, readouts=["x", "share"])
    assert frame.attrs["units"] == {"time": "hour", "x": "pM", "share": "%"}


def test_a_parquet_table_carries_each_column_unit_in_its_schema(tmp_path):
    out = tmp_path / "bone.parquet"
    args = ["simulate", "clinical", "--end", "10", "--points", "3", "--readouts",
            "ctx,bone_volume,denosumab_serum,osteoclasts", "--out", str(out)]
    done = subprocess.run([sys.executable, "-m", "rankl_net", *args], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    fields = {f.name: (f.metadata or {}).get(b"unit", b"").decode() for f in pq.read_schema(out)}
    assert fields == CLINICAL_UNITS  # seen by any Parquet reader
    assert pd.read_parquet(out).attrs["units"] == CLINICAL_UNITS  # and by pandas


def test_a_screen_table_and_its_dataset_have_a_unit_for_each_row(tmp_path):
    readouts = ["ctx", "bone_volume", "osteoclasts"]
    table = screens.run_screen("clinical", ["drug:zoledronate=4mg"], context="human", end=30,
                               readouts=readouts, workers=1, out=tmp_path / "s.parquet")
    expected = {r: CLINICAL_UNITS[r] for r in readouts}
    assert dict(zip(table["readout"], table["unit"], strict=True)) == expected
    on_disk = pd.read_parquet(tmp_path / "s.parquet")  # what a colleague reads
    assert dict(zip(on_disk["readout"], on_disk["unit"], strict=True)) == expected


def test_a_dataset_written_without_units_is_resumed_with_them(tmp_path):
    out = tmp_path / "s.parquet"
    conditions = ["ko:OPG", "ko:RANKL"]
    whole = screens.run_screen("bone", conditions, end=28, readouts=["bone_volume", "osteoclasts"],
                               workers=1, out=out)
    for part in out.glob("part-*.parquet"):  # as a screen recorded before units were
        pd.read_parquet(part).drop(columns="unit").to_parquet(part, index=False)
    again = screens.run_screen("bone", conditions, end=28, readouts=["bone_volume", "osteoclasts"],
                               workers=1, out=out, resume=True)
    assert again.attrs["resumed"] == len(conditions)
    pd.testing.assert_frame_equal(again, whole, check_exact=True)


def test_experiment_tables_give_the_unit_of_each_value():
    exp = next(e for e in read_comparisons() if e.model == "bone_tumour")
    result = run_comparison(exp)
    courses, checks = result.time_courses, result.checks
    expected = load_model(exp.model, exp.context or None).simulate(
        end=1, points=2, readouts=sorted(set(courses["readout"]))).attrs["units"]
    assert (courses["unit"] == courses["readout"].map(expected)).all()
    assert (checks["unit"] == checks["readout"].map(expected)).all()
    assert courses.attrs["units"] == {"time": expected["time"]}


def test_a_validation_table_gives_days_for_times_and_the_readout_unit_otherwise():
    facts = read_facts()
    chosen = [next(f for f in facts if f.metric in TIME_METRICS),
              next(f for f in facts if f.metric == "value" and f.readout == "ctx"),
              next(f for f in facts if f.readout == "denosumab_serum" and f.metric == "max")]
    table = validate(chosen)
    assert list(table["unit"]) == ["days", "% change", "µg/mL"]


@pytest.mark.parametrize("readouts", [["ctx"], ["bone_volume", "ctx"]])
def test_unit_lookups_are_cached_per_engine_and_agree_with_the_model_files(readouts):
    model = load_model("clinical", "human")
    assert model.engine.units(readouts) == screens.readout_units("clinical", readouts)


def test_a_file_without_a_time_unit_leaves_time_without_one(tmp_path):
    path = tmp_path / "t.xml"
    path.write_text(antimony_to_sbml("model t\n x = 1\n x' = -x\nend"), encoding="utf-8")
    frame = simulate_any(load_any(path), end=1.0, points=2, readouts=["x"])
    assert frame.attrs["units"] == {"time": "", "x": ""}
