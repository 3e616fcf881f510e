"""Execute one run in a given kernel: inject parameters, run the cells with nbclient, write the notebook and HTML.

Used by the local runner (kernels from the pool, outputs straight into a staging folder) and by Dask workers (a
fresh kernel, outputs into a temporary folder whose files are sent back to the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.batch import export, params
from analysis.batch.kernels import Kernel, shutdown_kernel, start_kernel
from analysis.batch.plan import RunSpec

CELL_TIMEOUT = 600
ENGINE_NAME = "analysis"  # the papermill engine (analysis.batch.engine, registered by entry point in pyproject.toml)


class RunFailed(RuntimeError):
    """The notebook raised, timed out or its kernel died; ``partial`` is the notebook as far as it got."""

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


@dataclass
class Outcome:
    status: str  # ok / failed / invalid
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    attempts: int = 1
    files: dict[str, bytes] | None = None  # only for remote runs: the output files, sent back to the client


def import_nbformat() -> Any:
    """``import nbformat``, ~1 s faster on a cold process.

    nbformat imports jsonschema, which builds ~40 lark parsers at import time for its optional ``iri`` format
    checker when the ``rfc3987_syntax`` package is installed (~1 s of CPU, paid once per runner process before the
    first notebook can start). No notebook schema uses ``format``, so jsonschema is imported without that optional
    checker here; ``rfc3987_syntax`` itself stays importable afterwards. No effect if jsonschema is already loaded.
    """
    import sys

    if "nbformat" in sys.modules or "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbformat

        return nbformat
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment] # makes the optional import fail fast
    try:
        import nbformat
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return nbformat


def read_notebook(path: str | Path) -> Any:
    return import_nbformat().read(str(path), as_version=4)


def run_parameters(spec: RunSpec, nb: Any, out_dir: Path, processed_dir: Path) -> dict[str, Any]:
    """The spec's parameters plus ``output_dir`` and (when the notebook declares it) ``processed_dir``; validated."""
    params.validate(nb, spec.params, spec.notebook)
    declared = params.declared_parameters(nb)
    values = dict(spec.params)
    if "output_dir" in declared:
        values["output_dir"] = str(out_dir)
    if "processed_dir" in declared:
        values["processed_dir"] = str(processed_dir)
    return values


