"""Batch regeneration of the parameterized notebooks: plan (runs.yaml), strict parameters, a pool of warm kernels,
in-process HTML export, a run manifest for incremental reruns, and an optional Dask cluster backend.

Entry point: :func:`analysis.batch.runner.run_all` (called by ``python -m analysis run``).
"""

from analysis.batch.plan import RunSpec, plan_runs
from analysis.batch.runner import RunSummary, run_all

__all__ = ["RunSpec", "RunSummary", "plan_runs", "run_all"]
