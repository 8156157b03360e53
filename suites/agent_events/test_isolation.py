"""Replies precede events, and events reach only the connection that started the run.

Wrong servers the data tells apart:
- an ack after the first agent event, with another message_id or received_type (both
  start_agent and user_message are sent), or a client_timestamp off by a microsecond
  (compared as integer microseconds);
- events also sent to another user's connection, or to another connection of the same
  user (each idle connection is watched for a quiet window after the run ends);
- under 50 concurrent runs (10 users x 5 on one connection each): events of another
  user or of no run of the connection, a run answered wrongly, events of one run labelled
  with a sibling run's run_id (the five ordering rules are judged on every run), events
  after a run's end.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.suite_api import CheckFailed, Client, Connect, Metrics, needs, to_microseconds
from harness.suite_api import protocol as P
from suites.agent_events.observation import Observation, Request, contains_result, run_all, run_one
from suites.agent_events.ordering import ordering_problems

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

TOOL_RUN = "What is 2+3 and (7-1) * 4?"
STAGING_TIMESTAMP = 1757350201.447585
STAGING_MICROSECONDS = 1757350201447585
# Long enough for leaked events of a finished run to reach an idle connection.
QUIET_WINDOW_S = 0.3
USERS = 10
# Five runs per user, sent at once: (content, result of its one calculator call as JSON).
CONCURRENT_RUNS = (
    ("What is 1+1?", "2"),
    ("What is 2*3?", "6"),
    ("What is 10-7?", "3"),
    ("What is 9/2?", "4.5"),
    ("What is (4+4) * 5?", "40"),
)
CONCURRENT_WITHIN_S = 30.0


@pytest.mark.parametrize(
    "frame_type", (P.USER_MESSAGE, P.START_AGENT), ids=["user_message", "start_agent"]
)
@pytest.mark.rules(
    "2.reply.before-events",
    "3.frame.ack.message-id",
    "3.frame.ack.received-type",
    "3.frame.ack.client-timestamp",
    "3.frame.ack.run-id",
    "3.frame.ack.thread-id",
    "6.close.never-1011",
)
async def test_ack_arrives_before_any_agent_event(
    connect: Connect, metrics: Metrics, frame_type: str
) -> None:
    """The ack (message_id, received_type, client_timestamp, run_id, thread_id) comes first."""
    client = await connect()
    run = await run_one(
        client, TOOL_RUN, metrics, frame_type=frame_type, timestamp=STAGING_TIMESTAMP
    )
    ack = run.reply
    problems = []
    if ack.get("message_id") != run.request.message_id:
        problems.append(f"message_id {ack.get('message_id')!r} != {run.request.message_id!r}")
    if ack.get("received_type") != frame_type:
        problems.append(f"received_type {ack.get('received_type')!r} != {frame_type!r}")
    if to_microseconds(ack.get("client_timestamp")) != STAGING_MICROSECONDS:
        problems.append(f"client_timestamp {ack.get('client_timestamp')!r} != {STAGING_TIMESTAMP}")
    for key in ("run_id", "thread_id"):
        if not isinstance(ack.get(key), str) or not ack.get(key):
            problems.append(f"{key} {ack.get(key)!r} is not a non-empty string")
    if problems:
        raise CheckFailed(
            "ack fields", expected="as sent (PROTOCOL.md section 3)", observed=problems
        )
    if not run.events or min(run.event_indexes) < run.reply_index:
        raise CheckFailed(
            "arrival order of the ack and the run's events",
            expected="ack, then the agent events",
            observed=f"ack at position {run.reply_index}, events at {list(run.event_indexes)}",
            frames=[ack, *run.events],
        )


@pytest.mark.rules(
    "4.delivery.not-other-users", "4.delivery.not-other-connections", "6.close.never-1011"
)
async def test_idle_connections_receive_no_events(connect: Connect, metrics: Metrics) -> None:
    """Another user's connection and a second connection of the same user receive nothing."""
    runner = await connect()
    other_user = await connect()
    same_user = await connect(runner.user)
    await run_one(runner, TOOL_RUN, metrics)
    leaks = {
        "another user's connection": await other_user.quiet(QUIET_WINDOW_S),
        "the same user's other connection": await same_user.quiet(0.0),
    }
    observed = {name: [f.get("type") for f in frames] for name, frames in leaks.items() if frames}
    if observed:
        raise CheckFailed(
            "frames on idle connections while another connection ran an agent",
            expected="no frames (events go only to the connection that started the run)",
            observed=observed,
            frames=[f for frames in leaks.values() for f in frames],
        )


