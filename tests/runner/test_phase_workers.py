"""The phases' pytest command: the worker count (`auto` is two per CPU), the traceback style."""

from __future__ import annotations

import itertools
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


def test_every_phase_leaves_out_the_plugins_no_suite_uses(tmp_path: Path) -> None:
    """anyio's and Locust's pytest plugins (installed with the targets and bench extras) are
    not loaded by any phase, xdist workers included (they take the controller's options)."""
    for phase in (1, 2, 3):
        command = pytest_command(phase, [tmp_path / "suite"], [], tmp_path)
        pairs = list(itertools.pairwise(command))
        assert ("-p", "no:anyio") in pairs and ("-p", "no:locust") in pairs, command
