"""The scripted agent's tool calls, answers and error path (PROTOCOL.md section 4).

Wrong servers the data tells apart (expected values are PROTOCOL.md's rules worked by hand):
- an expression taken with its surrounding spaces, a leading "-" or a trailing operator
  ("Compute -(8-2)/4 - fast" is the expression "(8-2)/4", 1.5), or with spaces squeezed
  ("(7-1) * 4" kept as written);
- a bare number (2025) taken as an expression: it must be a word_count run;
- evaluation left to right (2+3*4 gives 20, not 14) or right-associative (20-6-4 gives 18,
  not 10);
- an exact result written as a float (6/3 as 2.0) or an inexact one truncated (7/2 as 3),
  a number written as a string, the error strings missing or the run ending in agent_error;
- final_response leaving out a result, or writing it otherwise (2.0 for 2: a number must
  stand whole in the text; the error strings may appear with or without their quotes);
- word counts that split on single spaces or miss tabs (two double spaces, a tab and a
  trailing tab make 7 for split(" "), 5 for split(/ +/), 7 for split(/\\s+/) untrimmed);
- `fail:` matched anywhere in the content or case-insensitively; a failing run that calls
  tools first, sends more thinking, or still sends agent_completed;
- start_agent ignoring user_request; two runs of one content answering differently.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.suite_api import CheckFailed, Connect, Metrics, needs
from harness.suite_api import protocol as P
from suites.agent_events.observation import (
    Request,
    Run,
    agent_events,
    contains_result,
    run_all,
    run_one,
)

# Every test here drives the scripted agent's known answers (PROTOCOL.md section 4).
pytestmark = [pytest.mark.asyncio, needs("scripted_agent")]

AFTER_END_WINDOW_S = 0.3
NEVER_1011 = "6.close.never-1011"


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
    missing = [text for _, text in results if not contains_result(answer, text)]
    if final.get("status") != "completed" or missing:
        raise CheckFailed(
            f"agent_completed for {run.request.content!r}",
            expected=f'status "completed", final_response containing {[t for _, t in results]}',
            observed=final or f"no agent_completed; event types {run.types}",
            frames=run.events,
        )


@pytest.mark.rules(
    "4.agent.expression.each-in-order",
    "4.agent.expression.as-written",
    "4.agent.expression.bounds",
    "4.agent.calculator.value",
    "4.agent.calculator.final-response",
    NEVER_1011,
)
async def test_two_expressions_make_two_calculator_calls(
    connect: Connect, metrics: Metrics
) -> None:
    """The expressions "2+3" and "(7-1) * 4" are two calculator calls answering 5 and 24."""
    run = await run_one(await connect(), "What is 2+3 and (7-1) * 4?", metrics)
    _check_answer(
        run,
        [("calculator", {"expression": "2+3"}), ("calculator", {"expression": "(7-1) * 4"})],
        [("calculator", "5"), ("calculator", "24")],
    )


def _calculation(content: str, expression: str, result: str, case: str, *rules: str) -> Any:
    marks = pytest.mark.rules(*rules, "4.agent.calculator.final-response", NEVER_1011)
    return pytest.param(content, expression, result, id=case, marks=marks)


@pytest.mark.parametrize(
    ("content", "expression", "result"),
    (
        _calculation(
            "What is 2+3?", "2+3", "5", "one-expression", "4.agent.expression.calculator-call"
        ),
        _calculation(
            "What is 7/2?", "7/2", "3.5", "inexact-float", "4.agent.calculator.float-otherwise"
        ),
        _calculation(
            "What is 6/3?", "6/3", "2", "exact-integer", "4.agent.calculator.integer-when-exact"
        ),
        _calculation(
            "What is 1/0?",
            "1/0",
            '"division by zero"',
            "division-by-zero",
            "4.agent.calculator.division-by-zero",
        ),
        _calculation(
            "What is (2+3?",
            "(2+3",
            '"invalid expression"',
            "invalid-expression",
            "4.agent.calculator.invalid-expression",
        ),
        _calculation("What is 2+3*4?", "2+3*4", "14", "precedence", "4.agent.calculator.value"),
        _calculation(
            "What is 20-6-4?", "20-6-4", "10", "left-associative", "4.agent.calculator.value"
        ),
        _calculation(
            "Compute -(8-2)/4 - fast", "(8-2)/4", "1.5", "bounds", "4.agent.expression.bounds"
        ),
        # Only content that starts with "fail:" fails (a case-sensitive prefix).
        _calculation(
            "Please do not fail: 2+3", "2+3", "5", "fail-inside", "4.agent.fail.agent-error"
        ),
        _calculation("FAIL: 2+3", "2+3", "5", "fail-upper-case", "4.agent.fail.agent-error"),
    ),
)
async def test_calculator_result(
    connect: Connect, metrics: Metrics, content: str, expression: str, result: str
) -> None:
    """One expression is one calculator call whose result is written exactly as specified."""
    run = await run_one(await connect(), content, metrics)
    _check_answer(run, [("calculator", {"expression": expression})], [("calculator", result)])


def _counting(content: str, words: str, case: str, *rules: str) -> Any:
    marks = pytest.mark.rules(
        *rules,
        "4.agent.word-count.call",
        "4.agent.word-count.result",
        "4.agent.word-count.final-response",
        NEVER_1011,
    )
    return pytest.param(content, words, id=case, marks=marks)


@pytest.mark.parametrize(
    ("content", "words"),
    (
        _counting("Count the words of this short sentence please", "8", "plain"),
        _counting("Count  the  words of this\ttext\t", "6", "whitespace-runs"),
        _counting(
            "The year 2025 was long", "5", "bare-number", "4.agent.expression.needs-operator"
        ),
    ),
)
async def test_text_without_expression_counts_words(
    connect: Connect, metrics: Metrics, content: str, words: str
) -> None:
    """With no expression the agent makes one word_count call with the exact count."""
    run = await run_one(await connect(), content, metrics)
    _check_answer(run, [("word_count", {"text": content})], [("word_count", words)])


@pytest.mark.parametrize(
    "content",
    (
        pytest.param("fail: the tool chain broke", id="words"),
        # An expression after the prefix must not be calculated: no tool call at all.
        pytest.param("fail: What is 2+3?", id="expression"),
    ),
)
@pytest.mark.rules("4.agent.fail.agent-error", "4.agent.fail.sequence", NEVER_1011)
async def test_fail_content_ends_with_agent_error(
    connect: Connect, metrics: Metrics, content: str
) -> None:
    """`fail:` gives agent_started, one agent_thinking, agent_error AGENT_FAILED, then nothing."""
    client = await connect()
    run = await run_one(client, content, metrics)
    await client.quiet(AFTER_END_WINDOW_S)
    events = agent_events(client.frames)
    types = [e.get("type") for e in events]
    expected = [P.AGENT_STARTED, P.AGENT_THINKING, P.AGENT_ERROR]
    if types != expected:
        raise CheckFailed(
            f"events on the connection of a run whose content is {content!r}",
            expected=expected,
            observed=types,
            frames=events,
        )
    code = run.final.get("error_code")
    if code != P.AGENT_FAILED:
        raise CheckFailed(
            "agent_error data.error_code", expected=P.AGENT_FAILED, observed=code, frames=run.events
        )


@pytest.mark.rules("4.agent.start-agent-content", "3.frame.ack.received-type", NEVER_1011)
async def test_start_agent_runs_like_user_message(connect: Connect, metrics: Metrics) -> None:
    """start_agent with `user_request` starts the same run as user_message with `content`."""
    client = await connect()
    requests = [Request("What is 2+3?", P.START_AGENT), Request("What is 2+3?")]
    started, messaged = (await run_all(client, requests, metrics)).runs
    received = [run.reply.get("received_type") for run in (started, messaged)]
    if received != [P.START_AGENT, P.USER_MESSAGE]:
        raise CheckFailed(
            "ack received_type of start_agent, then of user_message",
            expected=[P.START_AGENT, P.USER_MESSAGE],
            observed=[
                (run.reply.get("type"), run.reply.get("received_type"))
                for run in (started, messaged)
            ],
        )
    _check_answer(started, [("calculator", {"expression": "2+3"})], [("calculator", "5")])
    if started.types != messaged.types:
        raise CheckFailed(
            "event types of start_agent vs user_message with the same text",
            expected=messaged.types,
            observed=started.types,
            frames=started.events,
        )


@pytest.mark.rules("4.run.deterministic", NEVER_1011)
async def test_same_content_gives_the_same_answer(connect: Connect, metrics: Metrics) -> None:
    """Two runs of one content make the same calls with the same results and final_response."""
    client = await connect()
    content = "What is 2+3 and 7/2?"
    first, second = (await run_all(client, [Request(content), Request(content)], metrics)).runs
    answers = [
        (run.calls(), run.results(), run.final.get("final_response")) for run in (first, second)
    ]
    if answers[0] != answers[1] or answers[0][2] is None or not answers[0][0]:
        raise CheckFailed(
            f"two runs of {content!r}: (tool calls, results, final_response)",
            expected="the same, with a final_response",
            observed=answers,
            frames=[*first.events, *second.events],
        )
