"""The load phase against Locust: completed turns per CPU-second of the load generator.

    pip install "stability-harness[bench]"     # Locust and websocket-client
    python benchmarks/locust_vs_load.py [--users 100] [--conversations 50] [--ramp 2]
        [--rounds 3] [--fixed-cost] [--json FILE] [--harness-args "-n 0"] [--locust-args ARGS]

One reference server in its own process (127.0.0.1, port 0, a fixed secret, no rate
limit, the default 5 ms think and tool delays) and, against it, alternately for
`--rounds` rounds (A B A B ...):

- A, the harness's load phase as a user runs it: `stability-harness run --target URL
  --suite load --users U --conversations C --ramp R` (the secret in the environment).
  Completed turns and the time to the first delta come from its verdict.json (the
  load phase's per-conversation samples; p95 by the verdict's nearest rank).
- B, Locust headless: `locust -f benchmarks/locustfile_chat_agent.py --headless -u U
  -r U/R` with U x C turns over all users, each user one WebSocket; completed turns and
  the p95 from Locust's own statistics (its percentile method, written at its end).

For each side: the CPU seconds of the load generator's process tree only (user +
system of the finished child and its descendants, `getrusage(RUSAGE_CHILDREN)` around
it; the server is a child that is not reaped until the end, so it is not counted),
completed turns, turns per CPU-second, p95 to the first delta, and wall time. Prints
each round and a table of medians over the rounds with their range. Both tools run with
Python's bytecode caches written (PYTHONDONTWRITEBYTECODE left out), the harness compiled
first: as installed packages run. `--fixed-cost`
also runs each tool once with the same users but one turn each: its CPU is what the
run costs besides its further turns (start-up, connections, reports), and the table
adds the further turns per CPU-second beyond it (each tool's cost of one more turn). What a turn
is (its frames) is in benchmarks/chat_turn.py. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chat_turn import (
    FIRST_DELTA,
    HARNESS_CONNECT,
    HARNESS_FIRST_DELTA,
    HARNESS_OUTCOME,
    LOCUST_CONNECT,
    LOCUST_FIRST_DELTA,
    LOCUST_TURN,
    TURN_TERMINALS,
)

from harness.reference import ServerConfig, start_subprocess

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile_chat_agent.py"
SECRET = "bench-locust-vs-load-secret-6c1f2e8a-long-enough"
NEEDED = ("locust", "websocket")  # websocket: the websocket-client package
MISSING = (
    'locust_vs_load.py needs Locust and websocket-client: pip install "stability-harness[bench]"'
)
PHASE_TIME = re.compile(r" in ([0-9.]+)s")
# A round's deadline beyond what its turns should take (a run's fixed cost included).
SLACK_S = 120.0
STOP_WITHIN_S = 10.0


@dataclass(frozen=True, slots=True)
class Shape:
    """How many users, turns each, over which ramp."""

    users: int
    conversations: int
    ramp_s: float

    @property
    def turns(self) -> int:
        return self.users * self.conversations

    @property
    def deadline_s(self) -> float:
        """How long one round of either tool may take before it is stopped."""
        return self.ramp_s + SLACK_S + self.conversations * 1.0


@dataclass(frozen=True, slots=True)
class Round:
    """What one run of one tool measured."""

    tool: str
    connections: int  # opened, with their welcome
    turns: int  # completed: ended with the completed terminal
    failed: int
    cpu_s: float
    wall_s: float
    first_delta_p95_ms: float | None
    phase_wall_s: float | None = None  # the harness's load phase alone (its pytest log)

    @property
    def turns_per_cpu_s(self) -> float:
        return self.turns / self.cpu_s if self.cpu_s > 0 else 0.0


def installed_env() -> dict[str, str]:
    """The environment each tool runs in: this one, but Python writes bytecode caches, as an
    installed package runs (pip compiles a package's modules when it installs it; pytest
    keeps the suites' rewritten test modules beside them after their first run). With
    PYTHONDONTWRITEBYTECODE set, every round of the harness would compile its test modules
    again, which an installed harness does once."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_harness() -> None:
    """Compile the harness's and its suites' modules, as pip does when it installs them (an
    editable checkout is compiled by its first run otherwise, which one round would pay)."""
    import harness
    import suites

    for package in (harness, suites):
        compileall.compile_dir(Path(str(package.__file__)).parent, quiet=1)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished and reaped child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    command: Sequence[str], env: dict[str, str], within: float, log: Path
) -> tuple[float, float]:
    """Run `command` to its end (killed past `within` s); its CPU and wall seconds."""
    cpu, start = children_cpu(), time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_WITHIN_S)
            raise SystemExit(
                f"{command[2]} did not end within {within:g} s; its last line: {last_line(log)}"
            ) from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=STOP_WITHIN_S)
    return children_cpu() - cpu, time.perf_counter() - start


