"""Frames with hand-written timestamps, what came back for each, and the checks made on it.

Frames are sent back to back on one connection and their replies read afterwards, so
that a class costs one round trip whatever its number of values and frame types. Every
frame received is kept in `Client.frames`; the functions here look a frame's replies and
runs up there by its message_id, so a reply that comes late or twice is seen too.
"""

from __future__ import annotations

import json
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.suite_api import CheckFailed, Client, close_text, decimal_text, to_microseconds
from harness.suite_api import protocol as P
from suites.timestamp_core.corpus import AGENT_CONTENT, AGENT_PAYLOAD_KEY

REPLY_WITHIN_S: Final = 5.0
RUN_WITHIN_S: Final = 10.0
# Long enough for the ack or the events of a wrongly started run to arrive.
QUIET_WINDOW_S: Final = 0.3
FRAME_TYPES: Final = (P.PING, P.USER_MESSAGE, P.START_AGENT)
AGENT_REQUESTS: Final = (P.USER_MESSAGE, P.START_AGENT)
REPLY_TYPE: Final = {P.PING: P.PONG, P.USER_MESSAGE: P.ACK, P.START_AGENT: P.ACK}
ABSENT_TEXT: Final = "(absent)"
NULL_TEXT: Final = "null"

Frame = dict[str, Any]

