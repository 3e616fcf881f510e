"""Report text → facts: every quantity with its indicator, unit, approx flag, state, scope, level, evidence and span.

How a number is read (``extract_facts``):

1. The text is normalised to half-width (same length, so spans index the original text) and cut into sentences
   (``。！？；`` and line breaks; a sentence is the evidence) and clauses (``，：`` inside a sentence).
2. One compiled regex (``numbers.NUMBER_RE``) finds every number surface; traps are dropped: numbers inside
   quotes (slogans such as “一二三”工作法, “一件事”), ordinals (第三届, 全省第2名), document numbers (〔2024〕46号),
   formula names (1+4+8), versions (4.0版), policy packages (惠企35条), plan/structure counts (8个方面), time limits
   (5个工作日内), rules (每季度至少1次), ranks (排名…). Bare numbers without a measure word (dates,
   years, 12345热线, 2021—2025年) are not quantities.
3. A growth or point change (同比增长8%, 下降3个百分点, 较上年提升20%) is kept unmapped with a signed value and
   scope ``change``, never as a level: 下降 X% gives −X; a number written with its own minus sign keeps it
   (同比下降-10% is contradictory and stays −10 as written, unmapped).
4. The indicator is chosen from registry keywords: the nearest keyword before the number in its clause segment,
   then a keyword after the number in the clause (对10家单位、7家街道开展…监督检查), then the counted noun itself
   (25家执法单位), then the nearest keyword in an earlier clause of the sentence. The measure word must fit the
   indicator's canonical unit and the noun its ``nouns``; ties go to the exact unit, then to the indicator whose
   base/family was mentioned most recently in the sentence. ``…均达100%`` gives the value to every rate whose base
   was mentioned. Numbers after 其中/包括 get the preceding total as parent.
5. Zero stated in words (无败诉, 零投诉) comes from the registry's ``zero_words``.
6. Structure beyond the nearest keyword: the registry's ``accept``/``refuse`` rules (data, see indicators.yaml) skip an
   indicator whose required context is absent (培训 next to 执法), whose refused predicate stands before the number in
   its clause (审结…案件 is no 受理), whose refused word is in the clause (主办件 is no 办件) or whose counted noun is
   refused (6个乡镇 is no agency). A keyword followed by 中 (…案件中，维持…N件; 建议中已解决的N件) names the set the
   number is a part of, never the number; a part after 其中 never takes its total's id. Values after 分别 go to their
   own names in order (``_respective``). Numbers in a plan (计划, 下一步, 拟, 预计, 不少于…; a section headed
   下一步/工作打算) and explicit targets (力争, 目标, 需达到, 到2025年…) get scope ``target``, unmapped, with the
   fitting ids as candidates; rules (每季度…, 偶数年) give no fact. View counts and honours (阅读量, 荣获…称号) give no fact.
7. Word boundaries: a keyword counts only where it is a word of the sentence as cut by the registry-aware segmenter
   (``analysis.ingest.reports.segment``, rjieba with the registry's words as user dictionary): 督|办件 and 主|办件 hold no
   办件, 审结|案件 holds no 结案; a modifier before the keyword keeps it (业务|培训). See ``_Words``.
8. Every fact says which rule decided it (``rule``) and how sure that is (``confidence``, RULE_CONFIDENCE); when
   indicators fit equally and nothing in the sentence says which, the fact is unmapped with ``candidates``.

Sign convention of reductions: a percentage reduction (压减/压缩/减少/下降 X%, also 分别压减 X%、Y%) is a change with
value −X (scope ``change``, unmapped); a reduction stated as a count (精简材料126份) is a plain positive count.

The output order is by span start, then by the index of the shared indicator.

Scope markers (``scope``): the last marker before the number in its sentence wins, default ``year``; ``to_date``
(截至) is not overridden by cumulative markers (累计, 以来) that follow it (see ``_Marks.scope``); changes get ``change``.

Speed (bench/bench_extract.py, ~1.6 ms for the 3,100-character seed report): the whole text is scanned once per
marker kind (numbers, quotes, sentence ends, scope/level/其中 markers, zero words) and positions are looked up by
bisect; keywords are scanned once per clause that holds a number (cached per sentence); word boundaries come from the
segmenter's per-sentence cache (a sentence never seen costs one rjieba cut, ≈0.3 µs a character); family words and
headings are only looked for when candidates tie; a trap window is only run
through the long TRAP_RE alternation when it holds one of TRAP_TRIGGERS; the frame is built once from columns.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest.reports.numbers import MONEY_UNITS, NUMBER_RE, Quantity, normalize, quantity_from_match
from analysis.ingest.reports.segment import Segmenter
from analysis.registry.schema import FACT_COLUMNS, UNMAPPED
from analysis.registry.vocabulary import load_extraction

# The extractor's tables (registry/extraction.yaml): canonical unit → measure words that may state it, trap shapes,
# scope and level words; the regexes are compiled by the loader.
_EXTRACTION = load_extraction()
UNIT_ACCEPTS = _EXTRACTION.unit_accepts

SENTENCE_END_RE = re.compile(r"[。!?;\n]")  # a sentence (the evidence) ends at 。！？； or a line break
CLAUSE_SEP_RE = re.compile(r"[,:]")
QUOTE_RE = re.compile(  # quoted slogans and 《titles》: their numbers are names, not figures
    r"“[^“”\n]{0,60}”|「[^」\n]{0,60}」|『[^』\n]{0,60}』|‘[^‘’\n]{0,60}’|\"[^\"\n]{0,30}\"|《[^《》\n]{0,80}》"
)
TRAP_RE = _EXTRACTION.trap_re  # shapes around a number that make it no figure (〔2024〕46号, 第三届, 1+4+8 …)
# Every TRAP_RE match holds one of these characters: a window without any cannot hold a trap (kept in step with the
# patterns in the data; test_facts.test_trap_triggers_cover_every_trap checks the trap examples).
TRAP_TRIGGERS = _EXTRACTION.trap_triggers
RULE_RE = re.compile(r"每(?<!平均每)(?:年|季度|半年|两年|月|周|天|日)|偶数年|奇数年|每隔")  # rules: dropped (no fact)
# Explicit targets, looked for in the sentence before the number (工作目标：…, 力争…, 到2025年…需达到…): scope target,
# unmapped, the fitting ids as candidates — never a yearly figure. 目标考核/目标责任 (an appraisal) is no target.
EXPLICIT_TARGET_RE = re.compile(r"力争|目标(?!考核|责任|管理)|需达到|应达到|要求达到|到20\d\d年")
# A plan: the number is what the unit means to do, never this year's figure (scope ``target``, unmapped, the
# indicators that would fit listed as candidates; rules, RULE_RE, give no fact at all). Looked for in the sentence
# before the number; a section headed
# 下一步/工作打算/工作计划… makes every number in it a target (see TARGET_HEADING_RE).
TARGET_RE = re.compile(
    r"计划|下一步|下步|打算|拟(?!修改|修订)|预计|争取|确保|按照规划|不少于|不低于|至少|明年|今后|将于|控制在"
)
TARGET_HEADING_RE = re.compile(
    r"(?m)^[ \t]*(?:[一二三四五六七八九十]+、|[(][一二三四五六七八九十]+[)]|第[一二三四五六七八九十]+部分)?[^\n。]{0,12}"
    r"(?:下一步|工作打算|工作计划|工作安排|工作思路|努力方向|工作重点)[^\n]{0,30}$"
)
HEADING_RE = re.compile(r"(?m)^[ \t]*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")
# Numbers that are no performance figure: view counts and honours (阅读量10万次, 荣获表彰12个), looked for in the clause
VIEW_HONOUR_RE = re.compile(
    r"播放量|阅读量|点击量|浏览量|访问量|观看人数|观看量|点赞|转发量|关注量|粉丝|荣誉|表彰|称号|获评|荣获|获奖|评为|先进集体|先进个人"
)
RESPECTIVE_SPLIT = "、和及与"
SUBSET_END_RE = re.compile(r"[^,:。;]{0,12}中[,:]")  # …案件中， / 在审结的行政诉讼案件中，: the set, not the number
SUBSET_AFTER_RE = re.compile(r"(?:案件|事项)?中(?=[已的有])")  # 人大代表建议中已解决的41件: a part of the named set
STRUCTURE_RE = re.compile(r"[0-9一二三四五六七八九十]+(?:个方面|方面|大类)")  # 8个方面31项任务: plan structure
RANK_RE = re.compile(r"排名|名列|位列|位居")
CHANGE_RE = re.compile(
    r"(?:同比|环比|较上年|比上年|较去年|比去年|较\d{4}年)?(?P<verb>增长|增加|上升|提升|提高|下降|减少|降低|压降|压减|压缩|下滑)了?$"
)
NEGATIVE_VERBS = ("下降", "减少", "降低", "压降", "压减", "压缩", "下滑")
SHARED_RE = re.compile(r"均(?:为|达到|达|是|保持)?$")
TOTAL_LIST_RE = re.compile(r"(?:共计|合计|总计|共|累计)(?:达)?$")
PART_MARK_RE = re.compile(r"其中|包括")
# Scope and level markers: flat alternations of words starting with a literal (fast to scan); the word → its class.
_SCOPE_WORDS = _EXTRACTION.scope_words
SCOPE_RE = _EXTRACTION.scope_re  # the words longest first, then 近N年, 连续N年
# 1-10月, kept apart so that SCOPE_RE stays an alternation of literal-led words
MONTH_RANGE_RE = re.compile(r"[0-9][0-9]?\s*[-—–~至]\s*[0-9][0-9]?月")
_LEVEL_WORDS = _EXTRACTION.level_words
LEVEL_RE = _EXTRACTION.level_re


def scope_of(word: str) -> str:
    """The scope class of a SCOPE_RE match."""
    if word in _SCOPE_WORDS:
        return _SCOPE_WORDS[word]
    return "partial_period" if word.endswith("月") else "cumulative"


QUOTE_CHARS = '“”‘’"「」『』 '


@dataclass
class Matcher:
    """Registry preprocessed once for matching: one keyword regex, units, nouns, relations, families.

    The family of an indicator is its id prefix before the first ``_`` (``rec``, ``lit``, ``nd`` …); a keyword shared
    by several families (审结, 结案率) goes to the family the sentence is about.
    """

    order: dict[str, int]
    unit: dict[str, str]
    family: dict[str, str]
    nouns: dict[str, tuple[str, ...]]
    related: dict[str, frozenset[str]]
    parts: dict[str, frozenset[str]]
    part_of: dict[str, str]  # part indicator → the total it belongs to
    kw_re: re.Pattern | None  # one trie-shaped alternation of every keyword (longest at each start)
    # keyword → every keyword that is a prefix of it (itself included) with its indicator ids, longest first
    prefixes: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]
    zero_re: re.Pattern | None
    zero_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # registry accept/refuse rules (data): words that refuse an indicator when found in the number's clause, counted
    # nouns that refuse it, and context words of which the sentence must hold one for the indicator to be accepted
    refuse_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refuse_nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    accept_context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refuse_context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refuse_predicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    accept_predicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kw_any_re: re.Pattern = field(default_factory=lambda: re.compile("(?!)"))
    # (indicator ids of a keyword, measure word) → (id, unit fit, nouns) of the ids whose unit fits
    fit_cache: dict[tuple[tuple[str, ...], str], tuple[tuple[str, int, tuple[str, ...]], ...]] = field(
        default_factory=dict
    )
    measures: dict[str, frozenset[str]] = field(default_factory=dict)  # registry ``measures``: the only ones taken
    # word boundaries (rjieba with the registry's words): a keyword counts only where it is a word (主办件 is no 办件)
    segmenter: Segmenter | None = None
    # the registry's ``families`` section: words naming a family in context (行政复议 → rec), one regex
    family_re: re.Pattern | None = None
    family_of: dict[str, str] = field(default_factory=dict)


def _as_list(v) -> list:
    return list(v) if isinstance(v, list | tuple) else []


def _as_str(v) -> str:
    return v if isinstance(v, str) else ""


def build_matcher(indicators: pd.DataFrame) -> Matcher:
    """Preprocess the registry (keyword index, relations) for ``extract_facts``."""
    kw_ids: dict[str, list[str]] = {}
    zero_ids: dict[str, list[str]] = {}
    order, unit, family, nouns, related, parts = {}, {}, {}, {}, {}, {}
    for i, (iid, row) in enumerate(indicators.iterrows()):
        order[iid] = i
        unit[iid] = row["unit"]
        family[iid] = iid.split("_", 1)[0]
        nouns[iid] = tuple(normalize(n) for n in _as_list(row.get("nouns")))
        rel = {_as_str(row.get(f)) for f in ("base", "denominator", "numerator", "at_most")} - {""}
        related[iid] = frozenset(rel)
        parts[iid] = frozenset(_as_list(row.get("parts")))
        for kw in _as_list(row.get("keywords")):
            kw_ids.setdefault(normalize(kw), []).append(iid)
        for zw in _as_list(row.get("zero_words")):
            zero_ids.setdefault(normalize(zw), []).append(iid)
    prefixes = {
        kw: tuple(sorted(((p, tuple(kw_ids[p])) for p in kw_ids if kw.startswith(p)), key=lambda t: -len(t[0])))
        for kw in kw_ids
    }
    kw_re = re.compile(_trie_pattern(kw_ids)) if kw_ids else None
    # every keyword start, also inside a longer keyword (法治宣传资料: 法治宣传 and 宣传资料 overlap)
    kw_any_re = re.compile("(?=(" + _trie_pattern(kw_ids) + "))") if kw_ids else re.compile("(?!)")
    zero_re = re.compile("|".join(re.escape(z) for z in sorted(zero_ids, key=len, reverse=True))) if zero_ids else None
    part_of = {p: total for total, ps in parts.items() for p in sorted(ps)}
    refuse_words, refuse_nouns, accept_context, refuse_context, refuse_predicates = {}, {}, {}, {}, {}
    accept_predicates: dict[str, tuple[str, ...]] = {}
    user_words = set(kw_ids) | set(zero_ids) | {n for ns in nouns.values() for n in ns}
    families = indicators.attrs.get("families") or {}
    family_of = {normalize(w): fam for fam, ws in families.items() for w in ws if fam in set(family.values())}
    for iid, row in indicators.iterrows():
        for rules in (row.get("accept"), row.get("refuse")):
            if isinstance(rules, dict):
                user_words.update(normalize(w) for ws in rules.values() for w in _as_list(ws))
        acc = row.get("accept") if isinstance(row.get("accept"), dict) else {}
        ref = row.get("refuse") if isinstance(row.get("refuse"), dict) else {}
        if ref.get("words"):
            refuse_words[iid] = tuple(normalize(w) for w in ref["words"])
        if ref.get("nouns"):
            refuse_nouns[iid] = tuple(normalize(w) for w in ref["nouns"])
        if acc.get("context"):
            accept_context[iid] = tuple(normalize(w) for w in acc["context"])
        if ref.get("context"):
            refuse_context[iid] = tuple(normalize(w) for w in ref["context"])
        if ref.get("predicates"):
            refuse_predicates[iid] = tuple(normalize(w) for w in ref["predicates"])
        if acc.get("predicates"):
            accept_predicates[iid] = tuple(normalize(w) for w in acc["predicates"])
    return Matcher(
        order,
        unit,
        family,
        nouns,
        related,
        parts,
        part_of,
        kw_re,
        prefixes,
        zero_re,
        {k: tuple(v) for k, v in zero_ids.items()},
        refuse_words=refuse_words,
        refuse_nouns=refuse_nouns,
        accept_context=accept_context,
        refuse_context=refuse_context,
        refuse_predicates=refuse_predicates,
        accept_predicates=accept_predicates,
        kw_any_re=kw_any_re,
        segmenter=Segmenter(user_words | set(family_of)),
        measures={iid: frozenset(ms) for iid, row in indicators.iterrows() if (ms := _as_list(row.get("measures")))},
        family_re=re.compile(_trie_pattern(family_of)) if family_of else None,
        family_of=family_of,
    )


def _trie_pattern(words) -> str:
    """A regex alternation shaped as a prefix trie (longest match first at each position)."""
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

    return build(trie)


_MATCHER_CACHE: dict[int, tuple[pd.DataFrame, Matcher]] = {}


def get_matcher(indicators: pd.DataFrame | None = None) -> Matcher:
    """The cached Matcher for a registry DataFrame (the packaged registry when None)."""
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    hit = _MATCHER_CACHE.get(id(indicators))
    if hit is not None and hit[0] is indicators:
        return hit[1]
    m = build_matcher(indicators)
    if len(_MATCHER_CACHE) >= 8:  # a few registries per process at most; drop the oldest
        del _MATCHER_CACHE[next(iter(_MATCHER_CACHE))]
    _MATCHER_CACHE[id(indicators)] = (indicators, m)
    return m


def unit_fit(canonical: str, measure: str) -> int:
    """2 when the measure word is the canonical unit, 1 when it may state it, 0 when it cannot."""
    if measure == canonical:
        return 2
    return 1 if measure in UNIT_ACCEPTS.get(canonical, ()) else 0


Hit = tuple[int, int, str, tuple[str, ...]]  # start, end, keyword, indicator ids


def _by_end(h: Hit) -> tuple[int, int]:
    return (-h[1], h[0])


def scan_keywords(text: str, start: int, end: int, m: Matcher, words: _Words | None = None) -> list[Hit]:
    """Registry keywords inside text[start:end]: the longest at each place a scan stops (a keyword starting inside
    a longer one is not reported) plus the shorter keywords that are prefixes of it. With ``words`` (the sentence's
    word boundaries) a keyword that starts or ends inside a word is skipped (主办件 holds no 办件)."""
    hits: list[Hit] = []
    if m.kw_re is None:
        return hits
    bounds = words.bounds if words is not None else None
    if bounds is None:
        for mm in m.kw_re.finditer(text, start, end):
            i = mm.start()
            hits.extend((i, i + len(kw), kw, ids) for kw, ids in m.prefixes[mm.group()])
        return hits
    s0 = words.s0
    for mm in m.kw_re.finditer(text, start, end):
        i = mm.start()
        if i - s0 not in bounds and not words.starts_word(i):
            continue
        # once the longest keyword here ends on a word boundary, its prefixes name it too (告知承诺制 → 告知承诺)
        whole = False
        for kw, ids in m.prefixes[mm.group()]:
            if whole or i + len(kw) - s0 in bounds:
                whole = True
                hits.append((i, i + len(kw), kw, ids))
    return hits


class _Words:
    """Word boundaries of one sentence (text[s0:s1]) from the registry-aware segmenter.

    A keyword is a mention where it starts a word, or where the word it starts inside has at least two characters
    before it (a modifier: 业务|培训, 法治|宣传资料 — Chinese compounds are headed on the right); a keyword that starts
    one character into a word is part of another word (主|办件, 协|办件, 督|办件). It must end on a word boundary
    (审结|案件 holds no 结案), or be a prefix of a longer keyword that does (告知承诺 in 告知承诺制)."""

    __slots__ = ("bounds", "s0", "starts")

    def __init__(self, m: Matcher, text: str, s0: int, s1: int) -> None:
        self.s0 = s0
        self.bounds = m.segmenter.bounds(text[s0:s1]) if m.segmenter is not None else None
        self.starts: list[int] | None = None  # sorted bounds, made when a keyword starts inside a word

    def starts_word(self, a: int) -> bool:
        if self.bounds is None:
            return True
        r = a - self.s0
        if r in self.bounds:
            return True
        if self.starts is None:
            self.starts = sorted(self.bounds)
        i = bisect.bisect_right(self.starts, r) - 1  # the start of the word a is inside
        return r - self.starts[i] >= 2

    def ends_word(self, b: int) -> bool:
        return self.bounds is None or b - self.s0 in self.bounds

    def is_word(self, a: int, b: int) -> bool:
        """True when text[a:b] may be a mention (see the class doc; always without a segmenter)."""
        return self.starts_word(a) and self.ends_word(b)


def scan_overlaps(text: str, start: int, end: int, m: Matcher, words: _Words | None = None) -> list[Hit]:
    """Keywords that start inside a keyword found by ``scan_keywords`` and end after it (法治宣传资料: 宣传资料 after
    法治宣传), nearest end first. Only a fallback when the keywords found first do not fit the number: an overlap is
    as often a false word (结案 in 审结案件) as a true one."""
    hits: list[Hit] = []
    reach, first = -1, -1
    for mm in m.kw_any_re.finditer(text, start, end):
        g = mm.group(1)
        if not g:
            continue
        i, e = mm.start(), mm.start() + len(g)
        if i >= reach:  # a keyword scan_keywords finds itself
            reach, first = e, i
            continue
        if e > reach and i > first:
            hits.extend(
                (i, i + len(kw), kw, ids)
                for kw, ids in m.prefixes[g]
                if i + len(kw) > reach and (words is None or words.is_word(i, i + len(kw)))
            )
            reach = e
    return hits


@dataclass
class _Ctx:
    """What the sentence has said so far: last position of each mapped indicator and of each family."""

    ids: dict[str, int] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)
    # pairs of families named together as the latest mention of each (行政复议和行政应诉): a tie between them is open
    together: dict[frozenset[str], int] = field(default_factory=dict)


def _fitting(m: Matcher, ids: tuple[str, ...], measure: str, head: str, strict: bool) -> list[tuple[str, int]]:
    """(indicator, score) of the ids whose unit fits the measure word; with a keyword after the number
    (``strict``) the noun after the measure word must be one of the indicator's nouns when it declares some."""
    key = (ids, measure)
    fitting = m.fit_cache.get(key)
    if fitting is None:
        fitting = m.fit_cache[key] = tuple(
            (iid, f, m.nouns[iid])
            for iid in ids
            if (f := unit_fit(m.unit[iid], measure)) and (iid not in m.measures or measure in m.measures[iid])
        )
    out = []
    for iid, fit, ns in fitting:
        noun_ok = head.startswith(ns)  # a tuple of nouns; False when the indicator declares none
        if strict and ns and not noun_ok:
            continue
        out.append((iid, fit + (1 if noun_ok else 0)))
    return out


