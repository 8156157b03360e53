"""The load phase: its pytest command, which suites start it, its options and [load] policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.run.options import RunOptions, validate_options
from harness.run.phases import has_load_tests, load_arguments, pytest_command
from harness.run.suite import discover_suites
from harness.verdict.policy import LoadPlan
from harness.verdict.policy_file import load_policy, parse_policy


def marks(command: list[str]) -> str:
    """The marker expression of a phase's pytest command (the `-m` after `-m ENTRY`)."""
    assert command[1] == "-m"
    return command[command.index("-m", 3) + 1]


def test_only_phase_three_selects_load_tests(tmp_path: Path) -> None:
    suite = [tmp_path / "suite"]
    first = pytest_command(1, suite, [], tmp_path)
    second = pytest_command(2, suite, [], tmp_path)
    third = pytest_command(3, suite, [], tmp_path, load=["--harness-load-users=7"])
    assert marks(first) == "not perf and not load"
    assert marks(second) == "perf and not load"
    assert marks(third) == "load"
    # xdist's controller collects no test: only the phases that do start without the
    # garbage collector (harness/run/pytest_main.py).
    assert [c[2] for c in (first, second, third)] == [
        "pytest",
        "harness.run.pytest_main",
        "harness.run.pytest_main",
    ]
    assert "no:xdist" in third and "-n" not in third and "--reruns" not in third
    assert "--harness-load-users=7" in third


def test_the_load_suite_alone_has_load_tests() -> None:
    marked = {s.name for s in discover_suites() if s.path is not None and has_load_tests(s.path)}
    assert marked == {"load"}


def test_load_arguments_carry_the_run_options() -> None:
    options = RunOptions(users=20, conversations=3, ramp=0.5, soak=4.0)
    assert load_arguments(options) == [
        "--harness-load-users=20",
        "--harness-load-conversations=3",
        "--harness-load-ramp=0.5",
        "--harness-load-soak=4.0",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RunOptions(users=0), "--users 0: expected a whole number >= 1"),
        (RunOptions(conversations=0), "--conversations 0: expected a whole number >= 1"),
        (RunOptions(ramp=-1.0), "--ramp -1: expected a number of seconds >= 0"),
        (RunOptions(soak=float("inf")), "--soak inf: expected a number of seconds >= 0"),
    ],
    ids=["users", "conversations", "ramp", "soak"],
)
def test_bad_load_options_are_usage_errors(options: RunOptions, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_options(options)


def test_the_default_policy_loads_200_users_twice_each() -> None:
    assert load_policy(None).load == LoadPlan(200, 2, 2.0, 0.0)


def test_a_load_table_is_read_and_checked() -> None:
    policy = parse_policy("[load]\nusers = 50\nconversations = 3\nramp = 1\nsoak = 60\n", "p")
    assert policy.load == LoadPlan(50, 3, 1.0, 60.0)
    for text, key in (
        ("[load]\nusers = 0\n", "load.users: must be a whole number >= 1"),
        ("[load]\nconversations = 1.5\n", "load.conversations: must be a whole number >= 1"),
        ("[load]\nramp = -2\n", "load.ramp: must be a number of seconds >= 0"),
        ('[load]\nsoak = "1m"\n', "load.soak: must be a number of seconds >= 0"),
        ("[load]\nthreads = 4\n", "load.threads: unknown key"),
    ):
        with pytest.raises(ConfigError, match=f"^p: {key}"):
            parse_policy(text, "p")
