"""The fork server's template process (see analysis.batch.forkserver for the design and the protocol).

Runs in the template process and, after ``os.fork()``, in the kernel child: import the preload modules and warm the
caches once (:func:`template_main`), serve fork/kill/quit requests on the protocol pipe (:class:`Template`), and turn
each forked child into an ipykernel (:func:`become_kernel`). It creates no zmq context, no sockets and no threads, so
forking it is safe; the runner side (analysis.batch.forkserver) starts it with :data:`TEMPLATE_COMMAND`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import selectors
import signal
import sys
import threading
import time
import traceback
from typing import Any

SHUTDOWN_GRACE = 3.0
# after a shutdown_request: how long the kernel waits for its control thread to finish that request (see
# finish_control_thread); well inside SHUTDOWN_GRACE, after which the runner kills the kernel anyway
CONTROL_FINISH_TIMEOUT = 2.0
# imported by every kernel during start-up: importing them in the template makes each child's start cheaper
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.iostream",
    "ipykernel.heartbeat",
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    # what IPKernelApp.initialize imports on top of the above (measured: 0.28 → 0.06 cpu-s per kernel start); the
    # kernel's debugger support imports debugpy/pydevd, most of it
    "ipykernel.debugger",
    "ipykernel.comm",
    "ipykernel.control",
    "ipykernel.eventloops",
    "ipykernel.parentpoller",
    "ipykernel.displayhook",
    "ipykernel.compiler",
    "IPython.core.history",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "tornado.ioloop",
    "tornado.queues",
    "tornado.platform.asyncio",
    "sqlite3",
    "psutil",
    "faulthandler",
    "pdb",
)
# Batch kernels keep no input history on disk: each one would open (and lock) the same IPython history database and
# start a thread to write it, for notebooks that are executed once and discarded. In/Out stay available in memory.
KERNEL_ARGS = ("--log-level=ERROR", "--HistoryManager.enabled=False")
_REAP_INTERVAL = 0.05
# `-c`, not `-m analysis.batch.forktemplate`: the package __init__ imports the batch modules first, and runpy would warn
TEMPLATE_COMMAND = "from analysis.batch.forktemplate import template_main; raise SystemExit(template_main())"


def preload_modules(modules: list[str]) -> list[str]:
    """Import ``modules`` (and what every kernel imports at start-up); returns the ones that failed to import."""
    failed = []
    for mod in list(KERNEL_MODULES) + list(modules):
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001 - a notebook that needs it will fail visibly; the others still run
            failed.append(mod)
    return failed


WARM_ENV = "ANALYSIS_WARM_PROCESSED"


def warm_caches(processed_dir: str) -> list[str]:
    """In the template: read the batch's data/processed tables, the registry, the config and the chart font once, so every forked
    kernel has them in memory (see analysis.tidy.load.warm). Nothing when ``processed_dir`` is empty."""
    if not processed_dir:
        return []
    failed = []
    try:
        from analysis.tidy import load

        failed += [f"data:{name}" for name in load.warm(processed_dir)]
    except Exception:  # noqa: BLE001 - kernels then read the data themselves
        failed.append("analysis.tidy.load.warm")
    with contextlib.suppress(Exception):
        from analysis.metrics.config import load_config

        load_config()
    with contextlib.suppress(Exception):
        # the font only: rcParams stay as a fresh kernel has them until a notebook applies the house style itself
        from analysis.present.charts.style import register_cjk_font

        register_cjk_font()
    return failed


def fork_safety_problem() -> str | None:
    """Why forking this process now would be unsafe (threads or a zmq context exist), or None."""
    if threading.active_count() != 1:
        return f"template has {threading.active_count()} threads"
    zmq = sys.modules.get("zmq")
    if zmq is not None and getattr(zmq.Context, "_instance", None) is not None:
        return "template has a zmq context"
    return None


def _set_parent_death_signal() -> None:
    """Linux: the kernel gets SIGKILL when the template dies (no orphaned kernels if the runner is killed)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _reseed_after_fork() -> None:
    """Give the child the fresh random state a new process would have (``random`` is reseeded by Python itself)."""
    np = sys.modules.get("numpy")
    if np is not None:
        with contextlib.suppress(Exception):
            np.random.seed()


def become_kernel(connfile: str, cwd: str | None) -> int:
    """In the forked child: turn this process into an ipykernel serving ``connfile``; returns the exit code."""
    os.setsid()  # like jupyter_client's start_new_session: a Ctrl-C in the runner's terminal does not hit the kernel
    _set_parent_death_signal()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if cwd:
        os.chdir(cwd)
    _reseed_after_fork()
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [sys.argv[0], "-f", connfile]
    app = IPKernelApp.instance()
    app.initialize(["-f", connfile, *KERNEL_ARGS])
    app.start()
    finish_control_thread(app)
    return 0


