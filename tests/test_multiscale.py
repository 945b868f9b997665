"""The multi-scale link: intracellular perturbations reach the tissue, and the signalling module
inside the bone model agrees with the stand-alone osteoclastogenesis model."""

from __future__ import annotations

import numpy as np
import pytest

from rankl_net import load_model


@pytest.mark.parametrize(
    "spec",
    [
        "inh:P38=0.8",
        "inh:IKK=0.8",
        "inh:CALCINEURIN=0.8",
        "inh:NFKB=0.8",
        "kd:TRAF6=0.2",
        "kd:FOS=0.2",
        "kd:NFATC1=0.2",
    ],
)
def test_intracellular_inhibition_lowers_osteoclasts_and_raises_bone(bone_mouse, spec):
    res = bone_mouse.final(spec, end=84, readouts=["osteoclasts", "bone_volume"])
    base = bone_mouse.engine.baseline
    assert res["osteoclasts"] < 0.9 * base["osteoclasts"]
    assert res["bone_volume"] > 102.0
    # it is the node's multiplier at the level the spec names: activity 1 - f for an inhibitor,
    # expression f for a knockdown
    kind, rest = spec.split(":")
    node, fraction = rest.split("=")
    same = (f"set:{node}_act={1 - float(fraction):g}" if kind == "inh" else f"set:{node}_expr={fraction}")
    direct = bone_mouse.final(same, end=84, readouts=["osteoclasts", "bone_volume"])
    np.testing.assert_allclose(res.to_numpy(), direct.to_numpy(), rtol=1e-6)
    # and graded: half the inhibition (or a knockdown to 60 %) does less
    weaker = f"{kind}:{node}={0.4 if kind == 'inh' else 0.6}"
    milder = bone_mouse.final(weaker, end=84, readouts=["osteoclasts", "bone_volume"])
    assert res["osteoclasts"] < milder["osteoclasts"] < base["osteoclasts"]


def test_signalling_module_is_the_same_in_both_models(ocg, bone_human):
    """Steady NFATc1 of the stand-alone culture model at the bone model's baseline RANKL signal
    equals the NFATc1 of the precursor inside the bone model."""
    bone = bone_human.engine.baseline
    signal = bone["rankl_signal"]
    culture = ocg.final(f"set:rankl_input={signal}", end=2000, readouts=["nfatc1", "differentiation_drive"])
    assert culture["nfatc1"] == pytest.approx(bone["nfatc1"], rel=1e-5)
    assert culture["differentiation_drive"] == pytest.approx(bone["differentiation_drive"], rel=1e-5)


@pytest.mark.parametrize("model", ["bone", "clinical"])
def test_the_resorption_per_osteoclast_changes_resorption_alone_and_ctx_follows(model):
    """k_resorption is the resorption per osteoclast: doubling it doubles resorption at once,
    leaves formation (k_formation, balanced at baseline) as it is, and CTX rises with
    resorption above its background share: 100 * (1 - ctx_background) % (it stayed at 0 %
    when the markers' references followed k_resorption)."""
    m = load_model(model)
    k, background = m.engine.baseline["k_resorption"], m.engine.baseline["ctx_background"]
    readouts = ["resorption", "formation", "ctx", "p1np"]
    doubled = m.simulate(f"set:k_resorption={2 * k!r}", end=1e-6, points=2, readouts=readouts).iloc[0]
    base = m.simulate(end=1e-6, points=2, readouts=readouts).iloc[0]
    assert doubled["resorption"] == pytest.approx(2 * base["resorption"], rel=1e-9)
    assert doubled["formation"] == pytest.approx(base["formation"], rel=1e-9)
    assert doubled["ctx"] == pytest.approx(100 * (1 - background), rel=1e-6)
    assert doubled["p1np"] == pytest.approx(0.0, abs=1e-6)
    k_formation = m.engine.baseline["k_formation"]
    raised = m.simulate(f"set:k_formation={1.5 * k_formation!r}", end=1e-6, points=2,
                        readouts=readouts).iloc[0]
    p1np_background = m.engine.baseline["p1np_background"]
    assert raised["p1np"] == pytest.approx(100 * 0.5 * (1 - p1np_background), rel=1e-6)
    assert raised["ctx"] == pytest.approx(0.0, abs=1e-6)


def test_values_before_the_baseline_are_the_model_s_own_so_its_initial_assignments_follow():
    """A value given to the model (values=, as in an SBML file with it) is one its initial
    assignments are evaluated with: k_formation balances the new resorption per osteoclast at the
    calibrated cell densities; set: at time 0 changes the one value alone."""
    from rankl_net.engine import build, load

    shipped = load("bone", "mouse").baseline
    k = 1.5 * shipped["k_resorption"]
    built = build("bone", "mouse", values={"k_resorption": k}).baseline
    expected = k * shipped["osteoclasts_baseline"] / shipped["osteoblasts_baseline"]
    assert built["k_formation"] == pytest.approx(expected, rel=1e-12)
    assert built["resorption_reference"] == pytest.approx(k * shipped["osteoclasts_baseline"], rel=1e-12)
    assert shipped["k_formation"] != pytest.approx(expected)
