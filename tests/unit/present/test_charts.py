"""Charts: the bundled CJK font renders every glyph, the synthetic watermark appears exactly on fictional data, source
notes are on every chart, value states and rate labels print as the users read them. Tiny inline data."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis.present.charts import figures, views
from analysis.present.charts.style import (
    SOURCE_NOTE_GID,
    WATERMARK_TEXT,
    MixedSourcesError,
    apply_style,
    font_path,
    has_watermark,
    new_figure,
    save_figure,
    source_note,
)
from conftest import unit_table

GLYPH_WORDS = ("missing from", "glyph", "font family", "findfont")


def render_problems(fig) -> list[str]:
    """Render to PNG and return every font/glyph warning or log message matplotlib emitted."""
    logger = logging.getLogger("matplotlib")
    records: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Catch(level=logging.DEBUG)
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    msgs = [str(w.message) for w in caught] + records
    return [m for m in msgs if any(k in m.lower() for k in GLYPH_WORDS)]


def chinese_figure(text_extra: str = ""):
    fig = new_figure(6, 3.5)
    ax = fig.add_subplot()
    ax.bar(["马村区", "示例一区", "解放区"], [97.5, -3.0, 12.0])
    ax.set_title(f"规范性文件报备率（%）较上年变化 ▲▼■ —{text_extra}")
    ax.set_xlabel("区县（约、余、未报告）")
    ax.set_ylabel("比率（%）")
    source_note(fig, "马村区2023年法治政府建设工作报告；见证据表")
    return fig


# ---------------------------------------------------------------- font


def test_font_comes_from_mplfonts_not_the_system():
    family = apply_style()
    path = font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf" and "mplfonts" in path.parts
    import matplotlib

    assert matplotlib.rcParams["font.sans-serif"][0] == family == "Noto Sans CJK SC"
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_chinese_title_labels_ticks_render_without_missing_glyphs():
    assert render_problems(chinese_figure()) == []


def test_missing_glyph_detector_catches_a_glyph_the_font_lacks():
    # control: U+1F600 is not in Noto Sans CJK SC, so the detector above must see a warning for it
    assert render_problems(chinese_figure("\U0001f600")) != []


# ---------------------------------------------------------------- tiny contract frames

UNITS = pd.DataFrame(
    {
        "unit_id": ["macun", "jiefang", "d1", "d2", "d1-s1", "d1-s2", "d1-s3", "jz", "demo"],
        "name": ["马村区", "解放区", "示例一区", "示例二区", "一街道", "二街道", "三街道", "焦作市", "示例市"],
        "level": ["district", "district", "district", "district", "street", "street", "street", "city", "city"],
        "parent": ["jz", "jz", "demo", "demo", "d1", "d1", "d1", None, None],
        "city": ["焦作市", "焦作市", "示例市", "示例市", "示例市", "示例市", "示例市", "焦作市", "示例市"],
        "province": ["河南省"] * 9,
        "synthetic": [False, False, True, True, True, True, True, False, True],
    }
)
INDICATORS = pd.DataFrame(
    {
        "id": ["nd_issued", "nd_filed", "nd_filing_rate", "lit_lost", "enf_certificates_new"],
        "name_zh": ["出台规范性文件", "规范性文件备案", "报备率", "行政诉讼败诉", "执法证新证申领"],
        "measure": ["件", "件", "%", "件", "人"],
        "area": ["p2_normative_docs"] * 3 + ["p1_effectiveness", "p3_enforcement"],
    }
).set_index("id", drop=False)


def obs_frame(unit_id: str, synthetic: bool) -> pd.DataFrame:
    rows = [
        ("nd_issued", 7.0, "件", "exact", False, "出台行政规范性文件7件"),
        ("nd_filed", 30.0, "件", "approx", True, "备案30余件"),
        ("lit_lost", 0.0, "件", "zero_in_words", False, "无败诉案件"),
    ]
    df = pd.DataFrame(rows, columns=["indicator_id", "value", "measure", "value_state", "approx", "evidence"])
    df["value"] = df["value"].astype("Float64")
    name = UNITS.set_index("unit_id").loc[unit_id, "name"]
    return df.assign(
        unit_id=unit_id,
        unit_name=name,
        year=2023,
        is_synthetic=synthetic,
        scope="year",
        source_file="马村区2023.txt",
        locator="para 3",
        unit_level="district",
        parent_unit_id=None,
    )


def scores_frame(ids: list[str]) -> pd.DataFrame:
    rows = []
    for k, u in enumerate(ids):
        for y in (2022, 2023):
            for a in ("p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall"):
                rows.append([u, y, a, 40.0 + 10 * k + (y - 2022) * 5, 2, 3, 2 / 3])
    return pd.DataFrame(rows, columns=["unit_id", "year", "area", "score", "n_used", "n_total", "coverage"])


def ranks_frame(ids: list[str], allowed: bool) -> pd.DataFrame:
    rows = [
        [u, 2023, "p2_normative_docs", k + 1 if allowed else pd.NA, len(ids), allowed, "" if allowed else "同组不足3个"]
        for k, u in enumerate(ids)
    ]
    return pd.DataFrame(rows, columns=["unit_id", "year", "area", "rank", "n_peers", "rank_allowed", "reason"])


def rates_frame(ids: list[str]) -> pd.DataFrame:
    rows = [[u, 2023, "nd_filing_rate", 230.0, 236.0, 97.46, 94.6, 98.8, False, "computed"] for u in ids]
    return pd.DataFrame(
        rows,
        columns=[
            "unit_id",
            "year",
            "indicator_id",
            "numerator",
            "denominator",
            "rate",
            "ci_low",
            "ci_high",
            "approx",
            "source",
        ],
    )


def changes_frame(ids: list[str]) -> pd.DataFrame:
    rows = []
    for u in ids:
        rows.append([u, 2023, "nd_issued", 10.0, 10.05, 0.5, "flat", True, "neutral"])
        rows.append([u, 2023, "nd_filed", 10.0, 14.0, 40.0, "up", False, "better"])
    return pd.DataFrame(
        rows,
        columns=[
            "unit_id",
            "year",
            "indicator_id",
            "prev_value",
            "value",
            "delta_pct",
            "mark",
            "within_neutral_band",
            "better",
        ],
    )


def all_builders(ids: list[str], synthetic: bool) -> dict:
    """Every figure builder on the given units (all real or all fictional)."""
    obs = obs_frame(ids[0], synthetic)
    street_obs = pd.DataFrame(
        {
            "unit_id": ["d1-s1", "d1-s2", "d1-s3"],
            "unit_name": ["一街道", "二街道", "三街道"],
            "unit_level": "street",
            "parent_unit_id": "d1",
            "year": 2023,
            "indicator_id": "enf_certificates_new",
            "value": pd.array([12.0, 4.0, None], dtype="Float64"),
            "measure": "人",
            "value_state": ["exact", "exact", "not_reported"],
            "approx": False,
            "source_file": "sample",
        }
    )
    balance = pd.DataFrame(
        [["d1", 2023, "enf_certificates_new", 2, 4.8, 11.2, 6.4, 10.0, 1, "d1-s2"]],
        columns=[
            "parent_unit_id",
            "year",
            "indicator_id",
            "n_units",
            "p10",
            "p90",
            "spread_p90_p10",
            "target",
            "n_below_target",
            "units_below_target",
        ],
    )
    city = UNITS.set_index("unit_id").loc[ids[0], "city"]
    out = {
        "panel": figures.area_panel_figure(obs, INDICATORS, ids[0], 2023, "p2_normative_docs", UNITS),
        "rates": figures.rates_figure(rates_frame(ids), UNITS, INDICATORS, by="unit"),
        "peers": figures.peers_figure(
            scores_frame(ids), ranks_frame(ids, True), UNITS, city, 2023, "p2_normative_docs"
        ),
        "trend": figures.trend_figure(scores_frame(ids), UNITS, ids[0], neutral_band=1.0),
        "heatmap": figures.heatmap_figure(changes_frame(ids), UNITS, INDICATORS, ids, 2023),
    }
    if synthetic:
        out["balance"] = figures.balance_figure(
            balance, street_obs, UNITS, INDICATORS, "d1", 2023, "enf_certificates_new"
        )
    return out


def texts(fig) -> list[str]:
    found = [t.get_text() for t in fig.texts]
    for ax in fig.get_axes():
        found += [t.get_text() for t in ax.texts] + [ax.get_title()] + [t.get_text() for t in ax.get_yticklabels()]
    return found


# ---------------------------------------------------------------- watermark and source note


def test_every_builder_watermarks_fictional_data_and_not_real_data():
    fake = all_builders(["d1", "d2"], synthetic=True)
    real = all_builders(["macun", "jiefang"], synthetic=False)
    assert set(fake) == {"panel", "rates", "peers", "trend", "heatmap", "balance"}
    for name, fig in fake.items():
        assert has_watermark(fig), name
        assert WATERMARK_TEXT in texts(fig), name
    for name, fig in real.items():
        assert not has_watermark(fig), name
        assert WATERMARK_TEXT not in texts(fig), name
    for name, fig in {**fake, **{f"real-{k}": v for k, v in real.items()}}.items():
        notes = [t.get_text() for t in fig.texts if t.get_gid() == SOURCE_NOTE_GID]
        assert len(notes) == 1 and notes[0].startswith("来源："), name


def test_real_and_fictional_units_are_never_on_one_chart():
    with pytest.raises(MixedSourcesError):
        figures.rates_figure(rates_frame(["macun", "d1"]), UNITS, INDICATORS, by="unit")
    with pytest.raises(MixedSourcesError):
        figures.heatmap_figure(changes_frame(["macun", "d1"]), UNITS, INDICATORS, ["macun", "d1"], 2023)


def test_watermarked_chart_renders_and_saves_atomically(tmp_path: Path):
    fig = all_builders(["d1", "d2"], synthetic=True)["peers"]
    paths = save_figure(fig, "示例市/../峰值 图", tmp_path)
    assert [p.name for p in paths] == ["示例市_峰值_图.png", "示例市_峰值_图.svg", "示例市_峰值_图.pdf"]
    assert all(p.parent == tmp_path and p.stat().st_size > 1000 for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temp files left
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["rates", "peers", "heatmap"])
def test_layout_solved_once_gives_the_pixels_of_matplotlibs_own_save(tmp_path: Path, name: str):
    """save_figure solves the constrained layout itself (one draw per save instead of two): the PNG must be
    pixel for pixel the one matplotlib writes when it runs the layout engine inside savefig."""
    import numpy as np
    from PIL import Image

    ours = all_builders(["macun", "jiefang"], synthetic=False)[name]
    theirs = all_builders(["macun", "jiefang"], synthetic=False)[name]
    assert ours.get_layout_engine() is not None
    (path,) = save_figure(ours, "ours", tmp_path, ("png",), dpi=120)
    assert ours.get_layout_engine() is None  # solved once and frozen
    theirs.savefig(tmp_path / "theirs.png", format="png", dpi=120, metadata={"Software": None})
    a = np.asarray(Image.open(path))
    b = np.asarray(Image.open(tmp_path / "theirs.png"))
    # ours is RGB: matplotlib's alpha channel is opaque everywhere, the colour channels are the same pixels
    assert Image.open(path).mode == "RGB" and (b[..., 3] == 255).all()
    assert a.shape == b[..., :3].shape and (a == b[..., :3]).all()
    assert Image.open(path).info.get("dpi") == pytest.approx((120, 120), abs=0.05)


@pytest.mark.parametrize("formats", [("png",), ("png", "svg", "pdf")])
def test_page_copy_from_the_rendered_pixels_is_the_copy_read_back_from_the_png(tmp_path: Path, formats):
    """The kernel's page copy (made from the pixels in memory) must be byte for byte what the page would embed by
    reading the PNG back; without page_copy nothing is kept."""
    from analysis.present.charts.embed import PAGE_COPY_DIR, data_uri, page_copy_path, page_png

    for name, fig in all_builders(["d1", "d2"], synthetic=True).items():
        paths = save_figure(fig, name, tmp_path, formats, dpi=120, page_copy=True)
        copy = page_copy_path(paths[0])
        assert copy.parent.name == PAGE_COPY_DIR and copy.is_file(), name
        assert copy.read_bytes() == page_png(paths[0]), name
        uri = data_uri(paths[0])
        copy.unlink()
        assert data_uri(paths[0]) == uri, name  # the page is the same with or without the copy
    save_figure(all_builders(["d1", "d2"], synthetic=True)["rates"], "plain", tmp_path / "plain", ("png",))
    assert not (tmp_path / "plain" / PAGE_COPY_DIR).exists()


# ---------------------------------------------------------------- text layout memo, shaping caches, PNG writer


def _pixels(fig, dpi: float = 120):
    import numpy as np

    from analysis.present.charts.style import solve_layout

    solve_layout(fig, dpi)
    fig.savefig(io.BytesIO(), format="raw", dpi=dpi)
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("synthetic", [True, False])
def test_text_caches_give_the_pixels_of_matplotlibs_own_text_path(synthetic: bool):
    """The layout memo and the measure/shape caches (textlayout) must not move a single pixel of any chart kind, with
    the watermark and without; a second round (caches warm from the first figures) is still identical."""
    from analysis.present.charts import textlayout

    ids = ["d1", "d2"] if synthetic else ["macun", "jiefang"]
    textlayout.uninstall()
    try:
        plain = {name: _pixels(fig) for name, fig in all_builders(ids, synthetic).items()}
    finally:
        textlayout.install()
    for _ in range(2):
        for name, fig in all_builders(ids, synthetic).items():
            cached = _pixels(fig)
            assert cached.shape == plain[name].shape and (cached == plain[name]).all(), name


def test_a_text_is_laid_out_once_until_it_changes(monkeypatch):
    """Repeated extents of one text come from the memo; changing its string, size or rotation lays it out again,
    with the extent matplotlib's own layout gives."""
    from analysis.present.charts import textlayout

    apply_style()
    calls = []
    original = textlayout._ORIGINAL

    def counted(text, renderer):
        calls.append(text.get_text())
        return original(text, renderer)

    monkeypatch.setattr(textlayout, "_ORIGINAL", counted)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = new_figure(4, 2)
    text = fig.text(0.5, 0.5, "规范性文件报备率", fontsize=10)
    renderer = FigureCanvasAgg(fig).get_renderer()
    first = text.get_window_extent(renderer)
    for _ in range(3):
        assert text.get_window_extent(renderer).bounds == first.bounds
    assert calls == ["规范性文件报备率"]
    changes = (
        lambda: text.set_text("规范性文件报备率（%）"),
        lambda: text.set_fontsize(14),
        lambda: text.set_rotation(30),
    )
    for change in changes:
        change()
        ours = text.get_window_extent(renderer)
        where = text.get_transform().transform(text.get_unitless_position())
        assert ours.bounds == original(text, renderer)[0].translated(*where).bounds
    assert len(calls) == 1 + len(changes)  # laid out again once per change


