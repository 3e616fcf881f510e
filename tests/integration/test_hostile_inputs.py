"""Hostile build inputs (tests/bad_inputs/hostile.py): each bad file costs only itself — an error finding naming the
file (and the place), never an exception; values from a refused file never reach the candidates."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from analysis.core.io import sha256_file
from analysis.tidy.build import discover, load_datasets, load_reports
from analysis.tidy.corrections import apply_corrections, load_ledger
from conftest import TESTS

SPEC = importlib.util.spec_from_file_location("hostile", TESTS / "bad_inputs" / "hostile.py")
hostile = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(hostile)


@pytest.fixture(scope="module")
def seed(repo):
    p = repo / "data/raw/reports/马村区/2023/000_280033b0075f93d2.txt"
    return p.read_text(encoding="utf-8"), sha256_file(p)


def test_the_hostile_corpus_and_the_document_corpus_hold_at_least_80_cases():
    import yaml

    documents = yaml.safe_load((TESTS / "bad_inputs" / "cases.yaml").read_text(encoding="utf-8"))
    names = [c[0] for c in hostile.CASES]
    assert len(names) == len(set(names))
    assert len(names) >= 80  # the build-level corpus on its own
    assert len(names) + len(documents) >= 80
    kinds = {e["kind"] for _, _, e in hostile.CASES}
    assert kinds == {"report", "dataset", "discover", "ledger"}


@pytest.mark.parametrize("case", hostile.CASES, ids=[c[0] for c in hostile.CASES])
def test_hostile_case(case, tmp_path, indicators, units, seed):
    name, make, expect = case
    raw = tmp_path / "raw"
    raw.mkdir()
    text, sha = seed
    make(raw, text, sha)
    findings: list[dict] = []
    reports, datasets = discover(raw, findings)  # never raises
    facts, cands, _problems, docs, f1 = load_reports(reports, raw, indicators, units)
    c2, f2 = load_datasets(datasets, raw, indicators, units)
    findings += f1 + f2
    if expect["kind"] == "ledger":  # the ledger beside data/raw, applied as the build applies it
        ledger = load_ledger(raw.parent / "corrections.csv", problems=findings)
        kept = pd.concat([c for c in c2 if len(c)]).assign(
            unit_name=lambda d: d["unit_id"].map(units.set_index("unit_id")["name"])
        )
        corrected, corr_findings = apply_corrections(kept, ledger, indicators=indicators)
        findings += corr_findings.to_dict("records")
        c2 = [corrected.drop(columns=[c for c in ("unit_name", "correction", "original_value") if c in corrected])]
    fr = pd.DataFrame(findings)
    if len(fr):  # everything a user reads is Chinese (issue 13): rule ids and places may stay ascii
        english = fr[~fr["message"].astype(str).str.contains(r"[\u4e00-\u9fff]")]
        assert english.empty, english.to_dict("records")
    rule = expect.get("rule")
    if rule:
        hit = fr[fr["rule"] == rule] if len(fr) else fr
        assert len(hit), f"{name}: no {rule} finding in {fr.to_dict('records') if len(fr) else []}"
        assert (hit["severity"] == expect.get("severity", "error")).all(), hit.to_dict("records")
        if expect["kind"] == "ledger":
            assert hit["source_file"].astype(str).str.endswith("corrections.csv").all(), hit.to_dict("records")
            assert hit["locator"].astype(str).str.match(r"line \d+|file").all(), hit.to_dict("records")
        else:
            assert hit["source_file"].astype(str).str.startswith("data/raw/").all(), hit.to_dict("records")
        if "match" in expect:
            assert hit["message"].str.contains(expect["match"], regex=False).any(), hit.to_dict("records")
    elif len(fr):
        bad = fr[fr["severity"] == "error"]
        bad = bad[~bad["rule"].isin(["report_metadata_undetected"])]
        assert bad.empty, bad.to_dict("records")
    report_cands = [c for c in cands if len(c)]
    if expect.get("filed") is True:
        assert report_cands, f"{name}: the report should be filed"
        assert (pd.concat(report_cands)["year"] == 2023).all()
    if expect.get("filed") is False:
        assert not report_cands, f"{name}: a refused report must not reach the candidates"
    data = pd.concat([c for c in c2 if len(c)]) if any(len(c) for c in c2) else pd.DataFrame()
    if "value" in expect:
        nd = data[data["indicator_id"] == "nd_filed"]
        assert list(nd["value"]) == [expect["value"]], nd
    if "rate" in expect:
        r = data[data["indicator_id"] == hostile.RATE]
        assert list(r["value"]) == [expect["rate"]], r
    all_facts = pd.concat(facts) if facts else pd.DataFrame(columns=["value"])
    if "fact" in expect:
        assert (
            (all_facts["value"] == expect["fact"]).sum() == 1
            if expect.get("once")
            else (all_facts["value"] == expect["fact"]).any()
        ), all_facts[["value", "number_text", "locator"]]
    if "no_fact" in expect:
        assert not (all_facts["value"] == expect["no_fact"]).any()
    if "no_value" in expect and len(data):
        assert expect["no_value"] not in set(data["value"])
    if len(data):  # whatever was kept is finite and never a fictional unit's row in a real file
        assert data["value"].dropna().map(lambda v: abs(v) < 1e12).all()
        synth = units.set_index("unit_id")["synthetic"]
        assert not data["unit_id"].map(synth).astype(bool).any()
