"""Report metadata read from the text itself, and the check of that metadata against the provenance sidecar.

``detect_metadata(text, known_units=None)`` returns a dict:

* ``title`` – the first short line that reads like a report title (…报告 / …情况), else the first short line;
* ``district`` – the unit the report is about: a known unit name (``known_units``) found in the title, else the last
  ``…区/县/旗/市`` name in the title before 关于/人民政府/the year, else the one named in ``现将XX区…报告如下``;
  a title like ``焦作市马村区关于…`` gives 马村区 (the most specific name);
* ``year_covered`` – the year the report is *about*: ``2023年度…报告`` / ``2023年…工作情况`` in the title, else the
  ``现将…2023年度…`` sentence, else the most frequent ``20NN年度`` in the first paragraphs. A publication date is
  never taken as the covered year;
* ``published`` – ISO date from a page header ``时间:2024-01-05`` / ``发布时间：2024年1月5日`` or a closing date line
  (``2024年1月5日``, also ``二〇二四年一月五日``) in the last lines;
* ``placeholders`` – template markers found in the text (``XX区``, ``*件``, ``__件``, ``xxx件``, ``××``);
* ``confidence`` – ``high`` (district and year both from the title), ``medium`` (one of them from the body),
  ``low`` (district or year not found); ``notes`` – how each field was found; ``spans`` – offsets of what matched.

``check_against_sidecar(meta, sidecar, folder_parts)`` compares that with the sidecar (and the folder
``reports/<区县>/<year>/``) and returns finding dicts (``analysis.registry.schema.FINDING_COLUMNS``):

| rule | severity | when |
|---|---|---|
| ``report_district_mismatch`` | error | the text names another district than the sidecar/folder |
| ``report_year_mismatch`` | error | the text covers another year than the sidecar/folder (or sidecar ≠ folder) |
| ``report_template_placeholder`` | error | the text is a template (placeholders instead of names/numbers) |
| ``report_unknown_district`` | error | the district (sidecar, folder or text) is not in the unit registry |
| ``report_metadata_undetected`` | info | district or year could not be read from the text |
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from analysis.registry.findings import finding

_ADMIN = r"(?:自治县|自治旗|新区|区|县|旗|市)"
_NAME = re.compile(r"([\u4e00-\u9fff]{1,8}?" + _ADMIN + r")")
_TITLE_PREFIX_END = re.compile(r"关于|人民政府|政府|(?:19|20)\d\d|法治政府|年度")
_YEAR_TITLE = re.compile(r"((?:19|20)\d\d)\s*年(?:度)?")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-—–至到]\s*(?:19|20)\d\d")
_XIANJIANG = re.compile(r"现将([^。\n]{0,40}?)((?:19|20)\d\d)\s*年(?:度)?[^。\n]{0,40}?(?:报告|汇报)如下")
_HEADER_DATE = re.compile(
    r"(?:发布时间|发布日期|时间|日期)\s*[:：]?\s*((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
)
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CLOSING_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
PLACEHOLDER = re.compile(
    r"(?:XX|xx|ＸＸ|××|某某)(?:区|县|市|街道|局)|(?:\*|＊)+\s*(?:件|项|次|人|个|%)|_{2,}\s*(?:件|项|次|人|个|%)"
    r"|(?:xxx|XXX)\s*(?:件|项|次|人|个|%)|(?:XX|xx)\s*(?:件|项|次|人|个)|(?:19|20)(?:XX|xx|\*\*)\s*年"
)
# words that end in 区/县/市 but are not place names
_NOT_PLACES = (
    "全区",
    "我区",
    "本区",
    "辖区",
    "城区",
    "社区",
    "园区",
    "景区",
    "全县",
    "我县",
    "本县",
    "全市",
    "我市",
    "本市",
)


def _cn_number(s: str) -> int:
    if len(s) == 4 and all(c in _CN_DIGIT for c in s):
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_DIGIT[s[1]]
    if s.endswith("十"):
        return _CN_DIGIT[s[0]] * 10
    if "十" in s:
        a, b = s.split("十")
        return _CN_DIGIT[a] * 10 + _CN_DIGIT[b]
    return _CN_DIGIT[s]


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def guess_title(text: str) -> tuple[str, int]:
    """(title, offset) – the first short line in the first 40 lines that reads like a report title."""
    first: tuple[str, int] | None = None
    for i, m in enumerate(re.finditer(r"[^\n]+", text)):
        if i > 40:
            break
        s = m.group().strip()
        if not s:
            continue
        off = m.start() + m.group().index(s)
        if len(s) <= 80 and re.search(r"报告|工作情况|建设情况|年度总结", s) and not s.startswith(("现将", "根据")):
            return s, off
        if first is None and len(s) <= 80:
            first = (s, off)
    return first or ("", 0)


def _district_from(fragment: str, known: Sequence[str]) -> tuple[str | None, int]:
    """The most specific unit name in ``fragment`` and its offset there (known names win over the pattern)."""
    hits = [(fragment.find(k), k) for k in known if k and k in fragment]
    if hits:
        # a district beats its city (焦作市 vs 马村区); a longer name beats a name inside it (海南区 vs 南区), except
        # that a "city + district" alias (焦作市马村区) gives way to the district name itself (马村区)
        def alias_of_shorter(h: tuple[int, str]) -> bool:
            return any(o != h[1] and h[1].endswith(o) and re.search(r"[市省州盟]$", h[1][: -len(o)]) for _, o in hits)

        hits = [h for h in hits if not alias_of_shorter(h)]
        hits.sort(key=lambda h: (h[1].endswith("市"), -len(h[1]), h[0]))
        return hits[0][1], hits[0][0]
    cut = _TITLE_PREFIX_END.search(fragment)
    prefix = fragment[: cut.start()] if cut else fragment[:20]
    names = [(m.group(1), m.start()) for m in _NAME.finditer(prefix)]
    names = [(n, o) for n, o in names if n not in _NOT_PLACES]
    if not names:
        return None, -1
    # 焦作市马村区 → the pattern yields 焦作市, 马村区: prefer a district-level name, the last one
    districts = [(n, o) for n, o in names if not n.endswith("市")]
    return (districts or names)[-1]


def detect_metadata(text: str, known_units: Iterable[str] | None = None) -> dict:
    """District, covered year, publication date, title and template markers read from a report's text."""
    known = sorted({u for u in (known_units or []) if u}, key=len, reverse=True)
    notes: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    title, t_off = guess_title(text)
    meta: dict = {"title": title, "district": None, "year_covered": None, "published": None}

    district, d_off = _district_from(title, known) if title else (None, -1)
    district_src = "title" if district else None
    xj = _XIANJIANG.search(text[:5000])
    if not district and xj:
        district, d_off = _district_from(xj.group(1), known)
        if district:
            d_off += xj.start(1)
            district_src = "body"
    elif district:
        d_off += t_off
    if district:
        meta["district"] = district
        spans["district"] = (d_off, d_off + len(district))
        notes.append(f"district {district} from the {district_src}")

    year_src = None
    title_wo_ranges = _YEAR_RANGE.sub(lambda m: " " * len(m.group()), title)
    ym = _YEAR_TITLE.search(title_wo_ranges)
    if ym:
        meta["year_covered"] = int(ym.group(1))
        spans["year_covered"] = (t_off + ym.start(1), t_off + ym.end(1))
        year_src = "title"
    elif xj:
        meta["year_covered"] = int(xj.group(2))
        spans["year_covered"] = (xj.start(2), xj.end(2))
        year_src = "body"
    else:
        years = Counter(m.group(1) for m in re.finditer(r"((?:19|20)\d\d)年度", text[:3000]))
        if years:
            meta["year_covered"] = int(years.most_common(1)[0][0])
            year_src = "most frequent 年度 in the opening"
    if year_src:
        notes.append(f"year_covered {meta['year_covered']} from the {year_src}")

    meta["published"], pub_note = _published(text)
    if pub_note:
        notes.append(pub_note)
    placeholders = sorted({m.group().strip() for m in PLACEHOLDER.finditer(text)})
    meta["placeholders"] = placeholders
    if placeholders:
        notes.append(f"template placeholders: {', '.join(placeholders[:8])}")
    if district_src == "title" and year_src == "title":
        meta["confidence"] = "high"
    elif district and meta["year_covered"]:
        meta["confidence"] = "medium"
    else:
        meta["confidence"] = "low"
        notes.append("district or covered year not found in the text")
    meta["notes"] = notes
    meta["spans"] = spans
    return meta


