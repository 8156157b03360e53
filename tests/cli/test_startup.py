"""A run's start-up without the garbage collector (harness/startup.py): whatever way main()
ends, the collector runs again after it, and `over` starts only what `begin` stopped."""

from __future__ import annotations

import gc

from harness import startup
from harness.cli import main


def test_main_leaves_the_collector_running_after_a_run_that_never_started() -> None:
    assert gc.isenabled()
    assert main(["run", "--no-such-option"]) == 4  # a usage error, before the runner
    assert gc.isenabled()


def test_over_starts_only_what_begin_stopped() -> None:
    gc.disable()
    try:
        startup.begin()  # stopped already, not by begin
        startup.over()
        assert not gc.isenabled()
    finally:
        gc.enable()
    startup.begin()
    assert not gc.isenabled()
    startup.over()
    assert gc.isenabled()
