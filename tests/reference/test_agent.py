"""Agent runs over the wire (PROTOCOL.md section 4): events, ordering, answers, threads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.reference import ReferenceServer

from .conftest import Connector, ServerFactory
from .wire import Wire, fresh_user

pytestmark = pytest.mark.asyncio


def check_run_order(events: list[dict[str, Any]], user: str) -> None:
    """The five ordering rules of PROTOCOL.md section 4, asserted on one run's events."""
    types = [e["type"] for e in events]
    assert types[0] == "agent_started" and types.count("agent_started") == 1
    if "tool_executing" in types:
        assert "agent_thinking" in types[: types.index("tool_executing")]
    open_call: dict[str, Any] | None = None
    for event in events:
        if event["type"] == "tool_executing":
            assert open_call is None, "tool calls overlap"
            open_call = event["data"]
        elif event["type"] == "tool_completed":
            assert open_call is not None
            assert event["data"]["tool_call_id"] == open_call["tool_call_id"]
            assert event["data"]["tool_name"] == open_call["tool_name"]
            assert event["data"]["duration_ms"] >= 0
            open_call = None
    assert open_call is None
    assert types[-1] in ("agent_completed", "agent_error")
    assert sum(t in ("agent_completed", "agent_error") for t in types) == 1
    assert len({(e["run_id"], e["thread_id"], e["user_id"]) for e in events}) == 1
    assert events[0]["user_id"] == user
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


async def test_calculator_run_has_exact_results(connect: Connector) -> None:
    user = fresh_user()
    wire = await connect(user)
    question = "What is 2+3 and (7-1) * 4 and 7/2 and 6/3?"
    ack = await wire.request("user_message", {"content": question}, message_id="q-1")
    assert ack["type"] == "ack"
    assert ack["received_type"] == "user_message"
    assert ack["message_id"] == "q-1"
    assert ack["client_timestamp"] is None
    events = await wire.collect_run()
    check_run_order(events, user)
    assert events[0]["run_id"] == ack["run_id"]
    assert events[0]["thread_id"] == ack["thread_id"]
    assert events[0]["data"]["message_id"] == "q-1"
    assert events[0]["data"]["agent_name"]
    calls = [e["data"] for e in events if e["type"] == "tool_executing"]
    results = [e["data"]["result"] for e in events if e["type"] == "tool_completed"]
    assert [c["tool_name"] for c in calls] == ["calculator"] * 4
    assert [c["parameters"] for c in calls] == [
        {"expression": "2+3"},
        {"expression": "(7-1) * 4"},
        {"expression": "7/2"},
        {"expression": "6/3"},
    ]
    assert results == [5, 24, 3.5, 2]
    assert [type(r) for r in results] == [int, int, float, int]
    thinking = [e["data"] for e in events if e["type"] == "agent_thinking"]
    assert thinking[0]["step"] == 1 and thinking[0]["reasoning"]
    done = events[-1]["data"]
    assert done["status"] == "completed" and done["duration_ms"] >= 0
    for written in ("5", "24", "3.5", "2"):
        assert written in done["final_response"]


async def test_division_by_zero_and_invalid_expression(connect: Connector) -> None:
    wire = await connect()
    await wire.request("start_agent", {"user_request": "Compute 1/0 then (2+3"})
    events = await wire.collect_run()
    results = [e["data"]["result"] for e in events if e["type"] == "tool_completed"]
    assert results == ["division by zero", "invalid expression"]
    assert events[-1]["type"] == "agent_completed"


async def test_word_count_without_expression(connect: Connector) -> None:
    user = fresh_user()
    wire = await connect(user)
    ack = await wire.request("start_agent", {"user_request": "hello brave new world, 2025"})
    assert ack["received_type"] == "start_agent"
    events = await wire.collect_run()
    check_run_order(events, user)
    calls = [e["data"] for e in events if e["type"] == "tool_executing"]
    assert [(c["tool_name"], c["parameters"]) for c in calls] == [
        ("word_count", {"text": "hello brave new world, 2025"})
    ]
    completed = [e["data"] for e in events if e["type"] == "tool_completed"]
    assert completed[0]["result"] == 5
    assert "5" in events[-1]["data"]["final_response"]


async def test_fail_prefix_ends_with_agent_error(connect: Connector) -> None:
    user = fresh_user()
    wire = await connect(user)
    ack = await wire.request("user_message", {"content": "fail: on purpose"})
    events = await wire.collect_run()
    check_run_order(events, user)
    assert [e["type"] for e in events] == ["agent_started", "agent_thinking", "agent_error"]
    assert events[-1]["data"]["error_code"] == "AGENT_FAILED"
    history = await wire.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert [m["role"] for m in history["messages"]] == ["user"]


async def test_ack_comes_before_every_event_of_its_run(connect: Connector) -> None:
    wire = await connect()
    await wire.send({"type": "user_message", "message_id": "o-1", "payload": {"content": "1+1"}})
    first = await wire.recv()
    assert first["type"] == "ack" and first["message_id"] == "o-1"
    assert (await wire.recv())["type"] == "agent_started"


