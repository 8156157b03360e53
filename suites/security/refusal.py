"""What a refused connection must look like: one AUTH_FAILED error frame, then close 1008;
on a socket.io target, the namespace's connect refused with a connect_error packet.

Wrong behaviours told apart: connection_established before (or instead of) the error;
an HTTP 401 instead of a completed handshake (the `connect` fixture fails on it); a second
frame after the error; a close with 1000, 1011 or no close frame at all; no close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from harness.suite_api import CheckFailed, ConnectRefused
from harness.suite_api import protocol as P

if TYPE_CHECKING:
    from harness.suite_api import Client

# A correct server refuses within milliseconds; this bounds the wait for a missing refusal.
REFUSAL_WITHIN: Final = 3.0

Opener = Callable[[], Awaitable["Client"]]


@dataclass
class ConnectError:
    """A socket.io connect refused: its connect_error packet, the one frame it received."""

    frames: list[dict[str, Any]]


async def expect_refused(client: Client) -> dict[str, Any]:
    """Return the one AUTH_FAILED error frame the client got before a close 1008."""
    frame = await client.recv(within=REFUSAL_WITHIN)
    observed = {"type": frame.get("type"), "error_code": frame.get("error_code")}
    expected = {"type": P.ERROR, "error_code": P.AUTH_FAILED}
    if observed != expected:
        raise CheckFailed(
            "first frame of a refused connection", expected=expected, observed=observed
        )
    # A server that never closes fails here; the client names the first test that saw it.
    code = await client.wait_closed(within=REFUSAL_WITHIN)
    received = [other.get("type") for other in client.frames]
    if (received, code) != ([P.ERROR], P.CLOSE_POLICY_VIOLATION):
        raise CheckFailed(
            "frames and close code of a refused connection",
            expected={"frames": [P.ERROR], "close": P.CLOSE_POLICY_VIOLATION},
            observed={"frames": received, "close": code},
        )
    return frame


async def expect_each_refused(
    openers: Mapping[str, Opener],
) -> dict[str, Client | ConnectError]:
    """Open every connection at once, expect each refused; the clients by label.

    At once, so that a server that never refuses or never closes costs one deadline per
    test, not one per connection. A failure names every connection that was not refused.
    """

    async def refused(opener: Opener) -> Client | ConnectError:
        try:
            client = await opener()
        except ConnectRefused as refusal:  # a socket.io target's refusal
            return ConnectError([{"type": "connect_error", "data": refusal.payload}])
        await expect_refused(client)
        return client

    outcomes = await asyncio.gather(
        *(refused(opener) for opener in openers.values()), return_exceptions=True
    )
    failures: dict[str, str] = {}
    clients: dict[str, Client | ConnectError] = {}
    for label, outcome in zip(openers, outcomes, strict=True):
        if isinstance(outcome, CheckFailed):
            failures[label] = str(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome  # the harness's own error, not the target's failure
        else:
            clients[label] = outcome
    if failures:
        raise CheckFailed(
            f"refusal of {len(failures)} of {len(openers)} connections",
            expected="one AUTH_FAILED error frame, then close 1008 (socket.io: a "
            "connect_error), on each",
            observed=failures,
        )
    return clients
