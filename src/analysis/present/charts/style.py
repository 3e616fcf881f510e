"""House style for every chart: the bundled CJK font, palette, sizes, source notes, the synthetic-data watermark and
atomic saving.

The Chinese font comes from the ``mplfonts`` package (Noto Sans CJK SC shipped inside it), never from system fonts,
so a chart renders the same on every machine. Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot
state), so nothing needs closing in a batch and a notebook kernel's inline backend is left alone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure, SubFigure  # noqa: E402

from analysis.core.io import (
    atomic_path,  # noqa: E402
    safe_name,  # noqa: E402
)
from analysis.present.charts import textlayout  # noqa: E402
from analysis.registry.vocabulary import load_vocabulary  # noqa: E402

FONT_FILE_NAME = "NotoSansCJKsc-Regular.otf"
WATERMARK_TEXT = "示例数据（模拟）"
WATERMARK_GID = "synthetic-watermark"
SOURCE_NOTE_GID = "source-note"

# areas, their labels and colours: registry/vocabulary.yaml (the scored areas in order; labels and colours of every
# area and of the overall score)
_VOCABULARY = load_vocabulary()
AREA_ORDER = _VOCABULARY.scored_areas
AREA_LABELS = _VOCABULARY.area_labels()
AREA_COLORS = _VOCABULARY.area_labels("color")
# change marks: better / worse / no real change (inside the neutral band) / not available
CHANGE_COLORS = {"better": "#2f855a", "worse": "#c53030", "neutral": "#a0aec0", "na": "#ffffff"}
INK = "#1a202c"
MUTED = "#718096"
GRID = "#e2e8f0"
HIGHLIGHT = "#d69e2e"

DPI = 150  # leadership outputs (the A4 brief PNG, charts that also go to PDF) and the savefig default
# Notebook charts are shown on pages at most 980 px wide: 8 in × 120 dpi = 960 px, so 150 dpi only cost time (PNG
# encoding and the page's embedded copy scale with the pixel count: ~35 % less of both at 120).
NOTEBOOK_DPI = 120
_STYLE_APPLIED = False


class FontNotFoundError(FileNotFoundError):
    """The CJK font bundled with mplfonts is missing: reinstall the pinned mplfonts package."""


class MixedSourcesError(ValueError):
    """Real and fictional (synthetic) units were put on one chart; they are never mixed."""


def font_path() -> Path:
    """Path of Noto Sans CJK SC inside the installed mplfonts package (found without importing mplfonts)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FontNotFoundError("未安装 mplfonts 包（图表的中文字体由它提供）；请运行 make setup")
    for base in spec.submodule_search_locations:
        candidate = Path(base) / "fonts" / FONT_FILE_NAME
        if candidate.is_file():
            return candidate
    raise FontNotFoundError(f"mplfonts 中找不到字体 {FONT_FILE_NAME}（{list(spec.submodule_search_locations)}）")


_FONT_FAMILY: dict[str, str] = {}


def register_cjk_font() -> str:
    """Add the bundled font to matplotlib's font manager (once per process) and return its family name."""
    path = font_path()
    if _FONT_FAMILY.get("path") == str(path):
        return _FONT_FAMILY["family"]
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    _FONT_FAMILY.update(path=str(path), family=family)
    return family


