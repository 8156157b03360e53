"""The profile codec's cost per frame, and the default gate's wall time per dialect.

    python benchmarks/bench_codec.py [--frames 200000] [--gates 3]

Part 1 decodes and encodes typical frames with the netra-2025-09 codec (the canonical
profile's codec is the identity and costs one check) and prints microseconds per frame
(CPU time). Part 2 runs the default gate with `--profile chat-agent/1` and
`--profile netra-2025-09` against the embedded target, alternately, `--gates` times
each, and prints the median wall times and their ratio (target: at most 1.1).
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.wire.codec import Codec
from harness.wire.profile import load_profile

EVENT = {
    "type": "tool_completed",
    "run_id": "r-1",
    "thread_id": "t-1",
    "user_id": "u-1",
    "agent_name": "scripted-agent",
    "timestamp": "2025-09-08T16:50:01.447585+00:00",
    "payload": {
        "tool_name": "calculator",
        "result": 5,
        "execution_time_ms": 0.4,
        "status": "completed",
    },
}
ACK = {
    "type": "ack",
    "data": {
        "received_type": "user_message",
        "status": "acknowledged",
        "run_id": "r-1",
        "thread_id": "t-1",
        "client_timestamp": "2025-09-08T16:50:01.447585+00:00",
    },
    "timestamp": 1757350201.5,
}
PING = {"type": "ping", "message_id": "m-1", "payload": {}}


def per_frame(fn: object, frame: dict[str, object], count: int) -> float:
    """CPU microseconds per call of fn(frame)."""
    call = fn  # type: ignore[assignment]
    started = time.process_time()
    for _ in range(count):
        call(frame)  # type: ignore[operator]
    return (time.process_time() - started) / count * 1e6


def gate(profile: str, out: Path) -> tuple[float, str]:
    """Wall seconds and verdict line of one default gate with `profile`."""
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "--profile",
            profile,
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, proc.stdout.strip().split(":")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--gates", type=int, default=3)
    args = parser.parse_args()
    netra = Codec(load_profile("netra-2025-09"))
    canonical = Codec(load_profile("chat-agent/1"))
    print("| codec | operation | frame | us per frame (CPU) |")
    print("|---|---|---|---:|")
    rows = [
        ("netra-2025-09", "decode", "tool_completed", netra.decode, EVENT),
        ("netra-2025-09", "decode", "ack", netra.decode, ACK),
        ("netra-2025-09", "encode", "ping", netra.encode, PING),
        ("chat-agent/1", "decode", "tool_completed (identity)", canonical.decode, EVENT),
        (
            "json",
            "loads+dumps",
            "tool_completed (for scale)",
            lambda f: json.loads(json.dumps(f)),
            EVENT,
        ),
    ]
    for name, op, what, fn, frame in rows:
        print(f"| {name} | {op} | {what} | {per_frame(fn, frame, args.frames):.2f} |", flush=True)
    if args.gates <= 0:
        return 0
    times: dict[str, list[float]] = {"chat-agent/1": [], "netra-2025-09": []}
    verdicts: dict[str, set[str]] = {k: set() for k in times}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.gates):
            for profile in times:
                seconds, line = gate(profile, Path(tmp) / f"{i}-{profile.replace('/', '_')}")
                times[profile].append(seconds)
                verdicts[profile].add(line)
    print()
    print("| profile | median s | min s | max s | verdicts |")
    print("|---|---:|---:|---:|---|")
    for profile, values in times.items():
        print(
            f"| {profile} | {statistics.median(values):.2f} | {min(values):.2f} | "
            f"{max(values):.2f} | {', '.join(sorted(verdicts[profile]))} |"
        )
    ratio = statistics.median(times["netra-2025-09"]) / statistics.median(times["chat-agent/1"])
    print(f"ratio netra-2025-09 / chat-agent/1: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
