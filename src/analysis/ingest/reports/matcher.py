"""The registry preprocessed for matching (``Matcher``): one trie-shaped keyword regex, measure words, nouns, relations,
families and the registry's accept/refuse rules; keyword scans of a text span, with the sentence's word boundaries
(``Words``) deciding which keyword hits are mentions.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import pandas as pd

from analysis.ingest.reports.numbers import normalize
from analysis.ingest.reports.segment import Segmenter
from analysis.registry.vocabulary import load_extraction, trie_pattern

# Canonical measure → measure words that may state it (the first is the measure itself): registry/extraction.yaml.
MEASURE_ACCEPTS = load_extraction().measure_accepts


@dataclass
class Matcher:
    """Registry preprocessed once for matching: one keyword regex, measure words, nouns, relations, families.

    The family of an indicator is its id prefix before the first ``_`` (``rec``, ``lit``, ``nd`` …); a keyword shared
    by several families (审结, 结案率) goes to the family the sentence is about.
    """

    order: dict[str, int]
    measure_of: dict[str, str]  # indicator → its canonical measure word
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
    # subjects of the clause (clause.Structure.subject) the indicator refuses, or the only ones it accepts
    refuse_subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    accept_subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kw_any_re: re.Pattern = field(default_factory=lambda: re.compile("(?!)"))
    # (indicator ids of a keyword, measure word) → (id, measure fit, nouns) of the ids whose measure fits
    fit_cache: dict[tuple[tuple[str, ...], str], tuple[tuple[str, int, tuple[str, ...]], ...]] = field(
        default_factory=dict
    )
    measures: dict[str, frozenset[str]] = field(default_factory=dict)  # registry ``measures``: the only ones taken
    # word boundaries (rjieba with the registry's words): a keyword counts only where it is a word (主办件 is no 办件)
    segmenter: Segmenter | None = None
    # the registry's ``families`` section: words naming a family in context (行政复议 → rec), one regex
    family_re: re.Pattern | None = None
    family_of: dict[str, str] = field(default_factory=dict)
    worded_families: frozenset[str] = frozenset()  # the families the ``families`` section gives words for
    # True when no family word holds a clause separator (``,`` ``:``, markers.CLAUSE_SEP_RE): then no match of
    # family_re crosses a clause end, and one scan of a sentence finds in each clause what a scan of it would find
    family_words_in_clauses: bool = True
    keywords_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # indicator → its normalised keywords
    # keyword → the keywords it ends with (法律知识培训 → 培训), longest first, found on first use
    suffixes: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    # count → the rates whose registry ``numerator`` it is (sup_npc_resolved → sup_npc_resolved_rate): 占比X% after it
    rate_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # indicator → the wider indicator the registry bounds it by (``at_most``: 调解成功 ≤ 调解案件)
    at_most: dict[str, str] = field(default_factory=dict)
    # the indicators with any accept/refuse rule (every other one is allowed wherever its keyword and unit fit)
    ruled: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        self.ruled = frozenset(iid for f in _RULE_FIELDS for iid in getattr(self, f))


def _as_list(v) -> list:
    return list(v) if isinstance(v, list | tuple) else []


def _as_str(v) -> str:
    return v if isinstance(v, str) else ""


def build_matcher(indicators: pd.DataFrame) -> Matcher:
    """Preprocess the registry (keyword index, relations) for ``extract_facts``."""
    idx = _index(indicators)
    kw_ids, zero_ids, family, nouns = idx["kw_ids"], idx["zero_ids"], idx["family"], idx["nouns"]
    prefixes = {
        kw: tuple(sorted(((p, tuple(kw_ids[p])) for p in kw_ids if kw.startswith(p)), key=lambda t: -len(t[0])))
        for kw in kw_ids
    }
    kw_re = re.compile(trie_pattern(kw_ids)) if kw_ids else None
    # every keyword start, also inside a longer keyword (法治宣传资料: 法治宣传 and 宣传资料 overlap)
    kw_any_re = re.compile("(?=(" + trie_pattern(kw_ids) + "))") if kw_ids else re.compile("(?!)")
    zero_re = re.compile("|".join(re.escape(z) for z in sorted(zero_ids, key=len, reverse=True))) if zero_ids else None
    part_of = {p: total for total, ps in idx["parts"].items() for p in sorted(ps)}
    families = indicators.attrs.get("families") or {}
    family_of = {normalize(w): fam for fam, ws in families.items() for w in ws if fam in set(family.values())}
    rules, rule_words = _rules(indicators)
    user_words = set(kw_ids) | set(zero_ids) | {n for ns in nouns.values() for n in ns} | rule_words
    user_words |= set(load_extraction().place_nouns)  # 县直部门 one word: the counted noun is the department
    return Matcher(
        idx["order"],
        idx["measure_of"],
        family,
        nouns,
        idx["related"],
        idx["parts"],
        part_of,
        kw_re,
        prefixes,
        zero_re,
        {k: tuple(v) for k, v in zero_ids.items()},
        **rules,
        kw_any_re=kw_any_re,
        segmenter=Segmenter(user_words | set(family_of)),
        measures={iid: frozenset(ms) for iid, row in indicators.iterrows() if (ms := _as_list(row.get("measures")))},
        family_re=re.compile(trie_pattern(family_of)) if family_of else None,
        family_of=family_of,
        worded_families=frozenset(family_of.values()),
        family_words_in_clauses=not any(sep in w for w in family_of for sep in ",:"),
        keywords_of=_keywords_of(kw_ids),
        rate_of=_rates_of(indicators),
        at_most={iid: w for iid, row in indicators.iterrows() if (w := _as_str(row.get("at_most")))},
    )


def _rates_of(indicators: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Count indicator → the rate indicators that name it as their ``numerator``."""
    out: dict[str, list[str]] = {}
    for iid, row in indicators.iterrows():
        if num := _as_str(row.get("numerator")):
            out.setdefault(num, []).append(iid)
    return {k: tuple(v) for k, v in out.items()}


