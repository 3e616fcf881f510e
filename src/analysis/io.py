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


# ---------------------------------------------------------------- spreadsheet formula neutralisation

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (starts with = + - @, tab or CR) gets a leading ``'``
    (OWASP CSV injection); numbers, including negative ones and text that is just a number (``-3``), stay as they
    are. Other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(df):
    """A copy of ``df`` whose text cells (and column names) are neutralised; numeric columns are untouched. Every
    CSV/Excel writer of the project passes its frame through here."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(df, target, **kw) -> None:
    """``df.to_csv`` with every text cell neutralised (``target`` may be a path or an open stream)."""
    neutralise_frame(df).to_csv(target, **kw)


# ---------------------------------------------------------------- YAML without aliases

MAX_YAML_BYTES = 1 << 20  # a sidecar or ledger YAML over 1 MiB is refused


class YAMLAliasError(ValueError):
    """A YAML document uses anchors/aliases (refused: an alias bomb expands to gigabytes)."""


def safe_yaml_load(text: str, source: str = "<yaml>"):
    """``yaml.safe_load`` that refuses anchors and aliases (``&a`` / ``*a``) and documents over 1 MiB, so a
    crafted file cannot expand to gigabytes. Raises ValueError with a Chinese message naming ``source``."""
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise ValueError(f"{source}：YAML 文件超过 {MAX_YAML_BYTES // 1024} KiB 上限，未读取")

    class _NoAliasLoader(yaml.SafeLoader):
        # dates stay text (a date like 2024-02-30 is then reported by the schema check, not raised by the parser)
        yaml_implicit_resolvers = {
            k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
            for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                ev = self.peek_event()
                raise YAMLAliasError(
                    f"{source}：第 {ev.start_mark.line + 1} 行使用了 YAML 别名（*{ev.anchor}），为防止别名炸弹不予读取"
                )
            ev = self.peek_event()
            if getattr(ev, "anchor", None):
                raise YAMLAliasError(
                    f"{source}：第 {ev.start_mark.line + 1} 行使用了 YAML 锚点（&{ev.anchor}），为防止别名炸弹不予读取"
                )
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except YAMLAliasError:
        raise
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ValueError(f"{source}：不是有效的 YAML：{exc}") from exc


# ---------------------------------------------------------------- locks

LOCK_WAIT_SECONDS = 5.0


class LockBusyError(RuntimeError):
    """Another build/run holds the lock."""


@contextlib.contextmanager
def command_lock(name: str, wait: float | None = None) -> Iterator[Path]:
    """An exclusive fcntl lock on ``<root>/.analysis-<name>.lock`` (released when the process ends, even by kill -9).
    A second holder waits up to ``wait`` seconds (default 5, env ANALYSIS_LOCK_WAIT), then gets LockBusyError."""
    import fcntl
    import time

    wait = float(os.environ.get("ANALYSIS_LOCK_WAIT", LOCK_WAIT_SECONDS)) if wait is None else wait
    lock_dir = paths.processed_dir().parent
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock_path = lock_dir / f".analysis-{name}.lock"
    fh = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "?"
                    raise LockBusyError(
                        f"另一个 {name} 命令正在运行（进程 {holder}，锁文件 {lock_path}）；"
                        f"已等待 {wait:g} 秒，请等它结束后再试"
                    ) from None
                time.sleep(0.1)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield lock_path
    finally:
        fh.close()
