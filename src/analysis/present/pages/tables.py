"""Designed tables for the notebook pages (present layer), built on pandas' Styler.

Every table a reader sees goes through :func:`styled`: no pandas index column, every header in Chinese (known English
columns are translated, see ``COLUMN_LABELS``), no NaN (missing cells read "—", a value that was not reported already
reads "未报告" in the shaping functions), headers never wrap (so no column is narrower than its label), short cells do
not wrap, long text columns wrap at a readable width, and the table never grows past the page (≤ 1,280 px). Long tables
are rendered whole (the Styler has no row limit), or split into one table per area with :func:`split_by`.

Cell text is HTML-escaped by the Styler (``escape="html"``), so a ``<script>`` in a report sentence shows as text.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from analysis.present.charts.style import AREA_LABELS
from analysis.present.charts.views import STATE_LABELS, is_missing

MAX_TABLE_PX = 1280
NOWRAP_CHARS = 16
MISSING = "—"

# English columns that can reach a page, in Chinese.
COLUMN_LABELS = {
    "unit_id": "区县代码",
    "unit_name": "区县",
    "name": "名称",
    "year": "年度",
    "indicator_id": "指标代码",
    "value": "数值",
    "measure": "单位",
    "value_state": "状态",
    "source_kind": "来源类型",
    "source_file": "来源文件",
    "locator": "位置",
    "chosen": "是否采用",
    "score": "得分",
    "coverage": "覆盖率",
    "rank": "名次",
    "reason": "说明",
    "area": "领域",
    "rule": "规则",
    "severity": "级别",
    "message": "说明",
    "evidence": "原文依据",
}
# Columns whose cells are sentences: they wrap, at a readable minimum width.
WRAP_COLUMNS = {"原文依据", "原文句子", "原文", "说明", "未排名原因"}

TABLE_CSS = [
    {
        "selector": "",
        "props": f"border-collapse:collapse;max-width:min(100%,{MAX_TABLE_PX}px);margin:.6em 0 1.2em 0;font-size:.9em;",
    },
    {
        "selector": "th",
        "props": "white-space:nowrap;word-break:keep-all;background:#f4f6f8;text-align:left;"
        "padding:.3em .6em;border:1px solid #d5dbe1;",
    },
    {"selector": "td", "props": "padding:.3em .6em;border:1px solid #e2e6ea;vertical-align:top;text-align:left;"},
    {"selector": "caption", "props": "caption-side:top;text-align:left;font-weight:bold;padding:.2em 0;"},
]


def _label(col: object) -> str:
    s = str(col)
    return COLUMN_LABELS.get(s, s)


def _cell(v: object) -> object:
    if is_missing(v):
        return MISSING
    return v


def _prepared(df: pd.DataFrame, wrap: Iterable[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table as shown (index as a column when it is named, Chinese headers, "—" for missing cells) and the CSS
    rule of each column's cells."""
    t = df.reset_index() if _named_index(df) else df.reset_index(drop=True)
    t.columns = [_label(c) for c in t.columns]
    if t.columns.duplicated().any():
        t = t.loc[:, ~t.columns.duplicated()]
    t = t.astype(object).map(_cell) if len(t) else t.astype(object)
    wrap_cols = [c for c in t.columns if c in WRAP_COLUMNS or c in set(wrap)]
    # Per-column rules (one selector per column, not one per cell: pages stay small). Sentence columns wrap at a
    # readable width; short values (≤ NOWRAP_CHARS) stay on one line; other cells wrap, never below their header.
    per_col = {}
    for c in t.columns:
        longest = max((len(str(v)) for v in t[c].tolist()), default=0)
        if c in wrap_cols:
            props = "min-width:12em;max-width:28em;white-space:normal;overflow-wrap:anywhere;"
        elif longest <= NOWRAP_CHARS:
            props = "white-space:nowrap;"
        else:
            props = f"min-width:{min(len(str(c)), 8) + 1}em;white-space:normal;overflow-wrap:anywhere;"
        per_col[c] = props
    return t, per_col


def styled(df: pd.DataFrame, caption: str | None = None, wrap: Iterable[str] = ()) -> pd.io.formats.style.Styler:
    """``df`` as a designed table (a pandas Styler, displayed by ``display``): index hidden, Chinese headers, no NaN.

    Columns named in ``wrap`` (and the usual sentence columns) wrap at ≥ 14em; every other cell stays on one line.
    :class:`Table` writes the same HTML about twenty times faster; this Styler is its reference (a test compares them).
    """
    t, per_col = _prepared(df, wrap)
    fmt = {c: _fmt_number for c in t.columns}
    st = t.style.hide(axis="index").format(fmt, escape="html", na_rep=MISSING).set_table_styles(TABLE_CSS)
    if len(t.columns):
        st = st.set_table_styles({c: [{"selector": "td", "props": p}] for c, p in per_col.items()}, overwrite=False)
    if caption:
        st = st.set_caption(caption)
    return st


