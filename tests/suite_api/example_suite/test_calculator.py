# example_suite/test_calculator.py
"""The calculator of an agent run, with values worked by hand from docs/PROTOCOL.md."""

from __future__ import annotations

import pytest

from harness.suite_api import CheckFailed, Connect, Evidence, rules
from harness.suite_api import protocol as P

pytestmark = pytest.mark.asyncio

CONTENT = "What is 2+3*4?"
TOOL_EVENTS = [(P.TOOL_EXECUTING, "calculator"), (P.TOOL_COMPLETED, "calculator")]


@rules("4.order.tool-completed-follows", "4.agent.calculator.value")
async def test_one_calculator_call_gets_the_exact_result(
    connect: Connect, evidence: Evidence
) -> None:
    """One expression: one calculator call, answered by one tool_completed whose result is 14."""
    client = await connect()  # a fresh user; the fixture closes the client at teardown
    ack = await client.request(P.USER_MESSAGE, {"content": CONTENT})
    assert ack["type"] == P.ACK, f"reply to a user_message: expected ack, observed {ack}"
    events = await client.collect_run(ack["run_id"], within=10.0)

    tools = [
        (event["type"], event.get("data", {}).get("tool_name"))
        for event in events
        if event["type"] in (P.TOOL_EXECUTING, P.TOOL_COMPLETED)
    ]
    evidence.record(
        "4.order.tool-completed-follows", sent=CONTENT, expected=TOOL_EVENTS, observed=tools
    )
    if tools != TOOL_EVENTS:
        raise CheckFailed(
            "the tool events of the run", expected=TOOL_EVENTS, observed=tools, frames=events
        )

    results = [e["data"].get("result") for e in events if e["type"] == P.TOOL_COMPLETED]
    evidence.record("4.agent.calculator.value", sent="2+3*4", expected=[14], observed=results)
    assert results == [14], f"calculator results of 2+3*4: expected [14], observed {results}"
