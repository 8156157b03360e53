"""Opening a replayed connection: the recorded handshake for a fresh user, on the replay's
target, over the capture's transport.

The recorded headers, query and subprotocols are sent again with the fresh user's token
where the recording had one (redacted values are dropped). When the profile has
`[[setup]]` calls, they are made first, as the suites make them (harness/wire/
setup_calls.py), and their saved values fill the profile's `ws_path`: the recorded path
names a resource of the recording (AutoGen Studio's run) that the target no longer has.
A socket.io capture opens through the harness's socket.io client with the profile's
connect auth; Engine.IO's own query parameters are the client's to set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection

from harness.errors import CheckFailed, ConfigError
from harness.replay.capture import Capture, CaptureEvent
from harness.replay.redact import REDACTED
from harness.replay.sio_frames import CONNECT_ERROR
from harness.wire.opener import HandshakeFailed, open_websocket
from harness.wire.profile import Profile
from harness.wire.setup_calls import run_setup, setup_calls, ws_url_with
from harness.wire.socketio_conn import SocketIOConnection, SocketIOFailed, auth_payload
from harness.wire.tokens import subprotocol_for
from harness.wire.transcript import Transcript

OPEN_WITHIN_S: Final = 5.0
# The query parameters python-socketio's client sets itself.
ENGINEIO_QUERY: Final = frozenset({"EIO", "transport", "t", "sid", "j", "b64"})

Opened = ClientConnection | SocketIOConnection


class NotOpened(Exception):
    """A replayed connection that did not open: why, and the frame the target sent instead
    (a socket.io connect_error, as the recording shows it), if any."""

    def __init__(self, problem: str, frame: Mapping[str, Any] | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.frame = dict(frame) if frame is not None else None


def transport_of(profile: Profile) -> str:
    """How the profile's frames travel: "websocket" or "socketio"."""
    return str(profile.section("transport")["kind"])


def check_transport(capture: Capture, profile: Profile) -> None:
    """ConfigError (one line) when the capture was recorded over another transport than the
    profile speaks."""
    recorded, spoken = capture.header.transport, transport_of(profile)
    if recorded != spoken:
        raise ConfigError(
            f"{capture.path}:1: transport: the capture was recorded over {recorded}, "
            f"the profile {profile.name} speaks {spoken}: it cannot be replayed with it"
        )


async def open_replayed(
    event: CaptureEvent,
    ws_url: str,
    profile: Profile,
    user: tuple[str, str],
    transport: str,
    transcript: Transcript | None,
) -> Opened:
    """Open the connection `event` recorded, for `user` (id, token); NotOpened if it does not."""
    user_id, token = user
    headers, query, offered = _handshake(event, token, profile.section("auth"))
    path = event.path
    calls = setup_calls(profile.data)
    if calls:
        kept = transcript if transcript is not None else Transcript()
        try:
            saved = await run_setup(ws_url, calls, user_id, kept, event.conn)
        except CheckFailed as failed:
            raise NotOpened(f"{failed.what}: {failed.observed}") from None
        path = urlsplit(ws_url_with(ws_url, saved)).path
    base = urlsplit(ws_url)
    if transport == "socketio":
        query = {k: v for k, v in query.items() if k not in ENGINEIO_QUERY}
    url = urlunsplit((base.scheme, base.netloc, path, urlencode(query), ""))
    if transcript is not None:
        # The path opened (a set-up call's run, not the recording's), as the evidence shows it.
        shown = f"replay {event.path}" if path == event.path else f"replay {path} ({event.path})"
        transcript.add("open", data=shown, conn=event.conn)
    if transport == "socketio":
        return await _open_socketio(url, headers, profile, token)
    try:
        return await open_websocket(
            url,
            headers=headers,
            subprotocols=offered,
            open_timeout=OPEN_WITHIN_S,
            close_timeout=2.0,
            max_size=None,
        )
    except HandshakeFailed as failed:
        if failed.kind == "refused":
            raise NotOpened(f"handshake refused: HTTP {failed.status}") from None
        raise NotOpened(f"cannot connect: {failed}") from None


async def _open_socketio(
    url: str, headers: Mapping[str, str], profile: Profile, token: str
) -> SocketIOConnection:
    carried = profile.section("transport")
    conn = SocketIOConnection(carried["ack_type"])
    auth = auth_payload(carried["auth"], token) if carried["auth"] else None
    try:
        await conn.open(url, headers=headers, auth=auth, within=OPEN_WITHIN_S)
    except SocketIOFailed as failed:
        if conn.refused is not None:
            # The namespace's connect refused: the recording shows the same as a frame.
            frame = {"type": CONNECT_ERROR, "data": _json_or_text(conn.refused)}
            raise NotOpened(str(failed), frame) from None
        raise NotOpened(f"cannot connect: {failed}") from None
    return conn


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _handshake(
    event: CaptureEvent, token: str, auth: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The recorded headers, query and subprotocols with `token` where the recording had one."""
    headers = {}
    for name, value in event.headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else "Bearer"
            headers[name] = f"{scheme} {token}"
        elif REDACTED not in value:
            headers[name] = value
    query = {
        k: (token if v == REDACTED and k == auth["query_param"] else v)
        for k, v in event.query.items()
        if v != REDACTED or k == auth["query_param"]
    }
    offered = []
    for sub in event.subprotocols:
        if sub == auth["subprotocol_prefix"] + REDACTED:
            offered.append(subprotocol_for(token, auth["subprotocol_prefix"]))
        elif REDACTED not in sub:
            offered.append(sub)
    return headers, query, offered


def closed_with(ws: Opened) -> tuple[int | None, str]:
    """The close code the target's side ended the connection with, and its reason."""
    if isinstance(ws, SocketIOConnection):
        ending = ws.ending(aborted=False)
        return ending.close_code, ending.reason or "no close frame"
    rcvd = ws.protocol.close_rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "no close frame")


async def close_as_recorded(ws: Opened, code: int, reason: str) -> None:
    """Close from the client's side (socket.io's disconnect has no code of its own)."""
    if isinstance(ws, SocketIOConnection):
        await ws.close(code)
    else:
        await ws.close(code, reason)
