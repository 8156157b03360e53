"""Opening a WebSocket connection: where the token goes, and why a handshake failed.

One opener for every connection the harness opens to a target: the suites'
client (harness.wire.client), the replay player and the recording proxy's
upstream side. It places a token by transport (PROTOCOL.md section 1: the
`Authorization` header, a `jwt.` subprotocol, a `?token=` query parameter, or
in the target's profile's own names) and turns every way a handshake fails
into one `HandshakeFailed` that says which way; each caller words it for its
readers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.datastructures import HeadersLike
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.http11 import USER_AGENT, Response
from websockets.proxy import get_proxy
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI, parse_uri

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.causes import Cause, CauseWatch, limit_for
from harness.wire.ending import MAX_RECEIVED_BYTES
from harness.wire.pending import HANDSHAKE_KEY, describe_cause
from harness.wire.push_conn import PushConnection
from harness.wire.socketio_conn import SocketIOConnection, SocketIOFailed
from harness.wire.tokens import subprotocol_for
from harness.wire.transcript import Transcript

TRANSPORTS: Final = ("header", "subprotocol", "query", "none")

Failure = Literal["timeout", "unreachable", "refused", "invalid"]


@dataclass(slots=True)
class Handshake:
    """What a client presents in its opening handshake besides the URL's path."""

    headers: dict[str, str] = field(default_factory=dict)
    subprotocols: list[str] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)

    def url(self, ws_url: str) -> str:
        """`ws_url` with the query parameters appended."""
        return ws_url + ("?" + urlencode(self.query) if self.query else "")


def place_token(
    token: str | None,
    transport: str,
    auth: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
    query: Mapping[str, str] | None = None,
) -> Handshake:
    """The handshake presenting `token` by `transport`, besides what else it carries.

    `auth` is a profile's `[auth]` table: its subprotocol prefix and query parameter
    name; without one, the canonical `jwt.` and `token`. The token subprotocol is
    offered first. No token (or transport `none`) presents nothing.
    """
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS}, not {transport!r}")
    placed = Handshake(dict(headers or {}), list(subprotocols or []), dict(query or {}))
    if token is None:
        return placed
    if transport == "header":
        placed.headers["Authorization"] = f"Bearer {token}"
    elif transport == "subprotocol":
        prefix = auth["subprotocol_prefix"] if auth is not None else P.SUBPROTOCOL_PREFIX
        placed.subprotocols.insert(0, subprotocol_for(token, prefix))
    elif transport == "query":
        placed.query[auth["query_param"] if auth is not None else P.TOKEN_QUERY_PARAM] = token
    return placed


class HandshakeFailed(Exception):
    """A connection that did not open, and which way it failed.

    `timeout`: accepted, then no handshake in time; `unreachable`: no TCP connection
    (refused, reset); `refused`: the target answered the upgrade with an HTTP status
    (`response`); `invalid`: any other broken handshake. `error` is what websockets raised.
    """

    def __init__(self, kind: Failure, error: Exception) -> None:
        self.kind: Failure = kind
        self.error = error
        self.response: Response | None = (
            error.response if isinstance(error, InvalidStatus) else None
        )
        super().__init__(f"{type(error).__name__}: {error}")

    @property
    def status(self) -> int | None:
        """The HTTP status of a refused handshake; None otherwise."""
        return self.response.status_code if self.response is not None else None


@functools.lru_cache(maxsize=256)
def _proxy(secure: bool, host: str, port: int) -> str | None:
    return get_proxy(WebSocketURI(secure=secure, host=host, port=port, path="/", query=""))


def proxy_for(url: str) -> str | None:
    """The proxy a connection to `url` goes through (websockets' choice from the proxy
    environment variables), read once per host and port in a process: websockets reads
    the whole environment at each connection, which cost a crowd of 100 users as much
    CPU as their handshakes. An invalid URL is websockets' to refuse (None here)."""
    try:
        uri = parse_uri(url)
    except InvalidURI:
        return None
    return _proxy(uri.secure, uri.host, uri.port)


async def open_websocket(
    url: str,
    *,
    headers: HeadersLike | None = None,
    subprotocols: Sequence[str] = (),
    open_timeout: float,
    close_timeout: float,
    max_size: int | None,
    compression: str | None = "deflate",
    user_agent: str | None = USER_AGENT,
    push: bool = False,
) -> ClientConnection:
    """Open a WebSocket connection (no keepalive pings); HandshakeFailed when it does not open.
    With `push`, a `PushConnection`: its messages go to the reader it attaches, not `recv()`."""
    try:
        return await connect(
            url,
            proxy=proxy_for(url),
            additional_headers=headers,
            subprotocols=[Subprotocol(s) for s in subprotocols] or None,
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=None,
            max_size=max_size,
            compression=compression,
            user_agent_header=user_agent,
            create_connection=PushConnection if push else None,
        )
    except TimeoutError as exc:  # an OSError too: accepted, then no handshake in time
        raise HandshakeFailed("timeout", exc) from exc
    except OSError as exc:
        raise HandshakeFailed("unreachable", exc) from exc
    except InvalidStatus as exc:
        raise HandshakeFailed("refused", exc) from exc
    except InvalidHandshake as exc:
        raise HandshakeFailed("invalid", exc) from exc


