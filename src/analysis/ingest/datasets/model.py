"""The dataset format's names and limits, and the table/result types shared by reading and validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter

from analysis.registry.findings import finding

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
    "measure",
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
class Parsed:
    """One cell read as a value: value (NaN when none), value_state, approx, and a problem text when unreadable."""

    value: float
    state: str
    approx: bool
    problem: str | None = None


def table_finding(rule: str, severity: str, message: str, table: Table, locator: str, **kw: object) -> dict:
    return finding(
        rule,
        message,
        severity=severity,
        unit_id=kw.get("unit_id"),
        year=kw.get("year"),
        indicator_id=kw.get("indicator_id"),
        source_file=table.source_file,
        locator=locator,
        detail=kw.get("detail", ""),
    )
