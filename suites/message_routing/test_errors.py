"""Malformed, unknown and invalid frames get the right error and leave the connection usable.

PROTOCOL.md sections 2, 3 and 6. Wrong servers these tests tell apart from a correct one:
- a lenient JSON parser: NaN, Infinity or -Infinity taken as numbers (INVALID_TIMESTAMP or a
  pong instead of FORMAT_ERROR), two concatenated objects read as the first one;
- a bad envelope answered as another error (UNKNOWN_TYPE for a missing type, INVALID_PAYLOAD
  for a null payload), a null message_id taken as absent (a generated id, a pong), a
  message_id checked in bytes (128 two-byte characters refused) or not at all (129 echoed);
- an error reply that drops a readable message_id (null for a type, payload or timestamp
  error), or echoes an unreadable one (the 129-character or numeric id);
- an unknown type answered with a pong (types compared case-insensitively or trimmed), with a
  message that does not name it, or echoing it raw (markup or escape codes in the message);
- an error without error_code, message or message_id, or a second reply to one frame.
Every error frame of these tests is checked for error_code, message_id (present, possibly
null) and a plain-text message (replies.expect_error). Bad payloads are in test_payloads.
"""

from __future__ import annotations

import pytest

from harness.suite_api import Connect, needs, premise
from harness.suite_api import protocol as P
from suites.message_routing.replies import ERROR_FRAME, case, expect_error, expect_usable

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

NAN = ("6.error.format-nan-literal", "2.order.json-before-envelope")
INFINITY = ("6.error.format-infinity-literal", "2.order.json-before-envelope")


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
async def test_not_json(connect: Connect, raw: str) -> None:
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
async def test_invalid_envelope(connect: Connect, raw: str, message_id: str | None) -> None:
    """A JSON frame with a bad envelope gets INVALID_MESSAGE (message_id null when unreadable)."""
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, P.INVALID_MESSAGE, message_id)
    await expect_usable(client)


@premise("6.error.unknown-type")
@pytest.mark.rules(
    "6.error.unknown-type-names-type",
    "2.reply.error-repeats-readable-message-id",
    *ERROR_FRAME,
)
@pytest.mark.parametrize(
    "frame_type",
    ["frobnicate", "PING", "ping ", "user-message", "get_thread"],
    ids=["frobnicate", "PING", "ping-trailing-space", "user-message", "get_thread"],
)
async def test_unknown_type(connect: Connect, frame_type: str) -> None:
    """An unknown type gets UNKNOWN_TYPE naming the type; the connection stays usable."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "u-1", "payload": {"content": "hi"}})
    frame = await expect_error(client, P.UNKNOWN_TYPE, "u-1")
    assert frame_type in frame["message"], (
        f"UNKNOWN_TYPE message: expected it to name {frame_type!r}, observed {frame['message']!r}"
    )
    await expect_usable(client)


@premise("6.error.unknown-type")
@pytest.mark.rules("3.frame.error.message-plain-text", *ERROR_FRAME)
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
async def test_error_message_is_plain_text(connect: Connect, frame_type: str) -> None:
    """An UNKNOWN_TYPE message for a type full of markup is still plain text."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "pt-1"})
    # expect_error checks every error message it takes for markup and control characters.
    await expect_error(client, P.UNKNOWN_TYPE, "pt-1")
    await expect_usable(client)
