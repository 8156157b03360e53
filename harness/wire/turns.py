"""Turns read from the frames of one connection, and what holds of every turn whatever the
agent says: the invariants of catalogue section 4 (`4.turn.*`, docs/TURNS.md).

`TurnReader` is fed every frame a connection received, in arrival order (after the
profile's decoding), and assembles its turns by the dialect's `TurnShape`: each turn's
frames, text streams, tool calls and terminal. Each way a frame breaks an invariant is a
`Violation` naming its rule, so a suite checks only the rules that apply to its target
(`checks.applies`) and reports the frame behind each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from harness.wire import protocol as P
from harness.wire.turn_shape import Matcher, TurnShape, value_at

STARTED_FIRST: Final = "4.turn.started-first"
ONE_TERMINAL: Final = "4.turn.one-terminal"
NOTHING_AFTER_TERMINAL: Final = "4.turn.nothing-after-terminal"
ID_UNIQUE: Final = "4.turn.id-unique"
OPENED_BEFORE_USE: Final = "4.turn.opened-before-use"
OPENED_ONCE: Final = "4.turn.opened-once-ended-once"
CLOSED_AT_COMPLETED: Final = "4.turn.closed-at-completed"
TOOL_RESULT_PAIRED: Final = "4.turn.tool-result-paired"
TOOL_ARGUMENTS_JSON: Final = "4.turn.tool-arguments-json"
TEXT_RECONSTRUCTS: Final = "4.turn.text-reconstructs"
SESSIONS_ISOLATED: Final = "4.turn.sessions-isolated"


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a frame breaks an invariant of turns: the rule, the turn, what, the frame."""

    rule: str
    turn: str
    text: str
    frame: Mapping[str, Any]


@dataclass
class TextStream:
    """One stream of the agent's text."""

    key: str
    opened: bool = False
    ended: bool = False
    deltas: list[str] = field(default_factory=list)
    final_text: str | None = None

    @property
    def text(self) -> str:
        """The final text where the dialect sent it, else the joined deltas."""
        return self.final_text if self.final_text is not None else "".join(self.deltas)


@dataclass
class ToolCall:
    """One tool call: its name, its arguments (whole, or joined from deltas), its results."""

    key: str
    name: Any = None
    ended: bool = False
    argument_deltas: list[str] = field(default_factory=list)
    arguments: Any = None
    results: list[Any] = field(default_factory=list)


@dataclass
class Turn:
    """What the agent did for one request, as its frames show."""

    key: str
    frames: list[Mapping[str, Any]] = field(default_factory=list)
    terminal: str | None = None  # "completed", "failed" or "cancelled"
    streams: dict[str, TextStream] = field(default_factory=dict)
    tools: list[ToolCall] = field(default_factory=list)
    reasoning: int = 0
    # The first frame of a turn seen before its start (None: its start came first).
    early: Mapping[str, Any] | None = None
    started: bool = True  # its start frame has been seen

    @property
    def text(self) -> str:
        """The agent's text, every stream's in order."""
        return "".join(stream.text for stream in self.streams.values())


