"""Safe writing: every output is written to a temporary file beside its target and renamed into place, so an
interrupted command leaves the previous good output intact. Writing under data/raw is refused."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from analysis import paths


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


_BAD_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_DOTS = re.compile(r"\.{2,}")
MAX_NAME_BYTES = 150


def safe_name(text: object, fallback: str = "_") -> str:
    """One safe path component made from a unit name or parameter value: no separators, NUL/control characters,
    '..' or leading dots, at most 150 bytes; Chinese kept. The one sanitizer for every output name."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _BAD_IN_NAME.sub("_", s)
    s = _DOTS.sub("_", s)
    s = re.sub(r"_+", "_", re.sub(r"\s+", "_", s)).strip("._ ")
    while len(s.encode("utf-8")) > MAX_NAME_BYTES:
        s = s[:-1]
    return s.rstrip("._ ") or fallback


class RawWriteError(PermissionError):
    """A command tried to write under data/raw, which is kept as received."""


def guard_not_raw(target: Path) -> Path:
    target = Path(target).resolve()
    raw = paths.raw_dir().resolve()
    if target == raw or raw in target.parents:
        raise RawWriteError(f"refusing to write {target}: data/raw is kept as received and never written by code")
    return target


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` atomically, on error it is removed."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: str | os.PathLike, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


@contextlib.contextmanager
def staged_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging directory; on success it replaces ``target`` as a whole (the old one is removed only
    after the new one is in place), on error the staging directory is removed and ``target`` is untouched."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.", dir=target.parent))
    os.chmod(stage, 0o777 & ~_UMASK)  # mkdtemp makes 0700; the published folder gets the usual permissions
    try:
        yield stage
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old.{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(stage, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
