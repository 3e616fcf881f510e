"""The analyst review loop end to end on a tiny report: list → decide → build applies → original kept; bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.metrics import load_config
from analysis.metrics.pipeline import build

REPORT = (
    "马村区关于2024年度法治政府建设工作情况的报告\n\n"
    "现将马村区2024年度法治政府建设工作情况报告如下。\n"
    "全年审结28件，结案率100%。\n"
    "全年共开展执法监督检查12次，检查单位20家。\n"
)


@pytest.fixture
def tree(tmp_path: Path, repo: Path, monkeypatch) -> dict:
    raw = tmp_path / "raw" / "reports" / "马村区" / "2024"
    raw.mkdir(parents=True)
    (raw / "r2024.txt").write_text(REPORT, encoding="utf-8")
    cfg_dir = tmp_path / "config"
    shutil.copytree(repo / "config", cfg_dir)
    scoring = yaml.safe_load((cfg_dir / "scoring.yaml").read_text(encoding="utf-8"))
    scoring.setdefault("extraction", {})["min_confidence"] = (
        0.75  # the 检查单位 figure (0.7, borrowed) waits for review
    )
    (cfg_dir / "scoring.yaml").write_text(yaml.safe_dump(scoring, allow_unicode=True), encoding="utf-8")
    ledger = tmp_path / "corrections.csv"
    ledger.write_text(
        "doc_or_source,unit,year,indicator_id,fact_id,action,value,reason,source,date\n", encoding="utf-8"
    )
    env = {
        "ANALYSIS_RAW": str(tmp_path / "raw"),
        "ANALYSIS_PROCESSED": str(tmp_path / "processed"),
        "ANALYSIS_CONFIG": str(cfg_dir),
        "ANALYSIS_CORRECTIONS": str(ledger),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return {
        "env": {**os.environ, **env},
        "ledger": ledger,
        "processed": tmp_path / "processed",
        "raw": tmp_path / "raw",
    }


def _build(tree: dict) -> None:
    build(raw_dir=tree["raw"], processed_dir=tree["processed"], include_sample=False, config=load_config())


def _cli(tree: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "review", *args],
        capture_output=True,
        text=True,
        env=tree["env"],
        timeout=120,
    )


def test_review_list_decide_build_applies_and_keeps_the_original(tree: dict) -> None:
    _build(tree)
    facts = pd.read_parquet(tree["processed"] / "facts.parquet")
    low = facts[(facts.indicator_id == "enf_supervision_units") & (facts.value == 20)].iloc[0]
    rate = facts[(facts.indicator_id == "unmapped") & (facts.value == 28)].iloc[0]  # 审结: 复议 or 诉讼?
    pct = facts[(facts.indicator_id == "unmapped") & (facts.value == 100)].iloc[0]  # 结案率: 复议 or 诉讼?
    assert pct.candidates == "rec_closure_rate;lit_closure_rate"
    obs = pd.read_parquet(tree["processed"] / "observations.parquet")
    got = obs[obs.unit_id == "jiaozuo-macun"].set_index("indicator_id")["value"]
    assert pd.isna(got.get("enf_supervision_units"))  # below the threshold: not an observation …
    assert got["enf_inspections"] == 12
    findings = pd.read_parquet(tree["processed"] / "findings.parquet")
    assert "fact_needs_review" in set(findings.rule)  # … but listed, never silently dropped

    r = _cli(tree, "--district", "马村区", "--year", "2024")
    assert r.returncode == 0, r.stderr
    assert low.fact_id in r.stdout and rate.fact_id in r.stdout
    assert "检查单位20家" in r.stdout and "rec_concluded" in r.stdout and "lit_concluded" in r.stdout

    before = tree["ledger"].read_text(encoding="utf-8")
    for bad, msg in (
        (("map", rate.fact_id, "rec_conclude", "--reason", "x"), "未知的指标编号"),
        (("map", "nosuch:1", "rec_closure_rate", "--reason", "x"), "未知的数字编号"),
        (("scope", low.fact_id, "yearly", "--reason", "x"), "未知的范围"),
        (("map", rate.fact_id, "rec_closure_rate", "--reason", "x"), "单位"),
    ):
        r = _cli(tree, *bad)
        assert r.returncode == 2 and msg in r.stderr, (bad, r.stderr)
        assert "Traceback" not in r.stderr
    assert "您是否要找：rec_concluded" in _cli(tree, "map", rate.fact_id, "rec_conclude", "--reason", "x").stderr
    assert tree["ledger"].read_text(encoding="utf-8") == before  # nothing written

    r = _cli(tree, "map", rate.fact_id, "rec_concluded", "--reason", "复议段落的审结数", "--date", "2026-12-01")
    assert r.returncode == 0, r.stderr
    assert _cli(tree, "confirm", low.fact_id, "--reason", "检查单位20家无误").returncode == 0
    assert _cli(tree, "map", pct.fact_id, "rec_closure_rate", "--reason", "复议段落的结案率").returncode == 0
    r = _cli(tree, "confirm", low.fact_id, "--reason", "again")
    assert r.returncode == 2 and "已有 confirm 决定" in r.stderr
    text = tree["ledger"].read_text(encoding="utf-8")
    assert f"{rate.fact_id},map,rec_concluded,复议段落的审结数,分析员审核,2026-12-01" in text

    _build(tree)
    facts = pd.read_parquet(tree["processed"] / "facts.parquet").set_index("fact_id")
    assert facts.loc[rate.fact_id, "indicator_id"] == "rec_concluded"
    assert facts.loc[rate.fact_id, "original_indicator_id"] == "unmapped"
    assert facts.loc[low.fact_id, "confidence"] == 1.0
    assert facts.loc[low.fact_id, "original_confidence"] == pytest.approx(low.confidence)
    obs = pd.read_parquet(tree["processed"] / "observations.parquet")
    got = obs[obs.unit_id == "jiaozuo-macun"].set_index("indicator_id")["value"]
    assert got["rec_concluded"] == 28 and got["enf_supervision_units"] == 20
    r = _cli(tree)
    assert r.returncode == 0 and "没有等待审核的数字" in r.stdout


def test_drop_and_scope_keep_the_fact_out_of_observations(tree: dict) -> None:
    _build(tree)
    facts = pd.read_parquet(tree["processed"] / "facts.parquet")
    insp = facts[facts.indicator_id == "enf_inspections"].iloc[0]
    assert _cli(tree, "scope", insp.fact_id, "target", "--reason", "是计划数").returncode == 0
    _build(tree)
    obs = pd.read_parquet(tree["processed"] / "observations.parquet")
    assert pd.isna(obs[obs.unit_id == "jiaozuo-macun"].set_index("indicator_id")["value"].get("enf_inspections"))
    facts = pd.read_parquet(tree["processed"] / "facts.parquet").set_index("fact_id")
    assert facts.loc[insp.fact_id, "scope"] == "target" and facts.loc[insp.fact_id, "original_scope"] == "year"


def test_bad_district_and_missing_build_are_clear_errors(tree: dict) -> None:
    r = _cli(tree)
    assert r.returncode == 2 and "请先运行 python -m analysis build" in r.stderr
    _build(tree)
    r = _cli(tree, "--district", "马材区")
    assert r.returncode == 2 and "未知的区县" in r.stderr and "马村区" in r.stderr


def test_data_quality_review_rows_list_what_waits() -> None:
    """The data-quality page's review list: a low-confidence mapped fact and an unmapped fact with candidates wait,
    a confident fact, an unmapped fact without candidates and a target do not; headers are Chinese."""
    from analysis.present.pages import notebook as nb
    from analysis.tidy.corrections import load_ledger

    facts = pd.DataFrame(
        {
            "source_file": ["r.txt"] * 5,
            "fact_id": ["d:1", "d:2", "d:3", "d:4", "d:5"],
            "span_start": [1, 2, 3, 4, 5],
            "indicator_id": ["rec_accepted", "rec_concluded", "unmapped", "unmapped", "unmapped"],
            "value": [10.0, 8.0, 28.0, 5.0, 3.0],
            "measure": ["件"] * 5,
            "scope": ["year", "year", "year", "year", "target"],
            "level": ["own"] * 5,
            "confidence": [0.9, 0.5, 0.0, 0.0, 0.0],
            "rule": ["keyword", "earlier_clause+context", "ambiguous", "no_keyword", "target"],
            "candidates": ["", "", "rec_concluded;lit_concluded", "", "rec_accepted"],
            "evidence": ["s1", "s2", "s3", "s4", "s5"],
        }
    )
    empty = load_ledger(Path("/nonexistent/corrections.csv"))
    t = nb.review_rows(facts, ledger=empty)
    assert t["数字编号"].tolist() == ["d:2", "d:3"]
    assert t["把握度"].tolist() == ["0.50", "0.00"] and t["候选指标"].tolist()[1] == "rec_concluded;lit_concluded"
    assert "原文句子" in t.columns and "等待原因" in t.columns
