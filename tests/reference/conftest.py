"""Fixtures: a fresh reference server per test on 127.0.0.1:0, and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from harness.reference import ReferenceServer, ServerConfig, mint_token

from .wire import SECRET, Wire, fresh_user

ServerFactory = Callable[..., Awaitable[ReferenceServer]]
Connector = Callable[..., Awaitable[Wire]]


@pytest_asyncio.fixture
async def start_server() -> AsyncIterator[ServerFactory]:
    """Start reference servers with config overrides (short delays); stopped at teardown."""
    servers: list[ReferenceServer] = []

    async def start(**overrides: Any) -> ReferenceServer:
        options: dict[str, Any] = {"jwt_secret": SECRET, "think_ms": 1.0, "tool_ms": 1.0}
        options.update(overrides)
        server = ReferenceServer(ServerConfig(**options))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest_asyncio.fixture
async def server(start_server: ServerFactory) -> ReferenceServer:
    """A clean reference server."""
    return await start_server()


@pytest_asyncio.fixture
async def connect(server: ReferenceServer) -> AsyncIterator[Connector]:
    """Open an established connection (to `server`, or `on=`) for a user (fresh by default)."""
    wires: list[Wire] = []

    async def open_wire(
        user: str | None = None, *, on: ReferenceServer | None = None, **options: Any
    ) -> Wire:
        wire = await open_established(on or server, user or fresh_user(), **options)
        wires.append(wire)
        return wire

    yield open_wire
    for wire in wires:
        if wire.close_code is None:
            await wire.close()


async def open_established(server: ReferenceServer, user: str, **options: Any) -> Wire:
    """A connection for `user` whose first frame, connection_established, is already read."""
    wire = await Wire.open(server.ws_url, token=mint_token(SECRET, user), **options)
    first = await wire.recv()
    assert first["type"] == "connection_established", first
    wire.established = first
    return wire
