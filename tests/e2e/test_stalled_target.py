"""End to end: a target that stops answering mid-run fails the rest fast, the cause named once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SECRET = "stalled-target-secret-of-32-bytes-or-more"
MAX_DURATION_S = 120
RUN_DEADLINE_S = 150
# Attempts recorded before the server is stopped: the run is under way and connected.
ATTEMPTS_BEFORE_STOP = 5
# The client's default deadline for a handshake or a reply (harness.wire.client).
FULL_DEADLINE_S = 5.0


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The reference server standalone (`serve --port 0`) and its ws:// URL."""
    env = {**os.environ, "STABILITY_HARNESS_JWT_SECRET": SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:  # readline returns at EOF too
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("url: "):
                url = line.removeprefix("url: ").strip()
        assert url.startswith("ws://127.0.0.1:"), "the server printed no url"
        yield proc, url
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=10)


def attempts(results: Path) -> int:
    """How many attempt lines results.jsonl holds so far."""
    if not results.exists():
        return 0
    return sum(1 for line in results.read_text().splitlines() if '"kind":"attempt"' in line)


def test_a_stopped_target_fails_the_rest_fast(
    server: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    proc, url = server
    out = tmp_path / "out"
    run = subprocess.Popen(
        [
            *(sys.executable, "-m", "harness", "run", "--target", url),
            *("--suite", "agent_events", "--suite", "business_flow"),
            *("--max-duration", str(MAX_DURATION_S), "--quiet", "--out", str(out)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "STABILITY_HARNESS_JWT_SECRET": SECRET},
    )
    try:
        deadline = time.monotonic() + 60
        while attempts(out / "results.jsonl") < ATTEMPTS_BEFORE_STOP:
            assert run.poll() is None, "the run ended before the server was stopped"
            assert time.monotonic() < deadline, "no attempts recorded within 60 s"
            time.sleep(0.05)  # polling a file another process writes
        proc.send_signal(signal.SIGSTOP)
        _, stderr = run.communicate(timeout=RUN_DEADLINE_S)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
    assert run.returncode in (1, 2), stderr
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["exit_code"] == run.returncode
    assert verdict["duration_s"] < MAX_DURATION_S
    tests = [t for s in verdict["suites"] for t in s["tests"]]
    failed = [t for t in tests if t["outcome"] == "failed"]
    assert failed, "no test failed after the server was stopped"
    assert not [t["id"] for t in tests if t["outcome"] == "error"]
    causes = [r for r in verdict["reasons"] if r["rule"] == "fast-fail-cause"]
    assert causes, verdict["reasons"]
    # The cause is named once: one reason line per cause key, none repeated.
    assert len({r["message"] for r in causes}) == len(causes)
    assert any(len(r["tests"]) > 1 for r in causes), causes
    # Failing fast: most failed attempts took the short deadline, not a full one (5 s).
    waits = [a["duration_s"] for t in failed for a in t["attempts"] if a["outcome"] == "failed"]
    assert len([w for w in waits if w >= FULL_DEADLINE_S]) < len(waits) / 2, waits
