"""End to end: SIGINT/SIGTERM mid-run give an INCOMPLETE report; a killed run is judged later."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import RUN_DEADLINE_S

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

STOP_DEADLINE_S = 60  # bounded, not a wall-clock claim: docs/PERFORMANCE.md has the figure
REPORTS = ("verdict.json", "report.md", "report.html", "junit.xml")


def start(out: Path) -> subprocess.Popen[str]:
    """A whole run of a suite with many tests, in the background."""
    command = [sys.executable, "-m", "harness", "run", "--suite", "message_routing"]
    return subprocess.Popen(
        [*command, "-n", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def wait_for_results(out: Path, proc: subprocess.Popen[str]) -> None:
    """Return once results.jsonl holds a finished test; fail if the run ends or never gets there."""
    deadline = time.monotonic() + RUN_DEADLINE_S
    results = out / "results.jsonl"
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        if results.exists() and '"kind":"attempt"' in results.read_text("utf-8"):
            return
        time.sleep(0.05)
    raise AssertionError("no test finished in time")


def children_of(out: Path) -> list[int]:
    """Processes whose command line names this run's output folder (its pytest phases)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(out).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def assert_incomplete_report(out: Path) -> dict[str, Any]:
    for name in REPORTS:
        assert (out / name).is_file(), name
    verdict = json.loads((out / "verdict.json").read_text("utf-8"))
    assert verdict["verdict"] == "INCOMPLETE"
    assert verdict["exit_code"] == 2
    tests = [t for s in verdict["suites"] for t in s["tests"]]
    outcomes = {t["outcome"] for t in tests}
    assert "not_run" in outcomes and "passed" in outcomes, outcomes
    assert verdict["summary"]["not_run"] >= 1
    return verdict


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_writes_an_incomplete_report(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out"
    proc = start(out)
    wait_for_results(out, proc)
    proc.send_signal(sig)
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=STOP_DEADLINE_S)
    print(f"{sig.name}: exited {time.monotonic() - sent:.2f} s after the signal")
    assert proc.returncode == 2, stdout + stderr
    assert "Traceback" not in stderr
    assert f"stability-harness: {sig.name}: stopping the run" in stderr
    verdict = assert_incomplete_report(out)
    (reason,) = [r for r in verdict["reasons"] if r["message"].startswith("interrupted: ")]
    assert reason["message"].startswith(f"interrupted: {sig.name} after ")
    assert reason["severity"] == "incomplete"
    assert "INCOMPLETE" in stdout
    assert children_of(out) == []


def test_a_second_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start(out)
    wait_for_results(out, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)  # the second Ctrl-C of a user who will not wait
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=STOP_DEADLINE_S)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "stability-harness: SIGINT again: stopped at once"
    deadline = time.monotonic() + 10
    while children_of(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children_of(out) == []


def test_a_killed_run_is_judged_by_report_from(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start(out)
    wait_for_results(out, proc)
    proc.kill()
    proc.communicate(timeout=STOP_DEADLINE_S)
    for pid in children_of(out):  # SIGKILL left the pytest phase orphaned: as a CI job would
        os.kill(pid, signal.SIGKILL)
    assert not (out / "verdict.json").exists()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "harness", "report", "--from", str(out)],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        stdin=subprocess.DEVNULL,
    )
    assert rebuilt.returncode == 2, rebuilt.stdout + rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr
    verdict = assert_incomplete_report(out)
    assert verdict["target"]["kind"] == "embedded"
    assert any("the run did not finish" in r["message"] for r in verdict["reasons"])


def test_report_from_a_folder_without_results_is_a_usage_error(tmp_path: Path) -> None:
    rebuilt = subprocess.run(
        [sys.executable, "-m", "harness", "report", "--from", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        stdin=subprocess.DEVNULL,
    )
    assert rebuilt.returncode == 4
    assert rebuilt.stderr.strip().splitlines() == [
        f"stability-harness report: error: --from {tmp_path}: no results.jsonl in it "
        "(not a run's output folder)"
    ]
