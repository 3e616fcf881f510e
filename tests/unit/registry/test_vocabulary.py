"""The vocabulary data files and their one loader: ids in order, labels, colours, the extractor's compiled tables, and
errors that name the file and the key (in Chinese)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis.registry import schema
from analysis.registry.vocabulary import (
    EXTRACTION_FILE,
    VOCABULARY_FILE,
    VocabularyError,
    load_extraction,
    load_vocabulary,
)


def _doc(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_ids_in_their_order_and_schema_names_derived_from_them():
    v = load_vocabulary()
    assert v.ids("areas") == ("p1_effectiveness", "p2_normative_docs", "p3_enforcement", "context")
    assert v.scored_areas == ("p1_effectiveness", "p2_normative_docs", "p3_enforcement")
    assert v.ids("value_states") == ("exact", "approx", "zero_in_words", "not_reported", "not_applicable")
    assert v.ids("levels") == ("own", "city", "province", "national")
    assert v.ids("directions") == ("higher_better", "lower_better", "neutral")
    assert v.ids("scopes")[-2:] == ("change", "target")
    assert (schema.AREAS, schema.SCORED_AREAS, schema.VALUE_STATES) == (
        v.ids("areas"),
        v.scored_areas,
        v.ids("value_states"),
    )
    assert (schema.SCOPES, schema.LEVELS, schema.DIRECTIONS) == (v.ids("scopes"), v.ids("levels"), v.ids("directions"))


def test_labels_and_colours():
    v = load_vocabulary()
    assert v.area_labels("short") == {
        "p1_effectiveness": "P1 成效与均衡",
        "p2_normative_docs": "P2 备案审查",
        "p3_enforcement": "P3 执法能力",
        "overall": "综合",
    }
    assert v.area_labels()["p3_enforcement"] == "P3 行政执法综合能力"
    assert v.area_labels("color")["overall"] == "#4a5568"
    assert v.labels("value_states")["not_reported"] == "未报告"
    assert v.labels("value_states", "method")["zero_in_words"] == "文字零值"
    assert "change" not in v.labels("scopes")  # change and target have no 口径 label
    assert v.labels("directions", "method")["neutral"] == "中性(不计分)"


def test_every_module_reads_the_one_vocabulary():
    from analysis.ingest.reports import facts, numbers, problems
    from analysis.metrics import config, methodology
    from analysis.present import dictionary
    from analysis.present.charts import figures, style, views
    from analysis.present.pages import index, notebook

    v, x = load_vocabulary(), load_extraction()
    assert style.AREA_ORDER == notebook.AREA_ORDER == config.SCORED_AREAS == v.scored_areas
    assert problems.PROBLEM_AREAS == (*v.scored_areas, "other")
    assert style.AREA_LABELS == notebook.AREA_LABELS == v.area_labels()
    assert index.AREA_SHORT == notebook.SHORT_AREA_LABELS == v.area_labels("short")
    assert dictionary.AREA_ZH == v.labels("areas") and methodology.AREA_TITLES == v.labels("areas", "title")
    assert figures.STATE_COLORS == v.labels("value_states", "color")
    assert views.SCOPE_LABELS == v.labels("scopes")
    assert numbers.MEASURE_WORDS == x.measure_words and facts.MEASURE_ACCEPTS is x.measure_accepts
    assert facts.TRAP_RE is x.trap_re and facts.SCOPE_RE is x.scope_re and facts.LEVEL_RE is x.level_re


def test_approximation_prefixes_defined_once():
    from analysis.ingest import datasets
    from analysis.ingest.reports import numbers

    assert datasets.APPROX_PREFIXES is numbers.APPROX_PREFIXES is load_extraction().approx_prefixes
    assert "突破" in load_extraction().approx_prefixes
    x = load_extraction()
    assert datasets.APPROX_SUFFIXES == (*x.approx_suffixes, *x.approx_cell_suffixes)
    assert set(datasets.APPROX_SUFFIXES) == {"左右", "以上", "有余", "余", "多"}
    assert [q.approx for q, _ in numbers.iter_quantities("受理80余件，共80件左右")] == [True, True]
    p = datasets.parse_value("突破80", "件")  # a cell reads what a report reads (突破80件 → approx 80)
    assert (p.value, p.state, p.approx, p.problem) == (80.0, "approx", True, None)
    p = datasets.parse_value("大约80", "件")
    assert (p.value, p.state, p.approx, p.problem) == (80.0, "approx", True, None)


def test_extraction_tables_compiled_from_the_data():
    x = load_extraction()
    assert x.measure_words[0] == "个百分点" and "%" in x.measure_words
    assert x.measure_accepts["件"][0] == "件" and x.money_measures["亿元"] == 1e4
    assert x.trap_re.search("豫政文〔2024〕46号") and x.trap_re.search("惠企35条") and not x.trap_re.search("受理35件")
    assert x.scope_re.search("近3年").group() == "近3年"
    assert x.scope_re.search("较上年增长").group() == "较上年"  # the longest word first: 较上年, not 上年
    assert x.scope_words["较上年"] == "none" and x.level_words["全市"] == "city"
    # the clause structure: a place prefix kept before a subject, longer predicates first, guarded qualifiers
    assert x.subject_re.search("县法院审结").group() == "法院" and "县" in x.place_prefixes
    assert x.predicate_re.search("全年不予受理9件").group() == "不予受理"
    assert x.other_organs["法院"] == ("lit_",) and x.other_organs["卫健委"] == ()
    assert [mm.group() for mm in x.qualifier_re.finditer("人均3件，办复率均为100%，其中列入计划2件")] == ["均", "其中"]


def test_loader_is_cached():
    assert load_vocabulary() is load_vocabulary() and load_extraction() is load_extraction()


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (lambda d: d.pop("scopes"), "顶层", "缺少 scopes"),
        (lambda d: d["areas"]["p1_effectiveness"].pop("color"), "areas.p1_effectiveness", "缺少字段 color"),
        (lambda d: d["areas"]["context"].update(color="blue"), "areas.context.color", "#rrggbb"),
        (lambda d: d["areas"]["context"].update(scored="no"), "areas.context.scored", "true 或 false"),
        (lambda d: d["value_states"].update({"Bad-Id": {}}), "value_states.Bad-Id", "小写 ascii"),
        (lambda d: d["directions"]["neutral"].update(label=""), "directions.neutral.label", "非空文本"),
        (lambda d: d["overall"].update(id="context"), "overall.id", "已是一个领域的 id"),
        (
            lambda d: [e.update(scored=False) for e in d["areas"].values()],
            "areas",
            "至少要有一个 scored: true",
        ),
    ],
)
def test_vocabulary_errors_name_file_and_key(tmp_path, edit, key, fragment):
    doc = _doc(VOCABULARY_FILE)
    edit(doc)
    p = _write(tmp_path, "vocabulary.yaml", doc)
    with pytest.raises(VocabularyError) as e:
        load_vocabulary(p)
    assert str(e.value).startswith(f"{p}：{key}：") and fragment in str(e.value)


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (lambda d: d["measures"]["accepts"].update({"件": ["项", "件"]}), "measures.accepts.件", "单位本身"),
        (lambda d: d["measures"]["accepts"].update({"件": ["件", "斤"]}), "measures.accepts.件", "斤 不在"),
        (lambda d: d["measures"]["money"].update({"元": 0}), "measures.money.元", "正数"),
        (lambda d: d["measures"]["words"].append("件"), "measures.words", "重复的条目 件"),
        (lambda d: d["traps"]["patterns"].append("第(["), "traps.patterns[15]", "正则表达式"),
        (lambda d: d["scope"]["words"].update({"本季度": "quarter"}), "scope.words.本季度", "口径 'quarter'"),
        (lambda d: d["scope"]["cumulative_patterns"].append("近几年"), "scope.cumulative_patterns[2]", "{numeral}"),
        (lambda d: d["levels"]["words"].update({"全镇": "town"}), "levels.words.全镇", "层级 'town'"),
        (lambda d: d["approximation"].update(prefixes=[]), "approximation.prefixes", "非空列表"),
        (lambda d: d.pop("clause"), "clause", "必须是映射"),
        (lambda d: d["clause"].update(subjects=[]), "clause.subjects", "非空列表"),
        (lambda d: d["clause"]["predicates"].append("受理"), "clause.predicates", "重复的条目 受理"),
        (lambda d: d["clause"]["clause_qualifiers"].append("同期"), "clause.clause_qualifiers", "同期 不在"),
        (lambda d: d["clause"]["qualifier_guards"].update({"均": "(?<![均)"}), "clause.qualifier_guards.均", "正则"),
        (lambda d: d["clause"]["qualifier_guards"].update({"同期": "x"}), "clause.qualifier_guards.同期", "不是"),
        (lambda d: d["clause"]["light_predicates"].append("代办"), "clause.light_predicates", "代办 不在"),
        (lambda d: d["clause"]["attributes"].insert(0, "拟[的"), "clause.attributes[0]", "正则"),
        (lambda d: d["clause"]["split_words"].append(["一审"]), "clause.split_words[1]", "至少要有两个词"),
        (lambda d: d["clause"]["split_words"].append(["一审", "一审"]), "clause.split_words[1]", "重复的条目"),
        (lambda d: d["clause"]["other_organs"].update({"档案馆": []}), "clause.other_organs", "不是 clause.subjects"),
    ],
)
def test_extraction_errors_name_file_and_key(tmp_path, edit, key, fragment):
    doc = _doc(EXTRACTION_FILE)
    edit(doc)
    p = _write(tmp_path, "extraction.yaml", doc)
    with pytest.raises(VocabularyError) as e:
        load_extraction(p)
    assert str(e.value).startswith(f"{p}：{key}：") and fragment in str(e.value)


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(VocabularyError, match="无法读取词表文件"):
        load_vocabulary(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("areas: [\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="不是有效的 YAML"):
        load_vocabulary(bad)
    bad.write_text("- a\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="顶层必须是映射"):
        load_vocabulary(bad)


def test_severities_from_the_vocabulary():
    from analysis.present import workbook
    from analysis.present.charts import quality
    from analysis.registry import findings

    v = load_vocabulary()
    assert findings.SEVERITIES == v.ids("severities") == ("error", "warning", "info", "ok")
    assert v.labels("severities") == {"error": "错误", "warning": "警告", "info": "提示", "ok": "通过"}
    assert quality.SEVERITY_LABELS == workbook.SEVERITY == {"error": "错误", "warning": "警告", "info": "提示"}
    assert quality.SEVERITY_COLORS == {"error": "#c53030", "warning": "#dd6b20", "info": "#a0aec0"}
