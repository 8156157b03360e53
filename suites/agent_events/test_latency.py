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
    TurnDriver,
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
    every sample, and fails the test at teardown for what it did), asked for in the target's
    dialect: the time from the request to the turn's first frame (where the dialect has
    chat-agent/1's runs, agent_started), its first text and its terminal, and the largest
    gap between two of its frames."""
    shape = turn_shape(target.profile)
    for _ in range(RUNS_PER_CONNECTION):
        client = await connect()
        taken = await TurnDriver(client, shape).take("What is 2+3?", within=RUN_WITHIN_S)
        turn = taken.turn
        frames = [dict(f) for f in turn.frames] if turn is not None else []
        if turn is None or turn.terminal is None:
            raise CheckFailed(
                "a turn asked for", expected="its terminal", observed=taken.error, frames=frames
            )
        if client.checks.applies("4.order.started-first") and frames[0].get("type") != (
            P.AGENT_STARTED
        ):
            raise CheckFailed(
                "the first event of a run",
                expected=P.AGENT_STARTED,
                observed=[f.get("type") for f in frames],
                frames=frames,
            )
        if taken.first_text_ms is None and turn.terminal == "completed":
            raise CheckFailed(
                "the text of a completed turn",
                expected="a text delta, or the whole text",
                observed=[f.get("type") for f in frames],
                frames=frames,
            )
        arrivals = [at for at in map(taken.at_ms, turn.frames) if at is not None]
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        metrics.record(AGENT_STARTED_LATENCY_MS, arrivals[0], "ms")
        metrics.record(TURN_FIRST_FRAME_MS, arrivals[0], "ms")
        if taken.first_text_ms is not None:
            metrics.record(TURN_FIRST_TEXT_MS, taken.first_text_ms, "ms")
        metrics.record(TURN_TERMINAL_MS, arrivals[-1], "ms")
        metrics.record(TURN_LARGEST_GAP_MS, max(gaps, default=0.0), "ms")


@pytest.mark.rules("4.order.started-first", "4.turn.one-terminal", "6.close.never-1011")
async def test_latency_to_agent_started(connect: Connect, target: Target, metrics: Metrics) -> None:
    """20 streams each run 2 turns in turn: 40 samples of the time to agent_started, and of
    each of a turn's latencies (docs/TURNS.md)."""
    await asyncio.gather(*(_measure(connect, target, metrics) for _ in range(CONNECTIONS)))
