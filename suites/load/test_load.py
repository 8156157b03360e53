"""Many users at once: every run of every user completes, and no user sees another's events.

One crowd (conftest `crowd`) serves both tests: N users ramped over the ramp period,
each on its own connection, each running M agent runs in turn (or, with a soak, one
a second until the soak ends). Wrong servers the data tells apart:
- a server that sends a run's events to other connections (each connection keeps
  every agent event that is not of its own acked runs, user and thread);
- one that refuses or drops connections, closes with 1011, answers with error
  frames, never ends runs or ends them with agent_error under load (each counted by
  kind, and the run fails naming the counts);
- one that is slow under load (the policy's budgets on the recorded samples).
"""

from __future__ import annotations

import pytest

from harness.suite_api import CheckFailed, Metrics, needs
from suites.load.crowd import Crowd
from suites.load.tally import (
    close_counts,
    contamination,
    record_contamination,
    record_runs,
    run_failures,
)

# Every shard of a `run --shard I/N` runs these tests on its share of the users.
# The load phase speaks chat-agent/1's requests (user_message, acks).
pytestmark = [pytest.mark.load, pytest.mark.every_shard, needs("chat_requests")]


@pytest.mark.rules(
    "2.reply.before-events",
    "4.run.one-per-request",
    "4.order.started-first",
    "6.close.never-1011",
)
def test_every_user_runs_every_conversation(crowd: Crowd, metrics: Metrics) -> None:
    """Each user connects and each of its runs is acked, starts and completes in time."""
    record_runs(crowd, metrics)
    problems = run_failures(crowd)
    if problems:
        raise CheckFailed(
            f"{len(crowd.sessions)} concurrent users, {_each(crowd)}",
            expected="every connection opened and every run acked, started with agent_started "
            "and ended with agent_completed, no error frame, no close 1011",
            observed="; ".join(problems) + f"; server close codes: {close_counts(crowd)}",
        )


@pytest.mark.rules("4.delivery.not-other-users")
def test_no_user_receives_another_users_events(crowd: Crowd, metrics: Metrics) -> None:
    """No connection receives an event of a run that is not its own (user, run and thread)."""
    record_contamination(crowd, metrics)
    leaked = contamination(crowd)
    if leaked is not None:
        raise CheckFailed(
            f"{len(crowd.sessions)} concurrent users, {_each(crowd)}",
            expected="0 events of another user's run on any connection",
            observed=leaked,
        )


def _each(crowd: Crowd) -> str:
    shape = crowd.shape
    if shape.soak_s:
        return f"each conversing for {shape.soak_s:g} s (soak)"
    return f"{shape.conversations} conversations each"
