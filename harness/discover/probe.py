"""Talking to a live server to learn its dialect: every wait bounded by the budget.

The probes, in order: the health routes (GET), the three token transports, the first
frames (notices before the welcome, the welcome, frames while idle), a refused
handshake (no token), then on one connection a ping, a message that starts a turn
(chat-agent/1's `user_message`, else an openai-realtime-like item and response), an
unknown type, a second connection of the same user and invalid JSON; last, an oversize
frame on a connection of its own. What each probe saw is kept raw, for the draft's
comments.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from harness.errors import HarnessError
from harness.wire import http
from harness.wire.opener import HandshakeFailed, open_websocket, place_token
from harness.wire.profile import lookup

HEALTH_PATHS: Final = ("/health", "/ws/health", "/healthz", "/api/health", "/status")
NO_SUCH_PATH: Final = "/stability-harness-no-such-route"
TRANSPORTS: Final = ("header", "subprotocol", "query")
QUESTION: Final = "What is 2+3?"
# The frames whose arrival ends a turn in the dialects the harness knows.
TERMINALS: Final = frozenset({"agent_completed", "agent_error", "response.done"})
SETTLE_S: Final = 1.0  # how long the first frames are listened for
QUIET_S: Final = 1.5  # a reply is over when nothing more comes for this long
IDLE_S: Final = 6.0  # how long the connection is listened to, idle, for heartbeats
OVERSIZE_RESERVE_S: Final = 5.0  # budget the idle listening leaves for the oversize probe
TURN_S: Final = 10.0  # the longest a turn is waited for
MAX_FRAME_BYTES: Final = 16 * 2**20
ERROR_CODE_PATHS: Final = (
    "error_code",
    "error.code",
    "code",
    "data.error_code",
    "payload.error_code",
)


class Receiving(Protocol):  # what `collect` reads: a WebSocket, or routed.py's Reader
    async def recv(self) -> str | bytes: ...


class DiscoveryFailed(HarnessError):
    """The server could not be talked to at all: no connection, closed at once, garbage."""


@dataclass(slots=True)
class Budget:
    """The deadline of the whole discovery; each wait is the smaller of its own and what is left."""

    within: float
    end: float = 0.0

    def __post_init__(self) -> None:
        self.end = time.monotonic() + self.within

    def left(self) -> float:
        return self.end - time.monotonic()

    def wait(self, seconds: float) -> float:
        return max(0.05, min(seconds, self.left()))


@dataclass(slots=True)
class Exchange:
    """What one probe sent and what came back: raw frames and the close code, if closed."""

    sent: str = ""
    frames: list[str] = field(default_factory=list)
    closed: int | None = None
    tried: bool = True

    def parsed(self) -> list[dict[str, Any]]:
        return [p for p in (as_object(f) for f in self.frames) if p is not None]

    def types(self) -> list[str]:
        return [str(p.get("type")) for p in self.parsed()]


@dataclass(slots=True)
class Observations:
    """Everything the probes saw, raw."""

    url: str
    transport: str = "header"  # the first transport that opened a connection
    transports: dict[str, str] = field(default_factory=dict)  # name -> "accepted" or why not
    health: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> status, body
    first: Exchange = field(default_factory=Exchange)  # frames right after the handshake
    idle: Exchange = field(default_factory=Exchange)  # frames unasked, after the other probes
    welcome_index: int | None = None  # which of first.frames is the welcome
    refusal: Exchange = field(default_factory=Exchange)
    ping: Exchange = field(default_factory=Exchange)
    chat_turn: Exchange = field(default_factory=Exchange)
    realtime_turn: Exchange = field(default_factory=lambda: Exchange(tried=False))
    unknown: Exchange = field(default_factory=Exchange)
    second: Exchange = field(default_factory=Exchange)
    invalid_json: Exchange = field(default_factory=Exchange)
    oversize: Exchange = field(default_factory=Exchange)
    oversize_bytes: int = 0

    @property
    def welcome(self) -> dict[str, Any] | None:
        if self.welcome_index is None:
            return None
        return as_object(self.first.frames[self.welcome_index])


def as_object(text: str) -> dict[str, Any] | None:
    """A frame's JSON object, or None when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def code_of(frame: Mapping[str, Any]) -> str | None:
    """The error code a frame carries, where the known dialects write it; None: no error."""
    for path in ERROR_CODE_PATHS:
        value = lookup(frame, path)
        if isinstance(value, str) and value:
            return value
    return None


def closest(welcome: Mapping[str, Any] | None) -> str | None:
    """The built-in profile whose welcome this is; None when it is none of theirs."""
    if welcome is None:
        return None
    kind = welcome.get("type")
    if kind == "connection_established":
        return "chat-agent/1"
    if kind == "system_message" and lookup(welcome, "data.event") == "connection_established":
        return "netra-2025-09"
    if kind == "session.created":
        return "openai-realtime"
    return None


