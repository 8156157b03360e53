"""What the message_routing tests share: reply expectations, limits, parameter cases."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any, Final

import pytest

from harness.suite_api import CheckFailed
from harness.suite_api import protocol as P

if TYPE_CHECKING:
    from harness.suite_api import Client

# A correct server replies within milliseconds; this bounds the wait for a missing reply.
REPLY_WITHIN: Final = 3.0
# A run that a rejected frame must not start would show its agent_started within
# milliseconds of the reply; the window only covers a server that starts it a little later.
NO_RUN_QUIET: Final = 0.2
# Markup in an error message: an HTML/XML tag or an ANSI escape sequence.
_TAG: Final = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")


# The rules every error reply of a test checked with expect_error verifies.
ERROR_FRAME: Final = (
    "3.frame.error.error-code",
    "3.frame.error.message-id",
    "3.frame.error.message-plain-text",
    "6.close.never-1011",
)


def case(value: Any, *rest: Any, id: str, rules: tuple[str, ...] = (), needs_bytes: int = 0) -> Any:
    """Return one parameter set with its id and the rules it verifies (and, when its frame
    is large, the message size it needs the target to accept)."""
    marks = [pytest.mark.rules(*rules)]
    if needs_bytes:
        marks.append(pytest.mark.needs_message_bytes(needs_bytes))
    return pytest.param(value, *rest, id=id, marks=marks)


def error_summary(frame: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a frame that identify a direct reply, for failure messages."""
    keys = ("type", "error_code", "message_id", "message")
    return {key: frame[key] for key in keys if key in frame}


def fresh_thread_id() -> str:
    """Return a thread id no other test uses (threads are global on the server)."""
    return f"t-routing-{uuid.uuid4().hex}"


def markup_in(message: str) -> str | None:
    """Return what makes an error message more than plain text (a tag, an escape), or None."""
    tag = _TAG.search(message)
    if tag is not None:
        return f"the tag {tag.group(0)!r}"
    for char in message:
        if unicodedata.category(char) == "Cc":
            return f"the control character {char!r}"
    return None


def check_error_message(frame: dict[str, Any]) -> None:
    """Check an error frame's message: a non-empty string of plain text (PROTOCOL.md 3)."""
    message = frame.get("message")
    code = frame.get("error_code")
    if not isinstance(message, str) or not message.strip():
        raise CheckFailed(f"{code} error message", expected="a non-empty string", observed=message)
    found = markup_in(message)
    if found is not None:
        raise CheckFailed(f"{code} error message", expected="plain text, no markup", observed=found)


async def expect_error(
    client: Client, code: str, message_id: str | None, *, within: float = REPLY_WITHIN
) -> dict[str, Any]:
    """Return the next frame, which must be an `error` with `code` and `message_id`.

    The message_id is checked only where the target echoes ids (3.frame.error.message-id
    applies): a dialect that correlates replies by order carries none to check."""
    expected: dict[str, Any] = {"type": P.ERROR, "error_code": code}
    if client.checks.applies("3.frame.error.message-id"):
        expected["message_id"] = message_id
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
    # `message_id` must be present even when null: an absent key is not a null one.
    observed = {key: frame.get(key, "(absent)") for key in expected}
    if observed != expected:
        raise CheckFailed("direct reply to the frame", expected=expected, observed=observed)
    check_error_message(frame)
    return frame


async def expect_usable(
    client: Client, *, message_id: str = "after-error", quiet: float = 0.0
) -> None:
    """Check that the connection still answers a ping and that nothing else came meanwhile.

    The ping's pong comes after every reply to the frames sent before it, so a second
    reply to one of them is already there; `quiet` waits longer for an agent event of a
    run that a rejected frame must not have started.
    """
    reply = await client.request(P.PING, message_id=message_id, within=REPLY_WITHIN)
    if reply.get("type") != P.PONG:
        raise CheckFailed(
            f"reply to ping {message_id!r} after an error",
            expected={"type": P.PONG, "message_id": message_id},
            observed=error_summary(reply),
        )
    await expect_nothing_more(client, quiet=quiet)


async def expect_nothing_more(client: Client, *, quiet: float = 0.0) -> None:
    """Check that no frame beyond those already taken arrived (within `quiet` seconds more)."""
    extra = await client.quiet(quiet)
    if extra:
        summary = [error_summary(frame) or frame.get("type") for frame in extra[:5]]
        raise CheckFailed(
            "frames beyond one direct reply per frame sent",
            expected=[],
            observed=summary,
        )


def limit_of(client: Client, name: str) -> int:
    """Return one of the target's advertised limits from `connection_established.limits`."""
    limits = (client.established or {}).get("limits")
    value = limits.get(name) if isinstance(limits, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CheckFailed(
            f"connection_established.limits.{name}",
            expected="a positive integer",
            observed=limits,
        )
    return value


def is_run_request(frame_type: object) -> bool:
    """Return whether a frame of this type starts a run when accepted."""
    return frame_type in (P.USER_MESSAGE, P.START_AGENT)
