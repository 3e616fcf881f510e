"""The pipeline's public face: ``python -m analysis COMMAND``. Each command says what it reads and writes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis import paths

EXTRACT_COLUMNS = [
    "indicator_id",
    "value",
    "unit",
    "approx",
    "evidence",
    "value_state",
    "scope",
    "level",
    "unit_raw",
    "number_text",
    "span_start",
    "span_end",
    "locator",
    "fact_id",
    "parent_fact_id",
]


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def cmd_extract(args) -> int:
    from analysis.extract.documents import DocumentError
    from analysis.extract.report import extract_report

    path = Path(args.path)
    if not path.exists():
        return _err(f"{path}: no such file")
    if path.is_dir():
        return _err(f"{path} is a folder; give one report file (.txt, .html, .docx, .pdf)")
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
        out.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        import json

        print(json.dumps({"meta": meta, "facts": out.to_dict("records")}, ensure_ascii=False, indent=1, default=str))
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_colwidth", 40, "display.width", 200):
            print(out[["indicator_id", "value", "unit", "approx", "scope", "evidence"]].to_string(index=False))
    n_mapped = int((ex.facts["indicator_id"] != "unmapped").sum())
    print(
        f"# {path.name}: district={meta['district']} year={meta['year_covered']} published={meta['published']}; "
        f"{len(ex.facts)} facts ({n_mapped} mapped, {len(ex.facts) - n_mapped} unmapped)",
        file=sys.stderr,
    )
    return 0


def cmd_build(args) -> int:
    from analysis.build import build

    res = build(include_sample=not args.no_sample, progress=lambda m: print(f"· {m}", file=sys.stderr))
    print(res.summary())
    errors = res.findings_by_severity.get("error", 0)
    if errors:
        print(
            f"{errors} error finding(s): see data/processed/findings.csv (rule, file and place for each)",
            file=sys.stderr,
        )
    return 1 if (errors and args.strict) else 0


def cmd_run(args) -> int:
    from analysis.batch.runner import run_all
    from analysis.publish import publish

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
        out = publish()
        print(f"briefs: {len(out['briefs'])} file(s); methodology: {out['methodology']}; open {out['index']}")
    return 1 if summary.failed else 0


def cmd_template(args) -> int:
    from analysis.datasets import write_template

    out = write_template(args.out)
    print(f"wrote {out}")
    return 0


def cmd_validate(args) -> int:
    from analysis.datasets import DatasetError, read_dataset
    from analysis.registry.units import load_units

    try:
        res = read_dataset(args.path, units=load_units())
    except DatasetError as exc:
        return _err(str(exc))
    f = res.findings
    for r in f.itertuples(index=False):
        print(f"{r.severity}: {r.source_file} {r.locator}: {r.message}")
    n_err = int((f["severity"] == "error").sum()) if len(f) else 0
    print(f"{len(res.facts)} values read, {len(f)} finding(s), {n_err} error(s)", file=sys.stderr)
    return 1 if n_err else 0


def cmd_sample(args) -> int:
    from analysis.sample import write_sample

    out = write_sample(args.out, fmt=Path(args.out).suffix.lstrip(".") or "xlsx")
    print(f"wrote {out} (示例数据（模拟）: fictional units, synthetic values)")
    return 0


def cmd_methodology(args) -> int:
    from analysis.metrics import load_config
    from analysis.metrics.methodology import render_methodology
    from analysis.registry import load_indicators
    from analysis.reports.pages import render_methodology_html

    md = render_methodology(load_indicators(), load_config())
    out = Path(args.out) if args.out else paths.reports_dir() / "methodology.html"
    render_methodology_html(md, out)
    print(f"wrote {out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with a 'did you mean' hint for a mistyped command."""

    def error(self, message: str):
        import difflib
        import re

        m = re.search(r"invalid choice: '([^']*)'", message)
        choices = re.findall(r"'([^']+)'", message.split("choose from", 1)[-1]) if m else []
        if m and choices:
            close = difflib.get_close_matches(m.group(1), choices, n=1)
            if close:
                message += f"\n  did you mean: {self.prog} {close[0]}"
        super().error(message)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m analysis",
        description="法治政府建设 analysis: reports and datasets in data/raw → tidy tables → notebooks → reports/.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser("extract", help="print the facts found in one report file (reads PATH, writes nothing)")
    e.add_argument("path", metavar="PATH", help="a report: .txt, .html, .docx or .pdf")
    e.add_argument("--format", choices=("csv", "json", "table"), default="table")
    e.add_argument("--mapped-only", action="store_true", help="leave out facts not mapped to an indicator")
    e.set_defaults(func=cmd_extract)

    b = sub.add_parser(
        "build", help="data/raw (+ sample panel) → data/processed (tidy table, facts, findings, metrics)"
    )
    b.add_argument("--no-sample", action="store_true", help="leave out the fictional 示例市 sample panel")
    b.add_argument("--strict", action="store_true", help="exit 1 when any finding has severity error")
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("run", help="run every notebook × parameter set through papermill → reports/")
    r.add_argument("--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    r.add_argument("--force", action="store_true", help="rerun even when nothing a run depends on changed")
    r.add_argument("--scheduler", metavar="ADDRESS", default=None, help="hand runs to a Dask cluster (tcp://host:8786)")
    r.add_argument("--only", action="append", metavar="NOTEBOOK", help="only this notebook (repeatable)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("template", help="write the Excel template for yearly indicator datasets (from the registry)")
    t.add_argument("--out", default="法治政府建设指标数据模板.xlsx", help="where to write the .xlsx")
    t.set_defaults(func=cmd_template)

    v = sub.add_parser("validate", help="check one dataset file (.xlsx/.csv) and list every problem with its place")
    v.add_argument("path", metavar="PATH")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("sample", help="write the fictional 示例市 sample panel as a dataset file (.xlsx or .csv)")
    s.add_argument("--out", default="示例市_示例数据.xlsx")
    s.set_defaults(func=cmd_sample)

    m = sub.add_parser("methodology", help="write the methodology page generated from the registry and config")
    m.add_argument("--out", default=None, help="default: reports/methodology.html")
    m.set_defaults(func=cmd_methodology)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = make_parser().parse_args(argv)
    from analysis.io import RawWriteError

    try:
        return args.func(args)
    except RawWriteError as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        print("interrupted; outputs written so far are complete files, the rest are untouched", file=sys.stderr)
        return 130
