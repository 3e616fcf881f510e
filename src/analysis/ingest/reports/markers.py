"""Marker words and shapes of report text for the extractor (``analysis.ingest.reports.facts``): sentence and clause
ends, quotes, traps, rules, targets, changes, 其中; the scope and level markers and the family words, scanned once per
text and looked up by position.

The tables (traps, scope and level words) are data, registry/extraction.yaml; the other shapes are grammar and stay
here as regexes.
"""

from __future__ import annotations

import bisect
import re

from analysis.ingest.reports.matcher import Matcher
from analysis.registry.vocabulary import load_extraction

try:  # the standard library's regex parser: only to read which characters a pattern's matches start with
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser
except ImportError:  # pragma: no cover - another Python: the patterns are used as they are
    _sre_parser = _sre_constants = None

_EXTRACTION = load_extraction()

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
EXPLICIT_TARGET_RE = re.compile(
    r"力争|力求|目标(?!考核|责任|管理)|需达到|应达到|要求达到|要(?:保持|达到|实现)|努力(?:使|实现|达到)|到20\d\d年"
)
# A plan: the number is what the unit means to do, never this year's figure (scope ``target``, unmapped, the
# indicators that would fit listed as candidates; rules, RULE_RE, give no fact at all). Looked for in the sentence
# before the number; a section headed
# 下一步/工作打算/工作计划… makes every number in it a target (see TARGET_HEADING_RE).
# Not a plan: 列入计划/纳入计划 (a status: 列入计划逐步解决的41件) and 拟…的 (a modifier: 县政府拟出台的12件文件 are
# documents reviewed this year).
# "not a single one" before a number 一…: 无一起, 没有一件, 未发生一起 (a zero said as a negated one, no figure of 1)
NONE_BEFORE_RE = re.compile(r"(?:无|没有|未发生|未出现|未有|未发现|不存在)$")
# What was actually done, said after a plan or target in the same sentence (计划举办4期，实际举办6期; 目标…95%，目前已达到
# 96.1%): the number after it is this year's figure again
ACTUAL_RE = re.compile(r"实际|目前已|现已|截至目前已|已经达到|实有")
# A sentence opening with a plan word (下一步，…；力争…；推动…提升至25%): its later parts after ； (each its own sentence
# as evidence) are plans too, as far as the 。 that ends it
PLAN_OPENING_RE = re.compile(
    r"(?:[一二三四五六七八九十]+是|[(][一二三四五六七八九十]+[)])?(?:下一步|下步|今后|明年|接下来)"
)
TARGET_RE = re.compile(
    r"(?<!列入)(?<!纳入)计划|下一步|下步|打算|拟(?!修改|修订)(?![^,:;。的]{0,12}的)|预计|争取|确保|按照规划|不少于|不低于"
    r"|至少|明年|今后|将于|控制在"
)
TARGET_HEADING_WORDS = ("下一步", "工作打算", "工作计划", "工作安排", "工作思路", "努力方向", "工作重点")
TARGET_HEADING_RE = re.compile(
    r"(?m)^[ \t]*(?:[一二三四五六七八九十]+、|[(][一二三四五六七八九十]+[)]|第[一二三四五六七八九十]+部分)?[^\n。]{0,12}"
    rf"(?:{'|'.join(TARGET_HEADING_WORDS)})[^\n]{{0,30}}$"
)
HEADING_RE = re.compile(r"(?m)^[ \t]*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")
# Numbers that are no performance figure: view counts and honours (阅读量10万次, 荣获表彰12个), looked for in the clause
VIEW_HONOUR_RE = re.compile(
    r"播放量|阅读量|点击量|浏览量|访问量|观看人数|观看量|点赞|转发量|关注量|关注人数|粉丝|荣誉|表彰|称号|获评|荣获|获奖|评为"
    r"|入选|先进集体|先进个人"
)
# an honour said after the number in its clause (3个执法单位获评…, 5件案件获评优秀案件, 3个案例入选…典型案例)
HONOUR_AFTER_RE = re.compile(r"获评|评为|荣获|入选")
RESPECTIVE_SPLIT = "、和及与"
LIST_END_RE = re.compile(r"等(?![级次第待])")  # A、B等…: the end of a list of named things (等级, 等次 are no list end)
SUBSET_END_RE = re.compile(r"[^,:。;]{0,12}中[,:]")  # …案件中， / 在审结的行政诉讼案件中，: the set, not the number
# 人大代表建议中已解决的41件, 败诉案件中涉及征收补偿的3件: a part of the named set
SUBSET_AFTER_RE = re.compile(
    r"(?:案件|事项)?中(?=[已的有]|涉及|属于|[^,:;。中]{1,10}的(?:[0-9]|[一二两三四五六七八九十]))"
)
# 8个方面31项任务, 共六章四十条: the structure of a plan or a law
STRUCTURE_RE = re.compile(r"[0-9一二三四五六七八九十]+(?:个方面|方面|大类|章(?=[0-9一二三四五六七八九十百]+条))")
RANK_RE = re.compile(r"排名|名列|位列|位居")
# a comparison with an earlier period (较上年, 同比, 比去年 …) and the verbs of a change
_COMPARISON = r"同比|环比|较上年|比上年|较去年|比去年|较\d{4}年"
RISE_VERBS = ("增长", "增加", "上升", "提升", "提高", "增幅")
NEGATIVE_VERBS = ("下降", "减少", "降低", "压降", "压减", "压缩", "下滑", "降幅")  # 降幅27.3%: a fall of 27.3 %
_CHANGE_VERB = "(?P<verb>" + "|".join(RISE_VERBS + NEGATIVE_VERBS) + ")"
CHANGE_RE = re.compile(f"(?:{_COMPARISON})?(?:分别|均|各)?{_CHANGE_VERB}(?:了|(?<=幅)(?:为|达到|达))?$")
# a count right after a comparison with an earlier period and a change verb (较上年减少12件, 同比增加6件): the
# difference, a change, never a level; without the comparison word (减少证明材料43项) a count cut stays a count
COUNT_CHANGE_RE = re.compile(f"(?:{_COMPARISON})(?:分别|均|各)?{_CHANGE_VERB}了?$")  # 较上年分别减少3件和2件
COMPARED_RE = re.compile(_COMPARISON)
# 由(上年的)X降至Y: Y is the level the X before it moved to, of the same indicator (X is the earlier level)
FROM_RE = re.compile(r"由(?:上年|去年|上一年|原来|原有|原|\d{4}年)?(?:底|末)?的?$")
TO_RE = re.compile(
    r"(?:下降|降低|减少|压减|压缩|缩减|精简|整合|合并|调整|上升|提高|提升|增加|增长|降|升|增|减)(?:至|到|为)了?"
    r"(?:(?:今年|本年|目前|年底|年末)的?)?"  # 由上年的58件下降到今年的43件
)
SHARED_RE = re.compile(r"均(?:为|达到|达|是|保持)?$")
TOTAL_LIST_RE = re.compile(r"(?:共计|合计|总计|共|累计)(?:达)?$")
# a sum in a number's clause (合计需办理87件): narrower than TOTAL_LIST_RE (no bare 共 or 累计, which also open a
# single total: 共审结79件, 累计培训3200人次)
SUM_WORD_RE = re.compile(r"合计|共计|总计|总共|累计共")
# between two items of a list that name one indicator (宣传手册2000余册、宣传折页5000份): words that make the second
# something other than another kind counted apart (a total, a part, a respective list, a change, a move)
KINDS_LIST_BREAK_RE = re.compile(r"[0-9]|其中|共|合计|总计|累计|分别|较|同比|比|增|减|由|至|到|占")
# the others, the rest (全县其他行政执法部门…3117件; 其余3件依法延期答复; 审查其他涉法事项71件): the figure of what is left
# after some are taken out, a part; not "A、B和其他C" (a list that ends with "and the others" names everything)
OTHERS_RE = re.compile(r"(?<![和及与、])(?:其他|其它|其余)")
# after a count: its noun (no verb of a move, no time word: 由上年的58件下降到今年的43件 is a move), 的, and another
# count (9家律师事务所的43名律师): the first count describes the second's things
MODIFIER_COUNT_RE = re.compile(
    r"(?:(?![到至为年降升增减提比较同占])[\u4e00-\u9fff]){1,8}的(?:[0-9]|[一二两三四五六七八九十百千])"
)
# A named street or town (or its 司法所, 工作站 …) that opens the sentence or follows 其中 acts in it: its figures are
# that place's share, not the unit's (东关街道司法所全年调解矛盾纠纷318件…; 其中沙河街道工作站接待群众咨询2150人次).
# The name is 2–4 characters with no numeral, no 全/各/每/本/我/该/辖区, no preposition before it (在东关街道召开:
# a venue) and no other place word (各街道, 全区12个镇街, 苏木镇 as a kind of town are the unit's own); its organ or a
# time word follows it. Towns' own reports are not this tool's reports.
NAMED_PLACE_RE = re.compile(
    r"(?:^|(?<=[\n,;])|(?<=其中))[ \t]*(?:[(][一二三四五六七八九十]+[)])?"
    r"(?![全各每本我该辖在对向到赴为与和经由据从按将])(?!苏木镇|其中|共|累计|合计|总计|先后|分别|均|已|现|新建|新设|建成|设立|成立|指导|组织|推动|开展|依托|围绕)"
    r"(?:(?![乡镇街区县市省村个家所各\d])[\u4e00-\u9fff]){2,4}"
    r"(?:街道|镇|苏木|嘎查)"
    # the place acts: its organ or a time word follows (东关街道司法所…, 城关镇全年…), not an object (公布街道赋权
    # 事项清单, 培训苏木镇执法人员: a verb before a kind of place is no name)
    r"(?=司法所|工作站|工作室|办事处|便民服务中心|调委会|人民调解委员会|综合行政执法|综合执法|党工委|人民政府|政府"
    r"|全年|年内|今年|本年|共|累计)"
)
# before a higher level's word (全省, 全市 …): it frames a comparison or a place (在全市率先…, 高于全省…), its figure
# is not that level's
LEVEL_FRAME_BEFORE = frozenset("在比于较居列")
# a clause that opens with the unit's own level word: the unit acts again after a named place
OWN_CLAUSE_RE = re.compile(r"(?<=[,;])(?:全区|全县|全旗|我区|我县|我旗|本区|本县|全区各|全县各)")
PART_MARK_RE = re.compile(
    r"其中|包括|(?<=[件项个起宗条份])[^,:;。]{0,8}中(?=,)"
)  # 2215件纠纷中，婚姻家庭纠纷684件…: parts
# Parts listed before their total in one clause (对6个苏木镇和18家旗直部门共24个单位开展督察): read right after a
# number; a keyword after such a number names the total, not the part
PARTS_BEFORE_TOTAL_RE = re.compile(r"(?P<gap>[^,:;。]{0,12}?)(?:共计|合计|总计|共)(?=\d|[一二三四五六七八九十两])")
# Scope and level markers: flat alternations of words starting with a literal (fast to scan); the word → its class.
SCOPE_WORDS = _EXTRACTION.scope_words
SCOPE_RE = _EXTRACTION.scope_re  # the words longest first, then 近N年, 连续N年
# 1-10月, kept apart so that SCOPE_RE stays an alternation of literal-led words
MONTH_RANGE_RE = re.compile(r"[0-9][0-9]?\s*[-—–~至]\s*[0-9][0-9]?月")
LEVEL_WORDS = _EXTRACTION.level_words
LEVEL_RE = _EXTRACTION.level_re


