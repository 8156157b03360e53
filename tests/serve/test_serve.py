"""End to end: `run --serve CMD` (and the policy's [serve]) starts the server under test.

The served command is the reference server itself (`python -m harness serve --port
{port}`), started by the real `stability-harness run` in a subprocess: real processes,
real sockets on 127.0.0.1. Each run verifies one suite (message_routing, where the
shutdown test is) to stay short.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RUN_DEADLINE_S, Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

SERVER = f"{sys.executable} -m harness serve --port {{port}}"
TARGET = "ws://127.0.0.1:{port}/ws"
ROUTING = ("--suite", "message_routing", "-n", "2", "--quiet", "--no-history")
# Searchable: nothing but this run's secret holds this random string.
SECRET = "served-secret-" + secrets.token_hex(12)


def served(command: str, *extra: str, out: Path) -> Finished:
    """`run --serve COMMAND --target ws://127.0.0.1:{port}/ws` over message_routing."""
    return harness("run", "--serve", command, "--target", TARGET, *ROUTING, *extra, out=out)


def rule_status(run: Finished, rule: str) -> str:
    assert run.verdict is not None
    (found,) = [r for r in run.verdict["rules"] if r["id"] == rule]
    return str(found["status"])


def reason(run: Finished, rule: str) -> dict[str, str]:
    (found,) = [r for r in run.reasons() if r["rule"] == rule]
    return found


def test_served_reference_server_is_approved_with_its_shutdown_verified(tmp_path: Path) -> None:
    """A clean served server: APPROVED; the shutdown rules verified on a private process of
    the same command; its output kept in served.log, the secret it was given redacted."""
    # The command prints the secret it finds in its environment: it must reach the child
    # (the server checks the harness's tokens with it) and must not reach the log.
    command = f'echo "my secret is $STABILITY_HARNESS_JWT_SECRET"; exec {SERVER}'
    env = {**os.environ, "STABILITY_HARNESS_JWT_SECRET": SECRET}
    out = tmp_path / "out"
    run = harness("run", "--serve", command, "--target", TARGET, *ROUTING, out=out, env=env)
    verdict = run.verdict
    assert verdict is not None, run.stdout + run.stderr
    assert (run.code, verdict["verdict"]) == (0, "APPROVED"), run.stdout + run.stderr
    assert rule_status(run, "6.close.shutdown-1001") == "verified"
    assert rule_status(run, "6.close.shutdown-exits") == "verified"
    port = urlsplit(verdict["target"]["url"]).port
    assert port is not None and port > 0
    assert verdict["target"]["url"] == f"ws://127.0.0.1:{port}/ws"  # {port} replaced
    log = (out / "served.log").read_text()
    assert f"url: ws://127.0.0.1:{port}/ws" in log
    assert "my secret is <redacted:secret>" in log
    assert "token: <redacted:token>" in log  # the demo user's JWT the server prints
    private = (out / "served-private.log").read_text()
    assert "url: ws://127.0.0.1:" in private and f":{port}/ws" not in private
    for path in out.iterdir():
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path.name
    assert SECRET not in run.stdout + run.stderr
    usage = verdict["environment"]["target_process"]
    assert usage["samples"] >= 1 and usage["rss_kb_max"] > 1000, usage
    assert f"RSS peak {usage['rss_kb_max']} kB" in (out / "report.md").read_text()


def test_served_server_that_breaks_shutdown_is_not_approved(tmp_path: Path) -> None:
    """A served server whose shutdown closes with 1000 (ready once its /health answers):
    NOT_APPROVED naming 6.close.shutdown-1001 (its process still exits in time)."""
    run = served(
        f"{SERVER} --defect shutdown-closes-1000",
        "--ready-url",
        "http://127.0.0.1:{port}/health",
        out=tmp_path / "out",
    )
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (1, "NOT_APPROVED"), run.stdout + run.stderr
    assert rule_status(run, "6.close.shutdown-1001") == "violated"
    assert rule_status(run, "6.close.shutdown-exits") != "violated"
    (failed,) = [t for t in run.suite("message_routing")["tests"] if t["outcome"] == "failed"]
    assert failed["id"].endswith("test_shutdown_closes_every_connection_1001")


def test_served_server_is_sampled_under_load(tmp_path: Path) -> None:
    """The load phase against a served server records its RSS around the load and the CPU
    time it used meanwhile (its whole process group: here a shell and the server)."""
    command = f"echo starting; {SERVER}"  # not exec'd: the server is the shell's child
    run = harness(
        "run",
        "--serve",
        command,
        "--target",
        TARGET,
        "--suite",
        "load",
        "--users",
        "15",  # 30 conversations: the load budgets' minimum samples
        "--quiet",
        "--no-history",
        out=tmp_path / "out",
    )
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (0, "APPROVED"), run.stdout + run.stderr
    metrics = run.verdict["metrics"]
    (start,) = metrics["load_server_rss_start_kb"]["samples"]
    (end,) = metrics["load_server_rss_end_kb"]["samples"]
    (cpu,) = metrics["load_server_cpu_s"]["samples"]
    assert start > 10_000 and end > 10_000 and cpu > 0, (start, end, cpu)


def test_command_that_exits_at_once_is_incomplete_with_its_status(tmp_path: Path) -> None:
    """A command that exits before it is ready: INCOMPLETE (exit 2), one line naming its
    exit status and its last output lines."""
    run = served('echo "config.yaml: no such file"; exit 3', out=tmp_path / "out")
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (2, "INCOMPLETE"), run.stdout + run.stderr
    message = reason(run, "served-not-ready")["message"]
    assert "exited with status 3 before it was ready" in message
    assert "config.yaml: no such file" in message
    assert "\n" not in message


def test_policy_serve_never_ready_is_incomplete_naming_the_timeout(tmp_path: Path) -> None:
    """The policy's [serve]: a command whose ready line never comes is INCOMPLETE naming the
    timeout and what it waited for; its whole process group is stopped."""
    pid_file = tmp_path / "sleeper.pid"
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[serve]\n"
        f"command = 'sleep 60 & echo $! > {pid_file}; echo warming up; wait'\n"
        "ready_line = 'listening on'\n"
        "timeout_s = 1.5\n"
    )
    started = time.monotonic()
    run = harness(
        "run", "--target", TARGET, "--policy", str(policy), *ROUTING, out=tmp_path / "out"
    )
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (2, "INCOMPLETE"), run.stdout + run.stderr
    message = reason(run, "served-not-ready")["message"]
    assert "not ready within 1.5 s (no line matched 'listening on')" in message
    assert "warming up" in message
    assert time.monotonic() - started < 60
    sleeper = int(pid_file.read_text())
    deadline = time.monotonic() + 5.0
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(sleeper), "the served command's child outlived the run"


def test_served_server_killed_mid_run_is_not_approved_naming_its_exit(tmp_path: Path) -> None:
    """A served process that dies during the run: NOT_APPROVED with its exit status and last
    lines as evidence, and the tests that failed from then on name it as their cause."""
    out = tmp_path / "out"
    # Killed once the first test's result is written (bounded: 60 s), so mid-run for sure.
    results = out / "results.jsonl"
    command = (
        f"{SERVER} & child=$!; n=0; "
        f'while ! grep -q \'"kind":"attempt"\' {results} 2>/dev/null && [ $n -lt 600 ]; '
        "do sleep 0.1; n=$((n+1)); done; kill -9 $child; wait $child"
    )
    run = served(command, out=out)
    assert run.verdict is not None
    assert (run.code, run.verdict["verdict"]) == (1, "NOT_APPROVED"), run.stdout + run.stderr
    found = reason(run, "served-process-exited")
    assert found["severity"] == "blocker"
    assert "the served process exited with status 137 during the run" in found["message"]
    assert "url: ws://127.0.0.1:" in found["message"]  # its last lines
    failed = [t for t in run.suite("message_routing")["tests"] if t["outcome"] == "failed"]
    assert failed, "no test failed after the served process died"
    named = [t for t in failed if "the served process exited with status 137" in str(t)]
    assert named, [str(t)[:300] for t in failed[:3]]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
