"""The few lines of Chinese a notebook prints, as Markdown: introductions, score sentences and the 要点 of the
rule-written narrative. Every interpolated name or sentence is HTML-escaped because notebook outputs are exported to
HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.present.charts import views
from analysis.present.charts.style import AREA_LABELS
from analysis.present.pages.notebook_context import AREA_IDS, Context, esc
from analysis.tidy import load


def synthetic_banner(is_synthetic: bool) -> str:
    """The warning line printed at the top of notebooks about fictional data."""
    if not is_synthetic:
        return ""
    return "> **示例数据（模拟）**：本页数据来自虚构的示例市，仅用于演示方法，不代表任何真实区县。\n\n"


def area_summary(rows: pd.DataFrame, area: str) -> str:
    """'**P2 …**：列出N项指标，已报告k项（约数j项，文字表述为零z项），未报告m项。'"""
    states = rows["value_state"].value_counts()
    n = len(rows)
    rep = n - int(states.get("not_reported", 0))
    extra = []
    if states.get("approx", 0):
        extra.append(f"约数{int(states['approx'])}项")
    if states.get("zero_in_words", 0):
        extra.append(f"文字表述为零{int(states['zero_in_words'])}项")
    tail = f"（{'，'.join(extra)}）" if extra else ""
    return (
        f"**{esc(AREA_LABELS.get(area, area))}**：登记指标{n}项，已报告{rep}项{tail}，"
        f"未报告{int(states.get('not_reported', 0))}项（未报告不等于0）。"
    )


def profile_intro(unit: pd.Series, year: int, obs: pd.DataFrame) -> str:
    """Opening lines of the district profile."""
    sel = obs[(obs["unit_id"] == unit["unit_id"]) & (obs["year"] == int(year))]
    n_rep = int(sel["value"].notna().sum())
    files = views.source_text(sel["source_file"], "")
    text = synthetic_banner(bool(unit["synthetic"]))
    text += f"## {esc(unit['name'])} {int(year)}年 法治政府建设画像\n\n"
    text += f"所属：{esc(unit.get('city'))}，{esc(unit.get('province'))}。本年度共有{n_rep}项指标有数值"
    text += f"，来源：{esc(files.rstrip('；'))}。" if files else "。"
    return text


def score_sentence(area_scores: pd.DataFrame, ranks: pd.DataFrame, unit_id: str, year: int) -> str:
    """One line per area: score, coverage and rank only where ranking is allowed."""
    sc = area_scores[(area_scores["unit_id"] == unit_id) & (area_scores["year"] == int(year))]
    rk = ranks[(ranks["unit_id"] == unit_id) & (ranks["year"] == int(year))]
    lines = []
    for area in AREA_IDS:
        s = sc[sc["area"] == area]
        if s.empty or views.is_missing(s["score"].iloc[0]):
            lines.append(f"- {esc(AREA_LABELS[area])}：得分未能计算（数据不足）")
            continue
        r = s.iloc[0]
        line = f"- {esc(AREA_LABELS[area])}：{float(r['score']):.1f}分（覆盖{int(r['n_used'])}/{int(r['n_total'])}项）"
        k = rk[rk["area"] == area]
        if len(k) and bool(k["rank_allowed"].iloc[0]) and not views.is_missing(k["rank"].iloc[0]):
            line += f"，同组第{int(k['rank'].iloc[0])}/{int(k['n_peers'].iloc[0])}名"
        elif len(k):
            line += f"，不排名（{esc(views.zh_reason(k['reason'].iloc[0]) or '不满足排名条件')}）"
        lines.append(line)
    return "\n".join(lines)


def narrative_table(ctx: Context) -> pd.DataFrame:
    """The narrative table of data/processed (empty with the contract columns when build has not written it)."""
    try:
        return ctx.metric("narrative")
    except load.MissingOutputError:
        from analysis.metrics.narrative import NARRATIVE_COLUMNS

        return pd.DataFrame(columns=NARRATIVE_COLUMNS)


def key_sentences(narrative: pd.DataFrame, unit_id: str, year: int, area: str = "") -> list[str]:
    """The sentences of one block in order (area '' = the whole unit)."""
    n = narrative
    sel = (n["unit_id"].astype(str) == str(unit_id)) & (n["year"] == int(year)) & (n["area"].astype(str) == area)
    return n.loc[sel].sort_values("seq")["sentence"].astype(str).tolist()


def key_points(narrative: pd.DataFrame, unit_id: str, year: int, area: str = "", title: str = "要点") -> str:
    """A 要点 block as Markdown: the block's sentences as a list; says so when there is none."""
    lines = key_sentences(narrative, unit_id, year, area)
    if not lines:
        return f"### {esc(title)}\n\n（本年度暂无可写的要点：数据不足或尚未运行 build。）"
    return f"### {esc(title)}\n\n" + "\n".join(f"- {esc(s)}" for s in lines)


def area_points(narrative: pd.DataFrame, unit_id: str, year: int, area: str) -> str:
    """One area's 要点 of one district-year as a Markdown list (P1 includes the streets/departments spread), to go
    under that area's heading; '' when the area has none."""
    lines = key_sentences(narrative, unit_id, year, area)
    return ("\n\n" + "\n".join(f"- {esc(s)}" for s in lines)) if lines else ""


def _first_and_news(narrative: pd.DataFrame, unit_id: str, year: int, area: str, first: int) -> list[str]:
    """The block's first ``first`` sentences, plus any later change (a worsened outcome) or balance sentence."""
    n = narrative
    sel = (n["unit_id"].astype(str) == str(unit_id)) & (n["year"] == int(year)) & (n["area"].astype(str) == area)
    rows = n.loc[sel].sort_values("seq")
    kinds = rows["kind"].astype(str) if "kind" in rows.columns else pd.Series("", index=rows.index)
    keep = (np.arange(len(rows)) < first) | kinds.isin(["change", "balance"]).to_numpy()
    return rows.loc[keep, "sentence"].astype(str).tolist()


def area_key_points(narrative: pd.DataFrame, districts: pd.DataFrame, year: int, area: str, per_unit: int = 3) -> str:
    """The 要点 of one area across a city's districts: each district's first sentences of that area, and its change
    (worsened outcome) and P1 balance sentences wherever they stand in the block."""
    out = [f"### 要点：{esc(AREA_LABELS.get(area, area))}", ""]
    for d in districts.itertuples(index=False):
        lines = _first_and_news(narrative, d.unit_id, year, area, per_unit)
        if lines:
            out.append(f"- **{esc(d.name)}**：" + "".join(esc(s) for s in lines))
    if len(out) == 2:
        out.append("（本年度暂无可写的要点：数据不足或尚未运行 build。）")
    return "\n".join(out)
