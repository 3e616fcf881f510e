"""Values after 分别 (``respective``): A、B满意率分别为x和y gives each value to its own name, in order."""

from __future__ import annotations

import re
from collections.abc import Callable

from analysis.ingest.reports.markers import CHANGE_RE, QUOTE_RE, RESPECTIVE_SPLIT
from analysis.ingest.reports.matcher import Hit, Matcher, Words, maximal, measure_fit, scan_keywords
from analysis.ingest.reports.numbers import MONEY_MEASURES, Quantity

# years before 分别 naming its values one by one (2024年、2025年…分别出台文件7件、9件): at the sentence's start
YEAR_LIST_RE = re.compile(r"((?:19|20)[0-9]{2})年度?(?:(?:[、,和及与]|至|到)((?:19|20)[0-9]{2})年度?)+")
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}(?=年)")


def respective(
    m: Matcher,
    norm: str,
    s0: int,
    s1: int,
    clauses: list[tuple[int, int]],
    quantities: list[Quantity],
    words: Words | None = None,
    para: Callable[[], str] | None = None,
    year_scopes: dict[int, tuple[str, int]] | None = None,
    report_year: int | None = None,
) -> dict[int, tuple[list[tuple[str, str]], str, tuple[str, ...], re.Match | None]]:
    """Numbers after 分别 in its clause, each given to its own name in order (A、B满意率分别为x和y): number start →
    (chosen, rule, candidates, change verb match). The names are the parts of the text before 分别 split at 、和及与
    (not inside a registry keyword); a name without a fitting keyword of its own borrows the shared head of the last
    name (从轻、减轻处罚案件) or a keyword of another name, ranked by its relation to the name's own keywords and to what
    the sentence named before the list (政协提案中，A类、B类…: the proposals' classes). A name with a leading verb of
    its own (新收、审结行政应诉案件) takes that verb, else the list's leading verb. The registry's rules hold per name
    (``_name_allowed``; ``para`` gives the heading above the sentence for a required context word). When the names
    are years (2024年、2025年…分别…7件、9件), see ``_by_years``."""
    out: dict[int, tuple[list[tuple[str, str]], str, tuple[str, ...], re.Match | None]] = {}
    pos = norm.find("分别", s0, s1)
    while pos >= 0:
        c = next((c for c in clauses if c[0] <= pos < c[1]), None)
        if c is None:
            break
        nums = [q for q in quantities if pos < q.start < c[1]]
        if _by_years(norm, s0, pos, nums, out, year_scopes, report_year):
            pos = norm.find("分别", pos + 2, s1)
            continue
        hits = maximal(scan_keywords(norm, c[0], pos, m, words))
        # “双随机、一公开”抽查批次、…: no name ends inside quotes
        quoted = {i for qm in QUOTE_RE.finditer(norm, c[0], pos) for i in range(qm.start() + 1, qm.end() - 1)}
        cuts = [
            i
            for i in range(c[0], pos)
            if norm[i] in RESPECTIVE_SPLIT
            and i not in quoted
            and not any(h[0] <= i < h[1] for h in hits)
            and (norm[i] == "、" or _alone(words, i))  # 参与 holds 与, no joiner
        ]
        segs = list(zip([c[0], *(i + 1 for i in cuts)], [*cuts, pos], strict=True))
        if len(segs) == 1 and not hits and nums:  # 全区分别新增省级、市级规范化司法所2个和5个: the names follow 分别
            a2, b2 = pos + 2, nums[0].start
            hits2 = maximal(scan_keywords(norm, a2, b2, m, words))
            cuts2 = [
                i for i in range(a2, b2) if norm[i] in RESPECTIVE_SPLIT and not any(h[0] <= i < h[1] for h in hits2)
            ]
            if cuts2 and len(cuts2) + 1 == len(nums):
                hits, segs = hits2, list(zip([a2, *(i + 1 for i in cuts2)], [*cuts2, b2], strict=True))
        if len(nums) >= 2 and len(segs) == 1:  # 满意率分别为x和y: the names stand in an earlier clause
            named = _earlier_names(m, norm, s0, c, hits, nums, words)
            if not named and _COUNTED_SET_RE.search(norm, c[0], pos):
                # …or each value is one of several things counted before 分别 and not named one by one (三个街道分别
                # 新建调解室2个、3个和1个): none is a figure of the whole
                named = [([], "ambiguous", ())] * len(nums)
            if not named and _named_places(norm, s0, pos):
                # …or the values belong to places the sentence names one by one (东城街道、西城街道调委会…调解成功率分别
                # 为99.3%、98.7%: one street's rate each): parts, none the figure of the shared name
                measure = "万元" if nums[0].measure in MONEY_MEASURES else nums[0].measure
                ids = tuple(dict.fromkeys(i for h in hits[-1:] for i in h[3] if measure_fit(m.measure_of[i], measure)))
                named = [([], "ambiguous", ids)] * len(nums)
            for q, got in zip(nums, named, strict=False):
                change = CHANGE_RE.search(norm, pos, nums[0].start) if q.measure in ("%", "个百分点") else None
                out[q.start] = (*got, change)
        if len(nums) >= 2 and len(segs) >= 2:
            change = CHANGE_RE.search(norm, pos, nums[0].start) if nums[0].measure in ("%", "个百分点") else None
            if len(segs) != len(nums):
                for q in nums:
                    out[q.start] = ([], "ambiguous", (), change)
            elif all(_BODY_RE.fullmatch(norm, a, b) for a, b in segs):
                # 县政府和县直部门分别聘请法律顾问11名、87名: the names are places or bodies, each value one's part of
                # what the text after 分别 names
                measure = "万元" if nums[0].measure in MONEY_MEASURES else nums[0].measure
                after = maximal(scan_keywords(norm, pos, nums[0].start, m, words))
                ids = tuple(dict.fromkeys(i for h in after for i in h[3] if measure_fit(m.measure_of[i], measure)))
                for q in nums:
                    out[q.start] = ([], "ambiguous", ids, change)
            else:
                all_ids = {i for h in hits for i in h[3]}
                if c[0] > s0:  # what the sentence named before the list's clause
                    all_ids.update(i for h in scan_keywords(norm, s0, c[0], m, words) for i in h[3])
                used: set[str] = set()
                ctx = (s0, c[1], para)

                # a verb shared by the list, naming several families (审结行政复议、行政诉讼案件分别为…)
                lead = _verb_at(m, hits, segs[0][0])
                for (a, b), q in zip(segs, nums, strict=True):
                    own_lead = _verb_at(m, hits, a) or lead  # 新收、审结行政应诉案件: the second name has its own verb
                    got = _respective_lead(m, norm, a, b, own_lead, hits, q, ctx) if own_lead else None
                    if got is None:
                        got = _respective_one(m, norm, a, b, segs[-1], hits, all_ids, q, used, segs[0], ctx)
                    used.update(iid for iid, _ in got[0])
                    out[q.start] = (*got, change)
                _parts_of_one(out, nums)
                topic = _topic(m, norm, hits, segs[0])
                if topic is not None:  # 行政复议案件收案、受理、审结数分别为…: the verbs of one family's things
                    fam, a0 = topic
                    given = {g[0][0][0] for g in (out[q.start] for q in nums) if g[0]}
                    for (a, b), q in zip(segs, nums, strict=True):
                        if out[q.start][0]:
                            continue
                        got = _topic_verb(m, norm, max(a, a0), b, hits, fam, q, ctx)
                        if got[0] and got[0][0][0] not in given:
                            given.add(got[0][0][0])
                            out[q.start] = (*got, change)
        pos = norm.find("分别", pos + 2, s1)
    return out