def _error_text(exc: BaseException) -> str:
    from nbclient.exceptions import CellExecutionError

    if isinstance(exc, CellExecutionError):
        # nbclient's message holds the cell source and the traceback; keep the last lines (the error itself).
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        return " | ".join(lines[-3:])[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


def import_papermill() -> Any:
    """``import papermill`` after nbformat was imported the fast way (see :func:`import_nbformat`).

    Import papermill before analysis.batch.engine: papermill loads the engines registered by entry point while it
    is imported, our engine module among them.
    """
    import_nbformat()
    import papermill

    return papermill


def _papermill_error_text(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {evalue} (cell {cell})"[:2000]
    return _error_text(exc)


def _papermill_run(spec: RunSpec, out_nb: Path, values: dict[str, Any], km: Any, cell_timeout: int) -> Any:
    """papermill.execute_notebook with the ``analysis`` engine in the given kernel (runs in a worker thread)."""
    papermill = import_papermill()
    return papermill.execute_notebook(
        spec.notebook_path,
        str(out_nb),
        parameters=values,
        engine_name=ENGINE_NAME,
        kernel_name=getattr(km, "kernel_name", None),
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=cell_timeout,
        km=km,
    )


async def in_fresh_thread(func, *args):
    """Run ``func(*args)`` in the loop's thread pool WITHOUT the caller's context variables. ``asyncio.to_thread``
    copies them, and jupyter_core keeps "the event loop of this thread" in a context variable: a worker thread would
    then inherit the batch's own running loop and nbclient fails with "This event loop is already running" (seen when
    an earlier call in the same process had set it). ``run_in_executor`` runs in the worker thread's own context."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(func, *args))


async def execute_into(
    spec: RunSpec,
    out_dir: Path,
    kernel: Kernel,
    processed_dir: Path,
    cell_timeout: int = CELL_TIMEOUT,
    template: str = "basic",
) -> list[str]:
    """Run ``spec`` in ``kernel`` through papermill (engine ``analysis``); charts land in ``out_dir`` (the notebook's
    output_dir), plus ``<notebook>.ipynb`` (papermill's output notebook) and ``<notebook>.html``. Returns the relative
    output file names; raises RunFailed (with papermill's notebook, error cell on top, as ``partial``)."""
    nb = read_notebook(spec.notebook_path)
    values = run_parameters(spec, nb, out_dir, processed_dir)  # strict check before papermill is called
    out_dir.mkdir(parents=True, exist_ok=True)
    out_nb = out_dir / f"{spec.notebook}.ipynb"
    import_papermill()  # here, not in the worker threads: papermill loads its engines (ours included) on import
    try:
        executed = await in_fresh_thread(_papermill_run, spec, out_nb, values, kernel.km, cell_timeout)
    except Exception as exc:  # noqa: BLE001 - PapermillExecutionError, timeouts, dead kernel ...
        partial = None
        with contextlib.suppress(Exception):
            partial = read_notebook(out_nb)
        raise RunFailed(_papermill_error_text(exc), partial=partial) from exc
    executed.metadata["analysis_batch"] = {"run_id": spec.run_id, "data_hash": spec.data_hash}
    import_nbformat().write(executed, str(out_nb))
    title = export.notebook_title(executed, spec.run_id)
    page = export.to_html(executed, title, template, base_dir=out_dir, index_href=export.INDEX_HREF)
    (out_dir / f"{spec.notebook}.html").write_text(page, encoding="utf-8")
    export.drop_page_copies(out_dir)
    return sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())


def write_failed_notebook(reports_dir: Path, spec: RunSpec, nb: Any) -> Path | None:
    """Keep the partially executed notebook of a failed run under reports/_failed/ for debugging."""
    import nbformat

    from analysis.batch.plan import output_dir_for
    from analysis.core.io import atomic_path

    if nb is None:
        return None
    target = output_dir_for(Path(reports_dir) / "_failed", spec.notebook, spec.slug).with_suffix(".ipynb")
    with contextlib.suppress(Exception), atomic_path(target) as tmp:
        nbformat.write(nb, str(tmp))
        return target
    return None


async def execute_standalone_async(
    spec: RunSpec, processed_dir: Path, preload: list[str], cell_timeout: int = CELL_TIMEOUT, template: str = "basic"
) -> Outcome:
    """Start a kernel, run ``spec`` into a temporary folder, return the outcome with the output files' bytes."""
    started = time.time()
    try:
        read = read_notebook(spec.notebook_path)
        params.validate(read, spec.params, spec.notebook)
    except params.ParameterError as exc:
        return Outcome("invalid", str(exc), started=started, ended=time.time())
    kernel = None
    try:
        kernel = await start_kernel(cwd=Path(spec.notebook_path).parent, preload=preload)
        with tempfile.TemporaryDirectory(prefix="analysis-run-") as tmp:
            out_dir = Path(tmp) / "out"
            out_dir.mkdir()
            outputs = await execute_into(spec, out_dir, kernel, processed_dir, cell_timeout, template)
            files = {name: (out_dir / name).read_bytes() for name in outputs}
        return Outcome("ok", None, outputs, started, time.time(), kernel.attempts, files)
    except Exception as exc:  # noqa: BLE001 - report every failure to the client, never lose the run silently
        msg = (
            str(exc) if isinstance(exc, RunFailed) else f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        )
        return Outcome("failed", msg, started=started, ended=time.time(), attempts=getattr(kernel, "attempts", 1))
    finally:
        if kernel is not None:
            await shutdown_kernel(kernel)


def execute_standalone(
    spec_dict: dict[str, Any],
    processed_dir: str,
    preload: list[str],
    template: str = "basic",
    notebook_text: str | None = None,
) -> dict:
    """Synchronous entry point for a Dask worker: runs one spec and returns a plain dict (picklable).

    When the notebook file does not exist on the worker (another machine), ``notebook_text`` (sent by the client) is
    written to a temporary folder and run from there. data/processed must be reachable on the worker at
    ``processed_dir``, or the worker sets ANALYSIS_PROCESSED to its own copy.
    """
    import os

    spec = RunSpec.from_dict(spec_dict)
    processed = os.environ.get("ANALYSIS_PROCESSED") or processed_dir
    with tempfile.TemporaryDirectory(prefix="analysis-nb-") as tmp:
        if not Path(spec.notebook_path).exists() and notebook_text is not None:
            local = Path(tmp) / Path(spec.notebook_path).name
            local.write_text(notebook_text, encoding="utf-8")
            spec.notebook_path = str(local)
        outcome = asyncio.run(execute_standalone_async(spec, Path(processed), preload, template=template))
    return outcome.__dict__
