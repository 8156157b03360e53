"""Redaction of tokens and secrets in what a capture keeps (never in what the proxy forwards)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

REDACTED: Final = "<redacted>"
JWT_REDACTED: Final = "<redacted:jwt>"
# A JWT: base64url header starting with `{"` (eyJ), payload, optional signature.
JWT_SHAPE: Final = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SENSITIVE: Final = re.compile(r"auth|token|secret|key|session|cookie|password|jwt", re.I)
# Handshake headers worth keeping: who the client said it was, and what it offered.
_DROPPED: Final = frozenset(
    {
        "host",
        "connection",
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
        "accept-encoding",
    }
)


def redact_text(text: str) -> tuple[str, int]:
    """`text` with every JWT-shaped string replaced, and how many were."""
    return JWT_SHAPE.subn(JWT_REDACTED, text)


def redact_headers(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """The handshake headers worth keeping, credentials redacted, and what was redacted."""
    kept: dict[str, str] = {}
    redacted: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower in _DROPPED:
            continue
        if lower == "authorization":
            scheme, _, _ = value.partition(" ")
            kept[name] = f"{scheme} {REDACTED}" if scheme and " " in value else REDACTED
            redacted.append("authorization header")
        elif _SENSITIVE.search(name):
            kept[name] = REDACTED
            redacted.append(f"{lower} header")
        else:
            text, count = redact_text(value)
            kept[name] = text
            if count:
                redacted.append(f"jwt in {lower} header")
    return kept, redacted


def redact_query(
    query: Mapping[str, str], token_param: str = "token"
) -> tuple[dict[str, str], list[str]]:
    """Query parameters with the token parameter and credential-like ones redacted."""
    kept: dict[str, str] = {}
    redacted: list[str] = []
    for name, value in query.items():
        if name == token_param or _SENSITIVE.search(name) or JWT_SHAPE.search(value):
            kept[name] = REDACTED
            redacted.append(f"?{name}= query parameter")
        else:
            kept[name] = value
    return kept, redacted


def redact_subprotocols(
    offered: Iterable[str], prefix: str = "jwt."
) -> tuple[list[str], list[str]]:
    """Subprotocols with token-carrying ones (the profile's prefix, or JWT-shaped) redacted."""
    kept: list[str] = []
    redacted: list[str] = []
    for value in offered:
        if prefix and value.startswith(prefix):
            kept.append(prefix + REDACTED)
            redacted.append("token subprotocol")
        elif JWT_SHAPE.search(value):
            kept.append(REDACTED)
            redacted.append("token subprotocol")
        else:
            kept.append(value)
    return kept, redacted