# a counted set right before 分别 (三个街道分别…, 5个部门分别…)
_COUNTED_SET_RE = re.compile(r"[0-9一二两三四五六七八九十]+(?:个|家|所|名|位)[^,:;]{1,8}$")


# a place or a body as a whole name of a list (县政府, 县直部门, 东城街道, 各乡镇)
_BODY_RE = re.compile(r"(?:[\u4e00-\u9fff]{0,4}?(?:政府|部门|单位|机关|街道|镇|乡|苏木|社区|嘎查|村|法院|检察院))")
# two or more places, kinds of place or bodies one by one (东城街道、西城街道; 乡镇、街道; 县政府和县直部门)
_PLACE_NAMES_RE = re.compile(rf"({_BODY_RE.pattern})(?:[、和及与]({_BODY_RE.pattern}))+")


def _named_places(norm: str, s0: int, pos: int) -> bool:
    """The sentence names two or more places or kinds of place before ``pos`` (东城街道、西城街道; 乡镇、街道)."""
    return _PLACE_NAMES_RE.search(norm, s0, pos) is not None


def _alone(words: Words | None, i: int) -> bool:
    """The character at ``i`` is a word of its own for the segmenter (always without one)."""
    b = words.bounds if words is not None else None
    return b is None or (i - words.s0 in b and i + 1 - words.s0 in b)


