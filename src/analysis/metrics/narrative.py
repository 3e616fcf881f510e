"""The 要点 narrative: short Chinese sentences written by rules (no language model) from the metrics tables.

For every district-year (each area and the whole unit) and every city-year, 3–6 sentences: the level against the
fixed target, the change against last year with counts (「规范性文件报备率88.9%（8/9），较上年100%（7/7）下降」),
the position among peers only where a rank is allowed, what the report's own 存在问题 says, and the main data gaps
(「报备及时率未报告」), and for P1 the spread of an outcome rate across the district's streets/departments (or that
there is no such sub-unit data). Every number in a sentence is printed from a metrics row (area_scores, rates, changes,
ranks, balance) and the row's evidence locators travel with the sentence; approximate values keep their marker (80余
stays 80余).

Templates are data (config/narrative.yaml); a template whose fields cannot all be filled is skipped, so missing data
never produces a sentence with a blank or a 0.

Output contract (data/processed/metrics/narrative.parquet + .csv): level (district|city), unit_id, year, area ('' =
whole unit, else the area id), seq (order), kind (level|change|balance|peer|problem|gap), sentence, indicator_ids
(';'-joined), evidence (locators ';'-joined).

The templates are read by ``narrative_templates``, numbers printed by ``wording``, the lookups in ``narrative_lookups``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.metrics.config import SCORED_AREAS
from analysis.metrics.narrative_lookups import Lookups
from analysis.metrics.narrative_templates import REQUIRED_TEMPLATES, load_templates, render, validate_templates
from analysis.metrics.wording import approx_marker, blank, count_text, fmt_num, rate_text

__all__ = [
    "NARRATIVE_COLUMNS",
    "REQUIRED_TEMPLATES",
    "approx_marker",
    "build_narrative",
    "count_text",
    "fmt_num",
    "load_templates",
    "rate_text",
    "render",
    "validate_templates",
]

NARRATIVE_COLUMNS = ["level", "unit_id", "year", "area", "seq", "kind", "sentence", "indicator_ids", "evidence"]
SUB_LEVEL_NAMES = {"street": "街道", "department": "部门"}
BALANCE_AREA = "p1_effectiveness"  # the area whose problem is results uneven across streets and departments


def _points(c: Lookups, score: float) -> str:
    """A score as read aloud: 99.6分 (the unit word from narrative.yaml words.points)."""
    return fmt_num(score) + c.t["words"]["points"]


def _problem_words(text: str, limit: int) -> str:
    """The heading clause of a 存在问题 item without its numbering: '(二)规范性文件备案审查有待完善。…' → '…有待完善'."""
    s = re.sub(r"^\s*[(（][一二三四五六七八九十\d]+[)）]\s*|^\s*[一二三四五六七八九十\d]+[、.]\s*", "", str(text))
    head = re.split(r"[。；;]", s, maxsplit=1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _row(level, unit, year, area, kind, sentence, ids, ev):
    return {
        "level": level,
        "unit_id": unit,
        "year": int(year),
        "area": area,
        "kind": kind,
        "sentence": sentence,
        "indicator_ids": ";".join(dict.fromkeys(i for i in ids if i)),
        "evidence": ";".join(dict.fromkeys(e for e in ev if e)),
    }


def _worse_sentence(c: Lookups, u: str, y: int, iid: str) -> tuple[str, list, list] | None:
    cur, prev = c.printed(u, y, iid), c.printed(u, y - 1, iid)
    if cur is None or prev is None:
        return None
    key = "change_outcome_worse_lower" if c.direction.get(iid) == "lower_better" else "change_outcome_worse"
    s = render(c.t, key, name=c.names[iid], value=cur[0], prev=prev[0])
    return (s, cur[1] + prev[1], cur[2] + prev[2]) if s else None


def _balance_sentence(c: Lookups, u: str, y: int) -> tuple[str, str, list, list] | None:
    """P1 balance: the spread of one outcome rate across the district's streets (or departments) — core outcomes
    first, then the widest spread — with how many sub-units miss the fixed target; else why no spread is stated."""
    t = c.t
    rows = c.balance.get((u, y), [])
    sub_all = t["words"]["list_sep"].join(SUB_LEVEL_NAMES.get(lv, lv) for lv in c.sub_levels)
    if not rows:
        return "balance", render(t, "balance_none", sub=sub_all), [], []
    core = c.core.get(BALANCE_AREA, [])
    cand = [
        r for r in rows
        if c.area_of.get(str(r["indicator_id"])) == BALANCE_AREA and c.role.get(str(r["indicator_id"])) == "outcome"
        and c.measure_of.get(str(r["indicator_id"])) == "%" and not blank(r["p10"]) and not blank(r["p90"])
    ]  # fmt: skip
    if not cand:
        present = [lv for lv in c.sub_levels if any(str(r["unit_level"]) == lv for r in rows)]
        sub = t["words"]["list_sep"].join(SUB_LEVEL_NAMES.get(lv, lv) for lv in present) or sub_all
        return "balance", render(t, "balance_few", sub=sub, min_units=str(c.min_units)), [], []
    level_order = {lv: k for k, lv in enumerate(c.sub_levels)}
    cand.sort(key=lambda r: (str(r["indicator_id"]) not in core, -float(r["spread_p90_p10"]),
                             level_order.get(str(r["unit_level"]), 9), str(r["indicator_id"])))  # fmt: skip
    r = cand[0]
    iid = str(r["indicator_id"])
    fields = dict(
        sub=SUB_LEVEL_NAMES.get(str(r["unit_level"]), str(r["unit_level"])), n_units=fmt_num(r["n_units"], 0),
        name=c.names[iid], low=fmt_num(r["p10"]) + "%", high=fmt_num(r["p90"]) + "%",
    )  # fmt: skip
    key = "balance_spread"
    if not blank(r.get("target")) and not blank(r.get("n_below_target")):
        n_below = int(r["n_below_target"])
        fields["target"] = fmt_num(r["target"]) + "%"
        if n_below:
            names = [x.strip() for x in str(r.get("units_below_target") or "").split(",") if x.strip()]
            key, fields["n_below"], fields["items"] = "balance_below", str(n_below), c.join(names, 3)
        else:
            key = "balance_at_target"
    return "balance", render(t, key, **fields), [iid], []


def _area_sentences(c: Lookups, sc: pd.Series, rank: pd.Series | None) -> list[tuple[str, str, list, list]]:
    """(kind, sentence, ids, evidence) for one area of one district-year."""
    u, y, area = str(sc["unit_id"]), int(sc["year"]), str(sc["area"])
    aname = c.t["area_names"][area]
    core = c.core.get(area, [])
    reported = [i for i in core if c.printed(u, y, i) is not None]
    missing = [i for i in core if i not in reported]
    ev_core = [e for i in reported for e in c.printed(u, y, i)[2]]
    out = _score_sentence(c, sc, aname, core, reported, ev_core)
    worse = [w for w in str(sc.get("worsened", "") or "").split(";") if w]
    out += _change_sentences(c, sc, aname, worse, reported, ev_core)
    out += _level_sentences(c, u, y, reported, worse)
    if area == BALANCE_AREA:
        got = _balance_sentence(c, u, y)
        if got and got[1]:
            out.append(got)
    if rank is not None and bool(rank["rank_allowed"]) and not blank(rank["rank"]):
        s = render(c.t, "peer_rank", area=aname, rank=fmt_num(rank["rank"], 0), n_peers=fmt_num(rank["n_peers"], 0))
        out.append(("peer", s, [], []))
    for p in c.problems.get((u, y, area), [])[:1]:
        words = _problem_words(p.text, int(c.t["max_problem_chars"]))
        loc = f"{p.source_file}#chars {int(p.span_start)}-{int(p.span_end)}" if hasattr(p, "span_start") else ""
        out.append(("problem", render(c.t, "problem", problem=words), [], [loc]))
    if missing:
        s = render(c.t, "gap", missing=c.join([c.names[i] for i in missing]))
        out.append(("gap", s, missing, []))
    return _trim([o for o in out if o[1]], int(c.t["max_sentences"]))


def _score_sentence(
    c: Lookups, sc: pd.Series, aname: str, core: list, reported: list, ev_core: list
) -> list[tuple[str, str, list, list]]:
    """The area's score with its core coverage, or why there is none (数据不足, no outcome)."""
    n_core, n_tot = int(sc.get("n_core", len(reported)) or 0), int(sc.get("n_core_total", len(core)) or 0)
    if not blank(sc["score"]):
        s = render(c.t, "area_score", area=aname, score=fmt_num(sc["score"]), n_core=str(n_core),
                   n_core_total=str(n_tot))  # fmt: skip
        return [("level", s, reported, ev_core)]
    if n_tot and n_core < n_tot and "核心" in str(sc.get("reason", "")):
        s = render(c.t, "area_gated", area=aname, n_core=str(n_core), n_core_total=str(n_tot))
        return [("level", s, reported, ev_core)]
    if "结果指标" in str(sc.get("reason", "")):
        return [("level", render(c.t, "area_no_outcome", area=aname), [], [])]
    return []


