"""The pipeline's public face: ``python -m analysis COMMAND``. Each command says what it reads and writes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.core import paths

EXTRACT_COLUMNS = [
    "indicator_id",
    "value",
    "measure",
    "approx",
    "evidence",
    "value_state",
    "scope",
    "level",
    "measure_raw",
    "number_text",
    "span_start",
    "span_end",
    "locator",
    "fact_id",
    "parent_fact_id",
    "confidence",
    "rule",
    "candidates",
    "subject",
    "predicate",
    "counted_noun",
    "qualifiers",
]


def _err(msg: str) -> int:
    print(f"错误：{msg}", file=sys.stderr)
    return 2


def _did_you_mean(value: str, choices) -> str:
    from analysis.registry.units import suggest

    close = suggest(value, choices)
    return f"；您是否要找：{'、'.join(close)}" if close else ""


def cmd_extract(args) -> int:
    from analysis.ingest.reports.documents import DocumentError
    from analysis.ingest.reports.report import extract_report

    path = Path(args.path)
    if not path.exists():
        return _err(f"{path}：文件不存在")
    if path.is_dir():
        return _err(f"{path} 是文件夹；请给出一个报告文件（.txt、.html、.docx、.pdf）")
    try:
        ex = extract_report(path)
    except (DocumentError, ValueError) as exc:
        return _err(str(exc))
    facts = ex.facts
    if args.mapped_only:
        facts = facts[facts["indicator_id"] != "unmapped"]
    cols = [c for c in EXTRACT_COLUMNS if c in facts.columns]
    out = facts[cols].copy()
    out["approx"] = out["approx"].map(lambda b: "true" if b else "false")
    meta = {k: ex.meta.get(k) for k in ("district", "year_covered", "published", "title")}
    if args.format == "csv":
        from analysis.core.io import write_csv

        write_csv(out, sys.stdout, index=False)
    elif args.format == "json":
        import json

        print(json.dumps({"meta": meta, "facts": out.to_dict("records")}, ensure_ascii=False, indent=1, default=str))
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_colwidth", 40, "display.width", 200):
            print(out[["indicator_id", "value", "measure", "approx", "scope", "evidence"]].to_string(index=False))
    n_mapped = int((ex.facts["indicator_id"] != "unmapped").sum())
    print(
        f"# {path.name}：区县 {meta['district'] or '未识别'}，年度 {meta['year_covered'] or '未识别'}，"
        f"发布日期 {meta['published'] or '未识别'}；"
        f"数字 {len(ex.facts)} 个（已对应指标 {n_mapped}，未对应 {len(ex.facts) - n_mapped}）",
        file=sys.stderr,
    )
    return 0


def cmd_build(args) -> int:
    from analysis.core.io import command_lock
    from analysis.metrics.pipeline import build

    with command_lock("pipeline"):
        res = build(include_sample=not args.no_sample, progress=lambda m: print(f"· {m}", file=sys.stderr))
    print(res.summary())
    if res.errors_user:
        print(
            f"您的数据中有 {res.errors_user} 个错误：构建略过了这些报告、行、数值或工作表。"
            "每一条（规则、文件和位置）见 data/processed/findings.csv 和数据质量页面。"
            + ("已按 --allow-skipped 接受略过。" if args.allow_skipped else "确认可以略过时加 --allow-skipped。"),
            file=sys.stderr,
        )
    if args.strict and (res.errors_user or res.errors_sample):
        return 1
    return 1 if (res.errors_user and not args.allow_skipped) else 0


def _notebook_names() -> list[str]:
    from analysis.batch.plan import load_config

    try:
        names = list((load_config(paths.notebooks_dir()).get("notebooks") or {}).keys())
    except Exception:  # noqa: BLE001 — an unreadable runs.yaml is reported by the runner itself
        names = []
    return names or sorted(p.stem for p in paths.notebooks_dir().glob("*.ipynb"))


def check_only(values: list[str]) -> str | None:
    """None when every --only value names a notebook (or a run of one, or a pattern); else a Chinese error message."""
    names = _notebook_names()
    bad = []
    for v in values:
        if any(ch in v for ch in "*?["):
            continue
        if v.split("/", 1)[0] not in names:
            bad.append(v)
    if not bad:
        return None
    lines = [f"--only {v!r} 不是已知的笔记本{_did_you_mean(v.split('/', 1)[0], names)}" for v in bad]
    lines.append(f"可选的笔记本：{'、'.join(names)}（或 笔记本/运行名，如 district_profile/马村区_2023）")
    return "\n".join(lines)


def cmd_run(args) -> int:
    from analysis.batch.publish import publish
    from analysis.batch.runner import run_all

    if args.only and (msg := check_only(args.only)):
        return _err(msg)
    from analysis.core.io import command_lock

    with command_lock("pipeline"):
        summary = run_all(
            jobs=args.jobs,
            force=args.force,
            scheduler=args.scheduler,
            only=args.only or None,
            progress=not args.no_progress,
        )
        if args.no_progress:  # with the progress bar the runner prints its own summary
            print(summary.format().splitlines()[0])
        if not args.only:
            out = publish(force=args.force, jobs=args.jobs)
            if out.get("skipped"):
                print("简报、方法说明与索引：输入未变，沿用上次的文件")
            else:
                redone = out.get("rebuilt") or []
                n_briefs = sum(1 for r in redone if str(r).startswith("briefs/"))
                others = [str(r) for r in redone if not str(r).startswith("briefs/")]
                print(f"重新生成：简报 {n_briefs} 个文件" + (f"，{'、'.join(others)}" if others else ""))
            print(f"简报：{len(out['briefs'])} 个文件；方法说明：{out['methodology']}；请打开 {out['index']}")
            print(out["sample_line"])
    return 1 if summary.failed else 0


def cmd_template(args) -> int:
    from analysis.ingest.datasets import write_template

    target = Path(args.out)
    if target.is_dir():
        return _err(f"{target} 是一个文件夹；--out 请给出 .xlsx 文件路径，例如 {target / '指标数据模板.xlsx'}")
    if target.suffix.lower() != ".xlsx":
        return _err(f"{target}：模板只能写成 .xlsx 文件（--out 请以 .xlsx 结尾）")
    out = write_template(target)
    print(f"已写出 {out}")
    return 0


def cmd_validate(args) -> int:
    """Check one dataset file through the build's own code path (build.check_dataset_file)."""
    from analysis.registry import load_indicators
    from analysis.registry.units import load_units
    from analysis.registry.vocabulary import load_vocabulary
    from analysis.tidy.build import check_dataset_file

    path = Path(args.path)
    if not path.exists():
        return _err(f"{path}：文件不存在")
    if path.is_dir():
        return _err(f"{path} 是文件夹；请给出一个数据集文件（.xlsx 或 .csv）")
    raw = paths.raw_dir()
    kept, findings = check_dataset_file(path.resolve(), raw, load_indicators(), load_units(include_sample=True))
    severity_zh = load_vocabulary().labels("severities")  # error → 错误 … ok → 通过
    for r in findings:
        sev = severity_zh.get(r["severity"], r["severity"])
        loc = f" {r['locator']}" if r.get("locator") else ""
        print(f"{sev} [{r['rule']}] {r['source_file']}{loc}：{r['message']}")
    n_err = sum(r["severity"] == "error" for r in findings)
    print(
        f"构建将收录 {len(kept)} 个数值；检查发现 {len(findings)} 条，其中错误 {n_err} 条"
        + ("（错误处的内容构建时会被略过）" if n_err else ""),
        file=sys.stderr,
    )
    return 1 if n_err else 0


