"""The draft's TOML text: tables of comment and key lines, literals, raw frames shortened."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from harness.discover.probe import Exchange

SHOWN: Final = 160  # characters of a raw frame a comment shows


@dataclass(slots=True)
class Table:
    """One TOML table of the draft: comment and key lines, in order."""

    name: str
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append("# " + text.replace("\n", " "))

    def key(self, key: str, value: Any, why: str) -> None:
        self.note(why)
        self.lines.append(f"{_key(key)} = {toml_value(value)}")


def toml_value(value: Any) -> str:
    """A TOML literal of a string, number, bool, list or (inline) table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML literal for {value!r}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def short(text: str) -> str:
    """A raw frame for a comment: one line, at most SHOWN characters."""
    one = text.replace("\n", " ").replace("\r", " ")
    return one if len(one) <= SHOWN else one[: SHOWN - 3] + "..."


def saw(exchange: Exchange) -> str:
    """What came back, for a comment."""
    if not exchange.tried:
        return "not tried (out of time)"
    shown = [short(f) for f in exchange.frames[:2]]
    more = f" (+{len(exchange.frames) - 2} more)" if len(exchange.frames) > 2 else ""
    closed = f"; closed {exchange.closed}" if exchange.closed is not None else ""
    return (" then ".join(shown) or "no frame") + more + closed
