"""The shipped SBML runs in tellurium (installed with its undeclared `six`) and agrees with the engine."""

from __future__ import annotations

import pytest
import tellurium as te

from rankl_net.catalog import get_model


def test_tellurium_reproduces_the_engine(ocg):
    r = te.loadSBMLModel(get_model("osteoclastogenesis").sbml_path.read_text(encoding="utf-8"))
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-14
    r.rankl_input = 0.0
    r.simulate(0, 2000, 2)
    r.rankl_input = 1700.0
    result = r.simulate(0, 72, 2, selections=["time", "[nfatc1]", "[nfkb_nuclear]"])
    ours = ocg.final(end=72, readouts=["nfatc1", "nfkb_nuclear"])
    assert result[-1, 1] == pytest.approx(ours["nfatc1"], rel=1e-4)
    assert result[-1, 2] == pytest.approx(ours["nfkb_nuclear"], rel=1e-4)
