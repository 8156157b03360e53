"""A server of a dialect of its own, for `profile discover`'s tests.

    python -m tests.discover.odd_server [HEARTBEAT_S]   # prints "url: ws://127.0.0.1:PORT/chat"

Its frames name their kind in `event`: a `hello` welcome with no timestamp, then an
`echo` of every frame's `type`; no token is checked, no health route answers. With
HEARTBEAT_S, a `heartbeat` every that many seconds besides.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve

HEARTBEAT_S = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0


async def beat(ws: ServerConnection) -> None:
    count = 0
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        count += 1
        await ws.send(json.dumps({"event": "heartbeat", "n": count}))


async def handler(ws: ServerConnection) -> None:
    await ws.send(json.dumps({"event": "hello", "sid": "abc"}))
    beating = asyncio.create_task(beat(ws)) if HEARTBEAT_S > 0 else None
    try:
        await answer(ws)
    finally:
        if beating is not None:
            beating.cancel()


async def answer(ws: ServerConnection) -> None:
    async for message in ws:
        try:
            got = json.loads(message)
        except ValueError:
            await ws.send(json.dumps({"event": "oops"}))
            continue
        kind = got.get("type") if isinstance(got, dict) else None
        await ws.send(json.dumps({"event": "echo", "got": kind}))


async def main() -> None:
    async with serve(handler, "127.0.0.1", 0, max_size=2**21) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"url: ws://127.0.0.1:{port}/chat", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
