"""The CLI as users meet it: the extract command's output, clear errors on typos and bad files, raw data untouched."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from analysis.cli import main
from analysis.core import paths
from analysis.tidy.build import hash_tree

pytest.importorskip("analysis.ingest.reports.facts")

SEED_TXT = paths.root() / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True)


def test_extract_csv_has_the_promised_columns_and_the_seed_facts():
    r = run_cli("extract", str(SEED_TXT), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {"indicator_id", "value", "measure", "approx", "evidence"} <= set(rows[0])
    by_id = {row["indicator_id"]: row for row in rows}
    assert float(by_id["enf_street_training_attendance"]["value"]) == 80
    assert by_id["enf_street_training_attendance"]["approx"] == "true"
    assert "区县 马村区，年度 2023" in r.stderr


def test_typo_in_command_suggests_the_right_one():
    r = run_cli("extrct", str(SEED_TXT))
    assert r.returncode == 2
    assert "您是否要找：python -m analysis extract" in r.stderr


def test_missing_and_broken_files_give_clear_errors(tmp_path):
    r = run_cli("extract", str(tmp_path / "nope.txt"))
    assert r.returncode == 2 and "nope.txt：文件不存在" in r.stderr
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    r = run_cli("extract", str(bad))
    assert r.returncode == 2 and "broken.docx" in r.stderr and "Traceback" not in r.stderr


def test_commands_never_write_raw(tmp_path, repo, monkeypatch, capsys):
    raw = repo / "data" / "raw"
    before = hash_tree(raw)
    monkeypatch.setenv("ANALYSIS_PROCESSED", str(tmp_path / "processed"))
    monkeypatch.setenv("ANALYSIS_REPORTS", str(tmp_path / "reports"))
    assert main(["extract", str(SEED_TXT), "--format", "json"]) == 0
    assert main(["template", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert main(["sample", "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["validate", str(tmp_path / "s.csv")]) in (0, 1)
    assert main(["build"]) == 0
    assert main(["methodology"]) == 0
    # writing a template into data/raw is refused
    assert main(["template", "--out", str(raw / "datasets" / "t.xlsx")]) == 2
    assert "data/raw 保持收到时的原样" in capsys.readouterr().err
    assert hash_tree(raw) == before
