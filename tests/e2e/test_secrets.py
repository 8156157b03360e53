"""End to end: the secret and the tokens of a run appear in no output and no child command line."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.reference import ServerConfig, ThreadedServer, mint_token, start_in_thread

from .conftest import RUN_DEADLINE_S

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

# Searchable: nothing else in the machine's output holds these random strings.
SECRET = "findme-secret-" + secrets.token_hex(16)
USERS = [f"secret-probe-{i}" for i in range(12)]
SUITES = ("--suite", "security", "--suite", "staging_repro", "-n", "2")


def _b64(token: str) -> str:
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


class CommandLines:
    """Polls every process's command line while a run goes on; keeps those holding a needle."""

    def __init__(self, needles: list[str], exclude: int, own: str = "") -> None:
        self._needles = needles
        self._exclude = exclude
        # The harness's own command line: a child between fork and exec still shows it
        # (the user's, not one the harness wrote), so it never counts as a child's.
        self._own = own
        self.found: list[str] = []
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> CommandLines:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) in (self._exclude, os.getpid()):
                    continue
                try:
                    args = (entry / "cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if args == self._own:
                    continue
                if any(n in args for n in self._needles):
                    self.found.append(args.replace("\0", " "))
            self.polls += 1
            self._stop.wait(0.05)


def run_watched(
    args: list[str], out: Path, needles: list[str], env: dict[str, str]
) -> tuple[int, str, list[str], int]:
    """Run the harness; (exit code, console output, child command lines with a needle, polls)."""
    command = [sys.executable, "-m", "harness", "run", *args, "--out", str(out)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
    )
    # The harness's own command line holds what the user typed (--token): only children count.
    own = "\0".join(command) + "\0"
    with CommandLines(needles, exclude=proc.pid, own=own) as watch:
        console, _ = proc.communicate(timeout=RUN_DEADLINE_S)
    return proc.returncode, console, watch.found, watch.polls


def leaks(out: Path, console: str, needles: list[str]) -> list[str]:
    """Where each needle was found: a file of the output folder or the console."""
    found = []
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {"verdict.json", "report.md", "report.html", "junit.xml", "results.jsonl"} <= {
        p.name for p in files
    }
    assert any(p.name.startswith("pytest-phase") for p in files)
    assert any(p.name.startswith("plan-phase") for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path.name}: {n[:20]}" for n in needles if n in text]
    found += [f"console: {n[:20]}" for n in needles if n in console]
    return found


@pytest.fixture
def leaking() -> Iterator[ThreadedServer]:
    """A remote server whose AUTH_FAILED frames carry its signing secret."""
    server = start_in_thread(
        ServerConfig(jwt_secret=SECRET, defects=frozenset({"error-leaks-secret"}))
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clean() -> Iterator[ThreadedServer]:
    """A correct remote server signed with SECRET."""
    server = start_in_thread(ServerConfig(jwt_secret=SECRET))
    try:
        yield server
    finally:
        server.stop()


def test_a_secret_leaked_by_the_target_is_caught_and_never_written(
    tmp_path: Path, leaking: ThreadedServer
) -> None:
    needles = [SECRET]
    code, console, lines, polls = run_watched(
        ["--target", leaking.ws_url, *SUITES],
        tmp_path / "out",
        needles,
        {"STABILITY_HARNESS_JWT_SECRET": SECRET},
    )
    assert code == 1, console
    assert polls >= 10
    assert lines == []
    assert leaks(tmp_path / "out", console, needles) == []
    report = (tmp_path / "out" / "results.jsonl").read_text("utf-8")
    assert "<redacted:secret>" in report  # the leak is shown redacted, not hidden
    verdict = (tmp_path / "out" / "verdict.json").read_text("utf-8")
    assert '"verdict": "NOT_APPROVED"' in verdict


def test_tokens_given_on_the_command_line_are_never_written(
    tmp_path: Path, clean: ThreadedServer
) -> None:
    tokens = [mint_token(SECRET, user) for user in USERS]
    needles = [*tokens, *(_b64(t) for t in tokens), SECRET]
    args = ["--target", clean.ws_url, *SUITES]
    for user, token in zip(USERS, tokens, strict=True):
        args += ["--token", f"{user}={token}"]
    code, console, lines, polls = run_watched(args, tmp_path / "out", needles, {})
    assert code in (0, 1, 2), console
    assert polls >= 10
    assert lines == []
    assert leaks(tmp_path / "out", console, needles) == []
    assert (tmp_path / "out" / "verdict.json").exists()
