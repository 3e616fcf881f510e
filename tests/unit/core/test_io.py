import os

import pytest

from analysis.core import io


@pytest.fixture
def raw(tmp_path, monkeypatch):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    monkeypatch.setenv("ANALYSIS_RAW", str(raw))
    return raw


def test_write_text_replaces_atomically(tmp_path, raw):
    target = tmp_path / "out" / "a.txt"
    io.write_text(target, "first")
    io.write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]  # no temporary files left behind


def test_failed_write_keeps_previous_output(tmp_path, raw):
    target = tmp_path / "a.txt"
    io.write_text(target, "good")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "data"]


def test_refuses_to_write_under_raw(raw):
    with pytest.raises(io.RawWriteError, match="data/raw 保持收到时的原样"):
        io.write_text(raw / "x.txt", "nope")
    with pytest.raises(io.RawWriteError):
        io.write_text(raw / "sub" / ".." / "y.txt", "nope")
    assert list(raw.iterdir()) == []


def test_staged_dir_swaps_whole_folder_or_nothing(tmp_path, raw):
    target = tmp_path / "site"
    with io.staged_dir(target) as stage:
        (stage / "a.html").write_text("v1", encoding="utf-8")
    with pytest.raises(ValueError):
        with io.staged_dir(target) as stage:
            (stage / "a.html").write_text("v2-partial", encoding="utf-8")
            raise ValueError("boom")
    assert (target / "a.html").read_text(encoding="utf-8") == "v1"
    with io.staged_dir(target) as stage:
        (stage / "b.html").write_text("v3", encoding="utf-8")
    assert sorted(os.listdir(target)) == ["b.html"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["site"]


def test_outputs_get_ordinary_permissions(tmp_path, raw):
    target = io.write_text(tmp_path / "chart.svg", "<svg/>")
    assert target.stat().st_mode & 0o777 == 0o666 & ~io._UMASK
