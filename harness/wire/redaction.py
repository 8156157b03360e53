"""Redaction of the run's secret and tokens from everything the harness writes or prints."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from harness.wire.tokens import SECRET_ENV, TOKENS_ENV

SECRET_REDACTED: Final = "<redacted:secret>"
TOKEN_REDACTED: Final = "<redacted:token>"
# A JWT (header `{"`: eyJ) and the same in base64 once more (a subprotocol carries it so: ZXlK).
_JWT_SHAPES: Final = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*|ZXlK[A-Za-z0-9_+/=-]{16,}"
)
# Shorter secrets would redact ordinary words of a message; they are not secrets worth the name.
_MIN_SECRET_CHARS: Final = 6
# Short texts redacted once each (a metric's name and unit, thousands of times in a load
# run's results): their redacted form is kept, this many at most.
_MEMO_CHARS: Final = 64
_MEMO_ENTRIES: Final = 4096


class Redactor:
    """Replaces a known secret, known tokens and anything shaped like a JWT in text."""

    def __init__(self, secret: str | None = None, tokens: Iterable[str] = ()) -> None:
        literals: dict[str, str] = {}
        for token in tokens:
            if len(token) >= _MIN_SECRET_CHARS:
                literals[token] = TOKEN_REDACTED
                literals[_b64(token)] = TOKEN_REDACTED
        if secret and len(secret) >= _MIN_SECRET_CHARS:
            literals[secret] = SECRET_REDACTED
            # A message or transcript may show the secret JSON-escaped or repr()-quoted.
            escaped = secret.encode("unicode_escape").decode("ascii").replace('"', '\\"')
            literals.setdefault(escaped, SECRET_REDACTED)
        ordered = sorted(literals, key=len, reverse=True)  # a token before a secret inside it
        self._literals = literals
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
        self._memo: dict[str, str] = {}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        """The redactor of a child process: the secret and tokens the runner passed it."""
        env = os.environ if environ is None else environ
        pairs = [line for line in env.get(TOKENS_ENV, "").splitlines() if "=" in line]
        return cls(env.get(SECRET_ENV) or None, [p.partition("=")[2].strip() for p in pairs])

    def text(self, value: str) -> str:
        """`value` with every secret and token replaced."""
        short = len(value) <= _MEMO_CHARS
        if short:
            known = self._memo.get(value)
            if known is not None:
                return known
        redacted = value
        if self._pattern is not None:
            redacted = self._pattern.sub(lambda m: self._literals[m.group(0)], redacted)
        redacted = _JWT_SHAPES.sub(TOKEN_REDACTED, redacted)
        if short and len(self._memo) < _MEMO_ENTRIES:
            self._memo[value] = redacted
        return redacted

    def data(self, value: Any) -> Any:
        """A JSON-like value with every string in it (keys too) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _b64(token: str) -> str:
    return base64.urlsafe_b64encode(token.encode("utf-8")).decode("ascii").rstrip("=")
