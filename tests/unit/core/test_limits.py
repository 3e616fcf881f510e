"""Per-file limits (README "Limits and bad files"): a file over its time limit becomes a finding and the build goes
on; reading stays linear in the size of the input (growing nesting depth and growing width of an HTML page)."""

from __future__ import annotations

import cProfile
import pstats
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.limits import FileTimeLimit, time_limit
from analysis.ingest.reports.documents import DocumentError, read_document


def _work(fn) -> tuple[int, float]:
    """(Python function calls, CPU seconds) of one call of ``fn`` — the best of two runs for the time."""
    best = float("inf")
    calls = 0
    for _ in range(2):
        prof = cProfile.Profile()
        t0 = time.process_time()
        prof.enable()
        try:
            fn()
        except DocumentError:
            pass
        finally:
            prof.disable()
        best = min(best, time.process_time() - t0)
        calls = pstats.Stats(prof).total_calls
    return calls, best


def _deep(path: Path, n: int) -> Path:
    path.write_text("<html><body>" + "<div>" * n + "马村区报告" + "</div>" * n + "</body></html>", encoding="utf-8")
    return path


def _wide(path: Path, n: int) -> Path:
    path.write_text(
        "<html><body>" + "<div><p>马村区办理行政复议案件12件。</p></div>" * n + "</body></html>", encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(("make", "n"), [(_deep, 2000), (_wide, 1500)], ids=["nesting_depth", "width"])
def test_html_reading_grows_linearly(tmp_path, make, n):
    """Four times the input costs about four times the work: a quadratic reader would cost sixteen times. The
    bounds are generous (calls × 6, CPU time × 9) so a busy machine cannot fail a linear reader."""
    small, big = make(tmp_path / "small.html", n), make(tmp_path / "big.html", 4 * n)
    read_document(small) if make is _wide else None  # warm imports and caches before measuring
    c1, t1 = _work(lambda: read_document(small))
    c4, t4 = _work(lambda: read_document(big))
    assert c4 / c1 < 6, (c1, c4)
    assert t4 / max(t1, 1e-3) < 9, (t1, t4)


def test_deep_nesting_is_refused_with_the_limit_in_the_message(tmp_path):
    with pytest.raises(DocumentError, match="嵌套 .* 层，超过上限 200 层"):
        read_document(_deep(tmp_path / "d.html", 3000))


def test_time_limit_interrupts_a_slow_block():
    with pytest.raises(FileTimeLimit, match="读取超过 0.2 秒"):
        with time_limit("data/raw/x.txt", 0.2):
            time.sleep(5)
    with time_limit("data/raw/x.txt", 0.2):  # a quick block is untouched, and the timer is cleared after it
        pass
    time.sleep(0.3)


def test_a_file_over_its_time_limit_is_a_finding_and_the_build_goes_on(tmp_path, repo, monkeypatch, indicators, units):
    """The slow report costs only itself: one file_time_limit error naming it; the other report is filed."""
    from analysis.ingest.reports import report as report_mod
    from analysis.tidy.build import discover, load_reports

    raw = tmp_path / "raw"
    src = repo / "data/raw/reports/马村区/2023"
    shutil.copytree(src, raw / "reports/马村区/2023")
    slow = raw / "reports/马村区/2023/slow.txt"
    slow.write_text((src / "000_280033b0075f93d2.txt").read_text(encoding="utf-8") + "\n慢\n", encoding="utf-8")
    real = report_mod.extract_report

    def sometimes_slow(path, *a, **kw):
        if Path(path).name == "slow.txt":
            time.sleep(30)
        return real(path, *a, **kw)

    real(src / "000_280033b0075f93d2.txt")  # warm (imports, compiled registry) so the real report reads quickly
    monkeypatch.setattr(report_mod, "extract_report", sometimes_slow)
    monkeypatch.setenv("ANALYSIS_FILE_SECONDS", "3")
    findings: list[dict] = []
    reports, _ = discover(raw, findings)
    t0 = time.monotonic()
    facts, cands, _p, docs, f = load_reports(reports, raw, indicators, units)
    assert time.monotonic() - t0 < 25
    fr = pd.DataFrame(f)
    hit = fr[fr["rule"] == "file_time_limit"]
    assert list(hit["source_file"]) == ["data/raw/reports/马村区/2023/slow.txt"]
    assert (hit["severity"] == "error").all() and "时间上限" in hit.iloc[0]["message"]
    filed = pd.concat([c for c in cands if len(c)])
    assert set(filed["source_file"]) == {"data/raw/reports/马村区/2023/000_280033b0075f93d2.txt"}
    assert {d["status"] for d in docs if d["source_file"].endswith("slow.txt")} == {"error"}
