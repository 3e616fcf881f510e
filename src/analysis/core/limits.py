"""Per-file time limit for reading inputs (README "Limits and bad files").

Size limits (bytes, characters, pages, nesting depth, sheet dimensions, CSV field size, YAML aliases) live beside the
reader they guard (ingest/reports/documents/, ingest/datasets/, io.safe_yaml_load). This module adds the one limit
that is not a size: the wall-clock time one input file may take to read and extract, ``FILE_SECONDS`` (120 s; environment
variable ``ANALYSIS_FILE_SECONDS``, 0 = no limit). A file over it raises :class:`FileTimeLimit`, which the build turns
into an error finding for that file and goes on with the next one.

The limit is a POSIX interval timer (``signal.setitimer``) in the main thread: Python code is interrupted at the
next bytecode, a long call inside a C library when it returns (the size limits keep those calls bounded). Outside
the main thread, or where SIGALRM does not exist, the size limits alone apply.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

FILE_SECONDS = 120.0


class FileTimeLimit(BaseException):  # noqa: N818 - reads as what happened
    """Reading one input file took longer than its time limit. A BaseException (like KeyboardInterrupt), so the
    broad ``except Exception`` of a reader or a library cannot swallow it: it always reaches the build's loop."""

    def __init__(self, what: str, seconds: float):
        self.what, self.seconds = what, seconds
        super().__init__(
            f"{what}：读取超过 {seconds:g} 秒的时间上限，已停止读取此文件（ANALYSIS_FILE_SECONDS 可调整上限）"
        )


def file_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("ANALYSIS_FILE_SECONDS", FILE_SECONDS)))
    except ValueError:
        return FILE_SECONDS


@contextlib.contextmanager
def time_limit(what: str, seconds: float | None = None) -> Iterator[None]:
    """Raise :class:`FileTimeLimit` inside the block when it runs longer than ``seconds`` (default
    :func:`file_seconds`). A no-op outside the main thread, without SIGALRM, or with a limit of 0."""
    seconds = file_seconds() if seconds is None else seconds
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _expired(signum, frame):
        raise FileTimeLimit(what, seconds)

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
