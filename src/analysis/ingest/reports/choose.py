"""Choosing the indicator of one number (``choose``): the keywords before the number, after it, the counted noun, an
earlier clause; the measure word must fit, the registry's accept/refuse rules must allow it, and ties go to the exact
unit, then to the indicator whose relatives or family the sentence mentioned latest (``Context``). Every decision names
its rule, and ``rule_confidence`` says how sure that rule is.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from analysis.ingest.reports.markers import (
    LIST_END_RE,
    NUMBERED_HEADING_RE,
    QUOTE_CHARS,
    RESPECTIVE_SPLIT,
    SHARED_RE,
    SUBSET_AFTER_RE,
    SUBSET_END_RE,
    TOTAL_LIST_RE,
)
from analysis.ingest.reports.matcher import (
    Hit,
    Matcher,
    Words,
    by_end,
    maximal,
    measure_fit,
    scan_gapped,
    scan_keywords,
    scan_overlaps,
    scan_split,
    suffix_hits,
)
from analysis.ingest.reports.numbers import Quantity
from analysis.registry.vocabulary import load_extraction

LIGHT_PREDICATES = load_extraction().light_predicates  # verbs that say only that something was done (开展, 办理 …)
MODIFIER_HEADS = load_extraction().modifier_heads  # nouns after a keyword that make it a modifier (党支部 …)
PLACE_NOUNS = load_extraction().place_nouns  # counted nouns that are places or bodies (乡镇, 部门 …)


@dataclass
class Context:
    """What the sentence has said so far: last position of each mapped indicator and of each family."""

    ids: dict[str, int] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)
    # pairs of families named together as the latest mention of each (行政复议和行政应诉): a tie between them is open
    together: dict[frozenset[str], int] = field(default_factory=dict)
    # two things named together (人大代表建议和政协提案): (ids of the first, ids of the second, end of the pair)
    pairs: list[tuple[frozenset[str], frozenset[str], int]] = field(default_factory=list)


def _indicator_fit(m: Matcher, iid: str, measure: str) -> int:
    """``measure_fit`` of the indicator's canonical measure, or, when the registry lists the indicator's ``measures``,
    whether the measure word is one of those (2 for the canonical one, 1 for another listed one, 0 otherwise)."""
    own = m.measures.get(iid)
    if own is None:
        return measure_fit(m.measure_of[iid], measure)
    if measure not in own:
        return 0
    return 2 if measure == m.measure_of[iid] else 1


_fit = _indicator_fit  # the name the structure rules use


def _fitting(
    m: Matcher, ids: tuple[str, ...], measure: str, head: str, strict: bool, counted_noun: str = ""
) -> list[tuple[str, int]]:
    """(indicator, score) of the ids whose unit fits the measure word; with a keyword after the number
    (``strict``) the noun after the measure word must be one of the indicator's nouns when it declares some (or the
    counted noun a compound ending in one: 行政执法单位 is an 执法单位, Chinese compounds are headed on the right)."""
    key = (ids, measure)
    fitting = m.fit_cache.get(key)
    if fitting is None:
        fitting = m.fit_cache[key] = tuple(
            (iid, f, m.nouns[iid]) for iid in ids if (f := _indicator_fit(m, iid, measure))
        )
    out = []
    for iid, fit, ns in fitting:
        noun_ok = head.startswith(ns)  # a tuple of nouns; False when the indicator declares none
        if strict and ns and not noun_ok and not (counted_noun and counted_noun.endswith(ns)):
            continue
        out.append((iid, fit + (1 if noun_ok else 0)))
    return out


# why _allowed refuses an indicator; NO_CONTEXT is soft (the text does not say which family, it does not say "not this"):
# an indicator refused only for it is still listed as a candidate when nothing else names the number
NO_CONTEXT = "no_context"


def _allowed(
    m: Matcher,
    iid: str,
    text: str,
    clause: tuple[int, int],
    q: Quantity,
    head: str,
    s0: int,
    para: Callable[[], str] | None = None,
    subject: str = "",
    words: Words | None = None,
    inherited: str = "",
) -> str:
    """ "" when the registry allows ``iid`` here, else why not (the rule kind): ``subjects`` — a refused subject of the
    clause or, when the indicator accepts only some subjects, another one (a clause without a subject passes);
    ``words`` — a refused word in the clause up to the counted noun; ``nouns`` — a refused counted noun;
    ``predicates`` — a refused predicate in the clause before the number or in ``inherited`` (the clause of the total
    a part after 其中 belongs to, up to the total: 培训执法人员1500人次，其中新录用执法人员200人 is no stock of officers), or none of its
    accepted predicates in the clause; ``context`` — a refused context word in the sentence up to the end of the number's clause; ``no_context``
    (NO_CONTEXT) — none of the indicator's required context words there nor in ``para`` (the heading and opening clause
    above the sentence)."""
    if subject:
        subs = m.refuse_subjects.get(iid)
        if subs and any(w in subject for w in subs):
            return "subjects"  # 区纪委监委对12个单位开展监督检查: no 执法监督; 县法院审结…: no 复议
        subs = m.accept_subjects.get(iid)
        if subs and not any(w in subject for w in subs):
            return "subjects"
    refused = m.refuse_words.get(iid)
    if refused:
        window = text[clause[0] : min(clause[1], q.end + 8)]
        if any(w in window for w in refused):
            return "words"
    nouns = m.refuse_nouns.get(iid)
    if nouns and head.startswith(nouns):
        return "nouns"
    preds = m.refuse_predicates.get(iid)
    if preds:
        clause_before = text[clause[0] : q.start]
        if any(w in clause_before for w in preds) or (inherited and any(w in inherited for w in preds)):
            return "predicates"
    preds = m.accept_predicates.get(iid)
    if preds and not _has_word(text, clause, preds, words):
        return "predicates"  # the clause holds none of the verbs the indicator counts (常务会议…学习法律法规16次)
    ctx = m.refuse_context.get(iid)
    if ctx:
        said = text[s0 : clause[1]]
        if any(w in said for w in ctx):
            return "context"
    ctx = m.accept_context.get(iid)
    if ctx:
        said = text[s0 : clause[1]]  # the sentence up to the end of the number's clause
        if not any(w in said for w in ctx):
            above = para() if para is not None else ""
            if not any(w in above for w in ctx):
                return NO_CONTEXT
    return ""


def _has_word(text: str, clause: tuple[int, int], ws: tuple[str, ...], words: Words | None) -> bool:
    """True when one of ``ws`` stands in the clause as a word, or ends a word after a modifier (专题|学法), not inside
    one (学习 in 理论学习中心组, 法律 in 法律顾问)."""
    for w in ws:
        i = text.find(w, clause[0], clause[1])
        while i >= 0:
            if words is None or words.bounds is None or (words.starts_word(i) and words.ends_word(i + len(w))):
                return True
            i = text.find(w, i + 1, clause[1])
    return False


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
    if best[0] == second[0] and (best[1] == 0 or best[1] == second[1]):
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
    subject: str = "",
    counted_noun: str = "",
    fam_named: Callable[[tuple[int, int]], tuple[frozenset[str], frozenset[str]]] | None = None,
    inherited: str = "",
    predicate: str = "",
    leading: Callable[[], str] | None = None,
    clauses: list[tuple[int, int]] | None = None,
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    """((indicator id, keyword that named it) …, decision rule, candidate ids) — several ids for a shared value;
    no id when unmapped (the candidates then list the indicators that fitted equally well, if any).

    ``clauses`` are the sentence's clauses (the number's among them; default: the number's alone).
    ``leading`` gives the heading or opening clause the sentence directly follows: a number whose clause names
    nothing is what that names, when one indicator named there fits it (``_from_heading``).
    ``subject`` and ``counted_noun`` are the clause's (``clause.Structure``), ``inherited`` the clause of the total
    a part after 其中 belongs to (up to the total's number) (its refused predicates hold for the part too); ``fam_named`` gives, per clause of the
    sentence, the families named before it and up to its end (``families_named``, which is called when it is None). Two structural checks besides the
    registry's rules: an indicator of a family that has family words (registry ``families``) is not chosen when an
    earlier clause of the sentence names other families and nothing up to the end of the number's clause names its
    own (「深化行政复议体制改革，全年
    接待来访咨询380人次」 is no 法律咨询); and a keyword borrowed from an earlier clause names a counted-thing
    indicator (one with ``nouns``) only when the number's own counted noun is one of those nouns (「对18家执法单位
    …开展执法监督，发现问题46个」: 46 problems are no agencies)."""
    if clauses is None:
        clauses = [clause]
    measure = q.measure
    noun_pos = q.end
    while noun_pos < clause[1] and text[noun_pos] in QUOTE_CHARS:
        noun_pos += 1
    head = text[noun_pos : noun_pos + 12]  # the counted noun (leading quotes skipped)

    def other_family(iid: str) -> bool:
        fam = m.family[iid]
        if clause[0] <= s0 or fam not in m.worded_families or m.family_re is None:
            return False  # the first clause of its sentence has no earlier clause to name another family
        got = fam_named(clause) if fam_named is not None else families_named(m, text, s0, clause)
        return bool(got[0]) and fam not in got[1]

    refusals: dict[str, str] = {}  # indicator that fitted the measure → why the registry or the structure refused it

    ruled = m.ruled
    # a number counting places or bodies (16个乡镇, 18个部门) is no figure of an indicator that counts other things
    place = bool(counted_noun) and counted_noun.endswith(PLACE_NOUNS)
    # … and when the place is the head of the counted phrase (16个乡镇全覆盖, 覆盖乡镇16个) rather than a modifier of a
    # longer noun (3场街道综合行政执法实务培训会), not of an indicator that declares no counted nouns either
    place_head = place and _place_is_head(text, noun_pos, counted_noun, clause)

    def candidates(ids: tuple[str, ...], strict: bool) -> list[tuple[str, int]]:
        out = []
        for c in _fitting(m, ids, measure, head, strict, counted_noun):
            why = (
                (c[0] in ruled and _allowed(m, c[0], text, clause, q, head, s0, para, subject, words, inherited))
                or ("family" if other_family(c[0]) else "")
                or ("counted_noun" if place and not _place_fits(m, c[0], counted_noun, place_head) else "")
            )
            if why:
                refusals.setdefault(c[0], why)
            else:
                out.append(c)
        return out

    seg = text[seg_start : q.start]
    limit = q.start
    total_list = TOTAL_LIST_RE.search(seg) is not None
    if total_list and "、" in seg:  # A、B、C共计N次: the name precedes the list
        limit = seg_start + seg.index("、")
    before = [h for h in hits_by_end if h[0] >= seg_start and h[1] <= limit]
    # 人大代表建议和政协提案(共)186件, 行政复议和行政诉讼案件共40件: a total of two named things, neither one's figure
    if (total_list or (before and before[0][1] == q.start)) and _may_join_two(text, seg_start, q.start):
        both = _total_of_two(m, text, q, before, candidates, total_list)
        if both:
            return [], "ambiguous", both
    if measure == "%" and SHARE_RE.fullmatch(seg):  # A类42件，占比58.3%: the share of the count just given
        share = _share(m, text, q, taken, candidates)
        if share:
            return share, "share", ()
    if measure == "%" and SHARED_RE.search(seg):  # 办复率和满意率均为100%: one value, several rates
        chosen = _shared(m, before, candidates, ctx_fn)
        if chosen:
            return chosen, "shared", ()
    if measure in _PERSON_MEASURES and _TAKE_PART_RE.match(text, noun_pos):
        # 执法人员1460名参加执法资格考试: people taking part in what follows are its participants, not the stock the
        # keyword before them names
        for h in hits_clause:
            if h[0] > q.end and not _AFTER_STOP_RE.search(text, q.end, h[0]):
                cands = candidates(h[3], False)
                if cands:
                    return _decide(m, cands, ctx_fn, h[2], "keyword_after")
    if before and MODIFIER_HEADS and text.startswith(MODIFIER_HEADS, before[0][1]):
        # 律师事务所党支部9个: the nearest keyword only modifies the noun the number counts (clause.modifier_heads)
        return [], "modifier_head", tuple(iid for iid, _ in candidates(before[0][3], False))
    for h in before:  # the nearest keyword before the number (the first kind _keywords_in_order gives, inlined)
        if not SUBSET_AFTER_RE.match(text, h[1]):
            cands = candidates(h[3], False)
            if cands:
                end = _list_end(text, h, q)
                if end is not None:
                    mixed = _mixed_list(text, seg_start, h, before, candidates, end)
                    if mixed:  # 审查重大行政决策、合同协议等涉法事项286件: a total of several kinds, no one's figure
                        return [], "ambiguous", tuple(sorted(mixed, key=m.order.__getitem__))
                return _decide(m, cands, ctx_fn, h[2], "keyword")
    # scan order: by start, the longest first; not a keyword past a list separator or another number that a later
    # number follows (撤销6件、确认违法3件、申请人撤回申请终止29件: 撤回申请 is the 29's, not the 6's or the 3's)
    after = [
        h
        for h in hits_clause
        if h[0] >= q.end
        and not (_AFTER_STOP_RE.search(text, q.end, h[0]) and _DIGIT_RUN_RE.search(text, h[1], clause[1]))
        and not (h[0] > noun_pos and _NAMES_NEXT_RE.match(text, h[1], clause[1]))
    ]

    def overlaps() -> list[Hit]:  # scanned only when no keyword before the number names it
        return scan_overlaps(text, seg_start, limit, m, words)

    for h, strict, rule in _keywords_in_order(
        m,
        text,
        before,
        overlaps,
        after,
        noun_pos,
        earlier_fn,
        after_part_mark,
        lambda ids: any(_fit(m, i, measure) for i in ids),
        lambda: scan_gapped(text, seg_start, limit, m),
        lambda: scan_split(text, max(seg_start, q.start - 12), q.start, noun_pos, min(clause[1], noun_pos + 16), m),
    ):
        cands = candidates(h[3], strict)
        if rule == "earlier_clause":  # a keyword that already named a number of this sentence does not name a second
            # …nor a sibling of the same measure (已解决 gave sup_npc_resolved: not sup_cppcc_resolved for the next)
            used = {m.measure_of[iid] for iid in h[3] if iid in taken}
            free = [c for c in cands if c[0] not in taken and _sibling_free(m, c[0], used, counted_noun)]
            for c in free:
                if not _noun_fits(m, c[0], counted_noun):
                    refusals.setdefault(c[0], "counted_noun")
            cands = [c for c in free if _noun_fits(m, c[0], counted_noun)]
            if (
                cands
                and predicate
                and predicate not in LIGHT_PREDICATES
                and not _in_clause_of(text, h, predicate, clauses)
            ):
                # the number's clause has a verb of its own the keyword's clause does not share (…督察发现问题38个，
                # 已整改到位36个 / 代写法律文书260份): it counts what that verb did, not the earlier clause's thing
                for c in cands:
                    refusals.setdefault(c[0], "predicates")
                continue
            if cands and (
                _LIST_AND_RE.search(text, clause[0], q.start) or LIST_END_RE.search(text, clause[0], q.start)
            ):
                # 合法性审查方面，全年审查文件、合同及重大事项312件: the number's own clause lists what it counts,
                # several kinds of things: not the thing the earlier clause names
                for c in cands:
                    refusals.setdefault(c[0], "list")
                continue
        if cands:
            end = _list_end(text, h, q) if rule == "keyword" else None
            if end is not None:
                mixed = _mixed_list(text, seg_start, h, before, candidates, end)
                if mixed:  # 审查重大行政决策、合同协议等涉法事项286件: a total of several kinds, no one's figure
                    return [], "ambiguous", tuple(sorted(mixed, key=m.order.__getitem__))
            return _decide(m, cands, ctx_fn, h[2], rule)
    # the heading or opening clause names the thing when the clause named nothing that fits, or only indicators refused
    # for want of their family's context (（六）发挥法律顾问作用 / 出具意见建议297条: 建议 names no 条; （四）人民调解 /
    # 全年受理2746件: 受理 alone is no 复议's without 复议 around it)
    if leading is not None and all(why == NO_CONTEXT for why in refusals.values()):
        above = leading()
        if refusals:  # the clause named its thing: the heading may only give it the family context it lacked
            heading = _heading_context(m, above, tuple(refusals))
        elif (not hits_clause or NUMBERED_HEADING_RE.match(above)) and not (
            measure == "%" and "占" in text[clause[0] : q.start]
        ):  # 占审结总数的28.5%: a share of the count before it, no rate the heading names
            # a keyword of the clause that fits no indicator (建议 counts 件, not 条) leaves the naming to a numbered
            # heading only, not to an opening clause (开展普法宣传活动45场。组织执法人员业务考试2场次: 考试 is no 普法)
            heading = _from_heading(m, above, candidates, text[clause[0] : q.start])
        else:
            heading = None
        if heading is not None:
            return heading
    return _unmapped(m, refusals)


def families_named(m: Matcher, text: str, s0: int, clause: tuple[int, int]) -> tuple[frozenset[str], frozenset[str]]:
    """The families the registry's family words name in the sentence starting at ``s0`` before ``clause``, and up to
    the end of ``clause``."""
    found = [(mm.start(), m.family_of[mm.group()]) for mm in m.family_re.finditer(text, s0, clause[1])]
    return frozenset(f for a, f in found if a < clause[0]), frozenset(f for _, f in found)


def _from_heading(
    m: Matcher, above: str, candidates: Candidates, own: str = ""
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]] | None:
    """A number whose clause names nothing at all (（二）办理人大代表建议 / 今年共承办73件): the thing the heading or
    the paragraph's opening clause above it names, when it names one family and exactly one indicator named there
    fits the number; several leave it unmapped with them as candidates; None when none fits or it names two families."""
    if not above:
        return None
    hits = maximal(scan_keywords(above, 0, len(above), m))
    fams = _heading_families(m, above)
    if len(fams) > 1:  # （二）人民调解和法律援助: the heading names two things, the number may be either's
        return None
    fit: dict[str, str] = {}
    for h in hits:
        for iid, _ in candidates(h[3], False):
            fit.setdefault(iid, h[2])
    rule = "heading"
    if not fit and len(fams) == 1 and own:
        fit, rule = _partial_in_family(m, next(iter(fams)), candidates, own), "heading_partial"
    if not fit:
        return None
    if len(fit) > 1:
        return [], "ambiguous", tuple(sorted(fit, key=m.order.__getitem__))
    iid, kw = next(iter(fit.items()))
    return [(iid, kw)], rule, ()


# two-character pieces of keywords too common to tell one indicator of a family from another
_COMMON_PIECES = frozenset(
    "开展 工作 全年 组织 办理 完成 进行 推进 加强 共计 累计 全区 全县 年度 本年 其中 实现 建立 设立 提供 参加 行政 法治 依法"
    " 法律 案件 事项 人员 部门 单位 检查 审查 培训 考试 宣传 活动 服务 执法 监督 办件".split()
)


def _heading_context(
    m: Matcher, above: str, refused: tuple[str, ...]
) -> tuple[list[tuple[str, str]], str, tuple] | None:
    """The number's clause named indicators that were refused only for want of their family's context (（四）法律援助 /
    全年受理1184件: 受理 alone may be 复议's, 援助's …): the heading or opening clause above names one family, and
    exactly one of them belongs to it (rule ``heading_context``); else None."""
    fams = _heading_families(m, above)
    if len(fams) != 1:
        return None
    fam = next(iter(fams))
    inside = [iid for iid in refused if m.family[iid] == fam]
    if len(inside) != 1:
        return None
    return [(inside[0], "")], "heading_context", ()


def _heading_families(m: Matcher, above: str) -> set[str]:
    """The families a heading or opening clause names: by family words, and by keywords of one family's indicators."""
    hits = maximal(scan_keywords(above, 0, len(above), m))
    fams = {m.family[iid] for h in hits for iid in h[3] if len({m.family[i] for i in h[3]}) == 1}
    if m.family_re is not None:
        fams |= {m.family_of[mm.group()] for mm in m.family_re.finditer(above)}
    return fams


