"""The codec: netra-2025-09 and a renamed dialect decode to canonical frames; bad frames refused."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.wire.codec import Codec
from harness.wire.profile import load_profile
from harness.wire.wire_values import DecodeError, parse_iso


@pytest.fixture(scope="module")
def netra() -> Codec:
    return Codec(load_profile("netra-2025-09"))


def test_the_canonical_profile_is_the_identity() -> None:
    codec = Codec(load_profile("chat-agent/1"))
    assert codec.identity
    frame = {"type": "ack", "message_id": "m-1", "run_id": "r", "extra": 1, "seq": 2}
    assert codec.decode(frame) == frame
    assert codec.encode({"type": "ping", "payload": {}}) == {"type": "ping", "payload": {}}


def test_netra_welcome_decodes_with_iso_server_time(netra: Codec) -> None:
    wire = {
        "type": "system_message",
        "data": {
            "event": "connection_established",
            "connection_id": "c-1",
            "user_id": "u-1",
            "server_time": "2025-09-08T16:50:01.447585+00:00",
            "connection_ready": True,
            "config": {"max_message_size": 8192},
        },
        "timestamp": 1757350201.5,
    }
    assert netra.decode(wire) == {
        "type": "connection_established",
        "timestamp": 1757350201.5,
        "user_id": "u-1",
        "connection_id": "c-1",
        "server_time": 1757350201.447585,
        "limits": {"max_message_bytes": 8192},
    }


def test_a_system_message_that_is_not_the_welcome_passes_through(netra: Codec) -> None:
    wire = {"type": "system_message", "data": {"event": "maintenance"}, "timestamp": 1.0}
    assert netra.decode(wire) == wire


def test_netra_ack_and_unknown_type_ack(netra: Codec) -> None:
    ack = {
        "type": "ack",
        "data": {
            "received_type": "start_agent",
            "status": "acknowledged",
            "run_id": "r-1",
            "thread_id": "t-1",
            "client_timestamp": "2025-09-08T16:50:01.447585+00:00",
        },
        "timestamp": 1757350202.0,
    }
    assert netra.decode(ack) == {
        "type": "ack",
        "timestamp": 1757350202.0,
        "received_type": "start_agent",
        "client_timestamp": 1757350201.447585,
        "run_id": "r-1",
        "thread_id": "t-1",
    }
    unknown = {
        "type": "ack",
        "data": {"received_type": "telemetry", "status": "acknowledged"},
        "timestamp": 1757350202.0,
    }
    assert netra.decode(unknown) == {
        "type": "ack",
        "timestamp": 1757350202.0,
        "received_type": "telemetry",
    }


def test_netra_pong_with_null_client_timestamp(netra: Codec) -> None:
    wire = {"type": "pong", "data": {"user_id": "u", "client_timestamp": None}, "timestamp": 5.0}
    assert netra.decode(wire) == {"type": "pong", "timestamp": 5.0, "client_timestamp": None}


def test_netra_error_codes_map_to_canonical(netra: Codec) -> None:
    wire = {
        "type": "error_message",
        "error_code": "VALIDATION_ERROR",
        "error_message": "content is empty",
        "details": {},
        "timestamp": 7.0,
    }
    assert netra.decode(wire) == {
        "type": "error",
        "timestamp": 7.0,
        "error_code": "INVALID_PAYLOAD",
        "message": "content is empty",
    }
    too_large = {**wire, "error_code": "MESSAGE_TOO_LARGE"}
    assert netra.decode(too_large)["error_code"] == "MESSAGE_TOO_LARGE"
    assert netra.wire_code("THREAD_ACCESS_DENIED") == "ACCESS_DENIED"
    assert netra.wire_code("UNKNOWN_TYPE") is None


def _event(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "run_id": "r-1",
        "thread_id": "t-1",
        "user_id": "u-1",
        "agent_name": "scripted-agent",
        "timestamp": "2025-09-08T16:50:01.000001+00:00",
        "payload": payload,
    }


def test_netra_agent_events_decode(netra: Codec) -> None:
    common = {"run_id": "r-1", "thread_id": "t-1", "user_id": "u-1", "timestamp": 1757350201.000001}
    assert netra.decode(_event("agent_started", {"status": "started"})) == {
        "type": "agent_started",
        **common,
        "data": {"agent_name": "scripted-agent"},
    }
    thinking = {"reasoning": "Reading", "step_number": 1, "status": "thinking"}
    assert netra.decode(_event("agent_thinking", thinking))["data"] == {
        "reasoning": "Reading",
        "step": 1,
    }
    tool = {"tool_name": "calculator", "result": 5, "execution_time_ms": 0.4, "status": "completed"}
    assert netra.decode(_event("tool_completed", tool))["data"] == {
        "tool_name": "calculator",
        "result": 5,
        "duration_ms": 0.4,
    }
    done = {"status": "completed", "result": "2+3 = 5", "execution_time_ms": 12}
    assert netra.decode(_event("agent_completed", done))["data"] == {
        "status": "completed",
        "final_response": "2+3 = 5",
        "duration_ms": 12,
    }
    failed = {"status": "error", "error_code": "AGENT_FAILED", "error_message": "failed"}
    assert netra.decode(_event("agent_error", failed))["data"] == {
        "error_code": "AGENT_FAILED",
        "message": "failed",
    }


def test_netra_thread_history_items_decode(netra: Codec) -> None:
    wire = {
        "type": "thread_history",
        "data": {
            "thread_id": "t-1",
            "messages": [
                {"role": "user", "content": "hi", "timestamp": "2025-09-08T16:50:01.447585+00:00"},
                {
                    "role": "assistant",
                    "content": "2",
                    "timestamp": "2025-09-08T16:50:02.000000+00:00",
                },
            ],
        },
        "timestamp": 9.0,
    }
    assert netra.decode(wire) == {
        "type": "thread_history",
        "timestamp": 9.0,
        "thread_id": "t-1",
        "messages": [
            {"role": "user", "content": "hi", "timestamp": 1757350201.447585},
            {"role": "assistant", "content": "2", "timestamp": 1757350202.0},
        ],
    }


def _netra_event(kind: str, timestamp: Any, payload: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A netra agent event with every declared constant right, unless `top` overrides."""
    frame = {
        "type": kind,
        "run_id": "r",
        "thread_id": "t",
        "user_id": "u",
        "agent_name": "scripted-agent",
        "timestamp": timestamp,
        "payload": payload,
    }
    return {**frame, **top}


