"""Each defect of PROTOCOL.md section 8 does the wrong thing it names, and only that."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from harness.reference import ReferenceServer, mint_token

from .conftest import ServerFactory, open_established
from .probes import PROBES
from .test_defect_catalogue import DEFECT_NAMES
from .wire import SECRET, Wire, fresh_user, http_get, subprotocol_for

pytestmark = pytest.mark.asyncio


# The defects that leave out a frame the protocol requires make every other probe wait
# for it: all the others together still each do what they do.
MISSING_FRAME = frozenset({"no-welcome", "no-pong", "no-ack", "no-agent-completed"})


def _marked(names: tuple[str, ...]) -> list[object]:
    """The defects as parameters; a missing-frame one is slow (its probes wait deadlines)."""
    return [
        pytest.param(name, marks=pytest.mark.slow) if name in MISSING_FRAME else name
        for name in names
    ]


@pytest.mark.parametrize("defect", _marked(("none", *DEFECT_NAMES)), ids=str)
async def test_defect_leaves_everything_it_does_not_name_intact(
    start_server: ServerFactory, defect: str
) -> None:
    defects = frozenset() if defect == "none" else frozenset({defect})
    server = await start_server(defects=defects)
    for probe, broken_by in PROBES:
        if defect not in broken_by:
            await probe(server)


@pytest.mark.parametrize("defect", _marked(DEFECT_NAMES), ids=str)
async def test_defect_breaks_the_probes_it_names(start_server: ServerFactory, defect: str) -> None:
    named = [probe for probe, broken_by in PROBES if defect in broken_by]
    server = await start_server(defects=frozenset({defect}))
    for probe in named:
        with pytest.raises(AssertionError):
            await probe(server)


async def _server_with(start_server: ServerFactory, defect: str) -> ReferenceServer:
    return await start_server(defects=frozenset({defect}))


async def test_iso_timestamp_crash_closes_1011(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "iso-timestamp-crash")
    wire = await open_established(server, fresh_user())
    await wire.send(
        {
            "type": "start_agent",
            "timestamp": "2025-09-08T16:50:01.447585",
            "payload": {"user_request": "hi"},
        }
    )
    assert await wire.wait_closed() == 1011
    assert wire.buffer == []


async def test_silent_timestamp_fallback_processes_with_server_time(
    start_server: ServerFactory,
) -> None:
    server = await _server_with(start_server, "silent-timestamp-fallback")
    wire = await open_established(server, fresh_user())
    before = time.time()
    reply = await wire.request("user_message", {"content": "hi"}, timestamp="yesterday")
    assert reply["type"] == "ack"
    assert reply["client_timestamp"] >= before - 1.0
    assert (await wire.collect_run())[-1]["type"] == "agent_completed"
    await wire.close()


async def test_naive_local_time_reads_zoneless_as_minus_five(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "naive-local-time")
    wire = await open_established(server, fresh_user())
    naive = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.447585")
    assert naive["client_timestamp"] == pytest.approx(1757368201.447585, abs=1e-6)
    zulu = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.447585Z")
    assert zulu["client_timestamp"] == pytest.approx(1757350201.447585, abs=1e-6)
    await wire.close()


async def test_drop_tool_completed(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "drop-tool-completed")
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": "2+3 and 7/2"})
    types = [e["type"] for e in await wire.collect_run()]
    assert types == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_executing",
        "agent_thinking",
        "agent_completed",
    ]
    await wire.close()


async def test_reorder_events_sends_completed_before_last_tool(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "reorder-events")
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": "2+3 and 7/2"})
    types = [e["type"] for e in await wire.collect_run()]
    late = await wire.expect("tool_completed")
    assert types == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "tool_executing",
        "agent_thinking",
        "agent_completed",
    ]
    assert late["data"]["result"] == 3.5
    await wire.close()


async def test_duplicate_thinking(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "duplicate-thinking")
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": "2+3"})
    events = await wire.collect_run()
    steps = [e["data"]["step"] for e in events if e["type"] == "agent_thinking"]
    assert steps == [1, 1, 2, 2]
    await wire.close()


async def test_cross_user_leak_sends_events_to_other_users(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "cross-user-leak")
    owner_id = fresh_user("owner")
    owner = await open_established(server, owner_id)
    bystander = await open_established(server, fresh_user("bystander"))
    await owner.request("user_message", {"content": "2+3"})
    await owner.collect_run()
    leaked = await bystander.collect_run()
    assert leaked[0]["type"] == "agent_started" and leaked[0]["user_id"] == owner_id
    await owner.close()
    await bystander.close()


async def test_slow_first_event_delays_agent_started(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "slow-first-event")
    wire = await open_established(server, fresh_user())
    ack = await wire.request("user_message", {"content": "2+3"})
    started = await wire.expect("agent_started", within=5.0)
    assert started["timestamp"] - ack["timestamp"] >= 1.4
    await wire.close()


async def test_unknown_type_crash_closes_1011(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "unknown-type-crash")
    wire = await open_established(server, fresh_user())
    await wire.send({"type": "teleport", "message_id": "u"})
    assert await wire.wait_closed() == 1011


async def test_swallow_bad_json_sends_no_reply(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "swallow-bad-json")
    wire = await open_established(server, fresh_user())
    await wire.send_raw("{nope")
    assert await wire.quiet(0.3) == []
    assert (await wire.request("ping", {}))["type"] == "pong"
    await wire.close()


async def test_stats_drift_forgets_pings(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "stats-drift")
    user = fresh_user()
    wire = await open_established(server, user)
    for _ in range(3):
        await wire.request("ping", {})
    await wire.request("teleport", {})
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["messages_routed"] == 1
    assert stats.body["message_types"] == {"teleport": 1}
    await wire.close()


async def test_history_lost_on_reconnect(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "history-lost-on-reconnect")
    user = fresh_user()
    wire = await open_established(server, user)
    ack = await wire.request("user_message", {"content": "4*4"})
    await wire.collect_run()
    same = await wire.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert len(same["messages"]) == 2
    await wire.close()
    again = await open_established(server, user)
    history = await again.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert history["type"] == "thread_history" and history["messages"] == []
    await again.close()


async def test_auth_bypass_header_skips_signature(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "auth-bypass-header")
    later = int(time.time()) + 60
    forged = jwt.encode({"sub": "mallory", "exp": later}, "f" * 40, algorithm="HS256")
    unsigned = jwt.encode({"sub": "mallory", "exp": later}, None, algorithm="none")
    for token in (forged, unsigned):
        wire = await Wire.open(server.ws_url, token=token, headers={"X-Test-Mode": "1"})
        first = await wire.recv()
        assert first["type"] == "connection_established" and first["user_id"] == "mallory"
        await wire.close()
    stats = await http_get(f"{server.http_url}/stats", token=forged, headers={"X-Test-Mode": "1"})
    assert stats.status == 200


async def test_error_leaks_secret(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "error-leaks-secret")
    wire = await Wire.open(server.ws_url, token="garbage")
    frame = await wire.recv()
    assert frame["error_code"] == "AUTH_FAILED" and SECRET in frame["message"]
    assert await wire.wait_closed() == 1008


async def test_all_defects_together(start_server: ServerFactory) -> None:
    server = await start_server(defects=frozenset(DEFECT_NAMES) - MISSING_FRAME)
    wire = await open_established(server, fresh_user())
    await wire.send_raw("{nope")
    assert (await wire.request("ping", {}))["type"] == "pong"
    assert await wire.wait_closed() is None  # drop-without-close: no close frame after a pong
    other = await open_established(server, fresh_user())
    await other.send({"type": "teleport"})
    assert await other.wait_closed() == 1011


async def test_closed_connection_keeps_slot(start_server: ServerFactory) -> None:
    server = await start_server(
        defects=frozenset({"closed-connection-keeps-slot"}), max_connections_per_user=2
    )
    user = fresh_user()
    first = await open_established(server, user)
    second = await open_established(server, user)
    await first.close()
    stats = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert stats.body["connections_open"] == 1
    third = await Wire.open(server.ws_url, token=mint_token(SECRET, user))
    assert (await third.recv())["error_code"] == "TOO_MANY_CONNECTIONS"
    assert await third.wait_closed() == 1008
    await second.close()


async def test_connection_limit_off_by_one(start_server: ServerFactory) -> None:
    server = await start_server(
        defects=frozenset({"connection-limit-off-by-one"}), max_connections_per_user=2
    )
    user = fresh_user()
    wires = [await open_established(server, user) for _ in range(3)]
    fourth = await Wire.open(server.ws_url, token=mint_token(SECRET, user))
    assert (await fourth.recv())["error_code"] == "TOO_MANY_CONNECTIONS"
    assert await fourth.wait_closed() == 1008
    for wire in wires:
        await wire.close()


async def test_size_counts_characters(start_server: ServerFactory) -> None:
    server = await start_server(defects=frozenset({"size-counts-characters"}), max_bytes=64)
    wire = await open_established(server, fresh_user())
    # 61 characters, 71 UTF-8 bytes: over the limit in bytes, under it in characters.
    await wire.send_raw('{"type":"ping","message_id":"p","payload":{"x":"' + "é" * 10 + '"}}')
    assert (await wire.recv())["type"] == "pong"
    await wire.send_raw('{"type":"ping","payload":{"x":"' + "x" * 31 + '"}}')  # 65 characters
    assert await wire.wait_closed() == 1009


async def test_rate_limit_after_parse(start_server: ServerFactory) -> None:
    server = await start_server(defects=frozenset({"rate-limit-after-parse"}), rate_limit=2)
    wire = await open_established(server, fresh_user())
    for _ in range(2):
        assert (await wire.request("ping", {}))["type"] == "pong"
    await wire.send_raw("{nope")
    assert (await wire.recv())["error_code"] == "FORMAT_ERROR"
    await wire.send({"type": "ping", "message_id": "over"})
    assert (await wire.recv())["error_code"] == "RATE_LIMITED"
    await wire.close()


async def test_error_message_markup(start_server: ServerFactory) -> None:
    server = await start_server(defects=frozenset({"error-message-markup"}))
    wire = await open_established(server, fresh_user())
    reply = await wire.request("<b>x</b>\x1b[31m", {})
    assert reply["error_code"] == "UNKNOWN_TYPE" and "<b>x</b>\x1b[31m" in reply["message"]
    await wire.close()


async def test_thread_check_before_payload(start_server: ServerFactory) -> None:
    server = await start_server(defects=frozenset({"thread-check-before-payload"}))
    owner = await open_established(server, fresh_user())
    ack = await owner.request("user_message", {"content": "hi", "thread_id": "t-owned"})
    assert ack["type"] == "ack"
    other = await open_established(server, fresh_user())
    denied = await other.request("user_message", {"content": "", "thread_id": "t-owned"})
    assert denied["error_code"] == "THREAD_ACCESS_DENIED"
    own = await owner.request("user_message", {"content": "", "thread_id": "t-owned"})
    assert own["error_code"] == "INVALID_PAYLOAD"
    await owner.close()
    await other.close()


async def test_late_1011_closes_after_agent_completed(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "late-1011")
    user = fresh_user()
    wire = await open_established(server, user)
    ack = await wire.request("user_message", {"content": "2+3"})
    assert (await wire.collect_run())[-1]["type"] == "agent_completed"
    assert await wire.wait_closed() == 1011
    assert wire.buffer == []
    again = await open_established(server, user)
    history = await again.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    await again.close()


async def test_drop_without_close_ends_tcp_after_a_pong(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "drop-without-close")
    wire = await open_established(server, fresh_user())
    assert (await wire.request("teleport", {}))["error_code"] == "UNKNOWN_TYPE"
    assert (await wire.request("ping", {}, message_id="p-1"))["message_id"] == "p-1"
    assert await wire.wait_closed() is None
    assert wire.websocket.protocol.close_rcvd is None


async def test_seq_per_user_continues_on_a_second_connection(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "seq-per-user")
    user = fresh_user()
    first = await open_established(server, user)
    assert first.established is not None and first.established["seq"] == 1
    assert (await first.request("ping", {}))["seq"] == 2
    second = await open_established(server, user)
    assert second.established is not None and second.established["seq"] == 3
    assert (await first.request("ping", {}))["seq"] == 4
    other = await open_established(server, fresh_user())
    assert other.established is not None and other.established["seq"] == 1
    for wire in (first, second, other):
        await wire.close()


async def _calculator_run(server: ReferenceServer, content: str) -> list[dict[str, Any]]:
    wire = await open_established(server, fresh_user())
    await wire.request("user_message", {"content": content})
    events = await wire.collect_run()
    await wire.close()
    return events


def _results(events: list[dict[str, Any]]) -> list[Any]:
    return [e["data"]["result"] for e in events if e["type"] == "tool_completed"]


async def test_left_to_right_arithmetic_ignores_precedence(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "left-to-right-arithmetic")
    events = await _calculator_run(server, "2+3*4 and (2+3)*4 and 20-6-4 and 8-6/2")
    assert _results(events) == [20, 20, 10, 1]
    assert (
        events[-1]["data"]["final_response"] == "2+3*4 = 20; (2+3)*4 = 20; 20-6-4 = 10; 8-6/2 = 1"
    )


async def test_fail_anywhere_fails_on_an_inner_prefix(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "fail-anywhere")
    events = await _calculator_run(server, "do not fail: 2+3")
    assert [e["type"] for e in events] == ["agent_started", "agent_thinking", "agent_error"]
    assert [e["type"] for e in await _calculator_run(server, "FAIL: 2+3")][-1] == "agent_completed"


async def test_split_on_space_miscounts_whitespace_runs(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "split-on-space")
    assert _results(await _calculator_run(server, "one two three")) == [3]
    assert _results(await _calculator_run(server, "one  two three")) == [4]
    assert _results(await _calculator_run(server, "one\ttwo three")) == [2]


async def test_float_final_response_writes_integers_as_floats(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "float-final-response")
    events = await _calculator_run(server, "6/3 and 7/2 and 1/0")
    assert _results(events) == [2, 3.5, "division by zero"]
    assert events[-1]["data"]["final_response"] == '6/3 = 2.0; 7/2 = 3.5; 1/0 = "division by zero"'


async def test_bare_number_expression_calls_the_calculator(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "bare-number-expression")
    events = await _calculator_run(server, "The year 2025 and 2+3")
    calls = [e["data"]["parameters"] for e in events if e["type"] == "tool_executing"]
    assert calls == [{"expression": "2025"}, {"expression": "2+3"}]
    assert _results(events) == [2025, 5]


async def test_round_fraction_rounds_string_fractions(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "round-fraction")
    wire = await open_established(server, fresh_user())
    iso = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.4475859Z")
    assert iso["client_timestamp"] == 1757350201.447586
    decimal = await wire.request("ping", {}, timestamp="1757350201.999999999")
    assert decimal["client_timestamp"] == 1757350202.0
    kept = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.4475854Z")
    assert kept["client_timestamp"] == 1757350201.447585
    assert (await wire.request("ping", {}, timestamp=1757350201.447585))[
        "client_timestamp"
    ] == 1757350201.447585
    await wire.close()


async def test_rejected_timestamp_starts_run_anyway(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "rejected-timestamp-starts-run")
    wire = await open_established(server, fresh_user())
    reply = await wire.request("start_agent", {"user_request": "2+3"}, timestamp="nope")
    assert reply["error_code"] == "INVALID_TIMESTAMP"
    events = await wire.collect_run()
    assert events[0]["type"] == "agent_started"
    assert events[0]["data"]["message_id"] == reply["message_id"]
    assert events[-1]["type"] == "agent_completed"
    assert await wire.quiet(0.1) == []  # no ack: the error stays the only direct reply
    pong = await wire.request("ping", {}, timestamp=True)
    assert pong["error_code"] == "INVALID_TIMESTAMP"
    assert await wire.quiet(0.1) == []  # a ping starts nothing
    await wire.close()


async def test_agent_rejects_decimal_string(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "agent-rejects-decimal-string")
    wire = await open_established(server, fresh_user())
    pong = await wire.request("ping", {}, timestamp="1757350201.447585")
    assert pong["client_timestamp"] == 1757350201.447585
    for frame_type, key in (("user_message", "content"), ("start_agent", "user_request")):
        reply = await wire.request(frame_type, {key: "hi"}, timestamp="1757350201")
        assert reply["error_code"] == "INVALID_TIMESTAMP"
    ack = await wire.request("user_message", {"content": "hi"}, timestamp=1757350201.5)
    assert ack["type"] == "ack" and ack["client_timestamp"] == 1757350201.5
    await wire.close()


async def test_unicode_digits_are_read_as_digits(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "unicode-digits")
    wire = await open_established(server, fresh_user())
    arabic = await wire.request(
        "ping", {}, timestamp="\u0661\u0667\u0665\u0667\u0663\u0665\u0660\u0662\u0660\u0661"
    )
    assert arabic["client_timestamp"] == 1757350201.0
    fullwidth = await wire.request("ping", {}, timestamp="\uff11\uff17\uff15\uff17.\uff15")
    assert fullwidth["client_timestamp"] == 1757.5
    mixed = await wire.request("ping", {}, timestamp="2025-09-08T16:50:0\u0661Z")
    assert mixed["error_code"] == "INVALID_TIMESTAMP"
    await wire.close()


async def test_auth_bypass_cookie_skips_signature(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "auth-bypass-cookie")
    forged = jwt.encode({"sub": "mallory", "exp": int(time.time()) + 60}, "f" * 40)
    wire = await Wire.open(server.ws_url, token=forged, headers={"Cookie": "a=b; test_mode=1"})
    first = await wire.recv()
    assert first["type"] == "connection_established" and first["user_id"] == "mallory"
    await wire.close()
    refused = await Wire.open(server.ws_url, token=forged, headers={"Cookie": "test_mode=0"})
    assert (await refused.recv())["error_code"] == "AUTH_FAILED"
    assert await refused.wait_closed() == 1008
    cookie = {"Cookie": "test_mode=1"}
    assert (await http_get(f"{server.http_url}/stats", token=forged, headers=cookie)).status == 200


async def test_subprotocol_padding_required_refuses_unpadded(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "subprotocol-padding-required")
    user = fresh_user()
    outcomes = {}
    for width in range(6):
        token = jwt.encode({"sub": user, "exp": int(time.time()) + 60, "pad": "x" * width}, SECRET)
        wire = await Wire.open(server.ws_url, token=token, transport="subprotocol")
        outcomes[len(token) % 3] = (await wire.recv())["type"]
        await wire.close()
        header = await Wire.open(server.ws_url, token=token)
        assert (await header.recv())["type"] == "connection_established"
        await header.close()
    assert outcomes == {0: "connection_established", 1: "error", 2: "error"}


async def test_offered_subprotocol_verified_besides_header(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "offered-subprotocol-verified")
    user = fresh_user()
    forged = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, "f" * 40)
    wire = await Wire.open(
        server.ws_url, token=mint_token(SECRET, user), subprotocols=[subprotocol_for(forged)]
    )
    assert (await wire.recv())["error_code"] == "AUTH_FAILED"
    assert await wire.wait_closed() == 1008
    valid = subprotocol_for(mint_token(SECRET, fresh_user()))
    both = await open_established(server, user, subprotocols=[valid])
    assert both.established is not None and both.established["user_id"] == user
    await both.close()


async def test_error_leaks_exception_dumps_the_verifier_exception(
    start_server: ServerFactory,
) -> None:
    server = await _server_with(start_server, "error-leaks-exception")
    forged = jwt.encode({"sub": "m", "exp": int(time.time()) + 60}, "f" * 40)
    wire = await Wire.open(server.ws_url, token=forged)
    frame = await wire.recv()
    assert frame["error_code"] == "AUTH_FAILED"
    assert frame["message"] == (
        "jwt.exceptions.InvalidSignatureError: Signature verification failed"
    )
    assert await wire.wait_closed() == 1008
    missing = await Wire.open(server.ws_url)
    message = (await missing.recv())["message"]
    assert message.startswith("harness.reference.auth.AuthFailure: no token")


async def test_error_quotes_signatures_of_a_forged_token(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "error-quotes-signatures")
    claims = {"sub": "m", "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, "f" * 40)
    wire = await Wire.open(server.ws_url, token=forged)
    message = (await wire.recv())["message"]
    valid_signature = jwt.encode(claims, SECRET).rsplit(".", 1)[1]
    assert forged.rsplit(".", 1)[1] in message and valid_signature in message
    assert await wire.wait_closed() == 1008
    expired = jwt.encode({"sub": "m", "exp": int(time.time()) - 60}, SECRET)
    other = await Wire.open(server.ws_url, token=expired)
    assert (await other.recv())["message"] == "Authentication failed: the token has expired."


async def test_history_null_timestamp_without_client_timestamp(
    start_server: ServerFactory,
) -> None:
    server = await _server_with(start_server, "history-null-timestamp")
    wire = await open_established(server, fresh_user())
    ack = await wire.request("user_message", {"content": "2+3"})
    await wire.collect_run()
    await wire.request(
        "user_message", {"content": "1+1", "thread_id": ack["thread_id"]}, timestamp=1757350201.5
    )
    await wire.collect_run()
    history = await wire.request("get_thread_history", {"thread_id": ack["thread_id"]})
    stamps = [m["timestamp"] for m in history["messages"]]
    assert stamps[0] is None and stamps[2] == 1757350201.5
    assert all(isinstance(s, float) for s in (stamps[1], stamps[3]))
    await wire.close()


async def test_history_content_stripped(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "history-content-stripped")
    wire = await open_established(server, fresh_user())
    ack = await wire.request("user_message", {"content": "  2+3 \n"})
    events = await wire.collect_run()
    assert events[-1]["data"]["final_response"] == "2+3 = 5"
    history = await wire.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert [m["content"] for m in history["messages"]] == ["2+3", "2+3 = 5"]
    await wire.close()


async def test_start_agent_ignores_owner(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "start-agent-ignores-owner")
    owner = await open_established(server, fresh_user("owner"))
    intruder = await open_established(server, fresh_user("intruder"))
    ack = await owner.request("user_message", {"content": "2+3"})
    await owner.collect_run()
    thread = {"thread_id": ack["thread_id"]}
    denied = await intruder.request("user_message", {"content": "6*7", **thread})
    assert denied["error_code"] == "THREAD_ACCESS_DENIED"
    accepted = await intruder.request("start_agent", {"user_request": "6*7", **thread})
    assert accepted["type"] == "ack" and accepted["thread_id"] == ack["thread_id"]
    assert (await intruder.collect_run())[-1]["type"] == "agent_completed"
    history = await owner.request("get_thread_history", thread)
    assert [m["content"] for m in history["messages"]] == ["2+3", "2+3 = 5", "6*7", "6*7 = 42"]
    await owner.close()
    await intruder.close()


async def test_shutdown_closes_1000(start_server: ServerFactory) -> None:
    server = await _server_with(start_server, "shutdown-closes-1000")
    wire = await open_established(server, fresh_user())
    await server.stop()
    assert await wire.wait_closed() == 1000


async def test_iso_range_by_year_checks_the_year_not_the_instant(
    start_server: ServerFactory,
) -> None:
    server = await _server_with(start_server, "iso-range-by-year")
    wire = await open_established(server, fresh_user())
    late = await wire.request("ping", {}, timestamp="2099-12-31T23:59:59-00:01")
    assert late["client_timestamp"] == 4102444859.0
    early = await wire.request("ping", {}, timestamp="1970-01-01T00:30:00+01:00")
    assert early["client_timestamp"] == -1800.0
    for inside in ("1969-12-31T23:00:00-01:00", "2100-01-01T00:59:59+01:00"):
        reply = await wire.request("ping", {}, timestamp=inside)
        assert reply["error_code"] == "INVALID_TIMESTAMP"
    kept = await wire.request("ping", {}, timestamp="2025-09-08T16:50:01.447585+05:30")
    assert kept["client_timestamp"] == 1757330401.447585
    await wire.close()
