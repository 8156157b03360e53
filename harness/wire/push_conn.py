"""A WebSocket connection that hands each message to its reader as it arrives.

websockets' asyncio connection queues each message for a `recv()` that a reader task
awaits, one task wake-up per message; the suites' frame buffer (harness/wire/frame_io.py)
keeps every message anyway. `PushConnection` is websockets' own client connection (its
handshake, framing, UTF-8 and size checks, close handshake and `protocol` state, which
harness/wire/ending.py reads) whose data messages go straight to the callback its reader
attaches, from the connection's `data_received`, in order; messages that arrive before
the reader attaches are kept and handed over when it does. What `recv()` does with a text
message that is not valid UTF-8 (close 1007, then the end) is done here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State

# As many fragments of one message as websockets' own assembler accepts (its default).
MAX_FRAGMENTS: Final = 4096
# The first byte of a whole (FIN), unextended (no RSV bit) text or binary frame.
WHOLE_TEXT: Final = 0x81
WHOLE_BINARY: Final = 0x82

Deliver = Callable[[str | bytes], None]


class PushConnection(ClientConnection):
    """A client connection whose messages are pushed to `attach`'s callback, not queued."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deliver: Deliver | None = None
        self._on_lost: Callable[[], None] | None = None
        self._early: list[str | bytes] = []  # messages before the reader attached
        self._fragments: list[bytes] = []
        self._text = False  # the fragmented message under way is a text message
        self._failed = False  # the harness failed the connection (1007, 1009): no more messages
        self._failing: asyncio.Task[None] | None = None
        self.lost = False  # the TCP connection is gone (connection_lost ran)

    def attach(self, deliver: Deliver, on_lost: Callable[[], None]) -> None:
        """Hand every message to `deliver` from now on (the kept ones first), and call
        `on_lost` once the connection is gone (at once if it is gone already)."""
        self._deliver, self._on_lost = deliver, on_lost
        early, self._early = self._early, []
        for message in early:
            deliver(message)
        if self.lost:
            on_lost()

    def send_now(self, text: str) -> bool:
        """Send one text message at once when nothing can make it wait or fail (the
        connection open, no fragmented message under way, the write buffer under its
        limit): what `send()` then does, without its task switches; False when not sent
        (`send()` must, with its waits and its errors)."""
        if (
            self.protocol.state is not State.OPEN
            or self.send_in_progress is not None
            or self.paused
            or self.transport.is_closing()
        ):
            return False
        self.protocol.send_text(text.encode())
        self.send_data()
        return True

    def data_received(self, data: bytes) -> None:
        """Whole data frames at the front of `data` are handed over as read here; the rest
        (any other frame, a frame cut by the end of `data`) goes to websockets' parser,
        which then holds the connection's state as it would have.

        The frames read here are those websockets would read without a state change of
        its own: while the connection is open, no extension (compression) is in use, no
        fragmented message is under way and its parser holds no partial frame; a final
        text or binary frame, no reserved bit, unmasked (a server's), no larger than the
        connection's bound. Anything else (a control frame, a fragment, a masked or
        oversized frame) stops the reading here, and websockets reads from it on."""
        protocol = self.protocol
        if (
            self._failed
            or self._fragments
            or protocol.state is not State.OPEN
            or protocol.extensions
            or protocol.current_size is not None
            or protocol.reader.buffer
        ):
            super().data_received(data)
            return
        limit = protocol.max_message_size
        end, at = len(data), 0
        while at + 2 <= end:
            first, second = data[at], data[at + 1]
            if (first != WHOLE_TEXT and first != WHOLE_BINARY) or second & 0x80:
                break
            size, head = second, 2
            if size == 126:
                if at + 4 > end:
                    break
                size, head = int.from_bytes(data[at + 2 : at + 4], "big"), 4
            elif size == 127:
                if at + 10 > end:
                    break
                size, head = int.from_bytes(data[at + 2 : at + 10], "big"), 10
            stop = at + head + size
            if stop > end or (limit is not None and size > limit):
                break
            payload = bytes(data[at + head : stop])
            at = stop
            if not self._whole(payload, text=first == WHOLE_TEXT):
                break  # failed: websockets reads the rest (its frames dropped, its close read)
        if at < end:
            super().data_received(data[at:])

    def process_event(self, event: Any) -> None:
        if self.response is None or not isinstance(event, Frame):
            super().process_event(event)  # the handshake's response
            return
        opcode = event.opcode
        if opcode is Opcode.PONG:
            self.acknowledge_pings(bytes(event.data))
        if opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT) or self._failed:
            return
        if opcode is not Opcode.CONT:
            self._text = opcode is Opcode.TEXT
            self._fragments = []
        if not event.fin:
            self._fragments.append(bytes(event.data))
            if len(self._fragments) >= MAX_FRAGMENTS:
                self._fail(CloseCode.MESSAGE_TOO_BIG, "too many fragments")
            return
        data = bytes(event.data)
        if self._fragments:
            data = b"".join([*self._fragments, data])
            self._fragments = []
        self._whole(data, text=self._text)

    def _whole(self, data: bytes, *, text: bool) -> bool:
        """Hand over one whole message; False when a text is not UTF-8 (the connection then
        fails with 1007, as websockets' `recv()` fails it)."""
        if not text:
            self._hand(data)
            return True
        try:
            decoded = data.decode()
        except UnicodeDecodeError as exc:
            self._fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}", exc)
            return False
        self._hand(decoded)
        return True

    def _hand(self, message: str | bytes) -> None:
        if self._deliver is None:
            self._early.append(message)
        else:
            self._deliver(message)

    def _fail(self, code: CloseCode, reason: str, exc: Exception | None = None) -> None:
        """Fail the connection as websockets' `recv()` does (close `code`, then the end)."""
        self._failed = True
        self._fragments = []
        if exc is not None:
            self.set_connection_exc(exc)
        self._failing = asyncio.ensure_future(self._fail_soon(code, reason))

    async def _fail_soon(self, code: CloseCode, reason: str) -> None:
        try:
            async with self.send_context():
                self.protocol.fail(code, reason)
        except Exception:  # the connection is gone already: nothing left to close
            return

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.lost = True
        if self._on_lost is not None:
            self._on_lost()