def _allowed(
    m: Matcher,
    iid: str,
    text: str,
    clause: tuple[int, int],
    q: Quantity,
    head: str,
    s0: int,
    para: Callable[[], str] | None = None,
) -> bool:
    """False when the registry refuses ``iid`` here: a refused word in the clause up to the counted noun, a refused
    counted noun, a refused predicate in the clause before the number, none of its accepted predicates in the clause,
    a refused context word in the sentence (up to
    the end of the number's clause), or none of the indicator's required context words there nor in ``para`` (the
    heading and opening clause above the sentence)."""
    words = m.refuse_words.get(iid)
    if words:
        window = text[clause[0] : min(clause[1], q.end + 8)]
        if any(w in window for w in words):
            return False
    nouns = m.refuse_nouns.get(iid)
    if nouns and head.startswith(nouns):
        return False
    preds = m.refuse_predicates.get(iid)
    if preds:
        clause_before = text[clause[0] : q.start]
        if any(w in clause_before for w in preds):
            return False
    preds = m.accept_predicates.get(iid)
    if preds and not any(w in text[clause[0] : clause[1]] for w in preds):
        return False  # the clause holds none of the verbs the indicator counts (发放 for handed-out materials)
    ctx = m.accept_context.get(iid)
    if ctx:
        said = text[s0 : clause[1]]  # the sentence up to the end of the number's clause
        if not any(w in said for w in ctx):
            above = para() if para is not None else ""
            if not any(w in above for w in ctx):
                return False
    ctx = m.refuse_context.get(iid)
    if ctx:
        said = text[s0 : clause[1]]
        if any(w in said for w in ctx):
            return False
    return True


