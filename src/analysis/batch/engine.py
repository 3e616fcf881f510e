"""The papermill engine ``analysis``: papermill's own execution record, with the batch's warm kernels.

Registered through papermill's ``papermill.engine`` entry point (pyproject.toml), so both ways of running a notebook go
through papermill with this engine:

* the batch (``python -m analysis run``) calls ``papermill.execute_notebook(..., engine_name="analysis", km=<kernel>)``
  with a kernel forked from the pre-warmed template (see forkserver.py): the engine runs the cells in that kernel over a
  client of its own and leaves the kernel to the pool (which discards it after this one notebook);
* an analyst runs one notebook by hand, ``papermill -e analysis notebooks/district_profile.ipynb out.ipynb -p district
  马村区 -p year 2023``: without ``km`` the engine starts a fresh kernel like papermill's default engine, with the
  project's kernel environment (charts always rendered inline).

Executed notebooks carry papermill's metadata (per-cell start/end/duration/status, the ``injected-parameters`` cell,
``metadata.papermill``) and, when a cell fails, papermill's error cell at the top. The injected-parameters cell is
written with the batch's literal renderer (readable Chinese text instead of ``\\uXXXX`` escapes; every value is read
back and checked, see params.py). papermill only warns about unknown parameters: the batch checks them strictly
(:func:`analysis.batch.params.validate`) before it calls papermill.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine
from papermill.utils import merge_kwargs, remove_args

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class _Client(PapermillNotebookClient):
    """papermill's client; remembers the kernel client it opened so it can close it when the kernel is not its own."""

    _opened_kc: Any = None

    async def async_start_new_kernel_client(self):  # type: ignore[override]
        from analysis.batch.kernels import bound_sends

        kc = bound_sends(await super().async_start_new_kernel_client())
        self._opened_kc = kc
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def _rewrite_injected_cell(nb: Any) -> None:
    from analysis.batch import params

    values = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    for cell in nb.cells:
        if params.INJECTED_TAG in (cell.get("metadata", {}).get("tags") or []):
            with contextlib.suppress(params.ParameterError):
                cell.source = params.injected_source(dict(values))
            break


class AnalysisEngine(Engine):
    """papermill engine: nbclient execution in a given (pre-started) kernel, or in a fresh one."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        km=None,
        **kwargs,
    ):
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        _rewrite_injected_cell(nb_man.nb)
        if km is None:
            # by hand: a fresh kernel, charts inline whatever MPLBACKEND the caller has
            os.environ["MPLBACKEND"] = INLINE_BACKEND
        final = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name or (km.kernel_name if km is not None else None),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = _Client(nb_man, km=km, **final)
        try:
            return client.execute()
        finally:
            if km is not None and client._opened_kc is not None:
                with contextlib.suppress(Exception):
                    client._opened_kc.stop_channels()
