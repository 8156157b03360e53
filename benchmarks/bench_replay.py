"""Replay overhead: a capture of about 1,000 frames replayed (causal pacing) against the same
conversation driven directly by the suites' client, on the embedded reference server.

    python benchmarks/bench_replay.py [--runs 80] [--pings 200] [--repeat 5]

The conversation: `--runs` agent runs ("What is 2+3?", one calculator call, 7 server
frames each, each awaited before the next) and `--pings` pings, on one connection.
It is recorded once through the recording proxy; then, alternately, driven directly
and replayed from the capture. Prints the median wall times and their ratio
(target: replay at most 1.5 times direct). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from harness.reference import ReferenceServer, ServerConfig, mint_token
from harness.replay.capture import CaptureHeader, CaptureWriter, load_capture
from harness.replay.player import Player
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.profile import load_profile
from harness.wire.tokens import synthetic_user_id
from harness.wire.transcript import Transcript

SECRET = "bench-replay-secret-2d6f8a0c-long-enough"


async def drive_directly(url: str, runs: int, pings: int) -> float:
    """The conversation through the suites' client; seconds."""
    user = synthetic_user_id("bench")
    started = time.perf_counter()
    client = await open_client(url, User(user, mint_token(SECRET, user)), Transcript())
    for _ in range(pings):
        await client.request("ping")
    for _ in range(runs):
        ack = await client.request("user_message", {"content": "What is 2+3?"})
        await client.collect_run(ack.get("run_id"))
    await client.close()
    return time.perf_counter() - started


async def record(server: ReferenceServer, out: Path, runs: int, pings: int) -> int:
    """Record the same conversation through the proxy; the capture's frame count."""
    from harness.replay.proxy import RecordingProxy

    writer = CaptureWriter(out, CaptureHeader("chat-agent/1", "bench", {"kind": "proxy"}))
    proxy = RecordingProxy(server.ws_url, writer)
    port = await proxy.start("127.0.0.1", 0)
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'u-bench')}"}
    async with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=headers) as ws:
        await ws.recv()
        for i in range(pings):
            await ws.send(json.dumps({"type": "ping", "message_id": f"p-{i}"}))
            await ws.recv()
        for i in range(runs):
            await ws.send(
                json.dumps(
                    {
                        "type": "user_message",
                        "message_id": f"m-{i}",
                        "payload": {"content": "What is 2+3?"},
                    }
                )
            )
            while json.loads(await ws.recv())["type"] != "agent_completed":
                pass
    await proxy.stop()
    writer.close()
    capture = load_capture(out)
    return sum(1 for e in capture.events if e.kind in ("text", "binary"))


async def replay(url: str, capture_path: Path) -> float:
    """The capture replayed with causal pacing; seconds (judging included)."""

    def new_user() -> tuple[str, str]:
        user = synthetic_user_id("bench")
        return user, mint_token(SECRET, user)

    capture = load_capture(capture_path)
    started = time.perf_counter()
    result = await Player(capture, url, load_profile("chat-agent/1"), new_user).run()
    elapsed = time.perf_counter() - started
    if result.first_mismatch is not None:
        raise SystemExit(f"the replay diverged: {result.first_mismatch.describe()}")
    return elapsed


async def main_async(args: argparse.Namespace) -> None:
    server = ReferenceServer(ServerConfig(jwt_secret=SECRET))
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "conversation.jsonl"
            frames = await record(server, path, args.runs, args.pings)
            direct, replayed = [], []
            for _ in range(args.repeat):
                direct.append(await drive_directly(server.ws_url, args.runs, args.pings))
                replayed.append(await replay(server.ws_url, path))
    finally:
        await server.stop()
    d, r = statistics.median(direct), statistics.median(replayed)
    print(f"capture: {frames} frames ({args.runs} runs, {args.pings} pings), {args.repeat} repeats")
    print("| driven by | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    print(f"| the suites' client | {d:.3f} | {min(direct):.3f} | {max(direct):.3f} |")
    print(f"| replay (causal) | {r:.3f} | {min(replayed):.3f} | {max(replayed):.3f} |")
    print(f"ratio replay / direct: {r / d:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=80)
    parser.add_argument("--pings", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