def _partial_in_family(m: Matcher, fam: str, candidates: Candidates, own: str) -> dict[str, str]:
    """Below a heading that names one family (（六）发挥法律顾问作用 / …出具意见建议297条): the indicators of that
    family that fit the number and share a two-character piece of a keyword with the number's own clause before it
    (意见建议 of 法律意见建议), common pieces (_COMMON_PIECES) left out. Weaker than a keyword: rule
    ``heading_partial``, whose confidence is below the review threshold, so the analyst confirms it."""
    members = tuple(i for i, f in m.family.items() if f == fam)
    out: dict[str, str] = {}
    for iid, _ in candidates(members, False):
        for kw in m.keywords_of.get(iid, ()):
            if any(kw[j : j + 2] in own and kw[j : j + 2] not in _COMMON_PIECES for j in range(len(kw) - 1)):
                out[iid] = kw
                break
    return out


def _in_clause_of(text: str, h: Hit, word: str, clauses: list[tuple[int, int]]) -> bool:
    """True when ``word`` stands in the clause of keyword hit ``h`` (``clauses``: the sentence's, in text order)."""
    a, b = clauses[bisect.bisect_right(clauses, (h[0], len(text))) - 1]
    return word in text[a:b]


def _unmapped(m: Matcher, refusals: dict[str, str]) -> tuple[list, str, tuple[str, ...]]:
    """No indicator named the number: ``no_keyword`` when none fitted; ``ambiguous`` with the candidates refused only
    because their family's context is missing (全年审结28件: 复议 or 诉讼, the text does not say); else
    ``refused:<kind>`` with the rule kind that refused the first fitting indicator (a subject, a word, …)."""
    if not refusals:
        return [], "no_keyword", ()
    soft = [iid for iid, why in refusals.items() if why == NO_CONTEXT]
    if soft:
        return [], "ambiguous", tuple(sorted(soft, key=m.order.__getitem__))
    return [], "refused:" + next(iter(refusals.values())), ()


