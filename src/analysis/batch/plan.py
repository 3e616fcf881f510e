"""Which runs to make: every notebook × parameter set, as declared in ``notebooks/runs.yaml``.

runs.yaml (see the file itself for the documented example)::

    defaults:                      # apply to every notebook unless it overrides them
      for_each: once
      reads: [observations.parquet, "metrics/*.parquet"]
      slice: city
    kernel_preload: [pandas, matplotlib.pyplot]
    notebooks:
      district_profile: {for_each: district_year}
      trends: {for_each: district, slug: [district]}
      area_deep_dive: {for_each: city_year_area, areas: [p1_effectiveness, p2_normative_docs, p3_enforcement]}
      data_quality: {for_each: once, slice: all}

``for_each`` enumerates parameter sets from ``observations.parquet`` (rows with ``unit_level == 'district'``):

* ``district_year``  → ``{district: unit_name, year}`` for every (district, year) with data
* ``district``       → ``{district: unit_name, years: [all years of that district]}``
* ``city_year``      → ``{city, year}``
* ``city_year_area`` → ``{city, year, area}`` for every area in the notebook's ``areas`` list
* ``once``           → ``{}`` (the notebook runs once)

Data slice (what a run "reads", for incremental runs): each file matched by ``reads`` (globs under data/processed)
contributes a hash. With ``slice: city`` the hash covers only the rows whose ``city`` is the run's city (for a
district run: the city the district belongs to — this includes the district itself, its streets and departments, and
its peer districts, which profiles use for context). With ``slice: all``, or for a file without a ``city`` column, or
for a run without a city (``once``), the hash is the whole file's sha256. So a change in one city's rows reruns only
that city's runs; a change anywhere reruns ``slice: all`` notebooks.

Every run gets an output folder ``reports/<notebook>/<slug>`` whose name is built from parameter values and sanitised
(:func:`safe_name`): it keeps Chinese characters but never contains ``/``, ``\\`` or ``..``, so it cannot leave the
reports folder.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis import paths
from analysis.io import safe_name, sha256_file

RUNS_FILE = "runs.yaml"
FOR_EACH = ("district_year", "district", "city_year", "city_year_area", "once")
SLICES = ("city", "all")
DEFAULTS: dict[str, Any] = {
    "for_each": "once",
    "reads": ["observations.parquet", "metrics/*.parquet"],
    "slice": "city",
}
DEFAULT_PRELOAD = ["pandas", "matplotlib", "matplotlib.pyplot"]
OBSERVATIONS = "observations.parquet"
_MAX_SLUG = 80


class PlanError(ValueError):
    """runs.yaml is malformed or refers to something that does not exist."""


@dataclass
class RunSpec:
    """One notebook run: which notebook, with which parameters, written where, reading which data."""

    notebook: str  # notebook stem, e.g. "district_profile"
    notebook_path: str  # absolute path of the .ipynb
    params: dict[str, Any]  # the parameters from runs.yaml (output_dir / processed_dir are added at execution)
    slug: str  # output folder name under reports/<notebook>/
    data_hash: str  # hash of the data slice this run reads
    city: list[str] = field(default_factory=list)  # the cities whose rows are in the slice (empty: whole files)

    @property
    def run_id(self) -> str:
        return f"{self.notebook}/{self.slug}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return cls(**{k: data[k] for k in ("notebook", "notebook_path", "params", "slug", "data_hash", "city")})


# --- names ---------------------------------------------------------------------------------------------------------


def _slug_part(value: Any) -> str:
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int) for v in value):
            return f"{min(value)}-{max(value)}"
        return "+".join(str(v) for v in value)
    return str(value)


def make_slug(params: dict[str, Any], keys: list[str] | None = None) -> str:
    """Folder name for a parameter set: the values (of ``keys``, default all) joined with ``_``, made safe."""
    if not params:
        return "all"
    chosen = [k for k in (keys or list(params)) if k in params]
    return safe_name("_".join(_slug_part(params[k]) for k in chosen))[:_MAX_SLUG].rstrip("._ ") or "_"


def output_dir_for(reports_dir: Path, notebook: str, slug: str) -> Path:
    """reports/<notebook>/<slug>, refusing anything that would resolve outside ``reports_dir``."""
    base = Path(reports_dir).resolve()
    target = (base / safe_name(notebook) / safe_name(slug)).resolve()
    if base not in target.parents:
        raise PlanError(f"output folder {target} is outside {base}")
    return target


# --- hashing -------------------------------------------------------------------------------------------------------


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _read_files(processed_dir: Path, patterns: list[str]) -> list[Path]:
    files: set[Path] = set()
    for pattern in patterns:
        files.update(p for p in processed_dir.glob(pattern) if p.is_file())
    return sorted(files)


# --- runs.yaml -----------------------------------------------------------------------------------------------------


def load_config(notebooks_dir: Path) -> dict[str, Any]:
    """runs.yaml as a dict with defaults filled in; an empty config when the file is missing."""
    path = Path(notebooks_dir) / RUNS_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    raw = raw or {}
    defaults = {**DEFAULTS, **(raw.get("defaults") or {})}
    notebooks = {}
    for name, entry in (raw.get("notebooks") or {}).items():
        cfg = {**defaults, **(entry or {})}
        if cfg["for_each"] not in FOR_EACH:
            raise PlanError(f"{RUNS_FILE}: {name}: for_each must be one of {FOR_EACH}, got {cfg['for_each']!r}")
        if cfg["slice"] not in SLICES:
            raise PlanError(f"{RUNS_FILE}: {name}: slice must be one of {SLICES}, got {cfg['slice']!r}")
        if cfg["for_each"] == "city_year_area" and not cfg.get("areas"):
            raise PlanError(f"{RUNS_FILE}: {name}: for_each city_year_area needs an 'areas' list")
        notebooks[name] = cfg
    return {
        "defaults": defaults,
        "notebooks": notebooks,
        "kernel_preload": list(raw.get("kernel_preload", DEFAULT_PRELOAD) or []),
    }


def notebook_configs(notebooks_dir: Path, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every notebooks/*.ipynb with its config (unlisted notebooks get the defaults, i.e. run once)."""
    found = sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if not p.name.startswith("."))
    return {p.stem: {**config["defaults"], **config["notebooks"].get(p.stem, {}), "path": str(p)} for p in found}


