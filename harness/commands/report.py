"""`stability-harness report`: the reports of a verdict.json re-rendered, or a run that never
finished judged from its results (`--from DIR`)."""

from __future__ import annotations

import argparse

HELP = "re-render the reports of a verdict.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """VERDICT_JSON or --from DIR, --format and --out."""
    from harness.report.command import add_arguments as add_report_arguments

    add_report_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Write the reports (0, or 4 for a bad file); with --from, the rebuilt verdict's code."""
    from harness.report.command import main

    return main(args)
