"""One frame with a hand-written timestamp, its direct reply, and the checks made on it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Final

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.client import Client, is_close

REPLY_WITHIN_S: Final = 5.0
# Long enough for the ack or events of a wrongly processed frame to arrive.
NOT_PROCESSED_WINDOW_S: Final = 0.3


def frame_text(
    frame_type: str, message_id: str, payload: dict[str, Any], timestamp: str | None
) -> str:
    """The frame as JSON text, with `timestamp` (a JSON text) spliced in verbatim, or absent."""
    envelope = json.dumps({"type": frame_type, "message_id": message_id, "payload": payload})
    if timestamp is None:
        return envelope
    return f'{envelope[:-1]}, "timestamp": {timestamp}}}'


async def send_with_timestamp(
    client: Client, frame_type: str, payload: dict[str, Any], timestamp: str | None
) -> tuple[str, dict[str, Any]]:
    """Send one frame carrying `timestamp`; return its message_id and its direct reply."""
    message_id = f"ts-{uuid.uuid4().hex[:12]}"
    await client.send_raw(frame_text(frame_type, message_id, payload, timestamp))
    deadline = time.monotonic() + REPLY_WITHIN_S
    try:
        while True:
            frame = await client.recv(within=deadline - time.monotonic())
            if frame.get("type") in P.DIRECT_REPLIES and frame.get("message_id") == message_id:
                return message_id, frame
    except CheckFailed:
        if client.close_code is not None:
            raise CheckFailed(
                f"reply to a {frame_type} with timestamp {timestamp}",
                expected="a direct reply on an open connection (never close 1011)",
                observed=f"connection closed with code {client.close_code}",
            ) from None
        raise


def check_client_timestamp(
    reply: dict[str, Any], reply_type: str, timestamp: str | None, expected: float | None
) -> None:
    """The reply is `reply_type` and its client_timestamp is `expected` (within 1e-6) or null."""
    if reply.get("type") != reply_type:
        raise CheckFailed(
            f"reply to timestamp {timestamp}",
            expected=f"{reply_type} with client_timestamp {expected!r}",
            observed=reply,
        )
    observed = reply.get("client_timestamp", "<missing>")
    matches = observed is None if expected is None else is_close(observed, expected)
    if not matches:
        raise CheckFailed(
            f"client_timestamp of the {reply_type} to timestamp {timestamp}",
            expected=expected,
            observed=observed,
            frames=[reply],
        )


def check_invalid_timestamp(reply: dict[str, Any], message_id: str, timestamp: str) -> None:
    """The reply is error INVALID_TIMESTAMP carrying the frame's message_id."""
    got = (reply.get("type"), reply.get("error_code"), reply.get("message_id"))
    if got != (P.ERROR, P.INVALID_TIMESTAMP, message_id):
        raise CheckFailed(
            f"reply to rejected timestamp {timestamp}",
            expected=f"error {P.INVALID_TIMESTAMP} with message_id {message_id!r}",
            observed=reply,
            frames=[reply],
        )


async def check_still_usable(client: Client) -> None:
    """A follow-up ping on the same connection gets its pong (the connection stayed open)."""
    try:
        pong = await client.request(P.PING, within=REPLY_WITHIN_S)
    except CheckFailed:
        if client.close_code is not None:
            raise CheckFailed(
                "the connection after the frame",
                expected="still open: a follow-up ping gets a pong",
                observed=f"connection closed with code {client.close_code}",
            ) from None
        raise
    if pong.get("type") != P.PONG:
        raise CheckFailed("reply to a follow-up ping", expected=P.PONG, observed=pong)


async def check_not_processed(client: Client, message_id: str, timestamp: str) -> None:
    """No ack for the frame and no agent event for its user: the rejected frame started nothing."""
    user_id = client.user.id if client.user is not None else None
    late = await client.quiet(within=NOT_PROCESSED_WINDOW_S)
    started = [
        f
        for f in late
        if (f.get("type") == P.ACK and f.get("message_id") == message_id)
        or (f.get("type") in P.AGENT_EVENTS and f.get("user_id") == user_id)
    ]
    if started:
        raise CheckFailed(
            f"frames after the frame with rejected timestamp {timestamp}",
            expected="no ack and no agent event (the frame is not processed)",
            observed=[f.get("type") for f in started],
            frames=started,
        )
