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
   own names in order (``respective.respective``). Numbers in a plan (计划 but not 列入计划, 下一步, 拟 but not
   拟…的, 预计, 不少于…; a section headed 下一步/工作打算) and explicit targets (力争, 目标, 需达到, 到2025年…) get scope
   ``target``, unmapped, with the fitting ids as candidates; rules (每季度…, 偶数年) give no fact. View counts and honours (阅读量, 荣获…称号) give no fact.
7. Word boundaries: a keyword counts only where it is a word of the sentence as cut by the registry-aware segmenter
   (``analysis.ingest.reports.segment``, rjieba with the registry's words as user dictionary): 督|办件 and 主|办件 hold no
   办件, 审结|案件 holds no 结案; a modifier before the keyword keeps it (业务|培训). See ``matcher.Words``.
8. Every fact says which rule decided it (``rule``) and how sure that is (``confidence``, RULE_CONFIDENCE); when
   indicators fit equally and nothing in the sentence says which (no relative, or the same family for both), the fact
   is unmapped with ``candidates``.
9. The clause structure of every number is on its fact (``analysis.ingest.reports.clause``, word lists in
   registry/extraction.yaml ``clause``): ``subject`` (who acts: 县法院, 区纪委监委, 全区 …), ``predicate`` (the verb),
   ``counted_noun`` (the thing after the measure word, else the noun before the number) and ``qualifiers`` (其中, 分别,
   均, 截至, 累计, 同比, 计划 … before it). It decides where it is data or a general rule: the registry's
   ``accept``/``refuse`` ``subjects`` (a discipline body's checks are no enforcement supervision, a court's totals no
   复议 figure); a keyword borrowed from an earlier clause names a counted thing (an indicator with ``nouns``) only when
   the number's counted noun has the same head (发现问题46个 are no agencies); an indicator of a family with family words
   is not chosen when an earlier clause names other families and nothing names its own (深化行政复议体制改革，接待来访
   咨询380人次 is no 法律咨询); a list A、B等 of things naming different indicators is none's total (审查重大行政决策、
   合同协议等涉法事项286件); the head keyword of a keyword refused by the rules may name the number (法律知识培训 next to
   执法人员 → 培训).

Sign convention of reductions: a percentage reduction (压减/压缩/减少/下降 X%, also 分别压减 X%、Y%) is a change with
value −X (scope ``change``, unmapped); a reduction stated as a count (精简材料126份) is a plain positive count.

The output order is by span start, then by the index of the shared indicator.

Scope markers (``scope``): the last marker before the number in its sentence wins, default ``year``; ``to_date``
(截至) is not overridden by cumulative markers (累计, 以来) that follow it (see ``markers.Marks.scope``); changes get ``change``.

Speed (bench/bench_extract.py; ≈4 ms CPU for the 3,100-character seed report on the shared 2-core machine, about 30 %
of it in the regex engine, 10 % in building the frame, the rest Python per number): the whole text is scanned once per
marker kind (numbers, quotes, sentence ends, scope/level/其中 markers, zero words) and positions are looked up by
bisect; keywords are scanned once per clause that holds a number (cached per sentence); word boundaries come from the
segmenter's per-sentence cache (a sentence never seen costs one rjieba cut, ≈0.3 µs a character); family words and
headings are only looked for when candidates tie, and headings only at lines that can be one; a trap window is only
run through the long TRAP_RE alternation when it holds one of TRAP_TRIGGERS, behind a lookahead of the characters a
trap starts with; per-number searches that cannot match anywhere in the sentence are skipped; the frame is assembled
once from dtype blocks.