def _css_rules(selector: str, props: str) -> str:
    """One rule as the Styler writes it: ``#T_<id> <selector> {`` + one ``  name: value;`` line per property."""
    lines = []
    for part in props.split(";"):
        if part.strip():
            name, _, value = part.partition(":")
            lines.append(f"  {name.strip()}: {value.strip()};\n")
    return f"{selector} {{\n{''.join(lines)}}}\n"


class Table:
    """A designed table for ``display``: the HTML the :func:`styled` Styler renders (same rules, ids and classes),
    written directly — a Styler's render cost 0.05–0.15 s a table, several per page."""

    def __init__(self, df: pd.DataFrame, caption: str | None = None, wrap: Iterable[str] = ()) -> None:
        self.frame, self.column_css = _prepared(df, wrap)
        self.caption = caption

    def to_html(self, table_id: str | None = None) -> str:
        from uuid import uuid4

        from markupsafe import escape

        uid = f"T_{table_id or uuid4().hex[:5]}"
        t = self.frame
        out = ['<style type="text/css">\n']
        out += [_css_rules(f"#{uid} {rule['selector']}", rule["props"]) for rule in TABLE_CSS]
        out += [_css_rules(f"#{uid} td.col{j}", props) for j, props in enumerate(self.column_css.values())]
        out.append(f'</style>\n<table id="{uid}">\n')
        if self.caption:
            out.append(f"  <caption>{self.caption}</caption>\n")
        out.append("  <thead>\n    <tr>\n")
        out += [
            f'      <th id="{uid}_level0_col{j}" class="col_heading level0 col{j}" >{c}</th>\n'
            for j, c in enumerate(t.columns)
        ]
        out.append("    </tr>\n  </thead>\n  <tbody>\n")
        for i, row in enumerate(t.itertuples(index=False, name=None)):
            out.append("    <tr>\n")
            for j, v in enumerate(row):
                text = MISSING if is_missing(v) else _fmt_number(str(escape(v)) if isinstance(v, str) else v)
                out.append(f'      <td id="{uid}_row{i}_col{j}" class="data row{i} col{j}" >{text}</td>\n')
            out.append("    </tr>\n")
        out.append("  </tbody>\n</table>\n")
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<表格：{len(self.frame)}行 × {len(self.frame.columns)}列>"


def _named_index(df: pd.DataFrame) -> bool:
    """True when the index carries information (it has a name, e.g. 指标), false for a plain 0..n-1 index."""
    return any(n is not None for n in df.index.names)


def _fmt_number(v: object) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int | float) and not isinstance(v, bool):
        from analysis.present.charts.views import fmt_number

        return fmt_number(v)
    return str(v)


def split_by(df: pd.DataFrame, column: str, labels: dict[str, str] | None = None) -> list[tuple[str, pd.DataFrame]]:
    """One part per value of ``column`` (in order of appearance), the column itself dropped: long tables are shown
    whole, one table per area instead of one cut-off table."""
    labels = labels if labels is not None else AREA_LABELS
    parts = []
    for key in dict.fromkeys(df[column].tolist()):
        part = df[df[column] == key].drop(columns=column).reset_index(drop=True)
        parts.append((labels.get(key, str(key)), part))
    return parts


def show(df: pd.DataFrame, caption: str | None = None, wrap: Iterable[str] = (), empty: str = "（无记录）") -> None:
    """Display ``df`` as a designed table (or the ``empty`` sentence when it has no rows)."""
    from IPython.display import Markdown, display

    if df is None or len(df) == 0:
        display(Markdown(empty))
        return
    display(Table(df, caption, wrap))


def show_split(df: pd.DataFrame, column: str, labels: dict[str, str] | None = None, wrap: Iterable[str] = ()) -> None:
    """Display one designed table per value of ``column`` (e.g. per area), each with its label as caption."""
    for label, part in split_by(df, column, labels):
        show(part, caption=label, wrap=wrap)


def state_label(state: object) -> str:
    """'exact' -> '确切' …; missing -> '未报告'."""
    return "未报告" if is_missing(state) else STATE_LABELS.get(str(state), str(state))
