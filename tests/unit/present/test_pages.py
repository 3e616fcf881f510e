"""Pages a reader opens: designed tables, the comparison table's robustness on the right row, readable changes,
self-contained pages, the entry page (order, sample section, 要点 from the narrative table), the Excel workbook and the
formula-injection guard, the methodology page and the file index."""

from __future__ import annotations

import base64
import html
import io
import re
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

from analysis.core.io import neutralise_cell, neutralise_frame
from conftest import unit_table
from processed_dir import PAYLOAD

# ---------------------------------------------------------------- designed tables


def _city_units(district_chars: str) -> pd.DataFrame:
    """甲市 with one district per character (一区, 二区 …), ids d0, d1 …: the tiny units table of these tests."""
    return pd.DataFrame(
        [dict(unit_id="c", name="甲市", level="city", parent=None, city="甲市", synthetic=False)]
        + [dict(unit_id=f"d{k}", name=f"{n}区", level="district", parent="c", city="甲市", synthetic=False)
           for k, n in enumerate(district_chars)]
    )  # fmt: skip


def test_styled_table_has_no_index_chinese_headers_and_no_nan():
    from analysis.present.pages.tables import styled

    df = pd.DataFrame({"indicator_id": ["a", "b"], "value": [1.5, np.nan], "说明": [pd.NA, "<script>x</script>"]})
    page = styled(df).to_html()
    assert "指标代码" in page and "数值" in page and "indicator_id" not in page
    assert "NaN" not in page and "<NA>" not in page and "nan" not in page.lower().replace("nanum", "")
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert 'class="row_heading' not in page and "blank level0" not in page  # no index column
    assert "white-space: nowrap" in page  # headers never wrap one character per line


def test_fast_table_writes_the_html_of_the_styler():
    """tables.show displays tables.Table, which writes the Styler's HTML itself: the same page, byte for byte."""
    import re

    from analysis.present.pages.tables import Table, styled

    frames = [
        pd.DataFrame(
            {
                "indicator_id": ["a", "b"],
                "value": [1.5, np.nan],
                "说明": [pd.NA, "<script>x</script>'\"&"],
                "flag": [True, False],
                "n": [1545, 3],
                "long": ["很长的一句话" * 5, "短"],
            }
        ),
        pd.DataFrame(
            {"2023年": [f"{i}件" for i in range(30)]}, index=pd.Index([f"指标{i}" for i in range(30)], name="指标")
        ),
    ]
    for df in frames:
        for caption, wrap in ((None, ()), ("P1 成效与均衡", ("long",))):
            ours, theirs = Table(df, caption, wrap)._repr_html_(), styled(df, caption, wrap)._repr_html_()
            assert re.sub(r"T_[0-9a-f]{5}", "T_x", ours) == re.sub(r"T_[0-9a-f]{5}", "T_x", theirs)
    assert "&lt;script&gt;" in Table(frames[0]).to_html() and "<script>x" not in Table(frames[0]).to_html()


def test_named_index_becomes_a_column_and_long_tables_are_whole_or_split():
    from analysis.present.pages.tables import split_by, styled

    wide = pd.DataFrame(
        {"2023年": [f"{i}件" for i in range(300)]}, index=pd.Index([f"指标{i}" for i in range(300)], name="指标")
    )
    page = styled(wide).to_html()
    assert ">指标<" in page and "指标299" in page and "…" not in page and "rows ×" not in page
    parts = split_by(
        pd.DataFrame({"area": ["p2_normative_docs", "p1_effectiveness", "p2_normative_docs"], "x": [1, 2, 3]}), "area"
    )
    assert [p[0] for p in parts] == ["P2 规范性文件备案审查", "P1 成效与均衡"]
    assert parts[0][1]["x"].tolist() == [1, 3] and "area" not in parts[0][1].columns


def _units():
    return unit_table([("c", "某市", "city", ""), ("a", "甲区", "district", "c"), ("b", "乙区", "district", "c")])


