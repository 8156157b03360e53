"""Every handled type gets its one direct reply carrying the frame's message_id (PROTOCOL.md 2, 3).

Wrong servers these tests tell apart from a correct one:
- a ping whose payload holds fields that other types validate ({"content": ""}) is refused;
- a message_id of 128 characters is refused when it is more than 128 bytes (length in bytes);
- a frame without message_id gets a reply with no, null or empty message_id;
- an agent event comes before the ack, or the ack names another type, thread or no run;
- a second direct reply to one frame (a duplicated error, an ack and an error);
- a user_message without thread_id lands in one default thread of the user (same id twice);
- a thread_id that does not exist is refused, renamed, or not owned by its creator;
- another user's thread is written to (its history grows) while THREAD_ACCESS_DENIED is sent;
- thread_history lists newest first, misses a role, or leaks another user's messages.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from harness.suite_api import CheckFailed, Connect, needs
from harness.suite_api import protocol as P
from suites.message_routing.replies import (
    ERROR_FRAME,
    NO_RUN_QUIET,
    REPLY_WITHIN,
    error_summary,
    expect_error,
    expect_nothing_more,
    fresh_thread_id,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


@pytest.mark.rules("2.type.ping", "3.frame.pong.message-id", "2.reply.carries-message-id")
@pytest.mark.parametrize(
    "payload",
    [{}, {"anything": [1, 2], "n": None}, {"content": "", "thread_id": None}],
    ids=["empty", "any-fields", "fields-other-types-refuse"],
)
async def test_ping_gets_pong(connect: Connect, payload: dict[str, Any]) -> None:
    """A ping gets a pong with the same message_id, whatever its payload object holds."""
    client = await connect()
    reply = await client.request(P.PING, payload, message_id="ping-1")
    assert reply.get("type") == P.PONG, (
        f"reply to ping: expected pong with message_id 'ping-1', observed {error_summary(reply)}"
    )
    if client.checks.applies("3.frame.pong.message-id"):
        assert reply.get("message_id") == "ping-1", (
            f"reply to ping: expected message_id 'ping-1', observed {error_summary(reply)}"
        )


@pytest.mark.rules("2.envelope.payload-absent-is-empty-object", *ERROR_FRAME)
async def test_absent_payload_is_an_empty_object(connect: Connect) -> None:
    """Without payload a ping gets a pong, a user_message INVALID_PAYLOAD (not INVALID_MESSAGE)."""
    client = await connect()
    await client.send({"type": P.PING, "message_id": "np-1"})
    reply = await client.recv(within=REPLY_WITHIN)
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.PONG, "np-1"), (
        f"reply to a ping without payload: expected ('pong', 'np-1'), observed {observed}"
    )
    await client.send({"type": P.USER_MESSAGE, "message_id": "np-2"})
    await expect_error(client, P.INVALID_PAYLOAD, "np-2")
    await expect_nothing_more(client, quiet=NO_RUN_QUIET)


@pytest.mark.rules(
    "2.envelope.message-id-bounds-accepted",
    "2.reply.carries-message-id",
    "3.frame.pong.message-id",
)
@pytest.mark.parametrize(
    "message_id",
    ["a", "m" * 128, "é" * 128, "ü-" * 64],
    ids=["one-char", "128-ascii", "128-two-byte-chars", "128-mixed"],
)
async def test_message_id_bounds_accepted(connect: Connect, message_id: str) -> None:
    """A message_id of 1 or exactly 128 characters (up to 256 bytes) is echoed unchanged."""
    client = await connect()
    reply = await client.request(P.PING, message_id=message_id)
    echoed = client.checks.applies("3.frame.pong.message-id")
    observed = (reply.get("type"), reply.get("message_id") if echoed else message_id)
    assert observed == (P.PONG, message_id), (
        f"reply to a ping with a {len(message_id)}-character message_id: expected pong "
        f"echoing it, observed {error_summary(reply)}"
    )


@pytest.mark.rules("2.envelope.message-id-optional", "2.reply.generated-message-id")
@pytest.mark.parametrize(
    ("frame_type", "payload", "reply_type"),
    [(P.PING, {}, P.PONG), (P.USER_MESSAGE, {"content": "one two three"}, P.ACK)],
    ids=["ping", "user_message"],
)
async def test_server_generates_message_id(
    connect: Connect, frame_type: str, payload: dict[str, Any], reply_type: str
) -> None:
    """A frame without message_id is processed; its reply carries a generated non-empty id."""
    client = await connect()
    await client.send({"type": frame_type, "payload": payload})
    reply = await client.recv(within=REPLY_WITHIN)
    assert reply.get("type") == reply_type, (
        f"reply to {frame_type} without message_id: expected {reply_type}, "
        f"observed {error_summary(reply)}"
    )
    message_id = reply.get("message_id")
    if client.checks.applies("2.reply.generated-message-id"):
        assert isinstance(message_id, str) and message_id, (
            f"generated message_id: expected a non-empty string, observed {message_id!r}"
        )
    if reply_type == P.ACK:
        await client.collect_run(reply.get("run_id"))


@pytest.mark.rules(
    "2.type.user-message",
    "2.type.start-agent",
    "2.reply.before-events",
    "2.reply.carries-message-id",
    "2.thread.unknown-id-created",
    "2.thread.ack-carries-thread-id",
)
@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        (P.USER_MESSAGE, {"content": "How many words are here?"}),
        (P.START_AGENT, {"user_request": "How many words are here?"}),
    ],
    ids=["user_message", "start_agent"],
)
async def test_run_request_gets_ack_first(
    connect: Connect, frame_type: str, payload: dict[str, Any]
) -> None:
    """A run request's first reply is one ack naming it and its new thread, before any event."""
    client = await connect()
    thread_id = fresh_thread_id()
    await client.send(
        {"type": frame_type, "message_id": "run-1", "payload": {**payload, "thread_id": thread_id}}
    )
    first = await client.recv(within=REPLY_WITHIN)
    expected = {
        "type": P.ACK,
        "message_id": "run-1",
        "received_type": frame_type,
        "thread_id": thread_id,
    }
    observed = {key: first.get(key) for key in expected}
    if observed != expected:
        raise CheckFailed(f"first frame after {frame_type}", expected=expected, observed=observed)
    run_id = first.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        raise CheckFailed("ack run_id", expected="a non-empty string", observed=run_id)
    events = await client.collect_run(run_id)
    assert events[-1].get("type") == P.AGENT_COMPLETED, (
        f"end of the run: expected {P.AGENT_COMPLETED}, observed {events[-1].get('type')}"
    )
    await expect_nothing_more(client)


