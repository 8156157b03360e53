"""`profile asyncapi`: documents valid against the official AsyncAPI 3.0 JSON Schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from harness.wire.asyncapi import asyncapi_document
from harness.wire.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
NODE_PREFIX = ROOT / ".ci" / "node"
SPEC = NODE_PREFIX / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    """The official AsyncAPI 3.0 schema (npm package @asyncapi/specs, as .ci/run installs it)."""
    if not SPEC.exists():
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed to install @asyncapi/specs (see .ci/run)"
        command = [npm, "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund"]
        subprocess.run(
            [*command, "--silent", "@asyncapi/specs@6"],
            check=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
    schema = json.loads(SPEC.read_text("utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)
    )
    return Draft7Validator(schema, registry=registry)


def _errors(validator: Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


RENAMED = """
[profile]
name = "renamed"

[client]
type_field = "kind"
payload_field = "body"

[server]
type_field = "kind"
timestamp_format = "epoch_ms"

[server.frames.agent_thinking]
type = "thought"
fields = { "data.reasoning" = "why", "data.step" = "index" }
"""


@pytest.mark.parametrize("spec", ["chat-agent/1", "netra-2025-09", "renamed"])
def test_the_document_is_valid_asyncapi_3(
    asyncapi_validator: Draft7Validator, tmp_path: Path, spec: str
) -> None:
    if spec == "renamed":
        path = tmp_path / "renamed.toml"
        path.write_text(textwrap.dedent(RENAMED), "utf-8")
        spec = str(path)
    document = asyncapi_document(load_profile(spec))
    assert document["asyncapi"] == "3.0.0"
    assert _errors(asyncapi_validator, document) == []


def test_the_official_schema_catches_a_broken_document(
    asyncapi_validator: Draft7Validator,
) -> None:
    document = asyncapi_document(load_profile("netra-2025-09"))
    document["operations"]["send_pong"]["action"] = "emit"
    del document["channels"]["chat"]["address"]
    assert len(_errors(asyncapi_validator, document)) >= 1


# The frame kinds of docs/PROTOCOL.md (client to server, then server to client).
FRAME_KINDS = (
    *("ping", "user_message", "start_agent", "get_thread_history"),
    *("connection_established", "pong", "ack", "thread_history", "error", "agent_started"),
    *("agent_thinking", "tool_executing", "tool_completed", "agent_completed", "agent_error"),
)


def test_every_example_matches_its_payload_schema() -> None:
    """One example per frame kind, each valid: an empty examples list fails the test."""
    for spec in ("chat-agent/1", "netra-2025-09"):
        document = asyncapi_document(load_profile(spec))
        checked: dict[str, int] = {}
        for name, message in document["components"]["messages"].items():
            validator = Draft202012Validator(message["payload"])
            for example in message["examples"]:
                problems = [e.message for e in validator.iter_errors(example["payload"])]
                assert problems == [], (spec, name, problems)
                checked[name] = checked.get(name, 0) + 1
        assert checked == dict.fromkeys(FRAME_KINDS, 1), spec


def test_netra_messages_have_the_dialects_wire_form() -> None:
    document = asyncapi_document(load_profile("netra-2025-09"))
    messages = document["components"]["messages"]
    welcome = messages["connection_established"]["payload"]
    assert welcome["properties"]["type"] == {"type": "string", "const": "system_message"}
    assert welcome["properties"]["data"]["properties"]["event"] == {
        "const": "connection_established"
    }
    assert "seq" not in welcome["properties"]
    error = messages["error"]["examples"][0]["payload"]
    assert error == {
        "type": "error_message",
        "timestamp": 1757350201.447585,
        "error_code": "VALIDATION_ERROR",
        "error_message": "content is empty",
        "details": {},
    }
    thinking = messages["agent_thinking"]["examples"][0]["payload"]
    assert thinking["timestamp"] == "2025-09-08T16:50:01.447585+00:00"
    assert thinking["payload"] == {
        "status": "thinking",
        "reasoning": "Looking for expressions",
        "step_number": 1,
    }
    assert document["x-reply-correlation"] == "order"
    assert document["x-unknown-type-reply"] == "ack"
    assert document["x-limits"]["oversize"] == "error:MESSAGE_TOO_LARGE"
    assert document["x-close-codes"]["never"] == [1011]
    assert document["x-terminal-events"] == ["agent_completed", "agent_error"]
    assert document["x-timestamp-formats"]["agent_started"]["frame"] == "iso8601_utc_us"
    assert document["x-http"] == {"health": "/ws/health", "stats": None}
    ops = document["operations"]
    assert ops["receive_start_agent"]["action"] == "receive"
    assert ops["send_agent_completed"]["action"] == "send"


def test_profile_asyncapi_command_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "netra.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "profile",
            "asyncapi",
            "netra-2025-09",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text("utf-8"))["x-profile"]["name"] == "netra-2025-09"
    bad = subprocess.run(
        [sys.executable, "-m", "harness", "profile", "asyncapi", "nope.toml"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode == 4
    assert "nope.toml: cannot read the profile" in bad.stderr


def test_the_turn_tables_are_exported() -> None:
    """The dialect's [turn] tables travel as x-turn (docs/TURNS.md)."""
    turn = asyncapi_document(load_profile("netra-2025-09"))["x-turn"]
    assert turn["agent"] == "scripted"
    assert turn["start"] == [{"type": "agent_started"}]
    assert turn["failed"] == [{"type": "agent_error"}]
    assert turn["tool"]["arguments"] == "data.parameters"
    assert turn["text"]["final_text"] == "data.final_response"
