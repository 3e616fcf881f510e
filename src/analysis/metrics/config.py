"""Loading and validating config/scoring.yaml (weights, anchors, neutral band, minimum samples).

A bad config raises ConfigError naming the file and the key; it is never half-applied.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from analysis.core import paths
from analysis.registry.schema import SCORED_AREAS  # registry/vocabulary.yaml: the scored areas in order

CONFIG_NAME = "scoring.yaml"
DEFAULT_MIN_CONFIDENCE = 0.6  # extraction.min_confidence when the config does not set it


class ConfigError(ValueError):
    """The scoring config is malformed; the message names the file and the key."""


def _err(path: Path | str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{path}：{key}：{msg}")


def _number(path: Path | str, key: str, value: Any, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(path, key, f"应为数字，实际是 {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _err(path, key, f"{value!r} 超出范围 [{lo}, {hi}]")
    return float(value)


def _mapping(path: Path | str, key: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise _err(path, key, f"应为映射（key: value），实际是 {type(value).__name__}")
    return value


def _section(cfg: dict, path: Path | str, key: str) -> dict:
    if key not in cfg:
        raise _err(path, key, "缺少此项")
    return _mapping(path, key, cfg[key])


def _anchor(path: Path | str, key: str, value: Any) -> dict[str, float]:
    m = _mapping(path, key, value)
    for k in ("floor", "goal"):
        if k not in m:
            raise _err(path, f"{key}.{k}", "缺少此项")
    floor, goal = _number(path, f"{key}.floor", m["floor"]), _number(path, f"{key}.goal", m["goal"])
    if floor == goal:
        raise _err(path, key, "floor 与 goal 不能相同")
    return {"floor": floor, "goal": goal}


def validate_config(cfg: Any, path: Path | str = "<config>") -> dict:
    """Check every key used by the metrics and return a normalised copy (numbers as float)."""
    cfg = copy.deepcopy(_mapping(path, "top level", cfg))
    _check_weights(cfg, path)
    _check_normalization(cfg, path)
    _check_neutral_band(cfg, path)
    _check_sources(cfg, path)
    _check_ranking(cfg, path)
    _check_coverage(cfg, path)
    _check_roles(cfg, path)
    _check_balance(cfg, path)
    _check_robustness(cfg, path)
    _check_references(cfg, path)
    _check_extraction(cfg, path)
    cfg["_source"] = str(path)
    return cfg


def _check_weights(cfg: dict, path: Path | str) -> None:
    """Check and normalise area_weights and indicator_weights, in place."""
    aw = _section(cfg, path, "area_weights")
    for area in SCORED_AREAS:
        if area not in aw:
            raise _err(path, f"area_weights.{area}", "缺少此项")
    for area, w in aw.items():
        if area not in SCORED_AREAS:
            raise _err(path, f"area_weights.{area}", f"未知的领域（应为 {SCORED_AREAS} 之一）")
        aw[area] = _number(path, f"area_weights.{area}", w, lo=0)
    if sum(aw.values()) <= 0:
        raise _err(path, "area_weights", "权重不能全为 0")
    iw = cfg.get("indicator_weights") or {}
    cfg["indicator_weights"] = {
        k: _number(path, f"indicator_weights.{k}", v, lo=0) for k, v in _mapping(path, "indicator_weights", iw).items()
    }


def _old_name(section: dict, path: Path | str, where: str, old: str, new: str) -> None:
    """Read a key by its former name (the measure word was called ``unit`` before ``unit`` came to mean only an
    administrative unit): ``old`` is moved to ``new`` in place; both at once is refused."""
    if old not in section:
        return
    if new in section:
        raise _err(path, f"{where}.{old}", f"{old} 是 {new} 的旧名，不能与 {new} 同时给出；请只保留 {new}")
    section[new] = section.pop(old)


def _check_normalization(cfg: dict, path: Path | str) -> None:
    """Check and normalise normalization: rate anchors, count goals per measure word, per-indicator anchors, in place."""
    norm = _section(cfg, path, "normalization")
    rate = _mapping(path, "normalization.rate", norm.get("rate"))
    for d in ("higher_better", "lower_better"):
        if d not in rate:
            raise _err(path, f"normalization.rate.{d}", "缺少此项")
        rate[d] = _anchor(path, f"normalization.rate.{d}", rate[d])
    _old_name(norm, path, "normalization", "count_goal_by_unit", "count_goal_by_measure")
    goals = _mapping(path, "normalization.count_goal_by_measure", norm.get("count_goal_by_measure") or {})
    norm["count_goal_by_measure"] = {
        u: _number(path, f"normalization.count_goal_by_measure.{u}", g, lo=0) for u, g in goals.items()
    }
    for u, g in norm["count_goal_by_measure"].items():
        if g == 0:
            raise _err(path, f"normalization.count_goal_by_measure.{u}", "goal 必须大于 0")
    per = _mapping(path, "normalization.per_indicator", norm.get("per_indicator") or {})
    norm["per_indicator"] = {k: _anchor(path, f"normalization.per_indicator.{k}", v) for k, v in per.items()}


def _check_neutral_band(cfg: dict, path: Path | str) -> None:
    """Check and normalise neutral_band, in place."""
    nb = _section(cfg, path, "neutral_band")
    nb["rate_pp"] = _number(path, "neutral_band.rate_pp", nb.get("rate_pp"), lo=0)
    nb["count_rel_pct"] = _number(path, "neutral_band.count_rel_pct", nb.get("count_rel_pct"), lo=0)


def _check_sources(cfg: dict, path: Path | str) -> None:
    """Check and normalise comparable_scopes and precedence, in place."""
    scopes = cfg.get("comparable_scopes", ["year"])
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise _err(path, "comparable_scopes", "应为非空的范围（scope）名称列表")
    cfg["comparable_scopes"] = scopes
    prec = cfg.get("precedence")
    if prec is not None and (not isinstance(prec, list) or not prec or not all(isinstance(x, str) for x in prec)):
        raise _err(path, "precedence", "应为非空的来源类型列表（例如 [correction, dataset, report]）")


def _check_ranking(cfg: dict, path: Path | str) -> None:
    """Check and normalise ranking, in place."""
    rk = _section(cfg, path, "ranking")
    rk["min_peers"] = int(_number(path, "ranking.min_peers", rk.get("min_peers"), lo=1))
    rk["min_denominator"] = _number(path, "ranking.min_denominator", rk.get("min_denominator"), lo=0)


def _check_coverage(cfg: dict, path: Path | str) -> None:
    """Check and normalise coverage, in place."""
    cov = _section(cfg, path, "coverage")
    cov["min_area_coverage"] = _number(path, "coverage.min_area_coverage", cov.get("min_area_coverage"), lo=0, hi=1)
    cov["min_areas_overall"] = int(_number(path, "coverage.min_areas_overall", cov.get("min_areas_overall"), 1, 3))
    mco = _mapping(path, "coverage.min_core_outcomes", cov.get("min_core_outcomes") or {})
    cov["min_core_outcomes"] = {
        a: int(_number(path, f"coverage.min_core_outcomes.{a}", mco.get(a, 1), lo=0)) for a in SCORED_AREAS
    }


def _check_roles(cfg: dict, path: Path | str) -> None:
    """Check and normalise roles: activity share and core outcomes, in place."""
    roles = _section(cfg, path, "roles")
    roles["activity_share"] = _number(path, "roles.activity_share", roles.get("activity_share"), lo=0, hi=0.5)
    core = _mapping(path, "roles.core_outcomes", roles.get("core_outcomes") or {})
    for a, ids in core.items():
        if a not in SCORED_AREAS:
            raise _err(path, f"roles.core_outcomes.{a}", f"未知的领域（应为 {SCORED_AREAS} 之一）")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise _err(path, f"roles.core_outcomes.{a}", "应为指标编号的列表")
    roles["core_outcomes"] = {a: list(core.get(a) or []) for a in SCORED_AREAS}


def _check_balance(cfg: dict, path: Path | str) -> None:
    """Check and normalise balance, in place."""
    bal = _section(cfg, path, "balance")
    levels = bal.get("levels")
    if not isinstance(levels, list) or not levels:
        raise _err(path, "balance.levels", "应为非空的单位层级列表")
    bal["min_units"] = int(_number(path, "balance.min_units", bal.get("min_units"), lo=1))
    q = bal.get("quantiles")
    if not isinstance(q, list) or len(q) != 2:
        raise _err(path, "balance.quantiles", "应为 [低, 高]，例如 [0.1, 0.9]")
    bal["quantiles"] = [_number(path, f"balance.quantiles[{i}]", v, lo=0, hi=1) for i, v in enumerate(q)]
    if bal["quantiles"][0] >= bal["quantiles"][1]:
        raise _err(path, "balance.quantiles", "低分位必须小于高分位")


def _check_robustness(cfg: dict, path: Path | str) -> None:
    """Check and normalise robustness, in place."""
    rob = _section(cfg, path, "robustness")
    rob["perturbation"] = _number(path, "robustness.perturbation", rob.get("perturbation"), lo=0, hi=0.99)
    rob["stable_max_rank_range"] = int(
        _number(path, "robustness.stable_max_rank_range", rob.get("stable_max_rank_range"), lo=0)
    )


def _check_references(cfg: dict, path: Path | str) -> None:
    """Check and normalise reference_values, in place."""
    refs = cfg.get("reference_values") or []
    if not isinstance(refs, list):
        raise _err(path, "reference_values", "应为列表")
    for i, r in enumerate(refs):
        _mapping(path, f"reference_values[{i}]", r)
        _old_name(r, path, f"reference_values[{i}]", "unit", "measure")
        for k in ("label_zh", "value", "measure", "year"):
            if k not in r:
                raise _err(path, f"reference_values[{i}].{k}", "缺少此项")
    cfg["reference_values"] = refs


def _check_extraction(cfg: dict, path: Path | str) -> None:
    """Check and normalise extraction, in place."""
    ext = _mapping(path, "extraction", cfg.get("extraction") or {})
    ext["min_confidence"] = _number(
        path, "extraction.min_confidence", ext.get("min_confidence", DEFAULT_MIN_CONFIDENCE), lo=0, hi=1
    )
    cfg["extraction"] = ext


def read_config_yaml(p: Path) -> object:
    """One config file's YAML; a missing or malformed file is a ConfigError naming it."""
    try:
        return yaml.load(p.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}：文件不存在") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}：不是有效的 YAML：{exc}") from exc


def load_config(path: str | Path | None = None) -> dict:
    """Read and validate config/scoring.yaml (default: analysis.core.paths.config_dir() / 'scoring.yaml')."""
    p = Path(path) if path else paths.config_dir() / CONFIG_NAME
    return validate_config(read_config_yaml(p), p)
