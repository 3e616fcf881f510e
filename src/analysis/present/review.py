"""The analyst's review loop: list the report facts that wait for a decision, and record decisions in the ledger.

``review_list(district=None, year=None)`` reads data/processed/facts.parquet (the last build) and returns, per report,
the mapped facts of the unit itself whose ``confidence`` is below ``extraction.min_confidence`` and the unmapped facts
that have candidate ids, each with its sentence (``evidence``); facts already decided in data/corrections.csv are
left out. A facts table without a ``confidence`` column counts as confident (only unmapped facts with candidates wait).

``record_decision(fact_id, action, target=None, reason=..., source=..., date=...)`` checks the decision against the
facts table and the registry and appends one line to the ledger (``analysis.tidy.corrections``): ``confirm`` (the mapping
is right), ``map`` (to an indicator id), ``scope`` (one of ``analysis.registry.schema.SCOPES``) or ``drop`` (not a figure of
the unit). The next build applies it and keeps the original. Bad input raises :class:`ReviewError` with a Chinese
message and writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.io import neutralise_cell
from analysis.registry.schema import SCOPES, UNMAPPED
from analysis.tidy.load import current_names

DECISIONS = ("confirm", "map", "scope", "drop")
DECISION_ZH = {"confirm": "确认", "map": "改为指标", "scope": "设定范围", "drop": "舍弃"}
SCOPE_ZH = {
    "year": "全年",
    "to_date": "截至某日",
    "cumulative": "累计",
    "half_year": "上半年",
    "partial_period": "部分期间",
    "per_unit": "平均每单位",
    "prior_year": "上一年",
    "change": "变化（同比）",
    "target": "目标/计划",
}
REVIEW_COLUMNS = [
    "source_file",
    "unit_id",
    "year",
    "fact_id",
    "value",
    "measure",
    "scope",
    "indicator_id",
    "confidence",
    "rule",
    "candidates",
    "reason_zh",
    "evidence",
]

REVIEW_COLUMNS_ZH = {
    "source_file": "报告",
    "unit_id": "单位",
    "year": "年度",
    "fact_id": "数字编号",
    "value": "数值",
    "measure": "单位（量词）",
    "scope": "范围",
    "indicator_id": "当前指标",
    "confidence": "把握度",
    "rule": "判定规则",
    "candidates": "候选指标",
    "reason_zh": "等待原因",
    "evidence": "原文句子",
}


class ReviewError(ValueError):
    """Bad input to the review command; the message is Chinese and says what to do."""


def _facts_file() -> Path:
    return paths.resolve_processed() / "facts.parquet"


def load_facts(path: Path | None = None) -> pd.DataFrame:
    p = Path(path) if path else _facts_file()
    if not p.exists():
        raise ReviewError(f"{p} 不存在：请先运行 python -m analysis build")
    return current_names(pd.read_parquet(p))


def _threshold() -> float:
    from analysis.metrics import load_config

    return float(load_config()["extraction"]["min_confidence"])


def _candidates(v) -> list[str]:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return []
    return [c for c in str(v).replace(",", ";").split(";") if c.strip()]


def _decided(ledger: pd.DataFrame) -> set[str]:
    if ledger is None or ledger.empty:
        return set()
    rows = ledger[ledger["action"].isin(DECISIONS) & (ledger["fact_id"] != "")]
    return set(rows["fact_id"].astype(str))


def _resolve_district(district: str) -> str:
    from analysis.registry.units import UnknownUnitError, resolve_unit, unit_suggestions

    try:
        return resolve_unit(district)
    except UnknownUnitError:
        close = unit_suggestions(district)
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise ReviewError(f"未知的区县 {district!r}{hint}") from None


def review_list(
    district: str | None = None,
    year: int | None = None,
    facts: pd.DataFrame | None = None,
    ledger: pd.DataFrame | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """The facts waiting for review (``REVIEW_COLUMNS``), ordered by report and position."""
    from analysis.tidy.corrections import load_ledger

    # a mistyped district is named (with a suggestion) before anything is read
    uid = _resolve_district(district) if district else None
    f = load_facts() if facts is None else facts
    for c, default in (("unit_id", ""), ("year", pd.NA), ("scope", "year"), ("evidence", ""), ("fact_id", "")):
        if c not in f.columns:
            f = f.assign(**{c: default})
    ledger = load_ledger() if ledger is None else ledger
    thr = _threshold() if threshold is None else float(threshold)
    if uid is not None:
        f = f[f["unit_id"].astype("string") == uid]
    if year is not None:
        f = f[pd.to_numeric(f["year"], errors="coerce") == int(year)]
    if "level" in f.columns:
        f = f[f["level"] == "own"]
    conf = pd.to_numeric(f["confidence"], errors="coerce").fillna(1.0) if "confidence" in f else None
    cands = f["candidates"].map(_candidates) if "candidates" in f else pd.Series([[]] * len(f), index=f.index)
    mapped = f["indicator_id"] != UNMAPPED
    low = mapped & (conf < thr) if conf is not None else mapped & False
    open_unmapped = ~mapped & (cands.map(len) > 0)
    scope_ok = ~f["scope"].isin(("target",)) if "scope" in f else True
    keep = (low | open_unmapped) & scope_ok
    keep &= ~f["fact_id"].astype(str).isin(_decided(ledger))
    out = f[keep].copy()
    out["confidence"] = conf[keep] if conf is not None else float("nan")
    out["candidates"] = cands[keep].map(";".join)
    out["rule"] = out["rule"] if "rule" in out else ""
    out["reason_zh"] = [
        f"把握度 {c:.2f} 低于阈值 {thr:g}" if m else "未对应指标，有候选指标"
        for c, m in zip(out["confidence"], out["indicator_id"] != UNMAPPED, strict=True)
    ]
    for c in REVIEW_COLUMNS:
        if c not in out.columns:
            out[c] = pd.NA
    sort = [c for c in ("source_file", "span_start") if c in out.columns]
    return (
        out.sort_values(sort, kind="stable")[REVIEW_COLUMNS].reset_index(drop=True)
        if len(out)
        else out[REVIEW_COLUMNS].reset_index(drop=True)
    )


def format_list(items: pd.DataFrame, indicators: pd.DataFrame | None = None) -> str:
    """The review list as Chinese text, one block per report."""
    from analysis.registry import load_indicators

    ind = load_indicators() if indicators is None else indicators
    names = ind["name_zh"].to_dict()
    if items.empty:
        return "没有等待审核的数字。"
    lines = []
    for src, g in items.groupby("source_file", sort=False):
        first = g.iloc[0]
        lines.append(f"■ {src}（{first['unit_id']} {first['year']}）：{len(g)} 个数字等待审核")
        for r in g.itertuples(index=False):
            now = "未对应" if r.indicator_id == UNMAPPED else f"{r.indicator_id}（{names.get(r.indicator_id, '')}）"
            cand = "、".join(f"{c}（{names.get(c, '')}）" for c in _candidates(r.candidates)) or "无"
            lines.append(f"  [{r.fact_id}] {r.value:g}{r.measure}  范围：{SCOPE_ZH.get(r.scope, r.scope)}  当前：{now}")
            lines.append(f"      原因：{r.reason_zh}；候选指标：{cand}")
            lines.append(f"      句子：{r.evidence}")
    lines.append(
        "记录决定：python -m analysis review confirm|map|scope|drop 数字编号 [指标或范围] --reason 理由 --source 依据"
    )
    return "\n".join(lines)


def _check(
    fact_id: str, action: str, target: str | None, facts: pd.DataFrame, ledger: pd.DataFrame
) -> tuple[pd.Series, str]:
    from analysis.ingest.reports.facts import measure_fit
    from analysis.registry import load_indicators
    from analysis.registry.units import suggest

    if action not in DECISIONS:
        raise ReviewError(f"未知的决定 {action!r}；可选：{'、'.join(DECISIONS)}")
    hit = facts[facts["fact_id"].astype(str) == fact_id]
    if hit.empty:
        close = suggest(fact_id, facts["fact_id"].astype(str), limit=3)
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise ReviewError(f"未知的数字编号 {fact_id!r}（不在最近一次构建的 facts 表中）{hint}")
    fact = hit.iloc[0]
    value = ""
    if action == "map":
        ind = load_indicators()
        if not target:
            raise ReviewError("map 需要一个指标编号，例如：review map 编号 rec_withdrawn --reason …")
        if target not in ind.index:
            close = suggest(target, ind.index, limit=3)
            hint = f"；您是否要找：{'、'.join(close)}" if close else ""
            raise ReviewError(f"未知的指标编号 {target!r}{hint}")
        canonical = str(ind.at[target, "measure"])
        measure = str(fact.get("measure_raw") or fact["measure"]).lstrip("万亿")
        if not (measure_fit(canonical, str(fact["measure"])) or measure_fit(canonical, measure)):
            raise ReviewError(
                f"数字的单位 {fact['measure']} 与指标 {target} 的单位 {canonical} 不符；请换一个指标或舍弃"
            )
        value = target
    elif action == "scope":
        if target not in SCOPES:
            opts = "、".join(f"{s}（{SCOPE_ZH[s]}）" for s in SCOPES)
            raise ReviewError(f"未知的范围 {target!r}；可选：{opts}")
        value = target
    elif target:
        raise ReviewError(f"{action} 不需要指标或范围（收到 {target!r}）")
    if ledger is not None and not ledger.empty:
        same = ledger[(ledger["fact_id"] == fact_id) & (ledger["action"] == action)]
        if len(same):
            raise ReviewError(
                f"数字 {fact_id} 已有 {action} 决定（corrections.csv 第 {int(same.iloc[0]['line'])} 行）；"
                "需要改变时请在账本中手动修改该行"
            )
    return fact, value


def record_decision(
    fact_id: str,
    action: str,
    target: str | None = None,
    reason: str = "",
    source: str = "分析员审核",
    date: str | None = None,
    facts: pd.DataFrame | None = None,
    ledger_path: Path | None = None,
) -> str:
    """Check the decision and append it to the ledger; returns the line written."""
    from analysis.core.io import write_text
    from analysis.tidy.corrections import LEDGER_COLUMNS, CorrectionsError, load_ledger

    if not reason or not reason.strip():
        raise ReviewError("请用 --reason 写明理由（每条决定都要有理由、依据和日期）")
    date = date or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise ReviewError(f"日期 {date!r} 不是 YYYY-MM-DD 格式") from None
    path = Path(ledger_path) if ledger_path else paths.corrections_file()
    try:
        ledger = load_ledger(path)
    except CorrectionsError as exc:
        raise ReviewError(f"账本有误，未写入：{exc}") from None
    facts = load_facts() if facts is None else facts
    fact, value = _check(fact_id, action, target, facts, ledger)
    doc = str(fact.get("doc_id") or "") or Path(str(fact.get("source_file") or "")).stem
    row = {
        "doc_or_source": doc,
        "unit": "",
        "year": "",
        "indicator_id": "",
        "fact_id": fact_id,
        "action": action,
        "value": value,
        "reason": neutralise_cell(reason.strip()),  # the ledger is a CSV the analyst opens in Excel
        "source": neutralise_cell((source or "分析员审核").strip()),
        "date": date,
    }
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([row[c] for c in LEDGER_COLUMNS])
    line = buf.getvalue()
    old = path.read_text(encoding="utf-8-sig") if path.exists() else ",".join(LEDGER_COLUMNS) + "\n"
    if old and not old.endswith("\n"):
        old += "\n"
    new_text = old + line
    try:  # the new line must itself pass the ledger's checks before the file is replaced
        tmp = io.StringIO(new_text)
        _validate_text(tmp.getvalue(), path)
    except CorrectionsError as exc:
        raise ReviewError(f"决定未写入：{exc}") from None
    write_text(path, new_text)
    return line.rstrip("\n")


def _validate_text(text: str, path: Path) -> None:
    import tempfile

    from analysis.tidy.corrections import load_ledger

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / path.name
        p.write_text(text, encoding="utf-8")
        load_ledger(p)
