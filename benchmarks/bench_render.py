"""Render time of every report format for a synthetic verdict of 10,000 tests.

python benchmarks/bench_render.py                 # prints wall and CPU time (best of 3)
python -m pytest benchmarks/bench_render.py       # the same under pytest-benchmark
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from harness.report.render import render_all, render_step_summary

SUITES = (
    ("timestamp_core", "critical"),
    ("agent_events", "critical"),
    ("message_routing", "major"),
    ("business_flow", "critical"),
    ("staging_repro", "critical"),
    ("security", "critical"),
)


def _transcript(rng: random.Random) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = [
        {"dir": "open", "t": 0.0, "type": None, "size": 0, "close_code": None, "data": ""}
    ]
    for i in range(6):
        frames.append(
            {
                "dir": "send" if i % 2 == 0 else "recv",
                "t": round(0.001 * (i + 1) + rng.random() / 1000, 6),
                "type": "user_message" if i % 2 == 0 else "agent_thinking",
                "size": 120 + i,
                "close_code": None,
                "data": '{"type": "user_message", "payload": {"content": "What is 2+3?"}}',
            }
        )
    frames.append(
        {"dir": "close", "t": 0.01, "type": None, "size": 0, "close_code": 1011, "data": ""}
    )
    return frames


def _test(suite: str, index: int, rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    test_id = f"{suite}::test_module_{index % 20}::test_case[{index}-agent_started]"
    duration = round(rng.uniform(0.001, 0.5), 6)
    if roll < 0.05:
        message = f"frame {index}: expected 'agent_completed', observed 'agent_error'"
        attempt = {"outcome": "failed", "duration_s": duration, "message": message}
        return {
            "id": test_id,
            "outcome": "failed",
            "duration_s": duration,
            "message": message,
            "flaky": False,
            "waiver": None,
            "attempts": [attempt, attempt],
            "transcript": _transcript(rng),
        }
    if roll < 0.07:
        return {
            "id": test_id,
            "outcome": "passed",
            "duration_s": duration,
            "message": "",
            "flaky": True,
            "waiver": None,
            "attempts": [
                {"outcome": "failed", "duration_s": duration, "message": "no reply within 5 s"},
                {"outcome": "passed", "duration_s": duration, "message": ""},
            ],
            "transcript": _transcript(rng),
        }
    return {
        "id": test_id,
        "outcome": "passed",
        "duration_s": duration,
        "message": "",
        "flaky": False,
        "waiver": None,
        "attempts": [{"outcome": "passed", "duration_s": duration, "message": ""}],
    }


def synthetic_verdict(tests: int = 10_000, seed: int = 7) -> dict[str, Any]:
    """A NOT_APPROVED verdict of `tests` tests over the six built-in suites (5% failed)."""
    rng = random.Random(seed)
    suites: list[dict[str, Any]] = []
    reasons: list[dict[str, Any]] = []
    per_suite = tests // len(SUITES)
    for number, (name, criticality) in enumerate(SUITES):
        count = per_suite if number < len(SUITES) - 1 else tests - per_suite * number
        cases = [_test(name, i, rng) for i in range(count)]
        failed = [t["id"] for t in cases if t["outcome"] == "failed"]
        counts: dict[str, int] = {
            "planned": count,
            "passed": count - len(failed),
            "failed": len(failed),
            "errors": 0,
            "skipped": 0,
            "not_run": 0,
            "flaky": sum(1 for t in cases if t["flaky"]),
            "waived": 0,
        }
        status = "FAIL" if failed else "PASS"
        suites.append({"name": name, "title": name.replace("_", " ").title(),
                       "criticality": criticality, "description": "", "status": status,
                       "load_error": None, "tests": cases, **counts})  # fmt: skip
        if failed:
            reasons.append({"rule": "critical-failure", "severity": "blocker", "suite": name,
                            "message": f"{len(failed)} of {count} planned tests failed",
                            "tests": failed})  # fmt: skip
    samples = sorted(round(rng.lognormvariate(2.5, 0.5), 3) for _ in range(1000))
    keys = ("planned", "passed", "failed", "errors", "skipped", "not_run", "flaky", "waived")
    summary = {key: sum(int(s[key]) for s in suites) for key in keys}
    return {
        "schema": "stability-harness/verdict@1", "verdict": "NOT_APPROVED", "exit_code": 1,
        "run_id": "bench", "started_at": "2026-11-25T20:40:00Z",
        "finished_at": "2026-11-25T20:50:00Z", "duration_s": 600.0, "harness_version": "0.1.0",
        "target": {"url": "ws://127.0.0.1:1/ws", "kind": "embedded", "defects": []},
        "policy": {"source": "built-in default", "rollback_plan": ["Revert."],
                   "success_indicators": ["No 1011."]},
        "environment": {"python": "3.11", "platform": "bench", "workers": 2, "reruns": 1},
        "summary": summary, "suites": suites, "reasons": reasons,
        "metrics": {"agent_started_latency_ms": {
            "value": samples[949], "unit": "ms", "suite": "agent_events", "count": len(samples),
            "samples": samples, "min": samples[0], "max": samples[-1], "mean": 13.0,
            "p50": samples[499], "p95": samples[949], "p99": samples[989],
            "budgets": [{"statistic": "p95", "limit": 500.0, "unit": "ms", "min_samples": 30,
                         "observed": samples[949], "status": "met"}]}},
        "baseline": None, "run_errors": [],
    }  # fmt: skip


def render_everything(verdict: Mapping[str, Any]) -> dict[str, int]:
    """Renders every report file and the step summary once; returns each text's length."""
    sizes = {fmt: len(text) for fmt, text in render_all(verdict).items()}
    sizes["summary"] = len(render_step_summary(verdict))
    return sizes


def test_render_all_formats_10k_tests(benchmark: Any) -> None:
    """Measures one render of every format for 10,000 tests (the target is under 2 s)."""
    verdict = synthetic_verdict()
    render_everything(verdict)  # compile the templates outside the measurement
    sizes = benchmark.pedantic(render_everything, args=(verdict,), rounds=3, iterations=1)
    assert sorted(sizes) == ["html", "junit", "md", "summary"]


def main() -> None:
    """Prints wall-clock and CPU time of rendering every format for 10,000 tests (best of 3)."""
    verdict = synthetic_verdict()
    sizes = render_everything(verdict)
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        render_everything(verdict)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    megabytes = sum(sizes.values()) / 1e6
    print(f"10,000 tests, all formats ({megabytes:.1f} M characters):")
    print(f"  wall {best_wall:.3f} s, CPU {best_cpu:.3f} s (best of 3)")


if __name__ == "__main__":
    main()
