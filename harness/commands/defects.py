"""`stability-harness defects`: the reference server's defect catalogue."""

from __future__ import annotations

import argparse

HELP = "list the reference server's defect catalogue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--profile: say which defects apply to a dialect."""
    parser.add_argument(
        "--profile", metavar="NAME|FILE", help="say which defects apply to a dialect"
    )


def run(args: argparse.Namespace) -> int:
    """List the defects."""
    from harness.run.inventory import defects_main

    return defects_main(args.profile)
