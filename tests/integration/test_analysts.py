"""Issue 13 as an analyst meets it: own units, add-report, validate = build, exit codes, Chinese CLI, load API,
the data dictionary. Everything runs on small inline data in temporary folders."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from analysis.core import paths
from analysis.metrics.pipeline import build
from analysis.tidy.build import hash_tree

pytest.importorskip("analysis.ingest.reports.facts")

HEAD = "单位,上级单位,单位类型,年份,出台行政规范性文件（件）[nd_issued],规范性文件备案（件）[nd_filed]\n"


def run_cli(*args, env=None):
    import os

    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, env=e)


@pytest.fixture
def tree(tmp_path, repo, monkeypatch):
    """A raw tree with the shipped reports, empty datasets folder, processed/reports in tmp."""
    raw = tmp_path / "raw"
    shutil.copytree(repo / "data" / "raw" / "reports", raw / "reports")
    (raw / "datasets").mkdir()
    for var, sub in (("ANALYSIS_RAW", "raw"), ("ANALYSIS_PROCESSED", "processed"), ("ANALYSIS_REPORTS", "reports")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


# ---------------------------------------------------------------- validate and build: one code path


def test_validate_and_build_decide_the_same_on_the_same_file(tree, capsys):
    ds = tree / "raw" / "datasets" / "mixed.csv"
    ds.write_text(
        HEAD
        + "马村区,,区县,2023,三,约二百\n"  # Chinese numerals: kept
        + "马村去,,区县,2023,4,4\n"  # typo: left out, with a suggestion
        + "示例一区,,区县,2023,5,5\n"  # fictional unit in a real unit's file: left out
        + "中站区,,区县,2023,待核实,2\n",  # text in a number cell: that value left out
        encoding="utf-8",
    )
    assert main(["validate", str(ds)]) == 1
    out = capsys.readouterr()
    printed = {
        (m.group(1), m.group(2), m.group(3))
        for m in re.finditer(r"^\S+ \[([a-z_]+)\] (\S+) ([^：\n]+)：", out.out, re.M)
    }
    assert "构建将收录 3 个数值" in out.err
    assert "您是否要找：马村区" in out.out

    res = build(include_sample=False)
    f = pd.read_parquet(paths.processed_dir() / "findings.parquet")
    mine = f[f["source_file"] == "data/raw/datasets/mixed.csv"]
    in_build = {(r.rule, r.source_file, r.locator) for r in mine.itertuples() if r.locator}
    assert printed and printed <= in_build
    assert {"unknown_unit", "synthetic_unit_in_dataset", "text_in_number_cell"} <= set(mine["rule"])
    allc = pd.read_parquet(paths.processed_dir() / "observations_all.parquet")
    kept = allc[allc["source_file"] == "data/raw/datasets/mixed.csv"]
    assert len(kept) == 3  # exactly what validate said build keeps
    m = kept.set_index(["unit_id", "indicator_id"])
    assert m.at[("jiaozuo-macun", "nd_issued"), "value"] == 3
    assert m.at[("jiaozuo-macun", "nd_filed"), "value"] == 200 and m.at[("jiaozuo-macun", "nd_filed"), "approx"]
    assert res.errors_user == int((mine["severity"] == "error").sum()) >= 3


def test_build_exits_non_zero_on_anything_left_out_unless_allowed(tree, capsys):
    (tree / "raw" / "datasets" / "bad.csv").write_text(HEAD + "马村去,,区县,2023,4,4\n", encoding="utf-8")
    assert main(["build", "--no-sample"]) == 1
    err = capsys.readouterr().err
    assert "您的数据中有 1 个错误" in err and "--allow-skipped" in err
    assert main(["build", "--no-sample", "--allow-skipped"]) == 0


def test_shipped_data_builds_with_exit_0_and_sample_faults_reported_apart(tree, capsys):
    assert main(["build"]) == 0
    out = capsys.readouterr().out
    assert "您的数据中的错误（被略过或需核对的报告、行、数值、工作表）：0" in out
    m = re.search(r"示例数据中的故意错误：(\d+)", out)
    assert m and int(m.group(1)) >= 1
    # --strict counts the sample's faults too
    assert main(["build", "--strict"]) == 1


def test_report_with_mistyped_district_is_an_error_with_suggestion_and_exit_1(tree, capsys):
    sc = next((tree / "raw" / "reports").rglob("*.source.yaml"))
    sc.write_text(sc.read_text(encoding="utf-8").replace("district: 马村区", "district: 马村去"), encoding="utf-8")
    assert main(["build", "--no-sample"]) == 1
    f = pd.read_parquet(paths.processed_dir() / "findings.parquet")
    unk = f[f["rule"] == "unknown_unit"]
    assert len(unk) and "您是否要找：马村区" in unk.iloc[0]["message"]


# ---------------------------------------------------------------- units as user data; training units


def test_training_units_from_the_users_file_are_filed_and_marked_synthetic(tree, monkeypatch):
    units = tree / "units.yaml"
    units.write_text(
        (paths.root() / "config" / "units.yaml").read_text(encoding="utf-8")
        + "  - {id: train, name: 培训市, level: city, parent: null, province: 培训省, synthetic: true}\n"
        + "  - {id: train-a, name: 培训一区, level: district, parent: train, province: 培训省, synthetic: true}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ANALYSIS_UNITS", str(units))
    (tree / "raw" / "datasets" / "training.csv").write_text(HEAD + "培训一区,,区县,2023,6,5\n", "utf-8")
    assert main(["build", "--no-sample"]) == 0
    obs = pd.read_parquet(paths.processed_dir() / "observations.parquet")
    t = obs[obs["unit_id"] == "train-a"].set_index("indicator_id")
    assert t.at["nd_issued", "value"] == 6 and t["is_synthetic"].all()
    assert not obs.loc[obs["unit_id"] == "jiaozuo-macun", "is_synthetic"].any()


# ---------------------------------------------------------------- add-report


REPORT = "马村区关于2024年度法治政府建设工作情况的报告\n2024年，马村区办理行政复议案件12件，备案规范性文件7件。\n"


def test_add_report_copies_unchanged_and_writes_sidecar_with_sha256(tree):
    import yaml

    from analysis.core.io import sha256_file

    src = tree / "in.txt"
    src.write_text(REPORT, encoding="utf-8")
    r = run_cli("add-report", str(src), "--district", "焦作市马村区", "--year", "2024", "--url", "http://x.gov.cn/1")
    assert r.returncode == 0, r.stderr
    target = tree / "raw" / "reports" / "马村区" / "2024" / "in.txt"
    assert target.read_bytes() == src.read_bytes()
    sc = yaml.safe_load((target.parent / "in.source.yaml").read_text(encoding="utf-8"))
    assert sc["sha256"] == sha256_file(src) and sc["district"] == "马村区" and sc["year_covered"] == 2024
    assert sc["source_url"] == "http://x.gov.cn/1" and sc["city"] == "焦作市"
    # a second time: refuses to overwrite
    r = run_cli("add-report", str(src), "--district", "马村区", "--year", "2024")
    assert r.returncode == 2 and "已存在" in r.stderr


@pytest.mark.parametrize(
    ("district", "year", "message"),
    [
        ("马村去", "2024", "您是否要找：马村区"),
        ("中站区", "2024", "写的是 马村区，参数是 中站区"),
        ("马村区", "2023", "所述年度是 2024，参数是 2023"),
        ("示例一区", "2024", "虚构"),
    ],
)
def test_add_report_refuses_and_writes_nothing(tree, district, year, message):
    src = tree / "in.txt"
    src.write_text(REPORT, encoding="utf-8")
    before = hash_tree(tree / "raw")
    r = run_cli("add-report", str(src), "--district", district, "--year", year)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert hash_tree(tree / "raw") == before
    assert not (tree / "raw" / "reports" / "中站区").exists()


# ---------------------------------------------------------------- CLI in Chinese, --version, choices


def test_version_and_chinese_help():
    from analysis import __version__

    r = run_cli("--version")
    assert r.returncode == 0 and __version__ in r.stdout
    r = run_cli("--help")
    assert "用法" in r.stdout and "add-report" in r.stdout and "dictionary" in r.stdout
    r = run_cli("build", "--help")
    assert "--allow-skipped" in r.stdout and "示例" in r.stdout


def test_unknown_notebook_for_only_is_exit_2_with_suggestion(tree):
    r = run_cli("run", "--only", "trend")
    assert r.returncode == 2
    assert "'trend'" in r.stderr and "您是否要找：trends" in r.stderr


def test_unknown_format_choice_suggests(tree):
    r = run_cli("extract", "x.txt", "--format", "jsn")
    assert r.returncode == 2 and "您是否要找：json" in r.stderr


# ---------------------------------------------------------------- exploration API + README example


@pytest.fixture(scope="module")
def processed(tmp_path_factory, repo):
    out = tmp_path_factory.mktemp("processed13")
    build(raw_dir=repo / "data" / "raw", processed_dir=out)
    return out


def test_readme_example_runs(processed, monkeypatch, capsys):
    readme = (paths.root() / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exploring in a notebook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    monkeypatch.setenv("ANALYSIS_PROCESSED", str(processed))
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 — the documented example, as a user types it
    assert "indicator_name" in ns["obs"].columns
    assert capsys.readouterr().out.strip()


def test_load_api_plain_index_and_chinese_names(processed):
    from analysis.tidy import load

    ind = load.indicators()
    assert isinstance(ind.index, pd.RangeIndex) and "id" in ind.columns and ind.index.name is None
    obs = load.observations(processed)
    assert isinstance(obs.index, pd.RangeIndex)
    row = obs[(obs.unit_id == "jiaozuo-macun") & (obs.indicator_id == "nd_filed")].iloc[0]
    assert row["indicator_name"] == ind.set_index("id").at["nd_filed", "name_zh"]
    merged = obs.merge(ind, left_on="indicator_id", right_on="id")  # the plain merge that failed before
    assert len(merged) == obs["indicator_id"].isin(ind["id"]).sum()
    rates = load.metrics("rates", processed)
    assert isinstance(rates.index, pd.RangeIndex) and "indicator_name" in rates.columns
    facts = load.facts(processed)
    assert "indicator_name" in facts.columns
    # the old names keep working (notebooks use them)
    assert len(load.load_observations(processed)) == len(obs)
    assert load.load_indicators().index.name == "id"
    with pytest.raises(ValueError, match="您是否要找：rates"):
        load.metrics("rate", processed)


# ---------------------------------------------------------------- data dictionary


def test_dictionary_writes_xlsx_and_html(tree, indicators):
    assert main(["dictionary"]) == 0
    xlsx = tree / "reports" / "指标字典.xlsx"
    html = (tree / "reports" / "指标字典.html").read_text(encoding="utf-8")
    d = pd.read_excel(xlsx)
    ind = indicators
    assert len(d) == len(ind)
    for col in (
        "指标 id",
        "中文名称",
        "英文名称",
        "单位",
        "方面",
        "角色",
        "口径",
        "目标/锚点",
        "关键词",
        "示范指标体系一级指标",
    ):
        assert col in d.columns
        assert f"<th>{col}</th>" in html  # the HTML page carries the same columns as the workbook
    rate = ind[(ind.get("numerator").notna()) & (ind.get("denominator").notna())].index[0]
    row = d.set_index("指标 id").loc[rate]
    assert "分子" in row["口径"] and "分母" in row["口径"]
    assert ind.at[rate, "name_zh"] in html and "<script" not in html
    if "role" in ind.columns:  # shown when the registry has it (issue 9)
        assert d["角色"].notna().any()
    if "caliber_zh" in ind.columns:  # shown when the registry has it (issue 8)
        assert d["口径"].notna().all()
