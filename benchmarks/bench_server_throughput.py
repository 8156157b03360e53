"""The reference server's own throughput in agent runs per second, and the CPU split.

    python benchmarks/bench_server_throughput.py [--clients 10 50 200] [--duration 15] [--quick]

One reference server in its own process on 127.0.0.1 (no rate limit; agent delays
`--think-ms` and `--tool-ms`, 5 ms each by default as in the gate). Per concurrency
level, that many clients of the suites' client (`open_client`, one user each), each
starting runs one after the other: `start_agent` "What is 2+3?" (one calculator call:
the ack and six agent events), its ack, then every event up to `agent_completed`.
After a one-second warm-up, for `--duration` seconds it counts the runs completed,
their durations, and the CPU seconds of the client process (this one: the harness's
side) and of the server process. Prints runs per second, run time p50/p95, the CPU
milliseconds per run on each side and each process's share of a core: the side near
1.0 (one core: both are single event loops) is the limit; "others' cores" is what
every other process of the machine used meanwhile (a shared machine). Not a test:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.wire import protocol as P
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript

SECRET = "bench-throughput-secret-4e7a0b9d-long-enough"
WARM_UP_S = 1.0


@dataclass
class Window:
    """What one concurrency level measured."""

    clients: int
    runs: int = 0
    errors: int = 0
    durations_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_cpu_s: float = 0.0  # every process's, the two above included


def machine_cpu() -> float:
    """CPU seconds the whole machine spent busy (every core), from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid`, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, server_pid: int, clients: int, duration: float) -> Window:
    """Run `clients` clients doing runs back to back; count what completes in the window."""
    window = Window(clients)
    profile = load_profile("chat-agent/1")
    stop = asyncio.Event()
    counting = False

    async def one(index: int) -> None:
        nonlocal counting
        name = f"u-throughput-{clients}-{index}"
        client = await open_client(
            url, User(name, mint_token(SECRET, name)), Transcript(), profile=profile, within=30.0
        )
        try:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    ack = await client.request(P.START_AGENT, {"user_request": "What is 2+3?"})
                    events = await client.collect_run(ack.get("run_id"), within=30.0)
                except Exception:  # counted; the client goes on with its next run
                    if counting:
                        window.errors += 1
                    continue
                if counting and not stop.is_set():
                    if events[-1].get("type") == P.AGENT_COMPLETED:
                        window.runs += 1
                        window.durations_ms.append((time.perf_counter() - started) * 1e3)
                    else:
                        window.errors += 1
        finally:
            await client.close()

    tasks = [asyncio.create_task(one(i)) for i in range(clients)]
    await asyncio.sleep(WARM_UP_S)
    counting = True
    wall, cpu, server_cpu = time.perf_counter(), time.process_time(), process_cpu(server_pid)
    machine = machine_cpu()
    await asyncio.sleep(duration)
    stop.set()
    window.wall_s = time.perf_counter() - wall
    window.client_cpu_s = time.process_time() - cpu
    window.server_cpu_s = process_cpu(server_pid) - server_cpu
    window.machine_cpu_s = machine_cpu() - machine
    async with asyncio.timeout(60.0):
        await asyncio.gather(*tasks)
    return window


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per level")
    parser.add_argument("--think-ms", type=float, default=5.0)
    parser.add_argument("--tool-ms", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="10 and 50 clients, 3 s each")
    args = parser.parse_args()
    levels, duration = ([10, 50], 3.0) if args.quick else (args.clients, args.duration)
    print(
        f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {duration:g} s per level, "
        f"think {args.think_ms:g} ms, tool {args.tool_ms:g} ms"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(
        "| clients | runs | runs/s | errors | run p50 ms | run p95 ms | server CPU ms/run "
        "| client CPU ms/run | server core share | client core share | others' cores |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    config = ServerConfig(
        jwt_secret=SECRET, rate_limit=0, think_ms=args.think_ms, tool_ms=args.tool_ms
    )
    with start_subprocess(config, within=15.0) as server:
        for clients in levels:
            w = asyncio.run(measure(server.ws_url, server.pid, clients, duration))
            runs = max(w.runs, 1)
            p95 = statistics.quantiles(w.durations_ms, n=20)[-1] if len(w.durations_ms) > 1 else 0
            p50 = statistics.median(w.durations_ms) if w.durations_ms else 0
            print(
                f"| {clients} | {w.runs} | {w.runs / w.wall_s:.1f} | {w.errors} | {p50:.1f} "
                f"| {p95:.1f} | {w.server_cpu_s / runs * 1e3:.2f} "
                f"| {w.client_cpu_s / runs * 1e3:.2f} | {w.server_cpu_s / w.wall_s:.2f} "
                f"| {w.client_cpu_s / w.wall_s:.2f} "
                f"| {(w.machine_cpu_s - w.server_cpu_s - w.client_cpu_s) / w.wall_s:.2f} |",
                flush=True,
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