def _rank(m: Matcher, cands: list[tuple[str, int]], ctx_fn: Callable[[frozenset[str]], _Ctx]) -> list[str]:
    """Candidates best first: exact unit, then base/related indicator mentioned latest, then family, then order;
    [] when several fit equally and the sentence mentions none of their relatives or families."""
    if len(cands) == 1:
        return [cands[0][0]]
    ctx = ctx_fn(frozenset(iid for iid, _ in cands))

    def key(c: tuple[str, int]):
        iid, fit = c
        rel = max((ctx.ids.get(r, -1) for r in m.related[iid]), default=-1)
        fam = ctx.families.get(m.family[iid], -1)
        return (-fit, -(rel + 1) * 1_000_000 - (fam + 1), m.order[iid])

    ranked = sorted(cands, key=key)
    best, second = key(ranked[0]), key(ranked[1])
    if best[0] == second[0] and best[1] == 0:
        return []  # equally fitting and nothing in the sentence says which: better unmapped than wrong
    fa, fb = m.family[ranked[0][0]], m.family[ranked[1][0]]
    pair_end = ctx.together.get(frozenset((fa, fb)), -1) if fa != fb and best[0] == second[0] else -1
    if pair_end >= 0:
        rel = max((ctx.ids.get(r, -1) for r in m.related[ranked[0][0]]), default=-1)
        if rel <= pair_end:  # nothing after the pair (a related figure, a later mention) says which family
            return []  # 行政复议和行政诉讼案件审结28件: both families named together, the figure may be either
    return [iid for iid, _ in ranked]


