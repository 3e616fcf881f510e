"""The extractor's scanning shortcuts find exactly what the plain scans find (same spans, same order)."""

from __future__ import annotations

import random
import re

import pytest

from analysis.ingest.reports import markers
from analysis.ingest.reports.facts import TRAP_RE
from analysis.ingest.reports.matcher import maximal
from analysis.ingest.reports.numbers import normalize

TEXTS = [
    "一、下一步工作打算\n  （二）工作计划如下：力争办结率达到95%\n第一部分 工作重点。\n",
    "\n\n 一、标题\n短行\n\t\t很短\n" + "长" * 30 + "\n  1.执法检查\n",
    "（一）全面加强法治政府建设。下一步，我们将……\n二、存在问题\n三、下一步工作打算及努力方向\n（一）加强规范性文件管理",
    "〔2024〕46号文件印发，第三届“一件事一次办”，惠企35条，1+4+8，4.0版，5个工作日内办结，全省第2名",
    "",
    "\n",
    "下一步",
]
ALPHABET = list("一二三(、)第部分下一步工作打算计划努力方向 \t\n。;!?长短0123.号〔〕[]+版条项个内前名届")


def _random_texts(n: int) -> list[str]:
    rnd = random.Random(8)
    return [normalize("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 80)))) for _ in range(n)]


def _plain_target_sections(norm: str) -> list[tuple[int, int]]:
    out = []
    for h in markers.TARGET_HEADING_RE.finditer(norm):
        nxt = markers.HEADING_RE.search(norm, h.end())
        out.append((h.start(), nxt.start() if nxt else len(norm)))
    return out


def test_line_scans_match_the_whole_text_scans() -> None:
    for norm in [normalize(t) for t in TEXTS] + _random_texts(3000):
        assert markers.heading_lines(norm) == [m.span() for m in markers._HEADING_LINE_RE.finditer(norm)]
        assert markers._target_sections(norm) == _plain_target_sections(norm)


def test_lead_class_keeps_every_trap_match() -> None:
    fast = markers.with_lead_class(TRAP_RE)
    assert fast is not TRAP_RE  # the trap patterns' first characters can be read off (else no speed-up)
    for norm in [normalize(t) for t in TEXTS] + _random_texts(3000):
        for a in range(0, max(1, len(norm)), 5):
            b = min(len(norm), a + 17)
            assert [m.span() for m in fast.finditer(norm, a, b)] == [m.span() for m in TRAP_RE.finditer(norm, a, b)]


@pytest.mark.parametrize(
    ("pattern", "starts", "not_starts"),
    [
        (r"每(?<!平均每)(?:年|月)|偶数年", "每偶", "平年"),
        (r"[0-9一二]+(?:个方面|大类)", "09一二", "个方"),
        (r"(?:同比|较\d{4}年)?(?P<verb>增长|下降)了?$", "同较增下", "了年"),
        (r"\d+版", "07", "版"),
    ],
)
def test_first_class_holds_every_first_character(pattern: str, starts: str, not_starts: str) -> None:
    cls = re.compile(markers.first_class(pattern))
    assert all(cls.fullmatch(c) for c in starts)
    assert not any(cls.fullmatch(c) for c in not_starts)


@pytest.mark.parametrize("pattern", [r"(?=a)b", r"[^a]b", r"a?", r"(?i)ab", r".b", r"(?:x|)"])
def test_first_class_refuses_what_it_cannot_read(pattern: str) -> None:
    assert markers.first_class(pattern) is None
    rx = re.compile(pattern)
    assert markers.with_lead_class(rx) is rx


def test_maximal_is_the_pairwise_definition() -> None:
    rnd = random.Random(3)
    for _ in range(20000):
        hits = []
        for _ in range(rnd.randint(0, 8)):
            a = rnd.randint(0, 10)
            hits.append((a, a + rnd.randint(1, 5), "k", ("x",)))
        want = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)]
        assert maximal(hits) == want


def test_facts_frames_take_the_direct_path() -> None:
    """rows builds fact frames through pandas internals only after checking, on a sample row, that they give the same
    frame as the public path; a fact column added to the schema without its sample value fails that check and the slower
    path is taken silently. On the pinned pandas the direct path must be in use, and it must give the public frame."""
    from analysis.ingest.reports import rows
    from analysis.ingest.reports.facts import extract_facts
    from analysis.registry.schema import FACT_COLUMNS

    assert rows.DIRECT_FRAMES, "rows._same_frames rejected the direct frame path (is its sample row missing a column?)"
    df = extract_facts("全年新收行政复议案件86件，审结80件。")
    assert list(df.columns) == list(FACT_COLUMNS) and len(df) == 2
