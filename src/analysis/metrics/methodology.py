"""The methodology page (Markdown, Chinese with English terms) generated from the indicator registry and the config.

Everything a reader needs to re-derive a published figure: areas and their indicators (name, unit, direction,
framework item, fixed target/anchor, weight), how rates, Wilson intervals, changes and the neutral band, ranks,
normalisation, coverage and the robustness check work, the minimum-sample rules, the value states, and the reference
values from national statistics (context lines, not targets). The presentation layer turns it into HTML.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.metrics.config import SCORED_AREAS
from analysis.metrics.panel import indicator_meta
from analysis.registry.vocabulary import load_vocabulary

_VOCABULARY = load_vocabulary()  # registry/vocabulary.yaml: area titles, direction and value-state wording
AREA_TITLES = _VOCABULARY.labels("areas", "title")
ROLE_ZH = {"outcome": "结果", "activity": "活动", "volume": "工作量"}
DIRECTION_ZH = _VOCABULARY.labels("directions", "method")
VALUE_STATES = [(s, str(e["method"]), str(e["note"])) for s, e in _VOCABULARY.value_states.items()]


def _shown_path(source: str) -> str:
    """The config path relative to the repository when it lives there (the page is published)."""
    try:
        return Path(source).resolve().relative_to(paths.root()).as_posix()
    except ValueError:
        return Path(source).name


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:g}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _anchor_text(row: pd.Series) -> str:
    if math.isnan(row["goal"]):
        return f"— ({row['anchor_source']})"
    measure = "%" if row["is_rate"] else row["measure"]
    return f"{_num(row['floor'])} → {_num(row['goal'])} {measure} ({row['anchor_source']})"


def indicator_table(indicators: pd.DataFrame, meta: pd.DataFrame, area: str) -> list[str]:
    """Markdown table rows of one area's indicators."""
    ids = meta.index[meta["area"] == area]
    if len(ids) == 0:
        return ["(暂无指标 / no indicator yet)", ""]
    lines = [
        "| 指标 (indicator) | 单位 | 方向 (direction) | 角色 (role) | 示范指标体系一级指标 (framework item) | 计算 | "
        "固定锚点 floor → goal | 权重 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for iid in ids:
        m = meta.loc[iid]
        ind = indicators.loc[iid]
        calc = ""
        if m["is_rate"] and isinstance(m["numerator"], str):
            calc = f"{m['numerator']} ÷ {m['denominator']}"
        elif m["is_rate"]:
            calc = "报告的百分比 (stated %)"
        weight = _num(m["weight"]) if m["scored"] else "不计分"
        lines.append(
            f"| {_cell(ind['name_zh'])} ({_cell(ind['name_en'])}, `{iid}`) | {_cell(m['measure'])} | "
            f"{DIRECTION_ZH[m['direction']]} | {ROLE_ZH.get(m['role'], '—')}{'（核心）' if m['core'] else ''} | "
            f"{_cell(ind['framework_item'])} | {_cell(calc)} | "
            f"{_cell(_anchor_text(m))} | {weight} |"
        )
    lines.append("")
    return lines


def render_methodology(indicators: pd.DataFrame, config: dict) -> str:
    """The methodology page as Markdown, generated from the registry and the (validated) scoring config."""
    if "_source" not in config:
        from analysis.metrics.config import validate_config

        config = validate_config(config)
    out = [
        *_areas_section(indicators, config),
        *_rates_changes_ranks_sections(config["neutral_band"], config["ranking"]),
        *_normalisation_section(config["normalization"]),
        *_scores_section(indicators, config),
        *_balance_section(config["balance"]),
        *_robustness_section(config["robustness"]),
        *_value_states_section(),
        *_references_section(config),
    ]
    return "\n".join(out)


def _areas_section(indicators: pd.DataFrame, config: dict) -> list[str]:
    """1: the areas and their indicators."""
    meta = indicator_meta(indicators, config)
    aw = config["area_weights"]
    out: list[str] = [
        "# 评估方法说明 (Methodology)",
        "",
        f"本页由指标目录 (indicator registry, {len(indicators)} 项指标) 和评分配置 `{_shown_path(config['_source'])}` "
        "自动生成；"
        "数字与报告中使用的完全一致。",
        "",
        "## 1. 三个领域与指标 (areas and indicators)",
        "",
        "三个领域对应马村区 2023 年报告指出的三个问题；每项指标标注其服务的《市县法治政府建设示范指标体系》一级指标。"
        "“固定锚点”是事先确定的标准化端点：floor 得 0 分，goal 得 1 分。",
        "",
    ]
    for area in (*SCORED_AREAS, "context"):
        out += [f"### {AREA_TITLES[area]}", ""]
        if area in aw:
            out += [f"领域权重 (area weight): {_num(aw[area])}", ""]
        out += indicator_table(indicators, meta, area)
    return out


def _rates_changes_ranks_sections(band: dict, rk: dict) -> list[str]:
    """2–4: rates and Wilson intervals, changes and the neutral band, peer ranks and minimum samples."""
    return [
        "## 2. 比率与置信区间 (rates and Wilson intervals)",
        "",
        "- 每个比率都是有名字的分子 ÷ 分母，并注明来源，写作 “97.5% (230/236)”。",
        "- 区间为 Wilson 95% 置信区间 (Wilson score interval, z = 1.96)。例：报备率 7/7 = 100% [64.6%, 100%]；"
        "败诉率 0/7 = 0% [0%, 35.4%] —— 小分母的区间很宽。",
        "- 分母为 0 或缺失时比率为 NA，绝不记为 0 或无穷大；分子大于分母时为 NA 并注明。",
        "- 只有报告百分比、没有分子分母时，保留原值，来源记为 reported，不给区间。分子分母齐全时以计算值为准。",
        "- 任一输入为约数 (approx) 时，比率带约数标记 (≈)。",
        "",
        "## 3. 年度变化与中性区间 (year-over-year change, neutral band)",
        "",
        "- 与上一年 (year − 1) 相比；任一年缺失时标记为 na，不是“零变化”。",
        f"- 中性区间 (neutral band)：比率 |Δ| < {_num(band['rate_pp'])} 个百分点；计数和金额 |Δ| / 上年值 < "
        f"{_num(band['count_rel_pct'])}%。区间内的变化标为 flat，视为“无实质变化”。",
        "- 好转/变差 (better/worse) 依指标方向判断；中性方向的指标不判断好坏。",
        "",
        "## 4. 同级比较与最小样本 (peer ranks and minimum samples)",
        "",
        "- 区县只与同一上级市的区县在同一年比较 (peer group = parent city)；没有上级单位的区县不排名；"
        "街道、部门不参与区县排名。",
        f"- 同组有数值的单位少于 {rk['min_peers']} 个时不排名 (一个区县单独出现时不排名)，并写明原因。",
        f"- 由分子分母计算的比率，分母小于 {_num(rk['min_denominator'])} (或指标目录中该指标的 min_denominator) 时"
        "不排名：Wilson 区间太宽。只报告百分比的比率无法检验分母，照常排名，使用时请注意。",
        "- 名次 1 为最好 (越低越好的指标取最低值)，并列取最小名次；百分位 = 100 × (n − 名次) / (n − 1)，"
        "100 为组内最好，0 为组内最后。",
        "",
    ]


def _normalisation_section(norm: dict) -> list[str]:
    """5: normalisation to fixed anchors."""
    rate_hb, rate_lb = norm["rate"]["higher_better"], norm["rate"]["lower_better"]
    goals = ", ".join(f"{u} {_num(g)}" for u, g in norm["count_goal_by_measure"].items())
    return [
        "## 5. 标准化：固定目标与锚点 (normalisation to fixed anchors)",
        "",
        "- norm = clip((value − floor) / (goal − floor), 0, 1)。锚点事先固定，从不使用本次数据的最小值和最大值，"
        "因此新增或删除一个单位不会改变其他单位的标准化值，今年的分数与明年可比。",
        f"- 比率：越高越好 floor {_num(rate_hb['floor'])}、goal {_num(rate_hb['goal'])}；"
        f"越低越好 floor {_num(rate_lb['floor'])}、goal {_num(rate_lb['goal'])} (例如败诉率 "
        f"{_num(rate_lb['floor'])}% 及以上得 0，0% 得 1)。",
        (
            f"- 计数与金额 (按计量单位的 goal，越高越好 floor 0；越低越好 floor = goal 值、goal 0)：{goals}。"
            "这些是预先给定的整数锚点，有依据时在配置 per_indicator 中逐项调整。"
            if goals
            else "- 计数与金额没有默认锚点：应有多少件、多少次取决于区县规模和工作量，原始计数只展示数值与原文依据，"
            "不折算为分数；只有在配置 per_indicator 中事先固定了锚点的活动计数（见上表）才计分。"
        ),
        "- 优先级：配置 per_indicator > 指标目录 target > 按种类/单位的默认锚点。中性方向和背景指标不标准化、不计分。",
        "",
    ]


def _scores_section(indicators: pd.DataFrame, config: dict) -> list[str]:
    """6: area scores, roles, the coverage gate and the headline rule."""
    cov, roles = config["coverage"], config["roles"]
    return [
        "## 6. 领域得分与覆盖率 (area scores and coverage)",
        "",
        "- 每项指标在指标目录中有角色 (role)：**结果** (outcome：报备率、败诉率、满意率等，领域据此评判)、"
        "**活动** (activity：培训、集中清理、监督检查等已开展的工作)、**工作量** (volume：出台文件数、案件数、"
        "执法人员数等，取决于来了多少工作，不计分)。",
        f"- 领域得分 (0–100) 以结果指标为主：{100 - 100 * roles['activity_share']:g}% × 结果指标 norm 的加权平均 + "
        f"{100 * roles['activity_share']:g}% × 活动指标 norm 的加权平均 (没有活动数值时只用结果指标)；"
        "没有任何结果指标数值时不计分。原因：多开一次培训、多搞一次清理很容易做到，却说明不了文件是否按时备案、"
        "案件是否胜诉；两项活动计数不能压过它们本应改善的结果 (例：报备率从 100%（7/7）降到 88.9%（8/9）、"
        "同时多开一次培训，该领域的标题必须写下降，而不是绿色的上升)。",
        "- 覆盖门槛 (coverage gate)：领域的核心结果指标 (core outcomes，见下) 已报告的项数少于下列最低项数时，"
        "领域不显示分数，写“数据不足”并列出未报告的指标："
        + "；".join(f"{AREA_TITLES[a].split(' (')[0]} 至少 {cov['min_core_outcomes'][a]} 项" for a in SCORED_AREAS)
        + "。",
        "- 核心结果指标 (core outcomes, 配置 roles.core_outcomes)：",
        *[
            f"    - {AREA_TITLES[a].split(' (')[0]}："
            + "、".join(
                f"{indicators.loc[i, 'name_zh']} (`{i}`)" for i in roles["core_outcomes"][a] if i in indicators.index
            )
            for a in SCORED_AREAS
        ],
        "- 标题不与自身数字矛盾 (no headline over a worsened outcome)：领域的任一结果指标较上年变差且超出中性区间"
        "——由分子分母计算的比率还须超出抽样误差 (上年值落在今年 Wilson 95% 区间之外，或今年值落在上年区间之外；"
        "例：8/9 的区间为 56.5%–98.0%，不含 100%)——时，该领域的变化标记一律为 ▼，不会出现 ▲ 或绿色，"
        "标题写出该指标及两年的分子分母。",
        "- 要点 (narrative)：每个区县年度、每个领域和每个市年度的 3–6 句话由规则从上述指标表写出 (不使用语言模型)，"
        "句式模板在 `config/narrative.yaml`，分析人员可以改写；每个数字都来自指标表中的一行并附原文位置；"
        "约数保留原文标记 (80余 仍写 80余)；缺失的数据不会写成空白或 0，而是写“未报告”。",
        "- 领域得分 (不使用角色的自定义指标目录) = 该领域已报告指标 norm 的加权平均 × 100；默认等权，权重见上表和配置。",
        "- 缺失指标不计为 0：它退出平均，同时降低覆盖率 coverage = n_used / n_total。",
        f"- 覆盖率低于 {cov['min_area_coverage']:.0%} 时领域得分为 NA，并写明原因。",
        f"- 总分 = 三个领域得分按领域权重的加权平均；至少需要 {cov['min_areas_overall']} 个领域得分，否则为 NA。",
        "- 得分带 approx_any 标记：任一参与计分的数值为约数。",
        "- 同一单位、年度、指标有多个来源时，按来源优先级取值 (source precedence: "
        + " > ".join(config.get("precedence") or ["correction", "dataset", "report", "sample"])
        + ")；其余候选值保留并列为冲突。",
        "- 只比较全年口径的数据 (comparable scopes: "
        + ", ".join(config["comparable_scopes"])
        + ")；截至某月、累计、上半年等口径的数字不参与比较和计分。",
        "",
    ]


def _balance_section(bal: dict) -> list[str]:
    """7: balance across streets and departments."""
    return [
        "## 7. 均衡度：街道与部门 (P1 balance across streets and departments)",
        "",
        f"- 对每个区县、年度、指标，分别在街道和部门中计算 P{bal['quantiles'][0] * 100:g} 与 "
        f"P{bal['quantiles'][1] * 100:g} (线性插值) 及其差 (spread)；少于 {bal['min_units']} 个单位报告时不计算。",
        "- 列出未达目标的单位：只用明确的目标 (指标目录 target、配置 per_indicator 的 goal、比率默认 100%)；"
        "没有明确目标的计数不列。",
        "",
    ]


def _robustness_section(rob: dict) -> list[str]:
    """8: rank robustness."""
    return [
        "## 8. 排名稳健性 (rank robustness)",
        "",
        f"- 三个领域权重各乘以 (1 − {rob['perturbation']:g}, 1, 1 + {rob['perturbation']:g})，共 27 种组合，"
        "每种组合重算总分和组内名次。",
        f"- 报告每个区县的最好/最差名次；名次极差 ≤ {rob['stable_max_rank_range']} 记为稳定 (stable)。",
        "",
    ]


def _value_states_section() -> list[str]:
    """9: the value states."""
    return [
        "## 9. 数值状态 (value states)",
        "",
        "| 状态 | 中文 | 含义 |",
        "|---|---|---|",
    ] + [f"| `{s}` | {zh} | {desc} |" for s, zh, desc in VALUE_STATES]


def _references_section(config: dict) -> list[str]:
    """10: reference values from national statistics (context lines, not targets)."""
    out = [
        "",
        "## 10. 参考值 (reference values: context lines, not targets)",
        "",
        "以下为全国统计中的参考水平，仅在图表中作为背景线，不作为目标：",
        "",
    ]
    for r in config["reference_values"]:
        en = f" ({r['label_en']})" if r.get("label_en") else ""
        out.append(f"- {r['label_zh']}{en}：约 {_num(float(r['value']))}{r['measure']} ({r['year']} 年)")
    out += [
        "- 报备率、报备及时率、负责人出庭应诉率的期望值为 100%。",
        "",
    ]
    return out