# a counted noun ending in one of these names the quantity, not the thing (参考人数, 案件数量)
_QUANTITY_NOUN_ENDS = ("数", "量")


def _sibling_free(m: Matcher, iid: str, used: set[str], counted_noun: str) -> bool:
    """A keyword borrowed from an earlier clause may name ``iid`` although a sibling of the same measure (``used``)
    already took a number of the sentence, when the number's own counted noun is one ``iid`` declares (检查执法单位32家、
    镇街8个: 镇街 are the streets inspected, not a second figure of the agencies)."""
    if m.measure_of[iid] not in used:
        return True
    return bool(m.nouns[iid] and counted_noun) and any(
        counted_noun.endswith(n) or n.endswith(counted_noun) for n in m.nouns[iid]
    )


def _noun_fits(m: Matcher, iid: str, counted_noun: str) -> bool:
    """False when the indicator counts declared things (``nouns``) and the number's counted noun is another thing:
    Chinese compounds are headed on the right, so a noun whose last character is the last character of none of the
    indicator's nouns counts something else (问题 is no 单位; 测试人员 may be 执法人员)."""
    ns = m.nouns[iid]
    if not ns or not counted_noun or counted_noun.endswith(_QUANTITY_NOUN_ENDS):
        return True
    return any(n[-1] == counted_noun[-1] for n in ns)