def test_shaped_strings_are_reused_across_figures_and_keyed_by_size():
    from analysis.present.charts import textlayout

    apply_style()
    textlayout._SHAPED.clear()
    textlayout._MEASURED.clear()

    def draw(size: float) -> None:
        fig = new_figure(3, 1.5)
        fig.text(0.1, 0.5, "示例一区 未报告", fontsize=size)
        _pixels(fig)

    draw(9)
    before = dict(textlayout.STATS)
    draw(9)  # another figure, same string and size: measured and shaped from the caches
    assert textlayout.STATS["shape_hits"] > before["shape_hits"]
    assert textlayout.STATS["shape_misses"] == before["shape_misses"]
    assert textlayout.STATS["measure_misses"] == before["measure_misses"]
    draw(11)  # another size is another shaping
    assert textlayout.STATS["shape_misses"] > before["shape_misses"]


def test_text_caches_stay_off_on_a_matplotlib_they_were_not_checked_against(monkeypatch):
    import matplotlib

    from analysis.present.charts import textlayout

    textlayout.uninstall()
    try:
        monkeypatch.setattr(matplotlib, "__version__", "3.12.0")
        textlayout.install()
        assert not textlayout.installed()
        monkeypatch.setattr(matplotlib, "__version__", "3.11.2")
        textlayout.install()
        assert textlayout.installed()
    finally:
        textlayout.install()


