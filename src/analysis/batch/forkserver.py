"""Kernels forked from a pre-warmed template process: a fresh process per notebook for a fraction of the start cost.

A fresh Jupyter kernel costs ~0.5 s to start plus ~1.2 s of CPU to import pandas, matplotlib and the ``analysis``
chart/report modules — more than many notebooks' own work. The fork server (the "zygote" pattern, like
multiprocessing's forkserver) pays that once per batch:

* the **template** (a ``python -c`` process running :func:`analysis.batch.forktemplate.template_main`, started once per ``run_all``) imports ipykernel and the
  ``kernel_preload`` modules, then waits on a pipe. It creates no zmq context, no sockets and no threads, so forking
  it is safe;
* for each kernel the runner writes a connection file (fresh ports and key) and asks the template to ``os.fork()``;
  the **child** starts a new session, changes into the notebook folder, reseeds numpy's global RNG and runs
  ``IPKernelApp -f <connection file>``: a normal kernel whose memory is a copy-on-write copy of the template (no
  state of any earlier run: every kernel is forked from the template, never from another kernel);
* the runner connects a :class:`ForkedKernelClient`, runs ONE notebook, sends ``shutdown_request`` and asks the
  template to SIGKILL the child if it has not exited after a grace period. The template reaps its children, reports
  every exit over the pipe, kills whatever is left when the pipe closes, and each child dies with the template
  (``PR_SET_PDEATHSIG``), so no kernel outlives the batch.

Protocol (JSON lines; runner → template on the template's stdin, template → runner on its stdout — the template
moves its own stdout onto stderr at start, so kernels' stray prints never corrupt the protocol):
``{"op": "fork", "connfile", "cwd"}`` → ``{"op": "forked", "pid"}`` or ``{"op": "error", "error"}``;
``{"op": "kill", "pid", "sig"}``; ``{"op": "quit"}``; unsolicited ``{"op": "exit", "pid", "status"}``;
the first line is ``{"op": "ready", "pid", "failed": [modules that did not import]}``.

``ANALYSIS_KERNELS=fresh`` selects the old :class:`~analysis.batch.kernels.KernelPool` (a kernel process started
from scratch per notebook); :func:`open_pool` also falls back to it, with a note on stderr, when the template
cannot start.

This module is the runner side; the template side (the template process and the forked child) is
:mod:`analysis.batch.forktemplate`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

from analysis.batch.forktemplate import SHUTDOWN_GRACE, TEMPLATE_COMMAND, WARM_ENV
from analysis.batch.kernels import (
    READY_TIMEOUT,
    START_ATTEMPTS,
    Kernel,
    KernelPool,
    bound_sends,
    is_retryable,
    kernel_env,
    log,
    shutdown_kernel,
)

ENV_SWITCH = "ANALYSIS_KERNELS"
TEMPLATE_START_TIMEOUT = 120.0


class ForkServerError(RuntimeError):
    """The template could not start, refused to fork, or died."""


class ForkServer:
    """Runner-side handle of one template process. ``await ForkServer.start(preload)``, then :meth:`fork`."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.failed_imports: list[str] = []
        self._replies: list[asyncio.Future] = []
        self._exits: dict[int, asyncio.Future] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self.dead: str | None = None

    @classmethod
    async def start(
        cls,
        preload: list[str],
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout: float = TEMPLATE_START_TIMEOUT,
    ) -> ForkServer:
        """Start the template with ``env`` (default :func:`kernel_env`) and wait until it has imported ``preload``."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            TEMPLATE_COMMAND,
            json.dumps(list(preload)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env if env is not None else kernel_env(),
            cwd=str(cwd) if cwd else None,
        )
        server = cls(proc)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout)
            msg = json.loads(line) if line.strip() else {"op": "fatal", "error": "template exited before ready"}
            if msg.get("op") != "ready":
                raise ForkServerError(f"fork server did not start: {msg.get('error', msg)}")
        except BaseException:
            await server._terminate()
            raise
        server.failed_imports = list(msg.get("failed", []))
        server._reader = asyncio.ensure_future(server._read())
        return server

    def exited(self, pid: int) -> asyncio.Future:
        """A future with the exit code of child ``pid`` (set when the template reaped it)."""
        if pid not in self._exits:
            self._exits[pid] = asyncio.get_running_loop().create_future()
        return self._exits[pid]

    async def _read(self) -> None:
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                msg = json.loads(line)
                if msg.get("op") == "exit":
                    fut = self.exited(int(msg["pid"]))
                    if not fut.done():
                        fut.set_result(int(msg["status"]))
                elif self._replies:
                    fut = self._replies.pop(0)
                    if not fut.done():
                        fut.set_result(msg)
        finally:
            self.dead = self.dead or "fork server exited"
            for fut in self._replies:
                if not fut.done():
                    fut.set_exception(ForkServerError(self.dead))
            self._replies.clear()
            for fut in self._exits.values():  # the children died with the template (PR_SET_PDEATHSIG / cleanup)
                if not fut.done():
                    fut.set_result(-signal.SIGKILL)

    async def _send(self, **msg: Any) -> None:
        if self.dead or self.proc.stdin is None or self.proc.stdin.is_closing():
            raise ForkServerError(self.dead or "fork server is closed")
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        await self.proc.stdin.drain()

    async def fork(self, connfile: str | Path, cwd: str | Path | None) -> int:
        """Fork a kernel child serving ``connfile`` in ``cwd``; returns its pid."""
        async with self._lock:  # replies come back in request order
            fut = asyncio.get_running_loop().create_future()
            self._replies.append(fut)
            await self._send(op="fork", connfile=str(connfile), cwd=str(cwd) if cwd else None)
            msg = await fut
        if msg.get("op") != "forked":
            raise ForkServerError(str(msg.get("error", msg)))
        pid = int(msg["pid"])
        self.exited(pid)
        return pid

    async def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        """Ask the template to signal its child ``pid`` (a no-op if it has already been reaped)."""
        with contextlib.suppress(ForkServerError, ConnectionError):
            await self._send(op="kill", pid=pid, sig=int(sig))

    async def close(self, timeout: float = 10.0) -> None:
        """Stop the template; it terminates and reaps every child still running."""
        with contextlib.suppress(ForkServerError, ConnectionError):
            await self._send(op="quit")
        await self._terminate(timeout)

    async def _terminate(self, timeout: float = 10.0) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        self.dead = self.dead or "fork server closed"
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, 5)


class ForkedKernelClient(AsyncKernelClient):
    """A kernel client whose ``is_alive`` follows the forked child's process (reported by the template)."""

    forked: Any = None  # the ForkedKernelManager

    async def _async_is_alive(self) -> bool:
        return self.forked is not None and self.forked.alive

    is_alive = _async_is_alive


