"""The corrections ledger (data/corrections.csv): hand-made, sourced overrides / drops / flags applied on every build.

``load_ledger(path=None, missing_ok=True) -> DataFrame`` reads and validates the ledger. Every problem raises
:class:`CorrectionsError` naming the file and the line: an unknown column, an unknown action, a missing reason /
source / date, a date that is not ``YYYY-MM-DD``, an override without a numeric value, a drop/flag with a value,
a row with no key at all (it would match everything), a non-integer year, two rows for the same key.
A missing file is an empty ledger when ``missing_ok`` (the default).

``apply_corrections(table, ledger) -> (table, findings)`` applies the ledger to a facts table
(``analysis.registry.schema.FACT_COLUMNS``) or an observations table (``OBSERVATION_COLUMNS``). It is pure: the input is not
modified, so applying it on every rebuild gives the same result. A ledger row matches a table row when every key it
gives matches (empty keys are wildcards):

* ``doc_or_source`` – equals the row's ``doc_id`` or ``source_file``, or the file name / stem of ``source_file``;
* ``unit`` – equals ``unit_id`` or ``unit_name``; ``year`` – equals ``year``; ``indicator_id``; ``fact_id``.

A key whose column the table does not have cannot match (a ``unit``/``year`` row never applies to a facts table,
which has neither column), so a ledger row never spreads to rows it was not written for.

Actions, applied in ledger order:

* ``override`` – ``value`` becomes the ledger value; the previous value is kept in ``original_value``;
  ``source_kind`` becomes ``correction`` (the column is added to a facts table); ``value_state`` is kept, except
  that ``not_reported`` becomes ``exact`` (a value with state not_reported would break the table contract) —
  ``approx`` is kept as written in the source;
* ``drop`` – the row is removed from the returned table (the finding keeps its value and evidence, so nothing is
  lost; the build treats a dropped observation as not reported);
* ``flag`` – the row is kept unchanged apart from the ``correction`` note.

Review decisions (written by ``python -m analysis review``, keyed by ``fact_id``; see docs/CORRECTIONS.md) act on the
report facts before they become observations (``apply_fact_decisions``), keeping the original in the fact row:

* ``confirm`` – the analyst confirms the mapping: ``confidence`` becomes 1 (``original_confidence`` keeps it);
* ``map`` – ``value`` holds an indicator id: ``indicator_id`` becomes it (``original_indicator_id`` keeps the old
  one, ``unmapped`` included), ``confidence`` becomes 1, ``rule`` becomes ``review``;
* ``scope`` – ``value`` holds a scope (``analysis.registry.schema.SCOPES``): ``scope`` becomes it (``original_scope``);
* ``drop`` with a ``fact_id`` that names a report fact – the fact stays in the facts table (marked) but never
  becomes an observation.

The same fact may carry one line per action (a map and a scope); two lines with the same key and action are an error.

Every touched row gets a ``correction`` note (``"<action>（更正账本第 N 行）：<reason> [<source>，<date>]"``) and one
finding ``correction_applied`` (info). A ledger row that matches nothing gives one finding ``correction_unmatched``
(warning). Findings use ``analysis.registry.schema.FINDING_COLUMNS``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from analysis.registry.findings import finding
from analysis.registry.schema import FINDING_COLUMNS
from analysis.tidy.ledger import (  # noqa: F401  (the ledger's names stay importable from here)
    ACTIONS,
    KEY_COLUMNS,
    LEDGER_COLUMNS,
    REVIEW_ACTIONS,
    CorrectionsError,
    empty_ledger,
    load_ledger,
)


def _matches(table: pd.DataFrame, corr: pd.Series) -> tuple[pd.Series, str]:
    """Boolean mask of the rows ``corr`` applies to, and why it cannot apply ('' when the columns exist)."""
    mask = pd.Series(True, index=table.index)
    cols = set(table.columns)
    if corr["doc_or_source"]:
        key = str(corr["doc_or_source"])
        if not cols & {"doc_id", "source_file"}:
            return mask & False, "该表没有 doc_id/source_file 列"
        m = pd.Series(False, index=table.index)
        if "doc_id" in cols:
            m |= table["doc_id"].astype("string").fillna("") == key
        if "source_file" in cols:
            sf = table["source_file"].astype("string").fillna("")
            m |= (sf == key) | (sf.map(lambda s: Path(s).name if s else "") == key)
            m |= sf.map(lambda s: Path(s).stem if s else "") == key
        mask &= m
    if corr["unit"]:
        if not cols & {"unit_id", "unit_name"}:
            return mask & False, "该表没有 unit_id/unit_name 列"
        m = pd.Series(False, index=table.index)
        for c in ("unit_id", "unit_name"):
            if c in cols:
                m |= table[c].astype("string").fillna("") == str(corr["unit"])
        mask &= m
    if not pd.isna(corr["year"]):
        if "year" not in cols:
            return mask & False, "该表没有 year 列"
        mask &= pd.to_numeric(table["year"], errors="coerce") == int(corr["year"])
    for c in ("indicator_id", "fact_id"):
        if corr[c]:
            if c not in cols:
                return mask & False, f"该表没有 {c} 列"
            mask &= table[c].astype("string").fillna("") == str(corr[c])
    return mask.fillna(False).astype(bool), ""


def _finding(rule: str, severity: str, message: str, corr: pd.Series, row: pd.Series | None, detail: dict) -> dict:
    def get(col: str, default=""):
        if row is not None and col in row.index and not pd.isna(row[col]):
            return row[col]
        return default

    year = get("year", corr["year"])
    year = None if year is None or pd.isna(year) else int(year)
    return finding(
        rule,
        message,
        severity=severity,
        unit_id=get("unit_id", corr["unit"]),
        year=year,
        indicator_id=get("indicator_id", corr["indicator_id"]),
        source_file=get("source_file", get("doc_id", corr["doc_or_source"])),
        locator=get("locator", f"corrections.csv line {corr['line']}"),
        detail=json.dumps(detail, ensure_ascii=False, default=str),
    )


def _jsonable(v):
    if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _note(action: str, corr: pd.Series) -> str:
    return f"{action}（更正账本第 {corr['line']} 行）：{corr['reason']} [{corr['source']}，{corr['date']}]"


def valid_range(indicators: pd.DataFrame | None, indicator_id: object) -> tuple[float, float] | None:
    """The values an indicator can take: a rate (unit %) 0–100, anything else (counts, money, days) 0–1e12 (the
    dataset importer's absurd-value limit); None for an indicator the registry does not know."""
    if indicators is None or not isinstance(indicator_id, str) or indicator_id not in indicators.index:
        return None
    entry = indicators.loc[indicator_id]
    if entry.get("kind") == "rate" or entry.get("measure") == "%":
        return 0.0, 100.0
    return 0.0, 1e12


def apply_corrections(
    table: pd.DataFrame, ledger: pd.DataFrame, indicators: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the ledger to a facts or observations table; returns (corrected copy, findings).

    With ``indicators`` (the registry), an override whose value is outside the valid range of an indicator it would
    change (a rate outside 0–100 %, a negative count …) is refused before it touches anything: one error finding
    ``correction_out_of_range`` naming the ledger line, and the rows keep their values."""
    out = table.copy()
    if not out.index.is_unique:  # labels must name one row each; the caller's index carries no meaning then
        out = out.reset_index(drop=True)
    findings: list[dict] = []
    if ledger is None or ledger.empty:
        return out, pd.DataFrame(findings, columns=FINDING_COLUMNS)
    if "correction" not in out.columns:
        out["correction"] = pd.Series("", index=out.index, dtype="object")
    for _, corr in ledger.iterrows():
        if corr["action"] in REVIEW_ACTIONS:  # decisions on report facts: applied by apply_fact_decisions
            continue
        mask, why = _matches(out, corr)
        ledger_ref = {k: _jsonable(corr[k]) for k in [*LEDGER_COLUMNS, "line"]}
        if not mask.any():
            msg = f"更正账本第 {corr['line']} 行（{corr['action']}）没有匹配到任何行"
            findings.append(
                _finding(
                    "correction_unmatched",
                    "warning",
                    msg + (f"：{why}" if why else ""),
                    corr,
                    None,
                    {"ledger": ledger_ref},
                )
            )
            continue
        idx = out.index[mask]
        if corr["action"] == "override" and indicators is not None and "indicator_id" in out.columns:
            refused = _out_of_range(out, idx, corr, indicators, ledger, ledger_ref)
            if refused is not None:
                findings.append(refused)
                continue
        findings += [_applied(out.loc[i], corr, ledger_ref, out.columns) for i in idx]
        if corr["action"] == "override":
            _override(out, idx, corr)
        out.loc[idx, "correction"] = [_join(out.at[i, "correction"], _note(corr["action"], corr)) for i in idx]
        if corr["action"] == "drop":
            out = out.drop(index=idx)
    return out, pd.DataFrame(findings, columns=FINDING_COLUMNS)


def _out_of_range(
    out: pd.DataFrame, idx: pd.Index, corr: pd.Series, indicators: pd.DataFrame, ledger: pd.DataFrame, ledger_ref: dict
) -> dict | None:
    """The ``correction_out_of_range`` error when an override's value is outside the valid range of an indicator it
    would change; None when it may apply."""
    value = float(corr["value"])
    bad = []
    for iid in pd.unique(out.loc[idx, "indicator_id"].astype(object)):
        rng = valid_range(indicators, iid)
        if rng is not None and not rng[0] <= value <= rng[1]:
            bad.append((iid, rng))
    if not bad:
        return None
    iid, (lo, hi) = bad[0]
    measure = str(indicators.at[iid, "measure"])
    name = str(indicators.at[iid, "name_zh"])
    f = _finding(
        "correction_out_of_range",
        "error",
        f"更正账本第 {corr['line']} 行：{name}（{iid}）的更正值 {value:g}{measure} 超出有效范围"
        f" {lo:g}–{hi:g}{measure}，这条更正被拒绝，未使用（原值保持不变）",
        corr,
        out.loc[idx[0]],
        {"ledger": ledger_ref, "valid_range": [lo, hi]},
    )
    f.update(source_file=ledger.attrs.get("source", "data/corrections.csv"), locator=f"line {corr['line']}")
    return f


def _applied(row: pd.Series, corr: pd.Series, ledger_ref: dict, columns: pd.Index) -> dict:
    """The ``correction_applied`` finding of one row, with the value it had and the evidence."""
    old = _jsonable(row["value"]) if "value" in columns else None
    detail = {"ledger": ledger_ref, "original_value": old, "fact_id": _jsonable(row.get("fact_id"))}
    if "evidence" in columns:
        detail["evidence"] = _jsonable(row["evidence"])
    if corr["action"] == "override":
        detail["new_value"] = float(corr["value"])
    return _finding(
        "correction_applied",
        "info",
        f"更正账本第 {corr['line']} 行（{corr['action']}）：{corr['reason']}",
        corr,
        row,
        detail,
    )


def _override(out: pd.DataFrame, idx: pd.Index, corr: pd.Series) -> None:
    """Write an override's value into the rows ``idx`` of ``out`` (in place), keeping the first original value."""
    if "value" not in out.columns:
        raise CorrectionsError(f"更正账本第 {corr['line']} 行：override 作用的表没有 value 列")
    if "original_value" not in out.columns:
        out["original_value"] = pd.Series(float("nan"), index=out.index, dtype="float64")
    first = idx[out.loc[idx, "original_value"].isna()]
    out.loc[first, "original_value"] = pd.to_numeric(out.loc[first, "value"], errors="coerce")
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    out.loc[idx, "value"] = float(corr["value"])
    if "source_kind" not in out.columns:
        out["source_kind"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out.loc[idx, "source_kind"] = "correction"
    if "value_state" in out.columns:
        nr = idx[out.loc[idx, "value_state"] == "not_reported"]
        out.loc[nr, "value_state"] = "exact"


def _join(old, note: str) -> str:
    old = "" if old is None or (isinstance(old, float) and math.isnan(old)) else str(old)
    return f"{old}; {note}" if old else note


def apply_fact_decisions(facts: pd.DataFrame, ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, set[int]]:
    """Apply the review decisions (confirm, map, scope, and drop by fact_id) to a report facts table.

    Returns (facts copy, findings, ledger lines used). The original values stay in ``original_indicator_id``,
    ``original_scope`` and ``original_confidence``; ``decision`` lists the actions applied to the fact ('' = none;
    a fact with ``drop`` in it must not become an observation); ``correction`` carries the ledger note. A review line
    that matches no fact gives ``correction_unmatched``, as in `apply_corrections`; a drop line that matches no fact is
    left to `apply_corrections` (it may be about a dataset row).
    """
    out = _with_decision_columns(facts)
    findings: list[dict] = []
    used: set[int] = set()
    if ledger is None or ledger.empty or "fact_id" not in out.columns:
        return out, pd.DataFrame(findings, columns=FINDING_COLUMNS), used
    for _, corr in ledger.iterrows():
        action = corr["action"]
        if action not in (*REVIEW_ACTIONS, "drop") or not corr["fact_id"]:
            continue
        mask, _why = _matches(out, corr)
        ledger_ref = {k: _jsonable(corr[k]) for k in [*LEDGER_COLUMNS, "line"]}
        if not mask.any():
            if action != "drop":
                findings.append(
                    _finding(
                        "correction_unmatched",
                        "warning",
                        f"审核决定（第 {corr['line']} 行，{action}）没有对应的数字 {corr['fact_id']}",
                        corr,
                        None,
                        {"ledger": ledger_ref},
                    )
                )
            continue
        used.add(int(corr["line"]))
        idx = out.index[mask]
        findings += [_decided(out.loc[i], action, corr, ledger_ref) for i in idx]
        _decide(out, idx, action, corr)
        out.loc[idx, "decision"] = [_join_with(out.at[i, "decision"], action, ";") for i in idx]
        out.loc[idx, "correction"] = [_join(out.at[i, "correction"], _note(action, corr)) for i in idx]
    return out, pd.DataFrame(findings, columns=FINDING_COLUMNS), used


def _with_decision_columns(facts: pd.DataFrame) -> pd.DataFrame:
    """A copy of the facts with the columns the decisions write (original_*, decision, correction)."""
    out = facts.copy()
    if not out.index.is_unique:
        out = out.reset_index(drop=True)
    for col in ("original_indicator_id", "original_scope"):
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
    if "original_confidence" not in out.columns:
        out["original_confidence"] = pd.Series(float("nan"), index=out.index, dtype="float64")
    for col in ("decision", "correction"):
        if col not in out.columns:
            out[col] = pd.Series("", index=out.index, dtype="object")
    return out


def _decided(row: pd.Series, action: str, corr: pd.Series, ledger_ref: dict) -> dict:
    """The ``correction_applied`` finding of one fact a review decision touched."""
    detail = {
        "ledger": ledger_ref,
        "fact_id": _jsonable(row.get("fact_id")),
        "original_indicator_id": _jsonable(row.get("indicator_id")),
        "original_scope": _jsonable(row.get("scope")),
        "evidence": _jsonable(row.get("evidence")),
    }
    if action in ("map", "scope"):
        detail["new_value"] = corr["value"]
    return _finding(
        "correction_applied",
        "info",
        f"审核决定 {action}（第 {corr['line']} 行）：{corr['reason']}",
        corr,
        row,
        detail,
    )


def _decide(out: pd.DataFrame, idx: pd.Index, action: str, corr: pd.Series) -> None:
    """Apply one confirm / map / scope decision to the facts ``idx`` of ``out`` (in place), keeping the originals."""
    if action in ("confirm", "map") and "confidence" in out.columns:
        keep = idx[out.loc[idx, "original_confidence"].isna()]
        out.loc[keep, "original_confidence"] = pd.to_numeric(out.loc[keep, "confidence"], errors="coerce")
        out.loc[idx, "confidence"] = 1.0
    if action == "map":
        keep = idx[out.loc[idx, "original_indicator_id"].isna()]
        out.loc[keep, "original_indicator_id"] = out.loc[keep, "indicator_id"]
        out.loc[idx, "indicator_id"] = str(corr["value"])
        if "rule" in out.columns:
            out.loc[idx, "rule"] = "review"
        if "confidence" not in out.columns:
            out["confidence"] = pd.Series(float("nan"), index=out.index, dtype="float64")
            out.loc[idx, "confidence"] = 1.0
    if action == "scope":
        keep = idx[out.loc[idx, "original_scope"].isna()]
        out.loc[keep, "original_scope"] = out.loc[keep, "scope"]
        out.loc[idx, "scope"] = str(corr["value"])


def _join_with(old, item: str, sep: str) -> str:
    old = "" if old is None or (isinstance(old, float) and math.isnan(old)) else str(old)
    return f"{old}{sep}{item}" if old else item