def place_list_part(m: Matcher, iid: str, text: str, q_end: int, counted_noun: str, clause_end: int) -> bool:
    """The number counts one kind of place in a list of places of different kinds that the indicator counts together
    (法治督察覆盖8个乡镇、17个县直部门: the units inspected are 8 + 17; the 8 is a part): its counted noun, a place
    noun, is followed by a joiner and a count of another place noun the indicator's nouns also take."""
    if not m.nouns[iid] or not counted_noun.endswith(PLACE_NOUNS) or not text.startswith(counted_noun, q_end):
        return False
    nxt = _NEXT_PLACE_RE.match(text, q_end + len(counted_noun), clause_end)
    if nxt is None:
        return False
    other = nxt["noun"]
    return other[-1] != counted_noun[-1] and _noun_fits(m, iid, other)


def _place_fits(m: Matcher, iid: str, counted_noun: str, head: bool) -> bool:
    """A count of places or bodies (counted noun ``counted_noun``, one of clause.place_nouns) fits an indicator that
    declares it among its nouns; an indicator that declares other nouns never, one that declares none only when the
    place is no head of the counted phrase (``head`` False: 3场街道综合行政执法实务培训会 counts meetings, whose counted
    noun the clause reader cuts to 街道; 覆盖46个部门 counts departments, no 一网通办 items)."""
    if not m.nouns[iid]:
        return not head
    return _noun_fits(m, iid, counted_noun)


