"""``python -m analysis run``: every notebook × parameter set, in parallel, incremental, safe.

One process drives all runs with asyncio: a kernel pool keeps ``jobs`` warm kernels ready (pandas/matplotlib already
imported), ``jobs`` notebooks execute at once, each in its own fresh kernel process that is discarded afterwards. By
default the kernels are forked from a template process that imported the preload modules once
(:mod:`analysis.batch.forkserver`); ``ANALYSIS_KERNELS=fresh`` starts each kernel from scratch instead
(:class:`~analysis.batch.kernels.KernelPool`). Every run writes into a staging folder that replaces ``reports/<notebook>/<slug>`` only when
the run succeeded, so a failed run leaves the previous good outputs in place. A run whose parameters do not match the
notebook stops before execution (status ``invalid``). One failing run never stops the others; the summary lists them.

With ``scheduler`` the runs go to a Dask distributed cluster instead (see dask_backend.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis.batch import manifest
from analysis.batch.execute import RunFailed, execute_into, read_notebook, write_failed_notebook
from analysis.batch.params import ParameterError, validate
from analysis.batch.plan import RunSpec, kernel_preload, output_dir_for, plan_runs
from analysis.batch.records import RUN_RECORD_NAME, run_record, write_run_json
from analysis.core import paths
from analysis.core.io import clean_leftovers, command_lock, staged_dir


@dataclass
class RunSummary:
    """What a batch did. ``failed`` holds the records of failed and invalid runs; the CLI exits non-zero if any."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[manifest.RunRecord] = field(default_factory=list)
    manifest_path: Path | None = None
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)  # output folders of runs no longer planned (relative to reports/)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def format(self) -> str:
        """A human summary: counts, then one line per failed run."""
        lines = [
            f"运行 {len(self.ran)} 个，未变跳过 {len(self.skipped)} 个，失败 {len(self.failed)} 个，"
            f"用时 {self.seconds:.1f} 秒；运行清单：{self.manifest_path}"
        ]
        if self.removed:
            shown = "、".join(self.removed[:5]) + ("等" if len(self.removed) > 5 else "")
            lines.append(f"  已删除不再计划的运行输出 {len(self.removed)} 个：{shown}")
        for rec in self.failed:
            first = (rec.error or "").strip().splitlines()[0:1]
            lines.append(f"  失败 [{rec.status}] {rec.run_id}：{first[0] if first else ''}")
        return "\n".join(lines)


