"""End to end: recording and replaying a real Chainlit app over socket.io (docs/CAPTURE.md).

The project's Chainlit app (tests/targets/chainlit_app/app.py) is served with
`chainlit run --headless`; a user's frontend (python-socketio's AsyncClient, as
Chainlit's own frontend connects) talks to it through the recording proxy; the capture
holds the socket.io events as the harness's frames, and replays as recorded against
the clean app and with a mismatch against the `second-task-end` variant.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import socketio
from websockets.asyncio.client import connect

from harness.replay.capture import DEFAULT_VOLATILE, CaptureHeader, CaptureWriter, load_capture
from harness.replay.player import Player, ReplayResult
from harness.replay.proxy import RecordingProxy
from harness.run.served import ServedProcess, free_port
from harness.verdict.policy import ServePlan
from harness.wire.profile import load_profile
from harness.wire.redaction import Redactor
from harness.wire.setup_calls import run_setup, setup_calls, ws_url_with
from harness.wire.transcript import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.asyncio, pytest.mark.timeout(240)]

APP = Path(__file__).parent / "chainlit_app" / "app.py"
AUTOGEN_SERVE = Path(__file__).parent / "autogen" / "serve.py"
AUTOGEN_RUN = "/api/ws/runs/{run_id}"
# How long AutoGen Studio's run took differs on every run.
AUTOGEN_VOLATILE = ("data.duration",)
CHAINLIT = Path(sys.executable).parent / "chainlit"
SOCKETIO_PATH = "/ws/socket.io"
WITHIN = 20.0
# Chainlit's ids and times differ on every run (a step's id, its thread, its times).
CHAINLIT_VOLATILE = (
    "data.sid",
    "data.id",
    "data.threadId",
    "data.parentId",
    "data.createdAt",
    "data.start",
    "data.end",
)

if not CHAINLIT.exists():
    pytest.skip("chainlit is not installed (pip install -e .[targets])", allow_module_level=True)


@contextmanager
def serving(plan: ServePlan, port: int, log: Path) -> Iterator[int]:
    """The plan's server, ready, on `port` (yielded); stopped afterwards."""
    served = ServedProcess(plan, port, log, secret=None, redactor=Redactor())
    try:
        served.wait_ready()
        yield port
    finally:
        served.stop()


@contextmanager
def chainlit_app(tmp_path: Path, defect: str = "") -> Iterator[int]:
    """The app served from a copy of its own (`defect`: its broken variant); its port."""
    folder = tmp_path / f"app-{defect or 'clean'}"
    folder.mkdir()
    shutil.copy(APP, folder / "app.py")
    port = free_port()
    plan = ServePlan(
        command=f"cd {folder} && exec {CHAINLIT} run app.py --headless --host 127.0.0.1 "
        "--port {port}",
        timeout_s=60.0,
        env={"CHAINLIT_APP_DEFECT": defect},
    )
    with serving(plan, port, folder / "served.log"):
        yield port


def user_message(content: str) -> dict[str, Any]:
    """Chainlit's frontend asking for a turn (as the `chainlit` profile's request frame)."""
    return {
        "message": {
            "id": str(uuid.uuid4()),
            "threadId": "",
            "name": "User",
            "type": "user_message",
            "output": content,
            "createdAt": "",
        }
    }


async def converse(proxy_port: int, contents: list[str]) -> list[str]:
    """A frontend's conversation through the proxy: one turn per content, each awaited to
    its task_end; the event names it received."""
    client = socketio.AsyncClient(reconnection=False)
    seen: list[str] = []
    ended = asyncio.Queue[None]()

    async def any_event(event: str, *args: Any) -> None:
        seen.append(event)
        if event == "task_end":
            ended.put_nowait(None)

    client.on("*", any_event)
    await client.connect(
        f"http://127.0.0.1:{proxy_port}",
        socketio_path=SOCKETIO_PATH,
        transports=["websocket"],
        auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp", "userEnv": "{}"},
        wait_timeout=WITHIN,
    )
    try:
        for content in contents:
            await client.emit("client_message", user_message(content))
            await asyncio.wait_for(ended.get(), WITHIN)
            await asyncio.sleep(0.3)  # a second task_end of a broken app would come now
    finally:
        await client.disconnect()
    return seen


async def record_conversation(app_port: int, out: Path, contents: list[str]) -> list[str]:
    """Record a frontend's conversation with the app on `app_port` into `out`."""
    profile = load_profile("chainlit")
    header = CaptureHeader(
        "chainlit",
        "2026-12-05T08:00:00.000000Z",
        {"kind": "proxy"},
        volatile=(*DEFAULT_VOLATILE, *CHAINLIT_VOLATILE),
        transport="socketio",
    )
    writer = CaptureWriter(out, header)
    proxy = RecordingProxy(
        f"ws://127.0.0.1:{app_port}{SOCKETIO_PATH}",
        writer,
        transport="socketio",
        ack_type=profile.section("transport")["ack_type"],
    )
    proxy_port = await proxy.start("127.0.0.1", 0)
    try:
        return await converse(proxy_port, contents)
    finally:
        await proxy.stop()
        writer.close()


async def replay(capture: Path, app_port: int) -> ReplayResult:
    counter = iter(range(1, 100))

    def new_user() -> tuple[str, str]:
        return f"replayed-{next(counter)}", ""

    loaded = load_capture(capture)
    player = Player(
        loaded, f"ws://127.0.0.1:{app_port}{SOCKETIO_PATH}", load_profile("chainlit"), new_user
    )
    return await player.run()


