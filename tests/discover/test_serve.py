"""`profile discover URL --serve CMD`: the server is started on a free port (`{port}` in
CMD and URL), discovered, and stopped; a command that exits before it is ready is one
line, exit 2, and no draft."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SECRET = "discover-serve-secret-of-at-least-32-bytes-0123"


def discover(tmp_path: Path, url: str, serve: str) -> subprocess.CompletedProcess[str]:
    options = ("--serve", serve, "--within", "20", "--out", str(tmp_path / "d.toml"))
    return subprocess.run(
        [sys.executable, "-m", "harness", "profile", "discover", url, *options],
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "STABILITY_HARNESS_JWT_SECRET": SECRET},
    )


def test_the_served_reference_server_is_discovered_then_stopped(tmp_path: Path) -> None:
    serve = f"exec {sys.executable} -m harness serve --port {{port}}"
    found = discover(tmp_path, "ws://127.0.0.1:{port}/ws", serve)
    assert found.returncode == 0, found.stdout + found.stderr
    data = tomllib.loads((tmp_path / "d.toml").read_text())
    assert data["profile"]["extends"] == "chat-agent/1"
    assert data["profile"]["description"].startswith("Drafted from ws://127.0.0.1:")
    assert "{port}" not in data["profile"]["description"]
    log = (tmp_path / "discover-served.log").read_text()
    assert log.startswith(f"$ exec {sys.executable} -m harness serve --port ")


def test_a_served_command_that_exits_at_once_is_one_line_exit_2(tmp_path: Path) -> None:
    found = discover(tmp_path, "ws://127.0.0.1:{port}/ws", "echo no server on {port}; exit 3")
    assert found.returncode == 2, found.stdout + found.stderr
    assert found.stderr.startswith(
        "profile discover: --serve: the served command exited with status 3 before it was "
        "ready; its last lines: no server on "
    ), found.stderr
    assert len(found.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d.toml").exists()
