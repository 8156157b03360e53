"""JWTs for synthetic users: minted with the target's secret, or crafted to be refused."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from harness.wire import protocol as P


def mint(
    secret: str,
    sub: str,
    *,
    exp_in: float = 3600.0,
    alg: str = P.JWT_ALGORITHM,
    claims: Mapping[str, Any] | None = None,
    omit: Iterable[str] = (),
    now: float | None = None,
) -> str:
    """Return a token for `sub` expiring `exp_in` seconds from now (negative: already expired).

    `alg="none"` returns an unsigned token (header `{"alg": "none"}`, empty signature),
    which a correct server refuses.
    """
    issued = time.time() if now is None else now
    body: dict[str, Any] = {"sub": sub, "exp": int(issued + exp_in), "iat": int(issued)}
    body.update(claims or {})
    for key in omit:
        body.pop(key, None)
    if alg.lower() == "none":
        return ".".join((_b64(b'{"alg":"none","typ":"JWT"}'), _b64(_json(body)), ""))
    return jwt.encode(body, secret, algorithm=alg)


def subprotocol_for(token: str) -> str:
    """The `Sec-WebSocket-Protocol` value that carries `token` (PROTOCOL.md section 1)."""
    return P.SUBPROTOCOL_PREFIX + _b64(token.encode("ascii"))


def synthetic_user_id(prefix: str = "u") -> str:
    """A fresh user id that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
