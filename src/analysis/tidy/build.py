"""Build: everything in data/raw (+ the fictional sample panel) → validated tidy tables in data/processed.

Load:    reports (data/raw/reports/**, with .source.yaml sidecars), datasets (data/raw/datasets/*.xlsx|csv), the sample.
Process: extract facts → resolve units → candidate observations → corrections ledger → precedence (one value per unit,
         year and indicator; conflicts kept and listed) → explicit not-reported rows → quality rules → metrics.
Save:    every table and the build manifest written into a new version folder (data/processed/versions/<id>/), then
         the ``current`` link switched to it in one step, so a build killed at any moment leaves the previous
         complete set or the new one, never a mix (analysis.core.io.new_version). data/raw is hashed before and after: a
         build that changed a raw file fails. The whole build holds the pipeline lock.

Problems with one input never stop the build: they become findings (with file and place) and the build goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.core import paths
from analysis.core.io import (
    clean_leftovers,
    command_lock,
    fault_point,
    guard_not_raw,
    new_version,
    sha256_file,
    write_csv,
)
from analysis.core.limits import FileTimeLimit, time_limit
from analysis.registry.findings import finding
from analysis.registry.schema import CORRECTION_COLUMNS, FACT_COLUMNS, FINDING_COLUMNS, OBSERVATION_COLUMNS, UNMAPPED

DATASET_SUFFIXES = (".xlsx", ".csv")
SCOPE_ORDER = {
    "year": 0,
    "to_date": 1,
    "half_year": 2,
    "partial_period": 3,
    "cumulative": 4,
    "per_unit": 5,
    "prior_year": 6,
    "change": 7,
}
DEFAULT_PRECEDENCE = ["correction", "dataset", "report", "sample"]
SOURCE_KIND_ZH = {"correction": "更正账本", "dataset": "数据集", "report": "报告", "sample": "示例数据"}
# Scopes whose figure is not this year's level of the indicator: a plan/target, a change (同比增长 x%).
NON_COMPARABLE_SCOPES = ("target", "change")


@dataclasses.dataclass
class BuildResult:
    processed_dir: Path
    counts: dict
    findings_by_severity: dict
    outputs: list[Path]

    @property
    def errors_user(self) -> int:
        """Error findings in the user's own data: each one is a report, row, value or sheet the build left out."""
        return int(self.counts.get("errors_user", 0))

    @property
    def errors_sample(self) -> int:
        """Error findings from the fictional sample's deliberate faults (they show the checks at work)."""
        return int(self.counts.get("errors_sample", 0))

    def summary(self) -> str:
        c = self.counts
        sev_zh = {"error": "错误", "warning": "警告", "info": "提示", "ok": "通过"}
        sev = "，".join(f"{sev_zh.get(k, k)} {v}" for k, v in sorted(self.findings_by_severity.items())) or "无"
        sample = "已包含（虚构的示例市，标记为模拟数据）" if c["sample"] else "未包含"
        lines = [
            f"构建 → {self.processed_dir}",
            f"  来源：报告 {c['reports']} 份，数据集文件 {c['datasets']} 个，示例数据：{sample}",
            f"  报告中的数字：{c['facts']} 个（已对应指标 {c['facts_mapped']}，未对应 {c['facts_unmapped']}）",
            f"  观测值：{c['observations']} 行（已报告 {c['observations_reported']}，"
            f"未报告 {c['observations'] - c['observations_reported']}），共 {c['units']} 个单位",
            f"  冲突：{c['conflicts']}；检查发现：{sev}",
            f"  您的数据中的错误（被略过或需核对的报告、行、数值、工作表）：{self.errors_user}",
        ]
        if c["sample"]:
            lines.append(f"  示例数据中的故意错误：{self.errors_sample}（用来演示检查规则，不是您的数据）")
            lines.append("  只用真实数据：make run SAMPLE=0（或 python -m analysis build --no-sample）")
        return "\n".join(lines)


def sample_line(included: bool) -> str:
    """The summary line that says whether the fictional sample is in the build (and how to leave it out)."""
    if included:
        return "示例数据（虚构的示例市）：已包含（仅用于演示；不含示例数据请用 make run SAMPLE=0 或 build --no-sample）"
    return "示例数据（虚构的示例市）：未包含，只有真实数据"


# ---------------------------------------------------------------- hashing


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- load


def _finding(
    rule, severity, message, source_file="", locator="", unit_id=None, year=None, indicator_id=None, detail=""
):
    return finding(
        rule,
        message,
        severity=severity,
        unit_id=unit_id,
        year=year,
        indicator_id=indicator_id,
        source_file=source_file,
        locator=locator,
        detail=detail,
    )