def test_a_forked_child_shapes_afresh_with_its_own_fonts():
    """matplotlib drops its FreeType objects in a forked child; glyphs shaped in the parent point at them, so the
    child starts with no shaped strings and draws the same pixels (drawing with the parent's glyphs failed in
    FreeType: 'FT_Load_Glyph … invalid argument')."""
    import numpy as np

    from analysis.core.parallel import can_fork, fork_map
    from analysis.present.charts import textlayout

    if not can_fork():
        pytest.skip("needs fork")
    apply_style()

    def draw(_):
        fig = new_figure(3, 1.5)
        fig.text(0.1, 0.5, "示例一区 未报告 ▲+12%", fontsize=9)
        return len(textlayout._SHAPED), _pixels(fig)

    _, parent = draw(None)
    assert textlayout._SHAPED
    for shaped_at_start, child in fork_map(draw, [0, 1], jobs=2):
        assert shaped_at_start == 0
        assert np.array_equal(child, parent)


@pytest.mark.parametrize("opaque", [True, False])
def test_png_writer_keeps_every_pixel_and_the_resolution(tmp_path: Path, opaque: bool, monkeypatch):
    """Our PNG (unfiltered, ISA-L or zlib deflate) decodes to the Agg pixels: RGB when opaque, RGBA otherwise."""
    import builtins

    import numpy as np
    from PIL import Image

    from analysis.present.charts.embed import save_png

    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[..., 3] = 255 if opaque else rgba[..., 3]
    save_png(rgba, tmp_path / "a.png", 150)
    real_import = builtins.__import__

    def no_isal(name, *args, **kwargs):
        if name == "isal" or name.startswith("isal."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_isal)
    save_png(rgba, tmp_path / "b.png", 150)  # the zlib fallback
    for name in ("a.png", "b.png"):
        with Image.open(tmp_path / name) as im:
            assert im.mode == ("RGB" if opaque else "RGBA"), name
            assert im.info["dpi"] == pytest.approx((150, 150), abs=0.05)
            want = rgba[..., :3] if opaque else rgba
            assert (np.asarray(im) == want).all(), name


