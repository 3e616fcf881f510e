"""The clause structure of a number (``Structure``): who acts (subject), the verb (predicate), the thing counted
(counted noun) and the words that qualify it (qualifiers). The word lists are data (registry/extraction.yaml,
section ``clause``); the facts carry the four fields, and the registry's ``accept``/``refuse`` ``subjects`` rules read
the subject.

* subject — the nearest subject word before the number in its sentence (县法院, 区司法局, 全区, 各部门, 纪委监委 …)
  that ends a word of the segmenter, stands before any predicate verb of its clause (else it is the object, unless
  a pivot verb stands right before it: 「组织律师开展法治讲座」 → 律师) and not right after a preposition (对/为/向/以/被/与/和/及 …: 「对县政府拟出台的文件」 names the
  object, not the actor); a place prefix before the word is kept (县法院). "" when the sentence names none.
* predicate — the nearest predicate verb before the number in its clause, else the first one after the number in the
  clause (「对20家单位开展执法监督」 → 开展). "" when the clause holds none.
* counted noun — the word right after the measure word (「6个乡镇」 → 乡镇), as the registry-aware segmenter cuts it;
  when no noun follows the measure word, the word right before the number unless it is a predicate or a linking word
  (「检查市场主体1560家次」 → 市场主体; 「审结61件」 → "").
* qualifiers — the qualifier words before the number in its sentence, in text order (其中, 截至, 累计, 同比, 计划 …;
  分别 and 均 only in the number's own clause), joined by ``;``.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from analysis.ingest.reports.markers import QUOTE_CHARS
from analysis.ingest.reports.matcher import Words
from analysis.ingest.reports.numbers import Quantity
from analysis.registry.vocabulary import load_extraction

_EXTRACTION = load_extraction()
SUBJECT_RE = _EXTRACTION.subject_re
PREDICATE_RE = _EXTRACTION.predicate_re
QUALIFIER_RE = _EXTRACTION.qualifier_re
NOT_SUBJECT_BEFORE = _EXTRACTION.not_subject_before
PLACE_PREFIXES = _EXTRACTION.place_prefixes
PIVOT_RE = _EXTRACTION.pivot_re  # a pivot verb right before the subject (组织|律师): the object acts
CLAUSE_QUALIFIERS = _EXTRACTION.clause_qualifiers
# words between a noun and its number that link them (「案件共计154件」, 「主体达76个」): no counted noun
_LINKS = frozenset(
    (
        "共",
        "共计",
        "合计",
        "总计",
        "累计",
        "达",
        "达到",
        "为",
        "是",
        "有",
        "约",
        "近",
        "超",
        "超过",
        "逾",
        "均",
        "均为",
        "各",
        "共有",
        "现有",
        "计",
        "了",
        "的",
        "等",
        "余",
        "各类",
    )
)
# words that end the search for a counted noun: conjunctions (…3件和120件) and 分别 (the names before it are several)
_NO_NOUN = frozenset(("和", "及", "与", "以及", "或", "分别", "分别为", "分别达到", "分别是"))
_STOP = frozenset(',:;。、()“”‘’"「」『』《》 ')


class Structure(NamedTuple):
    subject: str
    predicate: str
    counted_noun: str
    qualifiers: str


class ClauseReader:
    """The structure of the numbers of one sentence norm[s0:s1]; the sentence's subject and qualifier words are
    scanned once, on the first number."""

    __slots__ = ("norm", "s0", "s1", "words", "_subjects", "_qualifiers", "_predicates")

    def __init__(self, norm: str, s0: int, s1: int, words: Words) -> None:
        self.norm, self.s0, self.s1, self.words = norm, s0, s1, words
        self._subjects: list[tuple[int, str]] | None = None  # (end, subject as written)
        self._qualifiers: list[tuple[int, str]] | None = None  # (start, word)
        self._predicates: dict[int, list[tuple[int, int, str]]] = {}  # clause start → its whole-word predicates

    def _scan(self) -> None:
        norm = self.norm
        subs = []
        bounds, s0 = self.words.bounds, self.s0
        for mm in SUBJECT_RE.finditer(norm, s0, self.s1):
            a, b = mm.span()
            if bounds is not None and b - s0 not in bounds:
                continue  # ends inside a longer word: not this subject
            if a > s0 and norm[a - 1] in PLACE_PREFIXES:
                a -= 1  # 县法院, 区司法局
            c0 = max(norm.rfind(",", s0, a), norm.rfind(":", s0, a), s0 - 1) + 1
            if c0 < a and PREDICATE_RE.search(norm, c0, a) and not PIVOT_RE.search(norm, c0, a):
                continue  # after its clause's verb: the object (新建规范化司法所3个), not the actor (组织律师开展…)
            if norm.endswith(NOT_SUBJECT_BEFORE, s0, a):  # right after a preposition (对县政府…): the object
                continue
            subs.append((b, norm[a:b]))
        self._subjects = subs
        self._qualifiers = [(mm.start(), mm.group()) for mm in QUALIFIER_RE.finditer(norm, self.s0, self.s1)]

    def subject(self, pos: int) -> str:
        """The nearest subject before ``pos`` in the sentence."""
        if self._subjects is None:
            self._scan()
        best = ""
        for end, w in self._subjects:
            if end > pos:
                break
            best = w
        return best

    def structure(self, q: Quantity, clause: tuple[int, int]) -> Structure:
        if self._subjects is None:
            self._scan()
        return Structure(
            self.subject(q.start),
            self.predicate(q, clause),
            self.counted_noun(q, clause),
            ";".join(
                dict.fromkeys(
                    w for a, w in self._qualifiers if a < q.start and (w not in CLAUSE_QUALIFIERS or a >= clause[0])
                )
            ),
        )

    def predicate(self, q: Quantity, clause: tuple[int, int]) -> str:
        """The nearest predicate verb before the number in its clause, else the first one after it (as words)."""
        found = self._predicates.get(clause[0])
        if found is None:
            found = self._predicates[clause[0]] = whole_predicates(self.norm, clause, self.words)
        last = ""
        for a, b, w in found:
            if b > q.start:
                if last:
                    return last
                if a >= q.end:
                    return w
                continue
            last = w
        return last

    def counted_noun(self, q: Quantity, clause: tuple[int, int]) -> str:
        """The word after the measure word, else the noun right before the number (see the module doc)."""
        norm, words = self.norm, self.words
        a = q.end
        while a < clause[1] and norm[a] in QUOTE_CHARS:
            a += 1
        if a < clause[1] and norm[a] not in _STOP and not norm[a].isdigit():
            w = _word_at(norm, words, a, clause[1])
            if w and w not in _LINKS and w not in _NO_NOUN and not PREDICATE_RE.fullmatch(w):
                return w
        b = q.start
        while b > clause[0]:
            w = _word_before(norm, words, b, clause[0])
            if not w or w[-1] in _STOP or w in _NO_NOUN:
                return ""
            if w in _LINKS:
                b -= len(w)
                continue
            if not _is_cjk(w) or PREDICATE_RE.fullmatch(w):
                return ""
            if "的" in w[:-1]:  # a registry word holding a modifier (为被告的行政诉讼案件): the head after 的
                w = w.rsplit("的", 1)[1]
            verb = PREDICATE_RE.match(w) if q.measure != "%" else None  # a rate keeps its whole name (备案审查率)
            return w[verb.end() :] if verb else w  # a registry word holding its verb (出台行政规范性文件): the noun
        return ""


_CJK_RE = re.compile("[\u4e00-\u9fff]*")


def _is_cjk(w: str) -> bool:
    """True when every character of ``w`` is a CJK ideograph (also for "")."""
    return _CJK_RE.fullmatch(w) is not None


def _word_at(norm: str, words: Words, a: int, end: int) -> str:
    """The segmenter's word starting at ``a`` (up to ``end``)."""
    bounds = words.bounds
    if bounds is None:
        return ""
    starts = words.sorted_bounds()
    i = bisect.bisect_right(starts, a - words.s0)
    b = min(end, words.s0 + starts[i]) if i < len(starts) else end
    w = norm[a:b]
    return w if _is_cjk(w) else ""


def _word_before(norm: str, words: Words, b: int, start: int) -> str:
    """The segmenter's word ending at ``b`` (from ``start``)."""
    if words.bounds is None:
        return ""
    starts = words.sorted_bounds()
    i = bisect.bisect_left(starts, b - words.s0) - 1
    a = max(start, words.s0 + starts[i]) if i >= 0 else start
    return norm[a:b]


def whole_predicates(norm: str, clause: tuple[int, int], words: Words | None = None) -> list[tuple[int, int, str]]:
    """The predicate verbs of a clause that are words of the segmenter, in order; a verb inside a longer word (结案 in
    结案率, 应诉 in 行政应诉案件) is none."""
    bounds, s0 = (words.bounds, words.s0) if words is not None else (None, 0)
    out = []
    for mm in PREDICATE_RE.finditer(norm, *clause):
        a, b = mm.span()
        if bounds is None or (a - s0 in bounds and b - s0 in bounds):
            out.append((a, b, mm.group()))
    return out