def _by_years(
    norm: str,
    s0: int,
    pos: int,
    nums: list[Quantity],
    out: dict,
    year_scopes: dict[int, tuple[str, int]] | None,
    report_year: int | None = None,
) -> bool:
    """Values after 分别 named by a list of years at the sentence's start, as many as the values (2024年、2025年…分别
    出台文件7件、9件): each is the figure of what the first value is the figure of, dated by its year — ``year_scopes``
    gets (scope, start of the first value) for every value: ``prior_year`` for a year before the report's year,
    ``target`` for one after it, "" (the report's own) for it; without ``report_year`` the last year of the list is
    taken for the report's. No value gets a name of its own in ``out``. True when the list was read."""
    yl = YEAR_LIST_RE.match(norm, s0)
    if yl is None or len(nums) < 2 or yl.end() > pos:
        return False
    years = [int(y) for y in _YEAR_RE.findall(yl.group())]
    if len(years) != len(nums) or years != sorted(years) or len(set(years)) != len(years):
        return False
    own = years[-1] if report_year is None else report_year
    for q, y in zip(nums, years, strict=True):
        out.pop(q.start, None)
        if year_scopes is not None:
            year_scopes[q.start] = ("prior_year" if y < own else "target" if y > own else "", nums[0].start)
    return True


def _topic(m: Matcher, norm: str, hits: list[Hit], first: tuple[int, int]) -> tuple[str, int] | None:
    """The family a list's first name opens with when the names are verbs of that family's things (行政复议案件收案、
    受理、审结数; 规范性文件出台、报备数): (family, where the first name's verb starts), or None. The first name opens with a
    family word or a keyword of one family and goes on with a verb of at most four characters that names nothing
    (收案, 出台)."""
    a, b = first
    fam, end = None, a
    if m.family_re is not None:
        mm = m.family_re.match(norm, a)
        if mm is not None:
            fam, end = m.family_of[mm.group()], mm.end()
    for h in hits:
        if h[0] == a and h[1] > end and len({m.family[i] for i in h[3]}) == 1:
            fam, end = m.family[h[3][0]], h[1]
    if fam is None or end >= b or b - end > 4:
        return None
    if any(h[0] < b and h[1] > end for h in hits):  # the first name's own text holds a keyword: a name of its own
        return None
    return fam, end


