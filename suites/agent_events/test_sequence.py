"""seq numbers every frame of a connection 1, 2, 3, ... (PROTOCOL.md section 3).

Wrong servers the data tells apart:
- seq that starts at 0 or at another number, skips one (e.g. after the ack), repeats one,
  or restarts with each run: one connection with two runs and every frame judged;
- seq counted per user or per server rather than per connection: two connections of the
  same user, their frames interleaved, each must count 1, 2, 3, ... on its own (a fresh
  user's first connection alone cannot tell a per-user counter apart).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.suite_api import CheckFailed, Client, Connect, Metrics, needs, premise
from harness.suite_api import protocol as P
from suites.agent_events.observation import Request, run_all, run_one

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

TOOL_RUN = "What is 2+3 and (7-1) * 4?"
FAIL_RUN = "fail: the tool chain broke"


def _seq_problem(client: Client) -> dict[str, Any] | None:
    """The connection's (type, seq) list when its seqs are not 1, 2, ..., n; else None."""
    seqs = [f.get("seq") for f in client.frames]
    # A bool is no JSON integer, though Python's True == 1.
    if seqs == list(range(1, len(seqs) + 1)) and not any(isinstance(s, bool) for s in seqs):
        return None
    return {
        "expected": f"1, 2, ..., {len(seqs)}",
        "observed": list(zip([f.get("type") for f in client.frames], seqs, strict=True)),
    }


@premise("3.seq.present")
@pytest.mark.rules("3.seq.starts-at-one", "3.seq.increments-by-one", "6.close.never-1011")
async def test_seq_increases_by_exactly_one(connect: Connect, metrics: Metrics) -> None:
    """seq is 1 on connection_established and grows by exactly 1 with every frame received."""
    client = await connect()
    # Two runs at once: their events interleave, and one counter must number them all.
    await run_all(client, [Request(TOOL_RUN), Request(FAIL_RUN)], metrics)
    problem = _seq_problem(client)
    if problem is not None:
        raise CheckFailed("seq of every frame on one connection, in arrival order", **problem)


@premise("3.seq.per-connection")
@pytest.mark.rules(
    "3.seq.starts-at-one",
    "3.seq.increments-by-one",
    "6.close.never-1011",
)
async def test_seq_is_counted_per_connection(connect: Connect, metrics: Metrics) -> None:
    """Two connections of one user, used at once, each number their own frames from 1."""
    first = await connect()
    second = await connect(first.user)
    await asyncio.gather(
        run_one(first, TOOL_RUN, metrics), run_one(second, "What is 2+3?", metrics)
    )
    await second.request(P.PING)
    await first.request(P.PING)
    problems = {
        name: problem
        for name, client in (("first connection", first), ("second connection", second))
        if (problem := _seq_problem(client)) is not None
    }
    if problems:
        raise CheckFailed(
            "seq on two connections of the same user, used at once",
            expected={name: problem["expected"] for name, problem in problems.items()},
            observed={name: problem["observed"] for name, problem in problems.items()},
        )
