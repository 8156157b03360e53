"""Behaviours of a correct server, each a small check over real sockets, named by what it shows.

Defect tests run every probe that a defect does not name against a server with
that defect on, to show that a defect changes only what it names.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Final

import jwt
import pytest

from harness.reference import ReferenceServer, mint_token

from .conftest import open_established
from .wire import SECRET, Wire, fresh_user, http_get

Probe = Callable[[ReferenceServer], Awaitable[None]]


async def valid_token_is_established(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    await wire.close()


async def forged_token_fails_without_leaking(server: ReferenceServer) -> None:
    forged = jwt.encode({"sub": "m", "exp": int(time.time()) + 60}, "f" * 40, algorithm="HS256")
    wire = await Wire.open(server.ws_url, token=forged, headers={"X-Test-Mode": "0"})
    frame = await wire.recv()
    assert frame.get("error_code") == "AUTH_FAILED"
    assert SECRET not in frame["message"]
    assert await wire.wait_closed() == 1008


async def number_timestamp_passes(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    reply = await wire.request("ping", {}, timestamp=1693567801.447585)
    assert reply["client_timestamp"] == 1693567801.447585
    await wire.close()


async def offset_timestamp_is_normalised(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    reply = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.447585-05:00")
    assert reply["client_timestamp"] == pytest.approx(1757368201.447585, abs=1e-6)
    await wire.close()


async def zoneless_timestamp_is_utc(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    reply = await wire.request(
        "start_agent", {"user_request": "hi"}, timestamp="2025-09-08T16:50:01.447585"
    )
    assert reply["client_timestamp"] == pytest.approx(1757350201.447585, abs=1e-6)
    await wire.close()


async def invalid_timestamp_is_rejected(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    reply = await wire.request("user_message", {"content": "hi"}, timestamp="yesterday")
    assert reply.get("error_code") == "INVALID_TIMESTAMP"
    await wire.close()


async def unknown_type_is_an_error(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    assert (await wire.request("teleport", {})).get("error_code") == "UNKNOWN_TYPE"
    assert (await wire.request("ping", {}))["type"] == "pong"
    await wire.close()


async def bad_json_is_format_error(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    await wire.send_raw("{nope")
    assert (await wire.recv(within=1.0)).get("error_code") == "FORMAT_ERROR"
    await wire.close()


EXPECTED_RUN: Final = [
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "tool_executing",
    "tool_completed",
    "agent_thinking",
    "agent_completed",
]


async def run_events_are_in_order(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": "2+3 and 7/2"})
    events = await wire.collect_run()
    assert [e["type"] for e in events] == EXPECTED_RUN
    assert [e["data"]["result"] for e in events if e["type"] == "tool_completed"] == [5, 3.5]
    assert await wire.quiet(0.1) == []
    await wire.close()


async def events_reach_only_their_connection(server: ReferenceServer) -> None:
    owner = await open_established(server, fresh_user())
    other = await open_established(server, fresh_user())
    await owner.request("user_message", {"content": "1+1"})
    await owner.collect_run()
    assert await other.quiet(0.1) == []
    await owner.close()
    await other.close()


async def stats_count_pings(server: ReferenceServer) -> None:
    user = fresh_user()
    wire = await open_established(server, user)
    await wire.request("ping", {})
    await wire.request("get_thread_history", {"thread_id": "t-none"})
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["messages_routed"] == 2
    assert stats.body["message_types"] == {"ping": 1, "get_thread_history": 1}
    await wire.close()


async def history_survives_reconnect(server: ReferenceServer) -> None:
    user = fresh_user()
    wire = await open_established(server, user)
    ack = await wire.request("user_message", {"content": "4*4"})
    await wire.collect_run()
    await wire.close()
    again = await open_established(server, user)
    history = await again.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    await again.close()


async def connection_outlives_a_run(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": "1+1"})
    await wire.collect_run()
    await wire.quiet(0.1)  # frames after the run, and a close if one follows them
    assert wire.close_code is None, f"closed with {wire.close_code} after the run"
    assert (await wire.request("ping", {}))["type"] == "pong"
    await wire.close()


async def connection_outlives_a_pong(server: ReferenceServer) -> None:
    wire = await open_established(server, fresh_user())
    assert (await wire.request("ping", {}))["type"] == "pong"
    assert (await wire.request("get_thread_history", {"thread_id": "t-none"}))["type"] == "error"
    await wire.close()


# Each probe, with the defects that are allowed to break it. A connection without a
# welcome breaks every probe that opens one (all but the refused one); a missing pong,
# ack or run end breaks the probes that wait for it.
_NO_WELCOME: Final = "no-welcome"
_NO_PONG: Final = "no-pong"
_NO_ACK: Final = "no-ack"
_NO_END: Final = "no-agent-completed"
PROBES: Final[tuple[tuple[Probe, frozenset[str]], ...]] = (
    (valid_token_is_established, frozenset({_NO_WELCOME})),
    (forged_token_fails_without_leaking, frozenset({"error-leaks-secret"})),
    (number_timestamp_passes, frozenset({_NO_WELCOME, _NO_PONG})),
    (offset_timestamp_is_normalised, frozenset({"iso-timestamp-crash", _NO_WELCOME, _NO_PONG})),
    (
        zoneless_timestamp_is_utc,
        frozenset({"iso-timestamp-crash", "naive-local-time", _NO_WELCOME, _NO_ACK}),
    ),
    (invalid_timestamp_is_rejected, frozenset({"silent-timestamp-fallback", _NO_WELCOME})),
    (unknown_type_is_an_error, frozenset({"unknown-type-crash", _NO_WELCOME, _NO_PONG})),
    (bad_json_is_format_error, frozenset({"swallow-bad-json", _NO_WELCOME})),
    (
        run_events_are_in_order,
        frozenset(
            {
                "drop-tool-completed",
                "reorder-events",
                "duplicate-thinking",
                "double-terminal",
                _NO_WELCOME,
                _NO_ACK,
                _NO_END,
            }
        ),
    ),
    (
        events_reach_only_their_connection,
        frozenset({"cross-user-leak", _NO_WELCOME, _NO_ACK, _NO_END}),
    ),
    (stats_count_pings, frozenset({"stats-drift", "drop-without-close", _NO_WELCOME, _NO_PONG})),
    (
        history_survives_reconnect,
        frozenset({"history-lost-on-reconnect", _NO_WELCOME, _NO_ACK, _NO_END}),
    ),
    (
        connection_outlives_a_run,
        frozenset({"late-1011", _NO_WELCOME, _NO_PONG, _NO_ACK, _NO_END}),
    ),
    (connection_outlives_a_pong, frozenset({"drop-without-close", _NO_WELCOME, _NO_PONG})),
)
