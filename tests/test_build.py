"""Generated SBML and listings are byte-stable and match the committed files."""

from __future__ import annotations

from rankl_net import build, catalog, paths


def test_committed_sbml_matches_sources():
    # raises InputError naming every drifted file
    build.build(check=True)


def test_generation_is_byte_stable():
    for name in catalog.model_names():
        assert build.build_sbml(name) == build.build_sbml(name)


def test_includes_are_expanded_once_per_directive():
    text = build.expand_includes(paths.ANTIMONY / "bone.ant")
    assert "@include" not in text
    assert text.count("begin modules/rank_signalling.ant") == 1


def test_listing_names_every_parameter_with_its_source():
    listing = (paths.SBML / "bone.md").read_text(encoding="utf-8")
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