def test_comparison_table_puts_overall_robustness_on_the_district_row_once():
    from analysis.present.pages.notebook import comparison_table

    areas = ["p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall"]
    scores = pd.DataFrame(
        [
            {"unit_id": u, "year": 2023, "area": a, "score": 80.0 + i, "n_used": 3, "n_total": 4}
            for i, u in enumerate("ab")
            for a in areas
        ]
    )
    ranks = pd.DataFrame(
        [
            {
                "unit_id": u,
                "year": 2023,
                "area": a,
                "rank": r,
                "n_peers": 2,
                "rank_allowed": a == "p1_effectiveness" or a == "overall",
                "reason": "",
            }
            for u, r in (("a", 2), ("b", 1))
            for a in areas
        ]
    )
    rob = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "year": 2023,
            "min_rank": [2, 1],
            "max_rank": [2, 2],
            "stable": [True, False],
            "n_weight_sets": 27,
        }
    )
    t = comparison_table(scores, ranks, rob, _units(), ["a", "b"], 2023)
    assert len(t) == 2 and list(t["区县"]) == ["甲区", "乙区"]
    assert t.columns.tolist().count("综合名次稳健性") == 1
    row = t.set_index("区县").loc["乙区"]
    assert row["综合名次"] == "第1/2名" and row["综合名次稳健性"] == "不稳定（27组权重下第1–2名）"
    assert row["P1 成效与均衡得分"].endswith("第1/2名") and row["P2 备案审查得分"].endswith("不排名")
    assert not t.isna().any().any()


def test_changes_table_reads_rates_in_points_and_drops_gaps():
    from analysis.present.pages.notebook import changes_table

    ind = pd.DataFrame({"id": ["rate", "cnt"], "name_zh": ["败诉率", "案件数"], "measure": ["%", "件"]})
    ch = pd.DataFrame(
        {
            "unit_id": "a",
            "year": 2024,
            "indicator_id": ["rate", "cnt", "cnt"],
            "prev_year": 2023,
            "prev_value": [0.0, 10.0, np.nan],
            "value": [9.1, 12.0, 3.0],
            "delta": [9.1, 2.0, np.nan],
            "delta_pct": [np.nan, 20.0, np.nan],
            "mark": ["up", "up", "na"],
            "within_neutral_band": [False, False, False],
            "better": ["worse", "better", "na"],
        }
    )
    t = changes_table(ch, ind)
    assert len(t) == 2
    assert t.loc[0, "变化"] == "+9.1个百分点" and t.loc[0, "判断"] == "变差"
    assert t.loc[1, "变化"].startswith("+20.0%") and t.loc[1, "上年"] == "10件"


# ---------------------------------------------------------------- charts


def test_heatmap_prints_rate_change_in_points_and_leaves_out_empty_districts():
    from analysis.present.charts import figures

    units = _units()
    ind = pd.DataFrame({"id": ["rate"], "name_zh": ["败诉率"], "measure": ["%"], "area": ["p1_effectiveness"]})
    ch = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "year": 2024,
            "indicator_id": "rate",
            "prev_year": 2023,
            "prev_value": [0.0, np.nan],
            "value": [9.1, 5.0],
            "delta": [9.1, np.nan],
            "delta_pct": [np.nan, np.nan],
            "mark": ["up", "na"],
            "within_neutral_band": False,
            "better": ["worse", "na"],
        }
    )
    fig = figures.heatmap_figure(ch, units, ind, ["a", "b"], 2024)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    labels = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
    assert "▲+9.1" in texts, texts
    assert labels == ["甲区"]  # 乙区 has nothing to compare: left out, and said so
    assert any("1个区县无上年可比数据" in t for t in texts)
    assert any("（百分点）" in t.get_text() for ax in fig.axes for t in ax.get_yticklabels())


def test_score_axis_starts_where_it_means_something_and_says_so():
    from analysis.present.charts import figures

    assert figures.score_axis_start([92.0, 95.5, 88.1]) == 70
    assert figures.score_axis_start([30.0, 95.0]) == 0
    assert figures.axis_note(70) == "（轴自70分起，未从0开始）" and figures.axis_note(0) == ""


