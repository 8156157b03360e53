"""Helpers of the openai-realtime tests: a threaded reference server, sessions, responses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from harness.reference import ServerConfig, ThreadedServer, mint_token, start_in_thread

from .wire import SECRET, Wire, fresh_user

PROFILE: Final = "openai-realtime"
SEARCH_TEXT: Final = "Please search the weather in Zürich for tomorrow"


@asynccontextmanager
async def realtime_server(**overrides: Any) -> AsyncIterator[ThreadedServer]:
    """A reference server speaking openai-realtime on 127.0.0.1:0, in a thread (stopped from
    another thread: this loop still answers the closing handshakes of its clients)."""
    options: dict[str, Any] = {"jwt_secret": SECRET, "profile": PROFILE}
    options.update(overrides)
    server = start_in_thread(ServerConfig(**options))
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@asynccontextmanager
async def session(server: ThreadedServer, user: str | None = None) -> AsyncIterator[Wire]:
    """An open session whose session.created is already read (in `wire.established`)."""
    wire = await Wire.open(server.ws_url, token=mint_token(SECRET, user or fresh_user()))
    try:
        first = await wire.recv()
        assert first["type"] == "session.created", first
        wire.established = first
        yield wire
    finally:
        if wire.close_code is None:
            await wire.close()


def user_item(text: str) -> dict[str, Any]:
    """A conversation.item.create of one user text."""
    content = [{"type": "input_text", "text": text}]
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": content},
    }


async def say(wire: Wire, text: str) -> dict[str, Any]:
    """Add a user text; its conversation.item.created."""
    await wire.send(user_item(text))
    return await wire.expect("conversation.item.created")


async def until_done(wire: Wire, within: float = 5.0) -> list[dict[str, Any]]:
    """The frames up to and including the next response.done."""
    frames = []
    while not frames or frames[-1]["type"] != "response.done":
        frames.append(await wire.recv(within))
    return frames


async def respond(wire: Wire, text: str | None = None) -> list[dict[str, Any]]:
    """(Add `text`, then) ask for a response; its frames up to response.done."""
    if text is not None:
        await say(wire, text)
    await wire.send({"type": "response.create"})
    return await until_done(wire)


def of_type(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The frames of one type, in order."""
    return [frame for frame in frames if frame["type"] == kind]


def joined(frames: list[dict[str, Any]], kind: str, key: Callable[[dict[str, Any]], bool]) -> str:
    """The deltas of one type whose frame `key` picks, joined."""
    return "".join(frame["delta"] for frame in of_type(frames, kind) if key(frame))
