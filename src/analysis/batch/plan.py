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

Data slice (what a run "reads", for incremental runs): each file matched by ``reads`` (globs under data/processed; an
entry is a glob, sliced by the notebook's ``slice``, or ``{glob: slice}``) contributes a hash of the rows the run
reads. Rows are placed by their unit (``unit_id``, or ``parent_unit_id`` for tables of streets/departments; streets
and departments belong to their district) into groups (city, district, year) via units.parquet; each group's rows
are hashed. Slices:

* ``district_year`` — the run's district (with its streets and departments) in the years it shows (``year`` /
  ``years`` parameters);
* ``district`` — the run's district, every year;
* ``city_year`` — every unit of the run's city (its districts, their streets, the city itself) in the years it shows;
* ``city`` — every unit of the run's city, every year (for a district run: its peer group);
* ``all`` — the whole file's sha256.

Files outside data/processed that a notebook reads are named under ``also_reads`` (known names only, see
:data:`OUTSIDE_FILES`: ``corrections`` is the review ledger data/corrections.csv); their sha256 goes into the run's
fingerprint at every batch (never cached in the plan), so editing the ledger reruns the runs that read it and nothing
else.

Rows of no known unit are read by every sliced run; a table whose rows cannot be placed, and every file of a run
without a city (``once``), counts whole. So a change in one district's rows reruns that district's runs and the
city runs of its city that read those rows, and nothing else.

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

from analysis.core import paths
from analysis.core.io import safe_name, sha256_file

RUNS_FILE = "runs.yaml"
FOR_EACH = ("district_year", "district", "city_year", "city_year_area", "once")
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
    also_reads: list[str] = field(default_factory=list)  # names of files outside data/processed (OUTSIDE_FILES)

    @property
    def run_id(self) -> str:
        return f"{self.notebook}/{self.slug}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        spec = cls(**{k: data[k] for k in ("notebook", "notebook_path", "params", "slug", "data_hash", "city")})
        spec.also_reads = list(data.get("also_reads") or [])
        return spec


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


# --- runs.yaml -----------------------------------------------------------------------------------------------------


def _corrections_file() -> Path:
    return paths.corrections_file()


# files outside data/processed a notebook may read (runs.yaml ``also_reads``), each resolved when the batch runs
OUTSIDE_FILES = {"corrections": _corrections_file}


def outside_files_hash(names: list[str]) -> str:
    """sha256 over the named outside files (their path and content; ``absent`` for a missing file)."""
    parts = []
    for name in sorted(names):
        f = OUTSIDE_FILES[name]()
        parts.append((name, str(f), sha256_file(f) if f.is_file() else "absent"))
    return sha256_text(canonical_json(parts))


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
        if cfg["slice"] not in SLICE_KINDS:
            raise PlanError(f"{RUNS_FILE}: {name}: slice must be one of {SLICE_KINDS}, got {cfg['slice']!r}")
        unknown = [f for f in cfg.get("also_reads") or [] if f not in OUTSIDE_FILES]
        if unknown:
            raise PlanError(
                f"{RUNS_FILE}: {name}: also_reads 只能列出 {'、'.join(OUTSIDE_FILES)}，不认识 {'、'.join(map(str, unknown))}"
            )
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
        return pd.DataFrame(columns=["unit_name", "city", "year", "unit_id"])
    import pyarrow.parquet as pq

    cols = ["unit_id", "unit_name", "unit_level", "city", "year"]
    obs = pd.read_parquet(path, columns=[c for c in cols if c in pq.read_schema(path).names])
    if "unit_id" not in obs.columns:
        obs["unit_id"] = ""  # no ids: district slices then count whole files
    obs = obs[obs["unit_level"] == "district"].dropna(subset=["unit_name", "year"])
    out = obs[["unit_name", "city", "year", "unit_id"]].drop_duplicates().copy()
    out["unit_id"] = out["unit_id"].astype(str)
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