def _place_is_head(text: str, noun_pos: int, counted_noun: str, clause: tuple[int, int]) -> bool:
    """The place noun after the measure word ends the counted phrase: the clause ends or a verb follows (16个乡镇全覆盖,
    6个乡镇开展执法监督), not another noun (3场街道综合行政执法实务培训会). A noun before the number is the keyword
    itself as often as not (新增省级民主法治示范村2个 counts villages): never a head here."""
    if not text.startswith(counted_noun, noun_pos):
        return False  # the noun before the number
    end = noun_pos + len(counted_noun)
    if end >= clause[1] or text[end] in _PHRASE_END:
        return True
    return _HEAD_FOLLOW_RE.match(text, end, clause[1]) is not None


# a joiner, a count and a place noun (、17个县直部门): the next item of a list of places
_NEXT_PLACE_RE = re.compile(
    "[、和及与](?:[0-9]+|[一二两三四五六七八九十]+)[个家所处](?P<noun>[^,:;。、和及与0-9]{0,6}?(?:"
    + "|".join(map(re.escape, sorted(PLACE_NOUNS, key=len, reverse=True)))
    + "))"
)
_PHRASE_END = frozenset(',:;。、()“”‘’"「」『』《》和及与等')
# what may follow a place noun that heads its phrase: a verb or an adverb before one (全覆盖, 开展, 均已, 实现)
_HEAD_FOLLOW_RE = re.compile(
    r"(?:全|均|都|已|正|实现|开展|覆盖|参与|参加|完成|建立|建成|设立|签订|签署|共同|联合|达到|达|的)"
)