GOOD_TIME = "2025-09-08T16:50:01.447585+00:00"
FORMAT = "9.dialect.timestamp-format"
FIELDS = "9.dialect.frame-fields"
CONSTANT = "9.dialect.constant-fields"
CODES = "9.dialect.error-codes"


@pytest.mark.parametrize(
    ("wire", "reason", "rule"),
    [
        pytest.param(
            _netra_event("agent_thinking", GOOD_TIME, {"reasoning": "x", "status": "thinking"}),
            "agent_thinking: no field 'payload.step_number' (data.step of agent_thinking)",
            FIELDS,
            id="missing-field",
        ),
        pytest.param(
            _netra_event("agent_started", 1757350201.0, {"status": "started"}, agent_name="a"),
            "timestamp: expected an ISO 8601 string, got 1757350201.0",
            FORMAT,
            id="epoch-where-iso",
        ),
        pytest.param(
            _netra_event(
                "agent_started", "08/09/2025 16:50", {"status": "started"}, agent_name="a"
            ),
            "timestamp: '08/09/2025 16:50' is not written YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="not-iso",
        ),
        # ISO 8601, but not the dialect's form: milliseconds, Z, no zone, seven digits.
        pytest.param(
            _netra_event("agent_thinking", "2025-09-08T16:50:01.447+00:00", {"status": "thinking"}),
            "timestamp: '2025-09-08T16:50:01.447+00:00' is not written "
            "YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="iso-milliseconds",
        ),
        pytest.param(
            _netra_event("agent_thinking", "2025-09-08T16:50:01.447585Z", {"status": "thinking"}),
            "timestamp: '2025-09-08T16:50:01.447585Z' is not written "
            "YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="iso-z",
        ),
        pytest.param(
            _netra_event("agent_thinking", "2025-09-08T16:50:01.447585", {"status": "thinking"}),
            "timestamp: '2025-09-08T16:50:01.447585' is not written "
            "YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="iso-no-zone",
        ),
        pytest.param(
            {"type": "pong", "data": {"client_timestamp": None}},
            "pong: no 'timestamp'",
            FIELDS,
            id="no-timestamp",
        ),
        pytest.param(
            {"type": "ack", "data": {"status": "acknowledged"}, "timestamp": 1.0},
            "ack: no field 'data.received_type' (received_type of ack)",
            FIELDS,
            id="ack-without-received-type",
        ),
        pytest.param(
            {"type": "pong", "data": {"client_timestamp": "yesterday"}, "timestamp": 1.0},
            "client_timestamp: 'yesterday' is not written YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="bad-client-timestamp",
        ),
        pytest.param(
            {
                "type": "pong",
                "data": {"client_timestamp": "2025-09-08T16:50:01+00:00"},
                "timestamp": 1.0,
            },
            "client_timestamp: '2025-09-08T16:50:01+00:00' is not written "
            "YYYY-MM-DDTHH:MM:SS.ffffff+00:00",
            FORMAT,
            id="client-timestamp-without-fraction",
        ),
        pytest.param(
            _netra_event("agent_thinking", GOOD_TIME, {"reasoning": "x", "step_number": 1}),
            'agent_thinking: payload.status is absent, the dialect states "thinking"',
            CONSTANT,
            id="constant-absent",
        ),
        pytest.param(
            _netra_event(
                "agent_thinking",
                GOOD_TIME,
                {"step_number": 1, "status": "thinking"},
                agent_name="bot",
            ),
            'agent_thinking: agent_name is "bot", the dialect states "scripted-agent"',
            CONSTANT,
            id="constant-other-value",
        ),
        pytest.param(
            {"type": "ack", "data": {"received_type": "ping", "status": "ok"}, "timestamp": 1.0},
            'ack: data.status is "ok", the dialect states "acknowledged"',
            CONSTANT,
            id="ack-status",
        ),
        pytest.param(
            {
                "type": "error_message",
                "error_code": "FORMAT_ERROR",
                "error_message": "m",
                "timestamp": 1.0,
            },
            "error_message: details is absent, the dialect states an object",
            CONSTANT,
            id="error-without-details",
        ),
        pytest.param(
            {
                "type": "error_message",
                "error_code": "FORMAT_ERROR",
                "error_message": "m",
                "details": [],
                "timestamp": 1.0,
            },
            "error_message: details is [], the dialect states an object",
            CONSTANT,
            id="error-details-a-list",
        ),
        pytest.param(
            {
                "type": "system_message",
                "data": {
                    "event": "connection_established",
                    "connection_id": "c",
                    "user_id": "u",
                    "server_time": GOOD_TIME,
                    "connection_ready": 1,
                    "config": {"max_message_size": 8192},
                },
                "timestamp": 1.0,
            },
            "system_message: data.connection_ready is 1, the dialect states true",
            CONSTANT,
            id="welcome-ready-not-true",
        ),
        # The canonical name of a code the dialect renames is not one of its codes.
        pytest.param(
            {
                "type": "error_message",
                "error_code": "INVALID_PAYLOAD",
                "error_message": "m",
                "details": {},
                "timestamp": 1.0,
            },
            "error_message: error code 'INVALID_PAYLOAD' is not one of the dialect's "
            "(ACCESS_DENIED, AGENT_FAILED, AUTH_FAILED, FORMAT_ERROR, INVALID_MESSAGE, "
            "INVALID_TIMESTAMP, MESSAGE_TOO_LARGE, THREAD_NOT_FOUND, TOO_MANY_CONNECTIONS, "
            "VALIDATION_ERROR)",
            CODES,
            id="canonical-code-the-dialect-renames",
        ),
        pytest.param(
            _netra_event(
                "agent_error",
                GOOD_TIME,
                {"status": "error", "error_code": "UNKNOWN_TYPE", "error_message": "x"},
            ),
            "agent_error: error code 'UNKNOWN_TYPE' is not one of the dialect's "
            "(ACCESS_DENIED, AGENT_FAILED, AUTH_FAILED, FORMAT_ERROR, INVALID_MESSAGE, "
            "INVALID_TIMESTAMP, MESSAGE_TOO_LARGE, THREAD_NOT_FOUND, TOO_MANY_CONNECTIONS, "
            "VALIDATION_ERROR)",
            CODES,
            id="agent-error-code-the-dialect-lacks",
        ),
    ],
)
def test_a_malformed_wire_frame_is_refused_with_the_raw_frame(
    netra: Codec, wire: dict[str, Any], reason: str, rule: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        netra.decode(wire)
    assert caught.value.reason == reason
    assert caught.value.rule == rule
    assert caught.value.raw == wire


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(
            {
                "type": "error_message",
                "error_code": "VALIDATION_ERROR",
                "error_message": "m",
                "details": {"field": "content"},
                "timestamp": 1,
            },
            id="details-with-content-and-integer-timestamp",
        ),
        pytest.param(
            {"type": "pong", "data": {"client_timestamp": None, "extra": [1]}, "timestamp": 2.5},
            id="null-client-timestamp-and-extra-field",
        ),
        pytest.param(
            _netra_event(
                "agent_thinking",
                GOOD_TIME,
                {"reasoning": "x", "step_number": 1, "status": "thinking", "more": {}},
            ),
            id="event-with-an-extra-payload-field",
        ),
    ],
)
def test_what_the_dialect_leaves_open_decodes(netra: Codec, wire: dict[str, Any]) -> None:
    """Strict about what the profile declares, liberal about the rest: extra fields, a
    details object with content, an integer where a float is written, a null timestamp."""
    decoded = netra.decode(wire)
    assert decoded["type"] in ("error", "pong", "agent_thinking")


