"""Yearly indicator datasets: the Excel/CSV format analysts keep, its fill-in template, and its import.

Format (see docs/DATASETS.md): one row per unit and year. Leading columns 单位, 上级单位, 单位类型, 年份; then one
column per indicator whose header ends with the registry id in brackets, e.g. ``出台行政规范性文件（件）[nd_issued]``
(the id is what import trusts; name and unit are for people); optional 来源 (source note) and 数据性质
(``示例数据（模拟）`` marks fictional rows).

`read_dataset` turns a file into long facts (one row per unit, year and indicator) plus findings naming every problem
with file, sheet, row and column. An error finding removes the affected cell (or the whole row, for row problems) from
the facts; a warning keeps the value. A file that cannot be read as a table at all raises `DatasetError`. The input
file is only ever opened for reading.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from analysis.core.io import atomic_path, neutralise_workbook
from analysis.ingest.decode import DecodeError, decode_bytes
from analysis.ingest.reports.numbers import parse_chinese_numeral
from analysis.registry.schema import FINDING_COLUMNS

COL_UNIT = "单位"
COL_PARENT = "上级单位"
COL_TYPE = "单位类型"
COL_YEAR = "年份"
COL_SOURCE = "来源"
COL_NATURE = "数据性质"
FIXED_COLUMNS = (COL_UNIT, COL_PARENT, COL_TYPE, COL_YEAR)
OPTIONAL_COLUMNS = (COL_SOURCE, COL_NATURE)
UNIT_TYPES = ("区县", "街道", "部门")
SYNTHETIC_MARK = "示例数据（模拟）"
DATA_SHEET = "数据"
NOTES_SHEET = "说明"
YEAR_MIN, YEAR_MAX = 2000, 2100
TEMPLATE_ROWS = 2000  # rows 2..TEMPLATE_ROWS carry the input validation in the template
HEADER_SCAN_ROWS = 10  # the header row (with 单位 and 年份) must be within the first rows of the sheet
# per-file limits (README "Limits"): a file over one of them is refused with a finding naming the limit
MAX_SHEET_ROWS = 100_000  # rows holding a value in the sheet read
MAX_SHEET_COLS = 1_000  # columns holding a value
MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_CSV_FIELD = 100_000  # characters in one CSV field
MAX_ABS_VALUE = 1e12  # no indicator of a district comes near this; larger cells are refused as absurd

DATASET_FACT_COLUMNS = [
    "unit_name",
    "parent_name",
    "unit_type",
    "year",
    "indicator_id",
    "value",
    "unit",
    "value_state",
    "approx",
    "scope",
    "source_file",
    "locator",
    "evidence",
    "is_synthetic",
    "unit_id",
    "source_note",
]

ZERO_WORDS = ("无", "零")
NOT_APPLICABLE_WORDS = ("不适用",)
APPROX_PREFIXES = ("大约", "超过", "约", "近", "超", "逾")
APPROX_SUFFIXES = ("左右", "以上", "有余", "余", "多")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_HEADER_ID_RE = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9_]*)\s*\]\s*$")
_HEADER_UNIT_RE = re.compile(r"\(([^()]*)\)\s*\[")
_YEAR_RE = re.compile(r"^(\d{4})(?:\.0+)?年?$")


class DatasetError(ValueError):
    """The file cannot be read as a dataset table; the message names the file and the place."""


@dataclass
class DatasetResult:
    """Long facts (``DATASET_FACT_COLUMNS``) and findings (``analysis.registry.schema.FINDING_COLUMNS``) of one dataset."""

    facts: pd.DataFrame
    findings: pd.DataFrame
    sheet: str | None = None  # the sheet that was read (None for CSV)

    @property
    def errors(self) -> pd.DataFrame:
        return self.findings[self.findings["severity"] == "error"]


@dataclass
class Table:
    """A sheet (or CSV) as cells: header texts and data rows keyed by their 1-based row number."""

    source_file: str
    sheet: str | None  # None for CSV
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[object]]]
    merged_in_data: list[str] = field(default_factory=list)
    # read-level notes turned into findings: (rule, severity, message, locator)
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def locator(self, row: int, col: int) -> str:
        letter = get_column_letter(col + 1)
        if self.sheet is None:
            label = self.header[col] if col < len(self.header) else ""
            return f"row {row}, column {letter} ({label})"
        return f"{self.sheet}!{letter}{row}"


@dataclass(frozen=True)
class _Column:
    index: int
    indicator_id: str
    unit: str
    kind: str


@dataclass(frozen=True)
class Parsed:
    """One cell read as a value: value (NaN when none), value_state, approx, and a problem text when unreadable."""

    value: float
    state: str
    approx: bool
    problem: str | None = None


# ----------------------------------------------------------------------------------------------------------------
# Small pure helpers
# ----------------------------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    """NFKC (full-width digits, brackets and ％ become ASCII), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def cell_text(value: object) -> str:
    """The cell as a person reads it: numbers without a spurious ``.0``, text stripped, blank as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value).strip()


def indicator_kind(entry: pd.Series | dict) -> str:
    """count / rate / money / amount: the registry ``kind`` or, when absent, inferred from the unit."""
    kind = entry.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    unit = str(entry.get("unit") or "")
    if unit == "%":
        return "rate"
    if unit.endswith("元"):
        return "money"
    return "count"


def indicator_header(entry: pd.Series | dict) -> str:
    """Column header for an indicator: ``出台行政规范性文件（件）[nd_issued]``."""
    return f"{entry['name_zh']}（{entry['unit']}）[{entry['id']}]"


def _take(text: str, options: Iterable[str]) -> tuple[str, bool]:
    for opt in options:
        if text.startswith(opt):
            return text[len(opt) :], True
    return text, False


def parse_value(raw: object, unit: str = "") -> Parsed:
    """Read one indicator cell.

    What a report accepts, a cell accepts: full-width digits (NFKC), Chinese numerals (三, 二百, 一千零五, through the
    report extractor's own reader `analysis.ingest.reports.numbers.parse_chinese_numeral`: one implementation), and
    约/余/多/近 approximations of either (约二百 → approx 200, 十余 → approx 10).
    number → exact; ``80余`` / ``约80`` / ``近80`` / ``80多`` → approx 80; ``无`` / ``零`` → 0 zero_in_words;
    ``0`` → 0 exact; blank → NaN not_reported; ``不适用`` → NaN not_applicable. The indicator's unit may follow the
    number (``7件``, ``97.5%``); ``万`` multiplies by 10 000 unless the unit itself starts with 万. Anything else is a
    problem (value NaN, state not_reported, ``problem`` set).
    """
    if isinstance(raw, bool):
        return Parsed(np.nan, "not_reported", False, f"数值单元格中是文字 {raw!r}")
    if isinstance(raw, int | float | np.integer | np.floating):
        if np.isnan(float(raw)):
            return Parsed(np.nan, "not_reported", False)
        return Parsed(float(raw), "exact", False)
    text = cell_text(raw)
    if not text:
        return Parsed(np.nan, "not_reported", False)
    s = _THOUSANDS_RE.sub("", _norm(text))
    if s in ZERO_WORDS:
        return Parsed(0.0, "zero_in_words", False)
    if s in NOT_APPLICABLE_WORDS:
        return Parsed(np.nan, "not_applicable", False)
    unit_n = _norm(unit)
    rest, approx = _take(s, APPROX_PREFIXES)
    m = _NUMBER_RE.match(rest) or _CN_NUMBER_RE.match(rest)
    if not m:
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    number = float(m.group()) if m.re is _NUMBER_RE else parse_chinese_numeral(m.group())
    if number is None:  # 一二三: digits in a row are a name, not a number
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    rest, a1 = _take(rest[m.end() :], APPROX_SUFFIXES)
    mult = 1.0
    if rest.startswith("万") and not unit_n.startswith("万"):
        mult, rest = 10_000.0, rest[1:]
    rest, a2 = _take(rest, APPROX_SUFFIXES)
    if unit_n and rest.startswith(unit_n):
        rest = rest[len(unit_n) :]
    rest, a3 = _take(rest, APPROX_SUFFIXES)
    if rest:
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    approx = approx or a1 or a2 or a3
    return Parsed(round(number * mult, 6), "approx" if approx else "exact", approx)


# Chinese numeral characters a cell may spell a number with; 万 is left to the multiplier step below (so 三万元 in a
# 万元 column stays 3), 几/数 (vague magnitudes) are not numbers.
_CN_NUMBER_RE = re.compile("[零〇一二两三四五六七八九十百千]+")


def _text_problem(text: str) -> str:
    return (
        f"数值单元格中是文字 {text!r}：请写数字（也可写 三、二百），约数写 80余/约80，零写 无，"
        "不适用写 不适用，未报告请留空"
    )


def parse_year(raw: object) -> int | None:
    """Year as int from 2023, 2023.0, '2023' or '2023年'; None when blank or unreadable."""
    if isinstance(raw, float) and not raw.is_integer():
        return None
    m = _YEAR_RE.match(_norm(cell_text(raw)))
    return int(m.group(1)) if m else None


def _finding(rule: str, severity: str, message: str, table: Table, locator: str, **kw: object) -> dict:
    return {
        "rule": rule,
        "severity": severity,
        "unit_id": kw.get("unit_id"),
        "year": kw.get("year"),
        "indicator_id": kw.get("indicator_id"),
        "message": message,
        "source_file": table.source_file,
        "locator": locator,
        "detail": kw.get("detail", ""),
    }


# ----------------------------------------------------------------------------------------------------------------
# Reading files into tables
# ----------------------------------------------------------------------------------------------------------------


def decode_csv_bytes(data: bytes, source: str = "<csv>") -> tuple[str, str, list[str]]:
    """Decode CSV bytes with the one decoder (`analysis.ingest.decode`); returns (text, encoding, warnings)."""
    try:
        return decode_bytes(data, source)
    except DecodeError as exc:
        if exc.reason == "bom_utf8":
            raise DatasetError(
                f"{source}：以 UTF-8 字节序标记（BOM）开头，但第 {exc.position} 字节处不是有效的 UTF-8"
            ) from exc
        if exc.reason == "bom_utf16":
            raise DatasetError(f"{source}：以 UTF-16 字节序标记开头，但不是有效的 UTF-16") from exc
        raise DatasetError(
            f"{source}：无法判断文本编码（已试 UTF-8、GB18030 和自动识别）；请另存为 UTF-8 的 CSV"
        ) from exc


def _find_header(rows: list[list[object]], where: str) -> int:
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = {_norm(cell_text(c)) for c in cells}
        if COL_UNIT in names and COL_YEAR in names:
            return i
    raise DatasetError(f"{where}：找不到表头行：前 {HEADER_SCAN_ROWS} 行中没有同时含 {COL_UNIT} 和 {COL_YEAR} 两列的行")


def _read_csv(path: Path) -> Table:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DatasetError(
            f"{path}：文件 {size / 1e6:.0f} MB，超过 CSV 上限 {MAX_CSV_BYTES // 1024 // 1024} MB，未读取"
        )
    text, _enc, decode_warnings = decode_csv_bytes(path.read_bytes(), str(path))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    old_limit = csv.field_size_limit()
    rows: list[list[str]] = []
    try:
        csv.field_size_limit(MAX_CSV_FIELD)
        for r in reader:
            rows.append(list(r))
    except csv.Error as exc:
        line = reader.line_num
        if "field larger" in str(exc):
            raise DatasetError(
                f"{path}：第 {line} 行有一个字段超过 {MAX_CSV_FIELD} 个字符的上限（常见原因：引号未闭合），未读取"
            ) from exc
        raise DatasetError(f"{path}：第 {line} 行无法按 CSV 读取（{exc}）") from exc
    finally:
        csv.field_size_limit(old_limit)
    h = _find_header(rows, str(path))
    header = [cell_text(c) for c in rows[h]]
    notes: list[tuple[str, str, str, str]] = [("csv_encoding", "warning", w, "file") for w in decode_warnings]
    # an unbalanced quote makes the reader swallow the following lines into one field
    line_no = 1
    data = []
    for i, r in enumerate(rows):
        physical = line_no
        line_no += 1 + sum(c.count("\n") for c in r)
        if any("\n" in c or "\r" in c for c in r):
            notes.append(
                (
                    "csv_unbalanced_quote",
                    "error",
                    f"第 {physical} 行的一个字段跨了多行（引号未闭合？），后续 {line_no - physical - 1} 行被并入该字段；"
                    "该行未读取",
                    f"row {physical}",
                )
            )
            continue
        if i > h:
            data.append((i + 1, r))
    return Table(str(path), None, h + 1, header, data, notes=notes)


def _xlsx_value(cell: object) -> object:
    """A cell's value; a number shown as a percentage (Excel stores 97.5 % as 0.975) comes back as ``'97.5%'``."""
    value = getattr(cell, "value", None)
    fmt = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
        return cell_text(round(value * 100, 8)) + "%"
    return value


def _sheet_bounds(ws) -> tuple[int, int]:
    """The last row and column that hold a value (styled empty cells do not count; the stored dimension is ignored)."""
    max_r = max_c = 0
    for (r, c), cell in ws._cells.items():
        if cell.value is not None:
            max_r, max_c = max(max_r, r), max(max_c, c)
    return max_r, max_c


def _read_xlsx(path: Path) -> Table:
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for non-workbooks
        raise DatasetError(f"{path}：不是可读取的 .xlsx 工作簿（{type(exc).__name__}: {exc}）") from exc
    try:
        notes: list[tuple[str, str, str, str]] = []
        ws = _open_data_sheet(wb, path, notes)
        where = f"{path}：工作表 {ws.title}"
        max_r, max_c = _sheet_bounds(ws)
        if max_r > MAX_SHEET_ROWS or max_c > MAX_SHEET_COLS:
            raise DatasetError(
                f"{where}：有值的区域为 {max_r} 行 × {max_c} 列，超过上限 {MAX_SHEET_ROWS} 行 × {MAX_SHEET_COLS} 列，未读取"
            )
        if max_r == 0:
            rows: list[list[object]] = []
        else:
            rows = [[_xlsx_value(c) for c in r] for r in ws.iter_rows(min_row=1, max_row=max_r, max_col=max_c)]
        if any(cell.value is None for cell in ws._cells.values()):
            _fill_formulas_without_value(path, ws, rows, (max_r, max_c), notes)
        h = _find_header(rows, where)
        merged_data = _spread_merged_cells(ws, rows, h + 1, max_c, where)
        header = [cell_text(c) for c in rows[h]]
        data = [(i + 1, r) for i, r in enumerate(rows) if i > h]
        return Table(str(path), ws.title, h + 1, header, data, merged_data, notes)
    finally:
        wb.close()


def _open_data_sheet(wb, path: Path, notes: list[tuple[str, str, str, str]]):
    """The visible sheet 数据 (else the first visible sheet); hidden sheets are named in an info note."""
    visible = [w for w in wb.worksheets if w.sheet_state == "visible"]
    hidden = [w.title for w in wb.worksheets if w.sheet_state != "visible"]
    if not visible:
        raise DatasetError(f"{path}：工作簿没有可见的工作表，未读取")
    ws = next((w for w in visible if w.title == DATA_SHEET), visible[0])
    if hidden:
        notes.append(
            (
                "hidden_sheet_skipped",
                "info",
                f"读取了可见工作表 {ws.title}；隐藏的工作表未读取：{'、'.join(hidden)}",
                f"{ws.title}!A1",
            )
        )
    return ws


def _fill_formulas_without_value(
    path: Path,
    ws,
    rows: list[list[object]],
    bounds: tuple[int, int],
    notes: list[tuple[str, str, str, str]],
) -> None:
    """Formulas without a cached value (the file was written by a program, never opened in Excel): data_only reads
    them as empty; they are put in ``rows`` as the formula text so the value check refuses them, with a finding."""
    max_r, max_c = bounds
    try:
        wf = load_workbook(path, data_only=False)
        wsf = wf[ws.title]
        for (r, c), cell in wsf._cells.items():
            v = cell.value
            if r <= max(max_r, 1) and isinstance(v, str) and v.startswith("=") and ws.cell(r, c).value is None:
                while len(rows) < r:
                    rows.append([None] * max_c)
                row = rows[r - 1]
                while len(row) < c:
                    row.append(None)
                row[c - 1] = v
                notes.append(
                    (
                        "formula_without_value",
                        "error",
                        f"单元格是公式 {v[:60]} 但没有保存计算结果（文件未在 Excel 中打开保存过）；"
                        "该值未读取，请在 Excel 中打开并保存后重试",
                        f"{ws.title}!{get_column_letter(c)}{r}",
                    )
                )
        wf.close()
    except Exception:  # noqa: BLE001 - the first load succeeded; this check is best effort
        pass


def _spread_merged_cells(ws, rows: list[list[object]], header_row: int, max_c: int, where: str) -> list[str]:
    """A merged header cell is refused; a merged range in the data gives every cell the top-left value (returned)."""
    merged_data: list[str] = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= header_row <= rng.max_row:
            raise DatasetError(f"{where}：表头有合并单元格 {rng.coord}，列无法对应；请取消合并，让每一列只有一个表头格")
        if rng.min_row > header_row and rng.min_row <= len(rows):
            top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_col <= len(rows[rng.min_row - 1]) else None
            for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
                for c in range(rng.min_col, min(rng.max_col, max_c) + 1):
                    rows[r - 1][c - 1] = top
            merged_data.append(rng.coord)
    return merged_data


def read_table(path: str | Path) -> Table:
    """The data sheet of an .xlsx (sheet 数据, else the first) or a CSV, as header + rows; structural errors raise."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{p}：文件不存在")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(p)
    if suffix == ".xlsm":
        raise DatasetError(f"{p}：带宏的 Excel（.xlsm）不予读取（宏可能执行代码），请另存为 .xlsx")
    if suffix == ".xlsx":
        return _read_xlsx(p)
    raise DatasetError(f"{p}：不支持的文件类型 {p.suffix!r}；请另存为 .xlsx 或 .csv")


def table_from_frame(df: pd.DataFrame, source_file: str, sheet: str | None = DATA_SHEET) -> Table:
    """A wide DataFrame in the dataset format as a table laid out like the .xlsx written from it (header in row 1)."""
    rows = [
        (i + 2, [None if (isinstance(v, float) and np.isnan(v)) else v for v in rec])
        for i, rec in enumerate(df.itertuples(index=False, name=None))
    ]
    return Table(source_file, sheet, 1, [str(c) for c in df.columns], rows)


# ----------------------------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------------------------


def _unit_lookup(units: pd.DataFrame | Iterable[str] | None) -> dict[str, dict] | None:
    """name/alias → {unit_id, parent_name} from a units table (columns name, optional aliases, unit_id/id, parent)."""
    if units is None:
        return None
    if not isinstance(units, pd.DataFrame):
        return {_norm(str(n)): {"unit_id": None, "parent_name": None} for n in units}
    id_col = "unit_id" if "unit_id" in units.columns else ("id" if "id" in units.columns else None)
    id_to_name = dict(zip(units[id_col], units["name"], strict=True)) if id_col else {}
    out: dict[str, dict] = {}
    for rec in units.to_dict("records"):
        parent = rec.get("parent")
        info = {
            "unit_id": rec.get(id_col) if id_col else None,
            "parent_name": id_to_name.get(parent, parent) if isinstance(parent, str) and parent else None,
        }
        aliases = rec.get("aliases")
        names = [rec["name"], *(aliases if isinstance(aliases, list | tuple) else [])]
        for n in names:
            out[_norm(str(n))] = info
    return out


def _classify_columns(table: Table, indicators: pd.DataFrame, findings: list[dict]) -> tuple[dict, list[_Column]]:
    """Header cells → fixed columns (name → index) and indicator columns; a column that cannot be used is a finding."""
    fixed: dict[str, int] = {}
    columns: list[_Column] = []
    seen_ids: dict[str, int] = {}
    hr = table.header_row
    for i, raw in enumerate(table.header):
        name = _norm(raw)
        if not name:
            if any(i < len(cells) and cell_text(cells[i]) for _, cells in table.rows):
                findings.append(
                    _finding(
                        "unnamed_column",
                        "error",
                        "该列有数值但没有表头；其数值被略过",
                        table,
                        table.locator(hr, i),
                    )
                )
            continue
        if name in FIXED_COLUMNS or name in OPTIONAL_COLUMNS:
            if name in fixed:
                raise DatasetError(f"{table.source_file}：{table.locator(hr, i)}：列 {name} 出现了两次")
            fixed[name] = i
            continue
        column = _indicator_column(table, indicators, i, raw, seen_ids, findings)
        if column is not None:
            columns.append(column)
    missing = [c for c in (COL_UNIT, COL_YEAR) if c not in fixed]
    if missing:
        raise DatasetError(f"{table.source_file}：表头第 {hr} 行：缺少列 {'、'.join(missing)}")
    return fixed, columns


def _indicator_column(
    table: Table,
    indicators: pd.DataFrame,
    i: int,
    raw: str,
    seen_ids: dict[str, int],
    findings: list[dict],
) -> _Column | None:
    """Header ``raw`` of column ``i`` as an indicator column (by the id in brackets), or None with a finding."""
    name = _norm(raw)
    m = _HEADER_ID_RE.search(name)
    iid = m.group(1) if m else None
    loc = table.locator(table.header_row, i)
    if iid is None or iid not in indicators.index:
        why = "没有 [指标id]" if iid is None else f"写的指标 id {iid!r} 不在指标库中"
        findings.append(
            _finding(
                "unknown_indicator_column",
                "error",
                f"列 {raw!r} {why}；其数值被略过",
                table,
                loc,
                indicator_id=iid,
            )
        )
        return None
    if iid in seen_ids:
        findings.append(
            _finding(
                "duplicate_indicator_column",
                "error",
                f"指标 {iid} 在列 {raw!r} 中重复出现；只读取第一列",
                table,
                loc,
                indicator_id=iid,
                detail=f"first: {table.locator(table.header_row, seen_ids[iid])}",
            )
        )
        return None
    seen_ids[iid] = i
    entry = indicators.loc[iid]
    unit = str(entry["unit"])
    um = _HEADER_UNIT_RE.search(name)
    if um and _norm(um.group(1)) != _norm(unit):
        findings.append(
            _finding(
                "header_unit_mismatch",
                "warning",
                f"表头写的单位是 {um.group(1)!r}，但指标 {iid} 的单位是 {unit!r}；数值按 {unit} 读取",
                table,
                loc,
                indicator_id=iid,
            )
        )
    return _Column(i, iid, unit, indicator_kind(entry))


def _cell(cells: list[object], idx: int | None) -> object:
    return cells[idx] if idx is not None and idx < len(cells) else None


def _check_value(p: Parsed, col: _Column) -> tuple[str, str] | None:
    """(rule, message) when a readable value is impossible for its indicator, else None."""
    if p.problem:
        return "text_in_number_cell", p.problem
    if np.isnan(p.value):
        return None
    if not np.isfinite(p.value):
        return "non_finite_value", f"数值 {p.value} 不是有限数（溢出或无穷大），未读取"
    if abs(p.value) > MAX_ABS_VALUE:
        return (
            "absurd_value",
            f"数值 {p.value:g} {col.unit} 大得不合理（超过 {MAX_ABS_VALUE:g}），未读取",
        )
    if col.kind == "rate" and not 0 <= p.value <= 100:
        return "rate_out_of_range", f"比率 {p.value:g}% 超出 0–100%"
    if p.value < 0:
        return "negative_value", f"数值 {p.value:g}{col.unit} 为负数"
    return None


@dataclass
class _Row:
    rownum: int
    unit_name: str
    parent_name: str
    unit_type: str
    year: int | None
    unit_id: object
    source_note: str
    synthetic: bool
    cells: dict[str, tuple[Parsed, str, str]]  # indicator_id → (parsed, locator, evidence)
    excluded: bool = False


def _read_rows(
    table: Table,
    fixed: dict,
    columns: list[_Column],
    lookup: dict | None,
    findings: list[dict],
    synthetic: bool,
) -> list[_Row]:
    """Every non-blank data row with its checks; a row problem marks the row excluded, a cell problem drops the cell."""
    out: list[_Row] = []
    for rownum, cells in table.rows:
        if not any(cell_text(c) for c in cells):
            continue
        row, info = _row_fields(rownum, cells, fixed, lookup, synthetic)
        _row_checks(
            row,
            info,
            lookup,
            cell_text(_cell(cells, fixed.get(COL_YEAR))),
            table,
            fixed,
            findings,
        )
        _check_unit_type(row, info, table, fixed, findings)
        _read_row_values(row, cells, columns, table, findings)
        out.append(row)
    return out


def _row_fields(
    rownum: int, cells: list[object], fixed: dict, lookup: dict | None, synthetic: bool
) -> tuple[_Row, dict | None]:
    """The fixed columns of one row, and the unit's entry in the units table (None when unknown or not given)."""
    name = cell_text(_cell(cells, fixed.get(COL_UNIT)))
    nature = cell_text(_cell(cells, fixed.get(COL_NATURE)))
    info = lookup.get(_norm(name)) if lookup is not None and name else None
    row = _Row(
        rownum,
        name,
        cell_text(_cell(cells, fixed.get(COL_PARENT))),
        cell_text(_cell(cells, fixed.get(COL_TYPE))),
        parse_year(_cell(cells, fixed.get(COL_YEAR))),
        info["unit_id"] if info else None,
        cell_text(_cell(cells, fixed.get(COL_SOURCE))),
        synthetic or nature == SYNTHETIC_MARK,
        {},
    )
    return row, info


def _row_checks(
    row: _Row,
    info: dict | None,
    lookup: dict | None,
    year_text: str,
    table: Table,
    fixed: dict,
    findings: list[dict],
) -> None:
    """Unit name (present, in the units table) and year (present, readable, in range); a problem excludes the row."""
    year = row.year
    kw = {"unit_id": row.unit_id, "year": year}
    unit_loc = table.locator(row.rownum, fixed[COL_UNIT])
    year_loc = table.locator(row.rownum, fixed[COL_YEAR])
    if not row.unit_name:
        findings.append(
            _finding(
                "missing_unit_name",
                "error",
                "该行有数值但没有填 单位；整行被略过",
                table,
                unit_loc,
                **kw,
            )
        )
        row.excluded = True
    elif lookup is not None and info is None:
        from analysis.registry.units import suggest

        close = suggest(row.unit_name, list(lookup))
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        findings.append(
            _finding(
                "unknown_unit",
                "error",
                f"单位 {row.unit_name!r} 不在单位名录中{hint}（拼写有误请改正；新单位请加入 config/units.yaml）；整行被略过",
                table,
                unit_loc,
                **kw,
            )
        )
        row.excluded = True
    if year is None:
        rule, msg = ("missing_year", "年份 为空") if not year_text else ("bad_year", f"年份 {year_text!r} 不是年份")
        findings.append(_finding(rule, "error", f"{msg}；整行被略过", table, year_loc, **kw))
        row.excluded = True
    elif not YEAR_MIN <= year <= YEAR_MAX:
        findings.append(
            _finding(
                "bad_year",
                "error",
                f"年份 {year} 超出 {YEAR_MIN}–{YEAR_MAX}；整行被略过",
                table,
                year_loc,
                **kw,
            )
        )
        row.excluded = True


def _read_row_values(
    row: _Row,
    cells: list[object],
    columns: list[_Column],
    table: Table,
    findings: list[dict],
) -> None:
    """The indicator cells of one row into ``row.cells``; an impossible value is a finding and is left out."""
    kw = {"unit_id": row.unit_id, "year": row.year}
    for col in columns:
        raw = _cell(cells, col.index)
        loc = table.locator(row.rownum, col.index)
        parsed = parse_value(raw, col.unit)
        bad = _check_value(parsed, col)
        if bad:
            findings.append(
                _finding(
                    bad[0],
                    "error",
                    f"{col.indicator_id}：{bad[1]}；该数值被略过",
                    table,
                    loc,
                    indicator_id=col.indicator_id,
                    detail=f"单元格内容：{cell_text(raw)}",
                    **kw,
                )
            )
            continue
        if col.kind == "count" and not np.isnan(parsed.value) and not float(parsed.value).is_integer():
            findings.append(
                _finding(
                    "fractional_count",
                    "warning",
                    f"{col.indicator_id}：计数 {parsed.value:g} 不是整数",
                    table,
                    loc,
                    indicator_id=col.indicator_id,
                    **kw,
                )
            )
        row.cells[col.indicator_id] = (parsed, loc, cell_text(raw))


def _check_unit_type(row: _Row, info: dict | None, table: Table, fixed: dict, findings: list[dict]) -> None:
    kw = {"unit_id": row.unit_id, "year": row.year}
    type_loc = table.locator(row.rownum, fixed.get(COL_TYPE, fixed[COL_UNIT]))
    if not row.unit_type and not row.parent_name:
        row.unit_type = "区县"
    elif row.unit_type not in UNIT_TYPES:
        findings.append(
            _finding(
                "bad_unit_type",
                "warning",
                f"单位类型 {row.unit_type!r} 不是 {'/'.join(UNIT_TYPES)} 之一",
                table,
                type_loc,
                **kw,
            )
        )
    else:
        msg = None
        if row.unit_type == "区县" and row.parent_name:
            msg = f"{row.unit_name} 是区县，但填了上级单位 {row.parent_name!r}（区县的上级单位留空）"
        elif row.unit_type != "区县" and not row.parent_name:
            msg = f"{row.unit_name} 是{row.unit_type}，但没有填上级单位（所属区县）"
        if msg:
            findings.append(_finding("unit_type_mismatch", "warning", msg, table, type_loc, **kw))
    if info and info.get("parent_name") and row.parent_name and _norm(row.parent_name) != _norm(info["parent_name"]):
        loc = table.locator(row.rownum, fixed.get(COL_PARENT, fixed[COL_UNIT]))
        findings.append(
            _finding(
                "parent_mismatch",
                "warning",
                f"{row.unit_name}：上级单位 {row.parent_name!r} 与单位名录（{info['parent_name']!r}）不一致",
                table,
                loc,
                **kw,
            )
        )


def _mark_duplicates(rows: list[_Row], table: Table, fixed: dict, findings: list[dict]) -> None:
    """Same unit + parent + year twice: identical rows keep the first (warning); differing rows are all dropped."""
    groups: dict[tuple, list[_Row]] = {}
    for r in rows:
        if not r.excluded:
            groups.setdefault((_norm(r.unit_name), _norm(r.parent_name), r.year), []).append(r)
    for dup in groups.values():
        if len(dup) < 2:
            continue
        nums = ", ".join(str(r.rownum) for r in dup)
        signature = {tuple(sorted((k, v[0].value, v[0].state) for k, v in r.cells.items())) for r in dup}
        same = len({repr(s) for s in signature}) == 1
        for k, r in enumerate(dup):
            if same and k == 0:
                continue
            kw = {"unit_id": r.unit_id, "year": r.year}
            if same:
                msg = f"{r.unit_name} {r.year} 与第 {dup[0].rownum} 行重复（数值相同）；重复行被略过"
            else:
                msg = f"{r.unit_name} {r.year} 出现在第 {nums} 行且数值不同；这些行全部被略过"
            findings.append(
                _finding(
                    "duplicate_row",
                    "warning" if same else "error",
                    msg,
                    table,
                    table.locator(r.rownum, fixed[COL_UNIT]),
                    detail=f"rows {nums}",
                    **kw,
                )
            )
            r.excluded = True


def _check_relations(facts: pd.DataFrame, indicators: pd.DataFrame) -> list[dict]:
    """Registry arithmetic per unit-year row (parts ≤ total, at_most, rate ≈ numerator ÷ denominator), through the
    one implementation in analysis.tidy.quality; only problems are reported (passing checks are left to the build)."""
    from analysis.tidy.quality import ARITHMETIC_RULES, check_candidates

    if facts.empty:
        return []
    c = facts.assign(unit_id=facts["unit_id"].fillna(facts["unit_name"]))
    found = check_candidates(c, indicators, rules=ARITHMETIC_RULES)
    found = found[found["severity"] == "warning"]
    return found.to_dict("records")


def _facts_frame(rows: list[_Row], table: Table) -> pd.DataFrame:
    recs = []
    for row in rows:
        if row.excluded:
            continue
        for iid, (p, loc, evidence) in row.cells.items():
            recs.append(
                {
                    "unit_name": row.unit_name,
                    "parent_name": row.parent_name,
                    "unit_type": row.unit_type,
                    "year": row.year,
                    "indicator_id": iid,
                    "value": p.value,
                    "unit": None,
                    "value_state": p.state,
                    "approx": p.approx,
                    "scope": "year",
                    "source_file": table.source_file,
                    "locator": loc,
                    "evidence": evidence,
                    "is_synthetic": row.synthetic,
                    "unit_id": row.unit_id,
                    "source_note": row.source_note,
                }
            )
    df = pd.DataFrame(recs, columns=DATASET_FACT_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["value"] = df["value"].astype("float64")
    df["approx"] = df["approx"].astype(bool)
    df["is_synthetic"] = df["is_synthetic"].astype(bool)
    return df


def _refuse_fraction_rates(facts: pd.DataFrame, columns, table: Table, findings: list[dict]) -> pd.DataFrame:
    """A % column whose non-zero values are all at most 1 (0.95 meant as 95 %) is refused cell by cell with an error
    finding: never rescaled silently, never stored as 0.95 %. A single small rate beside larger ones is kept."""
    rate_ids = {c.indicator_id for c in columns if c.kind == "rate"}
    if facts.empty or not rate_ids:
        return facts
    drop: list = []
    for iid in rate_ids:
        col = facts[(facts["indicator_id"] == iid) & facts["value"].notna() & (facts["value"] != 0)]
        explicit_pct = col["evidence"].astype(str).str.contains("%|％", regex=True)
        cand = col[~explicit_pct]
        if len(cand) >= 2 and (col["value"] <= 1).all():
            for r in cand.itertuples():
                findings.append(
                    _finding(
                        "rate_as_fraction",
                        "error",
                        f"百分比指标 {iid} 的值 {r.value:g} 像是小数写法（{r.value:g} 应写作 {r.value * 100:g}）；"
                        "该列所有值都不超过 1，未读取也未换算，请按百分数填写",
                        table,
                        r.locator,
                        indicator_id=iid,
                        year=r.year,
                    )
                )
                drop.append(r.Index)
    return facts.drop(index=drop) if drop else facts


def findings_frame(findings: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df


def validate_table(
    table: Table,
    indicators: pd.DataFrame | None = None,
    units: pd.DataFrame | Iterable[str] | None = None,
    synthetic: bool = False,
) -> DatasetResult:
    """Validate a table (from a file or `table_from_frame`) and return its facts and findings."""
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    findings: list[dict] = []
    fixed, columns = _classify_columns(table, indicators, findings)
    for coord in table.merged_in_data:
        findings.append(
            _finding(
                "merged_cells",
                "warning",
                f"合并单元格 {coord}：范围内每个单元格都按左上角的值读取",
                table,
                f"{table.sheet}!{coord}",
            )
        )
    for rule, severity, message, locator in table.notes:
        findings.append(_finding(rule, severity, message, table, locator))
    lookup = _unit_lookup(units)
    rows = _read_rows(table, fixed, columns, lookup, findings, synthetic)
    _mark_duplicates(rows, table, fixed, findings)
    facts = _facts_frame(rows, table)
    facts["unit"] = facts["indicator_id"].map(indicators["unit"]).astype(object)
    facts = _refuse_fraction_rates(facts, columns, table, findings)
    findings += _check_relations(facts, indicators)
    return DatasetResult(facts=facts, findings=findings_frame(findings), sheet=table.sheet)


def read_dataset(
    path: str | Path,
    indicators: pd.DataFrame | None = None,
    units: pd.DataFrame | Iterable[str] | None = None,
) -> DatasetResult:
    """Import one .xlsx/.csv dataset: long facts plus a finding for every problem (file, sheet, row, column).

    ``indicators`` defaults to the registry; ``units`` (a DataFrame with ``name`` and optional ``aliases``,
    ``unit_id``/``id``, ``parent``; or a list of names) turns unknown unit names into errors. Raises `DatasetError`
    when the file is not a readable table (wrong type, no header row, merged header cells).
    """
    return validate_table(read_table(path), indicators, units)


# ----------------------------------------------------------------------------------------------------------------
# Template
# ----------------------------------------------------------------------------------------------------------------

_KIND_HELP = {
    "rate": "百分比，0–100 之间的数（不写 % 号也可）",
    "count": "非负整数",
    "money": "非负数（万元）",
    "amount": "非负数",
}

VALUE_STATE_NOTES = [
    ("7", "exact", "准确数 / exact number"),
    (
        "80余、约80、近80、80多",
        "approx",
        "约数，按 80 记录并标记为约数 / approximation, recorded as 80",
    ),
    ("无、零", "zero_in_words", "文字表述的零，记为 0 / zero in words, recorded as 0"),
    ("0", "exact", "准确的零 / exact zero"),
    ("（空白）", "not_reported", "未报告，不是 0 / not reported (never read as 0)"),
    ("不适用", "not_applicable", "该单位不适用此指标 / does not apply to this unit"),
]


def _validation(kind: str) -> DataValidation:
    common = {
        "allow_blank": True,
        "showErrorMessage": True,
        "showInputMessage": True,
        "errorStyle": "warning",
        "errorTitle": "请核对 / please check",
    }
    if kind == "rate":
        return DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="100",
            error="比率应在 0–100 之间；约数、无、不适用可保留。Rates are 0–100.",
            **common,
        )
    if kind == "count":
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            error="应为非负整数；约数（80余）、无、不适用可保留。Counts are whole numbers ≥ 0.",
            **common,
        )
    return DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        error="应为非负数；约数、无、不适用可保留。Amounts are ≥ 0.",
        **common,
    )