class ForkedKernelManager:
    """Just enough of a KernelManager for nbclient and :func:`~analysis.batch.kernels.shutdown_kernel`."""

    def __init__(self, server: ForkServer, pid: int, connfile: Path, info: dict, kernel_name: str = "python3") -> None:
        self.server = server
        self.pid = pid
        self.connfile = connfile
        self.info = info
        self.kernel_name = kernel_name
        self.kernel_id = f"fork-{pid}"
        self._kc: ForkedKernelClient | None = None

    @property
    def alive(self) -> bool:
        return not self.server.exited(self.pid).done()

    @property
    def has_kernel(self) -> bool:
        return self.alive

    async def is_alive(self) -> bool:
        return self.alive

    def client(self) -> ForkedKernelClient:
        """The first call gives the pool's client (kept for the shutdown request); later calls (e.g. the papermill
        engine, running in its own thread and event loop) get a new client of the same kernel."""
        kc = ForkedKernelClient()
        kc.load_connection_info(self.info)
        kc.forked = self
        if self._kc is None:
            self._kc = kc
        return kc

    async def interrupt_kernel(self) -> None:
        await self.server.kill(self.pid, signal.SIGINT)

    async def shutdown_kernel(self, now: bool = False, grace: float = SHUTDOWN_GRACE) -> None:
        """``shutdown_request`` over the control channel, SIGKILL if the child has not exited after ``grace``."""
        done = self.server.exited(self.pid)
        if done.done():
            return
        kc = self._kc
        if kc is not None and kc.channels_running:
            with contextlib.suppress(Exception):
                kc.shutdown()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), 0.0 if kc is None else grace)
            return
        await self.server.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), 10)

    async def cleanup_resources(self) -> None:
        with contextlib.suppress(OSError):
            self.connfile.unlink()


