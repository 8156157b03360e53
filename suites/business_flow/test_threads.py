"""Threads belong to their user: they survive reconnection and are closed to everyone else.

Wrong behaviours told apart (PROTOCOL.md sections 2 and 4):
- history or ownership kept per connection: a new connection of the same user reads the
  whole thread and continues it, and so does a second connection open at the same time;
- another user reading a thread, or adding to it by user_message or by start_agent (a
  handler that forgets the ownership check): each gets THREAD_ACCESS_DENIED echoing its
  message_id, and the owner's history is unchanged afterwards;
- THREAD_ACCESS_DENIED answered but the run started anyway: no agent event reaches the
  intruder (or the owner) within a quiet window, and nothing is added to the history;
- an unknown thread answered with an empty history, or created by the read, or denied:
  THREAD_NOT_FOUND, and it stays not found;
- events of one user's run delivered to another user (five users at once).
"""

from __future__ import annotations

import asyncio

import pytest

from harness.suite_api import CheckFailed, Connect, needs
from harness.suite_api import protocol as P
from suites.business_flow.conversation import (
    EXACT_ANSWER,
    QUIET_WINDOW_S,
    USER,
    Turn,
    check_answer,
    check_error,
    check_history,
    clock_micros,
    new_message_id,
    new_thread_id,
    say,
    seconds,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# Five users at once, each with its own question and the calculator result it must get.
CONVERSATIONS = (
    ("What is 11+1?", "12"),
    ("What is 3*7?", "21"),
    ("What is 100-1?", "99"),
    ("What is 5/4?", "1.25"),
    ("What is (2+2) * 2?", "8"),
)


@pytest.mark.rules(
    "4.history.survives-reconnection",
    "4.thread.reusable-after-reconnection",
    "3.frame.thread-history.oldest-first",
    EXACT_ANSWER,
)
async def test_history_survives_reconnect(connect: Connect) -> None:
    """A new connection of the same user reads both turns of the thread, then adds a third."""
    first_connection = await connect()
    thread = new_thread_id()
    one = await say(first_connection, "What is 2+3?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(one, ["5"], thread)
    sent = clock_micros()
    two = await say(first_connection, "And 10/4?", thread_id=thread, timestamp=seconds(sent))
    check_answer(two, ["2.5"], thread)
    await first_connection.close()
    second_connection = await connect(first_connection.user)
    before = [(USER, "What is 2+3?", 1757350201447585), one.reply(), (USER, "And 10/4?", sent)]
    await check_history(second_connection, thread, [*before, two.reply()])
    later = clock_micros()
    three = await say(second_connection, "What is 9-8?", thread_id=thread, timestamp=seconds(later))
    check_answer(three, ["1"], thread)
    await check_history(
        second_connection,
        thread,
        [*before, two.reply(), (USER, "What is 9-8?", later), three.reply()],
    )


@pytest.mark.rules(
    "4.thread.shared-by-user-connections", "4.delivery.not-other-connections", EXACT_ANSWER
)
async def test_thread_shared_by_connections_of_one_user(connect: Connect) -> None:
    """Two open connections of one user continue the same thread and read the same history."""
    first = await connect()
    second = await connect(first.user)
    thread = new_thread_id()
    one = await say(first, "What is 6+6?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(one, ["12"], thread)
    sent = clock_micros()
    two = await say(second, "And 12/8?", thread_id=thread, timestamp=seconds(sent))
    check_answer(two, ["1.5"], thread)
    expected = [
        (USER, "What is 6+6?", 1757350201447585),
        one.reply(),
        (USER, "And 12/8?", sent),
        two.reply(),
    ]
    await check_history(second, thread, expected)
    await check_history(first, thread, expected)
    stray = [f.get("type") for f in await first.quiet(0.0) if f.get("type") in P.AGENT_EVENTS]
    if stray:
        raise CheckFailed(
            "events on the first connection of a run the second one started",
            expected=[],
            observed=stray,
        )


@pytest.mark.parametrize(
    ("request_type", "payload_key"),
    [
        pytest.param(
            P.GET_THREAD_HISTORY,
            None,
            id="get_thread_history",
            marks=pytest.mark.rules("2.type.get-thread-history-access-denied"),
        ),
        pytest.param(
            P.USER_MESSAGE,
            "content",
            id="user_message",
            marks=pytest.mark.rules("2.thread.other-user-denied"),
        ),
        pytest.param(
            P.START_AGENT,
            "user_request",
            id="start_agent",
            marks=pytest.mark.rules("2.thread.other-user-denied"),
        ),
    ],
)
@pytest.mark.rules("4.thread.belongs-to-creator", EXACT_ANSWER)
async def test_another_users_thread_is_denied(
    connect: Connect, request_type: str, payload_key: str | None
) -> None:
    """Another user gets THREAD_ACCESS_DENIED, starts no run, and the owner's history is intact."""
    owner = await connect()
    intruder = await connect()
    thread = new_thread_id()
    turn = await say(owner, "What is 2+3?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(turn, ["5"], thread)
    payload = {"thread_id": thread}
    if payload_key is not None:
        payload[payload_key] = "What is 6*7?"
    message_id = new_message_id()
    reply = await intruder.request(request_type, payload, message_id=message_id)
    check_error(
        reply, P.THREAD_ACCESS_DENIED, message_id, f"{request_type} on another user's thread"
    )
    seen = {
        "intruder": await intruder.quiet(QUIET_WINDOW_S),
        "owner": await owner.quiet(0.0),
    }
    events = {
        who: [(f.get("type"), f.get("user_id")) for f in frames if f.get("type") in P.AGENT_EVENTS]
        for who, frames in seen.items()
    }
    if any(events.values()):
        raise CheckFailed(
            "agent events on the intruder's connection, or on the owner's after its run ended",
            expected="none (the denied request starts no run; events reach only their owner)",
            observed=events,
            frames=[f for frames in seen.values() for f in frames],
        )
    await check_history(owner, thread, [(USER, "What is 2+3?", 1757350201447585), turn.reply()])


@pytest.mark.rules("2.type.get-thread-history-not-found")
async def test_unknown_thread_is_not_found(connect: Connect) -> None:
    """get_thread_history of a thread that never existed is THREAD_NOT_FOUND, and stays so."""
    client = await connect()
    thread = new_thread_id()
    for attempt in ("first", "second"):
        message_id = new_message_id()
        reply = await client.request(
            P.GET_THREAD_HISTORY, {"thread_id": thread}, message_id=message_id
        )
        check_error(
            reply,
            P.THREAD_NOT_FOUND,
            message_id,
            f"{attempt} get_thread_history of a thread never created",
        )


@pytest.mark.rules("4.delivery.not-other-users", "4.event.user-id", EXACT_ANSWER)
async def test_five_users_converse_at_once(connect: Connect) -> None:
    """Five users talk at the same time; each gets only its own run and its own exact answer."""
    clients = await asyncio.gather(*(connect() for _ in CONVERSATIONS))
    threads = [new_thread_id() for _ in CONVERSATIONS]
    turns: list[Turn] = await asyncio.gather(
        *(
            say(client, content, thread_id=thread)
            for client, thread, (content, _) in zip(clients, threads, CONVERSATIONS, strict=True)
        )
    )
    leftovers = await asyncio.gather(*(client.quiet(QUIET_WINDOW_S) for client in clients))
    problems = []
    for n, (client, turn, rest) in enumerate(zip(clients, turns, leftovers, strict=True)):
        assert client.user is not None
        result = CONVERSATIONS[n][1]
        try:
            check_answer(turn, [result], threads[n])
        except CheckFailed as exc:
            problems.append(f"user {n}: {exc}")
        strangers = sorted({str(e.get("user_id")) for e in turn.events} - {client.user.id})
        extra = [(f.get("type"), f.get("user_id")) for f in rest]
        if strangers:
            problems.append(f"user {n}: its run's events carry user ids {strangers}")
        if extra:
            problems.append(f"user {n}: {len(extra)} frames after its run, e.g. {extra[:5]}")
    if problems:
        raise CheckFailed(
            f"{len(CONVERSATIONS)} users conversing at once",
            expected="each user's own run only, with its exact answer",
            observed=problems,
        )