def first_class(pattern: str) -> str | None:
    """A character class (``[…]``) holding every character a match of ``pattern`` can start with, or None when that
    cannot be read off the pattern (a leading lookahead, a negated class, case folding, an empty match…).
    A superset is harmless: the class only lets the regex engine skip positions where no match can start."""
    if _sre_parser is None:
        return None
    k = _sre_constants
    cats = {k.CATEGORY_DIGIT: r"\d", k.CATEGORY_SPACE: r"\s", k.CATEGORY_WORD: r"\w"}
    try:
        tree = _sre_parser.parse(pattern)
    except re.error:
        return None
    if tree.state.flags & re.IGNORECASE:
        return None

    def seq(items) -> tuple[set[str] | None, bool]:  # (first characters, whether the sequence may match empty)
        out: set[str] = set()
        for op, av in items:
            got, empty = item(op, av)
            if got is None:
                return None, False
            out |= got
            if not empty:
                return out, False
        return out, True

    def item(op, av) -> tuple[set[str] | None, bool]:
        if op is k.LITERAL:
            return {re.escape(chr(av))}, False
        if op is k.CATEGORY:
            return ({cats[av]}, False) if av in cats else (None, False)
        if op is k.IN:
            got: set[str] = set()
            for o, a in av:
                if o is k.LITERAL:
                    got.add(re.escape(chr(a)))
                elif o is k.RANGE:
                    got.add(re.escape(chr(a[0])) + "-" + re.escape(chr(a[1])))
                elif o is k.CATEGORY and a in cats:
                    got.add(cats[a])
                else:  # a negated class and the like: not worth reading
                    return None, False
            return got, False
        if op is k.BRANCH:
            got, empty = set(), False
            for alt in av[1]:
                a, e = seq(alt)
                if a is None:
                    return None, False
                got |= a
                empty = empty or e
            return got, empty
        if op is k.SUBPATTERN:
            return seq(av[3])
        if op in (k.MAX_REPEAT, k.MIN_REPEAT, k.POSSESSIVE_REPEAT):
            a, e = seq(av[2])
            return (None, False) if a is None else (a, e or av[0] == 0)
        if op in (k.ASSERT, k.ASSERT_NOT):  # a lookbehind (direction < 0) says nothing about what follows
            return (set(), True) if av[0] < 0 else (None, False)
        if op is k.AT:
            return set(), True
        return None, False

    got, empty = seq(tree)
    return None if got is None or empty or not got else "[" + "".join(sorted(got)) + "]"