def apply_style() -> str:
    """Register the font and set the house rcParams (idempotent). Returns the font family name."""
    global _STYLE_APPLIED
    textlayout.install()
    family = register_cjk_font()
    if _STYLE_APPLIED and matplotlib.rcParams["font.sans-serif"][:1] == [family]:
        return family
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family],
            "axes.unicode_minus": False,
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.titleweight": "normal",
            "axes.titlelocation": "left",
            "axes.labelsize": 10,
            "axes.labelcolor": INK,
            "axes.edgecolor": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "xtick.color": INK,
            "ytick.color": INK,
            "legend.frameon": False,
            "legend.fontsize": 9,
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "pdf.fonttype": 3,  # subset glyphs; Type 42 embedding of the CJK OTF is ~3x slower
            "svg.fonttype": "none",  # text stays text: 10x smaller, 2x faster, editable; viewers fall back to a CJK font
        }
    )
    _STYLE_APPLIED = True
    return family


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A house-style figure with constrained layout (pyplot-free)."""
    apply_style()
    return Figure(figsize=(width, height), layout="constrained")


def _root(fig: Figure | SubFigure) -> Figure:
    return fig.figure if isinstance(fig, SubFigure) else fig


def source_note(fig: Figure, text: str, fontsize: float = 7.5) -> None:
    """Write a source footnote at the bottom left ("来源：…") and reserve room for it in the layout."""
    fig = _root(fig)
    body = text if text.startswith(("来源", "资料来源")) else f"来源：{text}"
    width_pt = fig.get_figwidth() * 72
    chars_per_line = max(20, int(width_pt / fontsize * 0.92) - 2)
    lines = textwrap.wrap(body, width=chars_per_line, break_long_words=True) or [body]
    for old in [t for t in fig.texts if t.get_gid() == SOURCE_NOTE_GID]:
        old.remove()
    fig.text(
        0.01,
        0.008,
        "\n".join(lines),
        ha="left",
        va="bottom",
        fontsize=fontsize,
        color=MUTED,
        gid=SOURCE_NOTE_GID,
        linespacing=1.3,
    )
    reserve_pt = len(lines) * fontsize * 1.35 + 8
    frac = min(0.4, reserve_pt / (fig.get_figheight() * 72))
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, frac, 1, 1 - frac))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, frac + 0.06))


def mark_synthetic(fig: Figure) -> None:
    """Draw the diagonal "示例数据（模拟）" watermark across the figure (once)."""
    fig = _root(fig)
    if has_watermark(fig):
        return
    size = max(28.0, min(fig.get_figwidth(), fig.get_figheight()) * 9)
    fig.text(
        0.5,
        0.5,
        WATERMARK_TEXT,
        ha="center",
        va="center",
        rotation=28,
        fontsize=size,
        color="#c53030",
        alpha=0.16,
        gid=WATERMARK_GID,
        zorder=1000,
    )
    fig.text(0.99, 0.995, WATERMARK_TEXT, ha="right", va="top", fontsize=8, color="#c53030", gid=WATERMARK_GID + "-tag")


def has_watermark(fig: Figure) -> bool:
    """True when the synthetic-data watermark is drawn on the figure."""
    return any(t.get_gid() == WATERMARK_GID and t.get_text() == WATERMARK_TEXT for t in _root(fig).texts)


def synthetic_flag(unit_ids: Iterable[str], units) -> bool:
    """Whether the units on a chart are fictional. Raises MixedSourcesError when real and fictional are mixed.

    ``units`` is the unit table (unit_id, synthetic); unknown ids count as real.
    """
    ids = {str(u) for u in unit_ids}
    if not ids:
        return False
    lookup = dict(zip(units["unit_id"].astype(str), units["synthetic"].astype(bool), strict=True))
    flags = {bool(lookup.get(u, False)) for u in ids}
    if len(flags) > 1:
        real = sorted(u for u in ids if not lookup.get(u, False))
        raise MixedSourcesError(f"真实单位 {real} 不能与虚构的示例单位画在同一张图上")
    return flags.pop()


def finish(fig: Figure, source: str, synthetic: bool) -> Figure:
    """Add the source note and, for fictional data, the watermark. Every builder ends with this."""
    source_note(fig, source)
    if synthetic:
        mark_synthetic(fig)
    return fig


def save_figure(
    fig: Figure,
    stem: str,
    output_dir: str | os.PathLike,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: float = DPI,
    page_copy: bool = False,
) -> list[Path]:
    """Write ``fig`` as ``<output_dir>/<stem>.<fmt>`` for each format, each file atomically. Returns the paths.

    ``page_copy``: also keep the PNG's compact copy for the page that will embed it (batch kernels; see
    analysis.present.charts.embed.PAGE_COPY_DIR).

    The stem goes through :func:`safe_name`, so a unit name cannot lead outside ``output_dir``. Metadata dates are
    left out so the same figure gives the same PDF/SVG bytes.
    """
    out = Path(output_dir)
    name = safe_name(stem)
    written = []
    if formats and formats[0].lower().lstrip(".") == "png":
        solve_layout(fig, dpi)
    for fmt in formats:
        fmt = fmt.lower().lstrip(".")
        meta = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": {"Software": None}}.get(fmt)
        target = out / f"{name}.{fmt}"
        with atomic_path(target) as tmp:
            if fmt == "png":
                _write_png(fig, tmp, dpi)
            else:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        written.append(target)
        if fmt == "png" and page_copy:
            _write_page_copy(fig, target)
        freeze_layout(fig)
    return written


def _write_png(fig: Figure, target: str | os.PathLike, dpi: float) -> None:
    """The figure as a PNG file: the pixels matplotlib's own PNG save renders (Agg at ``dpi``, same facecolour),
    written by analysis.present.charts.embed.save_png (RGB, fast zlib level, no metadata text, resolution in pHYs)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from analysis.present.charts.embed import save_png

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # as solve_layout does: the canvas a PNG save draws on, kept so its pixels can be read
    fig.savefig(io.BytesIO(), format="raw", dpi=dpi)  # renders on the Agg canvas; the pixels stay in its buffer
    save_png(np.asarray(fig.canvas.buffer_rgba()), target, dpi)


