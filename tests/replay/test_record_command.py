"""`stability-harness record` in a process of its own: SIGTERM stops it with a valid capture."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.replay.capture import load_capture

SECRET = "record-test-secret-6b0d1f3e-long-enough"
RECORD = [sys.executable, "-m", "harness", "record", "--listen", "127.0.0.1:0"]


def start_recording(*args: str) -> tuple[subprocess.Popen[str], str]:
    """`record ARGS` in a process of its own, and the URL it listens on once it says so."""
    proc = subprocess.Popen(
        [*RECORD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("recording ws://127.0.0.1:"):
        proc.kill()
        raise AssertionError(line + (proc.stderr.read() if proc.stderr else ""))
    return proc, line.split()[1]


@pytest.fixture
def upstream_process() -> Iterator[str]:
    with start_subprocess(ServerConfig(jwt_secret=SECRET)) as server:
        yield server.ws_url


def test_record_command_stops_on_sigterm_with_a_valid_capture(
    upstream_process: str, tmp_path: Path
) -> None:
    out = tmp_path / "live.jsonl"
    proc, listen = start_recording("--upstream", upstream_process, "--out", str(out))
    try:
        token = mint_token(SECRET, "u-proxy-4")

        async def talk() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with connect(listen + "/ws", additional_headers=headers) as ws:
                await asyncio.wait_for(ws.recv(), 5)
                await ws.send(json.dumps({"type": "ping", "message_id": "m-9"}))
                await asyncio.wait_for(ws.recv(), 5)

        asyncio.run(talk())
        os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    capture = load_capture(out)
    kinds = [(e.dir, e.kind) for e in capture.events]
    assert kinds[:4] == [
        ("client", "open"),
        ("server", "text"),
        ("client", "text"),
        ("server", "text"),
    ]
    assert token not in out.read_text("utf-8")


def test_a_socketio_profile_records_a_socketio_capture_with_its_volatile_fields(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sio.jsonl"
    args = ["--upstream", "ws://127.0.0.1:9/ws/socket.io", "--out", str(out)]
    proc, _ = start_recording(*args, "--profile", "chainlit", "--volatile", "data.id")
    try:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    header = json.loads(out.read_text().splitlines()[0])
    assert (header["profile"], header["transport"]) == ("chainlit", "socketio")
    assert header["volatile"][-1] == "data.id"
    assert "timestamp" in header["volatile"]
