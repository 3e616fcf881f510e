"""A pool of pre-started, pre-warmed Jupyter kernels, each used for exactly one notebook and then discarded.

Per notebook, starting a kernel and importing pandas + matplotlib in it cost more than the notebook's own work
(docs: shared/reference/perf.md). The pool starts kernels ahead of time and imports the heavy modules in them while
other notebooks execute, so a run gets a kernel that is already warm. The warm-up code runs with ``silent=True`` and
``store_history=False``: it binds no names, adds nothing to the history and is not part of the output notebook. Each
kernel runs ONE notebook and is shut down afterwards, so no state leaks from one run into another.

Kernel start is retried: under parallel starts jupyter_client can lose the port race ("ZMQError: Address already in
use", papermill issue 511) or a kernel can fail to answer ("Kernel didn't respond in 60 seconds"). A failed start is
cleaned up and retried with a jittered backoff; a kernel process that exits before answering (what a port clash
looks like from here) is noticed within 50 ms and retried at once, not after the start timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

START_ATTEMPTS = 6
READY_TIMEOUT = 60.0
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@dataclass
class Kernel:
    """A started kernel: its manager and a connected client. ``attempts`` = starts it took."""

    km: Any  # jupyter_client.AsyncKernelManager
    kc: Any  # jupyter_client.AsyncKernelClient
    attempts: int = 1


def warmup_code(modules: list[str]) -> str:
    """Code that imports ``modules`` without binding any name in the user namespace; failures are ignored."""
    lines = []
    for mod in modules:
        lines.append(f"try:\n    __import__({mod!r})\nexcept Exception:\n    pass")
    return "\n".join(lines)


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the caller's, but figures always render inline (a caller's MPLBACKEND=Agg, e.g. set
    by a test suite, would otherwise leave the HTML pages without charts)."""
    env = dict(os.environ)
    env["MPLBACKEND"] = INLINE_BACKEND
    # the executed notebook and its HTML are written beside the charts: show charts by file name, not embedded copies
    env["ANALYSIS_LINK_CHARTS"] = "1"
    return env


def is_retryable(exc: BaseException) -> bool:
    import zmq

    text = f"{type(exc).__name__}: {exc}"
    markers = ("Address already in use", "didn't respond", "ZMQError", "Kernel died", "timed out", "Timeout")
    return isinstance(exc, TimeoutError | RuntimeError | OSError | zmq.ZMQError) or any(m in text for m in markers)


SEND_TIMEOUT_MS = 10_000  # the longest a message to a kernel may wait to be taken by its socket (see bound_sends)


def bound_sends(kc: Any, timeout_ms: int = SEND_TIMEOUT_MS) -> Any:
    """Give every channel socket of kernel client ``kc`` a send timeout (ZMQ_SNDTIMEO), so that a send to a kernel
    whose socket never took the connection (a kernel that lost the port race while its client was already
    connecting) raises zmq.Again after ``timeout_ms`` instead of blocking the event loop for ever: pyzmq's asyncio
    socket sends without DONTWAIT once it has seen the socket writable, and a full queue to an absent peer then
    blocks (seen once in the 100-parallel-start test: the batch hung in a kernel_info send).
    Channels not started yet are left alone. Returns ``kc``."""
    import zmq

    for name in ("shell_channel", "control_channel", "stdin_channel", "iopub_channel"):
        ch = getattr(kc, f"_{name}", None)
        sock = getattr(ch, "socket", None) if ch is not None else None
        if sock is not None:
            with contextlib.suppress(zmq.ZMQError):
                sock.setsockopt(zmq.SNDTIMEO, timeout_ms)
    return kc


async def shutdown_kernel(kernel_or_km: Any, kc: Any = None) -> None:
    km = getattr(kernel_or_km, "km", kernel_or_km)
    kc = getattr(kernel_or_km, "kc", kc)
    # the kernel first (a forked kernel gets its shutdown_request over the client's control channel), then the client
    with contextlib.suppress(Exception):
        if km is not None and km.has_kernel:
            await km.shutdown_kernel(now=True)
    with contextlib.suppress(Exception):
        if kc is not None:
            kc.stop_channels()
    with contextlib.suppress(Exception):
        if km is not None:
            await km.cleanup_resources()


POLL_ALIVE = 0.05


async def wait_ready_or_died(km: Any, kc: Any, timeout: float) -> None:
    """Wait until the kernel answers; fail at once (not after ``timeout``) when its process has already exited.

    A kernel that lost the port race ("ZMQError: Address already in use" while it binds the ports in its connection
    file, papermill issue 511) exits right away; waiting for its reply would cost the whole start timeout.
    """
    ready = asyncio.ensure_future(kc.wait_for_ready(timeout=timeout))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready.done():
            await asyncio.wait({ready}, timeout=POLL_ALIVE)
            if ready.done():
                break
            if not await km.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info (port clash? Address already in use)")
            if loop.time() > deadline:
                raise TimeoutError(f"Kernel didn't respond in {timeout:.0f} seconds")
        ready.result()
    finally:
        if not ready.done():
            ready.cancel()
            with contextlib.suppress(BaseException):
                await ready


