"""socket.io in captures: packets recorded as the harness's frames, the long-polling refusal,
and a capture refused by a profile of another transport (docs/CAPTURE.md "socket.io")."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import engineio.packet as eio
import pytest
import socketio.packet as sio

from harness.errors import ConfigError
from harness.replay.capture import CaptureHeader, CaptureWriter, load_capture
from harness.replay.player import Player
from harness.replay.proxy import POLLING_REFUSED, RecordingProxy
from harness.replay.sio_frames import SocketIOFrames
from harness.wire.profile import load_profile

WITHIN = 5.0


def wire(packet: sio.Packet) -> list[str | bytes]:
    """A socket.io packet as the WebSocket messages Engine.IO sends it in."""
    encoded = packet.encode()
    parts = encoded if isinstance(encoded, list) else [encoded]
    return [eio.Packet(eio.MESSAGE, part).encode() for part in parts]


def test_events_become_frames_and_transport_packets_nothing() -> None:
    frames = SocketIOFrames(ack_type="ack")
    fed: list[str] = []
    for direction, message in [
        ("server", eio.Packet(eio.OPEN, {"sid": "e1"}).encode()),
        ("client", wire(sio.Packet(sio.CONNECT, {"sessionId": "s"}))[0]),
        ("server", wire(sio.Packet(sio.CONNECT, {"sid": "abc"}))[0]),
        ("server", eio.Packet(eio.PING).encode()),
        ("client", eio.Packet(eio.PONG).encode()),
        ("client", wire(sio.Packet(sio.EVENT, ["client_message", {"m": 1}], id=7))[0]),
        ("server", wire(sio.Packet(sio.EVENT, ["task_start"]))[0]),
        ("server", wire(sio.Packet(sio.EVENT, ["stream_token", {"token": "hi"}]))[0]),
        ("server", wire(sio.Packet(sio.EVENT, ["two", 1, 2]))[0]),
        ("server", wire(sio.Packet(sio.ACK, ["ok"], id=7))[0]),
        ("server", wire(sio.Packet(sio.EVENT, ["elsewhere"], namespace="/admin"))[0]),
        ("client", wire(sio.Packet(sio.DISCONNECT))[0]),
    ]:
        fed += [f"{direction} {text}" for text in frames.feed(direction, message)]
    assert fed == [
        'server {"type": "connect", "data": {"sid": "abc"}}',
        'client {"type": "client_message", "data": {"m": 1}}',
        'server {"type": "task_start"}',
        'server {"type": "stream_token", "data": {"token": "hi"}}',
        'server {"type": "two", "data": [1, 2]}',
        'server {"type": "ack", "data": "ok", "event": "client_message"}',
    ]


def test_a_binary_event_waits_for_its_attachments() -> None:
    frames = SocketIOFrames()
    first, attachment = wire(sio.Packet(sio.EVENT, ["file", {"bytes": b"ab"}]))
    assert frames.feed("server", first) == []
    assert frames.feed("server", attachment) == ['{"type": "file", "data": {"bytes": "b\'ab\'"}}']


def test_a_connect_error_is_a_frame() -> None:
    (message,) = wire(sio.Packet(sio.CONNECT_ERROR, {"message": "no"}))
    assert SocketIOFrames().feed("server", message) == [
        '{"type": "connect_error", "data": {"message": "no"}}'
    ]


@pytest.mark.asyncio
async def test_long_polling_is_refused_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    header = CaptureHeader("chainlit", "2026-12-05T08:00:00.000000Z", {}, transport="socketio")
    writer = CaptureWriter(out, header)
    # Nothing listens upstream: the refusal comes before any upstream connection.
    proxy = RecordingProxy("ws://127.0.0.1:9/ws/socket.io", writer, transport="socketio")
    port = await proxy.start("127.0.0.1", 0)
    try:
        reader, sent = await asyncio.open_connection("127.0.0.1", port)
        sent.write(
            b"GET /ws/socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        reply = (await asyncio.wait_for(reader.read(4096), WITHIN)).decode()
        sent.close()
    finally:
        await proxy.stop()
        writer.close()
    assert reply.startswith("HTTP/1.1 400"), reply
    assert reply.rstrip().endswith(POLLING_REFUSED), reply
    assert POLLING_REFUSED == (
        "socket.io long-polling is not recorded: connect with the WebSocket transport only "
        "(transports=['websocket'])"
    )
    assert out.read_text().count("\n") == 1  # the header alone: nothing was recorded


def _capture(path: Path, profile: str, transport: str) -> Path:
    header = CaptureHeader(profile, "2026-12-05T08:00:00.000000Z", {}, transport=transport)
    CaptureWriter(path, header).close()
    line = {"t": 0.0, "conn": 1, "dir": "client", "kind": "open", "path": "/ws"}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return path


def _no_user() -> tuple[str, str]:
    return "u", ""


@pytest.mark.parametrize(
    ("recorded", "profile", "spoken"),
    [("socketio", "chat-agent/1", "websocket"), ("websocket", "chainlit", "socketio")],
)
def test_a_capture_of_another_transport_is_refused_with_one_line(
    tmp_path: Path, recorded: str, profile: str, spoken: str
) -> None:
    path = _capture(tmp_path / "c.jsonl", profile, recorded)
    with pytest.raises(ConfigError) as refused:
        Player(load_capture(path), "ws://127.0.0.1:9/ws", load_profile(profile), _no_user)
    assert str(refused.value) == (
        f"{path}:1: transport: the capture was recorded over {recorded}, the profile "
        f"{profile} speaks {spoken}: it cannot be replayed with it"
    )


def test_an_unknown_transport_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps(
            {
                "format": "stability-harness/capture",
                "version": 1,
                "profile": "chainlit",
                "recorded_at": "2026-12-05T08:00:00.000000Z",
                "transport": "polling",
            }
        )
        + "\n"
    )
    with pytest.raises(ConfigError) as refused:
        load_capture(path)
    assert str(refused.value) == f"{path}:1: transport: expected one of websocket, socketio"


def test_the_replay_command_refuses_a_capture_of_another_transport_in_one_line(
    tmp_path: Path,
) -> None:
    path = _capture(tmp_path / "c.jsonl", "chainlit", "socketio")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "replay", str(path), "--target", "ws://127.0.0.1:9/ws"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"stability-harness: error: {path}:1: transport: the capture was recorded over "
        "socketio, the profile chat-agent/1 speaks websocket: it cannot be replayed with it"
    ]
