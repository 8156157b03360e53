"""The five ordering rules of PROTOCOL.md section 4, each on a run with two tool calls."""

from __future__ import annotations

import pytest

from suites.agent_events.observation import Connect, MetricSink, run_one
from suites.agent_events.ordering import (
    check_constant_ids,
    check_single_terminal,
    check_started_first,
    check_thinking_before_tools,
    check_tools_complete,
)

pytestmark = pytest.mark.asyncio

# Two expressions: two calculator calls (section 4, the scripted agent).
TOOL_RUN = "What is 2+3 and (7-1) * 4?"
# Long enough for events a server sends after the run's end to arrive.
AFTER_END_WINDOW_S = 0.5


async def test_rule1_agent_started_is_first_and_once(connect: Connect, metrics: MetricSink) -> None:
    """agent_started opens the run and is never repeated."""
    run = await run_one(await connect(), TOOL_RUN, metrics)
    check_started_first(run.events)


async def test_rule2_thinking_precedes_first_tool(connect: Connect, metrics: MetricSink) -> None:
    """At least one agent_thinking arrives before the first tool_executing."""
    run = await run_one(await connect(), TOOL_RUN, metrics)
    check_thinking_before_tools(run.events)


async def test_rule3_every_tool_call_completes_once(connect: Connect, metrics: MetricSink) -> None:
    """Each tool_executing gets one matching tool_completed before the end, without overlap."""
    run = await run_one(await connect(), TOOL_RUN, metrics)
    check_tools_complete(run.events)


async def test_rule4_one_terminal_event_then_nothing(connect: Connect, metrics: MetricSink) -> None:
    """Exactly one agent_completed ends the run and no event of the run follows it."""
    client = await connect()
    run = await run_one(client, TOOL_RUN, metrics)
    late = [f for f in await client.quiet(AFTER_END_WINDOW_S) if f.get("run_id") == run.run_id]
    check_single_terminal([*run.events, *late])


async def test_rule5_ids_constant_and_timestamps_monotonic(
    connect: Connect, metrics: MetricSink
) -> None:
    """run_id, thread_id and user_id never change within the run; timestamps never decrease."""
    run = await run_one(await connect(), TOOL_RUN, metrics)
    check_constant_ids(run.events)
