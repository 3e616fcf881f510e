"""Leadership briefs (analysis.present.briefs): PNG/SVG/PDF per district and one PDF per city, the watermark, the
header's rank, and the file-name sanitizing that keeps hostile district names inside the output folder. Data: a tiny
processed dir written here."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from analysis.core.io import UnsafePathError, inside, safe_name
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


def test_briefs_drawn_in_parallel_processes_are_the_files_drawn_one_after_the_other(processed, tmp_path):
    """jobs=2 forks the drawing (the district pages, then the city PDFs): same files, same keys, same bytes."""
    from analysis.core.parallel import can_fork
    from analysis.present.briefs import build_briefs

    if not can_fork():
        pytest.skip("needs fork")
    runs = {}
    for jobs in (1, 2):
        out, keys, drawn = tmp_path / f"jobs{jobs}", {}, []
        paths = build_briefs(processed, out, neutral_band=1.0, indicators=indicators_frame(), formats=("png", "pdf"),
                             districts=["马村区", "demo-d1", "示例二区"], keys_out=keys, drawn=drawn, jobs=jobs)  # fmt: skip
        runs[jobs] = ([p.relative_to(out).as_posix() for p in paths], keys, sorted(drawn),
                      {p.relative_to(out).as_posix(): p.read_bytes() for p in paths})  # fmt: skip
    assert runs[2][0] == runs[1][0] and runs[2][1] == runs[1][1] and runs[2][2] == runs[1][2]
    assert "焦作市/马村区_2023.png" in runs[1][0] and "示例市/示例市_简报.pdf" in runs[1][0]
    for name, data in runs[1][3].items():
        if name.endswith(".png") or not name.endswith("简报.pdf"):
            assert runs[2][3][name] == data, name
