"""Profiles: the built-ins, `extends`, and every validation error naming file, key and line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.wire.profile import load_profile
from harness.wire.toml_lines import line_of

CANONICAL_CAPABILITIES = [
    "auth_header",
    "auth_query",
    "auth_refusal_frame",
    "auth_subprotocol",
    "authenticates",
    "binary_close",
    "chat_requests",
    "client_timestamp_echo",
    "connection_limit",
    "health",
    "message_id_echo",
    "not_found",
    "oversize_close",
    "rate_limit",
    "refusal",
    "scripted_agent",
    "seq",
    "stats",
    "thread_history",
    "tool_call_id",
    "tool_results",
    "unknown_type_error",
    "welcome",
]


# What only a dialect of its own has: chat-agent/1 states nothing beyond PROTOCOL.md.
DIALECT_CAPABILITIES = [
    "cancel",
    "declared_constants",
    "dialect",
    "oversize_error",
    "parts_open",
    "text_stream",
    "unknown_type_ack",
]


def test_chat_agent_1_is_the_default_and_has_every_capability_of_the_protocol() -> None:
    profile = load_profile(None)
    assert profile.name == "chat-agent/1"
    assert profile.source == "built-in"
    assert sorted(profile.capabilities) == CANONICAL_CAPABILITIES
    assert profile.canonical_wire is True
    assert profile.lacks(tuple(DIALECT_CAPABILITIES)) == tuple(DIALECT_CAPABILITIES)
    assert profile.frames["agent_thinking"].fields["data.step"] == "data.step"
    assert profile.error_codes["INVALID_PAYLOAD"] == "INVALID_PAYLOAD"


def test_netra_2025_09_as_profiles_md_gives_it() -> None:
    profile = load_profile("netra-2025-09")
    assert profile.chain == ("netra-2025-09.toml", "chat-agent-1.toml")
    assert sorted(profile.capabilities) == [
        "auth_header",
        "auth_query",
        "auth_refusal_frame",
        "auth_subprotocol",
        "authenticates",
        "binary_close",
        "chat_requests",
        "client_timestamp_echo",
        "connection_limit",
        "declared_constants",
        "dialect",
        "health",
        "oversize_error",
        "refusal",
        "scripted_agent",
        "thread_history",
        "tool_results",
        "unknown_type_ack",
        "welcome",
    ]
    welcome = profile.frames["connection_established"]
    assert welcome.wire_type == "system_message"
    assert welcome.match == (("data.event", "connection_established"),)
    assert welcome.fields["limits.max_message_bytes"] == "data.config.max_message_size"
    assert welcome.timestamps == {"server_time": "iso8601_utc_us"}
    thinking = profile.frames["agent_thinking"]
    assert thinking.fields["data.step"] == "payload.step_number"
    assert thinking.fields["run_id"] == "run_id"  # inherited: events carry it at the top level
    assert thinking.timestamp_format == "iso8601_utc_us"
    assert profile.frames["error"].wire_type == "error_message"
    assert profile.frames["error"].fields["message"] == "error_message"
    assert profile.frames["ack"].timestamp_format == "epoch_s"
    assert profile.error_codes["INVALID_PAYLOAD"] == "VALIDATION_ERROR"
    assert profile.error_codes["THREAD_ACCESS_DENIED"] == "ACCESS_DENIED"
    assert profile.error_codes["UNKNOWN_TYPE"] == ""
    caps = profile.section("capabilities")
    assert (caps["correlation"], caps["unknown_type"]) == ("order", "ack")
    assert (caps["max_connections_per_user"], caps["max_message_bytes"]) == (3, 8192)
    assert caps["oversize"] == "error:MESSAGE_TOO_LARGE"
    endpoint = profile.section("endpoint")
    assert (endpoint["health_path"], endpoint["health_value"]) == ("/ws/health", "healthy")
    assert endpoint["stats_path"] == ""


def _write(tmp_path: Path, text: str, name: str = "target.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path


def test_a_file_extends_a_file_that_extends_a_built_in(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """
        [profile]
        name = "base"
        extends = "netra-2025-09"

        [capabilities]
        max_connections_per_user = 5
        """,
        "base.toml",
    )
    child = _write(
        tmp_path,
        """
        [profile]
        name = "child"
        extends = "base.toml"

        [server.frames.pong]
        type = "pong_reply"
        """,
    )
    profile = load_profile(child)
    assert profile.name == "child"
    assert profile.chain == (
        str(child),
        str(tmp_path / "base.toml"),
        "netra-2025-09.toml",
        "chat-agent-1.toml",
    )
    assert profile.frames["pong"].wire_type == "pong_reply"
    assert profile.frames["pong"].fields["client_timestamp"] == "data.client_timestamp"
    assert profile.section("capabilities")["max_connections_per_user"] == 5
    assert profile.section("capabilities")["correlation"] == "order"


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        pytest.param('[endpoint]\nstats_path = ""\nhealth_path = "/up"\n', False, id="endpoints"),
        pytest.param(
            "[capabilities]\nseq = false\nmax_connections_per_user = 2\n", False, id="caps"
        ),
        pytest.param('[server.frames.pong]\ntype = "pong_reply"\n', True, id="renamed-type"),
        pytest.param('[server]\ntimestamp_format = "epoch_ms"\n', True, id="epoch-ms"),
        pytest.param('[error_codes]\nFORMAT_ERROR = "BAD_JSON"\n', True, id="renamed-code"),
        pytest.param('[server.frames.ack]\nextra = { kind = "ack" }\n', True, id="constant"),
        pytest.param('[client]\npayload_field = "body"\n', True, id="envelope"),
    ],
)
def test_a_dialect_of_its_own_is_a_capability(tmp_path: Path, text: str, dialect: bool) -> None:
    """Only a profile whose frames are not chat-agent/1's own states rules of section 9."""
    path = _write(tmp_path, '[profile]\nname = "mine"\n\n' + text)
    profile = load_profile(path)
    assert ("dialect" in profile.capabilities) is dialect
    assert profile.canonical_wire is not dialect


