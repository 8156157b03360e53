"""The run history's cost with 1,000 runs in it: writing one run, `--baseline auto`'s lookup,
the trend and unstable tests a run adds to its verdict, and the shards' duration lookup.

python benchmarks/bench_history.py              # 1,000 runs of 1,400 tests and 600 samples
python benchmarks/bench_history.py --runs 200   # a smaller history
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.history.run_history import RunHistory
from harness.history.store import History, Identity, entry_of
from harness.verdict.policy import Policy

SUITES = ("timestamp_core", "agent_events", "message_routing", "business_flow", "security")
TESTS = 1_400
LATENCY_SAMPLES = 400
CONVERSION_SAMPLES = 200
TARGETS = ("embedded", "ws://10.0.0.1:8000/ws", "ws://10.0.0.2:8000/ws", "ws://10.0.0.3:8000/ws")
ROUNDS = 5
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def document(number: int, target: str, rng: random.Random) -> dict[str, Any]:
    """A verdict.json of TESTS tests (2% failed) with two sampled metrics; every third approved."""
    failed = {rng.randrange(TESTS) for _ in range(TESTS // 50)} if number % 3 else set()
    tests: list[dict[str, Any]] = [
        {
            "id": f"{SUITES[i % len(SUITES)]}::test_module_{i % 40}::test_case[{i}]",
            "outcome": "failed" if i in failed else "passed",
            "duration_s": round(rng.uniform(0.001, 2.0), 6),
        }
        for i in range(TESTS)
    ]
    suites = [
        {"name": name, "tests": [t for t in tests if t["id"].startswith(f"{name}::")]}
        for name in SUITES
    ]
    latency = sorted(round(rng.lognormvariate(2.5, 0.5), 3) for _ in range(LATENCY_SAMPLES))
    conversion = sorted(round(rng.uniform(2.0, 9.0), 3) for _ in range(CONVERSION_SAMPLES))
    return {
        "run_id": f"run-{number:05d}",
        "finished_at": (START + dt.timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verdict": "NOT_APPROVED" if failed else "APPROVED",
        "harness_version": "0.1.0",
        "summary": {"planned": TESTS, "passed": TESTS - len(failed), "failed": len(failed)},
        "suites": suites,
        "metrics": {
            "agent_started_latency_ms": {
                "value": latency[LATENCY_SAMPLES // 2],
                "unit": "ms",
                "samples": latency,
                "p95": latency[int(LATENCY_SAMPLES * 0.95) - 1],
                "budgets": [{"statistic": "p95", "limit": 500.0}],
            },
            "timestamp_conversion_us": {
                "value": conversion[CONVERSION_SAMPLES // 2],
                "unit": "us",
                "samples": conversion,
                "p95": conversion[int(CONVERSION_SAMPLES * 0.95) - 1],
                "budgets": [{"statistic": "p95", "limit": 1000.0}],
            },
        },
    }


def identity(target: str) -> Identity:
    """Every run of a target has the same profile, manifest and budgets."""
    return Identity(target, "chat-agent/1", "manifest-1", "policy-1", "budgets-1")


def timed(action: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float, float]:
    """Return the best wall, median wall and best CPU time in s of ``rounds`` calls."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), statistics.median(walls), min(cpus)


def main(argv: list[str] | None = None) -> int:
    """Fill a history with ``--runs`` runs, then time the operations a run does against it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1_000, help="runs in the history (1000)")
    args = parser.parse_args(argv)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        started = time.perf_counter()
        with History(path) as history:
            for number in range(args.runs):
                target = TARGETS[number % len(TARGETS)]
                history.record(entry_of(document(number, target, rng), identity(target)))
        fill = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
        print(f"history: {args.runs} runs of {TESTS} tests, {LATENCY_SAMPLES + CONVERSION_SAMPLES}"
              f" samples each; {size_mb:.0f} MB; filled in {fill:.1f} s")  # fmt: skip
        print(f"machine: nproc {os.cpu_count()}, Python {sys.version.split()[0]}")
        extra = iter(range(args.runs, args.runs + 10 * ROUNDS))
        with History(path) as history:

            def write() -> None:
                number = next(extra)
                doc = document(number, TARGETS[0], rng)
                history.record(entry_of(doc, identity(TARGETS[0])))

            def lookup() -> None:
                found = history.last_approved(TARGETS[0], "chat-agent/1", "manifest-1")
                assert found is not None
                history.baseline(found)

            ids = [f"{SUITES[i % len(SUITES)]}::test_module_{i % 40}::test_case[{i}]"
                   for i in range(TESTS)]  # fmt: skip
            figures = {
                "write one run (1,400 outcomes, 600 samples)": timed(write),
                "--baseline auto lookup (last approved + its outcomes and samples)": timed(lookup),
                "trend and unstable tests (RunHistory.annotate)": timed(
                    lambda: annotate(history, path, rng)
                ),
                "shard durations of 1,400 tests (History.durations)": timed(
                    lambda: history.durations(ids), rounds=3
                ),
            }
        for what, (best, median, cpu) in figures.items():
            print(f"{what}: wall best {best * 1000:.1f} ms, median {median * 1000:.1f} ms;"
                  f" CPU best {cpu * 1000:.1f} ms")  # fmt: skip
    return 0


def annotate(history: History, path: Path, rng: random.Random) -> None:
    """What a finished run adds to its verdict.json from the history: trend and unstable."""
    recorder = RunHistory(history, path, TARGETS[0], Policy(), auto=True)
    recorder.identity = identity(TARGETS[0])
    recorder.annotate(document(0, TARGETS[0], rng))


if __name__ == "__main__":
    sys.exit(main())
