"""Files → tables: CSV (through the one decoder) and .xlsx (visible data sheet, formulas, merged cells)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from analysis.ingest.datasets.model import (
    COL_UNIT,
    COL_YEAR,
    DATA_SHEET,
    HEADER_SCAN_ROWS,
    MAX_CSV_BYTES,
    MAX_CSV_FIELD,
    MAX_SHEET_COLS,
    MAX_SHEET_ROWS,
    DatasetError,
    Table,
)
from analysis.ingest.datasets.values import cell_text, norm
from analysis.ingest.decode import DecodeError, decode_bytes


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
        names = {norm(cell_text(c)) for c in cells}
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