def test_a_file_without_extends_extends_chat_agent_1(tmp_path: Path) -> None:
    path = _write(tmp_path, '[profile]\nname = "mine"\n\n[endpoint]\nstats_path = ""\n')
    profile = load_profile(path)
    assert profile.chain == (str(path), "chat-agent-1.toml")
    assert "stats" not in profile.capabilities
    assert "seq" in profile.capabilities


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        pytest.param("[profile\n", None, None, "not valid TOML", id="not-toml"),
        pytest.param(
            '[profile]\nname = "x"\n\n[endpiont]\nws_path = "/ws"\n',
            "endpiont",
            4,
            "unknown table",
            id="unknown-table",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[endpoint]\nws_pth = "/ws"\n',
            "endpoint.ws_pth",
            5,
            "unknown key",
            id="unknown-key",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[endpoint]\nws_path = "ws"\n',
            "endpoint.ws_path",
            5,
            'expected a path starting with "/"',
            id="path-without-slash",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[auth]\ntransports = ["header", "cookie"]\n',
            "auth.transports",
            5,
            "'cookie' is not one of header, subprotocol, query",
            id="unknown-transport",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[auth]\ntransports = ["query"]\n',
            "auth.default_transport",
            None,
            "must be one of auth.transports",
            id="default-transport-not-offered",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[auth.tokens]\nsource = "command"\n',
            "auth.tokens.command",
            None,
            'source = "command" needs the command to run',
            id="command-source-without-command",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[auth.tokens]\nsource = "command"\ncommand = ["get-token"]\n',
            "auth.tokens.command",
            6,
            "no argument holds {user}",
            id="command-without-user",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\nseq = "no"\n',
            "capabilities.seq",
            5,
            "expected true or false",
            id="boolean-as-string",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\ncorrelation = "id"\n',
            "capabilities.correlation",
            5,
            "expected one of message_id, order",
            id="unknown-correlation",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\noversize = "close"\n',
            "capabilities.oversize",
            5,
            '"close:CODE", "error:CODE" or "" for none',
            id="oversize-reaction",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\nmax_message_bytes = 0\n',
            "capabilities.max_message_bytes",
            5,
            "expected an integer from 1",
            id="zero-size-limit",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\nclose_codes = [1000, 1006]\n',
            "capabilities.close_codes",
            5,
            "1006 is never sent in a close frame (it stands for a drop without a close frame)",
            id="close-code-never-sent",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[capabilities]\nclose_codes = [1000, 999]\n',
            "capabilities.close_codes",
            5,
            "expected close codes from 1000 to 4999, not 999",
            id="close-code-out-of-range",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server]\ntimestamp_format = "unix"\n',
            "server.timestamp_format",
            5,
            "expected one of epoch_s, epoch_ms, iso8601, iso8601_utc_us",
            id="unknown-timestamp-format",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server.frames.agent_thinking]\n'
            'fields = { "data.stepp" = "payload.step" }\n',
            'server.frames.agent_thinking.fields."data.stepp"',
            5,
            "not a field of the frame",
            id="unknown-canonical-field",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server.frames.agent_thinking]\n'
            'fields = { "data.step" = "payload..step" }\n',
            'server.frames.agent_thinking.fields."data.step"',
            5,
            "expected a dotted wire path",
            id="malformed-wire-path",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server.frames.agent_thought]\ntype = "thought"\n',
            "server.frames.agent_thought",
            4,
            "not a canonical server frame",
            id="unknown-frame",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server.frames.pong]\ntype = ""\n',
            "server.frames.pong.type",
            5,
            "must not be empty",
            id="empty-wire-type",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[server.frames.pong]\n'
            'timestamps = { client_timestamp = "rfc" }\n',
            'server.frames.pong.timestamps."client_timestamp"',
            5,
            "expected one of epoch_s",
            id="unknown-field-timestamp-format",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[error_codes]\nINVALID_PAYLOADS = "E"\n',
            "error_codes.INVALID_PAYLOADS",
            5,
            "unknown key",
            id="unknown-error-code",
        ),
        pytest.param(
            '[profile]\nname = "x"\nextends = "no-such-profile"\n',
            "profile.extends",
            3,
            "'no-such-profile' is not a built-in profile "
            "(chat-agent/1, netra-2025-09, openai-realtime, autogen-studio, chainlit) nor a .toml",
            id="unknown-extends",
        ),
        pytest.param(
            '[profile]\nname = "x"\n\n[codec]\nclass = "not a class"\n',
            "codec.class",
            5,
            '"package.module:Class"',
            id="codec-spec",
        ),
    ],
)
def test_each_validation_error_names_file_key_and_line(
    tmp_path: Path, text: str, key: str | None, line: int | None, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    error = str(caught.value)
    where = f"{path}:{line}: " if line else f"{path}: "
    assert error.startswith(where), error
    if key is not None:
        assert f": {key}: " in error, error
    assert message in error
    assert "\n" not in error


def test_an_extends_cycle_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, '[profile]\nname = "a"\nextends = "b.toml"\n', "a.toml")
    _write(tmp_path, '[profile]\nname = "b"\nextends = "a.toml"\n', "b.toml")
    with pytest.raises(ConfigError, match=r"profile.extends: a cycle through .*a\.toml"):
        load_profile(tmp_path / "a.toml")