def default_jobs() -> int:
    """One run more than the cores: a kernel spends part of each run waiting on its messages to and from the runner,
    and with one run per core the cores were busy 86 % of the batch; with one more, 97 % (2 cores: the full batch of
    the shipped data 52.8 → 49.4 s wall, median of 3 pairs, for 2.7 % more CPU)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores) + 1


def _progress(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="运行笔记本", unit="个", file=sys.stderr, dynamic_ncols=True)


async def _run_local(
    todo: list[tuple[RunSpec, Path, dict]],
    jobs: int,
    processed_dir: Path,
    reports_dir: Path,
    notebooks_dir: Path,
    template: str,
    on_done,
) -> None:
    from analysis.batch.forkserver import open_pool  # jupyter_client: not imported when nothing has to run

    preload = kernel_preload(notebooks_dir)
    sem = asyncio.Semaphore(jobs)
    async with await open_pool(
        jobs, cwd=notebooks_dir, preload=preload, demand=len(todo), warm_processed=processed_dir
    ) as pool:

        async def one(spec: RunSpec, out_dir: Path, inputs: dict) -> None:
            async with sem:
                started = time.time()
                kernel = None
                try:
                    kernel = await pool.acquire()
                    with staged_dir(out_dir) as stage:
                        outputs = await execute_into(spec, stage, kernel, processed_dir, template=template)
                        rec = run_record(spec, out_dir, inputs, "ok", outputs=outputs + [RUN_RECORD_NAME])
                        rec.kernel_attempts = kernel.attempts
                        rec.start, rec.end = manifest.iso(started), manifest.iso(time.time())
                        rec.duration_s = round(time.time() - started, 3)
                        write_run_json(stage, rec)
                except RunFailed as exc:
                    write_failed_notebook(reports_dir, spec, exc.partial)
                    rec = _failed(spec, out_dir, inputs, str(exc), started, kernel)
                except Exception as exc:  # noqa: BLE001 - one broken run must not stop the batch
                    rec = _failed(spec, out_dir, inputs, f"{type(exc).__name__}: {exc}", started, kernel)
                finally:
                    if kernel is not None:
                        pool.discard(kernel)
                on_done(rec)

        await asyncio.gather(*(one(*item) for item in todo))


def _failed(spec, out_dir, inputs, error, started, kernel) -> manifest.RunRecord:
    rec = run_record(spec, out_dir, inputs, "failed", error=error)
    rec.start, rec.end = manifest.iso(started), manifest.iso(time.time())
    rec.duration_s = round(time.time() - started, 3)
    rec.kernel_attempts = getattr(kernel, "attempts", 0)
    return rec


def remove_unplanned(reports_dir: Path, specs: list[RunSpec], previous: dict) -> list[str]:
    """Delete the output folders of runs that are no longer planned (a district or year gone from the data, a
    notebook removed), so the index and the files page never show stale pages. Candidates are the folders the previous
    manifest recorded and every folder with a run record under reports/<notebook>/; only folders inside ``reports_dir``
    are touched. Returns the removed folders relative to ``reports_dir``."""
    import shutil

    base = Path(reports_dir).resolve()
    planned = {output_dir_for(base, s.notebook, s.slug) for s in specs}
    candidates: set[Path] = set()
    for rec in previous.get("runs", []):
        if rec.get("output_dir"):
            candidates.add(Path(rec["output_dir"]).resolve())
    notebooks = {s.notebook for s in specs} | {r.get("notebook", "") for r in previous.get("runs", [])}
    for name in sorted(n for n in notebooks if n):
        folder = base / name
        if folder.is_dir():
            candidates.update(d.resolve() for d in folder.iterdir() if (d / RUN_RECORD_NAME).is_file())
    removed = []
    for d in sorted(candidates - planned):
        if base in d.parents and d.parent != base and d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d.relative_to(base).as_posix())
            parent = d.parent
            if parent != base and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
    return removed


def _check_parameters(spec: RunSpec, cache: dict) -> str | None:
    """The ParameterError message for a run, or None when its parameters fit the notebook."""
    if spec.notebook_path not in cache:
        cache[spec.notebook_path] = read_notebook(spec.notebook_path)
    try:
        validate(cache[spec.notebook_path], spec.params, spec.notebook)
    except ParameterError as exc:
        return str(exc)
    return None


def run_specs(
    specs: list[RunSpec],
    jobs: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    reports_dir: str | Path | None = None,
    processed_dir: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    progress: bool = True,
    plan_cache: dict | None = None,
    partial: bool = False,
    template: str = "basic",
    prune: bool = False,
) -> RunSummary:
    """Run the given specs (skipping unchanged ones unless ``force``), write the manifest, return the summary.

    Holds the pipeline lock throughout (so two batches never interleave their outputs or manifest records); first
    removes what killed runs left in reports/ (staging folders, temporary files; a folder moved aside goes back).
    ``prune`` (``run_all`` with the whole plan): delete the output folders of runs that are not in ``specs``."""
    t0 = time.time()
    reports_dir = Path(reports_dir or paths.reports_dir()).resolve()
    root = Path(processed_dir or paths.processed_dir())
    with command_lock("pipeline", processed=paths.processed_root_of(root)):
        clean_leftovers(paths.processed_root_of(root), reports_dir)
        reports_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=reports_dir, prefix=".write-check-"):
            pass  # a read-only reports/ stops here with the CLI's message, not as one failure per run
        processed_dir = paths.resolve_processed(root).resolve()  # one build for the whole batch
        return _run_specs(
            specs,
            jobs,
            force,
            scheduler,
            reports_dir,
            processed_dir,
            notebooks_dir,
            progress,
            plan_cache,
            partial,
            template,
            t0,
            prune,
        )


def _run_specs(
    specs,
    jobs,
    force,
    scheduler,
    reports_dir,
    processed_dir,
    notebooks_dir,
    progress,
    plan_cache,
    partial,
    template,
    t0,
    prune=False,
) -> RunSummary:
    notebooks_dir = Path(notebooks_dir or paths.notebooks_dir()).resolve()
    jobs = jobs or default_jobs()
    previous = manifest.load(reports_dir)
    summary = RunSummary()
    records: list[manifest.RunRecord] = []
    todo = _sort_out(specs, force, reports_dir, previous, summary, records)
    if prune and not partial:
        summary.removed = remove_unplanned(reports_dir, specs, previous)
    bar = _progress(len(todo), progress)
    # the manifest follows every run as it ends (a killed batch keeps what finished)
    checkpoints = manifest.Checkpoints(reports_dir, plan_cache or {}, previous, partial, [s.run_id for s, *_ in todo])

    def on_done(rec: manifest.RunRecord) -> None:
        records.append(rec)
        checkpoints.add(records)
        (summary.ran if rec.status == "ok" else summary.failed).append(rec if rec.status != "ok" else rec.run_id)
        if bar is not None:
            bar.update(1)
            if rec.status != "ok":
                first = (rec.error or "").strip().splitlines()[0:1]
                bar.write(f"失败 {rec.run_id}：{first[0] if first else ''}")

    try:
        if todo and scheduler:
            from analysis.batch.dask_backend import run_on_cluster

            run_on_cluster(todo, scheduler, processed_dir, notebooks_dir, reports_dir, template, on_done)
        elif todo:
            asyncio.run(_run_local(todo, jobs, processed_dir, reports_dir, notebooks_dir, template, on_done))
    finally:
        if bar is not None:
            bar.close()
        summary.manifest_path = manifest.save(reports_dir, records, plan_cache or {}, previous, partial)
    summary.seconds = time.time() - t0
    if progress:
        print(summary.format(), file=sys.stderr)
    return summary


def _sort_out(
    specs: list[RunSpec],
    force: bool,
    reports_dir: Path,
    previous: dict,
    summary: RunSummary,
    records: list[manifest.RunRecord],
) -> list[tuple[RunSpec, Path, dict]]:
    """Record the runs that are unchanged (skipped) or whose parameters do not fit (invalid); return the rest to run."""
    prev_by_id = {r["run_id"]: r for r in previous.get("runs", [])}
    env = manifest.environment_hashes()
    nb_hashes: dict[str, str] = {}
    nb_cache: dict = {}
    todo: list[tuple[RunSpec, Path, dict]] = []
    for spec in specs:
        out_dir = output_dir_for(reports_dir, spec.notebook, spec.slug)
        inputs = manifest.run_inputs(spec, env, nb_hashes)
        prev = prev_by_id.get(spec.run_id)
        if not force and manifest.can_skip(prev, manifest.fingerprint(inputs), out_dir):
            rec = manifest.RunRecord(**{**prev, "status": "skipped"})
            records.append(rec)
            summary.skipped.append(spec.run_id)
            continue
        problem = _check_parameters(spec, nb_cache)
        if problem:
            rec = run_record(spec, out_dir, inputs, "invalid", error=problem)
            records.append(rec)
            summary.failed.append(rec)
            continue
        todo.append((spec, out_dir, inputs))
    return longest_first(todo, prev_by_id)


def longest_first(todo: list, prev_by_id: dict[str, dict]) -> list:
    """The runs ordered by their last recorded duration, longest first (runs never timed before go first, then those
    whose notebook has no record at all keep their planned order among themselves). With ``jobs`` workers taking the
    next run as they finish, a long run started last would leave the other workers idle at the end of the batch."""
    import statistics

    by_notebook: dict[str, list[float]] = {}
    for rec in prev_by_id.values():
        if rec.get("duration_s") and rec.get("status") in ("ok", "skipped"):
            by_notebook.setdefault(rec.get("notebook", ""), []).append(float(rec["duration_s"]))

    def expected(item) -> float:
        spec = item[0]
        rec = prev_by_id.get(spec.run_id) or {}
        if rec.get("duration_s") and rec.get("status") in ("ok", "skipped"):
            return float(rec["duration_s"])
        known = by_notebook.get(spec.notebook)
        return statistics.median(known) if known else float("inf")

    return sorted(todo, key=lambda item: -expected(item))  # stable: ties keep the planned order


def run_all(
    jobs: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    only: list[str] | None = None,
    reports_dir: str | Path | None = None,
    processed_dir: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    progress: bool = True,
) -> RunSummary:
    """Plan every notebook × parameter set (notebooks/runs.yaml) and run what changed. See the module docstring.

    ``jobs``: parallel notebooks (default: number of cores). ``force``: rerun everything. ``scheduler``: a Dask
    scheduler address (``tcp://host:8786``) to run on a cluster. ``only``: notebook names, run ids
    (``district_profile/马村区_2023``) or run-id globs to restrict the batch. Prints progress and a failure summary to
    stderr when ``progress``. The CLI should exit with ``summary.exit_code``.
    """
    reports_dir = Path(reports_dir or paths.reports_dir()).resolve()
    root = Path(processed_dir or paths.processed_dir())
    notebooks_dir = Path(notebooks_dir or paths.notebooks_dir()).resolve()
    with command_lock("pipeline", processed=paths.processed_root_of(root)):
        processed_dir = paths.resolve_processed(root).resolve()  # plan and run on one build
        previous = manifest.load(reports_dir)
        cache = dict(previous.get("plan_cache") or {})
        specs = plan_runs(notebooks_dir, processed_dir, only=only, cache=cache)
        return run_specs(
            specs,
            jobs=jobs,
            force=force,
            scheduler=scheduler,
            reports_dir=reports_dir,
            processed_dir=processed_dir,
            notebooks_dir=notebooks_dir,
            progress=progress,
            plan_cache=cache,
            partial=bool(only),
            prune=not only,
        )
