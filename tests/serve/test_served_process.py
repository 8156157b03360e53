"""One process of a served command: {port}, readiness, its log, its stop (real processes)."""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

import pytest

from harness.run.recovery import clear_previous_run
from harness.run.served import NotReady, ServedProcess, exit_text, free_port
from harness.verdict.policy import ServePlan
from harness.wire.redaction import Redactor

SECRET = "served-process-secret-0123456789"


def start(command: str, tmp_path: Path, **plan: object) -> ServedProcess:
    return ServedProcess(
        ServePlan(command, **plan),  # type: ignore[arg-type]
        free_port(),
        tmp_path / "served.log",
        secret=SECRET,
        redactor=Redactor(SECRET),
    )


def test_ready_line_port_secret_and_a_term_that_stops_it(tmp_path: Path) -> None:
    """Ready on its line; {port} replaced; the secret in its environment, not in its log;
    SIGTERM stops it at once (exit by SIGTERM, in well under the 10 s deadline)."""
    process = start(
        'echo "port {port} secret $STABILITY_HARNESS_JWT_SECRET"; echo "up"; exec sleep 30',
        tmp_path,
        ready_line="^up$",
        timeout_s=10.0,
    )
    try:
        process.wait_ready()
    finally:
        code = process.stop()
    assert exit_text(code) == "signal SIGTERM"
    assert process.stopped_in_s is not None and process.stopped_in_s < 5.0
    log = (tmp_path / "served.log").read_text()
    assert f"port {process.port} secret <redacted:secret>\nup\n" in log
    assert log.startswith(f'$ echo "port {process.port} secret $STABILITY_HARNESS_JWT_SECRET"')
    assert SECRET not in log


def test_a_process_that_ignores_term_is_killed_past_the_deadline(tmp_path: Path) -> None:
    """SIGTERM ignored: SIGKILL after stop_timeout_s; `stopped_in_s` None (it was killed)."""
    process = start(
        "trap '' TERM; echo ready; while :; do sleep 0.1; done",
        tmp_path,
        ready_line="ready",
        stop_timeout_s=0.5,
    )
    process.wait_ready()
    assert exit_text(process.stop()) == "signal SIGKILL"
    assert process.stopped_in_s is None


def test_ready_when_the_port_accepts_a_connection(tmp_path: Path) -> None:
    """Neither a ready line nor a URL: ready once {port} accepts a TCP connection."""
    process = start(
        f"{sys.executable} -c "
        '\'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", {port})); '
        "s.listen(); time.sleep(30)'",
        tmp_path,
        timeout_s=20.0,
    )
    try:
        process.wait_ready()
        with socket.create_connection(("127.0.0.1", process.port), timeout=2.0):
            pass
    finally:
        process.stop()


def test_a_command_that_exits_first_is_not_ready(tmp_path: Path) -> None:
    """Exits before it is ready: NotReady naming its status and its last lines."""
    process = start("echo 'bad flag --x'; exit 7", tmp_path, ready_line="never")
    with pytest.raises(NotReady) as caught:
        process.wait_ready()
    process.stop()
    assert str(caught.value) == (
        "the served command exited with status 7 before it was ready; its last lines: bad flag --x"
    )


def test_exit_text_names_a_signal() -> None:
    assert exit_text(3) == "status 3"
    assert exit_text(-signal.SIGKILL) == "signal SIGKILL"


def test_a_new_run_in_the_same_folder_starts_without_the_old_logs(tmp_path: Path) -> None:
    """served.log is appended to: a run in the same folder removes the earlier run's first."""
    for name in ("served.log", "served-private.log", "mine.txt"):
        (tmp_path / name).write_text("old\n")
    removed = clear_previous_run(tmp_path)
    assert sorted(p.name for p in removed) == ["served-private.log", "served.log"]
    assert (tmp_path / "mine.txt").exists()
