"""`stability-harness suites`: the installed suites with their planned test counts."""

from __future__ import annotations

import argparse

HELP = "list installed suites with their planned test counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    """List the suites; exit 4 when one is broken."""
    from harness.run.inventory import suites_main

    return suites_main()
