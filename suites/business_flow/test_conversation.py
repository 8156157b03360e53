"""A conversation in one thread: exact answers, the thread kept, the history it leaves.

Wrong behaviours of the history told apart (PROTOCOL.md sections 3 and 4):
- messages newest first, or some missing: several turns are compared in full, in order;
- content stored trimmed, re-spaced or re-encoded: contents with surrounding and inner
  whitespace, a tab, a newline, quotes, a backslash and non-ASCII letters come back as sent;
- a start_agent's request left out of the history: one turn is a start_agent;
- the user message stamped with the server's clock, or rounded instead of truncated:
  client timestamps years in the past, and fractions of 9 digits whose 7th is >= 5, are
  compared to the exact microsecond (1757350201447585, not ...586);
- without a client timestamp: null, 0 or the time the run ended stored in its place: the
  value must lie between connection_established and the ack (server clock);
- the assistant message not final_response, or not at agent_completed's time (exact);
- a failed (`fail:`) run leaving an assistant message (its error text, or an empty one).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.suite_api import (
    ABSENT,
    CheckFailed,
    Connect,
    Evidence,
    decimal_text,
    needs,
    premise,
    to_microseconds,
)
from harness.suite_api import protocol as P
from suites.business_flow.conversation import (
    EXACT_ANSWER,
    USER,
    check_answer,
    check_history,
    clock_micros,
    data_of,
    history_of,
    new_thread_id,
    say,
    seconds,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


@pytest.mark.rules("2.thread.own-thread-reused", "4.agent.calculator.final-response")
async def test_multi_turn_conversation_gives_exact_answers(connect: Connect) -> None:
    """Asking "What is 2+3?" answers 5, then "And 10/4?" in the same thread answers 2.5."""
    client = await connect()
    thread = new_thread_id()
    first = await say(client, "What is 2+3?", thread_id=thread)
    check_answer(first, ["5"], thread)
    second = await say(client, "And 10/4?", thread_id=thread)
    check_answer(second, ["2.5"], thread)


@pytest.mark.rules(
    "2.thread.unknown-id-created",
    "2.thread.own-thread-reused",
    "3.frame.ack.thread-id",
    EXACT_ANSWER,
)
async def test_given_thread_id_is_kept(connect: Connect) -> None:
    """The ack and every event of each run carry the thread_id the client gave."""
    client = await connect()
    thread = new_thread_id()
    for content, result in (("What is 1+2?", "3"), ("Count these four words", "4")):
        turn = await say(client, content, thread_id=thread)
        check_answer(turn, [result], thread)


@pytest.mark.rules(
    "2.thread.absent-creates-new",
    "4.history.user-message",
    "4.history.user-timestamp",
    "4.history.assistant-message",
    "3.frame.thread-history.oldest-first",
    EXACT_ANSWER,
)
async def test_new_thread_without_thread_id_continues(connect: Connect) -> None:
    """Without thread_id the ack names a new thread; continuing it, the history has 4 turns."""
    client = await connect()
    first = await say(client, "What is 4*4?", timestamp=1757350201.447585)
    thread = first.ack.get("thread_id")
    if not isinstance(thread, str) or not thread:
        raise CheckFailed(
            "ack thread_id of a new thread", expected="a non-empty string", observed=thread
        )
    check_answer(first, ["16"], thread)
    sent = clock_micros()
    second = await say(client, "What is 16-1?", thread_id=thread, timestamp=seconds(sent))
    check_answer(second, ["15"], thread)
    await check_history(
        client,
        thread,
        [
            (USER, "What is 4*4?", 1757350201447585),
            first.reply(),
            (USER, "What is 16-1?", sent),
            second.reply(),
        ],
    )


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (1693567801.447585, 1693567801447585),
        ("1693567801.447585", 1693567801447585),
        # Beyond the sixth digit a decimal string's value is its truncated or its rounded
        # microsecond (docs/PROTOCOL.md, section 5): both are correct, nothing else is.
        ("1693567801.447585999", (1693567801447585, 1693567801447586)),
        ("2025-09-08T16:50:01.447585Z", 1757350201447585),
        ("2025-09-08T16:50:01.4475859Z", 1757350201447585),
        ("2025-09-08T16:50:01.447585-05:00", 1757368201447585),
        ("2025-09-08T16:50:01.447585", 1757350201447585),
    ],
    ids=[
        "number",
        "decimal-string",
        "decimal-string-9-digits",
        "iso-utc",
        "iso-utc-7-digits",
        "iso-offset",
        "iso-naive-staging",
    ],
)
@pytest.mark.rules("4.history.user-timestamp", "4.history.assistant-message", EXACT_ANSWER)
async def test_history_keeps_client_timestamps(
    connect: Connect, evidence: Evidence, sent: float | str, expected: int | tuple[int, ...]
) -> None:
    """The user message's history timestamp is the normalised client timestamp, exactly.

    Where the protocol allows more than one normalised value, ``expected`` lists each of
    them and the history may hold any one.
    """
    allowed = expected if isinstance(expected, tuple) else (expected,)
    client = await connect()
    thread = new_thread_id()
    turn = await say(client, "What is 3+4?", thread_id=thread, timestamp=sent)
    check_answer(turn, ["7"], thread)
    history = await history_of(client, thread)
    observed = history[0][2] if history and isinstance(history[0], tuple) else None
    evidence.record(
        "4.history.user-timestamp",
        sent=sent,
        expected=" or ".join(decimal_text(value) for value in allowed),
        observed=decimal_text(observed) if observed is not None else history,
    )
    if not any(history == [(USER, "What is 3+4?", value), turn.reply()] for value in allowed):
        raise CheckFailed(
            f"history of a turn sent with timestamp {sent!r}",
            expected=" or ".join(
                repr([(USER, "What is 3+4?", value), turn.reply()]) for value in allowed
            ),
            observed=history,
        )


@pytest.mark.parametrize("timestamp", [ABSENT, None], ids=["absent", "null"])
@pytest.mark.rules("4.history.user-timestamp-server-time", "4.history.user-message", EXACT_ANSWER)
async def test_history_uses_server_receive_time_without_client_timestamp(
    connect: Connect, timestamp: Any
) -> None:
    """Without a client timestamp the user message is stamped between welcome and ack."""
    client = await connect()
    thread = new_thread_id()
    turn = await say(client, "What is 8-3?", thread_id=thread, timestamp=timestamp)
    check_answer(turn, ["5"], thread)
    history = await history_of(client, thread)
    welcome = to_microseconds((client.established or {}).get("timestamp"))
    acked = to_microseconds(turn.ack.get("timestamp"))
    stamp = history[0][2] if history and isinstance(history[0], tuple) else None
    fits = (
        welcome is not None and acked is not None and stamp is not None
    ) and welcome <= stamp <= acked
    if history != [(USER, "What is 8-3?", stamp), turn.reply()] or not fits:
        raise CheckFailed(
            "history of a turn sent without a client timestamp",
            expected=f"[('user', 'What is 8-3?', a time from {welcome} to {acked} us "
            "(connection_established to ack)), the assistant message]",
            observed=history,
        )


@pytest.mark.rules("4.history.user-message", "4.history.assistant-message", EXACT_ANSWER)
async def test_history_keeps_content_unchanged(connect: Connect) -> None:
    """Contents with odd whitespace, quotes and non-ASCII come back exactly as sent."""
    client = await connect()
    thread = new_thread_id()
    first_sent, second_sent = 1757350201447585, 1757350202000001
    spaced = "  What is 2+3?\t and  then\n"
    unusual = 'Ünïcode "quotes" \\ back\\slash — 6*7 ?  '
    first = await say(client, spaced, thread_id=thread, timestamp=seconds(first_sent))
    check_answer(first, ["5"], thread)
    second = await say(
        client,
        unusual,
        thread_id=thread,
        timestamp=seconds(second_sent),
        request_type=P.START_AGENT,
    )
    check_answer(second, ["42"], thread)
    await check_history(
        client,
        thread,
        [(USER, spaced, first_sent), first.reply(), (USER, unusual, second_sent), second.reply()],
    )


@premise("4.agent.fail.agent-error")  # a run that fails on "fail:"
@pytest.mark.rules("4.history.failed-run-no-assistant", EXACT_ANSWER)
async def test_failed_run_adds_no_assistant_message(connect: Connect) -> None:
    """A run that ends with agent_error leaves only the user's message in the history."""
    client = await connect()
    thread = new_thread_id()
    answered = await say(client, "What is 2+3?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(answered, ["5"], thread)
    sent = clock_micros()
    failed = await say(client, "fail: please break", thread_id=thread, timestamp=seconds(sent))
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
            (USER, "What is 2+3?", 1757350201447585),
            answered.reply(),
            (USER, "fail: please break", sent),
        ],
    )