def with_lead_class(rx: re.Pattern) -> re.Pattern:
    """``rx`` behind a lookahead for the characters its matches start with: the same matches at the same places (same
    spans and groups), found faster when the pattern is an alternation the regex engine would otherwise try in full
    at every position. ``rx`` itself when its first characters cannot be read off."""
    lead = first_class(rx.pattern)
    return rx if lead is None else re.compile(f"(?={lead})(?:{rx.pattern})", rx.flags)


def scope_of(word: str) -> str:
    """The scope class of a SCOPE_RE match."""
    if word in SCOPE_WORDS:
        return SCOPE_WORDS[word]
    return "partial_period" if word.endswith("月") else "cumulative"


QUOTE_CHARS = '“”‘’"「」『』 '


class Marks:
    """Positions and classes of marker words in the whole text (scope, level), 'none' markers dropped."""

    def __init__(self, found: list[tuple[int, str]]) -> None:
        kept = sorted(f for f in found if f[1] != "none")
        self.pos = [p for p, _ in kept]
        self.cls = [c for _, c in kept]

    def last(self, lo: int, pos: int, default: str) -> str:
        """The class of the last marker in [lo, pos), else ``default``."""
        i = bisect.bisect_left(self.pos, pos)
        return self.cls[i - 1] if i and self.pos[i - 1] >= lo else default

    def last_at(self, lo: int, pos: int) -> int:
        """The position of the last marker in [lo, pos), else -1."""
        i = bisect.bisect_left(self.pos, pos)
        return self.pos[i - 1] if i and self.pos[i - 1] >= lo else -1

    def any_of(self, lo: int, hi: int, cls: str) -> bool:
        """A marker of class ``cls`` in [lo, hi)."""
        i = bisect.bisect_left(self.pos, lo)
        j = bisect.bisect_left(self.pos, hi)
        return cls in self.cls[i:j]

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
# the number of a numbered heading: 一、 （一） 1. 第一部分
_HEADING_NUMBER = (
    r"(?:[一二三四五六七八九十]+、|[(][一二三四五六七八九十]+[)]|[0-9]+[.、]|第[一二三四五六七八九十]+部分)"
)
NUMBERED_HEADING_RE = re.compile(_HEADING_NUMBER)
# a heading line: numbered or short without a sentence end
_HEADING_LINE_RE = re.compile(rf"(?m)^[ \t]*(?:{_HEADING_NUMBER}[^\n]{{0,40}}|[^\n。;!?]{{2,25}})$")
_HEADING_NUMBER_START = frozenset("一二三四五六七八九十(0123456789第")  # the first character of a numbered heading
_OPENING_END_RE = re.compile(r"[,:。;!?\n]")


