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
    blocks (``pandas.api.internals.create_dataframe_from_blocks``): no dict handling, dtype inference or block
    consolidation, the costs of the public constructor.
    """
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
        blocks.append((pd.arrays.ArrowStringArray(pa.chunked_array([strings.slice(k * n, n)]), dtype=_STR), places))
    return create_dataframe_from_blocks(blocks, pd.RangeIndex(n), _FACT_INDEX)
