"""The embedded reference server: PROTOCOL.md implemented exactly, plus its defect catalogue."""

from __future__ import annotations

from harness.reference.auth import mint_token
from harness.reference.config import ServerConfig
from harness.reference.defects import CATALOGUE, Defect
from harness.reference.launcher import (
    SubprocessServer,
    ThreadedServer,
    start_in_thread,
    start_subprocess,
)
from harness.reference.server import ReferenceServer

__all__ = [
    "CATALOGUE",
    "Defect",
    "ReferenceServer",
    "ServerConfig",
    "SubprocessServer",
    "ThreadedServer",
    "mint_token",
    "start_in_thread",
    "start_subprocess",
]
