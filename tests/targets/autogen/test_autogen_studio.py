"""End to end: the real AutoGen Studio (pip package autogenstudio, extra `targets`) with
the project's team, served by `run --serve` and judged with `--profile autogen-studio`
(docs/TARGETS.md). The clean team is approved with the three waived close deviations of
AutoGen Studio and nothing else; a tool call that never ends is NOT_APPROVED naming
4.turn.one-terminal."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.wire.opener import HandshakeFailed, open_websocket
from tests.e2e.conftest import RUN_DEADLINE_S, Finished, harness

pytest.importorskip("autogenstudio", reason="AutoGen Studio: pip install -e '.[targets]'")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

HERE = Path(__file__).resolve().parent
POLICY = HERE / "policy.toml"
# Nothing checks the token (auth "none"): the secret only names the harness's users.
SECRET = "autogen-studio-target-secret-not-checked"
WAIVED = {
    "agent_events::test_turn_sessions::test_a_cancelled_turn_ends_cancelled",
    "message_routing::test_close::test_binary_frame_closes_1003[json-bytes]",
    "message_routing::test_close::test_binary_frame_closes_1003[raw-bytes]",
    "message_routing::test_close::test_shutdown_closes_every_connection_1001",
}


def served(team: str, tmp_path: Path, *extra: str) -> Finished:
    command = f"{sys.executable} {HERE / 'serve.py'} --port {{port}} --appdir {tmp_path / 'app'}"
    return harness(
        "run",
        "--serve",
        f"{command} --team {team}",
        "--ready-line",
        "autogen team ready",
        "--serve-timeout",
        "90",
        "--target",
        "ws://127.0.0.1:{port}",
        "--profile",
        "autogen-studio",
        "--policy",
        str(POLICY),
        "--jwt-secret",
        SECRET,
        "--no-history",
        "--quiet",
        *extra,
        out=tmp_path / "out",
    )


def outcomes(run: Finished) -> dict[str, str]:
    assert run.verdict is not None, run.stdout + run.stderr
    return {t["id"]: t["outcome"] for s in run.verdict["suites"] for t in s.get("tests") or []}


def rule_status(run: Finished, rule: str) -> str:
    assert run.verdict is not None
    (found,) = [r for r in run.verdict["rules"] if r["id"] == rule]
    return str(found["status"])


def test_the_clean_team_is_approved_but_for_the_waived_close_deviations(tmp_path: Path) -> None:
    run = served("clean", tmp_path)
    tests = outcomes(run)
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (0, "APPROVED_WITH_CONDITIONS"), run.stdout
    failed = {name for name, outcome in tests.items() if outcome not in ("passed", "skipped")}
    failed = {name for name in failed if tests[name] != "not_applicable"}
    assert failed == WAIVED, tests
    waived = [r for r in run.reasons() if r["rule"] == "waived"]
    assert {t for r in waived for t in r["tests"]} == WAIVED, waived
    # The turn: one terminal, the tool call paired by id = call_id, the text rebuilt.
    for rule in ("4.turn.one-terminal", "4.turn.tool-result-paired", "4.turn.text-reconstructs"):
        assert rule_status(run, rule) == "verified", rule


def test_a_tool_call_that_never_ends_is_not_approved_naming_its_rule(tmp_path: Path) -> None:
    run = served("broken", tmp_path, "--suite", "agent_events")
    assert run.verdict is not None, run.stdout + run.stderr
    assert (run.code, run.verdict["verdict"]) == (1, "NOT_APPROVED"), run.stdout
    assert rule_status(run, "4.turn.one-terminal") == "violated"
    well_formed = "agent_events::test_turns::test_every_turn_of_a_connection_is_well_formed"
    assert outcomes(run)[well_formed] == "failed"


def test_a_socket_on_no_run_is_refused_at_the_handshake_with_403(tmp_path: Path) -> None:
    """AutoGen Studio closes with 4004 before it accepts a socket on a run that does not
    exist; the ASGI server turns a close before the accept into HTTP 403, so no client
    ever sees 4004 (docs/TARGETS.md)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, str(HERE / "serve.py"), "--port", str(port)]
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, "--appdir", str(tmp_path / "app")],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 90
        while "autogen team ready" not in log.read_text() and server.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        url = f"ws://127.0.0.1:{port}/api/ws/runs/999999"
        with pytest.raises(HandshakeFailed) as failed:
            asyncio.run(open_websocket(url, open_timeout=10, close_timeout=2, max_size=None))
        assert (failed.value.kind, failed.value.status) == ("refused", 403)
    finally:
        server.terminate()
        server.wait(timeout=30)
