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

from analysis.core.io.cells import (
    FORMULA_PREFIXES,
    neutralise_cell,
    neutralise_frame,
    neutralise_workbook,
    write_csv,
)
from analysis.core.io.faults import FAULT_ENV, FAULT_LOG_ENV, fault_point
from analysis.core.io.files import (
    MAX_NAME_BYTES,
    UMASK,
    atomic_path,
    ensure_writable,
    safe_name,
    sha256_file,
    write_bytes,
    write_text,
)
from analysis.core.io.leftovers import clean_leftovers
from analysis.core.io.links import exchange, pid_alive, set_link
from analysis.core.io.lock import LOCK_WAIT_SECONDS, LockBusyError, command_lock, lock_path
from analysis.core.io.rawguard import RawWriteError, UnsafePathError, guard_not_raw, inside
from analysis.core.io.staged import staged_dir
from analysis.core.io.versions import new_version
from analysis.core.io.yamlsafe import MAX_YAML_BYTES, YAMLAliasError, safe_yaml_load

_UMASK = UMASK  # the process umask (tests check output modes against io._UMASK)

__all__ = [
    "FAULT_ENV",
    "FAULT_LOG_ENV",
    "FORMULA_PREFIXES",
    "LOCK_WAIT_SECONDS",
    "MAX_NAME_BYTES",
    "MAX_YAML_BYTES",
    "LockBusyError",
    "UMASK",
    "RawWriteError",
    "UnsafePathError",
    "YAMLAliasError",
    "atomic_path",
    "clean_leftovers",
    "command_lock",
    "ensure_writable",
    "exchange",
    "fault_point",
    "guard_not_raw",
    "inside",
    "lock_path",
    "neutralise_cell",
    "neutralise_frame",
    "neutralise_workbook",
    "new_version",
    "pid_alive",
    "safe_name",
    "safe_yaml_load",
    "set_link",
    "sha256_file",
    "staged_dir",
    "write_bytes",
    "write_csv",
    "write_text",
]
