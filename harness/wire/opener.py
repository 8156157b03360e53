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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.datastructures import HeadersLike
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.http11 import USER_AGENT, Response
from websockets.typing import Subprotocol

from harness.wire import protocol as P
from harness.wire.tokens import subprotocol_for

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
) -> ClientConnection:
    """Open a WebSocket connection (no keepalive pings); HandshakeFailed when it does not open."""
    try:
        return await connect(
            url,
            additional_headers=headers,
            subprotocols=[Subprotocol(s) for s in subprotocols] or None,
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=None,
            max_size=max_size,
            compression=compression,
            user_agent_header=user_agent,
        )
    except TimeoutError as exc:  # an OSError too: accepted, then no handshake in time
        raise HandshakeFailed("timeout", exc) from exc
    except OSError as exc:
        raise HandshakeFailed("unreachable", exc) from exc
    except InvalidStatus as exc:
        raise HandshakeFailed("refused", exc) from exc
    except InvalidHandshake as exc:
        raise HandshakeFailed("invalid", exc) from exc
