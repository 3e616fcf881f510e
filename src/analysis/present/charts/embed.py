"""Charts embedded in pages as data: URIs (so a page copied or mailed on its own still shows them).

The PNG beside the page keeps full quality; the embedded copy is reduced to a 128-colour palette (charts use a handful
of colours; text stays crisp), which makes it about a third of the size and keeps every page within the budget stated
in the README (≤ 1.5 MB per page). ``width`` downscales (never upscales), e.g. for thumbnails on the index.

The palette comes from PIL's fast octree quantizer and the PNG is written at zlib's default level without
``optimize``: 40–50 ms a chart instead of ~800 ms (median cut + optimize), and the files come out a little smaller.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

PALETTE_COLOURS = 128


# Batch kernels write each chart's page copy here, beside the chart, when they save it (see
# analysis.present.charts.style.save_and_show): the pixels are still in memory then, so the runner, which embeds them in
# every page, neither decodes the PNG again nor quantizes it in its one process. The runner removes the folder once the
# page is written; it is never part of a run's outputs.
PAGE_COPY_DIR = ".page-copies"


def compact_png(im, width: int | None = None) -> bytes:
    """A PIL image as compact PNG bytes for embedding (palette-reduced, optionally downscaled)."""
    from PIL import Image

    im = im.convert("RGB")
    if width and im.width > width:
        # reducing_gap: a box reduction by an integer factor first, then LANCZOS over the last ≥ 3× step (PIL's own
        # "indistinguishable" setting): a 1240 px brief to a 300 px thumbnail ~4× faster
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS, reducing_gap=3.0)
    im = im.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


# zlib level of the chart PNGs: 1 writes 2–3× faster than the default 6, and with RGB instead of RGBA pixels the files
# still come out smaller than matplotlib's own RGBA PNG at level 6 (measured on the notebook charts: rates chart
# 79 → 54 ms, 80 → 76 KB; change heat map 386 → 108 ms, 326 → 306 KB)
PNG_COMPRESS_LEVEL = 1


def save_png(rgba, target: str | os.PathLike, dpi: float) -> None:
    """Write an RGBA pixel array (a figure's Agg buffer) as the chart's PNG file: RGB when every pixel is opaque (a
    see-through figure keeps its alpha), zlib level :data:`PNG_COMPRESS_LEVEL`, no text chunks (as matplotlib's
    ``metadata={"Software": None}``), the resolution in pHYs."""
    from PIL import Image

    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
    if rgba[..., 3].min() == 255:
        image = image.convert("RGB")
    image.save(target, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)


def page_png(path: str | os.PathLike, width: int | None = None) -> bytes:
    """The PNG at ``path`` as compact PNG bytes for embedding (palette-reduced, optionally downscaled)."""
    return compact_png(_decoded(path), width)


_DECODED: dict[tuple, object] = {}


def _decoded(path: str | os.PathLike):
    """The image at ``path``, decoded once per file version: the index embeds a brief twice (its page at 1,100 px, its
    thumbnail at 300 px) and decoding an A4 PNG cost more than either copy. Keyed by path, size and mtime, so a
    rewritten file is read again; the last 16 images are kept (an A4 brief ~6.5 MB)."""
    from PIL import Image

    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _DECODED:
        with Image.open(path) as im:
            im.load()
            image = im.copy() if im.mode == "RGB" else im.convert("RGB")
        while len(_DECODED) >= 16:
            _DECODED.pop(next(iter(_DECODED)))
        _DECODED[key] = image
    return _DECODED[key]


def page_copy_path(png: str | os.PathLike) -> Path:
    """Where the page copy of the chart ``png`` is kept until its page is written."""
    png = Path(png)
    return png.parent / PAGE_COPY_DIR / png.name


def data_uri(path: str | os.PathLike, width: int | None = None) -> str:
    """``data:image/png;base64,…`` for the PNG at ``path`` (see :func:`page_png`); SVG files are embedded as they are."""
    if str(path).lower().endswith(".svg"):
        with open(path, "rb") as f:
            return "data:image/svg+xml;base64," + base64.b64encode(f.read()).decode("ascii")
    copy = page_copy_path(path) if width is None else None
    data = copy.read_bytes() if copy is not None and copy.is_file() else page_png(path, width)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
