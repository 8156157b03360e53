"""What a refused connection must look like: one AUTH_FAILED error frame, then close 1008.

Wrong behaviours told apart: connection_established before (or instead of) the error;
an HTTP 401 instead of a completed handshake (the `connect` fixture fails on it); a second
frame after the error; a close with 1000, 1011 or no close frame at all; no close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from harness.errors import CheckFailed
from harness.wire import protocol as P

if TYPE_CHECKING:
    from harness.wire.client import Client

# A correct server refuses within milliseconds; this bounds the wait for a missing refusal.
REFUSAL_WITHIN: Final = 3.0


async def expect_refused(client: Client) -> dict[str, Any]:
    """Return the one AUTH_FAILED error frame the client got before a close 1008."""
    frame = await client.recv(within=REFUSAL_WITHIN)
    observed = {"type": frame.get("type"), "error_code": frame.get("error_code")}
    expected = {"type": P.ERROR, "error_code": P.AUTH_FAILED}
    if observed != expected:
        raise CheckFailed(
            "first frame of a refused connection", expected=expected, observed=observed
        )
    try:
        code: Any = await client.wait_closed(within=REFUSAL_WITHIN)
    except CheckFailed:
        code = f"still open after {REFUSAL_WITHIN:g} s"
    received = [other.get("type") for other in client.frames]
    if (received, code) != ([P.ERROR], P.CLOSE_POLICY_VIOLATION):
        raise CheckFailed(
            "frames and close code of a refused connection",
            expected={"frames": [P.ERROR], "close": P.CLOSE_POLICY_VIOLATION},
            observed={"frames": received, "close": code},
        )
    return frame
