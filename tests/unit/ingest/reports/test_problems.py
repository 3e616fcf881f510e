"""analysis.ingest.reports.problems: the 存在问题 section and the area of each stated problem."""

from __future__ import annotations

import pytest
import yaml

from analysis.ingest.reports.problems import (
    PROBLEM_COLUMNS,
    RULES_FILE,
    ProblemRulesError,
    classify_item,
    classify_problems,
    find_problems_section,
    load_rules,
)
from conftest import REPO

SEED = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_section_bounds(seed):
    start, end = find_problems_section(seed)
    section = seed[start:end]
    assert section.startswith("二、存在问题")
    assert section.endswith("尚不能满足高强度的执法工作。")
    assert "下一步" not in section


def test_seed_three_problems_land_in_p1_p2_p3(seed):
    df = classify_problems(seed)
    assert list(df.columns) == PROBLEM_COLUMNS
    assert df["problem_no"].tolist() == [1, 2, 3]
    assert df["area"].tolist() == ["p1_effectiveness", "p2_normative_docs", "p3_enforcement"]
    assert df["text"].str.startswith(("(一)", "(二)", "(三)")).all()
    for _, row in df.iterrows():
        assert seed[row.span_start : row.span_end] == row.text
    assert "规范性文件" in df.loc[1, "matched_keywords"]
    assert "执法人员" in df.loc[2, "matched_keywords"]


INVENTED = """马村区关于2024年度法治政府建设工作情况的报告
一、主要工作
全年办理行政复议案件12件。
二、存在的问题和不足
（一）部分执法人员业务素质不高，执法程序不够规范。
（二）规范性文件合法性审核把关不严，备案审查不够及时。
（三）各街道工作推进不平衡，部门间存在差异，统筹协调机制不够健全。
（四）普法宣传针对性不强，群众参与度不高。
（五）数字化水平有待提升。
三、下一步工作打算
（一）加强执法人员培训。
"""


def test_invented_report_problems():
    df = classify_problems(INVENTED)
    assert df["area"].tolist() == ["p3_enforcement", "p2_normative_docs", "p1_effectiveness", "other", "other"]
    assert df["rule"].tolist()[-1] == "no_keyword"
    assert df["matched_keywords"].tolist()[-1] == ""
    assert "加强执法人员培训" not in "".join(df["text"])


@pytest.mark.parametrize(
    ("item", "area"),
    [
        ("执法人员数量少，新生执法力量不足。", "p3_enforcement"),
        ("一是行政处罚案卷评查发现问题较多。", "p3_enforcement"),
        ("备案审查工作滞后。", "p2_normative_docs"),
        ("合法性审核机制运行不畅。", "p2_normative_docs"),
        ("工作推进不平衡。", "p1_effectiveness"),
        ("各部门之间存在差异。", "p1_effectiveness"),
        ("考核机制有待健全。", "p1_effectiveness"),
        ("普法宣传形式单一。", "other"),
        ("法治宣传教育覆盖面不广。", "other"),
    ],
)
def test_classify_item(item, area):
    assert classify_item(item)[0] == area


def test_heading_outweighs_body():
    area, kws, rule = classify_item("（二）规范性文件备案审查有待完善。各部门工作推进不平衡，存在差异。")
    assert (area, rule) == ("p2_normative_docs", "heading_keywords")
    area, _, rule = classify_item("有关情况。执法人员不足，备案审查滞后。")
    assert rule == "tie_priority" and area == "p3_enforcement"


def test_longer_keyword_consumes_shorter():
    _, kws, _ = classify_item("执法人员不足。")
    assert kws == ["执法人员"]


def test_section_variants():
    inline = "一、工作\n做了工作。\n存在的问题：一是执法人员不足；二是备案审查滞后。\n下一步，继续努力。"
    df = classify_problems(inline)
    assert df["area"].tolist() == ["p3_enforcement", "p2_normative_docs"]
    no_section = "马村区报告\n一、主要工作\n办理建议73件。\n二、下一步工作打算\n继续。"
    assert find_problems_section(no_section) is None
    assert classify_problems(no_section).empty
    assert list(classify_problems("").columns) == PROBLEM_COLUMNS
    at_end = "一、工作\n做了。\n二、不足之处\n部分执法人员素质不高。\n普法宣传不够。"
    df = classify_problems(at_end)
    assert df["area"].tolist() == ["p3_enforcement", "other"]


def test_shi_items_inside_one_paragraph():
    text = "三、存在问题\n一是执法人员不足。二是规范性文件备案滞后。三是工作推进不平衡。\n四、下一步工作打算\n继续。"
    df = classify_problems(text)
    assert df["area"].tolist() == ["p3_enforcement", "p2_normative_docs", "p1_effectiveness"]
    assert df["text"].tolist()[0] == "一是执法人员不足。"


def test_a_mention_in_running_text_is_not_a_heading():
    text = "一、工作\n我们认真查找存在问题并及时整改，全年办理建议73件，群众满意度持续提升，各项工作扎实推进见到实效。"
    assert find_problems_section(text) is None


def test_rules_are_data_and_validated(tmp_path):
    rules = load_rules()
    assert set(rules["areas"]) == {"p1_effectiveness", "p2_normative_docs", "p3_enforcement", "other"}
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    del doc["areas"]["other"]
    bad = tmp_path / "rules.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProblemRulesError, match="rules.yaml"):
        load_rules(str(bad))
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    doc["areas"]["other"]["keywords"].append("数字化")
    custom = tmp_path / "custom.yaml"
    custom.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert classify_item("数字化水平不高。", load_rules(str(custom)))[1] == ["数字化"]


@pytest.mark.parametrize(
    "heading",
    [
        "二、存在问题",
        "三、存在的问题和不足",
        "（二）存在的主要问题",
        "二、当前我区法治政府建设中存在的问题",
        "四、不足之处",
        "二、存在问题及原因分析",
        "2. 问题与不足",
        "第三部分 存在的问题",
    ],
)
def test_heading_forms(heading):
    text = f"一、主要工作\n办理建议73件。\n{heading}\n执法人员不足。\n五、下一步工作打算\n继续。"
    start, end = find_problems_section(text)
    assert text[start:end] == f"{heading}\n执法人员不足。"


@pytest.mark.parametrize(
    "line",
    [
        "（三）聚焦存在问题整改，逐项销号。",
        "二、坚持问题导向，查找存在的问题并整改落实到位，全年整改问题12个，持续巩固成效。",
    ],
)
def test_work_items_that_mention_problems_are_not_the_section(line):
    assert find_problems_section(f"一、主要工作\n{line}\n三、下一步工作打算\n继续。") is None


def test_first_item_on_the_heading_line_is_kept():
    text = "二、存在的问题：一是执法人员不足。\n二是规范性文件备案滞后。\n三、下一步工作打算\n继续。"
    df = classify_problems(text)
    assert df["text"].tolist() == ["一是执法人员不足。", "二是规范性文件备案滞后。"]
    assert df["area"].tolist() == ["p3_enforcement", "p2_normative_docs"]
