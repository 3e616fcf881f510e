"""Formula neutralisation, the pipeline lock, YAML without aliases and the CLI's messages instead of tracebacks."""

from __future__ import annotations

import errno
import io

import pandas as pd
import pytest

from analysis.core.io import LockBusyError, command_lock, neutralise_cell, safe_yaml_load, write_csv


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_cells_get_a_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3, -2.5, "-3", "-1.5%", "马村区", "", None, 0])
def test_numbers_and_plain_text_stay(value):
    assert neutralise_cell(value) == value


def test_write_csv_neutralises_text_and_keeps_negative_numbers():
    buf = io.StringIO()
    write_csv(pd.DataFrame({"a": ["=cmd|' /C calc'!A0", "ok"], "b": [-5, 3]}), buf, index=False)
    lines = buf.getvalue().splitlines()
    assert lines[1].startswith("'=cmd") and lines[1].endswith(",-5")


def test_yaml_alias_refused_plain_yaml_read():
    with pytest.raises(ValueError, match="别名|锚点"):
        safe_yaml_load("a: &x [1, 2]\nb: *x\n", "s.yaml")
    assert safe_yaml_load("district: 马村区\nyear_covered: 2023\n") == {"district": "马村区", "year_covered": 2023}


def test_second_lock_holder_is_refused_with_a_chinese_message(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_PROCESSED", str(tmp_path / "processed"))
    import multiprocessing as mp

    ready, release = mp.Event(), mp.Event()

    def hold():
        with command_lock("pipeline"):
            ready.set()
            release.wait(10)

    p = mp.get_context("fork").Process(target=hold)
    p.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockBusyError, match="正在运行"):
            with command_lock("pipeline", wait=0.3):
                pass
    finally:
        release.set()
        p.join(10)
    with command_lock("pipeline", wait=0.3):  # free again once the holder ended
        pass


def test_disk_full_and_read_only_give_messages_not_tracebacks(monkeypatch, capsys):
    from analysis import cli

    for code, word in ((errno.ENOSPC, "磁盘空间不足"), (errno.EROFS, "没有写入权限")):

        def boom(args, code=code):
            raise OSError(code, "x", "data/processed/observations.parquet")

        monkeypatch.setattr(cli, "cmd_methodology", boom)
        monkeypatch.delenv("ANALYSIS_DEBUG", raising=False)
        parser = cli.make_parser
        monkeypatch.setattr(cli, "make_parser", lambda parser=parser, boom=boom: _with(parser(), boom))
        assert cli.main(["methodology"]) == 1
        err = capsys.readouterr().err
        assert word in err and "Traceback" not in err
        monkeypatch.setattr(cli, "make_parser", parser)


def _with(p, func):
    p.set_defaults()
    for action in p._subparsers._group_actions:
        action.choices["methodology"].set_defaults(func=func)
    return p


def test_debug_flag_shows_the_traceback(monkeypatch):
    from analysis import cli

    def boom(args):
        raise RuntimeError("x")

    parser = cli.make_parser
    monkeypatch.setattr(cli, "make_parser", lambda: _with(parser(), boom))
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "methodology"])


def test_cli_refuses_bad_out_paths(tmp_path, capsys):
    from analysis.cli import main

    assert main(["sample", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["template", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "只能写成" in err and "是一个文件夹" in err
    with pytest.raises(SystemExit) as e:
        main(["run", "--jobs", "-1"])
    assert e.value.code == 2
