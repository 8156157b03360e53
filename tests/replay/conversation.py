"""A real conversation recorded through the proxy, for the replay tests."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from harness.reference import ReferenceServer, mint_token
from harness.replay.capture import CaptureHeader, CaptureWriter
from harness.replay.proxy import RecordingProxy

WITHIN = 5.0


async def recv(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WITHIN)))


async def until(ws: ClientConnection, frame_type: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = await recv(ws)
        frames.append(frame)
        if frame.get("type") == frame_type:
            return frames


async def record_conversation(server: ReferenceServer, secret: str, out: Path) -> Path:
    """Record: a run with two tool calls, an error reply, a reconnect and a history read,
    a refused connection, then client closes; return the capture's path."""
    writer = CaptureWriter(
        out, CaptureHeader("chat-agent/1", "2026-12-02T10:00:00.000000Z", {"kind": "proxy"})
    )
    proxy = RecordingProxy(server.ws_url, writer)
    port = await proxy.start("127.0.0.1", 0)
    url = f"ws://127.0.0.1:{port}/ws"
    token = mint_token(secret, "u-rec-1")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with connect(url, additional_headers=headers) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "ping", "message_id": "m-1", "timestamp": 1.5}))
            await recv(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "start_agent",
                        "message_id": "m-2",
                        "timestamp": "2025-09-08T16:50:01.447585",
                        "payload": {
                            "user_request": "What is (7-1) * 4 and 7/2?",
                            "thread_id": "t-r1",
                        },
                    }
                )
            )
            await until(ws, "agent_completed")
            await ws.send(json.dumps({"type": "user_message", "message_id": "m-3", "payload": {}}))
            await recv(ws)
        async with connect(url, additional_headers=headers) as ws:
            await recv(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "get_thread_history",
                        "message_id": "m-4",
                        "payload": {"thread_id": "t-r1"},
                    }
                )
            )
            await recv(ws)
        bad = {"Authorization": "Bearer not-a-token"}
        async with connect(url, additional_headers=bad) as ws:
            await recv(ws)
            await asyncio.wait_for(ws.wait_closed(), WITHIN)
    finally:
        await proxy.stop()
        writer.close()
    return out
