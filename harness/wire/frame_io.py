"""Buffered frame I/O on one WebSocket connection: a reader task keeps every frame the
target sends, a wait takes the first buffered frame that matches, every wait is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from harness.wire.socketio_conn import SocketIOConnection

Frame = dict[str, Any]


class FrameBuffer:
    """Reads `ws` until it closes: `receive` turns each message into a frame (and notes it;
    None: a frame to skip), `on_end` runs once the connection is closed, before the waits
    learn it."""

    def __init__(
        self,
        ws: ClientConnection | SocketIOConnection,
        receive: Callable[[str | bytes], Frame | None],
        on_end: Callable[[], None],
    ) -> None:
        self.ws = ws
        self.frames: list[Frame] = []  # every frame received, in order
        self._buffer: list[Frame] = []  # those not taken yet
        self._cond = asyncio.Condition()
        self.closed = False
        self.aborted = False  # the harness gave up waiting for the close to finish
        self._receive = receive
        self._on_end = on_end
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                frame = self._receive(message)
                if frame is None:
                    continue
                async with self._cond:
                    self.frames.append(frame)
                    self._buffer.append(frame)
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self._on_end()
            async with self._cond:
                self.closed = True
                self._cond.notify_all()

    async def take(
        self, match: Callable[[Frame], bool], within: float, stop: Callable[[], bool]
    ) -> Frame | None:
        """The first buffered frame that matches, taken; None once `stop()` or the connection
        is closed without one. TimeoutError after `within` seconds."""
        found: list[Frame] = []

        def ready() -> bool:
            if stop():
                return True
            for i, frame in enumerate(self._buffer):
                if match(frame):
                    found.append(self._buffer.pop(i))
                    return True
            return self.closed

        async with self._cond, asyncio.timeout(within):
            await self._cond.wait_for(ready)
        return found[0] if found else None

    async def take_all(self) -> list[Frame]:
        """Every frame not taken yet, taken."""
        async with self._cond:
            taken, self._buffer = self._buffer, []
        return taken

    async def wait_closed(self, within: float) -> None:
        """Wait until the connection is closed; TimeoutError after `within` seconds."""
        async with self._cond:
            await asyncio.wait_for(self._cond.wait_for(lambda: self.closed), within)

    async def send(self, data: str | bytes, within: float) -> None:
        """Send one frame; ConnectionClosed, or TimeoutError when not accepted in time."""
        # asyncio.timeout, not wait_for: no task (and no extra loop turns) per frame.
        async with asyncio.timeout(within):
            await self.ws.send(data)

    async def close(self, code: int, within: float) -> None:
        """Close (unless closed already) and wait for the reader to finish, at most `within`
        seconds for both; past that, the reader is stopped and the close counts as aborted."""
        if not self.closed:
            # Two turns of the event loop first: a target on this same loop (the harness's
            # own tests) reads and answers a frame sent just before, so that the close frame
            # does not overtake its reply (a 1011 after the test's last check).
            for _ in range(2):
                await asyncio.sleep(0)
        if not self.closed:
            await self.ws.close(code)
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), within)
        except TimeoutError:
            self.aborted = True
            self._reader.cancel()

    def unconsumed(self) -> list[Frame]:
        """The frames not taken yet, in order."""
        return list(self._buffer)