async def open_for_test(
    url: str,
    placed: Handshake,
    *,
    within: float,
    compression: str | None,
    causes: CauseWatch | None,
    transcript: Transcript,
) -> ClientConnection:
    """Open a suite test's connection (at most MAX_RECEIVED_BYTES a frame); CheckFailed when
    it does not open, TargetRefused when the target refuses TCP."""
    # A target that went silent (stopped, blackholed) accepts TCP and never answers: once
    # one handshake timed out, later opens of the run wait the short deadline only.
    known = causes.known(HANDSHAKE_KEY) if causes is not None else None
    limit = limit_for(known, within)
    try:
        return await open_websocket(
            url,
            headers=placed.headers,
            subprotocols=placed.subprotocols,
            open_timeout=limit,
            close_timeout=2.0,
            max_size=MAX_RECEIVED_BYTES,
            compression=compression,
            push=True,  # read by the client's frame buffer (harness/wire/frame_io.py)
        )
    except HandshakeFailed as failed:
        raise _handshake_failure(failed, within, limit, known, causes, transcript) from None


async def open_socketio_for_test(
    url: str,
    placed: Handshake,
    *,
    auth: Mapping[str, Any] | None,
    ack_type: str,
    within: float,
    causes: CauseWatch | None,
    transcript: Transcript,
) -> SocketIOConnection:
    """Open a suite test's socket.io connection (harness.wire.socketio_conn); fails as
    `open_for_test` does when it does not open."""
    known = causes.known(HANDSHAKE_KEY) if causes is not None else None
    limit = limit_for(known, within)
    conn = SocketIOConnection(ack_type)
    try:
        await conn.open(url, headers=placed.headers, auth=auth, within=limit)
    except SocketIOFailed as exc:
        if exc.connect_error is not None:
            raise ConnectRefused(exc.connect_error, transcript.export()) from None
        failed = HandshakeFailed(exc.kind, exc)  # type: ignore[arg-type]
        raise _handshake_failure(failed, within, limit, known, causes, transcript) from None
    return conn


class ConnectRefused(CheckFailed):
    """A socket.io target refused the namespace's connect with a connect_error packet
    (`payload`, its JSON text): how such a dialect refuses a connection (a bad token)."""

    def __init__(self, payload: str, frames: Sequence[dict[str, Any]]) -> None:
        super().__init__(
            "opening handshake",
            expected="the namespace's connect accepted",
            observed=f"connect refused: {payload}",
            frames=frames,
        )
        self.payload = payload


class TargetRefused(CheckFailed):
    """The target refused or reset a new connection: a failure of the target in a test.

    Only preflight, before any test runs, reads it as "the target is unreachable".
    """


def _handshake_failure(
    failed: HandshakeFailed,
    within: float,
    limit: float,
    known: Cause | None,
    causes: CauseWatch | None,
    transcript: Transcript,
) -> CheckFailed:
    """How a test fails on a connection that did not open; a handshake timeout is a cause
    (`known`: recorded already, `limit`: the short deadline waited for it)."""
    frames = transcript.export()
    if failed.kind == "timeout" and causes is not None:
        if known is not None:
            causes.met_again(known)
            return CheckFailed(
                known.named(causes.test),
                expected=f"a WebSocket handshake within {limit:.3g} s (a known cause: short "
                "deadline)",
                observed=str(failed),
                frames=frames,
                cause=known,
            )
        causes.timed_out(HANDSHAKE_KEY, describe_cause(HANDSHAKE_KEY, within))
    if failed.kind == "unreachable":
        return TargetRefused(
            "opening a connection",
            expected="the target accepting a TCP connection",
            observed=str(failed),
            frames=frames,
        )
    if failed.kind == "refused":
        return CheckFailed(
            "opening handshake",
            expected="101 Switching Protocols (auth failures are an error frame and close 1008)",
            observed=f"HTTP {failed.status}" if failed.status is not None else str(failed.error),
            frames=frames,
        )
    return CheckFailed(
        "opening handshake",
        expected=f"a WebSocket handshake within {within:g} s",
        observed=str(failed),
        frames=frames,
    )
