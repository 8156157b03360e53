"""An AsyncAPI 3.0 document of a profile's dialect: what the target receives and sends.

The document describes the target (the application): it *receives* the client
frames and *sends* the server frames, each a message with a JSON Schema payload
and an example in the target's own wire form. What AsyncAPI cannot say (ordering
rules, terminal events, close codes, timestamp formats, capabilities, reply
correlation) is written in `x-` extensions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from harness import __version__
from harness.wire import protocol as P
from harness.wire.codec import Codec
from harness.wire.profile import FrameMap, Profile

_STRING: Final = {"type": "string", "minLength": 1}
_ID_OR_NULL: Final = {"type": ["string", "null"]}
# The JSON Schema of each canonical field (timestamps are typed by the profile's format).
FIELD_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "user_id": _STRING,
    "connection_id": _STRING,
    "limits.max_message_bytes": {"type": "integer", "minimum": 1},
    "limits.max_messages_per_minute": {"type": "integer", "minimum": 1},
    "message_id": _ID_OR_NULL,
    "received_type": _STRING,
    "run_id": _STRING,
    "thread_id": _STRING,
    "messages": {"type": "array"},
    "messages[].role": {"type": "string", "enum": ["user", "assistant"]},
    "messages[].content": {"type": "string"},
    "error_code": _STRING,
    "message": {"type": "string"},
    "data.agent_name": _STRING,
    "data.message_id": _STRING,
    "data.reasoning": _STRING,
    "data.step": {"type": "integer", "minimum": 1},
    "data.tool_name": _STRING,
    "data.tool_call_id": _STRING,
    "data.parameters": {"type": "object"},
    "data.result": {"type": ["integer", "number", "string"]},
    "data.duration_ms": {"type": "number", "minimum": 0},
    "data.status": {"type": "string", "const": "completed"},
    "data.final_response": _STRING,
    "data.error_code": _STRING,
    "data.message": {"type": "string"},
}
TIMESTAMP_FIELDS: Final = {"server_time", "client_timestamp", "messages[].timestamp"}
NULLABLE: Final = {"client_timestamp"}
EXAMPLE_TIME: Final = 1757350201.447585
ORDERING_RULES: Final = (
    "agent_started is the first event of a run and appears once",
    "at least one agent_thinking precedes the first tool_executing",
    "every tool_executing is followed, before the run ends, by exactly one tool_completed "
    "of the same tool call; tool calls of one run do not overlap",
    "a run ends with exactly one agent_completed or agent_error; nothing of the run follows",
    "run_id, thread_id and user_id are the same on every event of a run; event timestamps "
    "never decrease",
    "every client text frame gets exactly one direct reply before any agent event of the "
    "run it starts",
)


def asyncapi_document(profile: Profile) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of `profile`'s dialect."""
    codec = Codec(profile)
    endpoint = profile.section("endpoint")
    caps = profile.section("capabilities")
    messages: dict[str, Any] = {}
    for frame_type in P.CLIENT_TYPES:
        messages[frame_type] = _client_message(profile, codec, frame_type)
    for canonical, frame_map in profile.frames.items():
        messages[canonical] = _server_message(profile, codec, frame_map)
    channel_messages = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    operations: dict[str, Any] = {}
    for name in messages:
        action = "receive" if name in P.CLIENT_TYPES else "send"
        operations[f"{action}_{name}"] = {
            "action": action,
            "channel": {"$ref": "#/channels/chat"},
            "messages": [{"$ref": f"#/channels/chat/messages/{name}"}],
            "summary": _summary(name, action),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{profile.name} (as verified by stability-harness)",
            "version": __version__,
            "description": profile.section("profile").get("description", "")
            or f"The {profile.name} WebSocket dialect.",
        },
        "defaultContentType": "application/json",
        "channels": {
            "chat": {
                "address": endpoint["ws_path"],
                "title": "The chat WebSocket",
                "description": "One JSON object per text frame, both ways.",
                "messages": channel_messages,
            }
        },
        "operations": operations,
        "components": {"messages": messages},
        "x-profile": {"name": profile.name, "extends": list(profile.chain[1:])},
        "x-capabilities": sorted(profile.capabilities),
        "x-reply-correlation": caps["correlation"],
        "x-unknown-type-reply": caps["unknown_type"],
        "x-limits": {
            "max_message_bytes": caps["max_message_bytes"],
            "oversize": caps["oversize"],
            "binary": caps["binary"],
            "max_messages_per_minute": caps["max_messages_per_minute"] or None,
            "max_connections_per_user": caps["max_connections_per_user"] or None,
        },
        "x-ordering-rules": list(ORDERING_RULES),
        "x-terminal-events": list(P.TERMINAL_EVENTS),
        "x-close-codes": {
            "normal": P.CLOSE_NORMAL,
            "going_away": P.CLOSE_GOING_AWAY,
            "binary_frame": P.CLOSE_UNSUPPORTED_DATA,
            "auth_failed": profile.section("auth")["refusal"]["close_code"],
            "message_too_big": P.CLOSE_MESSAGE_TOO_BIG,
            "never": [P.CLOSE_INTERNAL_ERROR],
        },
        "x-timestamp-formats": {
            name: {
                "frame": frame_map.timestamp_format,
                **{path: form for path, form in frame_map.timestamps.items()},
            }
            for name, frame_map in profile.frames.items()
        },
        "x-error-codes": {k: v or None for k, v in profile.error_codes.items()},
        # How the dialect frames an agent's turn (docs/TURNS.md): its [turn] tables.
        "x-turn": json.loads(json.dumps(profile.section("turn"))),
        "x-http": {
            "health": endpoint["health_path"] or None,
            "stats": endpoint["stats_path"] or None,
        },
    }


