"""After the notebook runs: the leadership outputs that gather across runs — one-page briefs per district, one PDF
per city, the methodology page and reports/index.html linking everything."""

from __future__ import annotations

from pathlib import Path

from analysis import paths
from analysis.build import sample_line


PUBLISH_RECORD = "publish_manifest.json"


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
    parts.append(sorted((r["run_id"], r.get("fingerprint"), r.get("status"), r.get("outputs")) for r in runs))
    # every other file under reports/ the index may list (workbooks, dictionary, …), by name, size and time
    from analysis.reports.workbook import WORKBOOK_NAME

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
        "sample_line": sample_line(bool(rec.get("sample_included"))),
        "skipped": True,
    }


def publish(
    processed_dir: Path | None = None, reports_dir: Path | None = None, force: bool = False
) -> dict[str, object]:
    """Write the briefs, city PDFs, methodology page and index, unless nothing they read changed since the last time
    (``force`` rebuilds anyway). The result has ``skipped: True`` when nothing was rebuilt."""
    processed_dir = paths.resolve_processed(processed_dir)  # one build for every page, brief and the workbook
    reports_dir = Path(reports_dir) if reports_dir else paths.reports_dir()
    record_path = reports_dir / PUBLISH_RECORD
    key = _inputs_key(processed_dir, reports_dir)
    if not force and (previous := _unchanged(record_path, key, reports_dir)) is not None:
        return previous
    out = _publish(processed_dir, reports_dir)
    _write_record(record_path, key, reports_dir, out)
    return out


def _write_record(record_path: Path, key: str, reports_dir: Path, out: dict[str, object]) -> None:
    import json

    from analysis.io import write_text

    def rel(p) -> str:
        return Path(p).resolve().relative_to(reports_dir.resolve()).as_posix()

    try:
        briefs = [rel(b) for b in out["briefs"]]  # type: ignore[union-attr]
        brief_dir = reports_dir / "briefs"
        files = sorted(
            {rel(f) for f in brief_dir.rglob("*") if f.is_file()} if brief_dir.exists() else set()
        ) + [rel(out["methodology"]), rel(out["index"])]
        data = {"key": key, "briefs": briefs, "methodology": rel(out["methodology"]), "index": rel(out["index"])}
        if out.get("workbook"):
            files.append(rel(out["workbook"]))
        data["files"] = files
        data["sample_included"] = bool(out.get("sample_included"))
    except (ValueError, TypeError, KeyError):
        return  # outputs outside reports/: no record, the next run rebuilds
    write_text(record_path, json.dumps(data, ensure_ascii=False, indent=1))


def _publish(processed_dir: Path, reports_dir: Path) -> dict[str, object]:
    from analysis.io import staged_dir
    from analysis.metrics import load_config
    from analysis.metrics.methodology import render_methodology
    from analysis.registry import load_indicators
    from analysis.reports.briefs import build_briefs
    from analysis.reports.index import build_index
    from analysis.reports.pages import render_methodology_html
    from analysis.reports.workbook import WORKBOOK_NAME, write_workbook

    brief_dir = reports_dir / "briefs"
    with staged_dir(brief_dir) as stage:  # the briefs switch as one set (a killed run leaves the previous set whole)
        briefs = [brief_dir / p.relative_to(stage) for p in build_briefs(processed_dir, stage)]
    methodology = reports_dir / "methodology.html"
    render_methodology_html(render_methodology(load_indicators(), load_config()), methodology)
    workbook = write_workbook(processed_dir, reports_dir / WORKBOOK_NAME)
    index = build_index(reports_dir, processed_dir)
    return {
        "briefs": briefs,
        "methodology": methodology,
        "workbook": workbook,
        "index": index,
        "sample_included": sample_included(processed_dir),
        "sample_line": sample_line(sample_included(processed_dir)),
    }


def sample_included(processed_dir: Path) -> bool:
    """True when the built observations hold fictional (示例市) rows."""
    from analysis import load

    obs = load.load_observations(processed_dir)
    return bool(obs["is_synthetic"].astype(bool).any()) if "is_synthetic" in obs.columns else False
