"""Every agent event carries the fields and types of PROTOCOL.md sections 3 and 4.

Wrong servers the data tells apart:
- a field missing or of the wrong type: step as a string or 0, duration_ms negative (on
  tool_completed and agent_completed), parameters not an object, an empty agent_name,
  status other than "completed", a bool or a string where a number is due;
- a frame (agent event or not) without type, timestamp or an integer seq;
- an event with no run_id, or another run's: every event of the connection is judged,
  not only those that name the ack's run;
- events whose thread_id is not the ack's, or not the thread the client named;
- user_id other than the token's sub; agent_started.message_id other than the frame's
  (or, for a frame without one, other than the ack's generated one);
- thinking steps that start at 0, repeat or skip.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import pytest

from harness.suite_api import CheckFailed, Connect, Metrics, Target, needs, premise
from harness.suite_api import protocol as P
from suites.agent_events.observation import Request, agent_events, data_of, run_all, run_one
from suites.agent_events.schema import describe, frame_violations, not_sent, violations

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

TOOL_RUN = "What is 2+3 and (7-1) * 4?"
FAIL_RUN = "fail: the tool chain broke"
RUN_WITHIN_S = 15.0


# An event a run of any agent sends (agent_started, agent_completed), and those only the
# scripted agent is known to send for this content (thinking steps, tool calls, a failure).
ANY_AGENT: Final = (P.AGENT_STARTED, P.AGENT_COMPLETED)


def _schema_case(event_type: str, content: str, *rules: str) -> Any:
    marks = [pytest.mark.rules(*rules, "4.event.data-object", "6.close.never-1011")]
    if event_type not in ANY_AGENT:
        marks.append(needs("scripted_agent"))
    return pytest.param(event_type, content, id=event_type, marks=marks)


@pytest.mark.parametrize(
    ("event_type", "content"),
    (
        _schema_case(P.AGENT_STARTED, TOOL_RUN, "4.data.agent-started.agent-name"),
        _schema_case(
            P.AGENT_THINKING,
            TOOL_RUN,
            "4.data.agent-thinking.reasoning",
            "4.data.agent-thinking.step",
        ),
        _schema_case(
            P.TOOL_EXECUTING,
            TOOL_RUN,
            "4.data.tool-executing.tool-name",
            "4.data.tool-executing.tool-call-id",
            "4.data.tool-executing.parameters",
        ),
        _schema_case(
            P.TOOL_COMPLETED,
            TOOL_RUN,
            "4.data.tool-completed.tool-name",
            "4.data.tool-completed.tool-call-id",
            "4.data.tool-completed.result",
            "4.data.tool-completed.duration-ms",
        ),
        _schema_case(
            P.AGENT_COMPLETED,
            TOOL_RUN,
            "4.data.agent-completed.status",
            "4.data.agent-completed.final-response",
            "4.data.agent-completed.duration-ms",
        ),
        _schema_case(
            P.AGENT_ERROR, FAIL_RUN, "4.data.agent-error.error-code", "4.data.agent-error.message"
        ),
    ),
)
async def test_event_schema(
    connect: Connect, metrics: Metrics, target: Target, event_type: str, content: str
) -> None:
    """Each event of this type has every required field with its type, common fields included
    (those the target's dialect does not carry are left out: their rules are not applicable)."""
    client = await connect()
    run = await run_one(client, content, metrics)
    events = [e for e in agent_events(client.frames) if e.get("type") == event_type]
    if not events:
        raise CheckFailed(
            f"{event_type} events in the run of {content!r}",
            expected=f"at least one {event_type}",
            observed=f"event types {run.types}",
            frames=run.events,
        )
    absent = not_sent(target.profile, event_type)
    problems = [f"event {i + 1}: {v}" for i, e in enumerate(events) for v in violations(e, absent)]
    if problems:
        raise CheckFailed(
            f"schema of {event_type}", expected=describe(event_type), observed=problems
        )


@pytest.mark.rules(
    "3.common.type",
    "3.common.timestamp",
    "3.seq.present",
    "4.event.run-id",
    "4.event.thread-id",
    "4.event.user-id",
    "4.event.data-object",
    "6.close.never-1011",
)
async def test_every_frame_carries_the_common_fields(connect: Connect, metrics: Metrics) -> None:
    """Every frame of a connection (welcome, pong, acks, events) has type, timestamp, seq."""
    client = await connect()
    await client.request(P.PING)
    await run_all(client, [Request(TOOL_RUN), Request(FAIL_RUN)], metrics)
    # Without `seq` in the target's dialect, the check of 3.seq.present is not made.
    absent = frozenset() if client.checks.applies("3.seq.present") else frozenset({"seq"})
    problems = [
        f"frame {n} ({frame.get('type')!r}): {v}"
        for n, frame in enumerate(client.frames, start=1)
        for v in frame_violations(frame, absent)
    ]
    if problems:
        raise CheckFailed(
            "the common fields of every frame received",
            expected="type (non-empty string), timestamp (number), seq (integer >= 1); agent "
            "events also run_id, thread_id, user_id (non-empty strings) and a data object",
            observed=problems,
            frames=client.frames,
        )


@pytest.mark.parametrize(
    "named_thread",
    (
        pytest.param(False, id="new-thread"),
        pytest.param(True, id="named-thread"),
    ),
)
@pytest.mark.rules(
    "3.frame.ack.run-id",
    "3.frame.ack.thread-id",
    "4.event.run-id",
    "4.event.thread-id",
    "4.event.user-id",
    "4.data.agent-started.message-id",
    "6.close.never-1011",
)
async def test_events_carry_the_runs_ids_and_user(
    connect: Connect, metrics: Metrics, named_thread: bool
) -> None:
    """Every event carries the ack's run_id and thread_id, the token's sub and the message id."""
    client = await connect()
    assert client.user is not None
    thread_id = f"t-{uuid.uuid4().hex[:12]}" if named_thread else None
    run = await run_one(client, TOOL_RUN, metrics, thread_id=thread_id)
    ack_ids = (run.reply.get("run_id"), run.reply.get("thread_id"))
    if named_thread and ack_ids[1] != thread_id:
        raise CheckFailed(
            "ack thread_id of a named thread", expected=thread_id, observed=ack_ids[1]
        )
    if not all(isinstance(value, str) and value for value in ack_ids):
        raise CheckFailed(
            "ack run_id and thread_id", expected="non-empty strings", observed=ack_ids
        )
    expected = (*ack_ids, client.user.id)
    events = agent_events(client.frames)
    wrong = [
        (e.get("type"), e.get("run_id"), e.get("thread_id"), e.get("user_id"))
        for e in events
        if (e.get("run_id"), e.get("thread_id"), e.get("user_id")) != expected
    ]
    if wrong or not events:
        raise CheckFailed(
            "run_id, thread_id, user_id of every event the connection received",
            expected=f"{expected} (ack's run_id and thread_id, the token's sub)",
            observed=wrong or "no events",
            frames=events,
        )
    if not client.checks.applies("4.data.agent-started.message-id"):
        return
    started = run.of_type(P.AGENT_STARTED)
    ids = [data_of(e).get("message_id") for e in started]
    if ids != [run.request.message_id]:
        raise CheckFailed(
            "agent_started data.message_id",
            expected=[run.request.message_id],
            observed=ids,
            frames=started,
        )


@premise("4.data.agent-started.message-id")
@pytest.mark.rules("6.close.never-1011")
async def test_started_names_the_generated_message_id(connect: Connect, metrics: Metrics) -> None:
    """Without a message_id, agent_started carries the id the server generated for the ack."""
    client = await connect()
    await client.send({"type": P.USER_MESSAGE, "payload": {"content": "What is 2+3?"}})
    ack = await client.expect(P.ACK, within=RUN_WITHIN_S)
    started = await client.expect(P.AGENT_STARTED, within=RUN_WITHIN_S)
    await client.collect_run(ack.get("run_id"), within=RUN_WITHIN_S)
    generated = ack.get("message_id")
    observed = data_of(started).get("message_id")
    if not isinstance(generated, str) or not generated or observed != generated:
        raise CheckFailed(
            "agent_started data.message_id of a frame sent without message_id",
            expected=f"the ack's generated message_id, a non-empty string ({generated!r})",
            observed=observed,
            frames=[ack, started],
        )


@needs("scripted_agent")  # thinking steps, which another agent need not send
@pytest.mark.rules(
    "4.data.agent-thinking.step-sequence", "4.data.agent-thinking.step", "6.close.never-1011"
)
async def test_thinking_steps_count_from_one(connect: Connect, metrics: Metrics) -> None:
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
