"""data/processed as versions: a complete set in ``versions/<id>/``, then one ``os.replace`` of the ``current``
link; the fixed links of data/processed, adopting the older flat layout, pruning old versions."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from analysis.core import paths
from analysis.core.io.faults import fault_point
from analysis.core.io.files import UMASK, part_prefix
from analysis.core.io.links import exchange, pid_of, read_link, remove_path, set_link, stale
from analysis.core.io.rawguard import guard_not_raw


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


def link_entries(processed: Path, version: Path) -> None:
    """data/processed/<name> → current/<name> for every top-level entry of the current version (tables, metrics/,
    build_manifest.json): fixed links, so the usual paths read whatever ``current`` points to. A plain file or folder
    of the older flat layout is replaced by its link (its content is already in the version); links to names the
    current version no longer has are removed."""
    names = {p.name for p in version.iterdir() if not p.name.startswith(".")}
    for name in sorted(names):
        link, want = processed / name, f"{paths.CURRENT_LINK}/{name}"
        if read_link(link) == want:
            continue
        if link.is_dir() and not link.is_symlink():  # a flat-layout folder (metrics/)
            tmp = processed / f"{part_prefix(name)}{os.urandom(4).hex()}"
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
        target = read_link(p) if p.is_symlink() else None
        if target and target.startswith(f"{paths.CURRENT_LINK}/") and p.name not in names:
            remove_path(p)


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
    os.chmod(tmp, 0o777 & ~UMASK)
    os.replace(tmp, final)
    fault_point("adopted flat layout")
    set_link(processed / paths.CURRENT_LINK, f"{paths.VERSIONS_DIR}/{final.name}")
    fault_point("current → flat layout")
    link_entries(processed, final)


def prune_versions(processed: Path) -> None:
    """Keep the current version and the previous one; remove older and unfinished ones (unless their process still
    lives)."""
    versions = processed / paths.VERSIONS_DIR
    if not versions.is_dir():
        return
    keep = {
        Path(t).name
        for t in (read_link(processed / paths.CURRENT_LINK), read_link(processed / paths.PREVIOUS_LINK))
        if t
    }
    for d in sorted(versions.iterdir()):
        if d.name in keep:
            continue
        if d.name.startswith(".building-") and not stale(pid_of(d.name, ".building-")):
            continue
        if d.name.startswith(".") and not d.name.startswith(".building-"):
            continue
        remove_path(d)


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
    os.chmod(stage, 0o777 & ~UMASK)
    try:
        yield stage
        fault_point("version written")
        _adopt_flat_layout(processed, versions)
        final = versions / stage.name.removeprefix(f".building-{os.getpid()}-")
        os.replace(stage, final)
        fault_point("version complete")
        current = processed / paths.CURRENT_LINK
        before = read_link(current)
        if before and Path(before).name != final.name:
            set_link(processed / paths.PREVIOUS_LINK, before)
            fault_point("previous link")
        set_link(current, f"{paths.VERSIONS_DIR}/{final.name}")  # the switch
        fault_point("current link")
        link_entries(processed, final)
        prune_versions(processed)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
