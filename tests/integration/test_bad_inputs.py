"""The bad-input corpus (tests/bad_inputs/cases.yaml): every case gives a clear error or a flagged warning naming the
file, nothing crashes with an unexpected exception, no input file is modified, and no extracted number is absent
from its source."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.ingest.reports.documents import MAX_CHARS, DocumentError, read_document
from analysis.ingest.reports.metadata import check_against_sidecar, detect_metadata
from analysis.ingest.reports.problems import classify_problems
from conftest import TESTS

CORPUS = TESTS / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


def _load_generator():
    spec = importlib.util.spec_from_file_location("bad_inputs_generate", CORPUS / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Committed cases copied beside the generated ones, in a temporary folder."""
    d = tmp_path_factory.mktemp("bad_inputs")
    for p in CORPUS.iterdir():
        if p.is_file() and p.suffix in (".txt", ".html", ".htm"):
            shutil.copy(p, d / p.name)
    _load_generator().generate(d)
    return d


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_corpus_has_enough_cases(corpus):
    assert len(CASES) >= 30
    missing = [c["file"] for c in CASES if not (corpus / c["file"]).exists()]
    assert not missing


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case(case, corpus):
    path = corpus / case["file"]
    before = _sha(path)
    if case["expect"] == "error":
        with pytest.raises(DocumentError) as err:
            read_document(path)
        assert str(path) in str(err.value)
        assert case["match"] in str(err.value)
        assert _sha(path) == before
        return
    doc = read_document(path)
    assert _sha(path) == before, "reading must never modify the file"
    assert doc.text.strip()
    for w in doc.warnings:
        assert str(path) in w, f"warning does not name the file: {w}"
    if case["expect"] == "warning":
        assert any(case["match"] in w for w in doc.warnings), doc.warnings
    else:
        assert not any("垃圾广告" in w or "无法解码" in w for w in doc.warnings), doc.warnings
    for s in case.get("contains", []):
        assert s in doc.text, s
    for s in case.get("absent", []):
        assert s not in doc.text, s
    if "encoding" in case:
        assert doc.raw_encoding == case["encoding"]
    for needle, loc in case.get("locate", {}).items():
        assert doc.locate(doc.text.index(needle)) == loc
    meta = detect_metadata(doc.text)
    findings = check_against_sidecar(
        meta, {**case.get("sidecar", {}), "file": str(path)}, case.get("folder", ()), source_file=str(path)
    )
    rules = {f["rule"] for f in findings}
    if case["expect"] == "finding":
        assert case["rule"] in rules, findings
        assert all(f["source_file"] == str(path) for f in findings)
    elif "sidecar" in case:
        assert not rules, findings
    # the problems lens never fails on odd input
    problems = classify_problems(doc.text)
    for _, row in problems.iterrows():
        assert doc.text[row.span_start : row.span_end] == row.text


def test_mixed_encoding_keeps_every_line(corpus):
    doc = read_document(corpus / "mixed_encoding.txt")
    gbk = read_document(corpus / "gbk.txt")
    assert doc.text == gbk.text


def test_traditional_mirror_reads_like_the_simplified_report(corpus):
    big5 = read_document(corpus / "big5_traditional.txt")
    gbk = read_document(corpus / "gbk.txt")
    assert big5.text == gbk.text
    meta = detect_metadata(big5.text)
    assert (meta["district"], meta["year_covered"], meta["published"]) == ("马村区", 2023, "2024-01-05")


def test_same_report_twice_has_one_fingerprint(corpus):
    a, b = read_document(corpus / "duplicate_a.txt"), read_document(corpus / "duplicate_b.txt")
    assert a.text != b.text and a.fingerprint == b.fingerprint
    gbk, bom = read_document(corpus / "gbk.txt"), read_document(corpus / "utf8_bom.txt")
    assert gbk.fingerprint == bom.fingerprint


def test_two_reports_that_disagree_have_the_same_metadata_but_different_content(corpus):
    a, b = read_document(corpus / "disagree_a.txt"), read_document(corpus / "disagree_b.txt")
    ma, mb = detect_metadata(a.text), detect_metadata(b.text)
    assert (ma["district"], ma["year_covered"]) == (mb["district"], mb["year_covered"]) == ("马村区", 2023)
    assert a.fingerprint != b.fingerprint
    assert "建议73件" in a.text and "建议75件" in b.text


def test_very_large_file_is_capped_with_a_warning(tmp_path):
    path = _load_generator().large_text(tmp_path / "large.txt", mb=20)
    assert path.stat().st_size >= 20 * 1024 * 1024
    doc = read_document(path)
    assert len(doc.text) <= MAX_CHARS
    assert any("只读取了前" in w and str(path) in w for w in doc.warnings)
    assert doc.locate(len(doc.text) - 1).startswith("para ")


def test_merged_header_spreadsheet(corpus):
    datasets = pytest.importorskip("analysis.ingest.datasets")
    path = corpus / "merged_header.xlsx"
    before = _sha(path)
    try:
        result = datasets.read_dataset(path)
    except datasets.DatasetError as exc:
        assert path.name in str(exc)
    else:
        findings = result.findings
        assert len(findings) > 0, "a merged two-row header must not import silently"
        assert findings["source_file"].astype(str).str.contains(path.name).all()
    assert _sha(path) == before


# ---------------------------------------------------------------------------------------------------------------
# end to end with the fact extractor: no number that is not in the source

_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def _readable(corpus: Path) -> list[Path]:
    return [corpus / c["file"] for c in CASES if c["expect"] != "error"]


def test_no_extracted_number_is_absent_from_the_source(corpus):
    facts_mod = pytest.importorskip("analysis.ingest.reports.facts")
    total = 0
    for path in _readable(corpus):
        doc = read_document(path)
        facts = facts_mod.extract_facts(doc.text, doc_id=path.stem, indicators=None, locate=doc.locate)
        total += len(facts)
        for _, f in facts.iterrows():
            where = f"{path.name}: {f.number_text!r}"
            assert doc.text[int(f.span_start) : int(f.span_end)] == f.number_text, where
            ev_start = int(f.evidence_start)
            assert doc.text[ev_start : ev_start + len(f.evidence)] == f.evidence, where
            for d in _DIGITS.findall(str(f.number_text)):
                assert d in doc.text, where
            assert f.locator, where
            assert f.number_text in f.evidence, where
    assert total > 50, "the corpus should yield facts from its readable reports"


def test_spam_numbers_are_flagged_not_silently_trusted(corpus):
    doc = read_document(corpus / "spam_injected.txt")
    warning = next(w for w in doc.warnings if "垃圾广告" in w)
    assert "para 3" in warning
