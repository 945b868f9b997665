"""Model-quality checks (pure functions in rankl_net.checks), one test per object where useful."""

from __future__ import annotations

import functools

import libsbml
import numpy as np
import pytest

from rankl_net import annotations, calibrate, catalog, checks, engine, sbml_io
from rankl_net.catalog import get_model

MODELS = catalog.model_names()


@functools.cache
def _document(name: str) -> libsbml.SBMLDocument:
    # the document must outlive every Model taken from it (libSBML owns the memory)
    return sbml_io.read_sbml_document(get_model(name).sbml_path)


def _model(name: str) -> libsbml.Model:
    return _document(name).getModel()


def _species(name: str) -> list[str]:
    return [s.getId() for s in _model(name).getListOfSpecies()]


@pytest.mark.parametrize("name", MODELS)
def test_libsbml_units_consistent_no_errors_no_warnings(name):
    errors, warnings = checks.sbml_consistency(_document(name))
    assert errors.passed, errors.items
    assert warnings.passed, warnings.items


@pytest.mark.parametrize("name,sid", [(m, s) for m in MODELS for s in _species(m)])
def test_species_has_identifiers_org_annotation_and_sbo(name, sid):
    s = _model(name).getSpecies(sid)
    assert s.isSetSBOTerm()
    uris = [
        s.getCVTerm(i).getResourceURI(j)
        for i in range(s.getNumCVTerms())
        for j in range(s.getCVTerm(i).getNumResources())
    ]
    assert any(u.startswith("https://identifiers.org/") for u in uris), uris


@pytest.mark.parametrize("name", MODELS)
def test_reaction_sbo_terms_follow_the_mechanism(name):
    """A kinase's inactivation is a dephosphorylation, not the phosphorylation its activation is
    ("activation" is inside "inactivation"); TRAF6 is switched by (de)ubiquitination."""
    terms = {r.getId(): r.getSBOTermID() for r in _model(name).getListOfReactions()}
    assert terms["ikk_activation"] == "SBO:0000216" and terms["ikk_inactivation"] == "SBO:0000330"
    assert terms["traf6_activation"] == "SBO:0000224"
    phosphorylations = {rid for rid, term in terms.items() if term == "SBO:0000216"}
    assert phosphorylations == {f"{k}_activation" for k in ("tak1", "ikk", "p38", "jnk", "erk")}


@pytest.mark.parametrize("name", MODELS)
def test_every_parameter_has_unit_and_source(name):
    m = _model(name)
    assert checks.parameter_units(m).passed, checks.parameter_units(m).items
    result = checks.parameter_sources(m, annotations.parameter_sources())
    assert result.passed, result.items


def test_no_stale_rows_in_parameter_table():
    used = {p.getId() for name in MODELS for p in _model(name).getListOfParameters()}
    stale = set(annotations.parameter_sources()) - used
    assert not stale


@pytest.mark.parametrize("name", MODELS)
def test_no_orphans(name):
    result = checks.orphans(_model(name))
    assert result.passed, result.items


def test_calibration_references_are_current():
    written = calibrate.read_references()
    computed = calibrate.baseline_of(written)
    for key, value in written.items():
        assert computed[key] == pytest.approx(value, rel=1e-7), key


def test_the_generated_references_are_what_calibrate_writes_with_their_units(tmp_path):
    """models/antimony/generated/bone_baseline.ant is render()'s text of its own values: each
    reference declared with the unit of the quantity it is the baseline of (osteoclasts in pM)."""
    written = calibrate.read_references()
    assert set(written) == set(calibrate.REFERENCES)
    text = calibrate.GENERATED.read_text(encoding="utf-8")
    assert calibrate.render(written) == text
    units = {line.split()[0]: line.split()[-1] for line in text.splitlines() if not line.startswith("//")}
    assert units == {pid: unit for pid, (_, unit) in calibrate.REFERENCES.items()}
    again = tmp_path / "again.ant"  # and what render writes reads back to the same values
    again.write_text(calibrate.render(written), encoding="utf-8")
    assert calibrate.read_references(again) == written


