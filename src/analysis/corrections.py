"""The corrections ledger (data/corrections.csv): hand-made, sourced overrides / drops / flags applied on every build.

``load_ledger(path=None, missing_ok=True) -> DataFrame`` reads and validates the ledger. Every problem raises
:class:`CorrectionsError` naming the file and the line: an unknown column, an unknown action, a missing reason /
source / date, a date that is not ``YYYY-MM-DD``, an override without a numeric value, a drop/flag with a value,
a row with no key at all (it would match everything), a non-integer year, two rows for the same key.
A missing file is an empty ledger when ``missing_ok`` (the default).

``apply_corrections(table, ledger) -> (table, findings)`` applies the ledger to a facts table
(``analysis.schema.FACT_COLUMNS``) or an observations table (``OBSERVATION_COLUMNS``). It is pure: the input is not
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
* ``scope`` – ``value`` holds a scope (``analysis.schema.SCOPES``): ``scope`` becomes it (``original_scope``);
* ``drop`` with a ``fact_id`` that names a report fact – the fact stays in the facts table (marked) but never
  becomes an observation.

The same fact may carry one line per action (a map and a scope); two lines with the same key and action are an error.

Every touched row gets a ``correction`` note (``"<action> (ledger line N): <reason> [<source>, <date>]"``) and one
finding ``correction_applied`` (info). A ledger row that matches nothing gives one finding ``correction_unmatched``
(warning). Findings use ``analysis.schema.FINDING_COLUMNS``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.schema import FINDING_COLUMNS

LEDGER_COLUMNS = [
    "doc_or_source",
    "unit",
    "year",
    "indicator_id",
    "fact_id",
    "action",
    "value",
    "reason",
    "source",
    "date",
]
ACTIONS = ("override", "drop", "flag", "confirm", "map", "scope")
REVIEW_ACTIONS = ("confirm", "map", "scope")  # decisions on one report fact (python -m analysis review)
_INDICATOR_ID = re.compile(r"[a-z][a-z0-9_]*")
KEY_COLUMNS = ("doc_or_source", "unit", "year", "indicator_id", "fact_id")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CorrectionsError(ValueError):
    """The corrections ledger is malformed; the message names the file and the line."""


def empty_ledger() -> pd.DataFrame:
    return pd.DataFrame(columns=[*LEDGER_COLUMNS, "line"])


def _check_row(row: dict[str, str], where: str) -> dict:
    action = row["action"]
    if action not in ACTIONS:
        raise CorrectionsError(f"{where}: unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    for col in ("reason", "source", "date"):
        if not row[col]:
            raise CorrectionsError(f"{where}: missing {col} (every correction needs a reason, a source and a date)")
    if not _DATE.fullmatch(row["date"]):
        raise CorrectionsError(f"{where}: bad date {row['date']!r}; expected YYYY-MM-DD")
    try:
        dt.date.fromisoformat(row["date"])
    except ValueError as exc:
        raise CorrectionsError(f"{where}: bad date {row['date']!r}: {exc}") from exc
    if not any(row[k] for k in KEY_COLUMNS):
        raise CorrectionsError(f"{where}: no key given (doc_or_source, unit, year, indicator_id or fact_id)")
    out: dict = dict(row)
    if row["year"]:
        if not re.fullmatch(r"(19|20)\d\d", row["year"]):
            raise CorrectionsError(f"{where}: bad year {row['year']!r}; expected a four-digit year")
        out["year"] = int(row["year"])
    else:
        out["year"] = None
    if action in REVIEW_ACTIONS and not row["fact_id"]:
        raise CorrectionsError(f"{where}: {action} needs a fact_id (a review decision is about one fact)")
    if action == "override":
        try:
            value = float(row["value"])
        except ValueError:
            raise CorrectionsError(f"{where}: override needs a numeric value, got {row['value']!r}") from None
        if not math.isfinite(value):
            raise CorrectionsError(f"{where}: override value must be a finite number, got {row['value']!r}")
        out["value"] = value
    elif action == "map":
        if not _INDICATOR_ID.fullmatch(row["value"]):
            raise CorrectionsError(f"{where}: map needs an indicator id in value, got {row['value']!r}")
        out["value"] = row["value"]
    elif action == "scope":
        from analysis.schema import SCOPES

        if row["value"] not in SCOPES:
            raise CorrectionsError(f"{where}: scope needs one of {', '.join(SCOPES)} in value, got {row['value']!r}")
        out["value"] = row["value"]
    elif row["value"]:
        raise CorrectionsError(f"{where}: action {action} takes no value (got {row['value']!r})")
    else:
        out["value"] = None
    return out


def load_ledger(path: str | Path | None = None, missing_ok: bool = True) -> pd.DataFrame:
    """Read and validate the ledger; one row per correction plus ``line`` (its line in the file)."""
    p = Path(path) if path is not None else paths.corrections_file()
    if not p.exists():
        if missing_ok:
            return empty_ledger()
        raise CorrectionsError(f"{p}: corrections ledger not found")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrectionsError(f"{p}: cannot read the ledger as UTF-8: {exc}") from exc
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise CorrectionsError(f"{p}: empty file; expected the header row {','.join(LEDGER_COLUMNS)}") from None
    header = [h.strip() for h in header]
    if header != LEDGER_COLUMNS:
        unknown = [h for h in header if h not in LEDGER_COLUMNS]
        missing = [c for c in LEDGER_COLUMNS if c not in header]
        raise CorrectionsError(
            f"{p}: line 1: header must be {','.join(LEDGER_COLUMNS)}"
            + (f"; unknown column(s) {unknown}" if unknown else "")
            + (f"; missing column(s) {missing}" if missing else "")
        )
    rows = []
    seen: dict[tuple, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            where = f"{p}: line {line}"
            if len(fields) != len(LEDGER_COLUMNS):
                raise CorrectionsError(f"{where}: {len(fields)} fields, expected {len(LEDGER_COLUMNS)}")
            row = _check_row({c: f.strip() for c, f in zip(LEDGER_COLUMNS, fields, strict=True)}, where)
            key = tuple(row[k] for k in KEY_COLUMNS)
            if row["action"] in REVIEW_ACTIONS:  # one decision of each kind per fact (a map and a scope may go together)
                key = (*key, row["action"])
            if key in seen:
                raise CorrectionsError(f"{where}: same key as line {seen[key]} (one correction per key)")
            seen[key] = line
            row["line"] = line
            rows.append(row)
    except csv.Error as exc:
        raise CorrectionsError(f"{p}: line {reader.line_num}: not valid CSV: {exc}") from exc
    if not rows:
        return empty_ledger()
    ledger = pd.DataFrame(rows, columns=[*LEDGER_COLUMNS, "line"])
    ledger["year"] = ledger["year"].astype("Int64")
    if not ledger["action"].isin(("map", "scope")).any():
        ledger["value"] = ledger["value"].astype("float64")
    return ledger


def _matches(table: pd.DataFrame, corr: pd.Series) -> tuple[pd.Series, str]:
    """Boolean mask of the rows ``corr`` applies to, and why it cannot apply ('' when the columns exist)."""
    mask = pd.Series(True, index=table.index)
    cols = set(table.columns)
    if corr["doc_or_source"]:
        key = str(corr["doc_or_source"])
        if not cols & {"doc_id", "source_file"}:
            return mask & False, "the table has no doc_id/source_file column"
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
            return mask & False, "the table has no unit_id/unit_name column"
        m = pd.Series(False, index=table.index)
        for c in ("unit_id", "unit_name"):
            if c in cols:
                m |= table[c].astype("string").fillna("") == str(corr["unit"])
        mask &= m
    if not pd.isna(corr["year"]):
        if "year" not in cols:
            return mask & False, "the table has no year column"
        mask &= pd.to_numeric(table["year"], errors="coerce") == int(corr["year"])
    for c in ("indicator_id", "fact_id"):
        if corr[c]:
            if c not in cols:
                return mask & False, f"the table has no {c} column"
            mask &= table[c].astype("string").fillna("") == str(corr[c])
    return mask.fillna(False).astype(bool), ""


def _finding(rule: str, severity: str, message: str, corr: pd.Series, row: pd.Series | None, detail: dict) -> dict:
    def get(col: str, default=""):
        if row is not None and col in row.index and not pd.isna(row[col]):
            return row[col]
        return default

    year = get("year", corr["year"])
    year = None if year is None or pd.isna(year) else int(year)
    return {
        "rule": rule,
        "severity": severity,
        "unit_id": get("unit_id", corr["unit"]),
        "year": year,
        "indicator_id": get("indicator_id", corr["indicator_id"]),
        "message": message,
        "source_file": get("source_file", get("doc_id", corr["doc_or_source"])),
        "locator": get("locator", f"corrections.csv line {corr['line']}"),
        "detail": json.dumps(detail, ensure_ascii=False, default=str),
    }


def _jsonable(v):
    if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def apply_corrections(table: pd.DataFrame, ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the ledger to a facts or observations table; returns (corrected copy, findings)."""
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
        note = f"{corr['action']} (ledger line {corr['line']}): {corr['reason']} [{corr['source']}, {corr['date']}]"
        ledger_ref = {k: _jsonable(corr[k]) for k in [*LEDGER_COLUMNS, "line"]}
        if not mask.any():
            msg = f"correction on ledger line {corr['line']} ({corr['action']}) matches no row"
            findings.append(
                _finding(
                    "correction_unmatched",
                    "warning",
                    msg + (f": {why}" if why else ""),
                    corr,
                    None,
                    {"ledger": ledger_ref},
                )
            )
            continue
        idx = out.index[mask]
        for i in idx:
            row = out.loc[i]
            old = _jsonable(row["value"]) if "value" in out.columns else None
            detail = {"ledger": ledger_ref, "original_value": old, "fact_id": _jsonable(row.get("fact_id"))}
            if "evidence" in out.columns:
                detail["evidence"] = _jsonable(row["evidence"])
            if corr["action"] == "override":
                detail["new_value"] = float(corr["value"])
            findings.append(
                _finding(
                    "correction_applied",
                    "info",
                    f"{corr['action']} from ledger line {corr['line']}: {corr['reason']}",
                    corr,
                    row,
                    detail,
                )
            )
        if corr["action"] == "override":
            if "value" not in out.columns:
                raise CorrectionsError(f"ledger line {corr['line']}: override on a table without a value column")
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
        out.loc[idx, "correction"] = [_join(out.at[i, "correction"], note) for i in idx]
        if corr["action"] == "drop":
            out = out.drop(index=idx)
    return out, pd.DataFrame(findings, columns=FINDING_COLUMNS)


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
    out = facts.copy()
    if not out.index.is_unique:
        out = out.reset_index(drop=True)
    for col, src in (("original_indicator_id", "indicator_id"), ("original_scope", "scope")):
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
    if "original_confidence" not in out.columns:
        out["original_confidence"] = pd.Series(float("nan"), index=out.index, dtype="float64")
    for col in ("decision", "correction"):
        if col not in out.columns:
            out[col] = pd.Series("", index=out.index, dtype="object")
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
        note = f"{action} (ledger line {corr['line']}): {corr['reason']} [{corr['source']}, {corr['date']}]"
        for i in idx:
            row = out.loc[i]
            detail = {
                "ledger": ledger_ref,
                "fact_id": _jsonable(row.get("fact_id")),
                "original_indicator_id": _jsonable(row.get("indicator_id")),
                "original_scope": _jsonable(row.get("scope")),
                "evidence": _jsonable(row.get("evidence")),
            }
            if action in ("map", "scope"):
                detail["new_value"] = corr["value"]
            findings.append(
                _finding(
                    "correction_applied",
                    "info",
                    f"审核决定 {action}（第 {corr['line']} 行）：{corr['reason']}",
                    corr,
                    row,
                    detail,
                )
            )
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
        out.loc[idx, "decision"] = [_join_with(out.at[i, "decision"], action, ";") for i in idx]
        out.loc[idx, "correction"] = [_join(out.at[i, "correction"], note) for i in idx]
    return out, pd.DataFrame(findings, columns=FINDING_COLUMNS), used


def _join_with(old, item: str, sep: str) -> str:
    old = "" if old is None or (isinstance(old, float) and math.isnan(old)) else str(old)
    return f"{old}{sep}{item}" if old else item
