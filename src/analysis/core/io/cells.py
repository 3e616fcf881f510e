"""Spreadsheet formula neutralisation: text cells a spreadsheet would run as a formula get a leading ``'``."""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (starts with = + - @, tab or CR) gets a leading ``'``
    (OWASP CSV injection); numbers, including negative ones and text that is just a number (``-3``), stay as they
    are. Other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(df):
    """A copy of ``df`` whose text cells (and column names) are neutralised; numeric columns are untouched. Every
    CSV/Excel writer of the project passes its frame through here."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def neutralise_workbook(wb):
    """Neutralise every text cell of an openpyxl workbook in place (and return it): a cell that a spreadsheet would
    run as a formula gets a leading ``'``; numbers stay numbers. openpyxl stores a text starting with ``=`` as a
    formula, so such a cell becomes plain text. Every Excel writer that builds cells itself calls this before saving;
    frames written with ``to_excel`` go through :func:`neutralise_frame`."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and (safe := neutralise_cell(v)) is not v:
                    cell.value = safe  # openpyxl types it as text again (it no longer starts with =)
    return wb


def write_csv(df, target, **kw) -> None:
    """``df.to_csv`` with every text cell neutralised (``target`` may be a path or an open stream)."""
    neutralise_frame(df).to_csv(target, **kw)
