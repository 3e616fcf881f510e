"""Atomic builds and runs: a build killed (SIGKILL) at any of many points leaves data/processed holding exactly the old
complete set or the new one, seen the same through analysis.core.paths.resolve_processed and through the usual paths; the
next command cleans what the killed one left; the lock; read-only folders and a full disk give a Chinese message.

The kill points are the build's own numbered file operations (analysis.core.io.fault_point, driven by ANALYSIS_FAULT_AT);
every killed build runs in a child forked from one driver process (tests/crash_build.py), so this stays fast."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.core import io, paths
from conftest import TESTS

DRIVER = TESTS / "crash_build.py"
LEDGER_HEADER = "doc_or_source,unit,year,indicator_id,fact_id,action,value,reason,source,date\n"
OVERRIDE = (
    "000_280033b0075f93d2,马村区,2023,nd_issued,,override,8,补录漏报的1件,区司法局核实记录（测试用）,2024-03-01\n"
)


def drive(tmp_path: Path, spec: dict, name: str) -> list[dict]:
    steps, result = tmp_path / f"{name}.steps.json", tmp_path / f"{name}.result.json"
    steps.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(steps), str(result)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(result.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory, repo):
    """Two complete builds of the same raw data that differ (X: empty corrections ledger, Y: one override), their
    fingerprints, and the labelled file operations of a build going from X to Y."""
    tmp = tmp_path_factory.mktemp("atomic")
    ledger_x, ledger_y = tmp / "x.csv", tmp / "y.csv"
    ledger_x.write_text(LEDGER_HEADER, encoding="utf-8")
    ledger_y.write_text(LEDGER_HEADER + OVERRIDE, encoding="utf-8")
    log = tmp / "points.log"
    main = tmp / "processed"
    spec = {
        "raw": str(repo / "data" / "raw"),
        "steps": [
            {"root": str(tmp / "scratch_y"), "ledger": str(ledger_y)},
            {"root": str(main), "ledger": str(ledger_x)},
            {"root": str(main), "ledger": str(ledger_y), "log": str(log)},
        ],
    }
    r = drive(tmp, spec, "setup")
    assert [x["code"] for x in r] == [0, 0, 0]
    fp_y, fp_x = r[0]["after_fp"], r[1]["after_fp"]
    assert fp_x != fp_y and r[2]["after_fp"] == fp_y  # builds are deterministic: the same data gives the same set
    labels = [line.split("\t", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    return {
        "tmp": tmp,
        "main": main,
        "raw": spec["raw"],
        "ledgers": [str(ledger_x), str(ledger_y)],
        "known": {"X": fp_x, "Y": fp_y},
        "labels": labels,
    }


def test_build_killed_at_many_points_leaves_old_or_new_set(two_sets):
    labels = two_sets["labels"]
    switch = labels.index("current link")
    writes = [lb for lb in labels[: labels.index("version written")] if lb.startswith(("table ", "csv "))]
    assert len(writes) >= 20  # every table and CSV is a point
    picked = writes[:: max(1, len(writes) // 8)] + ["version written", "version complete"]
    picked += ["remove *"]  # the next build, while removing the finished but never switched-in version left behind
    picked += ["previous link", "current link"]
    assert len(set(picked)) >= 12
    steps = [{"root": str(two_sets["main"]), "ledger": "other", "fault": f} for f in picked]
    steps.append({"root": str(two_sets["main"]), "ledger": "other"})  # the next command, not killed
    spec = {"raw": two_sets["raw"], "ledgers": two_sets["ledgers"], "known": two_sets["known"], "steps": steps}
    results = drive(two_sets["tmp"], spec, "kills")

    for r in results[:-1]:
        assert r["how"] == "SIGKILL", r["fault"]  # the point was reached and the build died there
        assert r["before"] in ("X", "Y") and r["usual_paths_same"], r["fault"]
        new = r["ledger"]
        after_switch = r["fault"] in labels and labels.index(r["fault"]) >= switch
        # before the one switch the old complete set is whole; from the switch on the new complete set is
        expect = new if after_switch else r["before"]
        if r["fault"] == "remove *":  # killed while cleaning up, before its own tables were written
            expect = r["before"]
        assert r["after"] == expect, (r["fault"], r["before"], r["after"])
    assert any(r["leftovers"] for r in results[:-1])  # the kills did leave unfinished folders behind …
    final = results[-1]
    assert final["code"] == 0 and final["after"] == final["ledger"] and final["usual_paths_same"]
    assert final["leftovers"] == []  # … and the next command removed them (only current + previous are kept)
    versions = sorted(p.name for p in (two_sets["main"] / "versions").iterdir())
    assert len(versions) == 2


def test_flat_layout_of_older_builds_is_adopted_without_a_mixed_moment(two_sets, tmp_path):
    """A data/processed written by the older flat layout (tables directly in the folder) becomes a version first;
    a kill at any step of that change leaves the old tables readable at the usual paths."""
    src = paths.resolve_processed(two_sets["main"])
    known = dict(two_sets["known"])
    faults = [
        "adopted flat layout",
        "current → flat layout",
        "link build_manifest.json",
        "link metrics",
        "link units.parquet",
        "version complete",
        "current link",
    ]
    steps = []
    for i, f in enumerate(faults):
        root = tmp_path / f"flat{i}"
        shutil.copytree(src, root)
        steps.append({"root": str(root), "ledger": "other", "fault": f})
    spec = {"raw": two_sets["raw"], "ledgers": two_sets["ledgers"], "known": known, "steps": steps}
    results = drive(tmp_path, spec, "flat")
    for r, f in zip(results, faults, strict=True):
        assert r["how"] == "SIGKILL", f
        assert r["usual_paths_same"], f
    # the flat copies held whichever set main holds now; the new build is the other one
    old = results[0]["before"]
    assert old in ("X", "Y")
    assert [r["after"] for r in results] == [old] * (len(faults) - 1) + [results[-1]["ledger"]]
    # the next command finishes the change: every usual path is a link through `current`, nothing else is left
    root = tmp_path / "flat3"
    spec = {
        "raw": two_sets["raw"],
        "ledgers": two_sets["ledgers"],
        "known": known,
        "steps": [{"root": str(root), "ledger": "other"}],
    }
    (final,) = drive(tmp_path, spec, "flat-next")
    assert final["code"] == 0 and final["usual_paths_same"] and final["leftovers"] == []
    assert all(
        os.readlink(p).startswith("current/")
        for p in root.iterdir()
        if p.name not in ("current", "previous", "versions")
    )


def test_disk_full_and_read_only_during_build_keep_the_previous_set(two_sets, tmp_path):
    """A full disk (ENOSPC) or a read-only folder (EROFS) at a table write, at the switch or while linking: the
    command prints one Chinese message and no traceback, and the previous complete set is whole."""
    root = tmp_path / "processed"
    shutil.copytree(two_sets["main"], root, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
    env.update(ANALYSIS_PROCESSED=str(root), ANALYSIS_RAW=two_sets["raw"], ANALYSIS_CORRECTIONS=two_sets["ledgers"][0])
    before = _tables(root)
    for fault, word in (
        ("table facts:enospc", "磁盘空间不足"),
        ("version complete:erofs", "没有写入权限"),
        ("previous link:enospc", "磁盘空间不足"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "analysis", "build", "--no-sample"],
            capture_output=True,
            text=True,
            env={**env, "ANALYSIS_FAULT_AT": fault},
            timeout=300,
        )
        assert proc.returncode == 1, fault
        assert word in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert "原有输出保持不变" in proc.stderr
        assert _tables(root) == before, fault
        assert not [p for p in (root / "versions").iterdir() if p.name.startswith(".building")], fault


def _tables(root: Path) -> dict[str, str]:
    from analysis.tidy.build import hash_tree

    return {k: v for k, v in hash_tree(paths.resolve_processed(root)).items() if k != "build_manifest.json"}


def _without_root_privileges() -> None:
    """In the child, before exec: drop the capabilities that let root write where permissions say no
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), so a read-only folder is read-only for it too."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_real_read_only_processed_folder_gives_a_message(two_sets, tmp_path):
    """data/processed really read-only (mode 0555; run as root, the build runs without root's override)."""
    root = tmp_path / "processed"
    shutil.copytree(two_sets["main"], root, symlinks=True)
    before = _tables(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
    env.update(ANALYSIS_PROCESSED=str(root), ANALYSIS_RAW=two_sets["raw"], ANALYSIS_CORRECTIONS=two_sets["ledgers"][1])
    kw = {"preexec_fn": _without_root_privileges} if os.geteuid() == 0 else {}
    for d, _, _ in os.walk(root):
        os.chmod(d, 0o555)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "analysis", "build", "--no-sample"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            **kw,
        )
    finally:
        for d, _, _ in os.walk(root):
            os.chmod(d, 0o755)
    assert proc.returncode == 1, proc.stderr
    assert "没有写入权限" in proc.stderr and str(root) in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _tables(root) == before


