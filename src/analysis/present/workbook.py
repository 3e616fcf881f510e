"""reports/数据汇总.xlsx: one workbook per build for analysts who work in Excel.

Sheets (Chinese headers, header row frozen, auto-filter, readable column widths):
观测值 (every observation with the Chinese indicator name, value, unit, state and evidence), 领域得分, 比率 (rate with
its counts and 95% interval), 较上年变化, 质量发现, and 说明 (what each sheet holds; whether the fictional sample is
included). Every text cell is neutralised against formula injection (analysis.core.io.neutralise_frame): a cell starting
with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers (a negative change stays a negative number).
A value that was not reported stays an empty cell with state 未报告, never 0.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.core.io import atomic_path, neutralise_frame
from analysis.present.charts.style import AREA_LABELS
from analysis.present.charts.views import SCOPE_LABELS, STATE_LABELS
from analysis.registry.vocabulary import load_vocabulary

WORKBOOK_NAME = "数据汇总.xlsx"
# the findings sheet labels error/warning/info; a passed check keeps its id "ok" there (as it always has)
SEVERITY = {k: v for k, v in load_vocabulary().labels("severities").items() if k != "ok"}
BETTER = {"better": "改善", "worse": "变差", "neutral": "无实质变化", "na": "无可比数据"}
MARK = {"up": "上升", "down": "下降", "flat": "持平（中性带内）", "na": "无可比数据"}
SOURCE_KIND = {"report": "报告", "dataset": "数据表", "sample": "示例数据（模拟）"}
RATE_SOURCE = {"computed": "由计数计算", "reported": "报告值"}
RATE_NOTES = {"not reported": "未报告", "stated rate only": "仅有报告的比率值（无计数）", "numerator missing": "缺分子"}


def _b(v: object) -> str:
    return "是" if (not pd.isna(v) and bool(v)) else "否"


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("Float64")


class _Names:
    """How the sheets name things: indicators by their Chinese name, units by name with their 数据性质."""

    def __init__(self, units: pd.DataFrame, ind: pd.DataFrame) -> None:
        self.names = (
            dict(zip(ind["id"].astype(str), ind["name_zh"].astype(str), strict=True))
            if "id" in ind.columns
            else (ind["name_zh"].astype(str).to_dict())
        )
        self.measure_of = ind.set_index("id")["measure"].astype(str).to_dict() if "id" in ind.columns else {}
        self.uname = dict(zip(units["unit_id"].astype(str), units["name"].astype(str), strict=False))
        self.synthetic = set(units.loc[units["synthetic"].astype(bool), "unit_id"].astype(str))

    def unit_cols(self, ids: pd.Series) -> dict[str, object]:
        ids = ids.astype(str)
        return {
            "区县": ids.map(lambda u: self.uname.get(u, u)),
            "数据性质": ids.map(lambda u: "示例（虚构）" if u in self.synthetic else "真实"),
        }


def sheets(processed_dir: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as DataFrames with Chinese headers (before neutralising)."""
    from analysis.tidy import load

    obs = load.load_observations(processed_dir)
    n = _Names(load.load_units(processed_dir), load.load_indicators())
    return {
        "说明": _about_sheet(obs),
        "观测值": _observations_sheet(obs, n),
        "领域得分": _scores_sheet(load.load_metric("area_scores", processed_dir), n),
        "比率": _rates_sheet(load.load_metric("rates", processed_dir), n),
        "较上年变化": _changes_sheet(load.load_metric("changes", processed_dir), n),
        "质量发现": _findings_sheet(load.load_findings(processed_dir), n),
    }


def _observations_sheet(obs: pd.DataFrame, n: _Names) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **n.unit_cols(obs["unit_id"]),
            "单位代码": obs["unit_id"].astype(str),
            "所属城市": obs["city"].astype(str),
            "年度": obs["year"].astype(int),
            "指标": obs["indicator_id"].map(lambda i: n.names.get(str(i), str(i))),
            "指标代码": obs["indicator_id"].astype(str),
            "数值": _num(obs["value"]),
            "单位": obs["measure"].fillna("").astype(str),
            "状态": obs["value_state"].map(lambda s: STATE_LABELS.get(str(s), str(s))),
            "口径": obs["scope"].map(lambda s: SCOPE_LABELS.get(str(s), "") if not pd.isna(s) else ""),
            "来源类型": obs["source_kind"].map(lambda s: SOURCE_KIND.get(str(s), str(s))),
            "来源文件": obs["source_file"].fillna("").astype(str),
            "位置": obs["locator"].fillna("").astype(str),
            "原文依据": obs["evidence"].fillna("").astype(str),
        }
    )


def _scores_sheet(sc: pd.DataFrame, n: _Names) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **n.unit_cols(sc["unit_id"]),
            "年度": sc["year"].astype(int),
            "领域": sc["area"].map(lambda a: AREA_LABELS.get(str(a), str(a))),
            "得分": _num(sc["score"]).round(1),
            "已用指标数": _num(sc["n_used"]),
            "指标总数": _num(sc["n_total"]),
            "覆盖率（%）": (_num(sc["coverage"]) * 100).round(1),
            "含约数": sc["approx_any"].map(_b),
            "说明": sc["reason"].fillna("").astype(str),
        }
    )


