"""Kernels forked from the pre-warmed template (analysis.batch.forkserver): isolation, equal outputs, no leftovers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import shutil
import socket
from pathlib import Path

import nbformat
import pytest

from analysis.batch import forkserver, forktemplate, kernels, manifest, runner
from analysis.batch.plan import RunSpec
from conftest import TESTS

pytestmark = pytest.mark.notebook

FIXTURES = TESTS / "fixtures" / "notebooks"
PRELOAD = ["pandas", "matplotlib.pyplot", "analysis.present.charts.figures"]

# Run 1 and run 2 of this notebook must both find a clean kernel: no variable and no module attribute from before.
STATE_CELL = """\
import json, os, sys
from pathlib import Path
import pandas
found = {"variable": "leaked_variable" in globals(), "attribute": hasattr(pandas, "leaked_attribute")}
leaked_variable = label
pandas.leaked_attribute = label
Path(output_dir, "state.json").write_text(json.dumps(
    {"found": found, "pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
     "mplbackend": os.environ.get("MPLBACKEND"), "link": os.environ.get("ANALYSIS_LINK_CHARTS")}))
"""

# A house-style chart (CJK font from the template's apply_style) saved to a file and shown inline.
CHART_CELL = """\
from pathlib import Path
from analysis.present.charts.style import new_figure
fig = new_figure(3, 2)
ax = fig.add_subplot()
ax.bar(["甲区", "乙区"], [1.0, 2.5])
ax.set_title("示例 标题")
fig.savefig(Path(output_dir) / "house.png", dpi=60)
print("rendered", sorted(k for k in globals() if not k.startswith("_"))[:3])
fig
"""


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch):
    monkeypatch.setattr(manifest, "environment_hashes", lambda: {"registry": "r", "config": "c", "code": "k"})
    monkeypatch.delenv(forkserver.ENV_SWITCH, raising=False)


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('label = "x"\noutput_dir = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _pixels(png: bytes) -> tuple:
    """A PNG's decoded content: size, mode, text/dpi metadata and a hash of the pixels."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return (
            im.size,
            im.mode,
            sorted((k, str(v)) for k, v in im.info.items()),
            hashlib.sha256(im.tobytes()).hexdigest(),
        )


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and _alive(int(entry.name)):
                out.append(int(entry.name))
    return out


def _run(specs: list[RunSpec], root: Path, mode: str, monkeypatch, jobs: int = 1) -> runner.RunSummary:
    monkeypatch.setenv(forkserver.ENV_SWITCH, mode)
    (root / "runs.yaml").write_text(f"kernel_preload: {json.dumps(PRELOAD)}\n", encoding="utf-8")
    return runner.run_specs(
        specs,
        jobs=jobs,
        force=True,
        reports_dir=root / f"reports-{mode}",
        processed_dir=root,
        notebooks_dir=root,
        progress=False,
    )


def test_sequential_runs_get_fresh_forked_kernels_and_leave_no_process(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "state.ipynb", STATE_CELL)
    specs = [RunSpec("state", str(nb), {"label": f"run{i}"}, f"r{i}", "d") for i in (1, 2)]
    before = set(_children_of(os.getpid()))  # other tests may leave e.g. Dask workers behind
    summary = _run(specs, tmp_path, "fork", monkeypatch)
    assert summary.failed == [] and sorted(summary.ran) == ["state/r1", "state/r2"]
    states = [json.loads((tmp_path / "reports-fork" / "state" / f"r{i}" / "state.json").read_text()) for i in (1, 2)]
    for state in states:
        assert state["found"] == {"variable": False, "attribute": False}
        assert state["cwd"] == str(tmp_path)
        assert state["mplbackend"] == kernels.INLINE_BACKEND and state["link"] == "1"
    assert states[0]["pid"] != states[1]["pid"]  # one process per notebook
    assert states[0]["ppid"] == states[1]["ppid"] != os.getpid()  # both forked from the same template
    assert not any(_alive(pid) for pid in [s["pid"] for s in states] + [states[0]["ppid"]])
    assert set(_children_of(os.getpid())) <= before


