"""The reference server's `openai-realtime` dialect: one realtime session per connection.

None of chat-agent/1's session is here (no ping, ack, thread, stats or rate limit): the
client adds items and asks for responses, which the llm-like agent of realtime_agent.py
streams; docs/REFERENCE_SERVER.md, section "openai-realtime", lists the frames. A
response's frames are written in the form the profile states (realtime_forms.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

import harness.reference.realtime_defects as R
from harness.reference.config import ServerConfig
from harness.reference.realtime_agent import SEARCH, CallPlan, ResponsePlan, plan_response
from harness.reference.realtime_forms import form_for
from harness.wire import protocol as P

INVALID_API_KEY: Final = "invalid_api_key"
LEAK_WITHIN_S: Final = 0.2  # how long a leaked frame (rt-cross-session) may take to go
INVALID_JSON: Final = "invalid_json"
INVALID_VALUE: Final = "invalid_value"
INVALID_EVENT_TYPE: Final = "invalid_event_type"
SERVER_ERROR: Final = "server_error"
NOT_ACTIVE: Final = "response_cancel_not_active"
ALREADY_ACTIVE: Final = "conversation_already_has_active_response"
MODEL: Final = "reference-realtime"
CLOSE_AFTER_SECOND: Final = 4000  # `rt-close-4000`
SEARCH_TOOL: Final = {
    "type": "function",
    "name": SEARCH,
    "description": "Search the web",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
}
_TEXT_PARTS: Final = ("input_text", "text")
_ROLES: Final = ("user", "system", "assistant")


def new_id(prefix: str) -> str:
    """A fresh id: `prefix_` and 12 hex digits (`event_3f…`, `resp_…`, `item_…`)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def error_frame(code: str, message: str, param: str | None, event_id: str | None) -> str:
    """An error frame's text; `event_id` is the client frame's it refers to (None: none)."""
    error = {
        "type": "invalid_request_error",
        "code": code,
        "message": message,
        "param": param,
        "event_id": event_id,
    }
    return json.dumps({"type": "error", "event_id": new_id("event"), "error": error})


@dataclass
class Response:
    """One response in flight: its id, plan, output items so far and streaming task."""

    id: str
    plan: ResponsePlan
    input_words: int
    output: list[dict[str, Any]] = field(default_factory=list)
    text_fields: dict[str, Any] | None = None  # the message's response/item/index fields
    task: asyncio.Task[None] | None = None


