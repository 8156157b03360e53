"""Missing, forged, expired, unsigned and malformed tokens are refused; no header bypasses that."""

from __future__ import annotations

from typing import Any

import pytest

from harness.wire import protocol as P
from suites.security.credentials import token_of
from suites.security.refusal import expect_refused

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("kind", "transport"),
    [
        ("missing", "none"),
        ("forged", "header"),
        ("forged", "subprotocol"),
        ("forged", "query"),
        ("expired", "header"),
        ("expired", "query"),
        ("alg-none", "header"),
        ("alg-none", "subprotocol"),
        ("malformed", "header"),
        ("no-exp", "header"),
        ("no-sub", "header"),
        ("empty-sub", "query"),
    ],
    ids=[
        "missing",
        "forged-header",
        "forged-subprotocol",
        "forged-query",
        "expired-header",
        "expired-query",
        "alg-none-header",
        "alg-none-subprotocol",
        "malformed-header",
        "no-exp-header",
        "no-sub-header",
        "empty-sub-query",
    ],
)
async def test_bad_token_refused(connect: Any, users: Any, kind: str, transport: str) -> None:
    """The server sends one AUTH_FAILED error, closes with 1008 and sends nothing else."""
    user = users.new(prefix=f"sec-{kind}")
    client = await connect(
        user, transport=transport, token=token_of(kind, users, user), established=False
    )
    await expect_refused(client)


@pytest.mark.parametrize(
    ("kind", "transport"),
    [
        ("forged", "header"),
        ("forged", "query"),
        ("alg-none", "header"),
        ("missing", "none"),
    ],
    ids=["forged-header", "forged-query", "alg-none-header", "missing"],
)
async def test_bypass_header_refused(connect: Any, users: Any, kind: str, transport: str) -> None:
    """`X-Test-Mode: 1` never skips verification: the bad token is still refused."""
    user = users.new(prefix="sec-bypass")
    client = await connect(
        user,
        transport=transport,
        token=token_of(kind, users, user),
        headers={P.BYPASS_HEADER: "1"},
        established=False,
    )
    await expect_refused(client)