def test_second_build_waits_then_names_the_command_holding_the_lock(tmp_path):
    """While one command holds the pipeline lock, `build` and `run` wait ANALYSIS_LOCK_WAIT seconds and then stop
    with a Chinese message naming the holder's process and command."""
    root = tmp_path / "processed"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            sys.argv = ["analysis", "run", "--only", "trends"]
            from analysis.core.io import command_lock
            with command_lock("pipeline", processed={str(root)!r}):
                print("held", flush=True)
                time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
        env.update(ANALYSIS_PROCESSED=str(root), ANALYSIS_LOCK_WAIT="0.5", ANALYSIS_REPORTS=str(tmp_path / "r"))
        for cmd in (["build", "--no-sample"], ["run", "--no-progress"]):
            proc = subprocess.run(
                [sys.executable, "-m", "analysis", *cmd], capture_output=True, text=True, env=env, timeout=120
            )
            assert proc.returncode == 2, proc.stderr  # like every refusal the CLI explains (cli._err)
            assert "另一个命令正在运行" in proc.stderr and f"进程 {holder.pid}" in proc.stderr, proc.stderr
            assert "python -m analysis run --only trends" in proc.stderr and "Traceback" not in proc.stderr
            assert "已等待 0.5 秒" in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    assert not (root / "versions").exists()  # the refused build wrote nothing