def server_types(capture: Path) -> list[str]:
    return [
        json.loads(e.data)["type"]
        for e in load_capture(capture).events
        if e.dir == "server" and e.kind == "text"
    ]


async def test_a_chainlit_conversation_records_as_frames_and_replays(tmp_path: Path) -> None:
    out = tmp_path / "chainlit.jsonl"
    with chainlit_app(tmp_path) as port:
        seen = await record_conversation(port, out, ["hello there", "and again"])
        assert seen.count("task_end") == 2, seen
        capture = load_capture(out)
        assert capture.header.transport == "socketio"
        (opened,) = [e for e in capture.events if e.kind == "open"]
        assert opened.path == "/ws/socket.io/"
        assert (opened.query["EIO"], opened.query["transport"]) == ("4", "websocket")
        client = [
            json.loads(e.data) for e in capture.events if e.dir == "client" and e.kind == "text"
        ]
        assert [f["type"] for f in client] == ["client_message", "client_message"]
        assert client[0]["data"]["message"]["output"] == "hello there"
        types = server_types(out)
        assert types[0] == "connect"
        for expected in ("task_start", "stream_start", "stream_token", "new_message", "task_end"):
            assert expected in types, (expected, types)
        assert types.count("task_end") == 2, types
        closes = [(e.dir, e.code) for e in capture.events if e.kind == "close"]
        assert ("client", 1000) in closes, closes

        result = await replay(out, port)
        assert result.first_mismatch is None, result.first_mismatch.describe()
        (only,) = result.connections
        assert [f["type"] for f in only.replayed.frames] == [
            f["type"] for f in only.recorded.frames
        ]

    with chainlit_app(tmp_path, defect="second-task-end") as port:
        broken = await replay(out, port)
    mismatch = broken.first_mismatch
    assert mismatch is not None
    # The variant ends its task once more before Chainlit updates the run step (the
    # recording's 11th server frame, the first_interaction notice left out) and ends it.
    assert (mismatch.conn, mismatch.index, mismatch.field) == (1, 10, "type")
    assert (mismatch.recorded, mismatch.replayed) == ("update_message", "task_end")


async def test_a_replay_opens_on_a_run_of_its_own_through_the_set_up_calls(
    tmp_path: Path,
) -> None:
    """AutoGen Studio's socket is on a run made over REST: the recording's run is not the
    replay's; each replayed connection makes the profile's set-up calls first."""
    pytest.importorskip("autogenstudio", reason="AutoGen Studio: pip install -e '.[targets]'")
    port = free_port()
    plan = ServePlan(
        command=f"{sys.executable} {AUTOGEN_SERVE} --port {{port}} --appdir {tmp_path / 'app'}",
        ready_line="autogen team ready",
        timeout_s=90.0,
    )
    profile = load_profile("autogen-studio")
    out = tmp_path / "autogen.jsonl"
    with serving(plan, port, tmp_path / "served.log"):
        template = f"ws://127.0.0.1:{port}{AUTOGEN_RUN}"
        saved = await run_setup(template, setup_calls(profile.data), "u", Transcript(), 1)
        writer = CaptureWriter(
            out,
            CaptureHeader(
                "autogen-studio",
                "2026-12-05T08:00:00.000000Z",
                {"kind": "proxy"},
                volatile=(*DEFAULT_VOLATILE, *AUTOGEN_VOLATILE),
            ),
        )
        proxy = RecordingProxy(f"ws://127.0.0.1:{port}", writer)
        proxy_port = await proxy.start("127.0.0.1", 0)
        try:
            path = ws_url_with(f"ws://127.0.0.1:{proxy_port}{AUTOGEN_RUN}", saved)
            async with connect(path, open_timeout=WITHIN) as ws:
                start = {"type": "start", "task": "weather in Paris?", "files": []}
                await ws.send(json.dumps({**start, "team_config": saved["team"]}))
                while json.loads(await asyncio.wait_for(ws.recv(), WITHIN))["type"] != "result":
                    pass
        finally:
            await proxy.stop()
            writer.close()
        recorded = load_capture(out)
        (opened,) = [e for e in recorded.events if e.kind == "open"]
        assert opened.path == f"/api/ws/runs/{saved['run_id']}"

        transcript = Transcript()
        player = Player(
            recorded, template, profile, lambda: ("u-replayed", ""), transcript=transcript
        )
        result = await player.run()
    assert result.first_mismatch is None, result.first_mismatch.describe()
    (only,) = result.connections
    assert [f["type"] for f in only.replayed.frames] == [f["type"] for f in only.recorded.frames]
    wire = [json.loads(text)["type"] for text in only.raw_replayed]
    assert (wire[0], wire[-1]) == ("system", "result"), wire
    assert "message_chunk" in wire, wire
    # The replay opened on a run of its own, made by the set-up calls before it.
    (shown,) = [e["data"] for e in transcript.export() if e["dir"] == "open"]
    replayed_path = shown.split()[1]
    assert replayed_path.startswith("/api/ws/runs/") and replayed_path != opened.path, shown
    assert shown.endswith(f"({opened.path})"), shown
    assert [e["type"] for e in transcript.export() if e["dir"] == "send"][:3] == [
        "GET",
        "POST",
        "POST",
    ]
