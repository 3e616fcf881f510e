"""The vocabulary as data, read by one loader: ``vocabulary.yaml`` (areas, value states, scopes, levels, directions,
finding severities, with their Chinese labels, order and colours) and ``extraction.yaml`` (the report extractor's
measure words, trap shapes, scope and level words, approximation markers).

Both files are read once per process (cached) and checked whole; a malformed file is an error that names the file and
the key, never half-loaded. The regexes of the extractor are compiled here, from the data. Every module takes these
ids, labels and tables from here (``analysis.registry.schema`` keeps its constant names, derived from the loader).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis.core import paths

# libyaml's safe loader when PyYAML was built with it (5x faster on indicators.yaml), else the pure-Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

VOCABULARY_FILE = paths.REGISTRY_DIR / "vocabulary.yaml"
EXTRACTION_FILE = paths.REGISTRY_DIR / "extraction.yaml"

KINDS = ("areas", "value_states", "scopes", "levels", "directions", "severities")
# fields each entry of a kind must have (text unless named in _BOOL_FIELDS); other text fields are optional
REQUIRED = {
    "areas": ("scored", "label", "color"),
    "value_states": ("label", "method", "note", "color"),
    "scopes": (),
    "levels": (),
    "directions": ("label", "method"),
    "severities": ("label",),
}
_BOOL_FIELDS = frozenset({"scored"})
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
NO_SCOPE = "none"  # a scope word that is matched only so that a shorter word inside it is not (较上年 holds 上年)


class VocabularyError(ValueError):
    """A vocabulary file is malformed; the message names the file and the key."""


def _fail(path: Path, key: str, msg: str) -> VocabularyError:
    return VocabularyError(f"{path}：{key}：{msg}")


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise VocabularyError(f"{path}：无法读取词表文件（{e.strerror or e}）") from e
    try:
        doc = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as e:
        raise VocabularyError(f"{path}：不是有效的 YAML（{e}）") from e
    if not isinstance(doc, dict):
        raise VocabularyError(f"{path}：顶层必须是映射（键: 值）")
    return doc


def _mapping(path: Path, key: str, v: object) -> dict:
    if not isinstance(v, dict):
        raise _fail(path, key, "必须是映射（键: 值）")
    return v


def _text(path: Path, key: str, v: object) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(path, key, "必须是非空文本")
    return v


def _texts(path: Path, key: str, v: object) -> tuple[str, ...]:
    if not isinstance(v, list) or not v:
        raise _fail(path, key, "必须是非空列表")
    out = tuple(_text(path, f"{key}[{i}]", w) for i, w in enumerate(v))
    dup = sorted({w for w in out if out.count(w) > 1})
    if dup:
        raise _fail(path, key, f"重复的条目 {'、'.join(dup)}")
    return out


def _regex(path: Path, key: str, pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise _fail(path, key, f"不是有效的正则表达式（{e}）") from e


@dataclass(frozen=True)
class Vocabulary:
    """Ids in their order with their fields (label, short, title, method, note, color, scored …)."""

    areas: Mapping[str, Mapping[str, object]]
    overall: Mapping[str, object]
    value_states: Mapping[str, Mapping[str, object]]
    scopes: Mapping[str, Mapping[str, object]]
    levels: Mapping[str, Mapping[str, object]]
    directions: Mapping[str, Mapping[str, object]]
    severities: Mapping[str, Mapping[str, object]]

    def ids(self, kind: str) -> tuple[str, ...]:
        """The ids of ``kind`` (areas, value_states, scopes, levels, directions, severities) in their order."""
        return tuple(getattr(self, kind))

    def labels(self, kind: str, field: str = "label") -> dict[str, str]:
        """id → ``field`` of every entry of ``kind`` that has it, in order."""
        return {i: str(e[field]) for i, e in getattr(self, kind).items() if field in e}

    @property
    def scored_areas(self) -> tuple[str, ...]:
        return tuple(a for a, e in self.areas.items() if e["scored"])

    def area_labels(self, field: str = "label") -> dict[str, str]:
        """area id → ``field`` of every area that has it, then the overall score's (``overall`` → 综合)."""
        out = self.labels("areas", field)
        if field in self.overall:
            out[str(self.overall["id"])] = str(self.overall[field])
        return out


