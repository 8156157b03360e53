"""The scripted agent's tool calls, answers and error path (PROTOCOL.md section 4)."""

from __future__ import annotations

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.agent_events.observation import Connect, MetricSink, Run, run_one

pytestmark = pytest.mark.asyncio

AFTER_END_WINDOW_S = 0.5


def _check_answer(
    run: Run, calls: list[tuple[str, dict[str, str]]], results: list[tuple[str, str]]
) -> None:
    """The run called exactly these tools, got these results and answered with them."""
    observed_calls = run.calls()
    if observed_calls != calls:
        raise CheckFailed(
            f"tool_executing (tool_name, parameters) for {run.request.content!r}",
            expected=calls,
            observed=observed_calls,
            frames=run.events,
        )
    observed_results = run.results()
    if observed_results != results:
        raise CheckFailed(
            f"tool_completed (tool_name, result as JSON) for {run.request.content!r}",
            expected=results,
            observed=observed_results,
            frames=run.events,
        )
    final = run.final
    answer = final.get("final_response")
    missing = [text.strip('"') for _, text in results if text.strip('"') not in str(answer)]
    if final.get("status") != "completed" or not isinstance(answer, str) or missing:
        raise CheckFailed(
            f"agent_completed for {run.request.content!r}",
            expected=f'status "completed", final_response containing {[t for _, t in results]}',
            observed=final or f"no agent_completed; event types {run.types}",
            frames=run.events,
        )


async def test_two_expressions_make_two_calculator_calls(
    connect: Connect, metrics: MetricSink
) -> None:
    """The expressions "2+3" and "(7-1) * 4" are two calculator calls answering 5 and 24."""
    run = await run_one(await connect(), "What is 2+3 and (7-1) * 4?", metrics)
    _check_answer(
        run,
        [("calculator", {"expression": "2+3"}), ("calculator", {"expression": "(7-1) * 4"})],
        [("calculator", "5"), ("calculator", "24")],
    )


@pytest.mark.parametrize(
    ("content", "expression", "result"),
    (
        ("What is 7/2?", "7/2", "3.5"),
        ("What is 6/3?", "6/3", "2"),
        ("What is 1/0?", "1/0", '"division by zero"'),
        ("What is (2+3?", "(2+3", '"invalid expression"'),
    ),
    ids=["inexact-float", "exact-integer", "division-by-zero", "invalid-expression"],
)
async def test_calculator_result(
    connect: Connect, metrics: MetricSink, content: str, expression: str, result: str
) -> None:
    """One expression is one calculator call whose result is written exactly as specified."""
    run = await run_one(await connect(), content, metrics)
    _check_answer(run, [("calculator", {"expression": expression})], [("calculator", result)])


async def test_text_without_expression_counts_words(connect: Connect, metrics: MetricSink) -> None:
    """With no expression the agent makes one word_count call with the exact count."""
    content = "Count the words of this short sentence please"
    run = await run_one(await connect(), content, metrics)
    _check_answer(run, [("word_count", {"text": content})], [("word_count", "8")])


async def test_fail_content_ends_with_agent_error(connect: Connect, metrics: MetricSink) -> None:
    """`fail:` gives agent_started, one agent_thinking, agent_error AGENT_FAILED, then nothing."""
    client = await connect()
    run = await run_one(client, "fail: the tool chain broke", metrics)
    late = [f for f in await client.quiet(AFTER_END_WINDOW_S) if f.get("run_id") == run.run_id]
    types = [*run.types, *(f.get("type") for f in late)]
    expected = [P.AGENT_STARTED, P.AGENT_THINKING, P.AGENT_ERROR]
    if types != expected:
        raise CheckFailed(
            "events of a run whose content starts with `fail:`",
            expected=expected,
            observed=types,
            frames=[*run.events, *late],
        )
    code = run.final.get("error_code")
    if code != P.AGENT_FAILED:
        raise CheckFailed(
            "agent_error data.error_code", expected=P.AGENT_FAILED, observed=code, frames=run.events
        )


async def test_start_agent_runs_like_user_message(connect: Connect, metrics: MetricSink) -> None:
    """start_agent with `user_request` starts the same run as user_message with `content`."""
    client = await connect()
    started = await run_one(client, "What is 2+3?", metrics, frame_type=P.START_AGENT)
    received = started.reply.get("received_type")
    if received != P.START_AGENT:
        raise CheckFailed("ack received_type", expected=P.START_AGENT, observed=received)
    _check_answer(started, [("calculator", {"expression": "2+3"})], [("calculator", "5")])
    messaged = await run_one(client, "What is 2+3?", metrics)
    if started.types != messaged.types:
        raise CheckFailed(
            "event types of start_agent vs user_message with the same text",
            expected=messaged.types,
            observed=started.types,
            frames=started.events,
        )
