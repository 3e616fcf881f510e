"""Extraction speed: reports per second on the seed report, extracted N times in one process (one core).

Run: .venv/bin/python bench/bench_extract.py [N] [--repeat R]   (default N=2000, R=3). Prints figures only; asserts
nothing on time. The first call (registry load and matcher build) is timed apart, since it is paid once per process.
Each of the R rounds extracts the report N times and is timed on the wall clock (time.perf_counter) and on the
process CPU clock (time.process_time); the summary gives the best and the median round. CPU time is the figure to
compare across runs on a shared machine (other processes inflate wall time); run it with the machine as idle as
possible all the same, since a loaded machine also slows the CPU time of a process (shared caches and cores).
The word boundaries (rjieba, analysis.ingest.reports.segment) are cached per sentence, so repeated extractions of one
report reuse them; a last "cold" round clears that cache before every extraction and shows the cost of segmenting
a report never seen before.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED_CANDIDATES = (
    REPO.parent / "shared" / "seed" / "000_280033b0075f93d2.txt",
    REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt",
)
GOAL_PER_SECOND = 500
# The earlier figure this one is read against: the best CPU round measured before the speed work of issue #8 item 7
# (quiet machine, N=2000): 220 reports/s, 4.6 ms a report; the cold round then gave 218 reports/s.
REFERENCE_PER_SECOND = 220


@dataclass(frozen=True)
class Round:
    """One timed round of ``n`` extractions."""

    n: int
    wall: float
    cpu: float

    @property
    def wall_rate(self) -> float:
        return self.n / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.n / self.cpu


def seed_text() -> str:
    for p in SEED_CANDIDATES:
        if p.exists():
            return p.read_text(encoding="utf-8")
    raise SystemExit(f"seed report not found in {[str(p) for p in SEED_CANDIDATES]}")


def timed_round(extract, text: str, n: int, before=None) -> Round:
    """Extract ``text`` n times (calling ``before()`` before each when given); wall and process CPU seconds."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        if before is not None:
            before()
        extract(text, doc_id="seed")
    return Round(n, time.perf_counter() - wall0, time.process_time() - cpu0)


def describe(label: str, r: Round) -> str:
    """One line: reports/s (wall, CPU), ms/report (wall, CPU) and the CPU rate as a ratio of the goal and of the
    earlier reference figure (REFERENCE_PER_SECOND)."""
    return (
        f"{label}: {r.wall_rate:6.0f} reports/s wall, {r.cpu_rate:6.0f} reports/s cpu | "
        f"{r.wall / r.n * 1000:.3f} ms/report wall, {r.cpu / r.n * 1000:.3f} ms/report cpu | "
        f"cpu rate / goal {GOAL_PER_SECOND}/s = {r.cpu_rate / GOAL_PER_SECOND:.2f}, "
        f"/ earlier {REFERENCE_PER_SECOND}/s = {r.cpu_rate / REFERENCE_PER_SECOND:.2f}"
    )


def summary(rounds: list[Round]) -> tuple[Round, Round]:
    """(the best round by CPU time, a round of the median wall time and the median CPU time)."""
    by_cpu = sorted(rounds, key=lambda r: r.cpu)
    best = by_cpu[0]
    med_cpu = statistics.median(r.cpu for r in rounds)
    med_wall = statistics.median(r.wall for r in rounds)
    return best, Round(best.n, med_wall, med_cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=2000, help="extractions per round")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(REPO / "src"))
    from analysis.ingest.reports.facts import extract_facts, get_matcher
    from analysis.registry.schema import UNMAPPED

    text = seed_text()
    t0 = time.perf_counter()
    facts = extract_facts(text, doc_id="seed")
    first = time.perf_counter() - t0
    mapped = int((facts.indicator_id != UNMAPPED).sum())
    print(f"seed report: {len(text)} characters, {len(facts)} facts ({mapped} mapped, {len(facts) - mapped} unmapped)")
    print(f"first call (registry load + matcher build + extraction): {first * 1000:.1f} ms")
    rounds = []
    for i in range(args.repeat):
        r = timed_round(extract_facts, text, args.n)
        rounds.append(r)
        print(describe(f"round {i + 1} ({args.n} extractions)", r))
    best, median = summary(rounds)
    print(describe(f"best of {len(rounds)}  ", best))
    print(describe(f"median of {len(rounds)}", median))
    segmenter = get_matcher().segmenter
    if segmenter is not None:
        cold = timed_round(extract_facts, text, max(1, args.n // 4), segmenter.clear_cache)
        print(describe(f"cold (word cache cleared each time, {cold.n})", cold))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
