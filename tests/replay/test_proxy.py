"""The recording proxy against the real reference server: forwards unchanged, records redacted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from harness.reference import ReferenceServer, ServerConfig, mint_token
from harness.replay.capture import CaptureHeader, CaptureWriter, load_capture
from harness.replay.proxy import RecordingProxy
from harness.wire.tokens import subprotocol_for

pytestmark = pytest.mark.asyncio

SECRET = "proxy-test-secret-9f1c2e7a-long-enough"
WITHIN = 5.0


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[ReferenceServer]:
    server = ReferenceServer(ServerConfig(jwt_secret=SECRET, think_ms=1.0, tool_ms=1.0))
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def proxy(
    upstream: ReferenceServer, tmp_path: Path
) -> AsyncIterator[tuple[str, Path, RecordingProxy]]:
    out = tmp_path / "capture.jsonl"
    writer = CaptureWriter(
        out, CaptureHeader("chat-agent/1", "2026-12-02T10:00:00.000000Z", {"kind": "proxy"})
    )
    recorder = RecordingProxy(upstream.ws_url, writer)
    port = await recorder.start("127.0.0.1", 0)
    yield f"ws://127.0.0.1:{port}/ws", out, recorder
    await recorder.stop()
    writer.close()


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WITHIN)))


async def _until(ws: ClientConnection, frame_type: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = await _recv(ws)
        frames.append(frame)
        if frame.get("type") == frame_type:
            return frames


async def test_a_conversation_is_forwarded_and_recorded(
    proxy: tuple[str, Path, RecordingProxy],
) -> None:
    url, out, recorder = proxy
    token = mint_token(SECRET, "u-proxy-1")
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        welcome = await _recv(ws)
        assert (welcome["type"], welcome["user_id"]) == ("connection_established", "u-proxy-1")
        await ws.send(json.dumps({"type": "ping", "message_id": "m-1"}))
        assert (await _recv(ws))["type"] == "pong"
        await ws.send(
            json.dumps(
                {
                    "type": "user_message",
                    "message_id": "m-2",
                    "payload": {"content": "What is (7-1) * 4 and 6/3?", "thread_id": "t-p1"},
                }
            )
        )
        run = await _until(ws, "agent_completed")
        tools = [f for f in run if f["type"] == "tool_completed"]
        assert [t["data"]["result"] for t in tools] == [24, 2]
        await ws.send(json.dumps({"type": "user_message", "message_id": "m-3", "payload": {}}))
        error = await _recv(ws)
        assert (error["type"], error["error_code"]) == ("error", "INVALID_PAYLOAD")
        await ws.send(
            json.dumps(
                {
                    "type": "get_thread_history",
                    "message_id": "m-4",
                    "payload": {"thread_id": "t-p1"},
                }
            )
        )
        history = await _recv(ws)
        assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    await recorder.stop()  # every handler finished: every event is on disk
    capture = load_capture(out)
    events = capture.connections()[1]
    assert events[0].kind == "open"
    assert events[0].headers["Authorization"] == "Bearer <redacted>"
    sent = [json.loads(e.data)["type"] for e in events if e.dir == "client" and e.kind == "text"]
    assert sent == ["ping", "user_message", "user_message", "get_thread_history"]
    received = [json.loads(e.data) for e in events if e.dir == "server" and e.kind == "text"]
    assert received[0]["type"] == "connection_established"
    assert [f["type"] for f in received[2:]] == [
        *["ack"],
        *[f["type"] for f in run if f["type"] != "ack"],
        "error",
        "thread_history",
    ]
    closes = [(e.dir, e.code) for e in events if e.kind == "close"]
    assert closes[0] == ("client", 1000)
    text = out.read_text("utf-8")
    assert token not in text
    assert SECRET not in text


async def test_subprotocol_and_query_tokens_are_forwarded_and_redacted(
    proxy: tuple[str, Path, RecordingProxy],
) -> None:
    url, out, recorder = proxy
    token = mint_token(SECRET, "u-proxy-2")
    offered = subprotocol_for(token)
    async with connect(url, subprotocols=[offered]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == offered  # the upstream's selection, passed through
        assert (await _recv(ws))["user_id"] == "u-proxy-2"
    async with connect(f"{url}?token={token}&lang=en") as ws:
        assert (await _recv(ws))["user_id"] == "u-proxy-2"
    await recorder.stop()
    capture = load_capture(out)
    first, second = capture.connections()[1][0], capture.connections()[2][0]
    assert first.subprotocols == ("jwt.<redacted>",)
    assert second.query == {"token": "<redacted>", "lang": "en"}
    text = out.read_text("utf-8")
    assert token not in text
    assert offered not in text


async def test_a_refusal_is_forwarded_with_its_close_code(
    proxy: tuple[str, Path, RecordingProxy],
) -> None:
    url, out, recorder = proxy
    forged = mint_token("another-secret-that-is-long-enough-1234", "u-proxy-3")
    async with connect(url, additional_headers={"Authorization": f"Bearer {forged}"}) as ws:
        error = await _recv(ws)
        assert error["error_code"] == "AUTH_FAILED"
        await asyncio.wait_for(ws.wait_closed(), WITHIN)
        assert ws.close_code == 1008
    await recorder.stop()
    events = load_capture(out).connections()[1]
    assert next((e.dir, e.code) for e in events if e.kind == "close") == ("server", 1008)
