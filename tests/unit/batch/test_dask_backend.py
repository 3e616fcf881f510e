"""The Dask backend against a local two-process cluster on the fixture notebooks."""

from __future__ import annotations

import json
import shutil

import pytest

from analysis.batch import manifest, runner
from analysis.batch.plan import RunSpec
from conftest import TESTS

pytestmark = pytest.mark.notebook

FIXTURES = TESTS / "fixtures" / "notebooks"


def test_runs_on_a_local_dask_cluster(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(manifest, "environment_hashes", lambda: {"registry": "r", "config": "c", "code": "k"})
    nbd, reports = tmp_path / "notebooks", tmp_path / "reports"
    nbd.mkdir()
    for name in ("echo", "flaky"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbd)
    specs = [
        RunSpec("echo", str(nbd / "echo.ipynb"), {"label": "第一"}, "one", "d"),
        RunSpec("flaky", str(nbd / "flaky.ipynb"), {"fail": True}, "bad", "d"),
    ]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = runner.run_specs(
            specs,
            scheduler=cluster.scheduler_address,
            reports_dir=reports,
            processed_dir=tmp_path,
            notebooks_dir=nbd,
            progress=False,
        )
    assert summary.ran == ["echo/one"]
    assert [r.run_id for r in summary.failed] == ["flaky/bad"] and "boom on purpose" in summary.failed[0].error
    assert (reports / "echo" / "one" / "label.txt").read_text(encoding="utf-8") == repr("第一")
    assert (reports / "echo" / "one" / "echo.html").exists() and (reports / "echo" / "one" / "run.json").exists()
    assert not (reports / "flaky" / "bad").exists()
    runs = {r["run_id"]: r for r in json.loads(summary.manifest_path.read_text(encoding="utf-8"))["runs"]}
    assert runs["echo/one"]["status"] == "ok" and runs["flaky/bad"]["status"] == "failed"
