"""Each token transport authenticates the right user; the first transport present decides.

Wrong behaviours told apart (PROTOCOL.md section 1, docs/PROTOCOL.md readings):
- a transport not supported, or a user id other than `sub` (lowercased, taken from another
  transport): connection_established and every event of a run must carry the token's `sub`,
  here a mixed-case one with spaces and non-ASCII letters too;
- a token without `iat` refused: only `sub` and `exp` are required;
- the `jwt.` subprotocol decoded without restoring base64 padding: tokens of every length
  modulo 3 are sent, so the encoded text needs 0, 1 and 2 padding characters;
- another subprotocol echoed (the first offered, one without the `jwt.` prefix): the echo
  must be exactly the `jwt.` one, also when a `chat.v1` is offered before it;
- the first VALID token deciding, or the last transport: an invalid token on the first
  transport present is refused although a later one is valid;
- every present transport verified, or a later one deciding: a valid first token is
  accepted, as its own user, whatever a later transport carries (forged, or another user's).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    Target,
    User,
    UserFactory,
    needs,
    subprotocol_for,
)
from suites.security.credentials import token_of, token_with_residue
from suites.security.identity import expect_identity
from suites.security.refusal import expect_refused

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

ACCEPTED = ("1.auth.hs256-accepted", "1.auth.sub-is-user-id")


@pytest.mark.parametrize(
    "transport",
    [
        pytest.param("header", marks=pytest.mark.rules("1.auth.transport.header")),
        pytest.param("query", marks=pytest.mark.rules("1.auth.transport.query")),
    ],
)
@pytest.mark.rules(*ACCEPTED)
async def test_transport_authenticates(
    connect: Connect, users: UserFactory, transport: str
) -> None:
    """A valid token on this transport is accepted as its `sub`, in events too."""
    user = users.new(prefix=f"sec-{transport}")
    client = await connect(user, transport=transport)
    await expect_identity(client, user.id)


@pytest.mark.parametrize("residue", [0, 1, 2], ids=["len-3k", "len-3k+1", "len-3k+2"])
@pytest.mark.rules(*ACCEPTED, "1.auth.transport.subprotocol", "1.auth.transport.subprotocol-echo")
async def test_subprotocol_authenticates_and_is_echoed(
    connect: Connect, users: UserFactory, target: Target, residue: int
) -> None:
    """A `jwt.` subprotocol of any length is accepted and echoed exactly."""
    user = users.new(prefix="sec-subprotocol")
    token = token_with_residue(users, user, residue)
    client = await connect(user, transport="subprotocol", token=token)
    expected = subprotocol_for(token, target.profile.auth["subprotocol_prefix"])
    if client.subprotocol != expected:
        raise CheckFailed(
            "subprotocol selected by the server", expected=expected, observed=client.subprotocol
        )
    await expect_identity(client, user.id)


@pytest.mark.rules(
    "1.auth.transport.subprotocol", "1.auth.transport.subprotocol-echo", "1.auth.sub-is-user-id"
)
async def test_subprotocol_echoed_among_others(
    connect: Connect, users: UserFactory, target: Target
) -> None:
    """With `chat.v1` offered first, the server still selects the `jwt.` subprotocol."""
    user = users.new(prefix="sec-subprotocol-among")
    expected = subprotocol_for(user.token, target.profile.auth["subprotocol_prefix"])
    client = await connect(user, transport="none", subprotocols=["chat.v1", expected])
    if client.subprotocol != expected:
        raise CheckFailed(
            "subprotocol selected among chat.v1 and the token's",
            expected=expected,
            observed=client.subprotocol,
        )
    await expect_identity(client, user.id)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("no-iat", id="only-sub-and-exp"),
        pytest.param("unusual-sub", id="mixed-case-non-ascii-sub"),
    ],
)
@pytest.mark.rules(*ACCEPTED, "1.auth.transport.header")
async def test_token_claims_accepted(connect: Connect, users: UserFactory, kind: str) -> None:
    """A token with just `sub` and `exp`, or a `sub` of any non-empty text, is accepted as is."""
    if kind == "no-iat":
        user = users.new(prefix="sec-no-iat")
        token = token_of("no-iat", users, user)
    else:
        sub = f"Sec User Ünïcode-{uuid.uuid4().hex[:8].upper()}"
        token = users.token(sub)
        user = User(sub, token)
    client = await connect(user, transport="header", token=token)
    await expect_identity(client, user.id)


# (first transport, its invalid token, the later transport with a valid one, the rule).
_REFUSAL = [
    ("header", "forged", "query", "1.auth.precedence.header-over-query"),
    ("header", "expired", "subprotocol", "1.auth.precedence.header-over-subprotocol"),
    ("header", "malformed", "subprotocol", "1.auth.precedence.header-over-subprotocol"),
    ("subprotocol", "forged", "query", "1.auth.precedence.subprotocol-over-query"),
    ("subprotocol", "expired", "query", "1.auth.precedence.subprotocol-over-query"),
]


@pytest.mark.parametrize(
    ("first", "first_kind", "later"),
    [
        pytest.param(
            first,
            kind,
            later,
            id=f"{kind}-{first}-before-valid-{later}",
            marks=pytest.mark.rules(rule),
        )
        for first, kind, later, rule in _REFUSAL
    ],
)
@pytest.mark.rules("1.auth.refuse.single-error-frame", "6.close.auth-failed-1008")
async def test_first_transport_decides_refusal(
    connect: Connect, users: UserFactory, target: Target, first: str, first_kind: str, later: str
) -> None:
    """An invalid token on the first transport present is refused despite a valid later one."""
    user = users.new(prefix="sec-first")
    client = await connect(
        user,
        transport=first,
        token=token_of(first_kind, users, user),
        established=False,
        **_later(later, user.token, target.profile.auth),
    )
    await expect_refused(client)


# (first transport with a valid token, the later transport, what the later one carries).
_ACCEPTANCE = [
    ("header", "query", "forged"),
    ("header", "subprotocol", "forged"),
    ("subprotocol", "query", "forged"),
    ("header", "query", "other-user"),
    ("header", "subprotocol", "other-user"),
    ("subprotocol", "query", "other-user"),
]


@pytest.mark.parametrize(
    ("first", "later", "later_kind"),
    _ACCEPTANCE,
    ids=[f"valid-{first}-then-{kind}-{later}" for first, later, kind in _ACCEPTANCE],
)
@pytest.mark.rules("1.auth.precedence.valid-first-decides", "1.auth.sub-is-user-id")
async def test_first_transport_decides_acceptance(
    connect: Connect, users: UserFactory, target: Target, first: str, later: str, later_kind: str
) -> None:
    """A valid first token is accepted as its own user whatever the later transport carries."""
    user = users.new(prefix="sec-first-ok")
    if later_kind == "forged":
        other = token_of("forged", users, user)
    else:
        other = users.new(prefix="sec-first-other").token
    assert other is not None
    client = await connect(user, transport=first, **_later(later, other, target.profile.auth))
    await expect_identity(client, user.id)


def _later(transport: str, token: str, auth: Any) -> dict[str, Any]:
    """The `connect` options that add `token` on a later transport (the dialect's names)."""
    if transport == "query":
        return {"query": {auth["query_param"]: token}}
    return {"subprotocols": [subprotocol_for(token, auth["subprotocol_prefix"])]}
