"""Expectations on refused connections and on what error frames must never contain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.errors import CheckFailed
from harness.wire import protocol as P

if TYPE_CHECKING:
    from harness.wire.client import Client

# A correct server refuses within milliseconds; this bounds the wait for a missing refusal.
REFUSAL_WITHIN = 3.0

# Texts that betray a stack trace or a file path when they appear in an error frame.
LEAK_MARKERS = ("Traceback", "/home", "/usr", ".py")


async def expect_refused(client: Client) -> dict[str, Any]:
    """Return the one AUTH_FAILED error frame the client got before a close 1008."""
    frame = await client.recv(within=REFUSAL_WITHIN)
    observed = {"type": frame.get("type"), "error_code": frame.get("error_code")}
    expected = {"type": P.ERROR, "error_code": P.AUTH_FAILED}
    if observed != expected:
        raise CheckFailed(
            "first frame of a refused connection", expected=expected, observed=observed
        )
    code = await client.wait_closed(within=REFUSAL_WITHIN)
    if code != P.CLOSE_POLICY_VIOLATION:
        raise CheckFailed("close code after AUTH_FAILED", expected=1008, observed=code)
    received = [other.get("type") for other in client.frames]
    if received != [P.ERROR]:
        raise CheckFailed("frames of a refused connection", expected=[P.ERROR], observed=received)
    return frame


def leaks_in(frame: Any, secrets: Mapping[str, str | None]) -> list[str]:
    """Return what a frame or body discloses: the labels of `secrets` in it, and leak markers."""
    text = "\n".join(strings_of(frame))
    found = [label for label, value in secrets.items() if value and value in text]
    found += [marker for marker in LEAK_MARKERS if marker in text]
    return found


def strings_of(value: Any) -> list[str]:
    """Return every string in a parsed JSON value: keys, values, nested ones."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in (k, *strings_of(v))]
    if isinstance(value, list):
        return [text for item in value for text in strings_of(item)]
    return []
