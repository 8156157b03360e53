"""How long the load phase takes, and what it adds to the default gate.

    python benchmarks/bench_load_phase.py [--users 200] [--repeat 3] [--gate]

Runs `stability-harness run --suite load --quiet --no-history` on the embedded
target `--repeat` times and prints, per run, the whole run's wall time, the load
phase's wall time (phase 3: from its pytest log's "in N s" line), the crowd's
figures (p50/p95 time to agent_started, frames per second, failed conversations)
and the CPU seconds of the run's processes. With `--gate`, also the default gate
(every suite) against the same gate without the load suite, alternated in rounds,
so that their difference is what the load phase adds. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.run.suite import discover_suites

RUN = (sys.executable, "-m", "harness", "run", "--quiet", "--no-history")
PHASE_TIME = re.compile(r" in ([0-9.]+)s")


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], out: Path) -> tuple[float, float, dict[str, object]]:
    """One whole run: its wall seconds, CPU seconds and verdict.json."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([*RUN, *args, "--out", str(out)], check=False, capture_output=True)
    wall = time.perf_counter() - start
    verdict = json.loads((out / "verdict.json").read_text())
    return wall, children_cpu() - cpu, verdict


def load_phase_s(out: Path) -> float | None:
    """The load phase's own wall time, as its pytest log states it."""
    log = out / "pytest-phase3.log"
    found = PHASE_TIME.findall(log.read_text()) if log.exists() else []
    return float(found[-1]) if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gate", action="store_true", help="also the gate with and without load")
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in range(args.repeat):
            out = folder / f"load{n}"
            wall, cpu, verdict = run(["--suite", "load", "--users", str(args.users)], out)
            metrics = verdict["metrics"]
            assert isinstance(metrics, dict)
            first, fps = metrics["load_first_event_ms"], metrics["load_frames_per_s"]
            failed = sum(metrics["load_error_rate"]["samples"])
            print(
                f"load run {n + 1}: {verdict['verdict']}, whole run {wall:.1f} s, load phase "
                f"{load_phase_s(out)} s, CPU {cpu:.1f} s; agent_started p50 "
                f"{first['p50']:.1f} ms p95 {first['p95']:.1f} ms ({first['count']} samples), "
                f"{fps['samples'][0]:.0f} frames/s, {failed:g} failed conversations"
            )
        if not args.gate:
            return 0
        others = [s.name for s in discover_suites() if s.name != "load"]
        without = [arg for name in others for arg in ("--suite", name)]
        walls: dict[str, list[float]] = {"with load": [], "without load": []}
        for n in range(args.repeat):
            for label, extra in (("with load", []), ("without load", without)):
                out = folder / f"gate-{label.replace(' ', '-')}{n}"
                wall, cpu, verdict = run(extra, out)
                walls[label].append(wall)
                print(
                    f"gate {label}, round {n + 1}: {verdict['verdict']}, {wall:.1f} s, "
                    f"CPU {cpu:.1f} s"
                )
        medians = {label: statistics.median(values) for label, values in walls.items()}
        added = medians["with load"] - medians["without load"]
        print(
            f"median gate: with load {medians['with load']:.1f} s, without "
            f"{medians['without load']:.1f} s, added {added:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