def _published(text: str) -> tuple[str | None, str | None]:
    m = _HEADER_DATE.search(text[:3000])
    if m and (iso := _iso(*map(int, m.groups()))):
        return iso, f"published {iso} from the page header"
    tail_start = max(0, len(text) - 400)
    tail = text[tail_start:]
    dates = list(_CLOSING_DATE.finditer(tail))
    if dates and (iso := _iso(*map(int, dates[-1].groups()))):
        return iso, f"published {iso} from the closing date"
    cn = list(_CN_DATE.finditer(tail))
    if cn:
        y, mo, d = (_cn_number(g) for g in cn[-1].groups())
        if iso := _iso(y, mo, d):
            return iso, f"published {iso} from the closing date (Chinese numerals)"
    return None, None


# ----------------------------------------------------------------------------------------------------------------
# sidecar check


_LAYOUT_DIRS = frozenset({"reports", "report", "datasets", "raw", "data", "incoming", "inbox"})


def registry_unit_names() -> dict[str, str]:
    """Every unit name and alias in the units file (config/units.yaml) → unit id ({} when the file is unreadable)."""
    from analysis.registry.units import UnitsFileError, load_units, name_index

    try:
        units = load_units(include_sample=False)
    except (OSError, UnitsFileError):
        return {}
    return {name: str(ids[-1]) for name, ids in name_index(units).items()}


