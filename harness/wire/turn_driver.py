"""Asking a target for turns in its own dialect, and reading each whole (docs/TURNS.md).

A profile's `[turn.request]` says which client frames ask for a turn (chat-agent/1: one
`user_message`; openai-realtime: `conversation.item.create` then `response.create`),
which frame cancels the turn in flight, and which frame the target refuses with an
error. `TurnDriver` sends them on one connection and reads every frame it receives
through one `TurnReader`, so the turns it returns are the dialect's turns, with each
frame's arrival time, and the reader holds every violation of the whole connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from harness.errors import CheckFailed, Deviation
from harness.wire import protocol as P
from harness.wire.client import Client
from harness.wire.pending import undeclared_close
from harness.wire.setup_calls import fill
from harness.wire.turn_shape import TurnShape
from harness.wire.turns import SESSIONS_ISOLATED, Turn, TurnReader, Violation

# A correct server ends a turn in well under a second; a slow one fails on its budgets.
TURN_WITHIN_S: Final = 15.0
NEVER_1011: Final = "6.close.never-1011"
LEAK: Final = Deviation(
    "turn:sessions-isolated", "a session sees another session's turn", (SESSIONS_ISOLATED,)
)


@dataclass
class TakenTurn:
    """One request and what came of it: its turn (None when it was refused before one
    started), the error frame that refused it, and every frame's arrival (ms after the
    request went)."""

    content: str
    ids: tuple[str, ...]
    sent_at: float  # time.monotonic() when its first frame went
    turn: Turn | None = None
    error: Mapping[str, Any] | None = None
    arrivals: dict[int, float] = field(default_factory=dict)  # id(frame) -> ms
    first_text_ms: float | None = None  # when its first text came (a delta, or whole)
    # Every frame read while it was open, in order (direct replies such as an ack too).
    received: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """The turn has its terminal, or the request was refused."""
        return self.error is not None or (self.turn is not None and self.turn.terminal is not None)

    def at_ms(self, frame: Mapping[str, Any]) -> float | None:
        """When `frame` arrived, in ms after the request went (None: not one of its frames)."""
        return self.arrivals.get(id(frame))

    @property
    def terminal_frame(self) -> Mapping[str, Any] | None:
        """The frame that ended the turn (its terminal, or the refusing error)."""
        if self.error is not None:
            return self.error
        if self.turn is None or self.turn.terminal is None:
            return None
        return self.turn.frames[-1] if self.turn.frames else None


def _fresh_id() -> str:
    return f"h-{uuid.uuid4().hex[:16]}"


class TurnDriver:
    """Turns asked for on one connection, read through one TurnReader."""

    def __init__(self, client: Client, shape: TurnShape) -> None:
        self.client = client
        self.shape = shape
        self.reader = TurnReader(shape)
        self.thread = f"t-{uuid.uuid4().hex[:12]}"
        self._waiting: list[TakenTurn] = []  # sent, no turn claimed yet, in sending order
        self._open: list[TakenTurn] = []  # sent, not ended
        self._claimed: set[int] = set()  # the reader's turns that answer a request

    async def send(self, content: str, *, thread: str | None = None) -> TakenTurn:
        """Send the frames that ask for a turn of `content`; the turn is read by `until`."""
        sent: list[str] = []
        started = time.monotonic()
        for template in self.shape.request.frames:
            frame_id = _fresh_id()
            sent.append(frame_id)
            # What the connection's set-up calls saved fills the frames too ("{team}").
            values = {
                **self.client.setup_values,
                "content": content,
                "thread": thread or self.thread,
                "id": frame_id,
                "uuid": str(uuid.uuid4()),  # for a dialect that wants a UUID v4 (Chainlit)
            }
            await self._send(fill(template, values))
        taken = TakenTurn(content, tuple(sent), started)
        self._waiting.append(taken)
        self._open.append(taken)
        return taken

    async def take(
        self, content: str, *, thread: str | None = None, within: float = TURN_WITHIN_S
    ) -> TakenTurn:
        """Ask for one turn and read it to its terminal (or its refusal)."""
        taken = await self.send(content, thread=thread)
        await self.until([taken], within)
        return taken

    async def take_all(
        self, contents: Sequence[str], *, within: float = TURN_WITHIN_S
    ) -> list[TakenTurn]:
        """Ask for several turns: at once where the dialect allows turns in flight together,
        else one after another; each read to its end."""
        if not self.shape.request.concurrent:
            return [await self.take(content, within=within) for content in contents]
        taken = [await self.send(content) for content in contents]
        await self.until(taken, within)
        return taken

    async def cancel(self, taken: TakenTurn) -> str:
        """Send the dialect's cancel for the turn in flight ("{turn}" in the template is its
        id); the id of the frame sent."""
        template = self.shape.request.cancel
        if template is None:
            raise CheckFailed("cancelling a turn", expected="a cancel frame", observed="none")
        frame_id = _fresh_id()
        response_id = taken.turn.key if taken.turn is not None else ""
        values = {**self.client.setup_values, "id": frame_id, "turn": response_id}
        await self._send(fill(template, values))
        return frame_id

    async def refused(self, *, within: float = 5.0) -> tuple[str, Mapping[str, Any]]:
        """Send the frame the dialect refuses; its id, and the first error frame after it."""
        template = self.shape.request.refused
        if template is None:
            raise CheckFailed("a refused frame", expected="one in the profile", observed="none")
        frame_id = _fresh_id()
        values = {**self.client.setup_values, "id": frame_id, "content": "", "thread": ""}
        await self._send(fill(template, values))
        deadline = time.monotonic() + within
        while True:
            frame = await self._next(deadline, lambda: "an error frame refusing the frame sent")
            if frame.get("type") == P.ERROR:
                return frame_id, frame

    async def until(self, wanted: Sequence[TakenTurn], within: float = TURN_WITHIN_S) -> None:
        """Read frames until every turn of `wanted` has ended; CheckFailed at the deadline,
        naming what each still lacks."""
        deadline = time.monotonic() + within
        while not all(taken.ended for taken in wanted):
            await self._next(deadline, lambda: _lacking(wanted))

    async def started(self, taken: TakenTurn, within: float = TURN_WITHIN_S) -> None:
        """Read frames until the turn asked for has started (or was refused)."""
        deadline = time.monotonic() + within
        while taken.turn is None and taken.error is None:
            await self._next(deadline, lambda: f"the start of the turn of {taken.content[:40]!r}")

    async def settle(self, window: float) -> list[Violation]:
        """Wait out `window` for late frames, read them, and return every violation of the
        connection's turns (a turn still without its terminal included)."""
        for frame in await self.client.quiet(window):
            self._feed(frame)
        return self.reader.finish()

    async def _next(self, deadline: float, wanted: Callable[[], str]) -> dict[str, Any]:
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            frame = await self.client.recv(remaining)
        except CheckFailed as failed:
            leaks = [v.text for v in self.reader.violations if v.rule == SESSIONS_ISOLATED]
            raise CheckFailed(
                failed.what,
                expected=wanted(),
                observed=[*leaks, failed.observed] if leaks else failed.observed,
                frames=failed.frames,
                deviation=self._closed_by_rule() or (LEAK if leaks else failed.deviation),
            ) from None
        self._feed(frame)
        return frame

    async def _send(self, frame: Mapping[str, Any]) -> None:
        try:
            await self.client.send(frame)
        except CheckFailed as failed:
            failed.deviation = self._closed_by_rule() or failed.deviation
            raise

    def _closed_by_rule(self) -> Deviation | None:
        """A close that breaks a rule of its own (1011, or a code the profile does not
        declare): the failed wait names that rule, and only that."""
        code = self.client.close_code
        if not self.client.closed or code is None:
            return None
        if code == P.CLOSE_INTERNAL_ERROR:
            return Deviation("close:1011", "the server closed with 1011", (NEVER_1011,))
        return undeclared_close(code, self.client.profile)

    def _feed(self, frame: dict[str, Any]) -> None:
        now = time.monotonic()
        self.reader.feed(frame)
        # A turn that started answers the oldest request still without one (frames of a turn
        # this connection never started answer none).
        if self._waiting and len(self._claimed) < len(self.reader.turns):
            for candidate in self.reader.turns:
                if not self._waiting:
                    break
                if candidate.started and id(candidate) not in self._claimed:
                    self._claimed.add(id(candidate))
                    self._waiting.pop(0).turn = candidate
        self._unasked(frame)
        if frame.get("type") == P.ERROR:
            named = frame.get("message_id")
            for taken in self._waiting:
                if named in taken.ids:
                    taken.error = frame
                    self._waiting.remove(taken)
                    break
        for taken in self._open:
            taken.received.append(frame)
            taken.arrivals.setdefault(id(frame), (now - taken.sent_at) * 1000)
            ours = taken.turn
            if (ours is not None and ours.frames and ours.frames[-1] is frame) or (
                taken.error is frame
            ):
                at = taken.arrivals[id(frame)]
                if taken.first_text_ms is None and ours is not None and _has_text(ours):
                    taken.first_text_ms = at
        self._open = [t for t in self._open if not t.ended]

    def _unasked(self, frame: Mapping[str, Any]) -> None:
        """A turn that starts when this connection is waiting for none answers no request:
        it is another session's (a leak). Where the other session's turn started first, it
        answered the request and this one is the connection's own: either way a session saw
        a turn it did not ask for, which is the rule broken (whichever turn carries it)."""
        for turn in self.reader.turns:
            if turn.started and id(turn) not in self._claimed:
                self._claimed.add(id(turn))
                text = f"{frame.get('type')} started a turn this session never asked for"
                self.reader.violations.append(Violation(SESSIONS_ISOLATED, turn.key, text, frame))


def _lacking(wanted: Sequence[TakenTurn]) -> str:
    lacking = [
        f"{t.content[:40]!r}: " + ("no turn started" if t.turn is None else "no terminal")
        for t in wanted
        if not t.ended
    ]
    return f"the end of each turn asked for ({'; '.join(lacking)})"


def _has_text(turn: Turn) -> bool:
    return any(s.deltas or s.final_text is not None for s in turn.streams.values())