def _unexpected(rel: str, exc: BaseException) -> dict:
    """The finding for a file whose reading failed in an unforeseen way: the file is left out, the build goes on."""
    if isinstance(exc, MemoryError):
        why = "内存不足（文件过大或结构异常）"
    elif isinstance(exc, RecursionError):
        why = "嵌套过深"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return _finding(
        "unreadable_input", "error", f"{rel}：读取失败，已跳过此文件（{why}）", rel, "file", detail=type(exc).__name__
    )


def _time_limit_finding(rel: str, exc: FileTimeLimit) -> dict:
    return _finding("file_time_limit", "error", f"{exc}；其余文件照常构建", rel, "file", detail=f"{exc.seconds:g}s")


def _error_doc_row(rel: str, exc: BaseException) -> dict:
    return {
        "source_file": rel,
        "sha256": None,
        "status": "error",
        "unit_id": None,
        "year": pd.NA,
        "district_detected": None,
        "year_detected": pd.NA,
        "published": None,
        "title": None,
        "n_facts": 0,
        "n_mapped": 0,
        "message": f"读取失败，已跳过（{type(exc).__name__}: {exc}）"[:500],
    }


UNREADABLE_SUFFIXES = {
    ".xls": "旧版 Excel（.xls）无法读取，请另存为 .xlsx",
    ".xlsm": "带宏的 Excel（.xlsm）不予读取（宏可能执行代码），请另存为 .xlsx",
    ".xlsb": "二进制 Excel（.xlsb）无法读取，请另存为 .xlsx",
    ".doc": "旧版 Word（.doc）无法读取，请另存为 .docx",
    ".wps": "WPS 文字（.wps）无法读取，请另存为 .docx",
    ".et": "WPS 表格（.et）无法读取，请另存为 .xlsx",
    ".ofd": "OFD 版式文件无法读取，请另存为 PDF 或 .docx",
    ".rtf": "RTF 文件无法读取，请另存为 .docx",
    ".odt": "ODT 文件无法读取，请另存为 .docx",
    ".ods": "ODS 文件无法读取，请另存为 .xlsx",
}


def discover(raw_dir: Path, findings: list | None = None) -> tuple[list[Path], list[Path]]:
    """Report files and dataset files under raw_dir (sidecars, hidden files and notes are not inputs).

    With ``findings`` (a list), every file left out for a reason the user must know is added as an error finding:
    a symlink that leads outside data/raw (refused, never followed), and formats that cannot be read (.xls, .xlsm,
    .doc, .wps, .ofd …)."""
    from analysis.ingest.reports.report import REPORT_SUFFIXES

    raw_real = raw_dir.resolve()
    sink = findings if findings is not None else []

    def visible(p: Path) -> bool:
        return p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)

    def inside(p: Path) -> bool:
        if not p.is_symlink():
            return True
        target = p.resolve()
        if target == raw_real or raw_real in target.parents:
            return True
        rel = _rel(p, raw_dir)
        sink.append(
            _finding(
                "symlink_outside_raw",
                "error",
                f"{rel} 是指向 data/raw 之外（{target}）的符号链接，已拒绝读取",
                rel,
                "file",
            )
        )
        return False

    def files(root: Path, suffixes) -> list[Path]:
        if not root.exists():
            return []
        out = []
        for p in sorted(root.rglob("*")):
            if p.is_symlink() and p.is_dir():
                inside(p)  # a linked folder is never walked; one that leads outside is reported
                continue
            if not visible(p):
                continue
            suf = p.suffix.lower()
            if suf in suffixes:
                if inside(p):
                    out.append(p)
            elif suf in UNREADABLE_SUFFIXES:
                rel = _rel(p, raw_dir)
                sink.append(
                    _finding("unreadable_format", "error", f"{rel}：{UNREADABLE_SUFFIXES[suf]}；未读取", rel, "file")
                )
        return out

    return files(raw_dir / "reports", REPORT_SUFFIXES), files(raw_dir / "datasets", DATASET_SUFFIXES)


def _rel(path: Path, raw_dir: Path) -> str:
    try:
        return str(Path("data/raw") / path.relative_to(raw_dir))
    except ValueError:
        return str(path)


def _unit_info(units: pd.DataFrame) -> pd.DataFrame:
    u = units.set_index("unit_id")
    return pd.DataFrame(
        {
            "unit_name": u["name"],
            "unit_level": u["level"],
            "parent_unit_id": u["parent"],
            "city": u["city"],
            "province": u["province"],
            "is_synthetic": u["synthetic"].astype(bool),
        }
    )