def heading_lines(norm: str) -> list[tuple[int, int]]:
    """The spans of _HEADING_LINE_RE in ``norm``, the same as a scan of the whole text: a heading is one whole line, so
    the pattern is only matched at the start of a line that can be one — a numbered one (its first character after
    the indent starts a number) or one of at most 25 characters after its indent."""
    out = []
    start, n = 0, len(norm)
    while start <= n:
        end = norm.find("\n", start)
        if end < 0:
            end = n
        indent = start
        while indent < end and norm[indent] in " \t":
            indent += 1
        if (2 <= end - start and end - indent <= 25) or (indent < end and norm[indent] in _HEADING_NUMBER_START):
            h = _HEADING_LINE_RE.match(norm, start)
            if h is not None:
                out.append(h.span())
        start = end + 1
    return out


class FamilyMarks:
    """Family words (registry ``families``) in the whole text, and per sentence the context its paragraph gives: the
    words of the nearest heading line above it and of its paragraph's opening clause (「一是做好行政复议和行政应诉。」)."""

    def __init__(self, m: Matcher, norm: str) -> None:
        self.norm, self.m = norm, m
        self.headings: list[tuple[int, int]] | None = None  # found on first use (only a tie needs the context)
        self.heading_starts: list[int] = []
        # sentence start → its context spans and their text (asked once per candidate indicator of every number)
        self._spans: dict[int, list[tuple[int, int]]] = {}
        self._texts: dict[int, str] = {}

    def _in(self, a: int, b: int) -> list[tuple[int, int, str]]:
        fam_re, of = self.m.family_re, self.m.family_of
        return [(mm.start(), mm.end(), of[mm.group()]) for mm in fam_re.finditer(self.norm, a, b)] if fam_re else []

    def context_spans(self, s0: int) -> list[tuple[int, int]]:
        """The spans that set the context of a sentence starting at s0: the nearest heading line above it (within
        2,000 characters) and its paragraph's opening clause, when these stand before the sentence."""
        got = self._spans.get(s0)
        if got is None:
            got = self._spans[s0] = self._context_spans(s0)
        return got

    def _context_spans(self, s0: int) -> list[tuple[int, int]]:
        if self.headings is None:
            self.headings = heading_lines(self.norm)
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
        got = self._texts.get(s0)
        if got is None:
            got = self._texts[s0] = "\n".join(self.norm[a:b] for a, b in self.context_spans(s0))
        return got

    def around(self, s0: int, s1: int) -> list[tuple[int, int, str]]:
        """The family words naming the context of the sentence text[s0:s1]: heading, opening clause, the sentence."""
        if self.m.family_re is None:
            return []
        out: list[tuple[int, int, str]] = []
        for a, b in self.context_spans(s0):
            out += self._in(a, b)
        return out + self._in(s0, s1)


