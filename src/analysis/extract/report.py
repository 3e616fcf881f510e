"""One report file → its metadata, facts, problems and findings (the glue of the extract stage).

read_document (file → normalized text with locators) → detect_metadata (district, year, date) → extract_facts
(numbers → evidence-linked facts) → classify_problems (the 存在问题 lens). Nothing here writes files.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import yaml

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


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict | None:
    """The provenance sidecar beside a raw file, or None when there is none."""
    sc = sidecar_path(Path(path))
    if not sc.exists():
        return None
    try:
        doc = yaml.safe_load(sc.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{sc}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{sc}: expected a mapping of provenance fields")
    return doc


def doc_id_for(path: Path) -> str:
    return Path(path).stem


def extract_report(path: str | Path, indicators: pd.DataFrame | None = None, known_units=None) -> ReportExtraction:
    """Read one report file and extract everything from it. Raises DocumentError for unreadable files."""
    from analysis.extract.documents import read_document
    from analysis.extract.facts import extract_facts
    from analysis.extract.metadata import detect_metadata
    from analysis.extract.problems import classify_problems

    path = Path(path)
    doc = read_document(path)
    meta = detect_metadata(doc.text, known_units=known_units)
    facts = extract_facts(doc.text, doc_id=doc_id_for(path), indicators=indicators, locate=doc.locate)
    problems = classify_problems(doc.text)
    return ReportExtraction(
        path=path,
        meta=meta,
        sidecar=read_sidecar(path),
        facts=facts,
        problems=problems,
        text=doc.text,
        warnings=list(doc.warnings),
        fingerprint=doc.fingerprint,
    )
