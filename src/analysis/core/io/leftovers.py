"""What killed commands leave behind (staging folders, temporary files, unfinished versions) removed, a half-done
switch repaired."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from analysis.core import paths
from analysis.core.io.links import read_link, remove_path, stale
from analysis.core.io.versions import link_entries, prune_versions

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
                if not stale(int(m["pid"])):
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
                if pid is not None and not stale(int(pid)):
                    continue
            else:
                continue
            remove_path(path)
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
        current = read_link(processed / paths.CURRENT_LINK)
        with contextlib.suppress(OSError):
            if current and (processed / current).is_dir():
                link_entries(processed, processed / current)
            prune_versions(processed)
    if reports is not None and Path(reports).is_dir():
        for dirpath, dirnames, _files in os.walk(reports):
            _clean_folder(Path(dirpath), removed)
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return removed
