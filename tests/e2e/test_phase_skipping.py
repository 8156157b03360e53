"""A run starts only the pytest sessions it needs: the serial performance phase only when
phase 1's plan counted a test for it, and a run of load suites only one session in all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]


def _phases(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("pytest-phase*.log"))


def test_a_load_only_run_is_one_pytest_session(tmp_path: Path) -> None:
    """Load suites only: phase 1 runs their load tests too, in one process (no xdist, no
    phase 3), and no serial phase starts for no performance test."""
    run = harness(
        "run", "--suite", "load", "--users", "10", "--conversations", "3", "--ramp", "0",
        "--quiet", "--no-history", out=tmp_path / "out",
    )  # fmt: skip
    assert run.verdict is not None, run.stdout + run.stderr
    assert run.verdict["verdict"] == "APPROVED", run.stdout
    assert [t["outcome"] for t in run.suite("load")["tests"]] == ["passed", "passed"]
    assert _phases(run.out) == ["pytest-phase1.log"]
    assert json.loads((run.out / "plan-phase1.json").read_text())["serial"] == 0
    # The crowd ran with the run's options: 10 users x 3 conversations.
    assert run.verdict["metrics"]["load_first_event_ms"]["count"] == 30
    # No xdist workers to size: no pace probe.
    assert "probe_run_s" not in run.verdict["environment"]


def test_a_suite_with_a_performance_test_still_runs_it_alone(tmp_path: Path) -> None:
    run = harness("run", "--suite", "timestamp_core", "--quiet", "--no-history", out=tmp_path / "o")
    assert run.verdict is not None, run.stdout + run.stderr
    assert run.verdict["verdict"] == "APPROVED", run.stdout
    # timestamp_core has one test marked perf (the converter's speed), run in phase 2.
    assert json.loads((run.out / "plan-phase1.json").read_text())["serial"] == 1
    assert _phases(run.out) == ["pytest-phase1.log", "pytest-phase2.log"]
    assert (run.out / "plan-phase2.json").exists()
