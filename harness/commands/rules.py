"""`stability-harness rules`: the rule catalogue, every rule the suites verify."""

from __future__ import annotations

import argparse

HELP = "list the rule catalogue (every rule the suites verify)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--format and --tests."""
    parser.add_argument(
        "--format", choices=("plain", "json"), default="plain", help="output format (plain)"
    )
    parser.add_argument(
        "--tests", action="store_true", help="also count (plain) or list (json) each rule's tests"
    )


def run(args: argparse.Namespace) -> int:
    """List the rules."""
    from harness.run.inventory import rules_main

    return rules_main(args.format, with_tests=args.tests)
