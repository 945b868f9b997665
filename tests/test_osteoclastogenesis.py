"""In vitro behaviours of the osteoclastogenesis model (BIOLOGY.md, "In vitro")."""

from __future__ import annotations

import numpy as np
import pytest

DOSES_PM = [0.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0]


def _nfatc1_72h(model, *specs):
    return model.final(*specs, end=72, readouts=["nfatc1"])["nfatc1"]


def _ec50(doses, response):
    """Dose of half-maximal response above the no-RANKL level (log-linear interpolation)."""
    r = np.asarray(response) - response[0]
    half = r[-1] / 2
    i = int(np.argmax(r >= half))
    lo, hi = np.log(max(doses[i - 1], 1e-3)), np.log(doses[i])
    return float(np.exp(lo + (half - r[i - 1]) / (r[i] - r[i - 1]) * (hi - lo)))


def test_nuclear_nfkb_rises_within_the_first_hour(ocg):
    frame = ocg.simulate(end=2, points=121, readouts=["nfkb_nuclear"])
    baseline = frame["nfkb_nuclear"].iloc[0]
    first_hour = frame[frame["time"] <= 1.0]
    assert first_hour["nfkb_nuclear"].max() > 3 * baseline
    # it is already up at 30 min (BIOLOGY: nuclear within about 30 min)
    assert frame.loc[frame["time"] <= 0.5, "nfkb_nuclear"].max() > 2 * baseline


def test_nfkb_oscillation_is_damped(ocg):
    frame = ocg.simulate(end=24, points=2401, readouts=["nfkb_nuclear"])
    x = frame["nfkb_nuclear"].to_numpy()
    peak, late = x.max(), x[frame["time"] > 12]
    assert late.max() - late.min() < 0.01 * peak
    assert late.mean() < 0.8 * peak
    # an oscillation, not a single overshoot: a second, lower peak rises clearly above the trough
    # after the first (IkBa's negative feedback)
    peaks = np.where((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]))[0] + 1
    assert len(peaks) >= 2
    first, second = x[peaks[0]], x[peaks[1]]
    trough = x[peaks[0]:peaks[1]].min()
    assert second < first and second - trough > 0.1 * first


def test_nfatc1_amplifies_over_the_following_days(ocg):
    frame = ocg.simulate(end=72, points=73, readouts=["nfatc1"]).set_index("time")["nfatc1"]
    base = frame.loc[0.0]
    assert frame.loc[12.0] - base < 0.5 * (frame.loc[72.0] - base)  # most of the rise after 12 h
    assert frame.loc[48.0] > 2 * frame.loc[12.0]
    assert frame.loc[72.0] > frame.loc[48.0] > frame.loc[24.0]


@pytest.mark.parametrize("readout", ["nfkb_nuclear", "cfos", "nfatc1", "trap"])
def test_rankl_dose_dependently_induces(ocg, readout):
    values = [ocg.final(f"set:rankl_input={d}", end=72, readouts=[readout])[readout] for d in DOSES_PM]
    assert all(b >= a * (1 - 1e-9) for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > 5 * values[0]


@pytest.mark.parametrize("blocker", ["set:opg_input=1000"])
def test_opg_shifts_the_rankl_dose_response_of_nfatc1_right(ocg, blocker):
    without = [_nfatc1_72h(ocg, f"set:rankl_input={d}") for d in DOSES_PM]
    with_opg = [_nfatc1_72h(ocg, f"set:rankl_input={d}", blocker) for d in DOSES_PM]
    assert _ec50(DOSES_PM, with_opg) > 3 * _ec50(DOSES_PM, without)
    # the maximum is reached at high RANKL either way (competitive sequestration)
    assert with_opg[-1] == pytest.approx(without[-1], rel=0.05)


@pytest.mark.parametrize("node", ["P38", "IKK", "CALCINEURIN"])
@pytest.mark.parametrize("dose_pm", [100.0, 1700.0])
def test_inhibition_lowers_nfatc1(ocg, node, dose_pm):
    control = _nfatc1_72h(ocg, f"set:rankl_input={dose_pm}")
    inhibited = _nfatc1_72h(ocg, f"set:rankl_input={dose_pm}", f"inh:{node}=0.8")
    assert inhibited < 0.9 * control


def test_unstimulated_precursor_stays_at_baseline(ocg):
    frame = ocg.simulate("set:rankl_input=0", end=72, points=4, readouts=["nfatc1", "commitment"])
    np.testing.assert_allclose(frame["nfatc1"], frame["nfatc1"].iloc[0], rtol=1e-6)
    np.testing.assert_allclose(frame["commitment"], frame["commitment"].iloc[0], rtol=1e-6)
    assert frame["commitment"].iloc[-1] < 0.1 * ocg.final(end=72, readouts=["commitment"])["commitment"]
