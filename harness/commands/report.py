"""`stability-harness report`: the reports of a verdict.json re-rendered, or a run that never
finished judged from its results (`--from DIR`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import ConfigError
from harness.exit_codes import ExitCode

HELP = "re-render the reports of a verdict.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """VERDICT_JSON or --from DIR, --format and --out."""
    from harness.report.command import add_arguments as add_report_arguments

    add_report_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """With --from alone, judge that run (the verdict's exit code); else re-render the
    reports of VERDICT_JSON (0, or 4 for a bad file or both or neither given)."""
    if args.from_dir is not None and args.verdict_json is None:
        return rebuild(args.from_dir)
    from harness.report.command import main

    return main(args)


def rebuild(out: Path) -> int:
    """Judge the run that never finished in `out` from its results.jsonl: its verdict.json
    and reports written, the verdict's exit code (4 when `out` holds no run)."""
    from rich.console import Console

    from harness.run.recovery import rebuild as rebuild_run

    try:
        return rebuild_run(out.resolve(), Console(highlight=False, width=120))
    except ConfigError as exc:
        print(f"stability-harness report: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