def test_lock_is_reentrant_within_one_process(tmp_path):
    with io.command_lock("pipeline", processed=tmp_path / "p", wait=0):
        with io.command_lock("pipeline", processed=tmp_path / "p", wait=0):
            pass
        with io.command_lock("pipeline", processed=tmp_path / "p", wait=0):  # still held by the outer block
            pass


# ---------------------------------------------------------------- run: a notebook folder swapped whole


def _swap_in_child(target: Path, content: str, fault: str | None, no_exchange: bool) -> int:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from analysis.core.io import staged_dir
        with staged_dir(Path({str(target)!r})) as stage:
            (stage / "page.html").write_text({content!r}, encoding="utf-8")
            (stage / "run.json").write_text("{{}}", encoding="utf-8")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
    env["ANALYSIS_RAW"] = str(target.parent / "raw")
    if fault:
        env["ANALYSIS_FAULT_AT"] = fault
    if no_exchange:
        env["ANALYSIS_NO_EXCHANGE"] = "1"
    return subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode


@pytest.mark.parametrize("no_exchange", [False, True], ids=["exchange", "two-renames"])
def test_killed_run_leaves_the_previous_notebook_folder_whole(tmp_path, no_exchange):
    """A run's outputs replace reports/<notebook>/<run>/ as a whole; killed at any step of that, the folder holds the
    old outputs or the new ones, and the next command's clean-up removes the staging folder and, when the kill came
    between the two renames (systems without an atomic exchange), puts the old folder back."""
    reports = tmp_path / "reports"
    target = reports / "district_profile" / "马村区_2023"
    steps = (
        ["staged 马村区_2023", "exchanged 马村区_2023"]
        if not no_exchange
        else ["staged 马村区_2023", "moved aside 马村区_2023", "replaced 马村区_2023"]
    )
    for i, fault in enumerate(steps):
        assert _swap_in_child(target, "old", None, no_exchange) == 0
        assert _swap_in_child(target, f"new{i}", fault, no_exchange) == -9
        removed = io.clean_leftovers(None, reports)
        assert removed  # the dead process left a staging folder (or the old folder aside)
        assert sorted(p.name for p in target.parent.iterdir()) == ["马村区_2023"]
        page = (target / "page.html").read_text(encoding="utf-8")
        assert page in ("old", f"new{i}") and sorted(os.listdir(target)) == ["page.html", "run.json"]
        if fault.startswith("staged"):
            assert page == "old"


