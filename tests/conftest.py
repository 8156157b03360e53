"""Shared by all of the harness's own tests: pytester, to black-box the pytest plugin."""

from __future__ import annotations

pytest_plugins = ["pytester"]
