"""The README's speed figures are a summary of docs/benchmarks.md, which records the benchmark
runs: each figure must be the docs' figure at the README's precision, so the two cannot drift."""

from __future__ import annotations

import re

import pytest

from rankl_net import paths

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (paths.ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def _readme(pattern: str) -> tuple[str, ...]:
    found = re.search(pattern, " ".join(README.split()))
    assert found, f"README no longer says {pattern!r}"
    return found.groups()


def _table_row(runner_prefix: str) -> list[str]:
    """Cells of the benchmarks table row whose runner starts with runner_prefix."""
    rows = [line for line in BENCHMARKS.splitlines() if line.startswith(f"| {runner_prefix}")]
    assert len(rows) == 1, f"docs/benchmarks.md has {len(rows)} rows for {runner_prefix!r}"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def _same(readme_figure: str, docs_figure: str) -> None:
    """The README's figure is the docs' figure rounded to the README's decimals."""
    decimals = len(readme_figure.partition(".")[2])
    docs_value = float(docs_figure.replace(",", "").rstrip("x"))
    assert f"{docs_value:.{decimals}f}" == readme_figure, (readme_figure, docs_figure)


def test_screen_figures_are_the_docs_figures():
    serial, both, both_ratio, vs_loop, vs_tellurium, vs_copasi = _readme(
        r"(\d+) conditions/s serial, (\d+) on both cores \(([\d.]+)x serial\); ([\d.]+)x the "
        r"fastest hand-written libRoadRunner loop.*?; ([\d.]+)x a tellurium loop, (\d+)x COPASI"
    )
    _same(serial, _table_row("rankl-net, serial")[2])
    both_row = _table_row("rankl-net, both cores")
    _same(both, both_row[2])
    _same(both_ratio, re.search(r"\(([\d.]+)x serial\)", both_row[3]).group(1))
    _same(vs_loop, _table_row("hand-written libRoadRunner")[3])
    _same(vs_tellurium, _table_row("tellurium:")[3])
    _same(vs_copasi, _table_row("COPASI")[3])


def test_fewer_steps_is_computed_from_the_docs_step_counts():
    (fewer_percent,) = _readme(r"switches it on for this model: (\d+) % fewer steps")
    engine, loop = re.search(
        r"the engine takes ([\d,]+) CVODE steps and the loop ([\d,]+)", " ".join(BENCHMARKS.split())
    ).groups()
    engine_steps, loop_steps = (int(n.replace(",", "")) for n in (engine, loop))
    assert round(100 * (1 - engine_steps / loop_steps)) == int(fewer_percent)


@pytest.mark.parametrize(
    ("readme_pattern", "docs_row"),
    [
        (r"on two models\): ([\d.]+) s end to end", "`rankl-net phenotypes`"),
        (r"lines take ([\d.]+) s in a warm process", "`rankl_net.run_phenotypes()`"),
        (r"every line takes ([\d.]+) s", "tellurium loop"),
    ],
)
def test_phenotype_figures_are_the_docs_figures(readme_pattern, docs_row):
    (figure,) = _readme(readme_pattern)
    _same(figure, _table_row(docs_row)[1])
