"""Hostile WebSocket targets written on raw asyncio: each misbehaves in one way.

    python -m tests.hostile.servers KIND    # prints "url: ws://127.0.0.1:PORT/ws"

Every kind answers a plain HTTP GET (the harness's /health) with 200 and completes
the opening handshake (but `trickle`, which sends its 101 one byte every 50 ms);
what follows the handshake is the kind's misbehaviour. Run as a subprocess, so a
benchmark measures the harness's memory and not the target's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import sys
import time
from collections.abc import Awaitable, Callable

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8
TRICKLE_EVERY_S = 0.05
GARBAGE = "%%garbage{{ not a frame"
INVALID_UTF8 = b'{"type": "\xff\xfe\xff"}'
NOTICE = {"type": "system_message", "data": {"text": "running in fallback mode"}}


def frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final server frame."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 2**16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def welcome() -> bytes:
    """A connection_established text frame (PROTOCOL.md section 3)."""
    body = {
        "type": "connection_established",
        "timestamp": time.time(),
        "seq": 1,
        "user_id": "hostile",
        "connection_id": "c-1",
        "server_time": time.time(),
        "limits": {"max_message_bytes": 65536, "max_messages_per_minute": 600},
    }
    return frame(TEXT, json.dumps(body).encode())


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The opcode and unmasked payload of the client's next frame."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
    data = await reader.readexactly(size)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def answer_each(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes
) -> None:
    """Send `reply` first and for every client frame; answer a close with a close."""
    writer.write(reply)
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == CLOSE:
            writer.write(frame(CLOSE, payload[:2]))
            return
        writer.write(reply)


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Every frame answered with text that is not JSON."""
    await answer_each(reader, writer, frame(TEXT, GARBAGE.encode()))


async def binary(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Every frame answered with a binary frame."""
    await answer_each(reader, writer, frame(BINARY, b"\x00\x01binary"))


async def invalid_utf8(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A text frame whose bytes are not UTF-8 (0xff)."""
    await answer_each(reader, writer, frame(TEXT, INVALID_UTF8))


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The welcome, then no reply to anything (a close is still answered)."""
    writer.write(welcome())
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == CLOSE:
            writer.write(frame(CLOSE, payload[:2]))
            return


async def notice_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A notice the protocol does not define there (a fallback mode), then as `silent`."""
    writer.write(frame(TEXT, json.dumps(NOTICE).encode()))
    await silent(reader, writer)


async def never_closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The welcome, then nothing: no reply, no close frame, the socket held open."""
    writer.write(welcome())
    while await reader.read(65536):
        pass  # held open until the harness drops it


async def mid_frame(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half of the welcome frame, then the TCP connection closed."""
    whole = welcome()
    writer.write(whole[: len(whole) // 2])


BEHAVIOURS: dict[str, Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]] = {
    "garbage": garbage,
    "binary": binary,
    "invalid-utf8": invalid_utf8,
    "silent": silent,
    "notice-first": notice_first,
    "never-closes": never_closes,
    "mid-frame": mid_frame,
    "trickle": silent,
}


def upgrade_response(request: str) -> bytes | None:
    """The 101 answer to a WebSocket upgrade request; None for a plain HTTP request."""
    headers = {}
    for line in request.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    key = headers.get("sec-websocket-key")
    if headers.get("upgrade", "").lower() != "websocket" or not key:
        return None
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept}",
    ]
    offered = headers.get("sec-websocket-protocol")
    if offered:  # a token offered as a subprotocol must be echoed
        lines.append(f"Sec-WebSocket-Protocol: {offered.split(',')[0].strip()}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def handler(
    kind: str,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """The connection handler of a `kind` server."""
    behaviour = BEHAVIOURS[kind]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            response = upgrade_response(head.decode("latin-1"))
            if response is None:
                body = b'{"status": "ok"}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
            elif kind == "trickle":
                for i in range(len(response)):
                    writer.write(response[i : i + 1])
                    await writer.drain()
                    await asyncio.sleep(TRICKLE_EVERY_S)
                await behaviour(reader, writer)
            else:
                writer.write(response)
                await behaviour(reader, writer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # the harness hung up: nothing left to misbehave at
        finally:
            writer.close()

    return handle


async def serve(kind: str) -> None:
    """Serve `kind` on 127.0.0.1 (a free port), print its URL, run until killed."""
    server = await asyncio.start_server(handler(kind), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"url: ws://127.0.0.1:{port}/ws", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
