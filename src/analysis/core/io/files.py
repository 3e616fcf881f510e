"""One file written atomically (a temporary ``.<name>.part-<pid>-…`` file beside the target, then ``os.replace``),
safe output names, the write check of a folder and file hashes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from analysis.core.io.faults import fault_point
from analysis.core.io.rawguard import guard_not_raw


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _current_umask()


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


def part_prefix(name: str) -> str:
    """The name prefix of a temporary file or link that becomes ``name`` (the pid tells the cleaner whose it is)."""
    return f".{name}.part-{os.getpid()}-"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` atomically, on error it is removed."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=part_prefix(target.name), suffix=suffix or target.suffix or ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~UMASK)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        fault_point(f"write {target.name}", target)
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


def ensure_writable(folder: Path) -> None:
    """Fail at once, with the OSError the CLI turns into a Chinese message, when ``folder`` cannot be written (a
    read-only data/processed), instead of after the whole build has been computed."""
    folder = guard_not_raw(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from exc


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
