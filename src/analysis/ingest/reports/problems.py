"""The 存在问题 lens: find a report's "problems" section and sort each stated problem into an assessment area.

``find_problems_section(text) -> (start, end) | None`` – the span of the section whose heading is one of the
``section.start`` phrases of problem_rules.yaml (存在问题 / 存在的问题 / 问题和不足 / 不足之处 …), from the start of
its heading line up to the next top-level heading (``三、`` after ``二、``, or a line opening with a ``section.end``
phrase such as 下一步 / 工作打算) or the end of the text.

``classify_problems(text) -> DataFrame`` – one row per problem item in that section (items are the ``（一）…`` /
``1.`` / ``一是…`` parts; a section without numbering is one item per paragraph) with columns
``problem_no, text, span_start, span_end, area, matched_keywords, rule`` where ``text == text[span_start:span_end]``
of the input, ``area`` is one of p1_effectiveness / p2_normative_docs / p3_enforcement / other, and ``rule`` tells
how the area was chosen (the rules and keywords are data: problem_rules.yaml, documented there).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis.registry.schema import SCORED_AREAS

RULES_FILE = Path(__file__).with_name("problem_rules.yaml")
PROBLEM_COLUMNS = ["problem_no", "text", "span_start", "span_end", "area", "matched_keywords", "rule"]
PROBLEM_AREAS = (*SCORED_AREAS, "other")  # the scored areas (registry/vocabulary.yaml), then the rest

_CN_NUM = "一二三四五六七八九十"
_TOP = re.compile(rf"^[ \t\u3000]*(?:[{_CN_NUM}]+\s*[、.．]|第[{_CN_NUM}]+部分)")
_NUMBERING = rf"(?:[{_CN_NUM}]+\s*[、.．]|[（(][{_CN_NUM}\d]+[)）]\s*|\d+\s*[、.．]\s*|第[{_CN_NUM}]+部分\s*)"
_ITEM = re.compile(rf"(?:^|\n)[ \t\u3000]*(?:[（(][{_CN_NUM}\d]+[)）]|\d{{1,2}}\s*[、.．](?!\d))")
_SHI = re.compile(rf"(?:^|(?<=[。；;！？\n]))\s*(?:[{_CN_NUM}]是|其[{_CN_NUM}])")


class ProblemRulesError(ValueError):
    """problem_rules.yaml is malformed; the message names the file and the key."""


@functools.cache
def load_rules(path: str | None = None) -> dict:
    """The classification rules (validated)."""
    p = Path(path) if path else RULES_FILE
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProblemRulesError(f"{p}：无法读取规则：{exc}") from exc
    if not isinstance(doc, dict):
        raise ProblemRulesError(f"{p}：应为映射")
    for key in ("heading_weight", "priority", "section", "areas"):
        if key not in doc:
            raise ProblemRulesError(f"{p}：缺少键 {key!r}")
    if set(doc["areas"]) != set(PROBLEM_AREAS) or set(doc["priority"]) != set(PROBLEM_AREAS):
        raise ProblemRulesError(f"{p}：areas 和 priority 必须恰好列出 {PROBLEM_AREAS}")
    for area, spec in doc["areas"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("keywords"), list):
            raise ProblemRulesError(f"{p}：areas.{area}：需要 keywords 列表")
    for key in ("start", "end"):
        if not isinstance(doc["section"].get(key), list) or not doc["section"][key]:
            raise ProblemRulesError(f"{p}：section.{key}：需要非空列表")
    return doc


# words allowed between a heading's number and its phrase: 二、当前我区法治政府建设中存在的问题 (but not 聚焦存在问题整改)
_GAP = r"(?:关于|当前|目前|仍然|仍|还|主要|工作中|建设中|法治政府建设|工作|[我本全][区县市旗]|的|中|方面|[、\s])*"


def _heading_re(phrases: list[str]) -> re.Pattern:
    alts = "|".join(sorted(map(re.escape, phrases), key=len, reverse=True))
    return re.compile(rf"^[ \t\u3000]*(?:{_NUMBERING})?{_GAP}(?:{alts})", re.M)


def find_problems_section(text: str, rules: dict | None = None) -> tuple[int, int] | None:
    """(start, end) of the problems section, or None when the report has none."""
    rules = rules or load_rules()
    start_re = _heading_re(rules["section"]["start"])
    m = None
    for cand in start_re.finditer(text):
        line_end = text.find("\n", cand.start())
        line = text[cand.start() : line_end if line_end >= 0 else len(text)]
        rest = re.split(r"[。：:，,；;]", text[cand.end() : line_end if line_end >= 0 else len(text)], maxsplit=1)[0]
        # a heading is a short line, or a numbered line whose first clause is the heading; the phrase ends its clause
        # (存在的问题和不足 / 存在问题及原因分析 / 存在的问题及下一步打算), it does not start a longer one
        if len(rest.strip()) <= 10 and (len(line.strip()) <= 40 or re.match(rf"\s*{_NUMBERING}", line)):
            m = cand
            break
    if m is None:
        return None
    start = m.start() + (len(m.group()) - len(m.group().lstrip()))
    first_nl = text.find("\n", m.end())
    if first_nl < 0:
        return start, len(text)
    heading_line = text[start:first_nl]
    top_level = bool(_TOP.match(heading_line))
    end_words = "|".join(map(re.escape, rules["section"]["end"]))
    end_re = re.compile(rf"^[ \t\u3000]*(?:{_NUMBERING})?(?:{end_words})", re.M)
    end = len(text)
    for line in re.finditer(r"[^\n]*", text[first_nl + 1 :]):
        s = line.group()
        if not s.strip():
            continue
        pos = first_nl + 1 + line.start()
        if (top_level and _TOP.match(s)) or end_re.match(s):
            end = pos
            break
    while end > start and text[end - 1] in " \t\n\u3000":
        end -= 1
    return start, end


def _item_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split the section body (after its heading line) into problem items."""
    nl = text.find("\n", start, end)
    line_end = nl if nl >= 0 else end
    body_start = nl + 1 if nl >= 0 else end
    # the heading and (the first of) its items may share a line: 存在的问题：一是…二是… / 二、存在问题。部分…
    brk = re.search(r"[:：。]", text[start:line_end])
    if brk and len(text[start + brk.end() : line_end].strip()) >= 4:
        body_start = start + brk.end()
    body = text[body_start:end]
    cuts = [m.start() + (1 if m.group().startswith("\n") else 0) for m in _ITEM.finditer(body)]
    if not cuts:
        cuts = [m.start() for m in _SHI.finditer(body)]
    if not cuts:
        cuts = [m.start() for m in re.finditer(r"(?:^|(?<=\n))[^\n]*\S", body)]
    if cuts and body[: cuts[0]].strip():
        cuts.insert(0, 0)
    spans = []
    for i, c in enumerate(cuts):
        e = cuts[i + 1] if i + 1 < len(cuts) else len(body)
        seg = body[c:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if seg.strip():
            spans.append((body_start + c + lead, body_start + c + trail))
    return spans


def _score(part: str, keywords: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keywords found in ``part`` per area; longer keywords consume their characters first."""
    allkw = sorted(((kw, area) for area, kws in keywords.items() for kw in kws), key=lambda t: -len(t[0]))
    masked = part
    found: dict[str, list[str]] = {a: [] for a in keywords}
    for kw, area in allkw:
        if kw and kw in masked:
            if kw not in found[area]:
                found[area].append(kw)
            masked = masked.replace(kw, "\0" * len(kw))
    return found


def classify_item(item: str, rules: dict | None = None) -> tuple[str, list[str], str]:
    """(area, matched keywords, rule) for one problem item, following problem_rules.yaml."""
    rules = rules or load_rules()
    keywords = {a: list(spec["keywords"]) for a, spec in rules["areas"].items()}
    stripped = re.sub(rf"^\s*(?:{_NUMBERING}|[{_CN_NUM}]是|其[{_CN_NUM}])", "", item)
    hm = re.search(r"[。；;:：\n]", stripped)
    heading, rest = (stripped[: hm.start()], stripped[hm.end() :]) if hm else (stripped, "")
    w = int(rules["heading_weight"])
    h_found, b_found = _score(heading, keywords), _score(rest, keywords)
    scores = {a: w * len(h_found[a]) + len(b_found[a]) for a in keywords}
    matched = {a: h_found[a] + [k for k in b_found[a] if k not in h_found[a]] for a in keywords}
    best = max(scores.values())
    if best == 0:
        return "other", [], "no_keyword"
    leaders = [a for a in rules["priority"] if scores[a] == best]
    area = leaders[0]
    if len(leaders) > 1:
        rule = "tie_priority"
    else:
        h_scores = {a: len(h_found[a]) for a in keywords}
        h_best = max(h_scores.values())
        rule = (
            "heading_keywords"
            if h_best and [a for a in keywords if h_scores[a] == h_best] == [area]
            else "body_keywords"
        )
    return area, matched[area], rule


def classify_problems(text: str, rules: dict | None = None) -> pd.DataFrame:
    """One row per stated problem of the report (empty frame with PROBLEM_COLUMNS when there is no section)."""
    rules = rules or load_rules()
    section = find_problems_section(text, rules)
    if section is None:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    rows = []
    for no, (s, e) in enumerate(_item_spans(text, *section), start=1):
        item = text[s:e]
        area, kws, rule = classify_item(item, rules)
        rows.append(
            {
                "problem_no": no,
                "text": item,
                "span_start": s,
                "span_end": e,
                "area": area,
                "matched_keywords": "、".join(kws),
                "rule": rule,
            }
        )
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