def test_peer_chart_leaves_out_unscored_districts_and_says_how_many_and_why():
    """焦作市: one district with a score, nine without — one bar, a caption line counting the others with the reason,
    and an axis from 0 (a cut axis over a single score would only make its bar look long)."""
    from analysis.present.charts import figures

    units = _city_units("一二三四五")
    sc = pd.DataFrame(
        [["d0", 2023, "overall", 96.5, 3, 3, 1.0, ""], ["d1", 2023, "overall", np.nan, 1, 3, 1 / 3, "coverage_low"]],
        columns=["unit_id", "year", "area", "score", "n_used", "n_total", "coverage", "reason"],
    )
    rk = pd.DataFrame(columns=["unit_id", "year", "area", "rank", "n_peers", "rank_allowed", "reason"])
    fig = figures.peers_figure(sc, rk, units, "甲市", 2023, "overall")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["一区"], labels  # no 未能计算 rows
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert not any("未能计算" in t for t in texts)
    caption = [t for t in texts if t.startswith("另有4个区县未列出：")]
    assert caption and "本年无数据3个（三区、四区、五区）" in caption[0] and "二区" in caption[0], caption
    assert ax.get_xlim()[0] == 0 and "（轴自0分起）" in ax.get_xlabel()
    # three high scores: the axis is cut, and the chart says where and why
    sc3 = pd.DataFrame(
        [[f"d{k}", 2023, "overall", v, 3, 3, 1.0, ""] for k, v in enumerate((92.5, 95.7, 97.4))],
        columns=sc.columns,
    )
    fig = figures.peers_figure(sc3, rk, units, "甲市", 2023, "overall", unit_ids=["d0", "d1", "d2"])
    ax = fig.axes[0]
    assert ax.get_xlim()[0] == 70 and "轴自70分起，未从0开始：各区县得分均在80分以上" in ax.get_xlabel()
    assert not any(t.get_text().startswith("另有") for t in ax.texts)


def test_saved_chart_paths_show_nothing_in_a_notebook():
    from analysis.present.charts.style import SavedCharts

    s = SavedCharts(["x.png"])
    assert s == ["x.png"] and s._ipython_display_() is None


# ---------------------------------------------------------------- self-contained pages


def test_export_embeds_linked_charts_and_links_back(tmp_path):
    from PIL import Image

    from analysis.batch.export import embed_images

    Image.new("RGB", (40, 20), "white").save(tmp_path / "图 1.png")
    (tmp_path.parent / "outside.png").write_bytes(b"x")
    page = '<img src="%E5%9B%BE%201.png" alt="a"><img src="../outside.png"><img src="https://x/y.png">'
    out = embed_images(page, tmp_path)
    src = re.findall(r'src="([^"]+)"', out)
    assert src[0].startswith("data:image/png;base64,")
    Image.open(io.BytesIO(base64.b64decode(src[0].split(",", 1)[1]))).verify()
    assert src[1] == "../outside.png" and src[2] == "https://x/y.png"  # nothing outside the run folder is read


# ---------------------------------------------------------------- entry page


def test_key_points_follow_the_narrative_contract(tmp_path):
    from analysis.present.pages.index import key_points, read_narrative

    assert read_narrative(tmp_path).empty
    (tmp_path / "metrics").mkdir()
    pd.DataFrame(
        {
            "level": ["city", "city", "city", "district"],
            "unit_id": ["c", "c", "c", "a"],
            "year": [2023, 2023, 2023, 2023],
            "area": ["", "", "p1_effectiveness", ""],
            "seq": [2, 1, 1, 1],
            "kind": ["peer", "level", "level", "level"],
            "sentence": ["第二句。", "第一句。", "领域句。", "区县句。"],
            "indicator_ids": "",
            "evidence": "",
        }
    ).to_parquet(tmp_path / "metrics" / "narrative.parquet")
    n = read_narrative(tmp_path)
    assert key_points(n, "c", 2023) == ["第一句。", "第二句。"]
    assert key_points(n, "c", 2022) == []


