"""The accepted timestamps of PROTOCOL.md section 5: JSON texts and their literal microseconds.

Each timestamp is written as the JSON text a client puts on the wire, so that numbers
with exponents are sent exactly as written. Expected values are integer microseconds
worked out by hand from the section's rules (UTC calendar arithmetic, digits beyond the
sixth truncated), never produced by the code under test, and compared exactly.

The wrong servers the data tells apart from a correct one (each comment by a class
names the ones that class catches):
- rounds ISO fraction digits beyond the sixth instead of truncating them (the protocol
  says truncated): every 7-, 8- and 9-digit ISO fraction below has a 7th digit >= 5, some
  of them carry into the next second;
- reads a decimal string with 7 to 9 fraction digits to anything but its value at
  microsecond resolution: "its value" within a microsecond is either the truncated or
  the rounded microsecond (float() gives the rounded one), both are accepted (the pair
  below), and anything further (milliseconds, an int cast) is not;
- reads a zone-less string as local time, or ignores the offset's sign: zone-less values
  in summer and winter, offsets of both signs and of half hours;
- casts to int or keeps milliseconds only: values with a last microsecond digit of 1;
- takes 0 for "no timestamp" (a falsy check): 0, 0.0, "0" and the ISO epoch give 0;
- checks the range on the date's fields instead of the normalised value: ISO strings
  whose year is 1969 or 2100 but whose instant is inside the range;
- returns the string sent, or the server's clock, as client_timestamp: every value;
- treats JSON null as invalid, or answers null with the server's clock: `null`;
- accepts a class in ping but rejects it (or drops it) in agent requests: each class is
  sent in ping, user_message and start_agent alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import pytest

# The staging outage's timestamp: zone-less, so UTC.
STAGING_ISO: Final = "2025-09-08T16:50:01.447585"
STAGING_MICROS: Final = 1757350201447585

# The content of agent requests: one calculator call, so the run is short.
AGENT_CONTENT: Final = "What is 2+3?"
AGENT_PAYLOAD_KEY: Final = {"user_message": "content", "start_agent": "user_request"}

ABSENT: Final = None  # a value sent without any timestamp field


# An expected normalised value: integer microseconds, None (null), or an inclusive pair of
# integer microseconds when the protocol allows either (a decimal string's value beyond
# the sixth digit, within a microsecond: truncated or rounded).
Expected = int | tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Accepted:
    """An accepted class: its rule and its values, (JSON text, expected microseconds)."""

    rule: str
    values: tuple[tuple[str | None, Expected], ...]


ACCEPTED: Final = (
    # The server's clock instead of null, or an error: client_timestamp must be null.
    Accepted("5.accepted.absent", ((ABSENT, None),)),
    Accepted("5.accepted.null", (("null", None),)),
    # An int() cast or millisecond precision loses the final microsecond of .000001.
    Accepted(
        "5.accepted.number",
        (("1693567801.447585", 1693567801447585), ("1757350201.000001", 1757350201000001)),
    ),
    Accepted("5.accepted.number-integer", (("1757350201", 1757350201000000),)),
    Accepted(
        "5.accepted.number-exponent",
        (
            ("1.757350201447585e9", 1757350201447585),
            ("1757350201447585E-6", 1757350201447585),
        ),
    ),
    # A falsy check takes 0 for "absent": null, or the server's clock, instead of 0.
    Accepted("5.accepted.lower-bound-zero", (("0", 0), ("0.0", 0))),
    Accepted("5.accepted.upper-bound", (("4102444799.999999", 4102444799999999),)),
    # 7 and 8 digits: within a microsecond of the value, truncated ...585 or rounded ...586.
    Accepted(
        "5.accepted.decimal-string",
        (
            ('"1693567801.447585"', 1693567801447585),
            ('"1757350201.000001"', 1757350201000001),
            ('"1757350201.4475859"', (1757350201447585, 1757350201447586)),
            ('"1757350201.44758599"', (1757350201447585, 1757350201447586)),
        ),
    ),
    Accepted(
        "5.accepted.decimal-string-integer",
        (('"1757350201"', 1757350201000000), ('"0"', 0)),
    ),
    # Truncated or rounded (a carry into the next second); milliseconds or an int cast fail.
    Accepted(
        "5.accepted.decimal-string-9-digits",
        (
            ('"1757350201.123456789"', (1757350201123456, 1757350201123457)),
            ('"1757350201.999999999"', (1757350201999999, 1757350202000000)),
        ),
    ),
    Accepted("5.accepted.iso-z", (('"2025-09-08T16:50:01.447585Z"', 1757350201447585),)),
    Accepted(
        "5.accepted.iso-lowercase-t-z", (('"2025-09-08t16:50:01.447585z"', 1757350201447585),)
    ),
    Accepted(
        "5.accepted.iso-space-separator",
        (
            ('"2025-09-08 16:50:01.447585"', 1757350201447585),
            ('"2025-09-08 16:50:01.447585Z"', 1757350201447585),
        ),
    ),
    # An ignored sign gives 1757370001.447585; an ignored offset 1757350201.447585.
    Accepted(
        "5.accepted.iso-offset-plus",
        (('"2025-09-08T16:50:01.447585+05:30"', 1757330401447585),),
    ),
    # An ignored sign gives 1757332201.447585 and 1757348401.0.
    Accepted(
        "5.accepted.iso-offset-minus",
        (
            ('"2025-09-08T16:50:01.447585-05:00"', 1757368201447585),
            ('"2025-09-08T16:50:01-00:30"', 1757352001000000),
        ),
    ),
    Accepted(
        "5.accepted.iso-offset-max",
        (
            ('"2025-09-08T16:50:01+23:59"', 1757263861000000),
            ('"2025-09-08T16:50:01-23:59"', 1757436541000000),
        ),
    ),
    # Local time (UTC-05:00 on staging) gives 1757368201.447585; a summer and a winter date.
    Accepted(
        "5.accepted.iso-zoneless-utc",
        ((f'"{STAGING_ISO}"', STAGING_MICROS), ('"2025-01-15T08:00:00"', 1736928000000000)),
    ),
    Accepted(
        "5.accepted.iso-no-fraction",
        (
            ('"2025-09-08T16:50:01Z"', 1757350201000000),
            ('"2025-09-08T16:50:01"', 1757350201000000),
        ),
    ),
    # ".4" read as 4 microseconds would give 1757350201.000004.
    Accepted("5.accepted.iso-fraction-1-digit", (('"2025-09-08T16:50:01.4Z"', 1757350201400000),)),
    Accepted(
        "5.accepted.iso-fraction-9-digits",
        (
            ('"2025-09-08T16:50:01.123456789Z"', 1757350201123456),
            ('"2025-09-08T16:50:01.999999999Z"', 1757350201999999),
        ),
    ),
    # 7 and 8 digits, 7th digit >= 5: rounding gives ...586, or carries to the next second.
    Accepted(
        "5.accepted.iso-fraction-truncated",
        (
            ('"2025-09-08T16:50:01.4475859Z"', 1757350201447585),
            ('"2025-09-08T16:50:01.44758599Z"', 1757350201447585),
            ('"2025-09-08T16:50:01.9999995"', 1757350201999999),
            ('"2025-09-08T16:50:01.99999999+05:30"', 1757330401999999),
        ),
    ),
    Accepted("5.accepted.iso-leap-day", (('"2024-02-29T12:00:00Z"', 1709208000000000),)),
    # The second value's year is 1969: a range check on the year rejects it.
    Accepted(
        "5.accepted.iso-epoch",
        (('"1970-01-01T00:00:00Z"', 0), ('"1969-12-31T23:00:00-01:00"', 0)),
    ),
    # The second value's year is 2100: a range check on the year rejects it.
    Accepted(
        "5.accepted.iso-upper-bound",
        (
            ('"2099-12-31T23:59:59.999999Z"', 4102444799999999),
            ('"2100-01-01T00:59:59+01:00"', 4102444799000000),
        ),
    ),
)


def case_params(cases: Sequence[Any]) -> list[Any]:
    """One pytest param per class, named by its rule's last part and marked with its rule."""
    return [
        pytest.param(case, id=case.rule.rsplit(".", 1)[-1], marks=pytest.mark.rules(case.rule))
        for case in cases
    ]
