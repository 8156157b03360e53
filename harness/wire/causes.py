"""The cause ledger: each wait that timed out, once per cause, shared by every test of a run.

A broken server that never sends some frame would make every test waiting
for that frame wait out its whole deadline, and again on each rerun. When a
wait times out, the client records a cause: a key naming what was awaited
(`reply:<type of the frame sent, or non-json>`, `event:<agent event type>`,
`close`, `handshake`, `welcome`, `first-frame`, `frame:<type>`, `frame`), the test that saw
it first and a one-line description. A later wait for the same key, in any test, worker or
rerun of the run, waits at most SHORT_WITHIN_S and, when it times out too,
fails naming the first test. A wait that gets its frame records nothing, so a
slow but correct server keeps its generous deadlines.

The ledger of a run with an output folder is the file `causes.jsonl` in it,
one JSON object `{"key", "test", "message"}` a line, appended with one
`write` each (O_APPEND: lines of xdist workers never interleave); the first
line of a key wins. Without an output folder, a ledger lives in the process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from harness.wire.redaction import Redactor

LEDGER_FILE: Final = "causes.jsonl"
# How long a wait for an already recorded cause still waits: long enough for a frame
# already on its way, no longer. Once one test of the run waited a whole deadline for
# it, the target is known not to send it; every later wait fails at once naming that
# test, so that a broken target is judged about as fast as a healthy one.
SHORT_WITHIN_S: Final = 0.1


def limit_for(known: Cause | None, within: float) -> float:
    """How long a wait may last: `within`, or at most SHORT_WITHIN_S for a known cause."""
    return max(min(within, SHORT_WITHIN_S) if known is not None else within, 0.0)


@dataclass(frozen=True, slots=True)
class Cause:
    """What a timed-out wait awaited (`key`), the test that saw it first, and a description."""

    key: str
    test: str
    message: str

    def named(self, by: str) -> str:
        """How a later failure of test `by` from this cause names it, for the reader (nothing
        parses it): a rerun of the test that saw it first names its earlier attempt."""
        if by == self.test:
            return f"same cause as this test's earlier attempt: {self.message}"
        return f"same cause as {self.test}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """The cause as a JSON object (a ledger line, a `cause` line of results.jsonl)."""
        return {"key": self.key, "test": self.test, "message": self.message}


class CauseLedger:
    """The causes of one run by key: file-backed (shared by processes) or in memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._known: dict[str, Cause] = {}
        self._read_size = 0

    def find(self, key: str) -> Cause | None:
        """The first cause recorded for `key`, by any process of the run; None if none."""
        self._refresh()
        return self._known.get(key)

    def record(self, cause: Cause) -> Cause:
        """Append `cause` unless its key is known; return the first cause of its key."""
        known = self.find(cause.key)
        if known is not None:
            return known
        if self.path is None:
            self._known[cause.key] = cause
            return cause
        written = Redactor.from_environment().data(cause.to_json())
        line = (json.dumps(written, separators=(",", ":")) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        # Another worker may have appended the same key meanwhile: the first line wins.
        return self.find(cause.key) or cause

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == self._read_size:
            return
        with self.path.open("rb") as fh:
            fh.seek(self._read_size)
            chunk = fh.read(size - self._read_size)
        end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        self._read_size += end
        for raw in chunk[:end].splitlines():
            try:
                entry = json.loads(raw)
                cause = Cause(str(entry["key"]), str(entry["test"]), str(entry["message"]))
            except (ValueError, KeyError, TypeError):
                continue
            self._known.setdefault(cause.key, cause)


@dataclass
class CauseWatch:
    """The ledger as one test sees it: its id, the causes it saw first and those it met again.

    The client uses it for every wait. A suite's own bounded wait (re-reading /stats until
    counters settle) can too, through the `causes` fixture:

        deadline = time.monotonic() + causes.within("stats:settle", 3.0)
        ...  # re-read until settled or past the deadline
        if not settled:
            cause = causes.missed("stats:settle", "the /stats counters did not settle in 3 s")
            raise CheckFailed(...)  # the test's message will name `cause.test` if not this one
    """

    ledger: CauseLedger
    test: str
    on_first: Callable[[Cause], None] | None = None
    first: list[Cause] = field(default_factory=list)
    again: list[Cause] = field(default_factory=list)

    def known(self, key: str) -> Cause | None:
        """The cause already recorded for `key` (by this or any earlier test), if any."""
        return self.ledger.find(key)

    def within(self, key: str, within: float) -> float:
        """How long a wait for `key` may last: `within`, or SHORT_WITHIN_S once it is a cause."""
        return limit_for(self.known(key), within)

    def missed(self, key: str, message: str) -> Cause:
        """Note that a wait for `key` timed out: a new cause, or one met again; the first one."""
        known = self.known(key)
        if known is None:
            return self.timed_out(key, message)
        self.met_again(known)
        return known

    def timed_out(self, key: str, message: str) -> Cause:
        """Record that a full-length wait for `key` timed out; the first cause of that key."""
        cause = self.ledger.record(Cause(key, self.test, message))
        if cause.test == self.test and cause.message == message and cause not in self.first:
            self.first.append(cause)
            if self.on_first is not None:
                self.on_first(cause)
        return cause

    def met_again(self, cause: Cause) -> None:
        """Note that a short wait for an already recorded cause timed out in this test."""
        if cause not in self.again:
            self.again.append(cause)
