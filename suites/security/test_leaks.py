"""Protocol error frames never contain a secret, a token, the environment, a path or a trace.

Every string of the error frame is searched (keys and values, not only `message`); what
counts as a disclosure, and the wrong behaviours that tells apart, is in disclosure.py.
The AUTH_FAILED frames are searched by test_tokens.py, for every kind of refused token.
"""

from __future__ import annotations

from typing import Final

import pytest

from harness.suite_api import CheckFailed, Connect, Target, UserFactory, needs, premise
from harness.suite_api import protocol as P
from suites.security.disclosure import disclosures
from suites.security.refusal import REFUSAL_WITHIN

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

LEAKS: Final = (
    "1.leak.no-secret",
    "1.leak.no-token",
    "1.leak.no-environment",
    "1.leak.no-file-path",
    "1.leak.no-stack-trace",
)
_PROTOCOL_ERRORS: Final = [
    ("{not json", P.FORMAT_ERROR),
    ('{"type": "ping", "message_id": 12}', P.INVALID_MESSAGE),
    pytest.param(
        '{"type": "frobnicate", "message_id": "leak-1"}',
        P.UNKNOWN_TYPE,
        # Answered by an error only where the target's dialect says so.
        marks=premise("6.error.unknown-type"),
    ),
    (
        '{"type": "ping", "message_id": "leak-2", "timestamp": "2025-13-45T99:99:99"}',
        P.INVALID_TIMESTAMP,
    ),
    (
        '{"type": "user_message", "message_id": "leak-3", "payload": {"content": 7}}',
        P.INVALID_PAYLOAD,
    ),
    (
        '{"type": "user_message", "message_id": "leak-4", "payload": {"content": "hi", '
        '"thread_id": {"nested": [1, 2]}}}',
        P.INVALID_PAYLOAD,
    ),
    (
        '{"type": "get_thread_history", "message_id": "leak-5", '
        '"payload": {"thread_id": "t-never-created-leak"}}',
        P.THREAD_NOT_FOUND,
    ),
]


@pytest.mark.parametrize(
    ("raw", "code"),
    _PROTOCOL_ERRORS,
    ids=[
        "FORMAT_ERROR",
        "INVALID_MESSAGE",
        "UNKNOWN_TYPE",
        "INVALID_TIMESTAMP",
        "INVALID_PAYLOAD",
        "INVALID_PAYLOAD-nested-thread-id",
        "THREAD_NOT_FOUND",
    ],
)
@pytest.mark.rules(*LEAKS)
async def test_protocol_error_discloses_nothing(
    connect: Connect, users: UserFactory, target: Target, raw: str, code: str
) -> None:
    """A protocol error frame on an authenticated connection discloses nothing either."""
    user = users.new(prefix="sec-leak-proto")
    client = await connect(user)
    await client.send_raw(raw)
    frame = await client.recv(within=REFUSAL_WITHIN)
    observed = (frame.get("type"), frame.get("error_code"))
    if observed != (P.ERROR, code):
        raise CheckFailed("reply to a malformed frame", expected=(P.ERROR, code), observed=observed)
    secrets = {"the target's signing secret": target.secret, "the token": user.token}
    # Labels only: a disclosed value stays out of the failure text.
    found = disclosures([frame], secrets)
    if found:
        raise CheckFailed(f"disclosures in the {code} frame", expected=[], observed=found)
