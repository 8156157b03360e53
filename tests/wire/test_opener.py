"""The opener on its own: token placement per transport against the real reference server,
and each way a handshake fails; the client as an async context manager closes its socket."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from websockets.protocol import State

from harness.reference import ReferenceServer, ServerConfig, mint_token
from harness.wire import opener
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.opener import HandshakeFailed, open_websocket, place_token, proxy_for
from harness.wire.transcript import Transcript

SECRET = "opener-test-secret-5d2f0a9c-long-enough"
WITHIN = 5.0


@pytest_asyncio.fixture
async def server() -> AsyncIterator[ReferenceServer]:
    reference = ReferenceServer(ServerConfig(jwt_secret=SECRET, think_ms=1.0, tool_ms=1.0))
    await reference.start()
    yield reference
    await reference.stop()


def test_each_transport_places_the_token_where_protocol_md_says() -> None:
    # PROTOCOL.md section 1: `Authorization: Bearer <jwt>`, `jwt.<base64url(jwt) without
    # padding>` offered first, `?token=<jwt>`; base64url("a.b.c") is "YS5iLmM=".
    header = place_token("a.b.c", "header", headers={"X-Trace": "1"})
    assert (header.headers, header.subprotocols, header.query) == (
        {"X-Trace": "1", "Authorization": "Bearer a.b.c"},
        [],
        {},
    )
    sub = place_token("a.b.c", "subprotocol", subprotocols=["chat"])
    assert (sub.headers, sub.subprotocols, sub.query) == ({}, ["jwt.YS5iLmM", "chat"], {})
    query = place_token("a.b.c", "query", query={"v": "2"})
    assert (query.headers, query.subprotocols, query.query) == (
        {},
        [],
        {"v": "2", "token": "a.b.c"},
    )
    assert query.url("ws://h:1/ws") == "ws://h:1/ws?v=2&token=a.b.c"
    assert place_token("a.b.c", "none").url("ws://h:1/ws") == "ws://h:1/ws"
    assert place_token(None, "header").headers == {}


def test_a_profile_names_the_prefix_and_the_query_parameter() -> None:
    auth = {"subprotocol_prefix": "bearer.", "query_param": "access_token"}
    assert place_token("a.b.c", "subprotocol", auth).subprotocols == ["bearer.YS5iLmM"]
    assert place_token("a.b.c", "query", auth).query == {"access_token": "a.b.c"}


def test_an_unknown_transport_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="transport must be one of"):
        place_token("a.b.c", "cookie")


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["header", "subprotocol", "query"])
async def test_each_transport_is_accepted_by_the_reference_server(
    server: ReferenceServer, transport: str
) -> None:
    token = mint_token(SECRET, "u-opener")
    placed = place_token(token, transport)
    ws = await open_websocket(
        placed.url(server.ws_url),
        headers=placed.headers,
        subprotocols=placed.subprotocols,
        open_timeout=WITHIN,
        close_timeout=2.0,
        max_size=None,
    )
    try:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), WITHIN))
        expected_subprotocol = placed.subprotocols[0] if transport == "subprotocol" else None
        assert ws.subprotocol == expected_subprotocol
    finally:
        await ws.close()
    assert (welcome["type"], welcome["user_id"]) == ("connection_established", "u-opener")


@pytest.mark.asyncio
async def test_a_refused_upgrade_says_its_http_status(server: ReferenceServer) -> None:
    # Any path but the WebSocket endpoint answers 404 (PROTOCOL.md section 1).
    with pytest.raises(HandshakeFailed) as failed:
        await open_websocket(
            server.ws_url.removesuffix("/ws") + "/nope",
            open_timeout=WITHIN,
            close_timeout=2.0,
            max_size=None,
        )
    assert (failed.value.kind, failed.value.status) == ("refused", 404)


@pytest.mark.asyncio
async def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HandshakeFailed) as failed:
        await open_websocket(
            f"ws://127.0.0.1:{port}/ws", open_timeout=WITHIN, close_timeout=2.0, max_size=None
        )
    assert (failed.value.kind, failed.value.status) == ("unreachable", None)
    assert str(failed.value).startswith("ConnectionRefusedError: ")


async def _tcp_server(answer: bytes | None) -> tuple[asyncio.Server, str]:
    """Accepts TCP; then writes `answer` (None: says nothing) and keeps the socket open."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        await reader.read()  # until the client gives up
        writer.close()

    tcp = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    return tcp, f"ws://127.0.0.1:{port}/ws"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "kind"),
    [(None, "timeout"), (b"not an HTTP response\r\n\r\n", "invalid")],
    ids=["silent", "garbage"],
)
async def test_a_handshake_that_does_not_complete(answer: bytes | None, kind: str) -> None:
    tcp, url = await _tcp_server(answer)
    try:
        with pytest.raises(HandshakeFailed) as failed:
            await open_websocket(url, open_timeout=0.5, close_timeout=1.0, max_size=None)
    finally:
        tcp.close()
    assert (failed.value.kind, failed.value.status) == (kind, None)


@pytest.mark.asyncio
async def test_the_client_closes_its_connection_on_leaving_async_with(
    server: ReferenceServer,
) -> None:
    user = User("u-context", mint_token(SECRET, "u-context"))
    async with await open_client(server.ws_url, user, Transcript()) as client:
        pong = await client.request("ping", message_id="p-1")
        assert not client.closed
    assert (pong["type"], pong["message_id"]) == ("pong", "p-1")
    assert client.closed
    assert client.close_code == 1000  # the server's echo of the client's normal close
    assert client._ws.state is State.CLOSED
    assert client.end_failure() is None


@pytest.mark.asyncio
async def test_the_client_closes_its_connection_when_the_block_raises(
    server: ReferenceServer,
) -> None:
    user = User("u-context", mint_token(SECRET, "u-context"))
    with pytest.raises(RuntimeError, match="a failing test"):
        async with await open_client(server.ws_url, user, Transcript()) as client:
            raise RuntimeError("a failing test")
    assert client.closed
    assert client._ws.state is State.CLOSED


def test_the_proxy_is_websockets_choice_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What proxy_for reads once per host is what websockets would read at each connection:
    the *_proxy variables, and no_proxy's exceptions."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    opener._proxy.cache_clear()
    try:
        assert proxy_for("wss://agents.example:443/ws") == "http://proxy.example:3128"
        assert proxy_for("ws://agents.example/ws") == "http://proxy.example:3128"
        assert proxy_for("ws://127.0.0.1:8000/ws") is None
        assert proxy_for("ws://localhost:8000/ws") is None
        assert proxy_for("not a websocket url") is None
    finally:
        opener._proxy.cache_clear()
