"""extract_facts on small sentences written from the shapes of reference/phrasing.md (not copied from the seed)."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from analysis.ingest.reports.facts import (
    TRAP_RE,
    TRAP_TRIGGERS,
    extract_facts,
    get_matcher,
    measure_fit,
    rule_confidence,
)
from analysis.ingest.reports.numbers import normalize
from analysis.registry.schema import FACT_COLUMNS, LEVELS, SCOPES, UNMAPPED


def facts(text: str) -> pd.DataFrame:
    return extract_facts(text, doc_id="t")


def mapped(text: str) -> list[tuple[str, float]]:
    df = facts(text)
    df = df[df.indicator_id != UNMAPPED]
    return list(zip(df.indicator_id, df.value, strict=True))


def pairs(text: str) -> list[tuple[str, str]]:
    """(number text, indicator id) of every fact of ``text``, in text order."""
    f = facts(text)
    return list(zip(f.number_text, f.indicator_id, strict=True))


def one(text: str, number_text: str) -> pd.Series:
    df = facts(text)
    rows = df[df.number_text == number_text]
    assert len(rows) == 1, df
    return rows.iloc[0]


# --- contract -------------------------------------------------------------------------------------------------


def test_columns_and_types() -> None:
    df = facts("开展案卷评查4次，审查案件35起。")
    assert list(df.columns) == FACT_COLUMNS
    assert df.value.dtype == float and df.approx.dtype == bool
    assert df.span_start.dtype == "int64"


def test_empty_text_gives_empty_frame_with_columns() -> None:
    df = facts("")
    assert df.empty and list(df.columns) == FACT_COLUMNS


def test_spans_evidence_and_ids_are_consistent() -> None:
    text = "  一、工作情况\n  全县新申领行政执法证１２人、注销3人。“一件事”办理1500件，其中企业开办300件。\n"
    df = extract_facts(text, doc_id="d", locate=lambda pos: f"char {pos}")
    assert len(df) == 4
    for r in df.itertuples():
        assert text[r.span_start : r.span_end] == r.number_text
        assert text[r.evidence_start : r.evidence_start + len(r.evidence)] == r.evidence
        assert r.number_text in r.evidence
        assert r.fact_id == f"d:{r.span_start}"
        assert r.locator == f"char {r.span_start}"
        assert r.scope in SCOPES and r.level in LEVELS
    assert df.span_start.is_monotonic_increasing
    assert df.iloc[0].number_text == "１２人" and df.iloc[0].value == 12


def test_output_is_deterministic() -> None:
    text = "办理人大代表建议45件、政协提案60件，办复率和满意率均为100%。"
    pd.testing.assert_frame_equal(facts(text), facts(text))


# --- indicator patterns -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "新申领行政执法证12人、注销3人、年审240人。",
            [("enf_certificates_new", 12), ("enf_certificates_cancelled", 3), ("enf_certificates_reviewed", 240)],
        ),
        (
            "组织2场执法培训，累计培训1600多人次。",
            [("enf_street_training_sessions", 2), ("enf_street_training_attendance", 1600)],
        ),
        ("开展案卷评查4次，审查案件35起。", [("enf_case_file_reviews", 4), ("enf_case_files_reviewed", 35)]),
        ("“双随机”抽查6批次、抽查主体120户次。", [("enf_random_inspections", 6), ("enf_random_entities", 120)]),
        (
            "政府常务会议会前学法12次，中心组集中学法6次。",
            [("gov_exec_meeting_law_study", 12), ("gov_center_group_law_study", 6)],
        ),
        ("召开依法治县委员会会议2次，研究法治议题8个。", [("gov_rol_committee_meetings", 2), ("gov_rol_topics", 8)]),
        ("5名党政主要负责人书面述法。", [("gov_leaders_reporting_law", 5)]),
        ("对25件规范性文件进行合法性审查，提出意见40条。", [("nd_reviewed_docs", 25), ("nd_review_opinions", 40)]),
        (
            "梳理规范性文件120件，废止8件，拟修改5件。",
            [("nd_cleaned_docs", 120), ("nd_repealed", 8), ("nd_revised", 5)],
        ),
        (
            "法律顾问参与涉法事务300多次，提出建议150余条。",
            [("dec_legal_advisor_participations", 300), ("dec_legal_opinions", 150)],
        ),
        (
            "年度重大行政决策目录事项6个，重大行政决策合法性审查率100%。",
            [("dec_major_decisions", 6), ("dec_major_decision_review_rate", 100)],
        ),
        ("网上可办率达98.5%。", [("svc_online_rate", 98.5)]),
        (
            "新受理行政复议案件25件，纠错4件，纠错率16%。",
            [("rec_accepted", 25), ("rec_corrected", 4), ("rec_correction_rate", 16)],
        ),
        ("行政机关负责人出庭应诉率达100%。", [("lit_leader_appearance_rate", 100)]),
        ("受理法律援助案件560件，法律帮助95件。", [("pls_legal_aid_cases", 560), ("pls_legal_help_cases", 95)]),
        (
            "全县共有乡镇调委会15个，现有调解员1200名，品牌调解室9个。",
            [("med_organizations", 15), ("med_mediators", 1200), ("med_rooms", 9)],
        ),
        ("办理公证2300件，培育法律明白人4500名。", [("pls_notary_cases", 2300), ("pls_legal_literates", 4500)]),
        (
            "主动公开政府信息3200条，发布政策解读85条，新受理依申请公开40件。",
            [("open_info_disclosed", 3200), ("open_policy_interpretations", 85), ("open_requests", 40)],
        ),
        (
            "受理纠纷300件，调解成功290件，成功率96.7%。",
            [("med_cases", 300), ("med_successes", 290), ("med_success_rate", 96.7)],
        ),
        ("出台规范性文件9件，报送备案9件。", [("nd_issued", 9), ("nd_filed", 9)]),
    ],
)
def test_indicator_patterns(text: str, expected: list[tuple[str, float]]) -> None:
    assert mapped(text) == expected


def test_count_before_its_noun_in_a_list_sharing_one_verb() -> None:
    assert mapped("对8家单位、5家街道开展执法监督检查。") == [
        ("enf_supervision_units", 8),
        ("enf_supervision_streets", 5),
    ]


def test_counted_noun_names_the_indicator() -> None:
    assert mapped("全县18家执法单位300名执法人员参加执法资格考试。") == [
        ("enf_agencies", 18),
        ("enf_exam_participants", 300),
    ]


def test_name_before_a_list_of_objects_and_a_total() -> None:
    text = "法律顾问参与重大决策、合同审查、行政复议、行政诉讼共计60余次。"
    assert mapped(text) == [("dec_legal_advisor_participations", 60)]


def test_measure_word_may_change_inside_a_list() -> None:
    text = "共办理业务50件，其中不予处罚20件，从轻处罚15项，减轻处罚10项，不予实施行政强制5项。"
    df = facts(text)
    assert list(df.indicator_id) == [
        "enf_four_lists_cases",  # the total takes the indicator its parts belong to
        "enf_no_penalty_cases",
        "enf_lighter_penalty_cases",
        "enf_mitigated_penalty_cases",
        "enf_no_compulsion_cases",
    ]
    assert list(df.measure) == ["件"] * 5
    assert list(df.measure_raw) == ["件", "件", "项", "项", "项"]
    total_id = df.iloc[0].fact_id
    assert list(df.parent_fact_id) == ["", total_id, total_id, total_id, total_id]


def test_parts_without_keywords_stay_unmapped_under_their_total() -> None:
    df = facts("受理法律援助案件560件，其中民事320件、刑事200件。")
    assert list(df.indicator_id) == ["pls_legal_aid_cases", UNMAPPED, UNMAPPED]
    assert list(df.parent_fact_id) == ["", df.iloc[0].fact_id, df.iloc[0].fact_id]


def test_one_value_shared_by_several_rates() -> None:
    df = facts("办理人大代表建议45件、政协提案60件，办复率和满意率均为100%。")
    shared = df[df.number_text == "100%"]
    assert sorted(shared.indicator_id) == [
        "sup_cppcc_reply_rate",
        "sup_cppcc_satisfaction_rate",
        "sup_npc_reply_rate",
        "sup_npc_satisfaction_rate",
    ]
    assert set(shared.value) == {100.0}
    start = shared.iloc[0].span_start
    assert sorted(shared.fact_id) == [f"t:{start}:{k}" for k in range(4)]


def test_several_rates_joined_by_dun_share_a_value() -> None:
    got = sorted(i for i, _ in mapped("报备规范性文件18件，报备率、备案审查率均达100%。") if i.endswith("rate"))
    assert got == ["nd_filing_rate", "nd_filing_review_rate"]


def test_same_keyword_resolved_by_the_sentence_topic() -> None:
    assert ("lit_concluded", 7) in mapped("行政诉讼案件9件，审结7件。")
    assert ("rec_closure_rate", 100) in mapped("收到复议申请12件，结案率100%。")
    assert ("lit_closure_rate", 100) in mapped("行政应诉案件9件，结案率100%。")


# --- values, states, scope, level ------------------------------------------------------------------------------


def test_zero_in_words() -> None:
    row = one("区政府为被告的行政诉讼实现“零败诉”。", "零败诉")
    assert (row.indicator_id, row.value, row.value_state, row.approx) == ("lit_lost", 0.0, "zero_in_words", False)
    assert one("法律服务无投诉。", "无投诉").indicator_id == "pls_complaints"


def test_approx_state_and_scaling() -> None:
    row = one("全省新增法律援助案件2.5万多件。", "2.5万多件")
    assert (row.value, row.measure, row.measure_raw, row.approx, row.value_state, row.level) == (
        25000.0,
        "件",
        "万件",
        True,
        "approx",
        "province",
    )


def test_money_stays_in_wan_yuan() -> None:
    row = one("为受援人挽回经济损失1200万元。", "1200万元")
    assert (row.indicator_id, row.value, row.measure) == ("pls_recovered_losses", 1200.0, "万元")
    row = one("为受援人挽回经济损失1.5亿元。", "1.5亿元")
    assert (row.value, row.measure, row.measure_raw) == (15000.0, "万元", "亿元")


@pytest.mark.parametrize(
    ("text", "number_text", "scope"),
    [
        ("全年共受理复议申请30件。", "30件", "year"),
        ("今年以来，受理复议申请30件。", "30件", "year"),
        ("截至11月底，受理复议申请30件。", "30件", "to_date"),
        ("累计清理规范性文件200余件。", "200余件", "cumulative"),
        ("2019年以来，清理规范性文件200件。", "200件", "cumulative"),
        ("近五年清理规范性文件200件。", "200件", "cumulative"),
        ("上半年受理复议申请30件。", "30件", "half_year"),
        ("1-10月，排查矛盾纠纷900余次。", "900余次", "partial_period"),
        ("平均每个街道办理15件。", "15件", "per_unit"),
        ("上年受理复议申请20件。", "20件", "prior_year"),
        ("受理复议申请30件。", "30件", "year"),
    ],
)
def test_scope(text: str, number_text: str, scope: str) -> None:
    assert one(text, number_text).scope == scope


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("全市办理政务服务事项9万件。", "city"),
        ("全省办理政务服务事项9万件。", "province"),
        ("全国办理政务服务事项9万件。", "national"),
        ("全区办理政务服务事项9万件。", "own"),
    ],
)
def test_level(text: str, level: str) -> None:
    assert one(text, "9万件").level == level


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("新受理行政复议案件40件，同比增长15%。", 15.0),
        ("案件同比下降12.5%。", -12.5),
        ("败诉率较上年下降3个百分点。", -3.0),
        ("告知承诺办理事项较去年提升20%。", 20.0),
    ],
)
def test_changes_are_unmapped_and_signed(text: str, value: float) -> None:
    df = facts(text)
    change = df[df.measure.isin(["%", "个百分点"])]
    assert len(change) == 1
    assert change.iloc[0].indicator_id == UNMAPPED and change.iloc[0].value == value


def test_raised_to_is_a_level_not_a_change() -> None:
    assert mapped("规范性文件报备率提升至98%。") == [("nd_filing_rate", 98.0)]


def test_unmapped_quantities_are_kept() -> None:
    df = facts("12345热线受理诉求860件。")
    assert list(zip(df.indicator_id, df.value, df.measure, df.keyword, strict=True)) == [(UNMAPPED, 860.0, "件", "")]


def test_full_width_digits_and_punctuation() -> None:
    assert mapped("受理纠纷３００件，调解成功２９０件（成功率９６．７％）。") == [
        ("med_cases", 300),
        ("med_successes", 290),
        ("med_success_rate", 96.7),
    ]


# --- traps: no fact ---------------------------------------------------------------------------------------------


TRAP_TEXTS = [
    "推行“一二三”工作法，落实“四张清单”制度。",
    "严格落实三个不得要求，坚持三重一大集体决策。",
    "实现一套材料、一次办结，最多跑一次。",
    "召开第五次会议，参加第三届比武，获全省第2名，全国第四，第10位。",
    "根据豫政文〔2024〕46号、国发〔〕33号文件。",
    "落实《实施纲要(2021—2025年)》和20212025年规划。",
    "“十四五”以来，八五普法深入开展，十四五期间持续推进。",
    "构建1+4+8工作体系，推动3+N模式，1+9+N机制。",
    "打造营商环境4.0版，指标体系5.0版。",
    "出台惠企35条、稳经济33条，制定23条措施。",
    "每季度至少召开1次会议，每年至少开展2次培训。",
    "连续三年获评优秀，在106个地级市中排名第一。",
    "2023年12月20日，6.26国际禁毒日，“8·25”案。",
    "对照100项创建指标，细化为8个方面31项任务。",
    "在5个工作日内转送，应当在五日内审查。",
    "一次性告知，进一步推动，第一批示范。",
    "审议《2022年度法治政府建设情况报告》。",
    "开通12345热线。",
    "印发《关于落实惠企政策20条的通知》。",
    "增强四个意识、坚定四个自信、做到两个维护。",
]


@pytest.mark.parametrize("text", TRAP_TEXTS)
def test_traps_give_no_fact(text: str) -> None:
    assert facts(text).empty, facts(text)[["number_text", "indicator_id"]]


def test_trap_triggers_cover_every_trap() -> None:
    """The quick pre-check of _is_trap: every trap shape in the examples holds one of TRAP_TRIGGERS."""
    found = [t.group() for text in TRAP_TEXTS for t in TRAP_RE.finditer(normalize(text))]
    assert len(found) >= 30
    assert [t for t in found if TRAP_TRIGGERS.isdisjoint(t)] == []


# --- registry preprocessing -------------------------------------------------------------------------------------


def test_measure_fit() -> None:
    assert measure_fit("件", "件") == 2 and measure_fit("件", "项") == 1 and measure_fit("人", "人次") == 0
    assert measure_fit("人次", "人") == 0 and measure_fit("万元", "亿元") == 1


def test_matcher_is_cached_per_registry(indicators) -> None:
    df = indicators
    assert get_matcher(df) is get_matcher(df)
    assert get_matcher(df.copy()) is not get_matcher(df)


def test_custom_registry_is_used(indicators) -> None:
    reg = indicators.loc[["nd_issued"]]
    df = extract_facts("出台规范性文件9件，报送备案9件。", indicators=reg)
    assert list(df.indicator_id) == ["nd_issued", UNMAPPED]


def test_ambiguous_keyword_without_context_stays_unmapped() -> None:
    df = facts("司法建议3件、检察建议5件，按期办复率100%。")
    assert df[df.number_text == "100%"].indicator_id.tolist() == [UNMAPPED]
    assert mapped("培训1600多人次。") == []


def test_generic_keyword_follows_the_topic_of_the_sentence() -> None:
    assert mapped("新受理依申请公开30件，办结28件。") == [("open_requests", 30), ("open_requests_concluded", 28)]
    assert mapped("收到行政复议申请30件，办结28件。") == [("rec_applications", 30), ("rec_concluded", 28)]
    assert mapped("举办法治专题培训班3期，培训500人次。") == [
        ("gov_law_training_sessions", 3),
        ("gov_law_training_attendance", 500),
    ]


def test_a_keyword_already_used_in_the_sentence_does_not_name_a_later_number(indicators) -> None:
    reg = indicators.loc[["nd_issued"]]
    df = extract_facts("出台规范性文件9件，另有9件。", indicators=reg)
    assert list(df.indicator_id) == ["nd_issued", UNMAPPED]


def test_keyword_from_an_earlier_clause_names_a_bare_total() -> None:
    assert mapped("全面落实“四张清单”制度，截至目前共计办理业务40件。") == [("enf_four_lists_cases", 40)]


def test_invariants_hold_on_scrambled_text() -> None:
    rng = random.Random(7)
    alphabet = list(
        "办理案件培训人次家街道单位其中包括均为无败诉零投诉万亿余多近约%，。；：、（）“”《》0123456789一二三十 \n"
    )
    for _ in range(60):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        df = facts(text)
        assert df.fact_id.is_unique
        for r in df.itertuples():
            assert text[r.span_start : r.span_end] == r.number_text
            assert text[r.evidence_start : r.evidence_start + len(r.evidence)] == r.evidence
            assert r.span_start >= r.evidence_start and r.span_end <= r.evidence_start + len(r.evidence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上线“一件事”集成服务25个。", [("svc_one_thing_items", 25)]),
        ("累计办理“一件事”集成服务900件。", [("svc_one_thing_handled", 900)]),
        ("32家重点企业实现集成服务全覆盖。", [("svc_enterprises_covered", 32)]),
        ("出庭应诉35件次。", [("lit_leader_appearances", 35)]),
        ("上年需办理复议案件15件。", [("rec_accepted", 15)]),
        ("偶数年清理一次。", []),
        ("审结行政复议案件40件。", [("rec_concluded", 40)]),
    ],
)
def test_more_service_and_review_shapes(text: str, expected: list[tuple[str, float]]) -> None:
    assert mapped(text) == expected


def test_prior_year_scope_inside_a_current_report() -> None:
    assert one("上年需办理复议案件15件。", "15件").scope == "prior_year"


# --- robustness: malformed, implausible, vague and signed numbers; scope precedence; changes -----------------------


@pytest.mark.parametrize(
    "text",
    [
        "办理建议1.2.3件。",
        "办理建议1,2,3件。",
        "办理建议99999999999999999999件。",
        "办理建议几十件。",
        "开展数十次培训。",
    ],
)
def test_no_fact_from_malformed_implausible_or_vague_numbers(text: str) -> None:
    assert facts(text).empty, facts(text)[["number_text", "value"]]


def test_number_after_a_full_width_comma_is_read() -> None:
    assert one("同比增长41.8，开展培训121场次。", "121场次").value == 121.0


def test_shi_ji_gives_an_approximate_fact() -> None:
    row = one("开展十几次培训。", "十几次")
    assert (row.value, row.approx, row.value_state, row.measure_raw) == (10.0, True, "approx", "次")


def test_negative_count_keeps_its_sign() -> None:
    for text, surface in (("办理建议-5件。", "-5件"), ("办理建议－5件。", "－5件")):
        row = one(text, surface)
        assert row.value == -5.0 and text[row.span_start : row.span_end] == surface
    # a mapped count keeps its sign, so the quality rules can flag a negative count
    assert mapped("办理人大代表建议-5件。") == [("sup_npc_suggestions", -5.0)]


def test_range_dash_is_not_a_sign() -> None:
    assert one("2021-2025年受理复议申请30件。", "30件").value == 30.0
    assert one("1-10月，排查矛盾纠纷900余次。", "900余次").value == 900.0


def test_written_minus_in_a_decrease_is_kept_as_written_and_unmapped() -> None:
    row = one("案件同比下降-10%。", "-10%")
    assert (row.value, row.indicator_id, row.scope) == (-10.0, UNMAPPED, "change")


@pytest.mark.parametrize(
    ("text", "number_text", "scope"),
    [
        ("截至目前累计办理2078件。", "2078件", "to_date"),
        ("截至目前，2019年以来累计受理复议申请2078件。", "2078件", "to_date"),
        ("累计办理，截至目前2078件。", "2078件", "to_date"),
        ("截至11月底，上半年受理复议申请30件。", "30件", "half_year"),
        ("累计清理规范性文件200余件。", "200余件", "cumulative"),
    ],
)
def test_to_date_takes_precedence_over_cumulative(text: str, number_text: str, scope: str) -> None:
    assert one(text, number_text).scope == scope


@pytest.mark.parametrize(
    ("text", "number_text", "value"),
    [
        ("新受理行政复议案件40件，同比增长15%。", "15%", 15.0),
        ("败诉率较上年下降3个百分点。", "3个百分点", -3.0),
        ("告知承诺办理事项较上年提升20%。", "20%", 20.0),
    ],
)
def test_changes_have_scope_change(text: str, number_text: str, value: float) -> None:
    row = one(text, number_text)
    assert (row.scope, row.value, row.indicator_id) == ("change", value, UNMAPPED)
    assert "change" in SCOPES


def test_a_level_percentage_is_not_a_change() -> None:
    row = one("网上可办率达98.5%。", "98.5%")
    assert row.scope == "year" and row.indicator_id == "svc_online_rate"


# --- confidence, decision rule, candidates ----------------------------------------------------------------------


def test_mapped_facts_carry_confidence_and_rule() -> None:
    df = facts("全年办理人大代表建议35件，政协提案41件。开展案卷评查4次。")
    assert df.confidence.dtype == float
    got = df.set_index("number_text")
    assert got.loc["35件", "rule"] == "keyword" and got.loc["35件", "confidence"] == pytest.approx(0.9)
    assert got.loc["4次", "indicator_id"] == "enf_case_file_reviews"
    assert (df.candidates == "").all()


@pytest.mark.parametrize(
    ("text", "number", "expected"),
    [
        # a place heading its phrase is what the number counts, even for an indicator that declares no nouns
        ("“一网通办”已接入全县38个部门的政务服务事项。", "38个", UNMAPPED),
        # a place that only modifies a longer noun does not stop the count of that noun
        ("组织开展2场乡镇综合行政执法业务培训班。", "2场", "enf_street_training_sessions"),
        # a place noun before the number is often the keyword itself
        ("本年度新增市级民主法治示范村4个。", "4个", "pub_demo_villages"),
    ],
)
def test_a_count_of_places_is_no_figure_of_a_keyword_only_indicator(text: str, number: str, expected: str) -> None:
    assert one(text, number).indicator_id == expected


def test_parts_of_a_split_stay_unmapped_with_the_id_as_candidate() -> None:
    # clause.split_words: a sentence naming 一审 and 二审 splits the concluded cases; a sentence naming one alone does not
    f = facts("全年审结一审行政诉讼案件48件、二审案件9件。").set_index("number_text")
    assert f.loc["48件", "indicator_id"] == UNMAPPED and f.loc["48件", "rule"] == "split_part"
    assert f.loc["48件", "candidates"] == "lit_concluded"
    assert one("一审审结行政诉讼案件41件。", "41件").indicator_id == "lit_concluded"


def test_not_a_single_one_is_no_count_of_one() -> None:
    f = facts("全县公证机构全年办理公证事项2210件，无一起有效投诉。")
    assert list(f.number_text) == ["2210件"]
    assert list(facts("新建一个公共法律服务站。").value) == [1.0]


def test_measure_words_of_times_and_lessons() -> None:
    assert one("全年推送普法信息1.6万余条次。", "1.6万余条次").value == 16000
    assert one("法治副校长授课318课时。", "318课时").measure_raw == "课时"


@pytest.mark.parametrize(
    ("text", "number", "expected", "value"),
    [
        # a list after a change verb shares the change (较上年分别增加12件和5件)
        ("全县受理信息公开申请较上年分别增加12件和5件。", "12件", UNMAPPED, 12),
        ("全县受理信息公开申请较上年分别增加12件和5件。", "5件", UNMAPPED, 5),
        # a part after 其中 whose clause names nothing is no figure of what the earlier clause names
        ("推进民主法治示范村（社区）创建，年内新获评省级、市级的共9个，其中省级2个。", "2个", UNMAPPED, 2),
        # a clause listing several kinds of things (A、B及C) is not named by an earlier clause's keyword
        ("合法性审查方面，全年审核文件、协议及会议纪要86件。", "86件", UNMAPPED, 86),
        # people taking part in what follows are its participants
        ("全区执法人员960人参加了年度执法资格考试。", "960人", "enf_exam_participants", 960),
    ],
)
def test_lists_parts_and_participants(text: str, number: str, expected: str, value: float) -> None:
    r = one(text, number)
    assert r.indicator_id == expected and r.value == value
    if "较上年" in text:
        assert r.scope == "change"


def test_what_was_actually_done_after_a_plan_is_this_years_figure() -> None:
    f = facts("年初计划开展法治讲座10场，实际开展14场。").set_index("number_text")
    assert f.loc["10场", "scope"] == "target" and f.loc["10场", "indicator_id"] == UNMAPPED
    assert f.loc["14场", "scope"] == "year" and f.loc["14场", "indicator_id"] == "gov_law_lectures"
    g = facts("执法人员持证率需达到95%，目前已达到97.3%。").set_index("number_text")
    assert g.loc["95%", "scope"] == "target" and g.loc["97.3%", "scope"] == "year"


def test_respective_values_carry_their_rules_confidence() -> None:
    # 分别 facts are mapped by the rule "respective" (+context when the sentence's context broke a tie); a rule
    # without a confidence gave them 0.0, so every 分别 value fell below extraction.min_confidence and was kept out
    # of the observations
    df = facts("人大代表建议、政协提案满意率分别为97.6%和99%。全区分别新增省级、市级民主法治示范村2个和5个。")
    mapped = df[df.indicator_id != UNMAPPED]
    assert set(mapped.rule) <= {"respective", "respective+context"} and len(mapped) >= 2
    assert (mapped.confidence >= 0.6).all()
    assert rule_confidence("respective") == pytest.approx(0.85)
    assert rule_confidence("respective+context") == pytest.approx(0.75)


def test_competing_indicators_stay_unmapped_with_candidates() -> None:
    r = one("满意率达98%。", "98%")  # NPC or CPPCC? nothing says which
    assert r.indicator_id == UNMAPPED and r.confidence == 0
    assert r.rule == "ambiguous"
    assert set(r.candidates.split(";")) == {"sup_npc_satisfaction_rate", "sup_cppcc_satisfaction_rate"}


def test_unmapped_without_any_keyword_has_no_candidates() -> None:
    r = one("全年共走访群众300人。", "300人")
    assert r.indicator_id == UNMAPPED and r.rule == "no_keyword" and r.candidates == ""


def test_changes_are_marked_by_rule() -> None:
    r = one("收到复议申请同比增长8%。", "8%")
    assert r.scope == "change" and r.rule == "change" and r.indicator_id == UNMAPPED


def _mapped(text: str) -> list[tuple[str, str]]:
    f = extract_facts(text)
    return list(zip(f.number_text, f.indicator_id, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全年督办件32件。", [("32件", UNMAPPED)]),  # 督|办件: no 办件 (service volume)
        ("收到差评件12件。", [("12件", UNMAPPED)]),
        ("政务服务中心办件3200件。", [("3200件", "svc_volume")]),  # 办件 as a word still names it
        ("乡镇执法人员参加业务培训1200余人次。", [("1200余人次", "enf_street_training_attendance")]),  # 业务|培训
        ("告知承诺制适用事项41项。", [("41项", "svc_commitment_items")]),  # 告知承诺 as prefix of 告知承诺制
    ],
)
def test_keyword_counts_only_where_it_is_a_word(text: str, expected: list[tuple[str, str]]) -> None:
    assert _mapped(text) == expected


def test_segmenter_user_dictionary_comes_from_the_registry() -> None:
    seg = get_matcher().segmenter
    assert seg is not None
    assert {"主办件", "协办件", "出庭应诉率", "人次"} <= set(seg.user_words)
    assert seg.words("共承办主办件54件、协办件21件")[:2] == ["共", "承办"]
    assert "主办件" in seg.words("共承办主办件54件") and "协办件" in seg.words("协办件21件")
    assert seg.bounds("协办件21件") == seg.bounds("协办件21件")  # cached, same cut every time


@pytest.mark.parametrize(
    "text",
    [
        "力争到2025年需达到50件以上。",  # was a "no fact" trap: a target kept as scope target is never a yearly value
        "工作目标：年内完成规范性文件清理1次。",  # the target word in an earlier clause
        "力争行政机关负责人出庭应诉率达到100%。",
        "到2025年，法律顾问覆盖率达到100%。",
    ],
)
def test_explicit_targets_get_scope_target_unmapped(text: str) -> None:
    f = facts(text)
    assert len(f) == 1 and f.iloc[0]["scope"] == "target" and f.iloc[0]["indicator_id"] == UNMAPPED, f


def test_target_appraisal_is_no_target() -> None:
    assert one("纳入目标考核的单位共有58个，开展法治督察2次。", "2次")["scope"] == "year"


def test_new_measure_words() -> None:
    assert mapped("开展矛盾纠纷排查4轮。") == [("med_screenings", 4.0)]
    assert one("编印普法读本2000本。", "2000本")["value"] == 2000
    assert facts("建立问题整改一本账，推行一本通。").empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the family named in the heading or the paragraph's opening clause decides a shared keyword
        ("（二）行政复议\n全年审结案件44件，结案率97.8%。", [("44件", "rec_concluded"), ("97.8%", "rec_closure_rate")]),
        ("三、行政应诉工作\n全年审结35件，结案率92.1%。", [("35件", "lit_concluded"), ("92.1%", "lit_closure_rate")]),
        (
            "一是做好行政复议工作。全年已办结52件，结案率100%。",
            [("52件", "rec_concluded"), ("100%", "rec_closure_rate")],
        ),
        # two families named together: the figure may be either, it waits for review with both candidates
        ("行政复议和行政诉讼案件审结28件。", [("28件", UNMAPPED)]),
        ("一是做好行政复议和行政应诉，结案率100%。", [("100%", UNMAPPED)]),
        # a verb shared by a respective list goes to each name's family
        ("审结行政复议、行政诉讼案件分别为61件、40件。", [("61件", "rec_concluded"), ("40件", "lit_concluded")]),
        # 备案审查 alone may be documents filed up or filings received: it waits for review; received when said so
        ("备案审查规范性文件15件。", [("15件", UNMAPPED)]),
        ("接受部门备案规范性文件19件。", [("19件", "nd_received_filings")]),
        ("对各镇街、部门报送的规范性文件进行备案审查，共审查31件。", [("31件", "nd_received_filings")]),
        # printing is not handing out (accept/refuse predicates as registry data)
        ("印制宣传手册3000册。", [("3000册", UNMAPPED)]),
        ("发放宣传手册3000册。", [("3000册", "pub_publicity_materials")]),
        ("建立检察工作站4个。", [("4个", UNMAPPED)]),
    ],
)
def test_structure_decides_the_indicator(text: str, expected: list[tuple[str, str]]) -> None:
    assert _mapped(text) == expected


def test_two_families_named_together_keep_both_candidates() -> None:
    row = one("行政复议和行政诉讼案件审结28件。", "28件")
    assert row["rule"] == "ambiguous" and row["candidates"] == "rec_concluded;lit_concluded"


def test_a_total_of_two_named_things_is_neither() -> None:
    row = one("收到人大代表建议和政协提案共186件，其中人大代表建议102件。", "186件")
    assert row["indicator_id"] == UNMAPPED and row["rule"] == "ambiguous"
    assert set(row["candidates"].split(";")) == {"sup_npc_suggestions", "sup_cppcc_proposals"}
    assert (
        one("收到人大代表建议和政协提案共186件，其中人大代表建议102件。", "102件")["indicator_id"]
        == "sup_npc_suggestions"
    )


def test_enforcement_inspections_need_supervision_context() -> None:
    assert one("全年共开展执法检查3260次。", "3260次")["indicator_id"] == UNMAPPED  # inspecting firms, not supervising
    assert one("开展行政执法监督检查6次。", "6次")["indicator_id"] == "enf_inspections"


def test_filing_review_alone_lists_both_readings() -> None:
    row = one("备案审查规范性文件15件。", "15件")
    assert row["rule"] == "ambiguous" and set(row["candidates"].split(";")) == {"nd_filed", "nd_received_filings"}


# --- clause structure (subject, predicate, counted noun, qualifiers) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "number_text", "subject", "predicate", "counted_noun", "qualifiers"),
    [
        ("区纪委监委对12个单位开展专项监督检查。", "12个", "区纪委监委", "开展", "单位", ""),
        ("对20家执法单位和6个乡镇开展执法监督。", "6个", "", "开展", "乡镇", ""),
        ("县法院共审结以县政府为被告的行政诉讼案件52件。", "52件", "县法院", "审结", "行政诉讼案件", "共"),
        ("截至11月底，全县受理法律援助案件412件，其中刑事案件98件。", "98件", "全县", "", "刑事案件", "截至;其中"),
        ("走访企业312家。", "312家", "", "走访", "企业", ""),
        ("明年拟在全县新建规范化司法所3个。", "3个", "全县", "新建", "规范化司法所", ""),
        ("对县政府拟出台的12件规范性文件进行合法性审核。", "12件", "", "出台", "规范性文件", ""),
        ("办复率和满意率均为100%，平均每人3件。", "3件", "", "", "每人", ""),
        ("全年不予受理行政复议申请9件。", "9件", "", "不予受理", "行政复议申请", "全年"),
    ],
)
def test_clause_structure_fields(text, number_text, subject, predicate, counted_noun, qualifiers) -> None:
    row = one(text, number_text)
    assert (row["subject"], row["predicate"], row["counted_noun"], row["qualifiers"]) == (
        subject,
        predicate,
        counted_noun,
        qualifiers,
    )


def test_shared_value_records_its_qualifier() -> None:
    rows = facts("人大代表建议办复率和满意率均为100%。")
    assert len(rows) == 2 and set(rows["qualifiers"]) == {"均"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the clause's subject decides (registry accept/refuse subjects): a discipline body's checks are no
        # enforcement supervision; a court's totals are no 复议 figure; legal advisors' lectures are no cadre lectures
        ("区纪委监委对12个单位开展专项监督检查。", [("12个", UNMAPPED)]),
        ("对12个执法单位开展执法监督检查。", [("12个", "enf_supervision_units")]),
        ("县人民法院审结各类民商事案件8420件。", [("8420件", UNMAPPED)]),
        ("村居法律顾问开展法治讲座460场。", [("460场", UNMAPPED)]),
        ("举办领导干部法治讲座12期。", [("12期", "gov_law_lectures")]),
    ],
)
def test_subject_decides_the_indicator(text: str, expected: list[tuple[str, str]]) -> None:
    assert _mapped(text) == expected


@pytest.mark.parametrize(
    ("text", "number_text", "indicator", "rule"),
    [
        # a borrowed keyword names a counted thing only when the number counts that thing (the noun's head)
        ("对12家执法单位开展执法监督，督促整改商户31家。", "31家", UNMAPPED, "refused:counted_noun"),
        # an earlier clause names another family: a keyword of a worded family not named is not that family's
        ("深化行政复议体制改革，接待群众来访咨询210人次。", "210人次", UNMAPPED, "refused:family"),
        ("健全公共法律服务体系，接待群众来访咨询210人次。", "210人次", "pls_legal_aid_consultations", "keyword"),
        # a list A、B等 of different things before its total: none's figure
        ("审核规范性文件、重大合同等各类文件96件。", "96件", UNMAPPED, "ambiguous"),
        ("开展送法进社区、进校园等活动40场。", "40场", "pub_publicity_events", "keyword"),
        # an earlier keyword that named a figure names no same-measure sibling for the next
        ("政协提案中，已解决的40件，正在解决的12件。", "12件", "sup_cppcc_in_progress", "keyword+context"),
        # 分别 after one shared name: the names of the earlier clauses, in order
        (
            "办理人大代表建议60件、政协提案45件，满意率分别为98%和97%。",
            "97%",
            "sup_cppcc_satisfaction_rate",
            "respective+context",
        ),
        # a name without a keyword of its own takes the list's modifier
        ("议案、建议分别收到3件和98件。", "98件", "sup_npc_suggestions", "respective"),
        # the head keyword of a keyword the rules refuse
        ("组织执法人员开展法律知识培训3期。", "3期", "enf_street_training_sessions", "keyword"),
        # a verb–object keyword with a filler inside
        ("审查各类合同312份。", "312份", "dec_contracts_reviewed", "keyword"),
        # 拟…的 is a modifier and 列入计划 a status, neither a plan
        ("对区政府拟出台的规范性文件9件进行合法性审查。", "9件", "nd_reviewed_docs", "keyword_after"),
        ("人大代表建议中，列入计划解决的15件。", "15件", "sup_npc_in_progress", "keyword+context"),
        # who acts decides, and the unmapped fact says which rule refused
        ("区纪委监委对12个单位开展专项监督检查。", "12个", UNMAPPED, "refused:subjects"),
    ],
)
def test_general_structure_rules(text: str, number_text: str, indicator: str, rule: str) -> None:
    row = one(text, number_text)
    assert (row["indicator_id"], row["rule"]) == (indicator, rule), row[["indicator_id", "rule", "candidates"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 拟 as the attribute of a reviewed draft is no plan; 拟于 as the clause's predicate is
        ("对拟提请区政府审议的规范性文件开展合法性审核18件。", [("18件", "nd_reviewed_docs", "year")]),
        ("下一步拟于明年出台规范性文件3件。", [("3件", UNMAPPED, "target")]),
        # …and an attribute inside a verb–object keyword (审查|拟…的|规范性文件), like a filler word
        ("审查拟以县政府名义印发的规范性文件31件。", [("31件", "nd_reviewed_docs", "year")]),
        # 分别 over predicates: each name's own verb, and the registry's refusals per name (不予受理 is no 受理)
        (
            "新收、审结行政应诉案件分别为57件、49件。",
            [("57件", "lit_cases", "year"), ("49件", "lit_concluded", "year")],
        ),
        ("受理、不予受理复议申请分别为70件、5件。", [("70件", "rec_accepted", "year"), ("5件", UNMAPPED, "year")]),
        # 分别 after a clause naming the set: the classes of that set (政协提案中，A类、B类…)
        (
            "承办的政协提案中，A类、B类分别为40件、12件。",
            [("40件", "sup_cppcc_resolved", "year"), ("12件", "sup_cppcc_in_progress", "year")],
        ),
        # a total of two families, without 共 and named by a family word: neither one's figure
        ("办理人大代表建议和政协提案186件。", [("186件", UNMAPPED, "year")]),
        ("行政复议和行政诉讼案件共40件。", [("40件", UNMAPPED, "year")]),
        # …nor is a rate after that total either one's rate; a pair right before the rate names both (one of them)
        (
            "办理人大代表建议和政协提案186件，办复率100%。",
            [("186件", UNMAPPED, "year"), ("100%", UNMAPPED, "year")],
        ),
        # 占比 right after a count: the rate whose numerator the count is
        (
            "审结行政复议案件97件，其中纠错11件，占比11.3%。",
            [
                ("97件", "rec_concluded", "year"),
                ("11件", "rec_corrected", "year"),
                ("11.3%", "rec_correction_rate", "year"),
            ],
        ),
        # a part after 其中 inherits its total's predicate: trainees are no stock of officers
        (
            "全年培训执法人员1500人次，其中新录用执法人员200人。",
            [("1500人次", "enf_street_training_attendance", "year"), ("200人", UNMAPPED, "year")],
        ),
        # A类 proposals are no proposal total
        (
            "承办政协提案75件，B类提案24件。",
            [("75件", "sup_cppcc_proposals", "year"), ("24件", "sup_cppcc_in_progress", "year")],
        ),
    ],
)
def test_clause_structure_patterns(text: str, expected: list[tuple[str, str, str]]) -> None:
    f = extract_facts(text)
    assert list(zip(f.number_text, f.indicator_id, f.scope, strict=True)) == expected


def test_a_pair_named_right_before_a_rate_is_not_left_open() -> None:
    f = extract_facts("人大代表建议、政协提案办理工作满意率100%。")
    assert f.indicator_id.iloc[0] in ("sup_npc_satisfaction_rate", "sup_cppcc_satisfaction_rate")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a count compared with the year before is a change (value signed), never a level; a bare cut stays a count
        ("受理法律援助案件同比减少23件。", [("23件", UNMAPPED, "change", -23.0)]),
        ("全年受理行政复议案件较上年增加15件。", [("15件", UNMAPPED, "change", 15.0)]),
        # an honour said after the number in its clause: no figure at all
        ("3个执法单位获评全省优秀执法单位。", []),
        ("4件执法案卷入选全市优秀行政执法案卷。", []),
        # a keyword of an earlier clause does not name a number whose clause has a verb of its own (not a light one)
        (
            "开展法治督察3次，督察发现问题21个，已整改到位19个。",
            [
                ("3次", "gov_rol_inspections", "year", 3.0),
                ("21个", "gov_rol_inspection_issues", "year", 21.0),
                ("19个", UNMAPPED, "year", 19.0),
            ],
        ),
        # a part inherits the refused predicate its total's clause holds (新申领 is one word of the segmenter)
        (
            "全年新申领执法证65人，其中乡镇综合执法人员40人。",
            [("65人", "enf_certificates_new", "year", 65.0), ("40人", UNMAPPED, "year", 40.0)],
        ),
    ],
)
def test_changes_honours_and_own_verbs(text: str, expected: list[tuple[str, str, str, float]]) -> None:
    f = extract_facts(text)
    assert list(zip(f.number_text, f.indicator_id, f.scope, f.value, strict=True)) == expected


def test_registry_rules_of_round_six() -> None:
    # departments' study is no 中心组 study; 日常检查 is no 执法监督检查; 涉及 counts no stock of officers
    assert one("区政府理论学习中心组集中学法6次，各单位开展集中学法120次。", "120次")["indicator_id"] == UNMAPPED
    assert one("开展执法监督检查8次，督促各部门开展日常检查2100次。", "2100次")["indicator_id"] == UNMAPPED
    assert one("此次评查的案卷涉及执法人员86名。", "86名")["indicator_id"] == UNMAPPED
    assert one("组织矛盾纠纷大排查4次，排查发现纠纷325件。", "325件")["indicator_id"] == "med_disputes_found"
    assert one("全年办结信息公开申请73件。", "73件")["indicator_id"] == "open_requests_concluded"
    # 调解小组 are no 调委会; advisers in training take part in no legal affairs
    assert one("街道调委会下设专业调解小组12个。", "12个")["indicator_id"] == UNMAPPED
    assert one("组织政府法律顾问参加业务轮训2次。", "2次")["indicator_id"] == UNMAPPED
    assert one("组织全区法制审核人员业务培训3期，提升执法决定审核能力。", "3期")["indicator_id"] == UNMAPPED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names of one 分别 list that land on the same indicator are its parts: none of them is that figure
        ("县级、乡级持证行政执法人员分别为620名、380名。", [("620名", UNMAPPED), ("380名", UNMAPPED)]),
        ("刑事、民事法律援助案件分别为210件和480件。", [("210件", UNMAPPED), ("480件", UNMAPPED)]),
        # …while names with verbs of their own still get their own ids
        ("受理、审结行政复议案件分别为88件、80件。", [("88件", "rec_accepted"), ("80件", "rec_concluded")]),
        # a keyword after the number does not reach past a list separator to the next item's number
        (
            "审结的复议案件中，维持52件、驳回9件、申请人撤回申请终止7件。",
            [("52件", "rec_upheld"), ("9件", "rec_rejected"), ("7件", "rec_withdrawn")],
        ),
        (
            "全年作出行政处罚决定中，从轻处罚31件、确认违法2件、减轻处罚案件12件。",
            [("31件", "enf_lighter_penalty_cases"), ("2件", UNMAPPED), ("12件", "enf_mitigated_penalty_cases")],
        ),
        # …but a verb after a list of objects still names each of them (对A和B开展执法监督)
        (
            "对15家执法单位和4个乡镇开展执法监督。",
            [("15家", "enf_supervision_units"), ("4个", "enf_supervision_streets")],
        ),
    ],
)
def test_lists_parts_and_keywords_after(text: str, expected: list[tuple[str, str]]) -> None:
    f = extract_facts(text)
    assert list(zip(f.number_text, f.indicator_id, strict=True)) == expected


def test_registry_rules_of_round_seven() -> None:
    # a court's pre-trial mediation is no 人民调解 figure; recruits and honours are no stock of mediators
    assert one("县法院诉前调解成功纠纷940件。", "940件")["indicator_id"] == UNMAPPED
    assert one("市中级人民法院通过诉前调解化解行政争议纠纷2300件。", "2300件")["indicator_id"] == UNMAPPED
    assert one("面向社会招聘专职人民调解员25名。", "25名")["indicator_id"] == UNMAPPED
    assert one("各级人民调解组织调处成功纠纷1650件。", "1650件")["indicator_id"] == "med_successes"
    # 建议提案 together: neither kind's total nor its rate
    f = extract_facts("全年承办建议提案156件，按时办复率100%。")
    assert list(f.indicator_id) == [UNMAPPED, UNMAPPED]
    # a pool of inspectors is no stock of officers; partners of a contract are no firms of the district
    assert one("双随机检查人员名录库入库执法人员410名。", "410名")["indicator_id"] == "enf_inspectors_pool"
    assert one("县司法局与4家律师事务所签订公共法律服务协议。", "4家")["indicator_id"] == UNMAPPED
    assert one("县域内现有行政执法主体56家。", "56家")["indicator_id"] == "enf_agencies"
    # a verb of its own (观看) keeps an earlier clause's keyword (应诉) off the number
    assert one("深化行政应诉工作，组织新任科级干部观看庭审录像3次。", "3次")["indicator_id"] == UNMAPPED
    # an attribute inside a verb–object keyword: 审核|区政府|规范性文件
    assert one("审核区政府规范性文件26件，意见采纳率100%。", "26件")["indicator_id"] == "nd_reviewed_docs"
    # a family heading decides a bare 审结率
    assert one("（三）行政复议\n全年复议案件审结率达96.4%。", "96.4%")["indicator_id"] == "rec_closure_rate"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number whose clause names nothing is what the heading (or opening clause) right above it names…
        ("（四）办理政协委员提案\n本年度承办62件，办复率100%。", [("62件", "sup_cppcc_proposals", "heading")]),
        ("二是深化依申请公开。本年度共收到154件。", [("154件", "open_requests", "heading")]),
        # …not when another sentence stands between, nor when the heading names two families
        (
            "（五）办理人大代表建议\n召开代表座谈会4场。全年交办督办12件。",
            [("4场", UNMAPPED, None), ("12件", UNMAPPED, None)],
        ),
        ("（二）人民调解和法律援助\n全年办理1530件。", [("1530件", UNMAPPED, None)]),
    ],
)
def test_a_heading_names_the_number_right_below_it(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    f = extract_facts(text)
    got = [(r.number_text, r.indicator_id, r.rule if r.indicator_id != UNMAPPED else None) for r in f.itertuples()]
    assert [g for g in got if g[0] in {e[0] for e in expected}] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 由X降至Y: Y is the new level of X's indicator; X is the earlier level (上年 dates X only)
        (
            "行政诉讼败诉率由上年的7.5%下降到3.2%。",
            [("7.5%", "lit_loss_rate", "prior_year"), ("3.2%", "lit_loss_rate", "year")],
        ),
        (
            "行政机关负责人出庭应诉率由86%提高到100%。",
            [("86%", "lit_leader_appearance_rate", "prior_year"), ("100%", "lit_leader_appearance_rate", "year")],
        ),
        # … also 由原有的X整合为Y; a count after a change verb then is the size of the move
        (
            "全区行政执法队伍由原有的15支整合为6支，减少9支。",
            [("15支", "enf_teams", "prior_year"), ("6支", "enf_teams", "year"), ("9支", UNMAPPED, "change")],
        ),
        # a count of places or bodies is no figure of an indicator that counts other things
        ("法律援助工作站实现全区11个街道全覆盖。", [("11个", UNMAPPED, "year")]),
        ("证明事项告知承诺制已在全县26个部门推行。", [("26个", UNMAPPED, "year")]),
        # a part of a bounded total is not the wider thing either; a money threshold is no figure
        (
            "全年调解成功各类纠纷2210件，其中涉及金额50万元以上的纠纷31件。",
            [("2210件", "med_successes", "year"), ("31件", UNMAPPED, "year")],
        ),
        # 分别 after a counted set: each value is one unnamed member's; names may also follow 分别
        (
            "四个司法所分别调解纠纷120件、96件。",
            [("四个", UNMAPPED, "year"), ("120件", UNMAPPED, "year"), ("96件", UNMAPPED, "year")],
        ),
        (
            "全县分别受理、审结行政复议案件88件、80件。",
            [("88件", "rec_accepted", "year"), ("80件", "rec_concluded", "year")],
        ),
    ],
)
def test_levels_places_and_lists_of_round_seven(text: str, expected: list[tuple[str, str, str]]) -> None:
    f = extract_facts(text)
    assert list(zip(f.number_text, f.indicator_id, f.scope, strict=True)) == expected


def test_registry_rules_of_round_eight() -> None:
    assert one("全区现有行政执法辅助人员410名。", "410名")["indicator_id"] == UNMAPPED
    assert one("案卷评查中抽查行政执法人员150名。", "150名")["indicator_id"] == UNMAPPED
    assert one("设立律师调解工作室，入驻律师调解员22名。", "22名")["indicator_id"] == UNMAPPED
    assert one("市公证处为民营企业出具法律意见书54份。", "54份")["indicator_id"] == UNMAPPED
    assert one("全县执法部门举行行政处罚听证会11场。", "11场")["indicator_id"] == UNMAPPED
    assert one("编制依申请公开事项目录，梳理事项156项。", "156项")["indicator_id"] == UNMAPPED
    assert one("复议审理期间被申请人自行纠错5件。", "5件")["indicator_id"] == UNMAPPED
    assert one("建议提案办理工作中，全年共承办238件。", "238件")["indicator_id"] == UNMAPPED


def test_a_compound_counted_noun_ending_in_an_indicators_noun_fits_it() -> None:
    # 行政执法单位 is an 执法单位 (headed on the right): the keyword after the list still names it
    assert pairs("对全区27家行政执法单位和9个街道开展行政执法监督检查。") == [
        ("27家", "enf_supervision_units"),
        ("9个", "enf_supervision_streets"),
    ]


def test_an_earlier_comparison_holds_for_a_count_after_a_change_verb() -> None:
    # a comparison said earlier in the sentence holds for a count right after a change verb
    row = one("行政应诉败诉率同比下降2.1个百分点，败诉案件减少4件。", "4件")
    assert (row["indicator_id"], row["scope"], row["value"]) == (UNMAPPED, "change", -4.0)
    # …but a verb before its object is a count cut
    assert one("全年精简申请材料126项，同比增长8%。", "126项")["indicator_id"] == "svc_materials_cut"


def test_a_sentence_opening_with_a_plan_word_plans_in_every_part_after_its_semicolons() -> None:
    text = "下一步，我区将持续深化复议体制改革；加大普法力度，全年开展送法进社区活动不少于40场；推动行政应诉败诉率下降至3%以内。"
    assert one(text, "3%")["scope"] == "target"
    # a sentence that does not open with one keeps its yearly figures
    assert one("全年办结行政复议案件64件；今后将进一步规范办案程序。", "64件")["scope"] == "year"


def test_parts_listed_before_their_total_are_no_figure_of_the_total_s_keyword() -> None:
    f = extract_facts("组织对9个乡镇和26个县直部门共35个单位开展法治政府建设实地督察。")
    assert list(zip(f.number_text, f.indicator_id, f.rule, strict=True)) == [
        ("9个", UNMAPPED, "part_of_total"),
        ("26个", UNMAPPED, "part_of_total"),  # 县直部门 one word: the counted noun is a place
        ("35个", "gov_rol_inspected_units", "keyword_after"),
    ]
    assert (
        "gov_rol_inspected_units"
        in one("组织对9个乡镇和26个县直部门共35个单位开展法治政府建设实地督察。", "9个")["candidates"]
    )


def test_a_keyword_right_before_a_later_number_names_that_number_not_an_earlier_one() -> None:
    row = one("依托辖区38家规上企业建立行政执法监督联系点41个。", "38家")
    assert row["indicator_id"] == UNMAPPED
    assert one("依托辖区38家规上企业建立行政执法监督联系点41个。", "41个")["indicator_id"] == "enf_contact_points"


def test_thousands_separated_by_a_space_are_one_number() -> None:
    row = one("全县持有行政执法证件的人员共2 418人。", "2 418人")
    assert row["value"] == 2418.0
    # four digits before a space are a number of their own
    assert set(facts("2024 120人").number_text) == {"120人"}


def test_one_kind_of_place_in_a_list_of_places_counted_together_is_a_part() -> None:
    f = extract_facts("年度法治督察覆盖5个街道、23个区直部门。")
    row = f[f.number_text == "5个"].iloc[0]
    assert (row["indicator_id"], row["rule"]) == (UNMAPPED, "place_list_part")
    assert "gov_rol_inspected_units" in row["candidates"]
    # places an indicator counts apart stay its own figures
    assert pairs("对14家执法单位和5个镇开展执法监督检查。") == [
        ("14家", "enf_supervision_units"),
        ("5个", "enf_supervision_streets"),
    ]


def test_a_part_of_the_named_set_after_zhong_and_a_modifier_is_no_figure_of_the_set() -> None:
    assert one("本年度行政应诉败诉案件中因程序违法被判决撤销的2件。", "2件")["indicator_id"] == UNMAPPED


def test_a_number_inside_a_verb_object_keyword_is_named_by_it() -> None:
    row = one("全年区政府出台14件行政规范性文件。", "14件")
    assert (row["indicator_id"], row["rule"]) == ("nd_issued", "split_keyword")
    assert one("县政府出台的6件规范性文件全部按时报备。", "6件")["indicator_id"] == "nd_issued"
    # 拟出台的 is a modifier of documents reviewed, never documents issued
    assert one("对县政府拟出台的7件规范性文件进行合法性审核。", "7件")["indicator_id"] != "nd_issued"


def test_documents_are_no_count_of_policy_interpretations() -> None:
    assert one("区政府新出台的4件政策文件均同步发布政策解读。", "4件")["indicator_id"] != "open_policy_interpretations"


def test_the_structure_of_a_law_is_no_figure() -> None:
    assert facts("新修订的《行政复议法》共七章九十条。").empty


def test_lunci_is_a_measure_word_of_counts_in_rounds() -> None:
    row = one("全年开展矛盾纠纷滚动排查52轮次。", "52轮次")
    assert (row["value"], row["indicator_id"]) == (52.0, "med_screenings")


def test_counties_that_sign_an_agreement_are_no_items() -> None:
    assert one("与毗邻6个县区签订“跨省通办”合作协议。", "6个")["indicator_id"] == UNMAPPED


def test_a_keyword_that_only_modifies_the_counted_noun_names_nothing() -> None:
    row = one("全区已建立律师事务所党支部11个。", "11个")
    assert row["indicator_id"] == UNMAPPED
    row = one("全县司法所工作人员共58名。", "58名")
    assert row["indicator_id"] == UNMAPPED
    # …unless a longer keyword holds the noun
    assert one("建成个人品牌调解工作室11个。", "11个")["indicator_id"] == "med_rooms"


def test_values_after_fenbie_named_by_years_are_each_years_figure() -> None:
    f = extract_facts("2024年、2025年全区审结行政复议案件分别为97件、118件。")
    assert list(zip(f.number_text, f.indicator_id, f.scope, strict=True)) == [
        ("97件", "rec_concluded", "prior_year"),
        ("118件", "rec_concluded", "year"),
    ]


def test_values_after_fenbie_of_places_named_one_by_one_are_parts() -> None:
    f = extract_facts("城关镇、新华街道调委会分别受理纠纷210件、185件，调解成功率分别为98.1%、97.4%。")
    rates = f[f.number_text.isin(["98.1%", "97.4%"])]
    assert set(rates.indicator_id) == {UNMAPPED}
    assert all("med_success_rate" in c for c in rates.candidates)


def test_a_flow_indicator_refuses_a_stock_said_with_xianyou() -> None:
    assert one("全区现有各类应急预案184件。", "184件")["indicator_id"] == UNMAPPED
    assert one("年内修订突发事件应急预案23件。", "23件")["indicator_id"] == "emg_plans"


def test_a_joiner_inside_a_word_does_not_split_the_names_before_fenbie() -> None:
    assert pairs("政府法律顾问参与涉法事务、出具法律意见书分别为214次、96份。") == [
        ("214次", "dec_legal_advisor_participations"),
        ("96份", "dec_legal_opinions"),
    ]


def test_bodies_named_one_by_one_before_fenbie_share_out_a_figure() -> None:
    f = extract_facts("县政府和县直部门分别聘请法律顾问13名、75名。")
    assert set(f.indicator_id) == {UNMAPPED}


def test_a_level_said_after_jinnian_de_is_this_years() -> None:
    row = one("全县行政应诉案件由上年的61件下降到今年的52件。", "52件")
    assert (row["indicator_id"], row["scope"]) == ("lit_cases", "year")


def test_success_said_before_the_verb_is_a_success() -> None:
    assert one("全年受理矛盾纠纷930件，成功调解915件。", "915件")["indicator_id"] == "med_successes"


def test_a_generic_document_word_stands_for_normative_documents_when_they_are_named() -> None:
    row = one("（二）规范性文件管理\n全年出台文件8件，均按时报备。", "8件")
    assert row["indicator_id"] == "nd_issued"
    # …and names nothing where they are not
    assert one("全年出台文件8件。", "8件")["indicator_id"] == UNMAPPED
    # a list that goes on after the keyword counts several kinds of things
    assert one("合法性审核方面，全年审查文件、协议及会议纪要64件。", "64件")["indicator_id"] == UNMAPPED


def test_tai_and_jie_are_measure_words_and_jiangfu_is_a_fall() -> None:
    assert one("为执法人员配备执法记录仪846台。", "846台")["value"] == 846.0
    assert one("法治副校长到校上法治课132节。", "132节")["value"] == 132.0
    assert facts("元旦春节两节期间加强值守。").empty  # 两节 is no count of lessons
    row = one("全年行政复议案件较上年减少11件，降幅8.4%。", "8.4%")
    assert (row["scope"], row["value"]) == ("change", -8.4)


def test_verbs_after_one_familys_topic_before_fenbie_are_that_familys() -> None:
    assert pairs("行政复议案件收案、受理、审结数分别为98件、92件、85件。") == [
        ("98件", "rec_applications"),  # 收案: applications received
        ("92件", "rec_accepted"),
        ("85件", "rec_concluded"),
    ]


def test_a_list_item_counting_places_takes_the_sibling_that_counts_them() -> None:
    assert pairs("开展行政执法监督检查6次，检查执法单位27家、镇街9个。")[1:] == [
        ("27家", "enf_supervision_units"),
        ("9个", "enf_supervision_streets"),
    ]


def test_a_filler_keyword_is_found_where_a_shorter_keyword_starts_before_it() -> None:
    # 全年审查合同 once 各类 is left out: 年审 (a certificate keyword) must not hide 审查合同
    assert one("全年审查各类合同412件。", "412件")["indicator_id"] == "dec_contracts_reviewed"


def test_the_report_year_dates_the_values_of_a_year_list() -> None:
    text = "2023年、2024年全区审结行政复议案件分别为81件、93件。"
    f = extract_facts(text, report_year=2025)  # a 2025 report looking back: neither is this year's figure
    assert list(f.scope) == ["prior_year", "prior_year"]
    f = extract_facts(text, report_year=2024)
    assert list(f.scope) == ["prior_year", "year"]
    f = extract_facts(text)  # unknown: the list's last year is taken for the report's
    assert list(f.scope) == ["prior_year", "year"]


def test_training_and_publicity_of_other_fields_are_no_law_figures() -> None:
    assert one("县人社局举办创业技能培训班16期。", "16期")["indicator_id"] == UNMAPPED
    assert one("县税务局开展税收政策宣传活动32场。", "32场")["indicator_id"] == UNMAPPED
    assert one("开展宪法宣传活动32场。", "32场")["indicator_id"] == "pub_publicity_events"


def test_licensing_volume_is_not_the_whole_service_volume() -> None:
    assert one("全年办理行政许可事项办件5.2万件。", "5.2万件")["indicator_id"] == "svc_licensing_volume"


def test_extract_report_dates_a_year_list_by_the_sidecars_year_however_written(tmp_path) -> None:
    from analysis.ingest.reports.report import extract_report, sidecar_path

    report = tmp_path / "r.txt"
    report.write_text("2024年、2025年全区审结行政复议案件分别为81件、93件。\n", encoding="utf-8")
    sidecar_path(report).write_text('district: 马村区\nyear_covered: "2026年"\nsha256: x\n', encoding="utf-8")
    f = extract_report(report).facts
    assert list(f.scope) == ["prior_year", "prior_year"]  # a 2026 report looking back


def test_reconsideration_of_a_vertical_tax_bureau_is_not_the_governments() -> None:
    # 税务 keeps its own 行政复议 (vertical system): the county government's 复议 figures do not count it
    assert one("县税务局共受理税务行政复议申请3件。", "3件")["indicator_id"] == UNMAPPED
    assert one("县税务局依法受理行政复议案件2件。", "2件")["indicator_id"] == UNMAPPED
    assert one("县政府依法受理行政复议案件41件。", "41件")["indicator_id"] == "rec_accepted"
    assert one("税务局共受理税务行政复议申请3件。", "3件")["subject"] == "税务局"


def test_filing_review_by_the_peoples_congress_is_not_filings_the_government_received() -> None:
    # the 人大常委会 reviews what the government filed: not 接受部门备案 (what the government receives)
    assert one("区人大常委会对区政府报送的5件规范性文件进行备案审查。", "5件")["indicator_id"] == UNMAPPED
    assert one("区司法局接受部门报送备案的规范性文件12件。", "12件")["indicator_id"] == "nd_received_filings"


def test_unit_times_of_vehicles_and_areas_are_measure_words() -> None:
    row = one("交通运输执法大队查处超限超载车辆420台次。", "420台次")
    assert (row["measure"], row["value"]) == ("台次", 420)
    row = one("拆除违法建设面积3.6万平方米。", "3.6万平方米")
    assert (row["measure"], row["value"]) == ("平方米", 36000)
    assert one("新增高标准农田1.2万亩。", "1.2万亩")["measure"] == "亩"


def test_opinions_on_contracts_are_no_review_opinions_on_normative_documents() -> None:
    # 审查意见 counts the opinions of the documents' legality review: a sentence about contracts alone names none
    assert one("审查区政府合同312份，提出修改意见460条。", "460条")["indicator_id"] == UNMAPPED
    assert one("对68件规范性文件进行合法性审查，提出修改意见112条。", "112条")["indicator_id"] == "nd_review_opinions"
    assert one("全年审查文件、合同及重大事项312件，提出意见497条。", "497条")["indicator_id"] == "nd_review_opinions"


def test_a_bare_review_rate_after_major_decisions_is_the_decisions_review_rate() -> None:
    text = "重大行政决策事项8项均经合法性审查，审查率100%。"
    assert one(text, "100%")["indicator_id"] == "dec_major_decision_review_rate"
    assert one("全年报备规范性文件12件，备案审查率100%。", "100%")["indicator_id"] == "nd_filing_review_rate"


def test_a_named_street_or_town_acting_gives_its_share_not_the_units_figure() -> None:
    text = "东关街道司法所全年调解矛盾纠纷318件，调解成功率100%，全区调解纠纷2860件。"
    f = facts(text)
    assert list(zip(f.number_text, f.indicator_id, f.rule, strict=True)) == [
        ("318件", UNMAPPED, "named_place"),
        ("100%", UNMAPPED, "named_place"),
        ("2860件", "med_cases", "keyword"),
    ]
    assert list(f.candidates[:2]) == ["med_cases", "med_success_rate"]  # kept for review
    after = one("全区共建成工作站12个，其中沙河街道工作站接待群众咨询2150人次。", "2150人次")
    assert (after["indicator_id"], after["rule"]) == (UNMAPPED, "named_place")
    # the unit's own, a venue, the kinds of place: no named place acts
    assert one("全区12个镇街调解纠纷2860件。", "2860件")["indicator_id"] == "med_cases"
    assert one("在东关街道召开现场会，全年调解纠纷2860件。", "2860件")["indicator_id"] == "med_cases"
    assert one("指导各镇（街道）成立人民调解委员会19个。", "19个")["indicator_id"] == "med_organizations"


def test_a_list_after_a_set_and_zhong_is_its_parts() -> None:
    f = facts("全旗调解的2215件纠纷中，婚姻家庭纠纷684件、邻里纠纷513件。")
    assert list(zip(f.number_text, f.indicator_id, strict=True)) == [
        ("2215件", "med_cases"),
        ("684件", UNMAPPED),
        ("513件", UNMAPPED),
    ]


def test_figures_other_organs_act_in_are_not_the_units() -> None:
    text = "县教育局全年开展校园法治讲座214场，县卫健委开展宣讲36场，全县全年共开展普法宣传活动1286场次。"
    f = facts(text)
    assert list(zip(f.number_text, f.indicator_id, f.rule, strict=True)) == [
        ("214场", UNMAPPED, "refused:subjects"),
        ("36场", UNMAPPED, "refused:subjects"),
        ("1286场次", "pub_publicity_events", "keyword"),
    ]
    assert one("县人民法院诉前调解成功率61.3%。", "61.3%")["indicator_id"] == UNMAPPED
    # the ids that count such an organ's work keep its figures (clause.other_organs exceptions)
    assert one("县人民法院向县政府发出司法建议3件。", "3件")["indicator_id"] == "lit_judicial_suggestions"
    assert one("区应急管理局修订完善各类应急预案37件。", "37件")["indicator_id"] == "emg_plans"
    assert one("区教育局聘请法治副校长48名。", "48名")["indicator_id"] == "pls_school_vice_principals"


def test_a_sum_of_figures_of_several_indicators_is_none_of_them() -> None:
    text = "上年结转行政复议案件6件，本年新收行政复议申请81件，合计需办理87件。"
    row = one(text, "87件")
    assert (row["indicator_id"], row["rule"], row["candidates"]) == (UNMAPPED, "sum_of_earlier", "rec_carried_over")
    # the parts of one indicator sum to it
    assert one("行政应诉案件中，一审审结33件，二审审结6件，共计39件。", "39件")["indicator_id"] == "lit_concluded"


def test_certificates_reviewed_counted_in_sheets() -> None:
    # 执法证 are counted in 张 as well as in persons: the reviewed ones like the new and cancelled ones
    f = facts("年内新申领行政执法证44张，注销行政执法证12张，年审行政执法证563张。")
    assert list(f.indicator_id) == ["enf_certificates_new", "enf_certificates_cancelled", "enf_certificates_reviewed"]


def test_a_piece_of_a_keyword_below_a_one_family_heading_goes_to_review() -> None:
    text = "（四）普法宣传\n全年开展活动528场次，注册志愿者1870人，推送作品914条。"
    f = facts(text).set_index("number_text")
    assert (f.loc["1870人", "indicator_id"], f.loc["1870人", "rule"]) == ("pub_volunteers", "heading_partial")
    assert f.loc["914条", "indicator_id"] == "pub_media_posts"
    from analysis.metrics.config import load_config

    assert f.loc["1870人", "confidence"] < load_config()["extraction"]["min_confidence"]  # the analyst confirms it
    # a common piece (检查) tells no indicator of the family from another
    assert one("（一）行政执法监督\n司法局开展检查4次。", "4次")["rule"] != "heading_partial"


def test_community_legal_advisors_are_no_government_legal_advisors() -> None:
    assert one("全区共有社区145个，配备社区法律顾问145名。", "145名")["indicator_id"] == UNMAPPED
    assert one("区政府聘请法律顾问12名。", "12名")["indicator_id"] == "dec_legal_advisors"


def test_by_is_no_move_and_a_count_before_de_describes_the_next() -> None:
    f = facts("全县由9家律师事务所的43名律师担任村（社区）法律顾问。")
    assert list(f.scope) == ["year", "year"]  # 由 is "by" here: no earlier level
    assert (f.indicator_id.iloc[0], f.rule.iloc[0], f.candidates.iloc[0]) == (
        UNMAPPED,
        "modifier_count",
        "pls_law_firms",
    )
    # a move 由X下降到Y keeps its earlier level, and is no modifier
    f = facts("全区行政复议案件由上年的131件下降到今年的117件。")
    assert list(zip(f.scope, f.indicator_id, strict=True)) == [("prior_year", "rec_accepted"), ("year", "rec_accepted")]


def test_a_kind_of_place_after_a_verb_is_no_named_place() -> None:
    # 公布街道…, 培训苏木镇执法人员: a verb and a kind of place, no street acting (its organ or a time word must follow)
    text = "公布街道赋权事项清单，向各街道下放行政执法事项136项。"
    assert one(text, "136项")["indicator_id"] == "enf_powers_delegated_to_streets"
    assert one("全县向苏木镇下放事项48个，培训苏木镇执法人员310人次。", "310人次")["rule"] != "named_place"


def test_kinds_of_one_indicator_counted_apart_are_parts() -> None:
    # each item of the list counts one kind of the indicator's things: none is the total
    f = facts("全年接待来访咨询3260人次、来电咨询1840人次、网络咨询920人次。")
    assert list(f.indicator_id) == [UNMAPPED] * 3
    assert set(f.rule) == {"kinds_list_part"}
    assert set(f.candidates) == {"pls_legal_aid_consultations"}
    assert list(facts("对8个乡镇和14个部门开展法治督察。").rule) == ["kinds_list_part"] * 2
    # items naming different indicators, a total after the list, or a change stay as they were
    assert pairs("受理行政复议案件86件、审结80件。") == [("86件", "rec_accepted"), ("80件", "rec_concluded")]
    assert one("发放宣传手册2000余册，共发放宣传资料5000份。", "5000份")["indicator_id"] == "pub_publicity_materials"


def test_a_higher_levels_figure_beside_the_units_own_is_not_the_units() -> None:
    f = facts("全省行政复议案件纠错率为11.2%，全市为9.6%，我县为7.4%。")
    assert list(zip(f.number_text, f.indicator_id, f.rule, strict=True))[:2] == [
        ("11.2%", UNMAPPED, "other_level"),
        ("9.6%", UNMAPPED, "other_level"),
    ]
    assert set(f.candidates.iloc[:2]) == {"rec_correction_rate"}
    assert (
        one("全省行政复议案件纠错率为11.2%，全市为9.6%，我县为7.4%。", "7.4%")["indicator_id"] == "rec_correction_rate"
    )
    assert one("抽查我区案卷48件，合格率100%，高于全市平均合格率94.6%。", "94.6%")["rule"] == "other_level"
    # a city's own report says 全市 of itself; 在全市率先 frames a place, the figure is the unit's own
    assert one("全市受理行政复议案件1020件。", "1020件")["indicator_id"] == "rec_accepted"
    got = one("我县在全市率先实现村居法律顾问覆盖率100%。", "100%")
    assert (got["indicator_id"], got["level"]) == ("pls_village_advisor_coverage", "own")


def test_the_others_share_is_a_part() -> None:
    got = one("县公安局办理治安案件2684件；全县其他行政执法部门全年办理行政处罚案件3117件。", "3117件")
    assert (got["indicator_id"], got["rule"], got["candidates"]) == (UNMAPPED, "others_part", "enf_penalty_cases")
    # "A、B和其他C" names everything
    assert (
        one("对规范性文件、重大决策和其他政府文件开展合法性审查216次。", "216次")["indicator_id"]
        == "nd_legality_reviews"
    )


def test_county_level_departments_are_departments() -> None:
    # 县直部门 is one word: its count is of departments (not of 县), a kind beside the towns
    f = facts("开展法治督察3次，对14个县直部门、8个乡镇进行实地督察。")
    assert list(f.counted_noun.iloc[1:]) == ["县直部门", "乡镇"]
    assert list(f.rule.iloc[1:]) == ["kinds_list_part"] * 2


def test_a_heading_names_what_an_unfit_keyword_leaves_open_and_gives_a_refused_keyword_its_family() -> None:
    # 建议 names 件, not 条: below a numbered heading, the heading's family names the 297条
    got = one("（六）发挥法律顾问作用\n全年参与涉法事务412次，出具意见建议297条。", "297条")
    assert (got["indicator_id"], got["rule"]) == ("dec_legal_opinions", "heading_partial")
    # 报送备案 alone lacks the 规范性文件 context; the heading names the family
    got = one("五、备案审查\n全年报送备案12件，接受备案31件。", "12件")
    assert (got["indicator_id"], got["rule"]) == ("nd_filed", "heading_context")
    # an opening clause (no numbered heading) names no number whose own clause names another thing
    assert one("开展普法宣传活动45场。组织执法人员业务考试2场次。", "2场次")["indicator_id"] == UNMAPPED
    # a share after 占 is no rate of the heading's
    assert one("（二）行政复议\n受理案件中经调解和解结案41件，占审结总数的28.5%。", "28.5%")["indicator_id"] == UNMAPPED


def test_lectures_for_the_public_are_no_cadre_lectures_nor_advisers_affairs() -> None:
    assert one("组织普法讲师团成员43人，深入机关、学校开展法治讲座186场。", "186场")["indicator_id"] == UNMAPPED
    text = "全县由9家律师事务所的43名律师担任村（社区）法律顾问，覆盖217个村（社区），全年开展法治讲座430场。"
    assert one(text, "430场")["indicator_id"] == UNMAPPED
    assert one("举办全县领导干部法治讲座12期。", "12期")["indicator_id"] == "gov_law_lectures"


def test_a_requirement_or_an_effort_is_a_target() -> None:
    assert one("2025年重大行政决策合法性审查率要保持100%。", "100%")["scope"] == "target"
    assert one("努力使法律援助案件办理量达到1000件。", "1000件")["scope"] == "target"
    assert one("重大行政决策合法性审查率持续保持100%。", "100%")["scope"] == "year"
