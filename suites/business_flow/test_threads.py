"""Threads belong to their user: they survive reconnection and are closed to everyone else."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.business_flow.conversation import (
    ASSISTANT,
    USER,
    Connect,
    Turn,
    check_answer,
    check_error,
    check_history,
    clock_timestamp,
    new_thread_id,
    say,
    timestamp_of,
)

pytestmark = pytest.mark.asyncio

# Long enough for the events of a run to reach a connection they must not reach.
QUIET_WINDOW_S = 0.5
# Five users at once, each with its own question and the calculator result it must get.
CONVERSATIONS = (
    ("What is 11+1?", "12"),
    ("What is 3*7?", "21"),
    ("What is 100-1?", "99"),
    ("What is 5/4?", "1.25"),
    ("What is (2+2) * 2?", "8"),
)


async def test_history_survives_reconnect(connect: Connect) -> None:
    """A new connection of the same user reads both turns of the thread, oldest first."""
    first_connection = await connect()
    thread = new_thread_id()
    one = await say(first_connection, "What is 2+3?", thread_id=thread, timestamp=1757350201.447585)
    check_answer(one, ["5"], thread)
    sent = clock_timestamp()
    two = await say(first_connection, "And 10/4?", thread_id=thread, timestamp=sent)
    check_answer(two, ["2.5"], thread)
    await first_connection.close()
    second_connection = await connect(first_connection.user)
    await check_history(
        second_connection,
        thread,
        [
            (USER, "What is 2+3?", 1757350201.447585),
            (ASSISTANT, str(one.answer), timestamp_of(one.completed)),
            (USER, "And 10/4?", sent),
            (ASSISTANT, str(two.answer), timestamp_of(two.completed)),
        ],
    )
    three = await say(second_connection, "What is 9-8?", thread_id=thread)
    check_answer(three, ["1"], thread)


@pytest.mark.parametrize(
    ("request_type", "payload_key"),
    ((P.GET_THREAD_HISTORY, None), (P.USER_MESSAGE, "content")),
    ids=["get_thread_history", "user_message"],
)
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
    message_id = f"m-{uuid.uuid4().hex[:12]}"
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
    await check_history(
        owner,
        thread,
        [
            (USER, "What is 2+3?", 1757350201.447585),
            (ASSISTANT, str(turn.answer), timestamp_of(turn.completed)),
        ],
    )


async def test_unknown_thread_is_not_found(connect: Connect) -> None:
    """get_thread_history of a thread that never existed is THREAD_NOT_FOUND."""
    client = await connect()
    message_id = f"m-{uuid.uuid4().hex[:12]}"
    reply = await client.request(
        P.GET_THREAD_HISTORY, {"thread_id": new_thread_id()}, message_id=message_id
    )
    check_error(reply, P.THREAD_NOT_FOUND, message_id, "get_thread_history of an unknown thread")


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
