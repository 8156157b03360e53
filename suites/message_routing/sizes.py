"""Frames of a given size in UTF-8 bytes, the target's size limit, and a pong awaited for
a frame of that size: what the size tests of the message_routing suite share
(test_limits for chat-agent/1's close, test_dialect for a dialect's error)."""

from __future__ import annotations

from typing import Final

from harness.suite_api import CheckFailed, Client, skip_unverifiable_limit
from harness.suite_api import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, error_summary, limit_of

# The largest max_message_bytes this suite sends a frame of (and one byte more).
LARGEST_FRAME_BYTES: Final = 16 * 1024 * 1024
# Sending and closing a frame of several MiB takes longer than a reply: a second per MB.
SECONDS_PER_BYTE: Final = 1e-6
# Pads of one-byte (ASCII), two-byte (U+00E9) and four-byte (U+1F600) UTF-8 characters.
ASCII, TWO_BYTES, FOUR_BYTES = "x", "\u00e9", "\U0001f600"


def sized_limit(client: Client) -> int:
    """Return the target's max_message_bytes; skip (naming the limit) when it is too big."""
    limit = limit_of(client, "max_message_bytes")
    if limit > LARGEST_FRAME_BYTES:
        skip_unverifiable_limit("max_message_bytes", limit, LARGEST_FRAME_BYTES)
    return limit


def ping_of_size(
    size: int,
    message_id: str,
    pad: str = ASCII,
    envelope: tuple[str, str, str] = ("type", "message_id", "payload"),
) -> str:
    """Return a ping text frame of exactly `size` UTF-8 bytes, padded with `pad` characters
    (in the target's envelope: its names for the type, message_id and payload fields)."""
    kind, mid, body = envelope
    head = f'{{"{kind}": "ping", "{mid}": "{message_id}", "{body}": {{"pad": "'
    tail = '"}}'
    room = size - len(head.encode()) - len(tail.encode())
    if room < 0:
        raise CheckFailed(
            "max_message_bytes", expected=f">= {len(head) + len(tail)}", observed=size
        )
    wide = len(pad.encode())
    return head + pad * (room // wide) + ASCII * (room % wide) + tail


def send_within(size: int) -> float:
    """Return how long to wait for the answer to a frame of `size` bytes."""
    return REPLY_WITHIN + size * SECONDS_PER_BYTE


async def expect_pong(client: Client, frame: str, message_id: str) -> None:
    """Send `frame` and check that the next frame is its pong (the frame was accepted)."""
    size = len(frame.encode())
    await client.send_raw(frame)
    try:
        reply = await client.recv(within=send_within(size))
    except CheckFailed:
        raise CheckFailed(
            f"reply to a frame of {size} bytes ({len(frame)} characters)",
            expected=f"pong {message_id!r}",
            observed=f"no frame (close code {client.close_code})",
        ) from None
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.PONG, message_id), (
        f"reply to a frame of {size} bytes: expected ('pong', {message_id!r}), "
        f"observed {error_summary(reply)}"
    )
