"""Receiving a report: ``python -m analysis add-report FILE --district D --year Y [--url U --published DATE]``.

The one command that adds files under data/raw, and only new ones: the report is copied byte for byte into
data/raw/reports/<区县>/<年>/ with its provenance sidecar (<stem>.source.yaml, sha256 included). It never overwrites or
edits a file already there. Before anything is written the report's own text is read (extract/metadata.py): when its
title/district or covered year disagree with the arguments, or the district is not in config/units.yaml (with a "did
you mean"), nothing is written and the error says why.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import yaml

from analysis.core import paths
from analysis.core.io import sha256_file


class IntakeError(ValueError):
    """The report was not added; the message (Chinese) says why. Nothing was written."""


def _check_date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(str(text)).isoformat()
    except ValueError as exc:
        raise IntakeError(f"--published {text!r} 不是日期（写成 YYYY-MM-DD，例如 2025-01-20）") from exc


def plan_report(src: str | Path, district: str, year: int, url: str | None = None, published: str | None = None):
    """Check everything and return (target file, sidecar path, sidecar dict, detected metadata) without writing."""
    src = Path(src)
    _check_file(src)
    if not 1990 <= int(year) <= dt.date.today().year + 1:
        raise IntakeError(f"--year {year} 不是合理的年度")
    unit = _district(district)
    meta = _check_against_text(src, unit, year)
    target, sidecar = _free_targets(src, unit, year)
    return (
        target,
        sidecar,
        _sidecar_doc(src, unit, year, url, _check_date(published) or meta.get("published"), meta),
        meta,
    )


def _check_file(src: Path) -> None:
    from analysis.ingest.reports.report import REPORT_SUFFIXES

    if not src.exists():
        raise IntakeError(f"{src}：文件不存在")
    if src.is_symlink() or not src.is_file():
        raise IntakeError(f"{src} 不是普通文件；请给出报告文件本身（.txt、.html、.docx、.pdf）")
    if src.suffix.lower() not in REPORT_SUFFIXES:
        raise IntakeError(f"{src}：不支持的文件类型 {src.suffix!r}；报告须为 {'、'.join(REPORT_SUFFIXES)}")


def _district(district: str):
    """The registry row of a real district named ``district`` (name or alias)."""
    from analysis.registry.units import UnknownUnitError, load_units, resolve_unit

    try:
        unit_id = resolve_unit(district, include_sample=True)
    except UnknownUnitError as exc:
        raise IntakeError(str(exc)) from exc
    unit = load_units(include_sample=True).set_index("unit_id").loc[unit_id]
    if unit["synthetic"]:
        raise IntakeError(f"{unit['name']} 是虚构（示例/培训）单位；报告是真实文件，只能归到真实的区县")
    if unit["level"] != "district":
        raise IntakeError(f"{unit['name']} 不是区县（是 {unit['level']}）；报告按区县归档")
    return unit


def _check_against_text(src: Path, unit, year: int) -> dict:
    """The report's own metadata (title, district, covered year); IntakeError when it disagrees with the arguments."""
    from analysis.ingest.reports.documents import DocumentError, read_document
    from analysis.ingest.reports.metadata import detect_metadata, registry_unit_names, same_unit

    try:
        doc = read_document(src)
    except (DocumentError, ValueError) as exc:
        raise IntakeError(f"{src}：无法读取报告：{exc}") from exc
    names = registry_unit_names()
    meta = detect_metadata(doc.text, known_units=list(names))
    problems = []
    if meta.get("district") and not same_unit(str(meta["district"]), str(unit["name"]), names):
        problems.append(
            f"报告正文（标题：{meta.get('title') or '未识别'}）写的是 {meta['district']}，参数是 {unit['name']}"
        )
    if meta.get("year_covered") and int(meta["year_covered"]) != int(year):
        problems.append(f"报告正文所述年度是 {meta['year_covered']}，参数是 {year}")
    if problems:
        raise IntakeError(
            "报告与参数不一致，未加入任何文件：" + "；".join(problems) + "。请核对 --district/--year 或文件"
        )
    return meta


def _free_targets(src: Path, unit, year: int) -> tuple[Path, Path]:
    """Where the report and its sidecar go under data/raw; IntakeError when either exists already."""
    from analysis.ingest.reports.report import sidecar_path

    target = paths.raw_dir() / "reports" / str(unit["name"]) / str(int(year)) / src.name
    sidecar = sidecar_path(target)
    for p in (target, sidecar):
        if p.exists() or p.is_symlink():
            raise IntakeError(f"{p} 已存在；data/raw 中的文件不会被覆盖（换个文件名，或先手工移走旧文件）")
    return target, sidecar


def _sidecar_doc(src: Path, unit, year: int, url: str | None, published: str | None, meta: dict) -> dict:
    return {
        "file": src.name,
        "title": meta.get("title") or None,
        "kind": "report",
        "district": str(unit["name"]),
        "city": unit["city"],
        "province": unit["province"],
        "year_covered": int(year),
        "published": published,
        "source_url": url,
        "source_note": "由 python -m analysis add-report 加入；文件按收到时原样保存",
        "added_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sha256": sha256_file(src),
        "synthetic": False,
    }


def add_report(src, district: str, year: int, url: str | None = None, published: str | None = None) -> tuple:
    """Copy the report unchanged and write its sidecar; return (target, sidecar path). Raises IntakeError."""
    target, sidecar, doc, _ = plan_report(src, district, year, url, published)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "# 报告来源说明（provenance sidecar），由 add-report 写出。\n" + yaml.safe_dump(
        doc, allow_unicode=True, sort_keys=False
    )
    tmp_file = tmp_side = None
    try:
        fd, tmp_file = tempfile.mkstemp(dir=target.parent, prefix=".adding-", suffix=target.suffix)
        os.close(fd)
        shutil.copyfile(src, tmp_file)
        if sha256_file(tmp_file) != doc["sha256"]:
            raise IntakeError(f"{src} 在复制过程中发生了变化；未加入")
        fd, tmp_side = tempfile.mkstemp(dir=target.parent, prefix=".adding-", suffix=".yaml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.link(tmp_file, target)  # fails instead of overwriting if the name appeared meanwhile
        try:
            os.link(tmp_side, sidecar)
        except OSError:
            target.unlink()
            raise
    finally:
        for t in (tmp_file, tmp_side):
            if t and os.path.exists(t):
                os.unlink(t)
    return target, sidecar