def named_together(norm: str, named: list[tuple[int, int, str]], latest: dict[str, int]) -> dict[frozenset[str], int]:
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


def scan_marks(norm: str) -> tuple[Marks, Marks, list[int], list[tuple[int, int]]]:
    scopes = [(mm.start(), scope_of(mm.group())) for mm in SCOPE_RE.finditer(norm)]
    scopes += [(mm.start(), "partial_period") for mm in MONTH_RANGE_RE.finditer(norm)]
    levels = [(mm.start(), LEVEL_WORDS[mm.group()]) for mm in LEVEL_RE.finditer(norm)]
    parts = [mm.start() for mm in PART_MARK_RE.finditer(norm)]
    return Marks(scopes), Marks(levels), parts, _target_sections(norm)


def _target_sections(norm: str) -> list[tuple[int, int]]:
    """Spans of sections headed 下一步/工作打算/工作计划…: from the heading to the next numbered heading (一、…).

    A heading is one whole line holding a TARGET_HEADING_WORDS word, so only the lines holding one are matched (the
    same headings as a scan of the whole text, without trying the pattern at every line)."""
    out = []
    for start in sorted({norm.rfind("\n", 0, i) + 1 for w in TARGET_HEADING_WORDS for i in _find_all(norm, w)}):
        h = TARGET_HEADING_RE.match(norm, start)
        if h is not None:
            nxt = HEADING_RE.search(norm, h.end())
            out.append((h.start(), nxt.start() if nxt else len(norm)))
    return out


def _find_all(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out
