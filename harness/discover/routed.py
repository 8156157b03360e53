"""Discovery through a built-in dialect's machinery: socket.io and set-up calls.

A socket.io server (a URL path naming socket.io, or an Engine.IO open packet `0{"sid":
...}` answering a WebSocket handshake on `<path>/?EIO=4&transport=websocket`) is talked
to through the project's socket.io client (harness/wire/socketio_conn.py), with each
connect `auth` payload worth trying: none, then each built-in socket.io dialect's. A
WebSocket path with a placeholder (`/api/ws/runs/{run_id}`) is opened after set-up
calls (harness/wire/setup_calls.py): those of `--start FILE` when given, else those of
the built-in whose `ws_path` has the same route. On the connection that opened, the
first frames are kept and a turn is asked for in each request form worth trying:
chat-agent/1's `user_message`, openai-realtime's item and response, then each candidate
built-in's `[turn.request]` frames as that profile writes them.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from harness.discover.probe import (
    QUESTION,
    QUIET_S,
    SETTLE_S,
    TERMINALS,
    TURN_S,
    Budget,
    DiscoveryFailed,
    Exchange,
    as_object,
    collect,
)
from harness.errors import HarnessError
from harness.wire.opener import HandshakeFailed, open_websocket, place_token
from harness.wire.profile import BUILT_IN, Profile, load_profile, lookup
from harness.wire.setup_calls import fill, run_setup, setup_calls, ws_url_with
from harness.wire.socketio_conn import SocketIOConnection, SocketIOFailed, auth_payload
from harness.wire.transcript import Transcript
from harness.wire.turn_shape import Matcher, shape_of

ENGINEIO_QUERY: Final = "EIO=4&transport=websocket"
_PLACEHOLDER: Final = re.compile(r"\\\{[A-Za-z_][A-Za-z0-9_]*\\\}")


@dataclass(slots=True)
class Request:
    """One way of asking for a turn: whose form it is, and the frames (as texts)."""

    whose: str
    frames: tuple[str, ...]


@dataclass(slots=True)
class Routed:
    """What the probes through socket.io or set-up calls saw, raw."""

    url: str
    kind: str  # "socketio" or "websocket"
    why: str  # how the transport was recognised: the evidence, raw
    candidates: tuple[str, ...]  # the built-ins whose machinery was used
    auth_tried: list[tuple[str, str]] = field(default_factory=list)  # (payload, outcome)
    auth: dict[str, Any] | None = None  # the auth template that connected (socket.io)
    setup_from: str = ""  # where the set-up calls came from ("" : none)
    setup: list[str] = field(default_factory=list)  # what each call answered
    first: Exchange = field(default_factory=Exchange)
    turns: list[tuple[Request, Exchange]] = field(default_factory=list)

    @property
    def welcome(self) -> dict[str, Any] | None:
        return as_object(self.first.frames[0]) if self.first.frames else None


def built_ins() -> dict[str, Profile]:
    """Every built-in profile, by name."""
    return {name: load_profile(name) for name in BUILT_IN}


def _route(ws_path: str) -> re.Pattern[str]:
    """A ws_path with placeholders as a pattern of paths: a placeholder is one segment."""
    return re.compile(_PLACEHOLDER.sub("[^/]+", re.escape(ws_path)) + "$")


def by_route(path: str, profiles: Mapping[str, Profile]) -> list[str]:
    """The built-ins with set-up calls whose ws_path is the route of `path`."""
    return [
        name
        for name, p in profiles.items()
        if p.data.get("setup") and _route(p.section("endpoint")["ws_path"]).match(path)
    ]


async def engineio_open(url: str, budget: Budget) -> str | None:
    """The Engine.IO open packet a handshake on `<path>/?EIO=4...` answers; None: none."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/"
    probe = urlunsplit((parts.scheme, parts.netloc, path, ENGINEIO_QUERY, ""))
    try:
        ws = await open_websocket(
            probe, open_timeout=budget.wait(3.0), close_timeout=1.0, max_size=2**20
        )
    except HandshakeFailed:
        return None
    try:
        first = await asyncio.wait_for(ws.recv(), budget.wait(SETTLE_S))
    except (TimeoutError, ConnectionClosed):
        return None
    finally:
        await ws.close()
    text = first if isinstance(first, str) else ""
    opened = as_object(text[1:]) if text.startswith("0") else None
    return text if opened is not None and "sid" in opened else None


