"""Where the project's data live: model sources, generated SBML, annotation tables, experiments.

In a source checkout (the usual, editable install) these are the repository's top-level
folders. A wheel carries copies of them inside the package (``rankl_net/_data``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_root() -> Path:
    repo = _PACKAGE.parent.parent
    if (repo / "models" / "sbml").is_dir():
        return repo
    return _PACKAGE / "_data"


ROOT = _data_root()
MODELS = ROOT / "models"
ANTIMONY = MODELS / "antimony"
SBML = MODELS / "sbml"
ANNOTATIONS = MODELS / "annotations"
CATALOG_FILE = MODELS / "catalog.toml"
EXPERIMENTS = ROOT / "experiments"
DRUGS_FILE = MODELS / "drugs.toml"

# suffixes that name a file of some format (tables, figures, pages, models, archives): an output
# named with the suffix of a format other than its own is refused rather than written under it
FILE_FORMAT_SUFFIXES = (
    ".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xls", ".ods", ".json", ".feather", ".arrow", ".h5",
    ".hdf5", ".pkl", ".pickle", ".yaml", ".yml", ".md", ".html", ".htm", ".png", ".pdf", ".svg",
    ".xml", ".sbml", ".sedml", ".omex", ".zip", ".ant", ".antimony",
)