def test_clean_up_keeps_what_a_live_process_is_writing(tmp_path):
    folder = tmp_path / "reports" / "trends"
    folder.mkdir(parents=True)
    live = folder / f".x.staging.{os.getpid()}.abc"
    dead = folder / ".x.staging.999999999.abc"
    part = folder / ".index.html.part-999999999-q.html"
    for p in (live, dead):
        p.mkdir()
    part.write_text("half", encoding="utf-8")
    io.clean_leftovers(None, tmp_path / "reports")
    assert live.exists() and not dead.exists() and not part.exists()


def test_two_only_batches_keep_each_others_manifest_records(tmp_path):
    """Two `run --only` batches one after the other (the lock serialises them): the second one's save reads the
    manifest again, so the first one's records stay even if the second began from an older copy."""
    from analysis.batch import manifest

    def rec(run_id):
        return manifest.RunRecord(
            run_id=run_id,
            notebook=run_id.split("/")[0],
            parameters={},
            output_dir="x",
            fingerprint="f",
            inputs={},
            status="ok",
        )

    stale = manifest.load(tmp_path)
    manifest.save(tmp_path, [rec("trends/a")], {}, stale, partial=True)
    manifest.save(tmp_path, [rec("district_profile/b")], {}, stale, partial=True)
    assert sorted(r["run_id"] for r in manifest.load(tmp_path)["runs"]) == ["district_profile/b", "trends/a"]


def test_flat_adoption_moves_only_what_the_old_build_wrote(tmp_path, monkeypatch):
    """Adopting a flat data/processed takes the tables its manifest lists (and metrics/); a file someone else put in
    the folder stays where it is, untouched, and is never removed with an old version."""
    monkeypatch.setenv("ANALYSIS_RAW", str(tmp_path / "raw"))
    root = tmp_path / "processed"
    (root / "metrics").mkdir(parents=True)
    (root / "build_manifest.json").write_text(json.dumps({"tables": ["observations", "metrics/rates"]}), "utf-8")
    (root / "observations.parquet").write_bytes(b"old observations")
    (root / "observations.csv").write_bytes(b"old csv")
    (root / "metrics" / "rates.parquet").write_bytes(b"old rates")
    (root / "我的笔记.xlsx").write_bytes(b"an analyst's own file")
    for n in range(3):  # three builds: the adopted flat set becomes previous, then is removed
        with io.new_version(root) as stage:
            (stage / "metrics").mkdir()
            (stage / "observations.parquet").write_bytes(f"new {n}".encode())
            (stage / "metrics" / "rates.parquet").write_bytes(f"rates {n}".encode())
            (stage / "build_manifest.json").write_text(json.dumps({"tables": ["observations", "metrics/rates"]}))
        if n == 0:
            prev = root / "previous"
            assert (prev / "observations.parquet").read_bytes() == b"old observations"
            assert (prev / "metrics" / "rates.parquet").read_bytes() == b"old rates"
            assert not (prev / "我的笔记.xlsx").exists()
        assert (root / "observations.parquet").read_bytes() == f"new {n}".encode()
        assert (root / "metrics" / "rates.parquet").read_bytes() == f"rates {n}".encode()
        assert not (root / "observations.csv").exists()  # the new set has no such table: its old link is gone
        assert (root / "我的笔记.xlsx").read_bytes() == b"an analyst's own file"
        assert not (root / "我的笔记.xlsx").is_symlink()
    assert len(list((root / "versions").iterdir())) == 2


def test_run_cleans_what_a_killed_run_left(tmp_path):
    """`run` (run_specs) removes a dead run's staging folder and puts a folder moved aside back, before it starts."""
    from analysis.batch.runner import run_specs

    reports = tmp_path / "reports"
    (reports / "trends" / ".全部_2023.staging.999999999.k2j4").mkdir(parents=True)
    aside = reports / "trends" / ".全部_2024.old.999999999"
    aside.mkdir()
    (aside / "trends.html").write_text("good page", encoding="utf-8")
    (reports / ".index.html.part-999999999-x.html").write_text("<html>half", encoding="utf-8")
    run_specs([], reports_dir=reports, processed_dir=tmp_path / "processed", notebooks_dir=tmp_path, progress=False)
    assert sorted(p.name for p in (reports / "trends").iterdir()) == ["全部_2024"]
    assert (reports / "trends" / "全部_2024" / "trends.html").read_text(encoding="utf-8") == "good page"
    assert sorted(p.name for p in reports.iterdir()) == ["run_manifest.json", "trends"]
