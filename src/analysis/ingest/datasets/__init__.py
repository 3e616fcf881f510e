"""Yearly indicator datasets: the Excel/CSV format analysts keep, its fill-in template, and its import.

Format (see docs/DATASETS.md): one row per unit and year. Leading columns 单位, 上级单位, 单位类型, 年份; then one
column per indicator whose header ends with the registry id in brackets, e.g. ``出台行政规范性文件（件）[nd_issued]``
(the id is what import trusts; name and unit are for people); optional 来源 (source note) and 数据性质
(``示例数据（模拟）`` marks fictional rows).

`read_dataset` turns a file into long facts (one row per unit, year and indicator) plus findings naming every problem
with file, sheet, row and column. An error finding removes the affected cell (or the whole row, for row problems) from
the facts; a warning keeps the value. A file that cannot be read as a table at all raises `DatasetError`. The input
file is only ever opened for reading.

Modules: ``model`` (column names, limits, Table/DatasetResult), ``values`` (one cell → value), ``read`` (files →
tables), ``columns`` (header → indicator columns), ``rows`` (data rows and their checks), ``validate`` (table → facts
and findings), ``template`` (the fill-in workbook). Everything public is importable from this package.
"""

from analysis.ingest.datasets.model import (
    COL_NATURE,
    COL_PARENT,
    COL_SOURCE,
    COL_TYPE,
    COL_UNIT,
    COL_YEAR,
    DATA_SHEET,
    DATASET_FACT_COLUMNS,
    FIXED_COLUMNS,
    HEADER_SCAN_ROWS,
    MAX_ABS_VALUE,
    MAX_CSV_BYTES,
    MAX_CSV_FIELD,
    MAX_SHEET_COLS,
    MAX_SHEET_ROWS,
    NOTES_SHEET,
    OPTIONAL_COLUMNS,
    SYNTHETIC_MARK,
    TEMPLATE_ROWS,
    UNIT_TYPES,
    YEAR_MAX,
    YEAR_MIN,
    DatasetError,
    DatasetResult,
    Parsed,
    Table,
)
from analysis.ingest.datasets.read import decode_csv_bytes, read_table, table_from_frame
from analysis.ingest.datasets.template import VALUE_STATE_NOTES, write_template
from analysis.ingest.datasets.validate import findings_frame, read_dataset, validate_table
from analysis.ingest.datasets.values import (
    APPROX_PREFIXES,
    APPROX_SUFFIXES,
    NOT_APPLICABLE_WORDS,
    ZERO_WORDS,
    cell_text,
    indicator_header,
    indicator_kind,
    parse_value,
    parse_year,
)

__all__ = [
    "APPROX_PREFIXES",
    "APPROX_SUFFIXES",
    "COL_NATURE",
    "COL_PARENT",
    "COL_SOURCE",
    "COL_TYPE",
    "COL_UNIT",
    "COL_YEAR",
    "DATASET_FACT_COLUMNS",
    "DATA_SHEET",
    "DatasetError",
    "DatasetResult",
    "FIXED_COLUMNS",
    "HEADER_SCAN_ROWS",
    "MAX_ABS_VALUE",
    "MAX_CSV_BYTES",
    "MAX_CSV_FIELD",
    "MAX_SHEET_COLS",
    "MAX_SHEET_ROWS",
    "NOTES_SHEET",
    "NOT_APPLICABLE_WORDS",
    "OPTIONAL_COLUMNS",
    "Parsed",
    "SYNTHETIC_MARK",
    "TEMPLATE_ROWS",
    "Table",
    "UNIT_TYPES",
    "VALUE_STATE_NOTES",
    "YEAR_MAX",
    "YEAR_MIN",
    "ZERO_WORDS",
    "cell_text",
    "decode_csv_bytes",
    "findings_frame",
    "indicator_header",
    "indicator_kind",
    "parse_value",
    "parse_year",
    "read_dataset",
    "read_table",
    "table_from_frame",
    "validate_table",
    "write_template",
]