def test_palette_png_decodes_to_the_quantized_pixels():
    import numpy as np
    from PIL import Image

    from analysis.present.charts.embed import PALETTE_COLOURS, compact_png

    fig = all_builders(["d1", "d2"], synthetic=True)["heatmap"]
    rgba = _pixels(fig)
    im = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    want = im.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    with Image.open(io.BytesIO(compact_png(im))) as got:
        assert got.mode == "P" and got.size == im.size
        assert (np.asarray(got.convert("RGB")) == np.asarray(want.convert("RGB"))).all()


# ---------------------------------------------------------------- values, states, labels


def test_value_states_print_as_read_and_missing_is_never_zero():
    assert views.value_text(236.0, "件", "exact") == "236件"
    assert views.value_text(995.0, "人次", "approx", True) == "约995人次"
    assert views.value_text(0.0, "件", "zero_in_words") == "0件（原文文字表述）"
    assert views.value_text(pd.NA, "件", "not_reported") == "未报告"
    assert views.value_text(None, "件", None) == "未报告"
    assert views.value_text(1545.0, "项", "exact") == "1,545项"


def test_profile_rows_list_unobserved_indicators_as_not_reported():
    rows = views.profile_rows(obs_frame("macun", False), INDICATORS, "macun", 2023, "p2_normative_docs")
    assert rows["indicator_id"].tolist() == ["nd_issued", "nd_filed", "nd_filing_rate"]
    rate = rows.set_index("indicator_id").loc["nd_filing_rate"]
    assert rate["value_state"] == "not_reported" and pd.isna(rate["value"]) and rate["value_text"] == "未报告"
    assert (
        rows.set_index("indicator_id").loc["nd_filed", "value_text"] == "30余件"
    )  # the source wrote 备案30余件: a lower bound keeps its 余
    fig = figures.area_panel_figure(obs_frame("macun", False), INDICATORS, "macun", 2023, "p2_normative_docs", UNITS)
    shown = texts(fig)
    assert "未报告" in shown and "0件" not in shown and "0%" not in shown


