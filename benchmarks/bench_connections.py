"""The most concurrent connections one harness process holds with zero errors.

    python benchmarks/bench_connections.py [--steps 500 1000 2000 4000 8000] [--quick]

One reference server in its own process on 127.0.0.1 (`start_subprocess`, no rate
limit), then per step of N: open N connections through the suites' client
(`open_client`, a user and token each, every one waiting for its
`connection_established`), at most `--in-flight` handshakes at a time; hold them all;
send a ping on every one at once and wait for every pong; close them all. Any failure
(a refused or timed-out handshake, a missing pong, a close that is not clean) is an
error; the benchmark stops at the first step with errors. Each step has a deadline
(`--deadline`, seconds). Both processes raise their open-file soft limit to the hard
limit; a step that needs more descriptors than the hard limit allows is said so.
Prints per step: the time to open all, the open rate, the time for every ping to be
answered, the errors, the CPU seconds and peak RSS of both processes. Target: 4,000
or more on 2 cores. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from harness.errors import CheckFailed
from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.wire.client import Client, User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript

SECRET = "bench-connections-secret-8c3d1f7e-long-enough"
STEPS = (500, 1000, 2000, 4000, 8000)
# Descriptors a process needs besides its connections (interpreter, pipes, epoll, files).
SPARE_FDS = 64


@dataclass
class Step:
    """What one step observed."""

    size: int
    opened: int = 0
    open_s: float = 0.0
    ping_s: float = 0.0
    close_s: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    deadline_hit: bool = False


def raise_nofile() -> tuple[int, int]:
    """Raise this process's open-file soft limit to its hard limit; (soft, hard) after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):  # not allowed here: said below
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def error_name(exc: BaseException) -> str:
    """A short, secret-free name of what went wrong."""
    if isinstance(exc, CheckFailed):
        return f"{type(exc).__name__}: {exc.args[0] if exc.args else ''}"[:80]
    return f"{type(exc).__name__}: {exc}"[:80]


async def run_step(url: str, size: int, in_flight: int, deadline_s: float) -> Step:
    """Open, hold, ping and close `size` connections; what happened."""
    step = Step(size)
    profile = load_profile("chat-agent/1")
    users = [
        User(f"u-conn-{size}-{i}", mint_token(SECRET, f"u-conn-{size}-{i}")) for i in range(size)
    ]
    gate = asyncio.Semaphore(in_flight)
    clients: list[Client] = []

    async def open_one(user: User) -> None:
        async with gate:
            try:
                clients.append(
                    await open_client(url, user, Transcript(), profile=profile, within=30.0)
                )
            except Exception as exc:  # every failure is counted, none stops the step
                step.errors[error_name(exc)] += 1

    async def ping(client: Client) -> None:
        try:
            await client.request("ping", within=30.0)
        except Exception as exc:
            step.errors[error_name(exc)] += 1

    async def close(client: Client) -> None:
        async with gate:
            try:
                await client.close()
            except Exception as exc:
                step.errors[error_name(exc)] += 1
        failure = client.end_failure()
        if failure is not None:
            step.errors[failure[:80]] += 1

    try:
        async with asyncio.timeout(deadline_s):
            started = time.perf_counter()
            await asyncio.gather(*(open_one(u) for u in users))
            step.open_s = time.perf_counter() - started
            step.opened = len(clients)
            started = time.perf_counter()
            await asyncio.gather(*(ping(c) for c in clients))
            step.ping_s = time.perf_counter() - started
            started = time.perf_counter()
            await asyncio.gather(*(close(c) for c in clients))
            step.close_s = time.perf_counter() - started
    except TimeoutError:
        step.deadline_hit = True
        step.errors[f"step deadline of {deadline_s:g} s"] += 1
        for client in clients:  # whatever is still open: closed without waiting
            client._ws.transport.abort()
    return step


def server_usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS in MB of process `pid`, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_kb = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                rss_kb = int(line.split()[1])
    return cpu, rss_kb / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    parser.add_argument("--in-flight", type=int, default=100, help="handshakes at a time")
    parser.add_argument("--deadline", type=float, default=180.0, help="seconds per step")
    parser.add_argument("--quick", action="store_true", help="steps 200 and 500 only")
    args = parser.parse_args()
    steps = [200, 500] if args.quick else args.steps
    soft, hard = raise_nofile()
    print(
        f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, open files {soft} (hard {hard})"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    config = ServerConfig(jwt_secret=SECRET, rate_limit=0)
    rows = []
    with start_subprocess(config, within=15.0) as server:
        server_soft, server_hard = server_nofile(server.pid)
        print(f"server: {server.ws_url}, open files {server_soft} (hard {server_hard})")
        print()
        print(
            "| connections | opened | open s | opens/s | ping all s | close s | errors "
            "| client CPU s | server CPU s | client peak RSS MB | server peak RSS MB |"
        )
        print("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for size in steps:
            if size + SPARE_FDS > min(soft, server_soft):
                needs = (
                    f"needs {size + SPARE_FDS} open files; the hard limit is {hard} here, "
                    f"{server_hard} in the server"
                )
                print(f"| {size} | - | | | | | {needs} | | | | |")
                break
            cpu0 = time.process_time()
            server_cpu0, _ = server_usage(server.pid)
            step = asyncio.run(run_step(server.ws_url, size, args.in_flight, args.deadline))
            client_cpu = time.process_time() - cpu0
            server_cpu, server_rss = server_usage(server.pid)
            client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            errors = "; ".join(f"{n} x {what}" for what, n in step.errors.most_common(3)) or "0"
            rate = step.opened / step.open_s if step.open_s else 0.0
            print(
                f"| {size} | {step.opened} | {step.open_s:.1f} | {rate:.0f} | {step.ping_s:.2f} "
                f"| {step.close_s:.1f} | {errors} | {client_cpu:.1f} "
                f"| {server_cpu - server_cpu0:.1f} | {client_rss:.0f} | {server_rss:.0f} |",
                flush=True,
            )
            rows.append(step)
            if step.errors:
                break
    held = [s.size for s in rows if not s.errors]
    print()
    print(f"most connections held with zero errors: {max(held) if held else 0}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def server_nofile(pid: int) -> tuple[int, int]:
    """The open-file soft and hard limits of process `pid`, from /proc (it raises its own)."""
    with open(f"/proc/{pid}/limits") as limits:
        for line in limits:
            if line.startswith("Max open files"):
                soft, hard = (int(v) if v.isdigit() else 1 << 30 for v in line.split()[3:5])
                return soft, hard
    return 1 << 30, 1 << 30


if __name__ == "__main__":
    sys.exit(main())
