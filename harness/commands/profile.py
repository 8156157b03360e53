"""`stability-harness profile show|check|asyncapi`: a built-in profile, a profile checked,
a dialect as an AsyncAPI document."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "show a built-in profile or check a profile file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The actions show, check and asyncapi, each with its own options."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a built-in profile")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--resolved", action="store_true", help="print it merged, as JSON")
    check = actions.add_parser("check", help="validate a profile; rules it can verify")
    check.add_argument("spec", metavar="FILE|NAME")
    asyncapi = actions.add_parser("asyncapi", help="write the dialect as an AsyncAPI 3.0 doc")
    asyncapi.add_argument("spec", metavar="NAME|FILE")
    asyncapi.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")


def run(args: argparse.Namespace) -> int:
    """Run the action."""
    from harness.run import inventory

    if args.action == "show":
        return inventory.profile_show_main(args.name, resolved=args.resolved)
    if args.action == "asyncapi":
        return inventory.profile_asyncapi_main(args.spec, args.out)
    return inventory.profile_check_main(args.spec)
