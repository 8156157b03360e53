"""Time from SIGTERM (or SIGINT) to exit of a run, with its INCOMPLETE report written.

    python benchmarks/bench_interrupt.py [--repeat 5] [--signal SIGTERM]

Each repeat starts `stability-harness run --suite message_routing -n 2`, waits until
results.jsonl holds a finished test, sends the signal and times the exit. Not a test.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN_DEADLINE_S = 300
RUN = [sys.executable, "-m", "harness", "run", "--suite", "message_routing", "-n", "2"]


def one(sig: signal.Signals, out: Path) -> tuple[float, int, str]:
    """Seconds from the signal to exit, exit code and verdict."""
    proc = subprocess.Popen(
        [*RUN, "--quiet", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + RUN_DEADLINE_S
    while not (results.exists() and '"kind":"attempt"' in results.read_text("utf-8")):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the run ended before any test finished")
        time.sleep(0.05)
    proc.send_signal(sig)
    sent = time.perf_counter()
    proc.wait(RUN_DEADLINE_S)
    elapsed = time.perf_counter() - sent
    verdict = json.loads((out / "verdict.json").read_text("utf-8"))["verdict"]
    return elapsed, proc.returncode, verdict


def main() -> None:
    """Print each repeat and the median."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--signal", default="SIGTERM", choices=("SIGTERM", "SIGINT"))
    args = parser.parse_args()
    sig = signal.Signals[args.signal]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            elapsed, code, verdict = one(sig, Path(tmp) / str(i))
            times.append(elapsed)
            print(f"{sig.name} -> exit {code} {verdict} in {elapsed:.2f} s")
    print(f"median {statistics.median(times):.2f} s, min {min(times):.2f}, max {max(times):.2f}")


if __name__ == "__main__":
    main()