def test_entry_page_orders_by_registry_and_leaves_the_sample_out_when_not_built(tmp_path, repo):
    from analysis.metrics.pipeline import build
    from analysis.present.pages.index import build_index

    processed = tmp_path / "p"
    build(raw_dir=repo / "data" / "raw", processed_dir=processed, include_sample=False)
    text = build_index(tmp_path / "r", processed).read_text(encoding="utf-8")
    assert "真实数据" in text and "示例" not in text and "马村区" in text
    assert "方法说明" not in text or text.index("方法说明") < text.index("真实数据")
    processed2 = tmp_path / "p2"
    build(raw_dir=repo / "data" / "raw", processed_dir=processed2)
    text = build_index(tmp_path / "r", processed2).read_text(encoding="utf-8")
    assert text.index("真实数据") < text.index("示例数据（模拟）")
    assert text.index("示例一区") < text.index("示例二区") < text.index("示例三区")


def test_brief_page_and_index_card_link_profile_and_brief_and_count_districts_without_data(tmp_path, repo):
    """One card per district with data (thumbnail and links to its profile and its brief page); the brief page holds
    the 要点 as text, the one-page brief embedded, the PDF and a link back to the index; the other nine 焦作市
    districts are counted in one line, not drawn as empty cards."""
    from analysis.metrics.pipeline import build
    from analysis.present.briefs import build_briefs
    from analysis.present.pages.index import build_index

    processed, reports = tmp_path / "p", tmp_path / "r"
    build(raw_dir=repo / "data" / "raw", processed_dir=processed, include_sample=False)
    run_dir = reports / "district_profile" / "马村区_2023"
    run_dir.mkdir(parents=True)
    (run_dir / "district_profile.html").write_text("<p>画像</p>", encoding="utf-8")
    (run_dir / "run.json").write_text('{"params": {"district": "马村区", "year": 2023}}', encoding="utf-8")
    build_briefs(processed, reports / "briefs", formats=("png", "pdf"))
    text = build_index(reports, processed).read_text(encoding="utf-8")
    page = reports / "briefs" / "焦作市" / "马村区_2023.html"
    assert page.is_file()
    assert 'href="briefs/%E7%84%A6%E4%BD%9C%E5%B8%82/%E9%A9%AC%E6%9D%91%E5%8C%BA_2023.html"' in text  # card → page
    assert "district_profile/%E9%A9%AC%E6%9D%91%E5%8C%BA_2023/district_profile.html" in text
    assert ">领导简报</a>" in text and ">简报PDF</a>" in text
    assert "另有9个区县尚无数据" in text and "解放区" in text
    assert "P1 成效与均衡：99.6分（覆盖" in text
    brief = page.read_text(encoding="utf-8")
    assert '<a href="../../index.html">← 返回报告索引</a>' in brief
    assert 'src="data:image/png;base64,' in brief and 'href="%E9%A9%AC%E6%9D%91%E5%8C%BA_2023.pdf"' in brief
    assert "../../district_profile/%E9%A9%AC%E6%9D%91%E5%8C%BA_2023/district_profile.html" in brief
    assert "<li>P1成效与均衡99.6分；P2规范性文件备案审查95分；P3行政执法综合能力95分。</li>" in brief
    assert "暂无街道、部门分项数据" in brief
    assert page.stat().st_size <= 1_500_000


# ---------------------------------------------------------------- Excel workbook and formula injection


def test_neutralise_cell_and_frame():
    for bad in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise_cell(bad) == "'" + bad
    assert neutralise_cell("+1") == "+1"  # text that is just a number stays as written (analysis.core.io)
    assert neutralise_cell("马村区") == "马村区" and neutralise_cell(-3.5) == -3.5 and neutralise_cell(None) is None
    df = pd.DataFrame({"=x": ["=HYPERLINK(1)", "ok"], "n": [-1.0, 2.0], "c": pd.Categorical(["@a", "b"])})
    out = neutralise_frame(df)
    assert out.columns[0] == "'=x" and out.iloc[0, 0] == "'=HYPERLINK(1)" and out.iloc[0, 2] == "'@a"
    assert out["n"].tolist() == [-1.0, 2.0] and out["n"].dtype == np.float64