def last_line(log: Path) -> str:
    """The last non-empty line a tool printed (the folder is gone once the benchmark ends)."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(nothing)"


def read_json(path: Path, tool: str, log: Path) -> Any:
    """The JSON file a tool wrote; one line naming the tool and its last words if it wrote none."""
    if not path.exists():
        raise SystemExit(f"{tool} wrote no {path.name}; its last line: {last_line(log)}")
    return json.loads(path.read_text())


def harness_round(url: str, shape: Shape, folder: Path, extra: Sequence[str] = ()) -> Round:
    """The harness's load phase, as `stability-harness run --suite load` runs it."""
    out = folder / "harness"
    command = [
        sys.executable, "-m", "harness", "run", "--target", url, "--suite", "load",
        "--users", str(shape.users), "--conversations", str(shape.conversations),
        "--ramp", f"{shape.ramp_s:g}", "--quiet", "--no-history", "--out", str(out), *extra,
    ]  # fmt: skip
    env = {**installed_env(), "STABILITY_HARNESS_JWT_SECRET": SECRET}
    log = folder / "harness.log"
    cpu, wall = timed(command, env, shape.deadline_s, log)
    metrics = read_json(out / "verdict.json", "stability-harness run", log)["metrics"]
    outcomes = metrics.get(HARNESS_OUTCOME, {}).get("samples", [])
    first = metrics.get(HARNESS_FIRST_DELTA, {})
    # A run of load suites only runs its load tests in phase 1 (docs/CLI.md); a run with
    # other suites, in phase 3.
    logs = [out / "pytest-phase3.log", out / "pytest-phase1.log"]
    phase_log = next((log for log in logs if log.exists()), None)
    phase = PHASE_TIME.findall(phase_log.read_text()) if phase_log is not None else []
    return Round(
        "harness",
        connections=len(metrics.get(HARNESS_CONNECT, {}).get("samples", [])),
        turns=sum(1 for value in outcomes if value == 0),
        failed=sum(1 for value in outcomes if value != 0),
        cpu_s=cpu,
        wall_s=wall,
        first_delta_p95_ms=first.get("p95"),
        phase_wall_s=float(phase[-1]) if phase else None,
    )


def locust_round(url: str, shape: Shape, folder: Path, extra: Sequence[str] = ()) -> Round:
    """Locust headless with benchmarks/locustfile_chat_agent.py, U x C turns over all users."""
    stats = folder / "locust-stats.json"
    deadline = shape.deadline_s
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(shape.users), "-r", f"{shape.users / max(shape.ramp_s, 0.001):g}",
        "--run-time", f"{int(deadline - STOP_WITHIN_S)}s", "--stop-timeout", "5",
        "--host", url, "--only-summary", "--loglevel", "WARNING", *extra,
    ]  # fmt: skip
    env = {
        **installed_env(),
        "BENCH_JWT_SECRET": SECRET,
        "BENCH_TURNS": str(shape.turns),
        "BENCH_TURNS_PER_USER": str(shape.conversations),
        "BENCH_STATS_FILE": str(stats),
    }
    log = folder / "locust.log"
    cpu, wall = timed(command, env, deadline, log)
    figures: dict[str, dict[str, Any]] = read_json(stats, "locust", log)
    turn, first, connect = (figures[n] for n in (LOCUST_TURN, LOCUST_FIRST_DELTA, LOCUST_CONNECT))
    return Round(
        "locust",
        connections=connect["requests"] - connect["failures"],
        turns=turn["requests"] - turn["failures"],
        failed=turn["failures"],
        cpu_s=cpu,
        wall_s=wall,
        first_delta_p95_ms=first["p95_ms"] if first["requests"] else None,
    )


RUNNERS: dict[str, Callable[[str, Shape, Path, Sequence[str]], Round]] = {
    "harness": harness_round,
    "locust": locust_round,
}


def describe(measured: Round) -> str:
    """One round on one line."""
    p95 = measured.first_delta_p95_ms
    phase = measured.phase_wall_s
    return (
        f"{measured.connections} connections, {measured.turns} turns "
        f"({measured.failed} failed), CPU {measured.cpu_s:.2f} s, "
        f"{measured.turns_per_cpu_s:.0f} turns/CPU-s, p95 first delta "
        f"{'-' if p95 is None else f'{p95:.1f}'} ms, wall {measured.wall_s:.1f} s"
        + (f" (load phase {phase:g} s)" if phase is not None else "")
    )


def spread(values: Sequence[float | None], digits: int) -> str:
    """The median and, over several rounds, the range: `812 (790-840)`."""
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    median = f"{statistics.median(known):.{digits}f}"
    if len(known) == 1:
        return median
    return f"{median} ({min(known):.{digits}f}-{max(known):.{digits}f})"


