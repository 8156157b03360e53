"""Per-user `/stats` counters after known sequences of frames (PROTOCOL.md section 7).

Every test compares all the counters of its user exactly, so a counter that moves when
it should not fails too. Wrong servers these tests tell apart from a correct one:
- /stats answered without a valid token (200 for anyone, the counters of a default user),
  or refused with another status (403, 500 on a malformed token);
- a body missing a counter, user_id not the token's sub;
- pings not counted (the `stats-drift` defect), rejected JSON frames not counted in
  messages_routed or message_types, non-JSON frames counted, a non-string type counted
  under its text ("7"), an untyped frame counted under "null" or "";
- errors counting agent_error as an error frame, or missing FORMAT_ERROR;
- runs_failed not incremented on agent_error, runs_completed counting failed runs;
- connections_open counting closed connections, refused ones, or other users';
- another user's frames, errors or runs in the caller's counters (a global counter).
Rate-limited frames are checked in test_rate_limit.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.suite_api import Connect, HttpClient, UserFactory, needs, premise
from harness.suite_api import protocol as P
from suites.message_routing.counters import expect_counters, fresh
from suites.message_routing.replies import ERROR_FRAME, REPLY_WITHIN, expect_error

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param("none", id="no-header", marks=pytest.mark.rules("7.stats.no-token-401")),
        pytest.param("forged", id="forged", marks=pytest.mark.rules("7.stats.invalid-token-401")),
        pytest.param("expired", id="expired", marks=pytest.mark.rules("7.stats.invalid-token-401")),
        pytest.param(
            "malformed", id="malformed", marks=pytest.mark.rules("7.stats.invalid-token-401")
        ),
        pytest.param(
            "empty", id="empty-bearer", marks=pytest.mark.rules("7.stats.invalid-token-401")
        ),
    ],
)
async def test_stats_refused_without_a_valid_token(
    connect: Connect, http: HttpClient, users: UserFactory, credentials: str
) -> None:
    """GET /stats answers 401 without a valid bearer token, even for a user who has traffic."""
    user = users.new(prefix="stats-auth")
    client = await connect(user)
    await client.request(P.PING, message_id="before-stats")
    headers: dict[str, str] = {}
    if credentials == "forged":
        headers["Authorization"] = "Bearer " + users.token(user.id, secret="not-the-secret" * 3)
    elif credentials == "expired":
        headers["Authorization"] = "Bearer " + users.token(user.id, exp_in=-120.0)
    elif credentials == "malformed":
        headers["Authorization"] = "Bearer not.a.jwt"
    elif credentials == "empty":
        headers["Authorization"] = "Bearer "
    reply = await http.get(P.STATS_PATH, headers=headers, within=REPLY_WITHIN)
    assert reply.status == 401, (
        f"GET /stats with {credentials} credentials: expected status 401, observed {reply.status}"
    )


@pytest.mark.rules("7.stats.body", "7.stats.user-id", "7.stats.connections-open")
async def test_stats_body(connect: Connect, http: HttpClient, users: UserFactory) -> None:
    """/stats answers 200 with every counter, named for the token's user, zero when idle.

    A counter whose value is zero may be absent (docs/PROTOCOL.md, readings): with one
    connection open, `user_id` and `connections_open` must be there, and every other
    counter is zero, present or not.
    """
    user = users.new(prefix="stats-body")
    await expect_counters(http, user.token, fresh(user.id, connections=0), "no connection yet")
    await connect(user)
    reply = await http.get(P.STATS_PATH, token=user.token, within=REPLY_WITHIN)
    body = reply.json if isinstance(reply.json, dict) else None
    missing = [key for key in ("user_id", "connections_open") if key not in (body or {})]
    assert (reply.status, body is not None, missing) == (200, True, []), (
        f"GET /stats: expected status 200 and a JSON object with user_id and "
        f"connections_open, observed status {reply.status}, body {reply.json!r}"
    )
    await expect_counters(http, user.token, fresh(user.id), "one connection, nothing sent")


@pytest.mark.rules("7.stats.messages-routed", "7.stats.message-types")
async def test_pings_counted(connect: Connect, http: HttpClient, users: UserFactory) -> None:
    """Three pings from a fresh user count as three routed `ping` messages."""
    user = users.new(prefix="stats-ping")
    client = await connect(user)
    for index in range(3):
        await client.request(P.PING, message_id=f"sp-{index}")
    expected = fresh(user.id, messages_routed=3, message_types={P.PING: 3})
    await expect_counters(http, user.token, expected, "3 pings")


@premise("7.stats.messages-routed-includes-rejected")
@pytest.mark.rules(
    "7.stats.messages-routed-includes-rejected",
    "7.stats.message-types",
    "7.stats.errors",
    *ERROR_FRAME,
)
async def test_rejected_frames_counted(
    connect: Connect, http: HttpClient, users: UserFactory
) -> None:
    """Rejected JSON frames count as routed, under their type, and their errors by code."""
    user = users.new(prefix="stats-rejected")
    client = await connect(user)
    frames: list[tuple[dict[str, Any], str]] = [
        ({"type": "frobnicate", "message_id": "r-1"}, P.UNKNOWN_TYPE),
        (
            {"type": P.USER_MESSAGE, "message_id": "r-2", "payload": {"content": ""}},
            P.INVALID_PAYLOAD,
        ),
        ({"type": P.PING, "message_id": "r-3", "timestamp": True}, P.INVALID_TIMESTAMP),
        ({"type": P.PING, "message_id": "r-4", "payload": None}, P.INVALID_MESSAGE),
        (
            {
                "type": P.GET_THREAD_HISTORY,
                "message_id": "r-5",
                "payload": {"thread_id": "t-none-" + user.id},
            },
            P.THREAD_NOT_FOUND,
        ),
        ({"type": "frobnicate", "message_id": "r-6"}, P.UNKNOWN_TYPE),
    ]
    for frame, code in frames:
        await client.send(frame)
        await expect_error(client, code, frame["message_id"])
    expected = fresh(
        user.id,
        messages_routed=6,
        message_types={"frobnicate": 2, P.USER_MESSAGE: 1, P.PING: 2, P.GET_THREAD_HISTORY: 1},
        errors={
            P.UNKNOWN_TYPE: 2,
            P.INVALID_PAYLOAD: 1,
            P.INVALID_TIMESTAMP: 1,
            P.INVALID_MESSAGE: 1,
            P.THREAD_NOT_FOUND: 1,
        },
    )
    await expect_counters(http, user.token, expected, "6 rejected JSON frames")


@premise("7.stats.messages-routed-excludes-non-json")
@pytest.mark.rules("7.stats.messages-routed-excludes-non-json", "7.stats.errors", *ERROR_FRAME)
async def test_non_json_frames_not_routed(
    connect: Connect, http: HttpClient, users: UserFactory
) -> None:
    """Frames that are not JSON are not routed messages, but their FORMAT_ERRORs count."""
    user = users.new(prefix="stats-nonjson")
    client = await connect(user)
    for raw in ("this is not json", '{"type": "ping", "message_id": "n-1", "timestamp": NaN}'):
        await client.send_raw(raw)
        await expect_error(client, P.FORMAT_ERROR, None)
    await client.request(P.PING, message_id="n-2")
    expected = fresh(
        user.id, messages_routed=1, message_types={P.PING: 1}, errors={P.FORMAT_ERROR: 2}
    )
    await expect_counters(http, user.token, expected, "2 non-JSON frames and a ping")


@premise("7.stats.message-types-string-only")
@pytest.mark.rules(
    "7.stats.message-types-string-only", "7.stats.messages-routed-includes-rejected", *ERROR_FRAME
)
async def test_untyped_frames_routed_without_a_type(
    connect: Connect, http: HttpClient, users: UserFactory
) -> None:
    """JSON frames without a string type count in messages_routed and in no message_types key."""
    user = users.new(prefix="stats-untyped")
    client = await connect(user)
    raws = (
        ("[1, 2]", None),
        ('{"type": 7, "message_id": "t-1"}', "t-1"),
        ('{"type": null, "message_id": "t-2"}', "t-2"),
        ('{"type": ["ping"], "message_id": "t-3"}', "t-3"),
        ('{"message_id": "t-4"}', "t-4"),
    )
    for raw, message_id in raws:
        await client.send_raw(raw)
        await expect_error(client, P.INVALID_MESSAGE, message_id)
    expected = fresh(user.id, messages_routed=5, errors={P.INVALID_MESSAGE: 5})
    await expect_counters(http, user.token, expected, "5 JSON frames without a string type")


@needs("scripted_agent")  # a run that fails on "fail:"
@pytest.mark.rules(
    "7.stats.runs-started", "7.stats.runs-completed", "7.stats.runs-failed", "7.stats.errors"
)
async def test_runs_counted(connect: Connect, http: HttpClient, users: UserFactory) -> None:
    """A completed and a failed run count once each; agent_error is not an error frame."""
    user = users.new(prefix="stats-runs")
    client = await connect(user)
    ack = await client.request(P.USER_MESSAGE, {"content": "What is 2+3?"}, message_id="s-1")
    done = await client.collect_run(ack.get("run_id"))
    assert done[-1].get("type") == P.AGENT_COMPLETED, (
        f"run of 'What is 2+3?': expected agent_completed last, observed {done[-1].get('type')}"
    )
    ack = await client.request(
        P.START_AGENT, {"user_request": "fail: on purpose"}, message_id="s-2"
    )
    failed = await client.collect_run(ack.get("run_id"))
    assert failed[-1].get("type") == P.AGENT_ERROR, (
        f"run of 'fail: on purpose': expected agent_error last, observed {failed[-1].get('type')}"
    )
    expected = fresh(
        user.id,
        messages_routed=2,
        message_types={P.USER_MESSAGE: 1, P.START_AGENT: 1},
        runs_started=2,
        runs_completed=1,
        runs_failed=1,
    )
    await expect_counters(http, user.token, expected, "a completed and a failed run")


@pytest.mark.rules("7.stats.connections-open")
async def test_connections_open(connect: Connect, http: HttpClient, users: UserFactory) -> None:
    """connections_open follows a user's open connections: 2, then 1, then 0."""
    user = users.new(prefix="stats-conn")
    first = await connect(user)
    second = await connect(user)
    await expect_counters(http, user.token, fresh(user.id, connections=2), "two connections")
    await first.close()
    await expect_counters(http, user.token, fresh(user.id), "closing one of two connections")
    await second.close()
    await expect_counters(http, user.token, fresh(user.id, connections=0), "closing both")


