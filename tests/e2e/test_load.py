"""End to end: the load phase against the clean server, two defects, a refusing target, a soak.

Small crowds (10 to 20 users on 127.0.0.1) keep each whole run to a few seconds; `-n 0`
spares the suite phase its workers (the load suite has no test there).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.reference import ServerConfig, start_subprocess
from harness.wire.tokens import SECRET_ENV

from .conftest import RUN_DEADLINE_S, Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

SMALL = ("--suite", "load", "-n", "0", "--quiet", "--no-history")
RUNS_TEST = "load::test_load::test_every_user_runs_every_conversation"
LEAK_TEST = "load::test_load::test_no_user_receives_another_users_events"
NORMAL_CLOSE = 1000  # PROTOCOL.md section 6: a normal client close


def outcomes(run: Finished) -> dict[str, str]:
    return {t["id"]: t["outcome"] for t in run.suite("load")["tests"]}


def metric(run: Finished, name: str) -> dict[str, Any]:
    assert run.verdict is not None
    found: dict[str, Any] = run.verdict["metrics"][name]
    return found


def budget_status(run: Finished, name: str) -> list[str]:
    return [b["status"] for b in metric(run, name)["budgets"]]


def test_clean_server_passes_with_every_sample(tmp_path: Path) -> None:
    run = harness("run", *SMALL, "--users", "20", "--conversations", "2", out=tmp_path / "o")
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "APPROVED"
    assert outcomes(run) == {RUNS_TEST: "passed", LEAK_TEST: "passed"}
    assert metric(run, "load_users")["samples"] == [20]
    assert metric(run, "load_handshake_ms")["count"] == 20
    assert metric(run, "load_first_event_ms")["count"] == 40
    assert metric(run, "load_run_ms")["count"] == 40
    assert metric(run, "load_error_rate")["samples"] == [0] * 40
    assert metric(run, "load_contamination")["samples"] == [0] * 20
    assert metric(run, "load_close_code")["samples"] == [NORMAL_CLOSE] * 20
    assert metric(run, "load_frames_per_s")["count"] == 1
    for name in ("load_first_event_ms", "load_error_rate", "load_contamination"):
        assert budget_status(run, name) == ["met"], name
    report = (run.out / "report.md").read_text()
    assert "### Load" in report
    assert "| time to agent_started | 40 |" in report
    assert f"- Server close codes: {NORMAL_CLOSE} × 20" in report
    assert "- Contamination (events of another user's run): 0 on 0 of 20 connections" in report
    assert 'id="load"' in (run.out / "report.html").read_text()


def test_cross_user_leak_is_contamination_and_not_approved(tmp_path: Path) -> None:
    run = harness("run", *SMALL, "--users", "20", "--defect", "cross-user-leak", out=tmp_path / "o")
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "NOT_APPROVED"
    assert outcomes(run)[LEAK_TEST] == "failed"
    (message,) = [t["message"] for t in run.suite("load")["tests"] if t["id"] == LEAK_TEST]
    leaked = re.search(r"observed .(\d+) events of another user's run .* on (\d+) of 20 ", message)
    assert leaked is not None, message
    assert int(leaked.group(1)) > 0 and int(leaked.group(2)) > 0
    samples = metric(run, "load_contamination")["samples"]
    assert sum(samples) == int(leaked.group(1))
    assert budget_status(run, "load_contamination") == ["missed"]


def test_slow_first_event_misses_the_load_budget(tmp_path: Path) -> None:
    run = harness(
        "run", *SMALL, "--users", "20", "--defect", "slow-first-event", out=tmp_path / "o"
    )
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "NOT_APPROVED"
    first = metric(run, "load_first_event_ms")
    assert first["count"] == 40
    assert first["p95"] >= 1500.0  # the defect delays agent_started by 1.5 s
    assert budget_status(run, "load_first_event_ms") == ["missed"]
    missed = [r for r in run.reasons("blocker") if r["rule"] == "budget-missed"]
    assert [r["suite"] for r in missed] == ["load"]


class RefusingProxy:
    """Relays its first `accept` TCP connections to `upstream`, then stops listening."""

    def __init__(self, upstream: int, accept: int) -> None:
        self.port = 0
        self.accepted = 0
        self._upstream = upstream
        self._accept = accept
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._run(),))

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        self._server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.accepted > self._accept:  # accepted from the backlog before the close
            writer.close()
            return
        if self.accepted == self._accept and self._server is not None:
            self._server.close()  # no more listening: later connections are refused
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    def __enter__(self) -> RefusingProxy:
        self._thread.start()
        assert self._ready.wait(10.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10.0)
        self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@pytest.fixture
def refusing_target() -> Iterator[tuple[str, str]]:
    """A reference server behind a proxy that accepts 10 TCP connections, then refuses."""
    secret = secrets.token_urlsafe(24)
    server = start_subprocess(ServerConfig(jwt_secret=secret))
    with server, RefusingProxy(server.port, accept=10) as proxy:
        yield f"ws://127.0.0.1:{proxy.port}/ws", secret


def test_a_target_that_refuses_connections_yields_error_counts(
    tmp_path: Path, refusing_target: tuple[str, str]
) -> None:
    url, secret = refusing_target
    command = [sys.executable, "-m", "harness", "run", *SMALL, "--users", "20"]
    command += ["--target", url, "--out", str(tmp_path / "o")]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        env={**os.environ, SECRET_ENV: secret},
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "o" / "verdict.json").read_text())
    run = Finished(proc.returncode, proc.stdout, proc.stderr, verdict, tmp_path / "o")
    assert run.verdict is not None and run.verdict["verdict"] == "NOT_APPROVED"
    assert outcomes(run)[RUNS_TEST] == "failed"
    (message,) = [t["message"] for t in run.suite("load")["tests"] if t["id"] == RUNS_TEST]
    refused = re.search(r"(\d+) of 20 users could not connect \((refused|opening) ", message)
    assert refused is not None, message
    # At most 10 connections were accepted, preflight's among them.
    assert int(refused.group(1)) >= 10
    opened = 20 - int(refused.group(1))
    assert metric(run, "load_handshake_ms")["count"] == opened
    rate = metric(run, "load_error_rate")
    assert rate["count"] == 40 and sum(rate["samples"]) == 2 * int(refused.group(1))
    assert budget_status(run, "load_error_rate") == ["missed"]


def test_a_short_soak_reports_windows_and_the_servers_rss(tmp_path: Path) -> None:
    run = harness("run", *SMALL, "--users", "10", "--soak", "4", out=tmp_path / "o")
    assert run.code == 0, run.stdout + run.stderr
    assert outcomes(run) == {RUNS_TEST: "passed", LEAK_TEST: "passed"}
    assert metric(run, "load_soak_window_s")["samples"] == [0.8]  # 4 s in five windows
    assert metric(run, "load_soak_window_errors")["samples"] == [0, 0, 0, 0, 0]
    assert metric(run, "load_soak_window_p95_ms")["count"] == 5
    assert metric(run, "load_soak_drift_ratio")["count"] == 1
    assert budget_status(run, "load_soak_drift_ratio") == ["met"]
    start = metric(run, "load_server_rss_start_kb")["samples"]
    end = metric(run, "load_server_rss_end_kb")["samples"]
    assert len(start) == len(end) == 1 and start[0] > 0 and end[0] > 0
    (cpu,) = metric(run, "load_server_cpu_s")["samples"]  # 10 users' 4 s of turns: not idle
    assert cpu > 0
    report = (run.out / "report.md").read_text()
    assert "Windows of 0.8 s (shorter than a minute" in report
    assert "| 5 |" in report
    assert f"kB at the start, {int(end[0])} kB at the end" in report


def test_shards_run_their_share_of_the_users_and_merge_combines_them(tmp_path: Path) -> None:
    folders = []
    for index in (1, 2):
        out = tmp_path / f"shard{index}"
        run = harness("run", *SMALL, "--users", "16", "--shard", f"{index}/2", out=out)
        assert run.code == 0, run.stdout + run.stderr
        assert metric(run, "load_users")["samples"] == [8]
        assert metric(run, "load_handshake_ms")["count"] == 8
        folders.append(str(out))
    merged = harness("merge", *folders, "--out", str(tmp_path / "merged"), "--quiet", out=tmp_path)
    assert merged.code == 0, merged.stdout + merged.stderr
    verdict = json.loads((tmp_path / "merged" / "verdict.json").read_text())
    assert verdict["verdict"] == "APPROVED"
    assert verdict["metrics"]["load_users"]["samples"] == [8, 8]
    assert verdict["metrics"]["load_first_event_ms"]["count"] == 32
    assert [b["status"] for b in verdict["metrics"]["load_first_event_ms"]["budgets"]] == ["met"]
    report = (tmp_path / "merged" / "report.md").read_text()
    assert "16 concurrent users over 2 shards (machines)" in report
