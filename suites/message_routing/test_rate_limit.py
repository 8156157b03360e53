"""The rate limit of PROTOCOL.md section 6, driven to its edge with one bounded burst per test.

Wrong servers these tests tell apart from a correct one:
- off by one: the limit-th frame refused, or the (limit + 1)-th answered;
- RATE_LIMITED carrying the frame's message_id instead of null;
- a rate-limited frame parsed anyway: a non-JSON one answered FORMAT_ERROR, a user_message
  acked or run;
- a rate-limited frame counted in messages_routed or message_types of /stats;
- frames answered with an error not counted toward the window (only valid ones counted);
- a window shared by all connections of a user instead of one per connection;
- rate-limited frames counted toward the window (a minute-long test, planned only with
  --harness-long-waits: it must wait for the accepted frames to age out of the 60 s window).
A target whose limit is above LARGEST_BURST frames a minute is skipped with
`skip_unverifiable_limit`, which the verdict lists as a limit not verified.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import pytest

from harness.suite_api import (
    CheckFailed,
    Client,
    Connect,
    HarnessError,
    HttpClient,
    UserFactory,
    needs,
    skip_unverifiable_limit,
)
from harness.suite_api import protocol as P
from suites.message_routing.counters import expect_counters, fresh
from suites.message_routing.replies import (
    NO_RUN_QUIET,
    REPLY_WITHIN,
    error_summary,
    expect_nothing_more,
    limit_of,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# The largest max_messages_per_minute this suite drives to its edge. A burst of 20,000 pings
# and their pongs takes about 3 s on loopback against the reference server.
LARGEST_BURST: Final = 20_000
# The deadline for the replies to a burst: generous per frame, bounded in total.
BURST_SECONDS_PER_FRAME: Final = 0.001
# The window of the rate limit (PROTOCOL.md section 6): a burst must fit well inside it.
RATE_WINDOW_S: Final = 60.0


def burst_limit(client: Client) -> int:
    """Return the target's max_messages_per_minute; skip (naming the limit) when too large."""
    limit = limit_of(client, "max_messages_per_minute")
    if limit > LARGEST_BURST:
        skip_unverifiable_limit("max_messages_per_minute", limit, LARGEST_BURST)
    return limit


async def burst(client: Client, frames: list[str | dict[str, Any]]) -> list[dict[str, Any]]:
    """Send `frames` at once; return the replies to them, in arrival order.

    Waits for one reply per frame (rate-limited ones included) within a deadline that
    grows with the burst; a burst that took longer than the rate window proves nothing.
    """
    started = time.monotonic()
    for frame in frames:
        await (client.send_raw(frame) if isinstance(frame, str) else client.send(frame))
    replies: list[dict[str, Any]] = []
    deadline = started + REPLY_WITHIN + len(frames) * BURST_SECONDS_PER_FRAME
    while len(replies) < len(frames):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            replies.append(await client.recv(within=remaining))
        except CheckFailed:
            break
    if time.monotonic() - started >= RATE_WINDOW_S / 2:
        raise HarnessError(
            f"a burst of {len(frames)} frames took over {RATE_WINDOW_S / 2:g} s: "
            "too slow to drive the 60 s rate window to its edge"
        )
    return replies


def pings(count: int, prefix: str) -> list[str | dict[str, Any]]:
    """Return `count` pings with message ids `<prefix>-0`, `<prefix>-1`, ..."""
    return [{"type": P.PING, "message_id": f"{prefix}-{index}"} for index in range(count)]