@pytest.mark.rules("7.stats.own-user-only")
async def test_stats_are_per_user(connect: Connect, http: HttpClient, users: UserFactory) -> None:
    """Another user's frames, errors, runs and connections, sent meanwhile, never show."""
    busy_user = users.new(prefix="stats-busy")
    quiet_user = users.new(prefix="stats-quiet")
    busy = [await connect(busy_user), await connect(busy_user)]
    quiet = await connect(quiet_user)

    async def busy_traffic() -> None:
        for index in range(5):
            await busy[index % 2].request(P.PING, message_id=f"b-{index}")
        await busy[0].request("frobnicate", message_id="b-unknown")
        await busy[1].send_raw("not json")
        ack = await busy[0].request(P.USER_MESSAGE, {"content": "one two"}, message_id="b-run")
        await busy[0].collect_run(ack.get("run_id"))

    async def quiet_traffic() -> None:
        await quiet.request(P.PING, message_id="q-1")
        await quiet.request(P.PING, message_id="q-2")

    await asyncio.gather(busy_traffic(), quiet_traffic())
    quiet_expected = fresh(quiet_user.id, messages_routed=2, message_types={P.PING: 2})
    await expect_counters(http, quiet_user.token, quiet_expected, "2 pings, another user busy")
    busy_expected = fresh(
        busy_user.id,
        connections=2,
        messages_routed=7,
        message_types={P.PING: 5, "frobnicate": 1, P.USER_MESSAGE: 1},
        errors={P.UNKNOWN_TYPE: 1, P.FORMAT_ERROR: 1},
        runs_started=1,
        runs_completed=1,
    )
    await expect_counters(http, busy_user.token, busy_expected, "the busy user's traffic")
