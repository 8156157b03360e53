"""End to end with `--fault`: latency keeps a correct server approved; cuts fail the tests hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]


def test_latency_and_jitter_keep_the_clean_server_approved(tmp_path: Path) -> None:
    run = harness(
        "run",
        *("--suite", "staging_repro", "--suite", "agent_events"),
        *("--fault", "latency=200", "--fault", "jitter=50", "--quiet"),
        out=tmp_path / "out",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    assert run.verdict["environment"]["faults"] == {"latency": 200.0, "jitter": 50.0}
    under = [r for r in run.verdict["reasons"] if r["rule"] == "budget-missed-under-fault"]
    assert under, run.verdict["reasons"]  # p50 <= 250 ms cannot hold with 400 ms round trips
    assert all(r["severity"] == "info" for r in under)
    assert "with injected faults latency=200, jitter=50" in under[0]["message"]
    markdown = (run.out / "report.md").read_text("utf-8")
    assert "**Injected faults:** `latency=200.0`, `jitter=50.0`" in markdown


def test_a_cut_connection_fails_the_tests_it_hits(tmp_path: Path) -> None:
    run = harness(
        "run", "--suite", "message_routing", "--fault", "cut=20000", "--quiet", out=tmp_path / "out"
    )
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None
    suite = run.suite("message_routing")
    assert suite["failed"] >= 1
    assert suite["errors"] == 0  # the target's connection failed: never the harness's error
    assert suite["passed"] >= 100  # small frames pass under the cut
    assert not run.reasons("incomplete"), run.reasons("incomplete")


def test_a_bad_fault_is_a_usage_error(tmp_path: Path) -> None:
    run = harness("run", "--fault", "latency=soon", out=tmp_path / "out")
    assert run.code == 4
    (line,) = run.stderr.strip().splitlines()
    assert line == (
        "stability-harness: error: --fault latency=soon: expected a number of milliseconds"
    )
