"""Choosing the indicator of one number (``choose``): the keywords before the number, after it, the counted noun, an
earlier clause; the measure word must fit, the registry's accept/refuse rules must allow it, and ties go to the exact
unit, then to the indicator whose relatives or family the sentence mentioned latest (``Context``). Every decision names
its rule, and ``rule_confidence`` says how sure that rule is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from analysis.ingest.reports.markers import QUOTE_CHARS, SHARED_RE, SUBSET_AFTER_RE, SUBSET_END_RE, TOTAL_LIST_RE
from analysis.ingest.reports.matcher import Hit, Matcher, Words, by_end, maximal, measure_fit, scan_overlaps
from analysis.ingest.reports.numbers import Quantity


@dataclass
class Context:
    """What the sentence has said so far: last position of each mapped indicator and of each family."""

    ids: dict[str, int] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)
    # pairs of families named together as the latest mention of each (行政复议和行政应诉): a tie between them is open
    together: dict[frozenset[str], int] = field(default_factory=dict)


def _indicator_fit(m: Matcher, iid: str, measure: str) -> int:
    """``measure_fit`` of the indicator's canonical measure, or, when the registry lists the indicator's ``measures``,
    whether the measure word is one of those (2 for the canonical one, 1 for another listed one, 0 otherwise)."""
    own = m.measures.get(iid)
    if own is None:
        return measure_fit(m.measure_of[iid], measure)
    if measure not in own:
        return 0
    return 2 if measure == m.measure_of[iid] else 1


def _fitting(m: Matcher, ids: tuple[str, ...], measure: str, head: str, strict: bool) -> list[tuple[str, int]]:
    """(indicator, score) of the ids whose unit fits the measure word; with a keyword after the number
    (``strict``) the noun after the measure word must be one of the indicator's nouns when it declares some."""
    key = (ids, measure)
    fitting = m.fit_cache.get(key)
    if fitting is None:
        fitting = m.fit_cache[key] = tuple(
            (iid, f, m.nouns[iid]) for iid in ids if (f := _indicator_fit(m, iid, measure))
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


def _rank(m: Matcher, cands: list[tuple[str, int]], ctx_fn: Callable[[frozenset[str]], Context]) -> list[str]:
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


def choose(
    m: Matcher,
    text: str,
    q: Quantity,
    seg_start: int,
    clause: tuple[int, int],
    hits_clause: list[Hit],
    hits_by_end: list[Hit],
    earlier_fn: Callable[[], list[Hit]],
    ctx_fn: Callable[[frozenset[str]], Context],
    after_part_mark: bool,
    taken: dict[str, int],
    s0: int = 0,
    words: Words | None = None,
    para: Callable[[], str] | None = None,
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    """((indicator id, keyword that named it) …, decision rule, candidate ids) — several ids for a shared value;
    no id when unmapped (the candidates then list the indicators that fitted equally well, if any)."""
    measure = q.measure
    noun_pos = q.end
    while noun_pos < clause[1] and text[noun_pos] in QUOTE_CHARS:
        noun_pos += 1
    head = text[noun_pos : noun_pos + 12]  # the counted noun (leading quotes skipped)

    ruled = m.ruled

    def candidates(ids: tuple[str, ...], strict: bool) -> list[tuple[str, int]]:
        return [
            c
            for c in _fitting(m, ids, measure, head, strict)
            if c[0] not in ruled or _allowed(m, c[0], text, clause, q, head, s0, para)
        ]

    seg = text[seg_start : q.start]
    limit = q.start
    total_list = TOTAL_LIST_RE.search(seg) is not None
    if total_list and "、" in seg:  # A、B、C共计N次: the name precedes the list
        limit = seg_start + seg.index("、")
    before = [h for h in hits_by_end if h[0] >= seg_start and h[1] <= limit]
    if total_list:  # 人大代表建议和政协提案共186件: a total of two named things, neither one's figure
        both = _total_of_two(text, q, before, candidates)
        if both:
            return [], "ambiguous", both
    if measure == "%" and SHARED_RE.search(seg):  # 办复率和满意率均为100%: one value, several rates
        chosen = _shared(m, before, candidates, ctx_fn)
        if chosen:
            return chosen, "shared", ()
    for h in before:  # the nearest keyword before the number (the first kind _keywords_in_order gives, inlined)
        if not SUBSET_AFTER_RE.match(text, h[1]):
            cands = candidates(h[3], False)
            if cands:
                return _decide(m, cands, ctx_fn, h[2], "keyword")
    after = [h for h in hits_clause if h[0] >= q.end]  # scan order: by start, the longest first

    def overlaps() -> list[Hit]:  # scanned only when no keyword before the number names it
        return scan_overlaps(text, seg_start, limit, m, words)

    for h, strict, rule in _keywords_in_order(text, [], overlaps, after, noun_pos, earlier_fn, after_part_mark):
        cands = candidates(h[3], strict)
        if rule == "earlier_clause":  # a keyword that already named a number of this sentence does not name a second
            cands = [c for c in cands if c[0] not in taken]
        if cands:
            return _decide(m, cands, ctx_fn, h[2], rule)
    return [], "no_keyword", ()


Candidates = Callable[[tuple[str, ...], bool], list[tuple[str, int]]]  # (ids, strict) → fitting, allowed (id, score)


def _total_of_two(text: str, q: Quantity, before: list[Hit], candidates: Candidates) -> tuple[str, ...]:
    """The ids of two things named together before a total (人大代表建议和政协提案共186件), or () when there are none:
    the total is neither one's figure."""
    named = sorted(maximal([h for h in before if h[1] <= q.start]))
    for x, y in zip(named, named[1:], strict=False):
        if text[x[1] : y[0]] in ("和", "及", "与", "以及") and set(x[3]).isdisjoint(y[3]):
            both = [c[0] for h in (x, y) for c in candidates(h[3], False)]
            if len(both) >= 2:
                return tuple(dict.fromkeys(both))
    return ()


def _shared(
    m: Matcher, before: list[Hit], candidates: Candidates, ctx_fn: Callable[[frozenset[str]], Context]
) -> list[tuple[str, str]]:
    """One value for several rates (办复率和满意率均为100%): every rate named before it whose base was mentioned."""
    chosen: list[tuple[str, str]] = []
    for h in before:
        cands = candidates(h[3], False)
        if not cands:
            continue
        ctx = ctx_fn(frozenset(iid for iid, _ in cands))
        rel = [c for c in cands if any(r in ctx.ids for r in m.related[c[0]])]
        picked = _rank(m, rel, ctx_fn) if rel else _rank(m, cands, ctx_fn)[:1]
        for iid in picked:
            if all(iid != c[0] for c in chosen):
                chosen.append((iid, h[2]))
    return chosen


def _keywords_in_order(
    text: str,
    before: list[Hit],
    overlaps: Callable[[], list[Hit]],
    after: list[Hit],
    noun_pos: int,
    earlier_fn: Callable[[], list[Hit]],
    after_part_mark: bool,
) -> Iterator[tuple[Hit, bool, str]]:
    """(keyword hit, strict noun check, rule) in the order they may name the number, lazily: the nearest keyword
    before it in its segment, a keyword overlapping another there, a keyword after the counted noun, the counted noun
    itself (25家执法单位), then a keyword of an earlier clause (not for a part after 其中 without a keyword of its own)."""
    for h in before:
        if not SUBSET_AFTER_RE.match(text, h[1]):
            yield h, False, "keyword"
    for h in sorted(overlaps(), key=by_end):
        yield h, False, "keyword"
    for h in after:
        if h[0] > noun_pos:
            yield h, True, "keyword_after"
    for h in after:
        if h[0] <= noun_pos:
            yield h, True, "noun"
    if not after_part_mark:
        # a clause ending in 中 (行政复议案件中，维持…N件) names the set the number is a part of, not the number
        for h in sorted((h for h in earlier_fn() if not SUBSET_END_RE.match(text, h[1])), key=by_end):
            yield h, False, "earlier_clause"


def _decide(
    m: Matcher, cands: list[tuple[str, int]], ctx_fn: Callable[[frozenset[str]], Context], kw: str, rule: str
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