# Why the last wait on a connection ended before its condition held (a deadline, which the
# harness shortens for a cause an earlier test already met, naming that test), so that the
# failure of a check says it rather than a bare "no reply".
_gave_up: weakref.WeakKeyDictionary[Client, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Sent:
    """One frame sent: its type, its timestamp's JSON text (None: absent) and its message_id."""

    frame_type: str
    timestamp: str | None
    message_id: str

    @property
    def shown(self) -> str:
        """The timestamp as the reports show what was sent."""
        return ABSENT_TEXT if self.timestamp is None else self.timestamp


def payload_for(frame_type: str, content: str = AGENT_CONTENT) -> dict[str, Any]:
    """The payload of a frame type: empty for ping, the request's content for agent requests."""
    key = AGENT_PAYLOAD_KEY.get(frame_type)
    return {} if key is None else {key: content}


def frame_text(
    frame_type: str, message_id: str, payload: dict[str, Any], timestamp: str | None
) -> str:
    """The frame as JSON text, with `timestamp` (a JSON text) spliced in verbatim, or absent."""
    envelope = json.dumps({"type": frame_type, "message_id": message_id, "payload": payload})
    if timestamp is None:
        return envelope
    return f'{envelope[:-1]}, "timestamp": {timestamp}}}'


async def send(
    client: Client,
    frame_type: str,
    timestamp: str | None,
    payload: dict[str, Any] | None = None,
) -> Sent:
    """Send one frame carrying `timestamp` (verbatim JSON text) without waiting for its reply.

    On a connection the target already closed, nothing is sent: the frame then shows as
    unanswered, with the close code, where its reply is checked.
    """
    message_id = f"ts-{uuid.uuid4().hex[:12]}"
    body = payload_for(frame_type) if payload is None else payload
    try:
        await client.send_raw(frame_text(frame_type, message_id, body, timestamp))
    except CheckFailed:
        if not client.closed:
            raise
    return Sent(frame_type, timestamp, message_id)


async def wait_until(client: Client, done: Callable[[], bool], within: float) -> bool:
    """Read frames until `done()` holds, the connection closes or `within` s pass; done()."""
    deadline = time.monotonic() + within
    while not done():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or client.closed:
            return done()
        try:
            await client.recv(within=remaining)
        except CheckFailed as exc:
            _gave_up[client] = str(exc)
            return done()
    return True


def replies_to(client: Client, message_id: str) -> list[Frame]:
    """Every direct reply received so far that carries `message_id`, in order."""
    return [
        f
        for f in client.frames
        if f.get("type") in P.DIRECT_REPLIES and f.get("message_id") == message_id
    ]


def run_events(client: Client, run_id: object) -> list[Frame]:
    """Every agent event of run `run_id` received so far, in order."""
    return [
        f for f in client.frames if f.get("type") in P.AGENT_EVENTS and f.get("run_id") == run_id
    ]


def started_for(client: Client, message_id: str) -> bool:
    """True when an agent_started of the frame `message_id` arrived (a run of that frame)."""
    return any(
        f.get("type") == P.AGENT_STARTED
        and isinstance(f.get("data"), dict)
        and f["data"].get("message_id") == message_id
        for f in client.frames
    )


async def wait_for_replies(client: Client, sent: Sequence[Sent]) -> None:
    """Wait until every frame of `sent` has a direct reply (or the deadline, or a close)."""
    await wait_until(
        client, lambda: all(replies_to(client, s.message_id) for s in sent), REPLY_WITHIN_S
    )


def expected_text(micros: int | tuple[int, int] | None) -> str:
    """An expected normalised value as the reports show it: 6 fraction digits, or null."""
    if micros is None:
        return NULL_TEXT
    if isinstance(micros, tuple):
        return f"{decimal_text(micros[0])} or {decimal_text(micros[1])}"
    return decimal_text(micros)


def normalised_as(observed: object, expected: int | tuple[int, int] | None) -> bool:
    """Whether a received client_timestamp is the expected one, exactly in microseconds."""
    if expected is None:
        return observed is None
    micros = to_microseconds(observed)
    if isinstance(expected, tuple):
        return micros is not None and expected[0] <= micros <= expected[1]
    return micros == expected


def value_text(value: object) -> str:
    """A received client_timestamp as the reports show it: 6 fraction digits, null, or JSON."""
    if value is None:
        return NULL_TEXT
    micros = to_microseconds(value)
    if micros is not None:
        return decimal_text(micros)
    return f"{json.dumps(value, default=repr)} ({type(value).__name__})"


def reply_text(client: Client, sent: Sent, *, accepted: bool) -> str:
    """What came back for one frame, for the reports: a value, an error code or a frame type.

    For an accepted class the expected reply shows as its client_timestamp alone; for a
    rejected one the error shows as its code. Anything else names the frame type, and a
    second reply or a started run is appended.
    """
    replies = replies_to(client, sent.message_id)
    if not replies:
        if not client.closed:
            return "no reply"
        return f"no reply, connection closed: {close_text(client.close_code)}"
    first = replies[0]
    kind = first.get("type")
    timestamp = value_text(first.get("client_timestamp", "<missing>"))
    if kind == P.ERROR:
        shown = str(first.get("error_code"))
    elif accepted and kind == REPLY_TYPE[sent.frame_type]:
        shown = timestamp
    elif kind in (P.PONG, P.ACK):
        shown = f"{kind} {timestamp}"
    else:
        shown = str(kind)
    if len(replies) > 1:
        shown += " then " + ", ".join(str(r.get("type")) for r in replies[1:])
    if not accepted and started_for(client, sent.message_id):
        shown += " then a run"
    return shown


def observed_text(client: Client, sent: Sequence[Sent], *, accepted: bool) -> str:
    """One value's outcome over its frame types: one text when they agree, else each by type."""
    texts = [(s.frame_type, reply_text(client, s, accepted=accepted)) for s in sent]
    if len({text for _, text in texts}) == 1:
        return texts[0][1]
    return "; ".join(f"{frame_type}: {text}" for frame_type, text in texts)


def check_normalised(client: Client, sent: Sent, expected: int | tuple[int, int] | None) -> Frame:
    """The frame's one reply is its pong or ack, client_timestamp exactly `expected` µs or null."""
    replies = replies_to(client, sent.message_id)
    wanted = REPLY_TYPE[sent.frame_type]
    reply = replies[0] if replies else None
    if reply is None or reply.get("type") != wanted:
        raise CheckFailed(
            f"reply to a {sent.frame_type} with timestamp {sent.shown}",
            expected=f"{wanted} with client_timestamp {expected_text(expected)}",
            observed=reply if reply is not None else _silence(client),
            frames=replies,
        )
    observed = reply.get("client_timestamp", "<missing>")
    if not normalised_as(observed, expected):
        raise CheckFailed(
            f"client_timestamp of the {wanted} to a {sent.frame_type} with timestamp {sent.shown}",
            expected=expected_text(expected),
            observed=value_text(observed),
            frames=[reply],
        )
    if len(replies) > 1:
        raise CheckFailed(
            f"direct replies to a {sent.frame_type} with timestamp {sent.shown}",
            expected=f"exactly one ({wanted})",
            observed=[r.get("type") for r in replies],
            frames=replies,
        )
    return reply


def check_rejected(client: Client, sent: Sent) -> None:
    """The frame's only direct reply is error INVALID_TIMESTAMP with its message_id."""
    replies = replies_to(client, sent.message_id)
    first = replies[0] if replies else None
    if first is None or (first.get("type"), first.get("error_code")) != (
        P.ERROR,
        P.INVALID_TIMESTAMP,
    ):
        raise CheckFailed(
            f"reply to a {sent.frame_type} with rejected timestamp {sent.shown}",
            expected=f"error {P.INVALID_TIMESTAMP} with message_id {sent.message_id!r}",
            observed=first if first is not None else _silence(client),
            frames=replies,
        )
    if len(replies) > 1:
        raise CheckFailed(
            f"direct replies to a {sent.frame_type} with rejected timestamp {sent.shown}",
            expected=f"only the error {P.INVALID_TIMESTAMP} (the frame is not processed)",
            observed=[r.get("type") for r in replies],
            frames=replies,
        )


def check_no_other_runs(client: Client, own_runs: Sequence[object], sent: Sequence[Sent]) -> None:
    """No agent event arrived but those of `own_runs`: the rejected frames started nothing."""
    stray = [
        f
        for f in client.frames
        if f.get("type") in P.AGENT_EVENTS and f.get("run_id") not in own_runs
    ]
    if stray:
        shown = sorted({s.shown for s in sent})
        raise CheckFailed(
            f"agent events after {', '.join(sorted({s.frame_type for s in sent}))} frames "
            f"with rejected timestamps {', '.join(shown)}",
            expected="no agent event (a frame with a rejected timestamp starts no run)",
            observed=[f.get("type") for f in stray],
            frames=stray,
        )


async def check_runs_complete(client: Client, acks: Sequence[tuple[Sent, Frame]]) -> None:
    """Each acknowledged agent request's run ends with agent_completed within the deadline."""
    run_ids = [ack.get("run_id") for _, ack in acks]

    def ended() -> bool:
        return all(
            any(e.get("type") in P.TERMINAL_EVENTS for e in run_events(client, run_id))
            for run_id in run_ids
        )

    await wait_until(client, ended, RUN_WITHIN_S)
    for sent, ack in acks:
        events = run_events(client, ack.get("run_id"))
        types = [e.get("type") for e in events]
        if P.AGENT_COMPLETED not in types:
            raise CheckFailed(
                f"the run started by a {sent.frame_type} with timestamp {sent.shown}",
                expected=f"a run ending in {P.AGENT_COMPLETED} within {RUN_WITHIN_S:g} s",
                observed=f"{types}, {_silence(client)}" if client.closed else types,
                frames=events,
            )


async def check_still_usable(client: Client) -> None:
    """A follow-up ping on the same connection gets its pong (the connection stayed open)."""
    ping = await send(client, P.PING, None)
    await wait_until(client, lambda: bool(replies_to(client, ping.message_id)), REPLY_WITHIN_S)
    replies = replies_to(client, ping.message_id)
    if not replies or replies[0].get("type") != P.PONG:
        raise CheckFailed(
            "the connection after the frames",
            expected="still open: a follow-up ping gets a pong",
            observed=replies[0] if replies else _silence(client),
        )


def _silence(client: Client) -> str:
    """Why a frame has no reply: the connection closed (with its code), or the wait's end."""
    if client.closed:
        return f"connection closed: {close_text(client.close_code)}"
    return _gave_up.get(client, f"no reply within {REPLY_WITHIN_S:g} s")
