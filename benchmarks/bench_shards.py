"""Shards: the default gate as 1, 2 and 4 shards run one after another, and merge time.

    python benchmarks/bench_shards.py [--counts 1 2 4] [--merge-tests 10000] [--skip-gate]

Gate: `stability-harness run --quiet --no-history --shard I/N` on the embedded server
for every I of each N, one after another on this machine; per N the sum of the shards'
wall times (one machine doing all the work) and the longest shard (the wall time of a CI
matrix with one machine per shard). Merge: shard folders holding `--merge-tests` tests in
total, written by the project's own writers (the results plugin's hooks, the shard plan,
the judge's verdict.json), merged in-process; the median of three merges. Not a test:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from rich.console import Console

from harness.history.run_history import identity_of
from harness.history.store import digest
from harness.run.clock import utc_now
from harness.run.context import build_record
from harness.run.merge import merge
from harness.run.results import RESULTS_FILE, read_results
from harness.run.results_writer import ResultsWriter
from harness.run.shard import Shard, ShardPlan, ShardSummary, split, split_digest
from harness.run.suite import discover_suites
from harness.verdict import judge
from harness.verdict.policy_file import load_policy
from harness.verdict.records import TargetInfo

RUN_DEADLINE_S = 1800
WHEN: tuple[Literal["setup", "call", "teardown"], ...] = ("setup", "call", "teardown")


def gate(shard: str, out: Path) -> tuple[float, int, str]:
    """Seconds, exit code and verdict line of one shard of the default gate."""
    command = [sys.executable, "-m", "harness", "run", "--quiet", "--no-history"]
    command += ["--shard", shard, "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        stdin=subprocess.DEVNULL,
        cwd=out.parent,
    )
    return time.perf_counter() - started, proc.returncode, proc.stdout.strip().split(":")[0]


def _report(
    nodeid: str, when: Literal["setup", "call", "teardown"], samples: list[Any]
) -> pytest.TestReport:
    properties = [("harness_metric", sample) for sample in samples] if when == "call" else []
    return pytest.TestReport(
        nodeid, ("", 0, ""), {}, "passed", None, when, [], 0.001, user_properties=properties
    )


def synthesise(root: Path, tests: int, count: int) -> list[Path]:
    """Write `count` shard folders of one run planning `tests` passing tests in total."""
    suites = [s for s in discover_suites() if s.path is not None and s.manifest is not None]
    # A real test module of each suite: the results writer maps node ids through it.
    modules = [(s, next(iter(sorted(s.path.glob("test_*.py"))))) for s in suites if s.path]
    policy = load_policy(None)
    nodeids, plan, samples = [], {}, {}
    for i in range(tests):
        suite, module = modules[i % len(modules)]
        nodeids.append(f"{module.name}::test_synthetic[{i}]")
        ident = f"{suite.name}::{module.stem}::test_synthetic[{i}]"
        plan[ident] = suite.name
        # One sample, well within its budget, of every metric the suite's budgets judge.
        budgets = {b.metric: b for b in policy.budgets if b.suite == suite.name}
        samples[ident] = [[m, b.limit / 10, b.unit] for m, b in sorted(budgets.items())]
    ids = list(plan)
    slices = split(ids, {}, count)
    folders = []
    for index in range(1, count + 1):
        out = root / f"shard{index}"
        out.mkdir(parents=True)
        mine = set(slices[index - 1])
        writer = ResultsWriter(out, phase=1)
        writer.pytest_xdist_node_collection_finished(
            None, [n for n, i in zip(nodeids, ids, strict=True) if i in mine]
        )
        for nodeid, ident in zip(nodeids, ids, strict=True):
            if ident in mine:
                for when in WHEN:
                    writer.pytest_runtest_logreport(_report(nodeid, when, samples[ident]))
        writer._file.close()  # the session's end, without a pytest session
        shard_plan = ShardPlan(
            1,
            index,
            count,
            plan,
            sorted(mine),
            (),
            digest(sorted(plan.items())),
            split_digest(ids, {}),
        )
        shard_plan.write(out)
        now = utc_now()
        record = build_record(
            f"synthetic-{index}",
            now,
            now,
            TargetInfo("embedded", "embedded"),
            [s for s in suites if s.name in set(plan.values())],
            read_results(out / RESULTS_FILE),
            [],
            {"hostname": platform.node()},
            None,
        )
        document = judge(record, policy, today=now.date()).to_json()
        document["shard"] = ShardSummary(Shard(index, count), [shard_plan]).to_json()
        document["identity"] = identity_of(record, "embedded", policy).to_json()
        (out / "verdict.json").write_text(json.dumps(document), "utf-8")
        folders.append(out)
    return folders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--merge-tests", type=int, default=10_000)
    parser.add_argument("--merge-shards", type=int, default=4)
    parser.add_argument("--skip-gate", action="store_true")
    args = parser.parse_args()
    print(
        f"nproc {os.cpu_count()}, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not args.skip_gate:
            print("| shards | each shard s | sum s | max s | verdicts |")
            print("|---:|---|---:|---:|---|")
            for count in args.counts:
                times, verdicts = [], []
                for index in range(1, count + 1):
                    seconds, code, line = gate(f"{index}/{count}", root / f"g{count}-{index}")
                    times.append(seconds)
                    verdicts.append(f"{line} ({code})")
                print(
                    f"| {count} | {', '.join(f'{t:.1f}' for t in times)} | {sum(times):.1f} | "
                    f"{max(times):.1f} | {', '.join(sorted(set(verdicts)))} |",
                    flush=True,
                )
        started = time.perf_counter()
        folders = synthesise(root / "synthetic", args.merge_tests, args.merge_shards)
        made = time.perf_counter() - started
        times = []
        for i in range(3):
            started = time.perf_counter()
            code = merge(
                folders, root / f"merged{i}", None, Console(file=io.StringIO()), quiet=True
            )
            times.append(time.perf_counter() - started)
        verdict = json.loads((root / "merged0" / "verdict.json").read_text("utf-8"))
        print(
            f"merge of {args.merge_tests} tests in {args.merge_shards} shards "
            f"(written in {made:.1f} s): median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, max {max(times):.2f} s; {verdict['verdict']} (exit {code}), "
            f"{verdict['summary']['passed']} of {verdict['summary']['planned']} passed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
