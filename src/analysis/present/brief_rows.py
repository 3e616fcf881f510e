"""The rows of a brief's indicator panel: one area's indicators ranked by importance, with last year's value and
the peer median."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from analysis.present.charts import views
from analysis.present.charts.style import AREA_ORDER

MAX_PANEL_ROWS = 7


@functools.cache
def _core_order() -> tuple[str, ...]:
    from analysis.metrics.config import load_config

    core = load_config()["roles"]["core_outcomes"]
    return tuple(i for a in AREA_ORDER for i in core.get(a, []))


def _fmt(v: float) -> str:
    from analysis.metrics.wording import fmt_num

    return fmt_num(v)


def ranked_rows(
    rows: pd.DataFrame,
    indicators: pd.DataFrame,
    unit_id: str,
    year: int,
    changes: pd.DataFrame | None,
    rates: pd.DataFrame | None,
    peers: list[str],
    min_peers: int = 3,
    max_rows: int = MAX_PANEL_ROWS,
    worsened: set[str] | None = None,
    core_outcomes: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, str]:
    """One area's indicators by importance, never in registry order: reported core outcomes and outcomes that changed
    for real first (a real worsening first, then the largest real change, then the core outcome set's order), the
    core outcomes not reported (their gap is news), the other reported outcomes, then the largest real changes of the rest (outside the neutral band; rates by their change in percentage
    points before counts by their relative change, activities before volume counts), then the other reported ones
    (activities, then volumes; the counts behind a rate already shown — 出台7件 under 报备率100%（7/7）— last).
    Each row carries last year's value (prev_text, rates with their counts), the peer median (peer_text, only with at
    least ``min_peers`` peers reporting) and mark 'worse' on an outcome that got worse for real — ``worsened``, the
    area scores' ids (beyond the band and outside sampling noise), so a row's ▼ always agrees with the headline; by
    default the changes table's 'worse' judgement. ``core_outcomes`` (in order) defaults to config/scoring.yaml
    roles.core_outcomes. A footer names what was left out."""
    df = rows.copy()
    role = indicators["role"] if "role" in indicators.columns else pd.Series(dtype=object)
    df["role"] = df["indicator_id"].map(role).astype(object).fillna("")
    measure_of = indicators["measure"].astype(str) if "measure" in indicators.columns else pd.Series(dtype=str)
    ch = _changes_in(changes, df["indicator_id"])
    mine = ch[(ch["unit_id"] == str(unit_id)) & (ch["year"] == int(year))].drop_duplicates("indicator_id")
    mine = mine.set_index("indicator_id")
    reported = (df["value_state"] != "not_reported").to_numpy()
    size, better = _real_changes(mine, measure_of, df["indicator_id"])
    df["mark"] = [
        "worse" if r == "outcome" and b == "worse" and (worsened is None or i in worsened) else ""
        for i, r, b in zip(df["indicator_id"], df["role"], better, strict=True)
    ]
    core_order = tuple(core_outcomes) if core_outcomes is not None else _core_order()
    keys = _priorities(df, indicators, measure_of, reported, size, set(core_order))
    df["_prio"] = [k[0] for k in keys]
    df["_sub"] = [k[1] for k in keys]
    # value_text already carries the source's own approximation marker (views.value_text / views.source_marker)
    df["_size"] = size
    df["prev_text"] = _prev_texts(df["indicator_id"], indicators, mine, _last_year_rates(rates, unit_id, year))
    df["peer_text"] = _peer_texts(df["indicator_id"], indicators, ch, peers, year, min_peers)
    core_rank = {i: k for k, i in enumerate(core_order)}
    df = df.assign(_core=df["indicator_id"].map(core_rank).fillna(9))
    # inside a tier: worsened/changed first, then the larger change, then the core outcome order, then the registry's
    df = df.sort_values(["_prio", "_sub", "_size", "_core"], ascending=[True, True, False, True], kind="stable")
    shown = df.head(max_rows)
    return shown.reset_index(drop=True), _left_out(df.iloc[max_rows:])


def _changes_in(changes: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame:
    """The changes table's rows of these indicators (an empty table with its columns when there are none)."""
    ch = pd.DataFrame(
        columns=["unit_id", "year", "indicator_id", "value", "prev_value", "delta", "delta_pct", "within_neutral_band",
                 "better"]
    )  # fmt: skip
    if changes is not None and len(changes):
        ch = changes[changes["indicator_id"].isin(ids)]
        ch = ch.astype({"unit_id": str, "indicator_id": str})
    return ch


def _last_year_rates(rates: pd.DataFrame | None, unit_id: str, year: int) -> pd.DataFrame | None:
    if rates is None or not len(rates):
        return None
    rt = rates[(rates["unit_id"].astype(str) == str(unit_id)) & (rates["year"] == int(year) - 1)]
    return rt[rt["rate"].notna()].astype({"indicator_id": str}).set_index("indicator_id")