def _notes_sheet(wb: Workbook, indicators: pd.DataFrame) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    bold = Font(bold=True)
    ws.append(["法治政府建设年度指标数据填报说明 / How to fill in the yearly indicator sheet"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["固定列 / fixed column", "含义 / meaning"])
    for row in (
        (
            COL_UNIT,
            "单位名称（区县、街道或部门），须与单位名录一致 / unit name as in the units list",
        ),
        (
            COL_PARENT,
            "上级单位（街道、部门所属区县）；区县留空 / parent district; empty for districts",
        ),
        (COL_TYPE, "区县 / 街道 / 部门"),
        (COL_YEAR, f"年份，{YEAR_MIN}–{YEAR_MAX} 的整数 / year"),
        (COL_SOURCE, "来源说明（可选）/ optional source note"),
    ):
        ws.append(list(row))
    ws.append([])
    ws.append(["填写方式 / cell value", "记录为 / value_state", "说明 / meaning"])
    for row in VALUE_STATE_NOTES:
        ws.append(list(row))
    ws.append([])
    ws.append(
        [
            "指标列 / indicator column",
            "指标代码 / id",
            "计量单位 / unit",
            "类型 / kind",
            "填写要求 / input",
        ]
    )
    for _, entry in indicators.iterrows():
        kind = indicator_kind(entry)
        ws.append(
            [
                indicator_header(entry),
                entry["id"],
                entry["unit"],
                kind,
                _KIND_HELP.get(kind, ""),
            ]
        )
    for row in ws.iter_rows():
        if row[0].value in (
            "固定列 / fixed column",
            "填写方式 / cell value",
            "指标列 / indicator column",
        ):
            for c in row:
                c.font = bold
    for letter, width in zip("ABCDE", (44, 30, 40, 10, 40), strict=True):
        ws.column_dimensions[letter].width = width


def write_template(path: str | Path, indicators: pd.DataFrame | None = None) -> Path:
    """Write an empty fill-in .xlsx (sheet 数据 with Chinese headers, validation and frozen header; sheet 说明)."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target}：模板只能写成 .xlsx 工作簿")
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    headers = [
        *FIXED_COLUMNS,
        *(indicator_header(e) for _, e in indicators.iterrows()),
        COL_SOURCE,
    ]
    ws.append(headers)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = head_fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 48
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 14 if i <= len(FIXED_COLUMNS) else max(12, len(h) * 0.9)
    ws.freeze_panes = "E2"
    last = TEMPLATE_ROWS
    year_dv = DataValidation(
        type="whole",
        operator="between",
        formula1=str(YEAR_MIN),
        formula2=str(YEAR_MAX),
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="年份 / year",
        error=f"年份应为 {YEAR_MIN}–{YEAR_MAX} 之间的整数 / year must be {YEAR_MIN}–{YEAR_MAX}",
    )
    year_dv.add(f"D2:D{last}")
    type_dv = DataValidation(
        type="list",
        formula1='"' + ",".join(UNIT_TYPES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="单位类型",
        error="请选择 区县 / 街道 / 部门",
    )
    type_dv.add(f"C2:C{last}")
    ws.add_data_validation(year_dv)
    ws.add_data_validation(type_dv)
    by_kind: dict[str, DataValidation] = {}
    for i, (_, entry) in enumerate(indicators.iterrows(), start=len(FIXED_COLUMNS) + 1):
        kind = indicator_kind(entry)
        if kind not in by_kind:
            by_kind[kind] = _validation(kind)
            ws.add_data_validation(by_kind[kind])
        letter = get_column_letter(i)
        by_kind[kind].add(f"{letter}2:{letter}{last}")
    _notes_sheet(wb, indicators)
    neutralise_workbook(wb)  # headers and notes come from the registry: never a formula in the analyst's Excel
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
