"""benchmarks/locust_vs_load.py's options and its message when Locust is not installed.

The benchmark itself runs Locust and a whole harness run and is not a test; this checks
only what it does before it starts anything: its defaults, a refused option, and the
one line naming the extra to install when locust (or websocket-client) is missing.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPT = BENCHMARKS / "locust_vs_load.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # the script imports chat_turn beside it
    try:
        spec = importlib.util.spec_from_file_location("locust_vs_load", SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_defaults_are_100_users_50_turns_2_s_ramp_3_rounds(bench: ModuleType) -> None:
    args = bench.parse([])
    assert (args.users, args.conversations, args.ramp, args.rounds) == (100, 50, 2.0, 3)
    assert (args.fixed_cost, args.json, args.harness_args) == (False, None, "")


def test_options_are_read(bench: ModuleType) -> None:
    args = bench.parse(["--users", "7", "--conversations", "3", "--harness-args", "-n 0"])
    assert (args.users, args.conversations, args.harness_args) == (7, 3, "-n 0")


@pytest.mark.parametrize("option", [["--users", "0"], ["--rounds", "0"], ["--ramp", "-1"]])
def test_an_option_out_of_range_is_a_usage_error(
    bench: ModuleType, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.parse(option)
    assert exited.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["locust", "websocket"])
def test_without_locust_it_names_the_extra_in_one_line(missing: str) -> None:
    # The module hidden as an uninstalled one is: find_spec answers None for it.
    code = (
        f"import sys, runpy; sys.modules[{missing!r}] = None; "
        f"sys.path.insert(0, {str(BENCHMARKS)!r}); sys.argv = ['locust_vs_load.py']; "
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "locust_vs_load.py needs Locust and websocket-client: "
        'pip install "stability-harness[bench]"'
    ]
