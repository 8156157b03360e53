"""A process's start-up without the garbage collector.

Importing the harness, pytest and their plugins makes tens of thousands of objects that
all live to the process's end; the collector, run every 700 of them, walks them again
and again for nothing (about 0.05 s of CPU in the runner and as much in a pytest
session). `begin()` stops it for the start-up; `over()` moves what the start-up made
out of its reach (`gc.freeze`) and starts it again, so that its later runs walk only
what the work itself makes. `over()` does nothing unless `begin()` stopped it.
"""

from __future__ import annotations

import gc

_stopped = False


def begin() -> None:
    """The start-up begins: no collection until `over()`."""
    global _stopped
    if gc.isenabled():
        gc.disable()
        _stopped = True


def over() -> None:
    """The start-up is over: what it made is frozen, the collector runs again."""
    global _stopped
    if _stopped:
        gc.freeze()
        gc.enable()
        _stopped = False
