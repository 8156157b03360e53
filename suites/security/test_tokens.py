"""Every kind of bad token is refused on every transport, disclosing nothing; no bypass.

Wrong behaviours told apart (PROTOCOL.md section 1): a refusal case checked on one
transport only (each kind is sent on all three at once); `exp` or `sub` not required; an
empty or non-string `sub` accepted (a server that turns 4242 into "4242"); `alg: none`
trusted; an expired token accepted; a `jwt.` subprotocol that carries no JWT let through or
failing the HTTP upgrade; a refusal with connection_established first, several frames, a
close other than 1008 (see refusal.py); an AUTH_FAILED frame that discloses a secret, the
token or a piece of it, the environment, a path or a trace (see disclosure.py); a test
header or cookie that skips verification, with a forged token or none at all.
"""

from __future__ import annotations

from typing import Any, Final

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
from harness.suite_api import protocol as P
from suites.security.credentials import (
    FORGED_SECRET,
    MALFORMED_SUBPROTOCOLS,
    REFUSED_KINDS,
    token_of,
    true_signature,
)
from suites.security.disclosure import disclosures
from suites.security.refusal import Opener, expect_each_refused

# A target that authenticates no one (a Chainlit app without login, AutoGen Studio) refuses
# no token.
pytestmark = [pytest.mark.asyncio, needs("authenticates")]

# Every refused connection shows these: handshake done, one AUTH_FAILED frame, close 1008.
REFUSAL: Final = (
    "1.auth.refuse.handshake-completes",
    "1.auth.refuse.single-error-frame",
    "6.close.auth-failed-1008",
)
LEAKS: Final = (
    "1.leak.no-secret",
    "1.leak.no-token",
    "1.leak.no-environment",
    "1.leak.no-file-path",
    "1.leak.no-stack-trace",
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
OTHER_BYPASS_HEADERS: Final = {
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
    "kind",
    [
        pytest.param(kind, marks=pytest.mark.rules(RULE_OF_KIND[kind]))
        for kind in ("missing", *REFUSED_KINDS)
    ],
)
@pytest.mark.rules(*REFUSAL, *LEAKS)
async def test_bad_token_refused(
    connect: Connect, users: UserFactory, target: Target, kind: str
) -> None:
    """On each transport: one AUTH_FAILED frame disclosing nothing, close 1008, nothing else."""
    user = users.new(prefix=f"sec-{kind}")
    token = token_of(kind, users, user)
    transports = ("none",) if token is None else TRANSPORTS
    clients = await expect_each_refused(
        {
            transport: _opener(connect, user, transport=transport, token=token)
            for transport in transports
        }
    )
    secrets = {
        "the target's signing secret": target.secret,
        "the forging key": FORGED_SECRET,
        "the signature the target's secret gives the presented token": true_signature(
            token, target.secret
        ),
        "the presented token": token,
        "the presented subprotocol": subprotocol_for(
            token, target.profile.auth["subprotocol_prefix"]
        )
        if token
        else None,
        "the user's valid token": user.token,
    }
    found = {t: disclosures(c.frames, secrets) for t, c in clients.items()}
    if any(found.values()):
        raise CheckFailed(
            f"disclosures in the AUTH_FAILED frame for a {kind} token, by transport",
            expected={t: [] for t in clients},
            observed=found,
        )


@pytest.mark.rules(*REFUSAL, *LEAKS, "1.auth.refuse.malformed-subprotocol")
async def test_malformed_subprotocol_refused(
    connect: Connect, users: UserFactory, target: Target
) -> None:
    """A `jwt.` subprotocol that carries no JWT is refused, and not quoted back."""
    user = users.new(prefix="sec-bad-subprotocol")
    clients = await expect_each_refused(
        {
            name: _opener(connect, user, transport="none", subprotocols=[subprotocol])
            for name, subprotocol in MALFORMED_SUBPROTOCOLS.items()
        }
    )
    found = {
        name: disclosures(
            client.frames,
            {
                "the target's signing secret": target.secret,
                "the presented subprotocol": MALFORMED_SUBPROTOCOLS[name],
                "the user's valid token": user.token,
            },
        )
        for name, client in clients.items()
    }
    if any(found.values()):
        raise CheckFailed(
            "disclosures in the AUTH_FAILED frame for a bad subprotocol",
            expected={name: [] for name in clients},
            observed=found,
        )


@pytest.mark.rules(*REFUSAL, "1.auth.no-bypass.header", "1.auth.refuse.missing")
async def test_test_mode_header_refused(connect: Connect, users: UserFactory) -> None:
    """`X-Test-Mode: 1` makes no forged, unsigned, expired or missing token accepted."""
    user = users.new(prefix="sec-bypass")
    headers = {P.BYPASS_HEADER: "1"}
    await expect_each_refused(
        {
            f"{kind}-{transport}": _opener(
                connect,
                user,
                transport=transport,
                token=token_of(kind, users, user),
                headers=headers,
            )
            for kind, transport in (
                *ATTEMPTS,
                ("forged", "query"),
                ("alg-none", "header"),
                ("expired", "header"),
            )
        }
    )


@pytest.mark.rules(*REFUSAL, "1.auth.no-bypass.header", "1.auth.refuse.missing")
async def test_other_bypass_headers_refused(connect: Connect, users: UserFactory) -> None:
    """No test, debug, internal, proxy or identity header makes a bad or missing token pass."""
    user = users.new(prefix="sec-bypass-other")
    await expect_each_refused(
        {
            f"{name}-{kind}": _opener(
                connect,
                user,
                transport=transport,
                token=token_of(kind, users, user),
                headers={header: value.format(sub=user.id) for header, value in headers.items()},
            )
            for name, headers in OTHER_BYPASS_HEADERS.items()
            for kind, transport in ATTEMPTS
        }
    )


@pytest.mark.rules(*REFUSAL, "1.auth.no-bypass.cookie", "1.auth.refuse.missing")
async def test_bypass_cookies_refused(connect: Connect, users: UserFactory) -> None:
    """No test, debug, session or identity cookie makes a bad or missing token accepted."""
    user = users.new(prefix="sec-cookie")
    await expect_each_refused(
        {
            f"{name}-{kind}": _opener(
                connect,
                user,
                transport=transport,
                token=token_of(kind, users, user),
                headers={"Cookie": cookie.format(sub=user.id)},
            )
            for name, cookie in BYPASS_COOKIES.items()
            for kind, transport in ATTEMPTS
        }
    )


def _opener(connect: Connect, user: User, **options: Any) -> Opener:
    """A connection not yet opened, refused ones expected (no connection_established)."""

    async def open_it() -> Any:
        return await connect(user, established=False, **options)

    return open_it