def _change_sentences(
    c: Lookups, sc: pd.Series, aname: str, worse: list[str], reported: list, ev_core: list
) -> list[tuple[str, str, list, list]]:
    """A worsened outcome names itself with both years; otherwise the score's own change."""
    u, y = str(sc["unit_id"]), int(sc["year"])
    out = []
    for iid in worse[:2]:
        got = _worse_sentence(c, u, y, iid)
        if got:
            out.append(("change", *got))
    if not out and not worse:
        mark = str(sc.get("score_mark", "na"))
        if mark in ("up", "down", "flat") and not blank(sc.get("prev_score")):
            key = {"up": "change_score_up", "down": "change_score_down", "flat": "change_score_flat"}[mark]
            s = render(c.t, key, area=aname, prev_score=fmt_num(sc["prev_score"]),
                       delta=fmt_num(abs(float(sc["score_delta"]))))  # fmt: skip
            out.append(("change", s, reported, ev_core))
    return out


def _level_sentences(c: Lookups, u: str, y: int, reported: list, worse: list[str]) -> list[tuple[str, str, list, list]]:
    """Levels of the core outcomes against the fixed target, below target first, at most max_levels_per_area."""
    levels = []
    for iid in reported:
        if iid in worse:
            continue
        txt, ids, ev = c.printed(u, y, iid)
        goal = c.goal(iid)
        r = c.rate.get((u, y, iid))
        v = float(r.rate) if r is not None else c.value[(u, y, iid)]
        lower = c.direction.get(iid) == "lower_better"
        if goal is None:
            # no fixed target to state: ordered by the distance from the rate's scoring goal (what pulls the
            # score down comes first), the sentence itself states the value alone
            anchor = c.rate_goal.get(c.direction.get(iid, "")) if c.measure_of.get(iid) == "%" else None
            key, gap = "level_plain", (abs(v - float(anchor)) if anchor is not None else 0.0)
        elif (v >= goal and not lower) or (v <= goal and lower):
            key, gap = "level_at_target", 0.0
        else:
            key, gap = ("level_above_target_lower" if lower else "level_below_target"), abs(v - goal)
        target = None if goal is None else (fmt_num(goal) + ("%" if c.measure_of.get(iid) == "%" else ""))
        s = render(c.t, key, name=c.names[iid], value=txt, target=target)
        if s:
            levels.append((gap, s, ids, ev))
    levels.sort(key=lambda t: -t[0])
    return [("level", s, ids, ev) for _, s, ids, ev in levels[: int(c.t["max_levels_per_area"])]]


