"""The data dictionary an analyst reads: ``python -m analysis dictionary`` → reports/指标字典.xlsx + 指标字典.html.

One row per registry indicator: id, Chinese and English name, unit, area, role, 口径 (what is counted; numerator and
denominator for rates), target/anchor used in scoring, keywords, and the 示范指标体系 item it serves. Built from the
registry (src/analysis/registry/indicators.yaml) and config/scoring.yaml only; the optional registry fields `role` and
`caliber_zh` are shown when the registry has them.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.io import atomic_path, neutralise_frame, write_text
from analysis.registry.vocabulary import load_vocabulary

AREA_ZH = load_vocabulary().labels("areas")  # registry/vocabulary.yaml
ROLE_ZH = {"outcome": "结果", "activity": "工作量/活动", "volume": "规模"}
DIRECTION_ZH = load_vocabulary().labels("directions")
COLUMNS = [
    ("id", "指标 id"),
    ("name_zh", "中文名称"),
    ("name_en", "英文名称"),
    ("measure", "单位"),
    ("area", "方面"),
    ("role", "角色"),
    ("direction", "方向"),
    ("caliber", "口径"),
    ("anchor", "目标/锚点"),
    ("keywords", "关键词"),
    ("framework_item", "示范指标体系一级指标"),
]


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _caliber(e: pd.Series, names: pd.Series) -> str:
    own = _text(e.get("caliber_zh")).strip()
    parts = [own] if own else []
    num, den = _text(e.get("numerator")), _text(e.get("denominator"))
    if num and den:
        parts.append(f"分子：{names.get(num, num)}（{num}）；分母：{names.get(den, den)}（{den}）")
    elif _text(e.get("base")):
        b = _text(e.get("base"))
        parts.append(f"所针对的数量：{names.get(b, b)}（{b}）")
    if isinstance(e.get("parts"), list) and e.get("parts"):
        parts.append("其中：" + "、".join(names.get(p, p) for p in e["parts"]))
    return "；".join(parts)


def _anchor(iid: str, e: pd.Series, config: dict) -> str:
    from analysis.ingest.datasets import indicator_kind

    norm = config.get("normalization", {}) if isinstance(config, dict) else {}
    per = (norm.get("per_indicator") or {}).get(iid)
    if per:
        return f"下限 {per['floor']:g}（得 0 分），目标 {per['goal']:g}（得满分）（config/scoring.yaml）"
    target = e.get("target")
    if target is not None and not (isinstance(target, float) and pd.isna(target)):
        return f"目标 {float(target):g}{_text(e.get('measure'))}（指标库）"
    if indicator_kind(e) == "rate":
        a = (norm.get("rate") or {}).get(_text(e.get("direction")))
        if a:
            return f"下限 {a['floor']:g}%（得 0 分），目标 {a['goal']:g}%（得满分）（比率默认锚点）"
    return "不评分（无固定锚点，只展示数值和证据）"


def dictionary_table(indicators: pd.DataFrame | None = None, config: dict | None = None) -> pd.DataFrame:
    """The dictionary as a DataFrame with Chinese column headers (RangeIndex)."""
    from analysis.metrics import load_config
    from analysis.registry import load_indicators

    ind = load_indicators() if indicators is None else indicators
    config = load_config() if config is None else config
    names = ind["name_zh"]
    rows = []
    for iid, e in ind.iterrows():
        kw = e.get("keywords")
        rows.append(
            {
                "id": iid,
                "name_zh": e["name_zh"],
                "name_en": e["name_en"],
                "measure": e["measure"],
                "area": AREA_ZH.get(e["area"], e["area"]),
                "role": ROLE_ZH.get(_text(e.get("role")), _text(e.get("role"))),
                "direction": DIRECTION_ZH.get(e["direction"], e["direction"]),
                "caliber": _caliber(e, names),
                "anchor": _anchor(iid, e, config),
                "keywords": "、".join(kw) if isinstance(kw, list) else "",
                "framework_item": e["framework_item"],
            }
        )
    df = pd.DataFrame(rows, columns=[c for c, _ in COLUMNS])
    return df.rename(columns=dict(COLUMNS)).reset_index(drop=True)


def _html(df: pd.DataFrame) -> str:
    from analysis.present.pages.html import html_page

    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    intro = (
        f"<h1>指标字典</h1><p class='muted'>共 {len(df)} 个指标，由指标库和 config/scoring.yaml 生成。"
        "口径说明每个指标数的是什么（比率给出分子和分母）；目标/锚点是评分所用的固定值。"
        "同一内容见 指标字典.xlsx。</p>"
    )
    style = (
        "<style>body{max-width:none;margin:1.5rem}table{font-size:.85em}th{white-space:nowrap;position:sticky;top:0}"
        "td:nth-child(1),td:nth-child(4),td:nth-child(6),td:nth-child(7){white-space:nowrap}"
        "td:nth-child(2),td:nth-child(5){min-width:8em}td:nth-child(3){min-width:12em}"
        "td:nth-child(8),td:nth-child(9),td:nth-child(10){min-width:16em}td:nth-child(11){min-width:10em}</style>"
    )
    return html_page(
        "指标字典", f"{style}{intro}\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )


def write_dictionary(out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write 指标字典.xlsx and 指标字典.html into ``out_dir`` (default reports/); return both paths."""
    out_dir = Path(out_dir) if out_dir else paths.reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    df = dictionary_table()
    xlsx = out_dir / "指标字典.xlsx"
    with atomic_path(xlsx, suffix=".xlsx") as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            neutralise_frame(df).to_excel(xw, sheet_name="指标字典", index=False)
            ws = xw.sheets["指标字典"]
            widths = {"A": 30, "B": 28, "C": 36, "D": 8, "E": 22, "F": 12, "G": 14, "H": 50, "I": 36, "J": 40, "K": 28}
            for col, w in widths.items():
                ws.column_dimensions[col].width = w
            ws.freeze_panes = "C2"
    page = write_text(out_dir / "指标字典.html", _html(df))
    return xlsx, page
