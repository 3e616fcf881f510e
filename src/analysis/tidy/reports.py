"""Loading the report documents of a build: each file under data/raw/reports → its facts, candidate observations,
problems, a documents row and the findings about it.

One file at a time, under a time limit, and a file that fails costs only itself (``load_reports``). For one file
(``_one_report``): read it once (a copy of a file already read is a duplicate), check its provenance sidecar, place it
(unit and year), apply the review decisions to its facts, file it or say why not, and turn its confident mapped facts
into candidates.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.io import sha256_file
from analysis.core.limits import FileTimeLimit, time_limit
from analysis.registry.findings import finding
from analysis.registry.schema import UNMAPPED
from analysis.tidy.inputs import rel_path, time_limit_finding, unexpected_finding

# Scopes whose figure is not this year's level of the indicator: a plan/target, a change (同比增长 x%).
NON_COMPARABLE_SCOPES = ("target", "change")


@dataclasses.dataclass
class _Reading:
    """What the reports of one build share: the registry, the ledger, and the contents read so far."""

    raw_dir: Path
    indicators: pd.DataFrame
    units: pd.DataFrame
    ledger: pd.DataFrame | None
    min_confidence: float
    known: list[str]
    seen: dict[str, str] = dataclasses.field(default_factory=dict)  # sha256 or text fingerprint → first file


@dataclasses.dataclass
class _Loaded:
    facts: list = dataclasses.field(default_factory=list)
    cands: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)
    docs: list = dataclasses.field(default_factory=list)
    findings: list = dataclasses.field(default_factory=list)

    def extend(self, other: _Loaded) -> None:
        for f in dataclasses.fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))


def load_reports(report_paths, raw_dir, indicators, units, ledger=None, min_confidence: float = 0.0):
    """Extract every report; return (facts, candidates, problems, documents, findings).

    The review decisions of the ledger (confirm/map/scope/drop by fact_id) are applied to the facts first; then only
    mapped facts of the unit itself, of a comparable scope and with ``confidence`` ≥ ``min_confidence`` become
    candidates. Mapped facts below the threshold get a ``fact_needs_review`` finding (they wait for the analyst,
    ``python -m analysis review``); a fact table without a confidence column counts as confident.
    """
    run = _Reading(raw_dir, indicators, units, ledger, min_confidence, known=[n for n in units["name"]])
    total = _Loaded()
    for path in report_paths:
        rel = rel_path(path, raw_dir)
        local = _Loaded()
        try:
            with time_limit(rel):
                _one_report(run, path, rel, local)
        except FileTimeLimit as exc:
            total.findings.append(time_limit_finding(rel, exc))
            total.docs.append(error_doc_row(rel, exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file costs only itself
            total.findings.append(unexpected_finding(rel, exc))
            total.docs.append(error_doc_row(rel, exc))
            continue
        total.extend(local)
    return total.facts, total.cands, total.problems, total.docs, total.findings


def _doc_row(rel: str, digest: str | None) -> dict:
    return {
        "source_file": rel,
        "sha256": digest,
        "status": "ok",
        "unit_id": None,
        "year": pd.NA,
        "district_detected": None,
        "year_detected": pd.NA,
        "published": None,
        "title": None,
        "n_facts": 0,
        "n_mapped": 0,
        "message": "",
    }


def error_doc_row(rel: str, exc: BaseException) -> dict:
    """The documents row of a report whose reading failed (it is skipped)."""
    row = _doc_row(rel, None)
    row.update(status="error", message=f"读取失败，已跳过（{type(exc).__name__}: {exc}）"[:500])
    return row


def _one_report(run: _Reading, path: Path, rel: str, out: _Loaded) -> None:
    from analysis.tidy.corrections import apply_fact_decisions

    digest = sha256_file(path)
    doc_row = _doc_row(rel, digest)
    ex = _read_once(run, path, rel, digest, doc_row, out.findings)
    if ex is None:
        out.docs.append(doc_row)
        return
    sidecar, sidecar_bad = _checked_sidecar(ex, path, rel, out.findings)
    if ex.fingerprint in run.seen:
        first = run.seen[ex.fingerprint]
        doc_row.update(status="duplicate", message=f"与 {first} 正文相同（编码或格式不同）")
        out.findings.append(
            finding(
                "duplicate_report",
                f"{rel} 与 {first} 是同一份报告正文（编码或格式不同）；只读取一次",
                severity="warning",
                source_file=rel,
            )
        )
        out.docs.append(doc_row)
        return
    run.seen[ex.fingerprint] = rel
    out.findings += _provenance_findings(run, ex, sidecar, path, rel, digest)
    district, unit_id, year = _place(ex, sidecar, rel, doc_row, out.findings)
    f = ex.facts.copy()
    f["source_file"] = rel
    f["unit_id"] = unit_id
    f["year"] = int(year) if year else pd.NA
    if run.ledger is not None:
        f, decided, _used = apply_fact_decisions(f, run.ledger)
        out.findings += decided.to_dict("records")
    out.facts.append(f)
    doc_row.update(
        unit_id=unit_id,
        year=int(year) if year else pd.NA,
        n_facts=len(f),
        n_mapped=int((f["indicator_id"] != UNMAPPED).sum()),
    )
    refused = _not_filed(run, sidecar, sidecar_bad, district, unit_id, year, rel, out.findings)
    if refused:
        doc_row.update(status=refused[0], message=refused[1])
        out.docs.append(doc_row)
        return
    p = ex.problems.copy()
    if len(p):
        p["unit_id"], p["year"], p["source_file"] = unit_id, int(year), rel
        out.problems.append(p)
    out.docs.append(doc_row)
    _candidates(run, f, rel, unit_id, int(year), out)


def _read_once(run: _Reading, path: Path, rel: str, digest: str, doc_row: dict, findings: list[dict]):
    """The extracted report, or None (with the documents row and a finding) for a copy of a file already read or a
    document that cannot be read."""
    from analysis.ingest.reports.documents import DocumentError
    from analysis.ingest.reports.report import extract_report

    if digest in run.seen:
        doc_row.update(status="duplicate", message=f"与 {run.seen[digest]} 内容相同")
        findings.append(
            finding(
                "duplicate_file",
                f"{rel} 与 {run.seen[digest]} 内容相同；只读取一次",
                severity="warning",
                source_file=rel,
            )
        )
        return None
    run.seen[digest] = rel
    try:
        return extract_report(path, indicators=run.indicators, known_units=run.known)
    except (DocumentError, ValueError) as exc:
        doc_row.update(status="error", message=str(exc))
        findings.append(finding("unreadable_document", str(exc), severity="error", source_file=rel))
        return None


def _checked_sidecar(ex, path: Path, rel: str, findings: list[dict]) -> tuple[dict, bool]:
    """The checked provenance sidecar ({} when there is none) and whether its district or year is unusable."""
    from analysis.ingest.reports.report import check_sidecar, sidecar_path

    # an unknown district is reported by unknown_unit later, with a suggestion
    sidecar, sc_problems = check_sidecar(ex.sidecar or {}, rel) if ex.sidecar else ({}, [])
    sc_name = sidecar_path(path).name
    if ex.sidecar_error:
        findings.append(
            finding(
                "sidecar_unreadable",
                f"{rel}：旁注文件 {ex.sidecar_error}",
                severity="error",
                source_file=rel,
                locator=sc_name,
            )
        )
    for field, why in sc_problems:
        findings.append(
            finding(
                "sidecar_schema",
                f"{rel}：旁注文件 {sc_name} 的 {why}",
                severity="error",
                source_file=rel,
                locator=f"{sc_name}:{field}",
            )
        )
    return sidecar, bool(ex.sidecar_error) or any(f in ("district", "year_covered") for f, _ in sc_problems)


def _provenance_findings(run: _Reading, ex, sidecar: dict, path: Path, rel: str, digest: str) -> list[dict]:
    """A file changed since it was received, the document's own warnings, the text against the sidecar and the
    folder, a missing sidecar."""
    from analysis.ingest.reports.metadata import check_against_sidecar

    findings: list[dict] = []
    if sidecar.get("sha256") and str(sidecar["sha256"]).lower() != digest:
        findings.append(
            finding(
                "sha256_mismatch",
                f"{rel}：sha256 {digest[:12]}… 与来源说明中的 {str(sidecar['sha256'])[:12]}… 不同"
                "——文件在收到之后被改动过",
                severity="error",
                source_file=rel,
            )
        )
    for w in ex.warnings:
        findings.append(finding("document_warning", w, severity="warning", source_file=rel))
    folder_parts = path.relative_to(run.raw_dir).parts[:-1]
    for f in check_against_sidecar(ex.meta, sidecar, folder_parts, known_units=run.known, source_file=rel):
        f = dict(f)
        f["source_file"] = f.get("source_file") or rel
        findings.append(f)
    if not ex.sidecar:
        findings.append(
            finding(
                "missing_sidecar",
                f"{rel} 没有来源说明（{path.stem}.source.yaml）；区县和年度取自报告正文（可用 add-report 加入报告）",
                severity="warning",
                source_file=rel,
            )
        )
    return findings


def _place(ex, sidecar: dict, rel: str, doc_row: dict, findings: list[dict]):
    """(district, unit id or None, year or None) of a report: the sidecar first, then the text."""
    from analysis.registry.units import UnknownUnitError, resolve_unit

    meta = ex.meta
    district = sidecar.get("district") or meta.get("district")
    year = sidecar.get("year_covered") or meta.get("year_covered")
    doc_row.update(
        district_detected=meta.get("district"),
        year_detected=meta.get("year_covered") or pd.NA,
        published=str(sidecar.get("published") or meta.get("published") or "") or None,
        title=meta.get("title"),
    )
    unit_id = None
    try:
        unit_id = resolve_unit(district or "")
    except UnknownUnitError as exc:
        findings.append(finding("unknown_unit", f"{rel}：{exc}；报告未收录为观测值", severity="error", source_file=rel))
    if year is None:
        findings.append(
            finding(
                "unknown_year",
                f"{rel}：无法确定报告所述年度；报告未收录为观测值",
                severity="error",
                source_file=rel,
            )
        )
    return district, unit_id, year


def _not_filed(run: _Reading, sidecar, sidecar_bad, district, unit_id, year, rel, findings) -> tuple[str, str] | None:
    """(status, message) of a report whose facts are kept but not filed as observations; None when it is filed."""
    if sidecar_bad:
        return "not_filed", "旁注文件有误（见 findings）：事实保留，未归入观测值"
    if unit_id is None or year is None:
        return "not_filed", "单位或年度未知：数字已保留，未收录为观测值"
    if run.units.set_index("unit_id").at[unit_id, "synthetic"]:
        findings.append(
            finding(
                "synthetic_unit_in_reports",
                f"{rel} 归在虚构单位 {district} 下；报告是真实文件，只能归到真实单位",
                severity="error",
                source_file=rel,
            )
        )
        return "refused", "真实报告不能归入虚构单位：未归入观测值"
    if sidecar.get("synthetic") is True:
        findings.append(
            finding(
                "synthetic_claim_for_real_unit",
                f"{rel}：旁注文件声明 synthetic: true（虚构数据），但单位 {district} 是真实单位；未归入观测值",
                severity="error",
                source_file=rel,
                locator="sidecar:synthetic",
            )
        )
        return "refused", "虚构数据不能归入真实单位：未归入观测值"
    return None


def _candidates(run: _Reading, f: pd.DataFrame, rel: str, unit_id: str, year: int, out: _Loaded) -> None:
    """The mapped facts of the unit itself, of a comparable scope: confident ones become candidates, the others wait
    for review (``fact_needs_review``)."""
    mapped_own = (f["indicator_id"] != UNMAPPED) & (f["level"] == "own")
    if "decision" in f.columns:
        mapped_own &= ~f["decision"].fillna("").str.contains("drop", regex=False)
    mapped_own &= ~f["scope"].isin(NON_COMPARABLE_SCOPES)
    conf = pd.to_numeric(f["confidence"], errors="coerce").fillna(1.0) if "confidence" in f else 1.0
    for r in f[mapped_own & (conf < run.min_confidence)].itertuples(index=False):
        out.findings.append(
            finding(
                "fact_needs_review",
                f"{r.value:g}{r.measure} 对应 {r.indicator_id} 的把握度 {float(r.confidence):.2f} 低于阈值"
                f" {run.min_confidence:g}：未计入观测值，等待审核（python -m analysis review）",
                severity="warning",
                source_file=rel,
                locator=str(r.locator),
                unit_id=unit_id,
                year=year,
                indicator_id=r.indicator_id,
                detail=json.dumps({"fact_id": r.fact_id, "evidence": r.evidence}, ensure_ascii=False),
            )
        )
    own = f[mapped_own & (conf >= run.min_confidence)]
    if len(own):
        yr = np.where(own["scope"] == "prior_year", year - 1, year)
        out.cands.append(
            pd.DataFrame(
                {
                    "unit_id": unit_id,
                    "year": yr,
                    "indicator_id": own["indicator_id"].to_numpy(),
                    "value": own["value"].to_numpy(dtype=float),
                    "measure": own["measure"].to_numpy(),
                    "value_state": own["value_state"].to_numpy(),
                    "approx": own["approx"].to_numpy(dtype=bool),
                    "scope": own["scope"].to_numpy(),
                    "source_kind": "report",
                    "source_file": rel,
                    "locator": own["locator"].astype(str).to_numpy(),
                    "evidence": own["evidence"].to_numpy(),
                    "fact_id": own["fact_id"].to_numpy(),
                }
            )
        )
