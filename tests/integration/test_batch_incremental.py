"""Incremental to the last file (issue 11): a change to one district's dataset row reruns exactly that district's
runs, its city's comparison and area pages and their briefs — and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.batch import manifest
from analysis.batch.plan import plan_runs
from analysis.metrics.pipeline import build

HEADER = "单位,上级单位,单位类型,年份,部署法治重点工作（项）[gov_key_tasks_deployed],执法人员（人）[enf_officers]\n"


def _dataset(path: Path, jiefang_officers: int) -> None:
    path.write_text(HEADER + f"解放区,,区县,2023,12,{jiefang_officers}\n中站区,,区县,2023,9,80\n", encoding="utf-8")


def _brief_keys(processed: Path) -> dict[str, str]:
    """Per district (latest year) the key of its brief, and per city the key of the city PDF (as build_briefs
    computes them), without drawing anything."""
    from analysis.present import briefs
    from analysis.tidy import load

    obs, units = load.load_observations(processed), load.load_units(processed)
    tables = {n: load.load_metric(n, processed) for n in ("area_scores", "ranks", "rates", "changes", "narrative")}
    ind = load.load_indicators()
    districts = units[(units["level"] == "district") & units["unit_id"].isin(obs["unit_id"])]
    years = briefs.latest_years(obs, districts["unit_id"].tolist())
    out = {}
    for unit in districts.itertuples(index=False):
        content = briefs.brief_inputs(
            unit.unit_id, years[unit.unit_id], obs, ind, units, tables["area_scores"], tables["ranks"], 1.0,
            tables["rates"], tables["narrative"], tables["changes"],
        )  # fmt: skip
        out[unit.name] = briefs.content_key(content)
    return out


@pytest.fixture
def two_builds(repo, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(repo / "data" / "raw", raw)
    (raw / "datasets").mkdir(exist_ok=True)
    data = raw / "datasets" / "区县指标2023.csv"
    out = {}
    for label, officers in (("before", 120), ("after", 126)):  # one cell of 解放区's row (P3 执法人员)
        _dataset(data, officers)
        processed = tmp_path / f"processed-{label}"
        build(raw_dir=raw, processed_dir=processed, include_sample=False)
        out[label] = processed
    return out


def _fingerprints(notebooks: Path, processed: Path) -> dict[str, str]:
    env = {"registry": "r", "config": "c", "code": "k"}
    hashes: dict[str, str] = {}
    return {
        s.run_id: manifest.fingerprint(manifest.run_inputs(s, env, hashes)) for s in plan_runs(notebooks, processed)
    }


def test_one_district_row_reruns_only_its_runs_its_city_pages_and_their_briefs(repo, two_builds):
    notebooks = repo / "notebooks"
    before = _fingerprints(notebooks, two_builds["before"])
    after = _fingerprints(notebooks, two_builds["after"])
    assert before.keys() == after.keys()
    assert "district_profile/马村区_2023" in before and "district_profile/中站区_2023" in before
    changed = sorted(r for r in before if before[r] != after[r])
    assert changed == sorted(
        [
            "district_profile/解放区_2023",
            "trends/解放区",
            "district_comparison/焦作市_2023",
            "area_deep_dive/焦作市_2023_p1_effectiveness",
            "area_deep_dive/焦作市_2023_p2_normative_docs",
            "area_deep_dive/焦作市_2023_p3_enforcement",
        ]
    )
    kb, ka = _brief_keys(two_builds["before"]), _brief_keys(two_builds["after"])
    assert kb.keys() == ka.keys() >= {"解放区", "中站区", "马村区"}
    assert sorted(d for d in kb if kb[d] != ka[d]) == ["解放区"]  # the city PDF follows its changed page


def test_unchanged_data_keeps_every_fingerprint(repo, two_builds, tmp_path):
    """Building the same inputs again gives the same fingerprints (row order and build time do not count)."""
    again = tmp_path / "processed-again"
    raw = tmp_path / "raw"
    build(raw_dir=raw, processed_dir=again, include_sample=False)
    assert _fingerprints(repo / "notebooks", again) == _fingerprints(repo / "notebooks", two_builds["after"])
    assert _brief_keys(again) == _brief_keys(two_builds["after"])


def test_editing_the_corrections_ledger_reruns_the_review_run_and_nothing_else(repo, two_builds, tmp_path, monkeypatch):
    """data/corrections.csv lies outside data/processed: the runs that read it (runs.yaml ``also_reads``) hash it
    at every batch, so a ledger edit reruns the review run — and no run that does not read the ledger."""
    ledger = tmp_path / "corrections.csv"
    ledger.write_text((repo / "data" / "corrections.csv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("ANALYSIS_CORRECTIONS", str(ledger))
    notebooks, processed = repo / "notebooks", two_builds["after"]
    before = _fingerprints(notebooks, processed)
    assert _fingerprints(notebooks, processed) == before  # nothing edited: nothing reruns
    with ledger.open("a", encoding="utf-8") as f:
        f.write("马村区2023.txt,马村区,2023,gov_key_tasks_deployed,r:1,confirm,,核对原文,分析员,2024-03-02\n")
    after = _fingerprints(notebooks, processed)
    assert before.keys() == after.keys()
    assert sorted(r for r in before if before[r] != after[r]) == ["review/all"]
    ledger.unlink()  # a removed ledger counts as a change too
    assert _fingerprints(notebooks, processed)["review/all"] not in (before["review/all"], after["review/all"])


def test_output_folders_of_runs_no_longer_planned_are_removed(tmp_path):
    from analysis.batch.plan import RunSpec
    from analysis.batch.runner import remove_unplanned

    reports = tmp_path / "reports"
    for slug in ("甲区_2023", "乙区_2023"):
        (reports / "profile" / slug).mkdir(parents=True)
        (reports / "profile" / slug / "run.json").write_text("{}", encoding="utf-8")
    (reports / "profile" / "notes").mkdir()  # not a run folder: left alone
    (reports / "gone" / "all").mkdir(parents=True)  # a notebook that no longer exists, recorded in the manifest
    previous = {"runs": [{"run_id": "gone/all", "notebook": "gone", "output_dir": str(reports / "gone" / "all")}]}
    keep = RunSpec("profile", "profile.ipynb", {"district": "甲区", "year": 2023}, "甲区_2023", "h")
    removed = remove_unplanned(reports, [keep], previous)
    assert sorted(removed) == ["gone/all", "profile/乙区_2023"]
    assert (reports / "profile" / "甲区_2023" / "run.json").exists() and (reports / "profile" / "notes").is_dir()
    assert not (reports / "gone").exists()


def test_noop_publish_check_needs_no_heavy_module(tmp_path):
    """The whole-publish key (the no-op path of `python -m analysis run`) imports neither pandas nor matplotlib."""
    import subprocess
    import sys

    from analysis.batch import publish
    from analysis.present.workbook import WORKBOOK_NAME

    assert publish.WORKBOOK_NAME == WORKBOOK_NAME
    code = (
        "import sys; from pathlib import Path; from analysis.batch import publish; "
        f"publish._inputs_key(Path({str(tmp_path)!r}), Path({str(tmp_path)!r})); "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy', 'nbformat') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