async def start_kernel(
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    preload: list[str] | None = None,
    attempts: int = START_ATTEMPTS,
    ready_timeout: float = READY_TIMEOUT,
    env: dict[str, str] | None = None,
    _start: Callable[..., Any] | None = None,
) -> Kernel:
    """Start one kernel, wait until it answers, import ``preload`` in it; retry on port races and timeouts."""
    from jupyter_client.manager import AsyncKernelManager

    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        km = kc = None
        try:
            if _start is not None:  # test hook: lets a test inject start failures
                await _start(attempt)
            km = AsyncKernelManager(kernel_name=kernel_name)
            # The kernel's own log (e.g. its warning about TCP without encryption, once per kernel) is noise here;
            # errors still reach stderr.
            kwargs: dict[str, Any] = {"cwd": str(cwd) if cwd else None, "extra_arguments": ["--log-level=ERROR"]}
            kwargs["env"] = env if env is not None else kernel_env()
            await km.start_kernel(**kwargs)
            kc = km.client()
            kc.start_channels()
            bound_sends(kc)
            await wait_ready_or_died(km, kc, ready_timeout)
            if preload:
                reply = await kc.execute_interactive(
                    warmup_code(preload), silent=True, store_history=False, timeout=ready_timeout
                )
                if reply.get("content", {}).get("status") != "ok":
                    raise RuntimeError(f"kernel warm-up failed: {reply.get('content')}")
            return Kernel(km=km, kc=kc, attempts=attempt)
        except Exception as exc:  # noqa: BLE001 - every start failure is retried, the last one re-raised
            last = exc
            await shutdown_kernel(km, kc)
            if attempt == attempts or not is_retryable(exc):
                break
            delay = min(0.2 * 2 ** (attempt - 1), 3.0) * (0.5 + random.random())
            if "died before replying" in str(exc) or "Address already in use" in str(exc):
                delay = 0.1 * random.random()  # a port clash: new ports at once
            log.warning("kernel start failed (%s: %s); retry %d in %.2fs", type(exc).__name__, exc, attempt, delay)
            await asyncio.sleep(delay)
    raise RuntimeError(f"could not start a kernel after {attempts} attempts: {type(last).__name__}: {last}") from last


class KernelPool:
    """Keeps up to ``size`` warm kernels ready; :meth:`acquire` hands one out and starts a replacement.

    Use as ``async with KernelPool(size, ...) as pool: kernel = await pool.acquire(); ...; await pool.discard(kernel)``.
    At most ``size`` kernels are being started at any time; kernels left in the pool are shut down on exit.
    """

    def __init__(
        self,
        size: int,
        kernel_name: str = "python3",
        cwd: str | Path | None = None,
        preload: list[str] | None = None,
        demand: int | None = None,
    ) -> None:
        self.size = max(1, size)
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.preload = list(preload or [])
        self.remaining = demand  # how many kernels will be needed in total (None: unknown), so none are wasted
        self._ready: asyncio.Queue[asyncio.Task] = asyncio.Queue()
        self._pending: set[asyncio.Task] = set()
        self._cleanup: set[asyncio.Task] = set()

    async def __aenter__(self) -> KernelPool:
        for _ in range(self.size):
            self._spawn()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _spawn(self, force: bool = False) -> None:
        if self.remaining is not None:
            if self.remaining <= 0 and not force:
                return
            self.remaining -= 1
        task = asyncio.ensure_future(self._starter())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        self._ready.put_nowait(task)

    def _starter(self) -> Any:
        """The coroutine that starts one kernel (subclasses start kernels differently)."""
        return start_kernel(self.kernel_name, self.cwd, self.preload)

    async def acquire(self) -> Kernel:
        """A warm kernel (waits for the oldest one being started); raises when its start failed after retries."""
        if self._ready.empty():
            self._spawn(force=True)  # more acquires than announced: never wait on an empty queue
        task = await self._ready.get()
        self._spawn()  # keep the pool full while this kernel works
        return await task

    def discard(self, kernel: Kernel) -> None:
        """Shut a used kernel down in the background (it is never handed out again)."""
        task = asyncio.ensure_future(shutdown_kernel(kernel))
        self._cleanup.add(task)
        task.add_done_callback(self._cleanup.discard)

    async def close(self) -> None:
        leftovers = []
        while not self._ready.empty():
            leftovers.append(self._ready.get_nowait())
        for task in leftovers:
            try:
                kernel = await task
            except Exception:  # noqa: BLE001 - a failed start has nothing to shut down
                continue
            await shutdown_kernel(kernel)
        if self._cleanup:
            await asyncio.gather(*self._cleanup, return_exceptions=True)