def load_reports(report_paths, raw_dir, indicators, units, ledger=None, min_confidence: float = 0.0):
    """Extract every report; return (facts, candidates, problems, documents, findings).

    The review decisions of the ledger (confirm/map/scope/drop by fact_id) are applied to the facts first; then only
    mapped facts of the unit itself, of a comparable scope and with ``confidence`` ≥ ``min_confidence`` become
    candidates. Mapped facts below the threshold get a ``fact_needs_review`` finding (they wait for the analyst,
    ``python -m analysis review``); a fact table without a confidence column counts as confident.
    """
    from analysis.ingest.reports.documents import DocumentError
    from analysis.ingest.reports.metadata import check_against_sidecar
    from analysis.ingest.reports.report import check_sidecar, extract_report, sidecar_path
    from analysis.registry.units import UnknownUnitError, resolve_unit
    from analysis.tidy.corrections import apply_fact_decisions

    known = [n for n in units["name"]]
    facts, cands, problems, docs, findings = [], [], [], [], []
    seen_hashes: dict[str, str] = {}

    def one(path: Path, rel: str, facts, cands, problems, docs, findings) -> None:
        rel = _rel(path, raw_dir)
        digest = sha256_file(path)
        doc_row = {
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
        if digest in seen_hashes:
            doc_row.update(status="duplicate", message=f"与 {seen_hashes[digest]} 内容相同")
            findings.append(
                _finding("duplicate_file", "warning", f"{rel} 与 {seen_hashes[digest]} 内容相同；只读取一次", rel)
            )
            docs.append(doc_row)
            return
        seen_hashes[digest] = rel
        try:
            ex = extract_report(path, indicators=indicators, known_units=known)
        except (DocumentError, ValueError) as exc:
            doc_row.update(status="error", message=str(exc))
            findings.append(_finding("unreadable_document", "error", str(exc), rel))
            docs.append(doc_row)
            return
        meta, sidecar_raw = ex.meta, ex.sidecar or {}
        # an unknown district is reported by unknown_unit below, with a suggestion
        sidecar, sc_problems = check_sidecar(sidecar_raw, rel) if ex.sidecar else ({}, [])
        sc_name = sidecar_path(path).name
        if ex.sidecar_error:
            findings.append(
                _finding("sidecar_unreadable", "error", f"{rel}：旁注文件 {ex.sidecar_error}", rel, sc_name)
            )
        for field, why in sc_problems:
            findings.append(
                _finding("sidecar_schema", "error", f"{rel}：旁注文件 {sc_name} 的 {why}", rel, f"{sc_name}:{field}")
            )
        sidecar_bad = bool(ex.sidecar_error) or any(f in ("district", "year_covered") for f, _ in sc_problems)
        if ex.fingerprint in seen_hashes:
            first = seen_hashes[ex.fingerprint]
            doc_row.update(status="duplicate", message=f"与 {first} 正文相同（编码或格式不同）")
            findings.append(
                _finding(
                    "duplicate_report",
                    "warning",
                    f"{rel} 与 {first} 是同一份报告正文（编码或格式不同）；只读取一次",
                    rel,
                )
            )
            docs.append(doc_row)
            return
        seen_hashes[ex.fingerprint] = rel
        if sidecar.get("sha256") and str(sidecar["sha256"]).lower() != digest:
            findings.append(
                _finding(
                    "sha256_mismatch",
                    "error",
                    f"{rel}：sha256 {digest[:12]}… 与来源说明中的 {str(sidecar['sha256'])[:12]}… 不同"
                    "——文件在收到之后被改动过",
                    rel,
                )
            )
        for w in ex.warnings:
            findings.append(_finding("document_warning", "warning", w, rel))
        folder_parts = path.relative_to(raw_dir).parts[:-1]
        for f in check_against_sidecar(meta, sidecar, folder_parts, known_units=known, source_file=rel):
            f = dict(f)
            f["source_file"] = f.get("source_file") or rel
            findings.append(f)
        if not ex.sidecar:
            findings.append(
                _finding(
                    "missing_sidecar",
                    "warning",
                    f"{rel} 没有来源说明（{path.stem}.source.yaml）；区县和年度取自报告正文（可用 add-report 加入报告）",
                    rel,
                )
            )
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
            findings.append(_finding("unknown_unit", "error", f"{rel}：{exc}；报告未收录为观测值", rel))
        if year is None:
            findings.append(_finding("unknown_year", "error", f"{rel}：无法确定报告所述年度；报告未收录为观测值", rel))
        f = ex.facts.copy()
        f["source_file"] = rel
        f["unit_id"] = unit_id
        f["year"] = int(year) if year else pd.NA
        if ledger is not None:
            f, decided, _used = apply_fact_decisions(f, ledger)
            findings += decided.to_dict("records")
        facts.append(f)
        doc_row.update(
            unit_id=unit_id,
            year=int(year) if year else pd.NA,
            n_facts=len(f),
            n_mapped=int((f["indicator_id"] != UNMAPPED).sum()),
        )
        if sidecar_bad:
            doc_row.update(status="not_filed", message="旁注文件有误（见 findings）：事实保留，未归入观测值")
            docs.append(doc_row)
            return
        if unit_id is None or year is None:
            doc_row.update(status="not_filed", message="单位或年度未知：数字已保留，未收录为观测值")
            docs.append(doc_row)
            return
        if units.set_index("unit_id").at[unit_id, "synthetic"]:
            findings.append(
                _finding(
                    "synthetic_unit_in_reports",
                    "error",
                    f"{rel} 归在虚构单位 {district} 下；报告是真实文件，只能归到真实单位",
                    rel,
                )
            )
            doc_row.update(status="refused", message="真实报告不能归入虚构单位：未归入观测值")
            docs.append(doc_row)
            return
        if sidecar.get("synthetic") is True:
            findings.append(
                _finding(
                    "synthetic_claim_for_real_unit",
                    "error",
                    f"{rel}：旁注文件声明 synthetic: true（虚构数据），但单位 {district} 是真实单位；未归入观测值",
                    rel,
                    "sidecar:synthetic",
                )
            )
            doc_row.update(status="refused", message="虚构数据不能归入真实单位：未归入观测值")
            docs.append(doc_row)
            return
        p = ex.problems.copy()
        if len(p):
            p["unit_id"], p["year"], p["source_file"] = unit_id, int(year), rel
            problems.append(p)
        docs.append(doc_row)
        mapped_own = (f["indicator_id"] != UNMAPPED) & (f["level"] == "own")
        if "decision" in f.columns:
            mapped_own &= ~f["decision"].fillna("").str.contains("drop", regex=False)
        mapped_own &= ~f["scope"].isin(NON_COMPARABLE_SCOPES)
        conf = pd.to_numeric(f["confidence"], errors="coerce").fillna(1.0) if "confidence" in f else 1.0
        for r in f[mapped_own & (conf < min_confidence)].itertuples(index=False):
            findings.append(
                _finding(
                    "fact_needs_review",
                    "warning",
                    f"{r.value:g}{r.unit} 对应 {r.indicator_id} 的把握度 {float(r.confidence):.2f} 低于阈值"
                    f" {min_confidence:g}：未计入观测值，等待审核（python -m analysis review）",
                    rel,
                    str(r.locator),
                    unit_id,
                    int(year),
                    r.indicator_id,
                    detail=json.dumps({"fact_id": r.fact_id, "evidence": r.evidence}, ensure_ascii=False),
                )
            )
        own = f[mapped_own & (conf >= min_confidence)]
        if len(own):
            yr = np.where(own["scope"] == "prior_year", int(year) - 1, int(year))
            cands.append(
                pd.DataFrame(
                    {
                        "unit_id": unit_id,
                        "year": yr,
                        "indicator_id": own["indicator_id"].to_numpy(),
                        "value": own["value"].to_numpy(dtype=float),
                        "unit": own["unit"].to_numpy(),
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

    for path in report_paths:
        rel = _rel(path, raw_dir)
        local: tuple[list, ...] = ([], [], [], [], [])
        try:
            with time_limit(rel):
                one(path, rel, *local)
        except FileTimeLimit as exc:
            findings.append(_time_limit_finding(rel, exc))
            docs.append(_error_doc_row(rel, exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file costs only itself
            findings.append(_unexpected(rel, exc))
            docs.append(_error_doc_row(rel, exc))
            continue
        for acc, part in zip((facts, cands, problems, docs, findings), local, strict=True):
            acc.extend(part)
    return facts, cands, problems, docs, findings


def _dataset_candidates(result, rel: str, source_kind: str, units: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    from analysis.registry.units import UnknownUnitError, resolve_unit

    f = result.facts
    findings: list[dict] = []
    if f.empty:
        return pd.DataFrame(), findings
    keys = f[["unit_name", "parent_name"]].drop_duplicates()
    mapping = {}
    for un, pn in keys.itertuples(index=False):
        try:
            mapping[(un, pn)] = resolve_unit(un, parent=pn if isinstance(pn, str) and pn else None)
        except UnknownUnitError as exc:
            mapping[(un, pn)] = None
            findings.append(_finding("unknown_unit", "error", f"{rel}：{exc}", rel))
    unit_ids = [mapping[(u, p)] for u, p in zip(f["unit_name"], f["parent_name"], strict=True)]
    out = pd.DataFrame(
        {
            "unit_id": unit_ids,
            "year": f["year"].to_numpy(),
            "indicator_id": f["indicator_id"].to_numpy(),
            "value": pd.to_numeric(f["value"], errors="coerce").to_numpy(dtype=float),
            "unit": f["unit"].to_numpy(),
            "value_state": f["value_state"].to_numpy(),
            "approx": f["approx"].astype(bool).to_numpy(),
            "scope": f["scope"].to_numpy() if "scope" in f else "year",
            "source_kind": source_kind,
            "source_file": rel,
            "locator": f["locator"].astype(str).to_numpy(),
            "evidence": f["evidence"].astype(str).to_numpy(),
            "fact_id": [f"{rel}:{loc}" for loc in f["locator"].astype(str)],
        }
    )
    claimed = (
        f["is_synthetic"].fillna(False).astype(bool).to_numpy()
        if "is_synthetic" in f.columns
        else np.zeros(len(f), dtype=bool)
    )
    known = out["unit_id"].notna().to_numpy()
    out, claimed = out[known], claimed[known]
    synth = units.set_index("unit_id")["synthetic"]
    if source_kind != "sample" and len(out):
        out, refused = _refuse_fictional_claim(out, claimed, rel, units)
        findings += refused
    if source_kind != "sample":
        is_fake = out["unit_id"].map(synth).fillna(False).astype(bool)
        if is_fake.any() and not is_fake.all():
            # fictional (training/sample) units are never mixed with real ones: a file that holds both keeps its real
            # rows, and the fictional rows are left out — each with its place, so the build exits non-zero
            fake = out[is_fake]
            for (uid, yr), grp in fake.groupby(["unit_id", "year"], sort=False):
                locs = grp["locator"].astype(str)
                findings.append(
                    _finding(
                        "synthetic_unit_in_dataset",
                        "error",
                        f"{rel}：虚构单位 {uid} 的数据与真实单位放在同一文件中，未收录（{len(grp)} 个数值）；"
                        "虚构/培训单位的数据请单独放一个文件",
                        rel,
                        locs.iloc[0],
                        uid,
                        int(yr),
                        detail="; ".join(locs.head(10)),
                    )
                )
            out = out.drop(fake.index)
        out, refused = _refuse_sample_units(out, rel, units)
        findings += refused
    else:
        real = out[~out["unit_id"].map(synth).fillna(False).astype(bool)]
        if len(real):
            findings.append(
                _finding(
                    "real_unit_in_sample",
                    "error",
                    f"{rel}：示例（虚构）数据中有 {len(real)} 行属于真实单位，未归入观测值",
                    rel,
                )
            )
            out = out.drop(real.index)
    return out, findings


def _nature_findings(rows: pd.DataFrame, rule: str, why: str, rel: str, units: pd.DataFrame) -> list[dict]:
    names = units.set_index("unit_id")["name"]
    out = []
    for (uid, yr), grp in rows.groupby(["unit_id", "year"], sort=False):
        locs = grp["locator"].astype(str)
        out.append(
            _finding(
                rule,
                "error",
                f"{rel}：{int(yr)} 年 " + why.format(name=names.get(uid, uid)) + f"；{len(grp)} 个数值未收录",
                rel,
                locs.iloc[0],
                uid,
                int(yr),
                detail="; ".join(locs.head(10)),
            )
        )
    return out


def _refuse_fictional_claim(out: pd.DataFrame, claimed: np.ndarray, rel: str, units: pd.DataFrame):
    """Real and fictional never mix (issue 12 item 7): a row marked 数据性质 = 示例数据（模拟） (the file says the row
    is fictional) whose unit is a real one is refused before it can change any value. Returns (kept, findings)."""
    synth = units.set_index("unit_id")["synthetic"]
    bad = pd.Series(np.asarray(claimed, dtype=bool), index=out.index) & ~out["unit_id"].map(synth).fillna(False).astype(
        bool
    )
    if not bad.any():
        return out, []
    why = "标为“示例数据（模拟）”（虚构数据），但 {name} 是真实单位；虚构数据不能改动真实单位的数值"
    return out[~bad], _nature_findings(out[bad], "synthetic_claim_for_real_unit", why, rel, units)


def _refuse_sample_units(out: pd.DataFrame, rel: str, units: pd.DataFrame):
    """Rows for a unit of the built-in fictional 示例市 are refused: its values come only from the generated sample
    panel (``analysis.ingest.sample``), so a file in data/raw can never override them by source precedence."""
    from analysis.ingest.sample import sample_units

    bad = out["unit_id"].isin(set(sample_units()["unit_id"]))
    if not bad.any():
        return out, []
    why = (
        "{name} 属于程序自带的虚构示例市，其数值只来自内置示例数据，不能由 data/raw 中的文件改动"
        "（培训用的虚构单位请在 config/units.yaml 中另建并标 synthetic: true）"
    )
    return out[~bad], _nature_findings(out[bad], "sample_unit_in_dataset", why, rel, units)


def check_dataset_file(path: Path, raw_dir: Path, indicators, units) -> tuple[pd.DataFrame, list[dict]]:
    """What the build keeps from one dataset file (candidate rows) and every finding about it.

    The one code path for `validate` and `build`: what validate accepts, build keeps; what build leaves out is an
    error finding with file and place.
    """
    from analysis.ingest.datasets import DatasetError, read_dataset

    rel = _rel(path, raw_dir)
    try:
        with time_limit(rel):
            res = read_dataset(path, indicators=indicators, units=units)
        findings = res.findings.copy().to_dict("records")
        for f in findings:  # the same file name in every finding (data/raw/… relative, as the candidates carry it)
            if f.get("source_file") in (str(path), "", None):
                f["source_file"] = rel
        c, f2 = _dataset_candidates(res, rel, "dataset", units)
    except DatasetError as exc:
        return pd.DataFrame(), [_finding("unreadable_dataset", "error", str(exc), rel)]
    except FileTimeLimit as exc:
        return pd.DataFrame(), [_time_limit_finding(rel, exc)]
    except Exception as exc:  # noqa: BLE001 - one bad file costs only itself
        return pd.DataFrame(), [_unexpected(rel, exc)]
    return c, findings + f2


def load_datasets(dataset_paths, raw_dir, indicators, units):
    cands, findings = [], []
    for path in dataset_paths:
        c, f = check_dataset_file(path, raw_dir, indicators, units)
        cands.append(c)
        findings.extend(f)
    return cands, findings


def load_sample(indicators, units):
    from analysis.ingest.sample import SAMPLE_SOURCE, sample_facts

    res = sample_facts(indicators=indicators)
    c, f2 = _dataset_candidates(res, SAMPLE_SOURCE, "sample", units)
    return [c], res.findings.to_dict("records") + f2


# ---------------------------------------------------------------- process


def choose(candidates: pd.DataFrame, precedence: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank candidates per (unit, year, indicator): source precedence, then scope (全年 before 截至/累计), then
    exact before approximate, then order of appearance. Return (ranked candidates, conflicts)."""
    if candidates.empty:
        return candidates.assign(precedence_rank=pd.Series(dtype=int)), pd.DataFrame()
    c = candidates.reset_index(drop=True).copy()
    c["_src"] = c["source_kind"].map({k: i for i, k in enumerate(precedence)}).fillna(len(precedence))
    c["_scope"] = c["scope"].map(SCOPE_ORDER).fillna(len(SCOPE_ORDER))
    c["_order"] = np.arange(len(c))
    key = ["unit_id", "year", "indicator_id"]
    c = c.sort_values([*key, "_src", "_scope", "approx", "_order"], kind="stable")
    c["precedence_rank"] = c.groupby(key).cumcount()
    # conflicts: a key whose candidates disagree in value (beyond float noise) across sources or facts
    vals = c[c["value"].notna()]
    spread = vals.groupby(key)["value"].agg(["min", "max", "count"])
    bad = spread[(spread["count"] > 1) & ~np.isclose(spread["min"], spread["max"])].index
    conflicts = pd.DataFrame()
    if len(bad):
        cc = vals.set_index(key).loc[bad].reset_index()
        conflicts = cc[
            [
                *key,
                "value",
                "approx",
                "value_state",
                "scope",
                "source_kind",
                "source_file",
                "locator",
                "evidence",
                "precedence_rank",
            ]
        ].assign(chosen=lambda d: d["precedence_rank"] == 0)
    return c.drop(columns=["_src", "_scope", "_order"]), conflicts


def complete_grid(chosen: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Add a not_reported row (value NA) for every registry indicator a unit-year did not report."""
    uy = chosen[["unit_id", "year"]].drop_duplicates()
    grid = uy.merge(pd.DataFrame({"indicator_id": indicators.index}), how="cross")
    merged = grid.merge(chosen, on=["unit_id", "year", "indicator_id"], how="left", indicator=True)
    missing = merged["_merge"] == "left_only"
    merged.loc[missing, "value_state"] = "not_reported"
    merged.loc[missing, "approx"] = False
    merged.loc[missing, "unit"] = merged.loc[missing, "indicator_id"].map(indicators["unit"])
    merged.loc[missing, "source_kind"] = ""
    merged = merged.drop(columns="_merge")
    extra = chosen[~chosen["indicator_id"].isin(indicators.index)]
    return pd.concat([merged, extra], ignore_index=True)


# ---------------------------------------------------------------- save


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object:
            sample = df[col].dropna()
            if len(sample) and not all(isinstance(v, str) for v in sample.head(50)):
                if all(isinstance(v, (list, tuple)) for v in sample.head(50)):
                    df[col] = df[col].map(lambda v: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                else:
                    df[col] = df[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    df.to_parquet(path, index=False)


def write_outputs(
    tables: dict[str, pd.DataFrame], processed_dir: Path, manifest: dict, csv: tuple[str, ...]
) -> list[Path]:
    """Write every table (and the manifest) into a new version folder; then data/processed switches to it in one
    step (analysis.core.io.new_version), so readers see the previous complete set or this one, never a mix. Returns the
    paths of the written files under data/processed (they resolve through the ``current`` link)."""
    processed_dir = guard_not_raw(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    with new_version(processed_dir) as stage:
        for name, df in tables.items():
            target = stage / f"{name}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            _to_parquet(df, target)
            fault_point(f"table {name}", target)
            if name in csv:
                write_csv(df, stage / f"{name}.csv", index=False, encoding="utf-8-sig")
                fault_point(f"csv {name}", stage / f"{name}.csv")
        (stage / "build_manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        written = sorted(processed_dir / p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
    return written


# ---------------------------------------------------------------- the build


def build(
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    include_sample: bool = True,
    config: dict | None = None,
    progress=None,
) -> BuildResult:
    """Build data/processed (or ``processed_dir``) from data/raw under the pipeline lock: first what killed commands
    left behind is cleaned up (analysis.core.io.clean_leftovers), then the tables are computed and switched in as one new
    version (write_outputs)."""
    target = Path(processed_dir) if processed_dir else paths.processed_dir()
    with command_lock("pipeline", processed=target):
        clean_leftovers(target, paths.reports_dir() if processed_dir is None else None)
        ensure_writable(target)
        return _build(raw_dir, target, include_sample, config, progress)


def ensure_writable(folder: Path) -> None:
    """Fail at once, with the OSError the CLI turns into a Chinese message, when ``folder`` cannot be written (a
    read-only data/processed), instead of after the whole build has been computed."""
    folder = guard_not_raw(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from exc


def _build(raw_dir, processed_dir, include_sample, config, progress) -> BuildResult:
    from analysis.metrics import compute_all, load_config
    from analysis.registry import load_indicators
    from analysis.registry.units import load_units
    from analysis.tidy.corrections import apply_corrections, load_ledger
    from analysis.tidy.quality import check_candidates, check_year_jumps

    say = progress or (lambda msg: None)
    raw_dir = Path(raw_dir) if raw_dir else paths.raw_dir()
    processed_dir = Path(processed_dir) if processed_dir else paths.processed_dir()
    started = dt.datetime.now(dt.UTC)
    raw_before = hash_tree(raw_dir)
    config = config if config is not None else load_config()
    indicators = load_indicators()
    units = load_units(include_sample=True)

    discover_findings: list[dict] = []
    report_paths, dataset_paths = discover(raw_dir, discover_findings)
    say(f"读取 {raw_dir} 中的报告 {len(report_paths)} 份、数据集文件 {len(dataset_paths)} 个")
    ledger_findings: list[dict] = []
    ledger = load_ledger(problems=ledger_findings)  # a bad ledger line is refused with a finding, never applied
    min_confidence = float(((config or {}).get("extraction") or {}).get("min_confidence", 0.0))
    facts, cands, problems, docs, findings = load_reports(
        report_paths, raw_dir, indicators, units, ledger=ledger, min_confidence=min_confidence
    )
    findings = discover_findings + ledger_findings + findings
    c2, f2 = load_datasets(dataset_paths, raw_dir, indicators, units)
    cands += c2
    findings += f2
    if include_sample:
        c3, f3 = load_sample(indicators, units)
        cands += c3
        findings += f3

    cand_cols = [c for c in OBSERVATION_COLUMNS if c not in ("precedence_rank",) and c not in _unit_info(units).columns]
    candidates = (
        pd.concat([c for c in cands if len(c)], ignore_index=True)
        if any(len(c) for c in cands)
        else pd.DataFrame(columns=cand_cols)
    )
    candidates["year"] = candidates["year"].astype(int)

    # review decisions used on report facts are not applied again to the candidates
    report_fact_ids = {i for f in facts for i in f["fact_id"].astype(str)} if facts else set()
    ledger = ledger[~((ledger["action"] == "drop") & ledger["fact_id"].isin(report_fact_ids))]
    # the ledger may name a unit by id or by name
    names = units.set_index("unit_id")["name"]
    candidates, corr_findings = apply_corrections(
        candidates.assign(unit_name=candidates["unit_id"].map(names)), ledger, indicators=indicators
    )
    candidates = candidates.drop(columns="unit_name")
    findings += corr_findings.to_dict("records") if len(corr_findings) else []

    # dataset and sample files were checked cell by cell (with sheet!cell locators) when they were imported
    checked_at_import = candidates["source_kind"].isin(["dataset", "sample"])
    findings += check_candidates(candidates[~checked_at_import], indicators).to_dict("records")
    precedence = (config.get("precedence") or DEFAULT_PRECEDENCE) if isinstance(config, dict) else DEFAULT_PRECEDENCE
    ranked, conflicts = choose(candidates, precedence)
    for r in (
        conflicts[conflicts.get("chosen", pd.Series(dtype=bool))].itertuples(index=False) if len(conflicts) else []
    ):
        others = conflicts[
            (conflicts.unit_id == r.unit_id)
            & (conflicts.year == r.year)
            & (conflicts.indicator_id == r.indicator_id)
            & ~conflicts.chosen
        ]
        alt = "；".join(
            f"{v:g}（{SOURCE_KIND_ZH.get(k, k)}：{s} {loc}）"
            for v, k, s, loc in zip(others.value, others.source_kind, others.source_file, others.locator, strict=True)
        )
        findings.append(
            _finding(
                "source_conflict",
                "warning",
                f"按来源优先级采用{SOURCE_KIND_ZH.get(r.source_kind, r.source_kind)}的 {r.value:g}；另有 {alt}",
                r.source_file,
                r.locator,
                r.unit_id,
                int(r.year),
                r.indicator_id,
            )
        )

    info = _unit_info(units)
    for col in CORRECTION_COLUMNS:
        if col not in ranked.columns:
            ranked[col] = pd.NA
    out_cols = OBSERVATION_COLUMNS + CORRECTION_COLUMNS
    observations_all = ranked.join(info, on="unit_id")[out_cols]
    chosen = ranked[ranked["precedence_rank"] == 0].drop(columns="precedence_rank")
    observations = complete_grid(chosen, indicators).join(info, on="unit_id")
    observations["precedence_rank"] = observations["value"].notna().map({True: 0, False: pd.NA})
    observations = observations[out_cols].sort_values(["is_synthetic", "unit_id", "year", "indicator_id"])
    observations = observations.reset_index(drop=True)
    observations["approx"] = observations["approx"].astype(bool)
    findings += check_year_jumps(observations).to_dict("records")

    say("计算指标")
    metrics = compute_all(observations, indicators, config)

    fact_frame = (
        pd.concat(facts, ignore_index=True)
        if facts
        else pd.DataFrame(columns=[*FACT_COLUMNS, "source_file", "unit_id", "year"])
    )
    problem_frame = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["unit_id", "year", "source_file", "problem_no", "text", "area"])
    )
    from analysis.metrics.narrative import build_narrative

    say("生成要点文字")
    metrics["narrative"] = build_narrative(
        metrics, observations, indicators, config, problem_frame, units, facts=fact_frame
    )
    findings_frame = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    findings_frame["year"] = pd.to_numeric(findings_frame["year"], errors="coerce").astype("Int64")
    units_out = units.copy()
    units_out["aliases"] = units_out["aliases"].map(lambda a: ",".join(a))

    tables = {
        "observations": observations,
        "observations_all": observations_all,
        "facts": fact_frame,
        "conflicts": conflicts
        if len(conflicts)
        else pd.DataFrame(
            columns=["unit_id", "year", "indicator_id", "value", "source_kind", "source_file", "locator", "chosen"]
        ),
        "findings": findings_frame,
        "problems": problem_frame,
        "documents": pd.DataFrame(
            docs,
            columns=[
                "source_file",
                "sha256",
                "status",
                "unit_id",
                "year",
                "district_detected",
                "year_detected",
                "published",
                "title",
                "n_facts",
                "n_mapped",
                "message",
            ],
        ),
        "units": units_out,
        **{f"metrics/{k}": v for k, v in metrics.items()},
    }
    raw_after = hash_tree(raw_dir)
    if raw_after != raw_before:
        changed = sorted(set(raw_before.items()) ^ set(raw_after.items()))
        raise RuntimeError(f"构建期间 data/raw 被改动（{changed[:3]}）；未写出任何输出")

    from analysis.ingest.sample import SAMPLE_SOURCE

    is_error = findings_frame["severity"] == "error"
    from_sample = findings_frame["source_file"] == SAMPLE_SOURCE
    counts = {
        "errors_user": int((is_error & ~from_sample).sum()),
        "errors_sample": int((is_error & from_sample).sum()),
        "reports": len(report_paths),
        "datasets": len(dataset_paths),
        "sample": bool(include_sample),
        "facts": len(fact_frame),
        "facts_mapped": int((fact_frame["indicator_id"] != UNMAPPED).sum()),
        "facts_unmapped": int((fact_frame["indicator_id"] == UNMAPPED).sum()),
        "observations": len(observations),
        "observations_reported": int(observations["value"].notna().sum()),
        "units": int(observations["unit_id"].nunique()),
        "conflicts": int(len(conflicts) and conflicts[["unit_id", "year", "indicator_id"]].drop_duplicates().shape[0]),
    }
    manifest = {
        "built_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "analysis_version": __version__,
        "raw_files": raw_before,
        "registry_sha256": sha256_file(paths.REGISTRY_DIR / "indicators.yaml"),
        "units_sha256": sha256_file(paths.units_file()),
        "include_sample": include_sample,
        "counts": counts,
        "tables": sorted(tables),
    }
    say(f"写出 {len(tables)} 张表到 {processed_dir}")
    outputs = write_outputs(
        tables, processed_dir, manifest, csv=("observations", "facts", "findings", "conflicts", "problems", "documents")
    )
    sev = findings_frame["severity"].value_counts().to_dict()
    return BuildResult(processed_dir, counts, {str(k): int(v) for k, v in sev.items()}, outputs)
