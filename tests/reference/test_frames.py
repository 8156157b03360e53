"""Client frames (PROTOCOL.md sections 2, 3, 6): direct replies, error codes, validation order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Connector

pytestmark = pytest.mark.asyncio


async def test_connection_established_fields(connect: Connector) -> None:
    wire = await connect("alice-established")
    first = wire.established
    assert first is not None
    assert first["user_id"] == "alice-established"
    assert isinstance(first["connection_id"], str) and first["connection_id"]
    assert isinstance(first["server_time"], float)
    assert first["limits"] == {"max_message_bytes": 65536, "max_messages_per_minute": 600}
    assert first["seq"] == 1


async def test_ping_gets_pong_with_message_id_and_null_client_timestamp(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("ping", {}, message_id="p-1")
    assert reply["type"] == "pong"
    assert reply["message_id"] == "p-1"
    assert reply["client_timestamp"] is None
    assert reply["seq"] == 2


async def test_ping_without_payload_or_message_id_gets_a_generated_id(connect: Connector) -> None:
    wire = await connect()
    await wire.send({"type": "ping"})
    reply = await wire.recv()
    assert reply["type"] == "pong"
    assert isinstance(reply["message_id"], str) and reply["message_id"]


async def test_null_timestamp_is_null_client_timestamp(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("ping", {}, timestamp=None)
    assert reply["type"] == "pong" and reply["client_timestamp"] is None


async def test_seq_increases_by_one_and_timestamps_never_decrease(connect: Connector) -> None:
    wire = await connect()
    for _ in range(5):
        await wire.send({"type": "ping", "message_id": "x"})
    await wire.send({"type": "user_message", "payload": {"content": "one two"}})
    frames = [await wire.recv() for _ in range(5)] + await wire.collect_run()
    frames = sorted(frames + wire.buffer, key=lambda f: f["seq"])
    assert [f["seq"] for f in frames] == list(range(2, 2 + len(frames)))
    stamps = [f["timestamp"] for f in frames]
    assert stamps == sorted(stamps)
    assert all(isinstance(s, float) for s in stamps)


async def _error_for(connect: Connector, raw: str) -> dict[str, Any]:
    wire = await connect()
    await wire.send_raw(raw)
    frame = await wire.recv()
    assert frame["type"] == "error", frame
    assert (await wire.request("ping", {}))["type"] == "pong"  # still open
    return frame


@pytest.mark.parametrize(
    "raw",
    ["not json", "{", "NaN", "Infinity", "-Infinity", '{"type": "ping", "timestamp": NaN}', ""],
    ids=["text", "truncated", "nan", "infinity", "minus_infinity", "nan_inside", "empty"],
)
async def test_non_json_is_format_error_with_null_message_id(connect: Connector, raw: str) -> None:
    frame = await _error_for(connect, raw)
    assert frame["error_code"] == "FORMAT_ERROR"
    assert frame["message_id"] is None


@pytest.mark.parametrize(
    ("frame", "message_id"),
    [
        ([1, 2], None),
        ("ping", None),
        ({"message_id": "a"}, "a"),
        ({"type": "", "message_id": "a"}, "a"),
        ({"type": 5, "message_id": "a"}, "a"),
        ({"type": "ping", "message_id": None}, None),
        ({"type": "ping", "message_id": 7}, None),
        ({"type": "ping", "message_id": ""}, None),
        ({"type": "ping", "message_id": "x" * 129}, None),
        ({"type": "ping", "message_id": "a", "payload": None}, "a"),
        ({"type": "ping", "message_id": "a", "payload": [1]}, "a"),
        ({"type": "ping", "message_id": "a", "payload": "p"}, "a"),
    ],
    ids=[
        "array",
        "string",
        "no_type",
        "empty_type",
        "int_type",
        "null_message_id",
        "int_message_id",
        "empty_message_id",
        "message_id_129",
        "null_payload",
        "array_payload",
        "string_payload",
    ],
)
async def test_bad_envelope_is_invalid_message(
    connect: Connector, frame: object, message_id: str | None
) -> None:
    reply = await _error_for(connect, json.dumps(frame))
    assert reply["error_code"] == "INVALID_MESSAGE"
    assert reply["message_id"] == message_id


async def test_message_id_of_128_chars_is_accepted(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("ping", {}, message_id="m" * 128)
    assert reply["type"] == "pong" and reply["message_id"] == "m" * 128


async def test_unknown_type_names_the_type(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("teleport", {})
    assert reply["type"] == "error"
    assert reply["error_code"] == "UNKNOWN_TYPE"
    assert "teleport" in reply["message"]


@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [
        ("user_message", {}),
        ("user_message", {"content": ""}),
        ("user_message", {"content": "   \n\t"}),
        ("user_message", {"content": 5}),
        ("user_message", {"content": "x" * 8001}),
        ("user_message", {"content": "hi", "thread_id": None}),
        ("user_message", {"content": "hi", "thread_id": ""}),
        ("user_message", {"content": "hi", "thread_id": 3}),
        ("start_agent", {"content": "hi"}),
        ("start_agent", {"user_request": ""}),
        ("get_thread_history", {}),
        ("get_thread_history", {"thread_id": ""}),
        ("get_thread_history", {"thread_id": None}),
    ],
    ids=[
        "missing_content",
        "empty_content",
        "whitespace_content",
        "int_content",
        "content_8001",
        "null_thread",
        "empty_thread",
        "int_thread",
        "start_agent_content_not_user_request",
        "empty_user_request",
        "history_no_thread",
        "history_empty_thread",
        "history_null_thread",
    ],
)
async def test_bad_payload_is_invalid_payload(
    connect: Connector, frame_type: str, payload: dict[str, Any]
) -> None:
    wire = await connect()
    reply = await wire.request(frame_type, payload, message_id="bad-1")
    assert reply["type"] == "error"
    assert reply["error_code"] == "INVALID_PAYLOAD"
    assert reply["message_id"] == "bad-1"
    assert await wire.quiet(0.1) == []  # no run started


async def test_content_of_8000_chars_is_accepted(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("user_message", {"content": "x" * 8000})
    assert reply["type"] == "ack"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": 5, "timestamp": True}, "INVALID_MESSAGE"),
        ({"type": "ping", "payload": None, "timestamp": True}, "INVALID_MESSAGE"),
        ({"type": "teleport", "timestamp": True}, "INVALID_TIMESTAMP"),
        ({"type": "user_message", "payload": {}, "timestamp": "bad"}, "INVALID_TIMESTAMP"),
        ({"type": "teleport", "payload": {"content": ""}}, "UNKNOWN_TYPE"),
        ({"type": "get_thread_history", "payload": {"thread_id": ""}}, "INVALID_PAYLOAD"),
        ({"type": "get_thread_history", "payload": {"thread_id": "t-none"}}, "THREAD_NOT_FOUND"),
    ],
    ids=[
        "message_before_timestamp",
        "payload_before_timestamp",
        "timestamp_before_type",
        "timestamp_before_payload",
        "type_before_payload",
        "payload_before_thread",
        "thread_last",
    ],
)
async def test_validation_order_first_failing_check_decides(
    connect: Connector, frame: dict[str, Any], code: str
) -> None:
    reply = await _error_for(connect, json.dumps({"message_id": "o-1", **frame}))
    assert reply["error_code"] == code
