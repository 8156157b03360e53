"""`stability-harness capture from-har`: recorded sessions converted into captures."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.exit_codes import ExitCode

HELP = "convert recorded sessions into captures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The action from-har with its HAR file, --out and --profile."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    from_har = actions.add_parser("from-har", help="the WebSocket messages of a HAR file")
    from_har.add_argument("har", type=Path, metavar="FILE.har")
    from_har.add_argument("--out", type=Path, required=True, metavar="FILE", help="the capture")
    from_har.add_argument(
        "--profile", default="chat-agent/1", metavar="NAME|FILE", help="the dialect it speaks"
    )


def run(args: argparse.Namespace) -> int:
    """Convert the HAR file (the only action) and say how many connections it held."""
    from harness.replay.har import har_to_capture

    count = har_to_capture(args.har, args.out, profile=args.profile)
    print(f"wrote {args.out}: {count} connection(s)")
    return ExitCode.OK
