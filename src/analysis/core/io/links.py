"""Atomic exchange of two paths, symlinks switched in one step, and the pid checks and removal the cleaners use."""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
from pathlib import Path

from analysis.core.io.faults import fault_point
from analysis.core.io.files import part_prefix

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_exchange_unsupported = False


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``). Returns False when
    the system or file system cannot (the caller then falls back to two renames); other errors are raised."""
    global _exchange_unsupported
    if _exchange_unsupported or not sys.platform.startswith("linux") or os.environ.get("ANALYSIS_NO_EXCHANGE"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        _exchange_unsupported = True
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        _exchange_unsupported = err == errno.ENOSYS
        return False
    raise OSError(err, os.strerror(err), str(b))


def set_link(link: Path, target: str) -> None:
    """Make ``link`` a symlink to ``target`` in one step (a new link renamed over the old one)."""
    link = Path(link)
    for _ in range(10):
        tmp = link.parent / f"{part_prefix(link.name)}{os.urandom(4).hex()}"
        try:
            os.symlink(target, tmp)
            break
        except FileExistsError:
            continue
    os.replace(tmp, link)


def read_link(link: Path) -> str | None:
    try:
        return os.readlink(link)
    except OSError:
        return None


def pid_of(name: str, marker: str) -> int | None:
    """The pid written after ``marker`` in a leftover's name (``.x.part-123-…``, ``.building-123-…``)."""
    m = re.search(re.escape(marker) + r"(\d+)", name)
    return int(m.group(1)) if m else None


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale(pid: int | None) -> bool:
    """A leftover may be removed when its process is gone (the caller holds the pipeline lock, so no live build or
    run can be writing it; the pid check is the second safeguard)."""
    return not pid_alive(pid)


def remove_path(path: Path) -> None:
    fault_point(f"remove {path.name}")
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)
