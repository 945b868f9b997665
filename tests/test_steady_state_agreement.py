"""Steady states of every shipped model agree between libRoadRunner (rankl-net), tellurium and
COPASI (basico) to a relative tolerance of 1e-4.

tellurium's steady state is found by NLEQ from a long integration. COPASI's Newton steady-state
task does not certify these models (their concentrations span nine orders of magnitude, from
cells at 1e-3 pM to NF-kB at 1e6 pM, beyond its default scaling), so COPASI's steady state is
the end of a long integration (5000 time units, several hundred times the slowest relaxation).
"""

from __future__ import annotations

import basico
import numpy as np
import pytest
import tellurium as te

from rankl_net import catalog, engine

RTOL = 1e-4
# species far below the baseline's scale are compared on an absolute floor (pM)
ATOL = 1e-9


def _held_values(info: catalog.ModelInfo, context: str) -> dict[str, float]:
    return {**info.contexts[context], **info.preequilibration}


@pytest.mark.parametrize("name", catalog.model_names())
def test_steady_state_in_tellurium_and_copasi_matches_the_engine(name):
    info = catalog.get_model(name)
    context = info.default_context
    eng = engine.load(name, context)
    species = [s for s in eng.species_ids]
    ours = np.array([eng.baseline[s] for s in species])

    r = te.loadSBMLModel(info.sbml_path.read_text(encoding="utf-8"))
    for k, v in _held_values(info, context).items():
        r[k] = v
    r.simulate(0, 5000, 2)
    r.steadyState()
    tell = np.array([r[f"[{s}]"] for s in species])
    np.testing.assert_allclose(tell, ours, rtol=RTOL, atol=ATOL)

    dm = basico.load_model(str(info.sbml_path))
    # basico addresses parameters by their name, not their SBML id
    names = basico.get_parameters(model=dm).reset_index().set_index("sbml_id")["name"]
    for k, v in _held_values(info, context).items():
        assert basico.set_parameters(names[k], initial_value=v, model=dm) is None
        assert basico.get_parameters(names[k], model=dm)["initial_value"].iloc[0] == v
    basico.run_time_course(duration=5000, intervals=1, update_model=True, model=dm)
    table = basico.get_species(model=dm)
    cop = np.array([table.loc[table["sbml_id"] == s, "concentration"].iloc[0] for s in species])
    np.testing.assert_allclose(cop, ours, rtol=RTOL, atol=ATOL)
