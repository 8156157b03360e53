"""The endpoint, the HTTP routes and the welcome frame (PROTOCOL.md sections 1 and 3).

Wrong servers these tests tell apart from a correct one:
- /health answers something other than 200 {"status": "ok"} (a plain "OK", another key);
- an unknown path answers 200 (a catch-all page) or is matched by prefix (/healthz as /health);
- the first frame is not connection_established (a pong-like hello, an event, nothing);
- connection_established names another user (a default user, the connection id), lacks
  connection_id, gives server_time in milliseconds or as a string, or gives limits as
  strings, zero or booleans;
- a server frame that is not exactly one JSON object: two objects in one frame, a bare
  array, NaN (not RFC 8259 JSON), a binary frame.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    HttpClient,
    Target,
    Transcript,
    UserFactory,
    needs,
    not_welcomed,
)
from harness.suite_api import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, fresh_thread_id

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# server_time is epoch seconds; a value a day away from the harness's clock is another unit
# (milliseconds, microseconds) or another epoch, not a clock skew.
CLOCK_SLACK_S = 24 * 3600.0


@pytest.mark.rules("1.http.health")
async def test_health(http: HttpClient, target: Target) -> None:
    """GET /health answers 200 with exactly {"status": "ok"} (the profile says so: for
    chat-agent/1 those literals, for another dialect its own path and answer)."""
    reply = await http.get(P.HEALTH_PATH, within=REPLY_WITHIN)
    observed = (reply.status, reply.json)
    expected = target.profile.healthy
    assert observed == expected, f"GET /health: expected {expected}, observed {observed}"


@pytest.mark.rules("1.http.not-found")
@pytest.mark.parametrize(
    "path",
    ["/", "/does-not-exist", "/healthz", "/health/extra", "/stats/extra", "/wss"],
    ids=["root", "unknown", "health-prefix", "under-health", "under-stats", "ws-prefix"],
)
async def test_other_paths_are_404(http: HttpClient, path: str) -> None:
    """A GET of a path other than /ws, /health and /stats answers 404."""
    reply = await http.get(path, within=REPLY_WITHIN)
    assert reply.status == 404, f"GET {path}: expected status 404, observed {reply.status}"


@pytest.mark.rules(
    "1.transport.endpoint",
    "1.welcome.first-frame",
    "3.frame.connection-established.user-id",
    "3.frame.connection-established.connection-id",
    "3.frame.connection-established.server-time",
    "3.frame.connection-established.limits-max-message-bytes",
)
async def test_welcome_frame(connect: Connect, users: UserFactory) -> None:
    """The first frame on /ws is connection_established naming the token's user, with limits."""
    user = users.new(prefix="welcome")
    client = await connect(user, established=False)
    first = await client.recv(within=REPLY_WITHIN)
    if first.get("type") != P.CONNECTION_ESTABLISHED:
        seen = first.get("type")
        raise CheckFailed(
            "first frame after the handshake",
            expected=P.CONNECTION_ESTABLISHED,
            observed=first,
            deviation=not_welcomed(seen if isinstance(seen, str) else None),
        )
    assert first.get("user_id") == user.id, (
        f"connection_established.user_id: expected {user.id!r}, observed {first.get('user_id')!r}"
    )
    connection_id = first.get("connection_id")
    assert isinstance(connection_id, str) and connection_id, (
        f"connection_established.connection_id: expected a non-empty string, "
        f"observed {connection_id!r}"
    )
    server_time = first.get("server_time")
    now = time.time()
    plausible = (
        isinstance(server_time, int | float)
        and not isinstance(server_time, bool)
        and math.isfinite(server_time)
        and abs(server_time - now) <= CLOCK_SLACK_S
    )
    assert plausible, (
        f"connection_established.server_time: expected a finite number of epoch seconds "
        f"(the harness's clock reads {now:.0f}), observed {server_time!r}"
    )
    _check_limit(first, "max_message_bytes")


@pytest.mark.rules("3.frame.connection-established.limits-max-messages-per-minute")
async def test_welcome_announces_the_rate_limit(connect: Connect) -> None:
    """connection_established.limits.max_messages_per_minute is a positive integer."""
    client = await connect()
    assert client.established is not None
    _check_limit(client.established, "max_messages_per_minute")


def _check_limit(welcome: dict[str, Any], name: str) -> None:
    limits = welcome.get("limits")
    assert isinstance(limits, dict), f"connection_established.limits: observed {limits!r}"
    value = limits.get(name)
    assert isinstance(value, int) and not isinstance(value, bool) and value >= 1, (
        f"connection_established.limits.{name}: expected a positive integer, observed {value!r}"
    )


@pytest.mark.rules("1.transport.one-json-object-per-frame")
async def test_every_server_frame_is_one_json_object(
    connect: Connect, transcript: Transcript
) -> None:
    """Every frame of a session with each kind of server frame is one RFC 8259 JSON object."""
    client = await connect()
    thread_id = fresh_thread_id()
    await client.request(P.PING, message_id="j-1")
    ack = await client.request(
        P.USER_MESSAGE, {"content": "What is 7/2?", "thread_id": thread_id}, message_id="j-2"
    )
    await client.collect_run(ack.get("run_id"))
    await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}, message_id="j-3")
    await client.request("frobnicate", message_id="j-4")
    received = [entry for entry in transcript.export() if entry["dir"] == "recv"]
    assert len(received) >= 9, f"frames received: expected at least 9, observed {len(received)}"
    bad = [entry["data"][:120] for entry in received if not _one_json_object(entry["data"])]
    if bad:
        raise CheckFailed(
            "server frames", expected="text frames holding one JSON object each", observed=bad
        )


def _one_json_object(text: str) -> bool:
    """Return whether `text` is exactly one JSON object (NaN and Infinity are not JSON)."""
    try:
        value = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return False
    return isinstance(value, dict)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
