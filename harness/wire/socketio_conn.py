"""A socket.io connection that the harness's Client reads as it reads a WebSocket.

A profile whose `[transport] kind` is `socketio` (docs/PROFILES.md) speaks socket.io
(Engine.IO over WebSocket) through python-socketio's client. `SocketIOConnection`
offers what the frame buffer and the client use of a WebSocket connection: the
target's messages as JSON texts (`async for`), `send`, `close`, and how the
connection ended. Events become frames and frames events:

- a received event is the frame `{"type": EVENT, "data": ARG}` (several arguments:
  their list; none: no `data`), so that a payload's own `type` field stays its own;
- the server's connect packet (namespace `/` accepted) is the frame
  `{"type": "connect", "data": {"sid": SID}}`, the first of every connection;
- sending a frame `{"type": T, "data": X}` emits T with X; any other frame emits
  T with the rest of its fields; a frame without one emits nothing (T alone);
- with `ack_type` set, every emit asks for an acknowledgement and the target's
  acknowledgement arrives as the frame `{"type": ack_type, "event": T, "data": ARG}`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed

from harness.wire.ending import Ending

if TYPE_CHECKING:  # python-socketio is imported by the first socket.io connection only:
    import socketio  # a run over WebSocket does not pay for it (aiohttp, about 0.2 s)

CONNECT_EVENT: Final = "connect"
# Where an emitted text that is not a JSON object goes: socket.io has no bare frames.
RAW_EVENT: Final = "message"
CLOSE_WITHIN_S: Final = 2.0  # the harness's own disconnect, at most
_END: Final = object()

# How a socket.io connection ended, by python-socketio's reason: a server's disconnect
# packet and the harness's own disconnect are a clean close (1000, as the WebSocket
# under them); a transport that broke under socket.io ends with the close frame of its
# WebSocket where it got one (uvicorn's 1012 at shutdown), else is a drop without one.
_CLEAN: Final = {"server disconnect": "the server disconnected", "client disconnect": ""}


class SocketIOFailed(Exception):
    """A socket.io connection that did not open: `kind` as HandshakeFailed says it;
    `connect_error` the payload of the server's refusal of the namespace's connect."""

    def __init__(self, kind: str, message: str, connect_error: str | None = None) -> None:
        self.kind = kind
        self.connect_error = connect_error
        super().__init__(message)


class SocketIOConnection:
    """One socket.io connection, offering what a WebSocket connection offers the Client."""

    subprotocol: str | None = None

    def __init__(self, ack_type: str = "") -> None:
        import socketio

        self._sio: socketio.AsyncClient = socketio.AsyncClient(reconnection=False)
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._ack_type = ack_type
        self.reason: str | None = None  # python-socketio's disconnect reason, once ended
        self.refused: str | None = None  # the server's connect_error payload, if any
        self.ws_close_code: int | None = None
        self._sio.on("*", self._event)
        self._sio.on(CONNECT_EVENT, self._connected)
        self._sio.on("connect_error", self._connect_error)
        self._sio.on("disconnect", self._disconnected)

    async def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        auth: Mapping[str, Any] | None,
        within: float,
    ) -> None:
        """Connect over WebSocket only; SocketIOFailed when it does not open in `within` s."""
        import engineio
        import socketio

        parts = urlsplit(url)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        base = urlunsplit((scheme, parts.netloc, "", parts.query, ""))
        try:
            async with asyncio.timeout(within):
                await self._sio.connect(
                    base,
                    headers=dict(headers),
                    auth=dict(auth) if auth is not None else None,
                    transports=["websocket"],
                    socketio_path=parts.path or "/socket.io",
                    wait_timeout=within,
                )
        except TimeoutError:
            await self._shut()
            raise SocketIOFailed("timeout", f"no socket.io connect within {within:g} s") from None
        except socketio.exceptions.ConnectionError as exc:
            await self._shut()
            if not isinstance(exc.__cause__, engineio.exceptions.ConnectionError):
                # The transport opened and the server refused the namespace's connect.
                raise SocketIOFailed(
                    "refused", f"connect refused: {self.refused}", self.refused or "null"
                ) from None
            # Engine.IO says "Connection error" both when nothing listens and when the
            # upgrade is answered with an HTTP status: a TCP connection tells them apart.
            if not await _listening(parts.hostname or "", parts.port or 80, within):
                raise SocketIOFailed("unreachable", f"{exc}: nothing listens") from None
            raise SocketIOFailed("refused", f"the socket.io upgrade failed ({exc})") from None

    async def _shut(self) -> None:
        """Stop what a connect that failed left open (its HTTP session)."""
        await self._sio.disconnect()
        http = self._sio.eio.http
        if http is not None and not http.closed:
            await http.close()

    async def _connected(self) -> None:
        sid = self._sio.get_sid("/")
        self._put({"type": CONNECT_EVENT, "data": {"sid": sid}})

    async def _connect_error(self, data: Any = None) -> None:
        self.refused = json.dumps(data, default=str)

    async def _disconnected(self, reason: str = "") -> None:
        self.reason = reason or "server disconnect"
        # The close frame of the WebSocket under Engine.IO, when it ended with one.
        ws = getattr(self._sio.eio, "ws", None)
        code = getattr(ws, "close_code", None)
        self.ws_close_code = code if isinstance(code, int) else None
        self._queue.put_nowait(_END)

    async def _event(self, event: str, *args: Any) -> None:
        self._put(as_frame(event, args))

    def _put(self, frame: Mapping[str, Any]) -> None:
        self._queue.put_nowait(json.dumps(frame, default=str))

    def __aiter__(self) -> AsyncIterator[str]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            assert isinstance(item, str)
            yield item

    async def send(self, data: str | bytes) -> None:
        """Emit one frame as an event; ConnectionClosed once the connection is gone."""
        import socketio

        if not self._sio.connected:
            raise ConnectionClosed(None, None)
        event, args = as_event(data)
        callback = None
        if self._ack_type:

            def callback(*reply: Any, event: str = event) -> None:
                frame = as_frame(self._ack_type, reply)
                self._put({**frame, "event": event})

        try:
            await self._sio.emit(event, args, callback=callback)
        except socketio.exceptions.SocketIOError:
            raise ConnectionClosed(None, None) from None

    async def close(self, code: int = 1000) -> None:
        """Disconnect (the socket.io close has no code of its own), at most CLOSE_WITHIN_S."""
        if self._sio.connected:
            try:
                async with asyncio.timeout(CLOSE_WITHIN_S):
                    await self._sio.disconnect()
            except TimeoutError:
                self.reason = "the harness gave up its disconnect"
                self._queue.put_nowait(_END)
        if self.reason is None:
            self.reason = "client disconnect"
            self._queue.put_nowait(_END)

    def ending(self, aborted: bool) -> Ending:
        """How the connection ended, as the Client's failures name it."""
        reason = self.reason or ""
        if reason not in _CLEAN and self.ws_close_code is not None:
            # The transport closed under socket.io, with a close frame (a server shutting
            # down, say): its code is the connection's.
            said = f"socket.io: {reason}, WebSocket close {self.ws_close_code}"
            return Ending(close_code=self.ws_close_code, reason=said)
        if reason in _CLEAN:
            said = _CLEAN[reason]
            return Ending(close_code=1000, reason=f"socket.io: {said or 'closed by the harness'}")
        return Ending(dropped=not aborted, reason=None)


async def _listening(host: str, port: int, within: float) -> bool:
    """Whether a TCP connection to host:port opens within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def as_frame(event: str, args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """A received event (or acknowledgement) as a frame."""
    if not args:
        return {"type": event}
    return {"type": event, "data": args[0] if len(args) == 1 else list(args)}


def as_event(data: str | bytes) -> tuple[str, Any]:
    """A frame to send as (event, data): see the module's docstring."""
    if isinstance(data, bytes):
        return RAW_EVENT, data
    try:
        frame = json.loads(data)
    except ValueError:
        return RAW_EVENT, data
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return RAW_EVENT, data
    event = frame.pop("type")
    if set(frame) == {"data"}:
        return event, frame["data"]
    return event, (frame or None)


def auth_payload(template: Mapping[str, Any], token: str | None) -> dict[str, Any]:
    """The connect `auth` payload: `{token}` is the user's token, `{session}` a fresh id."""
    session = str(uuid.uuid4())

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{token}", token or "").replace("{session}", session)
        return value

    return {key: fill(value) for key, value in template.items()}
