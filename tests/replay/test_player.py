"""Replaying a recorded conversation: clean on a correct server, a named diff on each defect."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from harness.reference import ReferenceServer, ServerConfig, mint_token
from harness.replay.capture import load_capture
from harness.replay.player import Player, ReplayOptions
from harness.wire.profile import load_profile
from harness.wire.tokens import synthetic_user_id

from .conversation import record_conversation

pytestmark = pytest.mark.asyncio

SECRET = "replay-test-secret-0c4d2b7e-long-enough"
Start = Callable[..., Awaitable[ReferenceServer]]


@pytest_asyncio.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[ReferenceServer] = []

    async def start_server(*defects: str) -> ReferenceServer:
        server = ReferenceServer(
            ServerConfig(jwt_secret=SECRET, think_ms=1.0, tool_ms=1.0, defects=frozenset(defects))
        )
        await server.start()
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        await server.stop()


def _new_user() -> tuple[str, str]:
    user = synthetic_user_id("replay")
    return user, mint_token(SECRET, user)


async def _replay(capture: Path, server: ReferenceServer, pacing: str = "causal"):  # type: ignore[no-untyped-def]
    player = Player(
        load_capture(capture),
        server.ws_url,
        load_profile("chat-agent/1"),
        _new_user,
        ReplayOptions(pacing=pacing, speed=4.0, step_within_s=2.0),
    )
    return await player.run()


async def test_the_recording_replays_clean_against_a_correct_server(
    start: Start, tmp_path: Path
) -> None:
    recorded_on = await start()
    capture = await record_conversation(recorded_on, SECRET, tmp_path / "c.jsonl")
    fresh = await start()  # another process's state: nothing of the recording is there
    result = await _replay(capture, fresh)
    assert [c.mismatch for c in result.connections] == [None, None, None]
    first = result.connections[0]
    types = [f["type"] for f in first.replayed.frames]
    assert types[:3] == ["connection_established", "pong", "ack"]
    assert types.count("tool_completed") == 2
    assert first.replayed.frames[2]["client_timestamp"] == 1757350201.447585
    assert result.connections[2].replayed.close_code == 1008
    timed = await _replay(capture, fresh, pacing="timed")
    assert timed.first_mismatch is None


@pytest.mark.parametrize(
    ("defect", "conn", "field"),
    [
        pytest.param("drop-tool-completed", 1, "type", id="drop-tool-completed"),
        pytest.param("naive-local-time", 1, "client_timestamp", id="naive-local-time"),
        pytest.param(
            "history-lost-on-reconnect", 2, "messages (length)", id="history-lost-on-reconnect"
        ),
        pytest.param("iso-timestamp-crash", 1, "type", id="iso-timestamp-crash"),
        pytest.param("reorder-events", 1, "type", id="reorder-events"),
        pytest.param("duplicate-thinking", 1, "type", id="duplicate-thinking"),
    ],
)
async def test_a_defect_diverges_naming_connection_frame_and_field(
    start: Start, tmp_path: Path, defect: str, conn: int, field: str
) -> None:
    capture = await record_conversation(await start(), SECRET, tmp_path / "c.jsonl")
    result = await _replay(capture, await start(defect))
    mismatch = result.first_mismatch
    assert mismatch is not None
    assert mismatch.conn == conn
    assert mismatch.field == field
    assert mismatch.describe().startswith(f"connection {conn}, server frame ")
    assert mismatch.recorded != mismatch.replayed
