"""Charts embedded in pages as data: URIs (so a page copied or mailed on its own still shows them).

The PNG beside the page keeps full quality; the embedded copy is reduced to a 128-colour palette (charts use a handful
of colours; text stays crisp), which makes it about a third of the size and keeps every page within the budget stated
in the README (≤ 1.5 MB per page). ``width`` downscales (never upscales), e.g. for thumbnails on the index.

The palette comes from PIL's fast octree quantizer (~20 ms a chart instead of ~800 ms for median cut + optimize) and
the PNG is written by :func:`palette_png_bytes` (unfiltered, fast deflate).
"""

from __future__ import annotations

import base64
import os
import struct
import zlib
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
    return palette_png_bytes(im)


def palette_png_bytes(im) -> bytes:
    """PNG bytes of a palette ("P") PIL image, written as :func:`png_file_bytes` writes charts (no filter, the fast
    deflate): ~1.5 ms instead of PIL's ~20 ms at zlib's default level, files ~10 % larger."""
    import numpy as np

    if im.mode != "P":
        raise ValueError(f"palette_png_bytes 需要调色板（P）图像，而不是 {im.mode}")
    index = np.asarray(im)
    height, width = index.shape
    rows = np.empty((height, 1 + width), np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = index
    palette = bytes(im.getpalette("RGB") or [])[: 3 * (int(index.max()) + 1)]
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)),
            _chunk(b"PLTE", palette),
            _chunk(b"IDAT", _deflate(rows)),
            _chunk(b"IEND", b""),
        )
    )


# The chart PNGs are written here rather than by PIL: PIL filters every row five ways to pick the best filter (more
# than half of its time on a chart), while flat-colour charts compress best unfiltered; and ISA-L's deflate (the
# ``isal`` package, zlib's format) is ~6× faster than zlib's at level 1 with the same size. Measured on the notebook
# charts (cpu ms, KB): rates chart PIL level 1 40 ms / 314 KB → 14 ms / 295 KB; change heat map 44 ms / 425 KB →
# 13 ms / 390 KB. Without isal, zlib level 1 (filter none: ~25 ms, smaller files than PIL's).
PNG_COMPRESS_LEVEL = 1
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _deflate(data, level: int = PNG_COMPRESS_LEVEL) -> bytes:
    try:
        from isal import isal_zlib
    except ImportError:  # the pinned install has it; a bare environment falls back to zlib
        return zlib.compress(data, level)
    return isal_zlib.compress(data, min(level, isal_zlib.ISAL_BEST_COMPRESSION))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_file_bytes(rgba, dpi: float) -> bytes:
    """PNG bytes of an RGBA pixel array (h × w × 4, uint8): RGB when every pixel is opaque (a see-through figure keeps
    its alpha), 8 bits, no filter, no text chunks, the resolution in pHYs (as PIL writes it)."""
    import numpy as np

    rgba = np.asarray(rgba)
    height, width = rgba.shape[:2]
    opaque = bool(rgba[..., 3].min() == 255)
    channels = 3 if opaque else 4
    rows = np.empty((height, 1 + width * channels), np.uint8)
    rows[:, 0] = 0  # filter type None on every row
    pixels = rows[:, 1:].reshape(height, width, channels)
    for c in range(channels):  # one channel at a time: twice as fast as one strided copy of all of them
        pixels[..., c] = rgba[..., c]
    ppm = int(dpi / 0.0254 + 0.5)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _chunk(b"IDAT", _deflate(rows)),
            _chunk(b"IEND", b""),
        )
    )


def save_png(rgba, target: str | os.PathLike, dpi: float) -> None:
    """Write an RGBA pixel array (a figure's Agg buffer) as the chart's PNG file (see :func:`png_file_bytes`)."""
    Path(target).write_bytes(png_file_bytes(rgba, dpi))


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
