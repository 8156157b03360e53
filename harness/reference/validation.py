"""Client frame validation in the order of PROTOCOL.md section 2, as a pure function."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

import harness.reference.defects as D
from harness.reference.liberal import Liberties, rounded_decimal
from harness.reference.timestamps import normalise_timestamp
from harness.wire import protocol as P

_ISO_PREFIX: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")
_ZONE_SUFFIX: Final = re.compile(r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")
_NAIVE_OFFSET_S: Final = 5 * 3600  # the `naive-local-time` defect reads zone-less as UTC-05:00
_BEYOND_MICROS: Final = re.compile(r"\.[0-9]{6}([0-9])")  # 7th fraction digit: `round-fraction`
_DECIMAL_STRING: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # `agent-rejects-decimal-string`
_INVALID_TIMESTAMP_MESSAGE: Final = (
    "'timestamp' must be epoch seconds or an RFC 3339 date-time before 2100."
)
_SHOWN_TYPE_CHARS: Final = 64


class InjectedCrash(RuntimeError):
    """Raised on purpose by a crash defect so that the connection handler fails (close 1011)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An error reply to send: its code, its plain-text message and the message id it carries."""

    error_code: str
    message: str
    message_id: str | None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A frame that passed every stateless check: what the handler of its type needs."""

    type: str
    message_id: str
    client_timestamp: float | None
    content: str | None = None  # user_message content or start_agent user_request
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """The verdict on one text frame, plus what /stats counts about it."""

    outcome: Accepted | Rejection
    is_json: bool  # counted in messages_routed
    type_name: str | None  # counted in message_types (the `type` when a string)


