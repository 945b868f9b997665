"""Generated SBML and listings are byte-stable and match the committed files."""

from __future__ import annotations

from rankl_net import build, catalog, paths


def test_committed_sbml_matches_sources():
    # raises InputError naming every drifted file
    build.build(check=True)


def test_generation_is_byte_stable():
    for name in catalog.model_names():
        assert build.build_sbml(name) == build.build_sbml(name)


def test_generation_does_not_depend_on_the_hash_seed():
    """Builds in one process share a hash seed: an order taken from a set would pass the test
    above. Processes with three seeds write the same file."""
    import os
    import subprocess
    import sys

    script = "import sys\nfrom rankl_net import build\nsys.stdout.write(build.build_sbml('bone'))"
    outs = {subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1 and outs == {build.build_sbml("bone")}


def test_includes_are_expanded_once_per_directive(tmp_path):
    text = build.expand_includes(paths.ANTIMONY / "bone.ant")
    assert "@include" not in text
    assert text.count("begin modules/rank_signalling.ant") == 1
    # an included file's own includes are expanded too
    (tmp_path / "a.ant").write_text("model a\n// @include b.ant\nend\n", encoding="utf-8")
    (tmp_path / "b.ant").write_text("// @include c.ant\ny = 2\n", encoding="utf-8")
    (tmp_path / "c.ant").write_text("x = 1\n", encoding="utf-8")
    nested = build.expand_includes(tmp_path / "a.ant", tmp_path)
    assert "@include" not in nested and nested.index("x = 1") < nested.index("y = 2")


def test_listing_names_every_parameter_with_its_source():
    # the listing as the build writes it now (the committed one is compared with it elsewhere)
    listing = build.listing_markdown(build.build_sbml("bone"))
    assert "| `k_oba_apoptosis` | 0.189 | per_day | Pivonka" in listing


def test_generation_does_not_depend_on_tellurium_or_the_locale():
    """Same files whether tellurium (libSED-ML) is loaded first, and under an ASCII locale."""
    import os
    import subprocess
    import sys

    script = ("import sys\nif sys.argv[1] == 'first':\n    import tellurium\n"
              "from rankl_net import build\nsys.stdout.buffer.write((build.build_sbml('bone') + "
              "build.listing_markdown(build.build_sbml('bone'))).encode('utf-8'))")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}  # an ASCII locale, as in CI
    outs = [subprocess.run([sys.executable, "-c", script, mode], capture_output=True, check=True,
                           env=env).stdout.decode("utf-8") for mode in ("plain", "first")]
    assert outs[0] == outs[1]
    assert outs[0] == build.build_sbml("bone") + build.listing_markdown(build.build_sbml("bone"))


def test_a_unit_that_is_not_defined_stops_the_build(tmp_path):
    """Antimony would turn the typing error into an empty unit definition."""
    import shutil

    import pytest

    from rankl_net.errors import InputError

    root = tmp_path / "antimony"
    shutil.copytree(paths.ANTIMONY, root)
    module = root / "modules" / "rank_signalling.ant"
    text = module.read_text(encoding="utf-8")
    typo = text.replace("k_traf6_act = 20 per_hour", "k_traf6_act = 20 per_hourr")
    module.write_text(typo, encoding="utf-8")
    with pytest.raises(InputError, match=r"unit\(s\) per_hourr used but not defined"):
        build.build_sbml("osteoclastogenesis", root)
    module.write_text(text, encoding="utf-8")
    build.build_sbml("osteoclastogenesis", root)  # the copy as shipped builds


def test_a_fitted_value_at_a_bound_says_so_in_the_listing():
    """A reader of a model card learns which fitted values the fit's bounds, not its targets,
    set: the row of every fitted parameter whose value equals a bound of
    experiments/fits/clinical.toml names that bound, and no other row does."""
    import tomllib

    spec = tomllib.loads((paths.EXPERIMENTS / "fits" / "clinical.toml").read_text(encoding="utf-8"))
    bounds = {pid: (p["lower"], p["upper"]) for g in spec["group"] for pid, p in g["parameters"].items()}
    rows = {line.split("|")[1].strip().strip("`"): line for line in
            (paths.SBML / "clinical.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")}
    marked = {pid for pid, line in rows.items() if "at the fit's" in line}
    at_bound = set()
    for pid, (lower, upper) in bounds.items():
        value = float(rows[pid].split("|")[2])
        if abs(value - upper) <= 1e-3 * upper:
            at_bound.add(pid)
            assert f"(at the fit's upper bound, {rows[pid].split('|')[2].strip()})" in rows[pid]
        elif abs(value - lower) <= 1e-3 * (abs(lower) if lower else upper - lower):
            at_bound.add(pid)
            assert "(at the fit's lower bound" in rows[pid]
    assert marked == at_bound and at_bound  # (the current fit leaves some at a bound)


def test_a_fit_parameter_knows_which_bound_it_reached():
    from rankl_net.fit_spec import FitParameter

    p = FitParameter("k", start=1.0, lower=0.1, upper=3.0, unit="per_day")
    reached = [p.bound_reached(v) for v in (0.1, 0.10005, 0.5, 2.99, 2.999, 3.0)]
    assert reached == ["lower", "lower", "", "", "upper", "upper"]
    share = FitParameter("s", start=0.5, lower=0.0, upper=1.0, unit="dimensionless")  # a bound at 0
    assert [share.bound_reached(v) for v in (0.0, 1e-9, 5e-4, 0.01)] == ["lower", "lower", "lower", ""]
