"""`stability-harness diff BASE NEW`: per-test transitions and metric changes between two runs."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = (
    "per-test transitions and metric changes between two runs (exit 1: a regression; "
    "4: not comparable)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """BASE, NEW, --history, --policy and --format."""
    from harness.history.store import DEFAULT_PATH

    parser.add_argument(
        "base", metavar="BASE", help="verdict.json, a run folder, or a history run id"
    )
    parser.add_argument(
        "new", metavar="NEW", help="verdict.json, a run folder, or a history run id"
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"where run ids are looked up (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="policy whose [baseline] alpha and min_effect judge",
    )
    parser.add_argument(
        "--format", choices=("plain", "md", "json"), default="plain", help="output format (plain)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the diff; 1 when a test regressed, 4 when the runs are not comparable."""
    from harness.history.diff import diff_main

    return diff_main(args.base, args.new, history=args.history, policy=args.policy, fmt=args.format)