def test_workbook_has_chinese_headers_frozen_rows_and_no_formulas(tmp_path, repo):
    import openpyxl

    from analysis.metrics.pipeline import build
    from analysis.present.workbook import write_workbook

    processed = tmp_path / "p"
    build(raw_dir=repo / "data" / "raw", processed_dir=processed, include_sample=False)
    path = write_workbook(processed, tmp_path / "数据汇总.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "观测值", "领域得分", "比率", "较上年变化", "质量发现"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        assert all(re.search(r"[\u4e00-\u9fff]", str(h)) for h in header), header
        for row in ws.iter_rows(min_row=2, values_only=True):
            for v in row:
                assert not (isinstance(v, str) and v[:1] in "=+-@\t\r"), v
    obs = wb["观测值"]
    header = [c.value for c in obs[1]]
    rows = list(obs.iter_rows(min_row=2, values_only=True))
    names = {r[header.index("指标")] for r in rows}
    assert "合同合法性审查" in names or any(re.search(r"[\u4e00-\u9fff]", str(n)) for n in names)
    states = {r[header.index("状态")] for r in rows}
    assert "未报告" in states
    nr = [r for r in rows if r[header.index("状态")] == "未报告"]
    assert all(r[header.index("数值")] is None for r in nr)  # not reported is empty, never 0
    assert "未包含示例数据" in str(wb["说明"]["B7"].value)


@pytest.mark.parametrize("included, word", [(True, "已包含"), (False, "未包含")])
def test_build_summary_says_whether_the_sample_is_included(included, word):
    from analysis.tidy.build import sample_line

    assert word in sample_line(included) and "示例数据" in sample_line(included)


def test_area_blocks_show_the_balance_and_change_sentences():
    from analysis.present.pages import notebook as nb

    rows = [("level", "P1成效与均衡得分90。"), ("level", "满意率90%。"), ("level", "败诉率5%。"),
            ("level", "胜诉率80%。"), ("balance", "4个街道的满意率多在80%至95%之间。"), ("gap", "出庭应诉率未报告。")]  # fmt: skip
    n = pd.DataFrame(
        [dict(level="district", unit_id="a", year=2023, area="p1_effectiveness", seq=k, kind=kind, sentence=s,
              indicator_ids="", evidence="") for k, (kind, s) in enumerate(rows)]
    )  # fmt: skip
    md = nb.area_points(n, "a", 2023, "p1_effectiveness")
    assert md.count("\n- ") == 6 and "- 4个街道的满意率多在80%至95%之间。" in md
    assert nb.area_points(n, "a", 2023, "p2_normative_docs") == ""
    districts = pd.DataFrame({"unit_id": ["a"], "name": ["甲区"]})
    block = nb.area_key_points(n, districts, 2023, "p1_effectiveness", per_unit=2)
    assert "满意率90%。" in block and "4个街道的满意率" in block and "胜诉率" not in block and "未报告" not in block


def test_city_summary_page_says_how_many_districts_have_data_and_cuts_no_header():
    from analysis.present.briefs import city_summary_figure

    units = _city_units("一二三")
    sc = pd.DataFrame(
        [
            ["d0", 2023, a, 95.0, "", "flat"]
            for a in ("p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall")
        ],
        columns=["unit_id", "year", "area", "score", "reason", "headline_mark"],
    )
    fig = city_summary_figure("甲市", 2023, units[units["unit_id"] == "d0"], units, sc, None)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_position"))]
    assert any("甲市共3个区县，1个有2023年数据（二区、三区2个尚无数据）" in t for t in texts), texts
    assert "P2 备案审查" in texts and not any("…" in t for t in texts)


# ---------------------------------------------------------------- methodology page, file index, problems beside scores


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

    units = unit_table([("a", "甲区", "district", "x"), ("b", "乙区", "district", "x"), ("c", "丙区", "district", "x")])
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
