"""stability-harness: regression and stability verification for chat/agent WebSocket servers."""

from __future__ import annotations

__version__ = "0.1.0"