def _unit_owners(processed_dir: Path) -> dict[str, tuple[str, str]]:
    """unit_id → (city name, district id) from units.parquet: a district owns itself, a street or department its
    parent district, a city owns its city-level rows (district ``""``)."""
    import pandas as pd

    path = processed_dir / "units.parquet"
    if not path.exists():
        return {}
    units = pd.read_parquet(path)
    level = dict(zip(units["unit_id"].astype(str), units["level"].astype(str), strict=True))
    parent = dict(zip(units["unit_id"].astype(str), units["parent"], strict=True))
    city = dict(zip(units["unit_id"].astype(str), units["city"].fillna("").astype(str), strict=True))
    out = {}
    for uid, lvl in level.items():
        if lvl == "district":
            out[uid] = (city[uid], uid)
        elif lvl in ("street", "department"):
            p = parent.get(uid)
            out[uid] = (city[uid], str(p) if isinstance(p, str) and level.get(str(p)) == "district" else "")
        else:
            out[uid] = (city[uid], "")
    return out


UNOWNED = "*"  # rows that belong to no known unit (e.g. a finding about a file): every sliced run reads them


def _group_hashes(path: Path, owners: dict[str, tuple[str, str]]) -> dict[tuple[str, str, int | None], str] | None:
    """Hash of each (city, district id, year) group of a table's rows, or None when rows cannot be placed (no
    ``unit_id``, ``parent_unit_id`` or ``city`` column): then runs count the whole file.

    A row's owner is its ``unit_id`` (``parent_unit_id`` for tables of sub-units such as balance); streets and
    departments belong to their district. Rows of unknown units fall back to their ``city`` column, else they are
    UNOWNED and read by every run. Row order does not matter (row hashes are sorted within a group)."""
    import pandas as pd
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    key_col = "unit_id" if "unit_id" in names else "parent_unit_id" if "parent_unit_id" in names else None
    if key_col is None and "city" not in names:
        return None
    table = pd.read_parquet(path)
    cols = sorted(table.columns)
    row_hash = pd.util.hash_pandas_object(table[cols].astype(str), index=False).to_numpy()
    n = len(table)
    ids = table[key_col].astype(object).where(table[key_col].notna(), None) if key_col else [None] * n
    cities_col = table["city"].fillna("").astype(str) if "city" in names else [""] * n
    years = table["year"] if "year" in names else [None] * n
    groups: dict[tuple[str, str, int | None], list] = {}
    for h, uid, fallback_city, y in zip(row_hash, ids, cities_col, years, strict=True):
        owner = owners.get(str(uid)) if uid is not None else None
        if owner is None:
            owner = (fallback_city, "") if fallback_city else (UNOWNED, "")
        year = None if y is None or pd.isna(y) else int(y)
        groups.setdefault((owner[0], owner[1], year), []).append(h)
    out = {}
    for key, hashes in groups.items():
        digest = hashlib.sha256(canonical_json(cols).encode())
        digest.update(b"".join(int(x).to_bytes(8, "little") for x in sorted(hashes)))
        out[key] = digest.hexdigest()
    return out


SLICE_KINDS = ("all", "city", "city_year", "district", "district_year")


def _select_groups(groups: dict, kind: str, cities: list[str], district: str | None, years: list[int] | None) -> list:
    """The (group, hash) pairs a run with this slice reads, sorted (UNOWNED rows always included)."""

    def year_ok(y: int | None) -> bool:
        return years is None or y is None or y in years

    picked = []
    for (city, dist, year), h in groups.items():
        if city == UNOWNED:
            ok = year_ok(year) if kind.endswith("_year") else True
        elif kind in ("city", "city_year"):
            ok = city in cities and (kind == "city" or year_ok(year))
        else:  # district, district_year
            ok = dist == district and dist != "" and (kind == "district" or year_ok(year))
        if ok:
            picked.append(([city, dist, year], h))
    return sorted(picked, key=lambda kv: canonical_json(kv[0]))


