"""Each rt- defect of the openai-realtime server sends the wrong frames it names, and only
those: a probe per defect says whether its wrong thing shows, on a clean server it never does."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from harness.reference import ThreadedServer

from . import realtime_client as rt
from .test_defect_catalogue import RT_DEFECT_NAMES
from .wire import Wire

pytestmark = pytest.mark.asyncio

STORY = "Tell me a story"
Probe = Callable[[ThreadedServer], Awaitable[bool]]


async def _settled(wire: Wire, text: str | None = STORY) -> list[dict[str, Any]]:
    """A response's frames up to response.done, and whatever follows within 0.2 s."""
    frames = await rt.respond(wire, text)
    return frames + await wire.quiet(0.2)


async def _one_response(server: ThreadedServer, text: str = STORY) -> list[dict[str, Any]]:
    """The frames of the one response of a new session (and what follows within 0.2 s)."""
    async with rt.session(server) as wire:
        return await _settled(wire, text)


async def double_done(server: ThreadedServer) -> bool:
    return len(rt.of_type(await _one_response(server), "response.done")) == 2


async def delta_after_done(server: ThreadedServer) -> bool:
    frames = await _one_response(server)
    done = frames.index(rt.of_type(frames, "response.done")[0])
    return rt.of_type(frames[done:], "response.output_text.delta") != []


async def reused_response_id(server: ThreadedServer) -> bool:
    async with rt.session(server) as wire:
        first = rt.of_type(await _settled(wire), "response.created")[0]
        second = rt.of_type(await _settled(wire), "response.created")[0]
    return bool(first["response"]["id"] == second["response"]["id"])


async def delta_before_item(server: ThreadedServer) -> bool:
    kinds = [frame["type"] for frame in await _one_response(server)]
    return kinds.index("response.output_text.delta") < kinds.index("response.output_item.added")


async def text_done_twice(server: ThreadedServer) -> bool:
    return len(rt.of_type(await _one_response(server), "response.output_text.done")) == 2


async def done_while_open(server: ThreadedServer) -> bool:
    frames = await _one_response(server)
    completed = frames[-1]["type"] != "response.done" or (
        rt.of_type(frames, "response.done")[0]["response"]["status"] == "completed"
    )
    return completed and rt.of_type(frames, "response.output_text.done") == []


async def bad_arguments(server: ThreadedServer) -> bool:
    frames = await _one_response(server, rt.SEARCH_TEXT)
    calls = rt.of_type(frames, "response.function_call_arguments.done")
    assert calls, "a search text gets a function call"
    for call in calls:
        text = rt.joined(
            frames,
            "response.function_call_arguments.delta",
            lambda f, item_id=call["item_id"]: f["item_id"] == item_id,
        )
        try:
            json.loads(text)
        except ValueError:
            return True
    return False


async def text_mismatch(server: ThreadedServer) -> bool:
    async with rt.session(server) as wire:
        frames = await rt.respond(wire, STORY)  # up to response.done: no late delta
        await wire.quiet(0.2)
    ends = rt.of_type(frames, "response.output_text.done")
    deltas = rt.joined(frames, "response.output_text.delta", lambda f: True)
    return any(end["text"] != deltas for end in ends)


async def cross_session(server: ThreadedServer) -> bool:
    async with rt.session(server) as one, rt.session(server) as other:
        await _settled(one)
        return rt.of_type(await other.quiet(0.2), "response.output_text.delta") != []


async def stuck_after_error(server: ThreadedServer) -> bool:
    async with rt.session(server) as wire:
        await wire.send_raw("{not json")
        await wire.expect("error")
        await wire.send({"type": "response.create"})
        return rt.of_type(await wire.quiet(0.5), "response.created") == []


async def cancel_ignored(server: ThreadedServer) -> bool:
    async with rt.session(server) as wire:
        await rt.say(wire, STORY)
        await wire.send({"type": "response.create"})
        await wire.expect("response.output_text.delta")
        await wire.send({"type": "response.cancel"})
        frames = await rt.until_done(wire)
        await wire.quiet(0.2)
    return bool(frames[-1]["response"]["status"] == "completed")


async def close_4000(server: ThreadedServer) -> bool:
    async with rt.session(server) as wire:
        await _settled(wire)
        await _settled(wire)
        try:
            return await wire.wait_closed(0.3) == 4000
        except AssertionError:  # still open
            return False


PROBES: dict[str, Probe] = {
    "rt-double-done": double_done,
    "rt-delta-after-done": delta_after_done,
    "rt-reused-response-id": reused_response_id,
    "rt-delta-before-item": delta_before_item,
    "rt-text-done-twice": text_done_twice,
    "rt-done-while-open": done_while_open,
    "rt-bad-arguments": bad_arguments,
    "rt-text-mismatch": text_mismatch,
    "rt-cross-session": cross_session,
    "rt-stuck-after-error": stuck_after_error,
    "rt-cancel-ignored": cancel_ignored,
    "rt-close-4000": close_4000,
}


async def test_every_realtime_defect_has_a_probe() -> None:
    assert tuple(PROBES) == RT_DEFECT_NAMES


@pytest.mark.parametrize("defect", RT_DEFECT_NAMES)
async def test_the_defect_shows_its_wrong_frames(defect: str) -> None:
    async with rt.realtime_server(defects=frozenset({defect}), think_ms=2.0) as server:
        assert await PROBES[defect](server), f"{defect} does not show"


@pytest.mark.slow  # every probe, a few seconds per defect
@pytest.mark.parametrize("defect", ["none", *RT_DEFECT_NAMES])
async def test_the_defect_leaves_every_other_probe_clean(defect: str) -> None:
    defects = frozenset() if defect == "none" else frozenset({defect})
    async with rt.realtime_server(defects=defects, think_ms=2.0) as server:
        shown = [name for name, probe in PROBES.items() if name != defect and await probe(server)]
    assert shown == []
