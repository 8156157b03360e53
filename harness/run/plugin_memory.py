"""The harness session's garbage collector: what its start-up made, frozen once its tests
are collected (registered with the harness's hooks by harness.run.plugin)."""

from __future__ import annotations

import gc

import pytest

from harness import startup


def pytest_collection_finish(session: pytest.Session) -> None:
    # What the session holds by now (pytest, the plugins, the suites, the run's inputs)
    # lives to its end: out of the garbage collector's reach, its collections during the
    # tests and pytest's own at the end (two full ones, about 40 ms each with the suites
    # imported) walk only what the tests make. A phase started without the collector
    # (harness/run/pytest_main.py) starts it again here.
    startup.over()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    startup.over()  # a session that ended before its collection did
