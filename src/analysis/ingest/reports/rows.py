"""Fact rows (``Sink``) and the fact frame built from them column by column (``facts_frame``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.internals import create_dataframe_from_blocks

from analysis.ingest.reports.choose import rule_confidence
from analysis.registry.schema import FACT_COLUMNS, UNMAPPED

_NUMERIC = {
    "value": "float64",
    "approx": "bool",
    "span_start": "int64",
    "span_end": "int64",
    "evidence_start": "int64",
    "confidence": "float64",
}


_STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype
_NO_STRUCTURE = ("", "", "", "")  # subject, predicate, counted noun, qualifiers (a zero stated in words has none)


class Sink:
    """Collects fact rows; a total found unmapped can later take the indicator its parts belong to."""

    def __init__(self, text: str, doc_id: str, locate: Callable[[int], str] | None) -> None:
        self.text, self.doc_id, self.locate = text, doc_id, locate
        self.rows: list[list] = []
        self.by_fid: dict[str, list] = {}

    def add(
        self,
        iid: str | None,
        k: int | None,
        value: float,
        measure: str,
        measure_raw: str,
        approx: bool,
        state: str,
        where: tuple,
        kw: str = "",
        parent: str = "",
        rule: str = "",
        candidates: tuple[str, ...] = (),
    ) -> str:
        """Append one fact; ``where`` = (scope, level, span_start, span_end, (evidence, evidence_start)[, structure])
        with ``structure`` the clause's (subject, predicate, counted noun, qualifiers) (``clause.Structure``)."""
        scope, level, s, e, ev = where[:5]
        st = where[5] if len(where) > 5 else _NO_STRUCTURE
        fid = f"{self.doc_id}:{s}" + (f":{k}" if k is not None else "")
        row = [
            self.doc_id,
            fid,
            iid or UNMAPPED,
            float(value),
            measure,
            measure_raw,
            approx,
            state,
            scope,
            level,
            self.text[s:e],
            s,
            e,
            ev[0],
            ev[1],
            self.locate(s) if self.locate else "",
            kw,
            parent,
            rule_confidence(rule) if iid else 0.0,
            rule,
            ";".join(candidates),
            *st,
            k or 0,
        ]
        self.rows.append(row)
        self.by_fid[fid] = row
        return fid

    def relabel(self, fid: str, iid: str, measure: str, kw: str) -> None:
        """Give an unmapped total the indicator its parts name (其中…)."""
        row = self.by_fid[fid]
        row[2], row[4], row[16] = iid, measure, kw
        row[18], row[19], row[20] = rule_confidence("parts"), "parts", ""

    def unmap(self, fid: str, rule: str) -> None:
        """Leave a mapped fact unmapped after all, its indicator kept as the candidate (a later number showed it is a
        part: kinds_list_part)."""
        row = self.by_fid[fid]
        if row[2] != UNMAPPED:
            row[20] = row[2]
            row[2], row[16], row[18], row[19] = UNMAPPED, "", 0.0, rule

    def frame(self) -> pd.DataFrame:
        """The rows as one frame, built column by column with fixed dtypes (no per-row objects, no inference)."""
        self.rows.sort(key=lambda r: (r[11], r[-1]))
        return facts_frame(self.rows)


_LARGE_STRING = pa.large_string()
_FACT_INDEX = pd.Index(FACT_COLUMNS)
_STRING_COLUMNS = [i for i, c in enumerate(FACT_COLUMNS) if c not in _NUMERIC]
_STRING_PLACES = [np.array([i], dtype=np.intp) for i in _STRING_COLUMNS]
# the numeric columns grouped by dtype: one 2-D block each (what the frame constructor would consolidate them into)
_NUMERIC_BLOCKS = [
    (dtype, idx, np.array(idx, dtype=np.intp))
    for dtype in dict.fromkeys(_NUMERIC.values())
    for idx in [[i for i, c in enumerate(FACT_COLUMNS) if _NUMERIC.get(c) == dtype]]
]


