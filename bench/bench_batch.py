"""Benchmark of the batch runner against the naive papermill loop, in one invocation, on the same runs.

    .venv/bin/python bench/bench_batch.py [--limit N] [--jobs J] [--fixtures]

Times, on the same notebooks × parameter sets and the same data:

  (a) naive: a sequential loop of `papermill` CLI subprocesses, one per run (what a shell loop does);
  (b) full:  `run_all(force=True)` in a fresh Python process (as `python -m analysis run --force` would);
  (c) no-op: `run_all()` again in a fresh process — nothing changed, so every run should be skipped.

and prints seconds per notebook and the ratios a/b (goal ≥ 4 on 2 cores) and c/b (goal ≤ 0.02). Uses the real
notebooks/ and data/processed/ when both exist (runs.yaml + observations.parquet), else the fixture notebook of
tests/fixtures/notebooks on a synthetic processed dir; it prints which. Outputs go to a temporary folder, never to
reports/. This is a benchmark, not a test: nothing is asserted. The 100-parallel-runs check (papermill issue 511) is
``--stress 100``: 100 runs of a trivial notebook with 10 concurrent kernel starts, reporting failures and retries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PAPERMILL = str(Path(PY).parent / "papermill")
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"


def _fixture_tree(work: Path) -> tuple[Path, Path]:
    """A notebooks dir with the fixture profile notebook and a synthetic processed dir (6 cities × 4 districts × 2
    years = 48 runs)."""
    import pandas as pd

    nbd, pdir = work / "notebooks", work / "processed"
    nbd.mkdir()
    pdir.mkdir()
    shutil.copy(FIXTURES / "profile.ipynb", nbd / "profile.ipynb")
    (nbd / "runs.yaml").write_text(
        "kernel_preload: [pandas, matplotlib.pyplot]\nnotebooks:\n  profile: {for_each: district_year}\n",
        encoding="utf-8",
    )
    rows = []
    for c in range(6):
        for d in range(4):
            for year in (2022, 2023):
                for i, ind in enumerate(("a", "b", "c", "d", "e")):
                    rows.append(
                        dict(
                            unit_name=f"示例{c}市{d}区",
                            unit_level="district",
                            city=f"示例{c}市",
                            year=year,
                            indicator_id=ind,
                            value=float(i + d + c),
                        )
                    )
    pd.DataFrame(rows).to_parquet(pdir / "observations.parquet")
    return nbd, pdir


def _spread(specs: list, limit: int | None) -> list:
    """The first ``limit`` runs, taken round-robin over notebooks so every notebook is represented."""
    if not limit or limit >= len(specs):
        return specs
    by_nb: dict[str, list] = {}
    for s in specs:
        by_nb.setdefault(s.notebook, []).append(s)
    out: list = []
    while len(out) < limit:
        for runs in by_nb.values():
            if runs and len(out) < limit:
                out.append(runs.pop(0))
    return out


def naive_loop(specs: list, processed_dir: Path, out_root: Path) -> tuple[float, int]:
    """(a): one `papermill` CLI process per run, sequentially. Returns (seconds, failures)."""
    from analysis.batch.execute import read_notebook
    from analysis.batch.params import declared_parameters

    declared = {s.notebook_path: declared_parameters(read_notebook(s.notebook_path)) for s in specs}
    failures = 0
    t0 = time.perf_counter()
    for s in specs:
        out_dir = out_root / s.notebook / s.slug
        out_dir.mkdir(parents=True, exist_ok=True)
        params = dict(s.params, output_dir=str(out_dir))
        if "processed_dir" in declared[s.notebook_path]:
            params["processed_dir"] = str(processed_dir)
        cmd = [
            PAPERMILL,
            s.notebook_path,
            str(out_dir / f"{s.notebook}.ipynb"),
            "-y",
            json.dumps(params),
            "--no-progress-bar",
        ]
        proc = subprocess.run(cmd, cwd=Path(s.notebook_path).parent, capture_output=True, text=True)
        failures += proc.returncode != 0
        if proc.returncode != 0:
            print(f"  naive run failed: {s.run_id}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    return time.perf_counter() - t0, failures


def runner_process(
    only: list[str], nbd: Path, pdir: Path, reports: Path, jobs: int | None, force: bool, pin: dict | None = None
) -> tuple[float, dict]:
    """(b)/(c): run_all in a fresh interpreter (imports included), timed from outside. ``pin``: fixed registry/config/
    code hashes, so that colleagues editing the package during the benchmark do not turn the no-op into a rerun."""
    code = (
        "import json, sys\nfrom analysis.batch import manifest\nfrom analysis.batch.runner import run_all\n"
        "a = json.loads(sys.argv[1])\n"
        "if a['pin']:\n    manifest.environment_hashes = lambda: a['pin']\n"
        "s = run_all(jobs=a['jobs'], force=a['force'], only=a['only'], reports_dir=a['reports'], "
        "processed_dir=a['pdir'], notebooks_dir=a['nbd'], progress=False)\n"
        "print(json.dumps({'ran': len(s.ran), 'skipped': len(s.skipped), 'failed': [r.run_id + ': ' + (r.error or '')[:200] "
        "for r in s.failed]}))\n"
    )
    arg = json.dumps(
        {
            "jobs": jobs,
            "force": force,
            "only": only,
            "reports": str(reports),
            "pdir": str(pdir),
            "nbd": str(nbd),
            "pin": pin,
        }
    )
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-c", code, arg], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"runner process failed:\n{proc.stderr[-3000:]}")
    return seconds, json.loads(proc.stdout.strip().splitlines()[-1])


def stress(n: int, jobs: int) -> None:
    """n runs of a trivial notebook, ``jobs`` kernels starting and running at once (papermill issue 511)."""
    from analysis.batch import runner
    from analysis.batch.plan import RunSpec

    with tempfile.TemporaryDirectory(prefix="bench-stress-") as tmp:
        nb = Path(tmp) / "echo.ipynb"
        shutil.copy(FIXTURES / "echo.ipynb", nb)
        specs = [RunSpec("echo", str(nb), {"label": f"运行{i}"}, f"r{i:03d}", "d") for i in range(n)]
        t0 = time.perf_counter()
        summary = runner.run_specs(
            specs,
            jobs=jobs,
            force=True,
            reports_dir=Path(tmp) / "reports",
            processed_dir=tmp,
            notebooks_dir=tmp,
            progress=False,
        )
        seconds = time.perf_counter() - t0
        runs = json.loads(summary.manifest_path.read_text(encoding="utf-8"))["runs"]
        retried = sum(1 for r in runs if r.get("kernel_attempts", 1) > 1)
    print(
        f"stress: {n} runs, {jobs} at once: {len(summary.ran)} ok, {len(summary.failed)} failed, "
        f"{retried} needed a kernel-start retry, {seconds:.1f}s"
    )
    for r in summary.failed:
        print(f"  FAILED {r.run_id}: {r.error}")


def _inputs(reports: Path) -> dict[str, dict]:
    """run_id → input hashes from the manifest (to explain a no-op rerun that was not a no-op)."""
    data = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    return {r["run_id"]: r["inputs"] for r in data["runs"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="number of runs (spread over notebooks); default all")
    ap.add_argument("--jobs", type=int, default=None, help="parallel notebooks for (b)/(c); default: cores")
    ap.add_argument("--fixtures", action="store_true", help="use the fixture set even if real notebooks/data exist")
    ap.add_argument(
        "--pin-env",
        action="store_true",
        help="hash registry/config/code once at start (others editing the tree would otherwise force reruns in (c))",
    )
    ap.add_argument("--stress", type=int, default=0, metavar="N", help="instead: N parallel runs of a trivial notebook")
    ap.add_argument(
        "--kernels",
        choices=("fork", "fresh"),
        default=None,
        help="(b)/(c) kernels: forked from a warm template (default) or started from scratch (ANALYSIS_KERNELS)",
    )
    args = ap.parse_args(argv)
    if args.kernels:
        os.environ["ANALYSIS_KERNELS"] = args.kernels  # inherited by the runner processes of (b)/(c)
    if args.stress:
        stress(args.stress, args.jobs or 10)
        return 0

    from analysis import paths
    from analysis.batch.plan import plan_runs

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        nbd, pdir = paths.notebooks_dir(), paths.processed_dir()
        real = (nbd / "runs.yaml").exists() and (pdir / "observations.parquet").exists() and not args.fixtures
        if not real:
            nbd, pdir = _fixture_tree(work)
        specs = _spread(plan_runs(nbd, pdir), args.limit)
        if not specs:
            print("no runs planned", file=sys.stderr)
            return 1
        notebooks = sorted({s.notebook for s in specs})
        print(f"data: {'REAL notebooks/ + data/processed/' if real else 'FIXTURE notebook + synthetic processed dir'}")
        print(f"runs: {len(specs)} ({', '.join(notebooks)}); cores: {os.cpu_count()}; jobs: {args.jobs or 'default'}")
        print(f"kernels: {os.environ.get('ANALYSIS_KERNELS') or 'fork'} (ANALYSIS_KERNELS)")
        only = [s.run_id for s in specs]
        pin = None
        if args.pin_env:
            from analysis.batch.manifest import environment_hashes

            pin = environment_hashes()
            print("environment hashes (registry/config/code) pinned at bench start (--pin-env)")

        a, a_fail = naive_loop(specs, pdir, work / "naive")
        print(f"(a) naive papermill CLI loop : {a:8.2f} s  {a / len(specs):6.3f} s/notebook  failures: {a_fail}")
        b, b_sum = runner_process(only, nbd, pdir, work / "reports", args.jobs, True, pin)
        print(f"(b) run_all --force          : {b:8.2f} s  {b / len(specs):6.3f} s/notebook  {b_sum}")
        before = _inputs(work / "reports")
        c, c_sum = runner_process(only, nbd, pdir, work / "reports", args.jobs, False, pin)
        print(f"(c) run_all no-op rerun      : {c:8.2f} s  {c / len(specs):6.3f} s/notebook  {c_sum}")
        if c_sum["ran"]:
            after = _inputs(work / "reports")
            changed = sorted({k for rid, inp in after.items() for k in inp if before.get(rid, {}).get(k) != inp[k]})
            print(f"    note: (c) reran runs because these inputs changed between (b) and (c): {changed}")
        print(f"ratio a/b = {a / b:.2f}   (goal >= 4 on 2 cores)")
        print(f"ratio c/b = {c / b:.4f} (goal <= 0.02)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
