"""Many users at once, each running turns in the target's own dialect (docs/TURNS.md): every
turn completes, and no connection sees frames of a turn it did not ask for.

For a target without chat-agent/1's requests (test_load.py's), the same crowd (conftest
`crowd`) asks for its turns with the profile's `[turn.request]` frames, each read whole
(suites/load/turn_crowd.py). Wrong servers the data tells apart:
- one that sends a turn's frames to other connections (a connection keeps every frame of
  a turn it never asked for, and, where frames name no turn, every frame outside its own);
- one that refuses or drops connections, closes with 1011 or an undeclared code, answers
  with error frames, or never ends turns, or ends them failed or cancelled, under load;
- one that is slow under load (the policy's budgets on the recorded samples).
"""

from __future__ import annotations

from typing import Final

import pytest

from harness.suite_api import CheckFailed, Deviation, Metrics, Target
from suites.load.crowd import Crowd
from suites.load.tally import (
    TURN_FRAMES,
    close_counts,
    contamination,
    record_contamination,
    record_runs,
    run_failures,
    undeclared_closes,
)

# Every shard of a `run --shard I/N` runs these tests on its share of the users. A target
# with chat-agent/1's requests runs test_load.py instead (conftest leaves these out).
pytestmark = [pytest.mark.load, pytest.mark.every_shard]

ISOLATED: Final = "4.turn.sessions-isolated"
DECLARED: Final = "6.close.declared-codes"
UNDECLARED: Final = Deviation(
    "close:undeclared", "a close code the profile does not declare", (DECLARED,)
)


@pytest.mark.rules("4.turn.one-terminal", "6.close.never-1011", DECLARED)
def test_every_user_completes_every_turn(crowd: Crowd, metrics: Metrics, target: Target) -> None:
    """Each user connects and each of its turns ends with a completed terminal in time, with
    no error frame, and every connection closes with a code the profile declares."""
    record_runs(crowd, metrics)
    problems = run_failures(crowd)
    declared = tuple(target.profile.section("capabilities")["close_codes"])
    undeclared = undeclared_closes(crowd, declared)
    if problems or undeclared:
        raise CheckFailed(
            f"{len(crowd.sessions)} concurrent users, {_each(crowd)}",
            expected="every connection opened and every turn ended with a completed terminal, "
            f"no error frame, no close 1011, close codes among {list(declared)}",
            observed="; ".join([*problems, *([undeclared] if undeclared else [])])
            + f"; server close codes: {close_counts(crowd)}",
            deviation=None if problems else UNDECLARED,
        )


@pytest.mark.rules(ISOLATED)
def test_no_session_sees_another_sessions_turns(crowd: Crowd, metrics: Metrics) -> None:
    """No connection receives a frame of a turn it did not ask for, late frames included."""
    record_contamination(crowd, metrics)
    leaked = contamination(crowd, TURN_FRAMES)
    if leaked is not None:
        raise CheckFailed(
            f"{len(crowd.sessions)} concurrent users, {_each(crowd)}",
            expected="0 frames of another session's turn on any connection",
            observed=leaked,
            deviation=Deviation(
                "turn:sessions-isolated", "a session sees another session's turn", (ISOLATED,)
            ),
        )


def _each(crowd: Crowd) -> str:
    shape = crowd.shape
    if shape.soak_s:
        return f"each asking for turns for {shape.soak_s:g} s (soak)"
    return f"{shape.conversations} turns each"
