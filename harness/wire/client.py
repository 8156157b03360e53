"""An authenticated WebSocket client for suites: records every frame, every wait has a deadline."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from harness.errors import CheckFailed, TargetUnreachable
from harness.wire import protocol as P
from harness.wire.tokens import subprotocol_for
from harness.wire.transcript import Transcript

TRANSPORTS: Final = ("header", "subprotocol", "query", "none")
DEFAULT_WITHIN: Final = 5.0


class _Absent:
    """Marks an argument that was not given (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

_conn_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class User:
    """A synthetic user: its id (the token's `sub`) and its token."""

    id: str
    token: str


class Client:
    """One WebSocket connection of a suite test."""

    def __init__(
        self, ws: ClientConnection, user: User | None, transcript: Transcript, conn: int
    ) -> None:
        self.user = user
        self.established: dict[str, Any] | None = None
        self.frames: list[dict[str, Any]] = []
        self._ws = ws
        self._transcript = transcript
        self._conn = conn
        self._buffer: list[dict[str, Any]] = []
        self._cond = asyncio.Condition()
        self._closed = False
        self.close_code: int | None = None
        self._reader = asyncio.create_task(self._read())

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server selected, if any."""
        return self._ws.subprotocol

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side)."""
        return self._closed

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, bytes):
                    frame: dict[str, Any] = {"__binary__": message.hex()[:200]}
                    self._transcript.add(
                        "recv", size=len(message), data="<binary>", conn=self._conn
                    )
                else:
                    frame = _parse(message)
                    self._transcript.add(
                        "recv",
                        frame_type=_type_of(frame),
                        size=len(message.encode()),
                        data=message,
                        conn=self._conn,
                    )
                async with self._cond:
                    self.frames.append(frame)
                    self._buffer.append(frame)
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            rcvd = self._ws.protocol.close_rcvd
            self.close_code = rcvd.code if rcvd is not None else None
            self._transcript.add(
                "close",
                close_code=self.close_code,
                data=rcvd.reason if rcvd is not None else "no close frame",
                conn=self._conn,
            )
            async with self._cond:
                self._closed = True
                self._cond.notify_all()

    async def send(self, frame: Mapping[str, Any]) -> None:
        """Send one JSON text frame exactly as given."""
        await self.send_raw(json.dumps(frame, allow_nan=True))

    async def send_raw(self, data: str | bytes) -> None:
        """Send a raw text (str) or binary (bytes) frame."""
        if isinstance(data, bytes):
            self._transcript.add("send", size=len(data), data="<binary>", conn=self._conn)
        else:
            self._transcript.add(
                "send",
                frame_type=_type_of(_parse(data)),
                size=len(data.encode()),
                data=data,
                conn=self._conn,
            )
        try:
            await asyncio.wait_for(self._ws.send(data), DEFAULT_WITHIN)
        except ConnectionClosed as exc:
            raise CheckFailed(
                "sending a frame",
                expected="an open connection",
                observed=f"connection closed (code {_code(exc)})",
                frames=self._transcript.export(),
            ) from None
        except TimeoutError:
            raise CheckFailed(
                "sending a frame",
                expected=f"the frame accepted within {DEFAULT_WITHIN:g} s",
                observed="the target stopped reading",
            ) from None

    async def request(
        self,
        type: str,
        payload: Any = ABSENT,
        *,
        message_id: str | None = None,
        timestamp: Any = ABSENT,
        extra: Mapping[str, Any] | None = None,
        within: float = DEFAULT_WITHIN,
    ) -> dict[str, Any]:
        """Send a frame of `type` and return its direct reply (pong, ack, thread_history, error)."""
        mid = message_id if message_id is not None else f"m-{uuid.uuid4().hex[:12]}"
        frame: dict[str, Any] = {"type": type, "message_id": mid}
        frame["payload"] = {} if payload is ABSENT else payload
        if timestamp is not ABSENT:
            frame["timestamp"] = timestamp
        frame.update(extra or {})
        await self.send(frame)
        return await self._take(
            lambda f: f.get("type") in P.DIRECT_REPLIES and f.get("message_id") == mid,
            within,
            f"a direct reply ({'/'.join(P.DIRECT_REPLIES)}) with message_id {mid!r} to {type!r}",
        )

    async def recv(self, within: float = DEFAULT_WITHIN) -> dict[str, Any]:
        """The next frame; CheckFailed on timeout or close."""
        return await self._take(lambda f: True, within, "a frame")

    async def expect(
        self, type: str, *, within: float = DEFAULT_WITHIN, **fields: Any
    ) -> dict[str, Any]:
        """The next frame of `type` whose top-level fields equal `fields`."""

        def match(frame: dict[str, Any]) -> bool:
            return frame.get("type") == type and all(
                frame.get(k, ABSENT) == v for k, v in fields.items()
            )

        wanted = type if not fields else f"{type} with {fields!r}"
        return await self._take(match, within, f"a {wanted} frame")

    async def collect_run(
        self, run_id: str | None = None, *, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """The agent events of one run, up to and including its first terminal event."""
        deadline = time.monotonic() + within
        events: list[dict[str, Any]] = []
        wanted = run_id
        while True:
            remaining = deadline - time.monotonic()

            def match(frame: dict[str, Any], wanted: str | None = wanted) -> bool:
                return frame.get("type") in P.AGENT_EVENTS and (
                    wanted is None or frame.get("run_id") == wanted
                )

            event = await self._take(
                match,
                remaining,
                f"the agent events of run {wanted or '(first)'} up to "
                f"{' or '.join(P.TERMINAL_EVENTS)} (got {[e.get('type') for e in events]})",
            )
            events.append(event)
            if wanted is None:
                wanted = event.get("run_id")
            if event.get("type") in P.TERMINAL_EVENTS:
                return events

    async def quiet(self, within: float = 0.3) -> list[dict[str, Any]]:
        """Wait out the window, then return (and consume) every unconsumed frame."""
        await asyncio.sleep(within)
        async with self._cond:
            taken, self._buffer = self._buffer, []
        return taken

    async def wait_closed(self, within: float = DEFAULT_WITHIN) -> int | None:
        """Wait for the server to close; return the close code it sent (None: no close frame)."""
        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(lambda: self._closed), within)
        except TimeoutError:
            raise CheckFailed(
                "waiting for the server to close the connection",
                expected=f"a close within {within:g} s",
                observed="the connection is still open",
                frames=self._transcript.export(),
            ) from None
        return self.close_code

    async def close(self, code: int = P.CLOSE_NORMAL) -> None:
        """Close from the client side (bounded by the connection's close timeout)."""
        if not self._closed:
            await self._ws.close(code)
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), DEFAULT_WITHIN)
        except TimeoutError:
            self._reader.cancel()

    async def _take(
        self, match: Callable[[dict[str, Any]], bool], within: float, wanted: str
    ) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            for i, frame in enumerate(self._buffer):
                if match(frame):
                    found.append(self._buffer.pop(i))
                    return True
            return self._closed

        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(ready), max(within, 0.0))
        except TimeoutError:
            raise CheckFailed(
                "waiting for the target",
                expected=f"{wanted} within {within:g} s",
                observed=f"nothing matching; unconsumed frames: {self._summary()}",
                frames=self._transcript.export(),
            ) from None
        if found:
            return found[0]
        raise CheckFailed(
            "waiting for the target",
            expected=wanted,
            observed=f"connection closed with code {self.close_code}; "
            f"unconsumed frames: {self._summary()}",
            frames=self._transcript.export(),
        )

    def _summary(self) -> str:
        types = [_type_of(f) for f in self._buffer]
        return repr(types[:10]) + (f" (+{len(types) - 10} more)" if len(types) > 10 else "")