def _trim(out: list[tuple[str, str, list, list]], maxn: int) -> list[tuple[str, str, list, list]]:
    """Over the block's length the target levels give way first (never the score, change, balance, problem or gap)."""
    while len(out) > maxn:
        lv = [k for k, o in enumerate(out) if o[0] == "level"]
        extra = lv[1:] if lv and lv[0] == 0 else lv
        if not extra:
            break
        del out[extra[-1]]
    return out


def _unit_sentences(c, u, y, scores: pd.DataFrame, ranks: dict) -> list[tuple[str, str, list, list]]:
    out = []
    items = []
    for area in SCORED_AREAS:
        hit = scores[scores["area"] == area]
        if hit.empty:
            continue
        s = hit.iloc[0]
        items.append(c.t["area_names"][area] + (c.t["words"]["gated"] if blank(s["score"]) else _points(c, s["score"])))
    if items:
        out.append(("level", render(c.t, "unit_scores", items=c.t["words"]["clause_sep"].join(items)), [], []))
    worse_items, ids, ev = [], [], []
    for area in SCORED_AREAS:
        hit = scores[scores["area"] == area]
        if hit.empty:
            continue
        for iid in [w for w in str(hit.iloc[0].get("worsened", "") or "").split(";") if w][:2]:
            cur, prev = c.printed(u, y, iid), c.printed(u, y - 1, iid)
            if cur and prev:
                worse_items.append(f"{c.names[iid]}{cur[0]}，上年{prev[0]}")
                ids += cur[1] + prev[1]
                ev += cur[2] + prev[2]
    any_prev = scores["prev_score"].notna().any() if "prev_score" in scores else False
    if worse_items:
        items = c.t["words"]["clause_sep"].join(worse_items[:3])
        out.append(("change", render(c.t, "unit_worse", items=items), ids, ev))
    elif any_prev:
        out.append(("change", render(c.t, "unit_no_worse"), [], []))
    r = ranks.get((u, y, "overall"))
    if r is not None and bool(r["rank_allowed"]) and not blank(r["rank"]):
        s = render(c.t, "unit_rank", rank=fmt_num(r["rank"], 0), n_peers=fmt_num(r["n_peers"], 0))
        out.append(("peer", s, [], []))
    probs = [p for a in SCORED_AREAS for p in c.problems.get((u, y, a), [])]
    if probs:
        words = [_problem_words(p.text, 24) for p in probs]
        locs = [f"{p.source_file}#chars {int(p.span_start)}-{int(p.span_end)}" for p in probs]
        out.append(("problem", render(c.t, "unit_problems", items=c.join(words, 3)), [], locs))
    missing = [i for a in SCORED_AREAS for i in c.core.get(a, []) if c.printed(u, y, i) is None]
    ov = scores[scores["area"] == "overall"]
    if missing and len(ov):
        n_core, n_tot = int(ov.iloc[0]["n_core"]), int(ov.iloc[0]["n_core_total"])
        s = render(
            c.t, "unit_gap", n_core=str(n_core), n_core_total=str(n_tot), missing=c.join([c.names[i] for i in missing])
        )
        out.append(("gap", s, missing, []))
    return [o for o in out if o[1]]


