"""`GET /stats` answers only a valid token, and only with that token's user (PROTOCOL.md 7)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.security.credentials import token_of
from suites.security.refusal import leaks_in

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("missing", {}),
        ("forged", {}),
        ("expired", {}),
        ("alg-none", {}),
        ("forged", {P.BYPASS_HEADER: "1"}),
    ],
    ids=["missing", "forged", "expired", "alg-none", "forged-with-bypass-header"],
)
async def test_stats_refused(
    http: Any, users: Any, target: Any, kind: str, headers: dict[str, str]
) -> None:
    """/stats without a valid token answers 401, and its body discloses no secret or token."""
    user = users.new(prefix="sec-stats")
    token = token_of(kind, users, user)
    reply = await http.get(P.STATS_PATH, token=token, headers=headers)
    assert reply.status == 401, (
        f"GET /stats with a {kind} token: expected 401, observed {reply.status}"
    )
    secrets = {"the target's signing secret": target.secret, "the presented token": token}
    leaks = leaks_in(reply.text, secrets)
    if leaks:
        raise CheckFailed(
            f"disclosures in the 401 body for the {kind} token", expected=[], observed=leaks
        )


async def test_stats_with_valid_token(http: Any, users: Any) -> None:
    """/stats with a valid token answers 200 with that token's user_id."""
    user = users.new(prefix="sec-stats-ok")
    reply = await http.get(P.STATS_PATH, token=user.token)
    observed = (reply.status, (reply.json or {}).get("user_id"))
    assert observed == (200, user.id), (
        f"GET /stats: expected (200, {user.id!r}), observed {observed}"
    )
