"""Leadership outputs: one-page briefs (PNG/SVG/PDF + one PDF per city), index.html, methodology page, and the
HTML-escaping / file-name sanitizing that keeps hostile names harmless. Data: a tiny processed dir written here."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from analysis.present.charts.naming import UnsafePathError, inside, safe_name
from processed_dir import PAYLOAD, indicators_frame, make_processed  # noqa: E402

# ---------------------------------------------------------------- briefs


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return make_processed(tmp_path_factory.mktemp("data"))


def test_briefs_write_png_svg_pdf_per_district_and_one_pdf_per_city(processed, tmp_path):
    from pypdf import PdfReader

    from analysis.present.briefs import build_briefs

    out = tmp_path / "briefs"
    paths = build_briefs(processed, out, neutral_band=1.0, indicators=indicators_frame(), districts=["马村区"])
    names = sorted(p.relative_to(out).as_posix() for p in paths)
    assert names == sorted([f"焦作市/马村区_2023.{f}" for f in ("png", "svg", "pdf")] + ["焦作市/焦作市_简报.pdf"])
    assert all(p.stat().st_size > 1000 for p in paths)
    city_pdf = PdfReader(out / "焦作市" / "焦作市_简报.pdf")
    # the city summary page first, then the one district page: the real district is never among sample peers
    assert len(city_pdf.pages) == 1 + 1
    assert "总览" in city_pdf.pages[0].extract_text() and "马村区" in city_pdf.pages[0].extract_text()
    sample = build_briefs(
        processed, out, neutral_band=1.0, indicators=indicators_frame(), districts=["demo-d1", "示例二区"], formats=()
    )
    assert [p.relative_to(out).as_posix() for p in sample] == ["示例市/示例市_简报.pdf"]
    assert len(PdfReader(sample[0]).pages) == 1 + 2  # summary page + two district pages
    assert not [p for p in out.rglob(".*")], "temporary files left behind"


def test_brief_is_watermarked_only_for_fictional_districts(processed):
    from analysis.present.briefs import brief_figure
    from analysis.present.charts.style import has_watermark
    from analysis.tidy import load

    args = (
        load.load_observations(processed),
        indicators_frame(),
        load.load_units(processed),
        load.load_metric("area_scores", processed),
        load.load_metric("ranks", processed),
        1.0,
    )
    assert has_watermark(brief_figure("demo-d1", 2023, *args))
    assert not has_watermark(brief_figure("jiaozuo-macun", 2023, *args))


def test_brief_header_shows_rank_only_when_allowed(processed):
    from analysis.present.briefs import header_lines
    from analysis.tidy import load

    units = load.load_units(processed)
    scores, ranks = load.load_metric("area_scores", processed), load.load_metric("ranks", processed)
    macun = header_lines(units.set_index("unit_id", drop=False).loc["jiaozuo-macun"], 2023, scores, ranks)
    assert [h[3] for h in macun] == ["不排名：同组区县不足3个"] * 4
    assert macun[0][1] == "50.5" and macun[0][2] == "覆盖75%（3/4项）"
    d2 = header_lines(units.set_index("unit_id", drop=False).loc["demo-d2"], 2023, scores, ranks)
    assert d2[0][3] == "同组第2/3名"


def test_compact_rows_put_reported_first_and_name_what_is_left_out():
    from analysis.present.charts.views import compact_rows

    rows = pd.DataFrame(
        {
            "indicator_id": list("abcde"),
            "name_zh": ["甲", "乙", "丙", "丁", "戊"],
            "value_state": ["not_reported", "exact", "not_reported", "approx", "not_reported"],
        }
    )
    shown, footer = compact_rows(rows, 3)
    assert shown["indicator_id"].tolist() == ["b", "d", "a"]
    assert footer == "另有2项未报告（丙、戊）"


# ---------------------------------------------------------------- hostile names and text


def test_hostile_district_name_stays_inside_output_and_is_escaped(tmp_path):
    from analysis.present.briefs import build_briefs
    from analysis.present.pages.index import build_index

    processed = make_processed(tmp_path / "d", district_name="../../x", evidence=PAYLOAD)
    reports = tmp_path / "reports"
    paths = build_briefs(
        processed,
        reports / "briefs",
        neutral_band=1.0,
        indicators=indicators_frame(),
        formats=("png",),
        districts=["../../x"],
    )
    for p in paths:
        inside(reports / "briefs", p)
    assert (reports / "briefs" / "示例市" / "x_2023.png").exists()
    assert not list(tmp_path.glob("x_*")) and not list((tmp_path / "reports").glob("x_*"))
    # a report folder named by a hostile parameter value
    raw = "<script>alert(1)<script>"  # a folder name a careless runner might produce (no '/' possible)
    evil = reports / "district_profile" / raw
    evil.mkdir(parents=True)
    (evil / f"{raw}.png").write_bytes(b"png")
    entry = build_index(reports, processed).read_text(encoding="utf-8")
    assert "<script>" not in entry
    text = (reports / "files.html").read_text(encoding="utf-8")  # the full file list moved to files.html
    assert "<script>" not in text
    assert f"<h3>{html.escape(raw)}</h3>" in text


def test_safe_name_and_inside():
    assert safe_name("../../x") == "x"
    assert safe_name("a/b\\c\x00d") == "a_b_c_d"
    assert safe_name("马村区 2023") == "马村区_2023"
    assert safe_name("..") == "_" and safe_name("") == "_"
    assert "/" not in safe_name(PAYLOAD)
    with pytest.raises(UnsafePathError):
        inside("/tmp/reports", "/tmp/reports/../x")
    assert inside("/tmp/reports", "/tmp/reports/a/b.png").name == "b.png"


def test_methodology_page_escapes_raw_html_and_drops_script_links(tmp_path):
    from analysis.present.pages.html import render_methodology_html

    md = f"# 方法说明\n\n{PAYLOAD}\n\n[链接](javascript:alert(1))\n\n| 指标 | 权重 |\n|---|---|\n| 报备率 | 1.0 |\n"
    path = render_methodology_html(md, tmp_path / "methodology.html", title=f"方法 {PAYLOAD}")
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text
    assert 'href="javascript:' not in text
    assert "<h1>方法说明</h1>" in text and "<td>报备率</td>" in text
    assert text.count(html.escape(PAYLOAD)) == 2  # body and <title>


# ---------------------------------------------------------------- index


def test_index_links_every_page_and_chart_grouped_by_notebook_and_district(tmp_path):
    from analysis.present.pages.index import build_index, collect

    r = tmp_path / "reports"
    files = [
        "district_profile/马村区_2023/district_profile.html",
        "district_profile/马村区_2023/马村区_2023_p1_effectiveness.png",
        "district_comparison/示例市_2024/示例市_2024_overall.svg",
        "briefs/示例市/示例一区_2024.pdf",
        "methodology.html",
    ]
    for f in files:
        (r / f).parent.mkdir(parents=True, exist_ok=True)
        (r / f).write_bytes(b"x")
    (r / "district_profile" / "马村区_2023" / ".x.png.tmp").write_bytes(b"x")  # atomic-write leftovers are not linked
    (r / "district_profile" / "马村区_2023" / "notes.txt").write_bytes(b"x")
    groups = collect(r)
    assert set(groups) == {"district_profile", "district_comparison", "briefs", "其他"}
    assert sorted(groups["district_profile"]) == ["马村区_2023"]
    assert len(groups["district_profile"]["马村区_2023"]) == 2
    # every file is listed on files.html (the entry page index.html links it at the top)
    build_index(r)
    text = (r / "files.html").read_text(encoding="utf-8")
    for f in files:
        assert f'href="{quote(f, safe="/")}"' in text
    assert ".tmp" not in text and "notes.txt" not in text
    # the list links back to the index once (navigation), never lists it (or itself) as a file
    assert text.count('href="index.html"') == 1 and 'href="files.html"' not in text
    assert "区县画像" in text and "领导简报" in text
    # rebuilding does not list the index itself
    build_index(r)
    assert (r / "files.html").read_text(encoding="utf-8").count('href="index.html"') == 1
    assert 'href="files.html"' in (r / "index.html").read_text(encoding="utf-8")


def test_problems_beside_scores_tells_no_report_from_no_problem():
    from analysis.present.pages.notebook import problems_beside_scores

    units = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"],
            "name": ["甲区", "乙区", "丙区"],
            "level": "district",
            "parent": "x",
            "city": "某市",
            "province": "某省",
            "synthetic": False,
            "aliases": "",
        }
    )
    problems = pd.DataFrame({"unit_id": ["a", "a"], "year": [2023, 2023], "area": ["p2_normative_docs", "other"]})
    documents = pd.DataFrame({"unit_id": ["a", "b"], "year": [2023, 2023], "status": ["ok", "ok"]})
    scores = pd.DataFrame({"unit_id": ["a"], "year": [2023], "area": ["p2_normative_docs"], "score": [83.33]})
    t = problems_beside_scores(problems, documents, scores, units, ["a", "b", "c"], 2023).set_index("区县")
    p2 = [c for c in t.columns if c.startswith("P2") and c.endswith("自述问题")][0]
    assert t.loc["甲区", p2] == "承认（1条）"
    assert t.loc["乙区", p2] == "未提及"  # has a report that does not name the problem
    assert t.loc["丙区", p2] == "无报告文本"  # no report: unknown, not "no problem"
    assert t.loc["甲区", "其他问题"] == "1条"
    assert t.loc["甲区", [c for c in t.columns if c.startswith("P2") and c.endswith("得分")][0]] == "83.3"
