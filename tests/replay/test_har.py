"""`capture from-har`: WebSocket entries of a HAR become capture connections, tokens redacted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.replay.capture import load_capture
from harness.replay.har import har_to_capture

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"


def _entry(url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "_resourceType": "websocket",
        "request": {
            "method": "GET",
            "url": url,
            "headers": [
                {"name": "Origin", "value": "http://127.0.0.1:8000"},
                {"name": "Sec-WebSocket-Protocol", "value": "jwt.ZXlKaGJH, chat"},
            ],
        },
        "response": {"status": 101},
        "_webSocketMessages": messages,
    }


def _har(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "session.har"
    plain = {"request": {"method": "GET", "url": "http://127.0.0.1:8000/"}, "response": {}}
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [plain, *entries]}}), "utf-8")
    return path


def test_devtools_har_in_seconds(tmp_path: Path) -> None:
    har = _har(
        tmp_path,
        [
            _entry(
                f"ws://127.0.0.1:8765/ws?token={JWT}&lang=en",
                [
                    {"type": "send", "time": 1764669600.5, "opcode": 1, "data": '{"type":"ping"}'},
                    {
                        "type": "receive",
                        "time": 1764669600.52,
                        "opcode": 1,
                        "data": '{"type":"pong"}',
                    },
                    {"type": "receive", "time": 1764669600.53, "opcode": 2, "data": "AAE="},
                    {"type": "receive", "time": 1764669600.6, "opcode": 8, "data": ""},
                ],
            ),
            _entry(
                "ws://127.0.0.1:8765/ws",
                [
                    {
                        "type": "send",
                        "time": 1764669601.0,
                        "opcode": 1,
                        "data": f'{{"type":"login","jwt":"{JWT}"}}',
                    }
                ],
            ),
        ],
    )
    out = tmp_path / "capture.jsonl"
    assert har_to_capture(har, out) == 2
    capture = load_capture(out)
    conns = capture.connections()
    first = conns[1]
    assert [(e.dir, e.kind) for e in first] == [
        ("client", "open"),
        ("client", "text"),
        ("server", "text"),
        ("server", "binary"),
        ("client", "close"),
    ]
    assert first[0].path == "/ws"
    assert first[0].query == {"token": "<redacted>", "lang": "en"}
    assert first[0].subprotocols == ("jwt.<redacted>", "chat")
    assert first[0].headers == {"Origin": "http://127.0.0.1:8000"}
    assert first[1].t == pytest.approx(0.0)
    assert first[2].t == pytest.approx(0.02)
    assert first[3].data == "AAE="
    assert first[-1].code is None  # a HAR records no close code: unknown, not judged
    assert conns[2][1].data == '{"type":"login","jwt":"<redacted:jwt>"}'
    assert conns[2][1].t == pytest.approx(0.5)
    assert set(capture.header.redacted) == {
        "?token= query parameter",
        "token subprotocol",
        "jwt in frames",
    }
    assert JWT not in out.read_text("utf-8")


def test_playwright_har_in_milliseconds(tmp_path: Path) -> None:
    har = _har(
        tmp_path,
        [
            _entry(
                "ws://127.0.0.1:8765/ws",
                [
                    {"type": "send", "time": 1764669600500.0, "opcode": 1, "data": "{}"},
                    {"type": "receive", "time": 1764669600750.0, "opcode": 1, "data": "{}"},
                ],
            )
        ],
    )
    out = tmp_path / "capture.jsonl"
    har_to_capture(har, out)
    events = load_capture(out).connections()[1]
    assert [e.t for e in events[1:3]] == [pytest.approx(0.0), pytest.approx(0.25)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("not json", "not a HAR (JSON) file", id="not-json"),
        pytest.param({"log": {}}, "log.entries: expected the HAR's list of entries", id="no-log"),
        pytest.param(
            {"log": {"entries": [{"request": {"url": "http://x/"}}]}},
            "no WebSocket entry with _webSocketMessages",
            id="no-websocket",
        ),
        pytest.param(
            {"log": {"entries": [_entry("ws://x/ws", [{"type": "sent", "data": ""}])]}},
            "log.entries[0]._webSocketMessages[0]: expected type send or receive",
            id="bad-message-type",
        ),
    ],
)
def test_a_bad_har_is_a_usage_error(tmp_path: Path, document: Any, message: str) -> None:
    path = tmp_path / "bad.har"
    path.write_text(document if isinstance(document, str) else json.dumps(document), "utf-8")
    with pytest.raises(ConfigError) as caught:
        har_to_capture(path, tmp_path / "out.jsonl")
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_capture_from_har_command(tmp_path: Path) -> None:
    har = _har(tmp_path, [_entry("ws://127.0.0.1:1/ws", [])])
    out = tmp_path / "c.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "capture", "from-har", str(har), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out}: 1 connection(s)"
    command = [sys.executable, "-m", "harness", "capture", "from-har", str(tmp_path / "x.har")]
    missing = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert missing.returncode == 4
    assert "x.har: cannot read the HAR" in missing.stderr