Candidates = Callable[[tuple[str, ...], bool], list[tuple[str, int]]]  # (ids, strict) → fitting, allowed (id, score)


def _list_end(text: str, h: Hit, q: Quantity) -> int | None:
    """Where a list that goes on after keyword ``h`` ends before the number: its 等 (A、B等…), or the number itself
    after A、B及C (审查文件、合同及重大事项312件); None when no list follows the keyword."""
    end = LIST_END_RE.search(text, h[1], q.start)
    if end is not None:
        return end.start()
    if "、" in text[h[1] : q.start] and _LIST_AND_RE.search(text, h[1], q.start):
        return q.start
    return None


def _mixed_list(
    text: str, seg_start: int, h: Hit, before: list[Hit], candidates: Candidates, end: int
) -> tuple[str, ...]:
    """The ids named by a list ``A、B等…`` that ends after keyword ``h`` when its items name different indicators (or
    some item names none that fits): the number after it counts several kinds of things, so it is no one item's
    figure. () when every item names the same indicator (进企业、进社区等活动: all publicity events). ``end`` is where
    the list ends (its 等, or the number after A、B及C)."""
    cut = text.rfind(",", seg_start, end)
    start = max(seg_start, cut + 1)
    if "、" not in text[start:end]:
        return ()
    hits = maximal([x for x in before if start <= x[0] and x[1] <= end])
    if end != h[1] and not LIST_END_RE.match(text, end) and h not in before:
        hits = maximal([*hits, h])  # A、B及C before the number: the keyword itself is the first item
    cuts = [i for i in range(start, end) if text[i] in RESPECTIVE_SPLIT and not any(x[0] <= i < x[1] for x in hits)]
    picks: list[str | None] = []
    named: list[str] = []
    for a, b in zip([start, *(i + 1 for i in cuts)], [*cuts, end], strict=True):
        own = [x for x in hits if a <= x[0] and x[1] <= b]
        cands = candidates(own[-1][3], False) if own else []
        picks.append(cands[0][0] if len(cands) == 1 else None)
        named += [c[0] for c in cands]
    if len(picks) >= 2 and (None in picks or len(set(picks)) > 1):
        return tuple(dict.fromkeys(named))
    return ()


