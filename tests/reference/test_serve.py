"""Running the reference server standalone: subprocess, thread, `serve` output, `defects` table."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from harness.reference import ServerConfig, mint_token, start_in_thread, start_subprocess
from harness.reference.serve import add_arguments, config_from
from harness.run.inventory import defects_main

from .wire import SECRET, Wire, http_get


@pytest.mark.asyncio
async def test_subprocess_prints_url_and_a_working_token_then_sigterm_closes_1001() -> None:
    config = ServerConfig(jwt_secret=SECRET, defects=frozenset({"stats-drift"}), think_ms=1.0)
    server = await asyncio.to_thread(start_subprocess, config, within=15.0)
    try:
        assert server.ws_url == f"ws://127.0.0.1:{server.port}/ws"
        assert server.http_url == f"http://127.0.0.1:{server.port}"
        assert server.printed["user"] == "demo"
        assert "secret" not in server.printed  # given, so never printed
        assert server.printed["defects"] == "stats-drift"
        assert server.printed["profile"] == "chat-agent/1"
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode()
        assert SECRET not in cmdline  # it travels in the environment
        assert (await http_get(f"{server.http_url}/health")).body == {"status": "ok"}
        wire = await Wire.open(server.ws_url, token=server.token)
        first = await wire.recv()
        assert first["type"] == "connection_established" and first["user_id"] == "demo"
        assert (await wire.request("ping", {}))["type"] == "pong"
        exit_code = await asyncio.to_thread(server.stop, 10.0)
        assert await wire.wait_closed() == 1001
        assert exit_code == 0
    finally:
        server.stop()


def test_subprocess_takes_a_secret_that_starts_with_a_dash() -> None:
    secret = "-starts-with-a-dash-and-is-32-bytes-long"
    with start_subprocess(ServerConfig(jwt_secret=secret), within=15.0) as server:
        assert "secret" not in server.printed
        token = mint_token(secret, "dash-user")
        reply = asyncio.run(_first_frame(server.ws_url, token))
    assert reply["type"] == "connection_established"
    assert reply["user_id"] == "dash-user"


async def _first_frame(url: str, token: str) -> dict[str, object]:
    wire = await Wire.open(url, token=token)
    try:
        return await wire.recv()
    finally:
        await wire.close()


def test_subprocess_with_unknown_option_value_fails_with_exit_4() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness.reference", "--defect", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 4
    assert "nope" in result.stderr and "iso-timestamp-crash" in result.stderr


@pytest.mark.asyncio
async def test_threaded_server_serves_and_stops_with_1001() -> None:
    threaded = start_in_thread(ServerConfig(jwt_secret=SECRET), within=10.0)
    try:
        assert threaded.ws_url == f"ws://127.0.0.1:{threaded.port}/ws"
        wire = await Wire.open(threaded.ws_url, token=mint_token(SECRET, "t-user"))
        assert (await wire.recv())["user_id"] == "t-user"
        await asyncio.to_thread(threaded.stop, 10.0)
        assert await wire.wait_closed() == 1001
    finally:
        threaded.stop()


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_serve_options_build_the_config() -> None:
    config = config_from(
        _parse(
            "--port",
            "0",
            "--defect",
            "all",
            "--think-ms",
            "2",
            "--rate-limit",
            "9",
            "--max-bytes",
            "100",
            "--jwt-secret",
            SECRET,
        )
    )
    assert len(config.defects) == 52
    assert (config.think_ms, config.rate_limit, config.max_bytes) == (2.0, 9, 100)
    assert config.jwt_secret == SECRET
    assert config_from(_parse()).jwt_secret  # a random secret when none is given


def test_defects_main_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert defects_main() == 0
    out = capsys.readouterr().out
    for name in ("iso-timestamp-crash", "error-leaks-secret", "staging_repro", "security"):
        assert name in out


def test_serve_takes_the_limits_of_its_profile() -> None:
    netra = config_from(_parse("--profile", "netra-2025-09", "--jwt-secret", SECRET))
    assert (netra.rate_limit, netra.max_bytes, netra.max_connections_per_user) == (0, 8192, 3)
    assert netra.dialect.name == "netra-2025-09"
    canonical = config_from(_parse("--jwt-secret", SECRET))
    assert (canonical.rate_limit, canonical.max_bytes, canonical.max_connections_per_user) == (
        600,
        65536,
        16,
    )
