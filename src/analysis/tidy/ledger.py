"""Reading the corrections ledger (data/corrections.csv): ``load_ledger`` checks every line and names the file and
the line of each problem (:class:`CorrectionsError`, or an error finding ``ledger_schema`` when the caller collects
problems). What the ledger's actions do to the tables is in :mod:`analysis.tidy.corrections`, which documents both.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.registry.findings import finding

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
_COL_ZH = {"reason": "理由", "source": "依据", "date": "日期"}


class CorrectionsError(ValueError):
    """The corrections ledger is malformed; the message names the file and the line."""


def empty_ledger() -> pd.DataFrame:
    return pd.DataFrame(columns=[*LEDGER_COLUMNS, "line"])


def _check_row(row: dict[str, str], where: str) -> dict:
    action = row["action"]
    if action not in ACTIONS:
        raise CorrectionsError(f"{where}：未知的操作 action {action!r}；应为 {'、'.join(ACTIONS)} 之一")
    for col in ("reason", "source", "date"):
        if not row[col]:
            raise CorrectionsError(
                f"{where}：缺少 {col}（{_COL_ZH[col]}；每条更正都要写理由 reason、依据 source 和日期 date）"
            )
    if not _DATE.fullmatch(row["date"]):
        raise CorrectionsError(f"{where}：日期 date {row['date']!r} 格式不对，应为 YYYY-MM-DD（例如 2024-03-02）")
    try:
        dt.date.fromisoformat(row["date"])
    except ValueError as exc:
        raise CorrectionsError(f"{where}：日期 date {row['date']!r} 不存在（没有这一天）") from exc
    if not any(row[k] for k in KEY_COLUMNS):
        raise CorrectionsError(
            f"{where}：没有给出任何键（doc_or_source、unit、year、indicator_id 或 fact_id），这条更正会作用于所有行"
        )
    out: dict = dict(row)
    if row["year"]:
        if not re.fullmatch(r"(19|20)\d\d", row["year"]):
            raise CorrectionsError(
                f"{where}：年份 year {row['year']!r} 不是四位整数年份（例如 2023；不能写 2023.0 或 23）"
            )
        out["year"] = int(row["year"])
    else:
        out["year"] = None
    if action in REVIEW_ACTIONS and not row["fact_id"]:
        raise CorrectionsError(f"{where}：{action} 需要填 fact_id（审核决定针对一个数字）")
    if action == "override":
        try:
            value = float(row["value"])
        except ValueError:
            raise CorrectionsError(f"{where}：override 需要数值 value，实际是 {row['value']!r}") from None
        if not math.isfinite(value):
            raise CorrectionsError(f"{where}：override 的数值 value 必须是有限数（finite），实际是 {row['value']!r}")
        out["value"] = value
    elif action == "map":
        if not _INDICATOR_ID.fullmatch(row["value"]):
            raise CorrectionsError(f"{where}：map 需要在 value 中填指标编号，实际是 {row['value']!r}")
        out["value"] = row["value"]
    elif action == "scope":
        from analysis.registry.schema import SCOPES

        if row["value"] not in SCOPES:
            raise CorrectionsError(
                f"{where}：scope 需要在 value 中填 {'、'.join(SCOPES)} 之一，实际是 {row['value']!r}"
            )
        out["value"] = row["value"]
    elif row["value"]:
        raise CorrectionsError(f"{where}：操作 {action} 不带数值 value（实际填了 {row['value']!r}），请留空")
    else:
        out["value"] = None
    return out


def _undecodable_line(data: bytes, exc: UnicodeDecodeError) -> int:
    return data[: exc.start].count(b"\n") + 1


def _decode_ledger(p: Path) -> str:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CorrectionsError(f"{p}：无法读取更正账本（{exc.strerror or exc}）") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _undecodable_line(data, exc)
        try:
            data.decode("gb18030")
            guess = "看起来是 GBK/GB18030 编码（Excel 的“CSV”默认如此）"
        except UnicodeDecodeError:
            guess = "不是 UTF-8 文本"
        raise CorrectionsError(
            f"{p}：第 {line} 行：更正账本{guess}，未读取；请另存为“CSV UTF-8（逗号分隔）”后重试"
        ) from None


def load_ledger(
    path: str | Path | None = None, missing_ok: bool = True, problems: list[dict] | None = None
) -> pd.DataFrame:
    """Read and validate the ledger; one row per correction plus ``line`` (its line in the file).

    Without ``problems`` the first problem raises :class:`CorrectionsError`. With a list, a bad line is refused (left
    out, never applied) and reported there as an error finding (rule ``ledger_schema``, the ledger file and
    ``line N``); a problem with the whole file (encoding, header, broken CSV) refuses the whole ledger the same way."""
    p = Path(path) if path is not None else paths.corrections_file()
    if not p.exists():
        if missing_ok:
            return empty_ledger()
        raise CorrectionsError(f"{p}：找不到更正账本")

    def refuse(exc: CorrectionsError, line: int | None) -> None:
        if problems is None:
            raise exc
        problems.append(_ledger_problem(p, line, str(exc)))

    try:
        text = _decode_ledger(p)
    except CorrectionsError as exc:
        m = re.search(r"第 (\d+) 行", str(exc))
        refuse(exc, int(m.group(1)) if m else None)
        return empty_ledger()
    reader = csv.reader(text.splitlines(keepends=True))
    if not _read_header(reader, p, refuse):
        return empty_ledger()
    rows = _read_rows(reader, p, refuse)
    if not rows:
        return empty_ledger()
    ledger = pd.DataFrame(rows, columns=[*LEDGER_COLUMNS, "line"])
    ledger["year"] = ledger["year"].astype("Int64")
    if not ledger["action"].isin(("map", "scope")).any():
        ledger["value"] = ledger["value"].astype("float64")
    ledger.attrs["source"] = _ledger_name(p)
    return ledger


def _read_header(reader, p: Path, refuse) -> bool:
    """Read and check the header line; False (after ``refuse``) when it refuses the whole ledger."""
    try:
        header = next(reader)
    except StopIteration:
        refuse(CorrectionsError(f"{p}：空文件；第 1 行应为表头 {','.join(LEDGER_COLUMNS)}"), 1)
        return False
    except csv.Error as exc:
        refuse(CorrectionsError(f"{p}：第 1 行：不是有效的 CSV（{exc}）"), 1)
        return False
    header = [h.strip() for h in header]
    if header != LEDGER_COLUMNS:
        unknown = [h for h in header if h not in LEDGER_COLUMNS]
        missing = [c for c in LEDGER_COLUMNS if c not in header]
        refuse(
            CorrectionsError(
                f"{p}：第 1 行：表头应为 {','.join(LEDGER_COLUMNS)}"
                + (f"；多出的列 {unknown}" if unknown else "")
                + (f"；缺少的列 {missing}" if missing else "")
                + ("；列的顺序不对" if not unknown and not missing else "")
            ),
            1,
        )
        return False
    return True


def _read_rows(reader, p: Path, refuse) -> list[dict]:
    """The checked data lines; a bad line is refused and left out, broken CSV refuses them all ([])."""
    rows = []
    seen: dict[tuple, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            where = f"{p}：第 {line} 行"
            try:
                if len(fields) != len(LEDGER_COLUMNS):
                    raise CorrectionsError(f"{where}：有 {len(fields)} 个字段，应为 {len(LEDGER_COLUMNS)} 个")
                row = _check_row({c: f.strip() for c, f in zip(LEDGER_COLUMNS, fields, strict=True)}, where)
                key = tuple(row[k] for k in KEY_COLUMNS)
                if (
                    row["action"] in REVIEW_ACTIONS
                ):  # one decision of each kind per fact (map and scope may go together)
                    key = (*key, row["action"])
                if key in seen:
                    raise CorrectionsError(f"{where}：与第 {seen[key]} 行的键相同（同一个键只能有一条更正）")
            except CorrectionsError as exc:
                refuse(exc, line)
                continue
            seen[key] = line
            row["line"] = line
            rows.append(row)
    except csv.Error as exc:
        refuse(CorrectionsError(f"{p}：第 {reader.line_num} 行：不是有效的 CSV（{exc}）"), reader.line_num)
        return []
    return rows


def _ledger_name(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.root().resolve()))
    except ValueError:
        return str(p)


def _ledger_problem(p: Path, line: int | None, message: str) -> dict:
    return finding(
        "ledger_schema",
        message + "；这一行未使用" if line and line > 1 else message + "；整个账本未使用",
        severity="error",
        source_file=_ledger_name(p),
        locator=f"line {line}" if line else "file",
    )
