"""`profile discover` through socket.io and set-up calls (harness/discover/routed.py),
against real servers on 127.0.0.1, port 0: a python-socketio server on a path that does
not name socket.io is recognised by its Engine.IO open packet and drafted as the
built-in whose frames it sends; a plain WebSocket server is not taken for socket.io; a
path with a placeholder is a built-in's by its route; `--start FILE` gives the set-up
calls, and the draft extends FILE."""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import socketio
from aiohttp import WSMsgType, web

from harness.discover.probe import Budget, DiscoveryFailed
from harness.discover.routed import built_ins, by_route, discover_routed, engineio_open
from harness.discover.routed_draft import routed_draft
from harness.wire.profile import load_profile


async def _serve(app: web.Application) -> AsyncIterator[int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def chatty() -> AsyncIterator[int]:
    """socket.io at /chat: a `client_message` is a turn as Chainlit frames it."""
    sio = socketio.AsyncServer(async_mode="aiohttp")

    async def client_message(sid: str, data: Any) -> None:
        await sio.emit("task_start", {}, to=sid)
        await sio.emit("stream_start", {"id": "m1", "output": "5"}, to=sid)
        await sio.emit("new_message", {"id": "m1", "type": "assistant_message"}, to=sid)
        await sio.emit("task_end", {}, to=sid)

    sio.on("client_message", client_message)
    app = web.Application()
    sio.attach(app, socketio_path="/chat")
    async for port in _serve(app):
        yield port


@pytest_asyncio.fixture
async def rooms() -> AsyncIterator[int]:
    """POST /api/rooms makes a room; /rooms/{id} is its WebSocket: a welcome, then an
    `ask` is answered `said` then `done`."""
    app = web.Application()

    async def make(request: web.Request) -> web.Response:
        return web.json_response({"room": {"id": "r-7"}})

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "room": request.match_info["room"]})
        async for message in ws:
            if message.type == WSMsgType.TEXT and json.loads(message.data)["type"] == "ask":
                await ws.send_json({"type": "said", "text": "5"})
                await ws.send_json({"type": "done"})
        return ws

    app.router.add_post("/api/rooms", make)
    app.router.add_get("/rooms/{room}", socket)
    async for port in _serve(app):
        yield port


@pytest.mark.asyncio
async def test_a_socketio_server_on_a_path_of_its_own_is_drafted_as_chainlit(
    chatty: int, tmp_path: Path
) -> None:
    url = f"ws://127.0.0.1:{chatty}/chat"
    packet = await engineio_open(url, Budget(5.0))
    assert packet is not None and packet.startswith('0{"sid":"')
    seen = await discover_routed(url, "", 30.0, None)
    assert seen is not None
    text = routed_draft(seen, None, command="discover")
    draft = tmp_path / "d.toml"
    draft.write_text(text)
    data = tomllib.loads(text)
    assert data["profile"]["extends"] == "chainlit"
    assert data["endpoint"] == {"ws_path": "/chat"}
    assert data["transport"] == {"kind": "socketio", "auth": {}}
    assert '# sure: a handshake on /chat/?EIO=4&transport=websocket answered 0{"sid":"' in text
    assert "# sure: the connect auth payloads tried: auth none: connected" in text
    assert "# saw: chainlit's request" in text
    assert "got: task_start stream_start new_message task_end" in text
    assert load_profile(draft).section("transport")["kind"] == "socketio"


@pytest.mark.asyncio
async def test_a_plain_websocket_server_is_not_taken_for_socketio(rooms: int) -> None:
    assert await engineio_open(f"ws://127.0.0.1:{rooms}/rooms/r-1", Budget(5.0)) is None
    assert await discover_routed(f"ws://127.0.0.1:{rooms}/rooms/r-1", "", 10.0, None) is None


def test_a_placeholder_path_is_a_built_in_s_by_its_route() -> None:
    profiles = built_ins()
    assert by_route("/api/ws/runs/{run_id}", profiles) == ["autogen-studio"]
    assert by_route("/api/ws/runs/17", profiles) == ["autogen-studio"]
    assert by_route("/api/ws/runs/17/more", profiles) == []
    assert by_route("/ws", profiles) == []


@pytest.mark.asyncio
async def test_a_placeholder_of_no_known_route_and_no_start_says_what_to_give() -> None:
    url = "ws://127.0.0.1:9/rooms/{room}"
    with pytest.raises(DiscoveryFailed) as failed:
        await discover_routed(url, "", 10.0, None)
    assert str(failed.value) == (
        "ws://127.0.0.1:9/rooms/{room}: no built-in has the route /rooms/{room}: give --start "
        "FILE whose [[setup]] calls save its placeholders (docs/PROFILES.md)"
    )


START = """[profile]
name = "rooms"

[endpoint]
ws_path = "/rooms/{room}"

[auth]
transports = ["none"]
default_transport = "none"

[server.frames.connection_established]
type = "hello"
fields = { user_id = "", connection_id = "", server_time = "", \
  "limits.max_message_bytes" = "", "limits.max_messages_per_minute" = "" }

[turn]
start = [{ type = "said" }]
completed = [{ type = "done" }]

[turn.request]
frames = [{ type = "ask", text = "{content}" }]

[[setup]]
method = "POST"
path = "/api/rooms"
save = { room = "room.id" }
"""


@pytest.mark.asyncio
async def test_start_gives_the_set_up_calls_and_the_draft_extends_it(
    rooms: int, tmp_path: Path
) -> None:
    start_file = tmp_path / "rooms.toml"
    start_file.write_text(START)
    start = load_profile(start_file)
    url = f"ws://127.0.0.1:{rooms}/rooms/{{room}}"
    seen = await discover_routed(url, "", 20.0, start)
    assert seen is not None
    text = routed_draft(seen, start, command="discover")
    data = tomllib.loads(text)
    assert data["profile"]["extends"] == str(start_file.resolve())
    assert (
        "# sure: set-up call of " + str(start_file) + ': POST /api/rooms -> HTTP 200 {"room"'
        in text
    )
    assert '{"type": "hello", "room": "r-7"}' in text
    assert "got: said done" in text
    draft = tmp_path / "d.toml"
    draft.write_text(text)
    assert load_profile(draft).data["setup"][0]["path"] == "/api/rooms"


pytestmark = [pytest.mark.timeout(60)]


@pytest_asyncio.fixture
async def mute() -> AsyncIterator[int]:
    """socket.io at /socket.io that answers no event."""
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    async for port in _serve(app):
        yield port


@pytest.mark.asyncio
async def test_a_socketio_server_of_no_built_in_dialect_is_drafted_on_the_root(
    mute: int, tmp_path: Path
) -> None:
    seen = await discover_routed(f"ws://127.0.0.1:{mute}/socket.io", "", 20.0, None)
    assert seen is not None
    text = routed_draft(seen, None, command="discover")
    data = tomllib.loads(text)
    assert data["profile"]["extends"] == "chat-agent/1"
    assert data["transport"] == {"kind": "socketio"}
    assert data["auth"] == {"transports": ["header"], "default_transport": "header"}
    assert data["server"]["frames"]["connection_established"]["type"] == "connect"
    assert "# guess: no request matched a built-in's turn: write [turn] and" in text
    draft = tmp_path / "d.toml"
    draft.write_text(text)
    assert load_profile(draft).frames["connection_established"].wire_type == "connect"
