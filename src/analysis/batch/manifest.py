"""The run manifest (reports/run_manifest.json) and the incremental-run decision.

Each run's fingerprint hashes everything the run depends on: the notebook file, its parameters, the hash of the data
slice it reads (see plan.py), the files outside data/processed it reads (runs.yaml ``also_reads``: the review
ledger), the indicator registry and config files, and the package code (every .py under
src/analysis). A run is skipped when the previous manifest holds the same fingerprint with status ``ok`` (or
``skipped`` carried forward from an ``ok``) and its output folder still exists. ``--force`` ignores the manifest.

The manifest also keeps the plan cache (see plan.plan_runs), so that a no-op rerun loads no data at all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.batch.plan import canonical_json, outside_files_hash, sha256_file, sha256_text
from analysis.core import paths
from analysis.core.io import write_text

MANIFEST_NAME = "run_manifest.json"
MANIFEST_VERSION = 1


@dataclass
class RunRecord:
    """One line of the manifest: what ran, with what, when, how it ended, what it wrote."""

    run_id: str
    notebook: str
    parameters: dict[str, Any]
    output_dir: str
    fingerprint: str
    inputs: dict[str, str]
    status: str  # ok / failed / invalid / skipped
    start: str | None = None
    end: str | None = None
    duration_s: float | None = None
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    kernel_attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def manifest_path(reports_dir: Path) -> Path:
    return Path(reports_dir) / MANIFEST_NAME


def load(reports_dir: Path) -> dict[str, Any]:
    """The previous manifest, or an empty one when missing or unreadable."""
    path = manifest_path(reports_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"runs": [], "plan_cache": {}}
    if data.get("version") != MANIFEST_VERSION:
        return {"runs": [], "plan_cache": {}}
    return data


def save(reports_dir: Path, records: list[RunRecord], plan_cache: dict, previous: dict | None, partial: bool) -> Path:
    """Write the manifest atomically. With ``partial`` (an ``only`` selection) earlier records of runs that were not
    part of this batch are kept — read again from the file now, not from when the batch began, so two ``--only``
    batches one after the other (the pipeline lock keeps them from overlapping) both keep their records."""
    by_id: dict[str, dict] = {}
    if partial:
        on_disk = load(reports_dir)
        for source in (previous or {}, on_disk):
            by_id.update({r["run_id"]: r for r in source.get("runs", [])})
    by_id.update({r.run_id: r.to_dict() for r in records})
    return _write(reports_dir, by_id, plan_cache, indent=1)


def _write(reports_dir: Path, by_id: dict[str, dict], plan_cache: dict, indent: int | None) -> Path:
    data = {
        "version": MANIFEST_VERSION,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": _counts(by_id.values()),
        "runs": sorted(by_id.values(), key=lambda r: r["run_id"]),
        "plan_cache": plan_cache,
    }
    path = manifest_path(reports_dir)
    separators = None if indent else (",", ":")
    write_text(path, json.dumps(data, ensure_ascii=False, indent=indent, separators=separators, default=str))
    return path


class Checkpoints:
    """The manifest rewritten (atomically) each time a run ends, so a batch that is killed keeps the records of the
    runs that finished and the next batch redoes only the rest. Between checkpoints the file holds the runs that
    ended so far in this batch, the unchanged runs it skipped, the earlier record of each run still waiting or
    executing (its previous outputs are still in place: a run replaces them only when it succeeds, so the next batch
    decides on that record by fingerprint as usual) and, for an ``only`` selection, the earlier records of the runs
    outside it. The batch's final :func:`save` writes the whole manifest as before."""

    def __init__(
        self, reports_dir: Path, plan_cache: dict, previous: dict | None, partial: bool, waiting: list[str]
    ) -> None:
        self.reports_dir, self.plan_cache = reports_dir, plan_cache
        self.by_id: dict[str, dict] = {}
        old = {r["run_id"]: r for r in (previous or {}).get("runs", [])}
        if partial:
            self.by_id.update(old)
            self.by_id.update({r["run_id"]: r for r in load(reports_dir).get("runs", [])})
        else:
            self.by_id.update({i: old[i] for i in waiting if i in old})
        self.added = 0

    def add(self, records: list[RunRecord]) -> Path:
        """Record the records not seen yet (``records`` only grows) and rewrite the manifest."""
        self.by_id.update({r.run_id: r.to_dict() for r in records[self.added :]})
        self.added = len(records)
        return _write(self.reports_dir, self.by_id, self.plan_cache, indent=None)


def _counts(records) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def _tree_hash(root: Path, patterns: tuple[str, ...]) -> str:
    if not root.exists():
        return "absent"
    files = sorted({p for pat in patterns for p in root.rglob(pat) if p.is_file() and "__pycache__" not in p.parts})
    return sha256_text(canonical_json([(f.relative_to(root).as_posix(), sha256_file(f)) for f in files]))


def environment_hashes() -> dict[str, str]:
    """Hashes of what every run depends on besides its own notebook and data: registry, config, package code."""
    return {
        "registry": _tree_hash(paths.REGISTRY_DIR, ("*.yaml", "*.yml", "*.csv")),
        "config": _tree_hash(paths.config_dir(), ("*.yaml", "*.yml")),
        "code": _tree_hash(paths.PACKAGE_DIR, ("*.py",)),
    }


def run_inputs(spec, env: dict[str, str], notebook_hashes: dict[str, str]) -> dict[str, str]:
    """The input hashes of one run (recorded in the manifest)."""
    if spec.notebook_path not in notebook_hashes:
        notebook_hashes[spec.notebook_path] = sha256_file(Path(spec.notebook_path))
    inputs = {
        "notebook": notebook_hashes[spec.notebook_path],
        "parameters": sha256_text(canonical_json(spec.params)),
        "data_slice": spec.data_hash,
        **env,
    }
    if getattr(spec, "also_reads", None):  # files outside data/processed (the review ledger), hashed now
        inputs["outside_files"] = outside_files_hash(spec.also_reads)
    return inputs


def fingerprint(inputs: dict[str, str]) -> str:
    return sha256_text(canonical_json(inputs))


def can_skip(previous: dict[str, Any] | None, fp: str, out_dir: Path) -> bool:
    """True when the previous record succeeded with the same fingerprint and its outputs are still there."""
    if not previous or previous.get("fingerprint") != fp or previous.get("status") not in ("ok", "skipped"):
        return False
    return out_dir.is_dir() and all((out_dir / name).exists() for name in previous.get("outputs", []))
