"""Data-quality charts: quality-rule findings and the numbers waiting for review."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.style import (
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)
from analysis.registry.vocabulary import load_vocabulary

# the severities drawn (those with a colour: error, warning, info; passed checks are not), in their order
SEVERITY_COLORS = load_vocabulary().labels("severities", "color")
SEVERITY_LABELS = {s: label for s, label in load_vocabulary().labels("severities").items() if s in SEVERITY_COLORS}


def findings_figure(findings: pd.DataFrame, units: pd.DataFrame, title: str = "质量规则发现") -> Figure:
    """Counts of findings per rule, stacked by severity (error / warning / info; passed checks 'ok' are not drawn)."""
    counts = findings.groupby(["rule", "severity"]).size().unstack(fill_value=0) if len(findings) else pd.DataFrame()
    counts = counts.reindex(columns=[s for s in SEVERITY_COLORS if s in counts.columns])
    counts = counts[counts.sum(axis=1) > 0] if len(counts.columns) else pd.DataFrame()
    if len(counts):
        counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False).index]
    fig = new_figure(8.5, 0.34 * max(len(counts), 1) + 1.6)
    ax = fig.add_subplot()
    ax.set_title(title)
    if counts.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "没有发现问题", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    else:
        left = np.zeros(len(counts))
        ys = np.arange(len(counts))
        for sev in counts.columns:
            vals = counts[sev].to_numpy(dtype=float)
            ax.barh(ys, vals, left=left, color=SEVERITY_COLORS[sev], label=SEVERITY_LABELS[sev], height=0.6)
            left += vals
        for y, total in zip(ys, left, strict=True):
            ax.text(total, y, f" {int(total)}", va="center", fontsize=8.5)
        ax.set_yticks(ys, [views.short(r, 28) for r in counts.index])
        ax.set_ylim(len(counts) - 0.5, -0.5)
        ax.set_xlabel("条数")
        ax.set_xlim(0, left.max() * 1.15)
        ax.legend(loc="lower right")
    ids = findings["unit_id"].dropna().astype(str) if "unit_id" in findings.columns else []
    ids = [u for u in ids if u]
    return finish(
        fig, "质量规则见 analysis.tidy.quality；每条发现含文件与位置，见数据质量笔记本明细", synthetic_flag(ids, units)
    )


def review_counts_figure(items: pd.DataFrame, title: str = "等待审核的数字") -> Figure:
    """Facts waiting for the analyst's review per report: below the confidence threshold vs unmapped with candidates."""
    if len(items):
        kind = np.where(items["indicator_id"] == "unmapped", "未对应，有候选指标", "把握度低于阈值")
        counts = items.assign(kind=kind).groupby(["source_file", "kind"]).size().unstack(fill_value=0)
    else:
        counts = pd.DataFrame()
    fig = new_figure(8.5, 0.34 * max(len(counts), 1) + 1.6)
    ax = fig.add_subplot()
    ax.set_title(title)
    if counts.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "没有等待审核的数字", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    else:
        left = np.zeros(len(counts))
        ys = np.arange(len(counts))
        colors = {"把握度低于阈值": SEVERITY_COLORS["warning"], "未对应，有候选指标": SEVERITY_COLORS["info"]}
        for k in counts.columns:
            vals = counts[k].to_numpy(dtype=float)
            ax.barh(ys, vals, left=left, color=colors.get(k), label=k, height=0.6)
            left += vals
        for y, total in zip(ys, left, strict=True):
            ax.text(total, y, f" {int(total)}", va="center", fontsize=8.5)
        ax.set_yticks(ys, [views.short(str(s), 28) for s in counts.index])
        ax.set_ylim(len(counts) - 0.5, -0.5)
        ax.set_xlabel("个数")
        ax.set_xlim(0, left.max() * 1.15)
        ax.legend(loc="lower right")
    return finish(fig, "决定用 python -m analysis review … 记入 data/corrections.csv", False)
