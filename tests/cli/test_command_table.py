"""The command line as a table of commands (harness/cli.py, harness/commands/): every
command has a module, a parser and a --help that exits 0; the exit codes of the README."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import harness.commands
from harness.cli import COMMANDS, main
from harness.exit_codes import ExitCode

# The commands of `stability-harness --help`, in its order (README.md, docs/).
NAMES = (
    "run",
    "merge",
    "replay",
    "serve",
    "suites",
    "defects",
    "rules",
    "profile",
    "record",
    "capture",
    "report",
    "diff",
    "history",
    "scenario",
)
# A command with actions: each action has a --help of its own.
ACTIONS = (
    ("profile", "show"),
    ("profile", "check"),
    ("profile", "asyncapi"),
    ("capture", "from-har"),
    ("scenario", "check"),
    ("scenario", "from-capture"),
)
HARNESS = Path(harness.commands.__file__).parent.parent


def cli(*words: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *words],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_table_holds_every_command_in_the_order_of_the_help() -> None:
    assert tuple(COMMANDS) == NAMES
    listed = cli("--help")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    start = lines.index("  COMMAND") + 1
    shown = [m.group(1) for line in lines[start:] if (m := re.match(r"    (\S+)", line))]
    assert shown[: len(NAMES)] == list(NAMES)


def test_every_command_is_a_module_of_harness_commands_and_every_module_a_command() -> None:
    modules = {m.name for m in pkgutil.iter_modules(harness.commands.__path__)}
    public = {name for name in modules if not name.startswith("_")}
    assert public == set(NAMES)
    for name, command in COMMANDS.items():
        assert command.__name__ == f"harness.commands.{name}"  # type: ignore[attr-defined]
        assert command.HELP
        assert callable(command.add_arguments)
        assert callable(command.run)


@pytest.mark.parametrize("words", [(name,) for name in NAMES] + list(ACTIONS), ids=" ".join)
def test_every_command_has_a_help_that_exits_0(words: tuple[str, ...]) -> None:
    done = cli(*words, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: stability-harness {' '.join(words)} ")
    assert done.stderr == ""


def test_the_history_default_is_the_one_documented() -> None:
    for name in ("diff", "history"):
        done = cli(name, "--help")
        assert "(default: reports/history.sqlite)" in " ".join(done.stdout.split())


def test_the_exit_codes_are_those_of_the_readme() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "NOT_APPROVED": 1,
        "INCOMPLETE": 2,
        "INTERNAL": 3,
        "USAGE": 4,
        "STOPPED_AT_ONCE": 130,
    }


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ((), 4),
        (("no-such-command",), 4),
        (("history", "--no-such-option"), 4),
        (("profile",), 4),
        (("--version",), 0),
        (("--help",), 0),
    ],
)
def test_usage_errors_exit_4(words: tuple[str, ...], code: int) -> None:
    assert main(list(words)) == code


def test_listing_the_commands_imports_none_of_their_dependencies() -> None:
    """The table imports the command modules only: what a command needs, it imports when
    its arguments are added (only the invoked command's) or when it runs."""
    code = (
        "import sys; import harness.cli; "
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('harness', 'rich', 'jinja2', 'pytest', 'websockets', 'scipy'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    heavy = {m for m in loaded if not m.startswith(("harness.commands", "harness.cli"))}
    # harness.startup imports gc alone (a run's start-up without the collector).
    allowed = {"harness", "harness.errors", "harness.exit_codes", "harness.startup"}
    assert heavy <= allowed, sorted(heavy)


def test_no_command_reads_an_argument_it_may_lack() -> None:
    """Each command reads the arguments its own parser adds: no `getattr(args, ...)`."""
    offenders = [
        str(path.relative_to(HARNESS))
        for path in HARNESS.rglob("*.py")
        if "getattr(args" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
