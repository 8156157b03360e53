"""Per-user `/stats` counters after a known sequence of frames (PROTOCOL.md section 7)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from harness.wire import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, expect_error

pytestmark = pytest.mark.asyncio

STATS_WITHIN = 3.0


def counters(stats: dict[str, Any]) -> dict[str, Any]:
    """Return the counters of a /stats body, zero entries of the count maps dropped."""
    view: dict[str, Any] = {
        key: stats.get(key)
        for key in (
            "user_id",
            "connections_open",
            "messages_routed",
            "runs_started",
            "runs_completed",
            "runs_failed",
        )
    }
    for key in ("message_types", "errors"):
        counts = stats.get(key)
        view[key] = {k: v for k, v in counts.items() if v} if isinstance(counts, dict) else counts
    return view


async def settled_stats(http: Any, token: str, expected: dict[str, Any]) -> dict[str, Any]:
    """Return the user's counters once they equal `expected`, or the last seen at the deadline."""
    deadline = time.monotonic() + STATS_WITHIN
    while True:
        reply = await http.get(P.STATS_PATH, token=token, within=REPLY_WITHIN)
        assert reply.status == 200, f"GET /stats: expected status 200, observed {reply.status}"
        observed = counters(reply.json if isinstance(reply.json, dict) else {})
        if observed == expected or time.monotonic() >= deadline:
            return observed
        # Run counters may be updated just after the terminal event is sent.
        await asyncio.sleep(0.05)


async def test_pings_counted(connect: Any, http: Any, users: Any) -> None:
    """Three pings from a fresh user count as three routed `ping` messages."""
    user = users.new(prefix="stats-ping")
    client = await connect(user)
    for index in range(3):
        await client.request(P.PING, message_id=f"sp-{index}")
    expected = {
        "user_id": user.id,
        "connections_open": 1,
        "messages_routed": 3,
        "runs_started": 0,
        "runs_completed": 0,
        "runs_failed": 0,
        "message_types": {"ping": 3},
        "errors": {},
    }
    observed = await settled_stats(http, user.token, expected)
    assert observed == expected, f"/stats after 3 pings: expected {expected}, observed {observed}"


async def test_known_sequence(connect: Any, http: Any, users: Any) -> None:
    """A known mix of accepted, rejected and non-JSON frames yields exact counters."""
    user = users.new(prefix="stats-mix")
    client = await connect(user)
    await client.request(P.PING, message_id="s-1")
    await client.request(P.PING, message_id="s-2")
    ack = await client.request(P.USER_MESSAGE, {"content": "What is 2+3?"}, message_id="s-3")
    done = await client.collect_run(ack.get("run_id"))
    assert done[-1].get("type") == P.AGENT_COMPLETED, (
        f"run of 'What is 2+3?': expected agent_completed last, observed {done[-1].get('type')}"
    )
    ack = await client.request(
        P.START_AGENT, {"user_request": "fail: on purpose"}, message_id="s-4"
    )
    failed = await client.collect_run(ack.get("run_id"))
    assert failed[-1].get("type") == P.AGENT_ERROR, (
        f"run of 'fail: on purpose': expected agent_error last, observed {failed[-1].get('type')}"
    )
    await client.send({"type": "frobnicate", "message_id": "s-5"})
    await expect_error(client, P.UNKNOWN_TYPE, "s-5")
    await client.send_raw("this is not json")
    await expect_error(client, P.FORMAT_ERROR, None)
    await client.send_raw("[1, 2]")
    await expect_error(client, P.INVALID_MESSAGE, None)
    await client.send({"type": P.USER_MESSAGE, "message_id": "s-6", "payload": {"content": ""}})
    await expect_error(client, P.INVALID_PAYLOAD, "s-6")
    expected = {
        "user_id": user.id,
        "connections_open": 1,
        "messages_routed": 7,
        "runs_started": 2,
        "runs_completed": 1,
        "runs_failed": 1,
        "message_types": {"ping": 2, "user_message": 2, "start_agent": 1, "frobnicate": 1},
        "errors": {
            "UNKNOWN_TYPE": 1,
            "FORMAT_ERROR": 1,
            "INVALID_MESSAGE": 1,
            "INVALID_PAYLOAD": 1,
        },
    }
    observed = await settled_stats(http, user.token, expected)
    assert observed == expected, (
        f"/stats after the known sequence: expected {expected}, observed {observed}"
    )


async def test_connections_open(connect: Any, http: Any, users: Any) -> None:
    """connections_open follows a user's open connections: two open, then one after a close."""
    user = users.new(prefix="stats-conn")
    first = await connect(user)
    await connect(user)
    reply = await http.get(P.STATS_PATH, token=user.token, within=REPLY_WITHIN)
    observed = (reply.json or {}).get("connections_open")
    assert observed == 2, f"connections_open with two connections: expected 2, observed {observed}"
    await first.close()
    expected = {
        "user_id": user.id,
        "connections_open": 1,
        "messages_routed": 0,
        "runs_started": 0,
        "runs_completed": 0,
        "runs_failed": 0,
        "message_types": {},
        "errors": {},
    }
    observed_after = await settled_stats(http, user.token, expected)
    assert observed_after == expected, (
        f"/stats after closing one of two connections: expected {expected}, "
        f"observed {observed_after}"
    )


async def test_stats_are_per_user(connect: Any, http: Any, users: Any) -> None:
    """Another user's frames never appear in a fresh user's counters."""
    busy = await connect()
    for index in range(3):
        await busy.request(P.PING, message_id=f"other-{index}")
    quiet_user = users.new(prefix="stats-quiet")
    await connect(quiet_user)
    expected = {
        "user_id": quiet_user.id,
        "connections_open": 1,
        "messages_routed": 0,
        "runs_started": 0,
        "runs_completed": 0,
        "runs_failed": 0,
        "message_types": {},
        "errors": {},
    }
    reply = await http.get(P.STATS_PATH, token=quiet_user.token, within=REPLY_WITHIN)
    observed = counters(reply.json if isinstance(reply.json, dict) else {})
    assert observed == expected, (
        f"/stats of a user who sent nothing: expected {expected}, observed {observed}"
    )
