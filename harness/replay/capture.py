"""The capture format (docs/CAPTURE.md): a recorded session as JSON Lines, loaded and validated.

Line 1 is the header; every other line is one event of one connection:

    {"format": "stability-harness/capture", "version": 1, "profile": "chat-agent/1",
     "recorded_at": "2026-12-02T10:00:00.000000Z", "source": {"kind": "proxy", ...},
     "volatile": ["timestamp", "run_id", ...], "redacted": ["authorization header", ...]}
    {"t": 0.0, "conn": 1, "dir": "client", "kind": "open", "path": "/ws",
     "query": {}, "subprotocols": [], "headers": {"Authorization": "<redacted>"}}
    {"t": 0.01, "conn": 1, "dir": "server", "kind": "text", "data": "{...}"}
    {"t": 0.02, "conn": 1, "dir": "client", "kind": "binary", "data_b64": "AAE="}
    {"t": 0.5, "conn": 1, "dir": "client", "kind": "close", "code": 1000, "reason": ""}

A writer appends and flushes each line as it happens, so a capture cut short by
Ctrl-C is complete and valid up to that moment.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from harness.errors import ConfigError

FORMAT: Final = "stability-harness/capture"
VERSION: Final = 1
DIRECTIONS: Final = ("client", "server")
KINDS: Final = ("open", "text", "binary", "close")
# How the recorded frames travelled: one WebSocket text frame each, or socket.io events
# (the frames the harness's socket.io client shows, docs/CAPTURE.md).
TRANSPORTS: Final = ("websocket", "socketio")
# Fields that differ on every run of a correct server: ignored by the judge, but kept
# consistent (equal values stay equal, different ones stay different).
DEFAULT_VOLATILE: Final = (
    "timestamp",
    "seq",
    "message_id",
    "run_id",
    "thread_id",
    "user_id",
    "connection_id",
    "server_time",
    "messages[].timestamp",
    "data.message_id",
    "data.tool_call_id",
    "data.duration_ms",
    "data.agent_name",
    "data.reasoning",
    "data.final_response",
    "data.message",
    "message",
    "limits.max_message_bytes",
    "limits.max_messages_per_minute",
)


@dataclass(frozen=True, slots=True)
class CaptureHeader:
    """What a capture is: its format, profile, origin, volatile fields and what was redacted."""

    profile: str
    recorded_at: str
    source: Mapping[str, Any]
    volatile: tuple[str, ...] = DEFAULT_VOLATILE
    redacted: tuple[str, ...] = ()
    note: str = ""
    # Frame types whose consecutive repeats compare as one (a correct server may think
    # in more or fewer steps), and the catalogue rules a replay of this capture verifies.
    collapse: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    transport: str = "websocket"

    def to_json(self) -> dict[str, Any]:
        """The header line."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "profile": self.profile,
            "recorded_at": self.recorded_at,
            "source": dict(self.source),
            "volatile": list(self.volatile),
            "redacted": list(self.redacted),
            "note": self.note,
            "collapse": list(self.collapse),
            "rules": list(self.rules),
            "transport": self.transport,
        }


@dataclass(frozen=True, slots=True)
class CaptureEvent:
    """One event of one connection, `t` seconds after the capture started."""

    t: float
    conn: int
    dir: str
    kind: str
    data: str = ""  # text frames: the text; binary frames: base64
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    code: int | None = None  # close: None when unknown (a HAR records no close codes)
    reason: str = ""
    line: int = 0  # where it was read from (0: not read from a file)

    def to_json(self) -> dict[str, Any]:
        """The event's line."""
        out: dict[str, Any] = {"t": round(self.t, 6), "conn": self.conn, "dir": self.dir}
        out["kind"] = self.kind
        if self.kind == "open":
            out.update(
                path=self.path,
                query=dict(self.query),
                subprotocols=list(self.subprotocols),
                headers=dict(self.headers),
            )
        elif self.kind == "text":
            out["data"] = self.data
        elif self.kind == "binary":
            out["data_b64"] = self.data
        else:
            out.update(code=self.code, reason=self.reason)
        return out


@dataclass(frozen=True, slots=True)
class Capture:
    """A loaded capture: its header and its events in file order."""

    path: str
    header: CaptureHeader
    events: tuple[CaptureEvent, ...]

    def connections(self) -> dict[int, list[CaptureEvent]]:
        """Events per connection number, in order."""
        out: dict[int, list[CaptureEvent]] = {}
        for event in self.events:
            out.setdefault(event.conn, []).append(event)
        return out


class CaptureWriter:
    """Appends a capture line by line, flushed at once (thread-safe)."""

    def __init__(self, path: Path, header: CaptureHeader) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._write(header.to_json())

    def _write(self, line: Mapping[str, Any]) -> None:
        with self._lock:
            if self._file.closed:
                return
            self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._file.flush()

    def event(self, event: CaptureEvent) -> None:
        """Append one event."""
        self._write(event.to_json())

    def close(self) -> None:
        """Close the file (later events are dropped)."""
        with self._lock:
            self._file.close()


