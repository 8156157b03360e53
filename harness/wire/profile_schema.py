"""What a merged profile may hold: every table, key and value, checked at the trust boundary."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from harness.wire import protocol as P
from harness.wire.setup_calls import setup_problem
from harness.wire.turn_schema import turn_problem

Problem = tuple[str, str]  # (dotted key, what is wrong)
Check = Callable[[Any], str | None]  # None when fine, else what is wrong

# "none" for transports: the target authenticates no one (a token goes nowhere);
# "none" for a token source: the harness presents no token.
TRANSPORTS: Final = ("header", "subprotocol", "query", "none")
TOKEN_SOURCES: Final = ("secret", "static", "command", "none")
TRANSPORT_KINDS: Final = ("websocket", "socketio")
CORRELATIONS: Final = ("message_id", "order")
UNKNOWN_TYPE_REPLIES: Final = ("error", "ack")
CANONICAL_CODES: Final = (*P.ERROR_CODES, P.AGENT_FAILED)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_-]*(\[\])?)*$")
# "": none declared (a transport of its own framing: socket.io carries binary and long events).
_REACTION = re.compile(r"^(close:[1-4][0-9]{3}|error:[A-Z][A-Z0-9_]*|)$")
_CODEC = re.compile(r"^([A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_]\w*)?$")


def _string(empty: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected a string, not {type(value).__name__}"
        if not empty and not value.strip():
            return "must not be empty"
        return None

    return check


def _http_path(value: Any) -> str | None:
    if not isinstance(value, str) or (value and not value.startswith("/")):
        return 'expected a path starting with "/", or "" for none'
    return None


def _wire_path(value: Any) -> str | None:
    if not isinstance(value, str) or (value and not _PATH.match(value)):
        return 'expected a dotted wire path such as "data.step", or "" for absent'
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"expected an integer from {low} to {high}"
        return None

    return check


# Codes a close frame never carries (RFC 6455 section 7.4.1): they name what a client saw.
_NEVER_SENT = {1005: "no code", 1006: "a drop without a close frame", 1015: "a TLS failure"}


def _close_codes(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "expected a non-empty list of close codes such as [1000, 1001]"
    for code in value:
        if isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 4999:
            return f"expected close codes from 1000 to 4999, not {code!r}"
        if code in _NEVER_SENT:
            return (
                f"{code} is never sent in a close frame (it stands for {_NEVER_SENT[code]}): "
                "a server cannot declare it"
            )
    return None


def _scalar_table(value: Any) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float | bool) for v in value.values()
    ):
        return "expected a table of {name = string, number or boolean}"
    return None


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return "expected a positive number"
    return None


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"expected one of {', '.join(choices)}"

    return check


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any) -> str | None:
        return None if isinstance(value, str) and regex.match(value) else f"expected {what}"

    return check


def _string_list(choices: tuple[str, ...] | None = None, empty: bool = True) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings"
        if not empty and not value:
            return "must not be empty"
        if choices is not None:
            for item in value:
                if item not in choices:
                    return f"{item!r} is not one of {', '.join(choices)}"
        return None

    return check


SCHEMA: Final[dict[str, dict[str, Check]]] = {
    "profile": {"name": _string(), "extends": _string(), "description": _string(empty=True)},
    "endpoint": {
        "ws_path": _http_path,
        "health_path": _http_path,
        "health_status": _integer(100, 599),
        "health_field": _string(empty=True),
        "health_value": _string(empty=True),
        "stats_path": _http_path,
        "not_found": _boolean,
    },
    "auth": {
        "transports": _string_list(TRANSPORTS, empty=False),
        "default_transport": _one_of(*TRANSPORTS),
        "subprotocol_prefix": _string(empty=True),
        "query_param": _string(),
    },
    "auth.tokens": {
        "source": _one_of(*TOKEN_SOURCES),
        "user_claim": _string(),
        "expiry_claim": _string(),
        "command": _string_list(),
        "command_timeout_s": _number,
    },
    "auth.refusal": {
        "frame": _one_of(*P.SERVER_FRAME_FIELDS),
        "code": _string(),
        "close_code": _integer(1000, 4999),
    },
    "client": {
        "type_field": _string(),
        "message_id_field": _string(),
        "timestamp_field": _string(),
        "payload_field": _string(),
    },
    "client.content_field": {
        P.USER_MESSAGE: _string(),
        P.START_AGENT: _string(),
    },
    "server": {
        "type_field": _string(),
        "timestamp_field": _string(empty=True),
        "seq_field": _string(empty=True),
        "timestamp_format": _one_of(*P.TIMESTAMP_FORMATS),
        "other_error_codes": _string_list(),
    },
    "error_codes": {code: _string(empty=True) for code in CANONICAL_CODES},
    "capabilities": {
        "welcome": _boolean,
        "seq": _boolean,
        "correlation": _one_of(*CORRELATIONS),
        "unknown_type": _one_of(*UNKNOWN_TYPE_REPLIES),
        "thread_history": _boolean,
        "tool_call_id": _boolean,
        "client_timestamp": _one_of("", "client_timestamp"),
        "max_messages_per_minute": _integer(0, 10_000_000),
        "max_connections_per_user": _integer(0, 100_000),
        "max_message_bytes": _integer(1, 1 << 30),
        "oversize": _pattern(_REACTION, '"close:CODE", "error:CODE" or "" for none'),
        "binary": _pattern(_REACTION, '"close:CODE", "error:CODE" or "" for none'),
        "chat_requests": _boolean,
        "close_codes": _close_codes,
    },
    "codec": {"class": _pattern(_CODEC, '"package.module:Class" or ""')},
    "transport": {
        "kind": _one_of(*TRANSPORT_KINDS),
        "auth": _scalar_table,
        "cookie": _string(empty=True),
        "ack_type": _string(empty=True),
    },
}
_OPTIONAL: Final = {"profile.extends", "profile.description"}
_TABLES: Final = {
    "profile",
    "endpoint",
    "auth",
    "client",
    "server",
    "error_codes",
    "capabilities",
    "codec",
    "turn",
    "setup",
    "transport",
}
_FRAME_KEYS: Final = {
    "type",
    "match",
    "fields",
    "optional",
    "timestamps",
    "timestamp_format",
    "extra",
}


def validate(merged: Mapping[str, Any], own: Mapping[str, Any]) -> Problem | None:
    """The first problem of a merged profile, as (dotted key, message), or None."""
    for key in merged:
        if key not in _TABLES:
            return key, f"unknown table (known: {', '.join(sorted(_TABLES))})"
    for table, checks in SCHEMA.items():
        node = _table(merged, table)
        if node is None:
            return table, "expected a table"
        nested = {k for k in SCHEMA if k.startswith(table + ".")}
        for key in node:
            if f"{table}.{key}" in nested or (table == "server" and key in ("frames", "notices")):
                continue
            if key not in checks:
                return f"{table}.{key}", f"unknown key (known: {', '.join(checks)})"
        for key, check in checks.items():
            if key not in node:
                if f"{table}.{key}" in _OPTIONAL:
                    continue
                return f"{table}.{key}", "missing"
            problem = check(node[key])
            if problem is not None:
                return f"{table}.{key}", problem
    return _cross_checks(merged)


def _table(merged: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    node: Any = merged
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def _cross_checks(merged: Mapping[str, Any]) -> Problem | None:
    auth = merged["auth"]
    if auth["default_transport"] not in auth["transports"]:
        return "auth.default_transport", "must be one of auth.transports"
    if merged["transport"]["kind"] == "socketio" and "subprotocol" in auth["transports"]:
        return "auth.transports", "socket.io offers no subprotocol: header or query only"
    tokens = auth["tokens"]
    if tokens["source"] == "command":
        if not tokens["command"]:
            return "auth.tokens.command", 'source = "command" needs the command to run'
        if not any("{user}" in part for part in tokens["command"]):
            return "auth.tokens.command", "no argument holds {user}, the user id to get a token for"
    return (
        _frames(merged["server"])
        or _notices(merged["server"])
        or turn_problem(merged["turn"])
        or setup_problem(merged)
    )


def _frames(server: Mapping[str, Any]) -> Problem | None:
    frames = server.get("frames")
    if not isinstance(frames, Mapping):
        return "server.frames", "expected a table of frame tables"
    for canonical in frames:
        if canonical not in P.SERVER_FRAME_FIELDS:
            known = ", ".join(P.SERVER_FRAME_FIELDS)
            return f"server.frames.{canonical}", f"not a canonical server frame (known: {known})"
    for canonical, fields in P.SERVER_FRAME_FIELDS.items():
        where = f"server.frames.{canonical}"
        table = frames.get(canonical)
        if not isinstance(table, Mapping):
            return where, "missing"
        problem = _frame(where, table, fields)
        if problem is not None:
            return problem
    return None


def _typed(where: str, table: Mapping[str, Any], keys: set[str]) -> Problem | None:
    """The keys, `type` and `match` (a discriminator) of a frame's or a notice's table."""
    for key in table:
        if key not in keys:
            return f"{where}.{key}", f"unknown key (known: {', '.join(sorted(keys))})"
    problem = _string()(table.get("type"))
    if problem is not None:
        return f"{where}.type", problem
    match = table.get("match", {})
    if not isinstance(match, Mapping):
        return f"{where}.match", "expected a table of {wire path = value}"
    for path, value in match.items():
        if _wire_path(path) is not None or not path:
            return f'{where}.match."{path}"', "expected a dotted wire path"
        if not isinstance(value, str | int | bool):
            return f'{where}.match."{path}"', "expected a string, integer or boolean"
    return None


def _frame(where: str, table: Mapping[str, Any], fields: tuple[str, ...]) -> Problem | None:
    typed = _typed(where, table, _FRAME_KEYS)
    if typed is not None:
        return typed
    mapped = table.get("fields")
    if not isinstance(mapped, Mapping):
        return f"{where}.fields", "expected a table of {canonical path = wire path}"
    for path, wire in mapped.items():
        if path not in fields:
            return f'{where}.fields."{path}"', f"not a field of the frame ({', '.join(fields)})"
        problem = _wire_path(wire)
        if problem is not None:
            return f'{where}.fields."{path}"', problem
    for path in fields:
        if path not in mapped:
            return f'{where}.fields."{path}"', 'missing (map it, or write "" when absent)'
    optional = table.get("optional", [])
    problem = _string_list(fields)(optional)
    if problem is not None:
        return f"{where}.optional", problem
    stamps = table.get("timestamps", {})
    if not isinstance(stamps, Mapping):
        return f"{where}.timestamps", "expected a table of {canonical path = format}"
    for path, form in stamps.items():
        if path not in fields:
            return f'{where}.timestamps."{path}"', "not a field of the frame"
        problem = _one_of(*P.TIMESTAMP_FORMATS)(form)
        if problem is not None:
            return f'{where}.timestamps."{path}"', problem
    extra = table.get("extra", {})
    if not isinstance(extra, Mapping):
        return f"{where}.extra", "expected a table of {wire path = constant}"
    for path in extra:
        if _wire_path(path) is not None or not path:
            return f'{where}.extra."{path}"', "expected a dotted wire path"
    if "timestamp_format" in table:
        problem = _one_of(*P.TIMESTAMP_FORMATS)(table["timestamp_format"])
        if problem is not None:
            return f"{where}.timestamp_format", problem
    return None


_NOTICE_KEYS: Final = {"type", "match", "when"}
_NOTICE_WHEN: Final = ("before_welcome", "any_time")


def _notices(server: Mapping[str, Any]) -> Problem | None:
    """`[server.notices.NAME]`: frames the target may send besides the protocol's."""
    notices = server.get("notices", {})
    if not isinstance(notices, Mapping):
        return "server.notices", "expected a table of notice tables"
    for name, table in notices.items():
        where = f"server.notices.{name}"
        if not isinstance(table, Mapping):
            return where, "expected a table with type, match and when"
        typed = _typed(where, table, _NOTICE_KEYS)
        if typed is not None:
            return typed
        problem = _one_of(*_NOTICE_WHEN)(table.get("when", "any_time"))
        if problem is not None:
            return f"{where}.when", problem
    return None
