"""`stability-harness merge`: the output folders of `run --shard I/N` judged as one run."""

from __future__ import annotations

import argparse

HELP = "judge the output folders of `run --shard I/N` as one run: one verdict, one report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The shard folders, --out, --policy, the history's options and --quiet."""
    from harness.run.merge import add_arguments as add_merge_arguments

    add_merge_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Merge, judge and report; the merged verdict's exit code."""
    from harness.run.merge import merge_main

    return merge_main(args)
