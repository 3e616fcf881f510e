"""After the notebook runs: the leadership outputs that gather across runs — one-page briefs per district, one PDF
per city, the methodology page, the Excel workbook and reports/index.html (with files.html) linking everything.

Incremental to the last file, recorded in reports/publish_manifest.json:

* a whole-publish key over everything these outputs read (every data/processed file, registry/config/code, each
  run's id, fingerprint and outputs, every other file under reports/) — unchanged, nothing is rebuilt and nothing heavy
  is imported (the no-op ``python -m analysis run``);
* otherwise each output is rebuilt only when its own inputs changed: every brief and city PDF by the content key of
  what it shows (analysis.present.briefs), the methodology page by the registry/config/code, the workbook by the
  tables it reads; the index and files page follow the whole-publish key.
"""

from __future__ import annotations

from pathlib import Path

from analysis.core import paths

PUBLISH_RECORD = "publish_manifest.json"
# analysis.present.workbook.WORKBOOK_NAME, not imported here: that module imports pandas and matplotlib, which the
# no-op path never needs (a test checks the two names agree)
WORKBOOK_NAME = "数据汇总.xlsx"


def _inputs_key(processed_dir: Path, reports_dir: Path) -> str:
    """Hash of what the briefs, city PDFs, methodology page and index read: every file under data/processed, the
    registry/config/package code, and each run's record in the run manifest (id, fingerprint, status, outputs)."""
    import json

    from analysis.batch import manifest
    from analysis.batch.plan import canonical_json, sha256_file, sha256_text

    # the data/processed folder by name (not its version folder: a rebuild with the same tables changes nothing)
    parts: list[object] = [manifest.environment_hashes(), str(paths.processed_root_of(processed_dir).resolve())]
    if processed_dir.exists():
        for f in sorted(p for p in processed_dir.rglob("*") if p.is_file()):
            parts.append((f.relative_to(processed_dir).as_posix(), sha256_file(f)))
    try:
        runs = json.loads(manifest.manifest_path(reports_dir).read_text(encoding="utf-8")).get("runs", [])
    except (OSError, ValueError):
        runs = []
    # a run carried forward unchanged ("skipped") shows the same outputs as when it ran ("ok")
    status = {"skipped": "ok"}
    parts.append(
        sorted(
            (r["run_id"], r.get("fingerprint"), status.get(r.get("status"), r.get("status")), r.get("outputs"))
            for r in runs
        )
    )
    # every other file under reports/ the index may list (workbooks, dictionary, …), by name, size and time
    # the files publish itself writes are outputs, not inputs
    own = {PUBLISH_RECORD, "methodology.html", "index.html", "files.html", WORKBOOK_NAME, manifest.MANIFEST_NAME}
    if reports_dir.exists():
        for f in sorted(p for p in reports_dir.rglob("*") if p.is_file()):
            rel = f.relative_to(reports_dir).as_posix()
            if rel in own or rel.startswith("briefs/"):
                continue
            st = f.stat()
            parts.append((rel, st.st_size, st.st_mtime_ns))
    return sha256_text(canonical_json(parts))


def _unchanged(record_path: Path, key: str, reports_dir: Path) -> dict[str, object] | None:
    """The previous publish result when its inputs key is the same and every output file is still there."""
    import json

    try:
        rec = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if rec.get("key") != key:
        return None
    files = [reports_dir / f for f in rec.get("files", [])]
    if not files or not all(f.is_file() for f in files):
        return None
    return {
        "briefs": [reports_dir / b for b in rec.get("briefs", [])],
        "methodology": reports_dir / rec["methodology"],
        "index": reports_dir / rec["index"],
        "sample_included": bool(rec.get("sample_included")),
        "sample_line": rec.get("sample_line") or _sample_line(bool(rec.get("sample_included"))),
        "skipped": True,
    }


def publish(
    processed_dir: Path | None = None, reports_dir: Path | None = None, force: bool = False, jobs: int | None = None
) -> dict[str, object]:
    """Write the briefs, city PDFs, methodology page and index, unless nothing they read changed since the last time
    (``force`` rebuilds anyway). The result has ``skipped: True`` when nothing was rebuilt. ``jobs``: processes that
    draw the briefs (default: the cores); the workbook is written by one more process meanwhile."""
    processed_dir = paths.resolve_processed(processed_dir)  # one build for every page, brief and the workbook
    reports_dir = Path(reports_dir) if reports_dir else paths.reports_dir()
    record_path = reports_dir / PUBLISH_RECORD
    key = _inputs_key(processed_dir, reports_dir)
    if not force and (previous := _unchanged(record_path, key, reports_dir)) is not None:
        return previous
    old = {} if force else _read_record(record_path)
    out = _publish(processed_dir, reports_dir, old, jobs)
    _write_record(record_path, key, reports_dir, out)
    return out


def _read_record(record_path: Path) -> dict:
    import json

    try:
        rec = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return rec if isinstance(rec, dict) else {}