def same_unit(a: str, b: str, names: dict[str, str]) -> bool:
    if a == b or a.endswith(b) or b.endswith(a):
        return True
    return bool(names.get(a)) and names.get(a) == names.get(b)


def _finding(rule: str, severity: str, message: str, **kw) -> dict:
    kw = {"unit_id": "", "indicator_id": "", **kw}
    return finding(rule, message, severity=severity, **kw)


def _int_year(v) -> int | None:
    try:
        return int(str(v).strip()[:4]) if v not in (None, "") else None
    except ValueError:
        return None


_LABEL_ZH = {"sidecar/folder": "来源说明/文件夹", "text": "报告正文"}
_FIELD_ZH = {"district": "区县", "year_covered": "所述年度"}


def _hint(name: str) -> str:
    from analysis.registry.units import unit_suggestions

    try:
        close = unit_suggestions(name, include_sample=False)
    except Exception:  # noqa: BLE001 — a hint must never hide the finding itself
        return ""
    return f"；您是否要找：{'、'.join(close)}" if close else ""


def check_against_sidecar(
    meta: dict,
    sidecar: dict | None,
    folder_parts: Sequence[str] = (),
    known_units: Iterable[str] | None = None,
    source_file: str = "",
) -> list[dict]:
    """Findings when the text disagrees with its sidecar/folder, is a template, or names an unknown district.

    ``folder_parts`` are the folder names above the file, e.g. ``("reports", "马村区", "2023")`` or
    ``("马村区", "2023")``: the last part that is a year is the folder year, the last other part (layout folders
    such as ``reports``/``raw`` are skipped) the folder district. ``source_file`` goes into every finding (pass
    the raw-relative path; it is left empty otherwise, for the caller to fill). ``known_units`` defaults to the names and
    aliases of the unit registry (pass an explicit list to check against something else).
    """
    sidecar = sidecar or {}
    names = registry_unit_names()
    known = set(known_units) if known_units is not None else set(names)
    folder_year, folder_district = _folder_year_and_district(folder_parts)
    side_district = sidecar.get("district") or folder_district
    side_year = _int_year(sidecar.get("year_covered")) or folder_year
    unit_id = names.get(str(side_district), "") if side_district else ""
    common = {"unit_id": unit_id, "year": side_year, "source_file": source_file}
    spans = meta.get("spans", {})

    def loc(key: str) -> str:
        return f"text offset {spans[key][0]}" if key in spans else "title"

    out = _district_findings(meta, sidecar, folder_district, side_district, names, loc, common)
    out += _year_findings(meta, sidecar, folder_year, side_year, loc, common)
    if meta.get("placeholders"):
        out.append(
            _finding(
                "report_template_placeholder",
                "error",
                "这是模板而不是报告，含占位符：" + "、".join(meta["placeholders"][:8]),
                locator="text",
                detail="; ".join(meta["placeholders"]),
                **common,
            )
        )
    out += _unknown_district_findings(meta.get("district"), side_district, known, names, loc, common)
    if not meta.get("district") or not meta.get("year_covered"):
        missing = [k for k in ("district", "year_covered") if not meta.get(k)]
        out.append(
            _finding(
                "report_metadata_undetected",
                "info",
                f"无法从报告正文读出{'和'.join(_FIELD_ZH.get(m, m) for m in missing)}；以来源说明为准",
                locator="title",
                detail="; ".join(meta.get("notes", [])),
                **common,
            )
        )
    return out


