"""The phases' pytest command: the worker count (`auto` is two per CPU), the traceback style."""

from __future__ import annotations

import os
from pathlib import Path

from harness.run.phases import pytest_command, xdist_workers


def test_explicit_worker_count_is_kept() -> None:
    assert xdist_workers("3") == "3"
    assert xdist_workers("0") == "0"


def test_auto_is_two_workers_per_cpu(tmp_path: Path) -> None:
    cpus = os.cpu_count() or 1
    assert xdist_workers("auto") == str(2 * cpus)
    command = pytest_command(1, [tmp_path / "suite"], [], tmp_path, workers="auto")
    assert command[command.index("-n") + 1] == str(2 * cpus)
    serial = pytest_command(2, [tmp_path / "suite"], [], tmp_path, workers="auto")
    assert "-n" not in serial and "no:xdist" in serial


def test_failures_are_reported_with_native_tracebacks(tmp_path: Path) -> None:
    for phase in (1, 2):
        assert "--tb=native" in pytest_command(phase, [tmp_path / "suite"], [], tmp_path)
