"""End to end: a server whose first frame is a notice before its welcome.

The production backend this harness was built for once sent, on every connection, a
`system_message` telling that it ran in a fallback mode before its welcome. Undeclared,
that frame fails every test that opens a connection; declared in the target's profile
(`[server.notices.NAME]`, docs/PROFILES.md), it is recorded and skipped and the same
server is APPROVED.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.reference import ServerConfig, start_subprocess

from .conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2 * RUN_DEADLINE_S + 30)]

SECRET = "notice-gate-secret-of-at-least-32-bytes-0123"
NOTICE = {
    "type": "system_message",
    "data": {"event": "fallback_mode", "message": "LLM unavailable: running in fallback mode"},
}
DECLARING = """[profile]
name = "chat-agent-with-fallback-notice"

[server.notices.fallback-mode]
type = "system_message"
match = { "data.event" = "fallback_mode" }
when = "before_welcome"
"""


@pytest.fixture
def noticing() -> Iterator[str]:
    config = ServerConfig(jwt_secret=SECRET, before_welcome=(json.dumps(NOTICE),))
    with start_subprocess(config) as server:
        yield server.ws_url


def test_an_undeclared_notice_fails_and_a_declared_one_is_approved(
    tmp_path: Path, noticing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STABILITY_HARNESS_JWT_SECRET", SECRET)
    suites = ("--suite", "agent_events", "--suite", "message_routing", "--suite", "security")
    plain = harness("run", "--target", noticing, *suites, "--quiet", out=tmp_path / "plain")
    assert plain.code == 1, plain.stdout + plain.stderr
    assert plain.verdict is not None and plain.verdict["verdict"] == "NOT_APPROVED"
    failed = [t for s in plain.verdict["suites"] for t in s["tests"] if t["outcome"] == "failed"]
    assert len(failed) > 100, len(failed)
    assert any("system_message" in t.get("message", "") for t in failed), failed[:3]
    # One cause, named once at the top of the report, covering every failed test.
    (cause,) = plain.verdict["causes"]
    assert cause["key"] == "unexpected-frame:connection_established:system_message"
    assert cause["count"] == len(failed)
    report = (plain.out / "report.md").read_text("utf-8")
    top = report.split("### Key metrics")[0]
    assert "### 1 cause of the failures, most tests first" in top
    assert (
        "1. **the first frame after the handshake is a system_message frame, not "
        f"connection_established**: {len(failed)} tests" in top
    )

    profile = tmp_path / "fallback.toml"
    profile.write_text(DECLARING, "utf-8")
    declared = harness(
        "run",
        *("--target", noticing, "--profile", str(profile), *suites, "--quiet"),
        out=tmp_path / "declared",
    )
    assert declared.code == 0, declared.stdout + declared.stderr
    assert declared.verdict is not None and declared.verdict["verdict"] == "APPROVED"
