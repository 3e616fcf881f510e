"""Safe file names from unit names and parameters: Chinese kept, path tricks removed.

A district name or a parameter value becomes part of an output path; :func:`safe_name` makes sure it is one plain
path component, and :func:`inside` checks a finished path stays in its output folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.core.io import safe_name  # noqa: F401  (the one sanitizer; re-exported for the chart code)


class UnsafePathError(ValueError):
    """A built output path would leave its output folder."""


def inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise UnsafePathError when it is not inside ``base``."""
    b = Path(base).resolve()
    p = Path(path).resolve()
    if p != b and b not in p.parents:
        raise UnsafePathError(f"{p} 不在 {b} 之内")
    return p