def test_outputs_are_identical_with_forked_and_fresh_kernels(tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "profile.ipynb", tmp_path)
    nb = _notebook(tmp_path / "house.ipynb", CHART_CELL)
    import pandas as pd

    rows = [
        dict(unit_name="甲区", unit_level="district", city="示例市", year=2023, indicator_id=i, value=v)
        for i, v in (("a", 1.0), ("b", 3.5))
    ]
    pd.DataFrame(rows).to_parquet(tmp_path / "observations.parquet")
    specs = [
        RunSpec("profile", str(tmp_path / "profile.ipynb"), {"district": "甲区", "year": 2023}, "甲区_2023", "d"),
        RunSpec("house", str(nb), {"label": "x"}, "all", "d"),
    ]
    results = {}
    before = set(_children_of(os.getpid()))
    for mode in ("fork", "fresh"):
        summary = _run(specs, tmp_path, mode, monkeypatch, jobs=2)
        assert summary.failed == [] and len(summary.ran) == 2
        results[mode] = tmp_path / f"reports-{mode}"

    def outputs(root: Path, name: str, slug: str) -> list:
        executed = nbformat.read(str(root / name / slug / f"{name}.ipynb"), as_version=4)
        cells = [c.get("outputs") for c in executed.cells if c.cell_type == "code"]
        for out in (o for cell in cells for o in cell):
            if "image/png" in out.get("data", {}):
                out["data"]["image/png"] = _pixels(base64.b64decode(out["data"]["image/png"]))
        return cells

    for name in ("profile", "house"):
        slug = "甲区_2023" if name == "profile" else "all"
        assert outputs(results["fork"], name, slug) == outputs(results["fresh"], name, slug)
    for rel in ("profile/甲区_2023/chart.png", "profile/甲区_2023/summary.json", "house/all/house.png"):
        assert (results["fork"] / rel).read_bytes() == (results["fresh"] / rel).read_bytes(), rel  # byte for byte
    assert set(_children_of(os.getpid())) <= before


def test_kernel_start_is_retried_when_the_forked_child_cannot_bind(tmp_path, monkeypatch):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    real = forkserver._connection_file
    calls = []

    def first_one_busy(folder: Path, kernel_name: str) -> tuple[Path, dict]:
        calls.append(1)
        if len(calls) > 1:
            return real(folder, kernel_name)
        from jupyter_client.connect import write_connection_file

        path = folder / "busy.json"
        _, info = write_connection_file(str(path), shell_port=busy.getsockname()[1], ip="127.0.0.1", key=b"k")
        return path, dict(info)

    monkeypatch.setattr(forkserver, "_connection_file", first_one_busy)

    async def go():
        server = await forkserver.ForkServer.start(["json"])
        try:
            kernel = await forkserver.start_forked_kernel(server, cwd=tmp_path, conn_dir=tmp_path)
            reply = await kernel.kc.execute_interactive("import sys; assert 'json' in sys.modules", timeout=30)
            pid = kernel.km.pid
            await kernels.shutdown_kernel(kernel)
            return kernel.attempts, reply["content"]["status"], pid, server.proc.pid
        finally:
            await server.close()

    try:
        attempts, status, pid, template = asyncio.run(go())
    finally:
        busy.close()
    assert (attempts, status) == (2, "ok")
    assert not _alive(pid) and not _alive(template)
    assert not list(tmp_path.glob("*.json"))  # connection files removed


def test_a_busy_kernel_is_killed_and_the_template_reaps_everything(tmp_path):
    async def go():
        server = await forkserver.ForkServer.start([])
        try:
            kernel = await forkserver.start_forked_kernel(server, cwd=tmp_path, conn_dir=tmp_path)
            kernel.kc.execute("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(120)")
            await asyncio.sleep(0.5)
            idle = await forkserver.start_forked_kernel(server, cwd=tmp_path, conn_dir=tmp_path)
            await kernel.km.shutdown_kernel(grace=0.5)
            status = server.exited(kernel.km.pid).result()
            kernel.kc.stop_channels()
            return kernel.km.pid, idle.km.pid, server.proc.pid, status
        finally:
            await server.close()  # `idle` is still running: closing the server must end it
            idle.kc.stop_channels()

    pid, idle, template, status = asyncio.run(go())
    assert status == -9  # it ignored the shutdown request while busy: killed after the grace period
    assert not _alive(pid) and not _alive(idle) and not _alive(template)