def cmd_add_report(args) -> int:
    from analysis.ingest.intake import IntakeError, add_report

    try:
        target, sidecar = add_report(args.path, args.district, args.year, url=args.url, published=args.published)
    except IntakeError as exc:
        return _err(str(exc))
    print(f"已加入 {target}")
    print(f"来源说明：{sidecar}（含 sha256）；运行 python -m analysis build 收录它")
    return 0


def cmd_review(args) -> int:
    from analysis.present.review import ReviewError, format_list, record_decision, review_list

    try:
        if getattr(args, "decision", None):
            line = record_decision(
                args.fact_id,
                args.decision,
                getattr(args, "target", None),
                reason=args.reason or "",
                source=args.source,
                date=args.date,
            )
            print(f"已记入 {paths.corrections_file()}：{line}")
            print("下次运行 python -m analysis build 时生效（原值保留在 original_* 列中）")
            return 0
        items = review_list(args.district, args.year)
    except ReviewError as exc:
        return _err(str(exc))
    print(format_list(items))
    return 0


def cmd_dictionary(args) -> int:
    from analysis.present.dictionary import write_dictionary

    xlsx, html = write_dictionary(Path(args.out) if args.out else None)
    print(f"已写出 {xlsx}")
    print(f"已写出 {html}")
    return 0


def cmd_sample(args) -> int:
    from analysis.ingest.sample import write_sample

    target = Path(args.out)
    if target.is_dir():
        return _err(f"{target} 是一个文件夹；--out 请给出 .xlsx 或 .csv 文件路径")
    if target.suffix.lower() not in (".xlsx", ".csv", ""):
        return _err(f"{target}：示例数据只能写成 .xlsx 或 .csv（--out 的扩展名是 {target.suffix}）")
    out = write_sample(args.out, fmt=Path(args.out).suffix.lstrip(".") or "xlsx")
    print(f"已写出 {out}（示例数据（模拟）：虚构单位，模拟数值）")
    return 0


