"""Numbered fault points between file operations, for the crash tests (driven by environment variables)."""

from __future__ import annotations

import errno
import os
import signal

FAULT_ENV = "ANALYSIS_FAULT_AT"
FAULT_LOG_ENV = "ANALYSIS_FAULT_LOG"
_fault_count = 0
_fault_fired = False


def fault_point(label: str, path: str | os.PathLike | None = None) -> None:
    """A numbered point between two file operations of a build or run, for the crash tests. Without the environment
    variables it does nothing. ``ANALYSIS_FAULT_LOG=<file>`` appends one line per point (to count them);
    ``ANALYSIS_FAULT_AT=<k>`` kills this process with SIGKILL at the k-th point (``<label>`` instead of ``<k>``: at the
    first point of that label; ``<prefix>*``: the first whose label starts so), ``…:enospc`` / ``…:erofs`` raise the
    OSError a full disk / a read-only folder gives there instead."""
    global _fault_count, _fault_fired
    spec, log = os.environ.get(FAULT_ENV), os.environ.get(FAULT_LOG_ENV)
    if not spec and not log:
        return
    _fault_count += 1
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{_fault_count}\t{label}\n")
    if not spec:
        return
    at, _, kind = spec.rpartition(":") if spec.endswith((":enospc", ":erofs")) else (spec, "", "")
    if at.isdigit():
        hit = _fault_count == int(at)
    else:
        hit = label.startswith(at[:-1]) if at.endswith("*") else label == at
    if not hit or _fault_fired:
        return
    _fault_fired = True
    if kind == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path or label))
    if kind == "erofs":
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path or label))
    os.kill(os.getpid(), signal.SIGKILL)