def _summary(name: str, action: str) -> str:
    return f"The target {'receives' if action == 'receive' else 'sends'} {name}."


def _client_message(profile: Profile, codec: Codec, frame_type: str) -> dict[str, Any]:
    client = profile.section("client")
    thread = {"type": "string", "minLength": 1}
    payload_schema: dict[str, Any] = {"type": "object"}
    if frame_type in (P.USER_MESSAGE, P.START_AGENT):
        content = client["content_field"][frame_type]
        text = {"type": "string", "minLength": 1, "maxLength": P.MAX_CONTENT_CHARS}
        payload_schema["properties"] = {content: text, "thread_id": thread}
        payload_schema["required"] = [content]
    elif frame_type == P.GET_THREAD_HISTORY:
        payload_schema["properties"] = {"thread_id": thread}
        payload_schema["required"] = ["thread_id"]
    schema = {
        "type": "object",
        "required": [client["type_field"]],
        "properties": {
            client["type_field"]: {"type": "string", "const": frame_type},
            client["message_id_field"]: {
                "type": "string",
                "minLength": 1,
                "maxLength": P.MAX_MESSAGE_ID_CHARS,
            },
            client["timestamp_field"]: {
                "description": "epoch seconds (number or decimal string) or RFC 3339; "
                "see the protocol's section 5",
                "type": ["number", "string", "null"],
            },
            client["payload_field"]: payload_schema,
        },
    }
    example_payload = {
        P.PING: {},
        P.USER_MESSAGE: {"content": "What is 2+3?", "thread_id": "t-1"},
        P.START_AGENT: {"user_request": "What is 2+3?"},
        P.GET_THREAD_HISTORY: {"thread_id": "t-1"},
    }[frame_type]
    example = codec.encode(
        {
            "type": frame_type,
            "message_id": "m-1",
            "timestamp": "2025-09-08T16:50:01.447585",
            "payload": example_payload,
        }
    )
    return {
        "name": frame_type,
        "title": frame_type,
        "payload": schema,
        "examples": [{"name": f"{frame_type}-example", "payload": example}],
    }


def _server_message(profile: Profile, codec: Codec, frame_map: FrameMap) -> dict[str, Any]:
    server = profile.section("server")
    schema: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    _put(schema, server["type_field"], {"type": "string", "const": frame_map.wire_type}, True)
    for path, value in frame_map.match:
        _put(schema, path, {"const": value}, True)
    if server["timestamp_field"]:
        _put(schema, server["timestamp_field"], _time_schema(frame_map.timestamp_format), True)
    if server["seq_field"]:
        _put(schema, server["seq_field"], {"type": "integer", "minimum": 1}, True)
    for path, wire_path in frame_map.fields.items():
        if not wire_path or "[]." in path:
            continue
        field_schema = _field_schema(path, frame_map)
        if path == "messages":
            field_schema = {"type": "array", "items": _item_schema(frame_map)}
        _put(schema, wire_path, field_schema, path not in frame_map.optional)
    example = codec.encode_server(_example(frame_map.canonical))
    return {
        "name": frame_map.canonical,
        "title": f"{frame_map.canonical} ({frame_map.wire_type} on the wire)",
        "payload": schema,
        "examples": [{"name": f"{frame_map.canonical}-example", "payload": example}],
    }


