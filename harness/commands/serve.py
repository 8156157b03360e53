"""`stability-harness serve`: the reference server standalone (as `python -m harness.reference`)."""

from __future__ import annotations

import argparse

HELP = "run the reference server standalone"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m harness.reference`: --port, --host, --defect, ..."""
    from harness.reference.serve import add_arguments as add_serve_arguments

    add_serve_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM."""
    from harness.reference.serve import main

    return main(args)