@pytest.mark.rules("2.reply.exactly-one", "2.reply.carries-message-id", "6.error.unknown-type")
async def test_exactly_one_reply_per_frame(connect: Connect) -> None:
    """Each frame of a mixed sequence gets exactly one direct reply, and nothing else comes."""
    client = await connect()
    thread_id = fresh_thread_id()
    ack = await client.request(
        P.USER_MESSAGE, {"content": "What is 2+3?", "thread_id": thread_id}, message_id="x-1"
    )
    await client.collect_run(ack.get("run_id"))
    frames: list[tuple[str | dict[str, Any], str | None, str]] = [
        ({"type": P.PING, "message_id": "x-2"}, "x-2", P.PONG),
        (
            {
                "type": P.GET_THREAD_HISTORY,
                "message_id": "x-3",
                "payload": {"thread_id": thread_id},
            },
            "x-3",
            P.THREAD_HISTORY,
        ),
        ({"type": "frobnicate", "message_id": "x-4"}, "x-4", P.UNKNOWN_TYPE),
        (
            {"type": P.USER_MESSAGE, "message_id": "x-5", "payload": {"content": ""}},
            "x-5",
            P.INVALID_PAYLOAD,
        ),
        ({"type": P.PING, "message_id": "x-6", "timestamp": True}, "x-6", P.INVALID_TIMESTAMP),
        ("not json at all", None, P.FORMAT_ERROR),
        ("[1, 2, 3]", None, P.INVALID_MESSAGE),
        (
            {
                "type": P.GET_THREAD_HISTORY,
                "message_id": "x-7",
                "payload": {"thread_id": fresh_thread_id()},
            },
            "x-7",
            P.THREAD_NOT_FOUND,
        ),
    ]
    # A dialect that answers an unknown type otherwise (an ack) leaves that frame out, and
    # one that correlates replies by order leaves out the echoed ids.
    if not client.checks.applies("6.error.unknown-type"):
        frames = [f for f in frames if f[2] != P.UNKNOWN_TYPE]
    echoed = client.checks.applies("2.reply.carries-message-id")
    for frame, _, _ in frames:
        await (client.send_raw(frame) if isinstance(frame, str) else client.send(frame))
    barrier = await client.request(P.PING, message_id="x-last", within=REPLY_WITHIN)
    assert barrier.get("type") == P.PONG, f"reply to the last ping: {error_summary(barrier)}"
    replies = await client.quiet(NO_RUN_QUIET)
    observed = [
        (r.get("message_id") if echoed else None, r.get("error_code") or r.get("type"))
        for r in replies
    ]
    expected = [(message_id if echoed else None, kind) for _, message_id, kind in frames]
    if sorted(observed, key=repr) != sorted(expected, key=repr):
        raise CheckFailed(
            f"direct replies to {len(frames)} frames sent in a row",
            expected=expected,
            observed=observed,
        )