def _city_sentences(
    c, city_name, y, members: list[tuple[str, str]], scores, ranks
) -> list[tuple[str, str, list, list]]:
    """members: (unit_id, name) of the city's districts with data in year y."""
    out = []
    by = {(str(r.unit_id), str(r.area)): r for r in scores.itertuples(index=False)}
    for area in SCORED_AREAS:
        items = []
        for uid, name in members:
            r = by.get((uid, area))
            if r is None:
                continue
            items.append(name + (c.t["words"]["gated"] if blank(r.score) else _points(c, r.score)))
        if items:
            out.append(
                ("level", render(c.t, "city_area", area=c.t["area_names"][area], items=c.join(items, 6)), [], [])
            )
    worse, ids, ev = [], [], []
    for uid, name in members:
        for area in SCORED_AREAS:
            r = by.get((uid, area))
            for iid in [w for w in str(getattr(r, "worsened", "") or "").split(";") if w][:1] if r is not None else []:
                cur, prev = c.printed(uid, y, iid), c.printed(uid, y - 1, iid)
                if cur and prev:
                    worse.append(f"{name}{c.names[iid]}{cur[0]}，上年{prev[0]}")
                    ids += cur[1] + prev[1]
                    ev += cur[2] + prev[2]
    if worse:
        out.append(("change", render(c.t, "city_worse", items=c.t["words"]["clause_sep"].join(worse[:3])), ids, ev))
    gaps = []
    for uid, name in members:
        miss = [c.names[i] for a in SCORED_AREAS for i in c.core.get(a, []) if c.printed(uid, y, i) is None]
        if miss:
            gaps.append((len(miss), f"{name}（{c.join(miss, 2)}）"))
    if gaps:
        gaps.sort(key=lambda t: -t[0])
        out.append(("gap", render(c.t, "city_gap", items=c.join([g for _, g in gaps], 3)), [], []))
    for uid, name in members:
        probs = [p for a in SCORED_AREAS for p in c.problems.get((uid, y, a), [])]
        if probs:
            words = [_problem_words(p.text, 24) for p in probs]
            locs = [f"{p.source_file}#chars {int(p.span_start)}-{int(p.span_end)}" for p in probs]
            out.append(("problem", render(c.t, "city_problems", unit=name, items=c.join(words, 3)), [], locs))
            break  # one district's own words are enough for the city block; each district block has its own
    return [o for o in out if o[1]]


