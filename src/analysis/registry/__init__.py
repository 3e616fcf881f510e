"""The indicator and unit registries and the vocabulary: data files (indicators.yaml, vocabulary.yaml and
extraction.yaml here, read by analysis.registry.vocabulary; the units in config/units.yaml, user data) and their
validating loaders.

A malformed registry is an error that names the file and the entry; it is never half-loaded.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis.core import paths
from analysis.registry.schema import AREAS, DIRECTIONS
from analysis.registry.vocabulary import SAFE_LOADER

INDICATORS_FILE = paths.REGISTRY_DIR / "indicators.yaml"
UNITS_FILE = paths.units_file()  # default location; the loader (registry/units.py) reads paths.units_file()

FRAMEWORK_ITEMS = (
    "政府职能依法全面履行",
    "依法行政制度体系完善",
    "重大行政决策科学民主合法",
    "行政执法严格规范公正文明",
    "突发事件应对依法有力有序",
    "社会矛盾纠纷依法有效预防化解",
    "行政权力制约监督科学有效",
    "法治政府建设科技保障",
    "政府工作人员法治思维和依法行政能力",
    "法治政府建设组织领导落实到位",
)

INDICATOR_FIELDS = ("id", "name_zh", "name_en", "measure", "area", "direction", "framework_item", "keywords")
# The measure word (件, 项, 人次, %, 万元 …) was the key ``unit`` before ``unit`` came to mean only an administrative
# unit; an analyst's own registry written with ``unit:`` still reads (the key is taken as ``measure``).
OLD_MEASURE_KEY = "unit"


class RegistryError(ValueError):
    """The registry file is malformed; the message names the file and the entry."""


def _fail(path: Path, where: str, msg: str) -> RegistryError:
    return RegistryError(f"{path}：{where}：{msg}")


KINDS = ("count", "rate", "money", "amount")
# What an indicator says about an area (issue 9): outcome = a result the area is judged by (rates: 报备率, 败诉率 …);
# activity = something held or done (trainings, campaigns, inspections), scored only as a minority share;
# volume = a neutral count of workload or stock (documents issued, cases, officers), shown as context, never scored.
ROLES = ("outcome", "activity", "volume")
REF_FIELDS = ("numerator", "denominator", "base", "total_of_parent", "at_most")
LIST_FIELDS = ("keywords", "nouns", "zero_words", "parts", "measures")
# Mapping rules (analysis.ingest.reports.facts): what an indicator accepts/refuses, as data. accept.context: the sentence (up
# to the end of the number's clause) must hold one of these words; refuse.words: none of these in the number's clause
# (up to its counted noun); refuse.nouns: the counted noun after the measure word must not start with one;
# refuse.predicates: none of these verbs in the clause before the number; refuse.context: none in the sentence;
# accept.predicates: the number's clause must hold one of these verbs (as a word: 发放 for handed-out materials);
# refuse.subjects / accept.subjects: the clause's subject (who acts, analysis.ingest.reports.clause: 县法院, 区纪委监委,
# 全区 …) must hold none of these / one of these (a clause without a subject passes accept.subjects).
RULE_FIELDS = {
    "accept": ("context", "predicates", "subjects"),
    "refuse": ("words", "nouns", "predicates", "context", "subjects"),
}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _measure_alias(e: dict, path: Path, where: str) -> dict:
    """The entry with an old ``unit:`` key read as ``measure:``; both keys at once is refused."""
    if OLD_MEASURE_KEY not in e:
        return e
    if "measure" in e:
        raise _fail(path, where, "unit 与 measure 不能同时给出（unit 是 measure 的旧名，请只保留 measure）")
    return {("measure" if k == OLD_MEASURE_KEY else k): v for k, v in e.items()}


def _check_entry(e: dict, path: Path, where: str, require_role: bool = False) -> None:
    """Field-level checks of one indicator entry (references are checked once all ids are known)."""
    missing = [f for f in INDICATOR_FIELDS if f not in e]
    if missing:
        raise _fail(path, where, f"缺少字段 {'、'.join(missing)}")
    if not isinstance(e["id"], str) or not _ID_RE.match(e["id"]):
        raise _fail(path, where, f"id {e['id']!r} 只能用小写 ascii 字符（a-z、0-9、_）")
    for f in ("name_zh", "name_en", "measure"):
        if not isinstance(e[f], str) or not e[f].strip():
            raise _fail(path, where, f"{f} 必须是非空文本")
    if e["area"] not in AREAS:
        raise _fail(path, where, f"area {e['area']!r} 不是 {AREAS} 之一")
    if e["direction"] not in DIRECTIONS:
        raise _fail(path, where, f"direction {e['direction']!r} 不是 {DIRECTIONS} 之一")
    if e["framework_item"] not in FRAMEWORK_ITEMS:
        raise _fail(path, where, f"framework_item {e['framework_item']!r} 不是示范指标体系的一级指标")
    if "caliber_zh" in e and (not isinstance(e["caliber_zh"], str) or not e["caliber_zh"].strip()):
        raise _fail(path, where, "caliber_zh（口径）必须是非空的一行文字")
    if "caliber_zh" in e and "\n" in e["caliber_zh"].strip():
        raise _fail(path, where, "caliber_zh（口径）必须写在一行内")
    for f in LIST_FIELDS:
        if f in e and (not isinstance(e[f], list) or not all(isinstance(x, str) and x.strip() for x in e[f])):
            raise _fail(path, where, f"{f} 必须是非空文本组成的列表")
    role = e.get("role")
    if role is None and require_role and e["area"] != "context":
        raise _fail(
            path, where, f"缺少字段 role（{ROLES} 之一，写在 direction: 的下一行）；area {e['area']} 的指标必须有"
        )
    if role is not None and role not in ROLES:
        raise _fail(path, where, f"role {role!r} 不是 {ROLES} 之一")
    if role == "outcome" and e["direction"] == "neutral" and e.get("kind") != "rate" and e["measure"] != "%":
        raise _fail(path, where, "结果类（outcome）计数必须有方向 direction（higher_better 或 lower_better）")
    for f, allowed in RULE_FIELDS.items():
        if f not in e:
            continue
        if not isinstance(e[f], dict) or not e[f]:
            raise _fail(path, where, f"{f} 必须是映射，子键为 {'、'.join(allowed)}")
        for sub, vals in e[f].items():
            if sub not in allowed:
                raise _fail(path, where, f"{f}.{sub} 未知（应为 {'、'.join(allowed)} 之一）")
            if not isinstance(vals, list) or not vals or not all(isinstance(x, str) and x.strip() for x in vals):
                raise _fail(path, where, f"{f}.{sub} 必须是非空文本组成的非空列表")
    kind = e.get("kind")
    if kind is not None and kind not in KINDS:
        raise _fail(path, where, f"kind {kind!r} 不是 {KINDS} 之一")
    if kind == "rate" and e["measure"] != "%":
        raise _fail(path, where, f"比率（rate）的单位必须是 %，不能是 {e['measure']!r}")
    if ("numerator" in e) != ("denominator" in e):
        raise _fail(path, where, "numerator 和 denominator 必须同时给出")
    for f in ("target", "min_denominator"):
        if f in e and (isinstance(e[f], bool) or not isinstance(e[f], int | float)):
            raise _fail(path, where, f"{f} 必须是数字")
    if "target" in e and e["measure"] == "%" and not 0 <= e["target"] <= 100:
        raise _fail(path, where, f"比率的目标值 target {e['target']} 必须在 0–100 之间")
    for f in REF_FIELDS:
        if f in e and (not isinstance(e[f], str) or e[f] == e["id"]):
            raise _fail(path, where, f"{f} 必须是另一个指标的编号")


def validate_indicators(entries: list[dict], path: Path = INDICATORS_FILE, require_role: bool = False) -> pd.DataFrame:
    """Check every entry and return the registry as a DataFrame indexed by id. The registry file must give every
    indicator outside area context a role (``require_role``); an inline test registry may leave roles out (the
    metrics then score without roles)."""
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "顶层", "indicators 下应为非空列表")
    seen: set[str] = set()
    rows = []
    for i, e in enumerate(entries):
        where = f"第 {i + 1} 条（{e.get('id', '?') if isinstance(e, dict) else '?'}）"
        if not isinstance(e, dict):
            raise _fail(path, where, "每个指标必须是映射（id: …, name_zh: …）")
        e = _measure_alias(e, path, where)
        _check_entry(e, path, where, require_role)
        if e["id"] in seen:
            raise _fail(path, where, "编号重复")
        seen.add(e["id"])
        rows.append(e)
    by_id = {e["id"]: e for e in rows}
    for n, e in enumerate(rows, start=1):
        where = f"第 {n} 条（{e['id']}）"
        for f in REF_FIELDS:
            if f in e and e[f] not in seen:
                raise _fail(path, where, f"{f} 引用了不存在的指标 {e[f]!r}")
        for p in e.get("parts", []):
            if p not in seen:
                raise _fail(path, where, f"parts 引用了不存在的指标 {p!r}")
            if by_id[p]["measure"] != e["measure"]:
                raise _fail(path, where, f"分项 {p!r} 的单位是 {by_id[p]['measure']!r}，合计的单位是 {e['measure']!r}")
        if "at_most" in e and by_id[e["at_most"]]["measure"] != e["measure"]:
            raise _fail(path, where, f"at_most {e['at_most']!r} 的单位与本指标不同")
    return pd.DataFrame(rows).set_index("id", drop=False)


@functools.cache
def load_indicators(path: str | None = None) -> pd.DataFrame:
    """The indicator registry as a DataFrame indexed by indicator id (cached per path)."""
    p = Path(path) if path else INDICATORS_FILE
    try:
        doc = yaml.load(p.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RegistryError(f"{p}：不是有效的 YAML：{exc}") from exc
    if not isinstance(doc, dict) or "indicators" not in doc:
        raise RegistryError(f"{p}：应为含 indicators 列表的映射")
    df = validate_indicators(doc["indicators"], p, require_role=True)
    df.attrs["families"] = validate_families(doc.get("families", {}), df, p)
    return df


def validate_families(families: object, indicators: pd.DataFrame, path: Path = INDICATORS_FILE) -> dict[str, list]:
    """The registry's ``families`` section: family prefix → words naming the family in context (see indicators.yaml).
    Every prefix must be the family of at least one indicator."""
    if families is None:
        return {}
    if not isinstance(families, dict):
        raise _fail(path, "families", "必须是映射：族前缀 → 词语列表")
    known = {str(i).split("_", 1)[0] for i in indicators.index}
    out: dict[str, list] = {}
    for fam, words in families.items():
        if fam not in known:
            raise _fail(path, f"families.{fam}", f"没有以 {fam}_ 开头的指标编号")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise _fail(path, f"families.{fam}", "必须是非空文本组成的非空列表")
        out[fam] = list(words)
    return out
