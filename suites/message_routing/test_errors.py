"""Malformed, unknown and invalid frames get the right error and leave the connection usable."""

from __future__ import annotations

from typing import Any

import pytest

from harness.wire import protocol as P
from suites.message_routing.replies import expect_error, expect_usable

pytestmark = pytest.mark.asyncio


async def test_unknown_type(connect: Any) -> None:
    """An unknown type gets UNKNOWN_TYPE naming the type; the connection stays usable."""
    client = await connect()
    await client.send({"type": "frobnicate", "message_id": "u-1", "payload": {}})
    frame = await expect_error(client, P.UNKNOWN_TYPE, "u-1")
    assert "frobnicate" in frame["message"], (
        f"UNKNOWN_TYPE message: expected it to name 'frobnicate', observed {frame['message']!r}"
    )
    await expect_usable(client)


@pytest.mark.parametrize(
    "raw",
    [
        "hello, server",
        '{"type": "ping", "message_id": "f-1"',
        "",
        "NaN",
        "-Infinity",
        '{"type": "ping", "message_id": "f-2", "timestamp": NaN}',
        '{"type": "ping"} {"type": "ping"}',
    ],
    ids=[
        "plain-text",
        "truncated-object",
        "empty-frame",
        "bare-NaN",
        "bare-minus-Infinity",
        "NaN-inside-object",
        "two-objects",
    ],
)
async def test_not_json(connect: Any, raw: str) -> None:
    """A text frame that is not RFC 8259 JSON gets FORMAT_ERROR with a null message_id."""
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, P.FORMAT_ERROR, None)
    await expect_usable(client)


@pytest.mark.parametrize(
    ("raw", "message_id"),
    [
        ('[{"type": "ping", "message_id": "im-0"}]', None),
        ('"ping"', None),
        ("42", None),
        ("null", None),
        ('{"message_id": "im-1", "payload": {}}', "im-1"),
        ('{"type": "", "message_id": "im-2"}', "im-2"),
        ('{"type": 7, "message_id": "im-3"}', "im-3"),
        ('{"type": null, "message_id": "im-4"}', "im-4"),
        ('{"type": "ping", "message_id": "im-5", "payload": null}', "im-5"),
        ('{"type": "ping", "message_id": "im-6", "payload": []}', "im-6"),
        ('{"type": "ping", "message_id": "im-7", "payload": "hi"}', "im-7"),
        ('{"type": "ping", "message_id": 17}', None),
        ('{"type": "ping", "message_id": null}', None),
        ('{"type": "ping", "message_id": ""}', None),
        ('{"type": "ping", "message_id": "' + "m" * 129 + '"}', None),
    ],
    ids=[
        "array",
        "string",
        "number",
        "null",
        "no-type",
        "empty-type",
        "type-number",
        "type-null",
        "payload-null",
        "payload-array",
        "payload-string",
        "message_id-number",
        "message_id-null",
        "message_id-empty",
        "message_id-129-chars",
    ],
)
async def test_invalid_envelope(connect: Any, raw: str, message_id: str | None) -> None:
    """A JSON frame with a bad envelope gets INVALID_MESSAGE (message_id null when unreadable)."""
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, P.INVALID_MESSAGE, message_id)
    await expect_usable(client)


@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        (P.USER_MESSAGE, {}),
        (P.USER_MESSAGE, {"content": ""}),
        (P.USER_MESSAGE, {"content": " \t\n "}),
        (P.USER_MESSAGE, {"content": "a" * 8001}),
        (P.USER_MESSAGE, {"content": 42}),
        (P.USER_MESSAGE, {"content": "hello", "thread_id": None}),
        (P.USER_MESSAGE, {"content": "hello", "thread_id": ""}),
        (P.START_AGENT, {"content": "hello"}),
        (P.START_AGENT, {"user_request": "   "}),
        (P.GET_THREAD_HISTORY, {}),
    ],
    ids=[
        "content-missing",
        "content-empty",
        "content-whitespace",
        "content-8001-chars",
        "content-number",
        "thread_id-null",
        "thread_id-empty",
        "start_agent-no-user_request",
        "start_agent-whitespace-user_request",
        "history-no-thread_id",
    ],
)
async def test_invalid_payload(connect: Any, frame_type: str, payload: dict[str, Any]) -> None:
    """A handled type with bad payload fields gets INVALID_PAYLOAD and starts no run."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "ip-1", "payload": payload})
    await expect_error(client, P.INVALID_PAYLOAD, "ip-1")
    await expect_usable(client)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (
            {"type": "frobnicate", "message_id": "o-1", "timestamp": True, "payload": {}},
            P.INVALID_TIMESTAMP,
        ),
        (
            {"type": "frobnicate", "message_id": "o-2", "payload": {"content": ""}},
            P.UNKNOWN_TYPE,
        ),
        (
            {"type": "ping", "message_id": "o-3", "timestamp": "not a time", "payload": None},
            P.INVALID_MESSAGE,
        ),
        (
            {"type": P.USER_MESSAGE, "message_id": "o-4", "timestamp": -1, "payload": {}},
            P.INVALID_TIMESTAMP,
        ),
    ],
    ids=[
        "bad-timestamp-before-unknown-type",
        "unknown-type-before-bad-payload",
        "bad-envelope-before-bad-timestamp",
        "bad-timestamp-before-bad-payload",
    ],
)
async def test_validation_order(connect: Any, frame: dict[str, Any], code: str) -> None:
    """When a frame breaks several rules, the first check of PROTOCOL.md section 2 decides."""
    client = await connect()
    await client.send(frame)
    await expect_error(client, code, frame["message_id"])
    await expect_usable(client)