# --- enumeration ---------------------------------------------------------------------------------------------------


def _district_table(processed_dir: Path):
    """(unit_name, city, year) of every district row in observations, deduplicated."""
    import pandas as pd

    path = processed_dir / OBSERVATIONS
    if not path.exists():
        return pd.DataFrame(columns=["unit_name", "city", "year"])
    obs = pd.read_parquet(path, columns=["unit_name", "unit_level", "city", "year"])
    obs = obs[obs["unit_level"] == "district"].dropna(subset=["unit_name", "year"])
    out = obs[["unit_name", "city", "year"]].drop_duplicates().copy()
    out["year"] = out["year"].astype(int)
    out["city"] = out["city"].fillna("").astype(str)
    out["unit_name"] = out["unit_name"].astype(str)
    return out.sort_values(["city", "unit_name", "year"]).reset_index(drop=True)


def enumerate_params(for_each: str, districts, cfg: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """Parameter sets for one notebook, each with the cities its data slice covers."""
    if for_each == "once":
        return [({}, [])]
    if for_each == "district_year":
        rows = districts.groupby(["unit_name", "year"], sort=True)["city"].agg(lambda s: sorted(set(s)))
        return [({"district": d, "year": int(y)}, cities) for (d, y), cities in rows.items()]
    if for_each == "district":
        out = []
        for d, grp in districts.groupby("unit_name", sort=True):
            out.append(
                ({"district": d, "years": sorted(int(y) for y in grp["year"].unique())}, sorted(set(grp["city"])))
            )
        return out
    pairs = sorted({(c, int(y)) for c, y in zip(districts["city"], districts["year"], strict=True)})
    if for_each == "city_year":
        return [({"city": c, "year": y}, [c]) for c, y in pairs]
    if for_each == "city_year_area":
        return [({"city": c, "year": y, "area": a}, [c]) for c, y in pairs for a in cfg["areas"]]
    raise PlanError(f"unknown for_each {for_each!r}")


def _city_hashes(path: Path) -> dict[str, str] | None:
    """sha256 of each city's rows of a parquet table, or None when it has no ``city`` column."""
    import pandas as pd
    import pyarrow.parquet as pq

    if "city" not in pq.read_schema(path).names:
        return None
    table = pd.read_parquet(path)
    table["city"] = table["city"].fillna("").astype(str)
    cols = sorted(table.columns)
    out = {}
    for city, grp in table.groupby("city", sort=True):
        # Sort rows so the hash does not depend on row order; hash values + column names.
        sub = grp[cols].astype(str).sort_values(cols).reset_index(drop=True)
        digest = hashlib.sha256(canonical_json(cols).encode())
        digest.update(pd.util.hash_pandas_object(sub, index=False).values.tobytes())
        out[city] = digest.hexdigest()
    return out


def _slice_hash(files: list[Path], processed_dir: Path, cities: list[str], slice_kind: str, cache: dict) -> str:
    parts = []
    for f in files:
        rel = f.relative_to(processed_dir).as_posix()
        whole = cache.setdefault(("file", rel), sha256_file(f))
        if slice_kind == "all" or not cities:
            parts.append((rel, whole))
            continue
        if ("city", rel) not in cache:
            cache[("city", rel)] = _city_hashes(f)
        per_city = cache[("city", rel)]
        if per_city is None:
            parts.append((rel, whole))
        else:
            parts.append((rel, [(c, per_city.get(c, "absent")) for c in cities]))
    return sha256_text(canonical_json(parts))


def _unique_slugs(specs: list[RunSpec]) -> None:
    """Two parameter sets that sanitise to the same folder name get a short hash of their parameters appended."""
    seen: dict[tuple[str, str], int] = {}
    for s in specs:
        seen[(s.notebook, s.slug)] = seen.get((s.notebook, s.slug), 0) + 1
    for s in specs:
        if seen[(s.notebook, s.slug)] > 1:
            s.slug = f"{s.slug[: _MAX_SLUG - 9]}-{sha256_text(canonical_json(s.params))[:8]}"


def plan_key(notebooks_dir: Path, processed_dir: Path) -> str:
    """Changes whenever runs.yaml, the notebook list or any data file under processed_dir changes."""
    notebooks_dir, processed_dir = Path(notebooks_dir), Path(processed_dir)
    runs = notebooks_dir / RUNS_FILE
    # the data/processed folder by name, not its current version folder (a rebuild with equal tables changes nothing)
    parts: list[Any] = [sha256_file(runs) if runs.exists() else None, str(paths.processed_root_of(processed_dir).resolve())]
    parts.append(sorted(p.name for p in notebooks_dir.glob("*.ipynb")))
    if processed_dir.exists():
        for f in sorted(p for p in processed_dir.rglob("*.parquet") if p.is_file()):
            parts.append((f.relative_to(processed_dir).as_posix(), sha256_file(f)))
    return sha256_text(canonical_json(parts))


def plan_runs(
    notebooks_dir: str | Path, processed_dir: str | Path, only: list[str] | None = None, cache: dict | None = None
) -> list[RunSpec]:
    """Every notebook × parameter set, with output slugs and data-slice hashes.

    ``only`` keeps the notebooks whose stem is listed (or runs whose run_id is listed). ``cache`` is a dict the caller
    keeps between calls (the runner stores it in the manifest): when :func:`plan_key` is unchanged the plan is read
    from it without loading any data, which keeps a no-op rerun cheap.
    """
    notebooks_dir = Path(notebooks_dir).resolve()
    processed_dir = paths.resolve_processed(processed_dir).resolve()  # the current build (a version folder)
    key = plan_key(notebooks_dir, processed_dir)
    if cache is not None and cache.get("key") == key:
        specs = [RunSpec.from_dict(d) for d in cache["runs"]]
    else:
        specs = _plan_fresh(notebooks_dir, processed_dir)
        if cache is not None:
            cache.clear()
            cache.update({"key": key, "runs": [s.to_dict() for s in specs]})
    if only:
        wanted = set(only)
        specs = [s for s in specs if s.notebook in wanted or s.run_id in wanted or fnmatch_any(s.run_id, wanted)]
    return specs


def fnmatch_any(run_id: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(run_id, p) for p in patterns if any(ch in p for ch in "*?["))


def _plan_fresh(notebooks_dir: Path, processed_dir: Path) -> list[RunSpec]:
    config = load_config(notebooks_dir)
    districts = None
    hash_cache: dict = {}
    specs: list[RunSpec] = []
    for name, cfg in notebook_configs(notebooks_dir, config).items():
        if cfg["for_each"] != "once" and districts is None:
            districts = _district_table(processed_dir)
        files = _read_files(processed_dir, list(cfg["reads"]))
        for params, cities in enumerate_params(cfg["for_each"], districts, cfg):
            specs.append(
                RunSpec(
                    notebook=name,
                    notebook_path=cfg["path"],
                    params=params,
                    slug=make_slug(params, cfg.get("slug")),
                    data_hash=_slice_hash(files, processed_dir, cities, cfg["slice"], hash_cache),
                    city=cities,
                )
            )
    _unique_slugs(specs)
    return specs


def kernel_preload(notebooks_dir: str | Path) -> list[str]:
    """Modules each pooled kernel imports before it is handed a notebook (runs.yaml ``kernel_preload``)."""
    return load_config(Path(notebooks_dir))["kernel_preload"]