Where each part lives (this module is the public surface and the text-wide pass): ``matcher`` (the registry as a
keyword index, keyword scans, word boundaries), ``markers`` (sentence/clause ends, traps, targets, changes, scope and
level markers, family words), ``sentence`` (one sentence's numbers in order: dropped, change, target, mapped, parts),
``choose`` (the indicator of one number and the confidence of its rule), ``respective`` (分别), ``rows`` (fact rows and
the frame). The tables (measure words, unit fit, traps, scope and level words) are data: registry/extraction.yaml.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import pandas as pd

from analysis.ingest.reports.choose import RULE_CONFIDENCE, rule_confidence
from analysis.ingest.reports.markers import (
    LEVEL_RE,
    QUOTE_RE,
    SCOPE_RE,
    SENTENCE_END_RE,
    TRAP_RE,
    TRAP_TRIGGERS,
    FamilyMarks,
    scan_marks,
    with_lead_class,
)
from analysis.ingest.reports.matcher import (
    MEASURE_ACCEPTS,
    Matcher,
    build_matcher,
    get_matcher,
    measure_fit,
    scan_keywords,
)
from analysis.ingest.reports.numbers import NUMBER_RE, Quantity, normalize, quantity_from_match
from analysis.ingest.reports.rows import Sink, facts_frame
from analysis.ingest.reports.sentence import Sentence, change_value

# the public surface (callers import these from here; the parts live in the modules named above)
__all__ = [
    "LEVEL_RE",
    "RULE_CONFIDENCE",
    "SCOPE_RE",
    "TRAP_RE",
    "TRAP_TRIGGERS",
    "MEASURE_ACCEPTS",
    "Matcher",
    "build_matcher",
    "change_value",
    "extract_facts",
    "facts_frame",
    "get_matcher",
    "rule_confidence",
    "scan_keywords",
    "measure_fit",
]


_TRAP_SCAN = with_lead_class(TRAP_RE)  # TRAP_RE's matches, found without trying its alternation at every position


def _is_trap(norm: str, q: Quantity, quotes: tuple[list[int], list[int]], s0: int, s1: int) -> bool:
    """True for a number inside quotes or inside one of the TRAP_RE shapes around it."""
    i = bisect.bisect_right(quotes[0], q.start) - 1
    if i >= 0 and quotes[1][i] > q.start:
        return True
    lo, hi = max(s0, q.start - 6), min(s1, q.end + 6)
    if TRAP_TRIGGERS.isdisjoint(norm[lo:hi]):  # no TRAP_RE match fits in the window: skip the long alternation
        return False
    for t in _TRAP_SCAN.finditer(norm, lo, hi):
        if t.start() < q.end and q.start < t.end():
            return True
    return False


def extract_facts(
    text: str,
    doc_id: str = "doc",
    indicators: pd.DataFrame | None = None,
    locate: Callable[[int], str] | None = None,
    report_year: int | None = None,
) -> pd.DataFrame:
    """Every quantity of ``text`` as a fact row (columns ``analysis.registry.schema.FACT_COLUMNS``), ordered by span.

    ``indicators`` is the registry (``analysis.registry.load_indicators()`` when None); ``locate`` maps a character
    offset to a locator string (``para 12``); ``doc_id`` prefixes every fact id (``<doc_id>:<span_start>``);
    ``report_year`` is the year the report covers, when known: it dates the values of a list of years (2024年、2025年
    …分别…), which are otherwise dated by the list's last year.
    """
    m = get_matcher(indicators)
    norm = normalize(text)
    quote_spans = [qm.span() for qm in QUOTE_RE.finditer(norm)]
    quotes = ([a for a, _ in quote_spans], [b for _, b in quote_spans])
    sink = Sink(text, doc_id, locate)
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
                got = found.get(span)
                if got is None:
                    got = found[span] = ([], [])
                got[0].append(q)
    if m.zero_re is not None:
        for z in m.zero_re.finditer(norm):
            found.setdefault(sentence_of(z.start()), ([], []))[1].append(z)
    marks = (*scan_marks(norm), FamilyMarks(m, norm)) if found else None
    for (s0, s1), (quantities, zeros) in sorted(found.items()):
        Sentence(m, norm, text, s0, s1, sink, marks, report_year).read(quantities, zeros)
    return sink.frame()