def test_rate_labels():
    assert views.rate_label(97.4576, 230, 236) == "97.5%（230/236）"
    assert views.rate_label(100.0, 7, 7, approx=True) == "约100%（7/7）"
    assert views.rate_label(98.0, None, None, source="reported") == "98%（报告值）"
    assert views.rate_label(pd.NA, 0, 0) == "无法计算（分母为0）"
    assert views.rate_label(pd.NA, None, None) == "未报告"
    fig = figures.rates_figure(rates_frame(["macun"]), UNITS, INDICATORS)
    assert "97.5%（230/236）" in texts(fig)


def test_peer_chart_shows_rank_only_where_allowed():
    ids = ["d1", "d2"]
    shown = texts(
        figures.peers_figure(scores_frame(ids), ranks_frame(ids, True), UNITS, "示例市", 2023, "p2_normative_docs")
    )
    assert "示例二区（第2/2名）" in shown
    hidden = texts(
        figures.peers_figure(scores_frame(ids), ranks_frame(ids, False), UNITS, "demo", 2023, "p2_normative_docs")
    )
    assert not [t for t in hidden if "名）" in t]
    assert "示例二区" in hidden


def test_change_marks_use_the_neutral_band():
    assert figures.change_mark(50.0, 50.9, 1.0) == "flat"
    assert figures.change_mark(50.0, 51.0, 1.0) == "up"
    assert figures.change_mark(50.0, 45.0, 1.0) == "down"
    assert figures.change_mark(pd.NA, 45.0, 1.0) == "na"
    fig = figures.trend_figure(scores_frame(["d1"]), UNITS, "d1", neutral_band=10.0)
    assert any("无实质变化（±10内）" in t for t in texts(fig))
    fig = figures.trend_figure(scores_frame(["d1"]), UNITS, "d1", neutral_band=1.0)
    assert any("▲ +5.0" in t for t in texts(fig))


