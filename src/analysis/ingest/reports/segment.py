"""Word boundaries in report text: the jieba-rs segmenter (``rjieba``, its dictionary ships inside the wheel; nothing is
downloaded) with a user dictionary generated from the indicator registry.

Why: a registry keyword found inside a longer word is no mention of it — 「主办件」 and 「协办件」 are not 办件,
「调解工作室」 is not 工作站, 「审结案件」 holds no 结案. Character matching alone cannot tell; a segmenter that knows the
domain words can. The user dictionary holds every registry keyword, counted noun, accept/refuse word and zero word,
plus the measure words, so that the domain words are cut as words. (Indicator names are not added: a name such as
行政诉讼胜诉率 would be cut as one word and hide the keywords inside it.)

Use: ``Segmenter.bounds(sentence)`` is the set of offsets (0 and ``len`` included) where a word starts or ends;
a keyword hit counts only when both its ends are such offsets (``analysis.ingest.reports.facts``). The segmenter is built
once per registry (``analysis.ingest.reports.facts.get_matcher``) and caches the boundaries per sentence text (a report
repeats few sentences, but a batch of a district's yearly reports repeats many). HMM discovery of unknown words is off:
the same text always gives the same cut (deterministic, and faster).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

from analysis.ingest.reports.numbers import MEASURE_WORDS

CACHE_LIMIT = 50_000  # sentences kept; the cache is emptied when full (a bounded memory, no LRU bookkeeping)
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff()]{2,20}$")


class Segmenter:
    """rjieba with the registry's words added; ``bounds`` and ``words`` cached per text."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = rjieba.Jieba()
        self.user_words = tuple(sorted({w for w in (*words, *MEASURE_WORDS) if _CJK_WORD.match(w)}))
        for w in self.user_words:
            self._jieba.add_word(w, None, None)  # frequency suggested by the segmenter: the word is kept whole
        self._bounds: dict[str, frozenset[int]] = {}

    def clear_cache(self) -> None:
        """Forget the cached boundaries (bench/bench_extract.py measures a cold extraction with it)."""
        self._bounds.clear()

    def words(self, text: str) -> list[str]:
        """The words of ``text`` (deterministic: no HMM)."""
        return self._jieba.cut(text, False)

    def bounds(self, text: str) -> frozenset[int]:
        """Offsets in ``text`` where a word starts or ends (0 and len(text) included)."""
        got = self._bounds.get(text)
        if got is None:
            pos, out = 0, [0]
            for w in self._jieba.cut(text, False):
                pos += len(w)
                out.append(pos)
            got = frozenset(out)
            if len(self._bounds) >= CACHE_LIMIT:
                self._bounds.clear()
            self._bounds[text] = got
        return got
