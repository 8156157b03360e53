"""The embedded reference server: PROTOCOL.md implemented exactly, plus its defect catalogue."""

from __future__ import annotations
