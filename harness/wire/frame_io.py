"""Buffered frame I/O on one WebSocket connection: every frame the target sends is kept
as it arrives, a wait takes the first buffered frame that matches, every wait is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from harness.wire.push_conn import PushConnection
from harness.wire.socketio_conn import SocketIOConnection

Frame = dict[str, Any]
# A `consume` under way: its handler, its stop, and the future that ends it.
Consumer = tuple[Callable[[Frame], bool], Callable[[], bool], "asyncio.Future[bool]"]


class FrameBuffer:
    """Reads `ws` until it closes: `receive` turns each message into a frame (and notes it;
    None: a frame to skip), `on_end` runs once the connection is closed, before the waits
    learn it. A `PushConnection` hands each message over as it arrives (no reader task);
    any other connection is read by a task."""

    def __init__(
        self,
        ws: ClientConnection | SocketIOConnection,
        receive: Callable[[str | bytes], Frame | None],
        on_end: Callable[[], None],
    ) -> None:
        self.ws = ws
        self.frames: list[Frame] = []  # every frame received, in order
        self._buffer: list[Frame] = []  # those not taken yet
        self._waiters: list[asyncio.Future[None]] = []  # waits to wake at each frame
        self._done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.aborted = False  # the harness gave up waiting for the close to finish
        self._receive = receive
        self._on_end = on_end
        self._reader: asyncio.Task[None] | None = None
        self._consumer: Consumer | None = None
        if isinstance(ws, PushConnection):
            ws.attach(self._push, self._end)
        else:
            self._reader = asyncio.create_task(self._read())

    def _push(self, message: str | bytes) -> None:
        try:
            frame = self._receive(message)
        except Exception:  # a bug of the harness's own: the waits learn the end, not a hang
            self._end()
            raise
        if frame is None:
            return
        self.frames.append(frame)
        consumer = self._consumer
        if consumer is not None and not consumer[2].done():
            handler, stop, done = consumer
            if not stop():
                try:
                    if handler(frame):
                        done.set_result(True)
                except Exception as exc:  # raised where the consume waits
                    done.set_exception(exc)
                return
            done.set_result(False)  # the frame stays, for the waits that may want it
        self._buffer.append(frame)
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _end(self) -> None:
        if self.closed:
            return
        self._on_end()
        self.closed = True
        if not self._done.done():
            self._done.set_result(None)
        if self._consumer is not None and not self._consumer[2].done():
            self._consumer[2].set_result(False)
        self._wake()

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                self._push(message)
        except ConnectionClosed:
            pass
        finally:
            self._end()

    async def take(
        self, match: Callable[[Frame], bool], within: float, stop: Callable[[], bool]
    ) -> Frame | None:
        """The first buffered frame that matches, taken; None once `stop()` or the connection
        is closed without one. TimeoutError after `within` seconds."""
        over, found = self._find(match, stop)
        if over:
            return found
        loop = asyncio.get_running_loop()
        # A frame already here is taken without a deadline (and its wait costs no loop turn).
        async with asyncio.timeout_at(loop.time() + within):
            while True:
                waiter = loop.create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.remove(waiter)
                over, found = self._find(match, stop)
                if over:
                    return found

    async def consume(
        self, handler: Callable[[Frame], bool], within: float, stop: Callable[[], bool]
    ) -> bool:
        """Hand each frame not taken yet, then each one as it arrives, to `handler` (each is
        taken) until it returns True: True then; False once `stop()` or the connection is
        closed first. TimeoutError after `within` seconds. One wait for the whole exchange,
        not one a frame: what a crowd's conversation reads (suites/load/crowd.py)."""
        while self._buffer:
            if stop():
                return False
            if handler(self._buffer.pop(0)):
                return True
        if stop() or self.closed:
            return False
        if self._consumer is not None:
            raise RuntimeError("two consumes at once on one connection")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._consumer = (handler, stop, done)
        # A timer on the future, not asyncio.timeout: the same TimeoutError, less work
        # for a wait that most often ends well.
        timer = loop.call_at(loop.time() + within, _expire, done)
        try:
            return await done
        finally:
            timer.cancel()
            self._consumer = None

    def _find(
        self, match: Callable[[Frame], bool], stop: Callable[[], bool]
    ) -> tuple[bool, Frame | None]:
        """Whether the wait is over, and the first matching frame (taken) if there is one."""
        if stop():
            return True, None
        for i, frame in enumerate(self._buffer):
            if match(frame):
                return True, self._buffer.pop(i)
        return self.closed, None

    async def take_all(self) -> list[Frame]:
        """Every frame not taken yet, taken."""
        taken, self._buffer = self._buffer, []
        return taken

    async def wait_closed(self, within: float) -> None:
        """Wait until the connection is closed; TimeoutError after `within` seconds."""
        if not self.closed:
            await asyncio.wait_for(asyncio.shield(self._done), within)

    async def send(self, data: str | bytes, within: float) -> None:
        """Send one frame; ConnectionClosed, or TimeoutError when not accepted in time."""
        ws = self.ws
        if isinstance(ws, PushConnection) and isinstance(data, str) and ws.send_now(data):
            return  # written at once: nothing to wait for
        # asyncio.timeout, not wait_for: no task (and no extra loop turns) per frame.
        async with asyncio.timeout(within):
            await ws.send(data)

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
            await asyncio.wait_for(asyncio.shield(self._done), within)
        except TimeoutError:
            self.aborted = True
            if self._reader is not None:
                self._reader.cancel()
            else:
                self._end()
                transport = getattr(self.ws, "transport", None)
                if transport is not None:
                    transport.abort()

    def unconsumed(self) -> list[Frame]:
        """The frames not taken yet, in order."""
        return list(self._buffer)


def _expire(done: asyncio.Future[bool]) -> None:
    """A consume's deadline: it ends with TimeoutError unless it ended already."""
    if not done.done():
        done.set_exception(TimeoutError())
