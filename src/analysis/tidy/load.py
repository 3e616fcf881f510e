"""Readers for what `build` wrote to data/processed: the one way notebooks and reports get their data.

The exploration API (for an analyst in a notebook)::

    from analysis.tidy import load
    obs = load.observations()          # one row per unit, year, indicator; Chinese indicator_name joined
    rates = load.metrics("rates")      # any table of data/processed/metrics/ (see METRIC_NAMES)
    ind = load.indicators()            # the registry: plain RangeIndex, `id` a column (merge on indicator_id = id)
    facts = load.facts()               # every number of every report, with evidence (and indicator_name)

Every table comes with a plain RangeIndex. The older ``load_*`` names stay (the notebooks use them) and return the
tables as before. A missing output raises a message that says which command makes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.registry.schema import RENAMED_COLUMNS

METRIC_NAMES = ("rates", "changes", "normalized", "area_scores", "ranks", "balance", "robustness", "narrative")


class MissingOutputError(FileNotFoundError):
    """An expected file in data/processed is absent: run `python -m analysis build` first."""


def _dir(processed_dir: str | Path | None) -> Path:
    """The folder of the current complete build (analysis.core.paths.resolve_processed: data/processed → its
    ``current`` version)."""
    return paths.resolve_processed(processed_dir)


# Tables read once per process and handed out as copies; only filled after enable_cache() (the batch's kernel
# template calls warm(), so every kernel forked from it starts with the tables in memory). Keyed by the resolved path
# with its size and mtime, so a rewritten file is read again.
_CACHE: dict[tuple[str, int, int], pd.DataFrame] | None = None


def enable_cache() -> None:
    global _CACHE
    if _CACHE is None:
        _CACHE = {}


def current_names(df: pd.DataFrame) -> pd.DataFrame:
    """A table written by an older build with its columns under their current names (``unit`` → ``measure``,
    ``unit_raw`` → ``measure_raw``; see analysis.registry.schema.RENAMED_COLUMNS); a current table is returned as is."""
    old = {o: n for o, n in RENAMED_COLUMNS.items() if o in df.columns and n not in df.columns}
    return df.rename(columns=old) if old else df


def _read(name: str, processed_dir: str | Path | None = None) -> pd.DataFrame:
    path = _dir(processed_dir) / f"{name}.parquet"
    if not path.exists():
        raise MissingOutputError(f"{path} 不存在：先运行 `python -m analysis build` 生成 data/processed")
    if _CACHE is None:
        return current_names(pd.read_parquet(path))
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _CACHE:
        # one thread: the batch's template forks kernels after this, and no reader thread may be alive then
        _CACHE[key] = current_names(pd.read_parquet(path, use_threads=False))
    return _CACHE[key].copy()


def warm(processed_dir: str | Path | None = None) -> list[str]:
    """Read every table of data/processed (and the registry) into this process's cache; returns what failed.

    Called in the batch's kernel template before it forks kernels: each notebook then starts with the tables, the
    indicator registry and the chart font in memory instead of reading and parsing them again (~0.4 s a run).
    """
    enable_cache()
    base = _dir(processed_dir)
    failed = []
    for path in sorted(base.glob("*.parquet")) + sorted(base.glob("metrics/*.parquet")):
        name = path.relative_to(base).with_suffix("").as_posix()
        try:
            _read(name, base)
        except Exception:  # noqa: BLE001 - a notebook that needs it reads it (and fails visibly) itself
            failed.append(name)
    try:
        load_indicators()
    except Exception:  # noqa: BLE001
        failed.append("indicators")
    return failed


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
        from analysis.registry.units import suggest

        close = suggest(name, METRIC_NAMES)
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise ValueError(f"没有指标表 {name!r}{hint}（可选：{'、'.join(METRIC_NAMES)}）")
    return _read(f"metrics/{name}", processed_dir)


def load_narrative(processed_dir=None, unit_id=None, year=None, area=None) -> pd.DataFrame:
    """The 要点 sentences (level, unit_id, year, area, seq, kind, sentence, indicator_ids, evidence) in order;
    ``area=''`` selects the whole-unit block."""
    df = load_metric("narrative", processed_dir)
    if unit_id is not None:
        df = df[df["unit_id"].astype(str) == str(unit_id)]
    if year is not None:
        df = df[df["year"] == int(year)]
    if area is not None:
        df = df[df["area"].astype(str) == str(area)]
    return df.sort_values(["level", "unit_id", "year", "area", "seq"]).reset_index(drop=True)


def load_manifest(processed_dir=None) -> dict:
    path = _dir(processed_dir) / "build_manifest.json"
    if not path.exists():
        raise MissingOutputError(f"{path} 不存在：先运行 `python -m analysis build`")
    return json.loads(path.read_text(encoding="utf-8"))


def load_indicators():
    from analysis.registry import load_indicators as _li

    return _li()


# ---------------------------------------------------------------- exploration API (short names)


def _names(df: pd.DataFrame, processed_dir=None) -> pd.DataFrame:
    """Join the Chinese indicator name (and the unit name, when absent) beside the ids; plain RangeIndex."""
    df = df.reset_index(drop=True)
    if "indicator_id" in df.columns and "indicator_name" not in df.columns:
        names = load_indicators()["name_zh"]
        pos = list(df.columns).index("indicator_id") + 1
        df.insert(pos, "indicator_name", df["indicator_id"].map(names).astype(object))
    if "unit_id" in df.columns and "unit_name" not in df.columns:
        try:
            u = load_units(processed_dir).set_index("unit_id")["name"]
        except MissingOutputError:
            u = None
        if u is not None:
            pos = list(df.columns).index("unit_id") + 1
            df.insert(pos, "unit_name", df["unit_id"].map(u).astype(object))
    return df


def observations(processed_dir=None) -> pd.DataFrame:
    """The tidy table (one row per unit, year, indicator; value NA = not reported), with indicator_name."""
    return _names(load_observations(processed_dir), processed_dir)


def observations_all(processed_dir=None) -> pd.DataFrame:
    """Every candidate value from every source, with indicator_name."""
    return _names(load_observations_all(processed_dir), processed_dir)


def facts(processed_dir=None) -> pd.DataFrame:
    """Every number of every report (mapped and unmapped) with evidence, span and indicator_name."""
    return _names(load_facts(processed_dir), processed_dir)


def unmapped(processed_dir=None) -> pd.DataFrame:
    return load_unmapped(processed_dir).reset_index(drop=True)


def findings(processed_dir=None) -> pd.DataFrame:
    """Data-quality findings (rule, severity, message, file and place), with indicator_name."""
    return _names(load_findings(processed_dir), processed_dir)


def conflicts(processed_dir=None) -> pd.DataFrame:
    return _names(load_conflicts(processed_dir), processed_dir)


def problems(processed_dir=None) -> pd.DataFrame:
    return _names(load_problems(processed_dir), processed_dir)


def documents(processed_dir=None) -> pd.DataFrame:
    return _names(load_documents(processed_dir), processed_dir)


def units(processed_dir=None) -> pd.DataFrame:
    return load_units(processed_dir).reset_index(drop=True)


def metrics(name: str, processed_dir=None) -> pd.DataFrame:
    """One table of data/processed/metrics/ (rates, changes, area_scores, ranks, …), with Chinese names."""
    return _names(load_metric(name, processed_dir), processed_dir)


def indicators() -> pd.DataFrame:
    """The indicator registry as a plain table: RangeIndex, `id` a column (not also the index)."""
    return load_indicators().reset_index(drop=True)


def manifest(processed_dir=None) -> dict:
    return load_manifest(processed_dir)
