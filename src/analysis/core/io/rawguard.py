"""Path safety: nothing is ever written under data/raw, and a built output path stays inside its folder."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.core import paths


class UnsafePathError(ValueError):
    """A built output path would leave its output folder."""


def inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise UnsafePathError when it is not inside ``base``."""
    b = Path(base).resolve()
    p = Path(path).resolve()
    if p != b and b not in p.parents:
        raise UnsafePathError(f"{p} 不在 {b} 之内")
    return p


class RawWriteError(PermissionError):
    """A command tried to write under data/raw, which is kept as received."""


def guard_not_raw(target: Path) -> Path:
    target = Path(target).resolve()
    raw = paths.raw_dir().resolve()
    if target == raw or raw in target.parents:
        raise RawWriteError(f"拒绝写入 {target}：data/raw 保持收到时的原样，程序从不写入")
    return target