def announced_limit(welcome: Mapping[str, Any] | None) -> int | None:
    """The largest frame the welcome announces, where the known dialects write it."""
    for path in ("limits.max_message_bytes", "data.config.max_message_size"):
        value = lookup(welcome or {}, path)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


async def discover(
    url: str, token: str, within: float, fallback_limit: Callable[[str], int]
) -> Observations:
    """Run every probe against `url` within `within` seconds; DiscoveryFailed when none opens.

    `fallback_limit(base)` is the frame limit of a built-in profile, tried when the
    welcome announces none.
    """
    budget = Budget(within)
    seen = Observations(url=url)
    await asyncio.to_thread(_health, seen, budget)
    opened = await _transports(seen, token, budget)
    ws = opened
    try:
        await _first_frames(seen, ws, budget)
        await _exchange(seen.refusal, None, budget, _open_plain(url, budget))
        await _ask(ws, seen.ping, budget, _frame("ping", timestamp=time.time()))
        await _turn(ws, seen, budget)
        await _ask(ws, seen.unknown, budget, _frame("stability_harness_unknown_type"))
        await _second(seen, token, budget)
        await _ask(ws, seen.invalid_json, budget, "{not json")
        idle = min(IDLE_S, budget.left() - OVERSIZE_RESERVE_S)
        if idle > 0 and seen.invalid_json.closed is None:
            await collect(ws, seen.idle, budget, quiet=idle, longest=idle)
        else:
            seen.idle.tried = False
    finally:
        await ws.close()
    base = closest(seen.welcome) or "chat-agent/1"
    limit = announced_limit(seen.welcome) or fallback_limit(base)
    seen.oversize_bytes = limit + 1
    await _oversize(seen, token, budget, limit + 1)
    return seen


def _frame(kind: str, **more: Any) -> str:
    return json.dumps({"type": kind, "message_id": f"discover-{uuid.uuid4().hex[:8]}", **more})


