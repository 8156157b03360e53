"""The load phase over turns against the load phase over chat-agent/1's agent runs.

    python benchmarks/load_over_turns.py [--users 200] [--conversations 2] [--ramp 2]
        [--rounds 3] [--harness-args "-n 0"]

Two reference servers in their own processes, one per dialect (chat-agent/1, and
openai-realtime with its llm-like agent), and against each, alternately for `--rounds`
rounds, the harness's load phase with the same shape: `stability-harness run --target
URL --profile P --suite load --users U --conversations C --ramp R`. Against
chat-agent/1 the crowd runs agent runs (user_message, ack, agent events); against
openai-realtime it asks for turns in that dialect through the turn driver
(docs/TURNS.md, "Load over turns"). For each: completed turns per CPU-second of the
harness's process tree (the servers are children not reaped until the end, so they are
not counted), the p95 to the first frame of a turn, and the wall time of the run and of
its load phase. Prints each round and the medians. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from locust_vs_load import SECRET, Round, Shape, harness_round

from harness.reference import ServerConfig, start_subprocess

DIALECTS = ("chat-agent/1", "openai-realtime")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=2)
    parser.add_argument("--ramp", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--harness-args", default="-n 0")
    args = parser.parse_args()
    shape = Shape(args.users, args.conversations, args.ramp)
    extra = shlex.split(args.harness_args)
    print(f"python {sys.version.split()[0]}; {shape.users} users x {shape.conversations}")
    rounds: dict[str, list[Round]] = {dialect: [] for dialect in DIALECTS}
    configs = [ServerConfig(jwt_secret=SECRET, rate_limit=0, profile=d) for d in DIALECTS]
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_subprocess(configs[0], within=15.0) as chat,
        start_subprocess(configs[1], within=15.0) as realtime,
    ):
        servers = dict(zip(DIALECTS, (chat, realtime), strict=True))
        for n in range(args.rounds):
            for dialect, server in servers.items():
                folder = Path(tmp) / f"{dialect.replace('/', '-')}-{n}"
                folder.mkdir()
                found = harness_round(server.ws_url, shape, folder, [*extra, "--profile", dialect])
                rounds[dialect].append(found)
                print(
                    f"round {n + 1} {dialect}: {found.turns} turns ({found.failed} failed), "
                    f"CPU {found.cpu_s:.2f} s, {found.turns_per_cpu_s:.0f} turns/CPU-s, "
                    f"p95 first frame {found.first_delta_p95_ms} ms, wall {found.wall_s:.1f} s, "
                    f"load phase {found.phase_wall_s} s"
                )
    for dialect, found in rounds.items():
        rate = statistics.median(r.turns_per_cpu_s for r in found)
        cpu = statistics.median(r.cpu_s for r in found)
        wall = statistics.median(r.wall_s for r in found)
        print(f"median {dialect}: {rate:.0f} turns/CPU-s, CPU {cpu:.2f} s, wall {wall:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
