"""A throwaway WebSocket server that answers some frames and misbehaves on others, on port 0.

It accepts any token and greets with `connection_established`, then per text frame:
`get_thread_history` and non-JSON text get no reply at all; `crash` closes with
1011; `drop` gets its pong, then the TCP connection ends without a close frame;
`refuse` closes with 1008; `user_message` gets an ack and never an agent event;
anything else gets a pong. `?silent=1` in the URL: no greeting; the path
`/notice`: a `system_message` notice before the greeting (a frame the protocol does not
define there).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

UNANSWERED = "get_thread_history"
NOTICE = {"type": "system_message", "data": {"text": "running in fallback mode"}}


async def _handle(websocket: ServerConnection) -> None:
    assert websocket.request is not None
    if websocket.request.path.startswith("/notice"):
        await websocket.send(json.dumps(NOTICE))
    if "silent=1" not in websocket.request.path:
        greeting = {"type": "connection_established", "user_id": "u", "connection_id": "c"}
        await websocket.send(json.dumps(greeting))
    try:
        async for text in websocket:
            try:
                frame: Any = json.loads(text, parse_constant=_reject)
            except ValueError:
                continue
            kind = frame.get("type") if isinstance(frame, dict) else None
            mid = frame.get("message_id") if isinstance(frame, dict) else None
            if kind == UNANSWERED:
                continue
            if kind == "crash":
                await websocket.close(1011, "internal error")
            elif kind == "refuse":
                await websocket.close(1008, "refused")
            elif kind == "user_message":
                await websocket.send(json.dumps({"type": "ack", "message_id": mid, "run_id": "r"}))
            else:
                await websocket.send(json.dumps({"type": "pong", "message_id": mid}))
                if kind == "drop":
                    websocket.transport.close()
    except ConnectionClosed:
        return


def _reject(constant: str) -> Any:
    raise ValueError(constant)


@asynccontextmanager
async def partial_server() -> AsyncIterator[str]:
    """Serve in the running loop on 127.0.0.1:0; yields the ws:// URL."""
    async with serve(_handle, "127.0.0.1", 0, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


@contextmanager
def partial_server_thread() -> Iterator[str]:
    """Serve from a thread of its own (for a pytest subprocess to reach); yields the URL."""
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[str] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        async with partial_server() as url:
            ready.set_result(url)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(_wait(ready), loop).result(timeout=10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


async def _wait(ready: asyncio.Future[str]) -> str:
    return await ready