def build_narrative(
    tables: dict[str, pd.DataFrame],
    observations: pd.DataFrame,
    indicators: pd.DataFrame,
    config: dict,
    problems: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    templates: dict | None = None,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The narrative table (NARRATIVE_COLUMNS) for every district-year, its areas, and every city-year.

    ``tables`` are the metrics tables (rates, area_scores, ranks); ``units`` the unit registry frame (unit_id, name,
    level, city) used for the city blocks; ``facts`` (optional) gives the source surface of approximate numbers."""
    t = templates or load_templates()
    c = Lookups(tables, observations, problems, indicators, config, t, facts)
    sc = tables["area_scores"].copy()
    sc["unit_id"] = sc["unit_id"].astype(str)
    sc["area"] = sc["area"].astype(str)
    levels = tables["units"].set_index("unit_id")["unit_level"].astype(str).to_dict() if "units" in tables else {}
    sc = sc[sc["unit_id"].map(lambda x: levels.get(x, "district")) == "district"]
    rk = tables.get("ranks", pd.DataFrame(columns=["unit_id", "year", "area", "rank", "n_peers", "rank_allowed"]))
    ranks = {(str(r["unit_id"]), int(r["year"]), str(r["area"])): r for r in rk.to_dict("records")}
    maxn = int(t["max_sentences"])
    rows: list[dict] = []
    for (u, y), grp in sc.groupby(["unit_id", "year"], sort=True, observed=True):
        u, y = str(u), int(y)
        for k, (kind, s, ids, ev) in enumerate(_unit_sentences(c, u, y, grp, ranks)[:maxn]):
            rows.append(_row("district", u, y, "", kind, s, ids, ev) | {"seq": k})
        for r in grp[grp["area"].isin(SCORED_AREAS)].to_dict("records"):
            r = pd.Series(r)
            got = _area_sentences(c, r, ranks.get((u, y, r["area"])))[:maxn]
            for k, (kind, s, ids, ev) in enumerate(got):
                rows.append(_row("district", u, y, r["area"], kind, s, ids, ev) | {"seq": k})
    if units is not None and len(units) and len(sc):
        ud = units[units["level"] == "district"].set_index("unit_id")
        cities = units[units["level"] == "city"]
        city_id = {str(r.city): str(r.unit_id) for r in cities.itertuples(index=False)}
        sc_city = sc.assign(city=sc["unit_id"].map(ud["city"]), uname=sc["unit_id"].map(ud["name"]))
        sc_city = sc_city[sc_city["city"].notna()]
        for (city, y), grp in sc_city.groupby(["city", "year"], sort=True):
            members = list(dict.fromkeys(zip(grp["unit_id"], grp["uname"].astype(str), strict=False)))
            cid = city_id.get(str(city), str(city))
            for k, (kind, s, ids, ev) in enumerate(_city_sentences(c, city, int(y), members, grp, ranks)[:maxn]):
                rows.append(_row("city", cid, int(y), "", kind, s, ids, ev) | {"seq": k})
    df = pd.DataFrame(rows, columns=NARRATIVE_COLUMNS)
    df["seq"] = df["seq"].astype(np.int64)
    df["year"] = df["year"].astype(np.int64)
    return df[NARRATIVE_COLUMNS]