def test_a_liberal_iso8601_profile_takes_any_iso_form(tmp_path: Path) -> None:
    """`iso8601` (unlike netra's `iso8601_utc_us`) takes any ISO 8601 date-time."""
    path = tmp_path / "iso.toml"
    path.write_text('[profile]\nname = "iso-any"\n[server]\ntimestamp_format = "iso8601"\n')
    codec = Codec(load_profile(path))
    for text in ("2025-09-08T16:50:01Z", "2025-09-08T16:50:01.447+02:00", "2025-09-08 16:50:01"):
        frame = {"type": "pong", "timestamp": text, "message_id": "m", "client_timestamp": None}
        assert codec.decode(frame)["type"] == "pong", text


RENAMED = """
[profile]
name = "renamed"

[auth]
subprotocol_prefix = "bearer-"

[client]
type_field = "kind"
message_id_field = "id"
timestamp_field = "sent_at"
payload_field = "body"

[client.content_field]
user_message = "text"
start_agent = "prompt"

[server]
type_field = "kind"
timestamp_field = "ts"
seq_field = "n"
timestamp_format = "epoch_ms"

[server.frames.agent_thinking]
type = "thought"
fields = { "data.reasoning" = "why", "data.step" = "index" }

[server.frames.ack]
type = "received"
fields = { message_id = "id" }
"""


