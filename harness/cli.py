"""The `stability-harness` command: the table of commands, `main` and its exit codes.

Each command is a module of `harness.commands` (HELP, add_arguments, run). Only the
invoked command's arguments are added to the parser: building another command's
would import what that command needs (the reference server, the verdict engine, ...),
and every invocation would pay for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Final, Protocol

from harness import __version__, startup
from harness.commands import (
    capture,
    defects,
    diff,
    history,
    merge,
    profile,
    record,
    replay,
    report,
    rules,
    run,
    scenario,
    serve,
    suites,
)
from harness.errors import ConfigError, HarnessError
from harness.exit_codes import ExitCode


class Command(Protocol):
    """A command module of `harness.commands`."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's arguments to its parser."""

    def run(self, args: argparse.Namespace) -> int:
        """Run the command with its parsed arguments; the exit code."""


# The commands in the order `stability-harness --help` lists them.
COMMANDS: Final[Mapping[str, Command]] = {
    "run": run,
    "merge": merge,
    "replay": replay,
    "serve": serve,
    "suites": suites,
    "defects": defects,
    "rules": rules,
    "profile": profile,
    "record": record,
    "capture": capture,
    "report": report,
    "diff": diff,
    "history": history,
    "scenario": scenario,
}


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser: every command listed, the arguments of `commands` added."""
    parser = argparse.ArgumentParser(
        prog="stability-harness",
        description="Verify a chat/agent WebSocket server and decide go or no-go.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.HELP)
        if name in commands:
            command.add_arguments(command_parser)
    return parser


def invoked(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word that is not an option (the options before
    it, --help and --version, take no value); None when it names none of the table."""
    name = next((word for word in argv if not word.startswith("-")), None)
    return name if name in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (README.md, "Exit codes")."""
    words = sys.argv[1:] if argv is None else list(argv)
    name = invoked(words)
    if name == "run":
        startup.begin()  # over once the runner's modules are in (_run_options.start)
    try:
        return _main(name, words)
    finally:
        startup.over()  # a run that ended before its runner started, or main() in a test


def _main(name: str | None, words: list[str]) -> int:
    parser = build_parser(() if name is None else (name,))
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse: --help exits 0, a usage error exits 2
        return ExitCode.USAGE if exc.code not in (0, None) else ExitCode.OK
    try:
        return COMMANDS[args.command].run(args)
    except ConfigError as exc:
        print(f"stability-harness: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except HarnessError as exc:
        print(f"stability-harness: error: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        print("stability-harness: interrupted", file=sys.stderr)
        return ExitCode.INTERNAL
    except Exception as exc:  # the harness's own crash: exit 3, never a verdict
        print(f"stability-harness: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
