"""The suites' client's ping round trip against a bare `websockets` client, same server, same run.

    python benchmarks/bench_client_rtt.py [--pings 2000] [--rounds 8] [--quick]

For each dialect (`chat-agent/1`, whose codec is the identity, and `netra-2025-09`,
whose codec rewrites every frame), one reference server in its own process (no rate
limit); then, alternately, a round of `--pings` sequential pings through
`harness.wire.client` (`open_client(..., profile=...)`, `Client.request("ping")`: the
transcript, the reply bookkeeping and the codec included) and a round of the same
pings through a bare `websockets` client that sends the JSON text and parses each
reply. Prints the median microseconds per round trip (wall) and the client process's
CPU microseconds per round trip, and their ratios (target: at most 1.3 on wall).
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import connect

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript

SECRET = "bench-client-rtt-secret-5b1e9c2a-long-enough"
DIALECTS = ("chat-agent/1", "netra-2025-09")


async def harness_round(url: str, profile_name: str, pings: int) -> tuple[float, float]:
    """Wall and CPU seconds of `pings` pings through the suites' client (open excluded)."""
    user = User("u-rtt-harness", mint_token(SECRET, "u-rtt-harness"))
    client = await open_client(url, user, Transcript(), profile=load_profile(profile_name))
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(pings):
        await client.request("ping")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.close()
    return wall, cpu


async def bare_round(url: str, profile_name: str, pings: int) -> tuple[float, float]:
    """Wall and CPU seconds of the same pings through a bare websockets client."""
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'u-rtt-bare')}"}
    async with connect(url, additional_headers=headers, ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), 5.0)  # the welcome
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(pings):
            await ws.send(json.dumps({"type": "ping", "message_id": f"p-{i}", "payload": {}}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5.0))
            if reply.get("type") != "pong":
                raise RuntimeError(f"expected a pong, got {reply!r}")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu


Round = Callable[[str, str, int], Awaitable[tuple[float, float]]]


async def measure(url: str, profile_name: str, pings: int, rounds: int) -> dict[str, list[float]]:
    """Per-round wall and CPU microseconds per ping of both clients, rounds alternated."""
    clients: dict[str, Round] = {"harness": harness_round, "bare": bare_round}
    samples: dict[str, list[float]] = {f"{k} {m}": [] for k in clients for m in ("wall", "cpu")}
    await bare_round(url, profile_name, 200)  # warm both paths (imports, first connections)
    await harness_round(url, profile_name, 200)
    for i in range(rounds):
        order = list(clients) if i % 2 == 0 else list(reversed(clients))
        for name in order:
            wall, cpu = await clients[name](url, profile_name, pings)
            samples[f"{name} wall"].append(wall / pings * 1e6)
            samples[f"{name} cpu"].append(cpu / pings * 1e6)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=2000, help="pings per round")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of each client")
    parser.add_argument("--quick", action="store_true", help="300 pings, 2 rounds")
    args = parser.parse_args()
    pings, rounds = (300, 2) if args.quick else (args.pings, args.rounds)
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, {pings} pings x {rounds}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| dialect | client | median us/ping (wall) | min | max | median CPU us/ping (client) |")
    print("|---|---|---:|---:|---:|---:|")
    ratios: list[str] = []
    for name in DIALECTS:
        config = ServerConfig(jwt_secret=SECRET, rate_limit=0, profile=name)
        with start_subprocess(config, within=15.0) as server:
            samples = asyncio.run(measure(server.ws_url, name, pings, rounds))
        for client in ("harness", "bare"):
            wall = samples[f"{client} wall"]
            cpu = samples[f"{client} cpu"]
            print(
                f"| {name} | {client} | {statistics.median(wall):.1f} | {min(wall):.1f} | "
                f"{max(wall):.1f} | {statistics.median(cpu):.1f} |",
                flush=True,
            )
        # Each round of one client beside the other's round of the same pair: the ratio of
        # two rounds measured seconds apart, under the same load, is steadier than the medians.
        paired = [h / b for h, b in zip(samples["harness wall"], samples["bare wall"], strict=True)]
        wall_ratio = statistics.median(samples["harness wall"]) / statistics.median(
            samples["bare wall"]
        )
        cpu_ratio = statistics.median(samples["harness cpu"]) / statistics.median(
            samples["bare cpu"]
        )
        ratios.append(
            f"{name}: harness / bare = {wall_ratio:.2f} (wall, medians), "
            f"{statistics.median(paired):.2f} (wall, median of {len(paired)} paired rounds, "
            f"{min(paired):.2f} to {max(paired):.2f}), {cpu_ratio:.2f} (client CPU)"
        )
    print()
    print("\n".join(ratios))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
