"""Repository-relative locations. Imports nothing else from the package.

Every location can be moved with an environment variable so tests and batch workers can point the pipeline at a
temporary tree: ANALYSIS_ROOT moves everything; ANALYSIS_RAW, ANALYSIS_PROCESSED and ANALYSIS_REPORTS move one layer.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REGISTRY_DIR = PACKAGE_DIR / "registry"


def root() -> Path:
    env = os.environ.get("ANALYSIS_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent.parent


def _layer(var: str, default: str) -> Path:
    env = os.environ.get(var)
    return Path(env).resolve() if env else root() / default


def raw_dir() -> Path:
    """data/raw: as received; no command writes here."""
    return _layer("ANALYSIS_RAW", "data/raw")


def processed_dir() -> Path:
    """data/processed: everything `build` writes."""
    return _layer("ANALYSIS_PROCESSED", "data/processed")


def reports_dir() -> Path:
    """reports/: everything `run` writes (executed notebooks, HTML, charts, briefs)."""
    return _layer("ANALYSIS_REPORTS", "reports")


def notebooks_dir() -> Path:
    return _layer("ANALYSIS_NOTEBOOKS", "notebooks")


def config_dir() -> Path:
    return _layer("ANALYSIS_CONFIG", "config")


def units_file() -> Path:
    """config/units.yaml: the units a build knows (user data; ANALYSIS_UNITS points elsewhere)."""
    env = os.environ.get("ANALYSIS_UNITS")
    return Path(env).resolve() if env else config_dir() / "units.yaml"


def corrections_file() -> Path:
    env = os.environ.get("ANALYSIS_CORRECTIONS")
    return Path(env).resolve() if env else root() / "data" / "corrections.csv"


# ---------------------------------------------------------------- the current build of data/processed
#
# `build` writes each complete set of tables into its own folder data/processed/versions/<id>/ and then switches the
# symlink data/processed/current to it in one os.replace, so a reader sees the old complete set or the new one, never
# a mix. data/processed/<table>.parquet (and metrics/, build_manifest.json …) are fixed links through `current`, so
# the usual paths keep working; code reads through resolve_processed() so one command sees one build throughout.

CURRENT_LINK = "current"
PREVIOUS_LINK = "previous"
VERSIONS_DIR = "versions"


def resolve_processed(folder: str | os.PathLike | None = None) -> Path:
    """The folder holding the current complete build under ``folder`` (default data/processed): the target of
    its ``current`` link, read once. A folder without that link (an older flat layout, a version folder itself, or a
    folder not built yet) is returned as it is. Every reader of data/processed goes through here."""
    base = Path(folder) if folder else processed_dir()
    try:
        target = os.readlink(base / CURRENT_LINK)
    except OSError:
        return base
    return (base / target).resolve()


def processed_root_of(folder: str | os.PathLike) -> Path:
    """The data/processed folder a resolved version folder belongs to (``folder`` itself when it is not one), so a
    key or label does not change just because a new build got a new version folder."""
    folder = Path(folder)
    if folder.parent.name == VERSIONS_DIR and (folder.parent.parent / CURRENT_LINK).is_symlink():
        return folder.parent.parent
    return folder
