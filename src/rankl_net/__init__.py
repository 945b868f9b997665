"""rankl-net: SBML models of the RANKL-RANK-OPG system and an experiments layer to perturb them.

Public API::

    load_model(name, context)  -> Model      (simulate, final, perturbed)
    parse_spec(spec)           -> [Perturbation]
    Knockout, Knockdown, Overexpression, Inhibition, SetValue, Preset
    run_phenotypes()           -> DataFrame  (mouse genetic lines vs wild type)
    model_names()              -> [str]
"""

from ._version import __version__
from .catalog import get_model, model_names
from .dosing import Regimen
from .errors import (
    DoseAboveStudiedWarning,
    DosesAfterEndWarning,
    DrugWithoutTargetWarning,
    ExtremeChangeWarning,
    InputError,
    PreequilibrationError,
    RanklNetError,
    RanklNetWarning,
    RedundantPerturbationWarning,
    SimulationError,
)
from .experiments import run_phenotypes
from .model import Model, load_model
from .perturbations import (
    Inhibition,
    Knockdown,
    Knockout,
    Overexpression,
    Preset,
    SetValue,
    condition_spec,
    parse_spec,
)

__all__ = [
    "__version__",
    "DoseAboveStudiedWarning",
    "DrugWithoutTargetWarning",
    "DosesAfterEndWarning",
    "ExtremeChangeWarning",
    "InputError",
    "Inhibition",
    "Knockdown",
    "Knockout",
    "Model",
    "Overexpression",
    "PreequilibrationError",
    "Preset",
    "RanklNetError",
    "RanklNetWarning",
    "RedundantPerturbationWarning",
    "Regimen",
    "SetValue",
    "SimulationError",
    "condition_spec",
    "get_model",
    "load_model",
    "model_names",
    "parse_spec",
    "run_phenotypes",
]