def _real_changes(mine: pd.DataFrame, measure_of: pd.Series, ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row the size of a real change (outside the neutral band; rates in points, counts relative; -1 when none)
    and its 'better' judgement ('' when not real)."""
    real = mine["prev_value"].notna() & mine["value"].notna() & ~mine["within_neutral_band"].astype(bool)
    is_rate = mine.index.map(lambda i: measure_of.get(i, "") == "%").to_numpy(dtype=bool)
    delta = pd.to_numeric(mine["delta"], errors="coerce").abs()
    rel = pd.to_numeric(mine["delta_pct"], errors="coerce").abs()
    size_s = pd.Series(np.where(is_rate, delta, rel), index=mine.index).where(real)
    size = size_s.reindex(ids).fillna(-1).to_numpy()
    better = mine["better"].astype(str).where(real, "").reindex(ids).fillna("").to_numpy()
    return size, better


def _priorities(
    df: pd.DataFrame, indicators: pd.DataFrame, measure_of: pd.Series, reported: np.ndarray, size: np.ndarray, core: set
) -> list[tuple[int, int]]:
    """(tier, place inside the tier) per row, in the order :func:`ranked_rows` describes."""
    rate_ids = set(measure_of.index[measure_of == "%"])
    counts_of_rates: set[str] = set()
    for col in ("numerator", "denominator"):
        if col in indicators.columns:
            shown_rates = df.loc[reported & df["indicator_id"].isin(rate_ids), "indicator_id"]
            counts_of_rates |= set(indicators[col].reindex(shown_rates).dropna().astype(str))

    def prio(iid: str, r: str, rep: bool, sz: float, mk: str) -> tuple[int, int]:
        if r == "outcome" and rep and (iid in core or mk == "worse" or sz >= 0):
            return 0, (0 if mk == "worse" else 1 if sz >= 0 else 2)
        if iid in core:  # a core outcome not reported: its gap is news, before the other outcomes
            return 1, 0
        if r == "outcome" and rep:
            return 1, 1
        if rep and iid in counts_of_rates:  # already printed inside the rate's own row: 100%（7/7）
            return 3, 2
        if rep and sz >= 0:
            return 2, (0 if iid in rate_ids else 1 if r == "activity" else 2)
        if rep:
            return 3, (0 if r == "activity" else 1)
        return 4, 0

    return [prio(i, r, rep, sz, mk) for i, r, rep, sz, mk in
            zip(df["indicator_id"], df["role"], reported, size, df["mark"], strict=True)]  # fmt: skip


def _prev_texts(ids: pd.Series, indicators: pd.DataFrame, mine: pd.DataFrame, rt: pd.DataFrame | None) -> list[str]:
    """Last year's value per row: a rate with its counts, else the changes table's previous value, else —."""
    prev = []
    for iid in ids:
        measure = indicators.loc[iid, "measure"] if iid in indicators.index else ""
        if rt is not None and iid in rt.index:
            r = rt.loc[iid]
            counts = r["source"] == "computed" and not views.is_missing(r["numerator"])
            prev.append(
                f"{_fmt(r['rate'])}%" + (f"（{_fmt(r['numerator'])}/{_fmt(r['denominator'])}）" if counts else "")
            )
        elif iid in mine.index and not views.is_missing(mine.loc[iid, "prev_value"]):
            prev.append(
                _fmt(mine.loc[iid, "prev_value"])
                + ("" if measure == "%" else str(measure))
                + ("%" if measure == "%" else "")
            )
        else:
            prev.append("—")
    return prev


def _peer_texts(
    ids: pd.Series, indicators: pd.DataFrame, ch: pd.DataFrame, peers: list[str], year: int, min_peers: int
) -> list[str]:
    """The peer median per row, only with at least ``min_peers`` peers reporting (else —)."""
    peer_vals = ch[ch["unit_id"].isin([str(p) for p in peers]) & (ch["year"] == int(year))]
    med = peer_vals.dropna(subset=["value"]).groupby("indicator_id")["value"].agg(["median", "count"])
    return [
        (
            _fmt(med.loc[i, "median"])
            + ("%" if indicators.loc[i, "measure"] == "%" else str(indicators.loc[i, "measure"]))
        )
        if i in med.index and med.loc[i, "count"] >= min_peers
        else "—"
        for i in ids
    ]


def _left_out(left: pd.DataFrame) -> str:
    """The footer naming what was left out of the panel."""
    parts = []
    n_rep = int((left["value_state"] != "not_reported").sum())
    n_miss = int((left["value_state"] == "not_reported").sum())
    if n_rep:
        parts.append(f"另有{n_rep}项已报告指标见证据表")
    if n_miss:
        names = "、".join(left.loc[left["value_state"] == "not_reported", "name_zh"].head(4))
        parts.append(f"另有{n_miss}项未报告（{names}{'等' if n_miss > 4 else ''}）")
    return "；".join(parts)
