"""Scenarios played on the embedded reference server (a process of its own, real sockets):
turns read from its frames, and runs judged k of n."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.embedded import embedded_target
from harness.scenarios.load import load_scenario
from harness.scenarios.model import Scenario
from harness.wire.profile import load_profile
from harness.wire.target import Target
from tests.scenarios import predicates
from tests.scenarios.playing import played

SECRET = "scenario-tests-secret-of-32-bytes!!"


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with embedded_target(SECRET, frozenset(), "chat-agent/1", load_profile(None), None) as (
        target,
        _pid,
    ):
        yield target


def scenario(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


KOFN = (
    '[scenario]\nname = "k"\nruns = 3\nmin_pass = 2\n'
    '[[turn]]\nsend = "What is 2+3?"\n'
    '[[turn.check]]\ncontains = "5"\n'
    '[[turn.check]]\npredicate = "tests.scenarios.predicates:{name}"\n'
)


def test_a_run_failing_once_of_three_passes_with_min_pass_2(tmp_path: Path, target: Target) -> None:
    predicates.CALLS.clear()
    outcome = played(target, scenario(tmp_path, KOFN.format(name="fails_first_run")))
    assert (outcome.passed, outcome.passed_runs, len(predicates.CALLS)) == (True, 2, 3)
    assert outcome.summary() == (
        "2 of 3 runs passed (min_pass 2); run 1, turn 1, check predicate "
        "'tests.scenarios.predicates:fails_first_run': the first run fails; "
        "final text: '2+3 = 5'"
    )


def test_two_failing_runs_of_three_fail_with_min_pass_2(tmp_path: Path, target: Target) -> None:
    predicates.CALLS.clear()
    outcome = played(target, scenario(tmp_path, KOFN.format(name="fails_two_runs")))
    assert (outcome.passed, outcome.passed_runs) == (False, 1)
    assert [run.reason if run else None for run in outcome.runs] == [
        "run 1 fails",
        "run 2 fails",
        None,
    ]
    document = outcome.to_json()
    assert {k: v for k, v in document.items() if k != "failures"} == {
        "name": "k",
        "file": str(tmp_path / "s.toml"),
        "description": "",
        "runs": 3,
        "min_pass": 2,
        "passed_runs": 1,
        "passed": False,
    }
    failures = document["failures"]
    assert [(f["run"], f["turn"], f["reason"], f["final_text"]) for f in failures] == [
        (1, 1, "run 1 fails", "2+3 = 5"),
        (2, 1, "run 2 fails", "2+3 = 5"),
    ]
    assert [f["frame"]["type"] for f in failures[0]["frames"]] == [
        "ack",
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_thinking",
        "agent_completed",
    ]


def test_turns_are_read_from_the_reference_server_s_frames(tmp_path: Path, target: Target) -> None:
    text = (
        '[scenario]\nname = "t"\n'
        '[[turn]]\nsend = "What is 7/2?"\n'
        '[[turn.check]]\ntool_called = "calculator"\narguments = { expression = "7/2" }\n'
        '[[turn.check]]\ncontains = "3.5"\n'
        "[[turn.check]]\nwithin_ms = 5000\n"
        '[[turn]]\nsend = "fail: on purpose"\n'
        '[[turn.check]]\ncontains = "never"\n'
    )
    outcome = played(target, scenario(tmp_path, text))
    failure = outcome.runs[0]
    assert failure is not None
    assert (failure.turn, failure.check, failure.reason, failure.final_text) == (
        2,
        "contains 'never'",
        "the turn has no final text (it ended with agent_error)",
        None,
    )
    assert [f.type for f in failure.frames] == [
        "ack",
        "agent_started",
        "agent_thinking",
        "agent_error",
    ]
    times = [f.at_ms for f in failure.frames]
    assert times == sorted(times) and times[0] > 0
