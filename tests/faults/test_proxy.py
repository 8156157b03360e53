"""The fault proxy over real sockets: each fault does what it names; bad --fault values refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from harness.errors import ConfigError
from harness.faults.proxy import FaultPlan, FaultProxy, parse_faults

WITHIN = 5.0


@pytest_asyncio.fixture
async def echo() -> AsyncIterator[int]:
    """An echo server on 127.0.0.1:0 that closes when the client half-closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def _through(echo: int, plan: FaultPlan) -> tuple[FaultProxy, int]:
    proxy = FaultProxy("127.0.0.1", echo, plan)
    return proxy, await proxy.start()


async def _round_trip(port: int, payload: bytes) -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(payload)
    await writer.drain()
    writer.write_eof()
    received = b""
    while chunk := await asyncio.wait_for(reader.read(65536), WITHIN):
        received += chunk
    writer.close()
    return received, time.monotonic() - started


@pytest.mark.asyncio
async def test_no_fault_relays_unchanged(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan())
    payload = bytes(range(256)) * 400
    received, _ = await _round_trip(port, payload)
    assert received == payload
    await proxy.stop()


@pytest.mark.asyncio
async def test_latency_delays_each_way(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(latency_ms=150, jitter_ms=20))
    received, took = await _round_trip(port, b"ping")
    assert received == b"ping"
    assert took >= 2 * 0.130  # two directions, each at least latency - jitter
    await proxy.stop()


@pytest.mark.asyncio
async def test_bandwidth_caps_throughput(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(bandwidth=40_000))
    payload = b"x" * 20_000
    received, took = await _round_trip(port, payload)
    assert received == payload
    assert took >= 0.45  # 20 kB at 40 kB/s, one way at least
    await proxy.stop()


@pytest.mark.asyncio
async def test_cut_closes_after_n_bytes(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(cut_after=1000))
    received, _ = await _round_trip(port, b"y" * 10_000)
    assert len(received) < 1000  # both directions share the 1000 bytes, then FIN
    await proxy.stop()


@pytest.mark.asyncio
async def test_reset_aborts_after_n_bytes(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(reset_after=500))
    with pytest.raises(ConnectionResetError):
        await _round_trip(port, b"z" * 10_000)
    await proxy.stop()


@pytest.mark.asyncio
async def test_blackhole_accepts_and_never_answers(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(blackhole=True))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.5)
    assert not reader.at_eof()
    writer.close()
    await proxy.stop()


@pytest.mark.asyncio
async def test_slow_close_holds_the_peer_open(echo: int) -> None:
    proxy, port = await _through(echo, FaultPlan(slow_close_ms=400))
    received, took = await _round_trip(port, b"bye")
    assert received == b"bye"
    assert took >= 0.35
    await proxy.stop()


def test_parse_faults_builds_the_plan() -> None:
    plan = parse_faults(["latency=200", "jitter=50", "cut=4096", "slow-close=100"])
    assert plan == FaultPlan(latency_ms=200, jitter_ms=50, cut_after=4096, slow_close_ms=100)
    assert plan.describe() == {"latency": 200, "jitter": 50, "cut": 4096, "slow-close": 100}
    assert parse_faults(["blackhole=1"]).blackhole


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["latency"], "--fault 'latency': expected KIND=VALUE with KIND one of latency,"),
        (["delay=5"], "--fault 'delay=5': expected KIND=VALUE"),
        (["latency=fast"], "--fault latency=fast: expected a number of milliseconds"),
        (["latency=-5"], "--fault latency=-5: expected a finite number >= 0"),
        (["cut=1.5"], "--fault cut=1.5: expected a whole number of bytes"),
        (["blackhole=maybe"], "--fault blackhole=maybe: expected blackhole=1"),
        (["latency=1", "latency=2"], "--fault 'latency=2': latency is given twice"),
    ],
)
def test_bad_fault_values_are_usage_errors(specs: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_faults(specs)
    assert str(caught.value).startswith(message)
