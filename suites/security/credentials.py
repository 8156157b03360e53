"""Tokens of every kind the security suite presents, minted for one user."""

from __future__ import annotations

import base64
from typing import Any

from harness.wire import protocol as P

# A signing key that is not the target's: tokens signed with it are forged.
FORGED_SECRET = "forged-signing-key-not-the-targets-0123456789"


def token_of(kind: str, users: Any, user: Any) -> str | None:
    """Return a token of `kind` for `user` (None for "missing")."""
    match kind:
        case "missing":
            return None
        case "valid":
            return str(user.token)
        case "forged":
            return str(users.token(user.id, secret=FORGED_SECRET))
        case "expired":
            return str(users.token(user.id, exp_in=-3600.0))
        case "alg-none":
            return str(users.token(user.id, alg="none"))
        case "no-exp":
            return str(users.token(user.id, omit=("exp",)))
        case "no-sub":
            return str(users.token(user.id, omit=("sub",)))
        case "empty-sub":
            return str(users.token(""))
        case "malformed":
            return "not-a-jwt"
    raise ValueError(f"unknown token kind {kind!r}")


def subprotocol_for(token: str) -> str:
    """Return the `Sec-WebSocket-Protocol` value that carries `token` (PROTOCOL.md section 1)."""
    encoded = base64.urlsafe_b64encode(token.encode()).rstrip(b"=").decode()
    return P.SUBPROTOCOL_PREFIX + encoded
