"""`stability-harness record`: a transparent WebSocket proxy that writes a capture.

Both sides are the `websockets` library. The proxy opens the upstream connection
while the client's handshake is in progress (same path and query, the offered
subprotocols, the authorization and other headers that matter), answers the
client with the subprotocol the upstream selected (or with the upstream's
refusal), then relays every message both ways unchanged and closes each side
with the code and reason the other sent. The capture keeps what was forwarded,
with tokens and secrets redacted; what is forwarded is never redacted.

With a socket.io profile (`[transport] kind = "socketio"`) the proxy forwards the
Engine.IO WebSocket transport the same way (`?EIO=4&transport=websocket`) and records
its events as the frames the harness's socket.io client shows (harness/replay/
sio_frames.py). A client that starts with HTTP long-polling is refused with HTTP 400
and one line saying so: only the WebSocket transport is forwarded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from harness.errors import ConfigError
from harness.exit_codes import ExitCode
from harness.replay.capture import (
    DEFAULT_VOLATILE,
    CaptureEvent,
    CaptureHeader,
    CaptureWriter,
    utc_stamp,
)
from harness.replay.redact import redact_headers, redact_query, redact_subprotocols, redact_text
from harness.replay.sio_frames import SocketIOFrames
from harness.wire.opener import HandshakeFailed, open_websocket
from harness.wire.profile import load_profile

UPSTREAM_OPEN_TIMEOUT_S: Final = 10.0
CLOSE_TIMEOUT_S: Final = 5.0
MAX_MESSAGE_BYTES: Final = 64 * 1024 * 1024
# Request headers forwarded upstream besides the subprotocols (hop-by-hop ones never are).
_NOT_FORWARDED: Final = frozenset(
    {
        "host",
        "connection",
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
    }
)
# What the capture redacts (the header says so; the forwarded traffic is untouched).
REDACTION_RULES: Final = (
    "authorization header",
    "credential-like headers",
    "token subprotocol",
    "?token= query parameter",
    "jwt in frames",
)
POLLING_REFUSED: Final = (
    "socket.io long-polling is not recorded: connect with the WebSocket transport only "
    "(transports=['websocket'])"
)
# Close codes that must not be sent in a close frame: forward them as "going away".
_RESERVED_CLOSE: Final = frozenset({1005, 1006, 1015})


@dataclass
class _Link:
    """One proxied connection: its number, its upstream side, its start."""

    number: int
    upstream: ClientConnection | None = None
    refused: Response | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    socketio: SocketIOFrames | None = None


class RecordingProxy:
    """Listens, forwards to `upstream`, and appends every event to the capture."""

    def __init__(
        self,
        upstream: str,
        writer: CaptureWriter,
        *,
        token_param: str = "token",
        subprotocol_prefix: str = "jwt.",
        transport: str = "websocket",
        ack_type: str = "",
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ConfigError(f"--upstream {upstream!r}: expected ws://HOST:PORT/PATH or wss://...")
        self._upstream = parts
        self._transport = transport
        self._ack_type = ack_type
        self._writer = writer
        self._token_param = token_param
        self._prefix = subprotocol_prefix
        self._numbers = itertools.count(1)
        self._links: dict[int, _Link] = {}
        self._t0 = time.monotonic()
        self._server: Server | None = None
        self.redacted: set[str] = set()

    def _t(self) -> float:
        return time.monotonic() - self._t0

    async def start(self, host: str, port: int) -> int:
        """Start listening; return the port (0 picks a free one)."""
        self._server = await serve(
            self._relay,
            host,
            port,
            process_request=self._open_upstream,
            select_subprotocol=self._select,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=None,
            close_timeout=CLOSE_TIMEOUT_S,
        )
        sockets = list(self._server.sockets)
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening; open connections close with 1001 (going away) on both sides.

        Relays that are already closing finish first, so a close in progress keeps
        its own code in the capture.
        """
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close(close_connections=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT_S)
        for link in list(self._links.values()):
            if link.upstream is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(link.upstream.close(1001), CLOSE_TIMEOUT_S)

    async def _open_upstream(self, conn: ServerConnection, request: Request) -> Response | None:
        target = urlsplit(request.path)
        if self._transport == "socketio" and _polling(target.query):
            print(f"refused {target.path}: {POLLING_REFUSED}", file=sys.stderr, flush=True)
            return conn.respond(400, POLLING_REFUSED + "\n")
        link = _Link(next(self._numbers))
        if self._transport == "socketio":
            link.socketio = SocketIOFrames(self._ack_type)
        self._links[id(conn)] = link
        offered = [
            p.strip()
            for value in request.headers.get_all("Sec-WebSocket-Protocol")
            for p in value.split(",")
            if p.strip()
        ]
        pairs = [(k, v) for k, v in request.headers.raw_items() if k.lower() not in _NOT_FORWARDED]
        headers, r1 = redact_headers(pairs)
        query, r2 = redact_query(dict(parse_qsl(target.query)), self._token_param)
        subprotocols, r3 = redact_subprotocols(offered, self._prefix)
        self.redacted.update(r1, r2, r3)
        self._writer.event(
            CaptureEvent(
                t=self._t(),
                conn=link.number,
                dir="client",
                kind="open",
                path=target.path or "/",
                query=query,
                subprotocols=tuple(subprotocols),
                headers=headers,
            )
        )
        url = urlunsplit(
            (
                self._upstream.scheme,
                self._upstream.netloc,
                target.path or "/",
                target.query,
                "",
            )
        )
        try:
            link.upstream = await open_websocket(
                url,
                headers=pairs,
                subprotocols=offered,
                open_timeout=UPSTREAM_OPEN_TIMEOUT_S,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=MAX_MESSAGE_BYTES,
                user_agent=None,
            )
        except HandshakeFailed as failed:
            refusal = failed.response
            if refusal is None:
                self._close_event(link, "server", None, f"upstream unreachable: {failed.error}")
                return conn.respond(502, f"upstream unreachable: {failed.error}\n")
            body = refusal.body.decode("utf-8", "replace") if refusal.body else ""
            reason = f"handshake refused: HTTP {refusal.status_code}"
            self._close_event(link, "server", None, reason)
            return Response(refusal.status_code, refusal.reason_phrase, Headers(), body.encode())
        return None

    def _select(self, conn: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        link = self._links.get(id(conn))
        chosen = link.upstream.subprotocol if link and link.upstream else None
        return chosen if chosen in offered else None

    async def _relay(self, conn: ServerConnection) -> None:
        link = self._links.get(id(conn))
        if link is None or link.upstream is None:
            return
        upstream = link.upstream
        forward = asyncio.create_task(self._pump(link, conn, upstream, "client"))
        backward = asyncio.create_task(self._pump(link, upstream, conn, "server"))
        link.tasks = [forward, backward]
        try:
            await asyncio.gather(forward, backward)
        finally:
            self._links.pop(id(conn), None)

    async def _pump(self, link: _Link, source: Any, sink: Any, direction: str) -> None:
        """Relay messages from `source` to `sink`; then close `sink` like `source` closed."""
        try:
            async for message in source:
                if link.socketio is not None:
                    for frame in link.socketio.feed(direction, message):
                        self._record_text(link, direction, frame)
                elif isinstance(message, bytes):
                    data = base64.b64encode(message).decode("ascii")
                    event = CaptureEvent(self._t(), link.number, direction, "binary", data=data)
                    self._writer.event(event)
                else:
                    self._record_text(link, direction, message)
                with contextlib.suppress(ConnectionClosed):
                    await sink.send(message)
        except ConnectionClosed:
            pass
        rcvd = source.protocol.close_rcvd
        code = rcvd.code if rcvd is not None else None
        reason = rcvd.reason if rcvd is not None else ""
        if rcvd is not None:
            self._close_event(link, direction, code, reason)
        forwarded = 1001 if code is None or code in _RESERVED_CLOSE else code
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sink.close(forwarded, reason), CLOSE_TIMEOUT_S)

    def _record_text(self, link: _Link, direction: str, message: str) -> None:
        text, count = redact_text(message)
        if count:
            self.redacted.add("jwt in frames")
        self._writer.event(CaptureEvent(self._t(), link.number, direction, "text", data=text))

    def _close_event(self, link: _Link, direction: str, code: int | None, reason: str) -> None:
        self._writer.event(
            CaptureEvent(self._t(), link.number, direction, "close", code=code, reason=reason)
        )


