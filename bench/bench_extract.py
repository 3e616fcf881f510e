"""Extraction speed: reports per second on the seed report, extracted N times in one process (one core).

Run: .venv/bin/python bench/bench_extract.py [N]   (default N=2000). Prints figures only; asserts nothing on time.
The first call (registry load and matcher build) is timed apart, since it is paid once per process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED_CANDIDATES = (
    REPO.parent / "shared" / "seed" / "000_280033b0075f93d2.txt",
    REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt",
)
GOAL_PER_SECOND = 500


def seed_text() -> str:
    for p in SEED_CANDIDATES:
        if p.exists():
            return p.read_text(encoding="utf-8")
    raise SystemExit(f"seed report not found in {[str(p) for p in SEED_CANDIDATES]}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 2000
    sys.path.insert(0, str(REPO / "src"))
    from analysis.extract.facts import extract_facts
    from analysis.schema import UNMAPPED

    text = seed_text()
    t0 = time.perf_counter()
    facts = extract_facts(text, doc_id="seed")
    first = time.perf_counter() - t0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        extract_facts(text, doc_id="seed")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    mapped = int((facts.indicator_id != UNMAPPED).sum())
    print(f"seed report: {len(text)} characters, {len(facts)} facts ({mapped} mapped, {len(facts) - mapped} unmapped)")
    print(f"first call (registry load + matcher build + extraction): {first * 1000:.1f} ms")
    print(f"{n} extractions: wall {wall:.2f} s, cpu {cpu:.2f} s")
    print(f"reports per second: {n / wall:.0f} (wall clock), {n / cpu:.0f} (process cpu time)")
    print(f"per report: {wall / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms cpu; goal >= {GOAL_PER_SECOND}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
