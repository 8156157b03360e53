"""Limits and close codes (PROTOCOL.md section 6): rate, size, binary, connection cap, shutdown."""

from __future__ import annotations

import json

import pytest

from harness.reference import ReferenceServer, mint_token

from .conftest import Connector, ServerFactory, open_established
from .wire import SECRET, Wire, fresh_user, http_get

pytestmark = pytest.mark.asyncio


async def test_rate_limit_rejects_unparsed_and_uncounted(start_server: ServerFactory) -> None:
    server = await start_server(rate_limit=5)
    user = fresh_user()
    wire = await open_established(server, user)
    assert wire.established is not None
    assert wire.established["limits"]["max_messages_per_minute"] == 5
    for n in range(5):
        assert (await wire.request("ping", {}, message_id=f"ok-{n}"))["type"] == "pong"
    for raw in ('{"type": "ping", "message_id": "over"}', "not even json"):
        await wire.send_raw(raw)
        limited = await wire.recv()
        assert limited["type"] == "error"
        assert limited["error_code"] == "RATE_LIMITED"
        assert limited["message_id"] is None
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["messages_routed"] == 5
    assert stats.body["message_types"] == {"ping": 5}
    assert stats.body["errors"] == {"RATE_LIMITED": 2}
    await wire.close()


async def test_message_of_exactly_max_bytes_is_accepted(start_server: ServerFactory) -> None:
    server = await start_server(max_bytes=1024)
    wire = await open_established(server, fresh_user())
    empty = {"type": "ping", "message_id": "big", "payload": {"pad": ""}}
    frame = {**empty, "payload": {"pad": "x" * (1024 - len(json.dumps(empty)))}}
    assert len(json.dumps(frame).encode()) == 1024
    await wire.send(frame)
    assert (await wire.recv())["type"] == "pong"
    await wire.close()


async def test_message_one_byte_over_max_closes_1009(start_server: ServerFactory) -> None:
    server = await start_server(max_bytes=1024)
    wire = await open_established(server, fresh_user())
    empty = {"type": "ping", "message_id": "big", "payload": {"pad": ""}}
    frame = {**empty, "payload": {"pad": "x" * (1025 - len(json.dumps(empty)))}}
    await wire.send(frame)
    assert await wire.wait_closed() == 1009


async def test_default_limit_closes_1009_past_65536_bytes(connect: Connector) -> None:
    wire = await connect()
    await wire.send_raw("x" * 65537)
    assert await wire.wait_closed() == 1009


async def test_binary_frame_closes_1003(connect: Connector) -> None:
    wire = await connect()
    await wire.send_raw(b'{"type": "ping"}')
    assert await wire.wait_closed() == 1003


async def test_seventeenth_connection_is_refused(
    server: ReferenceServer, connect: Connector
) -> None:
    user = fresh_user()
    for _ in range(16):
        await connect(user)
    extra = await Wire.open(server.ws_url, token=mint_token(SECRET, user))
    frame = await extra.recv()
    assert frame["type"] == "error"
    assert frame["error_code"] == "TOO_MANY_CONNECTIONS"
    assert await extra.wait_closed() == 1008
    assert extra.buffer == []
    other = await connect()  # another user is not limited
    assert other.established is not None
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["connections_open"] == 16
    assert stats.body["errors"] == {"TOO_MANY_CONNECTIONS": 1}


async def test_closed_connection_frees_its_slot(start_server: ServerFactory) -> None:
    server = await start_server(max_connections_per_user=1)
    user = fresh_user()
    first = await open_established(server, user)
    await first.close()
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["connections_open"] == 0
    second = await open_established(server, user)
    await second.close()


async def test_shutdown_closes_clients_with_1001(start_server: ServerFactory) -> None:
    server = await start_server()
    wire = await open_established(server, fresh_user())
    await wire.send({"type": "user_message", "payload": {"content": "1+1"}})
    await server.stop()
    assert await wire.wait_closed() == 1001


async def test_client_close_is_1000(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    await wire.close()
    assert wire.websocket.close_code == 1000


async def test_hostile_frames_never_close_1011(connect: Connector) -> None:
    wire = await connect()
    hostile = [
        "[" * 5000 + "]" * 5000,
        '{"type": "ping", "timestamp": 1e400}',
        '{"type": "ping", "timestamp": ' + "9" * 5000 + "}",
        '{"type": "user_message", "payload": {"content": "' + "(" * 3000 + '1+1"}}',
        '{"type": "user_message", "payload": {"content": "' + "9" * 5000 + '*9"}}',
        '{"type": "user_message", "payload": {"content": "2+*3 and */4 and 1//2"}}',
        '{"type": "user_message", "payload": {"content": "\\ud800 surrogate 1+"}}',
        '{"type": "\\u0000<script>", "payload": {}}',
    ]
    for raw in hostile:
        await wire.send_raw(raw)
    frames = await wire.quiet(1.0)
    assert wire.close_code is None
    replies = [f for f in frames if f["type"] in ("pong", "ack", "error")]
    assert len(replies) == len(hostile)
    assert (await wire.request("ping", {}))["type"] == "pong"
