"""One turn of a scenario as the checks see it: built from the canonical frames of one run.

A plain frozen record, so that it can later be built from the wire's turn model instead of
from the scripted agent's events (docs/PROTOCOL.md section 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.wire import protocol as P

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


TERMINALS: Final = (*P.TERMINAL_EVENTS, P.ERROR)


def _data(frame: Frame) -> Mapping[str, Any]:
    data = frame.get("data")
    return data if isinstance(data, Mapping) else {}


def turn_of(send: str, frames: Sequence[TimedFrame]) -> Turn:
    """The turn `frames` make (the direct reply, then the run's events, in arrival order).

    A tool call is a `tool_executing` (name = data.tool_name, arguments = data.parameters);
    its result is the data.result of the `tool_completed` with the same tool_call_id. The
    terminal is the first agent_completed, agent_error or error frame.
    """
    calls: list[ToolCall] = []
    ids: list[Any] = []
    final: str | None = None
    terminal: str | None = None
    status: str | None = None
    for timed in frames:
        data = _data(timed.frame)
        if timed.type == P.TOOL_EXECUTING:
            arguments = data.get("parameters")
            name = data.get("tool_name")
            calls.append(
                ToolCall(
                    name if isinstance(name, str) else "",
                    arguments if isinstance(arguments, Mapping) else {},
                )
            )
            ids.append(data.get("tool_call_id"))
        elif timed.type == P.TOOL_COMPLETED and data.get("tool_call_id") in ids:
            at = ids.index(data.get("tool_call_id"))
            calls[at] = ToolCall(calls[at].name, calls[at].arguments, data.get("result"))
        elif timed.type in TERMINALS and terminal is None:
            terminal = timed.type
            text = data.get("final_response")
            final = text if isinstance(text, str) and timed.type == P.AGENT_COMPLETED else None
            code = data.get("status") if timed.type == P.AGENT_COMPLETED else None
            code = code or data.get("error_code") or timed.frame.get("error_code")
            status = code if isinstance(code, str) else None
    return Turn(send, tuple(frames), final, tuple(calls), terminal, status)
