"""The harness's pytest plugin (entry point `pytest11: harness`)."""

from __future__ import annotations