def _rates_sheet(rt: pd.DataFrame, n: _Names) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **n.unit_cols(rt["unit_id"]),
            "年度": rt["year"].astype(int),
            "指标": rt["indicator_id"].map(lambda i: n.names.get(str(i), str(i))),
            "比率（%）": _num(rt["rate"]).round(2),
            "分子": _num(rt["numerator"]),
            "分母": _num(rt["denominator"]),
            "分子指标": rt["numerator_id"].map(lambda i: n.names.get(str(i), "" if pd.isna(i) else str(i))),
            "分母指标": rt["denominator_id"].map(lambda i: n.names.get(str(i), "" if pd.isna(i) else str(i))),
            "95%区间下限（%）": _num(rt["ci_low"]).round(2),
            "95%区间上限（%）": _num(rt["ci_high"]).round(2),
            "含约数": rt["approx"].map(_b),
            "来源": rt["source"].map(lambda v: RATE_SOURCE.get(str(v), "" if pd.isna(v) else str(v))),
            "备注": rt["note"].fillna("").astype(str).map(lambda v: RATE_NOTES.get(v, v)),
        }
    )


def _changes_sheet(ch: pd.DataFrame, n: _Names) -> pd.DataFrame:
    is_rate = ch["indicator_id"].map(lambda i: n.measure_of.get(str(i)) == "%")
    c = pd.DataFrame(
        {
            **n.unit_cols(ch["unit_id"]),
            "年度": ch["year"].astype(int),
            "上年": _num(ch["prev_year"]),
            "指标": ch["indicator_id"].map(lambda i: n.names.get(str(i), str(i))),
            "单位": ch["indicator_id"].map(lambda i: n.measure_of.get(str(i), "")),
            "上年数值": _num(ch["prev_value"]),
            "本年数值": _num(ch["value"]),
            "变化（比率为百分点）": _num(ch["delta"]),
            "变化率（%，比率不适用）": _num(ch["delta_pct"]).where(~is_rate.astype(bool)),
            "方向": ch["mark"].map(lambda m: MARK.get(str(m), str(m))),
            "判断": [
                "无实质变化" if bool(w) else BETTER.get(str(b), str(b))
                for w, b in zip(ch["within_neutral_band"], ch["better"], strict=True)
            ],
        }
    )
    return c[c["上年数值"].notna() | c["本年数值"].notna()].reset_index(drop=True)


def _findings_sheet(fd: pd.DataFrame, n: _Names) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "规则": fd["rule"].astype(str),
            "级别": fd["severity"].map(lambda v: SEVERITY.get(str(v), str(v))),
            "区县": fd["unit_id"].map(lambda u: "" if pd.isna(u) else n.uname.get(str(u), str(u))),
            "年度": _num(fd["year"]),
            "指标": fd["indicator_id"].map(lambda i: "" if pd.isna(i) else n.names.get(str(i), str(i))),
            "说明": fd["message"].fillna("").astype(str),
            "文件": fd["source_file"].fillna("").astype(str),
            "位置": fd["locator"].fillna("").astype(str),
            "详情": fd["detail"].fillna("").astype(str),
        }
    )


def _about_sheet(obs: pd.DataFrame) -> pd.DataFrame:
    has_sample = bool(obs["is_synthetic"].astype(bool).any()) if "is_synthetic" in obs.columns else False
    return pd.DataFrame(
        {
            "工作表": ["观测值", "领域得分", "比率", "较上年变化", "质量发现", "示例数据"],
            "内容": [
                "每个单位、年度、指标一行；“未报告”的数值为空，不等于0；原文依据与位置可追溯到来源文件",
                "三个问题领域与综合得分（0–100，按固定目标/锚点标准化），覆盖率=有数据指标/全部指标",
                "比率及其分子、分母与95%置信区间（Wilson）",
                "较上年变化：比率为百分点，其他指标为变化率；中性带内记为无实质变化",
                "数据质量规则的发现（规则、级别、文件与位置）",
                "已包含虚构的示例市数据（“数据性质”列标为示例），仅用于演示"
                if has_sample
                else "未包含示例数据，只有真实数据",
            ],
        }
    )


def write_workbook(processed_dir: str | os.PathLike | None, target: str | os.PathLike) -> Path:
    """Write the workbook atomically (header row frozen, filters on, columns sized to their labels).

    Written with xlsxwriter, a column at a time: numbers as numbers (a missing value is an empty cell), text as text
    (never read as a formula, a number or a link: every text cell is also neutralised first)."""
    import xlsxwriter

    target = Path(target)
    with atomic_path(target, suffix=".xlsx") as tmp:
        options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
        book = xlsxwriter.Workbook(str(tmp), options)
        header = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
        for name, df in sheets(processed_dir).items():
            _write_sheet(book.add_worksheet(name), neutralise_frame(df), header)
        book.close()
    return target


def _write_sheet(ws, safe: pd.DataFrame, header) -> None:
    import numpy as np

    for j, col in enumerate(safe.columns):
        ws.write_string(0, j, str(col), header)
        s = safe[col]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            for i in np.flatnonzero(~np.isnan(values)).tolist():
                ws.write_number(i + 1, j, values[i])
        else:
            for i, v in enumerate(s.tolist()):
                if isinstance(v, str):
                    if v:
                        ws.write_string(i + 1, j, v)
                elif v is not None and not pd.isna(v):
                    ws.write(i + 1, j, v if isinstance(v, bool | int | float) else str(v))
        longest = max((len(str(v)) for v in s.head(200).tolist() if not pd.isna(v)), default=0)
        width = max(len(str(col)) * 2 + 2, min(longest + 2, 60))
        ws.set_column(j, j, min(width, 60))
    ws.freeze_panes(1, 0)
    if len(safe):
        ws.autofilter(0, 0, len(safe), len(safe.columns) - 1)
