"""The socket.io transport (`[transport] kind = "socketio"`, docs/PROFILES.md): a real
python-socketio server on 127.0.0.1, port 0, and the harness's Client over it.

Events are frames `{"type": EVENT, "data": ARG}`, the server's connect packet is the
first frame, a frame sent is an event emitted, an acknowledgement is a frame of the
profile's `ack_type`, the connect `auth` payload and a cookie carry the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import socketio
from aiohttp import web

from harness.errors import CheckFailed, ConfigError
from harness.wire.client import Client, User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript

TOKEN = "tok-123"
PROFILE = """[profile]
name = "sio-test"

[endpoint]
ws_path = "/ws/socket.io"

[auth]
transports = ["header", "query"]

[transport]
kind = "socketio"
auth = { token = "{token}", sessionId = "{session}", clientType = "harness" }
cookie = "access_token"
ack_type = "{ack}"
"""


class Target:
    """A socket.io server: `echo` is echoed as `echoed`, `ask` is acknowledged with
    `{"answer": 42}`, `bye` disconnects; a connect whose auth token is not TOKEN is
    refused. It keeps each connection's auth payload and cookie header."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp")
        self.seen: list[tuple[dict[str, Any], str]] = []
        self.port = 0
        self.sio.on("connect", self._connect)
        self.sio.on("echo", self._echo)
        self.sio.on("ask", self._ask)
        self.sio.on("bye", self._bye)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        self.seen.append((dict(auth or {}), environ.get("HTTP_COOKIE", "")))
        if (auth or {}).get("token") != TOKEN:
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")

    async def _echo(self, sid: str, data: Any) -> None:
        await self.sio.emit("echoed", data, to=sid)

    async def _ask(self, sid: str, data: Any) -> dict[str, int]:
        return {"answer": 42}

    async def _bye(self, sid: str) -> None:
        await self.sio.disconnect(sid)


@pytest_asyncio.fixture
async def target() -> AsyncIterator[Target]:
    server = Target()
    app = web.Application()
    server.sio.attach(app, socketio_path="/ws/socket.io")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server
    await runner.cleanup()


def _profile(tmp_path: Path, ack: str = "") -> Any:
    path = tmp_path / "sio.toml"
    path.write_text(PROFILE.replace("{ack}", ack))
    return load_profile(path)


async def _open(target: Target, tmp_path: Path, token: str = TOKEN, ack: str = "") -> Client:
    return await open_client(
        f"ws://127.0.0.1:{target.port}/ws/socket.io",
        User("u-1", token),
        Transcript(),
        established=False,
        within=5.0,
        profile=_profile(tmp_path, ack),
    )


@pytest.mark.asyncio
async def test_events_are_frames_both_ways(target: Target, tmp_path: Path) -> None:
    async with await _open(target, tmp_path) as client:
        first = await client.recv(within=5.0)
        assert first["type"] == "connect"
        assert isinstance(first["data"]["sid"], str) and first["data"]["sid"]
        # A payload with a `type` of its own keeps it under `data`.
        await client.send({"type": "echo", "data": {"type": "tool", "n": 1}})
        assert await client.recv(within=5.0) == {"type": "echoed", "data": {"type": "tool", "n": 1}}
        # Any other frame emits the rest of its fields.
        await client.send({"type": "echo", "message": {"output": "hi"}})
        assert await client.recv(within=5.0) == {
            "type": "echoed",
            "data": {"message": {"output": "hi"}},
        }


@pytest.mark.asyncio
async def test_the_auth_payload_and_cookie_carry_the_token(target: Target, tmp_path: Path) -> None:
    async with await _open(target, tmp_path) as client:
        await client.recv(within=5.0)
    auth, cookie = target.seen[-1]
    assert auth["token"] == TOKEN
    assert auth["clientType"] == "harness"
    assert len(auth["sessionId"]) == 36  # a fresh uuid per connection
    assert "access_token=tok-123" in cookie


@pytest.mark.asyncio
async def test_an_acknowledgement_is_a_direct_reply_frame(target: Target, tmp_path: Path) -> None:
    async with await _open(target, tmp_path, ack="ack") as client:
        await client.expect("connect", within=5.0)
        await client.send({"type": "ask", "data": {"q": 1}})
        reply = await client.expect("ack", within=5.0)
        assert reply == {"type": "ack", "event": "ask", "data": {"answer": 42}}


@pytest.mark.asyncio
async def test_a_refused_connect_fails_the_opening(target: Target, tmp_path: Path) -> None:
    with pytest.raises(CheckFailed) as failed:
        await _open(target, tmp_path, token="forged")
    assert failed.value.what == "opening handshake"
    assert "authentication failed" in str(failed.value.observed)


@pytest.mark.asyncio
async def test_a_server_disconnect_is_a_clean_close(target: Target, tmp_path: Path) -> None:
    client = await _open(target, tmp_path)
    await client.expect("connect", within=5.0)
    await client.send({"type": "bye"})
    assert await client.wait_closed(within=5.0) == 1000
    assert client.end_failure() is None
    with pytest.raises(CheckFailed) as failed:
        await client.send({"type": "echo", "data": 1})
    assert failed.value.what == "sending a frame"


@pytest.mark.asyncio
async def test_an_unreachable_target_fails_as_refused_tcp(tmp_path: Path) -> None:
    server = Target()  # not started: nothing listens on the port below
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        server.port = sock.getsockname()[1]
    with pytest.raises(CheckFailed) as failed:
        await asyncio.wait_for(_open(server, tmp_path), 10)
    assert failed.value.what == "opening a connection"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('kind = "carrier-pigeon"', ":5: transport.kind: expected one of websocket, socketio"),
        (
            'kind = "socketio"',
            ": auth.transports: socket.io offers no subprotocol: header or query only",
        ),
    ],
)
def test_a_bad_transport_is_refused_naming_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[profile]\nname = "bad"\n\n[transport]\n{text}\n')
    with pytest.raises(ConfigError) as failed:
        load_profile(path)
    assert str(failed.value) == f"{path}{expected}"
