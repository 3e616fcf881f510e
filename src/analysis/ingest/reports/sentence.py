"""The facts of one sentence (``Sentence``): its numbers and zero words read in text order, each dropped (rules, ranks,
plan structure, view counts and honours), kept as a change or a target, or given its indicator (``choose``) and its
total (其中…). What the sentence has said so far — the indicators mapped, the last fact, the total a part belongs to —
is the state kept between numbers.
"""

from __future__ import annotations

import bisect
import re

from analysis.ingest.reports.choose import Context, choose, families_named, place_list_part
from analysis.ingest.reports.clause import ClauseReader
from analysis.ingest.reports.markers import (
    ACTUAL_RE,
    CHANGE_RE,
    CLAUSE_SEP_RE,
    COMPARED_RE,
    COORDINATORS,
    COUNT_CHANGE_RE,
    EXPLICIT_TARGET_RE,
    FROM_RE,
    HONOUR_AFTER_RE,
    KINDS_LIST_BREAK_RE,
    LEVEL_FRAME_BEFORE,
    LEVEL_RE,
    MODIFIER_COUNT_RE,
    NAMED_PLACE_RE,
    NEGATIVE_VERBS,
    NONE_BEFORE_RE,
    OTHERS_RE,
    OWN_CLAUSE_RE,
    PART_MARK_RE,
    PARTS_BEFORE_TOTAL_RE,
    PLAN_OPENING_RE,
    RANK_RE,
    RESPECTIVE_SPLIT,
    RISE_VERBS,
    RULE_RE,
    STRUCTURE_RE,
    SUM_WORD_RE,
    TARGET_RE,
    TO_RE,
    VIEW_HONOUR_RE,
    FamilyMarks,
    first_class,
    named_together,
    with_lead_class,
)
from analysis.ingest.reports.matcher import Hit, Matcher, Words, by_end, maximal, measure_fit, scan_keywords
from analysis.ingest.reports.numbers import MONEY_MEASURES, Quantity
from analysis.ingest.reports.respective import respective
from analysis.ingest.reports.rows import Sink
from analysis.registry.schema import UNMAPPED
from analysis.registry.vocabulary import load_extraction

_LIST_JOINERS = frozenset(RESPECTIVE_SPLIT)  # 3件和2件: a number right after one of these continues a list
SPLIT_WORDS = load_extraction().split_words  # groups of words splitting one quantity (一审, 二审, 再审)
# A pattern without lookarounds, anchors or word boundaries matches inside a part of a sentence only where it matches in
# the whole sentence: one search of the sentence then tells whether a search of a part can find anything.
_CONTEXT_FREE = re.compile(r"\(\?[=!<]|[$^]|\\[bBAZ]")


def _gateable(rx: re.Pattern) -> bool:
    return _CONTEXT_FREE.search(rx.pattern) is None


_RANK_GATE, _VIEW_HONOUR_GATE = _gateable(RANK_RE), _gateable(VIEW_HONOUR_RE)
# TARGET_RE's matches, found without trying its alternation at every position (its first branch opens with lookbehinds,
# which keeps the regex engine from skipping to the characters a match starts with)
_TARGET_SCAN = with_lead_class(TARGET_RE)


def _lead_re(*rxs: re.Pattern) -> re.Pattern | None:
    """One character class holding every character a match of any of ``rxs`` starts with, or None when that cannot be
    read off a pattern (markers.first_class)."""
    classes = [first_class(rx.pattern) for rx in rxs]
    return None if None in classes else re.compile("|".join(classes))


# where a plan or target word may start: a number before the first such character of its sentence is neither
_TARGET_LEAD = _lead_re(TARGET_RE, EXPLICIT_TARGET_RE)

Total = tuple[str, str | None, str]  # fact id, indicator (None while unmapped), measure of the total after 其中/包括
# scope, level, span start, span end, (evidence, evidence start)[, clause structure (clause.Structure)]
Where = tuple


