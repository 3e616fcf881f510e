"""Where the notebooks' time goes: CPU seconds in chart code, per notebook and per chart (issue 11, item 3).

    .venv/bin/python bench/bench_charts.py [--only NOTEBOOK ...]

Every run the batch plans on data/processed (`python -m analysis build` first) is executed in this one process, cell
by cell, the way a batch kernel executes it (ANALYSIS_LINK_CHARTS=1: charts saved, page copies made, shown by file
name), into a temporary folder; nothing is written under reports/. Each notebook is run once first, untimed, so
imports, fonts and caches are warm as in a forked kernel. Timed on the process CPU clock:

  * chart code: the figure builders (every ``*_figure`` of analysis.present.charts.figures) and ``save_and_show``
    (layout, PNG, page copy; SVG and PDF for the charts leadership reads), outermost call only;
  * all cells: everything the notebook's code cells do (tables, text, data selection included).

It prints, per notebook, the runs, the charts saved, chart CPU seconds, CPU seconds per chart, and the chart share
of the cells' time, beside the reference figures below. This is an in-process breakdown, not the user's whole
command: `bench/bench_batch.py` times `python -m analysis run` as a subprocess. Nothing is asserted.

Reference (REFERENCE): the same measurement, by this same method, of the tree when issue 11 was filed (commit
2020310, the shipped data of that tree built by its own `analysis build`; charts then saved PNG and SVG, the profile
also drew its three area tables as images), measured on 2026-12-04 on the machine this file was written on.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# notebook: (runs, charts saved, chart cpu-s) at 2020310, measured as described above
REFERENCE = {
    "area_deep_dive": (21, 150, 31.7),
    "data_quality": (1, 2, 0.2),
    "district_comparison": (7, 35, 14.8),
    "district_profile": (37, 220, 81.3),
    "trends": (7, 7, 2.0),
}


def _instrument(acc: dict) -> None:
    """Wrap the figure builders and save_and_show so that their outermost calls add their CPU time to ``acc``."""
    from analysis.present import charts
    from analysis.present.charts import figures

    def timed(f, counts: bool):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if acc["depth"]:
                return f(*args, **kwargs)
            acc["depth"] += 1
            t0 = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                acc["depth"] -= 1
                cell = acc["per"][acc["notebook"]]
                cell[0] += time.process_time() - t0
                cell[1] += int(counts)

        return wrapper

    for name in dir(figures):
        if name.endswith("_figure") and callable(getattr(figures, name)):
            setattr(figures, name, timed(getattr(figures, name), False))
    charts.save_and_show = timed(charts.save_and_show, True)


def _cells(path: str) -> list:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return [compile("".join(c["source"]), f"{Path(path).stem}[{i}]", "exec") for i, c in enumerate(code)]


def _execute(spec, cells: list, processed: str) -> None:
    import matplotlib.pyplot as plt

    scope: dict = {}
    exec(cells[0], scope)  # the parameters cell: its defaults, then the run's values, as papermill injects them
    scope.update(spec.params)
    with tempfile.TemporaryDirectory() as out:
        scope.update(output_dir=out, processed_dir=processed)
        for cell in cells[1:]:
            exec(cell, scope)
        plt.close("all")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[], help="only this notebook (repeatable)")
    args = ap.parse_args(argv)
    os.environ["ANALYSIS_LINK_CHARTS"] = "1"
    os.environ.setdefault("MPLBACKEND", "agg")
    sys.path.insert(0, str(ROOT / "src"))
    import IPython.display

    from analysis.batch.plan import plan_runs
    from analysis.core import paths

    IPython.display.display = lambda *a, **k: None  # what the kernel would send to the page is not the chart cost
    processed = str(paths.resolve_processed(None))
    specs = plan_runs(ROOT / "notebooks", processed, only=args.only or None)
    if not specs:
        print("没有可运行的笔记本：请先运行 python -m analysis build", file=sys.stderr)
        return 1
    acc = {"depth": 0, "notebook": None, "per": collections.defaultdict(lambda: [0.0, 0])}
    _instrument(acc)
    cells = {s.notebook: _cells(s.notebook_path) for s in specs}
    totals: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    for spec in {s.notebook: s for s in specs}.values():  # warm-up, untimed
        acc["notebook"] = "warm-up"
        _execute(spec, cells[spec.notebook], processed)
    for spec in specs:
        acc["notebook"] = spec.notebook
        t0 = time.process_time()
        _execute(spec, cells[spec.notebook], processed)
        totals[spec.notebook][0] += 1
        totals[spec.notebook][1] += time.process_time() - t0
    print(
        f"{'notebook':22s} {'runs':>4s} {'charts':>6s} {'chart cpu-s':>11s} {'per chart':>9s} {'share':>5s}"
        f" | reference: {'runs':>4s} {'charts':>6s} {'cpu-s':>6s} {'per chart':>9s} | per chart now/ref"
    )
    sums = [0, 0.0, 0, 0.0]
    for name in sorted(totals):
        runs, cells_cpu = totals[name]
        chart_cpu, charts = acc["per"][name]
        per = chart_cpu / charts if charts else 0.0
        line = f"{name:22s} {runs:4d} {charts:6d} {chart_cpu:11.1f} {per:9.3f} {chart_cpu / cells_cpu:5.0%}"
        if name in REFERENCE:
            r_runs, r_charts, r_cpu = REFERENCE[name]
            r_per = r_cpu / r_charts
            line += f" | {'':10s} {r_runs:4d} {r_charts:6d} {r_cpu:6.1f} {r_per:9.3f} | {per / r_per:.2f}"
            sums[2] += r_charts
            sums[3] += r_cpu
        sums[0] += charts
        sums[1] += chart_cpu
        print(line)
    if sums[0] and sums[2]:
        print(
            f"all charts: {sums[1]:.1f} cpu-s for {sums[0]} charts ({sums[1] / sums[0]:.3f} per chart); reference "
            f"{sums[3]:.1f} cpu-s for {sums[2]} ({sums[3] / sums[2]:.3f}); per chart now/reference "
            f"{(sums[1] / sums[0]) / (sums[3] / sums[2]):.2f}, batch chart time now/reference {sums[1] / sums[3]:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
