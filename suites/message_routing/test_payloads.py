"""Bad payload fields of the handled types, and the bounds that are still accepted.

PROTOCOL.md section 2. Wrong servers these tests tell apart from a correct one:
- a bad payload that still starts a run (an agent event in the quiet window), or is
  answered as another error (INVALID_MESSAGE, a generic error), or without its message_id;
- content length counted in bytes (8,000 two-byte characters refused, 8,001 of them
  accepted) or off by one (8,001 accepted, 8,000 refused);
- whitespace other than spaces (tabs, newlines) taken as content;
- content or user_request of another type (number, null, array, object) coerced to text;
- a null or empty thread_id read as absent (a new thread), start_agent's thread_id or
  get_thread_history's thread_id left unchecked.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.suite_api import Connect, needs
from harness.suite_api import protocol as P
from suites.message_routing.replies import (
    ERROR_FRAME,
    NO_RUN_QUIET,
    case,
    error_summary,
    expect_error,
    expect_usable,
    is_run_request,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# 8,001 two-byte characters and the frame around them: a target must accept frames this
# large for the character-versus-byte cases to say anything.
TWO_BYTE_FRAME_BYTES = 16_200


_THREAD_ID_RULES = ("2.payload.thread-id-not-string",)
_START_THREAD_RULES = ("2.payload.start-agent-thread-id",)


@pytest.mark.rules(
    "2.reply.error-repeats-readable-message-id", "2.reply.carries-message-id", *ERROR_FRAME
)
@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        case(P.USER_MESSAGE, {}, id="content-missing", rules=("2.payload.content-missing",)),
        case(
            P.USER_MESSAGE, {"content": ""}, id="content-empty", rules=("2.payload.content-empty",)
        ),
        case(
            P.USER_MESSAGE,
            {"content": " \t\n\r "},
            id="content-whitespace",
            rules=("2.payload.content-whitespace-only",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": 42},
            id="content-number",
            rules=("2.payload.content-not-string",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": None},
            id="content-null",
            rules=("2.payload.content-not-string",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": ["hi"]},
            id="content-array",
            rules=("2.payload.content-not-string",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": {"text": "hi"}},
            id="content-object",
            rules=("2.payload.content-not-string",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "a" * 8001},
            id="content-8001-chars",
            rules=("2.payload.content-too-long",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "é" * 8001},
            id="content-8001-two-byte-chars",
            rules=("2.payload.content-too-long",),
            needs_bytes=TWO_BYTE_FRAME_BYTES,
        ),
        case(
            P.USER_MESSAGE,
            {"content": "hello", "thread_id": None},
            id="thread_id-null",
            rules=("2.payload.thread-id-null",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "hello", "thread_id": ""},
            id="thread_id-empty",
            rules=("2.payload.thread-id-empty",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "hello", "thread_id": 7},
            id="thread_id-number",
            rules=_THREAD_ID_RULES,
        ),
        case(
            P.USER_MESSAGE,
            {"content": "hello", "thread_id": {"id": "t"}},
            id="thread_id-object",
            rules=_THREAD_ID_RULES,
        ),
        case(
            P.START_AGENT,
            {"content": "hello"},
            id="user_request-missing",
            rules=("2.payload.user-request-missing",),
        ),
        case(
            P.START_AGENT,
            {"user_request": ""},
            id="user_request-empty",
            rules=("2.payload.user-request-empty",),
        ),
        case(
            P.START_AGENT,
            {"user_request": "  \t "},
            id="user_request-whitespace",
            rules=("2.payload.user-request-empty",),
        ),
        case(
            P.START_AGENT,
            {"user_request": 3},
            id="user_request-number",
            rules=("2.payload.user-request-not-string",),
        ),
        case(
            P.START_AGENT,
            {"user_request": None},
            id="user_request-null",
            rules=("2.payload.user-request-not-string",),
        ),
        case(
            P.START_AGENT,
            {"user_request": "b" * 8001},
            id="user_request-8001-chars",
            rules=("2.payload.user-request-too-long",),
        ),
        case(
            P.START_AGENT,
            {"user_request": "hello", "thread_id": None},
            id="start_agent-thread_id-null",
            rules=_START_THREAD_RULES,
        ),
        case(
            P.START_AGENT,
            {"user_request": "hello", "thread_id": ""},
            id="start_agent-thread_id-empty",
            rules=_START_THREAD_RULES,
        ),
        case(
            P.START_AGENT,
            {"user_request": "hello", "thread_id": 7},
            id="start_agent-thread_id-number",
            rules=_START_THREAD_RULES,
        ),
        case(
            P.GET_THREAD_HISTORY,
            {},
            id="history-no-thread_id",
            rules=("2.payload.history-thread-id-missing",),
        ),
        case(
            P.GET_THREAD_HISTORY,
            {"thread_id": ""},
            id="history-thread_id-empty",
            rules=("2.payload.history-thread-id-invalid",),
        ),
        case(
            P.GET_THREAD_HISTORY,
            {"thread_id": None},
            id="history-thread_id-null",
            rules=("2.payload.history-thread-id-invalid",),
        ),
        case(
            P.GET_THREAD_HISTORY,
            {"thread_id": 12},
            id="history-thread_id-number",
            rules=("2.payload.history-thread-id-invalid",),
        ),
    ],
)
async def test_invalid_payload(connect: Connect, frame_type: str, payload: dict[str, Any]) -> None:
    """A handled type with bad payload fields gets INVALID_PAYLOAD and starts no run."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "ip-1", "payload": payload})
    await expect_error(client, P.INVALID_PAYLOAD, "ip-1")
    await expect_usable(client, quiet=NO_RUN_QUIET if is_run_request(frame_type) else 0.0)


@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        case(
            P.USER_MESSAGE,
            {"content": "a"},
            id="content-1-char",
            rules=("2.payload.content-bounds-accepted",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "  a\t"},
            id="content-1-char-padded",
            rules=("2.payload.content-bounds-accepted",),
        ),
        case(
            P.USER_MESSAGE,
            {"content": "é" * 8000},
            id="content-8000-two-byte-chars",
            rules=("2.payload.content-bounds-accepted",),
            needs_bytes=TWO_BYTE_FRAME_BYTES,
        ),
        case(
            P.START_AGENT,
            {"user_request": "b" * 8000},
            id="user_request-8000-chars",
            rules=("2.payload.user-request-too-long", "2.type.start-agent"),
        ),
    ],
)
async def test_content_bounds_accepted(
    connect: Connect, frame_type: str, payload: dict[str, Any]
) -> None:
    """Content of 1 non-blank character or exactly 8,000 characters is acked and run."""
    client = await connect()
    reply = await client.request(frame_type, payload, message_id="cb-1")
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.ACK, "cb-1"), (
        f"reply to {frame_type}: expected ('ack', 'cb-1'), observed {error_summary(reply)}"
    )
    events = await client.collect_run(reply.get("run_id"))
    assert events[-1].get("type") == P.AGENT_COMPLETED, (
        f"end of the run: expected {P.AGENT_COMPLETED}, observed {events[-1].get('type')}"
    )