def test_an_unreadable_profile_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read the profile"):
        load_profile(tmp_path / "missing.toml")


def test_line_of_finds_keys_under_their_tables() -> None:
    text = '[a]\nx = 1\n\n[a.b]\nx = 2\ny = { "p.q" = 3 }\n'
    assert line_of(text, "a.x") == 2
    assert line_of(text, "a.b.x") == 5
    assert line_of(text, 'a.b.y."p.q"') == 6
    assert line_of(text, "a.b") == 4
    assert line_of(text, "c.z") is None


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_profile_show_prints_the_built_in_toml() -> None:
    proc = _cli("profile", "show", "netra-2025-09")
    assert proc.returncode == 0, proc.stderr
    assert 'name = "netra-2025-09"' in proc.stdout
    assert 'extends = "chat-agent/1"' in proc.stdout
    resolved = _cli("profile", "show", "netra-2025-09", "--resolved")
    document = json.loads(resolved.stdout)
    assert document["server"]["frames"]["error"]["type"] == "error_message"
    assert document["chain"] == ["netra-2025-09.toml", "chat-agent-1.toml"]


def test_profile_show_of_an_unknown_name_is_exit_4() -> None:
    proc = _cli("profile", "show", "netra-2024")
    assert proc.returncode == 4
    assert proc.stderr.strip() == (
        "stability-harness: error: profile 'netra-2024': no such built-in profile "
        "(built-in: chat-agent/1, netra-2025-09, openai-realtime, autogen-studio, chainlit)"
    )


def test_profile_check_names_the_rules_a_target_cannot_verify(tmp_path: Path) -> None:
    path = _write(tmp_path, '[profile]\nname = "no-stats"\n\n[endpoint]\nstats_path = ""\n')
    proc = _cli("profile", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{path}: valid profile 'no-stats' ({path} -> chat-agent-1.toml)"
    assert lines[2] == (
        "lacks: cancel, declared_constants, dialect, oversize_error, parts_open, stats, "
        "text_stream, unknown_type_ack"
    )
    assert lines[3] == (
        "turn: agent scripted; start agent_started; completed agent_completed; failed "
        "agent_error; cancelled -; text whole; tool calls tool_executing (arguments whole, "
        "paired by data.tool_call_id)"
    )
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[4:]}
    assert rows["suite"] == ["suite", "can verify", "cannot", "not verifiable"]
    assert "7.stats.messages-routed (needs stats)" in rows["message_routing"][3]
    assert int(rows["message_routing"][2]) >= 1
    assert rows["staging_repro"][2] == "0"


def test_profile_check_of_a_bad_file_is_exit_4_naming_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[profile]\nname = "x"\n\n[capabilities]\nseq = 1\n')
    proc = _cli("profile", "check", str(path))
    assert proc.returncode == 4
    assert proc.stderr.strip() == (
        f"stability-harness: error: {path}:5: capabilities.seq: expected true or false"
    )


def test_chainlit_speaks_socketio_and_authenticates_no_one() -> None:
    profile = load_profile("chainlit")
    assert profile.section("transport")["kind"] == "socketio"
    assert profile.section("endpoint")["ws_path"] == "/ws/socket.io"
    assert profile.frames["connection_established"].wire_type == "connect"
    assert sorted(profile.capabilities) == [
        "auth_header",
        "dialect",
        "parts_open",
        "text_stream",
        "tool_call_id",
        "welcome",
    ]
