"""`capture from-har`: the WebSocket messages of a HAR file as a capture.

Browsers' developer tools and Playwright write a WebSocket's messages into its
HAR entry as `_webSocketMessages`: `{"type": "send"|"receive", "time", "opcode",
"data"}` (`time` in epoch seconds from Chromium's developer tools, in epoch
milliseconds from Playwright; opcode 1 text, 2 binary as base64). Each such
entry becomes one capture connection. A HAR records no close frames: each
connection ends with a close whose code is unknown (null), which the judge does
not compare.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from harness.errors import ConfigError
from harness.replay.capture import CaptureEvent, CaptureHeader, utc_stamp, write_capture
from harness.replay.redact import redact_headers, redact_query, redact_subprotocols, redact_text

TEXT: Final = 1
BINARY: Final = 2
# Epoch times above this are milliseconds (year 5138 in seconds).
MS_THRESHOLD: Final = 1e11


def har_to_capture(har_path: Path, out: Path, *, profile: str = "chat-agent/1") -> int:
    """Convert `har_path` into a capture at `out`; return the number of connections."""
    try:
        document = json.loads(har_path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{har_path}: cannot read the HAR: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{har_path}: not a HAR (JSON) file: {exc}") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{har_path}: log.entries: expected the HAR's list of entries")
    sockets = [
        (index, entry)
        for index, entry in enumerate(entries)
        if isinstance(entry, dict) and isinstance(entry.get("_webSocketMessages"), list)
    ]
    if not sockets:
        raise ConfigError(f"{har_path}: no WebSocket entry with _webSocketMessages")
    starts = [_entry_start(entry) for _, entry in sockets]
    origin = min((s for s in starts if s is not None), default=0.0)
    events: list[tuple[float, int, CaptureEvent]] = []
    redacted: set[str] = set()
    for conn, ((index, entry), start) in enumerate(zip(sockets, starts, strict=True), start=1):
        events += _connection(har_path, index, entry, conn, start, origin, redacted)
    events.sort(key=lambda item: (item[0], item[1]))
    header = CaptureHeader(
        profile=profile,
        recorded_at=utc_stamp(),
        source={"kind": "har", "file": har_path.name, "connections": len(sockets)},
        redacted=tuple(sorted(redacted)),
        note="close codes are not recorded in a HAR: they are unknown and not judged",
    )
    write_capture(out, header, [event for _, _, event in events])
    return len(sockets)


def _entry_start(entry: Mapping[str, Any]) -> float | None:
    times = [_seconds(m.get("time")) for m in entry["_webSocketMessages"] if isinstance(m, dict)]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None  # Playwright writes -1 when timings are omitted
    return value / 1000 if value > MS_THRESHOLD else float(value)


def _connection(
    har_path: Path,
    index: int,
    entry: Mapping[str, Any],
    conn: int,
    start: float | None,
    origin: float,
    redacted: set[str],
) -> list[tuple[float, int, CaptureEvent]]:
    where = f"{har_path}: log.entries[{index}]"
    request = entry.get("request", {})
    url = request.get("url") if isinstance(request, dict) else None
    if not isinstance(url, str):
        raise ConfigError(f"{where}.request.url: expected the WebSocket's URL")
    parts = urlsplit(url)
    pairs = [(h.get("name", ""), h.get("value", "")) for h in request.get("headers", [])]
    offered = [
        p.strip()
        for name, value in pairs
        if name.lower() == "sec-websocket-protocol"
        for p in value.split(",")
        if p.strip()
    ]
    headers, r1 = redact_headers(pairs)
    query, r2 = redact_query(dict(parse_qsl(parts.query)))
    subprotocols, r3 = redact_subprotocols(offered)
    redacted.update(r1, r2, r3)
    opened_at = (start or origin) - origin
    out = [
        (
            opened_at,
            0,
            CaptureEvent(
                t=opened_at,
                conn=conn,
                dir="client",
                kind="open",
                path=parts.path or "/",
                query=query,
                subprotocols=tuple(subprotocols),
                headers=headers,
            ),
        )
    ]
    last = opened_at
    for number, message in enumerate(entry["_webSocketMessages"], start=1):
        if not isinstance(message, dict) or message.get("type") not in ("send", "receive"):
            raise ConfigError(
                f"{where}._webSocketMessages[{number - 1}]: expected type send or receive"
            )
        at = _seconds(message.get("time"))
        t = max(last, (at - origin) if at is not None else last)
        last = t
        direction = "client" if message["type"] == "send" else "server"
        opcode = message.get("opcode", TEXT)
        data = message.get("data", "")
        if not isinstance(data, str):
            raise ConfigError(f"{where}._webSocketMessages[{number - 1}].data: expected a string")
        if opcode == TEXT:
            text, count = redact_text(data)
            if count:
                redacted.add("jwt in frames")
            event = CaptureEvent(t=t, conn=conn, dir=direction, kind="text", data=text)
        elif opcode == BINARY:
            event = CaptureEvent(t=t, conn=conn, dir=direction, kind="binary", data=data)
        else:
            continue  # control frames (close, ping, pong) carry nothing the judge compares
        out.append((t, number, event))
    out.append((last, len(out) + 1, CaptureEvent(t=last, conn=conn, dir="client", kind="close")))
    return out