def _http_base(url: str) -> str:
    parts = urlsplit(url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def _health(seen: Observations, budget: Budget) -> None:
    base = _http_base(seen.url)
    for path in (*HEALTH_PATHS, "/stats", NO_SUCH_PATH):
        if budget.left() <= 0:
            return
        try:
            reply = http.get(base + path, within=budget.wait(2.0))
        except HarnessError:
            continue
        seen.health[path] = (reply.status, reply.text[:200])


async def _connect(url: str, token: str | None, transport: str, budget: Budget) -> ClientConnection:
    placed = place_token(token, transport if token is not None else "none")
    return await open_websocket(
        placed.url(url),
        headers=placed.headers,
        subprotocols=placed.subprotocols,
        open_timeout=budget.wait(5.0),
        close_timeout=budget.wait(2.0),
        max_size=MAX_FRAME_BYTES,
    )


async def _open_plain(url: str, budget: Budget) -> ClientConnection:
    return await _connect(url, None, "none", budget)


async def _transports(seen: Observations, token: str, budget: Budget) -> ClientConnection:
    """Try each transport; keep the first accepted connection open, close the others."""
    kept: ClientConnection | None = None
    for transport in TRANSPORTS:
        try:
            ws = await _connect(seen.url, token, transport, budget)
        except HandshakeFailed as exc:
            refused = f"refused (HTTP {exc.status})" if exc.status is not None else None
            seen.transports[transport] = refused or exc.kind
            continue
        if kept is None:
            kept, seen.transport = ws, transport
            seen.transports[transport] = "accepted"
            continue
        got = Exchange()
        await collect(ws, got, budget, quiet=SETTLE_S)
        await ws.close()
        bad = got.closed is not None or not got.frames or _refusal_like(got)
        seen.transports[transport] = f"not accepted ({_describe(got)})" if bad else "accepted"
    if kept is None:
        reasons = "; ".join(f"{t}: {why}" for t, why in seen.transports.items())
        raise DiscoveryFailed(f"{seen.url}: no connection opened with the token ({reasons})")
    return kept


def _refusal_like(got: Exchange) -> bool:
    return any(code_of(p) is not None for p in got.parsed())


def _describe(got: Exchange) -> str:
    if got.closed is not None:
        return f"closed with code {got.closed}" + (
            f" after {got.frames[0][:80]}" if got.frames else ""
        )
    return got.frames[0][:80] if got.frames else "no frame"


async def _first_frames(seen: Observations, ws: ClientConnection, budget: Budget) -> None:
    """The frames after the handshake: notices, the welcome, and what comes while idle."""
    await collect(ws, seen.first, budget, quiet=SETTLE_S, longest=2 * SETTLE_S + 1.0)
    if not seen.first.frames and seen.first.closed is not None:
        raise DiscoveryFailed(
            f"{seen.url}: the server closed the connection at once (code {seen.first.closed}) "
            "before sending any frame"
        )
    for index, text in enumerate(seen.first.frames):
        parsed = as_object(text)
        if parsed is None:
            raise DiscoveryFailed(
                f"{seen.url}: the server sent a frame that is not a JSON object: {text[:80]!r}"
            )
        if seen.welcome_index is None and closest(parsed) is not None:
            seen.welcome_index = index
    if seen.welcome_index is None and seen.first.frames:
        seen.welcome_index = 0  # a dialect of its own: its first frame is taken for the welcome


async def _exchange(into: Exchange, sent: str | None, budget: Budget, opening: Any) -> None:
    """Open a connection (`opening`), send `sent` if any, keep what comes until it closes."""
    try:
        ws = await opening
    except HandshakeFailed as exc:
        into.sent = f"handshake refused ({exc.status if exc.status is not None else exc.kind})"
        return
    try:
        if sent is not None:
            await ws.send(sent)
        await collect(ws, into, budget, quiet=QUIET_S)
    except ConnectionClosed as exc:
        into.closed = exc.rcvd.code if exc.rcvd is not None else 1006
    finally:
        await ws.close()


async def _ask(
    ws: ClientConnection,
    into: Exchange,
    budget: Budget,
    frame: str,
    until: frozenset[str] = frozenset(),
) -> None:
    """Send one frame and keep the replies until quiet, a frame of `until` or a close."""
    if budget.left() <= 0:
        into.tried = False
        return
    into.sent = frame
    try:
        await ws.send(frame)
    except ConnectionClosed as exc:
        into.closed = exc.rcvd.code if exc.rcvd is not None else 1006
        return
    await collect(ws, into, budget, quiet=QUIET_S, longest=TURN_S if until else 4.0, until=until)


async def _turn(ws: ClientConnection, seen: Observations, budget: Budget) -> None:
    thread = f"discover-thread-{uuid.uuid4().hex[:6]}"
    chat = _frame("user_message", payload={"content": QUESTION, "thread_id": thread})
    await _ask(ws, seen.chat_turn, budget, chat, until=TERMINALS)
    if set(seen.chat_turn.types()) & TERMINALS or seen.chat_turn.closed is not None:
        return
    seen.realtime_turn.tried = True
    item = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": QUESTION}],
    }
    create = json.dumps(
        {"type": "conversation.item.create", "event_id": "discover-e1", "item": item}
    )
    await _ask(ws, Exchange(), budget, create)
    respond = json.dumps({"type": "response.create", "event_id": "discover-e2"})
    await _ask(ws, seen.realtime_turn, budget, respond, until=TERMINALS)
    seen.realtime_turn.sent = create + "\n" + respond


async def _second(seen: Observations, token: str, budget: Budget) -> None:
    """A second connection of the same user while the first is open: what it is answered."""
    try:
        ws = await _connect(seen.url, token, seen.transport, budget)
    except HandshakeFailed as exc:
        seen.second.sent = f"handshake refused ({exc.status or exc.kind})"
        return
    try:
        await collect(ws, seen.second, budget, quiet=SETTLE_S)
    finally:
        await ws.close()


async def _oversize(seen: Observations, token: str, budget: Budget, size: int) -> None:
    if budget.left() <= 0:
        seen.oversize.tried = False
        return
    head = _frame("user_message", payload={"content": "", "thread_id": "discover-oversize"})
    pad = size - len(head.encode())
    frame = head.replace('"content": ""', '"content": "' + "x" * pad + '"')
    await _exchange(seen.oversize, frame, budget, _connect(seen.url, token, seen.transport, budget))
    if seen.oversize.frames:  # the welcome came first: keep only what answered the frame
        seen.oversize.frames = seen.oversize.frames[1:]
    seen.oversize.sent = f"a text frame of {len(frame.encode())} bytes ({frame[:60]}...)"


async def collect(
    ws: Receiving,
    into: Exchange,
    budget: Budget,
    *,
    quiet: float,
    longest: float = 4.0,
    until: frozenset[str] = frozenset(),
) -> None:
    """Append frames until `quiet` seconds pass with none, a frame of `until`, a close, or
    `longest` seconds (never past the budget)."""
    stop = time.monotonic() + min(longest, max(0.05, budget.left()))
    while (left := stop - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(ws.recv(), min(quiet, left))
        except TimeoutError:
            return
        except ConnectionClosed as exc:
            into.closed = exc.rcvd.code if exc.rcvd is not None else 1006
            return
        text = message if isinstance(message, str) else f"<binary frame of {len(message)} bytes>"
        into.frames.append(text)
        parsed = as_object(text)
        if parsed is not None and parsed.get("type") in until:
            return