def clauses_of(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The clauses of text[s:e], cut at ``,:``."""
    out, cur = [], s
    for mm in CLAUSE_SEP_RE.finditer(text, s, e):
        out.append((cur, mm.start()))
        cur = mm.end()
    out.append((cur, e))
    return out


def evidence_of(text: str, s: int, e: int) -> tuple[str, int]:
    """The sentence text[s:e] without surrounding blanks, and where it starts."""
    chunk = text[s:e]
    stripped = chunk.lstrip()
    start = s + len(chunk) - len(stripped)
    return stripped.rstrip(), start


def change_value(value: float, change: re.Match | None) -> float:
    """The signed value of a change: 下降/减少… X → −X; a value written with its own minus sign stays as written
    (同比下降-10% → −10: contradictory, kept as written rather than flipped to +10)."""
    if value < 0:
        return value
    return -value if change is not None and change["verb"] in NEGATIVE_VERBS else value


def parent_of(m: Matcher, total: Total | None, ids: list[str], measure: str) -> str:
    """The fact id of the total this number is a part of (after 其中/包括), or ""."""
    if total is None:
        return ""
    t_fid, t_iid, t_measure = total
    if t_iid is not None and m.parts.get(t_iid):
        return t_fid if ids and ids[0] in m.parts[t_iid] else ""
    if ids and t_iid is not None:
        return t_fid if ids[0] != t_iid and m.measure_of[ids[0]] == t_measure else ""
    if ids:  # an unmapped total: the part's measure must fit the total's
        return t_fid if measure_fit(m.measure_of[ids[0]], t_measure) else ""
    return t_fid if (t_measure == measure if t_iid is None else measure_fit(t_measure, measure)) else ""


def _opens_with_plan(norm: str, s0: int) -> bool:
    """The 。-sentence holding ``s0`` (its parts run to 。！？ or a line break) opens with PLAN_OPENING_RE."""
    start = max(norm.rfind(c, 0, s0) for c in "。!?\n") + 1
    return PLAN_OPENING_RE.match(norm, start) is not None


class Sentence:
    """Reads the sentence norm[s0:s1] into ``sink``; ``marks`` = (scopes, levels, 其中 positions, target sections,
    FamilyMarks) of the whole text."""

    def __init__(
        self,
        m: Matcher,
        norm: str,
        text: str,
        s0: int,
        s1: int,
        sink: Sink,
        marks: tuple,
        report_year: int | None = None,
    ) -> None:
        self.m, self.norm, self.s0, self.s1, self.sink = m, norm, s0, s1, sink
        self.report_year = report_year  # the year the report covers, when known (dates the values of a year list)
        self.ev = evidence_of(text, s0, s1)
        self.clauses = clauses_of(norm, s0, s1)
        self.clause_starts = [c[0] for c in self.clauses]
        self.words = Words(m, norm, s0, s1)
        self.structure = ClauseReader(norm, s0, s1, self.words)
        # clause → families named before it / up to its end (``families_named``), from the sentence's family words
        self._fam_named: dict[tuple[int, int], tuple[frozenset[str], frozenset[str]]] = {}
        self._fam_words: list[tuple[int, str]] | None = None  # (start, family) of every family word, on first use
        self._hits: dict[int, list[Hit]] = {}  # clause start → its keyword hits (scanned on first use)
        self._hits_by_end: dict[int, list[Hit]] = {}  # clause start → its hits, nearest end first, the longest first
        self.scopes, self.levels, all_parts, target_sections = marks[:4]
        self.fam_marks: FamilyMarks | None = marks[4] if len(marks) > 4 else None
        self._fam_ctx: list[tuple[int, int, str]] | None = None  # found on first use (only a tie needs it)
        self.in_target_section = any(a <= s0 < b for a, b in target_sections)
        # a part after ； of a sentence that opens with 下一步/今后…: a plan from its start
        self._plan_opened = s0 > 0 and norm[s0 - 1] == ";" and _opens_with_plan(norm, s0)
        self._target_lead: int | None = None  # the first character a plan or target word may start with (first use)
        self.part_marks = all_parts[bisect.bisect_left(all_parts, s0) : bisect.bisect_left(all_parts, s1)]
        self.mapped: dict[str, int] = {}  # indicator → where the sentence last gave it a value
        self.prev_end_in_clause: dict[int, int] = {}  # clause start → end of its previous number
        self.last_fact: tuple[int, str, str | None, str] | None = None  # end, fact id, indicator, measure
        self.total: Total | None = None
        # the clause of the number of ``last_fact`` up to it, where its predicate stands (新申领|执法证98人: the
        # segmenter keeps 新申领 one word, so the text, as refuse.predicates reads a clause, not the Structure word)
        self._last_predicate = ""
        self.total_predicate = ""  # that text for the total (its refused predicates hold for its parts)
        self.resp: dict = {}
        # 分别 named by years: number start → (prior_year or "", start of the list's first value); and the first value's
        # decision, which the others share
        self.year_scopes: dict[int, tuple[str, int]] = {}
        self._year_first: dict[int, tuple] = {}
        # per sentence (first use): may RANK_RE / VIEW_HONOUR_RE match in it at all; per clause: STRUCTURE_RE
        self._may_rank: bool | None = None
        self._may_view: bool | None = None
        self._structure: dict[int, bool] = {}
        self._ctx_memo: dict[tuple[int, frozenset[str]], Context] = {}  # (number start, exclude) → its context
        self._from: int | None = None  # end of a number right after 由 (由上年的X降至Y), for the next one
        self._moved = False  # a 由X…至Y was read in the sentence: it compares with an earlier level
        self._change: re.Match | None = None  # the change marker of the number before, for a list that shares it
        self._first = len(sink.rows)  # this sentence's rows start here (sum_of_earlier looks back at them)
        self._place: tuple[int, int] | None = None  # the span a named place acts in (NAMED_PLACE_RE), on first use
        self._other_level = False  # the number being read is a higher level's figure (_is_other_level)
        self._kinds_list_iid: tuple[str, int] | None = None  # (indicator, end) of the last kinds_list_part number

    def _named_place_acts(self, pos: int) -> bool:
        """A named street or town (NAMED_PLACE_RE) acts at ``pos``: after it, before a later clause that opens with the
        unit's own level word (全区, 我县 …)."""
        if self._place is None:
            place = NAMED_PLACE_RE.search(self.norm, self.s0, self.s1)
            if place is None:
                self._place = (self.s1, self.s1)
            else:
                own = OWN_CLAUSE_RE.search(self.norm, place.end(), self.s1)
                self._place = (place.end(), own.start() if own else self.s1)
        return self._place[0] <= pos < self._place[1]

    def _level_of(self, clause: tuple[int, int], pos: int, level: str) -> tuple[str, bool]:
        """(the level of a number whose clause names a higher level before it, whether that is a higher level's figure
        quoted beside the unit's own). A level word that frames a comparison or a place (在全市率先…, 居全省…) is no
        level of the figure: own. The figure is the higher level's when the level's average is meant (高于全市平均合格率
        94.6%); a province's or the nation's always (全省行政复议案件纠错率为11.2%); a city's when the sentence also
        names the unit's own level (全市…8.3%，我县…2.6%: a county's report; a city's own report says 全市 of itself)."""
        at = self.levels.last_at(clause[0], pos)
        if self.norm.startswith("平均", LEVEL_RE.match(self.norm, at).end()):
            return level, True
        if at > 0 and self.norm[at - 1] in LEVEL_FRAME_BEFORE:
            return "own", False
        return level, level in ("province", "national") or (
            level == "city" and self.levels.any_of(self.s0, self.s1, "own")
        )

    def _sum_of_earlier(self, q: Quantity, clause: tuple[int, int]) -> bool:
        """After 合计/共计/总计 in its clause, with figures of two or more indicators before it in the sentence (上年结转
        6件，新收81件，合计需办理87件): the number is their sum. The parts of one indicator (一审审结33件，二审审结6件，
        共计39件) sum to it."""
        earlier = {r[2] for r in self.sink.rows[self._first :] if r[2] != UNMAPPED}
        return len(earlier) >= 2 and SUM_WORD_RE.search(self.norm, clause[0], q.start) is not None

    def read(self, quantities: list[Quantity], zeros: list[re.Match]) -> None:
        """Facts of the sentence's quantities and zero words, in text order."""
        if "分别" in self.norm[self.s0 : self.s1]:
            self.resp = respective(
                self.m,
                self.norm,
                self.s0,
                self.s1,
                self.clauses,
                quantities,
                self.words,
                self._para_text,
                self.year_scopes,
                self.report_year,
            )
        events: list[tuple[int, object]] = [(q.start, q) for q in quantities]  # in text order already
        if zeros:
            events += [(z.start(), z) for z in zeros]
            events.sort(key=lambda t: t[0])
        for pos, obj in events:
            clause = self.clauses[bisect.bisect_right(self.clause_starts, pos) - 1]
            last = self.last_fact
            if self.part_marks and last is not None and any(last[0] <= p < pos for p in self.part_marks):
                self.total = (last[1], last[2], last[3])
                self.total_predicate = self._last_predicate
            scope = self.scopes.scope(self.s0, pos)
            level = self.levels.last(clause[0], pos, "own")
            self._other_level = False
            if level != "own":
                level, self._other_level = self._level_of(clause, pos, level)
            if isinstance(obj, Quantity):
                self._quantity(obj, clause, (scope, level, obj.start, obj.end, self.ev))
            else:
                self._zero(obj, pos, scope, level)

    def clause_hits(self, c: tuple[int, int]) -> list[Hit]:
        h = self._hits.get(c[0])
        if h is None:
            h = self._hits[c[0]] = scan_keywords(self.norm, c[0], c[1], self.m, self.words)
        return h

    def families_named(self, clause: tuple[int, int]) -> tuple[frozenset[str], frozenset[str]]:
        """``choose.families_named`` of a clause of the sentence, found from one scan of the sentence."""
        got = self._fam_named.get(clause)
        if got is None:
            m = self.m
            if not m.family_words_in_clauses:
                got = families_named(m, self.norm, self.s0, clause)
            else:
                if self._fam_words is None:
                    found = m.family_re.finditer(self.norm, self.s0, self.s1) if m.family_re is not None else ()
                    self._fam_words = [(mm.start(), m.family_of[mm.group()]) for mm in found]
                a, b = clause
                got = (
                    frozenset(f for p, f in self._fam_words if p < a),
                    frozenset(f for p, f in self._fam_words if p < b),
                )
            self._fam_named[clause] = got
        return got

    def _para_text(self) -> str:
        """Heading and opening clause text, for accept.context (only asked when the sentence lacks it)."""
        return self.fam_marks.context_text(self.s0) if self.fam_marks is not None else ""

    def _leading_text(self) -> str:
        """The heading line or opening clause the sentence directly follows (（二）办理人大代表建议 / 今年共承办73件;
        二是深入推进依申请公开。全年申请量128件), or "" when other text stands between them."""
        if self.fam_marks is None:
            return ""
        spans = self.fam_marks.context_spans(self.s0)
        if not spans:
            return ""
        a, b = spans[-1]
        gap = self.norm[b : self.s0]
        return self.norm[a:b] if len(gap) <= 2 and not gap.strip(" \t\n。.:") else ""

    def _zero(self, z: re.Match, pos: int, scope: str, level: str) -> None:
        """A zero stated in words (无败诉, 零投诉): 0 for every indicator of the registry's zero word."""
        m = self.m
        ids = m.zero_ids[z.group()]
        for k, iid in enumerate(ids):
            fid = self.sink.add(
                iid,
                k if len(ids) > 1 else None,
                0.0,
                m.measure_of[iid],
                "",
                False,
                "zero_in_words",
                (scope, level, z.start(), z.end(), self.ev),
                z.group(),
                rule="zero_words",
            )
            self.mapped[iid] = pos
        self.last_fact = (z.end(), fid, ids[-1], m.measure_of[ids[-1]])
        self._last_predicate = ""

    def _is_no_figure(self, q: Quantity, clause: tuple[int, int], seg: str) -> bool:
        """A rule (每季度…), a money threshold (10万元以上的纠纷), a rank, a plan structure (8个方面), a view count or an
        honour: no fact at all."""
        norm = self.norm
        if RULE_RE.search(seg):
            return True
        if q.measure in MONEY_MEASURES and norm.startswith("的", q.end):
            return True  # 标的额在10万元以上的纠纷: an amount describing the things counted, a threshold
        if norm.startswith("一", q.start) and NONE_BEFORE_RE.search(norm, max(clause[0], q.start - 4), q.start):
            return True  # 无一起有效投诉, 未发生一起: "not a single one", no count of 1
        if self._may_rank is None:
            self._may_rank = not _RANK_GATE or RANK_RE.search(norm, self.s0, self.s1) is not None
        if self._may_rank and RANK_RE.search(norm, q.end, clause[1]):
            return True
        structure = self._structure.get(clause[0])
        if structure is None:
            structure = self._structure[clause[0]] = STRUCTURE_RE.search(norm, *clause) is not None
        if structure:
            return True
        if self._may_view is None:
            self._may_view = not _VIEW_HONOUR_GATE or VIEW_HONOUR_RE.search(norm, self.s0, self.s1) is not None
        return self._may_view and (  # 阅读量…万次, 荣获…称号N个; 3个单位获评…
            VIEW_HONOUR_RE.search(norm, clause[0], q.start) is not None
            or HONOUR_AFTER_RE.search(norm, q.end, clause[1]) is not None
        )

    def _is_target(self, q: Quantity) -> bool:
        """A plan or an explicit target (a section headed 下一步, 计划…, 力争…): never a yearly figure; what was
        actually done after it (计划举办4期，实际举办6期) is this year's figure."""
        if self.in_target_section:
            return True
        if self._target_lead is None:
            lead = _TARGET_LEAD.search(self.norm, self.s0, self.s1) if _TARGET_LEAD is not None else None
            self._target_lead = lead.start() if lead is not None else (self.s1 if _TARGET_LEAD is not None else -1)
        # before the first character a plan or target match may start with, none fits (unless the sentence's parts
        # after ； follow a 下一步 opening)
        if q.start <= self._target_lead and not self._plan_opened:
            return False
        norm, s0 = self.norm, self.s0
        last = s0 if self._plan_opened else -1
        for rx in (_TARGET_SCAN, EXPLICIT_TARGET_RE):
            for mm in rx.finditer(norm, s0, q.start):
                last = max(last, mm.end())
        return last >= 0 and ACTUAL_RE.search(norm, last, q.start) is None

    def _unmapped(
        self, q: Quantity, value: float, measure: str, state: str, where: Where, parent="", rule="", cands=()
    ) -> None:
        fid = self.sink.add(None, None, value, measure, q.measure_raw, q.approx, state, where, "", parent, rule, cands)
        self.last_fact = (q.end, fid, None, measure)

    def _quantity(self, q: Quantity, clause: tuple[int, int], where: Where) -> None:
        """One number: dropped, a change, a target, or mapped (or left unmapped with its candidates)."""
        hc = self.clause_hits(clause)
        if clause[0] not in self._hits_by_end:
            self._hits_by_end[clause[0]] = sorted(hc, key=by_end) if len(hc) > 1 else hc
        seg_start = self.prev_end_in_clause.get(clause[0], clause[0])
        self.prev_end_in_clause[clause[0]] = q.end
        seg = self.norm[seg_start : q.start]
        if self._is_no_figure(q, clause, seg):
            return
        st = self.structure.structure(q, clause)
        self._last_predicate = self.norm[clause[0] : q.start]
        where = (*where, st)
        state = "approx" if q.approx else "exact"
        base_measure = "万元" if q.measure in MONEY_MEASURES else q.measure
        change = (
            CHANGE_RE.search(seg)
            if q.measure in ("%", "个百分点")
            else (COUNT_CHANGE_RE.search(seg) if "比" in seg or "较" in seg else None)
        )
        if (
            change is None
            and q.measure not in ("%", "个百分点")
            and (seg.endswith(NEGATIVE_VERBS) or seg.endswith(RISE_VERBS))
            and (self._moved or COMPARED_RE.search(self.norm, self.s0, seg_start))
        ):
            # 撤回率较上年下降5.3个百分点，撤回申请案件减少9件: the comparison said earlier in the sentence holds for a
            # count right after a change verb (a verb before its object, 减少证明材料43项, is a count cut)
            change = CHANGE_RE.search(seg)
        r_entry = self.resp.get(q.start)
        by_year = self.year_scopes.get(q.start)
        if by_year is not None:  # 2024年、2025年…分别为7件、9件: 7件 is 2024's figure of what 9件 is 2025's
            if by_year[0] and where[0] == "year":
                where = (by_year[0], *where[1:])
            first = self._year_first.get(by_year[1])
            if first is not None:
                r_entry = (*first, None)
        if r_entry is not None and r_entry[3] is not None:
            change = r_entry[3]
        if change is None and self._change is not None and seg in _LIST_JOINERS:
            change = self._change  # 较上年分别减少3件和2件: the list after a change verb shares it
        self._change = change
        if change or q.measure == "个百分点":  # a change, never a level
            self._unmapped(q, change_value(q.value, change), base_measure, state, ("change", *where[1:]), rule="change")
            return
        src, last = self._from, self.last_fact
        self._from = q.end if FROM_RE.search(self.norm, max(clause[0], q.start - 8), q.start) else None
        if self._from is not None and not TO_RE.search(self.norm, q.end, min(self.s1, q.end + 16)):
            self._from = None  # 由9家律师事务所的43名律师担任…: 由 is "by" here, no move from a level follows
        if self._from is not None and where[0] == "year":  # 由9.1%下降至4.3%: 9.1% is an earlier level
            where = ("prior_year", *where[1:])
        if (  # 由(上年的)X降至Y: Y is the new level of X's indicator
            src == seg_start
            and last is not None
            and last[0] == src
            and last[2] is not None
            and last[3] == base_measure
            and TO_RE.fullmatch(seg)
        ):
            chosen, rule, cands = [(last[2], "由…至")], "from_to", ()
            self._moved = True  # 由19支精简为7支，减少12支: a count after a change verb is the move's size
            if where[0] == "prior_year":  # 由上年的X: 上年 dates X, not the level it moved to
                where = ("year", *where[1:])
        elif r_entry is not None:
            chosen, rule, cands = r_entry[0], r_entry[1], r_entry[2]
        else:
            chosen, rule, cands = choose(
                self.m,
                self.norm,
                q,
                seg_start,
                clause,
                hc,
                self._hits_by_end[clause[0]],
                lambda: self._earlier(clause),
                self._context_fn(q, clause),
                self.total is not None,
                self.mapped,
                self.s0,
                self.words,
                self._para_text,
                st.subject,
                st.counted_noun,
                self.families_named,
                self.total_predicate if self.total is not None else "",
                st.predicate,
                self._leading_text,
                self.clauses,
            )
        if chosen and r_entry is None and self._split_part(q, clause):
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "split_part"
        elif chosen and rule == "earlier_clause" and PART_MARK_RE.search(self.norm, clause[0], q.start):
            # 开展培训12场，其中线上5场 / …共11个，其中省级3个: a part whose own clause names nothing is no figure of
            # what the earlier clause names (its total)
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "part_of_earlier"
        elif (
            len(chosen) == 1
            and rule in ("keyword", "earlier_clause")
            and place_list_part(self.m, chosen[0][0], self.norm, q.end, st.counted_noun, clause[1])
        ):
            # 法治督察覆盖8个乡镇、17个县直部门: one kind of the places counted together is a part
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "place_list_part"
        elif chosen and rule == "keyword_after" and self._before_total(q, clause, seg_start):
            # 6个苏木镇和18家旗直部门共24个单位: the keyword after the total names it, not its parts
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "part_of_total"
        elif chosen and OTHERS_RE.search(self.norm, clause[0], q.start):
            # 全县其他行政执法部门全年办理行政处罚案件3117件: the others' share, not the whole
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "others_part"
        elif chosen and self._other_level:
            # 全省行政复议案件纠错率为11.2%…我县为7.4%: the province's figure, quoted beside the unit's own
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "other_level"
        elif chosen and self._named_place_acts(q.start):
            # 东关街道司法所全年调解矛盾纠纷318件: that street's share, not the unit's
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "named_place"
        elif chosen and rule == "earlier_clause" and self._sum_of_earlier(q, clause):
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "sum_of_earlier"
        elif chosen and r_entry is None and by_year is None and self._kinds_list_part(q, chosen, seg, seg_start, last):
            # 发放宣传手册2000余册、宣传折页5000份 / 接待来访咨询3260人次、来电咨询1840人次: kinds of one indicator's
            # things, counted apart; each is a part of a total the sentence does not give
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "kinds_list_part"
        elif chosen and MODIFIER_COUNT_RE.match(self.norm, q.end, self.s1):
            # 9家律师事务所的43名律师: the 9 describes the lawyers, no figure of its own
            cands, chosen, rule = tuple(iid for iid, _ in chosen), [], "modifier_count"
        if self._is_target(q):
            named = tuple(iid for iid, _ in chosen) or cands
            self._unmapped(q, q.value, base_measure, state, ("target", *where[1:]), rule="target", cands=named)
            return
        if by_year is not None and by_year[1] == q.start:
            self._year_first[q.start] = (chosen, rule, cands)
        self._assign(q, chosen, rule, cands, r_entry is not None, (base_measure, state, where))

    def _kinds_list_part(
        self, q: Quantity, chosen: list[tuple[str, str]], seg: str, seg_start: int, last: tuple | None
    ) -> bool:
        """The number and the one before it in its clause are joined as items of a list (、和及与, no other number, no
        total word between) and name the same single indicator: two kinds of its things counted apart. The one before
        is left unmapped here too (and a third item after them, by the same test)."""
        if len(chosen) != 1 or last is None or last[0] != seg_start:
            return False
        iid = chosen[0][0]
        if last[2] is None:
            if self._kinds_list_iid != (iid, seg_start):
                return False
        elif last[2] != iid:
            return False
        if not seg or not any(j in seg for j in RESPECTIVE_SPLIT) or KINDS_LIST_BREAK_RE.search(seg):
            return False
        if last[2] is not None:
            self.sink.unmap(last[1], "kinds_list_part")
        self._kinds_list_iid = (iid, q.end)
        return True

    def _before_total(self, q: Quantity, clause: tuple[int, int], seg_start: int) -> bool:
        """The number is one of the parts listed before their total in its clause (6个苏木镇和18家旗直部门共24个单位):
        a joiner follows it before the total, or it is the last part, after a joiner that follows the part before."""
        mm = PARTS_BEFORE_TOTAL_RE.match(self.norm, q.end, clause[1])
        if mm is None:
            return False
        gap = mm["gap"]
        if any(j in gap for j in RESPECTIVE_SPLIT):
            return True
        return (
            seg_start > clause[0]
            and not any(c.isdigit() for c in gap)
            and any(j in self.norm[seg_start : q.start] for j in RESPECTIVE_SPLIT)
        )

    def _split_part(self, q: Quantity, clause: tuple[int, int]) -> bool:
        """The number is one part of a split the sentence names (clause.split_words: 一审…、二审…): its clause names one
        word of a group before it and the sentence another."""
        if not SPLIT_WORDS:
            return False
        text = self.norm[self.s0 : self.s1]
        before = self.norm[clause[0] : q.start]
        for group in SPLIT_WORDS:
            said = [w for w in group if w in text]
            if len(said) >= 2 and any(w in before for w in said):
                return True
        return False

    def _assign(
        self,
        q: Quantity,
        chosen: list[tuple[str, str]],
        rule: str,
        cands: tuple[str, ...],
        respective_: bool,
        fact: tuple[str, str, Where],  # base measure, state, where
    ) -> None:
        """The facts of a chosen number, with the total it is a part of; an unmapped total after 其中 takes the
        indicator its parts belong to."""
        m, total = self.m, self.total
        base_measure, state, where = fact
        ids = [iid for iid, _ in chosen]
        # a part is never its own total, nor the wider thing its total is bounded by (调解成功纠纷3127件，其中…46件:
        # no 调解案件)
        if total is not None and ids and not respective_ and (total[1] in ids or m.at_most.get(total[1]) in ids):
            chosen, rule, cands, ids = [], "ambiguous", (total[1],), []
        parent = parent_of(m, total, ids, base_measure)
        if parent and total is not None and total[1] is None and ids and m.part_of.get(ids[0]):
            whole = m.part_of[ids[0]]
            if measure_fit(m.measure_of[whole], total[2]):
                self.sink.relabel(total[0], whole, m.measure_of[whole], "其中")
                self.mapped[whole] = where[2]
                self.total = (total[0], whole, m.measure_of[whole])
        if not ids:
            self._unmapped(q, q.value, base_measure, state, where, parent, rule, cands)
            return
        for k, (iid, kw) in enumerate(chosen):
            fid = self.sink.add(
                iid,
                k if len(ids) > 1 else None,
                q.value,
                m.measure_of[iid],
                q.measure_raw,
                q.approx,
                state,
                where,
                kw,
                parent,
                rule,
            )
            self.mapped[iid] = q.start
            self.last_fact = (q.end, fid, iid, m.measure_of[iid])

    def _earlier(self, clause: tuple[int, int]) -> list[Hit]:
        """Keyword hits of the clauses before ``clause``."""
        return [h for c in self.clauses if c[1] <= clause[0] for h in self.clause_hits(c)]

    def _pairs(self, hits: list[Hit], pos: int) -> list[tuple[frozenset[str], frozenset[str], int]]:
        """Two keywords joined by 和/及/与/以及/、 naming disjoint indicators that named a number before ``pos`` (人大代表
        建议和政协提案186件，…), with the end of the pair; a pair right before the rate (A、B满意率100%) names both."""
        out = []
        named = sorted(maximal(hits))
        norm = self.norm
        for x, y in zip(named, named[1:], strict=False):
            if (
                norm[x[1] : y[0]] in COORDINATORS
                and set(x[3]).isdisjoint(y[3])
                and any(ch.isdigit() for ch in norm[y[1] : pos])
            ):
                out.append((frozenset(x[3]), frozenset(y[3]), y[1]))
        return out

    def _context_fn(self, q: Quantity, clause: tuple[int, int]):
        """``_context`` for the number q, remembered per ``exclude`` (one number's tie may ask several times; nothing
        the context reads changes while its indicator is chosen)."""

        def ctx(exclude: frozenset[str]) -> Context:
            key = (q.start, exclude)
            got = self._ctx_memo.get(key)
            if got is None:
                got = self._ctx_memo[key] = self._context(exclude, q, clause)
            return got

        return ctx

    def _context(self, exclude: frozenset[str], q: Quantity, clause: tuple[int, int]) -> Context:
        """What the sentence said before q; keywords naming one of ``exclude`` (the candidates) do not count."""
        m = self.m
        ctx = Context(ids=dict(self.mapped))
        hits = self._earlier(clause) + [h for h in self.clause_hits(clause) if h[1] <= q.start]
        named: list[tuple[int, int, str]] = []  # (start, end, family) of what names one family
        for h in maximal(hits):
            if exclude.intersection(h[3]):
                continue
            if len(h[3]) == 1:  # a keyword naming one indicator: its relatives (base, denominator) are in play
                ctx.ids.setdefault(h[3][0], h[1])
            fams = {m.family[iid] for iid in h[3]}
            if len(fams) == 1:  # only a keyword that names one family says what the sentence is about
                named.append((h[0], h[1], fams.pop()))
        # the registry's family words in the heading, the paragraph's opening clause and the sentence
        if self._fam_ctx is None:
            self._fam_ctx = self.fam_marks.around(self.s0, self.s1) if self.fam_marks is not None else []
        named += [t for t in self._fam_ctx if t[1] <= q.start]
        for _, e, fam in named:
            ctx.families[fam] = max(ctx.families.get(fam, -1), e)
        for iid, p in self.mapped.items():
            ctx.families[m.family[iid]] = max(ctx.families.get(m.family[iid], -1), p)
        ctx.together = named_together(self.norm, named, ctx.families)
        ctx.pairs = self._pairs(hits, q.start)
        return ctx
