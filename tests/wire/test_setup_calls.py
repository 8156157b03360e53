"""Set-up calls (`[[setup]]` in a profile): HTTP calls made before each connection, whose
saved values fill the WebSocket path and the request frames; validated with file, line and
key; each call bounded by its deadline. Against small servers of the test's own on port 0."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from harness.errors import CheckFailed, ConfigError
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.setup_calls import SetupCall, fill, run_setup
from harness.wire.transcript import Transcript

RUNS_PROFILE = """\
[profile]
name = "runs"

[endpoint]
ws_path = "/ws/runs/{run_id}"

[[setup]]
method = "GET"
path = "/api/runs?user={user}"
save = { run_id = "data.run_id", team = "data.team" }
"""


class RunServer:
    """GET /api/runs?user=U makes a run (ids from 1); /ws/runs/N opens only on a run made,
    else closes 4004 as AutoGen Studio does; GET /api/slow never answers in time."""

    def __init__(self) -> None:
        self.runs: dict[int, str] = {}
        self.opened: list[str] = []

    async def process(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.startswith("/api/runs"):
            run_id = len(self.runs) + 1
            self.runs[run_id] = request.path.partition("user=")[2]
            body = {"data": {"run_id": run_id, "team": {"name": "t", "agents": [1, 2]}}}
            return _json_response(HTTPStatus.OK, body)
        if request.path.startswith("/api/slow"):
            await asyncio.sleep(2)
        if request.path.startswith("/api/"):
            return _json_response(HTTPStatus.NOT_FOUND, {"detail": "Not Found"})
        return None

    async def handle(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        path = websocket.request.path
        self.opened.append(path)
        run = path.rsplit("/", 1)[1]
        if not run.isdigit() or int(run) not in self.runs:
            await websocket.close(4004, "Run not found")
            return
        await websocket.send(
            json.dumps({"type": "connection_established", "user_id": "u", "connection_id": run})
        )
        try:
            async for text in websocket:
                await websocket.send(text)  # echoes what the client sent
        except ConnectionClosed:
            return


def _json_response(status: HTTPStatus, body: Any) -> Response:
    data = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return Response(status.value, status.phrase, headers, data)


@asynccontextmanager
async def run_server() -> AsyncIterator[tuple[str, RunServer]]:
    state = RunServer()
    async with serve(
        state.handle, "127.0.0.1", 0, process_request=state.process, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}", state


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.toml"
    path.write_text(text)
    return path


@pytest.mark.asyncio
async def test_each_connection_makes_its_run_first_and_opens_on_it(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, RUNS_PROFILE))
    transcript = Transcript()
    async with run_server() as (base, state):
        url = base + "/ws/runs/{run_id}"
        user = User("alice", "a.b.c")
        first = await open_client(url, user, transcript, profile=profile, within=5.0)
        second = await open_client(url, user, transcript, profile=profile, within=5.0)
        assert first.setup_values["run_id"] == 1
        assert second.setup_values["run_id"] == 2
        # A saved object stays an object where a string is exactly its placeholder.
        assert second.setup_values["team"] == {"name": "t", "agents": [1, 2]}
        await first.close()
        await second.close()
    assert state.opened == ["/ws/runs/1", "/ws/runs/2"]
    assert state.runs == {1: "alice", 2: "alice"}
    sent = [e["data"] for e in transcript.export() if e["type"] == "GET"]
    assert sent == ["GET /api/runs?user=alice", "GET /api/runs?user=alice"]


def test_fill_keeps_objects_whole_and_formats_them_inside_text() -> None:
    values = {"team": {"name": "t"}, "run_id": 7, "content": "hi {run_id}"}
    frame = {"type": "start", "team_config": "{team}", "task": "{content}", "note": "run {run_id}"}
    assert fill(frame, values) == {
        "type": "start",
        "team_config": {"name": "t"},
        "task": "hi {run_id}",  # a value is not filled again
        "note": "run 7",
    }
    assert fill(["{unknown}", 3], values) == ["{unknown}", 3]


@pytest.mark.asyncio
async def test_a_call_answered_with_an_error_status_fails_naming_the_call() -> None:
    call = SetupCall("GET", "/api/nothing", None, {"run_id": "data.run_id"}, 5.0)
    async with run_server() as (base, _):
        with pytest.raises(CheckFailed) as failed:
            await run_setup(base + "/ws/runs/{run_id}", [call], "u", Transcript(), 1)
    assert failed.value.what == "set-up call GET /api/nothing"
    assert "HTTP 404" in str(failed.value.observed)


@pytest.mark.asyncio
async def test_a_reply_without_the_value_to_save_fails_naming_the_path() -> None:
    call = SetupCall("GET", "/api/runs", None, {"session_id": "data.id"}, 5.0)
    async with run_server() as (base, _):
        with pytest.raises(CheckFailed) as failed:
            await run_setup(base + "/ws", [call], "u", Transcript(), 1)
    assert "'data.id' (saved as {session_id})" in str(failed.value.expected)


@pytest.mark.asyncio
async def test_a_call_that_never_answers_fails_at_its_deadline() -> None:
    call = SetupCall("GET", "/api/slow", None, {}, 0.5)
    async with run_server() as (base, _):
        started = time.monotonic()
        with pytest.raises(CheckFailed) as failed:
            await run_setup(base + "/ws", [call], "u", Transcript(), 1)
        assert time.monotonic() - started < 3.0
    assert "no reply within 0.5 s" in str(failed.value.observed)


@pytest.mark.asyncio
async def test_post_calls_send_their_json_body_with_earlier_values_filled() -> None:
    received: list[tuple[str, Any]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        length = int(head.lower().split("content-length:")[1].split("\r\n")[0])
        body = json.loads(await reader.readexactly(length))
        received.append((head.split(" ")[1], body))
        reply = json.dumps({"data": {"id": 40 + len(received)}}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(reply)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + reply
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    calls = [
        SetupCall("POST", "/api/sessions", {"user_id": "{user}"}, {"session_id": "data.id"}, 5.0),
        SetupCall(
            "POST",
            "/api/runs",
            {"session_id": "{session_id}", "user_id": "{user}"},
            {"run_id": "data.id"},
            5.0,
        ),
    ]
    try:
        values = await run_setup(f"ws://127.0.0.1:{port}/x", calls, "bob", Transcript(), 1)
    finally:
        server.close()
        await server.wait_closed()
    assert received == [
        ("/api/sessions", {"user_id": "bob"}),
        ("/api/runs", {"session_id": 41, "user_id": "bob"}),
    ]
    assert values == {"user": "bob", "session_id": 41, "run_id": 42}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '\n[[setup]]\nmethod = "GET"\npath = "/b"\nverb = 1\n',
            "runs.toml:15: setup[1].verb: unknown key (known: method, path, body, save, timeout_s)",
        ),
        (
            '\n[[setup]]\nmethod = "FETCH"\npath = "/b"\n',
            "runs.toml:13: setup[1].method: expected one of GET, POST, PUT, PATCH, DELETE",
        ),
        (
            '\n[[setup]]\nmethod = "GET"\npath = "/b/{nothing}"\n',
            "runs.toml:14: setup[1].path: {nothing} is saved by no earlier [[setup]] call",
        ),
        (
            '\n[[setup]]\nmethod = "GET"\npath = "/b"\ntimeout_s = 0\n',
            "runs.toml:15: setup[1].timeout_s: expected a positive number of seconds",
        ),
    ],
)
def test_a_bad_setup_call_is_one_line_naming_file_line_and_key(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_profile(_profile(tmp_path, RUNS_PROFILE + extra))
    assert str(error.value) == f"{tmp_path / message}"


def test_a_ws_path_placeholder_no_call_saves_is_refused(tmp_path: Path) -> None:
    text = RUNS_PROFILE.replace('{run_id}"', '{run}"')
    with pytest.raises(ConfigError) as error:
        load_profile(_profile(tmp_path, text))
    assert str(error.value) == (
        f"{tmp_path / 'runs.toml'}:5: endpoint.ws_path: {{run}} is saved by no [[setup]] call"
    )