@pytest.mark.rules("2.thread.absent-creates-new", "2.thread.ack-carries-thread-id")
async def test_absent_thread_id_creates_a_new_thread(connect: Connect) -> None:
    """Two user_messages without thread_id are acked with two different, non-empty thread ids."""
    client = await connect()
    thread_ids = []
    for index in range(2):
        ack = await client.request(P.USER_MESSAGE, {"content": "one two"}, message_id=f"nt-{index}")
        assert ack.get("type") == P.ACK, f"reply: expected ack, observed {error_summary(ack)}"
        await client.collect_run(ack.get("run_id"))
        thread_ids.append(ack.get("thread_id"))
    assert all(isinstance(t, str) and t for t in thread_ids), (
        f"ack thread_id: expected non-empty strings, observed {thread_ids!r}"
    )
    assert thread_ids[0] != thread_ids[1], (
        f"thread ids of two messages without thread_id: expected two new threads, "
        f"observed the same {thread_ids[0]!r} twice"
    )


@pytest.mark.rules("2.thread.own-thread-reused", "2.thread.unknown-id-created")
async def test_own_thread_reused(connect: Connect) -> None:
    """A second message to the sender's thread is acked and run in that thread."""
    client = await connect()
    thread_id = fresh_thread_id()
    for index, content in enumerate(("What is 2+3?", "And 4*5?")):
        ack = await client.request(
            P.USER_MESSAGE, {"content": content, "thread_id": thread_id}, message_id=f"ot-{index}"
        )
        observed = (ack.get("type"), ack.get("thread_id"))
        assert observed == (P.ACK, thread_id), (
            f"reply to message {index + 1} in the sender's thread: expected "
            f"('ack', {thread_id!r}), observed {error_summary(ack) | {'thread_id': observed[1]}}"
        )
        events = await client.collect_run(ack.get("run_id"))
        stray = {e.get("thread_id") for e in events} - {thread_id}
        assert not stray, f"thread_id of the run's events: expected {thread_id!r}, saw {stray}"


@pytest.mark.rules("2.thread.other-user-denied", "2.thread.unknown-id-created", *ERROR_FRAME)
@pytest.mark.parametrize(
    ("frame_type", "field"),
    [(P.USER_MESSAGE, "content"), (P.START_AGENT, "user_request")],
    ids=["user_message", "start_agent"],
)
async def test_other_users_thread_denied(connect: Connect, frame_type: str, field: str) -> None:
    """Naming another user's thread gets THREAD_ACCESS_DENIED, starts no run, writes nothing."""
    owner = await connect()
    thread_id = fresh_thread_id()
    ack = await owner.request(
        P.USER_MESSAGE, {"content": "What is 2+3?", "thread_id": thread_id}, message_id="od-1"
    )
    assert ack.get("type") == P.ACK, f"owner's message: expected ack, observed {ack}"
    await owner.collect_run(ack.get("run_id"))
    intruder = await connect()
    await intruder.send(
        {
            "type": frame_type,
            "message_id": "od-2",
            "payload": {field: "intruder was here", "thread_id": thread_id},
        }
    )
    await expect_error(intruder, P.THREAD_ACCESS_DENIED, "od-2")
    await expect_nothing_more(intruder, quiet=NO_RUN_QUIET)
    history = await owner.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id})
    contents = [m.get("content") for m in history.get("messages") or [] if isinstance(m, dict)]
    assert len(contents) == 2 and "intruder was here" not in contents, (
        f"owner's history after the denied message: expected the 2 messages of the owner, "
        f"observed {contents!r}"
    )


