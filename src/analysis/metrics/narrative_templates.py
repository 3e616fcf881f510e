"""The narrative's sentence templates (config/narrative.yaml): validation, loading and rendering — a template whose
fields cannot all be filled renders as None, never with a blank or a 0."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from analysis.core import paths
from analysis.metrics.config import SCORED_AREAS, ConfigError, read_config_yaml
from analysis.metrics.wording import blank

NARRATIVE_NAME = "narrative.yaml"
FIELDS = {
    "area", "name", "value", "prev", "target", "score", "prev_score", "delta", "n_core", "n_core_total", "rank",
    "n_peers", "missing", "problem", "unit", "items", "sub", "n_units", "low", "high", "n_below", "min_units",
}  # fmt: skip
REQUIRED_TEMPLATES = (
    "area_score", "area_gated", "area_no_outcome", "change_outcome_worse", "change_outcome_worse_lower",
    "change_score_up", "change_score_down", "change_score_flat", "level_at_target", "level_below_target",
    "level_above_target_lower", "level_plain", "peer_rank", "problem", "gap", "unit_scores", "unit_worse",
    "unit_no_worse", "unit_rank", "unit_problems", "unit_gap", "city_area", "city_worse", "city_gap", "city_problems",
    "balance_spread", "balance_below", "balance_at_target", "balance_few", "balance_none",
)  # fmt: skip


def validate_templates(doc: Any, path: Path | str = "<narrative>") -> dict:
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}：顶层：应为映射")
    tpl = doc.get("templates")
    if not isinstance(tpl, dict):
        raise ConfigError(f"{path}：templates：缺少此项或不是映射")
    for key in REQUIRED_TEMPLATES:
        if key not in tpl:
            raise ConfigError(f"{path}：templates.{key}：缺少此项")
    for key, text in tpl.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{path}：templates.{key}：应为一句非空的话")
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"{path}：templates.{key}：模板格式有误（{exc}）") from exc
        unknown = names - FIELDS
        if unknown:
            raise ConfigError(f"{path}：templates.{key}：未知的字段 {sorted(unknown)}；可用的字段 {sorted(FIELDS)}")
    names = doc.get("area_names") or {}
    for a in SCORED_AREAS:
        if not isinstance(names.get(a), str):
            raise ConfigError(f"{path}：area_names.{a}：缺少此项")
    out = dict(doc)
    out.setdefault("max_sentences", 6)
    out.setdefault("max_levels_per_area", 2)
    out.setdefault("max_problem_chars", 60)
    out["words"] = {"gated": "数据不足", "list_sep": "、", "clause_sep": "；", "more": "等", "points": "分"} | (
        doc.get("words") or {}
    )
    return out


def load_templates(path: str | Path | None = None) -> dict:
    """Read and validate config/narrative.yaml."""
    p = Path(path) if path else paths.config_dir() / NARRATIVE_NAME
    return validate_templates(read_config_yaml(p), p)


def render(templates: dict, key: str, **fields: object) -> str | None:
    """The sentence of template ``key``, or None when a field it uses has no value (never a blank or a 0)."""
    text = templates["templates"][key]
    used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    if any(blank(fields.get(f)) for f in used):
        return None
    return text.format(**{f: fields[f] for f in used})
