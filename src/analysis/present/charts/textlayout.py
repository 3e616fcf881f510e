"""Text of a chart laid out once per save instead of three to six times, and each string shaped once per process.

matplotlib's ``Text._get_layout`` (the line widths, ascents and the rotated box of a text, from the font's metrics)
is computed afresh on every ``get_window_extent``: the constrained layout asks for every tick label, title and note
in each of its two passes (some twice, for the label positions of sibling axes), and the draw asks again. Its
result depends only on the text, its font properties, rotation, alignments, line spacing, the figure's dpi and the
renderer, never on where the text is placed, so :func:`install` keeps the last result on each text object and
answers from it while none of those changed. Same numbers, so the same pixels (tested on every chart kind); about a
fifth of a chart's layout and drawing time.

Texts that wrap (their lines depend on the figure's size) or use TeX are always laid out afresh.

Below that, the Agg renderer shapes a string with FreeType twice per figure (once to measure it, ~18 µs a
character with the CJK font, and again to draw it), and again in every later figure: tick labels, district and area
names, "—" in every empty heat-map cell. The measurement (width, height, descent) and the shaped glyphs (font,
glyph index, offset) are pure functions of the font files, size, dpi, string and hinting, so they are kept per
process (bounded), keyed by exactly those. The glyphs are still rendered at each text's own position.
"""

from __future__ import annotations

import math
import os
import weakref
from collections import OrderedDict

import matplotlib
import numpy as np
from matplotlib.backends import backend_agg
from matplotlib.ft2font import RenderMode
from matplotlib.text import Text

_MEMO_ATTR = "_analysis_layout_memo"
_ORIGINAL = Text._get_layout


def _layout_key(text: Text) -> tuple:
    """Everything ``Text._get_layout`` reads, except the renderer (compared by identity)."""
    return (
        text._text,
        hash(text._fontproperties),  # FontProperties compare by this hash (their __eq__); it follows their state
        text.get_rotation(),
        text._linespacing,
        text._multialignment,
        text._horizontalalignment,
        text._verticalalignment,
        text._rotation_mode,
        text._parse_math,
        text.get_figure(root=True).dpi,
    )


def _get_layout(self: Text, renderer):
    if self._wrap or self.get_usetex():
        return _ORIGINAL(self, renderer)
    key = _layout_key(self)
    memo = self.__dict__.get(_MEMO_ATTR)
    if memo is not None and memo[0] == key and memo[1]() is renderer:
        bbox, lines, corner = memo[2]
    else:
        bbox, lines, corner = _ORIGINAL(self, renderer)
        self.__dict__[_MEMO_ATTR] = (key, weakref.ref(renderer), (bbox, lines, corner))
    return bbox.frozen(), list(lines), corner  # copies: callers may change what they get


_AGG = backend_agg.RendererAgg
_ORIGINAL_MEASURE = _AGG.get_text_width_height_descent
_ORIGINAL_DRAW_TEXT = _AGG.draw_text
SHAPED_MAX = 8192  # strings kept per table; a notebook run draws a few hundred distinct ones
_MEASURED: OrderedDict = OrderedDict()
_SHAPED: OrderedDict = OrderedDict()
STATS = {"measure_hits": 0, "measure_misses": 0, "shape_hits": 0, "shape_misses": 0}


def _font_key(renderer, prop) -> tuple:
    """What selects and sizes the FreeType font of ``prop`` on ``renderer`` (as RendererAgg._prepare_font does)."""
    paths = backend_agg._fontManager._find_fonts_by_props(prop)
    return (
        tuple(str(p) for p in paths),
        prop.get_size_in_points(),
        renderer.dpi,
        backend_agg.get_hinting_flag(),
        matplotlib.rcParams["text.hinting_factor"],
    )


def _remember(table: OrderedDict, key: tuple, value) -> None:
    table[key] = value
    if len(table) > SHAPED_MAX:
        table.popitem(last=False)


def _measure(self, s, prop, ismath):
    if ismath:
        return _ORIGINAL_MEASURE(self, s, prop, ismath)
    key = (s, _font_key(self, prop))
    found = _MEASURED.get(key)
    if found is None:
        STATS["measure_misses"] += 1
        found = _ORIGINAL_MEASURE(self, s, prop, ismath)
        _remember(_MEASURED, key, found)
    else:
        STATS["measure_hits"] += 1
    return found


def _draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """RendererAgg.draw_text (matplotlib 3.11) with the shaped glyphs of ``s`` kept between calls."""
    if ismath:
        return self.draw_mathtext(gc, x, y, s, prop, angle)
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    key = (s, _font_key(self, prop), None if features is None else tuple(features), language)
    items = _SHAPED.get(key)
    if items is None:
        STATS["shape_misses"] += 1
        font = self._prepare_font(prop)
        items = font._layout(s, flags=backend_agg.get_hinting_flag(), features=features, language=language)
        _remember(_SHAPED, key, items)
    else:
        STATS["shape_hits"] += 1
    _draw_glyphs(self, gc, x, y, angle, prop.get_size_in_points(), items)


def _draw_glyphs(renderer, gc, x, y, angle, size, items) -> None:
    """RendererAgg._draw_text_glyphs_and_boxes (matplotlib 3.11) for shaped text (no slant, no stretch, no boxes),
    with the glyph transform computed once per text instead of once per glyph (a numpy matrix product each) and the
    font sized once per run of glyphs from the same font instead of before every glyph."""
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
    flags = backend_agg.get_hinting_flag()
    antialiased = gc.get_antialiased()
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    height = renderer.height
    sized = None
    for item in items:
        font, dx, dy = item.ft_object, item.x, item.y  # dy is upwards
        if font is not sized:
            font.set_size(size, renderer.dpi)
            sized = font
        font._set_transform(
            matrix, [round(0x40 * (x + dx * cos - dy * sin)), round(0x40 * (height - y + dx * sin + dy * cos))]
        )
        bitmap = font._render_glyph(item.glyph_index, flags, mode)
        buffer = bitmap.buffer
        if not antialiased:
            buffer *= 0xFF
        renderer._renderer.draw_text_image(buffer, bitmap.left, int(height) - bitmap.top + buffer.shape[0], 0, gc)


def _forget_fonts() -> None:
    """After a fork: matplotlib drops its FreeType font objects in the child (they are not fork-safe, see
    font_manager's at-fork hook), so the shaped glyphs, which point at them, go too. Measurements are plain numbers."""
    _SHAPED.clear()


os.register_at_fork(after_in_child=_forget_fonts)


# _draw_text and _draw_glyphs follow matplotlib 3.11's RendererAgg line by line; another matplotlib keeps its own text
# path until they are checked against it (the pixel tests in tests/unit/present/test_charts.py)
MATPLOTLIB_SERIES = "3.11."


def install() -> None:
    """Use the memo and the shaping caches for every chart in this process (idempotent; only on matplotlib 3.11)."""
    if not matplotlib.__version__.startswith(MATPLOTLIB_SERIES):
        return
    Text._get_layout = _get_layout
    _AGG.get_text_width_height_descent = _measure
    _AGG.draw_text = _draw_text


def installed() -> bool:
    return Text._get_layout is _get_layout and _AGG.draw_text is _draw_text


def uninstall() -> None:
    """matplotlib's own layout, measuring and drawing again, caches emptied (tests compare with them)."""
    Text._get_layout = _ORIGINAL
    _AGG.get_text_width_height_descent = _ORIGINAL_MEASURE
    _AGG.draw_text = _ORIGINAL_DRAW_TEXT
    _MEASURED.clear()
    _SHAPED.clear()
