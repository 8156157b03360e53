"""How a dialect frames an agent's turn: the profile's `[turn]` tables (docs/TURNS.md).

A turn is what the agent does for one request: it starts, may reason, streams its text
(opened, deltas, ended, with the final text where the dialect sends it), calls tools
(started, argument deltas, ended, a result), and ends with exactly one terminal:
completed, failed or cancelled. Each part is recognised by matchers on the frames a
test sees (after the profile's decoding: the canonical name for a frame that
`[server.frames]` maps, the wire's own for any other): `{ type = "...", when = { path
= value } }`. `chat-agent/1` writes its tables out in full; other dialects name what
differs, and a dialect whose streams or tool calls are flags on one shared type uses
`when` to tell the parts apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.wire.profile import ABSENT, Profile, lookup


@dataclass(frozen=True, slots=True)
class Matcher:
    """One kind of frame: its type and the field values that tell it apart."""

    type: str
    when: tuple[tuple[str, Any], ...] = ()

    def matches(self, frame: Mapping[str, Any]) -> bool:
        """Whether `frame` is of this kind."""
        if frame.get("type") != self.type:
            return False
        return all(lookup(frame, path) == value for path, value in self.when)


@dataclass(frozen=True, slots=True)
class TextShape:
    """How the agent's text arrives: opened, deltas, ended, and where its parts live."""

    start: tuple[Matcher, ...]
    delta: tuple[Matcher, ...]
    end: tuple[Matcher, ...]
    id: str  # the stream's id in each of its frames; "" or absent: one stream at a time
    delta_text: str
    final_text: str  # in the end frame; "" when the dialect sends no final text


@dataclass(frozen=True, slots=True)
class ToolShape:
    """How a tool call arrives: started, argument deltas, ended, its result."""

    start: tuple[Matcher, ...]
    args_delta: tuple[Matcher, ...]
    end: tuple[Matcher, ...]  # () when the start carries the whole arguments
    result: tuple[Matcher, ...]
    id: str  # the call's id; "" or absent in a frame: calls pair by order
    name: str
    arguments: str  # the whole arguments, on the end (or the start): an object or JSON text
    args_delta_text: str
    result_value: str


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """The client frames that ask for a turn, cancel it, and that the target refuses, as
    templates ("{content}", "{thread}", "{id}" in their strings)."""

    frames: tuple[Mapping[str, Any], ...]
    cancel: Mapping[str, Any] | None  # None: the dialect has no cancel
    refused: Mapping[str, Any] | None
    concurrent: bool  # several turns in flight on one connection


@dataclass(frozen=True, slots=True)
class TurnShape:
    """A dialect's turn, as its profile's `[turn]` tables say."""

    agent: str  # "scripted" (exact answers checked) or "llm"
    turn_id: str  # where each frame of a turn names it; "" or absent: by order
    start: tuple[Matcher, ...]
    completed: tuple[Matcher, ...]
    failed: tuple[Matcher, ...]
    cancelled: tuple[Matcher, ...]
    reasoning: tuple[Matcher, ...]
    text: TextShape
    tool: ToolShape
    request: TurnRequest

    @property
    def streams_text(self) -> bool:
        """Whether the agent's text arrives as deltas."""
        return bool(self.text.delta)

    @property
    def streams_arguments(self) -> bool:
        """Whether a tool call's arguments arrive as deltas."""
        return bool(self.tool.args_delta)

    @property
    def terminals(self) -> tuple[Matcher, ...]:
        """Every kind of terminal frame."""
        return (*self.completed, *self.failed, *self.cancelled)


def shape_of(profile: Profile) -> TurnShape:
    """The profile's turn shape, built once per profile."""
    shape: TurnShape | None = profile.derived.get("turn")
    if shape is None:
        shape = profile.derived["turn"] = _shape(profile.section("turn"))
    return shape


def value_at(frame: Mapping[str, Any], path: str) -> Any:
    """The value at `path` in `frame`, or None when the path is "" or leads nowhere; of
    alternatives ("response_id|response.id"), the first present."""
    if not path:
        return None
    for one in path.split("|"):
        found = lookup(frame, one)
        if found is not ABSENT:
            return found
    return None


def _matchers(raw: Any) -> tuple[Matcher, ...]:
    return tuple(Matcher(m["type"], tuple(sorted(m.get("when", {}).items()))) for m in raw)


def _shape(turn: Mapping[str, Any]) -> TurnShape:
    text, tool, request = turn["text"], turn["tool"], turn["request"]
    return TurnShape(
        agent=turn["agent"],
        turn_id=turn["turn_id"],
        start=_matchers(turn["start"]),
        completed=_matchers(turn["completed"]),
        failed=_matchers(turn["failed"]),
        cancelled=_matchers(turn["cancelled"]),
        reasoning=_matchers(turn["reasoning"]),
        text=TextShape(
            start=_matchers(text["start"]),
            delta=_matchers(text["delta"]),
            end=_matchers(text["end"]),
            id=text["id"],
            delta_text=text["delta_text"],
            final_text=text["final_text"],
        ),
        tool=ToolShape(
            start=_matchers(tool["start"]),
            args_delta=_matchers(tool["args_delta"]),
            end=_matchers(tool["end"]),
            result=_matchers(tool["result"]),
            id=tool["id"],
            name=tool["name"],
            arguments=tool["arguments"],
            args_delta_text=tool["args_delta_text"],
            result_value=tool["result_value"],
        ),
        request=TurnRequest(
            frames=tuple(request["frames"]),
            cancel=request["cancel"][0] if request["cancel"] else None,
            refused=request["refused"][0] if request["refused"] else None,
            concurrent=request["concurrent"],
        ),
    )