def _choose(
    m: Matcher,
    text: str,
    q: Quantity,
    seg_start: int,
    clause: tuple[int, int],
    hits_clause: list[Hit],
    hits_by_end: list[Hit],
    earlier_fn: Callable[[], list[Hit]],
    ctx_fn: Callable[[frozenset[str]], _Ctx],
    after_part_mark: bool,
    taken: dict[str, int],
    s0: int = 0,
    words: _Words | None = None,
    para: Callable[[], str] | None = None,
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    """((indicator id, keyword that named it) …, decision rule, candidate ids) — several ids for a shared value;
    no id when unmapped (the candidates then list the indicators that fitted equally well, if any)."""
    measure = q.measure
    noun_pos = q.end
    while noun_pos < clause[1] and text[noun_pos] in QUOTE_CHARS:
        noun_pos += 1
    head = text[noun_pos : noun_pos + 12]  # the counted noun (leading quotes skipped)

    def _candidates(m: Matcher, ids: tuple[str, ...], measure: str, head: str, strict: bool) -> list[tuple[str, int]]:
        return [
            c for c in _fitting(m, ids, measure, head, strict) if _allowed(m, c[0], text, clause, q, head, s0, para)
        ]

    seg = text[seg_start : q.start]
    limit = q.start
    if "、" in seg and TOTAL_LIST_RE.search(seg):  # A、B、C共计N次: the name precedes the list
        limit = seg_start + seg.index("、")
    before = [h for h in hits_by_end if h[0] >= seg_start and h[1] <= limit]
    if TOTAL_LIST_RE.search(seg):  # 人大代表建议和政协提案共186件: a total of two named things, neither one's figure
        named = sorted(_maximal([h for h in before if h[1] <= q.start]))
        for x, y in zip(named, named[1:], strict=False):
            if text[x[1] : y[0]] in ("和", "及", "与", "以及") and set(x[3]).isdisjoint(y[3]):
                both = [c[0] for h in (x, y) for c in _candidates(m, h[3], measure, head, False)]
                if len(both) >= 2:
                    return [], "ambiguous", tuple(dict.fromkeys(both))
    if measure == "%" and SHARED_RE.search(seg):  # 办复率和满意率均为100%: one value, several rates
        chosen: list[tuple[str, str]] = []
        for h in before:
            cands = _candidates(m, h[3], measure, head, False)
            if not cands:
                continue
            ctx = ctx_fn(frozenset(iid for iid, _ in cands))
            rel = [c for c in cands if any(r in ctx.ids for r in m.related[c[0]])]
            picked = _rank(m, rel, ctx_fn) if rel else _rank(m, cands, ctx_fn)[:1]
            for iid in picked:
                if all(iid != c[0] for c in chosen):
                    chosen.append((iid, h[2]))
        if chosen:
            return chosen, "shared", ()
    for h in before:
        if SUBSET_AFTER_RE.match(text, h[1]):
            continue
        cands = _candidates(m, h[3], measure, head, False)
        if cands:
            return _decide(m, cands, ctx_fn, h[2], "keyword")
    for h in sorted(scan_overlaps(text, seg_start, limit, m, words), key=_by_end):
        cands = _candidates(m, h[3], measure, head, False)
        if cands:
            return _decide(m, cands, ctx_fn, h[2], "keyword")
    after = [h for h in hits_clause if h[0] >= q.end]  # scan order: by start, the longest first
    for h in after:
        if h[0] > noun_pos:
            cands = _candidates(m, h[3], measure, head, True)
            if cands:
                return _decide(m, cands, ctx_fn, h[2], "keyword_after")
    for h in after:  # the counted noun itself names the indicator (25家执法单位)
        if h[0] <= noun_pos:
            cands = _candidates(m, h[3], measure, head, True)
            if cands:
                return _decide(m, cands, ctx_fn, h[2], "noun")
    if not after_part_mark:  # parts after 其中 without a keyword of their own stay unmapped
        # a clause ending in 中 (行政复议案件中，维持…N件) names the set the number is a part of, not the number
        earlier = sorted((h for h in earlier_fn() if not SUBSET_END_RE.match(text, h[1])), key=_by_end)
        for h in earlier:  # a keyword that already named a number of this sentence does not name a second one
            cands = [c for c in _candidates(m, h[3], measure, head, False) if c[0] not in taken]
            if cands:
                return _decide(m, cands, ctx_fn, h[2], "earlier_clause")
    return [], "no_keyword", ()


def _decide(
    m: Matcher, cands: list[tuple[str, int]], ctx_fn: Callable[[frozenset[str]], _Ctx], kw: str, rule: str
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    """The best candidate named by keyword ``kw`` (rule ``rule``, ``+context`` when the sentence's family or a
    related indicator broke a tie), or none with every candidate listed when nothing in the sentence says which."""
    r = _rank(m, cands, ctx_fn)
    if not r:
        return [], "ambiguous", tuple(sorted({c[0] for c in cands}, key=m.order.__getitem__))
    return [(r[0], kw)], rule if len(cands) == 1 else rule + "+context", ()


# How sure a decision rule is (0–1): a keyword right before the number in its own clause is the strongest evidence,
# a keyword borrowed from an earlier clause the weakest; a tie broken by the sentence's context costs a little.
RULE_CONFIDENCE = {
    "keyword": 0.9,
    "keyword_after": 0.8,
    "noun": 0.85,
    "earlier_clause": 0.7,
    "shared": 0.85,
    "zero_words": 0.9,
    "parts": 0.75,
}
CONTEXT_PENALTY = 0.1


_CONFIDENCE_CACHE: dict[str, float] = {}


def rule_confidence(rule: str) -> float:
    """The confidence of a decision rule (``keyword+context`` = keyword − CONTEXT_PENALTY); 0 for unmapped rules."""
    got = _CONFIDENCE_CACHE.get(rule)
    if got is None:
        base, _, ctx = rule.partition("+")
        c = RULE_CONFIDENCE.get(base, 0.0)
        got = _CONFIDENCE_CACHE[rule] = round(max(0.0, c - CONTEXT_PENALTY) if ctx and c else c, 3)
    return got


def _maximal(hits: list[Hit]) -> list[Hit]:
    """Hits not contained in a longer hit (议案 inside 复议案件 says nothing)."""
    return [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)]


class _Marks:
    """Positions and classes of marker words in the whole text (scope, level), 'none' markers dropped."""

    def __init__(self, found: list[tuple[int, str]]) -> None:
        kept = sorted(f for f in found if f[1] != "none")
        self.pos = [p for p, _ in kept]
        self.cls = [c for _, c in kept]

    def last(self, lo: int, pos: int, default: str) -> str:
        """The class of the last marker in [lo, pos), else ``default``."""
        i = bisect.bisect_left(self.pos, pos)
        return self.cls[i - 1] if i and self.pos[i - 1] >= lo else default

    def scope(self, lo: int, pos: int) -> str:
        """The scope of a number at ``pos`` in a sentence starting at ``lo``.

        Precedence of scope markers: the last marker before the number wins (上年…, 今年以来…, 1-10月…), default
        ``year``; except that ``cumulative`` markers (累计, 以来, 近N年, 连续N年) do not override an earlier
        ``to_date`` marker (截至/截止) when only cumulative markers stand between them: 截至目前累计办理2078件 is
        ``to_date`` (截至 bounds the period, 累计 only says the figure is summed within it).
        """
        i = bisect.bisect_left(self.pos, pos)
        j = i - 1
        while j >= 0 and self.pos[j] >= lo and self.cls[j] == "cumulative":
            j -= 1
        if j < i - 1 and j >= 0 and self.pos[j] >= lo and self.cls[j] == "to_date":
            return "to_date"
        return self.cls[i - 1] if i and self.pos[i - 1] >= lo else "year"


COORDINATORS = frozenset(("和", "及", "与", "以及", "、", "或"))
# a heading line: numbered (一、 （一） 1. 第一部分) or short without a sentence end
_HEADING_LINE_RE = re.compile(
    r"(?m)^[ \t]*(?:(?:[一二三四五六七八九十]+、|[(][一二三四五六七八九十]+[)]|[0-9]+[.、]|第[一二三四五六七八九十]+部分)"
    r"[^\n]{0,40}|[^\n。;!?]{2,25})$"
)
_OPENING_END_RE = re.compile(r"[,:。;!?\n]")


class _FamilyMarks:
    """Family words (registry ``families``) in the whole text, and per sentence the context its paragraph gives: the
    words of the nearest heading line above it and of its paragraph's opening clause (「一是做好行政复议和行政应诉。」)."""

    def __init__(self, m: Matcher, norm: str) -> None:
        self.norm, self.m = norm, m
        self.headings: list[tuple[int, int]] | None = None  # found on first use (only a tie needs the context)
        self.heading_starts: list[int] = []

    def _in(self, a: int, b: int) -> list[tuple[int, int, str]]:
        fam_re, of = self.m.family_re, self.m.family_of
        return [(mm.start(), mm.end(), of[mm.group()]) for mm in fam_re.finditer(self.norm, a, b)] if fam_re else []

    def context_spans(self, s0: int) -> list[tuple[int, int]]:
        """The spans that set the context of a sentence starting at s0: the nearest heading line above it (within
        2,000 characters) and its paragraph's opening clause, when these stand before the sentence."""
        if self.headings is None:
            self.headings = [(h.start(), h.end()) for h in _HEADING_LINE_RE.finditer(self.norm)]
            self.heading_starts = [h[0] for h in self.headings]
        out = []
        k = bisect.bisect_right(self.heading_starts, s0) - 1
        while k >= 0 and self.headings[k][1] >= s0:  # the line holding the sentence is not its heading
            k -= 1
        if k >= 0 and s0 - self.headings[k][1] < 2000:
            out.append(self.headings[k])
        para = self.norm.rfind("\n", 0, s0) + 1
        end = _OPENING_END_RE.search(self.norm, para)
        if end is not None and end.start() <= s0 and (k < 0 or para > self.headings[k][1]):
            out.append((para, end.start()))
        return out

    def context_text(self, s0: int) -> str:
        """The text of ``context_spans`` (an indicator's accept.context may be met there)."""
        return "\n".join(self.norm[a:b] for a, b in self.context_spans(s0))

    def around(self, s0: int, s1: int) -> list[tuple[int, int, str]]:
        """The family words naming the context of the sentence text[s0:s1]: heading, opening clause, the sentence."""
        if self.m.family_re is None:
            return []
        out: list[tuple[int, int, str]] = []
        for a, b in self.context_spans(s0):
            out += self._in(a, b)
        return out + self._in(s0, s1)


def _named_together(norm: str, named: list[tuple[int, int, str]], latest: dict[str, int]) -> dict[frozenset[str], int]:
    """Pairs of families whose latest mentions stand next to each other joined by 和/及/与/、 (行政复议和行政应诉),
    with the end of the pair."""
    spans: list[list] = []
    for a, e, fam in sorted(named):
        if spans and spans[-1][2] == fam and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e)  # 行政诉讼 inside 行政诉讼案件: one mention
        else:
            spans.append([a, e, fam])
    out: dict[frozenset[str], int] = {}
    for x, y in zip(spans, spans[1:], strict=False):
        if x[2] != y[2] and norm[x[1] : y[0]] in COORDINATORS:
            if latest.get(x[2], -1) <= y[1] and latest.get(y[2], -1) <= y[1]:
                out[frozenset((x[2], y[2]))] = y[1]
    return out


