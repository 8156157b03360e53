"""Every handled type gets its direct reply carrying the frame's message_id (PROTOCOL.md 2, 3)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, error_summary

pytestmark = pytest.mark.asyncio


def fresh_thread_id() -> str:
    """Return a thread id no other test uses (threads are global on the server)."""
    return f"t-routing-{uuid.uuid4().hex}"


async def test_ping_gets_pong(connect: Any) -> None:
    """A ping gets a pong with the same message_id and a null client_timestamp."""
    client = await connect()
    reply = await client.request(P.PING, {"anything": [1, 2]}, message_id="ping-1")
    expected = {"type": P.PONG, "message_id": "ping-1", "client_timestamp": None}
    observed = {key: reply.get(key) for key in expected}
    assert observed == expected, f"reply to ping: expected {expected}, observed {observed}"


@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        (P.USER_MESSAGE, {"content": "How many words are here?"}),
        (P.START_AGENT, {"user_request": "How many words are here?"}),
    ],
    ids=["user_message", "start_agent"],
)
async def test_run_request_gets_ack_first(
    connect: Any, frame_type: str, payload: dict[str, Any]
) -> None:
    """A run request's first reply is an ack naming it, before any agent event."""
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


async def test_ack_without_thread_id_names_new_thread(connect: Any) -> None:
    """A user_message without thread_id is acked with a new, non-empty thread id."""
    client = await connect()
    reply = await client.request(P.USER_MESSAGE, {"content": "one two"}, message_id="nt-1")
    assert reply.get("type") == P.ACK, f"reply: expected ack, observed {error_summary(reply)}"
    thread_id = reply.get("thread_id")
    assert isinstance(thread_id, str) and thread_id, (
        f"ack thread_id: expected a non-empty string, observed {thread_id!r}"
    )
    await client.collect_run(reply.get("run_id"))


async def test_thread_history_reply(connect: Any) -> None:
    """get_thread_history of the sender's thread gets thread_history with its messages."""
    client = await connect()
    thread_id = fresh_thread_id()
    ack = await client.request(
        P.USER_MESSAGE, {"content": "What is 2+3?", "thread_id": thread_id}, message_id="h-1"
    )
    assert ack.get("type") == P.ACK, f"reply: expected ack, observed {error_summary(ack)}"
    await client.collect_run(ack.get("run_id"))
    reply = await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}, message_id="h-2")
    expected = {"type": P.THREAD_HISTORY, "message_id": "h-2", "thread_id": thread_id}
    observed = {key: reply.get(key) for key in expected}
    assert observed == expected, f"history reply: expected {expected}, observed {observed}"
    messages = reply.get("messages")
    assert isinstance(messages, list) and len(messages) == 2, (
        f"history messages: expected 2 (question, answer), observed {messages!r}"
    )
    roles = [(m.get("role"), m.get("content")) for m in messages]
    assert roles[0] == ("user", "What is 2+3?") and roles[1][0] == "assistant", (
        f"history: expected [('user', 'What is 2+3?'), ('assistant', ...)], observed {roles}"
    )


async def test_history_of_unknown_thread(connect: Any) -> None:
    """get_thread_history of a thread that does not exist gets THREAD_NOT_FOUND."""
    client = await connect()
    reply = await client.request(
        P.GET_THREAD_HISTORY, {"thread_id": fresh_thread_id()}, message_id="h-404"
    )
    expected = {"type": P.ERROR, "error_code": P.THREAD_NOT_FOUND, "message_id": "h-404"}
    observed = {key: reply.get(key) for key in expected}
    assert observed == expected, f"reply: expected {expected}, observed {observed}"


async def test_server_generates_message_id(connect: Any) -> None:
    """A frame without message_id gets a reply carrying a server-generated non-empty id."""
    client = await connect()
    await client.send({"type": P.PING})
    reply = await client.recv(within=REPLY_WITHIN)
    assert reply.get("type") == P.PONG, f"reply: expected pong, observed {error_summary(reply)}"
    message_id = reply.get("message_id")
    assert isinstance(message_id, str) and message_id, (
        f"generated message_id: expected a non-empty string, observed {message_id!r}"
    )


async def test_longest_message_id_echoed(connect: Any) -> None:
    """A message_id of exactly 128 characters is accepted and echoed unchanged."""
    client = await connect()
    message_id = "m" * 128
    reply = await client.request(P.PING, message_id=message_id)
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.PONG, message_id), (
        f"reply to a 128-char message_id: expected ('pong', 'mmm...'), "
        f"observed {error_summary(reply)}"
    )


async def test_longest_content_accepted(connect: Any) -> None:
    """A user_message whose content is exactly 8,000 characters is acked."""
    client = await connect()
    reply = await client.request(P.USER_MESSAGE, {"content": "a" * 8000}, message_id="long-1")
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.ACK, "long-1"), (
        f"reply to 8,000-char content: expected ('ack', 'long-1'), observed {error_summary(reply)}"
    )
    await client.collect_run(reply.get("run_id"))
