"""Modules depend downward only: models -> engine -> perturbations/experiments ->
screens/analysis -> CLI/plots. Each module of the package is given a layer here; an import of
a module of the same or a higher layer (at the top of a file or inside a function) fails."""

from __future__ import annotations

import ast
from pathlib import Path

import rankl_net

PACKAGE = Path(rankl_net.__file__).parent

LAYERS = [
    # the package's errors and version
    {"errors", "_version"},
    # foundations: no rankl-net imports but these
    {"paths", "analysis", "cvode", "units"},
    # the annotation tables (nodes, species, parameters and their sources)
    {"annotations"},
    # files and data: SBML reading, the catalog, drugs and dose units, the fit specification
    {"sbml_io", "catalog", "dosing", "fit_spec"},
    # building the SBML, checking it, the engine that simulates it
    {"build", "checks", "engine"},
    # perturbations on the engine; model files derived from the sources
    {"perturbations", "comp", "calibrate"},
    # any SBML file as an engine, with generic perturbations
    {"sbml_files"},
    # the user-facing model; screens over the engine
    {"model", "screens"},
    # experiments defined as data, global sensitivity
    {"experiments", "comparisons", "regimens", "validation", "sensitivity"},
    # fitting, figures, and exchange with other tools (which exports the experiments)
    {"fitting", "plots", "exchange"},
    {"report"},
    # the package's public names, the command line
    {"__init__", "cli"},
    {"__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _imports(path: Path) -> set[str]:
    """The rankl-net modules ``path`` imports (relative imports, anywhere in the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rankl_net"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("rankl_net.")}
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(LAYER), f"give a layer to {sorted(modules - set(LAYER))}"


def test_no_module_imports_from_its_own_or_a_higher_layer():
    upward = []
    for path in sorted(PACKAGE.glob("*.py")):
        for imported in sorted(_imports(path)):
            if imported in LAYER and LAYER[imported] >= LAYER[path.stem]:
                upward.append(f"{path.stem} (layer {LAYER[path.stem]}) imports {imported} "
                              f"(layer {LAYER[imported]})")
    assert not upward, "\n".join(upward)


def test_screens_and_command_line_do_not_import_the_heavy_optional_libraries():
    """The package, its command line and the screens (whose workers are forked copies of the
    screen's process) leave tellurium, scipy and matplotlib unimported until a feature needs
    them: each adds tens of MB that every worker's fork and exit would copy and free."""
    import subprocess
    import sys

    code = ("import sys, rankl_net, rankl_net.cli, rankl_net.screens; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tellurium', 'scipy', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