async def test_thread_continuity_and_history(connect: Connector) -> None:
    wire = await connect()
    ack = await wire.request(
        "user_message", {"content": "2+2", "thread_id": "t-mine-1"}, timestamp=1757350201.5
    )
    assert ack["thread_id"] == "t-mine-1"
    done = (await wire.collect_run())[-1]
    ack2 = await wire.request(
        "user_message", {"content": "count these words", "thread_id": "t-mine-1"}
    )
    assert ack2["thread_id"] == "t-mine-1" and ack2["run_id"] != ack["run_id"]
    done2 = (await wire.collect_run())[-1]
    reply = await wire.request("get_thread_history", {"thread_id": "t-mine-1"}, message_id="h-1")
    assert reply["type"] == "thread_history"
    assert reply["message_id"] == "h-1" and reply["thread_id"] == "t-mine-1"
    messages = reply["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "2+2"),
        ("assistant", done["data"]["final_response"]),
        ("user", "count these words"),
        ("assistant", done2["data"]["final_response"]),
    ]
    assert messages[0]["timestamp"] == 1757350201.5
    assert messages[1]["timestamp"] == done["timestamp"]
    assert messages[3]["timestamp"] == done2["timestamp"]


async def test_new_thread_per_message_without_thread_id(connect: Connector) -> None:
    wire = await connect()
    first = await wire.request("user_message", {"content": "a"})
    second = await wire.request("user_message", {"content": "b"})
    assert first["thread_id"] != second["thread_id"]


async def test_history_survives_reconnection(server: ReferenceServer, connect: Connector) -> None:
    user = fresh_user()
    wire = await connect(user)
    ack = await wire.request("user_message", {"content": "3*3"})
    await wire.collect_run()
    await wire.close()
    again = await connect(user)
    reply = await again.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert [m["role"] for m in reply["messages"]] == ["user", "assistant"]
    assert "9" in reply["messages"][1]["content"]


async def test_another_users_thread_is_denied(connect: Connector) -> None:
    owner = await connect()
    ack = await owner.request("user_message", {"content": "secret plans"})
    await owner.collect_run()
    intruder = await connect()
    history = await intruder.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert history["type"] == "error" and history["error_code"] == "THREAD_ACCESS_DENIED"
    post = await intruder.request(
        "user_message", {"content": "hi", "thread_id": ack["thread_id"]}, message_id="i-1"
    )
    assert post["error_code"] == "THREAD_ACCESS_DENIED" and post["message_id"] == "i-1"
    assert await intruder.quiet(0.2) == []
    mine = await owner.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert len(mine["messages"]) == 2


async def test_unknown_thread_is_not_found(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("get_thread_history", {"thread_id": "t-never"}, message_id="n-1")
    assert reply["error_code"] == "THREAD_NOT_FOUND" and reply["message_id"] == "n-1"


async def test_concurrent_runs_of_two_users_do_not_cross(connect: Connector) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    wire_a, wire_b = await connect(alice), await connect(bob)
    await asyncio.gather(
        *(
            w.send({"type": "user_message", "payload": {"content": f"{n}+{n}"}})
            for w, n in ((wire_a, 1), (wire_b, 2), (wire_a, 3), (wire_b, 4))
        )
    )
    for wire, user in ((wire_a, alice), (wire_b, bob)):
        runs = [await wire.collect_run(), await wire.collect_run()]
        for events in runs:
            check_run_order(events, user)
        assert all(f["user_id"] == user for f in wire.buffer if "user_id" in f)


async def test_events_go_only_to_the_connection_that_started_the_run(
    server: ReferenceServer, connect: Connector
) -> None:
    user = fresh_user()
    starter, sibling = await connect(user), await connect(user)
    await starter.request("user_message", {"content": "5*5"})
    await starter.collect_run()
    assert await sibling.quiet(0.2) == []


async def test_many_concurrent_runs_on_one_connection_keep_order(
    start_server: ServerFactory,
) -> None:
    server = await start_server(think_ms=2.0, tool_ms=2.0)
    user = fresh_user()
    from .conftest import open_established

    wire: Wire = await open_established(server, user)
    for n in range(10):
        await wire.send({"type": "user_message", "payload": {"content": f"{n}*2 and {n}+1"}})
    acks = [await wire.expect("ack") for _ in range(10)]
    finished = 0
    for _ in range(10):
        events = await wire.collect_run()
        check_run_order(events, user)
        finished += 1
    assert finished == 10 and len({a["run_id"] for a in acks}) == 10
    await wire.close()


async def test_exactly_one_direct_reply_per_frame_and_ack_before_its_run(
    connect: Connector,
) -> None:
    wire = await connect()
    frames: list[dict[str, Any]] = [
        {"type": "ping"},
        {"type": "user_message", "payload": {"content": "1+2"}},
        {"type": "teleport"},
        {"type": "start_agent", "payload": {"user_request": "fail: x"}},
        {"type": "get_thread_history", "payload": {"thread_id": "t-unknown"}},
        {"type": "user_message", "payload": {"content": "a b c"}},
        {"type": "user_message", "payload": {"content": ""}},
    ]
    for index, frame in enumerate(frames):
        await wire.send({**frame, "message_id": f"k-{index}"})
    received: list[dict[str, Any]] = []
    terminal = 0
    while terminal < 3:
        frame = await wire.recv()
        received.append(frame)
        terminal += frame["type"] in ("agent_completed", "agent_error")
    received += await wire.quiet(0.2)
    replies = [f for f in received if f["type"] in ("pong", "ack", "thread_history", "error")]
    assert sorted(f["message_id"] for f in replies) == [f"k-{i}" for i in range(7)]
    for ack in (f for f in replies if f["type"] == "ack"):
        run_seqs = [f["seq"] for f in received if f.get("run_id") == ack["run_id"]]
        assert len(run_seqs) > 1 and min(run_seqs) == ack["seq"]
