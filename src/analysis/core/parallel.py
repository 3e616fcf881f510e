"""Work spread over forked processes (Linux ``fork``): the children inherit everything the parent has loaded (tables,
fonts, imported modules), so only the items' positions and the small results cross between processes.

Every child gets ``SIGKILL`` when the parent dies (``PR_SET_PDEATHSIG``), so a killed run leaves no worker behind
that would go on writing. Where ``fork`` is missing, or with one job, the work runs in this process, in order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

_TASK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def available_jobs() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _call(i: int) -> Any:
    assert _TASK is not None
    fn, items = _TASK
    return fn(items[i])


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, computed by up to ``jobs`` forked processes (default: the cores); results in the
    order of ``items``. ``fn`` may be any callable (a closure too: it is inherited, not pickled); each result must
    pickle. An exception in a child is raised here."""
    global _TASK
    items = list(items)
    jobs = available_jobs() if jobs is None else int(jobs)
    if jobs <= 1 or len(items) <= 1 or not can_fork() or _TASK is not None:
        return [fn(x) for x in items]
    _TASK = (fn, items)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(jobs, len(items)), initializer=die_with_parent) as pool:
            return pool.map(_call, range(len(items)), chunksize=1)
    finally:
        _TASK = None


class Background:
    """``fn(*args)`` started in one forked process now; :meth:`result` waits for it (raising its exception). Without
    ``fork`` the call runs at once, here. ``fn`` must be a module-level function (it is pickled by name)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._pool = None
        self._value: Any = None
        if can_fork():
            self._pool = multiprocessing.get_context("fork").Pool(1, initializer=die_with_parent)
            self._async = self._pool.apply_async(fn, args)
        else:
            self._value = fn(*args)

    def result(self) -> Any:
        if self._pool is None:
            return self._value
        try:
            self._value = self._async.get()
        finally:
            self.close()
        return self._value

    def close(self) -> None:
        """Stop the process (when the caller gives up on the result)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