_AND = ("和", "及", "与", "以及")
_PERSON_MEASURES = frozenset(("人", "名", "人次"))
_TAKE_PART_RE = re.compile(r"(?:参加|参与|参训|参考)")
_LIST_AND_RE = re.compile(r"、[^,;:、]{1,12}(?:及|和|以及|与)")  # A、B及C: the last item joined by 及/和
# what ends the reach of a keyword after a number: a list separator or another number's digits
_AFTER_STOP_RE = re.compile(r"[、;0-9]")
# right after a keyword past the counted noun: a number it names (在56家企业设立联系点60个: 联系点 is the 60's, not the 56's)
_NAMES_NEXT_RE = re.compile(r"(?:为|达|达到|共|共计|合计)?[0-9]")
# the whole text between a count and its share (A类42件，占比58.3%)
SHARE_RE = re.compile(r",?(?:占比|占)(?:为|达到|达)?")
_DIGIT_RUN_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


_AND_ENDS = frozenset(w[-1] for w in _AND)  # the last character of every conjunction


def _may_join_two(text: str, seg_start: int, end: int) -> bool:
    """False when ``_total_of_two`` cannot find two things joined before a number ending the segment at ``end``:
    every conjunction it reads ends inside the segment or right before its first keyword, so a segment (and the
    character before it) holding no last character of one holds no pair."""
    return not _AND_ENDS.isdisjoint(text[max(0, seg_start - 1) : end])


def _total_of_two(
    m: Matcher, text: str, q: Quantity, before: list[Hit], candidates: Candidates, total_list: bool
) -> tuple[str, ...]:
    """The ids of two things named together before a total (人大代表建议和政协提案共186件; without 共 only when the
    second name stands right before the number), or () when there are none: the total is neither one's figure. The
    first thing may be named by a family word alone (行政复议和行政诉讼案件共40件: 行政复议 is no keyword)."""
    named = sorted(maximal([h for h in before if h[1] <= q.start]))
    for x, y in zip(named, named[1:], strict=False):
        if not total_list and y[1] != q.start:
            continue
        if text[x[1] : y[0]] in _AND and set(x[3]).isdisjoint(y[3]):
            both = [c[0] for h in (x, y) for c in candidates(h[3], False)]
            if len(both) >= 2:
                return tuple(dict.fromkeys(both))
    if m.family_re is None or not named:
        return ()
    y = named[-1] if total_list else next((h for h in named if h[1] == q.start), None)
    if y is None:
        return ()
    own = {m.family[i] for i in y[3]}
    for w in _AND:  # a family word, a conjunction, then the keyword: 行政复议和|行政诉讼案件
        a = y[0] - len(w)
        if text[a : y[0]] != w:
            continue
        fam = next(
            (m.family_of[mm.group()] for mm in m.family_re.finditer(text, max(0, a - 8), a) if mm.end() == a), None
        )
        if fam is not None and fam not in own:
            return tuple(dict.fromkeys(c[0] for c in candidates(y[3], False)))
    return ()


