"""One run's record: built from its spec and inputs, written as run.json into its staging folder.

Shared by the local runner (analysis.batch.runner) and the cluster backend (analysis.batch.dask_backend).
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis.batch import manifest
from analysis.batch.plan import RunSpec

RUN_RECORD_NAME = "run.json"


def run_record(spec: RunSpec, out_dir: Path, inputs: dict, status: str, **kw) -> manifest.RunRecord:
    """The manifest record of one run (``kw``: the RunRecord fields a run fills in, e.g. error, outputs)."""
    return manifest.RunRecord(
        run_id=spec.run_id,
        notebook=spec.notebook,
        parameters=spec.params,
        output_dir=str(out_dir),
        fingerprint=manifest.fingerprint(inputs),
        inputs=inputs,
        status=status,
        **kw,
    )


def write_run_json(stage: Path, rec: manifest.RunRecord) -> None:
    """Write run.json into the staging folder (analysis.core.io.staged_dir gives the folder normal permissions)."""
    (stage / RUN_RECORD_NAME).write_text(json.dumps(rec.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
