"""The crowd's conversations as turns in the target's own dialect (docs/TURNS.md).

For a target without chat-agent/1's requests (openai-realtime, Chainlit, AutoGen
Studio), each synthetic user asks for its turns with the profile's `[turn.request]`
frames through one `TurnDriver` on its connection, and each turn is read whole by the
driver's `TurnReader`. A conversation fails when its turn does not end with a completed
terminal within its deadline, or an error frame comes while it is open. Once the crowd is
done, each connection's late frames are read too, and every frame of a turn the connection
never asked for counts as foreign (4.turn.sessions-isolated): frames of a turn that never
started there, turns it did not ask for, and, where the dialect's frames name no turn
(`turn_id = ""`), frames outside any of its turns.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from harness.suite_api import (
    CheckFailed,
    Client,
    TakenTurn,
    TurnDriver,
    TurnShape,
    Violation,
)
from harness.suite_api import protocol as P
from suites.load.crowd import Conversation, Session, Talk, why

CONTENT: Final = "What is 2+3?"
# Where the dialect's frames name no turn, a frame outside every turn of the connection
# shows as one of these (it cannot be told from a frame the server sent late).
_OUTSIDE: Final = ("4.turn.started-first", "4.turn.nothing-after-terminal")


class TurnRuns:
    """The crowd's conversations as turns: one TurnDriver per connection."""

    def __init__(self, shape: TurnShape) -> None:
        self.shape = shape
        self._drivers: dict[int, TurnDriver] = {}
        self._asked: dict[int, set[int]] = {}  # per connection: the turns it asked for
        self._violations: dict[int, list[Violation]] = {}

    async def converse(self, client: Client, session: Session, talk: Talk) -> None:
        """Ask for one turn and read it to its terminal; judge it."""
        driver = self._drivers.get(session.index)
        if driver is None:
            driver = self._drivers[session.index] = TurnDriver(client, self.shape)
        taken: TakenTurn | None = None
        try:
            taken = await driver.send(CONTENT)
            await driver.until(
                [taken], max(0.0, min(talk.within, talk.deadline - time.monotonic()))
            )
        except CheckFailed as exc:
            talk.conversation.error = why(exc)
        if taken is None:
            return
        _judge(taken, session, talk.conversation)
        turn = taken.turn
        if turn is not None:
            self._asked.setdefault(session.index, set()).add(id(turn))
            if turn.terminal is not None:
                turn.frames.clear()  # judged: a soak would otherwise keep every frame

    async def settle(self, session: Session, client: Client) -> None:
        """Read the late frames (the crowd waited out its quiet window already)."""
        driver = self._drivers.get(session.index)
        if driver is None:
            return
        self._violations[session.index] = await driver.settle(0.0)
        # The frames since the last turn's end (the crowd clears them after each turn).
        session.frames += len(client.frames)

    def finish(self, session: Session) -> None:
        """Count every frame of a turn this connection did not ask for as foreign."""
        driver = self._drivers.get(session.index)
        if driver is None:
            return
        asked = self._asked.get(session.index, set())
        counted: set[int] = set()
        for turn in driver.reader.turns:
            if id(turn) in asked:
                continue
            what = "a turn it never asked for" if turn.started else "a turn it never started"
            for frame in turn.frames or [turn.early or {}]:
                counted.add(id(frame))
                session.count_foreign(_described(frame, turn.key, what))
        if self.shape.turn_id:
            return
        for violation in self._violations.get(session.index, []):
            if violation.rule in _OUTSIDE and id(violation.frame) not in counted:
                counted.add(id(violation.frame))
                session.count_foreign(_described(violation.frame, violation.turn, violation.text))


def _judge(taken: TakenTurn, session: Session, conversation: Conversation) -> None:
    """A turn's times and, when it failed, why: its refusal, an error frame while it was
    open, a terminal other than completed, or none within the deadline."""
    session.frames += len(taken.received)
    for frame in taken.received:
        if frame.get("type") == P.ERROR:
            code = str(frame.get("error_code"))
            session.error_frames[code] += 1
            if conversation.error is None:
                conversation.error = f"error-frame {code}"
    turn = taken.turn
    if taken.error is not None and conversation.error is None:
        conversation.error = f"refused {taken.error.get('error_code')}"
    if turn is None or not turn.frames:
        return
    conversation.first_event_ms = taken.at_ms(turn.frames[0])
    conversation.first_text_ms = taken.first_text_ms
    if turn.terminal is None:
        conversation.error = conversation.error or "timeout"
        return
    conversation.run_ms = taken.at_ms(turn.frames[-1])
    if turn.terminal != "completed" and conversation.error is None:
        conversation.error = f"terminal {turn.terminal}"


def _described(frame: Mapping[str, Any], turn: str, what: str) -> dict[str, Any]:
    """A foreign frame as the contamination example shows it."""
    return {"type": frame.get("type"), "turn": turn, "what": what}
