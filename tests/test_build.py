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
    listing = (paths.SBML / "bone.md").read_text()
    assert "| `k_oba_apoptosis` | 0.189 | per_day | Pivonka" in listing