def test_heatmap_cells_inside_neutral_band_are_grey():
    mat = figures.heatmap_matrix(changes_frame(["d1"]), ["d1", "d2"], ["nd_issued", "nd_filed"], 2023)
    assert mat.loc["nd_issued", "d1"][0] == "neutral"
    assert mat.loc["nd_filed", "d1"][0] == "better"
    assert mat.loc["nd_filed", "d2"][0] == "na"
    # the row cap keeps the indicators with real changes first, registry order otherwise
    assert figures.pick_heatmap_rows(mat, 1).index.tolist() == ["nd_filed"]
    fig = figures.heatmap_figure(changes_frame(["d1", "d2"]), UNITS, INDICATORS, ["d1", "d2"], 2023, max_rows=1)
    assert "另有1项指标" in "".join(texts(fig)).replace("\n", "")


def test_evidence_snippet_centres_on_the_number():
    ev = "持续加强政务公开工作,全年累计主动公开政府信息800余条,减税降费政策解读32个领域基层政务公开规范有力"
    snip = views.evidence_snippet(ev, 32.0, 20)
    assert "32" in snip and snip.startswith("…") and len(snip) <= 20
    assert views.evidence_snippet(ev, 800.0, 20).count("800") == 1
    assert views.evidence_snippet("2023年无败诉案件，共审结案件7件", 0.0, 10) == "2023年无败诉案…"
    assert views.evidence_snippet(ev, 7.0, 20) == views.short(ev, 20)  # '7' is not a number in the sentence
    assert views.evidence_snippet(None, 1.0) == ""


def test_reasons_drop_english_glosses():
    assert views.zh_reason("得分缺失: 覆盖率低于50% (coverage below minimum)") == "得分缺失: 覆盖率低于50%"
    assert views.zh_reason("同组区县不足3个") == "同组区县不足3个"
    assert views.zh_reason(None) == ""


def test_below_target_follows_the_direction_and_skips_not_reported():
    vals = pd.DataFrame({"unit_id": ["a", "b", "c"], "value": pd.array([97.9, 86.8, None], dtype="Float64")})
    assert figures.below_target(vals, 90.0, "higher_better") == {"b"}
    assert figures.below_target(vals, 90.0, "lower_better") == {"a"}
    assert figures.below_target(vals, 90.0, "neutral") == set()