async def discover_routed(
    url: str, token: str, within: float, start: Profile | None
) -> Routed | None:
    """Probe `url` through socket.io or set-up calls; None when it needs neither."""
    budget = Budget(within)
    profiles = built_ins()
    path = urlsplit(url).path
    if "socket.io" in path:
        why = f"the URL path {path} names socket.io"
    else:
        packet = await engineio_open(url, budget)
        why = f"a handshake on {path.rstrip('/')}/?{ENGINEIO_QUERY} answered {packet}"
        if packet is None:
            return await _set_up(url, token, budget, profiles, start)
    sio = tuple(n for n, p in profiles.items() if p.section("transport")["kind"] == "socketio")
    seen = Routed(url=url, kind="socketio", why=why, candidates=sio)
    conn = await _open_socketio(seen, token, budget, profiles)
    reader = Reader(conn)
    try:
        await collect(reader, seen.first, budget, quiet=SETTLE_S, longest=2 * SETTLE_S + 1.0)
        await _turns(reader, seen, budget, profiles, {})
    finally:
        await conn.close()
        reader.stop()
    return seen


async def _open_socketio(
    seen: Routed, token: str, budget: Budget, profiles: Mapping[str, Profile]
) -> SocketIOConnection:
    shapes: list[dict[str, Any] | None] = [None]
    shapes += [dict(profiles[n].section("transport")["auth"]) for n in seen.candidates]
    for shape in shapes:
        conn = SocketIOConnection()
        payload = auth_payload(shape, token) if shape is not None else None
        try:
            await conn.open(seen.url, headers={}, auth=payload, within=budget.wait(5.0))
        except SocketIOFailed as exc:
            seen.auth_tried.append((_shown(shape), f"{exc.kind}: {exc}"))
            continue
        seen.auth_tried.append((_shown(shape), "connected"))
        seen.auth = shape
        return conn
    tried = "; ".join(f"auth {s}: {why}" for s, why in seen.auth_tried)
    raise DiscoveryFailed(f"{seen.url}: no socket.io connection opened ({tried})")


def _shown(shape: Mapping[str, Any] | None) -> str:
    return "none" if shape is None else json.dumps(shape)


async def _set_up(
    url: str,
    token: str,
    budget: Budget,
    profiles: Mapping[str, Profile],
    start: Profile | None,
) -> Routed | None:
    """A WebSocket opened after set-up calls: --start's, else a built-in's of this route."""
    path = urlsplit(url).path
    names: tuple[str, ...] = ()
    if start is not None and start.data.get("setup"):
        source = start
    else:
        names = tuple(by_route(path, profiles))
        if not names and "{" in path:
            raise DiscoveryFailed(
                f"{url}: no built-in has the route {path}: give --start FILE whose [[setup]] "
                "calls save its placeholders (docs/PROFILES.md)"
            )
        if not names:
            return None
        source = profiles[names[0]]
    seen = Routed(url=url, kind="websocket", why="", candidates=names)
    seen.setup_from = start.source if start is not None and not names else names[0]
    transcript = Transcript()
    try:
        values = await run_setup(url, setup_calls(source.data), "", transcript, conn=0)
    except HarnessError as exc:
        raise DiscoveryFailed(
            f"{url}: the set-up calls of {seen.setup_from} failed: {exc}"
        ) from None
    sent = [e for e in transcript.export() if e["dir"] == "send"]
    got = [e for e in transcript.export() if e["dir"] == "recv"]
    seen.setup = [
        f"{s['data']} -> {g['type']} {g['data'][:120]}" for s, g in zip(sent, got, strict=True)
    ]
    opened = ws_url_with(url, values)
    transport = source.auth["default_transport"]
    placed = place_token(token if transport != "none" else None, transport)
    try:
        ws = await open_websocket(
            placed.url(opened),
            headers=placed.headers,
            subprotocols=placed.subprotocols,
            open_timeout=budget.wait(5.0),
            close_timeout=budget.wait(2.0),
            max_size=2**24,
        )
    except HandshakeFailed as exc:
        raise DiscoveryFailed(
            f"{opened}: no connection opened after the set-up calls ({exc})"
        ) from None
    try:
        await collect(ws, seen.first, budget, quiet=SETTLE_S, longest=2 * SETTLE_S + 1.0)
        candidates: dict[str, Profile] = {name: profiles[name] for name in names}
        await _turns(ws, seen, budget, candidates or {"": source}, values)
    finally:
        await ws.close()
    return seen


