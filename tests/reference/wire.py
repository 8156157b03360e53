"""A tiny test client for the reference server: real sockets, every wait with a deadline."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from harness.wire.tokens import subprotocol_for as subprotocol_for

SECRET: Final = "reference-tests-secret-0123456789-abcdefghij"
AGENT_EVENTS: Final = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "agent_error",
)
DIRECT_REPLIES: Final = ("pong", "ack", "thread_history", "error")
ABSENT: Final = object()


def fresh_user(prefix: str = "u") -> str:
    """A user id no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Wire:
    """One client connection; frames read while looking for another stay buffered."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self.buffer: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.established: dict[str, Any] | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        token: str | None = None,
        transport: str = "header",
        headers: dict[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        query: str | None = None,
        within: float = 5.0,
    ) -> Wire:
        """Connect, presenting `token` by `transport` (header, subprotocol, query or none)."""
        extra = dict(headers or {})
        offered = list(subprotocols or [])
        if token is not None and transport == "header":
            extra["Authorization"] = f"Bearer {token}"
        elif token is not None and transport == "subprotocol":
            offered.insert(0, subprotocol_for(token))
        elif token is not None and transport == "query":
            query = f"token={token}" + (f"&{query}" if query else "")
        target = url + (f"?{query}" if query else "")
        websocket = await connect(
            target,
            additional_headers=extra,
            subprotocols=[Subprotocol(s) for s in offered] or None,
            open_timeout=within,
            max_size=None,
            ping_interval=None,
        )
        return cls(websocket)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(frame))

    async def send_raw(self, data: str | bytes) -> None:
        """Send one frame; AssertionError when the server has closed or dropped the connection."""
        try:
            await self.websocket.send(data)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
            raise AssertionError(f"connection closed with {self.close_code}") from None

    async def recv(self, within: float = 5.0) -> dict[str, Any]:
        """The next frame (buffered first); AssertionError on timeout or close."""
        if self.buffer:
            return self.buffer.pop(0)
        return await self._read(within)

    async def _read(self, within: float) -> dict[str, Any]:
        try:
            text = await asyncio.wait_for(self.websocket.recv(), within)
        except TimeoutError:
            raise AssertionError(f"no frame within {within} s") from None
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
            raise AssertionError(f"connection closed with {self.close_code}") from None
        assert isinstance(text, str), f"expected a text frame, got {text!r}"
        frame: dict[str, Any] = json.loads(text)
        return frame

    async def expect(self, frame_type: str, within: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next frame of that type whose fields match; frames passed over stay buffered."""
        for index, frame in enumerate(self.buffer):
            if _matches(frame, frame_type, fields):
                return self.buffer.pop(index)
        deadline = asyncio.get_running_loop().time() + within
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self._read(max(remaining, 0.0))
            if _matches(frame, frame_type, fields):
                return frame
            self.buffer.append(frame)

    async def request(
        self,
        frame_type: str,
        payload: Any = ABSENT,
        *,
        message_id: str | None = None,
        timestamp: Any = ABSENT,
        within: float = 5.0,
    ) -> dict[str, Any]:
        """Send one frame and return its direct reply (the frame carrying its message_id)."""
        message_id = message_id or f"m-{uuid.uuid4().hex[:8]}"
        frame: dict[str, Any] = {"type": frame_type, "message_id": message_id}
        if payload is not ABSENT:
            frame["payload"] = payload
        if timestamp is not ABSENT:
            frame["timestamp"] = timestamp
        await self.send(frame)
        return await self.reply(message_id, within)

    async def reply(self, message_id: str | None, within: float = 5.0) -> dict[str, Any]:
        """The next direct reply carrying `message_id`."""
        for index, frame in enumerate(self.buffer):
            if frame["type"] in DIRECT_REPLIES and frame.get("message_id") == message_id:
                return self.buffer.pop(index)
        deadline = asyncio.get_running_loop().time() + within
        while True:
            frame = await self._read(max(deadline - asyncio.get_running_loop().time(), 0.0))
            if frame["type"] in DIRECT_REPLIES and frame.get("message_id") == message_id:
                return frame
            self.buffer.append(frame)

    async def collect_run(self, within: float = 5.0) -> list[dict[str, Any]]:
        """The agent events of the first run seen, up to and including its terminal event."""
        deadline = asyncio.get_running_loop().time() + within
        first = await self._next(lambda f: f["type"] in AGENT_EVENTS, deadline)
        events = [first]
        while events[-1]["type"] not in ("agent_completed", "agent_error"):
            events.append(
                await self._next(
                    lambda f: f["type"] in AGENT_EVENTS and f["run_id"] == first["run_id"],
                    deadline,
                )
            )
        return events

    async def _next(
        self, wanted: Callable[[dict[str, Any]], bool], deadline: float
    ) -> dict[str, Any]:
        """The next frame (buffered first) that is `wanted`; others stay buffered."""
        for index, frame in enumerate(self.buffer):
            if wanted(frame):
                return self.buffer.pop(index)
        while True:
            frame = await self._read(max(deadline - asyncio.get_running_loop().time(), 0.0))
            if wanted(frame):
                return frame
            self.buffer.append(frame)

    async def quiet(self, within: float = 0.3) -> list[dict[str, Any]]:
        """Every frame that arrives within the window (buffered ones first)."""
        frames, self.buffer = self.buffer, []
        deadline = asyncio.get_running_loop().time() + within
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                frames.append(await self._read(remaining))
            except AssertionError:
                break
        return frames

    async def wait_closed(self, within: float = 5.0) -> int | None:
        """The close code the server sent (reading and buffering frames meanwhile)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                text = await asyncio.wait_for(self.websocket.recv(), max(remaining, 0.0))
            except TimeoutError:
                raise AssertionError(f"still open after {within} s") from None
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else None
                return self.close_code
            if isinstance(text, str):
                self.buffer.append(json.loads(text))

    async def close(self) -> None:
        await asyncio.wait_for(self.websocket.close(), 5.0)


def _matches(frame: dict[str, Any], frame_type: str, fields: dict[str, Any]) -> bool:
    return frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items())


@dataclass(frozen=True, slots=True)
class HttpReply:
    """Status and parsed JSON body of one HTTP GET."""

    status: int
    body: Any


async def http_get(
    url: str, *, token: str | None = None, headers: dict[str, str] | None = None
) -> HttpReply:
    """GET `url` within 5 s (in a worker thread; urllib has its own socket timeout)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")

    def fetch() -> HttpReply:
        try:
            with urllib.request.urlopen(request, timeout=5.0) as response:
                return HttpReply(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            body = error.read()
            return HttpReply(error.code, json.loads(body) if body else None)

    return await asyncio.wait_for(asyncio.to_thread(fetch), 6.0)