class TurnReader:
    """The turns of one connection, assembled frame by frame, with every violation."""

    def __init__(self, shape: TurnShape) -> None:
        self.shape = shape
        self.turns: list[Turn] = []
        self.violations: list[Violation] = []
        self._by_id: dict[str, Turn] = {}
        self._current: Turn | None = None
        self._late: set[str] = set()  # turns already reported for a frame after the terminal
        # Each part's matchers by frame type, read once: a frame is matched only against
        # the matchers of its own type.
        self._kinds: dict[Any, list[tuple[str, Matcher]]] = {}
        for name, matchers in self._parts():
            for matcher in matchers:
                self._kinds.setdefault(matcher.type, []).append((name, matcher))

    def feed(self, frame: Mapping[str, Any]) -> None:
        """Take the next frame the connection received (one that is no part of a turn,
        such as a pong, is passed over)."""
        shape = self.shape
        kinds = {
            name
            for name, matcher in self._kinds.get(frame.get("type"), ())
            if matcher.matches(frame)
        }
        turn_id = value_at(frame, shape.turn_id)
        key = str(turn_id) if turn_id is not None else ""
        if not kinds:
            # A frame of no part that names a turn already started is still one of its
            # frames (a realtime output_item.done): it too must come before the terminal.
            # A direct reply (the ack that names the run a request starts) is not.
            if key and key in self._by_id and frame.get("type") not in P.DIRECT_REPLIES:
                self._member(self._by_id[key], kinds, frame)
            return
        found = self._by_id.get(key) if key else self._current
        if "start" in kinds and found is not None and not found.started:
            turn = found  # its start, after frames of it: those came first
            turn.started = True
            early = turn.early or frame
            self._flag(STARTED_FIRST, turn, f"{_type(early)} before the turn's start", early)
            self._current = turn
            turn.frames.append(frame)
        elif "start" in kinds or found is None:
            turn = self._start(key, frame, implicit="start" not in kinds)
            turn.frames.append(frame)
        else:
            turn = found
            ended = turn.terminal is not None
            self._member(turn, kinds, frame)
            if ended and not kinds & {"completed", "failed", "cancelled"}:
                return  # after its terminal a frame is late, and its part is not judged too
        if "reasoning" in kinds:
            turn.reasoning += 1
        self._text(turn, kinds, frame)
        self._tool(turn, kinds, frame)
        for terminal in ("completed", "failed", "cancelled"):
            if terminal in kinds:
                self._terminal(turn, terminal, frame)

    def _member(self, turn: Turn, kinds: set[str], frame: Mapping[str, Any]) -> None:
        """Add a frame to a started turn: after its terminal, that is a violation (a second
        terminal is one of its own)."""
        again = kinds & {"completed", "failed", "cancelled"}
        if turn.terminal is not None and not again and turn.key not in self._late:
            self._late.add(turn.key)
            late = f"{_type(frame)} after the terminal"
            self._flag(NOTHING_AFTER_TERMINAL, turn, late, frame)
        turn.frames.append(frame)

    def finish(self) -> list[Violation]:
        """Every violation, a turn still without its terminal included.

        Frames of a turn whose start never came, on a connection that saw turns start, are
        another session's (a leak): one violation of 4.turn.sessions-isolated says so, and
        nothing else is judged of them. On a connection where no turn started, they are
        frames before their start."""
        any_started = any(turn.started for turn in self.turns)
        for turn in self.turns:
            if not turn.started:
                early = turn.early or {}
                self.violations = [v for v in self.violations if v.turn != turn.key]
                if any_started:
                    text = f"{_type(early)} of turn {turn.key!r}, which this session never started"
                    self._flag(SESSIONS_ISOLATED, turn, text, early)
                    continue
                self._flag(STARTED_FIRST, turn, f"{_type(early)} before the turn's start", early)
            if turn.terminal is None:
                last = turn.frames[-1] if turn.frames else {}
                self._flag(ONE_TERMINAL, turn, "no terminal", last)
        return list(self.violations)

    def _parts(self) -> list[tuple[str, tuple[Matcher, ...]]]:
        shape = self.shape
        return [
            ("start", shape.start),
            ("reasoning", shape.reasoning),
            ("text_start", shape.text.start),
            ("text_delta", shape.text.delta),
            ("text_end", shape.text.end),
            ("tool_start", shape.tool.start),
            ("tool_args", shape.tool.args_delta),
            ("tool_end", shape.tool.end),
            ("tool_result", shape.tool.result),
            ("completed", shape.completed),
            ("failed", shape.failed),
            ("cancelled", shape.cancelled),
        ]

    def _start(self, key: str, frame: Mapping[str, Any], implicit: bool = False) -> Turn:
        if implicit and key:
            # Judged when its start comes (then this frame came first) or at the finish
            # (a turn never started here: another session's).
            turn = Turn(key, early=frame, started=False)
        elif implicit:
            turn = Turn(f"#{len(self.turns) + 1}")
            self._flag(STARTED_FIRST, turn, f"{_type(frame)} before the turn's start", frame)
        else:
            turn = Turn(key or f"#{len(self.turns) + 1}")
            if key and key in self._by_id:
                self._flag(ID_UNIQUE, turn, f"turn id {key!r} started again", frame)
        self.turns.append(turn)
        if key:
            self._by_id[key] = turn
        if turn.started:
            self._current = turn
        return turn

    def _text(self, turn: Turn, kinds: set[str], frame: Mapping[str, Any]) -> None:
        text = self.shape.text
        opens = bool(text.start)
        stream_id = value_at(frame, text.id)
        key = str(stream_id) if stream_id is not None else ""
        if "text_start" in kinds:
            known = turn.streams.get(key)
            if known is not None and known.opened:
                self._flag(OPENED_ONCE, turn, f"text stream {key!r} opened again", frame)
            if known is not None and not known.opened:
                known.opened = True  # its deltas came first (already flagged): kept
            else:
                turn.streams[key] = TextStream(key, opened=True)
        if "text_delta" in kinds:
            stream = self._stream(turn, key, opens, "a text delta", frame)
            delta = value_at(frame, text.delta_text)
            stream.deltas.append(delta if isinstance(delta, str) else "")
        if "text_end" in kinds:
            stream = self._stream(turn, key, opens, "a text end", frame)
            stream.ended = True
            final = value_at(frame, text.final_text)
            if isinstance(final, str):
                stream.final_text = final
                joined = "".join(stream.deltas)
                if stream.deltas and joined != final:
                    self._flag(
                        TEXT_RECONSTRUCTS,
                        turn,
                        f"the deltas join to {joined!r}, the final text is {final!r}",
                        frame,
                    )

    def _stream(
        self, turn: Turn, key: str, opens: bool, what: str, frame: Mapping[str, Any]
    ) -> TextStream:
        stream = turn.streams.get(key)
        if stream is not None and stream.ended:
            if opens:
                rule = OPENED_ONCE if what == "a text end" else OPENED_BEFORE_USE
                self._flag(rule, turn, f"{what} after the stream's end", frame)
            else:  # a dialect without a stream start: the next stream, by order
                key = f"{key}#{len(turn.streams) + 1}"
                stream = None
        if stream is None:
            if opens:
                self._flag(OPENED_BEFORE_USE, turn, f"{what} of an unopened stream", frame)
            stream = turn.streams[key] = TextStream(key, opened=not opens)
        return stream

    def _tool(self, turn: Turn, kinds: set[str], frame: Mapping[str, Any]) -> None:
        tool = self.shape.tool
        call_id = value_at(frame, tool.id)
        if "tool_start" in kinds:
            key = str(call_id) if call_id is not None else f"#{len(turn.tools) + 1}"
            if any(c.key == key for c in turn.tools):
                self._flag(OPENED_ONCE, turn, f"tool call {key!r} started again", frame)
            started = ToolCall(key, name=value_at(frame, tool.name))
            turn.tools.append(started)
            if not tool.end:  # the start carries the whole arguments
                self._end_call(turn, started, frame)
        if "tool_args" in kinds:
            delta_of = self._call(turn, call_id, "argument delta", frame, lambda c: not c.ended)
            if delta_of is not None:
                delta = value_at(frame, tool.args_delta_text)
                delta_of.argument_deltas.append(delta if isinstance(delta, str) else "")
        if "tool_end" in kinds:
            ended = self._call(turn, call_id, "end", frame, lambda c: not c.ended)
            if ended is not None:
                self._end_call(turn, ended, frame)
        if "tool_result" in kinds:
            answered = self._call(turn, call_id, "result", frame, lambda c: not c.results)
            if answered is not None:
                answered.results.append(value_at(frame, tool.result_value))

    def _call(
        self, turn: Turn, call_id: Any, what: str, frame: Mapping[str, Any], open_for: Any
    ) -> ToolCall | None:
        """The call a frame of the kind `what` belongs to: by id, else the oldest call still
        waiting for one (calls pair by order); a violation when there is none."""
        if call_id is not None:
            found = [c for c in turn.tools if c.key == str(call_id)]
            call = found[-1] if found else None
        else:
            call = next((c for c in turn.tools if open_for(c)), None)
        rule = TOOL_RESULT_PAIRED if what == "result" else OPENED_BEFORE_USE
        if call is None:
            named = f" {str(call_id)!r}" if call_id is not None else ""
            self._flag(rule, turn, f"a tool {what} for no started call{named}", frame)
            return None
        if not open_for(call):
            rule = TOOL_RESULT_PAIRED if what == "result" else OPENED_ONCE
            self._flag(rule, turn, f"a second tool {what} for call {call.key!r}", frame)
        return call

    def _end_call(self, turn: Turn, call: ToolCall, frame: Mapping[str, Any]) -> None:
        call.ended = True
        whole = value_at(frame, self.shape.tool.arguments)
        if whole is None and call.argument_deltas:
            whole = "".join(call.argument_deltas)
        if whole is None and not self.shape.tool.arguments:
            return  # the dialect's calls carry no arguments: nothing to judge
        parsed = _json_object(whole)
        if parsed is None:
            text = f"tool call {call.key!r}: arguments {whole!r} are not a JSON object"
            self._flag(TOOL_ARGUMENTS_JSON, turn, text, frame)
        call.arguments = parsed if parsed is not None else whole

    def _terminal(self, turn: Turn, terminal: str, frame: Mapping[str, Any]) -> None:
        if turn.terminal is not None:
            self._flag(ONE_TERMINAL, turn, f"a second terminal ({terminal})", frame)
            return
        turn.terminal = terminal
        if terminal != "completed":
            return
        still = [f"text stream {s.key!r}" for s in turn.streams.values() if not s.ended]
        still += [f"tool call {c.key!r}" for c in turn.tools if not c.ended]
        if still:
            self._flag(CLOSED_AT_COMPLETED, turn, f"still open: {', '.join(still)}", frame)

    def _flag(self, rule: str, turn: Turn, text: str, frame: Mapping[str, Any]) -> None:
        self.violations.append(Violation(rule, turn.key, text, frame))


def _type(frame: Mapping[str, Any]) -> str:
    return str(frame.get("type"))


def _json_object(value: Any) -> dict[str, Any] | None:
    """`value` as a JSON object: an object as it is, JSON text parsed, else None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
