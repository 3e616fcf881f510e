"""One report file → its metadata, facts, problems and findings (the glue of the extract stage).

read_document (file → normalized text with locators) → detect_metadata (district, year, date) → extract_facts
(numbers → evidence-linked facts) → classify_problems (the 存在问题 lens). Nothing here writes files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd

SIDECAR_SUFFIX = ".source.yaml"
REPORT_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf")


@dataclasses.dataclass
class ReportExtraction:
    path: Path
    meta: dict
    sidecar: dict | None
    facts: pd.DataFrame
    problems: pd.DataFrame
    text: str
    warnings: list[str]
    fingerprint: str
    sidecar_error: str = ""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict | None:
    """The provenance sidecar beside a raw file, or None when there is none. YAML anchors/aliases are refused
    (alias bombs); raises ValueError (Chinese message naming the sidecar) when it is not a YAML mapping."""
    from analysis.core.io import safe_yaml_load

    sc = sidecar_path(Path(path))
    if not sc.exists():
        return None
    try:
        text = sc.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{sc}：不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8") from exc
    doc = safe_yaml_load(text, str(sc))
    if not isinstance(doc, dict):
        raise ValueError(f"{sc}：应为“字段: 值”的映射（provenance 字段），实际是 {type(doc).__name__}")
    return doc


_CN_YEAR_DIGITS = {
    "〇": "0",
    "○": "0",
    "零": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_year_field(value: object) -> tuple[int | None, str | None]:
    """A year field → (year, None) or (None, problem in Chinese). Accepted exactly: an int 1900–2100, the strings
    ``2023`` / ``2023年`` / ``2023年度``, and Chinese digits ``二〇二三`` (each character one digit). Never guessed:
    booleans, floats (2023.0), dates and anything else are refused."""
    if isinstance(value, bool):
        return None, f"年份不能是布尔值（{value}）；请写四位数年份，如 2023"
    if isinstance(value, int):
        if 1900 <= value <= 2100:
            return value, None
        return None, f"年份 {value} 不是四位数年份（1900–2100）"
    if isinstance(value, float):
        return None, f"年份 {value!r} 是小数；请写四位整数年份，如 2023"
    if isinstance(value, str):
        s = value.strip()
        s = re.sub(r"年度?$", "", s)
        if s and all(c in _CN_YEAR_DIGITS for c in s):
            s = "".join(_CN_YEAR_DIGITS[c] for c in s)
        if re.fullmatch(r"(19|20)\d\d|2100", s):
            return int(s), None
        return None, f"年份 {value!r} 无法按四位数年份读取（如 2023、2023年、二〇二三）"
    return None, f"年份应为四位数年份，实际是 {type(value).__name__}（{value!r}）"


def check_sidecar(doc: dict, source: str = "", unit_names=None) -> tuple[dict, list[tuple[str, str]]]:
    """Type-check a sidecar. Returns (clean, problems): ``clean`` holds only the fields that passed (year_covered as
    int, district as str, sha256 as lower-case hex, synthetic as bool); ``problems`` are (field, Chinese message).
    ``district``, ``year_covered`` and ``sha256`` are required. ``unit_names`` (names and aliases) checks the district."""
    clean = dict(doc)
    problems: list[tuple[str, str]] = []
    for key in ("district", "year_covered", "sha256", "synthetic", "published"):
        clean.pop(key, None)
    d = doc.get("district")
    if d is None or d == "":
        problems.append(("district", "缺少 district（区县名称）"))
    elif not isinstance(d, str):
        problems.append(("district", f"district 应为一个区县名称（文本），实际是 {type(d).__name__}：{d!r}"))
    elif unit_names is not None and d.strip() not in set(unit_names):
        problems.append(("district", f"district {d!r} 不在单位表中"))
    else:
        clean["district"] = d.strip()
    y = doc.get("year_covered")
    if y is None or y == "":
        problems.append(("year_covered", "缺少 year_covered（报告所属年份）"))
    else:
        year, why = parse_year_field(y)
        if why:
            problems.append(("year_covered", f"year_covered：{why}"))
        else:
            clean["year_covered"] = year
    h = doc.get("sha256")
    if h is None or h == "":
        problems.append(("sha256", "缺少 sha256（收到文件时的校验值）"))
    elif not isinstance(h, str):
        problems.append(
            ("sha256", f"sha256 被 YAML 读成了 {type(h).__name__}（{h!r}）；请用引号写成 64 位十六进制文本")
        )
    elif not _HEX64.fullmatch(h.strip().lower()):
        problems.append(("sha256", f"sha256 应为 64 位十六进制文本，实际 {len(h.strip())} 个字符"))
    else:
        clean["sha256"] = h.strip().lower()
    if "synthetic" in doc:
        if isinstance(doc["synthetic"], bool):
            clean["synthetic"] = doc["synthetic"]
        else:
            problems.append(("synthetic", f"synthetic 应为 true 或 false，实际是 {doc['synthetic']!r}"))
    if doc.get("published") not in (None, ""):
        pub = doc["published"]
        if isinstance(pub, dt.datetime):
            clean["published"] = pub.date().isoformat()
        elif isinstance(pub, dt.date):
            clean["published"] = pub.isoformat()
        elif isinstance(pub, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", pub.strip()):
            try:
                clean["published"] = dt.date.fromisoformat(pub.strip()).isoformat()
            except ValueError:
                problems.append(("published", f"published {pub!r} 不是有效日期"))
        else:
            problems.append(("published", f"published {pub!r} 不是 YYYY-MM-DD 日期"))
    return clean, problems


def doc_id_for(path: Path) -> str:
    return Path(path).stem


def extract_report(path: str | Path, indicators: pd.DataFrame | None = None, known_units=None) -> ReportExtraction:
    """Read one report file and extract everything from it. Raises DocumentError for unreadable files."""
    from analysis.ingest.reports.documents import read_document
    from analysis.ingest.reports.facts import extract_facts
    from analysis.ingest.reports.metadata import detect_metadata
    from analysis.ingest.reports.problems import classify_problems

    path = Path(path)
    doc = read_document(path)
    meta = detect_metadata(doc.text, known_units=known_units)
    sidecar_error = ""
    try:
        sidecar = read_sidecar(path)
    except ValueError as exc:
        sidecar, sidecar_error = {}, str(exc)
    # the sidecar's year first, read as the sidecar check reads it (2023, "2023年", 二〇二三), else the title's
    year = parse_year_field((sidecar or {}).get("year_covered"))[0] or meta.get("year_covered")
    facts = extract_facts(
        doc.text,
        doc_id=doc_id_for(path),
        indicators=indicators,
        locate=doc.locate,
        report_year=year if isinstance(year, int) else None,
    )
    problems = classify_problems(doc.text)
    return ReportExtraction(
        path=path,
        meta=meta,
        sidecar=sidecar,
        facts=facts,
        problems=problems,
        text=doc.text,
        warnings=list(doc.warnings),
        fingerprint=doc.fingerprint,
        sidecar_error=sidecar_error,
    )
