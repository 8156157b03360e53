"""End to end: `profile discover URL` against real servers on 127.0.0.1.

In each built-in dialect the reference server is discovered; the draft, unedited,
extends that dialect, names only what differs (literal tables below), says what it saw
in its comments, and the clean server is APPROVED by a run with it. A server that
closes at once, sends garbage or is not there: one line, exit 2; a bad option: exit 4.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.reference import ServerConfig, start_subprocess
from harness.wire.tokens import mint

from .conftest import RUN_DEADLINE_S, Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2 * RUN_DEADLINE_S + 60)]

SECRET = "discover-e2e-secret-of-at-least-32-bytes-0123"
SUITES = ("--suite", "agent_events", "--suite", "security")

# What each draft writes besides [profile] name and description (comment-only tables
# are empty and left out): the reference server differs from its built-in profile only
# where the profile leaves a behaviour unverified (a 404 for unknown routes; the
# realtime server also takes the token as a subprotocol and a query parameter).
WRITTEN: dict[str, dict[str, Any]] = {
    "chat-agent/1": {"profile": {"extends": "chat-agent/1"}},
    "netra-2025-09": {"profile": {"extends": "netra-2025-09"}, "endpoint": {"not_found": True}},
    "openai-realtime": {
        "profile": {"extends": "openai-realtime"},
        "endpoint": {"not_found": True},
        "auth": {"transports": ["header", "subprotocol", "query"]},
    },
}
# Comment lines (or their beginnings) each draft must hold: what was seen, how sure.
SAID: dict[str, tuple[str, ...]] = {
    "chat-agent/1": (
        '# sure: the welcome is chat-agent/1\'s: {"type": "connection_established", "user_id": '
        '"discover-user-1"',
        '# sure: health as chat-agent/1; saw: GET /health -> 200 {"status": "ok"}',
        "# sure: transports as chat-agent/1: header: accepted; subprotocol: accepted; "
        "query: accepted",
        '# sure: a ping\'s pong echoes its message_id: {"type": "pong", "message_id": "discover-',
        "; correlation 'message_id', as chat-agent/1",
        "# sure: a text frame of 65537 bytes (",
        "got no frame; closed 1009; oversize 'close:1009', as the base",
        "# sure: a user_message started a turn: ack agent_started agent_thinking tool_executing "
        "tool_completed agent_thinking agent_completed",
    ),
    "netra-2025-09": (
        '# sure: the welcome is netra-2025-09\'s: {"type": "system_message", "data": {"event": '
        '"connection_established", "connection_ready": true',
        '# sure: health as netra-2025-09; saw: GET /ws/health -> 200 {"status": "healthy"}',
        '# sure: a ping\'s pong does not echo its message_id: {"type": "pong"',
        "; correlation 'order', as netra-2025-09",
        '# sure: an unknown type got {"type": "ack", "data": {"status": "acknowledged", '
        '"received_type": "stability_harness_unknown_type"}',
        "# sure: a text frame of 8193 bytes (",
        "oversize 'error:MESSAGE_TOO_LARGE', as the base",
        "# sure: FORMAT_ERROR is 'FORMAT_ERROR', as netra-2025-09: "
        '{"type": "error_message", "details": {}',
        "the limit per user is not probed: 3 kept (guess)",
    ),
    "openai-realtime": (
        '# sure: the welcome is openai-realtime\'s: {"type": "session.created"',
        "# sure: a connection with the token by each: header: accepted; subprotocol: "
        "accepted; query: accepted",
        "# guess: a ping got no pong (",
        "# sure: UNKNOWN_TYPE is 'invalid_event_type', as openai-realtime",
        "# sure: FORMAT_ERROR is 'invalid_json', as openai-realtime",
        "# sure: conversation.item.create + response.create started a turn: response.created "
        "response.output_item.added",
        "# likely: no health route, as openai-realtime (/health 404, /ws/health 404",
    ),
}


def env() -> dict[str, str]:
    return {**os.environ, "STABILITY_HARNESS_JWT_SECRET": SECRET}


def discover(url: str, out: Path, *more: str) -> Finished:
    return harness("profile", "discover", url, "--out", str(out), *more, out=out.parent, env=env())


def written(text: str) -> dict[str, Any]:
    """The draft's keys, without its name and description, empty tables left out."""

    def pruned(node: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in node.items():
            value = pruned(value) if isinstance(value, dict) else value
            if value != {}:
                out[key] = value
        return out

    data = tomllib.loads(text)
    assert data["profile"].pop("name") == "discovered-127.0.0.1"
    assert data["profile"].pop("description").startswith("Drafted from ws://127.0.0.1:")
    return pruned(data)


@pytest.mark.parametrize("dialect", sorted(WRITTEN))
def test_a_draft_of_each_dialect_approves_its_clean_server(tmp_path: Path, dialect: str) -> None:
    with start_subprocess(ServerConfig(jwt_secret=SECRET, profile=dialect)) as server:
        draft = tmp_path / "drafted.toml"
        started = time.monotonic()
        found = discover(server.ws_url, draft)
        assert found.code == 0, found.stdout + found.stderr
        assert time.monotonic() - started < 60 + 30  # the budget, then the profile check
        text = draft.read_text("utf-8")
        assert written(text) == WRITTEN[dialect]
        for line in SAID[dialect]:
            assert line in text, line
        assert f"wrote {draft}; profile check {draft}:" in found.stdout
        assert f"{draft}: valid profile 'discovered-127.0.0.1' ({draft} -> " in found.stdout
        assert text in found.stdout  # the draft is printed too
        run = harness(
            *("run", "--target", server.ws_url, "--profile", str(draft), *SUITES, "--quiet"),
            out=tmp_path / "run",
            env=env(),
        )
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "APPROVED"


def test_a_notice_before_the_welcome_is_declared_and_the_server_approved(tmp_path: Path) -> None:
    notice = {"type": "system_message", "data": {"event": "fallback_mode", "text": "LLM down"}}
    config = ServerConfig(jwt_secret=SECRET, before_welcome=(json.dumps(notice),))
    with start_subprocess(config) as server:
        draft = tmp_path / "drafted.toml"
        found = discover(server.ws_url, draft)
        assert found.code == 0, found.stdout + found.stderr
        text = draft.read_text("utf-8")
        assert written(text) == {
            "profile": {"extends": "chat-agent/1"},
            "server": {
                "notices": {
                    "system_message": {
                        "type": "system_message",
                        "match": {"data.event": "fallback_mode"},
                        "when": "before_welcome",
                    }
                }
            },
        }
        assert (
            '# sure: sent unasked before welcome: {"type": "system_message", "data": '
            '{"event": "fallback_mode", "text": "LLM down"}}'
        ) in text
        run = harness(
            *("run", "--target", server.ws_url, "--profile", str(draft), "--suite", "security"),
            out=tmp_path / "run",
            env=env(),
        )
    assert run.code == 0, run.stdout + run.stderr


def test_a_token_given_makes_a_static_token_source_and_never_shows(tmp_path: Path) -> None:
    token = mint(SECRET, "given-user")
    with start_subprocess(ServerConfig(jwt_secret=SECRET)) as server:
        draft = tmp_path / "drafted.toml"
        found = harness(
            *("profile", "discover", server.ws_url, "--token", f"given-user={token}"),
            *("--out", str(draft)),
            out=tmp_path,
            env={k: v for k, v in os.environ.items() if k != "STABILITY_HARNESS_JWT_SECRET"},
        )
    assert found.code == 0, found.stdout + found.stderr
    text = draft.read_text("utf-8")
    assert written(text) == {
        "profile": {"extends": "chat-agent/1"},
        "auth": {"tokens": {"source": "static"}},
    }
    assert "# sure: the token was given with --token USER=JWT" in text
    assert '"user_id": "given-user"' in text
    assert token not in text and token not in found.stdout + found.stderr


@pytest.mark.parametrize(
    ("hostile", "line"),
    [
        ("garbage", "the server sent a frame that is not a JSON object: '%%garbage{{ not a frame'"),
        (
            "mid-frame",
            "the server closed the connection at once (code 1006) before sending any frame",
        ),
    ],
    indirect=["hostile"],
)
def test_a_server_that_closes_at_once_or_sends_garbage_is_one_line_exit_2(
    tmp_path: Path, hostile: str, line: str
) -> None:
    found = discover(hostile, tmp_path / "drafted.toml")
    assert found.code == 2, found.stdout + found.stderr
    assert found.stderr == f"profile discover: {hostile}: {line}\n"
    assert not (tmp_path / "drafted.toml").exists()


def test_no_server_is_one_line_exit_2(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"ws://127.0.0.1:{port}/ws"
    found = discover(url, tmp_path / "drafted.toml")
    assert found.code == 2, found.stdout + found.stderr
    assert found.stderr == (
        f"profile discover: {url}: no connection opened with the token (header: unreachable; "
        "subprotocol: unreachable; query: unreachable)\n"
    )


@pytest.mark.parametrize("hostile", ["silent"], indirect=True)
def test_a_silent_server_is_drafted_within_the_budget(tmp_path: Path, hostile: str) -> None:
    draft = tmp_path / "drafted.toml"
    started = time.monotonic()
    found = discover(hostile, draft, "--within", "4")
    elapsed = time.monotonic() - started
    assert found.code == 0, found.stdout + found.stderr
    assert elapsed < 4 + 20, elapsed  # the budget, then the profile check
    text = draft.read_text("utf-8")
    assert '# sure: the welcome is chat-agent/1\'s: {"type": "connection_established"' in text
    # The probes that the budget left no time for say so.
    assert "# guess: no message started a turn (user_message got not tried (out of time))" in text


def test_bad_options_are_one_line_exit_4(tmp_path: Path) -> None:
    bare = {k: v for k, v in os.environ.items() if k != "STABILITY_HARNESS_JWT_SECRET"}
    out = str(tmp_path / "d.toml")
    cases = [
        (
            ("ws://127.0.0.1:9/ws", "--out", out),
            bare,
            "profile discover: give --token USER=JWT or set STABILITY_HARNESS_JWT_SECRET",
        ),
        (
            ("http://127.0.0.1:9/ws", "--out", out),
            env(),
            "profile discover: URL must start with ws:// or wss://, not 'http://127.0.0.1:9/ws'",
        ),
        (
            ("ws://127.0.0.1:9/ws", "--within", "0", "--out", out),
            env(),
            "profile discover: --within must be 1 to 600 seconds, not 0.0",
        ),
        (
            ("ws://127.0.0.1:9/ws", "--out", str(tmp_path / "no" / "d.toml")),
            env(),
            f"profile discover: --out {tmp_path}/no/d.toml: no folder {tmp_path}/no",
        ),
        (
            ("ws://127.0.0.1:9/ws", "--token", "nojwt", "--out", out),
            env(),
            "profile discover: --token must be USER=JWT",
        ),
    ]
    for argv, environment, line in cases:
        found = harness("profile", "discover", *argv, out=tmp_path, env=environment)
        assert found.code == 4, (argv, found.stderr)
        assert line in found.stderr, found.stderr
        assert len(found.stderr.strip().splitlines()) == 1, found.stderr


@pytest.fixture
def odd(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of tests/discover/odd_server.py, a dialect of its own, in a subprocess
    (parametrised: its heartbeat interval, none by default)."""
    heartbeat = [str(request.param)] if hasattr(request, "param") else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.discover.odd_server", *heartbeat],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("url: "), line
        yield line.removeprefix("url: ").strip()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_dialect_of_its_own_is_drafted_as_guesses_that_check(tmp_path: Path, odd: str) -> None:
    draft = tmp_path / "drafted.toml"
    found = discover(odd, draft, "--within", "30")
    assert found.code == 0, found.stdout + found.stderr
    assert f"{draft}: valid profile 'discovered-127.0.0.1'" in found.stdout
    text = draft.read_text("utf-8")
    empty = {"user_id": "", "connection_id": "", "server_time": ""}
    limits = {"limits.max_message_bytes": "", "limits.max_messages_per_minute": ""}
    assert written(text) == {
        "profile": {"extends": "chat-agent/1"},
        "endpoint": {"ws_path": "/chat", "health_path": "", "not_found": False},
        "server": {
            "seq_field": "",
            "type_field": "event",
            "timestamp_field": "",
            "frames": {"connection_established": {"type": "hello", "fields": empty | limits}},
        },
        "client": {"type_field": "event"},
        "capabilities": {"seq": False, "chat_requests": False},
    }
    for line in (
        '# guess: the first frame: {"event": "hello", "sid": "abc"}',
        '# likely: a connection without a token was NOT refused; saw (no token): {"event": '
        '"hello", "sid": "abc"}',
        '# guess: a ping got no pong ({"event": "echo", "got": "ping"}); correlation '
        "'message_id' kept",
        '# guess: no message started a turn (user_message got {"event": "echo", "got": '
        '"user_message"}; response.create got {"event": "echo", "got": "response.create"}); '
        "write [turn] and [turn.request] by hand (docs/TURNS.md)",
    ):
        assert line in text, line


@pytest.mark.parametrize("odd", [2], indirect=True)
def test_a_heartbeat_while_idle_is_declared_as_a_notice(tmp_path: Path, odd: str) -> None:
    draft = tmp_path / "drafted.toml"
    found = discover(odd, draft, "--within", "30")
    assert found.code == 0, found.stdout + found.stderr
    text = draft.read_text("utf-8")
    assert written(text)["server"]["notices"] == {
        "heartbeat": {"type": "heartbeat", "when": "any_time"}
    }
    assert '# sure: sent unasked any time: {"event": "heartbeat", "n": ' in text
