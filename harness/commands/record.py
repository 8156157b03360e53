"""`stability-harness record`: a session recorded through a transparent WebSocket proxy."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "record a session through a transparent WebSocket proxy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--listen, --upstream, --out, --profile and --volatile."""
    parser.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="where clients connect"
    )
    parser.add_argument("--upstream", required=True, metavar="URL", help="the server to forward to")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="the capture")
    parser.add_argument(
        "--profile", default="chat-agent/1", metavar="NAME|FILE", help="the dialect it speaks"
    )
    parser.add_argument(
        "--volatile",
        action="append",
        default=[],
        metavar="FIELD",
        help="a field that differs on every run, besides the protocol's (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    """Record until SIGINT or SIGTERM."""
    import asyncio

    from harness.replay.proxy import record

    return asyncio.run(
        record(args.listen, args.upstream, args.out, args.profile, volatile=tuple(args.volatile))
    )
