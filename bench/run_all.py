"""Run every benchmark under bench/ in turn; each prints its own figures and ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_extract.py", "bench_scoring.py", "bench_charts.py", "bench_batch.py"]


def main() -> int:
    failed = []
    for name in BENCHES:
        print(f"\n=== {name} ===", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / name)])
        if rc:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
