"""Wall time of the default `stability-harness run` (embedded target), with -n 1 and -n auto.

    python benchmarks/bench_run.py [--repeat 5]

Each run is a fresh `python -m harness run --quiet` process; the figure is the
median of the repeats, beside min and max. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN_DEADLINE_S = 600


def one_run(workers: str, out: Path) -> tuple[float, int, str]:
    """Seconds, exit code and verdict line of one run."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--quiet", "-n", workers, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, proc.returncode, proc.stdout.strip().split(":")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", nargs="+", default=["1", "auto"])
    args = parser.parse_args()
    print("| workers | median s | min s | max s | verdicts |")
    print("|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            times, verdicts = [], []
            for i in range(args.repeat):
                seconds, code, line = one_run(workers, Path(tmp) / f"{workers}-{i}")
                times.append(seconds)
                verdicts.append(f"{line} ({code})")
            print(
                f"| {workers} | {statistics.median(times):.2f} | {min(times):.2f} | "
                f"{max(times):.2f} | {', '.join(sorted(set(verdicts)))} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