def _folder_year_and_district(folder_parts: Sequence[str]) -> tuple[int | None, str | None]:
    """The last year folder and the last other folder (layout folders such as reports/raw skipped)."""
    parts = [str(p) for p in folder_parts]
    folder_year = next((int(p) for p in reversed(parts) if re.fullmatch(r"(19|20)\d\d", p)), None)
    named = [p for p in parts if not re.fullmatch(r"(19|20)\d\d", p) and p.lower() not in _LAYOUT_DIRS]
    return folder_year, (named[-1] if named else None)


def _district_findings(
    meta: dict,
    sidecar: dict,
    folder_district: str | None,
    side_district: str | None,
    names: dict[str, str],
    loc: Callable[[str], str],
    common: dict,
) -> list[dict]:
    """The text names another district than the sidecar/folder; the sidecar another than the folder."""
    out = []
    text_district = meta.get("district")
    if text_district and side_district and not same_unit(str(text_district), str(side_district), names):
        out.append(
            _finding(
                "report_district_mismatch",
                "error",
                f"报告正文写的是 {text_district}，来源说明/文件夹写的是 {side_district}",
                locator=loc("district"),
                detail=f"text={text_district}; sidecar={sidecar.get('district')}; folder={folder_district}",
                **common,
            )
        )
    if folder_district and sidecar.get("district") and not same_unit(folder_district, sidecar["district"], names):
        out.append(
            _finding(
                "report_district_mismatch",
                "error",
                f"来源说明中的区县 {sidecar['district']} 与文件夹 {folder_district} 不一致",
                locator="sidecar",
                detail=f"sidecar={sidecar['district']}; folder={folder_district}",
                **common,
            )
        )
    return out


def _year_findings(
    meta: dict, sidecar: dict, folder_year: int | None, side_year: int | None, loc: Callable[[str], str], common: dict
) -> list[dict]:
    """The text covers another year than the sidecar/folder; the sidecar another than the folder."""
    out = []
    text_year = meta.get("year_covered")
    if text_year and side_year and int(text_year) != int(side_year):
        out.append(
            _finding(
                "report_year_mismatch",
                "error",
                f"报告正文所述年度是 {text_year}，来源说明/文件夹写的是 {side_year}",
                locator=loc("year_covered"),
                detail=f"text={text_year}; sidecar={sidecar.get('year_covered')}; folder={folder_year}",
                **common,
            )
        )
    sc_year = _int_year(sidecar.get("year_covered"))
    if folder_year and sc_year and folder_year != sc_year:
        out.append(
            _finding(
                "report_year_mismatch",
                "error",
                f"来源说明中的年度 {sc_year} 与文件夹年度 {folder_year} 不一致",
                locator="sidecar",
                detail=f"sidecar={sc_year}; folder={folder_year}",
                **common,
            )
        )
    return out


def _unknown_district_findings(
    text_district: str | None,
    side_district: str | None,
    known: set[str],
    names: dict[str, str],
    loc: Callable[[str], str],
    common: dict,
) -> list[dict]:
    """The district of the sidecar/folder or of the text is not in the unit registry (each name once)."""
    out: list[dict] = []
    for label, name in (("sidecar/folder", side_district), ("text", text_district)):
        if name and known and not any(same_unit(str(name), k, names) for k in known):
            if not any(str(name) in f["message"] for f in out):
                out.append(
                    _finding(
                        "report_unknown_district",
                        "error",
                        f"区县 {name}（{_LABEL_ZH.get(label, label)}）不在单位名录 config/units.yaml 中{_hint(str(name))}",
                        locator="sidecar" if label != "text" else loc("district"),
                        detail=f"{label}={name}",
                        **common,
                    )
                )
    return out
