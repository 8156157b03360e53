"""Each token transport authenticates the right user; the first transport present decides."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire import protocol as P
from suites.security.credentials import subprotocol_for, token_of
from suites.security.refusal import expect_refused

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    "transport", ["header", "subprotocol", "query"], ids=["header", "subprotocol", "query"]
)
async def test_transport_authenticates(connect: Any, users: Any, transport: str) -> None:
    """A valid token on this transport gets connection_established for its `sub`."""
    user = users.new(prefix=f"sec-{transport}")
    client = await connect(user, transport=transport)
    established = client.established or {}
    observed = (established.get("type"), established.get("user_id"))
    assert observed == (P.CONNECTION_ESTABLISHED, user.id), (
        f"first frame: expected ('connection_established', {user.id!r}), observed {observed}"
    )
    if transport == "subprotocol":
        expected = subprotocol_for(user.token)
        if client.subprotocol != expected:
            raise CheckFailed(
                "subprotocol selected by the server", expected=expected, observed=client.subprotocol
            )


@pytest.mark.parametrize(
    ("first", "first_kind", "later", "later_kind"),
    [
        ("header", "forged", "query", "valid"),
        ("header", "expired", "subprotocol", "valid"),
        ("subprotocol", "forged", "query", "valid"),
    ],
    ids=[
        "forged-header-before-valid-query",
        "expired-header-before-valid-subprotocol",
        "forged-subprotocol-before-valid-query",
    ],
)
async def test_first_transport_decides_refusal(
    connect: Any, users: Any, first: str, first_kind: str, later: str, later_kind: str
) -> None:
    """An invalid token on the first transport present is refused despite a valid later one."""
    user = users.new(prefix="sec-first")
    good = token_of(later_kind, users, user)
    assert good is not None
    extra: dict[str, Any] = (
        {"query": {P.TOKEN_QUERY_PARAM: good}}
        if later == "query"
        else {"subprotocols": [subprotocol_for(good)]}
    )
    client = await connect(
        user,
        transport=first,
        token=token_of(first_kind, users, user),
        established=False,
        **extra,
    )
    await expect_refused(client)


async def test_first_transport_decides_acceptance(connect: Any, users: Any) -> None:
    """A valid header token is accepted even when the query carries a forged one."""
    user = users.new(prefix="sec-first-ok")
    forged = token_of("forged", users, user)
    client = await connect(user, transport="header", query={P.TOKEN_QUERY_PARAM: forged})
    user_id = (client.established or {}).get("user_id")
    assert user_id == user.id, (
        f"connection_established.user_id: expected {user.id!r}, observed {user_id!r}"
    )
