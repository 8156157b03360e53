"""The suites' client's cost per streamed delta against a bare `websockets` client reading
the same stream, same server, same run.

    python benchmarks/bench_client_deltas.py [--turns 200] [--rounds 6]

One `openai-realtime` reference server in its own process (think_ms 0: its responses
stream as fast as it writes them, 3 to 40 text deltas each and some function-call
argument deltas). Then, alternately, a round of `--turns` turns on one connection asked
for and read through the harness (`TurnDriver.take`: the client's transcript, the
codec, the TurnReader's part matching and timing of every frame included), and a round of
the same turns through a bare `websockets` client that sends the two request frames and
parses every frame with `json.loads` until `response.done`. For each round: the client
process's CPU microseconds per delta frame (text and argument deltas counted from what
each client received) and the wall time; prints the medians and their ratio (target: at
most 1.3 on CPU per delta). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

from websockets.asyncio.client import connect

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.transcript import Transcript
from harness.wire.turn_driver import TurnDriver
from harness.wire.turn_shape import shape_of

SECRET = "bench-client-deltas-secret-3f9a7c1e-long-enough"
PROFILE = "openai-realtime"
CONTENT = "Search for the tide times in Brest and tell me about the harbour"
DELTAS = ("response.output_text.delta", "response.function_call_arguments.delta")


async def harness_round(url: str, turns: int) -> tuple[float, float, int]:
    """CPU and wall seconds of `turns` turns through the harness, and the deltas read."""
    user = User("u-deltas-harness", mint_token(SECRET, "u-deltas-harness"))
    profile = load_profile(PROFILE)
    client = await open_client(url, user, Transcript(), profile=profile)
    driver = TurnDriver(client, shape_of(profile))
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(turns):
        await driver.take(CONTENT)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    deltas = sum(1 for f in client.frames if f.get("type") in DELTAS)
    await client.close()
    return cpu, wall, deltas


async def bare_round(url: str, turns: int) -> tuple[float, float, int]:
    """The same turns through a bare websockets client."""
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'u-deltas-bare')}"}
    deltas = 0
    async with connect(url, additional_headers=headers, ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), 5.0)  # session.created
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(turns):
            item = {"type": "message", "role": "user"}
            item["content"] = [{"type": "input_text", "text": CONTENT}]
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            await ws.send(json.dumps({"type": "response.create", "event_id": uuid.uuid4().hex}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5.0))
                kind = frame.get("type")
                if kind in DELTAS:
                    deltas += 1
                elif kind == "response.done":
                    break
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return cpu, wall, deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    config = ServerConfig(jwt_secret=SECRET, profile=PROFILE, think_ms=0.0, tool_ms=0.0)
    results: dict[str, list[tuple[float, float, int]]] = {"harness": [], "bare": []}
    with start_subprocess(config) as server:
        url = server.ws_url
        asyncio.run(bare_round(url, 5))  # warm both paths once
        asyncio.run(harness_round(url, 5))
        for _ in range(args.rounds):
            results["harness"].append(asyncio.run(harness_round(url, args.turns)))
            results["bare"].append(asyncio.run(bare_round(url, args.turns)))
    print("| client | CPU us per delta (median) | wall ms per turn (median) | deltas per turn |")
    print("|---|---:|---:|---:|")
    medians = {}
    for name, rounds in results.items():
        per_delta = statistics.median(cpu / deltas * 1e6 for cpu, _, deltas in rounds)
        per_turn = statistics.median(wall / args.turns * 1e3 for _, wall, _ in rounds)
        mean_deltas = statistics.mean(deltas / args.turns for _, _, deltas in rounds)
        medians[name] = per_delta
        print(f"| {name} | {per_delta:.1f} | {per_turn:.2f} | {mean_deltas:.1f} |")
    print(f"\nharness / bare, CPU per delta: {medians['harness'] / medians['bare']:.2f}")


if __name__ == "__main__":
    main()