def _write_page_copy(fig: Figure, png: Path) -> None:
    """The page copy of the PNG just saved (see analysis.present.charts.embed), from the pixels the Agg canvas still
    holds: the same bytes as palette-reducing the PNG file read back (PNG is lossless), without decoding it."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from analysis.present.charts.embed import compact_png, page_copy_path

    if not isinstance(fig.canvas, FigureCanvasAgg):
        return  # the save ran on a temporary canvas: the page reads the PNG itself
    rgba = np.asarray(fig.canvas.buffer_rgba())
    target = page_copy_path(png)
    target.parent.mkdir(exist_ok=True)
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(
            compact_png(Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1))
        )


def solve_layout(fig: Figure, dpi: float) -> None:
    """Solve the layout engine's layout once, as a PNG save at ``dpi`` would, and freeze it (see freeze_layout).

    With a layout engine, ``savefig`` first draws the whole figure without rendering only to run the engine, then
    draws it again for real: every text is laid out twice. Running the engine here with the renderer that save will
    use (Agg at the same dpi, the same renderer object) gives the same positions, and the save then draws once.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # the canvas a PNG save uses; attached to the figure, so save reuses its renderer
    engine = fig.get_layout_engine()
    if engine is None:
        return
    if fig.axes:  # Figure.draw runs the engine only for figures with axes
        shown = fig.dpi
        fig.dpi = dpi
        try:
            with contextlib.suppress(ValueError):  # as in Figure.draw
                engine.execute(fig)
        finally:
            fig.dpi = shown
    freeze_layout(fig)


def freeze_layout(fig: Figure) -> None:
    """Keep the positions the layout engine found and stop re-solving it on every later save (a third faster).

    The engine is removed, not replaced by matplotlib's placeholder (``"none"``): with any engine set, even the
    placeholder, savefig draws the whole figure once more without rendering before the real draw.
    """
    if fig.get_layout_engine() is None:
        return
    if matplotlib.rcParams["figure.autolayout"] or matplotlib.rcParams["figure.constrained_layout.use"]:
        fig.set_layout_engine("none")  # None would mean "the rc default engine" here
    else:
        fig.set_layout_engine(None)


def png_bytes(fig: Figure, dpi: float = DPI) -> bytes:
    """The figure as PNG bytes (used to display the exported image in notebooks)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# Analysts' notebook charts: PNG only. Their SVG copy cost as much as the PNG (every text laid out a second time) and
# nothing read it (pages show the PNG, nothing links the SVG); the charts leadership reads keep vector copies.
NOTEBOOK_FORMATS = ("png",)
LEADERSHIP_FORMATS = ("png", "svg", "pdf")  # charts leadership reads (district comparison, briefs): print-ready PDF too


class SavedCharts(list):
    """The paths save_and_show wrote. A plain list, except that when it is a cell's last value the notebook shows
    nothing (no stray ``[PosixPath(...)]`` line on the page)."""

    def _ipython_display_(self) -> None:
        return None


def save_and_show(fig: Figure, stem: str, output_dir: str | os.PathLike, formats=NOTEBOOK_FORMATS) -> list[Path]:
    """Notebook helper: save the figure (PNG for pages at 120 dpi; with ``LEADERSHIP_FORMATS`` also SVG and PDF, at
    150 dpi) and display the saved PNG.

    In batch runs (ANALYSIS_LINK_CHARTS=1, set by analysis.batch for its kernels) the executed notebook and its HTML
    page are written beside the charts, so the chart is shown by file name instead of a second, embedded copy: pages
    stay small and exporting them is fast. Interactively the PNG is embedded.
    """
    leadership = any(f.lower().lstrip(".") in ("svg", "pdf") for f in formats)
    linked = os.environ.get("ANALYSIS_LINK_CHARTS") == "1"
    paths = save_figure(fig, stem, output_dir, formats, dpi=DPI if leadership else NOTEBOOK_DPI, page_copy=linked)
    from IPython.display import HTML, Image, display

    png = next((p for p in paths if p.suffix == ".png"), None)
    if png is not None and linked:
        from html import escape
        from urllib.parse import quote

        alt = escape(fig.get_label() or png.stem, quote=True)
        display(HTML(f'<img src="{quote(png.name)}" alt="{alt}" style="max-width:100%">'))
    else:
        display(Image(data=png.read_bytes() if png else png_bytes(fig, NOTEBOOK_DPI)))
    return SavedCharts(paths)
