"""What a frame or an HTTP body must never disclose: secrets, tokens, environment, paths, traces.

Wrong behaviours these checks tell apart from a correct server:
- the secret or a token quoted whole, or only in part (a "hint" of the first characters,
  a truncated echo): every 12-character piece of a secret or token is searched for;
- the signature the target's secret gives a forged token ("expected signature ...");
- an environment dump (`NAME=value`, `$HOME`, `${VAR}`, `%VAR%`, `os.environ`, `JWT_SECRET`),
  or the name or value of a variable of the harness's own environment (the embedded
  target inherits it);
- a file path (POSIX with two segments or more, a system directory, a drive letter,
  a source file name such as `auth.py`);
- a stack trace or exception dump (`Traceback`, `File "...", line N`, `  at f(x.js:1:2)`,
  `goroutine 1 [`, a qualified class name `jwt.exceptions.X`, `SomethingError`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

# Shorter pieces could occur in ordinary text by chance; longer ones miss a short hint.
PIECE: Final = 12
# Environment values shorter than this are too common ("1", "C.UTF-8") to be a disclosure.
ENV_VALUE_MIN: Final = 16
# Names such as VIRTUAL_ENV or PYTEST_XDIST_WORKER; short ones (PATH, HOME) are plain words.
ENV_NAME_MIN: Final = 8

MARKERS: Final = (
    ("an environment variable NAME=value", re.compile(r"(?<![\w$])[A-Z][A-Z0-9_]{2,}=\S")),
    ("an environment reference", re.compile(r"\$\{?[A-Z][A-Z0-9_]+\}?|%[A-Z][A-Z0-9_]+%")),
    ("an environment dump", re.compile(r"os\.environ|process\.env|getenv", re.IGNORECASE)),
    (
        "a configuration variable name",
        re.compile(r"\b(?:JWT_SECRET|SECRET_KEY|DATABASE_URL|API_KEY|AWS_[A-Z_]+)\b"),
    ),
    (
        "a file path",
        re.compile(
            r"(?<![\w.:/])/(?:[\w.@+-]+/)+[\w.@+-]+"
            r"|/(?:home|usr|etc|var|tmp|opt|root|srv|app|proc|Users)\b"
            r"|\b[A-Za-z]:\\\w"
        ),
    ),
    (
        "a source file name",
        # "Node.js" is a product name, not a file.
        re.compile(r"\b(?!Node\.js\b)[\w-]+\.(?:py|pyc|pyx|js|mjs|go|rs|java|rb|php)\b"),
    ),
    (
        "a stack trace",
        re.compile(
            r"Traceback|File \"[^\"]*\", line \d+|\bline \d+, in\b"
            r"|^\s*at [\w$.<>]+ ?\(|goroutine \d+ \[|\bpanic:",
            re.MULTILINE,
        ),
    ),
    (
        "an exception class",
        re.compile(
            r"\b[a-z_]\w*(?:\.[a-z_]\w*)*\.[A-Z]\w+"
            r"|\b[A-Z]\w*(?:Error|Exception|Failure)\b"
        ),
    ),
)


def disclosures(value: Any, secrets: Mapping[str, str | None]) -> list[str]:
    """What `value` (a parsed frame, frames, or a text) discloses: labels, never the values."""
    text = "\n".join(strings_of(value))
    found = [label for label, secret in secrets.items() if secret and _contains(text, secret)]
    for name, secret in os.environ.items():
        if len(secret) >= ENV_VALUE_MIN and secret in text:
            found.append(f"the value of environment variable {name}")
        if len(name) >= ENV_NAME_MIN and "_" in name and re.search(rf"\b{re.escape(name)}\b", text):
            found.append(f"the name of environment variable {name}")
    found += [label for label, pattern in MARKERS if pattern.search(text)]
    return found


def _contains(text: str, secret: str) -> bool:
    """True when `text` holds `secret`, or any PIECE-character piece of it."""
    if len(secret) <= PIECE:
        return secret in text
    return any(piece in text for piece in _pieces(secret))


def _pieces(secret: str) -> Iterable[str]:
    return (secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1))


def strings_of(value: Any) -> list[str]:
    """Return every string in a parsed JSON value: keys, values, nested ones."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in (k, *strings_of(v))]
    if isinstance(value, list):
        return [text for item in value for text in strings_of(item)]
    return []
