"""Planning from runs.yaml, data-slice hashes and the incremental-run decision (no kernels: fast)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.batch import manifest, plan
from analysis.batch.plan import PlanError, plan_runs
from conftest import TESTS

FIXTURES = TESTS / "fixtures" / "notebooks"

RUNS_YAML = """\
defaults:
  reads: [observations.parquet, "metrics/*.parquet"]
notebooks:
  profile: {for_each: district_year}
  citywide: {for_each: city_year}
  echo: {for_each: district, slug: [district]}
  flaky: {for_each: city_year_area, areas: [p1_effectiveness, p3_enforcement]}
"""


def _observations(value_甲: float = 1.0) -> pd.DataFrame:
    rows = []
    for city, districts in [("示例市", ["甲区", "乙区"]), ("另市", ["丙区"])]:
        for d in districts:
            for year in (2022, 2023):
                value = value_甲 if d == "甲区" else 2.0
                rows.append(
                    dict(unit_name=d, unit_level="district", city=city, year=year, indicator_id="a", value=value)
                )
        rows.append(
            dict(unit_name=f"{city}某街道", unit_level="street", city=city, year=2023, indicator_id="a", value=1.0)
        )
    return pd.DataFrame(rows)


@pytest.fixture
def tree(tmp_path):
    nbd, pdir = tmp_path / "notebooks", tmp_path / "processed"
    nbd.mkdir()
    (pdir / "metrics").mkdir(parents=True)
    for name in ("profile", "citywide", "echo", "flaky"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbd)
    (nbd / "runs.yaml").write_text(RUNS_YAML, encoding="utf-8")
    _observations().to_parquet(pdir / "observations.parquet")
    pd.DataFrame({"metric": ["m"], "value": [1.0]}).to_parquet(pdir / "metrics" / "national.parquet")
    return nbd, pdir


def test_enumerates_every_for_each_kind(tree):
    nbd, pdir = tree
    specs = {s.run_id: s for s in plan_runs(nbd, pdir)}
    profile = sorted(k for k in specs if k.startswith("profile/"))
    assert profile == [f"profile/{d}_{y}" for d in ("丙区", "乙区", "甲区") for y in (2022, 2023)]
    assert specs["profile/甲区_2023"].params == {"district": "甲区", "year": 2023}
    assert specs["profile/甲区_2023"].city == ["示例市"]
    assert specs["echo/甲区"].params == {"district": "甲区", "years": [2022, 2023]}
    assert sorted(k for k in specs if k.startswith("citywide/")) == [
        "citywide/另市_2022",
        "citywide/另市_2023",
        "citywide/示例市_2022",
        "citywide/示例市_2023",
    ]
    assert specs["flaky/示例市_2023_p3_enforcement"].params == {
        "city": "示例市",
        "year": 2023,
        "area": "p3_enforcement",
    }
    assert len(specs) == 6 + 3 + 4 + 8  # no street rows, no duplicates


def test_only_filters_by_notebook_run_id_or_glob(tree):
    nbd, pdir = tree
    assert {s.notebook for s in plan_runs(nbd, pdir, only=["echo"])} == {"echo"}
    assert [s.run_id for s in plan_runs(nbd, pdir, only=["profile/甲区_2023"])] == ["profile/甲区_2023"]
    assert len(plan_runs(nbd, pdir, only=["citywide/示例市_*"])) == 2


def test_unlisted_notebook_runs_once_and_bad_config_is_refused(tree):
    nbd, pdir = tree
    (nbd / "runs.yaml").write_text("notebooks:\n  profile: {for_each: district_year}\n", encoding="utf-8")
    specs = plan_runs(nbd, pdir)
    assert [s.run_id for s in specs if s.notebook == "echo"] == ["echo/all"]
    (nbd / "runs.yaml").write_text("notebooks:\n  profile: {for_each: every_street}\n", encoding="utf-8")
    with pytest.raises(PlanError, match="for_each"):
        plan_runs(nbd, pdir)


def test_data_slice_hash_changes_only_for_the_changed_city(tree):
    nbd, pdir = tree
    before = {s.run_id: s.data_hash for s in plan_runs(nbd, pdir)}
    _observations(value_甲=9.0).to_parquet(pdir / "observations.parquet")
    after = {s.run_id: s.data_hash for s in plan_runs(nbd, pdir)}
    changed = {k for k in before if before[k] != after[k]}
    # 甲区 is in 示例市: its runs and its peers' (乙区) runs change; 另市 runs (丙区) do not.
    assert "profile/甲区_2023" in changed and "profile/乙区_2022" in changed and "citywide/示例市_2023" in changed
    assert not any("丙区" in k or "另市" in k for k in changed)


def test_slice_all_and_tables_without_city_use_the_whole_file(tree):
    nbd, pdir = tree
    (nbd / "runs.yaml").write_text(RUNS_YAML + "  citywide: {for_each: city_year, slice: all}\n", encoding="utf-8")
    before = {s.run_id: s.data_hash for s in plan_runs(nbd, pdir)}
    _observations(value_甲=9.0).to_parquet(pdir / "observations.parquet")
    after = {s.run_id: s.data_hash for s in plan_runs(nbd, pdir)}
    assert before["citywide/另市_2023"] != after["citywide/另市_2023"]  # slice: all sees every change
    pd.DataFrame({"metric": ["m"], "value": [2.0]}).to_parquet(pdir / "metrics" / "national.parquet")
    again = {s.run_id: s.data_hash for s in plan_runs(nbd, pdir)}
    assert all(again[k] != after[k] for k in again)  # no city column: every run reads the whole table


def test_plan_cache_avoids_reading_data(tree, monkeypatch):
    nbd, pdir = tree
    cache: dict = {}
    first = plan_runs(nbd, pdir, cache=cache)
    monkeypatch.setattr(plan, "_plan_fresh", lambda *a: pytest.fail("data was re-read although nothing changed"))
    assert [s.to_dict() for s in plan_runs(nbd, pdir, cache=cache)] == [s.to_dict() for s in first]
    _observations(value_甲=3.0).to_parquet(pdir / "observations.parquet")
    with pytest.raises(pytest.fail.Exception):
        plan_runs(nbd, pdir, cache=cache)


def test_colliding_slugs_get_a_parameter_hash():
    specs = [
        plan.RunSpec("nb", "x.ipynb", {"district": d}, plan.make_slug({"district": d}), "h") for d in ("a/b", "a_b")
    ]
    plan._unique_slugs(specs)
    assert len({s.slug for s in specs}) == 2 and all(s.slug.startswith("a_b-") for s in specs)


def test_can_skip_needs_same_fingerprint_success_and_outputs(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "a.html").write_text("x")
    prev = {"fingerprint": "f1", "status": "ok", "outputs": ["a.html"]}
    assert manifest.can_skip(prev, "f1", out)
    assert manifest.can_skip({**prev, "status": "skipped"}, "f1", out)
    assert not manifest.can_skip(prev, "f2", out)
    assert not manifest.can_skip({**prev, "status": "failed"}, "f1", out)
    assert not manifest.can_skip(None, "f1", out)
    (out / "a.html").unlink()
    assert not manifest.can_skip(prev, "f1", out)


def test_fingerprint_covers_every_input(tree):
    nbd, pdir = tree
    spec = plan_runs(nbd, pdir, only=["profile/甲区_2023"])[0]
    env = {"registry": "r", "config": "c", "code": "k"}
    base = manifest.fingerprint(manifest.run_inputs(spec, env, {}))
    for key in env:
        assert manifest.fingerprint(manifest.run_inputs(spec, {**env, key: "changed"}, {})) != base
    spec.params = {**spec.params, "year": 2022}
    assert manifest.fingerprint(manifest.run_inputs(spec, env, {})) != base
