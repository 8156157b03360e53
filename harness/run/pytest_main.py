"""`python -m harness.run.pytest_main ARGS`: pytest as a phase without pytest-xdist runs it
(harness/run/phases.py), its start-up without the garbage collector (harness/startup.py).
The harness plugin ends the start-up once the session's tests are collected, or when the
session ends without collecting them."""

from __future__ import annotations

import sys

from harness import startup

startup.begin()

import pytest  # noqa: E402  (imported with the collector stopped: the point of this module)

sys.exit(pytest.console_main())
