"""The tables a notebook shows: values by year or unit, quality findings, rates, balance, comparisons, changes,
problems and conflicts, with Chinese column headers."""

from __future__ import annotations

import pandas as pd

from analysis.present.charts import views
from analysis.present.charts.style import AREA_LABELS, AREA_ORDER
from analysis.present.pages.notebook_context import AREA_IDS, SHORT_AREA_LABELS


def values_by_year(obs: pd.DataFrame, indicators: pd.DataFrame, unit_id: str, years: list[int]) -> pd.DataFrame:
    """Rows indicators (指标), columns years, cells the printed value with its state ('未报告' when missing)."""
    names = views.indicator_names(indicators)
    sel = obs[(obs["unit_id"] == unit_id) & (obs["year"].isin(years))].copy()
    sel["text"] = [
        views.value_text(v, u, s, a)
        for v, u, s, a in zip(sel["value"], sel["measure"], sel["value_state"], sel["approx"], strict=True)
    ]
    wide = sel.pivot_table(index="indicator_id", columns="year", values="text", aggfunc="first").reindex(columns=years)
    wide = wide.fillna("未报告")
    order = [i for i in names if i in wide.index] + sorted(set(wide.index) - set(names))
    wide = wide.loc[order]
    wide.index = [names.get(i, i) for i in wide.index]
    wide.index.name = "指标"
    wide.columns = [f"{y}年" for y in wide.columns]
    return wide


def values_by_unit(
    obs: pd.DataFrame, indicators: pd.DataFrame, units: pd.DataFrame, unit_ids: list[str], year: int, area: str
) -> pd.DataFrame:
    """Rows the area's indicators, columns districts, cells the printed value ('未报告' when missing)."""
    cols = {}
    for uid in unit_ids:
        rows = views.profile_rows(obs, indicators, uid, year, area)
        cols[views.resolve_unit(units, uid)["name"]] = rows.set_index("name_zh")["value_text"]
    df = pd.DataFrame(cols)
    df.index.name = "指标"
    return df