@pytest.mark.rules(
    "2.type.get-thread-history",
    "3.frame.thread-history.message-id",
    "3.frame.thread-history.thread-id",
    "3.frame.thread-history.messages",
    "3.frame.thread-history.role",
    "3.frame.thread-history.oldest-first",
)
async def test_thread_history_reply(connect: Connect) -> None:
    """get_thread_history of the sender's thread lists its four messages, oldest first."""
    client = await connect()
    thread_id = fresh_thread_id()
    for index, content in enumerate(("What is 2+3?", "How many words are here?")):
        ack = await client.request(
            P.USER_MESSAGE, {"content": content, "thread_id": thread_id}, message_id=f"h-{index}"
        )
        assert ack.get("type") == P.ACK, f"reply: expected ack, observed {error_summary(ack)}"
        await client.collect_run(ack.get("run_id"))
    reply = await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}, message_id="h-2")
    expected = {"type": P.THREAD_HISTORY, "message_id": "h-2", "thread_id": thread_id}
    observed = {key: reply.get(key) for key in expected}
    assert observed == expected, f"history reply: expected {expected}, observed {observed}"
    messages = reply.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise CheckFailed(
            "thread_history.messages", expected="a list of objects", observed=messages
        )
    malformed = [m for m in messages if not _well_formed(m)]
    assert not malformed, (
        f"history messages: expected role, string content and finite timestamp, "
        f"observed {malformed}"
    )
    roles = [
        (m.get("role"), m.get("content") if m.get("role") == "user" else "...") for m in messages
    ]
    expected_roles = [
        ("user", "What is 2+3?"),
        ("assistant", "..."),
        ("user", "How many words are here?"),
        ("assistant", "..."),
    ]
    assert roles == expected_roles, (
        f"history, oldest first: expected {expected_roles}, observed {roles}"
    )


def _well_formed(message: dict[str, Any]) -> bool:
    """Return whether a history message has a known role, string content, a finite timestamp."""
    stamp = message.get("timestamp")
    return (
        message.get("role") in ("user", "assistant")
        and isinstance(message.get("content"), str)
        and isinstance(stamp, int | float)
        and not isinstance(stamp, bool)
        and math.isfinite(stamp)
    )


@pytest.mark.rules(
    "2.type.get-thread-history-not-found",
    "2.reply.error-repeats-readable-message-id",
    *ERROR_FRAME,
)
async def test_history_of_unknown_thread(connect: Connect) -> None:
    """get_thread_history of a thread that does not exist gets THREAD_NOT_FOUND."""
    client = await connect()
    await client.send(
        {
            "type": P.GET_THREAD_HISTORY,
            "message_id": "h-404",
            "payload": {"thread_id": fresh_thread_id()},
        }
    )
    await expect_error(client, P.THREAD_NOT_FOUND, "h-404")
    await expect_nothing_more(client)


@pytest.mark.rules("2.type.get-thread-history-access-denied", *ERROR_FRAME)
async def test_history_of_other_users_thread(connect: Connect) -> None:
    """get_thread_history of another user's thread gets THREAD_ACCESS_DENIED and no messages."""
    owner = await connect()
    thread_id = fresh_thread_id()
    ack = await owner.request(
        P.USER_MESSAGE, {"content": "my secret plan", "thread_id": thread_id}, message_id="ad-1"
    )
    assert ack.get("type") == P.ACK, f"owner's message: expected ack, observed {ack}"
    await owner.collect_run(ack.get("run_id"))
    other = await connect()
    await other.send(
        {"type": P.GET_THREAD_HISTORY, "message_id": "ad-2", "payload": {"thread_id": thread_id}}
    )
    frame = await expect_error(other, P.THREAD_ACCESS_DENIED, "ad-2")
    assert "messages" not in frame and "my secret plan" not in str(frame), (
        f"THREAD_ACCESS_DENIED reply: expected no messages of the thread, observed {frame}"
    )
    await expect_nothing_more(other)
