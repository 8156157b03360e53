"""How the realtime reference server writes a response's frames: the form its profile states.

The session (realtime.py) streams each response, defects included, as openai-realtime
events; a form writes each event as the frames of its dialect. Two forms:

- `RealtimeForm`: the events as they are (`response.created`, `response.output_item.added`,
  `response.output_text.delta`, ..., `response.done`).
- `FlaggedForm`: flags on two shared types, as tests/e2e/profiles/flagged-stream.toml
  frames them: `turn` with `phase` start/end (`status` ok, error or cancelled on the end)
  and `chunk` with `kind` text or tool and the flags `start`, `end` and `result`; `turn`
  names the response on every frame of it, `id` its text stream or tool call.

Every event maps to the same part of a turn in both forms (a start, a delta, an end, a
terminal), so each `rt-` defect breaks the same rule whichever form writes it. The form
is the one whose turn start the profile's `[turn] start` matchers recognise; the realtime
form when none does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from harness.wire.profile import Profile
from harness.wire.turn_shape import shape_of

Event = dict[str, Any]

# A response's status in response.done -> the `status` of the flagged form's end.
_STATUSES: Final = {
    "completed": "ok",
    "failed": "error",
    "incomplete": "error",
    "cancelled": "cancelled",
}
# The result the flagged form's server-run `search` tool returns.
SEARCH_RESULT: Final[dict[str, list[str]]] = {"results": []}


class RealtimeForm:
    """openai-realtime: every event is its own frame."""

    name: Final = "openai-realtime"

    def frames(self, event: Event) -> list[Event]:
        """The frames that write `event` (here: the event itself)."""
        return [event]


class FlaggedForm:
    """flagged-stream: a response as `turn` and `chunk` frames with flags."""

    name: Final = "flagged"

    def frames(self, event: Event) -> list[Event]:
        """The frames that write `event`: none for an event of no part of a turn (a content
        part, a message's item done), the event itself for one outside a response."""
        kind = event["type"]
        if kind == "response.created":
            return [{"type": "turn", "turn": event["response"]["id"], "phase": "start"}]
        if kind == "response.done":
            response = event["response"]
            status = _STATUSES[response["status"]]
            return [{"type": "turn", "turn": response["id"], "phase": "end", "status": status}]
        if not kind.startswith("response."):
            return [event]  # the session's own (session.created, conversation.item.created)
        turn = event["response_id"]
        return [_chunk(turn, part) for part in _parts(kind, event)]


def _parts(kind: str, event: Mapping[str, Any]) -> list[Event]:
    """The chunk fields (after `turn`) an event of a response is written as."""
    if kind in ("response.output_item.added", "response.output_item.done"):
        item, added = event["item"], kind.endswith("added")
        if item["type"] == "message":  # its end is the text's end (output_text.done)
            return [{"kind": "text", "id": item["id"], "start": True}] if added else []
        if added:
            return [{"kind": "tool", "id": item["call_id"], "name": item["name"], "start": True}]
        # The call is over: the server ran the tool, and its result follows.
        return [{"kind": "tool", "id": item["call_id"], "result": True, "content": SEARCH_RESULT}]
    if kind == "response.function_call_arguments.delta":
        return [{"kind": "tool", "id": event["call_id"], "content": event["delta"]}]
    if kind == "response.function_call_arguments.done":
        return [{"kind": "tool", "id": event["call_id"], "end": True}]
    if kind == "response.output_text.delta":
        return [{"kind": "text", "id": event["item_id"], "content": event["delta"]}]
    if kind == "response.output_text.done":
        return [{"kind": "text", "id": event["item_id"], "end": True, "full": event["text"]}]
    return []  # content parts: no part of a turn in this form


def _chunk(turn: str, part: Mapping[str, Any]) -> Event:
    """A chunk of `turn` with its three flags (false unless the part sets them)."""
    return {"type": "chunk", "turn": turn, "start": False, "end": False, "result": False, **part}


Form = RealtimeForm | FlaggedForm
_FORMS: Final[tuple[Form, ...]] = (RealtimeForm(), FlaggedForm())
_SAMPLE_START: Final = {
    "type": "response.created",
    "event_id": "event_0",
    "response": {"id": "resp_0", "object": "realtime.response", "status": "in_progress"},
}


def form_for(profile: Profile) -> Form:
    """The form whose turn start the profile's `[turn] start` matchers recognise (the
    realtime form when none does)."""
    starts = shape_of(profile).start
    for form in _FORMS:
        (first,) = form.frames(dict(_SAMPLE_START))
        if any(matcher.matches(first) for matcher in starts):
            return form
    return _FORMS[0]
