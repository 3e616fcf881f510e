"""Driver for tests/test_atomic.py: runs `python -m analysis build` many times, each in a child forked from this one
process (the imports are paid once, so killing a build at many points stays fast), and records after each one what
data/processed holds.

    python tests/crash_build.py STEPS.json RESULT.json

STEPS.json: {"raw": path, "steps": [{"root": path, "ledger": path | "other", "fault": spec | null, "log": path | null}]}
``ledger: "other"`` picks, of ``ledgers`` [X, Y], the one the folder does not hold now (so every killed build goes
from one known complete set to the other). RESULT.json: one record per step — exit status, the fingerprint of the set
before and after, the fingerprint seen through the usual paths (data/processed/<table>), and what is left over.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import pyarrow.parquet  # noqa: E402, F401 - imported once, before the children are forked (no threads started yet)

import analysis.ingest.datasets  # noqa: E402, F401
import analysis.ingest.reports.report  # noqa: E402, F401
import analysis.ingest.sample  # noqa: E402, F401
import analysis.metrics  # noqa: E402, F401
import analysis.metrics.narrative  # noqa: E402, F401
import analysis.metrics.pipeline  # noqa: E402, F401
import analysis.tidy.corrections  # noqa: E402, F401
import analysis.tidy.quality  # noqa: E402, F401
from analysis import cli  # noqa: E402
from analysis.core import paths  # noqa: E402
from analysis.core.io import sha256_file  # noqa: E402
from analysis.tidy.build import hash_tree  # noqa: E402

VOLATILE = ("built_at", "finished_at")


def _manifest_hash(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps({k: v for k, v in data.items() if k not in VOLATILE}, sort_keys=True, ensure_ascii=False)


def fingerprint(root: Path) -> dict[str, str]:
    """Every file of the set a reader gets from analysis.core.paths.resolve_processed(root); the build manifest without
    its timestamps."""
    folder = paths.resolve_processed(root)
    # a folder of the older flat layout is read as it is; what a build puts beside its tables is not part of the set
    out = {
        k: v
        for k, v in hash_tree(folder).items()
        if not k.startswith(f"{paths.VERSIONS_DIR}/") and not any(part.startswith(".") for part in k.split("/"))
    }
    if "build_manifest.json" in out:
        out["build_manifest.json"] = _manifest_hash(folder / "build_manifest.json")
    return out


def usual_paths(root: Path) -> dict[str, str]:
    """The same set read through data/processed/<name> (what analysts and notebooks open by path)."""
    folder = paths.resolve_processed(root)
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.name.startswith(".") or entry.name == paths.VERSIONS_DIR:
            continue
        p = root / entry.name
        if entry.is_dir():
            out.update({f"{entry.name}/{k}": v for k, v in hash_tree(p).items()})
        elif p.is_file():
            out[entry.name] = _manifest_hash(p) if entry.name == "build_manifest.json" else sha256_file(p)
    return out


def leftovers(root: Path) -> list[str]:
    """Hidden entries (staging folders, temporary files) anywhere under root, and versions beyond current+previous."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name.startswith("."):
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    versions = root / paths.VERSIONS_DIR
    if versions.is_dir():
        keep = {os.path.basename(os.readlink(root / n)) for n in ("current", "previous") if (root / n).is_symlink()}
        found += [f"versions/{p.name}" for p in versions.iterdir() if p.name not in keep and not p.name.startswith(".")]
    return sorted(found)


def which(fp: dict, known: dict[str, dict]) -> str | None:
    return next((name for name, k in known.items() if k == fp), None)


def run_build(root: Path, raw: str, ledger: str, fault: str | None, log: str | None) -> tuple[str, int]:
    pid = os.fork()
    if pid == 0:  # the child: one real CLI build
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.environ.update(ANALYSIS_PROCESSED=str(root), ANALYSIS_RAW=raw, ANALYSIS_CORRECTIONS=ledger)
            os.environ.pop("ANALYSIS_FAULT_AT", None)
            os.environ.pop("ANALYSIS_FAULT_LOG", None)
            if fault:
                os.environ["ANALYSIS_FAULT_AT"] = fault
            if log:
                os.environ["ANALYSIS_FAULT_LOG"] = log
            code = cli.main(["build", "--no-sample"])
        except BaseException:  # noqa: BLE001 - the parent only reads the exit status
            code = 99
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name, -os.WTERMSIG(status)
    return "exit", os.WEXITSTATUS(status)


def main(steps_file: str, result_file: str) -> None:
    spec = json.loads(Path(steps_file).read_text(encoding="utf-8"))
    known: dict[str, dict] = {k: v for k, v in spec.get("known", {}).items()}
    ledgers: list[str] = spec.get("ledgers", [])
    results = []
    for step in spec["steps"]:
        root = Path(step["root"])
        before = fingerprint(root) if root.exists() else {}
        ledger = step["ledger"]
        if ledger == "other":
            now = which(before, known)
            ledger = ledgers[1] if now == "X" else ledgers[0]
        how, code = run_build(root, spec["raw"], ledger, step.get("fault"), step.get("log"))
        after = fingerprint(root)
        results.append(
            {
                "fault": step.get("fault"),
                "ledger": "Y" if ledger == (ledgers[1:] or [None])[0] else "X",
                "how": how,
                "code": code,
                "before": which(before, known) if known else None,
                "after": which(after, known) if known else None,
                "after_fp": after,
                "usual_paths_same": usual_paths(root) == after,
                "leftovers": leftovers(root),
            }
        )
    Path(result_file).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