def split_by_synthetic(df: pd.DataFrame, units: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """[('真实数据', rows of real units), ('示例数据（模拟）', rows of fictional units)], empty parts left out.

    Rows without a unit id count as real (document-level findings)."""
    fake = set(units.loc[units["synthetic"].astype(bool), "unit_id"].astype(str))
    is_fake = df["unit_id"].astype("string").fillna("").isin(fake) if "unit_id" in df.columns else False
    parts = [("真实数据", df[~is_fake]), ("示例数据（模拟）", df[is_fake])]
    return [(label, part.reset_index(drop=True)) for label, part in parts if len(part)]


def quality_summary(
    facts: pd.DataFrame, unmapped: pd.DataFrame, findings: pd.DataFrame, conflicts: pd.DataFrame
) -> str:
    """Headline counts of the data-quality notebook."""
    with_ev = int(facts["evidence"].fillna("").astype(str).str.len().gt(0).sum()) if len(facts) else 0
    sev = findings["severity"].value_counts() if len(findings) else pd.Series(dtype=int)
    return (
        f"- 提取事实{len(facts)}条，其中带原文依据{with_ev}条；未匹配到指标{len(unmapped)}条（保留待补充登记）。\n"
        f"- 质量规则发现：错误{int(sev.get('error', 0))}条，警告{int(sev.get('warning', 0))}条，"
        f"提示{int(sev.get('info', 0))}条。\n"
        f"- 来源冲突{len(conflicts)}处（同一区县、年度、指标在不同来源中数值不同，两者都保留）。"
    )


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts per rule and severity (规则, 级别, 条数), most frequent first."""
    if findings.empty:
        return pd.DataFrame(columns=["规则", "级别", "条数"])
    t = findings.groupby(["rule", "severity"]).size().reset_index(name="条数")
    t = t.sort_values("条数", ascending=False).rename(columns={"rule": "规则", "severity": "级别"})
    return t.reset_index(drop=True)


def facts_table(facts: pd.DataFrame) -> pd.DataFrame:
    """Facts for reading: 指标, 原文数字, 数值, 状态, 口径, 层级, 原文句子, 位置, 文件."""
    cols = {
        "indicator_id": "指标",
        "number_text": "原文数字",
        "value": "数值",
        "value_state": "状态",
        "scope": "口径",
        "level": "层级",
        "confidence": "把握度",
        "evidence": "原文句子",
        "locator": "位置",
        "source_file": "文件",
    }
    present = [c for c in cols if c in facts.columns]
    t = facts[present].rename(columns=cols)
    if "状态" in t.columns:
        t["状态"] = [views.STATE_LABELS.get(s, s) for s in t["状态"]]
    if "把握度" in t.columns:
        t["把握度"] = [views.confidence_text(c) for c in t["把握度"]]
    return t.reset_index(drop=True)


def review_rows(facts: pd.DataFrame, ledger: pd.DataFrame | None = None) -> pd.DataFrame:
    """What waits for the analyst's review (``analysis.present.review.review_list``: mapped facts below the confidence
    threshold, unmapped facts with candidate ids, not yet decided in data/corrections.csv), Chinese headers."""
    from analysis.present.review import REVIEW_COLUMNS_ZH, review_list

    t = review_list(facts=facts, ledger=ledger)
    cols = ["source_file", "fact_id", "value", "measure", "indicator_id", "confidence", "candidates", "reason_zh"]
    t = t[[c for c in [*cols, "evidence"] if c in t.columns]].copy()
    if "confidence" in t.columns:
        t["confidence"] = [views.confidence_text(c) for c in t["confidence"]]
    if "source_file" in t.columns:
        t["source_file"] = [views.file_label(f) for f in t["source_file"]]
    return t.rename(columns=REVIEW_COLUMNS_ZH).reset_index(drop=True)


def top_rate_indicators(rates: pd.DataFrame, max_charts: int = 6) -> list[str]:
    """Rate indicators with the most units that have a rate (computed first), at most ``max_charts``."""
    have = rates[rates["rate"].notna()]
    if have.empty:
        return []
    n = have.groupby("indicator_id").size()
    computed = have[have["source"] == "computed"].groupby("indicator_id").size().reindex(n.index, fill_value=0)
    order = sorted(n.index, key=lambda i: (-computed[i], -n[i], i))
    return order[:max_charts]


def rates_table(rates: pd.DataFrame, units: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every rate as read: 指标, 区县, '97.5%（230/236）', 95%区间."""
    names = views.indicator_names(indicators)
    return pd.DataFrame(
        {
            "指标": [names.get(i, i) for i in rates["indicator_id"]],
            "区县": [views.resolve_unit(units, u)["name"] for u in rates["unit_id"]],
            "比率": [
                views.rate_label(r.rate, r.numerator, r.denominator, r.approx, r.source)
                for r in rates.itertuples(index=False)
            ],
            "95%区间": [
                "" if views.is_missing(lo) else f"{float(lo):.1f}–{float(hi):.1f}%"
                for lo, hi in zip(rates["ci_low"], rates["ci_high"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def top_balance_rows(balance: pd.DataFrame) -> pd.DataFrame:
    """Balance rows worth a chart (≥ 2 sub-units), most units below target and widest P10–P90 spread first."""
    b = balance[balance["n_units"] >= 2].copy()
    b["_below"] = b["n_below_target"].astype("Float64").fillna(0)
    b = b.sort_values(["_below", "spread_p90_p10", "n_units"], ascending=False, na_position="last")
    return b.drop(columns="_below").reset_index(drop=True)


def balance_table(balance: pd.DataFrame, units: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Balance rows as read: 区县, 指标, 单位数, P10, P90, 差距, 目标, 低于目标."""
    names = views.indicator_names(indicators)

    def fmt(v: object) -> str:
        return "" if views.is_missing(v) else views.fmt_number(v)

    return pd.DataFrame(
        {
            "区县": [views.resolve_unit(units, u)["name"] for u in balance["parent_unit_id"]],
            "指标": [names.get(i, i) for i in balance["indicator_id"]],
            "单位数": balance["n_units"].to_numpy(),
            "P10": [fmt(v) for v in balance["p10"]],
            "P90": [fmt(v) for v in balance["p90"]],
            "差距": [fmt(v) for v in balance["spread_p90_p10"]],
            "目标": [fmt(v) for v in balance["target"]],
            "低于目标": [fmt(v) for v in balance["n_below_target"]],
        }
    )


def problems_beside_scores(
    problems: pd.DataFrame,
    documents: pd.DataFrame,
    area_scores: pd.DataFrame,
    units: pd.DataFrame,
    unit_ids: list[str],
    year: int,
) -> pd.DataFrame:
    """The 存在问题 lens next to the numbers: per district, which problem areas its own report acknowledges
    (with the count of stated problems) beside its area scores.

    A district without a report text for the year shows "无报告文本": having no report is not the same as
    acknowledging no problem.
    """
    year = int(year)
    filed = documents[(documents["year"] == year) & documents["unit_id"].isin(unit_ids)]
    has_report = set(filed.loc[filed["status"] == "ok", "unit_id"])
    own = problems[(problems["year"] == year) & problems["unit_id"].isin(unit_ids)]
    counts = own.groupby(["unit_id", "area"]).size()
    sc = area_scores[(area_scores["year"] == year) & area_scores["unit_id"].isin(unit_ids)]
    sc = sc.set_index(["unit_id", "area"])["score"]
    rows = []
    for uid in unit_ids:
        row = {"区县": views.resolve_unit(units, uid)["name"]}
        for area in AREA_ORDER:
            label = SHORT_AREA_LABELS.get(area, area)
            score = sc.get((uid, area))
            row[f"{label} 得分"] = "—" if score is None or pd.isna(score) else f"{score:.1f}"
            if uid not in has_report:
                row[f"{label} 自述问题"] = "无报告文本"
            else:
                n = int(counts.get((uid, area), 0))
                row[f"{label} 自述问题"] = f"承认（{n}条）" if n else "未提及"
        other = int(counts.get((uid, "other"), 0)) if uid in has_report else None
        row["其他问题"] = "无报告文本" if other is None else (f"{other}条" if other else "—")
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(
    area_scores: pd.DataFrame,
    ranks: pd.DataFrame,
    robustness: pd.DataFrame,
    units: pd.DataFrame,
    unit_ids: list[str],
    year: int,
) -> pd.DataFrame:
    """One row per district: each area's score with coverage and its rank (only where ranking is allowed), then the
    overall rank and its robustness (the rank range over the weight sets) — robustness belongs to the overall rank,
    so it is shown once per district, beside it, never beside an area score."""
    year = int(year)
    sc = area_scores[(area_scores["year"] == year) & area_scores["unit_id"].isin(unit_ids)].set_index(
        ["unit_id", "area"]
    )
    rk = ranks[(ranks["year"] == year) & ranks["unit_id"].isin(unit_ids)].set_index(["unit_id", "area"])
    rob = robustness[(robustness["year"] == year) & robustness["unit_id"].isin(unit_ids)].drop_duplicates("unit_id")
    rob = rob.set_index("unit_id")
    rows = []
    for uid in unit_ids:
        row: dict[str, str] = {"区县": str(views.resolve_unit(units, uid)["name"])}
        for area in AREA_IDS:
            label = SHORT_AREA_LABELS.get(area, area)
            if (uid, area) not in sc.index or views.is_missing(sc.loc[(uid, area), "score"]):
                row[f"{label}得分"] = "未能计算"
            else:
                r = sc.loc[(uid, area)]
                row[f"{label}得分"] = f"{float(r['score']):.1f}分（覆盖{int(r['n_used'])}/{int(r['n_total'])}项）"
            k = rk.loc[(uid, area)] if (uid, area) in rk.index else None
            if k is not None and bool(k["rank_allowed"]) and not views.is_missing(k["rank"]):
                rank = f"第{int(k['rank'])}/{int(k['n_peers'])}名"
            else:
                rank = "不排名"
            if area == "overall":
                row["综合名次"] = rank
            else:
                row[f"{label}得分"] += f"，{rank}"
        if uid in rob.index and row["综合名次"] != "不排名" and not views.is_missing(rob.loc[uid, "min_rank"]):
            r = rob.loc[uid]
            lo, hi = int(r["min_rank"]), int(r["max_rank"])
            span = f"第{lo}名" if lo == hi else f"第{lo}–{hi}名"
            verdict = "稳定" if bool(r["stable"]) else "不稳定"
            n_sets = r.get("n_weight_sets")
            sets = f"{int(n_sets)}组权重下" if n_sets is not None and not views.is_missing(n_sets) else "不同权重下"
            row["综合名次稳健性"] = f"{verdict}（{sets}{span}）"
        else:
            row["综合名次稳健性"] = "—"
        reasons = sorted({views.zh_reason(rk.loc[(uid, a), "reason"]) for a in AREA_IDS if (uid, a) in rk.index} - {""})
        row["未排名原因"] = "；".join(reasons) if reasons else "—"
        rows.append(row)
    return pd.DataFrame(rows)


CHANGE_VERDICTS = {"better": "改善", "worse": "变差", "neutral": "无实质变化", "na": "无可比数据"}


def changes_table(changes: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Year-over-year changes as read: 指标, 年度, 上年, 本年, 变化 (rates in percentage points, counts in % — or
    the absolute change when last year was 0), 判断. Pairs with nothing to compare are left out (no NaN rows)."""
    names = views.indicator_names(indicators)
    reg = indicators.set_index("id") if "id" in indicators.columns else indicators
    measure_of = reg["measure"].astype(str).to_dict() if "measure" in reg.columns else {}
    ch = changes[changes["prev_value"].notna() & changes["value"].notna()]
    rows = []
    for r in ch.itertuples(index=False):
        measure = measure_of.get(r.indicator_id, "")
        measure = "" if measure in ("nan", "None") else measure
        delta = float(r.delta)
        if measure == "%":
            change = f"{delta:+.1f}个百分点"
        elif not views.is_missing(r.delta_pct):
            change = f"{float(r.delta_pct):+.1f}%（{views.fmt_number(delta) if delta < 0 else '+' + views.fmt_number(delta)}{measure}）"
        else:
            change = f"{'+' if delta >= 0 else ''}{views.fmt_number(delta)}{measure}（上年为0）"
        verdict = "无实质变化" if bool(r.within_neutral_band) else CHANGE_VERDICTS.get(str(r.better), "—")
        rows.append(
            {
                "指标": names.get(r.indicator_id, r.indicator_id),
                "年度": f"{int(r.prev_year)}→{int(r.year)}年",
                "上年": views.fmt_number(r.prev_value) + measure,
                "本年": views.fmt_number(r.value) + measure,
                "变化": change,
                "判断": verdict,
            }
        )
    return pd.DataFrame(rows, columns=["指标", "年度", "上年", "本年", "变化", "判断"])


def problems_rows(problems: pd.DataFrame) -> pd.DataFrame:
    """A report's stated problems for reading: 序号, 领域 (in Chinese), 原文."""
    return pd.DataFrame(
        {
            "序号": problems["problem_no"].to_numpy(),
            "领域": [AREA_LABELS.get(a, "其他") for a in problems["area"]],
            "原文": problems["text"].to_numpy(),
        }
    )


def conflicts_rows(conflicts: pd.DataFrame, units: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Source conflicts in Chinese: 区县, 年度, 指标, 数值, 来源, 位置, 是否采用."""
    names = views.indicator_names(indicators)
    uname = dict(zip(units["unit_id"].astype(str), units["name"].astype(str), strict=False))
    n = len(conflicts)

    def col(name: str) -> list:
        return conflicts[name].tolist() if name in conflicts.columns else [pd.NA] * n

    out = {
        "区县": [uname.get(str(u), str(u)) for u in col("unit_id")],
        "年度": col("year"),
        "指标": [names.get(str(i), str(i)) for i in col("indicator_id")],
        "数值": col("value"),
        "来源": [views.file_label(f) for f in col("source_file")],
        "位置": col("locator"),
    }
    if "chosen" in conflicts.columns:
        out["是否采用"] = ["采用" if bool(c) else "未采用" for c in conflicts["chosen"]]
    extra = [
        c
        for c in conflicts.columns
        if c not in ("unit_id", "year", "indicator_id", "value", "source_file", "locator", "chosen")
    ]
    frame = pd.DataFrame(out)
    for c in extra:  # anything else the conflicts table carries, under its (translated) name
        frame[c] = conflicts[c].to_numpy()
    return frame
