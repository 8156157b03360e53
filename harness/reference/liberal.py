"""The liberal reference server: every freedom the protocol leaves open, chosen by a seed.

`serve --liberal SEED` and `run --liberal SEED` make the reference server take, per
connection, a choice the seed draws among the readings the protocol allows (listed with
the sentence that allows each one in docs/REFERENCE_SERVER.md, "The liberal server").
A test that fails against a liberal server expects one answer where the protocol allows
several: a defect of the harness, never of the server.

The seed decides everything: connection N of a server started with seed S draws its
choices from `random.Random(f"{S}:{N}")`, so a failing seed replays the same choices
(connection numbers follow the order in which connections are accepted).
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from harness.wire.protocol import UNKNOWN_TYPE

# Names of the extra fields a liberal frame may carry (none is a field of any dialect).
_EXTRA_NAMES: Final = ("trace_id", "server_version", "region", "_meta", "x-request-cost")
_EXTRA_VALUES: Final = ("f3a9c1", 7, 0.25, None, True, {"build": "2026.12", "shards": [1, 2]})
# Separators (item, key) of json.dumps, and indents: compact, spaced, pretty.
_LAYOUTS: Final = (
    ((",", ":"), None),
    ((", ", ": "), None),
    ((",", ": "), 2),
    ((" , ", " : "), None),
)
# The longest id a liberal server makes up (a client's message_id may have 128 characters).
LONGEST_ID: Final = 128
ID_SHAPES: Final = ("uuid", "hex", "counter", "longest", "dotted", "unicode")
# Per freedom of wording: another plain-text message for each error code the server sends.
_WORDING: Final = (
    "Request refused ({code}).",
    "{code}: the server could not accept this frame",
    "Sorry, that did not work — {code}",
)
THINKING: Final = (
    "Reading the request and looking for arithmetic expressions.",
    "Planning which tool answers it.",
    "Checking the tool's result before answering.",
)


@dataclass
class Liberties:
    """The choices of one connection of a liberal server."""

    rng: random.Random
    counter: Iterator[int]
    decimal_rounded: bool = False
    extra_fields: bool = False
    layout: int = 0
    key_order: str = "as-is"
    whole_numbers_as_integers: bool = False
    thinking_steps: int = 1
    think_where: str = "before-tools"
    wording: int | None = None
    welcome_extras: bool = False
    late_pongs: bool = False
    id_shape: str = "uuid"
    think_ms: float = 5.0
    tool_ms: float = 5.0
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def draw(cls, rng: random.Random, counter: Iterator[int]) -> Liberties:
        """One connection's choices, every freedom drawn independently."""
        names = rng.sample(_EXTRA_NAMES, rng.randint(1, 3))
        return cls(
            rng=rng,
            counter=counter,
            decimal_rounded=rng.random() < 0.5,
            extra_fields=rng.random() < 0.6,
            layout=rng.randrange(len(_LAYOUTS)),
            key_order=rng.choice(("as-is", "sorted", "reversed", "shuffled")),
            whole_numbers_as_integers=rng.random() < 0.5,
            thinking_steps=rng.randint(1, 3),
            think_where=rng.choice(("before-tools", "between-tools", "after-tools")),
            wording=rng.choice((None, 0, 1, 2)),
            welcome_extras=rng.random() < 0.6,
            late_pongs=rng.random() < 0.5,
            id_shape=rng.choice(ID_SHAPES),
            think_ms=rng.choice((0.0, 1.0, 5.0, 12.0)),
            tool_ms=rng.choice((0.0, 2.0, 5.0, 12.0)),
            extras={name: rng.choice(_EXTRA_VALUES) for name in names},
        )

    # -- ids ---------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh id of this connection's shape, unique in the server (`prefix`: its kind)."""
        unique = uuid.uuid4().hex
        shape = self.id_shape
        if shape == "hex":
            return unique
        if shape == "counter":
            return str(next(self.counter))
        if shape == "longest":
            return (f"{prefix}-{unique}" * 4)[:LONGEST_ID]
        if shape == "dotted":
            return f"{prefix}.{next(self.counter)}.{unique[:6]}"
        if shape == "unicode":
            return f"{prefix}-é-{unique[:10]}"
        return str(uuid.UUID(unique))

    # -- frames ------------------------------------------------------------

    def frame(self, wire: dict[str, Any], *, welcome: bool = False) -> dict[str, Any]:
        """The wire object with this connection's extra fields (top level and in `data`)."""
        if not (self.extra_fields or (welcome and self.welcome_extras)):
            return wire
        out = {**wire, **{k: v for k, v in self.extras.items() if k not in wire}}
        if welcome and self.welcome_extras:
            out.setdefault("capabilities", ["chat", "agents"])
            out.setdefault("motd", "Welcome.")
        for inner in ("data", "payload"):
            value = out.get(inner)
            if isinstance(value, dict):
                out[inner] = {**value, **{k: v for k, v in self.extras.items() if k not in value}}
        return out

    def text(self, wire: dict[str, Any]) -> str:
        """The JSON text of a wire object in this connection's layout and key order."""
        separators, indent = _LAYOUTS[self.layout]
        return json.dumps(self._ordered(wire), separators=separators, indent=indent)

    def _ordered(self, value: Any) -> Any:
        if isinstance(value, dict):
            items = [(k, self._ordered(v)) for k, v in value.items()]
            if self.key_order == "sorted":
                items.sort(key=lambda item: item[0])
            elif self.key_order == "reversed":
                items.reverse()
            elif self.key_order == "shuffled":
                self.rng.shuffle(items)
            return dict(items)
        if isinstance(value, list):
            return [self._ordered(v) for v in value]
        return value

    def number(self, value: float) -> float | int:
        """A whole number written as an integer literal where the connection chose so."""
        if self.whole_numbers_as_integers and float(value).is_integer():
            return int(value)
        return value

    def duration(self, milliseconds: float) -> float | int:
        """A duration in ms: a float, or a whole number of ms written as an integer."""
        if self.whole_numbers_as_integers:
            return round(milliseconds)
        return milliseconds

    def error_message(self, code: str, message: str) -> str:
        """The error's message in this connection's wording (an unknown type stays named)."""
        if self.wording is None:
            return message
        worded = _WORDING[self.wording].format(code=code)
        if code == UNKNOWN_TYPE:
            worded += " " + message  # the message names the type (PROTOCOL.md section 6)
        return worded


