"""Repository-relative locations. Imports nothing else from the package.

Every location can be moved with an environment variable so tests and batch workers can point the pipeline at a
temporary tree: ANALYSIS_ROOT moves everything; ANALYSIS_RAW, ANALYSIS_PROCESSED and ANALYSIS_REPORTS move one layer.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
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
