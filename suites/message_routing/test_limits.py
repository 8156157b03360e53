"""Size, binary and rate limits of PROTOCOL.md section 6, read from the target's `limits`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, error_summary, expect_usable

pytestmark = pytest.mark.asyncio

# The largest rate limit this suite drives to its edge in one bounded burst.
MAX_BURST = 2000
# The largest frame size limit this suite sends a frame of.
MAX_FRAME_BYTES = 4 * 1024 * 1024


def limit_of(client: Any, name: str) -> int:
    """Return one of the target's advertised limits from `connection_established.limits`."""
    limits = (client.established or {}).get("limits")
    value = limits.get(name) if isinstance(limits, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CheckFailed(
            f"connection_established.limits.{name}",
            expected="a positive integer",
            observed=limits,
        )
    return value


def ping_of_size(size: int, message_id: str) -> str:
    """Return a ping text frame of exactly `size` UTF-8 bytes (padding in its payload)."""
    head = '{"type": "ping", "message_id": "' + message_id + '", "payload": {"pad": "'
    tail = '"}}'
    pad = size - len(head) - len(tail)
    if pad < 0:
        raise CheckFailed(
            "max_message_bytes", expected=f">= {len(head) + len(tail)}", observed=size
        )
    return head + "x" * pad + tail


def sized_limit(client: Any) -> int:
    """Return the target's max_message_bytes, skipping a target whose limit is too big to send."""
    limit = limit_of(client, "max_message_bytes")
    if limit > MAX_FRAME_BYTES:
        pytest.skip(f"max_message_bytes {limit} exceeds this suite's bound {MAX_FRAME_BYTES}")
    return limit


async def test_frame_of_exactly_max_size_accepted(connect: Any) -> None:
    """A text frame of exactly max_message_bytes is processed (a pong comes back)."""
    client = await connect()
    limit = sized_limit(client)
    frame = ping_of_size(limit, "max-size")
    assert len(frame.encode()) == limit
    await client.send_raw(frame)
    reply = await client.recv(within=REPLY_WITHIN)
    observed = (reply.get("type"), reply.get("message_id"))
    assert observed == (P.PONG, "max-size"), (
        f"reply to a frame of exactly {limit} bytes: expected ('pong', 'max-size'), "
        f"observed {error_summary(reply)} (close code {client.close_code})"
    )
    await expect_usable(client)


async def test_frame_over_max_size_closes_1009(connect: Any) -> None:
    """A text frame one byte over max_message_bytes closes the connection with 1009."""
    client = await connect()
    limit = sized_limit(client)
    await client.send_raw(ping_of_size(limit + 1, "too-big"))
    code = await client.wait_closed(within=REPLY_WITHIN)
    assert code == P.CLOSE_MESSAGE_TOO_BIG, (
        f"close code after a {limit + 1}-byte frame: expected 1009, observed {code}"
    )


async def test_binary_frame_closes_1003(connect: Any) -> None:
    """A binary frame closes the connection with 1003."""
    client = await connect()
    await client.send_raw(b'{"type": "ping", "message_id": "bin-1"}')
    code = await client.wait_closed(within=REPLY_WITHIN)
    assert code == P.CLOSE_UNSUPPORTED_DATA, (
        f"close code after a binary frame: expected 1003, observed {code}"
    )


async def test_rate_limit(connect: Any, http: Any) -> None:
    """One frame over max_messages_per_minute gets RATE_LIMITED and is not processed nor counted."""
    client = await connect()
    limit = limit_of(client, "max_messages_per_minute")
    if limit >= MAX_BURST:
        pytest.skip(f"max_messages_per_minute {limit} is beyond a bounded burst of {MAX_BURST}")
    burst = [f"rl-{index}" for index in range(limit + 1)]
    for message_id in burst:
        await client.send({"type": P.PING, "message_id": message_id})
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10.0 + limit / 100
    while len(replies) < len(burst):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            replies.append(await client.recv(within=remaining))
        except CheckFailed:
            break
    pongs = [str(r.get("message_id")) for r in replies if r.get("type") == P.PONG]
    limited = [r for r in replies if r.get("error_code") == P.RATE_LIMITED]
    others = [error_summary(r) for r in replies if r.get("type") != P.PONG and r not in limited]
    observed = {"pongs": len(pongs), "RATE_LIMITED": len(limited), "other": others[:3]}
    expected = {"pongs": limit, "RATE_LIMITED": 1, "other": []}
    if observed != expected:
        raise CheckFailed(
            f"replies to {limit + 1} pings sent at once", expected=expected, observed=observed
        )
    assert limited[0].get("message_id") is None, (
        f"RATE_LIMITED message_id: expected None, observed {limited[0].get('message_id')!r}"
    )
    assert sorted(pongs) == sorted(burst[:limit]), (
        f"pongs: expected the first {limit} pings answered, "
        f"observed the unanswered {sorted(set(burst) - set(pongs))}"
    )
    reply = await http.get(P.STATS_PATH, token=client.user.token)
    stats = reply.json or {}
    observed_stats = {
        "messages_routed": stats.get("messages_routed"),
        "errors": {k: v for k, v in (stats.get("errors") or {}).items() if v},
    }
    expected_stats = {"messages_routed": limit, "errors": {P.RATE_LIMITED: 1}}
    assert observed_stats == expected_stats, (
        f"/stats after the burst: expected {expected_stats}, observed {observed_stats}"
    )