def test_a_renamed_dialect_encodes_and_decodes(tmp_path: Path) -> None:
    path = tmp_path / "renamed.toml"
    path.write_text(textwrap.dedent(RENAMED), "utf-8")
    codec = Codec(load_profile(path))
    assert not codec.identity
    sent = codec.encode(
        {
            "type": "user_message",
            "message_id": "m-1",
            "timestamp": "2025-09-08T16:50:01.447585",
            "payload": {"content": "What is 2+3?", "thread_id": "t-1"},
        }
    )
    assert sent == {
        "kind": "user_message",
        "id": "m-1",
        "sent_at": "2025-09-08T16:50:01.447585",
        "body": {"text": "What is 2+3?", "thread_id": "t-1"},
    }
    assert codec.encode({"type": "start_agent", "payload": {"user_request": "go"}}) == {
        "kind": "start_agent",
        "body": {"prompt": "go"},
    }
    thought = {
        "kind": "thought",
        "ts": 1757350201447.585,
        "n": 4,
        "run_id": "r",
        "thread_id": "t",
        "user_id": "u",
        "why": "Reading",
        "index": 2,
    }
    assert codec.decode(thought) == {
        "type": "agent_thinking",
        "timestamp": pytest.approx(1757350201.447585, abs=5e-7),
        "seq": 4,
        "run_id": "r",
        "thread_id": "t",
        "user_id": "u",
        "data": {"reasoning": "Reading", "step": 2},
    }
    received = {
        "kind": "received",
        "ts": 1.0,
        "n": 2,
        "id": "m-1",
        "received_type": "ping",
        "client_timestamp": 5.0,
        "run_id": "r",
        "thread_id": "t",
    }
    assert codec.decode(received)["message_id"] == "m-1"
    assert codec.decode(received)["timestamp"] == 0.001


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        pytest.param("2025-09-08T16:50:01.447585", 1757350201447585, id="zone-less-utc"),
        pytest.param("2025-09-08T16:50:01.447585+00:00", 1757350201447585, id="plus-zero"),
        pytest.param("2025-09-08T16:50:01.447585-05:00", 1757368201447585, id="minus-five"),
        pytest.param("2025-09-08t16:50:01.123456789z", 1757350201123456, id="nine-digits-cut"),
        pytest.param("2025-09-08 16:50:01Z", 1757350201000000, id="space-no-fraction"),
    ],
)
def test_parse_iso_is_exact_to_the_microsecond(text: str, micros: int) -> None:
    assert round(parse_iso(text) * 1_000_000) == micros


