"""analysis.ingest.reports.metadata: district / covered year / publication date from the text, and the sidecar check."""

from __future__ import annotations

import pytest

from analysis.ingest.reports.metadata import check_against_sidecar, detect_metadata, guess_title, registry_unit_names
from analysis.registry.schema import FINDING_COLUMNS
from conftest import REPO

SEED = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"
SIDECAR = {"district": "马村区", "year_covered": 2023, "file": "000_280033b0075f93d2.txt"}


@pytest.fixture(scope="module")
def seed_meta() -> dict:
    return detect_metadata(SEED.read_text(encoding="utf-8"))


def test_seed_metadata(seed_meta):
    assert seed_meta["title"] == "马村区关于2023年度法治政府建设工作情况的报告"
    assert seed_meta["district"] == "马村区"
    assert seed_meta["year_covered"] == 2023
    assert seed_meta["published"] == "2024-01-05"
    assert seed_meta["confidence"] == "high"
    assert seed_meta["placeholders"] == []
    assert seed_meta["notes"]


def test_seed_agrees_with_its_sidecar(seed_meta):
    assert check_against_sidecar(seed_meta, SIDECAR, ("马村区", "2023")) == []


@pytest.mark.parametrize(
    ("text", "district", "year"),
    [
        ("焦作市马村区人民政府关于2023年法治政府建设情况的报告", "马村区", 2023),
        ("新县2022年度法治政府建设工作报告", "新县", 2022),
        ("海南区2021年法治政府建设年度报告", "海南区", 2021),
        ("沁阳市人民政府关于2020年度法治政府建设情况的报告", "沁阳市", 2020),
        ("某某自治县2024年法治政府建设工作情况报告", "某某自治县", 2024),
        ("关于法治政府建设工作情况的报告\n现将中站区2019年度法治政府建设情况报告如下。", "中站区", 2019),
        ("关于《法治政府建设实施纲要（2021—2025年）》落实情况的报告\n现将温县2022年度工作报告如下", "温县", 2022),
    ],
)
def test_district_and_year_from_title_or_opening(text, district, year):
    meta = detect_metadata(text)
    assert (meta["district"], meta["year_covered"]) == (district, year)


def test_known_units_win_over_the_pattern():
    meta = detect_metadata("焦作市马村区关于2023年度法治政府建设情况的报告", known_units=["焦作市", "马村区"])
    assert meta["district"] == "马村区"
    assert meta["spans"]["district"] == (3, 6)


def test_publication_year_is_not_the_covered_year():
    text = "时间:2024-01-05 来源:\n马村区法治政府建设工作情况的报告\n今年以来，我区办理建议73件。\n2024年1月5日"
    meta = detect_metadata(text)
    assert meta["published"] == "2024-01-05"
    assert meta["year_covered"] is None and meta["confidence"] == "low"


@pytest.mark.parametrize(
    ("tail", "iso"),
    [
        ("\n马村区人民政府\n2024年1月5日", "2024-01-05"),
        ("\n二〇二四年一月五日", "2024-01-05"),
        ("\n二〇二三年十二月三十一日", "2023-12-31"),
        ("\n2024年2月30日", None),
    ],
)
def test_closing_date(tail, iso):
    assert detect_metadata("马村区关于2023年度法治政府建设工作情况的报告\n正文。" + tail)["published"] == iso


def test_header_date_variants():
    assert detect_metadata("发布时间：2024年03月08日\n报告")["published"] == "2024-03-08"
    assert detect_metadata("日期: 2024/3/8\n报告")["published"] == "2024-03-08"


def test_placeholders_found():
    meta = detect_metadata("XX区关于20XX年度法治政府建设工作情况的报告\n办理建议*件、提案__件，公开xxx件，满意率达*%。")
    assert {"XX区", "*件", "__件", "xxx件", "*%", "20XX年"} <= set(meta["placeholders"])
    assert detect_metadata(SEED.read_text(encoding="utf-8"))["placeholders"] == []


