"""A connection whose messages are pushed to the frame buffer (harness/wire/push_conn.py),
and the frame buffer's `consume`, against a raw server on 127.0.0.1 that writes its frames
byte for byte: fragmented messages with a ping between the fragments, messages that come
before the buffer attaches, a text message that is not UTF-8, a flood of fragments."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from harness.wire.frame_io import FrameBuffer
from harness.wire.opener import open_websocket
from harness.wire.push_conn import PushConnection
from tests.hostile.servers import BINARY, CLOSE, TEXT, read_frame, upgrade_response

pytestmark = pytest.mark.asyncio

CONT, PING = 0x0, 0x9

Send = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def raw(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One unmasked server frame (payload under 126 bytes), final or not."""
    assert len(payload) < 126
    return struct.pack("!BB", (0x80 if fin else 0) | opcode, len(payload)) + payload


def sized(payload: bytes, length: int) -> bytes:
    """A final text frame whose length takes 2 (126) or 8 (127) more bytes."""
    if length == 126:
        return struct.pack("!BBH", 0x81, 126, len(payload)) + payload
    return struct.pack("!BBQ", 0x81, 127, len(payload)) + payload


@asynccontextmanager
async def server(behave: Send) -> AsyncIterator[str]:
    """A WebSocket server on 127.0.0.1 (port 0) that completes the handshake, then `behave`s."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            response = upgrade_response(head.decode("latin-1"))
            assert response is not None
            writer.write(response)
            await behave(reader, writer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"ws://127.0.0.1:{port}/ws"


async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the client's frames; answer its close with a close (code echoed)."""
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == CLOSE:
            writer.write(raw(CLOSE, payload[:2]))
            return


def then_wait(*frames: bytes) -> Send:
    """Write `frames` at once, then wait for the client's close."""

    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"".join(frames))
        await until_close(reader, writer)

    return behave


async def opened(url: str, max_size: int = 2**16) -> PushConnection:
    ws = await open_websocket(url, open_timeout=5, close_timeout=2, max_size=max_size, push=True)
    assert isinstance(ws, PushConnection)
    return ws


def buffer_of(ws: PushConnection) -> FrameBuffer:
    def receive(message: str | bytes) -> dict[str, Any]:
        if isinstance(message, bytes):
            return {"binary": message.hex()}
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    return FrameBuffer(ws, receive, lambda: None)


def anything(frame: dict[str, Any]) -> bool:
    return True


def never() -> bool:
    return False


async def test_fragments_arrive_as_one_message_in_order_with_the_ones_kept_before_attach() -> None:
    behave = then_wait(
        raw(TEXT, b'{"type": "fr', fin=False),
        raw(PING, b"p"),
        raw(CONT, b'agmented", ', fin=False),
        raw(CONT, b'"n": 1}'),
        raw(BINARY, b"\x00\x01"),
        raw(TEXT, b'{"type": "after"}'),
    )
    async with server(behave) as url:
        ws = await opened(url)
        await asyncio.sleep(0.2)  # every frame is in before the buffer attaches
        io = buffer_of(ws)
        taken = [await io.take(anything, 2.0, never) for _ in range(3)]
        await io.close(1000, 2.0)
    assert taken == [{"type": "fragmented", "n": 1}, {"binary": "0001"}, {"type": "after"}]
    assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000


async def test_a_fragmented_text_that_is_not_utf8_closes_with_1007_and_is_not_handed_over() -> None:
    behave = then_wait(raw(TEXT, b'{"type": "\xff', fin=False), raw(CONT, b'"}'))
    async with server(behave) as url:
        ws = await opened(url)
        io = buffer_of(ws)
        assert await io.take(anything, 2.0, never) is None  # the connection ended first
    assert io.closed and io.frames == []
    assert ws.protocol.close_sent is not None and ws.protocol.close_sent.code == 1007


async def test_a_message_in_4096_fragments_closes_with_1009() -> None:
    flood = [raw(TEXT, b"{", fin=False)] + [raw(CONT, b" ", fin=False)] * 4095
    async with server(then_wait(*flood, raw(CONT, b"}"))) as url:
        ws = await opened(url)
        io = buffer_of(ws)
        assert await io.take(anything, 5.0, never) is None
    assert io.frames == []
    assert ws.protocol.close_sent is not None and ws.protocol.close_sent.code == 1009


async def test_consume_hands_each_frame_over_until_done_and_leaves_the_rest() -> None:
    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw(TEXT, b'{"n": 1}'))
        await asyncio.sleep(0.1)  # the rest come while the consume waits
        writer.write(raw(TEXT, b'{"n": 2}') + raw(TEXT, b'{"n": 3}') + raw(TEXT, b'{"n": 4}'))
        await until_close(reader, writer)

    seen: list[int] = []

    def handler(frame: dict[str, Any]) -> bool:
        seen.append(frame["n"])
        return bool(frame["n"] == 3)

    async with server(behave) as url:
        io = buffer_of(await opened(url))
        assert await io.consume(handler, 2.0, never) is True
        rest = await io.take(anything, 2.0, never)
        await io.close(1000, 2.0)
    assert seen == [1, 2, 3]
    assert rest == {"n": 4}
    assert [f["n"] for f in io.frames] == [1, 2, 3, 4]