def requests(candidates: Mapping[str, Profile], values: Mapping[str, Any]) -> list[Request]:
    """The request forms worth trying: chat-agent/1's and openai-realtime's where the
    candidates are not known by their route, then each candidate's own."""
    out: list[Request] = []
    if not values:
        thread = f"discover-thread-{uuid.uuid4().hex[:6]}"
        chat = {"type": "user_message", "message_id": "discover-m1"}
        chat["payload"] = {"content": QUESTION, "thread_id": thread}  # type: ignore[assignment]
        out.append(Request("chat-agent/1", (json.dumps(chat),)))
        item = {"type": "message", "role": "user"}
        item["content"] = [{"type": "input_text", "text": QUESTION}]  # type: ignore[assignment]
        create = {"type": "conversation.item.create", "event_id": "discover-e1", "item": item}
        respond = {"type": "response.create", "event_id": "discover-e2"}
        out.append(Request("openai-realtime", (json.dumps(create), json.dumps(respond))))
    for name, profile in candidates.items():
        filled = [
            fill(t, {**values, "content": QUESTION, "id": f"discover-{i}", "uuid": _uuid()})
            for i, t in enumerate(shape_of(profile).request.frames)
        ]
        out.append(Request(name or profile.source, tuple(json.dumps(f) for f in filled)))
    return out


def _uuid() -> str:
    return str(uuid.uuid4())


def terminals(profiles: Mapping[str, Profile]) -> frozenset[str]:
    """The types of every terminal frame of `profiles`, and of the dialects probe knows."""
    kinds = {m.type for p in profiles.values() for m in shape_of(p).terminals}
    return TERMINALS | kinds


async def _turns(
    conn: Any,
    seen: Routed,
    budget: Budget,
    candidates: Mapping[str, Profile],
    values: Mapping[str, Any],
) -> None:
    """Ask for a turn in each request form until one gets a terminal or the connection ends."""
    by_name = {n: p for n, p in built_ins().items() if n in seen.candidates} or candidates
    until = terminals(by_name)
    for request in requests(candidates if values else by_name, values):
        got = Exchange(sent="\n".join(request.frames))
        seen.turns.append((request, got))
        if budget.left() <= 0:
            got.tried = False
            return
        try:
            for frame in request.frames:
                await conn.send(frame)
        except ConnectionClosed:
            got.closed = 1006
            return
        await collect(conn, got, budget, quiet=QUIET_S, longest=TURN_S, until=until)
        if set(got.types()) & until or got.closed is not None:
            return


def matching(seen: Routed, profiles: Mapping[str, Profile]) -> tuple[str, str, str] | None:
    """The candidate built-in whose welcome and turn the server's frames are: its name,
    the welcome seen and the frames of the turn seen (raw)."""
    for name in seen.candidates:
        shape = shape_of(profiles[name])
        welcome = profiles[name].frames["connection_established"]
        frame = seen.welcome or {}
        said = all(lookup(frame, path) == value for path, value in welcome.match)
        if frame.get("type") != welcome.wire_type or not said:
            continue
        for _, got in seen.turns:
            frames = got.parsed()
            if _any(shape.start, frames) and _any(shape.terminals, frames):
                return name, seen.first.frames[0], " ".join(got.types())
    return None


def _any(matchers: Sequence[Matcher], frames: Sequence[Mapping[str, Any]]) -> bool:
    return any(m.matches(f) for m in matchers for f in frames)


class Reader:
    """A socket.io connection read as a WebSocket is (`recv`, ConnectionClosed at its end):
    a task moves its frames into a queue, so that a wait that times out loses none."""

    def __init__(self, conn: SocketIOConnection) -> None:
        self.conn = conn
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for text in self.conn:
            self._queue.put_nowait(text)
        self._queue.put_nowait(None)

    async def recv(self) -> str:
        text = await self._queue.get()
        if text is None:
            self._queue.put_nowait(None)
            code = self.conn.ending(aborted=False).close_code
            raise ConnectionClosed(Close(code or 1006, ""), None)
        return text

    async def send(self, frame: str) -> None:
        await self.conn.send(frame)

    def stop(self) -> None:
        self._task.cancel()