CANONICAL_SERVER_FRAMES = [
    {
        "type": "connection_established",
        "timestamp": 1757350201.5,
        "user_id": "u-1",
        "connection_id": "c-1",
        "server_time": 1757350201.447585,
        "limits": {"max_message_bytes": 8192},
    },
    {"type": "pong", "timestamp": 2.0, "client_timestamp": 1757350201.447585},
    {
        "type": "ack",
        "timestamp": 3.0,
        "received_type": "user_message",
        "client_timestamp": None,
        "run_id": "r",
        "thread_id": "t",
    },
    {
        "type": "thread_history",
        "timestamp": 4.0,
        "thread_id": "t",
        "messages": [{"role": "user", "content": "hi", "timestamp": 1757350201.447585}],
    },
    {"type": "error", "timestamp": 5.0, "error_code": "THREAD_ACCESS_DENIED", "message": "no"},
    {
        "type": "tool_executing",
        "timestamp": 1757350201.000001,
        "run_id": "r",
        "thread_id": "t",
        "user_id": "u",
        "data": {"tool_name": "calculator", "parameters": {"expression": "2+3"}},
    },
]


@pytest.mark.parametrize("frame", CANONICAL_SERVER_FRAMES, ids=lambda f: f["type"])
def test_netra_server_frames_round_trip(netra: Codec, frame: dict[str, Any]) -> None:
    assert netra.decode(netra.encode_server(frame)) == frame


def test_netra_server_encoding_is_the_documented_wire_form(netra: Codec) -> None:
    assert netra.encode_server(CANONICAL_SERVER_FRAMES[4]) == {
        "type": "error_message",
        "timestamp": 5.0,
        "error_code": "ACCESS_DENIED",
        "error_message": "no",
        "details": {},
    }
    assert netra.encode_server(CANONICAL_SERVER_FRAMES[1]) == {
        "type": "pong",
        "timestamp": 2.0,
        "data": {"client_timestamp": "2025-09-08T16:50:01.447585+00:00"},
    }


def test_client_frames_round_trip_through_a_renamed_envelope(tmp_path: Path) -> None:
    path = tmp_path / "renamed.toml"
    path.write_text(textwrap.dedent(RENAMED), "utf-8")
    codec = Codec(load_profile(path))
    frame = {"type": "start_agent", "message_id": "m", "payload": {"user_request": "go"}}
    assert codec.decode_client(codec.encode(frame)) == frame
