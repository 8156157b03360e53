"""The capture format: a valid capture loads; each bad capture is refused by file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.replay.capture import (
    DEFAULT_VOLATILE,
    CaptureEvent,
    CaptureHeader,
    CaptureWriter,
    load_capture,
)
from harness.replay.redact import redact_headers, redact_query, redact_subprotocols, redact_text

HEADER = {
    "format": "stability-harness/capture",
    "version": 1,
    "profile": "chat-agent/1",
    "recorded_at": "2026-12-02T10:00:00.000000Z",
    "source": {"kind": "proxy", "upstream": "ws://127.0.0.1:1/ws"},
    "volatile": ["timestamp", "run_id"],
    "redacted": ["authorization header"],
}
OPEN = {"t": 0.0, "conn": 1, "dir": "client", "kind": "open", "path": "/ws", "query": {}}
PING = {"t": 0.1, "conn": 1, "dir": "client", "kind": "text", "data": '{"type":"ping"}'}
PONG = {"t": 0.2, "conn": 1, "dir": "server", "kind": "text", "data": '{"type":"pong"}'}
CLIENT_CLOSE = {"t": 0.3, "conn": 1, "dir": "client", "kind": "close", "code": 1000}
SERVER_CLOSE = {"t": 0.31, "conn": 1, "dir": "server", "kind": "close", "code": 1000}


def _write(tmp_path: Path, lines: list[Any]) -> Path:
    path = tmp_path / "session.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", "utf-8"
    )
    return path


def test_a_valid_capture_loads_with_its_connections(tmp_path: Path) -> None:
    second = {**OPEN, "t": 0.15, "conn": 2}
    path = _write(tmp_path, [HEADER, OPEN, PING, second, PONG, CLIENT_CLOSE, SERVER_CLOSE])
    capture = load_capture(path)
    assert capture.header.profile == "chat-agent/1"
    assert capture.header.volatile == ("timestamp", "run_id")
    assert [e.kind for e in capture.connections()[1]] == ["open", "text", "text", "close", "close"]
    assert [e.kind for e in capture.connections()[2]] == ["open"]
    assert capture.events[1].data == '{"type":"ping"}'
    assert capture.events[-1].code == 1000
    assert capture.events[-1].line == 7


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param([], ":1: empty capture: expected a header line", id="empty"),
        pytest.param(
            [HEADER, OPEN, '{"t": 0.1, "conn": 1, "dir": "cli'],
            ":3: not a JSON line",
            id="truncated-line",
        ),
        pytest.param(
            [{**HEADER, "version": 2}, OPEN],
            ":1: version: 2 is not a known capture version (this harness reads version 1)",
            id="unknown-version",
        ),
        pytest.param(
            [{**HEADER, "format": "har"}, OPEN],
            ":1: format: expected 'stability-harness/capture', not 'har'",
            id="unknown-format",
        ),
        pytest.param(
            [HEADER, OPEN, PING, PONG, CLIENT_CLOSE, {**PING, "t": 0.4}],
            ":6: a client text frame on connection 1 after its close",
            id="client-frame-after-close",
        ),
        pytest.param(
            [HEADER, OPEN, CLIENT_CLOSE, {**CLIENT_CLOSE, "t": 0.5}],
            ":4: a client close frame on connection 1 after its close",
            id="second-close",
        ),
        pytest.param([HEADER], ": the capture has no connection", id="no-connection"),
        pytest.param(
            [HEADER, PING], ":2: connection 1 has a text before its open", id="frame-before-open"
        ),
        pytest.param(
            [HEADER, OPEN, {**PING, "t": -1}],
            ":3: t: expected seconds since the start",
            id="negative-time",
        ),
        pytest.param(
            [HEADER, {**OPEN, "t": 0.5}, {**PING, "t": 0.1}],
            ":3: t 0.1 is before the previous event's 0.5",
            id="time-goes-back",
        ),
        pytest.param(
            [HEADER, OPEN, {**PING, "kind": "ping"}],
            ":3: kind: expected one of open, text, binary, close",
            id="unknown-kind",
        ),
        pytest.param(
            [HEADER, OPEN, {**CLIENT_CLOSE, "code": 999}],
            ":3: code: 999 is not a close code (1000 to 4999)",
            id="bad-close-code",
        ),
        pytest.param(
            [HEADER, OPEN, {**PING, "kind": "binary", "data_b64": "not base64!"}],
            ":3: data_b64: expected base64",
            id="bad-base64",
        ),
        pytest.param(
            [HEADER, {**OPEN, "dir": "server"}],
            ":2: dir: a connection is opened by the client",
            id="server-opens",
        ),
    ],
)
def test_a_bad_capture_names_file_and_line(tmp_path: Path, lines: list[Any], message: str) -> None:
    path = _write(tmp_path, lines) if lines else tmp_path / "empty.jsonl"
    if not lines:
        path.write_text("", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_capture(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_capture_written_line_by_line_is_valid_when_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    writer = CaptureWriter(
        path, CaptureHeader("chat-agent/1", "2026-12-02T10:00:00.000000Z", {"kind": "proxy"})
    )
    writer.event(CaptureEvent(0.0, 1, "client", "open", path="/ws"))
    writer.event(CaptureEvent(0.1, 1, "client", "text", data='{"type":"ping"}'))
    # Not closed: as after a kill, every line written so far is on disk.
    capture = load_capture(path)
    assert [e.kind for e in capture.events] == ["open", "text"]
    assert capture.header.volatile == DEFAULT_VOLATILE
    writer.close()


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"


def test_redaction_of_every_token_carrier() -> None:
    assert redact_text(f'{{"token": "{JWT}", "n": 1}}') == (
        '{"token": "<redacted:jwt>", "n": 1}',
        1,
    )
    headers, what = redact_headers(
        [
            ("Authorization", f"Bearer {JWT}"),
            ("X-Api-Key", "k-123"),
            ("Origin", "http://127.0.0.1"),
            ("Sec-WebSocket-Key", "abc"),
        ]
    )
    assert headers == {
        "Authorization": "Bearer <redacted>",
        "X-Api-Key": "<redacted>",
        "Origin": "http://127.0.0.1",
    }
    assert what == ["authorization header", "x-api-key header"]
    assert redact_query({"token": JWT, "lang": "en"}) == (
        {"token": "<redacted>", "lang": "en"},
        ["?token= query parameter"],
    )
    assert redact_subprotocols(["jwt.ZXlKaGJH", "chat.v1"]) == (
        ["jwt.<redacted>", "chat.v1"],
        ["token subprotocol"],
    )
