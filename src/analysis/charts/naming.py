"""Safe file names from unit names and parameters: Chinese kept, path tricks removed.

A district name or a parameter value becomes part of an output path; :func:`safe_name` makes sure it is one plain
path component, and :func:`inside` checks a finished path stays in its output folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_DOTS = re.compile(r"\.{2,}")
MAX_BYTES = 150


class UnsafePathError(ValueError):
    """A built output path would leave its output folder."""


def safe_name(text: object, fallback: str = "_") -> str:
    """One safe path component: no separators, NUL/control characters, '..' or leading dots; Chinese kept."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _BAD.sub("_", s)
    s = _DOTS.sub("_", s)
    s = re.sub(r"_+", "_", re.sub(r"\s+", "_", s)).strip("._ ")
    while len(s.encode("utf-8")) > MAX_BYTES:
        s = s[:-1]
    return s or fallback


def inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise UnsafePathError when it is not inside ``base``."""
    b = Path(base).resolve()
    p = Path(path).resolve()
    if p != b and b not in p.parents:
        raise UnsafePathError(f"{p} is outside {b}")
    return p
