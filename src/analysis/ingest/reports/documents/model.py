"""The report as normalized text with locators (`Document`), its error type, and the formats read."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

KINDS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}


class DocumentError(ValueError):
    """A report file cannot be read; the message names the file (and the place when known)."""


@dataclass
class Document:
    """A report as normalized text plus the map from text offsets back to places in the file."""

    path: Path
    text: str
    raw_encoding: str | None
    kind: str
    paragraphs: list[tuple[int, int, str]] = field(default_factory=list)
    title: str = ""
    warnings: list[str] = field(default_factory=list)

    def locate(self, offset: int) -> str:
        """Where character ``offset`` of ``text`` sits in the original file, e.g. ``para 12`` or ``page 3, para 2``.

        An offset between paragraphs maps to the paragraph that follows it (or the last one at the end)."""
        if not self.paragraphs:
            return "text"
        if offset < 0:
            offset = max(0, len(self.text) + offset)
        starts = self.__dict__.get("_starts")
        if starts is None or len(starts) != len(self.paragraphs):
            starts = [p[0] for p in self.paragraphs]
            self.__dict__["_starts"] = starts
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return self.paragraphs[0][2]
        start, end, loc = self.paragraphs[i]
        if offset < end or i == len(self.paragraphs) - 1:
            return loc
        return self.paragraphs[i + 1][2]

    @property
    def fingerprint(self) -> str:
        """Whitespace-insensitive sha256 of ``text`` (see :func:`fingerprint`)."""
        return fingerprint(self.text)


def fingerprint(text: str) -> str:
    """sha256 of the text with all whitespace removed: equal for the same report read from different files,
    encodings or formats (used to flag the same report filed twice)."""
    import hashlib

    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()