def _read_entries(processed_dir: Path, reads: list, default_slice: str) -> list[tuple[Path, str]]:
    """``reads`` of runs.yaml as (file, slice) pairs: an entry is a glob (the notebook's ``slice``) or a one-key
    mapping ``{glob: slice}``; the first entry that matches a file decides its slice."""
    out: dict[Path, str] = {}
    for entry in reads:
        if isinstance(entry, dict):
            items = list(entry.items())
        else:
            items = [(entry, default_slice)]
        for pattern, kind in items:
            if kind not in SLICE_KINDS:
                raise PlanError(f"{RUNS_FILE}: reads {pattern!r}: slice must be one of {SLICE_KINDS}, got {kind!r}")
            for p in sorted(processed_dir.glob(str(pattern))):
                if p.is_file():
                    out.setdefault(p, kind)
    return sorted(out.items())


def _run_years(params: dict[str, Any]) -> list[int] | None:
    if "year" in params:
        return [int(params["year"])]
    if params.get("years"):
        return sorted(int(y) for y in params["years"])
    return None


def _slice_hash(
    entries: list[tuple[Path, str]],
    processed_dir: Path,
    cities: list[str],
    district: str | None,
    years: list[int] | None,
    cache: dict,
) -> str:
    """Hash of the rows one run reads: per file its whole sha256 (slice ``all``, or a run without a city) or the
    hashes of the row groups of its slice (see :func:`_group_hashes`)."""
    parts = []
    for f, kind in entries:
        rel = f.relative_to(processed_dir).as_posix()
        if ("file", rel) not in cache:
            cache[("file", rel)] = sha256_file(f)
        whole = cache[("file", rel)]
        if kind == "all" or not cities or (kind.startswith("district") and not district):
            parts.append((rel, whole))
            continue
        if "owners" not in cache:
            cache["owners"] = _unit_owners(processed_dir)
        if ("groups", rel) not in cache:
            cache[("groups", rel)] = _group_hashes(f, cache["owners"])
        groups = cache[("groups", rel)]
        if groups is None:
            parts.append((rel, whole))
        else:
            parts.append((rel, kind, _select_groups(groups, kind, cities, district, years)))
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
    parts: list[Any] = [
        sha256_file(runs) if runs.exists() else None,
        str(paths.processed_root_of(processed_dir).resolve()),
    ]
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
    district_ids: dict = {}
    hash_cache: dict = {}
    specs: list[RunSpec] = []
    for name, cfg in notebook_configs(notebooks_dir, config).items():
        if cfg["for_each"] != "once" and districts is None:
            districts = _district_table(processed_dir)
            # a district name shared by two units (two cities) has no single id: its runs count whole files
            district_ids = {
                name: ids[0] if len(ids := sorted(set(grp["unit_id"]) - {""})) == 1 else None
                for name, grp in districts.groupby("unit_name", sort=True)
            }
        entries = _read_entries(processed_dir, list(cfg["reads"]), cfg["slice"])
        for params, cities in enumerate_params(cfg["for_each"], districts, cfg):
            district = district_ids.get(params["district"]) if "district" in params else None
            specs.append(
                RunSpec(
                    notebook=name,
                    notebook_path=cfg["path"],
                    params=params,
                    slug=make_slug(params, cfg.get("slug")),
                    data_hash=_slice_hash(entries, processed_dir, cities, district, _run_years(params), hash_cache),
                    city=cities,
                    also_reads=sorted(cfg.get("also_reads") or []),
                )
            )
    _unique_slugs(specs)
    return specs


def kernel_preload(notebooks_dir: str | Path) -> list[str]:
    """Modules each pooled kernel imports before it is handed a notebook (runs.yaml ``kernel_preload``)."""
    return load_config(Path(notebooks_dir))["kernel_preload"]