def _part_keys(processed_dir: Path) -> dict[str, str]:
    """Keys of the outputs that do not depend on the runs: methodology (registry, config, code) and workbook (the
    tables it reads, plus registry, config, code)."""
    from analysis.batch import manifest
    from analysis.batch.plan import canonical_json, sha256_file, sha256_text

    env = manifest.environment_hashes()
    tables = ["observations", "units", "findings", "metrics/area_scores", "metrics/rates", "metrics/changes"]
    files = [(t, sha256_file(processed_dir / f"{t}.parquet") if (processed_dir / f"{t}.parquet").exists() else None)
             for t in tables]  # fmt: skip
    return {
        "methodology": sha256_text(canonical_json(["methodology", env])),
        "workbook": sha256_text(
            canonical_json(["workbook", env, files, str(paths.processed_root_of(processed_dir).resolve())])
        ),
        "briefs_salt": sha256_text(canonical_json(["briefs", env])),
    }


def _write_record(record_path: Path, key: str, reports_dir: Path, out: dict[str, object]) -> None:
    import json

    from analysis.core.io import write_text

    def rel(p) -> str:
        return Path(p).resolve().relative_to(reports_dir.resolve()).as_posix()

    try:
        briefs = [rel(b) for b in out["briefs"]]  # type: ignore[union-attr]
        brief_dir = reports_dir / "briefs"
        files = sorted({rel(f) for f in brief_dir.rglob("*") if f.is_file()} if brief_dir.exists() else set()) + [
            rel(out["methodology"]),
            rel(out["index"]),
        ]
        data = {"key": key, "briefs": briefs, "methodology": rel(out["methodology"]), "index": rel(out["index"])}
        if out.get("workbook"):
            files.append(rel(out["workbook"]))
        data["files"] = files
        data["sample_included"] = bool(out.get("sample_included"))
        data["sample_line"] = out.get("sample_line")
        data["part_keys"] = out.get("part_keys", {})
        data["brief_keys"] = out.get("brief_keys", {})
        data["rebuilt"] = out.get("rebuilt", [])
    except (ValueError, TypeError, KeyError):
        return  # outputs outside reports/: no record, the next run rebuilds
    write_text(record_path, json.dumps(data, ensure_ascii=False, indent=1))


def _publish(
    processed_dir: Path, reports_dir: Path, old: dict | None = None, jobs: int | None = None
) -> dict[str, object]:
    """Rebuild what changed since the record ``old`` (empty: everything); the result lists it under ``rebuilt``.

    The workbook is written in a forked process while the briefs are drawn (in ``jobs`` forked processes); both
    write atomically, so a killed publish leaves the previous files whole."""
    from analysis.core.io import staged_dir
    from analysis.core.parallel import Background
    from analysis.present.briefs import build_briefs
    from analysis.present.pages.index import build_index
    from analysis.present.workbook import write_workbook

    old = old or {}
    old_parts = old.get("part_keys") or {}
    parts = _part_keys(processed_dir)
    rebuilt: list[str] = []
    workbook = reports_dir / WORKBOOK_NAME
    writing = None
    if old_parts.get("workbook") != parts["workbook"] or not workbook.is_file():
        writing = Background(write_workbook, processed_dir, workbook)  # meanwhile, in its own process
    try:
        brief_dir = reports_dir / "briefs"
        brief_keys: dict[str, str] = {}
        drawn: list[str] = []
        # the briefs switch as one set (a killed run leaves the previous set whole); unchanged files come from that set
        with staged_dir(brief_dir) as stage:
            staged = build_briefs(
                processed_dir,
                stage,
                previous_keys=old.get("brief_keys") or {},
                keys_out=brief_keys,
                salt=parts["briefs_salt"],
                drawn=drawn,
                reuse_from=brief_dir if brief_dir.is_dir() else None,
                jobs=jobs,
            )
            briefs = [brief_dir / p.relative_to(stage) for p in staged]
        rebuilt += [f"briefs/{d}" for d in drawn]
        methodology = reports_dir / "methodology.html"
        if old_parts.get("methodology") != parts["methodology"] or not methodology.is_file():
            from analysis.metrics import load_config
            from analysis.metrics.methodology import render_methodology
            from analysis.present.pages.html import render_methodology_html
            from analysis.registry import load_indicators

            render_methodology_html(render_methodology(load_indicators(), load_config()), methodology)
            rebuilt.append("methodology.html")
        if writing is not None:
            workbook = writing.result()
            rebuilt.append(WORKBOOK_NAME)
    finally:
        if writing is not None:
            writing.close()
    index = build_index(reports_dir, processed_dir)
    rebuilt += ["index.html", "files.html"]
    return {
        "briefs": briefs,
        "methodology": methodology,
        "workbook": workbook,
        "index": index,
        "sample_included": sample_included(processed_dir),
        "sample_line": _sample_line(sample_included(processed_dir)),
        "part_keys": parts,
        "brief_keys": {k: v for k, v in brief_keys.items()},
        "rebuilt": rebuilt,
    }


def _sample_line(included: bool) -> str:
    from analysis.tidy.build import sample_line  # imports pandas: only when something is rebuilt

    return sample_line(included)


def sample_included(processed_dir: Path) -> bool:
    """True when the built observations hold fictional (示例市) rows."""
    from analysis.tidy import load

    obs = load.load_observations(processed_dir)
    return bool(obs["is_synthetic"].astype(bool).any()) if "is_synthetic" in obs.columns else False
