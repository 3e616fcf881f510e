"""Hand the runs to a Dask distributed cluster (``python -m analysis run --scheduler tcp://host:8786``).

Each run becomes one task executing :func:`analysis.batch.execute.execute_standalone` on a worker: the worker starts
its own fresh kernel (with the same start retries), executes the notebook into a temporary folder and sends the output
files back as bytes. The client (the machine that ran the command) writes them into ``reports/`` through the same
staging-and-swap as local runs, records them in the same manifest, and keeps going when a task fails. So only the
client needs the reports folder; every worker needs the ``analysis`` package (same version) and a copy of
``data/processed`` (at the same path, or its own path in ANALYSIS_PROCESSED). The notebook itself travels with the
task. Run one worker per machine with ``--nthreads`` = its cores (each thread drives one kernel process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from analysis.batch import manifest
from analysis.batch.plan import RunSpec, kernel_preload
from analysis.batch.records import RUN_RECORD_NAME, run_record, write_run_json
from analysis.core.io import staged_dir


def _store(spec: RunSpec, out_dir: Path, inputs: dict, result: dict) -> manifest.RunRecord:
    """Write a successful remote run's files into its output folder (staged swap) and return its record."""
    rec = run_record(
        spec,
        out_dir,
        inputs,
        result["status"],
        start=manifest.iso(result.get("started")),
        end=manifest.iso(result.get("ended")),
        duration_s=round((result.get("ended") or 0) - (result.get("started") or 0), 3),
        error=result.get("error"),
        kernel_attempts=result.get("attempts", 0),
    )
    if result["status"] != "ok":
        return rec
    files: dict[str, bytes] = result.get("files") or {}
    rec.outputs = sorted(files) + [RUN_RECORD_NAME]
    with staged_dir(out_dir) as stage:
        for name, data in files.items():
            target = (stage / name).resolve()
            if stage.resolve() not in target.parents:  # a worker must not write outside the run's folder
                raise ValueError(f"refusing output file name {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        write_run_json(stage, rec)
    return rec


def run_on_cluster(
    todo: list[tuple[RunSpec, Path, dict]],
    scheduler: str,
    processed_dir: Path,
    notebooks_dir: Path,
    reports_dir: Path,
    template: str,
    on_done: Callable[[manifest.RunRecord], None],
) -> None:
    """Submit every run to the scheduler at ``scheduler``, store results as they complete."""
    from distributed import Client, as_completed

    from analysis.batch.execute import execute_standalone

    preload = kernel_preload(notebooks_dir)
    texts: dict[str, str] = {}
    with Client(scheduler) as client:
        futures = {}
        for spec, out_dir, inputs in todo:
            if spec.notebook_path not in texts:
                texts[spec.notebook_path] = Path(spec.notebook_path).read_text(encoding="utf-8")
            fut = client.submit(
                execute_standalone,
                spec.to_dict(),
                str(processed_dir),
                preload,
                template,
                texts[spec.notebook_path],
                pure=False,
                key=f"analysis-run-{spec.notebook}-{manifest.fingerprint(inputs)[:16]}-{time.time_ns()}",
            )
            futures[fut] = (spec, out_dir, inputs)
        for fut in as_completed(futures):
            spec, out_dir, inputs = futures[fut]
            try:
                result = fut.result()
                rec = _store(spec, out_dir, inputs, result)
            except Exception as exc:  # noqa: BLE001 - a lost worker or a bad result fails this run only
                rec = run_record(spec, out_dir, inputs, "failed", error=f"{type(exc).__name__}: {exc}")
            on_done(rec)
