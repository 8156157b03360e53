"""Latency to agent_started, measured alone in the serial performance phase.

Samples taken while other tests run in parallel would measure the harness's own
load as much as the target: the policy's budget (p50 and p95 of
`agent_started_latency_ms`, at least 30 samples) judges these instead.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import pytest

from harness.suite_api import AGENT_STARTED_LATENCY_MS, CheckFailed, Connect, Metrics
from harness.suite_api import protocol as P

pytestmark = [pytest.mark.asyncio, pytest.mark.perf]

CONNECTIONS: Final = 8
RUNS_PER_CONNECTION: Final = 5  # 40 samples, over the budget's 30 (a connection each)
RUN_WITHIN_S: Final = 15.0


async def _measure(connect: Connect, metrics: Metrics) -> None:
    for index in range(RUNS_PER_CONNECTION):
        # A connection per run: a target that drops a connection after a run still
        # yields every sample (and fails the test at teardown for what it did).
        client = await connect()
        sent_at = time.perf_counter()
        ack = await client.request(
            P.USER_MESSAGE, {"content": "What is 2+3?"}, message_id=f"lat-{index}"
        )
        if ack.get("type") != P.ACK:
            raise CheckFailed("reply to a user_message", expected=P.ACK, observed=ack)
        events = await client.collect_run(ack.get("run_id"), within=RUN_WITHIN_S)
        if events[0].get("type") != P.AGENT_STARTED:
            raise CheckFailed(
                "the first event of a run",
                expected=P.AGENT_STARTED,
                observed=[e.get("type") for e in events],
                frames=events,
            )
        metrics.record(AGENT_STARTED_LATENCY_MS, (time.perf_counter() - sent_at) * 1000.0, "ms")


@pytest.mark.rules("4.order.started-first", "6.close.never-1011")
async def test_latency_to_agent_started(connect: Connect, metrics: Metrics) -> None:
    """8 streams each run 5 requests in turn: 40 samples of the time to agent_started."""
    await asyncio.gather(*(_measure(connect, metrics) for _ in range(CONNECTIONS)))
