"""The reference server speaking `netra-2025-09`: the wire forms of docs/PROFILES.md, literally.

These read the raw frames with a plain websockets client (no harness codec), so they
check the server against the dialect as written, not against the harness's reading of it.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from harness.reference import ReferenceServer, ServerConfig, mint_token

from .wire import SECRET, fresh_user

pytestmark = pytest.mark.asyncio

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
WITHIN = 5.0


@pytest_asyncio.fixture
async def netra() -> AsyncIterator[ReferenceServer]:
    server = ReferenceServer(
        ServerConfig(jwt_secret=SECRET, think_ms=1.0, tool_ms=1.0, profile="netra-2025-09")
    )
    await server.start()
    yield server
    await server.stop()


async def _open(server: ReferenceServer, user: str | None = None) -> ClientConnection:
    token = mint_token(SECRET, user or fresh_user("netra"))
    return await connect(server.ws_url, additional_headers={"Authorization": f"Bearer {token}"})


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WITHIN)))


async def test_welcome_is_a_system_message(netra: ReferenceServer) -> None:
    user = fresh_user("netra")
    ws = await _open(netra, user)
    welcome = await _recv(ws)
    assert welcome["type"] == "system_message"
    assert set(welcome) == {"type", "data", "timestamp"}  # no seq
    data = welcome["data"]
    assert data["event"] == "connection_established"
    assert data["user_id"] == user
    assert data["connection_ready"] is True
    assert data["config"] == {"max_message_size": 8192}
    assert ISO.match(data["server_time"]), data["server_time"]
    assert isinstance(welcome["timestamp"], float)
    await ws.close()


async def test_ping_ack_unknown_type_and_errors_carry_no_message_id(
    netra: ReferenceServer,
) -> None:
    ws = await _open(netra)
    await _recv(ws)
    await ws.send(
        json.dumps({"type": "ping", "message_id": "m-1", "timestamp": "2025-09-08T16:50:01.447585"})
    )
    pong = await _recv(ws)
    assert pong["type"] == "pong"
    assert pong["data"]["client_timestamp"] == "2025-09-08T16:50:01.447585+00:00"
    assert "message_id" not in json.dumps(pong)
    await ws.send(json.dumps({"type": "telemetry", "message_id": "m-2"}))
    assert await _recv(ws) == {
        "type": "ack",
        "data": {"received_type": "telemetry", "status": "acknowledged"},
        "timestamp": pytest.approx(0, abs=1e12),
    }
    await ws.send(json.dumps({"type": "user_message", "message_id": "m-3", "payload": {}}))
    error = await _recv(ws)
    assert error["type"] == "error_message"
    assert (error["error_code"], error["details"]) == ("VALIDATION_ERROR", {})
    assert isinstance(error["error_message"], str) and error["error_message"]
    assert set(error) == {"type", "error_code", "error_message", "details", "timestamp"}
    await ws.close()


async def test_a_run_in_payload_events_with_iso_timestamps(netra: ReferenceServer) -> None:
    ws = await _open(netra)
    await _recv(ws)
    await ws.send(
        json.dumps(
            {
                "type": "start_agent",
                "timestamp": "2025-09-08T16:50:01.447585",
                "payload": {"user_request": "What is 7/2?", "thread_id": "t-netra-1"},
            }
        )
    )
    ack = await _recv(ws)
    assert ack["type"] == "ack"
    assert ack["data"]["received_type"] == "start_agent"
    assert ack["data"]["status"] == "acknowledged"
    assert ack["data"]["thread_id"] == "t-netra-1"
    assert ack["data"]["client_timestamp"] == "2025-09-08T16:50:01.447585+00:00"
    events = []
    while not events or events[-1]["type"] != "agent_completed":
        events.append(await _recv(ws))
    assert [e["type"] for e in events] == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_thinking",
        "agent_completed",
    ]
    for event in events:
        assert ISO.match(event["timestamp"]), event
        assert event["run_id"] == ack["data"]["run_id"]
        assert event["agent_name"] == "scripted-agent"
        assert "seq" not in event and "data" not in event
    assert events[0]["payload"] == {"status": "started"}
    assert events[1]["payload"]["step_number"] == 1
    assert events[2]["payload"] == {
        "tool_name": "calculator",
        "parameters": {"expression": "7/2"},
        "status": "executing",
    }
    assert events[3]["payload"]["result"] == 3.5
    assert events[3]["payload"]["execution_time_ms"] >= 0
    assert "3.5" in events[5]["payload"]["result"]
    await ws.send(json.dumps({"type": "get_thread_history", "payload": {"thread_id": "t-netra-1"}}))
    history = await _recv(ws)
    messages = history["data"]["messages"]
    assert history["data"]["thread_id"] == "t-netra-1"
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["timestamp"] == "2025-09-08T16:50:01.447585+00:00"
    await ws.close()


async def test_oversize_is_an_error_and_the_connection_stays_open(netra: ReferenceServer) -> None:
    ws = await _open(netra)
    await _recv(ws)
    body = '{"type": "ping", "payload": {"pad": "'
    exact = body + "x" * (8192 - len(body) - 3) + '"}}'
    assert len(exact.encode()) == 8192
    await ws.send(exact)
    assert (await _recv(ws))["type"] == "pong"
    await ws.send(exact[:-3] + 'x"}}')
    error = await _recv(ws)
    assert (error["type"], error["error_code"]) == ("error_message", "MESSAGE_TOO_LARGE")
    await ws.send(json.dumps({"type": "ping"}))
    assert (await _recv(ws))["type"] == "pong"
    await ws.close()


async def test_a_fourth_connection_is_refused(netra: ReferenceServer) -> None:
    user = fresh_user("netra")
    open_ones = [await _open(netra, user) for _ in range(3)]
    for ws in open_ones:
        assert (await _recv(ws))["type"] == "system_message"
    fourth = await _open(netra, user)
    refusal = await _recv(fourth)
    assert (refusal["type"], refusal["error_code"]) == ("error_message", "TOO_MANY_CONNECTIONS")
    await asyncio.wait_for(fourth.wait_closed(), WITHIN)
    assert fourth.close_code == 1008
    for ws in open_ones:
        await ws.close()


async def test_auth_failure_is_an_error_message_then_1008(netra: ReferenceServer) -> None:
    ws = await connect(netra.ws_url, additional_headers={"Authorization": "Bearer nope"})
    refusal = await _recv(ws)
    assert (refusal["type"], refusal["error_code"]) == ("error_message", "AUTH_FAILED")
    await asyncio.wait_for(ws.wait_closed(), WITHIN)
    assert ws.close_code == 1008


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=WITHIN) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


async def test_health_route_and_no_stats(netra: ReferenceServer) -> None:
    base = netra.http_url
    assert await asyncio.to_thread(_get, f"{base}/ws/health") == (200, {"status": "healthy"})
    status, _ = await asyncio.to_thread(_get, f"{base}/stats")
    assert status == 404
