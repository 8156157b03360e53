"""Timestamps on the wire: exact client_timestamp, or INVALID_TIMESTAMP with nothing processed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.client import Client
from suites.timestamp_core.corpus import (
    ABSENT_OR_NULL,
    ACCEPTED,
    ACCEPTED_IN_AGENT_REQUESTS,
    AGENT_CONTENT,
    AGENT_PAYLOAD_KEY,
    REJECTED,
    REJECTED_IN_AGENT_REQUESTS,
)
from suites.timestamp_core.exchange import (
    check_client_timestamp,
    check_invalid_timestamp,
    check_not_processed,
    check_still_usable,
    send_with_timestamp,
)

pytestmark = pytest.mark.asyncio

Connect = Callable[..., Awaitable[Client]]
RUN_WITHIN_S = 10.0


@pytest.mark.parametrize(("timestamp", "expected"), [*ABSENT_OR_NULL, *ACCEPTED])
async def test_ping_timestamp_is_normalised(
    connect: Connect, timestamp: str | None, expected: float | None
) -> None:
    """The pong's client_timestamp is the literal epoch seconds (or null); the socket stays open."""
    client = await connect()
    _, reply = await send_with_timestamp(client, P.PING, {}, timestamp)
    check_client_timestamp(reply, P.PONG, timestamp, expected)
    await check_still_usable(client)


@pytest.mark.parametrize(("frame_type", "timestamp", "expected"), ACCEPTED_IN_AGENT_REQUESTS)
async def test_agent_request_timestamp_is_normalised(
    connect: Connect, frame_type: str, timestamp: str, expected: float
) -> None:
    """The ack's client_timestamp is the literal value, and the run it starts completes."""
    client = await connect()
    payload = {AGENT_PAYLOAD_KEY[frame_type]: AGENT_CONTENT}
    _, reply = await send_with_timestamp(client, frame_type, payload, timestamp)
    check_client_timestamp(reply, P.ACK, timestamp, expected)
    events = await client.collect_run(reply.get("run_id"), within=RUN_WITHIN_S)
    if events[-1].get("type") != P.AGENT_COMPLETED:
        raise CheckFailed(
            f"the run started by a {frame_type} with timestamp {timestamp}",
            expected=P.AGENT_COMPLETED,
            observed=[e.get("type") for e in events],
            frames=events,
        )
    await check_still_usable(client)


@pytest.mark.parametrize("timestamp", REJECTED)
async def test_ping_with_invalid_timestamp_is_rejected(connect: Connect, timestamp: str) -> None:
    """error INVALID_TIMESTAMP (no pong), and the connection stays open and usable."""
    client = await connect()
    message_id, reply = await send_with_timestamp(client, P.PING, {}, timestamp)
    check_invalid_timestamp(reply, message_id, timestamp)
    await check_still_usable(client)


@pytest.mark.parametrize(("frame_type", "timestamp"), REJECTED_IN_AGENT_REQUESTS)
async def test_agent_request_with_invalid_timestamp_starts_nothing(
    connect: Connect, http: Any, frame_type: str, timestamp: str
) -> None:
    """error INVALID_TIMESTAMP, no ack, no agent event, runs_started 0; the socket stays open."""
    client = await connect()
    payload = {AGENT_PAYLOAD_KEY[frame_type]: AGENT_CONTENT}
    message_id, reply = await send_with_timestamp(client, frame_type, payload, timestamp)
    check_invalid_timestamp(reply, message_id, timestamp)
    await check_still_usable(client)
    await check_not_processed(client, message_id, timestamp)
    assert client.user is not None
    stats = await http.get(P.STATS_PATH, token=client.user.token)
    runs = (stats.json or {}).get("runs_started")
    if stats.status != 200 or runs != 0:
        raise CheckFailed(
            f"/stats runs_started after a {frame_type} with rejected timestamp {timestamp}",
            expected="HTTP 200 with runs_started 0",
            observed=f"HTTP {stats.status} with runs_started {runs!r}",
        )
