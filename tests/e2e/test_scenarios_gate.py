"""End to end: user scenarios in a gate, their verdict in verdict.json and report.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
WRONG = """
[scenario]
name = "wrong-sum"
runs = 2
min_pass = 2

[[turn]]
send = "What is 2+3?"
[[turn.check]]
contains = "6"
"""


def test_the_examples_pass_and_a_wrong_expectation_fails_the_gate(tmp_path: Path) -> None:
    passing = harness(
        "run", "--suite", "scenarios", "--scenarios", str(EXAMPLES), "--quiet", out=tmp_path / "ok"
    )
    assert passing.code == 0, passing.stdout + passing.stderr
    assert passing.verdict is not None
    assert passing.verdict["verdict"] == "APPROVED"
    assert sorted(
        (s["name"], s["passed_runs"], s["runs"], s["passed"]) for s in passing.verdict["scenarios"]
    ) == [
        ("arithmetic", 3, 3, True),
        ("failure-then-recovery", 1, 1, True),
        ("word-count", 1, 1, True),
    ]
    folder = tmp_path / "wrong"
    folder.mkdir()
    (folder / "wrong.toml").write_text(WRONG, "utf-8")
    failing = harness(
        "run", "--suite", "scenarios", "--scenarios", str(folder), "--quiet", out=tmp_path / "ko"
    )
    assert failing.code == 1, failing.stdout + failing.stderr
    assert failing.verdict is not None
    assert failing.verdict["verdict"] == "NOT_APPROVED"
    (wrong,) = failing.verdict["scenarios"]
    assert (wrong["name"], wrong["passed_runs"], wrong["runs"], wrong["outcome"]) == (
        "wrong-sum",
        0,
        2,
        "failed",
    )
    first = wrong["failures"][0]
    assert (first["run"], first["turn"], first["check"], first["final_text"]) == (
        1,
        1,
        "contains '6'",
        "2+3 = 5",
    )
    assert first["frames"][-1]["frame"]["type"] == "agent_completed"
    report = (failing.out / "report.md").read_text("utf-8")
    assert (
        "| `wrong-sum` | 0 of 2 (min_pass 2) | ❌ failed | run 1, turn 1, check contains '6': "
        "the final text does not contain '6' |"
    ) in report
