"""The build stage end to end on the shipped data/raw, in a temporary processed folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from analysis.metrics.pipeline import build
from analysis.tidy.build import hash_tree

pytest.importorskip("analysis.ingest.reports.facts")


@pytest.fixture(scope="module")
def built(tmp_path_factory, repo):
    out = tmp_path_factory.mktemp("processed")
    res = build(raw_dir=repo / "data" / "raw", processed_dir=out)
    return res, out


def test_build_writes_the_tidy_table_with_provenance(built):
    res, out = built
    obs = pd.read_parquet(out / "observations.parquet")
    key = ["unit_id", "year", "indicator_id"]
    assert not obs.duplicated(key).any(), "one row per unit, year and indicator"
    m = obs[(obs.unit_id == "jiaozuo-macun") & (obs.year == 2023)].set_index("indicator_id")
    assert m.at["nd_filed", "value"] == 7 and m.at["nd_filed", "source_kind"] == "report"
    assert "备案7件" in m.at["nd_filed", "evidence"]
    assert m.at["nd_filed", "source_file"].endswith("000_280033b0075f93d2.txt")
    assert m.at["lit_lost", "value"] == 0 and m.at["lit_lost", "value_state"] == "zero_in_words"
    assert m.at["open_info_disclosed", "approx"]
    # a registry indicator the report does not give is NA + not_reported, never 0
    nr = m[m["value_state"] == "not_reported"]
    assert len(nr) > 0 and nr["value"].isna().all()
    assert not m["is_synthetic"].any()
    # 马村区 is real: it has only the year its report covers, no invented years
    assert set(obs.loc[obs.unit_id == "jiaozuo-macun", "year"]) == {2023}


def test_sample_rows_are_marked_synthetic(built):
    _, out = built
    obs = pd.read_parquet(out / "observations.parquet")
    synth = obs[obs["is_synthetic"]]
    assert len(synth) > 0
    assert synth["unit_name"].str.contains("示例").all()
    assert (synth["source_kind"].isin(["sample", ""])).all()


def test_findings_verify_the_seed_arithmetic(built):
    _, out = built
    f = pd.read_parquet(out / "findings.parquet")
    seed = f[f["source_file"].str.contains("000_280033b0075f93d2", na=False)]
    msgs = " | ".join(seed["message"])
    assert "24 + 19 + 31 + 2 = 76，等于" in msgs
    assert "403 + 1125 = 1528，等于" in msgs
    assert "230/236 = 97.46%" in msgs
    bad = seed[(seed["severity"] == "error")]
    assert bad.empty, bad.to_dict("records")


def test_facts_keep_unmapped_numbers_with_evidence(built):
    _, out = built
    facts = pd.read_parquet(out / "facts.parquet")
    assert (facts["indicator_id"] == "unmapped").any() or len(facts) >= 56
    assert facts["evidence"].str.len().gt(0).all()


def test_metrics_tables_exist(built):
    _, out = built
    for name in ("rates", "changes", "area_scores", "ranks", "balance", "robustness"):
        assert (out / "metrics" / f"{name}.parquet").exists(), name


def test_build_never_writes_raw(tmp_path, repo):
    before = hash_tree(repo / "data" / "raw")
    build(raw_dir=repo / "data" / "raw", processed_dir=tmp_path / "p")
    assert hash_tree(repo / "data" / "raw") == before


def test_failed_build_leaves_previous_outputs(tmp_path, repo, monkeypatch):
    from analysis.tidy import output as output_mod

    out = tmp_path / "p"
    build(raw_dir=repo / "data" / "raw", processed_dir=out)
    before = hash_tree(out)
    calls = {"n": 0}
    real = output_mod._to_parquet

    def flaky(df, path):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full (simulated)")
        real(df, path)

    monkeypatch.setattr(output_mod, "_to_parquet", flaky)
    with pytest.raises(OSError, match="simulated"):
        build(raw_dir=repo / "data" / "raw", processed_dir=out)
    assert hash_tree(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".build-staging")]


def test_killed_build_leaves_previous_outputs(tmp_path, repo):
    """Kill a real `python -m analysis build` process midway; the previous outputs stay as they were."""
    out = tmp_path / "p"
    env = {**os.environ, "ANALYSIS_PROCESSED": str(out), "ANALYSIS_RAW": str(repo / "data" / "raw")}
    subprocess.run([sys.executable, "-m", "analysis", "build"], env=env, check=True, capture_output=True)
    before = hash_tree(out)
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build"], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    for line in proc.stderr:
        if "计算指标" in line or time.time() > deadline:  # the progress line before the writes
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the dead build's unfinished version may remain (the next build removes it), but no output was touched
    unfinished = (".build-staging", "versions/.building-")
    assert {k: v for k, v in hash_tree(out).items() if not k.startswith(unfinished)} == before
    subprocess.run([sys.executable, "-m", "analysis", "build"], env=env, check=True, capture_output=True)
    assert not [p for p in out.iterdir() if p.name.startswith(".build-staging")]
    assert not [p for p in (out / "versions").iterdir() if p.name.startswith(".building-")]


def test_dataset_and_report_disagree_both_kept_and_listed(tmp_path, repo):
    """A dataset row for 马村区 2023 that disagrees with the report: both candidates kept, precedence decides, the
    conflict is a finding; flipping the configured precedence flips the chosen value."""
    import shutil

    from analysis.metrics import load_config

    raw = tmp_path / "raw"
    shutil.copytree(repo / "data" / "raw" / "reports", raw / "reports")
    (raw / "datasets").mkdir()
    (raw / "datasets" / "马村区2023.csv").write_text(
        "单位,上级单位,单位类型,年份,出台行政规范性文件（件）[nd_issued],规范性文件备案（件）[nd_filed]\n"
        "马村区,焦作市,区县,2023,9,7\n",
        encoding="gb18030",
    )
    cfg = load_config()
    out = tmp_path / "p1"
    build(raw_dir=raw, processed_dir=out, include_sample=False, config={**cfg, "precedence": ["dataset", "report"]})
    obs = pd.read_parquet(out / "observations.parquet").set_index(["unit_id", "year", "indicator_id"])
    assert obs.loc[("jiaozuo-macun", 2023, "nd_issued"), "value"] == 9
    assert obs.loc[("jiaozuo-macun", 2023, "nd_issued"), "source_kind"] == "dataset"
    allc = pd.read_parquet(out / "observations_all.parquet")
    both = allc[(allc.unit_id == "jiaozuo-macun") & (allc.indicator_id == "nd_issued")]
    assert sorted(both["value"]) == [7, 9]
    conflicts = pd.read_parquet(out / "conflicts.parquet")
    assert set(conflicts["indicator_id"]) == {"nd_issued"}  # nd_filed agrees: no conflict
    f = pd.read_parquet(out / "findings.parquet")
    c = f[f["rule"] == "source_conflict"]
    assert len(c) == 1 and "另有 7（报告" in c.iloc[0]["message"]

    out2 = tmp_path / "p2"
    build(raw_dir=raw, processed_dir=out2, include_sample=False, config={**cfg, "precedence": ["report", "dataset"]})
    obs2 = pd.read_parquet(out2 / "observations.parquet").set_index(["unit_id", "year", "indicator_id"])
    assert obs2.loc[("jiaozuo-macun", 2023, "nd_issued"), "value"] == 7


def test_corrections_ledger_applies_and_survives_rebuilds(tmp_path, repo, monkeypatch):
    ledger = tmp_path / "corrections.csv"
    ledger.write_text(
        "doc_or_source,unit,year,indicator_id,fact_id,action,value,reason,source,date\n"
        "000_280033b0075f93d2,马村区,2023,nd_issued,,override,8,补录漏报的1件,区司法局核实记录（测试用）,2024-03-01\n"
        "000_280033b0075f93d2,马村区,2023,lit_cases,,flag,,待与法院数据核对,测试,2024-03-01\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ANALYSIS_CORRECTIONS", str(ledger))
    for out in (tmp_path / "p1", tmp_path / "p2"):  # every rebuild applies the ledger again
        build(raw_dir=repo / "data" / "raw", processed_dir=out, include_sample=False)
        obs = pd.read_parquet(out / "observations.parquet").set_index(["unit_id", "year", "indicator_id"])
        row = obs.loc[("jiaozuo-macun", 2023, "nd_issued")]
        assert row["value"] == 8 and row["source_kind"] == "correction" and row["original_value"] == 7
        assert "补录漏报" in row["correction"]
        assert obs.loc[("jiaozuo-macun", 2023, "lit_cases"), "value"] == 7  # flagged, kept
        f = pd.read_parquet(out / "findings.parquet")
        applied = f[f["rule"] == "correction_applied"]
        assert set(applied["indicator_id"]) == {"nd_issued", "lit_cases"}
    assert "000_280033b0075f93d2" in ledger.read_text(encoding="utf-8")  # the ledger itself is only read
