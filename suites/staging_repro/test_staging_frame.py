"""The staging outage replayed: an ISO timestamp without a zone must be processed, not crash.

On staging, `start_agent` with payload `{"user_request": ...}` and timestamp
'2025-09-08T16:50:01.447585' crashed the handler and closed the socket with 1011.
PROTOCOL.md section 5: that string is UTC, 1757350201.447585.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.client import Client, is_close

pytestmark = pytest.mark.asyncio

Connect = Callable[..., Awaitable[Client]]

STAGING_TIMESTAMP = "2025-09-08T16:50:01.447585"
STAGING_EPOCH = 1757350201.447585
REQUEST = "Summarise the status of my deployment"
RUN_WITHIN_S = 10.0


@pytest.mark.parametrize(
    ("frame_type", "payload_key", "timestamp", "expected"),
    [
        pytest.param(
            "start_agent", "user_request", STAGING_TIMESTAMP, STAGING_EPOCH, id="original-frame"
        ),
        pytest.param(
            "start_agent",
            "user_request",
            "2025-09-08T16:50:01.447585Z",
            STAGING_EPOCH,
            id="start_agent-zone-Z",
        ),
        pytest.param(
            "start_agent",
            "user_request",
            "2025-09-08T16:50:01.447585-05:00",
            1757368201.447585,
            id="start_agent-offset-minus-0500",
        ),
        pytest.param(
            "user_message", "content", STAGING_TIMESTAMP, STAGING_EPOCH, id="in-user_message"
        ),
    ],
)
async def test_staging_frame_is_processed(
    connect: Connect, frame_type: str, payload_key: str, timestamp: str, expected: float
) -> None:
    """ack with the exact client_timestamp, a run that ends in agent_completed, socket open."""
    client = await connect()
    ack = await _reply(client, frame_type, {payload_key: REQUEST}, timestamp)
    if ack.get("type") != P.ACK or not is_close(ack.get("client_timestamp"), expected):
        raise CheckFailed(
            f"reply to {frame_type} with timestamp {timestamp!r}",
            expected=f"ack with client_timestamp {expected}",
            observed=ack,
            frames=[ack],
        )
    events = await client.collect_run(ack.get("run_id"), within=RUN_WITHIN_S)
    if events[-1].get("type") != P.AGENT_COMPLETED:
        raise CheckFailed(
            f"the run started by {frame_type} with timestamp {timestamp!r}",
            expected=f"a run ending in {P.AGENT_COMPLETED}",
            observed=[e.get("type") for e in events],
            frames=events,
        )
    await _still_open(client)


async def test_staging_timestamp_in_ping(connect: Connect) -> None:
    """pong with client_timestamp 1757350201.447585, socket open."""
    client = await connect()
    pong = await _reply(client, P.PING, {}, STAGING_TIMESTAMP)
    if pong.get("type") != P.PONG or not is_close(pong.get("client_timestamp"), STAGING_EPOCH):
        raise CheckFailed(
            f"reply to ping with timestamp {STAGING_TIMESTAMP!r}",
            expected=f"pong with client_timestamp {STAGING_EPOCH}",
            observed=pong,
            frames=[pong],
        )
    await _still_open(client)


async def _reply(
    client: Client, frame_type: str, payload: dict[str, Any], timestamp: str
) -> dict[str, Any]:
    """The direct reply to the frame; a closed connection (1011 on staging) fails with its code."""
    try:
        return await client.request(frame_type, payload, timestamp=timestamp)
    except CheckFailed:
        if client.close_code is None:
            raise
        raise CheckFailed(
            f"{frame_type} with timestamp {timestamp!r} (the staging outage)",
            expected="a direct reply on an open connection (never close 1011)",
            observed=f"connection closed with code {client.close_code}",
        ) from None


async def _still_open(client: Client) -> None:
    """A follow-up ping gets its pong: the connection survived the frame."""
    try:
        pong = await client.request(P.PING)
    except CheckFailed:
        if client.close_code is None:
            raise
        raise CheckFailed(
            "the connection after the staging frame",
            expected="still open: a follow-up ping gets a pong",
            observed=f"connection closed with code {client.close_code}",
        ) from None
    if pong.get("type") != P.PONG:
        raise CheckFailed("reply to a follow-up ping", expected=P.PONG, observed=pong)
