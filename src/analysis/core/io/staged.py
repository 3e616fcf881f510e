"""One folder (a notebook run's outputs) replaced as a whole: a staging folder swapped with the old one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from analysis.core.io.faults import fault_point
from analysis.core.io.files import UMASK
from analysis.core.io.links import exchange
from analysis.core.io.rawguard import guard_not_raw


@contextlib.contextmanager
def staged_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging directory; on success it replaces ``target`` as a whole, on error the staging directory
    is removed and ``target`` is untouched. The swap is one atomic exchange where the system allows it; otherwise the
    old folder is moved aside to ``.<name>.old.<pid>`` first, and a kill between the two renames is repaired by the
    next command (:func:`clean_leftovers` puts the old folder back)."""
    target = guard_not_raw(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.{os.getpid()}.", dir=target.parent))
    os.chmod(stage, 0o777 & ~UMASK)  # mkdtemp makes 0700; the published folder gets the usual permissions
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
