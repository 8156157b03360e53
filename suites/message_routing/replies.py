"""Expectations on direct replies shared by the message_routing tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.errors import CheckFailed
from harness.wire import protocol as P

if TYPE_CHECKING:
    from harness.wire.client import Client

# A correct server replies within milliseconds; this bounds the wait for a missing reply.
REPLY_WITHIN = 3.0


def error_summary(frame: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a frame that identify a direct reply, for failure messages."""
    keys = ("type", "error_code", "message_id", "message")
    return {key: frame[key] for key in keys if key in frame}


async def expect_error(
    client: Client, code: str, message_id: str | None, *, within: float = REPLY_WITHIN
) -> dict[str, Any]:
    """Return the next frame, which must be an `error` with `code` and `message_id`."""
    expected = {"type": P.ERROR, "error_code": code, "message_id": message_id}
    try:
        frame = await client.recv(within=within)
    except CheckFailed as silent:
        observed_instead = (
            f"connection closed with code {client.close_code}"
            if client.closed
            else f"no frame within {within:g} s"
        )
        raise CheckFailed(
            "direct reply to the frame",
            expected=expected,
            observed=observed_instead,
            frames=silent.frames,
        ) from None
    observed = {key: frame.get(key) for key in expected}
    if observed != expected:
        raise CheckFailed("direct reply to the frame", expected=expected, observed=observed)
    if not isinstance(frame.get("message"), str) or not frame["message"]:
        raise CheckFailed(
            f"{code} error message", expected="a non-empty string", observed=frame.get("message")
        )
    return frame


async def expect_usable(client: Client, *, message_id: str = "after-error") -> None:
    """Check a connection that started no run still answers: its ping gets a pong, no events."""
    reply = await client.request(P.PING, message_id=message_id, within=REPLY_WITHIN)
    if reply.get("type") != P.PONG:
        raise CheckFailed(
            f"reply to ping {message_id!r} after an error",
            expected={"type": P.PONG, "message_id": message_id},
            observed=error_summary(reply),
        )
    stray = [frame.get("type") for frame in client.frames if frame.get("type") in P.AGENT_EVENTS]
    if stray:
        raise CheckFailed("agent events after a rejected frame", expected=[], observed=stray)
