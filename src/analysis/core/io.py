"""Safe writing: every output is written to a temporary file beside its target and renamed into place, so an
interrupted command leaves the previous good output intact. Writing under data/raw is refused.

Three levels, all of them "old complete or new complete, never a mix", even after kill -9:

* one file: :func:`atomic_path` / :func:`write_text` (temporary ``.<name>.part-<pid>-…`` file, then ``os.replace``);
* one folder (a notebook run's outputs): :func:`staged_dir` (staging folder swapped with the old one in one
  ``renameat2(RENAME_EXCHANGE)`` where the system has it);
* the whole of data/processed: :func:`new_version` (a complete set in ``versions/<id>/``, then one ``os.replace`` of
  the ``current`` link; see analysis.core.paths.resolve_processed).

What a killed command leaves behind (staging folders, temporary files, unfinished versions) is removed by the next
``build`` or ``run`` while it holds the pipeline lock (:func:`clean_leftovers`, :func:`command_lock`)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from analysis.core import paths


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


class UnsafePathError(ValueError):
    """A built output path would leave its output folder."""


def inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise UnsafePathError when it is not inside ``base``."""
    b = Path(base).resolve()
    p = Path(path).resolve()
    if p != b and b not in p.parents:
        raise UnsafePathError(f"{p} 不在 {b} 之内")
    return p


class RawWriteError(PermissionError):
    """A command tried to write under data/raw, which is kept as received."""


