"""Readers for what `build` wrote to data/processed: the one way notebooks and reports get their data.

A missing output raises a message that says which command makes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis import paths

METRIC_NAMES = ("rates", "changes", "normalized", "area_scores", "ranks", "balance", "robustness")


class MissingOutputError(FileNotFoundError):
    """An expected file in data/processed is absent: run `python -m analysis build` first."""


def _dir(processed_dir: str | Path | None) -> Path:
    return Path(processed_dir) if processed_dir else paths.processed_dir()


def _read(name: str, processed_dir: str | Path | None = None) -> pd.DataFrame:
    path = _dir(processed_dir) / f"{name}.parquet"
    if not path.exists():
        raise MissingOutputError(f"{path} not found: run `python -m analysis build` to create data/processed")
    return pd.read_parquet(path)


def load_observations(processed_dir=None) -> pd.DataFrame:
    """The validated tidy table: one row per unit, year and indicator (value NA = not reported)."""
    return _read("observations", processed_dir)


def load_observations_all(processed_dir=None) -> pd.DataFrame:
    """Every candidate value from every source, before precedence chose one per unit, year and indicator."""
    return _read("observations_all", processed_dir)


def load_facts(processed_dir=None) -> pd.DataFrame:
    """Every fact extracted from every report, mapped and unmapped, with evidence and span."""
    return _read("facts", processed_dir)


def load_unmapped(processed_dir=None) -> pd.DataFrame:
    facts = load_facts(processed_dir)
    return facts[facts["indicator_id"] == "unmapped"].reset_index(drop=True)


def load_findings(processed_dir=None) -> pd.DataFrame:
    """Data-quality findings: rule, severity, unit, year, indicator, message, file and place."""
    return _read("findings", processed_dir)


def load_conflicts(processed_dir=None) -> pd.DataFrame:
    """Same unit, year and indicator with different values from different sources; both kept."""
    return _read("conflicts", processed_dir)


def load_problems(processed_dir=None) -> pd.DataFrame:
    """The 存在问题 lens: each stated problem of each report, classified into P1/P2/P3/other."""
    return _read("problems", processed_dir)


def load_documents(processed_dir=None) -> pd.DataFrame:
    """One row per source file read by build, with its detected metadata and status."""
    return _read("documents", processed_dir)


def load_units(processed_dir=None) -> pd.DataFrame:
    return _read("units", processed_dir)


def load_metric(name: str, processed_dir=None) -> pd.DataFrame:
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric table {name!r}; one of {', '.join(METRIC_NAMES)}")
    return _read(f"metrics/{name}", processed_dir)


def load_manifest(processed_dir=None) -> dict:
    path = _dir(processed_dir) / "build_manifest.json"
    if not path.exists():
        raise MissingOutputError(f"{path} not found: run `python -m analysis build`")
    return json.loads(path.read_text(encoding="utf-8"))


def load_indicators():
    from analysis.registry import load_indicators as _li

    return _li()