def test_kernels_exit_by_themselves_after_a_shutdown_request(tmp_path):
    # ipykernel 7.4's atexit close stopped the IOPub thread while the control thread was still flushing after the
    # shutdown reply: most kernels then waited out the grace period and were killed (status -9), not exited (0)
    async def go():
        server = await forkserver.ForkServer.start([])
        statuses = []
        try:
            for _ in range(5):
                kernel = await forkserver.start_forked_kernel(server, cwd=tmp_path, conn_dir=tmp_path)
                await kernel.km.shutdown_kernel(grace=forktemplate.SHUTDOWN_GRACE)
                statuses.append(server.exited(kernel.km.pid).result())
                kernel.kc.stop_channels()
        finally:
            await server.close()
        return statuses

    assert asyncio.run(go()) == [0] * 5


def test_finish_control_thread_joins_the_control_thread_before_close():
    import threading

    class App:
        control_thread = threading.Thread(target=lambda: threading.Event().wait(0.2))

    App.control_thread.start()
    assert forktemplate.finish_control_thread(App()) is True and not App.control_thread.is_alive()
    assert forktemplate.finish_control_thread(object()) is True  # no control thread: nothing to wait for

    class Stuck:
        control_thread = threading.Thread(target=lambda: threading.Event().wait(5), daemon=True)

    Stuck.control_thread.start()
    assert forktemplate.finish_control_thread(Stuck(), timeout=0.05) is False  # bounded: never hangs the exit


def test_open_pool_falls_back_to_fresh_kernels(monkeypatch, capsys):
    async def broken(*args, **kwargs):
        raise forkserver.ForkServerError("no template today")

    monkeypatch.setattr(forkserver.ForkServer, "start", broken)
    pool = asyncio.run(forkserver.open_pool(2, preload=["json"]))
    assert type(pool) is kernels.KernelPool and pool.preload == ["json"]
    assert "fork server unavailable" in capsys.readouterr().err

    monkeypatch.setenv(forkserver.ENV_SWITCH, "fresh")
    monkeypatch.setattr(forkserver.ForkServer, "start", lambda *a, **k: pytest.fail("switch ignored"))
    assert type(asyncio.run(forkserver.open_pool(1))) is kernels.KernelPool
    assert not forkserver.use_fork_server()
    monkeypatch.setenv(forkserver.ENV_SWITCH, "fork")
    assert forkserver.use_fork_server()


def test_preload_reports_modules_that_fail_to_import():
    assert forktemplate.preload_modules(["json", "no_such_module_xyz"]) == ["no_such_module_xyz"]


def test_fresh_kernel_port_clash_is_noticed_at_once_and_retried(monkeypatch, caplog):
    """A kernel whose shell port is taken exits at start ("Address already in use"); the start notices the death
    (instead of waiting for the reply until the start timeout) and retries with new ports."""
    import asyncio
    import logging
    import socket

    import jupyter_client.manager

    from analysis.batch import kernels

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    real = jupyter_client.manager.AsyncKernelManager
    made = []

    class Clashing(real):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)
            if len(made) == 1:
                self.cache_ports = False  # (else jupyter_client picks the ports itself)
                self.shell_port = port  # the first kernel must bind a port that is in use

    monkeypatch.setattr(jupyter_client.manager, "AsyncKernelManager", Clashing)
    caplog.set_level(logging.WARNING, logger=kernels.log.name)

    async def go():
        kernel = await kernels.start_kernel(attempts=2, ready_timeout=60)
        try:
            return kernel.attempts
        finally:
            await kernels.shutdown_kernel(kernel)

    try:
        assert asyncio.run(go()) == 2
    finally:
        busy.close()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "died before replying" in messages and "didn't respond" not in messages
