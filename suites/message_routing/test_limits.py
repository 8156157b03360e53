"""The size limit of PROTOCOL.md section 6, read from the target's `limits`.

Wrong servers these tests tell apart from a correct one:
- off by one: a message of exactly max_message_bytes closed with 1009 (`>=` for `>`), or
  one byte more accepted;
- size counted in characters (or UTF-16 code units) instead of UTF-8 bytes: a message of
  max_message_bytes + 1 bytes made of two- and four-byte characters has far fewer
  characters (and code units) than the limit, so such a server accepts it;
- size measured before permessage-deflate decompression: a compressible message of
  max_message_bytes + 1 bytes is a few hundred bytes on the wire;
- an oversized message answered with an error frame, or a close with another code.
"""

from __future__ import annotations

import contextlib

import pytest

from harness.suite_api import CheckFailed, Client, Connect, HarnessError, needs
from harness.suite_api import protocol as P
from suites.message_routing.replies import error_summary, expect_usable
from suites.message_routing.sizes import (
    ASCII,
    FOUR_BYTES,
    TWO_BYTES,
    expect_pong,
    ping_of_size,
    send_within,
    sized_limit,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


async def expect_1009(client: Client, frame: str) -> None:
    """Send `frame` and check that the server closes with 1009 (and replies nothing)."""
    size = len(frame.encode())
    # The server may close before the whole frame is written: its close code decides.
    with contextlib.suppress(CheckFailed):
        await client.send_raw(frame)
    try:
        code: int | str | None = await client.wait_closed(within=send_within(size))
    except CheckFailed:
        code = "none: the connection is still open"
    replies = [error_summary(f) for f in client.frames if f.get("type") != P.CONNECTION_ESTABLISHED]
    assert (code, replies) == (P.CLOSE_MESSAGE_TOO_BIG, []), (
        f"answer to a frame of {size} bytes ({len(frame)} characters): expected close 1009 "
        f"and no reply, observed close {code} after the replies {replies}"
    )


@pytest.mark.rules("6.close.max-size-accepted")
@pytest.mark.parametrize("pad", [ASCII, TWO_BYTES], ids=["ascii", "two-byte-chars"])
async def test_frame_of_exactly_max_size_accepted(connect: Connect, pad: str) -> None:
    """A text frame of exactly max_message_bytes UTF-8 bytes is processed (a pong comes back)."""
    client = await connect()
    limit = sized_limit(client)
    await expect_pong(client, ping_of_size(limit, "max-size", pad, client.envelope), "max-size")
    await expect_usable(client)


@pytest.mark.rules("6.close.oversize-1009")
async def test_frame_over_max_size_closes_1009(connect: Connect) -> None:
    """A text frame one byte over max_message_bytes closes the connection with 1009."""
    client = await connect()
    limit = sized_limit(client)
    await expect_1009(client, ping_of_size(limit + 1, "too-big", ASCII, client.envelope))


@pytest.mark.rules("6.close.size-in-bytes", "6.close.oversize-1009")
@pytest.mark.parametrize("pad", [TWO_BYTES, FOUR_BYTES], ids=["two-byte-chars", "four-byte-chars"])
async def test_size_counts_utf8_bytes(connect: Connect, pad: str) -> None:
    """A frame of max_message_bytes + 1 bytes but far fewer characters closes with 1009."""
    client = await connect()
    limit = sized_limit(client)
    frame = ping_of_size(limit + 1, "wide", pad, client.envelope)
    utf16_units = len(frame.encode("utf-16-le")) // 2
    if utf16_units > limit:
        raise HarnessError(
            f"max_message_bytes {limit} is too small to tell bytes from characters apart"
        )
    await expect_1009(client, frame)


@pytest.mark.rules("6.close.size-after-decompression", "6.close.max-size-accepted")
async def test_size_after_decompression(connect: Connect) -> None:
    """With permessage-deflate, the size that counts is the decompressed one.

    A target that declines compression receives the frames as they are: the test then
    checks the plain limit again, which such a target (nothing to decompress) must keep.
    """
    exact = await connect(compression="deflate")
    limit = sized_limit(exact)
    await expect_pong(
        exact, ping_of_size(limit, "deflated-max", ASCII, exact.envelope), "deflated-max"
    )
    over = await connect(compression="deflate")
    await expect_1009(over, ping_of_size(limit + 1, "deflated-over", ASCII, over.envelope))
