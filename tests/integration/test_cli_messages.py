"""The CLI's error paths speak Chinese: what a user sees on stderr for a mistake, run as the user runs it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

HAN = re.compile(r"[\u4e00-\u9fff]")


def run_cli(*args, env_extra=None, tmp_path=None):
    import os

    env = dict(os.environ)
    if tmp_path is not None:
        # an empty project tree: nothing built, nothing in data/raw
        env["ANALYSIS_ROOT"] = str(tmp_path)
    env.pop("ANALYSIS_DEBUG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, env=env)


CASES = [
    # (argv, expected exit code, a fragment the message must contain); "@repo" = run in this checkout's tree
    (["validate", "{tmp}/无此文件.xlsx"], 2, "不存在"),
    (["extract", "{tmp}/无此文件.txt"], 2, "不存在"),
    (["template", "--out", "{tmp}"], 2, "文件夹"),
    (["sample", "--out", "{tmp}/x.txt"], 2, ".xlsx"),
    (["run", "--only", "trend", "@repo"], 2, "trends"),
    (["run", "--jobs", "-1"], 2, "--jobs"),
    (["build", "--bogus"], 2, "--bogus"),
    (["frobnicate"], 2, "frobnicate"),
    (["review", "--district", "马村去", "@repo"], 2, "马村区"),
    (["add-report", "{tmp}/a.exe", "--district", "马村区", "--year", "2023"], 2, ".docx"),
]


@pytest.mark.parametrize("argv,code,fragment", CASES, ids=[" ".join(a for a in c[0] if a != "@repo") for c in CASES])
def test_cli_error_paths_are_chinese_without_traceback(tmp_path, argv, code, fragment):
    (tmp_path / "a.exe").write_bytes(b"MZ")
    in_repo = "@repo" in argv
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv if a != "@repo"]
    r = run_cli(*argv, tmp_path=None if in_repo else tmp_path)
    err = r.stderr
    assert r.returncode != 0, (argv, r.stdout, err)
    assert r.returncode == code, (argv, r.returncode, err)
    assert "Traceback" not in err, err
    assert fragment in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, argv
    # every line the user reads carries Chinese (argparse's usage line is the one exception: it shows the syntax)
    for ln in lines:
        if ln.startswith(("用法", "usage", " ")):
            continue
        assert HAN.search(ln), f"English line on stderr for {argv}: {ln!r}"


def test_extract_csv_carries_confidence_rule_and_candidates():
    import csv
    import io

    from analysis.core import paths

    seed = paths.root() / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"
    r = run_cli("extract", str(seed), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {"confidence", "rule", "candidates", "subject", "predicate", "counted_noun", "qualifiers"} <= set(rows[0])
    mapped = [row for row in rows if row["indicator_id"] != "unmapped"]
    assert mapped and all(row["rule"] for row in mapped)
    assert all(0 < float(row["confidence"]) <= 1 for row in mapped)