class RealtimeHub:
    """What the realtime sessions of one server share: the response count, the sessions."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.responses = itertools.count()
        self.sessions: set[RealtimeSession] = set()
        self.form = form_for(config.dialect.profile)

    async def refuse(self, websocket: ServerConnection, message: str) -> None:
        """A refused handshake: one invalid_api_key error, then close 1008."""
        try:
            await websocket.send(error_frame(INVALID_API_KEY, message, None, None))
            await websocket.close(P.CLOSE_POLICY_VIOLATION, INVALID_API_KEY)
        except ConnectionClosed:
            return

    async def serve(self, websocket: ServerConnection, user_id: str) -> None:
        """One authenticated connection, until it closes."""
        session = RealtimeSession(websocket, user_id, self)
        self.sessions.add(session)
        try:
            await session.run()
        except ConnectionClosed:
            return
        finally:
            self.sessions.discard(session)
            session.stop()


class RealtimeSession:
    """One connection: its session object, conversation items and the response in flight."""

    def __init__(self, websocket: ServerConnection, user_id: str, hub: RealtimeHub) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.hub = hub
        self.config = hub.config
        self.session: dict[str, Any] = {
            "id": new_id("sess"),
            "object": "realtime.session",
            "model": MODEL,
            "modalities": ["text"],
            "instructions": "",
            "tools": [SEARCH_TOOL],
        }
        self.items: list[dict[str, Any]] = []
        self.user_text = ""
        self.active: Response | None = None
        self.errored = False
        self.finished = 0
        self.first_response_id: str | None = None
        self._handlers: dict[str, Callable[[dict[str, Any], str | None], Awaitable[None]]] = {
            "session.update": self._session_update,
            "conversation.item.create": self._item_create,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
        }

    async def send(self, kind: str, **fields: Any) -> None:
        """One server event, with a fresh event_id, written in the profile's form."""
        event = {"type": kind, "event_id": new_id("event"), **fields}
        for frame in self.hub.form.frames(event):
            await self.websocket.send(json.dumps(frame))

    async def error(self, code: str, message: str, param: str | None, event_id: str | None) -> None:
        """An error frame; the connection stays open."""
        self.errored = True
        await self.websocket.send(error_frame(code, message, param, event_id))

    async def run(self) -> None:
        """The notices, the welcome, then every client frame in turn."""
        for text in self.config.before_welcome:
            await self.websocket.send(text)
        await self.send("session.created", session=self.session)
        async for message in self.websocket:
            if isinstance(message, bytes):
                await self.websocket.close(P.CLOSE_UNSUPPORTED_DATA, "binary frames unsupported")
                return
            await self.handle_text(message)

    def stop(self) -> None:
        """The connection is gone: its response in flight stops."""
        if self.active is not None and self.active.task is not None:
            self.active.task.cancel()

    async def handle_text(self, message: str) -> None:
        """One client frame: its handler, or the error it gets."""
        try:
            frame = json.loads(message)
        except (ValueError, RecursionError):
            frame = None
        if not isinstance(frame, dict):
            await self.error(INVALID_JSON, "The event is not a JSON object.", None, None)
            return
        event_id = frame.get("event_id")
        event_id = event_id if isinstance(event_id, str) else None
        kind = frame.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.error(INVALID_EVENT_TYPE, "Unknown or missing event type.", "type", event_id)
            return
        try:
            await handler(frame, event_id)
        except ConnectionClosed:
            raise
        except Exception:  # never close 1011: the client learns of it and the session goes on
            await self.error(SERVER_ERROR, "The server failed to handle the event.", None, event_id)

    async def _session_update(self, frame: dict[str, Any], event_id: str | None) -> None:
        update = frame.get("session")
        if not isinstance(update, dict):
            await self.error(INVALID_VALUE, "'session' must be an object.", "session", event_id)
            return
        kept = {k: v for k, v in update.items() if k not in ("id", "object")}
        self.session = {**self.session, **kept}
        await self.send("session.updated", session=self.session)

    async def _item_create(self, frame: dict[str, Any], event_id: str | None) -> None:
        item = read_item(frame.get("item"))
        if item is None:
            message = "'item' must be a message with text parts or a function_call_output."
            await self.error(INVALID_VALUE, message, "item", event_id)
            return
        given = item.pop("id", None)
        taken = {existing["id"] for existing in self.items}
        item_id = given if isinstance(given, str) and given and given not in taken else None
        created = {"id": item_id or new_id("item"), "object": "realtime.item", **item}
        created["status"] = "completed"
        previous = self.items[-1]["id"] if self.items else None
        self.items.append(created)
        if created["type"] == "message" and created["role"] == "user":
            self.user_text = " ".join(part["text"] for part in created["content"])
        await self.send("conversation.item.created", previous_item_id=previous, item=created)

    async def _response_create(self, frame: dict[str, Any], event_id: str | None) -> None:
        if self.errored and self.config.has(R.RT_STUCK_AFTER_ERROR):
            return
        if not isinstance(frame.get("response", {}), dict):
            await self.error(INVALID_VALUE, "'response' must be an object.", "response", event_id)
            return
        if self.active is not None:
            message = f"Conversation already has an active response: {self.active.id}."
            await self.error(ALREADY_ACTIVE, message, None, event_id)
            return
        response_id = new_id("resp")
        if self.config.has(R.RT_REUSED_RESPONSE_ID) and self.first_response_id is not None:
            response_id = self.first_response_id
        self.first_response_id = self.first_response_id or response_id
        n = next(self.hub.responses)
        plan = plan_response(self.config.seed, self.user_text, n, self.config.think_ms)
        response = Response(response_id, plan, len(self.user_text.split()))
        self.active = response
        response.task = asyncio.get_running_loop().create_task(self._stream(response))

    async def _response_cancel(self, frame: dict[str, Any], event_id: str | None) -> None:
        active, wanted = self.active, frame.get("response_id")
        if active is None or (wanted is not None and wanted != active.id):
            await self.error(NOT_ACTIVE, "There is no active response to cancel.", None, event_id)
            return
        if self.config.has(R.RT_CANCEL_IGNORED):
            return
        assert active.task is not None
        active.task.cancel()
        await asyncio.wait({active.task})
        for item in active.output:
            if item["status"] == "in_progress":
                item["status"] = "incomplete"
        await self._done(active, "cancelled", {"type": "cancelled", "reason": "client_cancelled"})

    async def _stream(self, response: Response) -> None:
        """A response from response.created to response.done."""
        created = {"id": response.id, "object": "realtime.response", "status": "in_progress"}
        try:
            await self.send("response.created", response={**created, "output": []})
            for index, call in enumerate(response.plan.calls):
                await self._stream_call(response, index, call)
            ended = await self._stream_message(response, len(response.plan.calls))
            await self._done(response, "completed", None)
            if ended and self.config.has(R.RT_DELTA_AFTER_DONE):
                assert response.text_fields is not None
                await self.send("response.output_text.delta", **response.text_fields, delta=".")
        except ConnectionClosed:
            return
        except Exception:  # the response fails; the session goes on
            await self.error(SERVER_ERROR, "The response failed.", None, None)
            await self._done(response, "failed", {"type": "failed", "error": None})

    async def _stream_call(self, response: Response, index: int, call: CallPlan) -> None:
        """One function call: added, argument deltas, arguments done, item done."""
        arguments, deltas = call.arguments, list(call.deltas)
        if self.config.has(R.RT_BAD_ARGUMENTS):  # the closing brace goes missing
            arguments, deltas[-1] = arguments[:-1], deltas[-1][:-1]
            deltas = [delta for delta in deltas if delta]
        item_id, call_id = new_id("item"), new_id("call")
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "call_id": call_id,
            "name": SEARCH,
            "arguments": "",
        }
        response.output.append(item)
        where = {"response_id": response.id, "output_index": index}
        await self.send("response.output_item.added", **where, item=item)
        fields = {**where, "item_id": item_id, "call_id": call_id}
        for delta, pause in itertools.zip_longest(deltas, call.pauses):
            await self.send("response.function_call_arguments.delta", **fields, delta=delta)
            await asyncio.sleep(pause or 0)
        await self.send(
            "response.function_call_arguments.done", **fields, name=SEARCH, arguments=arguments
        )
        item.update(status="completed", arguments=arguments)
        await self.send("response.output_item.done", **where, item=item)

    async def _stream_message(self, response: Response, index: int) -> bool:
        """The text message: added, part added, deltas, then its ends; False when a defect
        ends the response before the text is done."""
        plan = response.plan
        item_id = new_id("item")
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        where = {"response_id": response.id, "output_index": index}
        fields = {**where, "item_id": item_id, "content_index": 0}
        response.text_fields = fields
        deltas = list(plan.deltas)
        if self.config.has(R.RT_DELTA_BEFORE_ITEM):
            await self._text_delta(fields, deltas.pop(0))
        response.output.append(item)
        await self.send("response.output_item.added", **where, item=item)
        await self.send("response.content_part.added", **fields, part={"type": "text", "text": ""})
        pauses = plan.pauses[-len(deltas) :] if deltas else ()
        for delta, pause in itertools.zip_longest(deltas, pauses):
            await self._text_delta(fields, delta)
            await asyncio.sleep(pause or 0)
        if self.config.has(R.RT_DONE_WHILE_OPEN):
            return False
        text = plan.text
        if self.config.has(R.RT_TEXT_MISMATCH):  # one character of the deltas goes missing
            middle = len(text) // 2
            text = text[:middle] + text[middle + 1 :]
        for _ in range(2 if self.config.has(R.RT_TEXT_DONE_TWICE) else 1):
            await self.send("response.output_text.done", **fields, text=text)
        part = {"type": "text", "text": text}
        await self.send("response.content_part.done", **fields, part=part)
        item.update(status="completed", content=[part])
        await self.send("response.output_item.done", **where, item=item)
        return True

    async def _text_delta(self, fields: dict[str, Any], delta: str) -> None:
        """One text delta (`rt-cross-session`: to every other user's sessions too)."""
        await self.send("response.output_text.delta", **fields, delta=delta)
        if not self.config.has(R.RT_CROSS_SESSION):
            return
        for other in list(self.hub.sessions):
            if other.user_id != self.user_id:
                try:  # a session that does not read must not hold this response up
                    leak = other.send("response.output_text.delta", **fields, delta=delta)
                    await asyncio.wait_for(leak, LEAK_WITHIN_S)
                except (ConnectionClosed, TimeoutError):
                    continue

    async def _done(self, response: Response, status: str, details: Any) -> None:
        """response.done with the response's output and usage; the response is over."""
        if self.active is response:
            self.active = None
        output_words = len(response.plan.text.split())
        output_words += sum(len(call.arguments.split()) for call in response.plan.calls)
        done = {
            "id": response.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": response.output,
            "usage": {
                "total_tokens": response.input_words + output_words,
                "input_tokens": response.input_words,
                "output_tokens": output_words,
            },
        }
        for _ in range(2 if self.config.has(R.RT_DOUBLE_DONE) else 1):
            await self.send("response.done", response=done)
        self.finished += 1
        if self.finished == 2 and self.config.has(R.RT_CLOSE_4000):
            await self.websocket.close(CLOSE_AFTER_SECOND, "second response done")


def read_item(item: Any) -> dict[str, Any] | None:
    """A client's conversation item, copied; None when it is missing or malformed."""
    if not isinstance(item, dict):
        return None
    kind = item.get("type")
    if kind == "function_call_output":
        call_id, output = item.get("call_id"), item.get("output")
        if isinstance(call_id, str) and call_id and isinstance(output, str):
            return {"id": item.get("id"), "type": kind, "call_id": call_id, "output": output}
        return None
    if kind != "message" or item.get("role") not in _ROLES:
        return None
    content = item.get("content")
    if not isinstance(content, list) or not content:
        return None
    parts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type") not in _TEXT_PARTS:
            return None
        if not isinstance(part.get("text"), str):
            return None
        parts.append({"type": part["type"], "text": part["text"]})
    return {"id": item.get("id"), "type": kind, "role": item["role"], "content": parts}
