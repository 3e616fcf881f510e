"""The whole flow on the shipped data: build → one notebook run per kind through the batch runner → publish.

Checks what a user opens: the executed notebook, the HTML page without code whose charts resolve to files beside it,
PNG and SVG charts, the briefs (PNG/SVG/PDF and the city PDF), the methodology page and index.html linking them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from analysis.batch.publish import publish
from analysis.batch.runner import run_all
from analysis.metrics.pipeline import build
from analysis.tidy.build import hash_tree

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, repo):
    raw = repo / "data" / "raw"
    before = hash_tree(raw)
    processed = tmp_path_factory.mktemp("processed")
    reports = tmp_path_factory.mktemp("reports")
    build(raw_dir=raw, processed_dir=processed)
    summary = run_all(
        jobs=2,
        only=["district_profile/马村区_2023", "district_comparison/示例市_2024", "data_quality"],
        reports_dir=reports,
        processed_dir=processed,
        progress=False,
    )
    out = publish(processed_dir=processed, reports_dir=reports)
    return {
        "summary": summary,
        "reports": reports,
        "processed": processed,
        "publish": out,
        "raw_before": before,
        "raw": raw,
    }


def test_runs_succeed_and_are_recorded(pipeline):
    s = pipeline["summary"]
    assert not s.failed, s.format()
    assert len(s.ran) == 3
    manifest = json.loads(Path(s.manifest_path).read_text(encoding="utf-8"))
    assert manifest  # notebook, parameters, input hashes, status per run


def test_profile_run_writes_notebook_html_and_charts(pipeline):
    d = pipeline["reports"] / "district_profile" / "马村区_2023"
    assert (d / "district_profile.ipynb").exists()
    html = (d / "district_profile.html").read_text(encoding="utf-8")
    assert "ctx = nb.load_context" not in html, "code cells are left out of the HTML"
    srcs = [unquote(s) for s in re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)]
    assert srcs, "charts appear in the page"
    # the page is self-contained (charts embedded), and the chart files it shows are beside it too
    for src in srcs:
        assert src.startswith("data:image/"), src[:60]
    nb = (d / "district_profile.ipynb").read_text(encoding="utf-8")
    linked = set(re.findall(r'<img src=\\"([^"\\]+)\\"', nb))
    assert linked and all((d / unquote(s)).exists() for s in linked), linked
    assert len(srcs) == len(linked)
    assert list(d.glob("*.png"))
    comparison = pipeline["reports"] / "district_comparison"
    assert list(comparison.glob("*/*.svg")) and list(comparison.glob("*/*.pdf"))  # leadership charts: vector copies
    assert "马村区" in html and "备案7件" in html


def test_real_district_is_never_watermarked_or_mixed_with_fiction(pipeline):
    html = (pipeline["reports"] / "district_profile" / "马村区_2023" / "district_profile.html").read_text("utf-8")
    assert "示例" not in html


def test_publish_writes_briefs_methodology_and_index(pipeline):
    r = pipeline["reports"]
    assert (r / "briefs" / "焦作市" / "马村区_2023.pdf").exists()
    assert (r / "briefs" / "焦作市" / "焦作市_简报.pdf").exists()
    assert (r / "briefs" / "示例市" / "示例市_简报.pdf").exists()
    index = (r / "index.html").read_text(encoding="utf-8")
    for target in re.findall(r'href="([^"#]+)"', index):
        assert (r / unquote(target)).exists(), target
    assert "methodology.html" in index
    assert "district_profile" in index


def test_raw_is_unchanged_by_the_whole_flow(pipeline):
    assert hash_tree(pipeline["raw"]) == pipeline["raw_before"]


def test_script_payload_in_a_report_is_escaped_in_every_page(tmp_path, repo):
    """A report whose text (and district folder) carry a <script> payload: build files its facts for review
    (unknown district), and neither the data-quality page nor index.html lets the payload through as markup."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(repo / "data" / "raw" / "reports", raw / "reports")
    bad = raw / "reports" / "<script>区" / "2023"
    bad.mkdir(parents=True)
    (bad / "report.txt").write_text(
        "<script>alert(1)</script>区关于2023年度法治政府建设工作情况的报告\n\n"
        "一、履职情况\n全年办理人大代表建议4321件<script>alert('x')</script>，政协提案12件。\n",
        encoding="utf-8",
    )
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    build(raw_dir=raw, processed_dir=processed, include_sample=False)
    s = run_all(jobs=1, only=["data_quality"], reports_dir=reports, processed_dir=processed, progress=False)
    assert not s.failed, s.format()
    publish(processed_dir=processed, reports_dir=reports)
    page = (reports / "data_quality" / "all" / "data_quality.html").read_text(encoding="utf-8")
    assert "4321" in page  # the fact is shown for review …
    assert "<script>alert" not in page  # … as text, never as markup
    assert "&lt;script&gt;" in page
    for html_file in reports.rglob("*.html"):
        assert "<script>alert" not in html_file.read_text(encoding="utf-8"), html_file


def test_publish_is_skipped_when_nothing_it_reads_changed(pipeline, monkeypatch):
    """A no-op rerun keeps the briefs, methodology page and index as they are; a changed input rebuilds them."""
    import analysis.batch.publish as pub

    reports, processed = pipeline["reports"], pipeline["processed"]
    index = reports / "index.html"
    before = index.stat().st_mtime_ns
    calls = []
    real = pub._publish
    monkeypatch.setattr(pub, "_publish", lambda *a: calls.append(a) or real(*a))
    again = publish(processed_dir=processed, reports_dir=reports)
    assert again.get("skipped") and calls == [] and index.stat().st_mtime_ns == before
    extra = reports / "extra.html"
    extra.write_text("<p>新页面</p>", encoding="utf-8")  # a new page the index must list
    try:
        rebuilt = publish(processed_dir=processed, reports_dir=reports)
        assert not rebuilt.get("skipped") and len(calls) == 1
        assert "extra.html" in (reports / "files.html").read_text(encoding="utf-8")  # the full file list
    finally:
        extra.unlink()
        publish(processed_dir=processed, reports_dir=reports)  # leave the index as the other tests expect