def parse_frame(
    text: str, *, defects: frozenset[str], now: float, liberties: Liberties | None = None
) -> Parsed:
    """Validate one client text frame: JSON, envelope, timestamp, type, payload, in that order."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        rejection = Rejection(P.FORMAT_ERROR, "The frame is not valid JSON.", None)
        return Parsed(rejection, is_json=False, type_name=None)
    if not isinstance(document, dict):
        rejection = Rejection(P.INVALID_MESSAGE, "The frame must be a JSON object.", None)
        return Parsed(rejection, is_json=True, type_name=None)
    type_value = document.get("type")
    type_name = type_value if isinstance(type_value, str) else None
    checked = _check(document, defects, now, liberties)
    return Parsed(checked, is_json=True, type_name=type_name)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(
    document: dict[str, Any],
    defects: frozenset[str],
    now: float,
    liberties: Liberties | None = None,
) -> Accepted | Rejection:
    """Envelope, timestamp, type and payload checks of a JSON object frame."""
    if "message_id" not in document:
        message_id: str | None = (
            f"srv-{uuid.uuid4().hex}" if liberties is None else liberties.new_id("m")
        )
    else:
        raw_id = document["message_id"]
        ok = isinstance(raw_id, str) and 1 <= len(raw_id) <= P.MAX_MESSAGE_ID_CHARS
        message_id = raw_id if ok else None
    type_value = document.get("type")
    if not isinstance(type_value, str) or not type_value:
        return Rejection(
            P.INVALID_MESSAGE, "The frame needs a non-empty string 'type'.", message_id
        )
    if message_id is None:
        return Rejection(
            P.INVALID_MESSAGE,
            "'message_id' must be a string of 1 to 128 characters when present.",
            None,
        )
    payload = document.get("payload", {})
    if not isinstance(payload, dict):
        return Rejection(P.INVALID_MESSAGE, "'payload' must be a JSON object.", message_id)
    client_timestamp: float | None = None
    if "timestamp" in document:
        try:
            client_timestamp = _timestamp(document["timestamp"], defects, liberties)
        except (ValueError, TypeError, OverflowError):
            if D.SILENT_TIMESTAMP_FALLBACK not in defects:
                return Rejection(P.INVALID_TIMESTAMP, _INVALID_TIMESTAMP_MESSAGE, message_id)
            client_timestamp = now
        if (
            D.AGENT_REJECTS_DECIMAL_STRING in defects
            and type_value in (P.USER_MESSAGE, P.START_AGENT)
            and isinstance(document["timestamp"], str)
            and _DECIMAL_STRING.fullmatch(document["timestamp"])
        ):
            return Rejection(P.INVALID_TIMESTAMP, _INVALID_TIMESTAMP_MESSAGE, message_id)
    if type_value not in P.CLIENT_TYPES:
        if D.UNKNOWN_TYPE_CRASH in defects:
            raise InjectedCrash("unknown-type-crash defect")
        shown = f"'{type_value}'" if D.ERROR_MESSAGE_MARKUP in defects else _shown(type_value)
        return Rejection(P.UNKNOWN_TYPE, f"Unknown message type {shown}.", message_id)
    return _payload(type_value, message_id, client_timestamp, payload)


def _timestamp(
    value: object, defects: frozenset[str], liberties: Liberties | None = None
) -> float | None:
    """The normalised timestamp, bent by the timestamp defects that are switched on (and,
    on a liberal server, a long decimal string's microsecond rounded, not truncated)."""
    if liberties is not None and liberties.decimal_rounded and isinstance(value, str):
        rounded = rounded_decimal(value)
        if rounded is not None and 0 <= rounded < P.TIMESTAMP_UPPER_BOUND:
            return rounded
    is_iso = isinstance(value, str) and _ISO_PREFIX.match(value) is not None
    if is_iso and D.ISO_TIMESTAMP_CRASH in defects:
        raise InjectedCrash("iso-timestamp-crash defect")
    if (
        D.UNICODE_DIGITS in defects
        and isinstance(value, str)
        and not value.isascii()
        and value.replace(".", "", 1).isdecimal()
        and 0 <= float(value) < P.TIMESTAMP_UPPER_BOUND  # float() reads any decimal digits
    ):
        return float(value)
    if is_iso and D.ISO_RANGE_BY_YEAR in defects:
        return _range_by_year(str(value))
    normalised = normalise_timestamp(value)
    if D.ROUND_FRACTION in defects and normalised is not None and isinstance(value, str):
        beyond = _BEYOND_MICROS.search(value)
        if beyond is not None and beyond.group(1) >= "5":
            return (round(normalised * 1_000_000) + 1) / 1_000_000
    if (
        is_iso
        and normalised is not None
        and D.NAIVE_LOCAL_TIME in defects
        and _ZONE_SUFFIX.search(str(value)) is None
    ):
        return normalised + _NAIVE_OFFSET_S
    return normalised


def _range_by_year(text: str) -> float:
    """`iso-range-by-year`: the year decides the range, whatever instant the offset gives."""
    if not 1970 <= int(text[:4]) <= 2099:
        raise ValueError("the year must be 1970 to 2099")
    zone = _ZONE_SUFFIX.search(text)
    offset = 0
    if zone is not None and zone.group(0) not in ("Z", "z"):
        sign, hours, minutes = zone.group(0)[0], int(zone.group(0)[1:3]), int(zone.group(0)[4:])
        if hours > 23 or minutes > 59:
            raise ValueError("the offset must lie within -23:59 to +23:59")
        offset = (hours * 3600 + minutes * 60) * (1 if sign == "+" else -1)
    local = normalise_timestamp(text if zone is None else text[: zone.start()])
    if local is None:
        raise ValueError("not a date-time")
    return local - offset


def _shown(type_value: str) -> str:
    """The type quoted for an error message: printable, no markup characters, bounded length."""
    cleaned = "".join(
        char if char.isprintable() and char not in "<>&\"'`" else "?" for char in type_value
    )
    if len(cleaned) > _SHOWN_TYPE_CHARS:
        cleaned = cleaned[:_SHOWN_TYPE_CHARS] + "..."
    return f"'{cleaned}'"


def _payload(
    type_value: str, message_id: str, client_timestamp: float | None, payload: dict[str, Any]
) -> Accepted | Rejection:
    """The payload checks of one handled type."""
    if type_value == P.PING:
        return Accepted(type_value, message_id, client_timestamp)
    if type_value == P.GET_THREAD_HISTORY:
        thread_id = payload.get("thread_id")
        if not isinstance(thread_id, str) or not thread_id:
            return Rejection(
                P.INVALID_PAYLOAD, "'thread_id' must be a non-empty string.", message_id
            )
        return Accepted(type_value, message_id, client_timestamp, thread_id=thread_id)
    field = "content" if type_value == P.USER_MESSAGE else "user_request"
    content = payload.get(field)
    if not isinstance(content, str) or not content.strip():
        return Rejection(
            P.INVALID_PAYLOAD,
            f"'{field}' must be a string that is not only whitespace.",
            message_id,
        )
    if len(content) > P.MAX_CONTENT_CHARS:
        return Rejection(
            P.INVALID_PAYLOAD, f"'{field}' must be at most 8000 characters.", message_id
        )
    if "thread_id" in payload:
        thread_id = payload["thread_id"]
        if not isinstance(thread_id, str) or not thread_id:
            return Rejection(
                P.INVALID_PAYLOAD,
                "'thread_id' must be a non-empty string when present.",
                message_id,
            )
        return Accepted(type_value, message_id, client_timestamp, content, thread_id)
    return Accepted(type_value, message_id, client_timestamp, content)
