"""The frame transcript of one test: every frame in and out, its time, type, size, close code."""

from __future__ import annotations

import time
from typing import Any, ClassVar

MAX_DATA_CHARS = 2000
KEEP_HEAD = 200
KEEP_TAIL = 100


class Transcript:
    """Records frames as they pass; exported (bounded) with a failed test's report."""

    # False for a transcript that keeps nothing (a crowd's): a client then does not make
    # the entries it would give it (a frame's size, its type), frame after frame.
    keeps: ClassVar[bool] = True

    def __init__(self) -> None:
        self._t0 = time.perf_counter()
        self._entries: list[dict[str, Any]] = []

    def elapsed(self) -> float:
        """Seconds since the test's transcript started."""
        return time.perf_counter() - self._t0

    def add(
        self,
        direction: str,
        *,
        frame_type: str | None = None,
        size: int = 0,
        close_code: int | None = None,
        data: str = "",
        conn: int = 0,
    ) -> None:
        """Record one event: `direction` is send, recv, open or close."""
        self._entries.append(
            {
                "dir": direction,
                "t": round(self.elapsed(), 6),
                "conn": conn,
                "type": frame_type,
                "size": size,
                "close_code": close_code,
                "data": data if len(data) <= MAX_DATA_CHARS else data[:MAX_DATA_CHARS] + "…",
            }
        )

    def __len__(self) -> int:
        return len(self._entries)

    def export(self) -> list[dict[str, Any]]:
        """The entries, the middle elided when there are very many (a burst test)."""
        entries = self._entries
        if len(entries) <= KEEP_HEAD + KEEP_TAIL:
            return list(entries)
        elided = len(entries) - KEEP_HEAD - KEEP_TAIL
        marker = {
            "dir": "note",
            "t": entries[KEEP_HEAD]["t"],
            "conn": 0,
            "type": None,
            "size": 0,
            "close_code": None,
            "data": f"{elided} frames elided",
        }
        return [*entries[:KEEP_HEAD], marker, *entries[-KEEP_TAIL:]]