def _entries(path: Path, kind: str, v: object) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for iid, e in _mapping(path, kind, v).items():
        key = f"{kind}.{iid}"
        if not isinstance(iid, str) or not _ID_RE.match(iid):
            raise _fail(path, key, "id 只能用小写 ascii 字符（a-z、0-9、_），以字母开头")
        e = _mapping(path, key, {} if e is None else e)
        missing = [f for f in REQUIRED[kind] if f not in e]
        if missing:
            raise _fail(path, key, f"缺少字段 {'、'.join(missing)}")
        for f, x in e.items():
            if f in _BOOL_FIELDS:
                if not isinstance(x, bool):
                    raise _fail(path, f"{key}.{f}", "必须是 true 或 false")
            elif f == "color":
                if not isinstance(x, str) or not _COLOR_RE.match(x):
                    raise _fail(path, f"{key}.{f}", f"颜色 {x!r} 应写成 #rrggbb")
            else:
                _text(path, f"{key}.{f}", x)
        out[iid] = dict(e)
    if not out:
        raise _fail(path, kind, "至少要有一项")
    return out


@functools.lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The checked vocabulary (cached per file)."""
    doc = _read(path)
    missing = [k for k in (*KINDS, "overall") if k not in doc]
    if missing:
        raise _fail(path, "顶层", f"缺少 {'、'.join(missing)}")
    kinds = {k: _entries(path, k, doc[k]) for k in KINDS}
    if not any(e["scored"] for e in kinds["areas"].values()):
        raise _fail(path, "areas", "至少要有一个 scored: true 的领域")
    overall = _mapping(path, "overall", doc["overall"])
    for f in ("id", "label", "short", "color"):
        if f not in overall:
            raise _fail(path, "overall", f"缺少字段 {f}")
        _text(path, f"overall.{f}", overall[f])
    if not _COLOR_RE.match(overall["color"]):
        raise _fail(path, "overall.color", f"颜色 {overall['color']!r} 应写成 #rrggbb")
    if overall["id"] in kinds["areas"]:
        raise _fail(path, "overall.id", f"{overall['id']!r} 已是一个领域的 id")
    return Vocabulary(overall=dict(overall), **kinds)


@dataclass(frozen=True)
class Extraction:
    """The extractor's tables and the regexes compiled from them."""

    measure_words: tuple[str, ...]  # longest first
    measure_guards: Mapping[str, str]  # measure word → regex put right after it
    money_measures: Mapping[str, float]  # money measure word → factor to 万元
    measure_accepts: Mapping[str, tuple[str, ...]]  # canonical measure → measure words that may state it
    approx_prefixes: tuple[str, ...]
    approx_suffixes: tuple[str, ...]  # after the number or its measure word
    approx_number_suffixes: tuple[str, ...]  # of those, the ones that may stand before the measure word
    approx_cell_suffixes: tuple[str, ...]  # read in dataset cells only
    trap_re: re.Pattern
    trap_triggers: frozenset[str]
    scope_words: Mapping[str, str]  # word → scope class (or NO_SCOPE)
    scope_re: re.Pattern
    level_words: Mapping[str, str]  # word → level
    level_re: re.Pattern
    # the clause structure (section ``clause``): subject words, the place prefixes kept before one (县法院), the words
    # before a subject that make it no actor, predicate verbs, qualifier words and which of them count only
    # in the number's own clause
    subject_re: re.Pattern = re.compile("(?!)")
    place_prefixes: frozenset[str] = frozenset()
    not_subject_before: tuple[str, ...] = ()
    pivot_re: re.Pattern = re.compile("(?!)")
    filler_re: re.Pattern = re.compile("(?!)")
    predicate_re: re.Pattern = re.compile("(?!)")
    qualifier_re: re.Pattern = re.compile("(?!)")
    clause_qualifiers: frozenset[str] = frozenset()
    light_predicates: frozenset[str] = frozenset()  # clause.light_predicates: verbs that name no action of their own
    place_nouns: tuple[str, ...] = ()  # clause.place_nouns: counted nouns that are places or bodies (乡镇, 部门)
    split_words: tuple[tuple[str, ...], ...] = ()  # clause.split_words: groups of words splitting one quantity
    modifier_heads: tuple[str, ...] = ()  # clause.modifier_heads: nouns after a keyword that make it a modifier
    # clause.other_organs: organ → id prefixes that still take figures it acts in (every other indicator refuses it)
    other_organs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _measures(path: Path, doc: dict) -> tuple[tuple[str, ...], dict, dict, dict]:
    sec = _mapping(path, "measures", doc.get("measures"))
    words = _texts(path, "measures.words", sec.get("words"))
    guards = {}
    for w, g in _mapping(path, "measures.guards", sec.get("guards", {})).items():
        if w not in words:
            raise _fail(path, f"measures.guards.{w}", "不是 measures.words 中的量词")
        guards[w] = _regex(path, f"measures.guards.{w}", _text(path, f"measures.guards.{w}", g)).pattern
    money = {}
    for w, f in _mapping(path, "measures.money", sec.get("money")).items():
        if w not in words:
            raise _fail(path, f"measures.money.{w}", "不是 measures.words 中的量词")
        if isinstance(f, bool) or not isinstance(f, int | float) or f <= 0:
            raise _fail(path, f"measures.money.{w}", "折算系数必须是正数")
        money[w] = float(f)
    accepts = {}
    for measure, ws in _mapping(path, "measures.accepts", sec.get("accepts")).items():
        key = f"measures.accepts.{measure}"
        ws = _texts(path, key, ws)
        if ws[0] != measure:
            raise _fail(path, key, f"第一项必须是单位本身 {measure!r}")
        _require_subset(path, key, ws, words, "measures.words")
        accepts[str(measure)] = ws
    return words, guards, money, accepts


