"""Wall time and peak RSS of a whole run against each hostile target of tests/hostile.

    python benchmarks/bench_hostile.py [--kind KIND ...]

For each kind, starts `python -m tests.hostile.servers KIND` (its own process, so its
memory is not counted), runs `stability-harness run --suite staging_repro
--max-duration 60 --quiet` against it and prints the run's wall time, exit code,
verdict and peak RSS: the `ru_maxrss` that `os.wait4` reports for the run's process,
the largest of it and every descendant it waited for (the pytest phase and its xdist
workers). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("garbage", "binary", "invalid-utf8", "silent", "never-closes", "mid-frame", "trickle")
SECRET = "hostile-bench-secret-of-32-bytes-or-more"
RUN_DEADLINE_S = 120


def one(kind: str, folder: Path) -> tuple[float, int, str, float]:
    """Wall seconds, exit code, verdict and peak RSS (MB) of one run against `kind`."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.servers", kind],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().removeprefix("url: ").strip()
        out = folder / kind
        started = time.perf_counter()
        run = subprocess.Popen(
            [
                *(sys.executable, "-m", "harness", "run", "--target", url),
                *("--jwt-secret", SECRET, "--suite", "staging_repro", "--max-duration", "60"),
                *("--quiet", "--out", str(out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            cwd=folder,
        )
        deadline = time.monotonic() + RUN_DEADLINE_S
        while True:  # os.wait4 gives this run's own rusage; poll it against the deadline
            pid, status, usage = os.wait4(run.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                run.kill()
                raise SystemExit(f"{kind}: the run did not end within {RUN_DEADLINE_S} s")
            time.sleep(0.05)
        wall = time.perf_counter() - started
        verdict = json.loads((out / "verdict.json").read_text("utf-8"))["verdict"]
        return wall, os.waitstatus_to_exitcode(status), verdict, usage.ru_maxrss / 1024
    finally:
        server.kill()
        server.wait(timeout=10)


def main() -> None:
    """Print one line per hostile target."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", action="append", choices=KINDS, help="default: every kind")
    args = parser.parse_args()
    print(f"{'target':<14} {'wall s':>7} {'exit':>4} {'verdict':<13} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kind or KINDS:
            wall, code, verdict, rss = one(kind, Path(tmp))
            print(f"{kind:<14} {wall:>7.1f} {code:>4} {verdict:<13} {rss:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
