"""What `run` and `replay` share: the options that say what to verify and where the
reports go, and how the run they describe starts."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.run.options import RunOptions


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `run` and `replay` that say what to verify and where the reports go."""
    parser.add_argument(
        "--target",
        default="embedded",
        metavar="URL|embedded",
        help="ws:// URL of the server to verify (default: embedded reference server)",
    )
    parser.add_argument(
        "--defect",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a reference-server defect (repeatable; embedded only)",
    )
    parser.add_argument(
        "--liberal",
        type=_liberal_seed,
        default=None,
        metavar="SEED",
        help="the embedded server takes every freedom the protocol leaves open, chosen per "
        "connection by SEED (a test that fails against it is a harness defect)",
    )
    parser.add_argument(
        "-n",
        "--workers",
        default="auto",
        metavar="N|auto",
        help="pytest-xdist workers for the suite phase (default: auto, two per CPU, more "
        "for a target whose agent runs are slow)",
    )
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy TOML file")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: reports/<run-id>/)"
    )
    parser.add_argument(
        "--jwt-secret",
        metavar="SECRET",
        help="HS256 secret to mint tokens for synthetic users (remote target); "
        "or set STABILITY_HARNESS_JWT_SECRET, which keeps it off the command line",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME|FILE",
        help="the target's dialect: a built-in profile (chat-agent/1, netra-2025-09) or a file",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="USER=JWT",
        help="a ready-made token for a remote target (repeatable)",
    )
    parser.add_argument("--reruns", type=int, metavar="N", help="rerun failed tests up to N times")
    parser.add_argument(
        "--max-duration",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop the run after this long (default: 900); the verdict is INCOMPLETE",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the verdict line")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=VALUE",
        help="inject a fault between the harness and the target (repeatable): latency=MS, "
        "jitter=MS, bandwidth=BYTES_PER_S, cut=BYTES, reset=BYTES, blackhole=1, slow-close=MS",
    )


def target_options(args: argparse.Namespace) -> RunOptions:
    """The run options that `add_target_arguments` parsed (the others: RunOptions's defaults)."""
    from harness.run.options import RunOptions
    from harness.wire.tokens import SECRET_ENV

    return RunOptions(
        target=args.target,
        defects=tuple(args.defect),
        liberal=args.liberal,
        workers=str(args.workers),
        policy=args.policy,
        out=args.out,
        jwt_secret=args.jwt_secret or os.environ.get(SECRET_ENV) or None,
        tokens=tuple(args.token),
        reruns=args.reruns,
        max_duration=args.max_duration,
        quiet=args.quiet,
        faults=tuple(args.fault),
        profile=args.profile,
    )


def start(options: RunOptions) -> int:
    """Run `options` on the console; the verdict's exit code."""
    from rich.console import Console

    from harness import startup
    from harness.run.runner import execute

    startup.over()
    return execute(options, Console(highlight=False, width=None if sys.stdout.isatty() else 120))


def _liberal_seed(text: str) -> int:
    from harness.reference.serve import liberal_seed

    return liberal_seed(text)
