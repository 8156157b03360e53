"""Tokens of every kind the security suite presents, minted for one user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Final

from harness.suite_api import User, UserFactory
from harness.suite_api import protocol as P

# A signing key that is not the target's: tokens signed with it are forged. Easy to search for.
FORGED_SECRET: Final = "forged-signing-key-not-the-targets-0123456789"

# Every kind of token a correct server refuses (PROTOCOL.md section 1), "missing" included.
REFUSED_KINDS: Final = (
    "forged",
    "expired",
    "alg-none",
    "malformed",
    "no-exp",
    "no-sub",
    "empty-sub",
    "numeric-sub",
)

# Subprotocols that start with `jwt.` but carry no JWT: not base64url (only characters a
# subprotocol token may hold, so the handshake itself stays valid), and base64url of a non-JWT.
MALFORMED_SUBPROTOCOLS: Final = {
    "not-base64url": P.SUBPROTOCOL_PREFIX + "!!~~not*base64url~~!!",
    "not-a-jwt-inside": P.SUBPROTOCOL_PREFIX
    + base64.urlsafe_b64encode(b"not-a-jwt-inside-the-subprotocol").rstrip(b"=").decode(),
}


def token_of(kind: str, users: UserFactory, user: User) -> str | None:
    """Return a token of `kind` for `user` (None for "missing")."""
    match kind:
        case "missing":
            return None
        case "valid":
            return str(user.token)
        case "no-iat":
            return str(users.token(user.id, omit=("iat",)))
        case "forged":
            return str(users.token(user.id, secret=FORGED_SECRET))
        case "expired":
            # An hour late: no clock-skew leeway a server may allow covers it.
            return str(users.token(user.id, exp_in=-3600.0))
        case "alg-none":
            return str(users.token(user.id, alg="none"))
        case "no-exp":
            return str(users.token(user.id, omit=("exp",)))
        case "no-sub":
            return str(users.token(user.id, omit=("sub",)))
        case "empty-sub":
            return str(users.token(""))
        case "numeric-sub":
            # A server that turns the claim into text would accept this as user "4242".
            return str(users.token(user.id, claims={"sub": 4242}))
        case "malformed":
            # One segment, no dots: not a JWT. Distinctive, so that an echo of it is found.
            return f"not-a-jwt-{uuid.uuid4().hex}"
    raise ValueError(f"unknown token kind {kind!r}")


def token_with_residue(users: UserFactory, user: User, residue: int) -> str:
    """A valid token for `user` whose length modulo 3 is `residue`.

    Base64url of a text of length 3k+1 or 3k+2 ends without its 2 or 1 padding
    characters: a server that decodes the `jwt.` subprotocol without restoring the
    padding refuses those, and a token of length 3k would not show it.
    """
    for width in range(6):
        token = str(users.token(user.id, claims={"pad": "x" * width}))
        if len(token) % 3 == residue:
            return token
    raise AssertionError(f"no token of length {residue} modulo 3 within 6 tries")


def true_signature(token: str | None, secret: str | None) -> str | None:
    """The HS256 signature `secret` gives the token's header and payload (None when unknown).

    A server that explains a forged token by quoting the signature it expected discloses
    a value only its secret can make.
    """
    if token is None or secret is None or token.count(".") != 2:
        return None
    signed = token.rsplit(".", 1)[0].encode("ascii")
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
