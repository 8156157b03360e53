"""Every kind of bad token is refused on every transport; no header or cookie bypasses that.

Wrong behaviours told apart (PROTOCOL.md section 1): a refusal case checked on one
transport only (each kind is sent on all three); `exp` or `sub` not required; an empty
or non-string `sub` accepted (a server that turns 4242 into "4242"); `alg: none` trusted;
an expired token accepted; a `jwt.` subprotocol that carries no JWT let through or failing
the HTTP upgrade; a refusal with connection_established first, several frames, a close
other than 1008 (see refusal.py); a test header or cookie that skips verification, with
a forged token or none at all.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from suites.security.credentials import MALFORMED_SUBPROTOCOLS, REFUSED_KINDS, token_of
from suites.security.refusal import expect_refused

pytestmark = pytest.mark.asyncio

# Every refused connection shows these: handshake done, one AUTH_FAILED frame, close 1008.
REFUSAL: Final = (
    "1.auth.refuse.handshake-completes",
    "1.auth.refuse.single-error-frame",
    "6.close.auth-failed-1008",
)
RULE_OF_KIND: Final = {
    "missing": "1.auth.refuse.missing",
    "forged": "1.auth.refuse.wrong-signature",
    "expired": "1.auth.refuse.expired",
    "alg-none": "1.auth.refuse.alg-none",
    "malformed": "1.auth.refuse.malformed",
    "no-exp": "1.auth.refuse.missing-exp",
    "no-sub": "1.auth.refuse.missing-sub",
    "empty-sub": "1.auth.refuse.empty-sub",
    "numeric-sub": "1.auth.refuse.empty-sub",
}
TRANSPORTS: Final = ("header", "subprotocol", "query")

# Request headers a server might trust to skip verification; "{sub}" is the user's id.
BYPASS_HEADERS: Final = {
    "X-Test-Mode": {"X-Test-Mode": "1"},
    "X-Test-Mode-true": {"X-Test-Mode": "true"},
    "X-Debug": {"X-Debug": "1"},
    "X-Skip-Auth": {"X-Skip-Auth": "1", "X-Auth-Bypass": "true"},
    "X-Internal": {"X-Internal-Request": "1", "X-Admin": "1"},
    "X-Forwarded-For-localhost": {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
    "X-User-Id": {"X-User-Id": "{sub}", "X-Forwarded-User": "{sub}", "X-Remote-User": "{sub}"},
}
# Cookies a server might trust the same way.
BYPASS_COOKIES: Final = {
    "test_mode": "test_mode=1",
    "X-Test-Mode": "X-Test-Mode=1",
    "debug": "debug=1",
    "skip_auth": "skip_auth=1; auth_bypass=1",
    "admin-session": "session=admin; role=admin",
    "user_id": "user_id={sub}; uid={sub}",
}
# Tokens sent with each bypass attempt: a forged one in the header, and none at all.
ATTEMPTS: Final = (("forged", "header"), ("missing", "none"))


@pytest.mark.parametrize(
    ("kind", "transport"),
    [
        pytest.param(
            "missing", "none", id="missing", marks=pytest.mark.rules(RULE_OF_KIND["missing"])
        )
    ]
    + [
        pytest.param(
            kind,
            transport,
            id=f"{kind}-{transport}",
            marks=pytest.mark.rules(RULE_OF_KIND[kind]),
        )
        for kind in REFUSED_KINDS
        for transport in TRANSPORTS
    ],
)
@pytest.mark.rules(*REFUSAL)
async def test_bad_token_refused(connect: Any, users: Any, kind: str, transport: str) -> None:
    """The server sends one AUTH_FAILED error, closes with 1008 and sends nothing else."""
    user = users.new(prefix=f"sec-{kind}")
    client = await connect(
        user, transport=transport, token=token_of(kind, users, user), established=False
    )
    await expect_refused(client)


@pytest.mark.parametrize("subprotocol", MALFORMED_SUBPROTOCOLS.values(), ids=MALFORMED_SUBPROTOCOLS)
@pytest.mark.rules(*REFUSAL, "1.auth.refuse.malformed-subprotocol")
async def test_malformed_subprotocol_refused(connect: Any, users: Any, subprotocol: str) -> None:
    """A `jwt.` subprotocol that carries no JWT is refused like any malformed token."""
    user = users.new(prefix="sec-bad-subprotocol")
    client = await connect(user, transport="none", subprotocols=[subprotocol], established=False)
    await expect_refused(client)


@pytest.mark.parametrize(
    ("kind", "transport", "headers"),
    [
        pytest.param(kind, transport, headers, id=f"{name}-{kind}")
        for name, headers in BYPASS_HEADERS.items()
        for kind, transport in ATTEMPTS
    ]
    + [
        pytest.param(
            kind, transport, BYPASS_HEADERS["X-Test-Mode"], id=f"X-Test-Mode-{kind}-{transport}"
        )
        for kind, transport in (("forged", "query"), ("alg-none", "header"), ("expired", "header"))
    ],
)
@pytest.mark.rules(*REFUSAL, "1.auth.no-bypass.header")
async def test_bypass_header_refused(
    connect: Any, users: Any, kind: str, transport: str, headers: dict[str, str]
) -> None:
    """No test, debug, internal or identity header makes a bad or missing token accepted."""
    user = users.new(prefix="sec-bypass")
    client = await connect(
        user,
        transport=transport,
        token=token_of(kind, users, user),
        headers={name: value.format(sub=user.id) for name, value in headers.items()},
        established=False,
    )
    await expect_refused(client)


@pytest.mark.parametrize(
    ("kind", "transport", "cookie"),
    [
        pytest.param(kind, transport, cookie, id=f"{name}-{kind}")
        for name, cookie in BYPASS_COOKIES.items()
        for kind, transport in ATTEMPTS
    ],
)
@pytest.mark.rules(*REFUSAL, "1.auth.no-bypass.cookie")
async def test_bypass_cookie_refused(
    connect: Any, users: Any, kind: str, transport: str, cookie: str
) -> None:
    """No test, debug, session or identity cookie makes a bad or missing token accepted."""
    user = users.new(prefix="sec-cookie")
    client = await connect(
        user,
        transport=transport,
        token=token_of(kind, users, user),
        headers={"Cookie": cookie.format(sub=user.id)},
        established=False,
    )
    await expect_refused(client)