def tally(replies: list[dict[str, Any]]) -> dict[str, int]:
    """Return how many replies of each kind (the type, or an error's code) came back."""
    counts: dict[str, int] = {}
    for reply in replies:
        kind = str(reply.get("error_code") or reply.get("type"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def rate_limited(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the RATE_LIMITED error replies among `replies`."""
    return [r for r in replies if r.get("error_code") == P.RATE_LIMITED]


@pytest.mark.rules(
    "6.limit.rate-limited",
    "6.limit.rate-limit-boundary",
    "6.limit.rate-limited-message-id-null",
    "7.stats.rate-limited-not-counted",
)
async def test_one_frame_over_the_limit(connect: Connect, http: HttpClient) -> None:
    """Of max_messages_per_minute + 1 pings, the first are answered, the last is RATE_LIMITED."""
    client = await connect()
    user = client.user
    assert user is not None  # connect() with no user makes a fresh one
    limit = burst_limit(client)
    frames = pings(limit, "rl")
    frames.append({"type": P.PING, "message_id": "rl-over"})
    replies = await burst(client, frames)
    expected = {P.PONG: limit, P.RATE_LIMITED: 1}
    if tally(replies) != expected:
        raise CheckFailed(
            f"replies to {limit + 1} pings sent at once", expected=expected, observed=tally(replies)
        )
    answered = {r.get("message_id") for r in replies if r.get("type") == P.PONG}
    assert answered == {f"rl-{index}" for index in range(limit)}, (
        f"pongs: expected the first {limit} pings answered, observed "
        f"{sorted(str(m) for m in answered)[:5]}... ('rl-over' answered: {'rl-over' in answered})"
    )
    limited = rate_limited(replies)[0].get("message_id", "(absent)")
    assert limited is None, f"RATE_LIMITED message_id: expected null, observed {limited!r}"
    expected_stats = fresh(
        user.id,
        messages_routed=limit,
        message_types={P.PING: limit},
        errors={P.RATE_LIMITED: 1},
    )
    await expect_counters(http, user.token, expected_stats, f"{limit} pings and one rate-limited")


@pytest.mark.rules("6.limit.rate-limited-not-parsed", "6.limit.rate-limited-message-id-null")
async def test_rate_limited_frames_are_not_parsed(connect: Connect, http: HttpClient) -> None:
    """Over the limit, a non-JSON frame and a user_message get RATE_LIMITED and start nothing."""
    client = await connect()
    user = client.user
    assert user is not None  # connect() with no user makes a fresh one
    limit = burst_limit(client)
    frames = pings(limit, "np")
    frames.append("this is not JSON")
    frames.append(
        {"type": P.USER_MESSAGE, "message_id": "np-run", "payload": {"content": "What is 2+3?"}}
    )
    replies = await burst(client, frames)
    expected = {P.PONG: limit, P.RATE_LIMITED: 2}
    if tally(replies) != expected:
        raise CheckFailed(
            f"replies to {limit} pings, a non-JSON frame and a user_message sent at once",
            expected=expected,
            observed=tally(replies),
        )
    ids = [r.get("message_id", "(absent)") for r in rate_limited(replies)]
    assert ids == [None, None], f"RATE_LIMITED message_ids: expected [None, None], observed {ids}"
    await expect_nothing_more(client, quiet=NO_RUN_QUIET)
    expected_stats = fresh(
        user.id,
        messages_routed=limit,
        message_types={P.PING: limit},
        errors={P.RATE_LIMITED: 2},
    )
    await expect_counters(
        http, user.token, expected_stats, f"{limit} pings and 2 rate-limited frames"
    )


@pytest.mark.rules("6.limit.rate-limited", "6.limit.rate-limit-boundary")
async def test_rejected_frames_count_toward_the_window(connect: Connect) -> None:
    """Frames answered with an error count toward the window like accepted ones."""
    client = await connect()
    limit = burst_limit(client)
    if limit < 3:
        raise HarnessError(f"max_messages_per_minute {limit}: too small to mix frame kinds")
    frames = pings(limit - 2, "mix")
    frames.append({"type": "frobnicate", "message_id": "mix-unknown"})
    frames.append("not JSON either")
    frames.append({"type": P.PING, "message_id": "mix-over"})
    replies = await burst(client, frames)
    expected = {P.PONG: limit - 2, P.UNKNOWN_TYPE: 1, P.FORMAT_ERROR: 1, P.RATE_LIMITED: 1}
    if tally(replies) != expected:
        raise CheckFailed(
            f"replies to {limit - 2} pings, an unknown type, a non-JSON frame and one ping more",
            expected=expected,
            observed=tally(replies),
        )


@pytest.mark.rules("6.limit.rate-limit-per-connection")
async def test_rate_limit_is_per_connection(connect: Connect, users: UserFactory) -> None:
    """While one connection is rate-limited, another connection of the same user is answered."""
    user = users.new(prefix="rate-conn")
    first = await connect(user)
    second = await connect(user)
    limit = burst_limit(first)
    frames = pings(limit, "pc")
    frames.append({"type": P.PING, "message_id": "pc-over"})
    replies = await burst(first, frames)
    assert len(rate_limited(replies)) == 1, (
        f"replies to {limit + 1} pings on the first connection: expected one RATE_LIMITED, "
        f"observed {tally(replies)}"
    )
    reply = await second.request(P.PING, message_id="other-connection", within=REPLY_WITHIN)
    assert reply.get("type") == P.PONG, (
        f"ping on a second connection of the user while the first is rate-limited: "
        f"expected pong, observed {error_summary(reply)}"
    )


@pytest.mark.long_wait
@pytest.mark.rules("6.limit.rate-limited-not-in-window")
async def test_rate_limited_frames_do_not_count_toward_the_window(connect: Connect) -> None:
    """Once the accepted frames age out of the 60 s window, frames are accepted again.

    The burst of accepted frames comes first, then as many rate-limited ones half a window
    later: a server that counted those would still refuse frames when the first burst ages
    out, 60 s after it.
    """
    client = await connect()
    limit = burst_limit(client)
    replies = await burst(client, pings(limit, "w"))
    accepted_until = time.monotonic()
    assert tally(replies) == {P.PONG: limit}, f"replies to {limit} pings: {tally(replies)}"
    await asyncio.sleep(max(0.0, accepted_until + RATE_WINDOW_S / 2 - time.monotonic()))
    limited = await burst(client, pings(limit, "w-limited"))
    assert tally(limited) == {P.RATE_LIMITED: limit}, (
        f"replies to {limit} more pings within the window: expected all RATE_LIMITED, "
        f"observed {tally(limited)}"
    )
    # The last accepted frame was sent before its pong came back: 60 s later it aged out.
    await asyncio.sleep(max(0.0, accepted_until + RATE_WINDOW_S + 0.5 - time.monotonic()))
    await client.send({"type": P.PING, "message_id": "after-window"})
    reply = await client.recv(within=REPLY_WITHIN)
    assert (reply.get("type"), reply.get("message_id")) == (P.PONG, "after-window"), (
        f"ping once the accepted frames left the 60 s window (the rate-limited ones are "
        f"{RATE_WINDOW_S / 2:g} s old): expected pong, observed {error_summary(reply)}"
    )