def table(rounds: list[Round], fixed: dict[str, Round]) -> list[str]:
    """The Markdown table: per tool, medians over the rounds with their range."""
    head = (
        "| tool | connections | turns | failed | CPU s | turns / CPU-s "
        "| p95 to first delta, ms | wall s |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if fixed:
        head += " CPU s, 1 turn a user | further turns / CPU-s |"
        rule += "---:|---:|"
    lines = [head, rule]
    for tool in RUNNERS:
        mine = [r for r in rounds if r.tool == tool]
        cells = [
            tool,
            spread([r.connections for r in mine], 0),
            spread([r.turns for r in mine], 0),
            spread([r.failed for r in mine], 0),
            spread([r.cpu_s for r in mine], 2),
            spread([r.turns_per_cpu_s for r in mine], 0),
            spread([r.first_delta_p95_ms for r in mine], 1),
            spread([r.wall_s for r in mine], 1),
        ]
        if fixed:
            base, done = fixed[tool].cpu_s, fixed[tool].turns
            beyond = [(r.turns - done) / (r.cpu_s - base) for r in mine if r.cpu_s > base]
            cells += [f"{base:.2f}", spread(beyond, 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def ratio(rounds: list[Round]) -> float | None:
    """The harness's median turns per CPU-second over Locust's."""
    median = {
        tool: statistics.median([r.turns_per_cpu_s for r in rounds if r.tool == tool])
        for tool in RUNNERS
    }
    return median["harness"] / median["locust"] if median["locust"] else None


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent users (default 100)")
    parser.add_argument("--conversations", type=int, default=50, help="turns per user (default 50)")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds to connect every user")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds (default 3)")
    parser.add_argument(
        "--fixed-cost", action="store_true", help="also each tool's CPU for 1 turn a user"
    )
    parser.add_argument("--json", type=Path, help="write every round and the table here")
    parser.add_argument(
        "--harness-args",
        default="",
        metavar="ARGS",
        help='more options for `stability-harness run`, one string (e.g. "-n 0")',
    )
    parser.add_argument(
        "--locust-args", default="", metavar="ARGS", help="more options for `locust`, one string"
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.conversations < 1 or args.rounds < 1 or args.ramp < 0:
        parser.error("--users, --conversations and --rounds must be >= 1, --ramp >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if any(importlib.util.find_spec(name) is None for name in NEEDED):
        print(MISSING, file=sys.stderr)
        return 2
    shape = Shape(args.users, args.conversations, args.ramp)
    extra = {"harness": shlex.split(args.harness_args), "locust": shlex.split(args.locust_args)}
    print(
        f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}; {shape.users} users x "
        f"{shape.conversations} turns, ramp {shape.ramp_s:g} s, {args.rounds} rounds; "
        f"first delta: {FIRST_DELTA}, terminals: {', '.join(TURN_TERMINALS)}; "
        f"uvloop {'installed' if importlib.util.find_spec('uvloop') else 'not installed'}; "
        f"harness args {extra['harness'] or 'none'}, locust args {extra['locust'] or 'none'}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    compile_harness()
    rounds: list[Round] = []
    fixed: dict[str, Round] = {}
    config = ServerConfig(jwt_secret=SECRET, rate_limit=0)
    with tempfile.TemporaryDirectory() as tmp, start_subprocess(config, within=15.0) as server:
        for n in range(args.rounds):
            for tool, runner in RUNNERS.items():
                folder = Path(tmp) / f"{tool}-{n}"
                folder.mkdir()
                measured = runner(server.ws_url, shape, folder, extra[tool])
                rounds.append(measured)
                print(f"round {n + 1} {tool}: {describe(measured)}", flush=True)
        if args.fixed_cost:
            for tool, runner in RUNNERS.items():
                folder = Path(tmp) / f"{tool}-fixed"
                folder.mkdir()
                one = Shape(shape.users, 1, shape.ramp_s)
                fixed[tool] = runner(server.ws_url, one, folder, extra[tool])
                print(f"1 turn a user, {tool}: {describe(fixed[tool])}", flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lines = table(rounds, fixed)
    times = ratio(rounds)
    print()
    print("\n".join(lines))
    if times is not None:
        print(f"\nharness / Locust turns per CPU-second: {times:.2f} (target: at least 2)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "shape": asdict(shape),
                    "harness_args": extra["harness"],
                    "locust_args": extra["locust"],
                    "rounds": [{**asdict(r), "turns_per_cpu_s": r.turns_per_cpu_s} for r in rounds],
                    "one_turn_a_user": {tool: asdict(r) for tool, r in fixed.items()},
                    "ratio": times,
                    "table": lines,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
