"""Hostile targets as whole runs: each run ends in time with a complete report naming the fault."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = Path(__file__).parents[2]
SECRET = "hostile-targets-secret-of-32-bytes-or-more"
MAX_DURATION_S = 60
RUN_DEADLINE_S = 120
VERDICTS = {"APPROVED", "APPROVED_WITH_CONDITIONS", "NOT_APPROVED", "INCOMPLETE"}


def start(kind: str) -> tuple[subprocess.Popen[str], str]:
    """A `tests.hostile.servers` target of `kind` in a subprocess, and its ws:// URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.servers", kind],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first line, or "" if it died
    if not line.startswith("url: "):
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError(f"the {kind} server printed {line!r}")
    return proc, line.removeprefix("url: ").strip()


def run_staging_repro(target: str, out: Path) -> subprocess.CompletedProcess[str]:
    """A whole run of the suite staging_repro against `target`, its reports in `out`."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "harness", "run", "--target", target),
            *("--jwt-secret", SECRET, "--suite", "staging_repro"),
            *("--max-duration", str(MAX_DURATION_S), "--quiet", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        cwd=out.parent,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a hostile server of the kind the test is parametrised with."""
    proc, url = start(request.param)
    try:
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("hostile", "named"),
    [
        pytest.param("garbage", "%%garbage{{ not a frame", id="garbage-text"),
        pytest.param("binary", "__binary__", id="binary-frames"),
        pytest.param("invalid-utf8", "not valid UTF-8", id="invalid-utf8"),
        pytest.param("silent", "no direct reply", id="never-replies"),
        pytest.param("never-closes", "no direct reply", id="never-closes"),
        pytest.param("mid-frame", "in the middle of a frame", id="closes-mid-frame"),
        pytest.param("trickle", "no answer to the WebSocket opening handshake", id="trickle"),
    ],
    indirect=["hostile"],
)
def test_a_hostile_target_gets_a_complete_report_naming_what_it_did(
    hostile: str, named: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run_staging_repro(hostile, out)
    assert done.returncode in (1, 2), done.stderr
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["verdict"] in VERDICTS
    assert verdict["exit_code"] == done.returncode
    tests = [t for s in verdict["suites"] for t in s["tests"]]
    assert len(tests) == verdict["summary"]["planned"] > 0
    failed = [t for t in tests if t["outcome"] == "failed"]
    assert failed, [t["outcome"] for t in tests]
    for test in failed:
        assert named in test["message"], test["message"]
    report = (out / "report.md").read_text()
    assert verdict["verdict"] in report
    assert all(t["id"] in report for t in failed)


@pytest.mark.parametrize("hostile", ["notice-first"], indirect=True)
def test_a_notice_before_the_welcome_is_one_cause_of_every_failure(
    hostile: str, tmp_path: Path
) -> None:
    """Every test that opened a connection failed the same way: verdict.json names it once."""
    out = tmp_path / "out"
    done = run_staging_repro(hostile, out)
    assert done.returncode == 1, done.stderr
    verdict = json.loads((out / "verdict.json").read_text())
    failed = [t["id"] for s in verdict["suites"] for t in s["tests"] if t["outcome"] == "failed"]
    assert failed
    [cause] = verdict["causes"]
    assert {k: cause[k] for k in ("key", "title", "count")} == {
        "key": "unexpected-frame:connection_established:system_message",
        "title": "the first frame after the handshake is a system_message frame, "
        "not connection_established",
        "count": len(failed),
    }
    assert sorted(cause["tests"]) == sorted(failed)
    assert [f["type"] for f in cause["frames"] if f["dir"] == "recv"][:1] == ["system_message"]