def _scan_marks(norm: str) -> tuple[_Marks, _Marks, list[int], list[tuple[int, int]]]:
    scopes = [(mm.start(), scope_of(mm.group())) for mm in SCOPE_RE.finditer(norm)]
    scopes += [(mm.start(), "partial_period") for mm in MONTH_RANGE_RE.finditer(norm)]
    levels = [(mm.start(), _LEVEL_WORDS[mm.group()]) for mm in LEVEL_RE.finditer(norm)]
    parts = [mm.start() for mm in PART_MARK_RE.finditer(norm)]
    return _Marks(scopes), _Marks(levels), parts, _target_sections(norm)


def _target_sections(norm: str) -> list[tuple[int, int]]:
    """Spans of sections headed 下一步/工作打算/工作计划…: from the heading to the next numbered heading (一、…)."""
    out = []
    for h in TARGET_HEADING_RE.finditer(norm):
        nxt = HEADING_RE.search(norm, h.end())
        out.append((h.start(), nxt.start() if nxt else len(norm)))
    return out


def _respective(
    m: Matcher,
    norm: str,
    s0: int,
    s1: int,
    clauses: list[tuple[int, int]],
    quantities: list[Quantity],
    words: _Words | None = None,
) -> dict[int, tuple[list[tuple[str, str]], str, tuple[str, ...], re.Match | None]]:
    """Numbers after 分别 in its clause, each given to its own name in order (A、B满意率分别为x和y): number start →
    (chosen, rule, candidates, change verb match). The names are the parts of the text before 分别 split at 、和及与
    (not inside a registry keyword); a name without a fitting keyword of its own borrows the shared head of the last
    name (从轻、减轻处罚案件) or a keyword of another name, ranked by its relation to the name's own keywords."""
    out: dict[int, tuple[list[tuple[str, str]], str, tuple[str, ...], re.Match | None]] = {}
    pos = norm.find("分别", s0, s1)
    while pos >= 0:
        c = next((c for c in clauses if c[0] <= pos < c[1]), None)
        if c is None:
            break
        nums = [q for q in quantities if pos < q.start < c[1]]
        hits = _maximal(scan_keywords(norm, c[0], pos, m, words))
        cuts = [i for i in range(c[0], pos) if norm[i] in RESPECTIVE_SPLIT and not any(h[0] <= i < h[1] for h in hits)]
        segs = list(zip([c[0], *(i + 1 for i in cuts)], [*cuts, pos], strict=True))
        if len(nums) >= 2 and len(segs) >= 2:
            change = CHANGE_RE.search(norm, pos, nums[0].start) if nums[0].measure in ("%", "个百分点") else None
            if len(segs) != len(nums):
                for q in nums:
                    out[q.start] = ([], "ambiguous", (), change)
            else:
                all_ids = {i for h in hits for i in h[3]}
                used: set[str] = set()
                # a verb shared by the list, naming several families (审结行政复议、行政诉讼案件分别为…)
                lead = [h for h in hits if h[0] == segs[0][0] and len({m.family[i] for i in h[3]}) > 1][:1]
                for (a, b), q in zip(segs, nums, strict=True):
                    got = _respective_lead(m, norm, a, b, lead, hits, q) if lead else None
                    if got is None:
                        got = _respective_one(m, norm, a, b, segs[-1], hits, all_ids, q, used)
                    used.update(iid for iid, _ in got[0])
                    out[q.start] = (*got, change)
        pos = norm.find("分别", pos + 2, s1)
    return out