def _topic_verb(
    m: Matcher, norm: str, a: int, b: int, hits: list[Hit], fam: str, q: Quantity, ctx: Where
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    """The one indicator of family ``fam`` a keyword of name norm[a:b] (its verb: 受理, 审结, 报备) names, fitting the
    number; unmapped when none or several."""
    measure = "万元" if q.measure in MONEY_MEASURES else q.measure
    ids = {
        i: h[2]
        for h in hits
        if a <= h[0] and h[1] <= b
        for i in h[3]
        if m.family[i] == fam and measure_fit(m.measure_of[i], measure) and _name_allowed(m, norm, i, a, b, ctx)
    }
    if len(ids) == 1:
        iid, kw = next(iter(ids.items()))
        return [(iid, kw)], "respective+context", ()
    return [], "ambiguous" if ids else "no_keyword", tuple(ids)


def _parts_of_one(out: dict, nums: list[Quantity]) -> None:
    """Names of one list that land on the same indicator are parts of what it counts (一审、二审行政应诉案件分别为…;
    乡镇、村人民调解委员会分别为…), so none of them is that figure: each stays unmapped with it as its candidate."""
    got = [out.get(q.start) for q in nums]
    ids = [g[0][0][0] if g and len(g[0]) == 1 else None for g in got]
    for q, g, iid in zip(nums, got, ids, strict=True):
        if iid is not None and ids.count(iid) > 1:
            out[q.start] = ([], "ambiguous", (iid,), g[3])


def _verb_at(m: Matcher, hits: list[Hit], a: int) -> list[Hit]:
    """The keyword at a name's start that names several families (a verb: 审结, 新收), as a one-hit list, or []."""
    return [h for h in hits if h[0] == a and len({m.family[i] for i in h[3]}) > 1][:1]


Where = tuple[int, int, "Callable[[], str] | None"]  # sentence start, end of the list's clause, heading text


def _respective_lead(
    m: Matcher, norm: str, a: int, b: int, lead: list[Hit], hits: list[Hit], q: Quantity, ctx: Where
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]] | None:
    """The id of the list's shared leading verb (审结 → rec_concluded, lit_concluded) in the family this name
    names (行政复议 → rec), or None when the name names no family or none of the verb's ids fits."""
    measure = "万元" if q.measure in MONEY_MEASURES else q.measure
    fams = {
        fs.pop()
        for h in hits
        if a <= h[0] and h[1] <= b and h not in lead and len(fs := {m.family[i] for i in h[3]}) == 1
    }
    if m.family_re is not None:
        fams |= {m.family_of[mm.group()] for mm in m.family_re.finditer(norm, a, b)}
    picks = [
        i
        for i in lead[0][3]
        if m.family[i] in fams and measure_fit(m.measure_of[i], measure) and _name_allowed(m, norm, i, a, b, ctx)
    ]
    return ([(picks[0], lead[0][2])], "respective+context", ()) if len(picks) == 1 else None


def _respective_one(
    m: Matcher,
    norm: str,
    a: int,
    b: int,
    last: tuple[int, int],
    hits: list[Hit],
    all_ids: set[str],
    q: Quantity,
    used: set[str],
    first: tuple[int, int] | None = None,
    ctx: Where = (0, 0, None),
) -> tuple[list[tuple[str, str]], str, tuple[str, ...]]:
    measure = "万元" if q.measure in MONEY_MEASURES else q.measure

    def fit(hs) -> list[tuple[str, str]]:
        return [
            (iid, h[2])
            for h in hs
            for iid in h[3]
            if measure_fit(m.measure_of[iid], measure) and _name_allowed(m, norm, iid, a, b, ctx)
        ]

    def fits_measure(hs) -> bool:
        return any(measure_fit(m.measure_of[iid], measure) for h in hs for iid in h[3])

    own = [h for h in hits if a <= h[0] and h[1] <= b]
    own_ids = {i for h in own for i in h[3]}
    cands = fit(own[-1:]) or fit(own)
    if not cands and fits_measure(own):  # its own rate refused by the registry (12345热线按期办结率): no borrowing
        return [], "ambiguous", ()
    if not cands and (a, b) != last and m.kw_re is not None:  # 从轻 + 处罚案件 → 从轻处罚
        name, tail = norm[a:b], norm[last[0] : last[1]]
        for k in range(1, len(tail) + 1):
            joined = name + tail[-k:]
            got = [
                (mm.start(), mm.end(), kw, ids)
                for mm in m.kw_re.finditer(joined)
                if mm.start() < len(name) < mm.end()
                for kw, ids in m.prefixes[mm.group()]
            ]
            if cands := fit(got):
                break
    if not cands and m.kw_re is not None:  # 人大代表议案、建议 / 议案、建议: the modifier another name carries
        cands = fit(_with_modifier(m, norm, a, b, first, hits))
    if not cands:  # 人大代表建议、政协提案满意率: the shared 满意率 of another name (not one another name took)
        cands = [c for c in fit([h for h in hits if not (a <= h[0] and h[1] <= b)]) if c[0] not in used]
    if cands and len(own) >= 2:  # 政府信息公开申请按期答复率: the name's leading keyword says whose rate it is
        fams = {fs.pop() for h in own[:-1] if len(fs := {m.family[i] for i in h[3]}) == 1}
        if fams:
            lead_ids = {i for h in own[:-1] for i in h[3]}
            cands = [c for c in cands if m.family[c[0]] in fams or m.related[c[0]] & lead_ids]
            if not cands:
                return [], "ambiguous", ()
    ids = list(dict.fromkeys(iid for iid, _ in cands))
    if not ids:
        return [], "no_keyword", ()
    kw = dict(cands)
    if len(ids) == 1:
        return [(ids[0], kw[ids[0]])], "respective", ()

    def score(iid: str) -> int:
        rel = m.related[iid]
        return 2 if rel & own_ids else 1 if rel & all_ids else 0

    ranked = sorted(ids, key=lambda i: -score(i))
    if score(ranked[0]) > score(ranked[1]):
        return [(ranked[0], kw[ranked[0]])], "respective+context", ()
    return [], "ambiguous", tuple(ids)