class LiberalServer:
    """The seed of a liberal server and the choices of each of its connections."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._connections = itertools.count(1)
        self._ids = itertools.count(1)
        self._requests = itertools.count(1)

    def for_connection(self) -> Liberties:
        """The next accepted connection's choices."""
        number = next(self._connections)
        return Liberties.draw(random.Random(f"{self.seed}:{number}"), self._ids)

    def stats(self, body: dict[str, Any]) -> dict[str, Any]:
        """A `/stats` body with its zero counters present or absent (drawn per request)."""
        rng = random.Random(f"{self.seed}:stats:{next(self._requests)}")
        choice = rng.choice(("as-is", "drop-zeros", "extra-zeros"))
        if choice == "drop-zeros":
            return {k: v for k, v in body.items() if v != 0 and v != {}}
        if choice == "extra-zeros":
            errors = {"INVALID_PAYLOAD": 0, "THREAD_NOT_FOUND": 0, **body.get("errors", {})}
            types = {"ping": 0, **body.get("message_types", {})}
            return {**body, "errors": errors, "message_types": types}
        return body


def rounded_decimal(text: str) -> float | None:
    """A decimal string's value rounded to the microsecond (None: not a plain decimal string
    with more than six fraction digits, which the normaliser reads as usual)."""
    whole, dot, fraction = text.partition(".")
    if not (dot and whole.isascii() and whole.isdigit() and fraction.isascii()):
        return None
    if not (fraction.isdigit() and 7 <= len(fraction) <= 9 and 1 <= len(whole) <= 10):
        return None
    micros = int(Decimal(text).quantize(Decimal("0.000001"), ROUND_HALF_EVEN) * 1_000_000)
    return micros / 1_000_000
