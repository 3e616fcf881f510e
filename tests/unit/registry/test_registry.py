"""The indicator registry: coverage, the seed ids, relations, and validation that names file and entry."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.registry import INDICATORS_FILE, RegistryError, load_indicators, validate_indicators
from analysis.registry.schema import AREAS, DIRECTIONS
from conftest import REPO

SEED_GOLD = REPO.parent / "shared" / "seed" / "seed_gold.csv"

# The 56 gold ids and their units, pinned here so a registry edit cannot silently rename one.
SEED_UNITS = {
    "gov_leader_law_tests": "次",
    "enf_powers_delegated_to_streets": "项",
    "enf_street_training_sessions": "场",
    "enf_street_training_attendance": "人次",
    "enf_supervision_units": "家",
    "enf_supervision_streets": "家",
    "enf_four_lists_cases": "件",
    "enf_no_penalty_cases": "件",
    "enf_lighter_penalty_cases": "件",
    "enf_mitigated_penalty_cases": "件",
    "enf_no_compulsion_cases": "件",
    "svc_commitment_items": "项",
    "svc_commitment_cases": "件",
    "enf_certificates_new": "人",
    "enf_certificates_cancelled": "人",
    "enf_certificates_reviewed": "人",
    "enf_agencies": "家",
    "enf_exam_participants": "人",
    "enf_exam_participation_rate": "%",
    "sup_npc_suggestions": "件",
    "sup_cppcc_proposals": "件",
    "sup_npc_satisfaction_rate": "%",
    "sup_cppcc_satisfaction_rate": "%",
    "open_info_disclosed": "条",
    "open_grassroots_domains": "个",
    "nd_cleanup_campaigns": "次",
    "nd_legality_reviews": "次",
    "nd_issued": "件",
    "nd_filed": "件",
    "nd_training_sessions": "次",
    "dec_legal_advisor_participations": "次",
    "svc_items_adjusted": "项",
    "svc_one_thing_items": "个",
    "svc_one_thing_handled": "件",
    "svc_one_thing_business_startups": "件",
    "svc_one_thing_individual_businesses": "件",
    "svc_enterprises_covered": "家",
    "rec_applications": "件",
    "rec_closure_rate": "%",
    "lit_cases": "件",
    "lit_concluded": "件",
    "lit_lost": "件",
    "pls_village_advisor_coverage": "%",
    "pls_legal_aid_cases": "件",
    "pls_legal_help_cases": "件",
    "pls_legal_aid_consultations": "人次",
    "pls_complaints": "件",
    "med_cases": "件",
    "med_complex_cases": "件",
    "med_screenings": "次",
    "med_prevented": "次",
    "med_successes": "件",
    "med_success_rate": "%",
    "med_amount": "万元",
    "jo_provincial_five_star": "个",
    "jo_municipal_four_star": "个",
}


@pytest.fixture(scope="module")
def reg(indicators) -> pd.DataFrame:
    return indicators


@pytest.fixture(scope="module")
def raw_entries() -> list[dict]:
    return yaml.safe_load(INDICATORS_FILE.read_text(encoding="utf-8"))["indicators"]


@pytest.fixture
def entries(raw_entries: list[dict]) -> list[dict]:
    return copy.deepcopy(raw_entries)


def test_registry_size_and_seed_ids(reg: pd.DataFrame) -> None:
    assert len(reg) >= 100
    assert len(SEED_UNITS) == 56
    for iid, unit in SEED_UNITS.items():
        assert reg.loc[iid, "measure"] == unit, iid


def test_registry_has_at_least_180_indicators_each_with_a_one_line_caliber(reg: pd.DataFrame) -> None:
    assert len(reg) >= 180
    cal = reg["caliber_zh"]
    assert cal.map(lambda c: isinstance(c, str) and bool(c.strip()) and "\n" not in c).all(), list(
        reg.index[cal.isna()]
    )
    rates = reg[reg.kind == "rate"]
    # a rate's 口径 names numerator ÷ denominator
    assert rates.caliber_zh.str.contains("÷").all(), list(rates.index[~rates.caliber_zh.str.contains("÷")])


def test_new_entries_carry_a_valid_role(raw_entries: list[dict]) -> None:
    seed_ids = set(SEED_UNITS)
    with_role = [e for e in raw_entries if "role" in e]
    assert len(with_role) >= 80
    assert {e["role"] for e in with_role} == {"outcome", "activity", "volume"}
    assert not seed_ids & {e["id"] for e in raw_entries[129:]}, "new entries are appended after the old ones"
    assert all("role" in e for e in raw_entries[129:])
    by_id = {e["id"]: e for e in raw_entries}
    for iid in ("enf_certification_rate", "lit_principal_appearance_rate", "sup_npc_resolved_rate"):
        assert by_id[iid]["role"] == "outcome"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全区行政执法人员持证率达98.5%。", [("enf_certification_rate", 98.5)]),
        ("主要负责人出庭应诉率达85%。", [("lit_principal_appearance_rate", 85.0)]),
        ("梳理行政许可事项清单326项。", [("svc_licensing_items", 326.0)]),
        (
            "保留政务服务事项1200项，其中行政许可事项300项、公共服务事项900项。",
            [("svc_items_total", 1200.0), ("svc_licensing_items", 300.0), ("svc_public_service_items", 900.0)],
        ),
        ("全年办理政务服务事项41.2万件。", [("svc_volume", 412000.0)]),
        (
            "建立检查对象名录库1.2万家，随机抽查事项清单186项。",
            [("enf_inspection_objects", 12000.0), ("enf_inspection_items", 186.0)],
        ),
        ("办理人大代表建议73件，其中A类52件。", [("sup_npc_suggestions", 73.0), ("sup_npc_resolved", 52.0)]),
        ("部门集体学法156次。", [("gov_collective_law_study", 156.0)]),
        ("制定乡镇(街道)履职事项清单，明确履职事项132项。", [("gov_township_duty_items", 132.0)]),
        (
            "督察发现问题36个，问题整改率100%。",
            [("gov_rol_inspection_issues", 36.0), ("gov_rol_rectification_rate", 100.0)],
        ),
        ("收到复议申请50件，其中撤回申请4件。", [("rec_applications", 50.0), ("rec_withdrawn", 4.0)]),
        ("重点督办提案3件。", [("sup_key_supervised", 3.0)]),
        ("取消证明事项16项。", [("svc_certificates_cancelled", 16.0)]),
        ("原告撤诉2件。", [("lit_withdrawn", 2.0)]),
        ("建成公共法律服务工作室12个。", [("pls_studios", 12.0)]),
    ],
)
def test_class_10_quantities_find_their_new_indicator(text: str, expected: list[tuple[str, float]]) -> None:
    from analysis.ingest.reports.facts import extract_facts

    df = extract_facts(text, doc_id="t")
    assert list(zip(df.indicator_id, df.value, strict=True)) == expected


def test_bad_role_or_caliber_is_rejected(entries: list[dict]) -> None:
    bad = copy.deepcopy(entries)
    bad[0]["role"] = "result"
    with pytest.raises(RegistryError, match="role 'result' 不是"):
        validate_indicators(bad)
    bad = copy.deepcopy(entries)
    bad[0]["caliber_zh"] = "  "
    with pytest.raises(RegistryError, match="caliber_zh"):
        validate_indicators(bad)


def test_seed_gold_file_agrees_with_pinned_ids() -> None:
    if not SEED_GOLD.exists():
        pytest.skip("shared seed not present")
    gold = pd.read_csv(SEED_GOLD)
    assert dict(zip(gold.indicator_id, gold.unit, strict=True)) == SEED_UNITS


def test_every_entry_has_valid_enums_and_keywords(reg: pd.DataFrame) -> None:
    assert set(reg.area) <= set(AREAS) and set(reg.direction) <= set(DIRECTIONS)
    assert set(reg.area) == set(AREAS)
    assert all(isinstance(k, list) and k for k in reg.keywords)
    assert (reg[reg.kind == "rate"].measure == "%").all()


@pytest.mark.parametrize(
    ("rate", "numerator", "denominator"),
    [
        ("nd_filing_rate", "nd_filed", "nd_issued"),
        ("med_success_rate", "med_successes", "med_cases"),
        ("lit_loss_rate", "lit_lost", "lit_cases"),
        ("rec_correction_rate", "rec_corrected", "rec_concluded"),
    ],
)
def test_rates_name_their_counts(reg: pd.DataFrame, rate: str, numerator: str, denominator: str) -> None:
    assert (reg.loc[rate, "numerator"], reg.loc[rate, "denominator"]) == (numerator, denominator)


def test_relations(reg: pd.DataFrame) -> None:
    assert reg.loc["nd_filed", "at_most"] == "nd_issued"
    assert reg.loc["lit_concluded", "at_most"] == "lit_cases"
    assert reg.loc["med_successes", "at_most"] == "med_cases"
    assert sorted(reg.loc["enf_four_lists_cases", "parts"]) == sorted(
        ["enf_no_penalty_cases", "enf_lighter_penalty_cases", "enf_mitigated_penalty_cases", "enf_no_compulsion_cases"]
    )
    assert sorted(reg.loc["svc_one_thing_handled", "parts"]) == [
        "svc_one_thing_business_startups",
        "svc_one_thing_individual_businesses",
    ]
    assert reg.loc["nd_filing_rate", "target"] == 100
    assert reg.loc["lit_lost", "zero_words"] == ["无败诉", "零败诉"]


def test_areas_follow_the_three_lenses(reg: pd.DataFrame) -> None:
    assert reg.loc["nd_issued", "area"] == "p2_normative_docs"
    assert reg.loc["nd_legality_reviews", "area"] == "p2_normative_docs"
    assert reg.loc["enf_certificates_new", "area"] == "p3_enforcement"
    assert reg.loc["enf_four_lists_cases", "area"] == "p3_enforcement"
    assert reg.loc["lit_lost", "area"] == "p1_effectiveness"
    assert reg.loc["med_success_rate", "area"] == "p1_effectiveness"


def _set(e: list[dict], iid: str, **changes) -> list[dict]:
    for x in e:
        if x["id"] == iid:
            for k, v in changes.items():
                if v is None:
                    x.pop(k, None)
                else:
                    x[k] = v
    return e


@pytest.mark.parametrize(
    ("iid", "changes", "message"),
    [
        ("nd_filed", {"area": "p9"}, "area 'p9'"),
        ("nd_filed", {"direction": "up"}, "direction 'up'"),
        ("nd_filed", {"framework_item": "别的"}, "framework_item"),
        ("nd_filed", {"keywords": "备案"}, "keywords 必须是非空文本组成的列表"),
        ("nd_filed", {"measure": None}, "缺少字段 measure"),
        ("nd_filed", {"kind": "ratio"}, "kind 'ratio'"),
        ("nd_filed", {"at_most": "nd_nowhere"}, "at_most 引用了不存在的指标 'nd_nowhere'"),
        ("nd_filing_rate", {"measure": "件"}, "比率（rate）的单位必须是 %"),
        ("nd_filing_rate", {"numerator": None}, "numerator 和 denominator 必须同时给出"),
        ("nd_filing_rate", {"target": "full"}, "target 必须是数字"),
        ("nd_filing_rate", {"target": 120}, "必须在 0–100 之间"),
        ("nd_filing_rate", {"denominator": "nd_nowhere"}, "denominator 引用了不存在的指标"),
        ("enf_four_lists_cases", {"parts": ["enf_no_penalty_cases", "nd_x"]}, "parts 引用了不存在的指标"),
        ("enf_four_lists_cases", {"parts": ["enf_exam_participation_rate"]}, "的单位是 '%'"),
        ("nd_filed", {"nouns": "街道"}, "nouns 必须是非空文本组成的列表"),
        ("nd_filed", {"id": "ND-Filed"}, "只能用小写 ascii"),
    ],
)
def test_validation_names_file_and_entry(entries: list[dict], iid: str, changes: dict, message: str) -> None:
    bad = _set(entries, iid, **changes)
    path = Path("/x/indicators.yaml")
    with pytest.raises(RegistryError) as err:
        validate_indicators(bad, path)
    text = str(err.value)
    assert text.startswith(f"{path}：第 ") and message in text
    assert iid in text or changes.get("id", "") in text


def test_duplicate_id_is_rejected(entries: list[dict]) -> None:
    entries.append(copy.deepcopy(entries[0]))
    with pytest.raises(RegistryError, match=rf"第 {len(entries)} 条（{entries[0]['id']}）：编号重复"):
        validate_indicators(entries, Path("r.yaml"))


def test_load_reports_bad_yaml_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "indicators.yaml"
    bad.write_text("indicators: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="不是有效的 YAML"):
        load_indicators(str(bad))
    bad.write_text("something: 1\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"indicators\.yaml：应为含 indicators 列表的映射"):
        load_indicators(str(bad))


def test_loads_a_small_valid_file(tmp_path: Path, entries: list[dict]) -> None:
    small = [e for e in entries if e["id"] in ("nd_issued", "nd_filed")]
    f = tmp_path / "indicators.yaml"
    f.write_text(yaml.safe_dump({"indicators": small}, allow_unicode=True), encoding="utf-8")
    df = load_indicators(str(f))
    assert list(df.index) == ["nd_issued", "nd_filed"]


def test_accept_refuse_rules_are_validated() -> None:
    import copy

    import yaml

    from analysis.registry import INDICATORS_FILE, RegistryError, validate_indicators

    entries = yaml.safe_load(INDICATORS_FILE.read_text(encoding="utf-8"))["indicators"]
    ok = validate_indicators(copy.deepcopy(entries))
    assert ok.loc["rec_accepted", "refuse"]["predicates"]
    assert "法院" in ok.loc["rec_concluded", "refuse"]["subjects"]  # subjects are rule data like the others
    for bad, msg in (
        ({"refuse": {"verbs": ["审结"]}}, "refuse.verbs 未知"),
        ({"refuse": {"subjects": "法院"}}, "refuse.subjects 必须是非空文本组成的非空列表"),
        ({"accept": {"subjects": []}}, "accept.subjects 必须是非空文本组成的非空列表"),
        ({"accept": {"subject": ["法院"]}}, "accept.subject 未知"),
        ({"accept": {"context": "执法"}}, "accept.context 必须是非空文本组成的非空列表"),
        ({"accept": {"nouns": ["乡镇"]}}, "accept.nouns 未知"),
        ({"refuse": ["审结"]}, "refuse 必须是映射"),
    ):
        es = copy.deepcopy(entries)
        es[0].update(bad)
        with pytest.raises(RegistryError, match=msg):
            validate_indicators(es)


def test_old_measure_key_unit_is_read_as_measure(entries: list[dict]) -> None:
    """An analyst's own registry written with the former key ``unit:`` still reads, as ``measure``; both at once is
    refused with a message naming the old name."""
    old = copy.deepcopy(entries)
    for e in old:
        e["unit"] = e.pop("measure")
    assert old[0]["unit"] and "measure" not in old[0]
    reg = validate_indicators(old)
    new = validate_indicators(copy.deepcopy(entries))
    assert "unit" not in reg.columns and list(reg["measure"]) == list(new["measure"])
    both = copy.deepcopy(entries)
    both[0]["unit"] = both[0]["measure"]
    with pytest.raises(RegistryError, match="unit 是 measure 的旧名"):
        validate_indicators(both)