@pytest.mark.rules(
    "4.delivery.not-other-users",
    "4.run.one-per-request",
    "4.order.started-once",
    "4.order.ends-once",
    "4.order.nothing-after-end",
    "4.agent.calculator.final-response",
    "6.close.never-1011",
)
async def test_fifty_concurrent_runs_without_cross_talk(connect: Connect, metrics: Metrics) -> None:
    """10 users x 5 simultaneous runs: each connection sees exactly its own 5 runs, correct."""
    clients = await asyncio.gather(*(connect() for _ in range(USERS)))
    requests = [[Request(content) for content, _ in CONCURRENT_RUNS] for _ in clients]
    observations = await asyncio.gather(
        *(
            run_all(client, reqs, metrics, within=CONCURRENT_WITHIN_S)
            for client, reqs in zip(clients, requests, strict=True)
        )
    )
    late = await asyncio.gather(*(client.quiet(QUIET_WINDOW_S) for client in clients))
    problems: list[str] = []
    evidence: list[dict[str, Any]] = []
    for n, (client, seen, after) in enumerate(zip(clients, observations, late, strict=True)):
        problems += _cross_talk(n, client, seen, after, evidence)
    if problems:
        raise CheckFailed(
            f"{USERS * len(CONCURRENT_RUNS)} concurrent runs over {USERS} users",
            expected="each connection receives only its own runs' events, each run answered "
            "correctly and ended once",
            observed=problems[:20]
            + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else []),
            frames=evidence[:50],
        )


def _cross_talk(
    n: int,
    client: Client,
    seen: Observation,
    after: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
) -> list[str]:
    """What connection `n` saw that it should not have, or missed."""
    assert client.user is not None
    user_id = client.user.id
    problems = []
    mine = {run.run_id for run in seen.runs}
    late = [f for f in after if f.get("type") in P.AGENT_EVENTS]
    foreign = seen.foreign_events(user_id) + [
        f for f in late if f.get("run_id") not in mine or f.get("user_id") != user_id
    ]
    after_end = [f for f in late if f not in foreign]
    evidence += foreign + after_end
    if foreign:
        problems.append(
            f"user {n}: {len(foreign)} events of other runs or users, e.g. "
            f"{[(f.get('type'), f.get('user_id')) for f in foreign[:3]]}"
        )
    if after_end:
        problems.append(
            f"user {n}: {[f.get('type') for f in after_end]} of its runs after they ended"
        )
    # Another agent's answers are not known: each run must then end once, whatever it says.
    exact = client.checks.applies("4.agent.calculator.final-response")
    for run, (content, result) in zip(seen.runs, CONCURRENT_RUNS, strict=True):
        terminals = [t for t in run.types if t in P.TERMINAL_EVENTS]
        if not exact:  # the tool calls an expression gets are the scripted agent's
            if len(terminals) != 1:
                evidence += run.events
                problems.append(f"user {n}, {content!r}: terminal events {terminals}")
            continue
        results = [text for _, text in run.results()]
        answer = run.final.get("final_response")
        if terminals != [P.AGENT_COMPLETED] or results != [result]:
            evidence += run.events
            problems.append(
                f"user {n}, {content!r}: terminal events {terminals}, results {results}, "
                f"final_response {answer!r} (expected [agent_completed], [{result}])"
            )
        elif not contains_result(answer, result):
            evidence += run.events
            problems.append(f"user {n}, {content!r}: final_response {answer!r} without {result}")
        disorder = ordering_problems(run.events)
        if disorder:
            evidence += run.events
            problems += [f"user {n}, {content!r}: {problem}" for problem in disorder]
    return problems
