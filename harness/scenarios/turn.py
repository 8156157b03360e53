"""One turn of a scenario as the checks see it: read from the frames of one request by the
dialect's turn model (docs/TURNS.md), so that its checks hold in any dialect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.wire import protocol as P
from harness.wire.profile import load_profile
from harness.wire.turn_shape import TurnShape, shape_of
from harness.wire.turns import Turn as ModelTurn
from harness.wire.turns import TurnReader

Frame = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of a turn: its name, its arguments and its result (None: no result)."""

    name: str
    arguments: Mapping[str, Any]
    result: Any = None


@dataclass(frozen=True, slots=True)
class TimedFrame:
    """A frame of a turn and when it arrived, in milliseconds after the user's message went."""

    at_ms: float
    frame: Frame

    @property
    def type(self) -> str | None:
        """The frame's canonical type."""
        kind = self.frame.get("type")
        return kind if isinstance(kind, str) else None


@dataclass(frozen=True, slots=True)
class Turn:
    """What the user sent, every frame that came back up to the turn's terminal, and the
    turn read from them: the final text, the tool calls, the terminal type and status."""

    send: str
    frames: tuple[TimedFrame, ...]
    final_text: str | None
    tool_calls: tuple[ToolCall, ...]
    terminal: str | None  # the terminal frame's type; None: the turn never ended
    status: str | None  # agent_completed's data.status, agent_error's data.error_code

    @property
    def terminal_ms(self) -> float | None:
        """When the terminal frame arrived (milliseconds after the send), or None."""
        ends = [f.at_ms for f in self.frames if f.type == self.terminal]
        return ends[-1] if self.terminal is not None and ends else None


def turn_of(send: str, frames: Sequence[TimedFrame], shape: TurnShape | None = None) -> Turn:
    """The turn `frames` make (in arrival order), read by the dialect's turn model (`shape`;
    chat-agent/1's when None): its text, its tool calls (name, arguments, first result) and
    its terminal; or the error frame that refused the request before a turn started.

    The status is the terminal's error code where it carries one (`agent_error`'s
    data.error_code), else the terminal's kind (completed, failed, cancelled); for a
    refused request, the error's code.
    """
    reader = TurnReader(shape or shape_of(load_profile(None)))
    for timed in frames:
        reader.feed(timed.frame)
    turn = reader.turns[0] if reader.turns else None
    if turn is None or turn.terminal is None:
        refusal = next((f for f in frames if f.type == P.ERROR), None)
        if refusal is not None and turn is None:
            code = refusal.frame.get("error_code")
            return Turn(
                send, tuple(frames), None, (), P.ERROR, code if isinstance(code, str) else None
            )
        return Turn(send, tuple(frames), None, _calls(turn), None, None)
    end = turn.frames[-1]
    code = _data(end).get("error_code") or end.get("error_code")
    status = code if isinstance(code, str) and turn.terminal != "completed" else turn.terminal
    final = turn.text if turn.terminal == "completed" and turn.streams else None
    kind = end.get("type")
    return Turn(
        send, tuple(frames), final, _calls(turn), kind if isinstance(kind, str) else None, status
    )


def _calls(turn: ModelTurn | None) -> tuple[ToolCall, ...]:
    if turn is None:
        return ()
    return tuple(
        ToolCall(
            call.name if isinstance(call.name, str) else "",
            call.arguments if isinstance(call.arguments, Mapping) else {},
            call.results[0] if call.results else None,
        )
        for call in turn.tools
    )


def _data(frame: Frame) -> Mapping[str, Any]:
    data = frame.get("data")
    return data if isinstance(data, Mapping) else {}
