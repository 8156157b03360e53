"""Hostile targets: what the harness reads from a target is bounded (frames, bombs, bodies)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from websockets.asyncio.server import ServerConnection, serve

from harness.errors import CheckFailed
from harness.wire.connect import open_client
from harness.wire.http import get
from harness.wire.transcript import Transcript

pytestmark = [pytest.mark.timeout(60)]

OVER = 20 * 2**20  # past the harness's bound of 17 MiB (16 MiB + 1 MiB)
BOUND_TEXT = "the target sent a frame over 17825792 bytes (after decompression)"


async def first_frame_failure(
    handler: Callable[[ServerConnection], Awaitable[None]], compression: str | None = None
) -> CheckFailed:
    """Open a harness connection to a server running `handler`; the failure it raised."""
    async with serve(handler, "127.0.0.1", 0, compression=compression, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        with pytest.raises(CheckFailed) as failure:
            await open_client(
                f"ws://127.0.0.1:{port}/ws",
                None,
                Transcript(),
                within=20.0,
                compression=compression,
            )
    return failure.value


@pytest.mark.asyncio
async def test_a_frame_over_the_bound_fails_naming_its_size() -> None:
    async def huge(ws: ServerConnection) -> None:
        await ws.send("x" * OVER)
        await ws.wait_closed()

    failure = await first_frame_failure(huge)
    assert BOUND_TEXT in str(failure.observed)


@pytest.mark.asyncio
async def test_a_decompression_bomb_is_bounded_after_inflating() -> None:
    async def bomb(ws: ServerConnection) -> None:
        await ws.send("a" * OVER)  # deflates to about 20 KB on the wire
        await ws.wait_closed()

    failure = await first_frame_failure(bomb, compression="deflate")
    assert BOUND_TEXT in str(failure.observed)


@pytest.fixture
def huge_health() -> Iterator[str]:
    """An HTTP server whose /health answers 500 with a 10 MB body."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"{" * (10 * 2**20)
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the harness stopped reading
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()


def test_a_huge_health_body_is_read_only_up_to_the_bound(huge_health: str) -> None:
    reply = get(huge_health, within=10.0)
    assert reply.status == 500
    assert reply.json is None
    assert reply.text.startswith("a body over 1048576 bytes, beginning '{{{{")
    assert len(reply.text) < 400


@pytest.mark.asyncio
async def test_a_server_that_never_answers_the_handshake_fails_within_the_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        port = listener.getsockname()[1]
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(CheckFailed) as failure:
            await open_client(f"ws://127.0.0.1:{port}/ws", None, Transcript(), within=1.0)
        assert loop.time() - started < 10.0  # the deadline is 1 s; 10 s is a hang, not jitter
        assert failure.value.what == "opening handshake"
        assert "a WebSocket handshake within 1 s" in str(failure.value.expected)
    finally:
        listener.close()