def test_title_guess_skips_page_furniture():
    assert guess_title("\n  分享到:\n马村区关于2023年度法治政府建设工作情况的报告\n") == (
        "马村区关于2023年度法治政府建设工作情况的报告",
        8,
    )
    assert guess_title("只有一行正文") == ("只有一行正文", 0)
    title, off = guess_title("时间:2024-01-05\n马村区关于2023年度法治政府建设工作情况的报告\n正文")
    assert title == "马村区关于2023年度法治政府建设工作情况的报告" and off == 14


def _rules(findings: list[dict]) -> list[str]:
    return sorted(f["rule"] for f in findings)


def test_findings_use_the_schema_columns_and_name_the_file(seed_meta):
    findings = check_against_sidecar(
        seed_meta, {**SIDECAR, "district": "中站区"}, ("中站区", "2023"), source_file="reports/中站区/2023/x.txt"
    )
    assert _rules(findings) == ["report_district_mismatch"]
    f = findings[0]
    assert list(f) == FINDING_COLUMNS
    assert f["severity"] == "error" and f["unit_id"] == "jiaozuo-zhongzhan" and f["year"] == 2023
    assert f["source_file"] == "reports/中站区/2023/x.txt" and f["locator"] == "text offset 0"


def test_year_mismatch_between_text_and_sidecar(seed_meta):
    findings = check_against_sidecar(seed_meta, {**SIDECAR, "year_covered": 2022}, ("马村区", "2022"))
    assert _rules(findings) == ["report_year_mismatch"]
    assert "所述年度是 2023" in findings[0]["message"]


def test_folder_parts_with_layout_folders(seed_meta):
    assert check_against_sidecar(seed_meta, SIDECAR, ("reports", "马村区", "2023")) == []
    assert check_against_sidecar(seed_meta, {}, ("data", "raw", "reports", "马村区", "2023")) == []
    rules = _rules(check_against_sidecar(seed_meta, {}, ("reports", "中站区", "2022")))
    assert rules == ["report_district_mismatch", "report_year_mismatch"]


def test_sidecar_and_folder_disagree(seed_meta):
    assert _rules(check_against_sidecar(seed_meta, SIDECAR, ("马村区", "2024"))) == ["report_year_mismatch"]
    assert _rules(check_against_sidecar(seed_meta, SIDECAR, ("中站区", "2023"))) == ["report_district_mismatch"]


def test_alias_is_the_same_unit(seed_meta):
    assert check_against_sidecar(seed_meta, {**SIDECAR, "district": "焦作市马村区"}, ()) == []


def test_template_and_unknown_district():
    meta = detect_metadata("长乐区关于2023年度法治政府建设工作情况的报告\n办理建议*件。")
    rules = _rules(check_against_sidecar(meta, {"district": "长乐区", "year_covered": 2023}, ("长乐区", "2023")))
    assert rules == ["report_template_placeholder", "report_unknown_district"]


def test_explicit_known_units_and_undetected_metadata():
    meta = detect_metadata("今年以来，办理建议73件。")
    findings = check_against_sidecar(meta, {"district": "示例一区", "year_covered": 2023}, (), known_units=["示例一区"])
    assert _rules(findings) == ["report_metadata_undetected"]
    assert findings[0]["severity"] == "info"


def test_registry_names_include_aliases():
    names = registry_unit_names()
    assert names["马村区"] == names["焦作市马村区"] == "jiaozuo-macun"


def test_registry_aliases_resolve_to_the_district_name():
    names = list(registry_unit_names())
    meta = detect_metadata("焦作市马村区人民政府关于2023年度法治政府建设情况的报告", known_units=names)
    assert meta["district"] == "马村区"
    assert detect_metadata("海南区2023年度法治政府建设报告", known_units=["南区", "海南区"])["district"] == "海南区"
