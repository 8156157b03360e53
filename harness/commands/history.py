"""`stability-harness history`: the recent runs of the run history."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "list the recent runs of the run history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--target, --limit, --history and --format."""
    from harness.history.store import DEFAULT_PATH

    parser.add_argument("--target", metavar="URL|embedded", help="only runs of this target")
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N", help="at most N runs (default: 20)"
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"the run history (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--format", choices=("plain", "json"), default="plain", help="output format (plain)"
    )


def run(args: argparse.Namespace) -> int:
    """List the runs."""
    from harness.history.listing import history_main

    return history_main(args.history, target=args.target, limit=args.limit, fmt=args.format)
