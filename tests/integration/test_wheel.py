"""Packaging: the wheel carries every data file the package reads, and `extract` works from an installed wheel.

The wheel is built from a copy of the sources (so no stale build/ folder can hide a missing data file), installed
into a fresh venv without the repository on the path, and run from a temporary folder: a data file left out of
pyproject.toml's package-data fails here, not on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SEED_TXT

pytestmark = pytest.mark.slow

SEED_MAPPED = 56  # the hand-annotated facts of the seed report (tests/integration/test_golden_seed.py)


def _data_files() -> list[str]:
    """Every non-code file under src/analysis, as a wheel member name (analysis/…)."""
    src = REPO / "src"
    return sorted(
        p.relative_to(src).as_posix()
        for p in (src / "analysis").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )


def _clean_env() -> dict[str, str]:
    """The environment without anything that points at the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_") and k != "PYTHONPATH"}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(args: list, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True, encoding="utf-8"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, tree / name)
    shutil.copytree(
        REPO / "src" / "analysis",
        tree / "src" / "analysis",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    dist = tmp_path_factory.mktemp("dist")
    done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, tree], cwd=tree)
    assert done.returncode == 0, done.stderr
    (built,) = dist.glob("analysis-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """The python of a fresh venv holding the wheel; the dependencies come from this test run's environment
    (its site-packages on the path through a .pth file, whose own .pth files, the editable install among them, are
    not processed)."""
    venv = tmp_path_factory.mktemp("venv")
    done = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel], cwd=venv
    )
    assert done.returncode == 0, done.stderr
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=venv)
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(purelib.stdout.strip()) / "zz_dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return python


def test_wheel_carries_every_data_file(wheel: Path) -> None:
    data = _data_files()
    assert "analysis/registry/indicators.yaml" in data
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert [f for f in data if f not in names] == []


def test_extract_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    where = _run([installed, "-c", "import analysis; print(analysis.__file__)"], cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert not Path(where.stdout.strip()).is_relative_to(REPO)

    command = ["-m", "analysis", "extract", "--format", "json", "--mapped-only", SEED_TXT]
    done = _run([installed, *command], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["meta"]["district"] == "马村区"
    assert len(out["facts"]) == SEED_MAPPED

    # the same facts as the source tree gives
    here = _run([sys.executable, *command], cwd=tmp_path)
    assert here.returncode == 0, here.stderr
    assert out == json.loads(here.stdout)
