"""Frames a server may send besides the protocol's: `[server.notices.NAME]` (PROFILES.md).

A profile may declare notices and heartbeats (by type and discriminator, only before the
welcome or at any time); the client records them in the transcript and skips them, so
that the rest is judged. A frame the profile does not declare is still the target's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import CheckFailed, ConfigError
from harness.reference import ServerConfig, mint_token, start_in_thread
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript
from harness.wire.translation import Translation

SECRET = "notices-secret-of-at-least-32-bytes-0123456789"
# A production backend's first frame, before its welcome (docs/PROFILES.md).
FALLBACK = {
    "type": "system_message",
    "data": {"event": "fallback_mode", "message": "LLM unavailable: running in fallback mode"},
}
HEARTBEAT = {"type": "heartbeat", "timestamp": 1757350201.5}
WELCOME = {
    "type": "connection_established",
    "user_id": "u-1",
    "connection_id": "c-1",
    "server_time": 1757350201.0,
    "limits": {"max_message_bytes": 65536, "max_messages_per_minute": 600},
    "timestamp": 1757350201.0,
    "seq": 1,
}
DECLARED = """[profile]
name = "with-notices"

[server.notices.fallback]
type = "system_message"
match = { "data.event" = "fallback_mode" }
when = "before_welcome"

[server.notices.heartbeat]
type = "heartbeat"
when = "any_time"
"""


def _profile(tmp_path: Path, text: str = DECLARED) -> Path:
    path = tmp_path / "notices.toml"
    path.write_text(text, "utf-8")
    return path


def test_notices_are_read_from_the_profile(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path))
    assert [(n.name, n.wire_type, n.match, n.when) for n in profile.notices] == [
        ("fallback", "system_message", (("data.event", "fallback_mode"),), "before_welcome"),
        ("heartbeat", "heartbeat", (), "any_time"),
    ]
    assert load_profile(None).notices == ()


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        (
            '[profile]\nname = "x"\n\n[server.notices.n]\ntype = "t"\nwhen = "later"\n',
            "server.notices.n.when",
            6,
            "expected one of before_welcome, any_time",
        ),
        (
            '[profile]\nname = "x"\n\n[server.notices.n]\ntype = "t"\nevery = 5\n',
            "server.notices.n.every",
            6,
            "unknown key (known: match, type, when)",
        ),
        (
            '[profile]\nname = "x"\n\n[server.notices.n]\ntype = ""\n',
            "server.notices.n.type",
            5,
            "must not be empty",
        ),
        (
            '[profile]\nname = "x"\n\n[server.notices.n]\ntype = "t"\nmatch = { "a..b" = 1 }\n',
            'server.notices.n.match."a..b"',
            6,
            "expected a dotted wire path",
        ),
    ],
    ids=["unknown-when", "unknown-key", "empty-type", "bad-match-path"],
)
def test_a_bad_notice_is_refused_naming_file_line_and_key(
    tmp_path: Path, text: str, key: str, line: int, message: str
) -> None:
    path = _profile(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    error = str(caught.value)
    assert error.startswith(f"{path}:{line}: "), error
    assert f": {key}: " in error, error
    assert message in error, error


def test_a_before_welcome_notice_counts_only_before_the_welcome(tmp_path: Path) -> None:
    """The same frame is a notice first, and the target's own frame after the welcome; a
    heartbeat is a notice at any time; a frame of the protocol is never one."""
    translation = Translation(load_profile(_profile(tmp_path)))
    assert translation.notice(FALLBACK) == "fallback"
    assert translation.notice(HEARTBEAT) == "heartbeat"
    assert translation.notice(WELCOME) is None
    assert translation.notice(HEARTBEAT) == "heartbeat"
    assert translation.notice(FALLBACK) is None
    other = {"type": "system_message", "data": {"event": "maintenance"}}
    assert Translation(load_profile(_profile(tmp_path))).notice(other) is None


@pytest.mark.asyncio
async def test_a_declared_notice_before_the_welcome_is_recorded_and_skipped(
    tmp_path: Path,
) -> None:
    config = ServerConfig(jwt_secret=SECRET, before_welcome=(json.dumps(FALLBACK),))
    server = start_in_thread(config)
    try:
        transcript = Transcript()
        user = User("u-notice", mint_token(SECRET, "u-notice"))
        profile = load_profile(_profile(tmp_path))
        async with await open_client(server.ws_url, user, transcript, profile=profile) as client:
            assert client.established is not None
            assert client.established["type"] == "connection_established"
            pong = await client.request("ping", message_id="after-notice")
            assert pong["type"] == "pong"
        received = [e for e in transcript.export() if e["dir"] == "recv"]
        assert received[0]["type"] == "notice:fallback"
        assert json.loads(received[0]["data"]) == FALLBACK
        assert received[1]["type"] == "connection_established"
    finally:
        server.stop()


@pytest.mark.asyncio
async def test_an_undeclared_notice_before_the_welcome_fails_the_handshake() -> None:
    config = ServerConfig(jwt_secret=SECRET, before_welcome=(json.dumps(FALLBACK),))
    server = start_in_thread(config)
    try:
        user = User("u-plain", mint_token(SECRET, "u-plain"))
        with pytest.raises(CheckFailed) as caught:
            await open_client(server.ws_url, user, Transcript(), profile=load_profile(None))
        assert "system_message" in str(caught.value), caught.value
        assert "connection_established" in str(caught.value), caught.value
    finally:
        server.stop()