def cmd_methodology(args) -> int:
    from analysis.metrics import load_config
    from analysis.metrics.methodology import render_methodology
    from analysis.present.pages.html import render_methodology_html
    from analysis.registry import load_indicators

    md = render_methodology(load_indicators(), load_config())
    out = Path(args.out) if args.out else paths.reports_dir() / "methodology.html"
    render_methodology_html(md, out)
    print(f"已写出 {out}")
    return 0


_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


argparse._ = _zh  # argparse looks its own words up through gettext at call time: give it the Chinese ones


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，实际是 {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为至少 1 的整数，实际是 {n}")
    return n


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese, with a "did you mean" (rapidfuzz) for a mistyped command or choice."""

    def error(self, message: str):
        import re

        m = re.search(r"无效的选择：'([^']*)'（可选：(.*)）", message)
        if m:
            choices = re.findall(r"'([^']+)'", m.group(2))
            from analysis.registry.units import suggest

            close = suggest(m.group(1), choices, limit=1)
            if close:
                cmd = self.prog if not self._subparsers else f"{self.prog} {close[0]}"
                message += f"\n  您是否要找：{cmd if self._subparsers else close[0]}"
        super().error(message)


def make_parser() -> argparse.ArgumentParser:
    from analysis import __version__

    p = _Parser(
        prog="python -m analysis",
        description="法治政府建设分析：data/raw 中的报告和数据集 → 整洁数据表 → 笔记本 → reports/。",
    )
    p.add_argument("--version", action="version", version=f"analysis {__version__}")
    p.add_argument(
        "--debug",
        action="store_true",
        help="出错时显示 Python 回溯（traceback），供开发者排查；也可设 ANALYSIS_DEBUG=1",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="命令", parser_class=_Parser)
    _add_pipeline_commands(sub)
    _add_data_commands(sub)
    _add_page_commands(sub)
    return p


def _add_pipeline_commands(sub) -> None:
    """extract, build, run: report → numbers, data/raw → data/processed, notebooks → reports/."""
    e = sub.add_parser("extract", help="列出一份报告中找到的数字（读取 PATH，不写任何文件）")
    e.add_argument("path", metavar="PATH", help="报告文件：.txt、.html、.docx 或 .pdf")
    e.add_argument("--format", choices=("csv", "json", "table"), default="table", help="输出格式（默认 table）")
    e.add_argument("--mapped-only", action="store_true", help="只列出已对应到指标的数字")
    e.set_defaults(func=cmd_extract)

    b = sub.add_parser("build", help="data/raw（+ 示例数据）→ data/processed（整洁表、数字、检查发现、指标）")
    b.add_argument("--no-sample", action="store_true", help="不包含虚构的示例市数据")
    b.add_argument(
        "--allow-skipped",
        action="store_true",
        help="接受构建略过的内容（报告、行、数值、工作表）：有错误也以 0 退出",
    )
    b.add_argument("--strict", action="store_true", help="有任何错误（包括示例数据中的故意错误）都以 1 退出")
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("run", help="用 papermill 运行每个笔记本 × 参数组合 → reports/")
    r.add_argument("--jobs", type=_positive_int, default=None, help="并行运行数（默认：CPU 核数加 1）")
    r.add_argument("--force", action="store_true", help="即使依赖没有变化也重新运行")
    r.add_argument("--scheduler", metavar="ADDRESS", default=None, help="交给 Dask 集群运行（tcp://host:8786）")
    r.add_argument(
        "--only", action="append", metavar="NOTEBOOK", help="只运行这个笔记本（可重复；也可写 笔记本/运行名）"
    )
    r.add_argument("--no-progress", action="store_true", help="不显示进度条")
    r.set_defaults(func=cmd_run)


def _add_data_commands(sub) -> None:
    """template, validate, add-report, sample: the files an analyst fills in, checks and adds."""
    t = sub.add_parser("template", help="写出年度指标数据集的 Excel 模板（由指标库生成）")
    t.add_argument("--out", default="法治政府建设指标数据模板.xlsx", help="写到哪个 .xlsx 文件")
    t.set_defaults(func=cmd_template)

    v = sub.add_parser("validate", help="检查一个数据集文件（.xlsx/.csv），与构建同一套规则；列出每个问题及其位置")
    v.add_argument("path", metavar="PATH", help="数据集文件")
    v.set_defaults(func=cmd_validate)

    a = sub.add_parser(
        "add-report",
        help="把一份报告原样放入 data/raw/reports/<区县>/<年>/ 并写出来源说明（含 sha256）",
    )
    a.add_argument("path", metavar="FILE", help="报告文件：.txt、.html、.docx 或 .pdf")
    a.add_argument("--district", required=True, help="区县名称（须在 config/units.yaml 中）")
    a.add_argument("--year", required=True, type=int, help="报告所述年度，例如 2024")
    a.add_argument("--url", default=None, help="报告的来源网址")
    a.add_argument("--published", default=None, help="发布日期（YYYY-MM-DD）")
    a.set_defaults(func=cmd_add_report)

    s = sub.add_parser("sample", help="把虚构的示例市数据写成数据集文件（.xlsx 或 .csv）")
    s.add_argument("--out", default="示例市_示例数据.xlsx", help="写到哪个文件")
    s.set_defaults(func=cmd_sample)


def _add_page_commands(sub) -> None:
    """methodology, review, dictionary: pages and the review of extracted numbers."""
    m = sub.add_parser("methodology", help="写出由指标库和配置生成的方法说明页面")
    m.add_argument("--out", default=None, help="默认：reports/methodology.html")
    m.set_defaults(func=cmd_methodology)

    rv = sub.add_parser(
        "review",
        help="列出等待审核的数字（把握度低于阈值、未对应但有候选指标），并把决定记入 data/corrections.csv",
    )
    rv.add_argument("--district", default=None, help="只看这个区县")
    rv.add_argument("--year", type=int, default=None, help="只看这一年")
    rsub = rv.add_subparsers(dest="decision", required=False, metavar="决定", parser_class=_Parser)
    for name, help_zh, target in (
        ("confirm", "确认数字对应的指标无误", None),
        ("map", "把数字改为对应这个指标", "指标编号"),
        ("scope", "设定数字的范围（year、to_date、cumulative、target …）", "范围"),
        ("drop", "舍弃：不是本单位本年度的数字", None),
    ):
        dp = rsub.add_parser(name, help=help_zh)
        dp.add_argument("fact_id", metavar="数字编号", help="review 列表中方括号里的编号")
        if target:
            dp.add_argument("target", metavar=target)
        dp.add_argument("--reason", required=True, help="理由（必填）")
        dp.add_argument("--source", default="分析员审核", help="依据（默认：分析员审核）")
        dp.add_argument("--date", default=None, help="决定日期 YYYY-MM-DD（默认今天）")
    rv.set_defaults(func=cmd_review)

    d = sub.add_parser("dictionary", help="写出指标字典：reports/指标字典.xlsx 和 reports/指标字典.html")
    d.add_argument("--out", default=None, help="输出文件夹（默认 reports/）")
    d.set_defaults(func=cmd_dictionary)


def _debug(args=None) -> bool:
    return bool(getattr(args, "debug", False)) or os.environ.get("ANALYSIS_DEBUG", "") not in ("", "0")


def _os_message(exc: OSError) -> str:
    import errno

    where = f"（{exc.filename}）" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足{where}：未写完的输出已丢弃，原有输出保持不变；请腾出空间后重试"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有写入权限{where}：原有输出保持不变；请检查该文件夹的权限（是否只读）"
    if exc.errno == errno.ENOENT:
        return f"找不到文件或文件夹{where}"
    if exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT):
        return f"无法连接{where}：{exc.strerror or exc}"
    return f"文件系统错误{where}：{exc.strerror or exc}"


def main(argv: list[str] | None = None) -> int:
    """Run one command. No Python traceback reaches the user unless --debug (or ANALYSIS_DEBUG=1) is given: every
    failure is printed as one Chinese message and a non-zero exit code."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = make_parser().parse_args(argv)
    from analysis.core.io import LockBusyError, RawWriteError

    try:
        return args.func(args)
    except RawWriteError as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        print("已中断；已写出的文件都是完整的，其余未改动", file=sys.stderr)
        return 130
    except LockBusyError as exc:
        return _err(str(exc)) if not _debug(args) else _reraise()
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a message
        # imported here: analysis.registry imports pandas, which a no-op `run` never needs
        from analysis.registry.units import UnitsFileError

        if isinstance(exc, UnitsFileError):
            return _err(str(exc))
        if _debug(args):
            raise
        if isinstance(exc, OSError) and exc.errno is not None:
            msg = _os_message(exc)
        elif isinstance(exc, MemoryError):
            msg = "内存不足：输入过大或结构异常"
        elif (
            isinstance(exc, TimeoutError | ConnectionError)
            or "scheduler" in str(exc).lower()
            or (args.command == "run" and getattr(args, "scheduler", None) and "connect" in str(exc).lower())
        ):
            msg = f"无法连接到 --scheduler {getattr(args, 'scheduler', '')}：{exc}"
        else:
            msg = f"{type(exc).__name__}: {exc}"
        print(f"错误：{msg}", file=sys.stderr)
        print("（加 --debug 或设 ANALYSIS_DEBUG=1 可显示 Python 回溯）", file=sys.stderr)
        return 1


def _reraise() -> int:
    raise  # noqa: PLE0704 - only called inside an except block
