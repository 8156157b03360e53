"""JWTs for synthetic users: minted with the target's secret, or crafted to be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from harness.errors import HarnessError
from harness.wire import protocol as P

# Where secrets travel to child processes (pytest phases, the embedded server): the
# environment, never a command line (which `ps` shows to every user of the machine).
SECRET_ENV = "STABILITY_HARNESS_JWT_SECRET"
TOKENS_ENV = "STABILITY_HARNESS_TOKENS"  # USER=JWT pairs, one per line


def mint(
    secret: str,
    sub: str,
    *,
    exp_in: float = 3600.0,
    alg: str = P.JWT_ALGORITHM,
    claims: Mapping[str, Any] | None = None,
    omit: Iterable[str] = (),
    now: float | None = None,
    user_claim: str = "sub",
    expiry_claim: str = "exp",
) -> str:
    """Return a token for `sub` expiring `exp_in` seconds from now (negative: already expired).

    `alg="none"` returns an unsigned token (header `{"alg": "none"}`, empty signature),
    which a correct server refuses.
    """
    issued = time.time() if now is None else now
    body: dict[str, Any] = {
        user_claim: sub,
        expiry_claim: int(issued + exp_in),
        "iat": int(issued),
    }
    body.update(claims or {})
    for key in omit:
        body.pop(key, None)
    if alg.lower() == "none":
        return ".".join((_b64(b'{"alg":"none","typ":"JWT"}'), _b64(_json(body)), ""))
    return _signed(body, secret, alg)


# The HMAC algorithms of RFC 7518 section 3.2, the ones a token is signed with here.
_HMAC_DIGESTS: Final = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _signed(body: Mapping[str, Any], secret: str, alg: str) -> str:
    """The token `jwt.encode(body, secret, algorithm=alg)` makes, byte for byte.

    An HMAC token is two base64url segments and their HMAC (RFC 7515), made here with
    the standard library: PyJWT imports cryptography (about 0.06 s of CPU), which every
    process that mints a token would pay, the runner's preflight and each pytest
    session included, and it checked every key for an asymmetric one at every token.
    The header and claims are written as PyJWT writes them (compact JSON, the header's
    keys sorted), which tests/wire/test_tokens.py pins with a token PyJWT made. Any other
    algorithm, or claims json cannot write (a datetime), is PyJWT's."""
    digest = _HMAC_DIGESTS.get(alg)
    if digest is not None and isinstance(body.get("iss", ""), str):
        try:
            payload = _json(body)
        except TypeError:
            payload = b""
        if payload:
            signing = _b64(_json({"alg": alg, "typ": "JWT"})) + "." + _b64(payload)
            signature = hmac.new(secret.encode(), signing.encode("ascii"), digest).digest()
            return signing + "." + _b64(signature)
    import jwt

    token: str = jwt.encode(dict(body), secret, algorithm=alg)
    return token


def subprotocol_for(token: str, prefix: str = P.SUBPROTOCOL_PREFIX) -> str:
    """The `Sec-WebSocket-Protocol` value that carries `token` (PROTOCOL.md section 1)."""
    return prefix + _b64(token.encode("ascii"))


def synthetic_user_id(prefix: str = "u") -> str:
    """A fresh user id that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class TokenCommandFailed(HarnessError):
    """The profile's token command failed, hung or printed no token (the run is INCOMPLETE)."""


def token_from_command(
    command: Sequence[str], user_id: str, *, timeout_s: float, env: Mapping[str, str] | None = None
) -> str:
    """Run the profile's token command for `user_id` and return the token it prints.

    `{user}` in any argument is replaced by the user id. The command runs with a
    deadline, no shell and no standard input; its output is never echoed: a
    failure is reported by the command's exit status and the last line of its
    standard error, never by what it printed on standard output.
    """
    argv = [part.replace("{user}", user_id) for part in command]
    shown = " ".join([Path(command[0]).name, *command[1:]])
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            env=None if env is None else dict(env),
        )
    except FileNotFoundError:
        raise TokenCommandFailed(f"token command {shown}: {argv[0]}: not found") from None
    except PermissionError:
        raise TokenCommandFailed(f"token command {shown}: {argv[0]}: not executable") from None
    except subprocess.TimeoutExpired:
        raise TokenCommandFailed(
            f"token command {shown}: no token within {timeout_s:g} s (stopped)"
        ) from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        why = lines[-1][:200] if lines else "no message on stderr"
        raise TokenCommandFailed(f"token command {shown}: exit {proc.returncode}: {why}")
    tokens = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if not tokens:
        raise TokenCommandFailed(f"token command {shown}: printed no token")
    if len(tokens) > 1 or any(ch.isspace() for ch in tokens[0]):
        raise TokenCommandFailed(
            f"token command {shown}: printed {len(tokens)} lines; expected one token"
        )
    return tokens[0]
