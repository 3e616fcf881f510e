"""The command lock: one exclusive fcntl lock per data/processed, held by build and run."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from analysis.core import paths

LOCK_WAIT_SECONDS = 5.0


class LockBusyError(RuntimeError):
    """Another build/run holds the lock."""


_HELD_LOCKS: dict[str, int] = {}


def lock_path(name: str = "pipeline", processed: str | os.PathLike | None = None) -> Path:
    """``<parent of data/processed>/.analysis-<name>.lock`` (data/.analysis-pipeline.lock by default): one lock per
    data/processed, so builds into other folders (tests, a copy) do not wait for each other."""
    folder = paths.processed_root_of(Path(processed)) if processed else paths.processed_dir()
    return folder.parent / f".analysis-{name}.lock"


def _holder_text(raw: str) -> str:
    try:
        info = json.loads(raw)
    except ValueError:
        return f"进程 {raw or '?'}"
    return f"进程 {info.get('pid', '?')}：{info.get('command', '?')}，开始于 {info.get('since', '?')}"


@contextlib.contextmanager
def command_lock(
    name: str = "pipeline", wait: float | None = None, processed: str | os.PathLike | None = None
) -> Iterator[Path]:
    """An exclusive fcntl lock on :func:`lock_path` (released when the process ends, even by kill -9), taken by
    ``build`` and ``run`` for the whole command. A second holder waits up to ``wait`` seconds (default 5, env
    ANALYSIS_LOCK_WAIT), then gets LockBusyError naming the command that holds it. Re-entrant within one process
    (the CLI takes it, and build()/run_all() take it again when called as library functions)."""
    import fcntl

    wait = float(os.environ.get("ANALYSIS_LOCK_WAIT", LOCK_WAIT_SECONDS)) if wait is None else wait
    path = lock_path(name, processed)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if _HELD_LOCKS.get(key):
        _HELD_LOCKS[key] += 1
        try:
            yield path
        finally:
            _HELD_LOCKS[key] -= 1
        return
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = _holder_text(fh.read().strip())
                    raise LockBusyError(
                        f"另一个命令正在运行（{holder}）；build 与 run 不能同时进行（它们写同一份 data/processed 与 "
                        f"reports），已等待 {wait:g} 秒。请等它结束后再试（锁文件 {path}）"
                    ) from None
                time.sleep(0.1)
        fh.seek(0)
        fh.truncate()
        command = (
            " ".join(["python -m analysis", *sys.argv[1:]])
            if sys.argv and sys.argv[0].endswith(("analysis", "__main__.py"))
            else " ".join(sys.argv) or "python"
        )
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        fh.write(json.dumps({"pid": os.getpid(), "command": command, "since": since}, ensure_ascii=False))
        fh.flush()
        _HELD_LOCKS[key] = 1
        try:
            yield path
        finally:
            _HELD_LOCKS.pop(key, None)
    finally:
        fh.close()
