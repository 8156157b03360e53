"""End to end: runs that cannot be judged are INCOMPLETE, bad input is exit 4, a crash is exit 3."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.reference import ServerConfig, ThreadedServer, mint_token, start_in_thread

from .conftest import RUN_DEADLINE_S, harness

# A whole run may take minutes on a loaded machine; each has its own deadline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

SECRET = "remote-secret-of-at-least-32-bytes-0123"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def remote() -> Iterator[ThreadedServer]:
    """A reference server started outside the harness, as a remote target."""
    server = start_in_thread(ServerConfig(jwt_secret=SECRET))
    try:
        yield server
    finally:
        server.stop()


def test_target_not_listening_is_incomplete(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{closed_port()}/ws"
    started = time.monotonic()
    run = harness("run", "--target", url, "--jwt-secret", "s", out=tmp_path / "out")
    elapsed = time.monotonic() - started
    assert run.code == 2, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "INCOMPLETE"
    (reason,) = [r for r in run.reasons("incomplete") if r["suite"] is None]
    assert "unreachable" in reason["message"]
    assert url.split("/ws")[0].replace("ws://", "") in reason["message"]
    assert {s["status"] for s in run.verdict["suites"]} == {"NOT_RUN"}
    print(f"unreachable target judged INCOMPLETE in {elapsed:.2f} s")


def test_refused_credentials_are_incomplete(tmp_path: Path, remote: ThreadedServer) -> None:
    run = harness(
        "run", "--target", remote.ws_url, "--jwt-secret", "not-the-secret", out=tmp_path / "out"
    )
    assert run.code == 2, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "INCOMPLETE"
    assert any("credentials" in r["message"] for r in run.reasons("incomplete"))


def test_remote_target_with_its_secret_is_judged(tmp_path: Path, remote: ThreadedServer) -> None:
    run = harness(
        "run",
        "--target",
        remote.ws_url,
        "--jwt-secret",
        SECRET,
        "--suite",
        "staging_repro",
        "--suite",
        "security",
        "-n",
        "2",
        out=tmp_path / "out",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    assert run.verdict["target"] == {"url": remote.ws_url, "kind": "remote", "defects": []}
    assert [s["name"] for s in run.verdict["suites"]] == ["staging_repro", "security"]


def test_too_few_tokens_is_incomplete_never_a_pass(tmp_path: Path, remote: ThreadedServer) -> None:
    token = mint_token(SECRET, "only-user")
    run = harness(
        "run",
        "--target",
        remote.ws_url,
        "--token",
        f"only-user={token}",
        "--suite",
        "business_flow",
        "-n",
        "1",
        out=tmp_path / "out",
    )
    assert run.code == 2, run.stdout + run.stderr
    suite = run.suite("business_flow")
    assert suite["status"] == "INCOMPLETE"
    assert suite["errors"] >= 1
    errored = [t for t in suite["tests"] if t["outcome"] == "error"]
    assert any("--token" in t["message"] for t in errored), errored


def test_time_limit_makes_the_run_incomplete(tmp_path: Path) -> None:
    run = harness("run", "--max-duration", "2", "-n", "1", out=tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "INCOMPLETE"
    assert [e["cause"] for e in run.verdict["run_errors"]] == ["timeout"]
    statuses = {s["status"] for s in run.verdict["suites"]}
    assert statuses <= {"INCOMPLETE", "NOT_RUN"}, statuses


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--defect", "no-such-defect"), "no-such-defect"),
        (("--suite", "no_such_suite"), "--suite 'no_such_suite': no such suite"),
        (("--target", "http://127.0.0.1:1/ws"), "--target 'http://127.0.0.1:1/ws'"),
        (("-n", "many"), "-n/--workers 'many'"),
        (("--target", "ws://127.0.0.1:1/ws"), "give --jwt-secret or at least one --token"),
    ],
    ids=["unknown-defect", "unknown-suite", "not-a-ws-url", "bad-workers", "no-credentials"],
)
def test_usage_errors_exit_4_with_one_line(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    run = harness("run", *args, out=tmp_path / "out")
    assert run.code == 4, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert expected in lines[0]


def test_invalid_policy_exits_4_naming_file_and_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[[budgets]]\nmetric = "m"\nstatistic = "p42"\nlimit = 1\nunit = "ms"\n')
    run = harness("run", "--policy", str(policy), out=tmp_path / "out")
    assert run.code == 4, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert str(policy) in line
    assert "budgets[0].statistic" in line


def test_harness_crash_exits_3(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = harness("run", out=blocker / "out")
    assert run.code == 3, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("stability-harness: internal error:")


def test_lowering_a_critical_suite_without_approver_exits_4(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[criticality]\nsecurity = "major"\n')
    run = harness("run", "--policy", str(policy), out=tmp_path / "out")
    assert run.code == 4, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert f"{policy}: criticality.security: lowers suite security from critical" in line
    assert not (tmp_path / "out").exists()  # refused before anything started


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("missing.jsonl",), "missing.jsonl: cannot read the capture"),
        (("CAPTURE", "--speed", "0"), "--speed 0: expected a positive number"),
    ],
    ids=["missing-capture", "zero-speed"],
)
def test_replay_usage_errors_exit_4(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    capture = Path(__file__).resolve().parents[2] / "suites/replays/captures"
    first = str(sorted(capture.glob("*.jsonl"))[0])
    run = harness("replay", *(first if a == "CAPTURE" else a for a in args), out=tmp_path / "o")
    assert run.code == 4, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert expected in line


def test_a_second_run_in_the_same_folder_reads_nothing_of_the_first(tmp_path: Path) -> None:
    """A run into a folder that holds an earlier run judges its own attempts only.

    Each process appends to results.jsonl: an earlier run's attempts read as this run's
    made a passing test look flaky (failed, then passed) and blocked the verdict. The
    first run here fails a test (a defect); the second, clean, must be APPROVED with one
    attempt per planned test, and no file of the first run left that it did not write.
    """
    out = tmp_path / "out"
    first = harness("run", "--suite", "staging_repro", "--defect", "iso-timestamp-crash", out=out)
    assert first.code == 1, first.stdout + first.stderr
    (out / "plan-phase9.json").write_text("{}", "utf-8")  # as a run of more phases leaves
    second = harness("run", "--suite", "staging_repro", out=out)
    assert second.code == 0, second.stdout + second.stderr
    assert second.verdict is not None
    suite = second.suite("staging_repro")
    assert (suite["status"], suite["failed"], suite["flaky"]) == ("PASS", 0, 0), suite
    lines = (out / "results.jsonl").read_text("utf-8").splitlines()
    attempts = [line for line in lines if json.loads(line).get("kind") == "attempt"]
    assert len(attempts) == suite["planned"], len(attempts)
    assert not (out / "plan-phase9.json").exists()
