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

PALETTE_COLOURS = 128


def page_png(path: str | os.PathLike, width: int | None = None) -> bytes:
    """The PNG at ``path`` as compact PNG bytes for embedding (palette-reduced, optionally downscaled)."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if width and im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        im = im.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        im.save(buf, format="PNG")
    return buf.getvalue()


def data_uri(path: str | os.PathLike, width: int | None = None) -> str:
    """``data:image/png;base64,…`` for the PNG at ``path`` (see :func:`page_png`); SVG files are embedded as they are."""
    if str(path).lower().endswith(".svg"):
        with open(path, "rb") as f:
            return "data:image/svg+xml;base64," + base64.b64encode(f.read()).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(page_png(path, width)).decode("ascii")