def _item_schema(frame_map: FrameMap) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for path, wire_path in frame_map.fields.items():
        if "[]." in path and wire_path:
            _put(schema, wire_path, _field_schema(path, frame_map), True)
    return schema


def _field_schema(path: str, frame_map: FrameMap) -> dict[str, Any]:
    if path in TIMESTAMP_FIELDS:
        form = frame_map.timestamps.get(path, "epoch_s")
        schema = _time_schema(form)
        if path in NULLABLE:
            return {"oneOf": [schema, {"type": "null"}]}
        return schema
    return dict(FIELD_SCHEMAS.get(path, {}))


def _time_schema(form: str) -> dict[str, Any]:
    if form == "iso8601":
        return {"type": "string", "format": "date-time"}
    if form == "iso8601_utc_us":
        return {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$",
        }
    unit = "milliseconds" if form == "epoch_ms" else "seconds"
    return {"type": "number", "minimum": 0, "description": f"epoch {unit}, UTC"}


def _put(schema: dict[str, Any], dotted: str, leaf: Mapping[str, Any], required: bool) -> None:
    parts = dotted.split(".")
    node = schema
    for part in parts[:-1]:
        props = node.setdefault("properties", {})
        child = props.setdefault(part, {"type": "object", "properties": {}, "required": []})
        if required and part not in node.setdefault("required", []):
            node["required"].append(part)
        node = child
    node.setdefault("properties", {})[parts[-1]] = dict(leaf)
    if required and parts[-1] not in node.setdefault("required", []):
        node["required"].append(parts[-1])


def _example(canonical: str) -> dict[str, Any]:
    event = {"run_id": "r-1", "thread_id": "t-1", "user_id": "u-1", "timestamp": EXAMPLE_TIME}
    examples: dict[str, dict[str, Any]] = {
        P.CONNECTION_ESTABLISHED: {
            "user_id": "u-1",
            "connection_id": "c-1",
            "server_time": EXAMPLE_TIME,
            "limits": {"max_message_bytes": 65536, "max_messages_per_minute": 600},
        },
        P.PONG: {"message_id": "m-1", "client_timestamp": EXAMPLE_TIME},
        P.ACK: {
            "message_id": "m-1",
            "received_type": P.USER_MESSAGE,
            "client_timestamp": EXAMPLE_TIME,
            "run_id": "r-1",
            "thread_id": "t-1",
        },
        P.THREAD_HISTORY: {
            "message_id": "m-1",
            "thread_id": "t-1",
            "messages": [
                {"role": "user", "content": "What is 2+3?", "timestamp": EXAMPLE_TIME},
                {"role": "assistant", "content": "2+3 = 5", "timestamp": EXAMPLE_TIME + 0.02},
            ],
        },
        P.ERROR: {
            "error_code": P.INVALID_PAYLOAD,
            "message": "content is empty",
            "message_id": "m-1",
        },
        P.AGENT_STARTED: {**event, "data": {"agent_name": "scripted-agent", "message_id": "m-1"}},
        P.AGENT_THINKING: {**event, "data": {"reasoning": "Looking for expressions", "step": 1}},
        P.TOOL_EXECUTING: {
            **event,
            "data": {
                "tool_name": "calculator",
                "tool_call_id": "call-1",
                "parameters": {"expression": "2+3"},
            },
        },
        P.TOOL_COMPLETED: {
            **event,
            "data": {
                "tool_name": "calculator",
                "tool_call_id": "call-1",
                "result": 5,
                "duration_ms": 0.4,
            },
        },
        P.AGENT_COMPLETED: {
            **event,
            "data": {"status": "completed", "final_response": "2+3 = 5", "duration_ms": 12.5},
        },
        P.AGENT_ERROR: {
            **event,
            "data": {"error_code": P.AGENT_FAILED, "message": "the agent failed"},
        },
    }
    frame = {"type": canonical, "timestamp": EXAMPLE_TIME, "seq": 1, **examples[canonical]}
    return frame
