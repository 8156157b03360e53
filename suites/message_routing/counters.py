"""A user's `/stats` counters as the message_routing tests compare them (PROTOCOL.md 7)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

from harness.suite_api import CheckFailed, HttpClient
from harness.suite_api import protocol as P
from suites.message_routing.replies import REPLY_WITHIN

# Run counters may be updated just after a run's terminal event is sent (a reading of
# docs/PROTOCOL.md): counters are re-read for this long before they are compared.
STATS_WITHIN: Final = 3.0
# Other counters change by the time the reply to their frame is sent; a short re-read covers
# a server that counts just after replying, and keeps a wrong counter from costing 3 s a test.
STATS_WITHIN_NO_RUN: Final = 0.5
COUNTER_KEYS: Final = (
    "user_id",
    "connections_open",
    "messages_routed",
    "runs_started",
    "runs_completed",
    "runs_failed",
)
COUNT_MAPS: Final = ("message_types", "errors")
RUN_COUNTERS: Final = ("runs_started", "runs_completed", "runs_failed")


def counters(stats: dict[str, Any]) -> dict[str, Any]:
    """Return the counters of a /stats body, zero entries of the count maps dropped.

    A counter whose value is zero may be present or absent (docs/PROTOCOL.md, readings):
    an absent counter reads 0 and an absent count map {}; `user_id` is no counter and must
    be there.
    """
    view: dict[str, Any] = {
        key: stats.get(key, "(absent)" if key == "user_id" else 0) for key in COUNTER_KEYS
    }
    for key in COUNT_MAPS:
        counts = stats.get(key, {})
        view[key] = (
            {k: v for k, v in counts.items() if v != 0} if isinstance(counts, dict) else counts
        )
    return view


def fresh(user_id: str, *, connections: int = 1, **changed: Any) -> dict[str, Any]:
    """Return the counters of a user who sent nothing yet, with `changed` ones replaced."""
    view: dict[str, Any] = {
        "user_id": user_id,
        "connections_open": connections,
        "messages_routed": 0,
        "runs_started": 0,
        "runs_completed": 0,
        "runs_failed": 0,
        "message_types": {},
        "errors": {},
    }
    view.update(changed)
    return view


async def read_counters(http: HttpClient, token: str) -> dict[str, Any]:
    """Return the caller's counters from one GET /stats, which must answer 200 with JSON."""
    reply = await http.get(P.STATS_PATH, token=token, within=REPLY_WITHIN)
    if reply.status != 200 or not isinstance(reply.json, dict):
        raise CheckFailed(
            "GET /stats with a valid token",
            expected="status 200 and a JSON object",
            observed=f"status {reply.status}: {reply.text[:200]!r}",
        )
    return counters(reply.json)


async def settled_counters(
    http: HttpClient, token: str, expected: dict[str, Any], keys: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Return the caller's counters (`keys` of them) once they equal `expected`, or the last read.

    Counters are re-read for STATS_WITHIN_NO_RUN seconds, and for up to STATS_WITHIN while
    the only difference is in the run counters (a run counted just after its last event).
    """
    started = time.monotonic()
    while True:
        observed = await read_counters(http, token)
        if keys is not None:
            observed = {key: observed[key] for key in keys}
        if observed == expected:
            return observed
        elapsed = time.monotonic() - started
        differ = {key for key in observed if observed[key] != expected.get(key)}
        if elapsed >= STATS_WITHIN or (
            elapsed >= STATS_WITHIN_NO_RUN and not differ <= set(RUN_COUNTERS)
        ):
            return observed
        await asyncio.sleep(0.05)


async def expect_counters(
    http: HttpClient, token: str, expected: dict[str, Any], after: str, *, only: bool = False
) -> None:
    """Check that the caller's counters (`only` those `expected` names) settle to `expected`."""
    keys = tuple(expected) if only else None
    observed = await settled_counters(http, token, expected, keys)
    if observed != expected:
        changed = {k: observed[k] for k in observed if observed[k] != expected.get(k)}
        raise CheckFailed(
            f"/stats after {after}",
            expected={k: expected[k] for k in changed},
            observed=changed,
        )