def test_calibrate_iterates_to_the_fixed_point_and_writes_it(tmp_path, monkeypatch):
    """The references feed back on the baseline they are read from: calibrate() repeats until the
    values (to SIGNIFICANT_DIGITS) no longer change. A toy map that halves the distance to 2
    reaches 2; one that never settles raises after max_iterations, writing nothing."""
    out = tmp_path / "bone_baseline.ant"
    monkeypatch.setattr(calibrate, "GENERATED", out)
    monkeypatch.setattr(calibrate, "baseline_of", lambda values: {k: (v + 2) / 2 for k, v in values.items()})
    values = calibrate.calibrate()
    assert values == {k: 2.0 for k in calibrate.REFERENCES}
    assert calibrate.read_references(out) == values
    out.unlink()
    monkeypatch.setattr(calibrate, "baseline_of", lambda values: {k: 1.5 * v for k, v in values.items()})
    with pytest.raises(RuntimeError, match="did not converge"):
        calibrate.calibrate(max_iterations=5)
    assert not out.exists()


@pytest.mark.parametrize("name", MODELS)
def test_steady_state_by_nleq_and_by_long_integration_agree(name):
    """Two routes to the baseline: the engine's integration and libRoadRunner's steadyState()."""
    info = get_model(name)
    eng = engine.Engine(
        info.sbml_path,
        name=name,
        context_values=info.contexts[info.default_context],
        preequilibration=info.preequilibration,
        reset_at_start=info.reset_at_start,
    )
    rr = eng.rr
    eng.restore_baseline()
    for sid, value in info.preequilibration.items():
        rr[sid] = value
    species = list(rr.model.getFloatingSpeciesIds())
    integrated = np.array([rr[f"[{s}]"] for s in species])
    rr.steadyState()
    solved = np.array([rr[f"[{s}]"] for s in species])
    np.testing.assert_allclose(solved, integrated, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("context", ["mouse", "human"])
def test_bone_baseline_balanced_for_ten_years(context):
    m = engine.load("bone", context)
    frame = m.simulate(
        end=3650, points=11, readouts=["bone_volume", "ctx", "p1np", "formation", "resorption"]
    )
    np.testing.assert_allclose(frame["bone_volume"], 100.0, rtol=1e-6)
    np.testing.assert_allclose(frame["formation"], frame["resorption"], rtol=1e-6)
    np.testing.assert_allclose(frame[["ctx", "p1np"]], 0.0, atol=1e-4)


@pytest.mark.parametrize("spec", ["", "ko:OPG", "oe:RANKL=3", "ko:RANKL", "ko:CTSK", "inh:CALCINEURIN=1"])
def test_bone_state_stays_non_negative(bone_mouse, spec):
    eng = bone_mouse.engine
    frame = bone_mouse.simulate(
        *([spec] if spec else []), end=730, points=25, readouts=list(eng.species_ids) + ["bone_volume"]
    )
    assert (frame.drop(columns="time").to_numpy() >= -1e-9).all()


def test_contexts_share_the_steady_state_and_differ_in_speed(bone_mouse, bone_human):
    for sid in ("osteoclasts", "osteoblasts", "rankl_free", "opg_free"):
        assert bone_mouse.engine.baseline[sid] == pytest.approx(bone_human.engine.baseline[sid], rel=1e-6)
    mouse = bone_mouse.final("ko:OPG", end=28, readouts=["bone_volume"])["bone_volume"]
    human = bone_human.final("ko:OPG", end=28, readouts=["bone_volume"])["bone_volume"]
    assert mouse < human < 100.0


@pytest.mark.parametrize("name", catalog.model_names())
def test_the_percent_changes_of_the_catalog_are_zero_at_the_baseline(name):
    """What the catalog calls a percent change from baseline is one: 0 (to round-off) in every
    context's baseline, so its level is 100 % there."""
    info = get_model(name)
    for context in info.contexts or [None]:
        eng = engine.load(name, context)
        for readout in info.percent_changes:
            assert abs(eng.baseline[readout]) < 1e-4, (context, readout, eng.baseline[readout])