async def open_client(
    ws_url: str,
    user: User | None,
    transcript: Transcript,
    *,
    transport: str = "header",
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
    query: Mapping[str, str] | None = None,
    established: bool = True,
    within: float = DEFAULT_WITHIN,
    compression: str | None = None,
) -> Client:
    """Open a connection for `user` with its token in `transport`; see docs/WRITING_SUITES.md."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS}, not {transport!r}")
    jwt = token if token is not None else (user.token if user is not None else None)
    request_headers = dict(headers or {})
    offered = list(subprotocols or [])
    params = dict(query or {})
    if jwt is not None:
        if transport == "header":
            request_headers["Authorization"] = f"Bearer {jwt}"
        elif transport == "subprotocol":
            offered.insert(0, subprotocol_for(jwt))
        elif transport == "query":
            params[P.TOKEN_QUERY_PARAM] = jwt
    url = ws_url + ("?" + urlencode(params) if params else "")
    conn = next(_conn_ids)
    transcript.add("open", data=f"{transport} {url.split('?')[0]}", conn=conn)
    try:
        ws = await ws_connect(
            url,
            additional_headers=request_headers,
            subprotocols=[Subprotocol(s) for s in offered] or None,
            open_timeout=within,
            close_timeout=2.0,
            ping_interval=None,
            max_size=None,
            compression=compression,
        )
    except (ConnectionRefusedError, OSError) as exc:
        raise TargetUnreachable(f"cannot connect to {ws_url}: {exc}") from None
    except InvalidStatus as exc:
        raise CheckFailed(
            "opening handshake",
            expected="101 Switching Protocols (auth failures are an error frame and close 1008)",
            observed=f"HTTP {exc.response.status_code}",
            frames=transcript.export(),
        ) from None
    except (InvalidHandshake, TimeoutError) as exc:
        raise CheckFailed(
            "opening handshake",
            expected=f"a WebSocket handshake within {within:g} s",
            observed=f"{type(exc).__name__}: {exc}",
            frames=transcript.export(),
        ) from None
    client = Client(ws, user, transcript, conn)
    if established:
        first = await client.recv(within)
        if first.get("type") != P.CONNECTION_ESTABLISHED:
            raise CheckFailed(
                "first frame after the handshake",
                expected=P.CONNECTION_ESTABLISHED,
                observed=first,
                frames=transcript.export(),
            )
        client.established = first
    return client


def is_close(a: object, b: float, tol: float = P.TIMESTAMP_TOLERANCE_S) -> bool:
    """True when `a` is a real number (not a bool) within `tol` of `b`."""
    return (
        isinstance(a, int | float)
        and not isinstance(a, bool)
        and math.isfinite(a)
        and abs(a - b) <= tol
    )


def _parse(text: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except ValueError:
        return {"__invalid_json__": text[:200]}
    return obj if isinstance(obj, dict) else {"__not_an_object__": obj}


def _type_of(frame: Mapping[str, Any]) -> str | None:
    value = frame.get("type")
    return value if isinstance(value, str) else None


def _code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None
