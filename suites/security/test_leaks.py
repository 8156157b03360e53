"""Error frames never contain a secret, a token, the environment, a file path or a stack trace.

Every frame a connection receives is searched, every string in it (keys and values, not
only `message`); what counts as a disclosure, and the wrong behaviours that tells apart,
is in disclosure.py. The refused tokens are easy to search for: a forged one signed with
a key of the harness's own, a malformed one with a random tail, and the subprotocol text.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.security.credentials import (
    FORGED_SECRET,
    MALFORMED_SUBPROTOCOLS,
    REFUSED_KINDS,
    subprotocol_for,
    token_of,
    true_signature,
)
from suites.security.disclosure import disclosures
from suites.security.refusal import REFUSAL_WITHIN, expect_refused

pytestmark = pytest.mark.asyncio

LEAKS: Final = (
    "1.leak.no-secret",
    "1.leak.no-token",
    "1.leak.no-environment",
    "1.leak.no-file-path",
    "1.leak.no-stack-trace",
)
_CASES: Final = [
    ("missing", "none"),
    *((kind, "header") for kind in REFUSED_KINDS),
    ("forged", "subprotocol"),
    ("forged", "query"),
    ("malformed", "query"),
]


@pytest.mark.parametrize(
    ("kind", "transport"), _CASES, ids=[f"{kind}-{transport}" for kind, transport in _CASES]
)
@pytest.mark.rules(*LEAKS, "1.auth.refuse.single-error-frame")
async def test_auth_failed_frame_discloses_nothing(
    connect: Any, users: Any, target: Any, kind: str, transport: str
) -> None:
    """The AUTH_FAILED frame names no secret, no token, no environment, path or trace."""
    user = users.new(prefix=f"sec-leak-{kind}")
    token = token_of(kind, users, user)
    client = await connect(user, transport=transport, token=token, established=False)
    await expect_refused(client)
    secrets = {
        "the target's signing secret": target.secret,
        "the forging key": FORGED_SECRET,
        "the signature the target's secret gives the presented token": true_signature(
            token, target.secret
        ),
        "the presented token": token,
        "the presented subprotocol": subprotocol_for(token) if token else None,
        "the user's valid token": user.token,
    }
    _expect_nothing_disclosed(
        disclosures(client.frames, secrets), f"the AUTH_FAILED frame for a {kind} token"
    )


@pytest.mark.parametrize("subprotocol", MALFORMED_SUBPROTOCOLS.values(), ids=MALFORMED_SUBPROTOCOLS)
@pytest.mark.rules(*LEAKS)
async def test_malformed_subprotocol_discloses_nothing(
    connect: Any, users: Any, target: Any, subprotocol: str
) -> None:
    """The AUTH_FAILED frame for a `jwt.` subprotocol without a JWT quotes none of it."""
    user = users.new(prefix="sec-leak-subprotocol")
    client = await connect(user, transport="none", subprotocols=[subprotocol], established=False)
    await expect_refused(client)
    secrets = {
        "the target's signing secret": target.secret,
        "the presented subprotocol": subprotocol,
        "the user's valid token": user.token,
    }
    _expect_nothing_disclosed(
        disclosures(client.frames, secrets), "the AUTH_FAILED frame for a bad subprotocol"
    )


_PROTOCOL_ERRORS: Final = [
    ("{not json", P.FORMAT_ERROR),
    ('{"type": "ping", "message_id": 12}', P.INVALID_MESSAGE),
    ('{"type": "frobnicate", "message_id": "leak-1"}', P.UNKNOWN_TYPE),
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
    connect: Any, users: Any, target: Any, raw: str, code: str
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
    _expect_nothing_disclosed(disclosures([frame], secrets), f"the {code} frame")


def _expect_nothing_disclosed(found: list[str], what: str) -> None:
    """CheckFailed naming what was disclosed: labels only, so no secret reaches a report."""
    if found:
        raise CheckFailed(f"disclosures in {what}", expected=[], observed=found)