def test_balance_marks_the_units_metrics_lists_below_target(indicators):
    """metrics.balance lists units below target by name; exactly those bars are drawn in the 'worse' colour."""
    from matplotlib.colors import to_hex

    from analysis.present.charts.style import CHANGE_COLORS

    units = unit_table(
        [
            ("d", "甲区", "district", "c"),
            ("s1", "甲区一街道", "street", "d"),
            ("s2", "甲区二街道", "street", "d"),
            ("s3", "甲区三街道", "street", "d"),
        ]
    )
    obs = pd.DataFrame(
        {
            "unit_id": ["s1", "s2", "s3"],
            "unit_name": ["甲区一街道", "甲区二街道", "甲区三街道"],
            "unit_level": "street",
            "parent_unit_id": "d",
            "year": 2023,
            "indicator_id": "med_success_rate",
            "value": [99.0, 100.0, 92.0],
            "measure": "%",
            "value_state": "exact",
            "approx": False,
        }
    )
    balance = pd.DataFrame(
        [
            {
                "parent_unit_id": "d",
                "year": 2023,
                "unit_level": "street",
                "indicator_id": "med_success_rate",
                "n_units": 3,
                "p10": 93.4,
                "p90": 99.8,
                "spread_p90_p10": 6.4,
                "target": 100.0,
                "n_below_target": 2,
                "units_below_target": "甲区一街道, 甲区三街道",
            }
        ]
    )
    fig = figures.balance_figure(balance, obs, units, indicators, "d", 2023, "med_success_rate")
    worse = to_hex(CHANGE_COLORS["worse"])
    bars = [p for ax in fig.axes for p in ax.patches if p.get_width() > 0 and p.get_height() < 1]
    red = [p for p in bars if to_hex(p.get_facecolor()) == worse]
    assert len(bars) == 3 and len(red) == 2


def test_value_text_keeps_the_marker_the_source_wrote():
    """80余 is a lower bound: the printed value keeps the source's own marker, never turns it into 约."""
    from analysis.present.charts.views import value_text

    assert value_text(800, "条", "approx", True, "全年累计主动公开政府信息800余条，减税") == "800余条"
    assert value_text(300, "人", "approx", True, "培训近300人") == "近300人"
    assert value_text(300, "人", "approx", True, "培训300人以上") == "300人以上"
    assert value_text(995, "人次", "approx", True, "句子里没有这个数") == "约995人次"  # no surface found: 约
    assert value_text(995, "人次", "approx", True) == "约995人次"
    assert value_text(5, "件", "exact", False, "5余件") == "5件"  # exact values are printed as they are


def test_evidence_table_shows_each_fact_confidence():
    obs = obs_frame("macun", False).assign(fact_id=["d:10", "d:20", pd.NA])
    facts = pd.DataFrame({"fact_id": ["d:10", "d:20"], "confidence": [0.9, 0.7]})
    rows = views.profile_rows(obs, INDICATORS, "macun", 2023, "p2_normative_docs", facts=facts)
    conf = rows.set_index("indicator_id")["confidence"]
    assert conf["nd_issued"] == 0.9 and conf["nd_filed"] == 0.7 and pd.isna(conf["nd_filing_rate"])
    table = views.evidence_table(rows)
    assert table["把握度"].tolist() == ["0.90", "0.70", ""]  # not reported: no confidence, never 0
    assert "把握度" not in views.evidence_table(views.profile_rows(obs, INDICATORS, "macun", 2023, "p2_normative_docs"))


def test_evidence_table_lists_reported_values_before_the_not_reported_rows():
    rows = pd.DataFrame(
        {
            "name_zh": ["甲", "乙", "丙", "丁"],
            "value_text": ["未报告", "7件", "未报告", "100%（7/7）"],
            "value_state": ["not_reported", "exact", "not_reported", "computed"],
            "scope": [pd.NA, "year", pd.NA, "year"],
            "evidence": ["", "出台7件", "", "由报告计数计算"],
            "source_file": ["", "a.txt", "", "a.txt"],
            "locator": ["", "para 1", "", ""],
        }
    )
    t = views.evidence_table(rows)
    assert t["指标"].tolist() == ["乙", "丁", "甲", "丙"]
    assert t.index.tolist() == [0, 1, 2, 3]


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
