"""Ctrl-C and SIGTERM during a run: the first stops the run and reports it, a second at once."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any

from harness.exit_codes import ExitCode

# Process groups of the pytest phases now running: a second signal kills them before exiting.
LIVE_GROUPS: set[int] = set()


class Interrupted(BaseException):
    """The run was interrupted by a signal (a BaseException: no `except Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


def _first(signum: int, frame: FrameType | None) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _again)
    name = signal.Signals(signum).name
    os.write(
        sys.stderr.fileno(),
        f"stability-harness: {name}: stopping the run and writing its report "
        "(send it again to stop at once)\n".encode(),
    )
    raise Interrupted(signum)


def _again(signum: int, frame: FrameType | None) -> None:
    for group in list(LIVE_GROUPS):
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            continue
    name = signal.Signals(signum).name
    os.write(sys.stderr.fileno(), f"stability-harness: {name} again: stopped at once\n".encode())
    os._exit(ExitCode.STOPPED_AT_ONCE)  # the shell's code for an interrupt (128 + 2)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted once; after that a second signal exits at once.

    The handlers are put back when the block ends without an interruption; after one,
    the stop-at-once handlers stay for the rest of the process (the report is being
    written and the process is about to end).
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _first)
    try:
        yield
    except Interrupted:
        raise
    except BaseException:
        _restore(previous)
        raise
    else:
        _restore(previous)


def _restore(previous: Mapping[signal.Signals, Any]) -> None:
    for sig, handler in previous.items():
        if signal.getsignal(sig) is _first:
            signal.signal(sig, handler)
