"""The timestamp normaliser of PROTOCOL.md section 5: a pure function, exact to the microsecond.

Accepted: JSON numbers (not booleans), decimal strings and RFC 3339 date-times
(zone-less ones read as UTC), each giving epoch seconds in ``0 <= t < 4102444800``;
a string's fraction digits beyond microseconds are truncated, never rounded.
Everything else raises ``InvalidTimestamp`` naming the rule it broke.

The date-time path checks the RFC 3339 shape itself (separator positions, the fraction,
the zone form) and leaves the other digits and field ranges to ``datetime.fromisoformat``,
whose C parser accepts a superset of that shape (it truncates fractions beyond
microseconds). ``timedelta.total_seconds`` divides integer microseconds, so the float
is the one nearest to the exact value. Rejected values take a slower path that names
the broken rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

UPPER_BOUND: Final = 4102444800  # 2100-01-01T00:00:00Z, exclusive
_UPPER_BOUND_FLOAT: Final = 4102444800.0  # a float compares faster with a float than an int
_SEPARATORS: Final = frozenset(("--T::", "--t::", "-- ::"))

_EPOCH_NAIVE: Final = datetime(1970, 1, 1)
_EPOCH_UTC: Final = datetime(1970, 1, 1, tzinfo=UTC)
_from_iso: Final = datetime.fromisoformat


def _zone_epochs() -> dict[str, datetime]:
    """Every valid "+HH:MM"/"-HH:MM" offset mapped to the naive epoch shifted by it."""
    epochs = {}
    for hours in range(24):
        for minutes in range(60):
            offset = timedelta(hours=hours, minutes=minutes)
            epochs[f"+{hours:02d}:{minutes:02d}"] = _EPOCH_NAIVE + offset
            epochs[f"-{hours:02d}:{minutes:02d}"] = _EPOCH_NAIVE - offset
    return epochs


_ZONE_EPOCHS: Final = _zone_epochs()

# Used only to name the rule a rejected string broke. [0-9], not \d: \d matches other digits.
_DATE_TIME: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))?"
)
_DATE_ONLY: Final = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?")
_WEEK_OR_ORDINAL: Final = re.compile(r"[0-9]{4}-?(?:W[0-9]{2}(?:-?[0-9])?|[0-9]{3})(?:[Tt ].*)?")
_BASIC_FORMAT: Final = re.compile(r"[0-9]{8}(?:[Tt ][0-9]{2,6}.*)?")
_NON_FINITE: Final = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_EXPONENT: Final = re.compile(r"[0-9]*\.?[0-9]*[eE][+-]?[0-9]+")
_DIGITS: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?")
_DAYS_IN_MONTH: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class InvalidTimestamp(ValueError):
    """Names which rule the value broke."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        super().__init__(f"invalid timestamp: {rule}")


def python_normalise_timestamp(value: object) -> float | None:
    """None for None (absent or JSON null); the epoch-seconds float; raises InvalidTimestamp
    for every rejected class. The pure-Python implementation."""
    kind = type(value)
    if kind is str:
        # The RFC 3339 path is inlined: it is the hot one, and a call costs ~5% of it.
        text: str = value  # type: ignore[assignment]
        length = len(text)
        # Characters 4, 7, 10, 13 and 16 of "YYYY-MM-DDTHH:MM:SS" in one slice.
        if (
            length >= 19
            and text[4:17:3] in _SEPARATORS
            and (text[11] < "2" or text[12] < "4")  # hour 24: newer Pythons take it as 00
            and text.isascii()
        ):
            if text[-1] == "Z":
                end = length - 1
                body = text  # fromisoformat reads "Z" as the UTC singleton: a cheap subtraction
                epoch = _EPOCH_UTC
            elif length >= 25 and text[-3] == ":":
                # An offset: subtracting aware datetimes with distinct tzinfo objects is slow,
                # so the naive part is subtracted from the epoch shifted by the offset.
                end = length - 6
                epoch = _ZONE_EPOCHS.get(text[end:])  # type: ignore[assignment]
                if epoch is None:
                    raise InvalidTimestamp(_diagnose(text))
                body = text[:end]
            elif text[-1] == "z":
                end = length - 1
                body = text[:end]
                epoch = _EPOCH_NAIVE
            else:
                end = length
                body = text
                epoch = _EPOCH_NAIVE
            # A fraction of 1 to 9 digits: fromisoformat also takes more, none, a comma, and
            # (3.11) stray characters after the 6th digit, so the digits are checked here.
            if end == 19 or (21 <= end <= 29 and text[19] == "." and text[20:end].isdigit()):
                try:
                    seconds = (_from_iso(body) - epoch).total_seconds()
                except ValueError:
                    pass  # a field out of range: named by _diagnose
                else:
                    if 0.0 <= seconds < _UPPER_BOUND_FLOAT:
                        return seconds
                    raise InvalidTimestamp(_number_rule(seconds))
            raise InvalidTimestamp(_diagnose(text))
        return _from_decimal(text)
    if kind is float:
        if 0.0 <= value < _UPPER_BOUND_FLOAT:  # type: ignore[operator]
            return value  # type: ignore[return-value]
        raise InvalidTimestamp(_number_rule(value))  # type: ignore[arg-type]
    if kind is int:
        if 0 <= value < UPPER_BOUND:  # type: ignore[operator]
            return float(value)  # type: ignore[arg-type]
        raise InvalidTimestamp(_number_rule(value))  # type: ignore[arg-type]
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidTimestamp("a boolean is not a timestamp")
    if isinstance(value, str):
        return python_normalise_timestamp(str(value))
    if isinstance(value, float):
        return python_normalise_timestamp(float(value))
    if isinstance(value, int):
        return python_normalise_timestamp(int(value))
    raise InvalidTimestamp(f"a JSON {_json_kind(value)} is not a timestamp")