async def test_consume_times_out_and_ends_without_done_when_the_connection_closes() -> None:
    async def close_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw(TEXT, b'{"n": 1}'))
        await asyncio.sleep(0.5)
        writer.write(raw(CLOSE, struct.pack("!H", 1001)))
        await until_close(reader, writer)

    async with server(close_later) as url:
        io = buffer_of(await opened(url))
        with pytest.raises(TimeoutError):
            await io.consume(lambda frame: False, 0.1, never)
        assert await io.consume(lambda frame: False, 5.0, never) is False
    assert io.closed
    assert io.frames == [{"n": 1}]


async def test_consume_stops_at_a_frame_its_stop_rejects_and_keeps_that_frame() -> None:
    stopped: list[bool] = []
    behave = then_wait(raw(TEXT, b'{"n": 1}'), raw(TEXT, b'{"n": 2}'))

    def handler(frame: dict[str, Any]) -> bool:
        stopped.append(True)  # the second frame stops what comes next
        return False

    async with server(behave) as url:
        io = buffer_of(await opened(url))
        assert await io.consume(handler, 2.0, lambda: len(stopped) >= 1) is False
        kept = await io.take(anything, 2.0, never)
        await io.close(1000, 2.0)
    assert len(stopped) == 1
    assert kept == {"n": 2}


async def test_frames_cut_anywhere_by_the_network_arrive_whole_and_in_order() -> None:
    """Frames with 7-, 16- and 64-bit lengths and a ping, written in pieces that start at a
    frame's start or inside a header or a payload: each read hands over what is whole,
    websockets' parser holds a cut frame, and the reads after it go on from there."""
    long_text = json.dumps({"type": "long", "text": "x" * 300}).encode()
    longest = json.dumps({"type": "longest", "text": "y" * 70000}).encode()
    cut = sized(longest, 127)
    pieces = [
        raw(TEXT, b'{"type": "a"}') + sized(long_text, 126),  # whole frames only
        raw(TEXT, b'{"type": "b"}') + cut[:5],  # a whole frame, then a header cut
        cut[5:20000],  # inside the payload
        cut[20000:] + raw(TEXT, b'{"type": "c"}')[:1],  # the rest, a header's first byte
        raw(TEXT, b'{"type": "c"}')[1:],
        raw(PING, b"p") + raw(TEXT, b'{"type": "d"}'),  # a control frame first
        sized(longest, 127) + sized(long_text, 126),  # whole again, long lengths
    ]

    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)  # the handshake's answer is read alone
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.02)  # one read each
        await until_close(reader, writer)

    async with server(behave) as url:
        io = buffer_of(await opened(url, max_size=2**20))
        taken = [await io.take(anything, 5.0, never) for _ in range(8)]
        await io.close(1000, 2.0)
    assert [frame["type"] for frame in taken if frame] == [
        "a", "long", "b", "longest", "c", "d", "longest", "long",
    ]  # fmt: skip
    assert taken[3] == taken[6] == {"type": "longest", "text": "y" * 70000}
    assert taken[1] == taken[7] == {"type": "long", "text": "x" * 300}


async def test_a_whole_text_frame_not_utf8_closes_with_1007_and_what_follows_is_dropped() -> None:
    behave = then_wait(
        raw(TEXT, b'{"type": "before"}'),
        raw(TEXT, b'{"type": "\xff"}'),
        raw(TEXT, b'{"type": "after"}'),
    )
    async with server(behave) as url:
        ws = await opened(url)
        io = buffer_of(ws)
        first = await io.take(anything, 2.0, never)
        assert await io.take(anything, 5.0, never) is None  # the connection ended
    assert first == {"type": "before"}
    assert io.frames == [{"type": "before"}]
    assert ws.protocol.close_sent is not None and ws.protocol.close_sent.code == 1007


async def test_a_frame_over_the_bound_closes_with_1009() -> None:
    big = json.dumps({"type": "big", "text": "z" * 5000}).encode()
    async with server(then_wait(raw(TEXT, b'{"type": "small"}'), sized(big, 126))) as url:
        ws = await opened(url, max_size=4096)
        io = buffer_of(ws)
        small = await io.take(anything, 2.0, never)
        assert await io.take(anything, 5.0, never) is None
    assert small == {"type": "small"}
    assert ws.protocol.close_sent is not None and ws.protocol.close_sent.code == 1009
