"""A turn's latencies, measured alone in the serial performance phase.

Samples taken while other tests run in parallel would measure the harness's own
load as much as the target: the policy's budgets (p50 and p95 of
`agent_started_latency_ms`, at least 30 samples, and the turn's optional budgets,
docs/TURNS.md) judge these instead. Each sample is taken from the arrival of the frame
it names, read one by one: the time to agent_started is the time to that frame, not to
the end of its run.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Final

import pytest

from harness.suite_api import (
    AGENT_STARTED_LATENCY_MS,
    TURN_FIRST_FRAME_MS,
    TURN_FIRST_TEXT_MS,
    TURN_LARGEST_GAP_MS,
    TURN_TERMINAL_MS,
    CheckFailed,
    Connect,
    Metrics,
    Target,
    TurnReader,
    turn_shape,
)
from harness.suite_api import protocol as P

pytestmark = [pytest.mark.asyncio, pytest.mark.perf]

# 40 samples, over the budget's 30 (a connection each): 20 streams of 2 turns, so that a
# slow target is judged in 2 of its turns' time, not in 5.
CONNECTIONS: Final = 20
RUNS_PER_CONNECTION: Final = 2
RUN_WITHIN_S: Final = 15.0


async def _measure(connect: Connect, target: Target, metrics: Metrics) -> None:
    """One connection per turn (a target that drops a connection after a turn still yields
    every sample, and fails the test at teardown for what it did): the time from the
    request to the turn's first frame, which must be agent_started, its first text and
    its terminal, and the largest gap between two of its frames."""
    shape = turn_shape(target.profile)
    for index in range(RUNS_PER_CONNECTION):
        client = await connect()
        reader = TurnReader(shape)
        request = {"content": "What is 2+3?"}
        sent_at = time.perf_counter()
        await client.send(
            {"type": P.USER_MESSAGE, "message_id": f"lat-{index}", "payload": request}
        )
        arrivals: list[float] = []
        first_text: float | None = None
        deadline = sent_at + RUN_WITHIN_S
        while not reader.turns or reader.turns[-1].terminal is None:
            frame = await client.recv(within=max(0.0, deadline - time.perf_counter()))
            now = time.perf_counter()
            before = len(reader.turns[-1].frames) if reader.turns else 0
            reader.feed(frame)
            if not reader.turns or len(reader.turns[-1].frames) == before:
                continue  # not a frame of the turn (the ack)
            arrivals.append(now)
            streams = reader.turns[-1].streams.values()
            if first_text is None and any(s.deltas or s.final_text is not None for s in streams):
                first_text = now
        frames = [dict(f) for f in reader.turns[-1].frames]
        if frames[0].get("type") != P.AGENT_STARTED:
            raise CheckFailed(
                "the first event of a run",
                expected=P.AGENT_STARTED,
                observed=[f.get("type") for f in frames],
                frames=frames,
            )
        if first_text is None:
            raise CheckFailed(
                "the text of a completed turn",
                expected="a text delta, or the whole text",
                observed=[f.get("type") for f in frames],
                frames=frames,
            )
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        metrics.record(AGENT_STARTED_LATENCY_MS, (arrivals[0] - sent_at) * 1000.0, "ms")
        metrics.record(TURN_FIRST_FRAME_MS, (arrivals[0] - sent_at) * 1000.0, "ms")
        metrics.record(TURN_FIRST_TEXT_MS, (first_text - sent_at) * 1000.0, "ms")
        metrics.record(TURN_TERMINAL_MS, (arrivals[-1] - sent_at) * 1000.0, "ms")
        metrics.record(TURN_LARGEST_GAP_MS, max(gaps, default=0.0) * 1000.0, "ms")


@pytest.mark.rules("4.order.started-first", "4.turn.one-terminal", "6.close.never-1011")
async def test_latency_to_agent_started(connect: Connect, target: Target, metrics: Metrics) -> None:
    """20 streams each run 2 turns in turn: 40 samples of the time to agent_started, and of
    each of a turn's latencies (docs/TURNS.md)."""
    await asyncio.gather(*(_measure(connect, target, metrics) for _ in range(CONNECTIONS)))
