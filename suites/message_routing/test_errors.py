"""Malformed, unknown and invalid frames get the right error and leave the connection usable.

PROTOCOL.md sections 2, 3 and 6. Wrong servers these tests tell apart from a correct one:
- a lenient JSON parser: NaN, Infinity or -Infinity taken as numbers (INVALID_TIMESTAMP or a
  pong instead of FORMAT_ERROR), two concatenated objects read as the first one;
- a bad envelope answered as another error (UNKNOWN_TYPE for a missing type, INVALID_PAYLOAD
  for a null payload), a null message_id taken as absent (a generated id, a pong), a
  message_id checked in bytes (128 two-byte characters refused) or not at all (129 echoed);
- an error reply that drops a readable message_id (null for a type, payload or timestamp
  error), or echoes an unreadable one (the 129-character or numeric id);
- a bad payload that still starts a run (an agent event in the quiet window), content length
  counted in bytes (8,000 two-byte characters refused) or off by one (8,001 accepted),
  whitespace other than spaces taken as content, start_agent's thread_id left unchecked;
- an unknown type answered with a pong (types compared case-insensitively or trimmed), with a
  message that does not name it, or echoing it raw (markup or escape codes in the message);
- an error without error_code, message or message_id, or a second reply to one frame.
Every error frame of these tests is checked for error_code, message_id (present, possibly
null) and a plain-text message (replies.expect_error).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.wire import protocol as P
from suites.message_routing.replies import (
    NO_RUN_QUIET,
    error_summary,
    expect_error,
    expect_usable,
    is_run_request,
)

pytestmark = pytest.mark.asyncio

ERROR_FRAME = ("3.frame.error.error-code", "3.frame.error.message-id", "6.close.never-1011")
NAN = ("6.error.format-nan-literal", "2.order.json-before-envelope")
INFINITY = ("6.error.format-infinity-literal", "2.order.json-before-envelope")


def case(value: Any, *rest: Any, id: str, rules: tuple[str, ...] = ()) -> Any:
    """Return one parameter set with its id and the rules it verifies."""
    return pytest.param(value, *rest, id=id, marks=pytest.mark.rules(*rules))


@pytest.mark.rules(
    "6.error.format-error",
    "6.error.format-error-message-id-null",
    "6.error.format-error-connection-open",
    "2.reply.unreadable-message-id-null",
    *ERROR_FRAME,
)
@pytest.mark.parametrize(
    "raw",
    [
        case("hello, server", id="plain-text"),
        case('{"type": "ping", "message_id": "f-1"', id="truncated-object"),
        case("", id="empty-frame"),
        case("{'type': 'ping', 'message_id': 'f-2'}", id="single-quotes"),
        case('{"type": "ping", "message_id": "f-3",}', id="trailing-comma"),
        case('{"type": "ping"} {"type": "ping"}', id="two-objects"),
        case("NaN", id="bare-NaN", rules=NAN),
        case('{"type": "ping", "message_id": "f-4", "timestamp": NaN}', id="NaN-inside", rules=NAN),
        case('{"message_id": "f-5", "timestamp": NaN}', id="NaN-and-no-type", rules=NAN),
        case("-Infinity", id="bare-minus-Infinity", rules=INFINITY),
        case(
            '{"type": "ping", "message_id": "f-6", "timestamp": Infinity}',
            id="Infinity-inside",
            rules=INFINITY,
        ),
        case(
            '{"type": "ping", "message_id": "f-7", "payload": {"x": -Infinity}}',
            id="minus-Infinity-in-payload",
            rules=INFINITY,
        ),
    ],
)
async def test_not_json(connect: Any, raw: str) -> None:
    """A text frame that is not RFC 8259 JSON gets FORMAT_ERROR with a null message_id."""
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, P.FORMAT_ERROR, None)
    await expect_usable(client)


@pytest.mark.rules("6.close.never-1011", *ERROR_FRAME)
@pytest.mark.parametrize(
    ("raw", "message_id"),
    [
        case(
            '[{"type": "ping", "message_id": "im-0"}]',
            None,
            id="array",
            rules=("2.envelope.not-object",),
        ),
        case('"ping"', None, id="string", rules=("2.envelope.not-object",)),
        case("42", None, id="number", rules=("2.envelope.not-object",)),
        case("null", None, id="null", rules=("2.envelope.not-object",)),
        case(
            '{"message_id": "im-1", "payload": {}}',
            "im-1",
            id="no-type",
            rules=("2.envelope.type-missing", "2.reply.error-repeats-readable-message-id"),
        ),
        case(
            '{"type": "", "message_id": "im-2"}',
            "im-2",
            id="empty-type",
            rules=("2.envelope.type-empty", "2.reply.error-repeats-readable-message-id"),
        ),
        case(
            '{"type": 7, "message_id": "im-3"}',
            "im-3",
            id="type-number",
            rules=("2.envelope.type-not-string",),
        ),
        case(
            '{"type": null, "message_id": "im-4"}',
            "im-4",
            id="type-null",
            rules=("2.envelope.type-not-string",),
        ),
        case(
            '{"type": {"name": "ping"}, "message_id": "im-5"}',
            "im-5",
            id="type-object",
            rules=("2.envelope.type-not-string",),
        ),
        case(
            '{"type": ["ping"], "message_id": "im-6"}',
            "im-6",
            id="type-array",
            rules=("2.envelope.type-not-string",),
        ),
        case(
            '{"type": "ping", "message_id": "im-7", "payload": null}',
            "im-7",
            id="payload-null",
            rules=("2.envelope.payload-null", "2.reply.error-repeats-readable-message-id"),
        ),
        case(
            '{"type": "ping", "message_id": "im-8", "payload": []}',
            "im-8",
            id="payload-array",
            rules=("2.envelope.payload-not-object",),
        ),
        case(
            '{"type": "ping", "message_id": "im-9", "payload": "hi"}',
            "im-9",
            id="payload-string",
            rules=("2.envelope.payload-not-object",),
        ),
        case(
            '{"type": "ping", "message_id": "im-10", "payload": 0}',
            "im-10",
            id="payload-number",
            rules=("2.envelope.payload-not-object",),
        ),
        case(
            '{"type": "ping", "message_id": "im-11", "payload": false}',
            "im-11",
            id="payload-false",
            rules=("2.envelope.payload-not-object",),
        ),
        case(
            '{"type": "ping", "message_id": 17}',
            None,
            id="message_id-number",
            rules=("2.envelope.message-id-not-string",),
        ),
        case(
            '{"type": "ping", "message_id": true}',
            None,
            id="message_id-true",
            rules=("2.envelope.message-id-not-string",),
        ),
        case(
            '{"type": "ping", "message_id": {"id": "x"}}',
            None,
            id="message_id-object",
            rules=("2.envelope.message-id-not-string",),
        ),
        case(
            '{"type": "ping", "message_id": null}',
            None,
            id="message_id-null",
            rules=("2.envelope.message-id-null",),
        ),
        case(
            '{"type": "ping", "message_id": ""}',
            None,
            id="message_id-empty",
            rules=("2.envelope.message-id-empty",),
        ),
        case(
            '{"type": "ping", "message_id": "' + "m" * 129 + '"}',
            None,
            id="message_id-129-chars",
            rules=("2.envelope.message-id-too-long",),
        ),
        case(
            '{"type": "ping", "message_id": "' + "é" * 129 + '"}',
            None,
            id="message_id-129-two-byte-chars",
            rules=("2.envelope.message-id-too-long",),
        ),
    ],
)
async def test_invalid_envelope(connect: Any, raw: str, message_id: str | None) -> None:
    """A JSON frame with a bad envelope gets INVALID_MESSAGE (message_id null when unreadable)."""
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, P.INVALID_MESSAGE, message_id)
    await expect_usable(client)


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
async def test_invalid_payload(connect: Any, frame_type: str, payload: dict[str, Any]) -> None:
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
    connect: Any, frame_type: str, payload: dict[str, Any]
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


@pytest.mark.rules(
    "6.error.unknown-type",
    "6.error.unknown-type-names-type",
    "2.reply.error-repeats-readable-message-id",
    *ERROR_FRAME,
)
@pytest.mark.parametrize(
    "frame_type",
    ["frobnicate", "PING", "ping ", "user-message", "get_thread"],
    ids=["frobnicate", "PING", "ping-trailing-space", "user-message", "get_thread"],
)
async def test_unknown_type(connect: Any, frame_type: str) -> None:
    """An unknown type gets UNKNOWN_TYPE naming the type; the connection stays usable."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "u-1", "payload": {"content": "hi"}})
    frame = await expect_error(client, P.UNKNOWN_TYPE, "u-1")
    assert frame_type in frame["message"], (
        f"UNKNOWN_TYPE message: expected it to name {frame_type!r}, observed {frame['message']!r}"
    )
    await expect_usable(client)


@pytest.mark.rules("3.frame.error.message-plain-text", "6.error.unknown-type", *ERROR_FRAME)
@pytest.mark.parametrize(
    "frame_type",
    [
        "<b>frobnicate</b>",
        "<script>alert(1)</script>",
        "\x1b[31mred\x1b[0m",
        "line\nbreak",
    ],
    ids=["html-tag", "script-tag", "ansi-escape", "newline"],
)
async def test_error_message_is_plain_text(connect: Any, frame_type: str) -> None:
    """An UNKNOWN_TYPE message for a type full of markup is still plain text."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "pt-1"})
    # expect_error checks every error message it takes for markup and control characters.
    await expect_error(client, P.UNKNOWN_TYPE, "pt-1")
    await expect_usable(client)
