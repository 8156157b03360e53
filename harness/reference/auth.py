"""Token extraction from the three transports of PROTOCOL.md section 1, and HS256 verification."""

from __future__ import annotations

import base64
import binascii
import enum
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

import jwt

from harness.wire import protocol as P

_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")


class Transport(enum.Enum):
    """Where the client presented its token, in the order that decides."""

    HEADER = "header"
    SUBPROTOCOL = "subprotocol"
    QUERY = "query"


class AuthFailure(Exception):
    """The token is missing, malformed, forged or expired; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class Presented:
    """The token of the first transport present, and which transport that was."""

    transport: Transport
    token: str


def offered_subprotocols(header_values: Sequence[str]) -> list[str]:
    """Every subprotocol offered in the `Sec-WebSocket-Protocol` header values, in order."""
    return [item.strip() for value in header_values for item in value.split(",") if item.strip()]


def select_token_subprotocol(
    offered: Sequence[str], prefix: str = P.SUBPROTOCOL_PREFIX
) -> str | None:
    """The first offered `jwt.` subprotocol, which the server selects and echoes exactly."""
    for subprotocol in offered:
        if subprotocol.startswith(prefix):
            return subprotocol
    return None


def present_token(
    authorization: str | None,
    offered: Sequence[str],
    path: str,
    *,
    prefix: str = P.SUBPROTOCOL_PREFIX,
    param: str = P.TOKEN_QUERY_PARAM,
) -> Presented:
    """The token of the first transport present (header, subprotocol, query), else AuthFailure.

    `prefix` and `param` are the dialect's subprotocol prefix and query parameter.
    """
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailure("the Authorization header does not carry a Bearer token")
        return Presented(Transport.HEADER, token.strip())
    subprotocol = select_token_subprotocol(offered, prefix)
    if subprotocol is not None:
        return Presented(Transport.SUBPROTOCOL, _decode_subprotocol(subprotocol, prefix))
    _, _, query = path.partition("?")
    values = parse_qs(query, keep_blank_values=True).get(param)
    if values is not None:
        return Presented(Transport.QUERY, values[0])
    raise AuthFailure("no token: send a bearer header, a jwt. subprotocol or a token query")


def _decode_subprotocol(subprotocol: str, prefix: str = P.SUBPROTOCOL_PREFIX) -> str:
    """The JWT carried base64url-encoded (no padding) in a `jwt.` subprotocol."""
    encoded = subprotocol.removeprefix(prefix)
    if not _BASE64URL.fullmatch(encoded):
        raise AuthFailure("the jwt. subprotocol does not carry base64url")
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthFailure("the jwt. subprotocol does not carry a token") from None


def verify_token(
    token: str,
    secret: str,
    *,
    verify_signature: bool = True,
    user_claim: str = "sub",
    expiry_claim: str = "exp",
) -> str:
    """The user id (`sub`) of a valid HS256 token with `sub` and `exp`; AuthFailure otherwise.

    A dialect may name the claims otherwise (`user_claim`, `expiry_claim`).
    """
    if (user_claim, expiry_claim) != ("sub", "exp"):
        return _verify_named(token, secret, verify_signature, user_claim, expiry_claim)
    options: dict[str, object] = {
        "require": ["exp", "sub"],
        "verify_signature": verify_signature,
        "verify_exp": True,
        "verify_sub": True,
    }
    try:
        claims = jwt.decode(token, secret, algorithms=[P.JWT_ALGORITHM], options=options)  # type: ignore[arg-type]
    except jwt.ExpiredSignatureError:
        raise AuthFailure("the token has expired") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthFailure(f"the token has no {exc.claim!r} claim") from None
    except jwt.InvalidSignatureError:
        raise AuthFailure("the token's signature is invalid") from None
    except jwt.InvalidAlgorithmError:
        raise AuthFailure("the token is not signed with HS256") from None
    except jwt.InvalidTokenError:
        raise AuthFailure("the token is malformed or invalid") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthFailure("the token's 'sub' claim is not a non-empty string")
    return subject


def _verify_named(
    token: str, secret: str, verify_signature: bool, user_claim: str, expiry_claim: str
) -> str:
    """verify_token for claims named otherwise than `sub` and `exp`."""
    options: dict[str, object] = {"verify_signature": verify_signature, "verify_exp": False}
    try:
        claims = jwt.decode(token, secret, algorithms=[P.JWT_ALGORITHM], options=options)  # type: ignore[arg-type]
    except jwt.InvalidSignatureError:
        raise AuthFailure("the token's signature is invalid") from None
    except jwt.InvalidTokenError:
        raise AuthFailure("the token is malformed or invalid") from None
    expires = claims.get(expiry_claim)
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise AuthFailure(f"the token has no {expiry_claim!r} claim")
    if expires <= time.time():
        raise AuthFailure("the token has expired")
    subject = claims.get(user_claim)
    if not isinstance(subject, str) or not subject:
        raise AuthFailure(f"the token's {user_claim!r} claim is not a non-empty string")
    return subject


def mint_token(secret: str, sub: str, *, exp_in: float = 3600.0) -> str:
    """An HS256 token for user `sub` that expires `exp_in` seconds from now."""
    return jwt.encode(
        {"sub": sub, "exp": int(time.time() + exp_in)}, secret, algorithm=P.JWT_ALGORITHM
    )
