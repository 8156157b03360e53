"""Error frames never contain the signing secret, a token, a file path or a stack trace."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.security.credentials import token_of
from suites.security.refusal import REFUSAL_WITHIN, expect_refused, leaks_in

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    "kind",
    ["forged", "expired", "alg-none", "malformed", "missing"],
    ids=["forged", "expired", "alg-none", "malformed", "missing"],
)
async def test_auth_failed_frame_discloses_nothing(
    connect: Any, users: Any, target: Any, kind: str
) -> None:
    """The AUTH_FAILED frame names neither the secret nor the token, nor any path or trace."""
    user = users.new(prefix=f"sec-leak-{kind}")
    token = token_of(kind, users, user)
    transport = "none" if token is None else "header"
    client = await connect(user, transport=transport, token=token, established=False)
    frame = await expect_refused(client)
    secrets = {
        "the target's signing secret": target.secret,
        "the presented token": token,
        "the user's valid token": user.token,
    }
    leaks = leaks_in(frame, secrets)
    if leaks:
        raise CheckFailed(
            f"disclosures in the AUTH_FAILED frame for the {kind} token",
            expected=[],
            observed=leaks,
        )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
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
    ],
    ids=["FORMAT_ERROR", "INVALID_MESSAGE", "UNKNOWN_TYPE", "INVALID_TIMESTAMP", "INVALID_PAYLOAD"],
)
async def test_protocol_error_discloses_nothing(
    connect: Any, users: Any, target: Any, raw: str, code: str
) -> None:
    """A protocol error frame on an authenticated connection discloses no secret, path or trace."""
    user = users.new(prefix="sec-leak-proto")
    client = await connect(user)
    await client.send_raw(raw)
    frame = await client.recv(within=REFUSAL_WITHIN)
    observed = (frame.get("type"), frame.get("error_code"))
    if observed != (P.ERROR, code):
        raise CheckFailed("reply to a malformed frame", expected=(P.ERROR, code), observed=observed)
    leaks = leaks_in(frame, {"the target's signing secret": target.secret, "the token": user.token})
    if leaks:
        raise CheckFailed(f"disclosures in the {code} frame", expected=[], observed=leaks)