def finish_control_thread(app: Any, timeout: float = CONTROL_FINISH_TIMEOUT) -> bool:
    """After the kernel's main loop has stopped: let the control thread finish the request that stopped it, while
    the IOPub thread still runs. Returns whether the control thread has ended.

    A shutdown_request is handled on the control thread: it replies, tells both loops to stop, then flushes stdout,
    which waits for the IOPub thread. The main loop often stops first; the atexit ``IPKernelApp.close`` then stops
    the IOPub thread before it joins the control thread, so that flush waits its full timeout (ipykernel 7.4:
    10 s) and the runner, after SHUTDOWN_GRACE, kills the kernel. Measured: 2 of 3 forked kernels exited only by
    SIGKILL, 3 s after the request; joined here first, they exit in a few ms with status 0.
    """
    ctl = getattr(app, "control_thread", None)
    if ctl is None or not ctl.is_alive():
        return True
    ctl.join(timeout)
    return not ctl.is_alive()


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _child(connfile: str, cwd: str | None, close_fds: tuple[int, ...]) -> None:
    """Body of the forked child: never returns (``os._exit``), runs atexit handlers like a normal interpreter exit."""
    code = 1
    try:
        for fd in close_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        code = become_kernel(connfile, cwd)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # noqa: BLE001 - report and exit, never fall back into the template's loop
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


class Template:
    """The template's request loop: forks kernels on request, reaps them and reports their exits."""

    def __init__(self, proto_in: int, proto_out: int) -> None:
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.children: set[int] = set()

    def send(self, **msg: Any) -> None:
        data = (json.dumps(msg) + "\n").encode()
        while data:
            data = data[os.write(self.proto_out, data) :]

    def fork(self, connfile: str, cwd: str | None) -> None:
        problem = fork_safety_problem()
        if problem:
            self.send(op="error", error=f"refusing to fork: {problem}")
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            pid = os.fork()
        except OSError as exc:
            self.send(op="error", error=f"fork failed: {exc}")
            return
        if pid == 0:
            _child(connfile, cwd, (self.proto_in, self.proto_out))
        self.children.add(pid)
        self.send(op="forked", pid=pid)

    def kill(self, pid: int, sig: int) -> None:
        if pid in self.children:  # never signal a pid that was reaped (and may have been reused)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.send(op="exit", pid=pid, status=os.waitstatus_to_exitcode(status))

    def handle(self, msg: dict) -> bool:
        """Serve one request; False when the runner asked to quit."""
        op = msg.get("op")
        if op == "fork":
            self.fork(msg["connfile"], msg.get("cwd"))
        elif op == "kill":
            self.kill(int(msg["pid"]), int(msg.get("sig", signal.SIGKILL)))
        elif op == "quit":
            return False
        else:
            self.send(op="error", error=f"unknown request {op!r}")
        return True

    def serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.proto_in, selectors.EVENT_READ)
        buf = b""
        running = True
        while running:
            if sel.select(timeout=_REAP_INTERVAL):
                data = os.read(self.proto_in, 65536)
                if not data:
                    break  # the runner is gone: clean up
                buf += data
                while running and b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        running = self.handle(json.loads(line))
            self.reap()
        self.shutdown()

    def shutdown(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Terminate every child still running (TERM, then KILL after ``grace``) and reap them all."""
        for pid in list(self.children):
            self.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(_REAP_INTERVAL)
        for pid in list(self.children):
            self.kill(pid, signal.SIGKILL)
        while self.children:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.reap()
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            self.children.discard(pid)


def template_main(argv: list[str] | None = None) -> int:
    """Entry point of the template process (:data:`TEMPLATE_COMMAND`); argument: a JSON list of modules."""
    argv = sys.argv[1:] if argv is None else argv
    modules = json.loads(argv[0]) if argv else []
    # the protocol keeps the original stdin/stdout; everything printed (by us or by kernels) goes to stderr
    proto_in, proto_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when we stop (it closes the pipe)
    # as jupyter_client does for its kernels: the kernel's parent poller exits when its parent (here: us) is gone.
    # Must be set before ipykernel is imported (it is read at class definition).
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel's shell puts the notebook folder back
    # debugpy (imported for the kernels' debugger support) warns on import that frozen modules may hide breakpoints:
    # batch kernels are never debugged, and the warning would be the first thing every batch prints
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    failed = preload_modules(modules)
    failed += warm_caches(os.environ.get(WARM_ENV, ""))
    # Everything the template holds now (modules, warm tables) lives as long as the kernels: move it out of the
    # garbage collector's generations, so a kernel's collections walk only its own objects instead of the whole
    # inherited heap (which also kept copy-on-write pages from being shared: a collection writes to every object).
    gc.collect()
    gc.freeze()
    template = Template(proto_in, proto_out)
    problem = fork_safety_problem()
    if problem:
        template.send(op="fatal", error=problem)
        return 1
    template.send(op="ready", pid=os.getpid(), failed=failed)
    template.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(template_main())
