"""The five ordering rules of PROTOCOL.md section 4, each on a run with two tool calls.

Each test runs one request on a fresh connection and judges every agent event that
connection received, not only those that name the ack's run: an event with no run_id,
or another run's, is then seen. Wrong servers the data tells apart:
- agent_thinking before agent_started, or agent_started twice (rule 1);
- tool_executing before any agent_thinking (rule 2);
- a tool call never completed, completed twice (also after the end), with another
  tool_call_id or tool_name, or a second tool_executing before the first completes (rule 3);
- a second terminal event, agent_error after agent_completed, a late tool_completed, or a
  second run for one request (another agent_started), within a quiet window (rule 4);
- an event with no run_id, another run's run_id, another thread_id or user_id, or a
  timestamp below the previous event's (rule 5).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.suite_api import Client, Connect, Metrics, needs
from suites.agent_events.observation import agent_events, run_one
from suites.agent_events.ordering import (
    check_constant_ids,
    check_single_terminal,
    check_started_first,
    check_thinking_before_tools,
    check_tools_complete,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# Two expressions: two calculator calls (section 4, the scripted agent).
TOOL_RUN = "What is 2+3 and (7-1) * 4?"
# Long enough for events a server sends after the run's end to arrive.
AFTER_END_WINDOW_S = 0.3


def _connection_events(client: Client) -> list[dict[str, Any]]:
    """Every agent event the connection received (it started one run only)."""
    return agent_events(client.frames)


@pytest.mark.rules("4.order.started-first", "4.order.started-once", "6.close.never-1011")
async def test_rule1_agent_started_is_first_and_once(connect: Connect, metrics: Metrics) -> None:
    """agent_started opens the run and is never repeated."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    check_started_first(_connection_events(client))


@needs("scripted_agent")  # a tool call for an expression
@pytest.mark.rules("4.order.thinking-before-tool", "6.close.never-1011")
async def test_rule2_thinking_precedes_first_tool(connect: Connect, metrics: Metrics) -> None:
    """At least one agent_thinking arrives before the first tool_executing."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    check_thinking_before_tools(_connection_events(client))


@pytest.mark.rules(
    "4.order.tool-completed-follows",
    "4.order.tool-completed-same-call-id",
    "4.order.tool-completed-exactly-one",
    "4.order.tools-no-overlap",
    "6.close.never-1011",
)
@needs("scripted_agent")  # tool calls for expressions
async def test_rule3_every_tool_call_completes_once(connect: Connect, metrics: Metrics) -> None:
    """Each tool_executing gets one matching tool_completed before the end, without overlap."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    await client.quiet(AFTER_END_WINDOW_S)
    check_tools_complete(_connection_events(client))


@pytest.mark.rules(
    "4.order.ends-once",
    "4.order.nothing-after-end",
    "4.run.one-per-request",
    "6.close.never-1011",
)
async def test_rule4_one_terminal_event_then_nothing(connect: Connect, metrics: Metrics) -> None:
    """Exactly one agent_completed ends the only run of the request; nothing follows it."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    await client.quiet(AFTER_END_WINDOW_S)
    events = _connection_events(client)
    check_single_terminal(events)
    # One request, one run: a second agent_started (of any run_id) is a second run.
    check_started_first(events)


@pytest.mark.rules(
    "4.order.run-id-constant",
    "4.order.thread-id-constant",
    "4.order.user-id-constant",
    "4.order.timestamps-non-decreasing",
    "6.close.never-1011",
)
async def test_rule5_ids_constant_and_timestamps_monotonic(
    connect: Connect, metrics: Metrics
) -> None:
    """run_id, thread_id and user_id never change within the run; timestamps never decrease."""
    client = await connect()
    await run_one(client, TOOL_RUN, metrics)
    check_constant_ids(_connection_events(client))
