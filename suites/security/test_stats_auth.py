"""`GET /stats` answers only a valid token, and only with that token's user (PROTOCOL.md 7).

Wrong behaviours told apart: stats open to anyone, or to a token whose signature, expiry,
algorithm or claims are not checked (each refused kind is sent); a test header or cookie
that opens them; a 401 body that quotes the secret or the token; a 200 for another user.
"""

from __future__ import annotations

import pytest

from harness.suite_api import CheckFailed, HttpClient, Target, UserFactory, needs, premise, rules
from harness.suite_api import protocol as P
from suites.security.credentials import REFUSED_KINDS, token_of
from suites.security.disclosure import disclosures

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


@pytest.mark.parametrize(
    ("kind", "headers"),
    [pytest.param("missing", {}, id="missing", marks=premise("7.stats.no-token-401"))]
    + [
        pytest.param(kind, {}, id=kind, marks=premise("7.stats.invalid-token-401"))
        for kind in REFUSED_KINDS
    ]
    + [
        pytest.param(
            "forged",
            {P.BYPASS_HEADER: "1"},
            id="forged-with-bypass-header",
            marks=[premise("7.stats.invalid-token-401"), rules("1.auth.no-bypass.header")],
        ),
        pytest.param(
            "forged",
            {"Cookie": "test_mode=1; debug=1"},
            id="forged-with-bypass-cookie",
            marks=[premise("7.stats.invalid-token-401"), rules("1.auth.no-bypass.cookie")],
        ),
        pytest.param(
            "missing",
            {"Cookie": "test_mode=1; debug=1"},
            id="missing-with-bypass-cookie",
            marks=[premise("7.stats.no-token-401"), rules("1.auth.no-bypass.cookie")],
        ),
    ],
)
async def test_stats_refused(
    http: HttpClient, users: UserFactory, target: Target, kind: str, headers: dict[str, str]
) -> None:
    """/stats without a valid token answers 401, and its body discloses no secret or token."""
    user = users.new(prefix="sec-stats")
    token = token_of(kind, users, user)
    reply = await http.get(P.STATS_PATH, token=token, headers=headers)
    assert reply.status == 401, (
        f"GET /stats with a {kind} token: expected 401, observed {reply.status}"
    )
    secrets = {"the target's signing secret": target.secret, "the presented token": token}
    leaks = disclosures(reply.text, secrets)
    if leaks:
        raise CheckFailed(
            f"disclosures in the 401 body for the {kind} token", expected=[], observed=leaks
        )


@pytest.mark.rules("7.stats.user-id")
async def test_stats_with_valid_token(http: HttpClient, users: UserFactory) -> None:
    """/stats with a valid token answers 200 with that token's user_id."""
    user = users.new(prefix="sec-stats-ok")
    reply = await http.get(P.STATS_PATH, token=user.token)
    observed = (reply.status, (reply.json or {}).get("user_id"))
    assert observed == (200, user.id), (
        f"GET /stats: expected (200, {user.id!r}), observed {observed}"
    )
