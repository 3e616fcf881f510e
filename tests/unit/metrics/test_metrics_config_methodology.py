"""config/scoring.yaml loading (clear errors naming file and key) and the generated methodology page."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.core import paths
from analysis.metrics import ConfigError, compute_all, load_config
from analysis.metrics.methodology import render_methodology
from analysis.registry import validate_indicators
from conftest import config_with_count_goals

CONFIG_FILE = paths.root() / "config" / "scoring.yaml"

REGISTRY = validate_indicators(
    [
        dict(
            id="issued",
            name_zh="出台规范性文件",
            name_en="Documents issued",
            measure="件",
            area="p2_normative_docs",
            direction="neutral",
            framework_item="依法行政制度体系完善",
            keywords=["出台"],
            kind="count",
        ),
        dict(
            id="filed",
            name_zh="规范性文件备案",
            name_en="Documents filed",
            measure="件",
            area="p2_normative_docs",
            direction="higher_better",
            framework_item="依法行政制度体系完善",
            keywords=["备案"],
            kind="count",
        ),
        dict(
            id="filing_rate",
            name_zh="报备率",
            name_en="Filing rate",
            measure="%",
            area="p2_normative_docs",
            direction="higher_better",
            framework_item="依法行政制度体系完善",
            keywords=["报备率"],
            kind="rate",
            numerator="filed",
            denominator="issued",
            target=100,
        ),
        dict(
            id="loss_rate",
            name_zh="行政诉讼败诉率",
            name_en="Litigation loss rate",
            measure="%",
            area="p1_effectiveness",
            direction="lower_better",
            framework_item="社会矛盾纠纷依法有效预防化解",
            keywords=["败诉率"],
            kind="rate",
        ),
        dict(
            id="pop",
            name_zh="常住人口",
            name_en="Population",
            measure="人",
            area="context",
            direction="neutral",
            framework_item="法治政府建设组织领导落实到位",
            keywords=["人口"],
            kind="count",
        ),
    ]
)


def write(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / "scoring.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))


def test_default_config_loads_from_config_dir():
    cfg = load_config()
    assert Path(cfg["_source"]).resolve() == (paths.config_dir() / "scoring.yaml").resolve()
    assert set(cfg["area_weights"]) == {"p1_effectiveness", "p2_normative_docs", "p3_enforcement"}
    assert cfg["ranking"]["min_peers"] >= 2 and cfg["neutral_band"]["rate_pp"] > 0


def test_config_dir_env_moves_the_default(tmp_path, monkeypatch, raw):
    doc = copy.deepcopy(raw)
    doc["ranking"]["min_peers"] = 7
    write(tmp_path, doc)
    monkeypatch.setenv("ANALYSIS_CONFIG", str(tmp_path))
    assert load_config()["ranking"]["min_peers"] == 7


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.pop("ranking"), "ranking"),
        (lambda d: d["area_weights"].pop("p3_enforcement"), "area_weights.p3_enforcement"),
        (lambda d: d["area_weights"].update(p4_other=1), "area_weights.p4_other"),
        (lambda d: d["neutral_band"].update(rate_pp="one"), "neutral_band.rate_pp"),
        (lambda d: d["coverage"].update(min_area_coverage=1.5), "coverage.min_area_coverage"),
        (lambda d: d.update(precedence="report"), "precedence"),
        (
            lambda d: d["normalization"]["rate"].update(lower_better={"floor": 0, "goal": 0}),
            "normalization.rate.lower_better",
        ),
        (
            lambda d: (
                d["indicator_weights"].update(x=-1)
                if d.get("indicator_weights") is not None
                else d.update(indicator_weights={"x": -1})
            ),
            "indicator_weights.x",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, raw, mutate, key):
    doc = copy.deepcopy(raw)
    mutate(doc)
    p = write(tmp_path, doc)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert str(p) in str(exc.value) and key in str(exc.value)


def test_unreadable_config_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match="nope.yaml：文件不存在"):
        load_config(missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("area_weights: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 YAML"):
        load_config(bad)


def test_compute_all_returns_the_contract_tables(raw):
    obs = pd.DataFrame(
        [
            dict(
                unit_id="a",
                unit_name="甲区",
                unit_level="district",
                parent_unit_id="c",
                is_synthetic=True,
                year=2023,
                indicator_id=i,
                value=v,
                measure="",
                value_state="exact",
                approx=False,
                scope="year",
            )
            for i, v in [("issued", 7), ("filed", 7), ("loss_rate", 5.0), ("pop", 1000)]
        ]
    )
    t = compute_all(obs, REGISTRY, raw)  # a raw mapping is validated inside
    contract = {
        "rates": [
            "unit_id",
            "year",
            "indicator_id",
            "numerator_id",
            "denominator_id",
            "numerator",
            "denominator",
            "rate",
            "ci_low",
            "ci_high",
            "approx",
            "source",
            "label",
        ],
        "changes": [
            "unit_id",
            "year",
            "indicator_id",
            "prev_year",
            "prev_value",
            "value",
            "delta",
            "delta_pct",
            "mark",
            "within_neutral_band",
            "better",
            "approx",
        ],
        "normalized": ["unit_id", "year", "indicator_id", "value", "target_or_anchor", "norm", "approx"],
        "area_scores": [
            "unit_id",
            "year",
            "area",
            "score",
            "n_used",
            "n_total",
            "coverage",
            "approx_any",
            "weights_source",
        ],
        "ranks": ["unit_id", "year", "area", "peer_group", "rank", "n_peers", "percentile", "rank_allowed", "reason"],
        "balance": [
            "parent_unit_id",
            "year",
            "indicator_id",
            "n_units",
            "p10",
            "p90",
            "spread_p90_p10",
            "target",
            "n_below_target",
            "units_below_target",
        ],
        "robustness": ["unit_id", "year", "peer_group", "base_rank", "min_rank", "max_rank", "rank_range", "stable"],
    }
    for name, cols in contract.items():
        assert set(cols) <= set(t[name].columns), (name, set(cols) - set(t[name].columns))
    assert set(t["area_scores"]["area"]) == {"p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall"}


def test_methodology_is_generated_from_registry_and_config():
    cfg = config_with_count_goals()
    cfg["indicator_weights"] = {"filed": 2.5}
    md = render_methodology(REGISTRY, cfg)
    assert md.startswith("# 评估方法说明")
    for text in (
        "报备率",
        "filing_rate",
        "filed ÷ issued",
        "依法行政制度体系完善",
        "越低越好",
        "0 → 100 %",
        "50 → 0 %",
        "| 2.5 |",
        "常住人口",
        "不计分",
        "Wilson",
        "64.6%",
        "35.4%",
        "neutral band",
        "少于 3 个",
        "分母小于 10",
        "coverage",
        "not_reported",
        "zero_in_words",
        "27 种组合",
        "约 15% (2018 年)",
        "约 12% (2024 年)",
        "行政诉讼败诉率",
        "config/scoring.yaml",
    ):
        assert text in md, text
    assert "| 件 | 越高越好 |" in md


def test_methodology_follows_config_changes():
    cfg = load_config()
    cfg["neutral_band"]["rate_pp"] = 2.0
    cfg["ranking"]["min_peers"] = 5
    md = render_methodology(REGISTRY, cfg)
    assert "|Δ| < 2 个百分点" in md and "少于 5 个" in md


def test_shipped_config_scores_raw_counts_only_with_a_fixed_anchor():
    """A count says nothing about performance without an anchor fixed in advance (it scales with the district), so
    the shipped config scores the rate and leaves the bare count out, unless per_indicator gives it an anchor."""
    obs = pd.DataFrame(
        {
            "unit_id": "u1",
            "unit_level": "district",
            "parent_unit_id": "city",
            "is_synthetic": False,
            "year": 2023,
            "indicator_id": ["issued", "filed", "filing_rate"],
            "value": [8.0, 7.0, np.nan],
            "measure": ["件", "件", "%"],
            "value_state": ["exact", "exact", "not_reported"],
            "approx": False,
            "scope": "year",
        }
    )
    cfg = load_config()
    assert cfg["normalization"]["count_goal_by_measure"] == {}
    norm = compute_all(obs, REGISTRY, cfg)["normalized"]
    scored = set(norm.loc[norm["norm"].notna(), "indicator_id"].astype(str))
    assert "filing_rate" in scored and "filed" not in scored
    cfg["normalization"]["per_indicator"] = {"filed": {"floor": 0, "goal": 10}}
    norm = compute_all(obs, REGISTRY, cfg)["normalized"]
    filed = norm[norm["indicator_id"].astype(str) == "filed"]
    assert filed["norm"].iloc[0] == pytest.approx(0.7)


def test_extraction_min_confidence_is_read_and_checked(tmp_path) -> None:
    import yaml

    from analysis.core import paths
    from analysis.metrics.config import ConfigError, load_config

    cfg = load_config()
    assert 0 < cfg["extraction"]["min_confidence"] <= 1
    doc = yaml.safe_load((paths.config_dir() / "scoring.yaml").read_text(encoding="utf-8"))
    doc["extraction"] = {"min_confidence": 1.5}
    bad = tmp_path / "scoring.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="extraction.min_confidence"):
        load_config(bad)


def test_old_names_count_goal_by_unit_and_reference_unit_still_read(tmp_path, raw):
    """A scoring.yaml written with the former names (``count_goal_by_unit``, a reference value's ``unit``) reads as
    the current ones; giving both names is refused."""
    doc = copy.deepcopy(raw)
    doc["normalization"].pop("count_goal_by_measure")
    doc["normalization"]["count_goal_by_unit"] = {"件": 5}
    for r in doc["reference_values"]:
        r["unit"] = r.pop("measure")
    cfg = load_config(write(tmp_path, doc))
    assert cfg["normalization"]["count_goal_by_measure"] == {"件": 5.0}
    assert "count_goal_by_unit" not in cfg["normalization"]
    assert [r["measure"] for r in cfg["reference_values"]] == [r["unit"] for r in doc["reference_values"]]
    doc["normalization"]["count_goal_by_measure"] = {"件": 5}
    with pytest.raises(ConfigError, match="count_goal_by_unit 是 count_goal_by_measure 的旧名"):
        load_config(write(tmp_path, doc))
