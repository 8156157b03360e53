"""A fault-injecting TCP proxy (asyncio) between the harness and any target.

Every connection accepted on 127.0.0.1 is relayed to the target's host and port,
with the faults of a `FaultPlan` applied to both directions:

- `latency` ms (+- `jitter` ms) added to every chunk, order kept;
- `bandwidth` bytes per second at most, each direction;
- `cut` after N bytes relayed on a connection: both sides closed (FIN);
- `reset` after N bytes: both sides reset (RST);
- `blackhole`: accept and never answer (nothing is relayed, nothing closed);
- `slow-close` ms between one side closing and the proxy closing the other.

The proxy stops by itself with its context; it never opens anything but the
target's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from harness.errors import ConfigError

KINDS: Final = ("latency", "jitter", "bandwidth", "cut", "reset", "blackhole", "slow-close")
CHUNK: Final = 65536


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The faults to inject (all off by default)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    bandwidth: int = 0  # bytes per second; 0: no cap
    cut_after: int | None = None
    reset_after: int | None = None
    blackhole: bool = False
    slow_close_ms: float = 0.0
    seed: int = 0

    def describe(self) -> dict[str, float | int | bool]:
        """The active faults, as `run --fault` writes them (for the verdict and reports)."""
        active: dict[str, float | int | bool] = {}
        if self.latency_ms:
            active["latency"] = self.latency_ms
        if self.jitter_ms:
            active["jitter"] = self.jitter_ms
        if self.bandwidth:
            active["bandwidth"] = self.bandwidth
        if self.cut_after is not None:
            active["cut"] = self.cut_after
        if self.reset_after is not None:
            active["reset"] = self.reset_after
        if self.blackhole:
            active["blackhole"] = True
        if self.slow_close_ms:
            active["slow-close"] = self.slow_close_ms
        return active


def parse_faults(specs: list[str] | tuple[str, ...]) -> FaultPlan:
    """`--fault KIND=VALUE` options into a plan; ConfigError naming the option that is wrong."""
    values: dict[str, str] = {}
    for spec in specs:
        kind, sep, value = spec.partition("=")
        if not sep or kind not in KINDS:
            raise ConfigError(
                f"--fault {spec!r}: expected KIND=VALUE with KIND one of {', '.join(KINDS)}"
            )
        if kind in values:
            raise ConfigError(f"--fault {spec!r}: {kind} is given twice")
        values[kind] = value
    return FaultPlan(
        latency_ms=_number(values, "latency", "milliseconds"),
        jitter_ms=_number(values, "jitter", "milliseconds"),
        bandwidth=int(_number(values, "bandwidth", "bytes per second", whole=True)),
        cut_after=_count(values, "cut"),
        reset_after=_count(values, "reset"),
        blackhole=_flag(values, "blackhole"),
        slow_close_ms=_number(values, "slow-close", "milliseconds"),
    )


def _number(values: Mapping[str, str], kind: str, unit: str, *, whole: bool = False) -> float:
    if kind not in values:
        return 0.0
    try:
        number = int(values[kind]) if whole else float(values[kind])
    except ValueError:
        raise ConfigError(
            f"--fault {kind}={values[kind]}: expected a {'whole ' if whole else ''}number of {unit}"
        ) from None
    if number < 0 or number != number or number == float("inf"):
        raise ConfigError(f"--fault {kind}={values[kind]}: expected a finite number >= 0")
    return float(number)


def _count(values: Mapping[str, str], kind: str) -> int | None:
    if kind not in values:
        return None
    return int(_number(values, kind, "bytes", whole=True))


def _flag(values: Mapping[str, str], kind: str) -> bool:
    if kind not in values:
        return False
    if values[kind] not in ("1", "true", "yes", "on"):
        raise ConfigError(f"--fault {kind}={values[kind]}: expected {kind}=1")
    return True


@dataclass
class _Budget:
    """Bytes relayed so far on one connection (both directions), against cut/reset."""

    relayed: int = 0
    tripped: asyncio.Event = field(default_factory=asyncio.Event)


class FaultProxy:
    """Listens on 127.0.0.1 and relays to `host:port` with the plan's faults."""

    def __init__(self, host: str, port: int, plan: FaultPlan) -> None:
        self._host = host
        self._port = port
        self._plan = plan
        self._random = random.Random(plan.seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    async def start(self) -> int:
        """Start listening on 127.0.0.1:0; return the port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and drop every relayed connection."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        plan = self._plan
        if plan.blackhole:
            # Read and drop what the client sends; never answer, never close.
            with contextlib.suppress(Exception):
                while await reader.read(CHUNK):
                    pass
            await _hold_open()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port), 10.0
            )
        except (OSError, TimeoutError):
            _abort(writer)
            return
        budget = _Budget()
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, budget)),
            asyncio.create_task(self._pump(up_reader, writer, budget)),
        ]
        watcher = asyncio.create_task(budget.tripped.wait())
        try:
            done, _ = await asyncio.wait([*pumps, watcher], return_when=asyncio.FIRST_COMPLETED)
            if watcher in done:
                if plan.reset_after is not None:
                    _abort(writer)
                    _abort(up_writer)
                else:
                    _close(writer)
                    _close(up_writer)
            else:
                await asyncio.wait(pumps, timeout=2.0 + plan.slow_close_ms / 1000)
        finally:
            for task in (*pumps, watcher):
                task.cancel()
            _close(writer)
            _close(up_writer)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, budget: _Budget
    ) -> None:
        """Relay `source` to `sink` with latency, bandwidth and the byte budget."""
        plan = self._plan
        limit = plan.reset_after if plan.reset_after is not None else plan.cut_after
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        sender = asyncio.create_task(self._send(queue, sink))
        last_due = 0.0
        try:
            while True:
                chunk = await source.read(CHUNK)
                if not chunk:
                    break
                if limit is not None:
                    room = limit - budget.relayed
                    if room <= 0:
                        budget.tripped.set()
                        break
                    chunk = chunk[:room]
                    budget.relayed += len(chunk)
                delay = plan.latency_ms + (
                    self._random.uniform(-plan.jitter_ms, plan.jitter_ms) if plan.jitter_ms else 0
                )
                due = max(time.monotonic() + max(delay, 0.0) / 1000, last_due)
                last_due = due
                await queue.put((due, chunk))
                if limit is not None and budget.relayed >= limit:
                    await queue.join()
                    budget.tripped.set()
                    break
            await queue.join()
            if plan.slow_close_ms:  # the peer learns of the close only this much later
                await asyncio.sleep(plan.slow_close_ms / 1000)
            with contextlib.suppress(OSError, RuntimeError):
                if sink.can_write_eof():
                    sink.write_eof()
        except (ConnectionError, OSError):
            pass
        finally:
            sender.cancel()

    async def _send(
        self, queue: asyncio.Queue[tuple[float, bytes]], sink: asyncio.StreamWriter
    ) -> None:
        rate = self._plan.bandwidth
        while True:
            due, chunk = await queue.get()
            try:
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                sink.write(chunk)
                await sink.drain()
                if rate:
                    await asyncio.sleep(len(chunk) / rate)
            except (ConnectionError, OSError):
                pass
            finally:
                queue.task_done()


async def _hold_open() -> None:
    await asyncio.Event().wait()  # until the proxy stops (cancelled)


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Reset the connection (RST): SO_LINGER 0, then close."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(Exception):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.transport.abort()


@contextlib.contextmanager
def running(host: str, port: int, plan: FaultPlan) -> Iterator[int]:
    """A FaultProxy on its own event loop in a thread, for the (synchronous) runner: the port."""
    loop = asyncio.new_event_loop()
    proxy = FaultProxy(host, port, plan)
    thread = threading.Thread(target=loop.run_forever, name="fault-proxy", daemon=True)
    thread.start()
    try:
        listening = asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(10.0)
        yield listening
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        loop.close()