def _with_modifier(m: Matcher, norm: str, a: int, b: int, first: tuple[int, int] | None, hits: list[Hit]) -> list[Hit]:
    """Keywords a name without one of its own makes with a modifier of the list (as hits of the name): the text
    before the first name's keyword (人大代表议案、建议 → 人大代表建议), else what the keywords of another name's
    indicators put before that name's keyword (议案 is named by 人大议案 → 人大建议)."""
    name = norm[a:b]
    mods: list[str] = []
    if first is not None and first[0] != a:
        lead = [h for h in hits if first[0] <= h[0] and h[1] <= first[1]]
        if lead:
            pre = norm[first[0] : lead[0][0]]
            mods += [pre[-k:] for k in range(len(pre), 0, -1)]
    for h in hits:
        if a <= h[0] and h[1] <= b:
            continue
        for iid in h[3]:
            mods += [kw[: -len(h[2])] for kw in m.keywords_of.get(iid, ()) if kw.endswith(h[2]) and kw != h[2]]
    for mod in dict.fromkeys(mods):
        got = m.prefixes.get(mod + name)
        if got:
            return [(a, b, got[0][0], got[0][1])]
    return []


def _earlier_names(
    m: Matcher,
    norm: str,
    s0: int,
    c: tuple[int, int],
    hits: list[Hit],
    nums: list[Quantity],
    words: Words | None,
) -> list[tuple[list[tuple[str, str]], str, tuple[str, ...]]]:
    """One shared name before 分别 (满意率分别为98.9%和97.3%) whose values belong, in order, to the things named in
    the earlier clauses (人大代表建议87件、政协委员提案112件): the rate of each named base, in the order the bases
    were named; [] unless there are exactly as many such rates as values."""
    measure = "万元" if nums[0].measure in MONEY_MEASURES else nums[0].measure
    rates = [(iid, h[2]) for h in hits[-1:] for iid in h[3] if measure_fit(m.measure_of[iid], measure)]
    if len(rates) < len(nums) or c[0] <= s0:
        return []
    picked: list[tuple[str, str]] = []
    for h in maximal(scan_keywords(norm, s0, c[0], m, words)):
        for iid, kw in rates:
            if m.related[iid] & set(h[3]) and all(iid != p[0] for p in picked):
                picked.append((iid, kw))
    if len(picked) != len(nums):
        return []
    return [([p], "respective+context", ()) for p in picked]


def _name_allowed(m: Matcher, norm: str, iid: str, a: int, b: int, where: Where) -> bool:
    """The registry's rules for one name of a list norm[a:b] (``where``: the sentence start, the end of the list's
    clause, the heading text above the sentence): none of the indicator's refused words or refused predicates in the
    name (12345热线按期办结率 is no 复议 closure rate; 受理、不予受理复议申请: 不予受理 is no 受理), one of its accepted
    context words in the sentence up to the clause's end (受理、审结行政复议案件: 复议 is said after the name) or in the
    heading above it, none of its refused context words in the sentence."""
    name = norm[a:b]
    for table in (m.refuse_words, m.refuse_predicates):
        refused = table.get(iid)
        if refused and any(w in name for w in refused):
            return False
    s0, end, para = where
    said = norm[s0 : max(b, end)]
    ctx = m.accept_context.get(iid)
    if ctx and not any(w in said for w in ctx) and not (para is not None and any(w in para() for w in ctx)):
        return False
    ctx = m.refuse_context.get(iid)
    return not (ctx and any(w in said for w in ctx))