def facts_frame(rows: list[list]) -> pd.DataFrame:
    """A fact frame from rows in FACT_COLUMNS order (extra trailing items are ignored).

    Numeric columns become one numpy block per dtype; every string is converted to arrow in one call and each string
    column is a zero-copy slice of it, wrapped as pandas' default string dtype. The frame is assembled from these
    blocks: no dict handling, dtype inference or block consolidation, the costs of the public constructor. The blocks
    are made directly (pandas internals, ``_assemble``) when that gives the frame the public
    ``pandas.api.internals.create_dataframe_from_blocks`` gives (checked once at import), else by that function.
    """
    return _frame(rows, _string_array, _assemble)


def _frame(rows: list[list], string_array: Callable, assemble: Callable) -> pd.DataFrame:
    n = len(rows)
    columns = list(zip(*rows, strict=False)) if rows else [()] * len(FACT_COLUMNS)
    flat: list[str] = []
    for i in _STRING_COLUMNS:
        flat.extend(columns[i])
    strings = pa.array(flat, type=_LARGE_STRING)
    blocks: list = [
        (np.array([columns[i] for i in idx], dtype=dtype).reshape(len(idx), n), places)
        for dtype, idx, places in _NUMERIC_BLOCKS
    ]
    for k, places in enumerate(_STRING_PLACES):
        blocks.append((string_array(pa.chunked_array([strings.slice(k * n, n)])), places))
    return assemble(blocks, n)


def _public_string_array(values: pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.ArrowStringArray(values, dtype=_STR)


def _public_assemble(blocks: list, n: int) -> pd.DataFrame:
    return create_dataframe_from_blocks(blocks, pd.RangeIndex(n), _FACT_INDEX)


def _direct() -> tuple[Callable, Callable] | None:
    """(string array, assemble) made with pandas internals, skipping the checks of the public paths (the inputs are
    built right here); None when this pandas lacks them."""
    try:
        from pandas._libs.internals import BlockPlacement
        from pandas.core.internals.blocks import ExtensionBlock, NumpyBlock
        from pandas.core.internals.managers import BlockManager

        template = _public_string_array(pa.chunked_array([pa.array([], type=_LARGE_STRING)]))
        from_arrow = template._from_pyarrow_array
    except (ImportError, AttributeError):  # pragma: no cover - another pandas
        return None

    def assemble(blocks: list, n: int) -> pd.DataFrame:
        made = [
            (NumpyBlock if isinstance(v, np.ndarray) else ExtensionBlock)(v, ndim=2, placement=BlockPlacement(p))
            for v, p in blocks
        ]
        mgr = BlockManager(made, [_FACT_INDEX, pd.RangeIndex(n)], verify_integrity=False)
        return pd.DataFrame._from_mgr(mgr, axes=mgr.axes)

    return from_arrow, assemble


def _same_frames(a: Callable, b: Callable) -> bool:
    """True when both (string array, assemble) pairs build the same frame from a sample of rows."""
    row = [
        "d",
        "d:1",
        "x",
        1.5,
        "件",
        "件",
        True,
        "exact",
        "year",
        "own",
        "1件",
        1,
        3,
        "证据",
        0,
        "",
        "",
        "",
        0.9,
        "r",
        "",
        "区政府",
        "出台",
        "文件",
        "其中",
        0,
    ]
    try:
        for x, y in ((_frame(rows, *a), _frame(rows, *b)) for rows in ([row, row], [])):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
            if [type(x[c].array) for c in x.columns] != [type(y[c].array) for c in y.columns]:
                return False
        return True
    except Exception:  # pragma: no cover - the direct path breaks on this pandas: keep the public one
        return False


_PUBLIC = (_public_string_array, _public_assemble)
_DIRECT = _direct()
# True when the frames are built on the direct path. On the pinned pandas it must be (a test says so): a fact column
# added without its value in _same_frames' sample row makes the check fail, and the slower public path would be taken.
DIRECT_FRAMES = _DIRECT is not None and _same_frames(_PUBLIC, _DIRECT)
_string_array, _assemble = _DIRECT if DIRECT_FRAMES else _PUBLIC
