"""`stability-harness run`: verify a target and write a report (the main job)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from harness.commands._run_options import add_target_arguments, start, target_options

HELP = "verify a target and write a report (the main job)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The target options, --suite, the history's, --converter, the load phase's, --shard."""
    from harness.history.run_history import add_arguments as add_history_arguments

    add_target_arguments(parser)
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this suite (repeatable; default: all installed)",
    )
    parser.add_argument(
        "--scenarios",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of scenario files (docs/SCENARIOS.md) the scenarios suite plays "
        "(repeatable; also the policy's [scenarios] folders); without one it is left out",
    )
    serve = parser.add_argument_group(
        "a target the harness starts (defaults from the policy's [serve])"
    )
    serve.add_argument(
        "--serve",
        metavar="CMD",
        help="start the server under test with this shell command ({port}: a free port the "
        "harness picks, also in --target and --ready-url), verify it, stop it with SIGTERM",
    )
    serve.add_argument(
        "--ready-url",
        metavar="URL",
        help="ready when this http:// URL answers (default: when the port accepts a connection)",
    )
    serve.add_argument(
        "--ready-line", metavar="REGEX", help="ready when a line of its output matches REGEX"
    )
    serve.add_argument(
        "--serve-timeout",
        type=float,
        metavar="SECONDS",
        help="how long it may take to be ready (default 30)",
    )
    add_history_arguments(parser, "this run")
    parser.add_argument(
        "--converter", metavar="MODULE:FUNCTION", help="a timestamp converter to verify in-process"
    )
    load = parser.add_argument_group("load phase (suite load; defaults from the policy's [load])")
    load.add_argument("--users", type=int, metavar="N", help="concurrent users (default 200)")
    load.add_argument(
        "--conversations", type=int, metavar="M", help="agent runs each user holds (default 2)"
    )
    load.add_argument(
        "--ramp", type=float, metavar="SECONDS", help="connect the users over this long (2)"
    )
    load.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        help="keep the users conversing this long, reporting the drift per window (added to "
        "--max-duration)",
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="run only shard I of N of the planned tests (merge the shards with `merge`)",
    )
    parser.add_argument(
        "--shard-durations",
        type=Path,
        metavar="FILE",
        help="balance the shards by these durations: {test id: seconds} or a verdict.json "
        "(default: the history's recorded durations; none: by count)",
    )


def run(args: argparse.Namespace) -> int:
    """Verify the target; the verdict's exit code."""
    from harness.history.run_history import AUTO

    auto = str(args.baseline) == AUTO
    options = dataclasses.replace(
        target_options(args),
        suites=tuple(args.suite),
        scenarios=tuple(args.scenarios),
        baseline=None if auto else args.baseline,
        baseline_auto=auto,
        history=None if args.no_history else args.history,
        converter=args.converter,
        users=args.users,
        conversations=args.conversations,
        ramp=args.ramp,
        soak=args.soak,
        shard=args.shard,
        shard_durations=args.shard_durations,
        serve=args.serve,
        ready_url=args.ready_url,
        ready_line=args.ready_line,
        serve_timeout=args.serve_timeout,
    )
    return start(options)