def _keywords_of(kw_ids: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for kw, ids in kw_ids.items():
        for iid in ids:
            out.setdefault(iid, []).append(kw)
    return {iid: tuple(kws) for iid, kws in out.items()}


def _index(indicators: pd.DataFrame) -> dict[str, dict]:
    """Per indicator its order, measure_of, family, nouns, related ids and parts; keyword → ids, zero word → ids."""
    kw_ids: dict[str, list[str]] = {}
    zero_ids: dict[str, list[str]] = {}
    order, measure_of, family, nouns, related, parts = {}, {}, {}, {}, {}, {}
    for i, (iid, row) in enumerate(indicators.iterrows()):
        order[iid] = i
        measure_of[iid] = row["measure"]
        family[iid] = iid.split("_", 1)[0]
        nouns[iid] = tuple(normalize(n) for n in _as_list(row.get("nouns")))
        rel = {_as_str(row.get(f)) for f in ("base", "denominator", "numerator", "at_most")} - {""}
        related[iid] = frozenset(rel)
        parts[iid] = frozenset(_as_list(row.get("parts")))
        for kw in _as_list(row.get("keywords")):
            kw_ids.setdefault(normalize(kw), []).append(iid)
        for zw in _as_list(row.get("zero_words")):
            zero_ids.setdefault(normalize(zw), []).append(iid)
    return {
        "kw_ids": kw_ids,
        "zero_ids": zero_ids,
        "order": order,
        "measure_of": measure_of,
        "family": family,
        "nouns": nouns,
        "related": related,
        "parts": parts,
    }


# extraction.yaml clause.other_organs: an organ outside the unit's 法治 work → the id prefixes that still take its figures
OTHER_ORGANS: dict[str, tuple[str, ...]] = load_extraction().other_organs

# Matcher field → (registry rule section, its key): the words of the registry's accept/refuse rules, normalised
_RULE_FIELDS = {
    "refuse_words": ("refuse", "words"),
    "refuse_nouns": ("refuse", "nouns"),
    "accept_context": ("accept", "context"),
    "refuse_context": ("refuse", "context"),
    "refuse_predicates": ("refuse", "predicates"),
    "accept_predicates": ("accept", "predicates"),
    "refuse_subjects": ("refuse", "subjects"),
    "accept_subjects": ("accept", "subjects"),
}


def _rules(indicators: pd.DataFrame) -> tuple[dict[str, dict[str, tuple[str, ...]]], set[str]]:
    """The registry's accept/refuse rules as Matcher fields (indicator → normalised words, only where set) and every
    word they name (for the segmenter's user dictionary)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {f: {} for f in _RULE_FIELDS}
    words: set[str] = set()
    for iid, row in indicators.iterrows():
        for rules in (row.get("accept"), row.get("refuse")):
            if isinstance(rules, dict):
                words.update(normalize(w) for ws in rules.values() for w in _as_list(ws))
        sections = {s: row.get(s) if isinstance(row.get(s), dict) else {} for s in ("accept", "refuse")}
        for f, (section, key) in _RULE_FIELDS.items():
            if sections[section].get(key):
                out[f][iid] = tuple(normalize(w) for w in sections[section][key])
        organs = tuple(o for o, keep in OTHER_ORGANS.items() if not str(iid).startswith(keep))
        if organs and iid not in out["accept_subjects"]:
            out["refuse_subjects"][iid] = out["refuse_subjects"].get(iid, ()) + organs
    return out, words


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


def measure_fit(canonical: str, measure: str) -> int:
    """2 when the measure word is the canonical measure, 1 when it may state it, 0 when it cannot."""
    if measure == canonical:
        return 2
    return 1 if measure in MEASURE_ACCEPTS.get(canonical, ()) else 0


Hit = tuple[int, int, str, tuple[str, ...]]  # start, end, keyword, indicator ids


def by_end(h: Hit) -> tuple[int, int]:
    return (-h[1], h[0])


def scan_keywords(text: str, start: int, end: int, m: Matcher, words: Words | None = None) -> list[Hit]:
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


class Words:
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

    def sorted_bounds(self) -> list[int]:
        """The word boundaries (offsets in the sentence), sorted; [] without a segmenter."""
        if self.starts is None:
            self.starts = sorted(self.bounds) if self.bounds is not None else []
        return self.starts

    def ends_word(self, b: int) -> bool:
        return self.bounds is None or b - self.s0 in self.bounds

    def is_word(self, a: int, b: int) -> bool:
        """True when text[a:b] may be a mention (see the class doc; always without a segmenter)."""
        return self.starts_word(a) and self.ends_word(b)


def scan_overlaps(text: str, start: int, end: int, m: Matcher, words: Words | None = None) -> list[Hit]:
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


FILLER_RE = load_extraction().filler_re


def scan_gapped(text: str, start: int, end: int, m: Matcher) -> list[Hit]:
    """Keywords that text[start:end] holds once its filler words are left out (调解各类纠纷 → 调解纠纷; registry/
    extraction.yaml clause.fillers), as hits over the original text; only the ones that span a left-out filler, nearest
    end first. [] when the span holds no filler."""
    cuts = [mm.span() for mm in FILLER_RE.finditer(text, start, end)]
    if not cuts or m.kw_re is None:
        return []
    keep: list[int] = []  # original offset of every kept character
    pos = start
    for a, b in cuts:
        keep.extend(range(pos, a))
        pos = b
    keep.extend(range(pos, end))
    stripped = "".join(text[i] for i in keep)
    hits: list[Hit] = []
    # a match at every start, not only the non-overlapping ones (全年审查合同: 年审 must not hide 审查合同)
    for mm in filter(None, (m.kw_re.match(stripped, i) for i in range(len(stripped)))):
        a, b = keep[mm.start()], keep[mm.end() - 1] + 1
        if b - a > mm.end() - mm.start():  # it spans a left-out filler
            kw, ids = m.prefixes[mm.group()][0]
            hits.append((a, b, kw, ids))
    return sorted(hits, key=by_end)


def scan_split(text: str, left: int, q_start: int, noun_pos: int, right: int, m: Matcher) -> list[Hit]:
    """Verb–object keywords the number stands inside (出台9件规范性文件 → 出台规范性文件; 出台的9件规范性文件 too): the
    verb part ends right before the number (a 的 between them left out) and the object part starts at its counted noun
    (``noun_pos``, text up to ``right``), as hits over the original text (start in the verb, end past the number),
    longest first. [] when no keyword spans the number; none after 拟/待/将 (县政府拟出台的12件规范性文件: a modifier of
    documents reviewed, not documents issued)."""
    if m.kw_re is None or noun_pos >= right or q_start <= left:
        return []
    b = q_start - 1 if text[q_start - 1] == "的" else q_start
    head, tail = text[left:b], text[noun_pos:right]
    joined = head + tail
    hits: list[Hit] = []
    for i in range(len(head)):
        mm = m.kw_re.match(joined, i)
        if mm is None or (left + i > 0 and text[left + i - 1] in "拟待将"):
            continue
        for kw, ids in m.prefixes[mm.group()]:
            if i + len(kw) > len(head) + 1:  # the object part holds at least two characters of the counted noun
                hits.append((left + i, noun_pos + i + len(kw) - len(head), kw, ids))
    return sorted(hits, key=lambda h: -len(h[2]))


def suffix_hits(m: Matcher, h: Hit) -> list[Hit]:
    """The keywords that end keyword hit ``h`` (its head: 法律知识培训 → 培训), longest first, as hits."""
    kw = h[2]
    got = m.suffixes.get(kw)
    if got is None:
        got = m.suffixes[kw] = tuple(
            (kw[k:], m.prefixes[kw[k:]][0][1]) for k in range(1, len(kw) - 1) if kw[k:] in m.prefixes
        )
    return [(h[1] - len(s), h[1], s, ids) for s, ids in got]


def maximal(hits: list[Hit]) -> list[Hit]:
    """Hits not contained in a longer hit (议案 inside 复议案件 says nothing), in their order.

    One sweep over the distinct spans by start, the longest first: a span is inside a longer one exactly when a span
    before it in that order reaches as far as its end (the pairwise test, without its n² cost)."""
    if len(hits) < 2:
        return list(hits)
    dropped = set()
    reach = -1
    for a, b in sorted({(h[0], h[1]) for h in hits}, key=_start_longest):
        if reach >= b:
            dropped.add((a, b))
        elif b > reach:
            reach = b
    if not dropped:
        return list(hits)
    return [h for h in hits if (h[0], h[1]) not in dropped]


def _start_longest(span: tuple[int, int]) -> tuple[int, int]:
    return (span[0], -span[1])