_string_seconds: Callable[[object], float | None] | None
try:  # the C fast path for accepted strings; built where a C compiler was available
    from harness.reference._speedups import string_seconds as _string_seconds
except ImportError:  # a build without a compiler: the Python path alone
    _string_seconds = None

ACCELERATED: Final = _string_seconds is not None


def normalise_timestamp(value: object) -> float | None:
    """None for None (absent or JSON null); the epoch-seconds float; raises InvalidTimestamp
    for every rejected class."""
    kind = type(value)
    if kind is str:
        if _string_seconds is not None:
            seconds: float | None = _string_seconds(value)
            if seconds is not None:
                return seconds
    elif kind is float and 0.0 <= value < _UPPER_BOUND_FLOAT:  # type: ignore[operator]
        return value  # type: ignore[return-value]
    # Rejected values, other types, and every value when the C path is not built.
    return python_normalise_timestamp(value)


def _from_decimal(text: str) -> float:
    """The value of a decimal string of epoch seconds; raises for any other string."""
    if text.isascii():
        whole, dot, fraction = text.partition(".")
        if (
            0 < len(whole) <= 10
            and whole.isdigit()
            and (not dot or (0 < len(fraction) <= 9 and fraction.isdigit()))
        ):
            # The integer part decides the range exactly. Integer microseconds (digits beyond
            # the sixth truncated) divided once: the float nearest the truncated value.
            if len(whole) < 10 or whole < "4102444800":
                return (int(whole) * 1_000_000 + int(fraction[:6].ljust(6, "0"))) / 1_000_000
            raise InvalidTimestamp(_RANGE_RULE)
    raise InvalidTimestamp(_diagnose(text))


_RANGE_RULE: Final = "must be before 2100-01-01T00:00:00Z (4102444800 epoch seconds)"


def _number_rule(value: float) -> str:
    """The rule a number outside the accepted range broke."""
    if not math.isfinite(value):
        return "a number must be finite"
    if value < 0:
        return "negative values are not timestamps"
    return _RANGE_RULE


def _diagnose(text: str) -> str:
    """The rule a rejected string broke (rejection path only, so clarity over speed)."""
    if text == "":
        return "an empty string is not a timestamp"
    if text != text.strip():
        return "leading or trailing whitespace"
    if not text.isascii():
        return "only ASCII characters are allowed"
    if _NON_FINITE.fullmatch(text):
        return "NaN and Infinity are not timestamps"
    if text.startswith("-"):
        return "negative values are not timestamps"
    if "_" in text:
        return "underscores are not allowed"
    if "," in text:
        return "comma decimals are not allowed"
    if _EXPONENT.fullmatch(text):
        return "exponent notation is not allowed in a string"
    if _DIGITS.fullmatch(text):
        return "a decimal string has 1 to 10 integer and 1 to 9 fraction digits"
    if _DATE_ONLY.fullmatch(text):
        return "a date without a time is not a timestamp"
    if _WEEK_OR_ORDINAL.fullmatch(text):
        return "week and ordinal dates are not allowed"
    if _BASIC_FORMAT.fullmatch(text):
        return "basic format without separators is not allowed"
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return "neither epoch seconds nor an RFC 3339 date-time with seconds"
    return _field_rule(*match.groups())


def _field_rule(
    year: str,
    month: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    fraction: str | None,
    offset_hours: str | None,
    offset_minutes: str | None,
) -> str:
    """The out-of-range field of a date-time whose shape is right."""
    if not 1 <= int(month) <= 12:
        return "month must be 01 to 12"
    if not 1 <= int(day) <= _DAYS_IN_MONTH[int(month)]:
        return "day does not exist in that month"
    leap = int(year) % 4 == 0 and (int(year) % 100 != 0 or int(year) % 400 == 0)
    if int(month) == 2 and int(day) == 29 and not leap:
        return "February 29 exists only in leap years"
    if int(hour) > 23:
        return "hour must be 00 to 23"
    if int(minute) > 59:
        return "minute must be 00 to 59"
    if int(second) > 59:
        return "second must be 00 to 59"
    if offset_hours is not None and (int(offset_hours) > 23 or int(offset_minutes or 0) > 59):
        return "offset must lie within -23:59 to +23:59"
    if int(year) < 1970:
        return "negative values are not timestamps"
    return _RANGE_RULE


def _json_kind(value: object) -> str:
    """The JSON name of a non-scalar value's kind, for the error message."""
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
