"""A scenario as loaded: its turns, each with its checks, and how many runs must pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

# The kinds of check on a turn's final text (`not_*`: the text must not match).
TEXT_KINDS: Final = (
    "contains",
    "icontains",
    "regex",
    "not_contains",
    "not_icontains",
    "not_regex",
)
# Every kind of check, each with the options it takes (and those it requires).
OPTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    **{kind: () for kind in TEXT_KINDS},
    "json_schema": ("tool",),
    "json_path": ("equals",),
    "tool_called": ("arguments",),
    "tool_not_called": (),
    "absent": ("within_ms",),
    "within_ms": (),
    "predicate": (),
}
REQUIRED: Final[Mapping[str, tuple[str, ...]]] = {
    "json_path": ("equals",),
    "absent": ("within_ms",),
}
SAME: Final = "same"
NEW: Final = "new"


@dataclass(frozen=True, slots=True)
class Check:
    """One check of a turn: its kind and value, its options, and what loading made of them
    (`ready`: the compiled regex, the schema's validator, the predicate function)."""

    kind: str
    value: Any
    options: Mapping[str, Any] = field(default_factory=dict)
    ready: Any = None

    def describe(self) -> str:
        """The check as written, on one line: `contains '5'`, `absent 'x' within_ms 50`."""
        value = "<schema>" if self.kind == "json_schema" else repr(self.value)
        extra = "".join(
            f" {key} {value!r}" for key, value in self.options.items() if value is not None
        )
        return f"{self.kind} {value}{extra}"


@dataclass(frozen=True, slots=True)
class TurnSpec:
    """One turn as written: the user's content, its thread (same or new) and its checks."""

    send: str
    thread: str = SAME
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario file: its name (the test id), its turns, and `min_pass` of `runs`."""

    name: str
    path: Path
    turns: tuple[TurnSpec, ...]
    description: str = ""
    runs: int = 1
    min_pass: int = 1

    @property
    def check_count(self) -> int:
        """How many checks its turns hold."""
        return sum(len(turn.checks) for turn in self.turns)