def _require_subset(path: Path, key: str, words, allowed, allowed_key: str) -> None:
    """Every word of ``words`` must be one of ``allowed`` (the section ``allowed_key``), else a Chinese error at ``key``."""
    unknown = [w for w in words if w not in allowed]
    if unknown:
        raise _fail(path, key, f"{'、'.join(unknown)} 不在 {allowed_key} 中")


def _approximation(path: Path, doc: dict) -> tuple[tuple[str, ...], ...]:
    sec = _mapping(path, "approximation", doc.get("approximation"))
    prefixes = _texts(path, "approximation.prefixes", sec.get("prefixes"))
    suffixes = _texts(path, "approximation.suffixes", sec.get("suffixes"))
    inner = _texts(path, "approximation.number_suffixes", sec.get("number_suffixes"))
    _require_subset(path, "approximation.number_suffixes", inner, suffixes, "approximation.suffixes")
    cell = _texts(path, "approximation.cell_suffixes", sec.get("cell_suffixes"))
    return prefixes, suffixes, inner, cell


def _traps(path: Path, doc: dict) -> tuple[re.Pattern, frozenset[str]]:
    sec = _mapping(path, "traps", doc.get("traps"))
    patterns = _texts(path, "traps.patterns", sec.get("patterns"))
    for i, p in enumerate(patterns):
        _regex(path, f"traps.patterns[{i}]", p)
    triggers = _text(path, "traps.triggers", sec.get("triggers"))
    return re.compile("|".join(patterns)), frozenset(triggers)


def _scope(path: Path, doc: dict, scopes: tuple[str, ...]) -> tuple[dict, re.Pattern]:
    sec = _mapping(path, "scope", doc.get("scope"))
    words = {}
    for w, cls in _mapping(path, "scope.words", sec.get("words")).items():
        if cls not in (*scopes, NO_SCOPE):
            raise _fail(path, f"scope.words.{w}", f"口径 {cls!r} 不是 {(*scopes, NO_SCOPE)} 之一")
        words[_text(path, f"scope.words.{w}", w)] = cls
    numeral = _regex(path, "scope.numeral", _text(path, "scope.numeral", sec.get("numeral"))).pattern
    extra = []
    for i, p in enumerate(_texts(path, "scope.cumulative_patterns", sec.get("cumulative_patterns"))):
        if "{numeral}" not in p:
            raise _fail(path, f"scope.cumulative_patterns[{i}]", "必须含 {numeral}")
        extra.append(_regex(path, f"scope.cumulative_patterns[{i}]", p.replace("{numeral}", numeral)).pattern)
    literal = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return words, re.compile("|".join((literal, *extra)))


def _levels(path: Path, doc: dict, levels: tuple[str, ...]) -> tuple[dict, re.Pattern]:
    sec = _mapping(path, "levels", doc.get("levels"))
    words = {}
    for w, lv in _mapping(path, "levels.words", sec.get("words")).items():
        if lv not in levels:
            raise _fail(path, f"levels.words.{w}", f"层级 {lv!r} 不是 {levels} 之一")
        words[_text(path, f"levels.words.{w}", w)] = lv
    if not words:
        raise _fail(path, "levels.words", "至少要有一项")
    return words, re.compile("|".join(re.escape(w) for w in words))