def _connection_file(folder: Path, kernel_name: str) -> tuple[Path, dict]:
    from jupyter_client.connect import write_connection_file

    path = folder / f"kernel-fork-{uuid.uuid4().hex}.json"
    _, info = write_connection_file(
        str(path), ip="127.0.0.1", key=uuid.uuid4().hex.encode(), transport="tcp", kernel_name=kernel_name
    )
    return path, dict(info)


async def start_forked_kernel(
    server: ForkServer,
    cwd: str | Path | None = None,
    attempts: int = START_ATTEMPTS,
    ready_timeout: float = READY_TIMEOUT,
    kernel_name: str = "python3",
    conn_dir: str | Path | None = None,
) -> Kernel:
    """Fork one kernel from ``server``, wait until it answers; retry port races, early deaths and timeouts."""
    folder = Path(conn_dir or tempfile.gettempdir())
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        km: ForkedKernelManager | None = None
        kc = None
        try:
            path, info = _connection_file(folder, kernel_name)
            try:
                pid = await server.fork(path, cwd)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            km = ForkedKernelManager(server, pid, path, info, kernel_name)
            kc = km.client()
            kc.start_channels(hb=False)
            bound_sends(kc)
            ready = asyncio.ensure_future(kc.wait_for_ready(timeout=ready_timeout))
            died = server.exited(pid)
            await asyncio.wait({ready, died}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready.done():
                ready.result()
                return Kernel(km=km, kc=kc, attempts=attempt)
            ready.cancel()
            with contextlib.suppress(BaseException):
                await ready
            if died.done():
                raise RuntimeError(f"Kernel died before replying to kernel_info (exit status {died.result()})")
            raise TimeoutError(f"Kernel didn't respond in {ready_timeout:.0f} seconds")
        except Exception as exc:  # noqa: BLE001 - every start failure is retried, the last one re-raised
            last = exc
            await shutdown_kernel(km, kc)
            if attempt == attempts or not is_retryable(exc) or server.dead:
                break
            delay = min(0.2 * 2 ** (attempt - 1), 3.0) * (0.5 + random.random())
            log.warning(
                "forked kernel start failed (%s: %s); retry %d in %.2fs", type(exc).__name__, exc, attempt, delay
            )
            await asyncio.sleep(delay)
    raise RuntimeError(f"could not start a kernel after {attempts} attempts: {type(last).__name__}: {last}") from last


class ForkServerPool(KernelPool):
    """A :class:`KernelPool` whose kernels are forked from ``server``; closing the pool also stops the server."""

    def __init__(self, server: ForkServer, size: int, cwd: str | Path | None = None, demand: int | None = None) -> None:
        super().__init__(size, cwd=cwd, demand=demand)
        self.server = server
        self._conn_dir = tempfile.mkdtemp(prefix="analysis-kernels-")

    def _starter(self) -> Any:
        return start_forked_kernel(self.server, self.cwd, conn_dir=self._conn_dir)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            await self.server.close()
            with contextlib.suppress(OSError):
                for leftover in Path(self._conn_dir).glob("*.json"):
                    leftover.unlink()
                os.rmdir(self._conn_dir)


def use_fork_server() -> bool:
    """False when ``ANALYSIS_KERNELS=fresh`` asks for a new kernel process started from scratch per notebook."""
    return os.environ.get(ENV_SWITCH, "fork").strip().lower() not in ("fresh", "pool", "0", "off", "no")


async def open_pool(
    size: int,
    cwd: str | Path | None = None,
    preload: list[str] | None = None,
    demand: int | None = None,
    warm_processed: str | Path | None = None,
) -> KernelPool:
    """The kernel pool for a local batch: forked kernels when possible, else (switch or failure) fresh ones."""
    if use_fork_server():
        try:
            env = kernel_env()
            if warm_processed:
                env[WARM_ENV] = str(warm_processed)
            server = await ForkServer.start(list(preload or []), env=env, cwd=cwd)
        except Exception as exc:  # noqa: BLE001 - fall back to the slower but independent pool
            print(f"fork server unavailable ({type(exc).__name__}: {exc}); using fresh kernels", file=sys.stderr)
        else:
            return ForkServerPool(server, size, cwd=cwd, demand=demand)
    return KernelPool(size, cwd=cwd, preload=preload, demand=demand)
