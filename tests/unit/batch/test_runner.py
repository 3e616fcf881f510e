"""The batch runner end to end on tiny fixture notebooks (real kernels; ~10 runs)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.batch import kernels, manifest, runner
from analysis.batch.plan import RunSpec, make_slug
from conftest import TESTS

pytestmark = pytest.mark.notebook

FIXTURES = TESTS / "fixtures" / "notebooks"
NASTY = "a\"b'c\n__import__('os').system(\"touch PWNED\")\\ 马村区"


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch):
    """Other people edit the package while tests run: pin the code/registry hashes so reruns are comparable."""
    monkeypatch.setattr(manifest, "environment_hashes", lambda: {"registry": "r", "config": "c", "code": "k"})


@pytest.fixture
def tree(tmp_path):
    nbd, pdir, reports = tmp_path / "notebooks", tmp_path / "processed", tmp_path / "reports"
    nbd.mkdir()
    pdir.mkdir()
    for name in ("profile", "echo", "flaky"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbd)
    (nbd / "runs.yaml").write_text(
        "kernel_preload: [pandas, matplotlib.pyplot]\n"
        "notebooks:\n  profile: {for_each: district_year}\n  echo: {for_each: once, reads: []}\n  flaky: {for_each: once, reads: []}\n",
        encoding="utf-8",
    )
    _write_obs(pdir, 1.0)
    return nbd, pdir, reports


def _write_obs(pdir: Path, value_甲: float) -> None:
    rows = [
        dict(unit_name="甲区", unit_level="district", city="示例市", year=2023, indicator_id="a", value=value_甲),
        dict(unit_name="丙区", unit_level="district", city="另市", year=2023, indicator_id="a", value=2.0),
    ]
    pd.DataFrame(rows).to_parquet(pdir / "observations.parquet")


def _spec(nbd: Path, name: str, params: dict, slug: str | None = None) -> RunSpec:
    return RunSpec(name, str(nbd / f"{name}.ipynb"), params, slug or make_slug(params), "data")


def test_run_all_writes_outputs_manifest_and_is_incremental(tree):
    nbd, pdir, reports = tree
    kw = dict(reports_dir=reports, processed_dir=pdir, notebooks_dir=nbd, progress=False, jobs=2)
    summary = runner.run_all(**kw)
    assert sorted(summary.ran) == ["echo/all", "flaky/all", "profile/丙区_2023", "profile/甲区_2023"]
    assert summary.failed == [] and summary.exit_code == 0
    out = reports / "profile" / "甲区_2023"
    assert {p.name for p in out.iterdir()} == {"profile.ipynb", "profile.html", "chart.png", "summary.json", "run.json"}
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == {
        "district": "甲区",
        "year": 2023,
        "total": 1.0,
    }
    page = (out / "profile.html").read_text(encoding="utf-8")
    assert "<img" in page and "甲区 2023 1.0" in page
    assert "read_parquet" not in page and "savefig" not in page  # no code cells in the page
    assert len(page) < 150_000
    data = json.loads(summary.manifest_path.read_text(encoding="utf-8"))
    rec = {r["run_id"]: r for r in data["runs"]}["profile/甲区_2023"]
    assert rec["status"] == "ok" and rec["parameters"] == {"district": "甲区", "year": 2023}
    assert set(rec["inputs"]) == {"notebook", "parameters", "data_slice", "registry", "config", "code"}
    assert rec["start"] and rec["end"] and "chart.png" in rec["outputs"]

    again = runner.run_all(**kw)  # nothing changed: everything skipped
    assert again.ran == [] and len(again.skipped) == 4 and again.exit_code == 0

    _write_obs(pdir, 5.0)  # only 示例市 changed: only 甲区's run reruns
    third = runner.run_all(**kw)
    assert third.ran == ["profile/甲区_2023"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["total"] == 5.0

    forced = runner.run_all(force=True, only=["echo"], **kw)
    assert forced.ran == ["echo/all"] and forced.skipped == []
    kept = {r["run_id"] for r in json.loads(forced.manifest_path.read_text(encoding="utf-8"))["runs"]}
    assert "profile/丙区_2023" in kept  # a partial batch keeps the other runs' records


def test_failures_are_isolated_reported_and_keep_previous_outputs(tree):
    nbd, pdir, reports = tree
    kw = dict(reports_dir=reports, processed_dir=pdir, notebooks_dir=nbd, progress=False, jobs=2)
    good = runner.run_specs([_spec(nbd, "flaky", {"fail": False}, "case")], **kw)
    assert good.ran == ["flaky/case"]
    old_record = (reports / "flaky" / "case" / "run.json").read_text(encoding="utf-8")

    specs = [
        _spec(nbd, "flaky", {"fail": True}, "case"),  # raises inside the notebook
        _spec(nbd, "echo", {"labl": "x"}),  # unknown parameter
        _spec(nbd, "echo", {"label": 3}),  # mistyped parameter
        _spec(nbd, "echo", {"label": NASTY}, "nasty"),  # must still run fine
    ]
    summary = runner.run_specs(specs, **kw)
    assert summary.ran == ["echo/nasty"] and summary.exit_code == 1
    by_id = {r.run_id: r for r in summary.failed}
    assert by_id["flaky/case"].status == "failed" and "boom on purpose" in by_id["flaky/case"].error
    invalid = [r for r in summary.failed if r.status == "invalid"]
    assert len(invalid) == 2
    assert any("您是否要找 'label'" in r.error for r in invalid)
    assert any("实际是 int 3" in r.error or "实际传入 int 3" in r.error for r in invalid)
    text = summary.format()
    assert "失败 3 个" in text and "失败 [failed] flaky/case" in text  # Chinese since issue 13
    # The failed run left the previous good outputs untouched; its partial notebook is kept for debugging.
    assert (reports / "flaky" / "case" / "run.json").read_text(encoding="utf-8") == old_record
    assert (reports / "flaky" / "case" / "flaky.ipynb").exists()
    assert (reports / "_failed" / "flaky" / "case.ipynb").exists()
    assert not list((reports / "flaky").glob(".*staging*"))
    # The injected string arrived as a plain string and ran nothing.
    label = (reports / "echo" / "nasty" / "label.txt").read_text(encoding="utf-8")
    assert label == repr(NASTY)
    assert not list(Path(nbd).rglob("PWNED")) and not list(reports.rglob("PWNED"))


def test_kernel_start_is_retried_on_port_races():
    calls = []

    async def flaky_start(attempt: int) -> None:
        calls.append(attempt)
        if attempt < 3:
            raise RuntimeError("ZMQError: Address already in use (addr='tcp://127.0.0.1:54321')")

    async def go():
        kernel = await kernels.start_kernel(preload=["json"], _start=flaky_start)
        try:
            reply = await kernel.kc.execute_interactive("import sys; assert 'json' in sys.modules", timeout=30)
            return kernel.attempts, reply["content"]["status"]
        finally:
            await kernels.shutdown_kernel(kernel)

    assert asyncio.run(go()) == (3, "ok")
    assert calls == [1, 2, 3]


def test_kernel_start_gives_up_after_the_last_attempt():
    async def always(attempt: int) -> None:
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    with pytest.raises(RuntimeError, match="after 2 attempts"):
        asyncio.run(kernels.start_kernel(attempts=2, _start=always))


def test_pool_hands_out_fresh_warm_kernels_and_shuts_them_all_down():
    async def go():
        async with kernels.KernelPool(1, preload=["json"], demand=1) as pool:
            first = await pool.acquire()
            second = await pool.acquire()  # more than announced: still served, never hangs
            assert first.km is not second.km
            reply = await second.kc.execute_interactive("import sys; assert 'json' in sys.modules", timeout=30)
            assert reply["content"]["status"] == "ok"
            pool.discard(first)
            pool.discard(second)
        return [first.km.has_kernel, second.km.has_kernel]

    assert asyncio.run(go()) == [False, False]


def test_warmup_code_binds_no_names():
    code = kernels.warmup_code(["pandas", "no_such_module_xyz"])
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - proving the warm-up leaves the namespace empty
    assert set(namespace) == {"__builtins__"}


@pytest.mark.slow
def test_hundred_parallel_runs_complete_without_failures(tmp_path):
    """papermill issue 511: many kernels starting at once. 100 runs, 10 at a time, must all succeed (~1 min on 2 cores;
    deselect with -m 'not slow'). The same check is `bench/bench_batch.py --stress 100`."""
    nb = tmp_path / "echo.ipynb"
    shutil.copy(FIXTURES / "echo.ipynb", nb)
    specs = [RunSpec("echo", str(nb), {"label": f"运行{i}"}, f"r{i:03d}", "d") for i in range(100)]
    summary = runner.run_specs(
        specs, jobs=10, reports_dir=tmp_path / "reports", processed_dir=tmp_path, notebooks_dir=tmp_path, progress=False
    )
    assert summary.failed == [] and len(summary.ran) == 100
    assert (tmp_path / "reports" / "echo" / "r099" / "label.txt").read_text(encoding="utf-8") == repr("运行99")


def test_notebook_threads_do_not_inherit_the_callers_event_loop_variable():
    """jupyter_core remembers a thread's event loop in a context variable; a papermill run in a worker thread must not
    see the batch loop through it (it would fail with "This event loop is already running")."""
    import asyncio
    import contextvars

    from analysis.batch.execute import in_fresh_thread

    var: contextvars.ContextVar = contextvars.ContextVar("loop_like", default=None)

    async def main():
        var.set(asyncio.get_running_loop())  # what jupyter_core's ensure_event_loop does in the caller
        seen_copy = await asyncio.to_thread(var.get)  # the mechanism that failed
        seen_fresh = await in_fresh_thread(var.get)
        return seen_copy, seen_fresh

    seen_copy, seen_fresh = asyncio.run(main())
    assert seen_copy is not None  # to_thread does carry it over (so the test can fail)
    assert seen_fresh is None


KILLED_BATCH = """
import json, sys
from pathlib import Path
from analysis.batch import manifest, runner
from analysis.batch.plan import RunSpec
manifest.environment_hashes = lambda: {"registry": "r", "config": "c", "code": "k"}
nbd, pdir, reports, hold = map(Path, sys.argv[1:5])
specs = [RunSpec("echo", str(nbd / "echo.ipynb"), {"label": x}, x, "data") for x in ("a", "b")]
specs.append(RunSpec("hold", str(nbd / "hold.ipynb"), {"hold": str(hold)}, "held", "data"))
s = runner.run_specs(specs, jobs=2, reports_dir=reports, processed_dir=pdir, notebooks_dir=nbd, progress=False)
print(json.dumps({"ran": sorted(s.ran), "skipped": sorted(s.skipped)}))
"""


def test_a_killed_batch_keeps_the_records_of_finished_runs_and_the_next_batch_redoes_only_the_rest(tree):
    """The manifest is rewritten as each run ends: SIGKILL the batch while one run is still held open, and the next
    batch skips the two runs that finished and runs only the held one."""
    import os
    import signal
    import subprocess
    import sys
    import time

    nbd, pdir, reports = tree
    shutil.copy(FIXTURES / "hold.ipynb", nbd)
    hold = pdir.parent / "hold-open"
    hold.write_text("", encoding="utf-8")
    args = [sys.executable, "-c", KILLED_BATCH, str(nbd), str(pdir), str(reports), str(hold)]
    batch = subprocess.Popen(args, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    path = manifest.manifest_path(reports)
    status: dict[str, str] = {}
    try:
        deadline = time.time() + 120
        while time.time() < deadline and batch.poll() is None:
            try:
                status = {r["run_id"]: r["status"] for r in json.loads(path.read_text(encoding="utf-8"))["runs"]}
            except (OSError, ValueError):
                status = {}
            if status.get("echo/a") == "ok" and status.get("echo/b") == "ok":
                break
            time.sleep(0.1)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)  # the batch and the kernels it started, mid-run
        batch.communicate()
    assert batch.returncode == -signal.SIGKILL, "the batch ended before it was killed"
    assert status == {"echo/a": "ok", "echo/b": "ok"}  # the held run has no record yet
    assert not (reports / "hold" / "held").exists()

    hold.unlink()
    again = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"ran": ["hold/held"], "skipped": ["echo/a", "echo/b"]}
    assert (reports / "hold" / "held" / "done.txt").read_text(encoding="utf-8") == "done"
    final = {r["run_id"]: r["status"] for r in json.loads(path.read_text(encoding="utf-8"))["runs"]}
    assert final == {"echo/a": "skipped", "echo/b": "skipped", "hold/held": "ok"}


def test_runs_are_ordered_longest_first_from_the_last_manifest():
    def spec(nb: str, rid: str) -> tuple:
        return (RunSpec(nb, f"{nb}.ipynb", {}, rid, "d"), None, {})

    todo = [spec("profile", "a"), spec("profile", "b"), spec("profile", "new"), spec("fresh", "x"), spec("cmp", "c")]
    prev = {
        "profile/a": {"notebook": "profile", "status": "ok", "duration_s": 2.0},
        "profile/b": {"notebook": "profile", "status": "skipped", "duration_s": 4.0},
        "cmp/c": {"notebook": "cmp", "status": "ok", "duration_s": 9.0},
        "profile/gone": {"notebook": "profile", "status": "failed", "duration_s": 50.0},
    }
    order = [s.run_id for s, _, _ in runner.longest_first(todo, prev)]
    # never timed and no record of its notebook first; a new profile run counts as the median of its notebook (3 s)
    assert order == ["fresh/x", "cmp/c", "profile/b", "profile/new", "profile/a"]
    assert [s.run_id for s, _, _ in runner.longest_first(todo, {})] == [s.run_id for s, _, _ in todo]


def test_a_kernel_clients_sends_are_bounded_and_a_send_timeout_is_retried(tmp_path):
    """A send to a kernel that never took the connection must fail after a timeout, never block the batch's event
    loop (once the queue to the absent peer is full, a send without DONTWAIT blocks); the start then retries."""
    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.connect import write_connection_file

    from analysis.batch.kernels import SEND_TIMEOUT_MS, bound_sends, is_retryable

    _, info = write_connection_file(str(tmp_path / "k.json"), ip="127.0.0.1", key=b"k", transport="tcp")
    kc = AsyncKernelClient()
    kc.load_connection_info(info)
    kc.start_channels(hb=False)
    try:
        bound_sends(kc)
        for ch in (kc.shell_channel, kc.control_channel, kc.stdin_channel):
            assert ch.socket.getsockopt(zmq.SNDTIMEO) == SEND_TIMEOUT_MS
        # the blocking send pyzmq may fall back to, on a socket whose queue to the absent kernel is full
        sync = zmq.Socket.shadow(kc.shell_channel.socket.underlying)
        bound_sends(kc, 200)
        with pytest.raises(zmq.Again):  # raises after 0.2 s at the high-water mark instead of blocking for ever
            for _ in range(100_000):
                sync.send_multipart([b"x"])
    finally:
        kc.stop_channels()
    assert is_retryable(zmq.Again())


def test_default_jobs_is_one_more_than_the_cores(monkeypatch):
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert runner.default_jobs() == 3
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: set(), raising=False)
    assert runner.default_jobs() == 2  # never 0 runs, even where the affinity reads empty
