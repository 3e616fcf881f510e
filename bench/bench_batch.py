"""Benchmark of what the user runs, in one invocation, on the same runs and data.

    .venv/bin/python bench/bench_batch.py [--naive N] [--jobs J]
    .venv/bin/python bench/bench_batch.py --stress 100        # 100 parallel kernel starts (papermill issue 511)
    .venv/bin/python bench/bench_batch.py --api [--limit N]   # the older in-process comparison (run_all)

The data: a copy of data/raw (the shipped reports) plus one small dataset file with a row for each of two real
districts (解放区, 中站区), built with the sample (`python -m analysis build`) into a temporary data/processed; every
output goes to a temporary reports/, never to the project's. Then, timed from outside (whole processes, imports
included):

  (a) naive: a sequential loop of `papermill` CLI subprocesses, one per run (what a shell loop does) — on N runs
      spread over the notebooks (default 6; the output says how many), giving seconds per notebook;
  (b) full:  `python -m analysis run --force` as a subprocess: every run, then the briefs, city PDFs, methodology
      page, workbook, index and files page;
  (c) no-op: `python -m analysis run` again — nothing changed: every run skipped, nothing rebuilt;
  (d) one district: 解放区's row changed in the dataset file, `python -m analysis build` (timed apart), then
      `python -m analysis run` — only that district's runs, its city's comparison and area pages and their briefs.

It prints s/notebook, the ratio naive/full (goal ≥ 8 on 2 cores), the no-op seconds (goal ≤ 2 s), what (d) reran,
and build + full (what `make run` does; goal ≤ 60 s). Nothing is asserted: this is a benchmark, not a test.
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


DATASET_HEADER = (
    "单位,上级单位,单位类型,年份,部署法治重点工作（项）[gov_key_tasks_deployed],执法人员（人）[enf_officers]\n"
)


def _dataset(path: Path, jiefang_officers: int) -> None:
    path.write_text(
        DATASET_HEADER + f"解放区,,区县,2023,12,{jiefang_officers}\n中站区,,区县,2023,9,80\n", encoding="utf-8"
    )


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """``python -m analysis ARGS`` as a subprocess; (wall seconds, stdout+stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-m", "analysis", *args], capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"python -m analysis {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout + proc.stderr


def _summary_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("运行 ")]
    return lines[-1].split("；")[0] if lines else "?"


def _rerun_ids(reports: Path, since: str) -> list[str]:
    data = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    return sorted(r["run_id"] for r in data["runs"] if r["status"] == "ok" and (r.get("start") or "") >= since)


def user_commands(naive_n: int, jobs: int | None) -> int:
    """(a)–(d) of the module docstring."""
    from datetime import UTC, datetime

    from analysis.batch.plan import plan_runs
    from analysis.core import paths

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        raw, processed, reports = work / "raw", work / "processed", work / "reports"
        shutil.copytree(paths.raw_dir(), raw)
        (raw / "datasets").mkdir(exist_ok=True)
        data = raw / "datasets" / "区县指标2023.csv"
        _dataset(data, 120)
        env = dict(os.environ, ANALYSIS_RAW=str(raw), ANALYSIS_PROCESSED=str(processed), ANALYSIS_REPORTS=str(reports))
        env.pop("MPLBACKEND", None)
        build_s, _ = _cli(["build", "--allow-skipped"], env)
        specs = plan_runs(paths.notebooks_dir(), processed)
        n = len(specs)
        jobs_arg = ["--jobs", str(jobs)] if jobs else []
        print(f"data: data/raw + one dataset file (解放区, 中站区 2023) + the fictional sample; {n} runs planned")
        print(f"cores: {os.cpu_count()}; jobs: {jobs or 'default (cores + 1)'}; build: {build_s:.1f} s")
        subset = _spread(list(specs), naive_n)
        a, a_fail = naive_loop(subset, processed, work / "naive")
        a_per = a / len(subset)
        print(
            f"(a) naive papermill CLI loop    : {a:8.2f} s for {len(subset)} of {n} runs "
            f"({', '.join(sorted({s.notebook for s in subset}))})  {a_per:6.3f} s/notebook  failures: {a_fail}"
        )
        b, out_b = _cli(["run", "--force", "--no-progress", *jobs_arg], env)
        print(f"(b) python -m analysis run --force: {b:8.2f} s  {b / n:6.3f} s/notebook  [{_summary_line(out_b)}]")
        c, out_c = _cli(["run", "--no-progress", *jobs_arg], env)
        noop_note = "nothing rebuilt" if "输入未变" in out_c else "briefs/index REBUILT"
        print(f"(c) no-op python -m analysis run  : {c:8.2f} s  [{_summary_line(out_c)}; {noop_note}]")
        _dataset(data, 126)
        d_build, _ = _cli(["build", "--allow-skipped"], env)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        d, out_d = _cli(["run", "--no-progress", *jobs_arg], env)
        redone = [ln for ln in out_d.splitlines() if ln.startswith("重新生成")]
        print(
            f"(d) one district's row changed  : {d:8.2f} s (+ build {d_build:.1f} s)  [{_summary_line(out_d)}; "
            f"{redone[0] if redone else ''}]"
        )
        print(f"    reran: {', '.join(_rerun_ids(reports, since))}")
        print(f"ratio naive/full (s/notebook) = {a_per / (b / n):.2f}   (goal >= 8 on 2 cores)")
        print(f"no-op = {c:.2f} s   (goal <= 2 s)")
        print(f"build + full run = {build_s + b:.1f} s   (what `make run` does on fresh outputs; goal <= 60 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _inputs(reports: Path) -> dict[str, dict]:
    """run_id → input hashes from the manifest (to explain a no-op rerun that was not a no-op)."""
    data = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    return {r["run_id"]: r["inputs"] for r in data["runs"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--naive", type=int, default=6, metavar="N", help="runs for the naive loop (a); default 6")
    ap.add_argument("--api", action="store_true", help="instead: the in-process run_all comparison (older bench)")
    ap.add_argument("--limit", type=int, default=None, help="--api: number of runs (spread over notebooks)")
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
    if not args.api:
        return user_commands(args.naive, args.jobs)

    from analysis.batch.plan import plan_runs
    from analysis.core import paths

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
