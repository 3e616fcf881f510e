"""Benchmark: analysis.metrics.compute_all on a national-scale synthetic table (2,844 units × 10 years × indicators).

Times compute_all only (generation excluded), median of a few runs, wall clock and process CPU time (the machine is
shared, so wall time also measures other people's load), and reports peak memory two ways: the Python
allocation peak during compute_all (tracemalloc; numpy and pandas buffers are traced) and the process's peak RSS
(resource ru_maxrss, which includes the generated input). Goals: ≤ 3 s and ≤ 2 GB. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_scoring.py [--repeat N]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import choose_indicators, national_observations  # noqa: E402

from analysis.metrics import compute_all, load_config  # noqa: E402

GOAL_SECONDS = 3.0
GOAL_BYTES = 2 * 1024**3


def _status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (Linux), else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so the next reading covers compute_all only (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _release_freed_memory() -> None:
    """Hand memory freed by the generator back to the OS (glibc malloc_trim) so RSS reflects live data."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    args = ap.parse_args(argv)

    indicators, which = choose_indicators()
    t0 = time.perf_counter()
    obs = national_observations(indicators)
    gen_s = time.perf_counter() - t0
    config = load_config()
    _release_freed_memory()
    rss_input = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(
        f"input: {len(obs):,} observation rows, {obs['unit_id'].nunique():,} units, "
        f"{obs['year'].nunique()} years, {which}; generated in {gen_s:.2f} s (not timed)"
    )

    times, cpu = [], []
    rows: dict[str, int] = {}
    for _ in range(max(args.repeat, 1)):
        t, c = time.perf_counter(), time.process_time()
        out = compute_all(obs, indicators, config)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        rows = {k: len(v) for k, v in out.items()}
        del out  # one set of outputs alive at a time
    seconds = statistics.median(times)
    cpu_s = statistics.median(cpu)

    _release_freed_memory()
    rss_before = _status_kib("VmRSS")
    reset = _reset_peak_rss()
    out = compute_all(obs, indicators, config)
    hwm = _status_kib("VmHWM") if reset else None
    del out

    tracemalloc.start()
    out = compute_all(obs, indicators, config)
    _, peak = tracemalloc.get_traced_memory()
    del out
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    print("output rows: " + ", ".join(f"{k}={n:,}" for k, n in rows.items()))
    print(
        f"compute_all seconds (median of {len(times)}): {seconds:.2f}  "
        f"[runs: {', '.join(f'{x:.2f}' for x in times)}]  goal ≤ {GOAL_SECONDS:.0f} s  "
        f"ratio to goal {seconds / GOAL_SECONDS:.2f}"
    )
    print(
        f"compute_all CPU seconds (median; less sensitive to other load on the machine): {cpu_s:.2f}  "
        f"ratio to goal {cpu_s / GOAL_SECONDS:.2f}"
    )
    print(
        f"peak traced allocation in compute_all: {peak / 1024**2:,.0f} MB  goal ≤ 2 GB  "
        f"ratio to goal {peak / GOAL_BYTES:.2f}"
    )
    if hwm is not None and rss_before is not None:
        print(
            f"peak RSS during compute_all: {hwm / 1024:,.0f} MB, of which the input table and interpreter already "
            f"held {rss_before / 1024:,.0f} MB (compute_all adds {(hwm - rss_before) / 1024:,.0f} MB)  goal ≤ 2 GB  "
            f"ratio to goal {hwm * 1024 / GOAL_BYTES:.2f}"
        )
    print(
        f"process peak RSS over the whole run (includes generating the input): {rss_input / 1024**2:,.0f} MB after "
        f"generation, {rss / 1024**2:,.0f} MB at the "
        f"end (input + outputs + interpreter)  ratio to goal {rss / GOAL_BYTES:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