def _polling(query: str) -> bool:
    """Whether an Engine.IO request asks for a transport other than the WebSocket."""
    return dict(parse_qsl(query)).get("transport", "websocket") != "websocket"


def parse_listen(value: str) -> tuple[str, int]:
    """HOST:PORT of --listen; ConfigError naming what is wrong."""
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"--listen {value!r}: expected HOST:PORT (port 0 picks a free one)")
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"--listen {value!r}: the port is not a number") from None
    if not 0 <= number <= 65535:
        raise ConfigError(f"--listen {value!r}: the port is not from 0 to 65535")
    return host.strip("[]"), number


async def record(
    listen: str,
    upstream: str,
    out: Path,
    profile: str,
    ready: asyncio.Event | None = None,
    volatile: tuple[str, ...] = (),
) -> int:
    """Record until SIGINT or SIGTERM; the capture is valid up to that moment."""
    host, port = parse_listen(listen)
    loaded = load_profile(profile)
    auth = loaded.section("auth")
    carried = loaded.section("transport")
    header = CaptureHeader(
        profile=profile,
        recorded_at=utc_stamp(),
        source={"kind": "proxy", "listen": listen, "upstream": _without_query(upstream)},
        volatile=tuple(dict.fromkeys((*DEFAULT_VOLATILE, *volatile))),
        redacted=REDACTION_RULES,
        transport=carried["kind"],
    )
    writer = CaptureWriter(out, header)
    proxy = RecordingProxy(
        upstream,
        writer,
        token_param=auth["query_param"],
        subprotocol_prefix=auth["subprotocol_prefix"],
        transport=carried["kind"],
        ack_type=carried["ack_type"],
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        bound = await proxy.start(host, port)
        print(f"recording ws://{host}:{bound} -> {_without_query(upstream)} into {out}", flush=True)
        if ready is not None:
            ready.set()
        await stopping.wait()
    finally:
        await proxy.stop()
        writer.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print(f"stopped; {out} holds the capture", flush=True)
    return ExitCode.OK


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
