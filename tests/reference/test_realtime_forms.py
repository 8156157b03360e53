"""The realtime server in the flagged form (tests/e2e/profiles/flagged-stream.toml): a
response as `turn` and `chunk` frames with flags, the session's own frames unchanged."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Final

import pytest

from harness.reference.realtime_forms import FlaggedForm, RealtimeForm, form_for
from harness.wire.profile import load_profile

from .realtime_client import SEARCH_TEXT, realtime_server, say, session
from .wire import Wire

pytestmark = pytest.mark.asyncio

FLAGGED: Final = str(Path(__file__).parents[1] / "e2e" / "profiles" / "flagged-stream.toml")
FLAGS: Final = ("start", "end", "result")


async def _until_turn_end(wire: Wire) -> list[dict[str, Any]]:
    frames = [await wire.recv()]
    while not (frames[-1]["type"] == "turn" and frames[-1]["phase"] == "end"):
        frames.append(await wire.recv())
    return frames


def _part(frame: dict[str, Any]) -> str:
    """A frame as the part it is: `turn:start`, `tool:delta`, `text:end`, `turn:end:ok`."""
    if frame["type"] == "turn":
        return ":".join(["turn", frame["phase"], *([frame["status"]] if "status" in frame else [])])
    set_flags = [flag for flag in FLAGS if frame[flag] is True]
    return f"{frame['kind']}:{set_flags[0] if set_flags else 'delta'}"


def _collapsed(frames: list[dict[str, Any]]) -> list[str]:
    """The parts in order, runs of one part as one."""
    return [part for part, _ in itertools.groupby(_part(frame) for frame in frames)]


CALL: Final = ["tool:start", "tool:delta", "tool:end", "tool:result"]
TEXT: Final = ["text:start", "text:delta", "text:end"]


async def test_a_response_with_a_tool_call_is_written_as_flagged_chunks() -> None:
    async with realtime_server(profile=FLAGGED, think_ms=2.0) as server, session(server) as wire:
        await say(wire, SEARCH_TEXT)
        await wire.send({"type": "response.create", "event_id": "e-1"})
        frames = await _until_turn_end(wire)
    parts = _collapsed(frames)
    assert parts in (
        ["turn:start", *CALL, *TEXT, "turn:end:ok"],
        ["turn:start", *CALL, *CALL, *TEXT, "turn:end:ok"],
    ), parts
    turn = frames[0]["turn"]
    assert turn.startswith("resp_")
    assert {frame["turn"] for frame in frames} == {turn}
    chunks = frames[1:-1]
    assert all(set(FLAGS) <= frame.keys() for frame in chunks)
    text = [frame for frame in chunks if frame["kind"] == "text"]
    deltas = "".join(frame["content"] for frame in text if not frame["start"] and not frame["end"])
    (end,) = [frame for frame in text if frame["end"]]
    assert end["full"] == deltas and deltas
    tools = [frame for frame in chunks if frame["kind"] == "tool"]
    starts = [frame for frame in tools if frame["start"]]
    assert all(frame["name"] == "search" for frame in starts)
    for start in starts:
        mine = [frame for frame in tools if frame["id"] == start["id"]]
        arguments = "".join(
            f["content"] for f in mine if not (f["start"] or f["end"] or f["result"])
        )
        assert set(json.loads(arguments)) == {"query"}
        assert [f["content"] for f in mine if f["result"]] == [{"results": []}]


async def test_a_cancelled_response_ends_with_status_cancelled() -> None:
    async with realtime_server(profile=FLAGGED, think_ms=20.0) as server, session(server) as wire:
        await say(wire, "Tell me a long story about the sea")
        await wire.send({"type": "response.create"})
        assert _part(await wire.recv()) == "turn:start"
        await wire.send({"type": "response.cancel"})
        frames = await _until_turn_end(wire)
    assert frames[-1]["status"] == "cancelled"
    assert wire.established is not None and wire.established["type"] == "session.created"


async def test_the_form_is_the_one_the_profiles_turn_start_recognises() -> None:
    assert isinstance(form_for(load_profile("openai-realtime")), RealtimeForm)
    assert isinstance(form_for(load_profile(FLAGGED)), FlaggedForm)
