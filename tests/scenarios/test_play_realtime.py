"""Scenarios played in the openai-realtime dialect on its reference server (a process of its
own, real sockets): a turn read by the dialect's turn model (streamed text joined, function
calls with their joined arguments), and an answer that varies from run to run judged k of n.

The server's agent is seeded: its answer to the capital of France names Paris in about three
responses of four, so a scenario of 8 runs passes with a `min_pass` at most the runs that
named it and fails with one more; with the default seed and a fresh server that is 7 of 8.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.embedded import embedded_target
from harness.scenarios.load import load_scenario
from harness.scenarios.play import Outcome
from harness.wire.profile import load_profile
from harness.wire.target import Target
from tests.scenarios.playing import played as play_scenario

SECRET = "realtime-scenario-secret-of-32-bytes"
PROFILE = "openai-realtime"


@pytest.fixture
def target() -> Iterator[Target]:
    """A fresh server per test: its seeded agent's answers then come in the same order."""
    with embedded_target(SECRET, frozenset(), PROFILE, load_profile(PROFILE), None) as (t, _):
        yield t


def played(target: Target, tmp_path: Path, text: str) -> Outcome:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return play_scenario(target, load_scenario(path))


FRANCE = """
[scenario]
name = "capital"
runs = 8
min_pass = {min_pass}

[[turn]]
send = "What is the capital of France?"
[[turn.check]]
contains = "Paris"
"""


@pytest.mark.parametrize(("min_pass", "passed"), [(7, True), (8, False)])
def test_a_varying_answer_is_judged_k_of_n(
    target: Target, tmp_path: Path, min_pass: int, passed: bool
) -> None:
    outcome = played(target, tmp_path, FRANCE.format(min_pass=min_pass))
    assert (outcome.passed_runs, len(outcome.runs), outcome.passed) == (7, 8, passed)
    failed = [run for run in outcome.runs if run is not None]
    assert [run.check for run in failed] == ["contains 'Paris'"], failed
    assert all(run.final_text and "Paris" not in run.final_text for run in failed), failed


SEARCH = """
[scenario]
name = "search"
runs = 3
min_pass = 3

[[turn]]
send = "Search for the weather in Brest"
[[turn.check]]
tool_called = "search"
[[turn.check]]
regex = '\\w+'
[[turn.check]]
within_ms = 5000
"""


def test_function_calls_and_streamed_text_are_read_by_the_turn_model(
    target: Target, tmp_path: Path
) -> None:
    outcome = played(target, tmp_path, SEARCH)
    assert outcome.runs == (None, None, None), outcome.summary()


NOT_CALLED = """
[scenario]
name = "no-search"
runs = 1
min_pass = 1

[[turn]]
send = "Search for the weather in Brest"
[[turn.check]]
tool_not_called = "search"
"""


def test_a_function_call_the_scenario_forbids_fails_it(target: Target, tmp_path: Path) -> None:
    outcome = played(target, tmp_path, NOT_CALLED)
    failure = outcome.runs[0]
    assert failure is not None and failure.turn == 1, outcome.summary()
    assert failure.check == "tool_not_called 'search'"
