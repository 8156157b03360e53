"""Every frame kind of each built-in profile, as literal wire text and literal canonical frame.

The wire texts are those of docs/PROTOCOL.md (sections 2 to 4, `chat-agent/1`)
and of the normative `netra-2025-09` dialect (/work/shared/PROFILES.md, items 2
to 7; docs/PROFILES.md). Each case decodes the wire text to the canonical frame
and encodes the canonical frame back to the wire text: server frames with
`decode` / `encode_server`, client frames with `encode` / `decode_client`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from harness.wire.codec import Codec
from harness.wire.profile import load_profile


@dataclass(frozen=True)
class Case:
    profile: str
    kind: str
    wire: str  # the JSON text on the wire
    canonical: dict[str, Any]
    # What the codec writes when it is less than the documented wire text (fields no
    # canonical frame carries); None: the wire text itself.
    written: str | None = None


CHAT_SERVER: list[Case] = [
    Case(
        "chat-agent/1",
        "connection_established",
        '{"type": "connection_established", "timestamp": 1757350201.5, "seq": 1, '
        '"user_id": "u-1", "connection_id": "c-1", "server_time": 1757350201.447585, '
        '"limits": {"max_message_bytes": 65536, "max_messages_per_minute": 600}}',
        {
            "type": "connection_established",
            "timestamp": 1757350201.5,
            "seq": 1,
            "user_id": "u-1",
            "connection_id": "c-1",
            "server_time": 1757350201.447585,
            "limits": {"max_message_bytes": 65536, "max_messages_per_minute": 600},
        },
    ),
    Case(
        "chat-agent/1",
        "pong",
        '{"type": "pong", "timestamp": 1757350202.0, "seq": 2, "message_id": "m-1", '
        '"client_timestamp": 1757350201.447585}',
        {
            "type": "pong",
            "timestamp": 1757350202.0,
            "seq": 2,
            "message_id": "m-1",
            "client_timestamp": 1757350201.447585,
        },
    ),
    Case(
        "chat-agent/1",
        "ack",
        '{"type": "ack", "timestamp": 1757350202.0, "seq": 3, "message_id": "m-2", '
        '"received_type": "user_message", "client_timestamp": null, "run_id": "r-1", '
        '"thread_id": "t-1"}',
        {
            "type": "ack",
            "timestamp": 1757350202.0,
            "seq": 3,
            "message_id": "m-2",
            "received_type": "user_message",
            "client_timestamp": None,
            "run_id": "r-1",
            "thread_id": "t-1",
        },
    ),
    Case(
        "chat-agent/1",
        "thread_history",
        '{"type": "thread_history", "timestamp": 1757350203.0, "seq": 4, "message_id": "m-3", '
        '"thread_id": "t-1", "messages": [{"role": "user", "content": "What is 2+3?", '
        '"timestamp": 1757350201.447585}, {"role": "assistant", "content": "2+3 = 5", '
        '"timestamp": 1757350202.000001}]}',
        {
            "type": "thread_history",
            "timestamp": 1757350203.0,
            "seq": 4,
            "message_id": "m-3",
            "thread_id": "t-1",
            "messages": [
                {"role": "user", "content": "What is 2+3?", "timestamp": 1757350201.447585},
                {"role": "assistant", "content": "2+3 = 5", "timestamp": 1757350202.000001},
            ],
        },
    ),
    Case(
        "chat-agent/1",
        "error",
        '{"type": "error", "timestamp": 1757350204.0, "seq": 5, "error_code": "FORMAT_ERROR", '
        '"message": "The frame is not JSON.", "message_id": null}',
        {
            "type": "error",
            "timestamp": 1757350204.0,
            "seq": 5,
            "error_code": "FORMAT_ERROR",
            "message": "The frame is not JSON.",
            "message_id": None,
        },
    ),
]

_RUN = '"run_id": "r-1", "thread_id": "t-1", "user_id": "u-1"'
_CANONICAL_RUN = {"run_id": "r-1", "thread_id": "t-1", "user_id": "u-1"}


def _chat_event(kind: str, seq: int, data: str, canonical_data: dict[str, Any]) -> Case:
    wire = f'{{"type": "{kind}", "timestamp": 1757350205.0, "seq": {seq}, {_RUN}, "data": {data}}}'
    canonical = {"type": kind, "timestamp": 1757350205.0, "seq": seq, **_CANONICAL_RUN}
    return Case("chat-agent/1", kind, wire, {**canonical, "data": canonical_data})


CHAT_EVENTS: list[Case] = [
    _chat_event(
        "agent_started",
        6,
        '{"agent_name": "scripted-agent", "message_id": "m-2"}',
        {"agent_name": "scripted-agent", "message_id": "m-2"},
    ),
    _chat_event(
        "agent_thinking",
        7,
        '{"reasoning": "Reading the request", "step": 1}',
        {"reasoning": "Reading the request", "step": 1},
    ),
    _chat_event(
        "tool_executing",
        8,
        '{"tool_name": "calculator", "tool_call_id": "call-1", '
        '"parameters": {"expression": "2+3"}}',
        {"tool_name": "calculator", "tool_call_id": "call-1", "parameters": {"expression": "2+3"}},
    ),
    _chat_event(
        "tool_completed",
        9,
        '{"tool_name": "calculator", "tool_call_id": "call-1", "result": 5, "duration_ms": 0.4}',
        {"tool_name": "calculator", "tool_call_id": "call-1", "result": 5, "duration_ms": 0.4},
    ),
    _chat_event(
        "agent_completed",
        10,
        '{"status": "completed", "final_response": "2+3 = 5", "duration_ms": 12.5}',
        {"status": "completed", "final_response": "2+3 = 5", "duration_ms": 12.5},
    ),
    _chat_event(
        "agent_error",
        11,
        '{"error_code": "AGENT_FAILED", "message": "The agent failed."}',
        {"error_code": "AGENT_FAILED", "message": "The agent failed."},
    ),
]

NETRA_SERVER: list[Case] = [
    Case(
        "netra-2025-09",
        "connection_established",
        '{"type": "system_message", "data": {"event": "connection_established", '
        '"connection_id": "c-1", "user_id": "u-1", '
        '"server_time": "2025-09-08T16:50:01.447585+00:00", "connection_ready": true, '
        '"config": {"max_message_size": 8192}}, "timestamp": 1757350201.5}',
        {
            "type": "connection_established",
            "timestamp": 1757350201.5,
            "user_id": "u-1",
            "connection_id": "c-1",
            "server_time": 1757350201.447585,
            "limits": {"max_message_bytes": 8192},
        },
    ),
    Case(
        "netra-2025-09",
        "pong",
        '{"type": "pong", "data": {"user_id": "u-1", '
        '"client_timestamp": "2025-09-08T16:50:01.447585+00:00"}, "timestamp": 1757350202.0}',
        {"type": "pong", "timestamp": 1757350202.0, "client_timestamp": 1757350201.447585},
        # A canonical pong has no user_id: the codec writes the client timestamp only.
        written='{"type": "pong", "data": {"client_timestamp": '
        '"2025-09-08T16:50:01.447585+00:00"}, "timestamp": 1757350202.0}',
    ),
    Case(
        "netra-2025-09",
        "ack",
        '{"type": "ack", "data": {"received_type": "user_message", "status": "acknowledged", '
        '"run_id": "r-1", "thread_id": "t-1", "client_timestamp": null}, '
        '"timestamp": 1757350202.0}',
        {
            "type": "ack",
            "timestamp": 1757350202.0,
            "received_type": "user_message",
            "client_timestamp": None,
            "run_id": "r-1",
            "thread_id": "t-1",
        },
    ),
    Case(
        "netra-2025-09",
        "ack of an unknown type",
        '{"type": "ack", "data": {"received_type": "telemetry", "status": "acknowledged"}, '
        '"timestamp": 1757350202.0}',
        {"type": "ack", "timestamp": 1757350202.0, "received_type": "telemetry"},
    ),
    Case(
        "netra-2025-09",
        "thread_history",
        '{"type": "thread_history", "data": {"thread_id": "t-1", "messages": ['
        '{"role": "user", "content": "What is 2+3?", '
        '"timestamp": "2025-09-08T16:50:01.447585+00:00"}, '
        '{"role": "assistant", "content": "2+3 = 5", '
        '"timestamp": "2025-09-08T16:50:02.000001+00:00"}]}, "timestamp": 1757350203.0}',
        {
            "type": "thread_history",
            "timestamp": 1757350203.0,
            "thread_id": "t-1",
            "messages": [
                {"role": "user", "content": "What is 2+3?", "timestamp": 1757350201.447585},
                {"role": "assistant", "content": "2+3 = 5", "timestamp": 1757350202.000001},
            ],
        },
    ),
    Case(
        "netra-2025-09",
        "error",
        '{"type": "error_message", "error_code": "VALIDATION_ERROR", '
        '"error_message": "content must not be empty", "details": {}, '
        '"timestamp": 1757350204.0}',
        {
            "type": "error",
            "timestamp": 1757350204.0,
            "error_code": "INVALID_PAYLOAD",
            "message": "content must not be empty",
        },
    ),
]


def _netra_event(kind: str, payload: str, canonical_data: dict[str, Any]) -> Case:
    wire = (
        f'{{"type": "{kind}", {_RUN}, "agent_name": "scripted-agent", '
        f'"timestamp": "2025-09-08T16:50:05.000001+00:00", "payload": {payload}}}'
    )
    canonical = {"type": kind, "timestamp": 1757350205.000001, **_CANONICAL_RUN}
    return Case("netra-2025-09", kind, wire, {**canonical, "data": canonical_data})


NETRA_EVENTS: list[Case] = [
    _netra_event("agent_started", '{"status": "started"}', {"agent_name": "scripted-agent"}),
    _netra_event(
        "agent_thinking",
        '{"reasoning": "Reading the request", "step_number": 1, "status": "thinking"}',
        {"reasoning": "Reading the request", "step": 1},
    ),
    _netra_event(
        "tool_executing",
        '{"tool_name": "calculator", "parameters": {"expression": "2+3"}, "status": "executing"}',
        {"tool_name": "calculator", "parameters": {"expression": "2+3"}},
    ),
    _netra_event(
        "tool_completed",
        '{"tool_name": "calculator", "result": 5, "execution_time_ms": 0.4, "status": "completed"}',
        {"tool_name": "calculator", "result": 5, "duration_ms": 0.4},
    ),
    _netra_event(
        "agent_completed",
        '{"status": "completed", "result": "2+3 = 5", "execution_time_ms": 12.5}',
        {"status": "completed", "final_response": "2+3 = 5", "duration_ms": 12.5},
    ),
    _netra_event(
        "agent_error",
        '{"status": "error", "error_code": "AGENT_FAILED", "error_message": "The agent failed."}',
        {"error_code": "AGENT_FAILED", "message": "The agent failed."},
    ),
]

# PROTOCOL.md section 2; netra-2025-09 keeps the client envelope and types as they are.
CLIENT_FRAMES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "ping",
        '{"type": "ping", "message_id": "m-1", "timestamp": 1757350201.447585, "payload": {}}',
        {"type": "ping", "message_id": "m-1", "timestamp": 1757350201.447585, "payload": {}},
    ),
    (
        "user_message",
        '{"type": "user_message", "message_id": "m-1", "timestamp": 1757350201.447585, '
        '"payload": {"content": "What is 2+3?", "thread_id": "t-abc"}}',
        {
            "type": "user_message",
            "message_id": "m-1",
            "timestamp": 1757350201.447585,
            "payload": {"content": "What is 2+3?", "thread_id": "t-abc"},
        },
    ),
    (
        "start_agent",
        '{"type": "start_agent", "message_id": "m-2", '
        '"timestamp": "2025-09-08T16:50:01.447585", "payload": {"user_request": "What is 2+3?"}}',
        {
            "type": "start_agent",
            "message_id": "m-2",
            "timestamp": "2025-09-08T16:50:01.447585",
            "payload": {"user_request": "What is 2+3?"},
        },
    ),
    (
        "get_thread_history",
        '{"type": "get_thread_history", "message_id": "m-3", "payload": {"thread_id": "t-abc"}}',
        {"type": "get_thread_history", "message_id": "m-3", "payload": {"thread_id": "t-abc"}},
    ),
]
CLIENT: list[Case] = [
    Case(profile, kind, wire, canonical)
    for profile in ("chat-agent/1", "netra-2025-09")
    for kind, wire, canonical in CLIENT_FRAMES
]

SERVER = CHAT_SERVER + CHAT_EVENTS + NETRA_SERVER + NETRA_EVENTS


def _codec(profile: str) -> Codec:
    return Codec(load_profile(profile))


def test_every_server_frame_kind_of_each_built_in_profile_has_a_case() -> None:
    for profile in ("chat-agent/1", "netra-2025-09"):
        kinds = {c.canonical["type"] for c in SERVER if c.profile == profile}
        assert kinds == set(load_profile(profile).frames), profile
        assert len(kinds) == 11


@pytest.mark.parametrize("case", SERVER, ids=lambda c: f"{c.profile}:{c.kind}")
def test_a_server_frame_decodes_to_its_canonical_frame(case: Case) -> None:
    assert _codec(case.profile).decode(json.loads(case.wire)) == case.canonical


@pytest.mark.parametrize("case", SERVER, ids=lambda c: f"{c.profile}:{c.kind}")
def test_a_canonical_server_frame_encodes_to_its_wire_text(case: Case) -> None:
    written = json.loads(case.written if case.written is not None else case.wire)
    assert _codec(case.profile).encode_server(case.canonical) == written


@pytest.mark.parametrize("case", CLIENT, ids=lambda c: f"{c.profile}:{c.kind}")
def test_a_client_frame_encodes_to_its_wire_text_and_back(case: Case) -> None:
    codec = _codec(case.profile)
    assert codec.encode(case.canonical) == json.loads(case.wire)
    assert codec.decode_client(json.loads(case.wire)) == case.canonical
