"""Sphinx configuration of the rankl-net documentation.

Build: ``make docs`` or ``.venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html``.

The figures, tables and numbers the pages show are computed from the package at build time
(``docs/_generate.py`` writes them into ``docs/_generated/``, which is not committed), so the
documentation always describes the models as shipped.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

from _generate import generate  # noqa: E402

import rankl_net  # noqa: E402

# -- project -------------------------------------------------------------------------------
project = "rankl-net"
author = "rankl-net developers"
copyright = "rankl-net developers, MIT licence"
version = rankl_net.__version__
release = rankl_net.__version__

# -- extensions ----------------------------------------------------------------------------
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "examples", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# MyST Markdown; {{ name }} substitutions carry the generated numbers into the text.
myst_enable_extensions = ["substitution", "deflist"]
myst_heading_anchors = 3
myst_substitutions = generate()

# autodoc / napoleon (numpy-style docstrings)
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}


def _escape_bars(app, what, name, obj, options, lines):
    """Docstrings write absolute values as |x|, which reST would read as substitutions."""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if "|" not in line or stripped.startswith(("|", "+")):
            continue
        parts = re.split(r"(``.*?``)", line)
        lines[i] = "".join(p if p.startswith("``") else re.sub(r"(?<!\\)\|", r"\\|", p) for p in parts)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)


# -- HTML ----------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"rankl-net {release}"
html_theme_options = {
    "description": "RANKL-RANK-OPG models from osteoclast signalling to bone remodelling",
    "fixed_sidebar": True,
    "page_width": "1180px",
    "sidebar_width": "230px",
}
html_static_path: list[str] = []
