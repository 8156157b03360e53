"""A conversation in one thread: exact answers, the thread kept, the history it leaves."""

from __future__ import annotations

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.client import is_close
from suites.business_flow.conversation import (
    ASSISTANT,
    USER,
    Connect,
    check_answer,
    check_history,
    clock_timestamp,
    data_of,
    new_thread_id,
    say,
    timestamp_of,
)

pytestmark = pytest.mark.asyncio


async def test_multi_turn_conversation_gives_exact_answers(connect: Connect) -> None:
    """Asking "What is 2+3?" answers 5, then "And 10/4?" in the same thread answers 2.5."""
    client = await connect()
    thread = new_thread_id()
    first = await say(client, "What is 2+3?", thread_id=thread)
    check_answer(first, ["5"], thread)
    second = await say(client, "And 10/4?", thread_id=thread)
    check_answer(second, ["2.5"], thread)


async def test_given_thread_id_is_kept(connect: Connect) -> None:
    """The ack and every event of each run carry the thread_id the client gave."""
    client = await connect()
    thread = new_thread_id()
    for content, result in (("What is 1+2?", "3"), ("Count these four words", "4")):
        turn = await say(client, content, thread_id=thread)
        check_answer(turn, [result], thread)


async def test_new_thread_without_thread_id_continues(connect: Connect) -> None:
    """Without thread_id the ack names a new thread, and using that id continues it."""
    client = await connect()
    first = await say(client, "What is 4*4?", timestamp=1757350201.447585)
    thread = first.ack.get("thread_id")
    if not isinstance(thread, str) or not thread:
        raise CheckFailed(
            "ack thread_id of a new thread", expected="a non-empty string", observed=thread
        )
    check_answer(first, ["16"], thread)
    sent = clock_timestamp()
    second = await say(client, "What is 16-1?", thread_id=thread, timestamp=sent)
    check_answer(second, ["15"], thread)
    await check_history(
        client,
        thread,
        [
            (USER, "What is 4*4?", 1757350201.447585),
            (ASSISTANT, str(first.answer), timestamp_of(first.completed)),
            (USER, "What is 16-1?", sent),
            (ASSISTANT, str(second.answer), timestamp_of(second.completed)),
        ],
    )


@pytest.mark.parametrize(
    ("sent", "normalised"),
    (
        (1693567801.447585, 1693567801.447585),
        ("1693567801.447585", 1693567801.447585),
        ("2025-09-08T16:50:01.447585Z", 1757350201.447585),
        ("2025-09-08T16:50:01.447585-05:00", 1757368201.447585),
        ("2025-09-08T16:50:01.447585", 1757350201.447585),
    ),
    ids=["number", "decimal-string", "iso-utc", "iso-offset", "iso-naive-staging"],
)
async def test_history_keeps_client_timestamps(
    connect: Connect, sent: float | str, normalised: float
) -> None:
    """The user message's history timestamp is the normalised client timestamp, exactly."""
    client = await connect()
    thread = new_thread_id()
    turn = await say(client, "What is 3+4?", thread_id=thread, timestamp=sent)
    if not is_close(turn.ack.get("client_timestamp"), normalised):
        raise CheckFailed(
            f"ack client_timestamp for timestamp {sent!r}",
            expected=normalised,
            observed=turn.ack.get("client_timestamp"),
        )
    check_answer(turn, ["7"], thread)
    await check_history(
        client,
        thread,
        [
            (USER, "What is 3+4?", normalised),
            (ASSISTANT, str(turn.answer), timestamp_of(turn.completed)),
        ],
    )


async def test_failed_run_adds_no_assistant_message(connect: Connect) -> None:
    """A run that ends with agent_error leaves only the user's message in the history."""
    client = await connect()
    thread = new_thread_id()
    answered = await say(client, "What is 2+3?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(answered, ["5"], thread)
    sent = clock_timestamp()
    failed = await say(client, "fail: please break", thread_id=thread, timestamp=sent)
    ends = [e.get("type") for e in failed.events[-1:]]
    codes = [data_of(e).get("error_code") for e in failed.events[-1:]]
    if ends != [P.AGENT_ERROR] or codes != [P.AGENT_FAILED]:
        raise CheckFailed(
            "end of a run whose content starts with `fail:`",
            expected=f"{P.AGENT_ERROR} {P.AGENT_FAILED}",
            observed=list(zip(ends, codes, strict=True)),
            frames=failed.events,
        )
    await check_history(
        client,
        thread,
        [
            (USER, "What is 2+3?", 1757350201.447585),
            (ASSISTANT, str(answered.answer), timestamp_of(answered.completed)),
            (USER, "fail: please break", sent),
        ],
    )