def _share(m: Matcher, text: str, q: Quantity, taken: dict[str, int], candidates: Candidates) -> list[tuple[str, str]]:
    """The rate whose numerator is the count the sentence gave right before this share (A类42件，占比58.3% → the
    share of A类 among the suggestions), or [] when the number before was no mapped count or no rate counts it."""
    if not taken:
        return []
    last, pos = max(taken.items(), key=lambda t: t[1])
    if pos >= q.start or len(_DIGIT_RUN_RE.findall(text, pos, q.start)) != 1:
        return []  # another number stands between: the share may be of that one
    rates = m.rate_of.get(last, ())
    cands = candidates(rates, False) if rates else []
    return [(cands[0][0], "占比")] if len(cands) == 1 else []


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
    m: Matcher,
    text: str,
    before: list[Hit],
    overlaps: Callable[[], list[Hit]],
    after: list[Hit],
    noun_pos: int,
    earlier_fn: Callable[[], list[Hit]],
    after_part_mark: bool,
    measure_ok: Callable[[tuple[str, ...]], bool] = lambda ids: True,
    gapped: Callable[[], list[Hit]] = list,
    split: Callable[[], list[Hit]] = list,
) -> Iterator[tuple[Hit, bool, str]]:
    """(keyword hit, strict noun check, rule) in the order they may name the number, lazily: the nearest keyword
    before it in its segment, a keyword that ends one of those (its head), a keyword overlapping another there, a
    keyword found with the segment's filler words left out (调解各类纠纷), a keyword after the counted noun, the counted noun
    itself (25家执法单位), then a keyword of an earlier clause (not for a part after 其中 without a keyword of its own)."""
    # (the nearest keyword before the number, in ``before``, is tried by choose itself, before this generator)
    # the head of a keyword whose indicators fit the measure but are refused by the registry's rules (法律知识培训
    # refused next to 执法人员: its head 培训); not when they do not fit it (主要负责人出庭应诉2次: a subset, no total)
    seen = {(h[0], h[2]) for h in before}
    for h in before:
        if not SUBSET_AFTER_RE.match(text, h[1]) and measure_ok(h[3]):
            for x in suffix_hits(m, h):
                if (x[0], x[2]) not in seen:
                    seen.add((x[0], x[2]))
                    yield x, False, "keyword"
    for h in sorted(overlaps(), key=by_end):
        yield h, False, "keyword"
    for h in gapped():  # a verb–object keyword with a filler inside (调解各类纠纷)
        yield h, False, "keyword"
    for h in split():  # a verb–object keyword the number stands inside (出台9件规范性文件)
        yield h, False, "split_keyword"
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
    if not r or (len(r) >= 2 and _pair_open(m, r[0], r[1], cands, ctx_fn)):
        return [], "ambiguous", tuple(sorted({c[0] for c in cands}, key=m.order.__getitem__))
    return [(r[0], kw)], rule if len(cands) == 1 else rule + "+context", ()


def _pair_open(
    m: Matcher, a: str, b: str, cands: list[tuple[str, int]], ctx_fn: Callable[[frozenset[str]], Context]
) -> bool:
    """True when the two best candidates fit equally and their relatives are the two things of a pair the sentence
    named together (办理人大代表建议和政协提案186件，办复率100%: whose rate?), with no later mention of either
    relative saying which."""
    fit = dict(cands)
    if fit[a] != fit[b]:
        return False
    ctx = ctx_fn(frozenset(fit))
    ra, rb = m.related[a], m.related[b]
    for x, y, end in ctx.pairs:
        if (ra & x and rb & y) or (ra & y and rb & x):
            later = max((ctx.ids.get(r, -1) for r in ra | rb), default=-1)
            if later <= end:
                return True
    return False


# How sure a decision rule is (0–1): a keyword right before the number in its own clause is the strongest evidence,
# a keyword borrowed from an earlier clause the weakest; a tie broken by the sentence's context costs a little.
RULE_CONFIDENCE = {
    "keyword": 0.9,
    "keyword_after": 0.8,
    "noun": 0.85,
    "earlier_clause": 0.7,
    "shared": 0.85,
    "share": 0.8,
    "zero_words": 0.9,
    "parts": 0.75,
    "heading": 0.65,
    "heading_context": 0.7,  # a keyword of the clause, its family named by the heading above
    "heading_partial": 0.55,  # below scoring.yaml's min_confidence (0.6): the analyst confirms it (review)
    "from_to": 0.8,
    "respective": 0.85,
    "split_keyword": 0.85,
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