def _respective_lead(
    m: Matcher, norm: str, a: int, b: int, lead: list[Hit], hits: list[Hit], q: Quantity
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]] | None:
    """The id of the list's shared leading verb (审结 → rec_concluded, lit_concluded) in the family this name
    names (行政复议 → rec), or None when the name names no family or none of the verb's ids fits."""
    measure = "万元" if q.measure in MONEY_UNITS else q.measure
    fams = {
        fs.pop()
        for h in hits
        if a <= h[0] and h[1] <= b and h not in lead and len(fs := {m.family[i] for i in h[3]}) == 1
    }
    if m.family_re is not None:
        fams |= {m.family_of[mm.group()] for mm in m.family_re.finditer(norm, a, b)}
    picks = [i for i in lead[0][3] if m.family[i] in fams and unit_fit(m.unit[i], measure)]
    return ([(picks[0], lead[0][2])], "respective+context", ()) if len(picks) == 1 else None


def _respective_one(
    m: Matcher,
    norm: str,
    a: int,
    b: int,
    last: tuple[int, int],
    hits: list[Hit],
    all_ids: set[str],
    q: Quantity,
    used: set[str],
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    measure = "万元" if q.measure in MONEY_UNITS else q.measure

    def fit(hs) -> list[tuple[str, str]]:
        return [(iid, h[2]) for h in hs for iid in h[3] if unit_fit(m.unit[iid], measure)]

    own = [h for h in hits if a <= h[0] and h[1] <= b]
    own_ids = {i for h in own for i in h[3]}
    cands = fit(own[-1:]) or fit(own)
    if not cands and (a, b) != last and m.kw_re is not None:  # 从轻 + 处罚案件 → 从轻处罚
        name, tail = norm[a:b], norm[last[0] : last[1]]
        for k in range(1, len(tail) + 1):
            joined = name + tail[-k:]
            got = [
                (mm.start(), mm.end(), kw, ids)
                for mm in m.kw_re.finditer(joined)
                if mm.start() < len(name) < mm.end()
                for kw, ids in m.prefixes[mm.group()]
            ]
            if cands := fit(got):
                break
    if not cands:  # 人大代表建议、政协提案满意率: the shared 满意率 of another name (not one another name took)
        cands = [c for c in fit([h for h in hits if not (a <= h[0] and h[1] <= b)]) if c[0] not in used]
    ids = list(dict.fromkeys(iid for iid, _ in cands))
    if not ids:
        return [], "no_keyword", ()
    kw = dict(cands)
    if len(ids) == 1:
        return [(ids[0], kw[ids[0]])], "respective", ()

    def score(iid: str) -> int:
        rel = m.related[iid]
        return 2 if rel & own_ids else 1 if rel & all_ids else 0

    ranked = sorted(ids, key=lambda i: -score(i))
    if score(ranked[0]) > score(ranked[1]):
        return [(ranked[0], kw[ranked[0]])], "respective+context", ()
    return [], "ambiguous", tuple(ids)


def _clauses(text: str, s: int, e: int) -> list[tuple[int, int]]:
    out, cur = [], s
    for mm in CLAUSE_SEP_RE.finditer(text, s, e):
        out.append((cur, mm.start()))
        cur = mm.end()
    out.append((cur, e))
    return out


def _evidence(text: str, s: int, e: int) -> tuple[str, int]:
    chunk = text[s:e]
    stripped = chunk.lstrip()
    start = s + len(chunk) - len(stripped)
    return stripped.rstrip(), start


_NUMERIC = {
    "value": "float64",
    "approx": "bool",
    "span_start": "int64",
    "span_end": "int64",
    "evidence_start": "int64",
    "confidence": "float64",
}


def _is_trap(norm: str, q: Quantity, quotes: tuple[list[int], list[int]], s0: int, s1: int) -> bool:
    """True for a number inside quotes or inside one of the TRAP_RE shapes around it."""
    i = bisect.bisect_right(quotes[0], q.start) - 1
    if i >= 0 and quotes[1][i] > q.start:
        return True
    lo, hi = max(s0, q.start - 6), min(s1, q.end + 6)
    if TRAP_TRIGGERS.isdisjoint(norm[lo:hi]):  # no TRAP_RE match fits in the window: skip the long alternation
        return False
    for t in TRAP_RE.finditer(norm, lo, hi):
        if t.start() < q.end and q.start < t.end():
            return True
    return False


_STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype


class _Sink:
    """Collects fact rows; a total found unmapped can later take the indicator its parts belong to."""

    def __init__(self, text: str, doc_id: str, locate: Callable[[int], str] | None) -> None:
        self.text, self.doc_id, self.locate = text, doc_id, locate
        self.rows: list[list] = []
        self.by_fid: dict[str, list] = {}

    def add(
        self,
        iid: str | None,
        k: int | None,
        value: float,
        unit: str,
        unit_raw: str,
        approx: bool,
        state: str,
        where: tuple[str, str, int, int, tuple[str, int]],
        kw: str = "",
        parent: str = "",
        rule: str = "",
        candidates: tuple[str, ...] = (),
    ) -> str:
        """Append one fact; ``where`` = (scope, level, span_start, span_end, (evidence, evidence_start))."""
        scope, level, s, e, ev = where
        fid = f"{self.doc_id}:{s}" + (f":{k}" if k is not None else "")
        row = [
            self.doc_id,
            fid,
            iid or UNMAPPED,
            float(value),
            unit,
            unit_raw,
            approx,
            state,
            scope,
            level,
            self.text[s:e],
            s,
            e,
            ev[0],
            ev[1],
            self.locate(s) if self.locate else "",
            kw,
            parent,
            rule_confidence(rule) if iid else 0.0,
            rule,
            ";".join(candidates),
            k or 0,
        ]
        self.rows.append(row)
        self.by_fid[fid] = row
        return fid

    def relabel(self, fid: str, iid: str, unit: str, kw: str) -> None:
        """Give an unmapped total the indicator its parts name (其中…)."""
        row = self.by_fid[fid]
        row[2], row[4], row[16] = iid, unit, kw
        row[18], row[19], row[20] = rule_confidence("parts"), "parts", ""

    def frame(self) -> pd.DataFrame:
        """The rows as one frame, built column by column with fixed dtypes (no per-row objects, no inference)."""
        self.rows.sort(key=lambda r: (r[11], r[-1]))
        return facts_frame(self.rows)


_LARGE_STRING = pa.large_string()
_FACT_INDEX = pd.Index(FACT_COLUMNS)
_STRING_COLUMNS = [i for i, c in enumerate(FACT_COLUMNS) if c not in _NUMERIC]


def facts_frame(rows: list[list]) -> pd.DataFrame:
    """A fact frame from rows in FACT_COLUMNS order (extra trailing items are ignored).

    Numeric columns become numpy arrays of fixed dtype; every string is converted to arrow in one call and each string
    column is a zero-copy slice of it, wrapped as pandas' default string dtype. ``DataFrame._from_arrays`` skips the
    dict handling and dtype inference of the public constructor (≈ 0.15 ms instead of ≈ 0.9 ms for a report); the
    public constructor is the fallback should a pandas release drop it.
    """
    n = len(rows)
    columns = list(zip(*rows, strict=False)) if rows else [()] * len(FACT_COLUMNS)
    flat: list[str] = []
    for i in _STRING_COLUMNS:
        flat.extend(columns[i])
    strings = pa.array(flat, type=_LARGE_STRING)
    arrays: list = []
    k = 0
    for name, values in zip(FACT_COLUMNS, columns, strict=False):
        if name in _NUMERIC:
            arrays.append(np.array(values, dtype=_NUMERIC[name]))
        else:
            arrays.append(pd.arrays.ArrowStringArray(pa.chunked_array([strings.slice(k * n, n)]), dtype=_STR))
            k += 1
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if from_arrays is not None:
        return from_arrays(arrays, columns=_FACT_INDEX, index=pd.RangeIndex(n), verify_integrity=False)
    return pd.DataFrame(dict(zip(FACT_COLUMNS, arrays, strict=True)), columns=FACT_COLUMNS, copy=False)


def extract_facts(
    text: str,
    doc_id: str = "doc",
    indicators: pd.DataFrame | None = None,
    locate: Callable[[int], str] | None = None,
) -> pd.DataFrame:
    """Every quantity of ``text`` as a fact row (columns ``analysis.registry.schema.FACT_COLUMNS``), ordered by span.

    ``indicators`` is the registry (``analysis.registry.load_indicators()`` when None); ``locate`` maps a character
    offset to a locator string (``para 12``); ``doc_id`` prefixes every fact id (``<doc_id>:<span_start>``).
    """
    m = get_matcher(indicators)
    norm = normalize(text)
    quote_spans = [qm.span() for qm in QUOTE_RE.finditer(norm)]
    quotes = ([a for a, _ in quote_spans], [b for _, b in quote_spans])
    sink = _Sink(text, doc_id, locate)
    bounds = [d.start() for d in SENTENCE_END_RE.finditer(norm)]
    found: dict[tuple[int, int], tuple[list, list]] = {}

    def sentence_of(pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(bounds, pos)
        return (bounds[i - 1] + 1 if i else 0, bounds[i] if i < len(bounds) else len(norm))

    span = (0, -1)  # the sentence of the previous number: numbers come in text order, most share one
    for qm in NUMBER_RE.finditer(norm):
        q = quantity_from_match(qm, norm, text)
        if q is not None:
            if not span[0] <= q.start < span[1]:
                span = sentence_of(q.start)
            if not _is_trap(norm, q, quotes, *span):
                found.setdefault(span, ([], []))[0].append(q)
    if m.zero_re is not None:
        for z in m.zero_re.finditer(norm):
            found.setdefault(sentence_of(z.start()), ([], []))[1].append(z)
    marks = (*_scan_marks(norm), _FamilyMarks(m, norm)) if found else None
    for (s0, s1), (quantities, zeros) in sorted(found.items()):
        _sentence(m, norm, text, s0, s1, quantities, zeros, sink, marks)
    return sink.frame()


def _sentence(
    m: Matcher,
    norm: str,
    text: str,
    s0: int,
    s1: int,
    quantities: list[Quantity],
    zeros: list,
    sink: _Sink,
    marks: tuple,  # (scopes, levels, 其中 positions, target sections, _FamilyMarks)
) -> None:
    """Facts of one sentence (quantities and zero words), in text order."""
    ev = _evidence(text, s0, s1)
    clauses = _clauses(norm, s0, s1)
    hits_cache: dict[int, list[Hit]] = {}
    by_end: dict[int, list[Hit]] = {}  # clause start → its hits, nearest end first, the longest first

    words = _Words(m, norm, s0, s1)

    def clause_hits(c: tuple[int, int]) -> list[Hit]:
        h = hits_cache.get(c[0])
        if h is None:
            h = hits_cache[c[0]] = scan_keywords(norm, c[0], c[1], m, words)
        return h

    scopes, levels, all_parts, target_sections = marks[:4]
    fam_marks: _FamilyMarks | None = marks[4] if len(marks) > 4 else None
    fam_ctx: list[tuple[int, int, str]] | None = None  # found on first use (only a tie between candidates needs it)

    def para_text() -> str:  # heading and opening clause text, for accept.context (only when the sentence lacks it)
        return fam_marks.context_text(s0) if fam_marks is not None else ""

    resp = _respective(m, norm, s0, s1, clauses, quantities, words) if "分别" in norm[s0:s1] else {}
    in_target_section = any(a <= s0 < b for a, b in target_sections)
    part_marks = all_parts[bisect.bisect_left(all_parts, s0) : bisect.bisect_left(all_parts, s1)]
    clause_starts = [c[0] for c in clauses]
    mapped: dict[str, int] = {}
    events: list[tuple[int, object]] = [(q.start, q) for q in quantities]  # in text order already
    if zeros:
        events += [(z.start(), z) for z in zeros]
        events.sort(key=lambda t: t[0])
    prev_end_in_clause: dict[int, int] = {}
    last_fact: tuple[int, str, str | None, str] | None = None  # end, fact_id, indicator, unit
    total: tuple[str, str | None, str] | None = None
    for pos, obj in events:
        clause = clauses[bisect.bisect_right(clause_starts, pos) - 1]
        if part_marks and last_fact is not None and any(last_fact[0] <= p < pos for p in part_marks):
            total = (last_fact[1], last_fact[2], last_fact[3])
        scope = scopes.scope(s0, pos)
        level = levels.last(clause[0], pos, "own")
        if not isinstance(obj, Quantity):  # a zero stated in words
            ids = m.zero_ids[obj.group()]
            for k, iid in enumerate(ids):
                fid = sink.add(
                    iid,
                    k if len(ids) > 1 else None,
                    0.0,
                    m.unit[iid],
                    "",
                    False,
                    "zero_in_words",
                    (scope, level, obj.start(), obj.end(), ev),
                    obj.group(),
                    rule="zero_words",
                )
                mapped[iid] = pos
            last_fact = (obj.end(), fid, ids[-1], m.unit[ids[-1]])
            continue
        q = obj
        hc = clause_hits(clause)
        if clause[0] not in by_end:
            by_end[clause[0]] = sorted(hc, key=_by_end) if len(hc) > 1 else hc
        seg_start = prev_end_in_clause.get(clause[0], clause[0])
        prev_end_in_clause[clause[0]] = q.end
        seg = norm[seg_start : q.start]
        if RULE_RE.search(seg) or RANK_RE.search(norm, q.end, clause[1]) or STRUCTURE_RE.search(norm, *clause):
            continue
        if VIEW_HONOUR_RE.search(norm, clause[0], q.start):  # 阅读量…万次, 荣获…称号N个: no performance figure
            continue
        state = "approx" if q.approx else "exact"
        base_unit = "万元" if q.measure in MONEY_UNITS else q.measure
        where = (scope, level, q.start, q.end, ev)
        change = CHANGE_RE.search(seg) if q.measure in ("%", "个百分点") else None
        r_entry = resp.get(q.start)
        if r_entry is not None and r_entry[3] is not None:
            change = r_entry[3]
        if change or q.measure == "个百分点":  # a change, never a level
            fid = sink.add(
                None,
                None,
                change_value(q.value, change),
                base_unit,
                q.unit_raw,
                q.approx,
                state,
                ("change", *where[1:]),
                rule="change",
            )
            last_fact = (q.end, fid, None, base_unit)
            continue

        def context(exclude: frozenset[str], q: Quantity = q, clause: tuple[int, int] = clause) -> _Ctx:
            """What the sentence said before q; keywords naming one of ``exclude`` (the candidates) do not count."""
            ctx = _Ctx(ids=dict(mapped))
            hits = [h for c in clauses if c[1] <= clause[0] for h in clause_hits(c)]
            hits += [h for h in clause_hits(clause) if h[1] <= q.start]
            named: list[tuple[int, int, str]] = []  # (start, end, family) of what names one family
            for h in _maximal(hits):
                if exclude.intersection(h[3]):
                    continue
                if len(h[3]) == 1:  # a keyword naming one indicator: its relatives (base, denominator) are in play
                    ctx.ids.setdefault(h[3][0], h[1])
                fams = {m.family[iid] for iid in h[3]}
                if len(fams) == 1:  # only a keyword that names one family says what the sentence is about
                    named.append((h[0], h[1], fams.pop()))
            # the registry's family words in the heading, the paragraph's opening clause and the sentence
            nonlocal fam_ctx
            if fam_ctx is None:
                fam_ctx = fam_marks.around(s0, s1) if fam_marks is not None else []
            named += [t for t in fam_ctx if t[1] <= q.start]
            for _, e, fam in named:
                ctx.families[fam] = max(ctx.families.get(fam, -1), e)
            for iid, p in mapped.items():
                ctx.families[m.family[iid]] = max(ctx.families.get(m.family[iid], -1), p)
            ctx.together = _named_together(norm, named, ctx.families)
            return ctx

        def earlier(clause: tuple[int, int] = clause) -> list[Hit]:
            return [h for c in clauses if c[1] <= clause[0] for h in clause_hits(c)]

        if r_entry is not None:
            chosen, rule, cands = r_entry[0], r_entry[1], r_entry[2]
        else:
            chosen, rule, cands = _choose(
                m,
                norm,
                q,
                seg_start,
                clause,
                hc,
                by_end[clause[0]],
                earlier,
                context,
                total is not None,
                mapped,
                s0,
                words,
                para_text,
            )
        if (  # a plan or target: never a yearly figure
            in_target_section or TARGET_RE.search(norm, s0, q.start) or EXPLICIT_TARGET_RE.search(norm, s0, q.start)
        ):
            named = tuple(iid for iid, _ in chosen) or cands
            fid = sink.add(
                None,
                None,
                q.value,
                base_unit,
                q.unit_raw,
                q.approx,
                state,
                ("target", *where[1:]),
                "",
                "",
                "target",
                named,
            )
            last_fact = (q.end, fid, None, base_unit)
            continue
        ids = [iid for iid, _ in chosen]
        if total is not None and ids and total[1] in ids and r_entry is None:  # a part is never its own total
            chosen, rule, cands, ids = [], "ambiguous", (total[1],), []
        parent = _parent(m, total, ids, base_unit)
        if parent and total is not None and total[1] is None and ids and m.part_of.get(ids[0]):
            whole = m.part_of[ids[0]]
            if unit_fit(m.unit[whole], total[2]):
                sink.relabel(total[0], whole, m.unit[whole], "其中")
                mapped[whole] = pos
                total = (total[0], whole, m.unit[whole])
        if not ids:
            fid = sink.add(None, None, q.value, base_unit, q.unit_raw, q.approx, state, where, "", parent, rule, cands)
            last_fact = (q.end, fid, None, base_unit)
            continue
        for k, (iid, kw) in enumerate(chosen):
            fid = sink.add(
                iid,
                k if len(ids) > 1 else None,
                q.value,
                m.unit[iid],
                q.unit_raw,
                q.approx,
                state,
                where,
                kw,
                parent,
                rule,
            )
            mapped[iid] = q.start
            last_fact = (q.end, fid, iid, m.unit[iid])


def change_value(value: float, change: re.Match | None) -> float:
    """The signed value of a change: 下降/减少… X → −X; a value written with its own minus sign stays as written
    (同比下降-10% → −10: contradictory, kept as written rather than flipped to +10)."""
    if value < 0:
        return value
    return -value if change is not None and change["verb"] in NEGATIVE_VERBS else value


def _parent(m: Matcher, total: tuple[str, str | None, str] | None, ids: list[str], unit: str) -> str:
    """The fact id of the total this number is a part of (after 其中/包括), or ""."""
    if total is None:
        return ""
    t_fid, t_iid, t_unit = total
    if t_iid is not None and m.parts.get(t_iid):
        return t_fid if ids and ids[0] in m.parts[t_iid] else ""
    if ids and t_iid is not None:
        return t_fid if ids[0] != t_iid and m.unit[ids[0]] == t_unit else ""
    if ids:  # an unmapped total: the part's measure must fit the total's
        return t_fid if unit_fit(m.unit[ids[0]], t_unit) else ""
    return t_fid if (t_unit == unit if t_iid is None else unit_fit(t_unit, unit)) else ""
