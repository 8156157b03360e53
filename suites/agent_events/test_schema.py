"""Every agent event carries the fields and types of PROTOCOL.md sections 3 and 4."""

from __future__ import annotations

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.agent_events.observation import Connect, MetricSink, data_of, run_one
from suites.agent_events.schema import describe, violations

pytestmark = pytest.mark.asyncio

TOOL_RUN = "What is 2+3 and (7-1) * 4?"
FAIL_RUN = "fail: the tool chain broke"

SCHEMA_CASES = (
    (P.AGENT_STARTED, TOOL_RUN),
    (P.AGENT_THINKING, TOOL_RUN),
    (P.TOOL_EXECUTING, TOOL_RUN),
    (P.TOOL_COMPLETED, TOOL_RUN),
    (P.AGENT_COMPLETED, TOOL_RUN),
    (P.AGENT_ERROR, FAIL_RUN),
)


@pytest.mark.parametrize(
    ("event_type", "content"),
    SCHEMA_CASES,
    ids=[
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
        "agent_error",
    ],
)
async def test_event_schema(
    connect: Connect, metrics: MetricSink, event_type: str, content: str
) -> None:
    """Each event of this type has every required field with its type, common fields included."""
    run = await run_one(await connect(), content, metrics)
    events = run.of_type(event_type)
    if not events:
        raise CheckFailed(
            f"{event_type} events in the run of {content!r}",
            expected=f"at least one {event_type}",
            observed=f"event types {run.types}",
            frames=run.events,
        )
    problems = [f"seq {e.get('seq')!r}: {v}" for e in events for v in violations(e)]
    if problems:
        raise CheckFailed(
            f"schema of {event_type}", expected=describe(event_type), observed=problems
        )


async def test_events_carry_the_runs_ids_and_user(connect: Connect, metrics: MetricSink) -> None:
    """Events carry the ack's run_id and thread_id, the connection's user and the message id."""
    client = await connect()
    assert client.user is not None
    run = await run_one(client, TOOL_RUN, metrics)
    expected = (run.reply.get("run_id"), run.reply.get("thread_id"), client.user.id)
    wrong = [
        (e.get("type"), e.get("run_id"), e.get("thread_id"), e.get("user_id"))
        for e in run.events
        if (e.get("run_id"), e.get("thread_id"), e.get("user_id")) != expected
    ]
    if wrong or not run.events:
        raise CheckFailed(
            "run_id, thread_id, user_id of every event",
            expected=f"{expected} (ack's run_id and thread_id, the token's sub)",
            observed=wrong or "no events",
            frames=run.events,
        )
    started = run.of_type(P.AGENT_STARTED)
    ids = [data_of(e).get("message_id") for e in started]
    if ids != [run.request.message_id]:
        raise CheckFailed(
            "agent_started data.message_id",
            expected=[run.request.message_id],
            observed=ids,
            frames=started,
        )


async def test_thinking_steps_count_from_one(connect: Connect, metrics: MetricSink) -> None:
    """The agent_thinking steps of a run are numbered 1, 2, 3, ... in order."""
    run = await run_one(await connect(), TOOL_RUN, metrics)
    steps = [data_of(e).get("step") for e in run.of_type(P.AGENT_THINKING)]
    if not steps or steps != list(range(1, len(steps) + 1)):
        raise CheckFailed(
            "agent_thinking data.step",
            expected="1, 2, 3, ... (one number per thinking step, from 1)",
            observed=steps,
            frames=run.events,
        )


async def test_seq_increases_by_exactly_one(connect: Connect, metrics: MetricSink) -> None:
    """seq is 1 on connection_established and grows by exactly 1 with every frame received."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    await run_one(client, FAIL_RUN, metrics)
    seqs = [f.get("seq") for f in client.frames]
    if seqs != list(range(1, len(seqs) + 1)):
        raise CheckFailed(
            "seq of every frame on one connection, in arrival order",
            expected=f"1, 2, ..., {len(seqs)}",
            observed=list(zip([f.get("type") for f in client.frames], seqs, strict=True)),
        )