def utc_stamp(moment: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds and a Z."""
    return (moment or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_capture(path: Path) -> Capture:
    """Read and validate a capture; ConfigError naming the file and line of the first problem."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the capture: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the capture is not UTF-8 text") from None
    if not lines or not lines[0].strip():
        raise ConfigError(f"{path}:1: empty capture: expected a header line")
    header = _header(path, _json_line(path, 1, lines[0]))
    events: list[CaptureEvent] = []
    state: dict[int, set[str]] = {}  # conn -> the directions that sent their close
    last_t = 0.0
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        event = _event(path, number, _json_line(path, number, raw))
        where = f"{path}:{number}"
        if event.t < last_t:
            raise ConfigError(f"{where}: t {event.t:g} is before the previous event's {last_t:g}")
        last_t = event.t
        closed = state.get(event.conn)
        if event.kind == "open":
            if closed is not None:
                raise ConfigError(f"{where}: connection {event.conn} is opened a second time")
            state[event.conn] = set()
        elif closed is None:
            raise ConfigError(
                f"{where}: connection {event.conn} has a {event.kind} before its open"
            )
        elif closed and (event.kind != "close" or event.dir in closed):
            # After a close only the peer's answering close may follow.
            raise ConfigError(
                f"{where}: a {event.dir} {event.kind} frame on connection {event.conn} "
                "after its close"
            )
        elif event.kind == "close":
            closed.add(event.dir)
        events.append(event)
    if not state:
        raise ConfigError(f"{path}: the capture has no connection")
    return Capture(str(path), header, tuple(events))


def _json_line(path: Path, number: int, raw: str) -> dict[str, Any]:
    try:
        line = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
    if not isinstance(line, dict):
        raise ConfigError(f"{path}:{number}: expected a JSON object")
    return line


def _header(path: Path, line: Mapping[str, Any]) -> CaptureHeader:
    where = f"{path}:1"
    if line.get("format") != FORMAT:
        raise ConfigError(f"{where}: format: expected {FORMAT!r}, not {line.get('format')!r}")
    if line.get("version") != VERSION:
        raise ConfigError(
            f"{where}: version: {line.get('version')!r} is not a known capture version "
            f"(this harness reads version {VERSION})"
        )
    profile = line.get("profile")
    if not isinstance(profile, str) or not profile:
        raise ConfigError(f"{where}: profile: expected a profile name or file")
    recorded = line.get("recorded_at")
    if not isinstance(recorded, str):
        raise ConfigError(f"{where}: recorded_at: expected an ISO 8601 time")
    source = line.get("source", {})
    if not isinstance(source, dict):
        raise ConfigError(f"{where}: source: expected an object")
    volatile = _strings(line.get("volatile", list(DEFAULT_VOLATILE)), f"{where}: volatile")
    redacted = _strings(line.get("redacted", []), f"{where}: redacted")
    note = line.get("note", "")
    if not isinstance(note, str):
        raise ConfigError(f"{where}: note: expected a string")
    collapse = _strings(line.get("collapse", []), f"{where}: collapse")
    rules = _strings(line.get("rules", []), f"{where}: rules")
    transport = line.get("transport", "websocket")
    if transport not in TRANSPORTS:
        raise ConfigError(f"{where}: transport: expected one of {', '.join(TRANSPORTS)}")
    return CaptureHeader(
        profile, recorded, source, volatile, redacted, note, collapse, rules, transport
    )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _event(path: Path, number: int, line: Mapping[str, Any]) -> CaptureEvent:
    where = f"{path}:{number}"
    t = line.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        raise ConfigError(f"{where}: t: expected seconds since the start (a number >= 0)")
    conn = line.get("conn")
    if isinstance(conn, bool) or not isinstance(conn, int) or conn < 1:
        raise ConfigError(f"{where}: conn: expected a connection number >= 1")
    direction = line.get("dir")
    if direction not in DIRECTIONS:
        raise ConfigError(f"{where}: dir: expected one of {', '.join(DIRECTIONS)}")
    kind = line.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind: expected one of {', '.join(KINDS)}")
    if kind == "open":
        if direction != "client":
            raise ConfigError(f"{where}: dir: a connection is opened by the client")
        opened = _open_fields(where, line)
        return CaptureEvent(float(t), conn, direction, kind, line=number, **opened)
    if kind == "text":
        data = line.get("data")
        if not isinstance(data, str):
            raise ConfigError(f"{where}: data: expected the frame's text")
        return CaptureEvent(float(t), conn, direction, kind, data=data, line=number)
    if kind == "binary":
        data = line.get("data_b64")
        try:
            base64.b64decode(data if isinstance(data, str) else "?", validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{where}: data_b64: expected base64") from None
        return CaptureEvent(float(t), conn, direction, kind, data=str(data), line=number)
    code = line.get("code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise ConfigError(f"{where}: code: expected a close code or null (unknown)")
    if isinstance(code, int) and not 1000 <= code <= 4999:
        raise ConfigError(f"{where}: code: {code} is not a close code (1000 to 4999)")
    reason = line.get("reason", "")
    if not isinstance(reason, str):
        raise ConfigError(f"{where}: reason: expected a string")
    return CaptureEvent(float(t), conn, direction, kind, code=code, reason=reason, line=number)


def _open_fields(where: str, line: Mapping[str, Any]) -> dict[str, Any]:
    path = line.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError(f"{where}: path: expected the handshake's path")
    query = line.get("query", {})
    headers = line.get("headers", {})
    for name, value in (("query", query), ("headers", headers)):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"{where}: {name}: expected an object of strings")
    subprotocols = _strings(line.get("subprotocols", []), f"{where}: subprotocols")
    return {"path": path, "query": query, "headers": headers, "subprotocols": subprotocols}


def write_capture(path: Path, header: CaptureHeader, events: Sequence[CaptureEvent]) -> None:
    """Write a whole capture (the HAR converter)."""
    writer = CaptureWriter(path, header)
    try:
        for event in events:
            writer.event(event)
    finally:
        writer.close()