def trie_branches(words) -> list[str]:
    """The words as the branches of a regex alternation shaped as a prefix trie, one branch per first character: the
    longest word at each place wins, and the engine tests one branch per character instead of every word (a flat
    alternation of a hundred words is slow to scan)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return [re.escape(ch) + build(sub) for ch, sub in sorted(trie.items())]


def trie_pattern(words) -> str:
    """The words as one regex alternation shaped as a prefix trie (longest match first at each position)."""
    branches = trie_branches(words)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")" if branches else ""


def _alternation(words: tuple[str, ...], guards: Mapping[str, str] | None = None) -> str:
    """The words as one regex, longest first at each place: the unguarded ones as a trie, then each guarded one
    followed by its guard (a lookbehind over the word). Every branch starts with a literal, so the engine skips fast
    to the places where one may start."""
    guards = guards or {}
    plain = [w for w in words if w not in guards]
    guarded = [re.escape(w) + guards[w] for w in sorted(guards, key=len, reverse=True) if w in words]
    return "|".join(trie_branches(plain) + guarded)


def _clause(path: Path, doc: dict) -> dict:
    """The ``clause`` section: subject, predicate and qualifier words as compiled regexes."""
    sec = _mapping(path, "clause", doc.get("clause"))
    subjects = _texts(path, "clause.subjects", sec.get("subjects"))
    not_before = _texts(path, "clause.not_subject_before", sec.get("not_subject_before"))
    pivots = _texts(path, "clause.pivot_verbs", sec.get("pivot_verbs"))
    fillers = _texts(path, "clause.fillers", sec.get("fillers"))
    attributes = tuple(
        _regex(path, f"clause.attributes[{i}]", _text(path, f"clause.attributes[{i}]", x)).pattern
        for i, x in enumerate(sec.get("attributes") or ())
    )
    predicates = _texts(path, "clause.predicates", sec.get("predicates"))
    light = _texts(path, "clause.light_predicates", sec["light_predicates"]) if "light_predicates" in sec else ()
    _require_subset(path, "clause.light_predicates", light, predicates, "clause.predicates")
    places = _texts(path, "clause.place_nouns", sec["place_nouns"]) if "place_nouns" in sec else ()
    splits = tuple(
        tuple(_texts(path, f"clause.split_words[{i}]", g)) for i, g in enumerate(sec.get("split_words") or ())
    )
    for i, g in enumerate(splits):
        if len(g) < 2:
            raise _fail(path, f"clause.split_words[{i}]", "一组至少要有两个词")
    heads = _texts(path, "clause.modifier_heads", sec["modifier_heads"]) if "modifier_heads" in sec else ()
    organs = {
        o: _texts(path, f"clause.other_organs.{o}", keep) if keep else ()
        for o, keep in _mapping(path, "clause.other_organs", sec.get("other_organs", {})).items()
    }
    missing = [o for o in organs if o not in subjects]
    if missing:
        raise _fail(path, "clause.other_organs", f"不是 clause.subjects 中的词：{'、'.join(missing)}")
    qualifiers = _texts(path, "clause.qualifiers", sec.get("qualifiers"))
    in_clause = _texts(path, "clause.clause_qualifiers", sec.get("clause_qualifiers"))
    _require_subset(path, "clause.clause_qualifiers", in_clause, qualifiers, "clause.qualifiers")
    guards = {}
    for w, g in _mapping(path, "clause.qualifier_guards", sec.get("qualifier_guards", {})).items():
        if w not in qualifiers:
            raise _fail(path, f"clause.qualifier_guards.{w}", "不是 clause.qualifiers 中的词")
        guards[w] = _regex(path, f"clause.qualifier_guards.{w}", _text(path, f"clause.qualifier_guards.{w}", g)).pattern
    return {
        "subject_re": re.compile(_alternation(subjects)),
        "place_prefixes": frozenset(_text(path, "clause.place_prefixes", sec.get("place_prefixes"))),
        "not_subject_before": not_before,
        "pivot_re": re.compile(f"(?:{_alternation(pivots)})$"),
        "filler_re": re.compile("|".join([_alternation(fillers), *attributes])),
        "predicate_re": re.compile(_alternation(predicates)),
        "qualifier_re": re.compile(_alternation(qualifiers, guards)),
        "clause_qualifiers": frozenset(in_clause),
        "light_predicates": frozenset(light),
        "place_nouns": tuple(places),
        "split_words": splits,
        "modifier_heads": tuple(sorted(heads, key=len, reverse=True)),
        "other_organs": organs,
    }


@functools.lru_cache(maxsize=4)
def load_extraction(path: Path = EXTRACTION_FILE, vocabulary_file: Path = VOCABULARY_FILE) -> Extraction:
    """The checked extractor vocabulary with its compiled regexes (cached per file); scope classes and levels are
    checked against the vocabulary."""
    voc = load_vocabulary(vocabulary_file)
    doc = _read(path)
    words, guards, money, accepts = _measures(path, doc)
    prefixes, suffixes, number_suffixes, cell_suffixes = _approximation(path, doc)
    trap_re, triggers = _traps(path, doc)
    scope_words, scope_re = _scope(path, doc, voc.ids("scopes"))
    level_words, level_re = _levels(path, doc, voc.ids("levels"))
    return Extraction(
        measure_words=words,
        measure_guards=guards,
        money_measures=money,
        measure_accepts=accepts,
        approx_prefixes=prefixes,
        approx_suffixes=suffixes,
        approx_number_suffixes=number_suffixes,
        approx_cell_suffixes=cell_suffixes,
        trap_re=trap_re,
        trap_triggers=triggers,
        scope_words=scope_words,
        scope_re=scope_re,
        level_words=level_words,
        level_re=level_re,
        **_clause(path, doc),
    )