def guard_not_raw(target: Path) -> Path:
    target = Path(target).resolve()
    raw = paths.raw_dir().resolve()
    if target == raw or raw in target.parents:
        raise RawWriteError(f"拒绝写入 {target}：data/raw 保持收到时的原样，程序从不写入")
    return target


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` atomically, on error it is removed."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=_part_prefix(target.name), suffix=suffix or target.suffix or ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
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


@contextlib.contextmanager
def staged_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging directory; on success it replaces ``target`` as a whole, on error the staging directory
    is removed and ``target`` is untouched. The swap is one atomic exchange where the system allows it; otherwise the
    old folder is moved aside to ``.<name>.old.<pid>`` first, and a kill between the two renames is repaired by the
    next command (:func:`clean_leftovers` puts the old folder back)."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.{os.getpid()}.", dir=target.parent))
    os.chmod(stage, 0o777 & ~_UMASK)  # mkdtemp makes 0700; the published folder gets the usual permissions
    try:
        yield stage
        fault_point(f"staged {target.name}")
        if not (target.exists() or target.is_symlink()):
            os.replace(stage, target)
        elif exchange(stage, target):  # the stage now holds the old folder
            fault_point(f"exchanged {target.name}")
        else:
            old = target.parent / f".{target.name}.old.{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
            fault_point(f"moved aside {target.name}")
            os.replace(stage, target)
            fault_point(f"replaced {target.name}")
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


# ---------------------------------------------------------------- atomic exchange and links

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


def _part_prefix(name: str) -> str:
    """The name prefix of a temporary file or link that becomes ``name`` (the pid tells the cleaner whose it is)."""
    return f".{name}.part-{os.getpid()}-"


def set_link(link: Path, target: str) -> None:
    """Make ``link`` a symlink to ``target`` in one step (a new link renamed over the old one)."""
    link = Path(link)
    for _ in range(10):
        tmp = link.parent / f"{_part_prefix(link.name)}{os.urandom(4).hex()}"
        try:
            os.symlink(target, tmp)
            break
        except FileExistsError:
            continue
    os.replace(tmp, link)


def _read_link(link: Path) -> str | None:
    try:
        return os.readlink(link)
    except OSError:
        return None


def _pid_of(name: str, marker: str) -> int | None:
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


def _stale(pid: int | None) -> bool:
    """A leftover may be removed when its process is gone (the caller holds the pipeline lock, so no live build or
    run can be writing it; the pid check is the second safeguard)."""
    return not pid_alive(pid)


def _remove(path: Path) -> None:
    fault_point(f"remove {path.name}")
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


# ---------------------------------------------------------------- data/processed: versions and the current link


def _processed_entries(folder: Path) -> list[Path]:
    """What an older flat build wrote directly into data/processed: the tables its build_manifest.json lists (as
    .parquet and .csv; ``metrics/…`` as the folder), the manifest itself — or, without a readable manifest, every
    .parquet/.csv file and the metrics folder. Anything else someone put there is left where it is."""
    skip = {paths.VERSIONS_DIR, paths.CURRENT_LINK, paths.PREVIOUS_LINK}
    try:
        tables = json.loads((folder / "build_manifest.json").read_text(encoding="utf-8")).get("tables") or []
    except (OSError, ValueError, AttributeError):
        tables = None
    if tables:
        names = {"build_manifest.json"}
        for t in map(str, tables):
            names |= {t.split("/", 1)[0]} if "/" in t else {f"{t}.parquet", f"{t}.csv"}
        wanted = lambda p: p.name in names  # noqa: E731
    else:
        wanted = lambda p: p.suffix in (".parquet", ".csv") or p.name in ("metrics", "build_manifest.json")  # noqa: E731
    return [
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and p.name not in skip and not p.is_symlink() and wanted(p)
    ]


def _link_entries(processed: Path, version: Path) -> None:
    """data/processed/<name> → current/<name> for every top-level entry of the current version (tables, metrics/,
    build_manifest.json): fixed links, so the usual paths read whatever ``current`` points to. A plain file or folder
    of the older flat layout is replaced by its link (its content is already in the version); links to names the
    current version no longer has are removed."""
    names = {p.name for p in version.iterdir() if not p.name.startswith(".")}
    for name in sorted(names):
        link, want = processed / name, f"{paths.CURRENT_LINK}/{name}"
        if _read_link(link) == want:
            continue
        if link.is_dir() and not link.is_symlink():  # a flat-layout folder (metrics/)
            tmp = processed / f"{_part_prefix(name)}{os.urandom(4).hex()}"
            os.symlink(want, tmp)
            if exchange(tmp, link):
                fault_point(f"link {name}")
                shutil.rmtree(tmp)
            else:
                aside = processed / f".{name}.flat-{os.getpid()}"
                os.replace(link, aside)
                os.replace(tmp, link)
                fault_point(f"link {name}")
                shutil.rmtree(aside, ignore_errors=True)
        else:
            set_link(link, want)
            fault_point(f"link {name}")
    for p in processed.iterdir():
        target = _read_link(p) if p.is_symlink() else None
        if target and target.startswith(f"{paths.CURRENT_LINK}/") and p.name not in names:
            _remove(p)


def _adopt_flat_layout(processed: Path, versions: Path) -> None:
    """A data/processed of the older flat layout (tables directly in the folder, no ``current`` link) becomes the
    first version, by hard links (a copy where links are impossible), before the new build is switched in — so even
    this one-time change goes from the old complete set to the new one."""
    if (processed / paths.CURRENT_LINK).is_symlink():
        return
    entries = _processed_entries(processed)
    if not entries:
        return
    tmp = Path(tempfile.mkdtemp(prefix=f".building-{os.getpid()}-flat-", dir=versions))

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for p in entries:
        if p.is_dir():
            shutil.copytree(p, tmp / p.name, copy_function=link_or_copy)
        else:
            link_or_copy(str(p), str(tmp / p.name))
    final = versions / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(max(p.stat().st_mtime for p in entries)))}-flat"
    if final.exists():  # left by an adoption that was killed before it was switched in
        final = final.with_name(f"{final.name}-{os.urandom(3).hex()}")
    os.chmod(tmp, 0o777 & ~_UMASK)
    os.replace(tmp, final)
    fault_point("adopted flat layout")
    set_link(processed / paths.CURRENT_LINK, f"{paths.VERSIONS_DIR}/{final.name}")
    fault_point("current → flat layout")
    _link_entries(processed, final)


def _prune_versions(processed: Path) -> None:
    """Keep the current version and the previous one; remove older and unfinished ones (unless their process still
    lives)."""
    versions = processed / paths.VERSIONS_DIR
    if not versions.is_dir():
        return
    keep = {
        Path(t).name
        for t in (_read_link(processed / paths.CURRENT_LINK), _read_link(processed / paths.PREVIOUS_LINK))
        if t
    }
    for d in sorted(versions.iterdir()):
        if d.name in keep:
            continue
        if d.name.startswith(".building-") and not _stale(_pid_of(d.name, ".building-")):
            continue
        if d.name.startswith(".") and not d.name.startswith(".building-"):
            continue
        _remove(d)


@contextlib.contextmanager
def new_version(processed: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty folder for one complete build of data/processed. On success the folder becomes a version
    (``versions/<id>``, one rename) and then the current set (one ``os.replace`` of the ``current`` link — the only
    moment readers switch); the set it replaces stays as ``previous``, older ones are removed. On an error, or a kill
    at any point before that replace, the current set is untouched (the unfinished folder is removed now, or by the
    next command)."""
    processed = guard_not_raw(Path(processed))
    versions = processed / paths.VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    stage = Path(tempfile.mkdtemp(prefix=f".building-{os.getpid()}-{stamp}-", dir=versions))
    os.chmod(stage, 0o777 & ~_UMASK)
    try:
        yield stage
        fault_point("version written")
        _adopt_flat_layout(processed, versions)
        final = versions / stage.name.removeprefix(f".building-{os.getpid()}-")
        os.replace(stage, final)
        fault_point("version complete")
        current = processed / paths.CURRENT_LINK
        before = _read_link(current)
        if before and Path(before).name != final.name:
            set_link(processed / paths.PREVIOUS_LINK, before)
            fault_point("previous link")
        set_link(current, f"{paths.VERSIONS_DIR}/{final.name}")  # the switch
        fault_point("current link")
        _link_entries(processed, final)
        _prune_versions(processed)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


# ---------------------------------------------------------------- leftovers of killed commands

_OLD_STAGING = re.compile(r"^\.(?P<name>.+)\.staging\.(?:(?P<pid>\d+)\.)?")
_OLD_ASIDE = re.compile(r"^\.(?P<name>.+)\.old\.(?P<pid>\d+)$")
_PART = re.compile(r"^\..+\.part-(?P<pid>\d+)-")
_FLAT_ASIDE = re.compile(r"^\..+\.flat-(?P<pid>\d+)$")
_OLD_BUILD_STAGING = re.compile(r"^\.build-staging-(?P<pid>\d+)-")


def _clean_folder(folder: Path, removed: list[str]) -> None:
    """One folder's leftovers: staging folders and temporary files of dead processes are removed; a folder moved
    aside (``.<name>.old.<pid>``) goes back to ``<name>`` when a kill left ``<name>`` missing."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if not e.name.startswith("."):
            continue
        path = Path(e.path)
        try:
            if m := _OLD_ASIDE.match(e.name):
                if not _stale(int(m["pid"])):
                    continue
                original = folder / m["name"]
                if not (original.exists() or original.is_symlink()):
                    os.replace(path, original)  # the kill came between the two renames: the old outputs go back
                    removed.append(f"{path} → {original}")
                    continue
            elif m := (
                _OLD_STAGING.match(e.name)
                or _PART.match(e.name)
                or _FLAT_ASIDE.match(e.name)
                or _OLD_BUILD_STAGING.match(e.name)
            ):
                pid = m.groupdict().get("pid")
                if pid is not None and not _stale(int(pid)):
                    continue
            else:
                continue
            _remove(path)
            removed.append(str(path))
        except OSError:
            continue  # read-only or vanished: the write that needs the space reports it, with a message


def clean_leftovers(processed: str | os.PathLike | None = None, reports: str | os.PathLike | None = None) -> list[str]:
    """Remove what killed builds and runs left behind — unfinished versions, staging folders, temporary files — and
    repair a half-done switch (links of data/processed, a notebook folder moved aside). Call it while holding the
    pipeline lock; anything whose process still lives is kept. Returns what was removed or put back."""
    removed: list[str] = []
    if processed is not None:
        processed = Path(processed)
        for folder in (processed, processed / paths.VERSIONS_DIR):
            if folder.is_dir():
                _clean_folder(folder, removed)
        current = _read_link(processed / paths.CURRENT_LINK)
        with contextlib.suppress(OSError):
            if current and (processed / current).is_dir():
                _link_entries(processed, processed / current)
            _prune_versions(processed)
    if reports is not None and Path(reports).is_dir():
        for dirpath, dirnames, _files in os.walk(reports):
            _clean_folder(Path(dirpath), removed)
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return removed


# ---------------------------------------------------------------- fault points (tests)

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


def neutralise_workbook(wb):
    """Neutralise every text cell of an openpyxl workbook in place (and return it): a cell that a spreadsheet would
    run as a formula gets a leading ``'``; numbers stay numbers. openpyxl stores a text starting with ``=`` as a
    formula, so such a cell becomes plain text. Every Excel writer that builds cells itself calls this before saving;
    frames written with ``to_excel`` go through :func:`neutralise_frame`."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and (safe := neutralise_cell(v)) is not v:
                    cell.value = safe  # openpyxl types it as text again (it no longer starts with =)
    return wb


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
