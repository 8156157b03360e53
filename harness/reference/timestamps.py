"""The timestamp normaliser of PROTOCOL.md section 5: a pure function, exact to the microsecond.

Accepted: JSON numbers (not booleans), decimal strings and RFC 3339 date-times
(zone-less ones read as UTC), each giving epoch seconds in ``0 <= t < 4102444800``.
Everything else raises ``InvalidTimestamp`` naming the rule it broke.
"""

from __future__ import annotations

import math
import re
from typing import Final

UPPER_BOUND: Final = 4102444800  # 2100-01-01T00:00:00Z, exclusive

_DECIMAL: Final = re.compile(r"([0-9]{1,10})(?:\.[0-9]{1,9})?")
# [0-9], not \d: \d also matches non-ASCII digits. Used with fullmatch: `$` would allow "\n".
_DATE_TIME: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))?"
)
_DATE_ONLY: Final = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?")
_WEEK_OR_ORDINAL: Final = re.compile(r"[0-9]{4}-?(?:W[0-9]{2}(?:-?[0-9])?|[0-9]{3})(?:[Tt ].*)?")
_BASIC_FORMAT: Final = re.compile(r"[0-9]{8}[Tt ][0-9]{4,6}.*")
_NON_FINITE: Final = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DAYS_IN_MONTH: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class InvalidTimestamp(ValueError):
    """Names which rule the value broke."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        super().__init__(f"invalid timestamp: {rule}")


def normalise_timestamp(value: object) -> float | None:
    """None for None (absent or JSON null); the epoch-seconds float; raises InvalidTimestamp for every rejected class."""
    if value is None:
        return None
    if isinstance(value, str):
        return _from_string(value)
    if isinstance(value, bool):
        raise InvalidTimestamp("a boolean is not a timestamp")
    if isinstance(value, int):
        _check_range(value)
        return float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidTimestamp("a number must be finite")
        _check_range(value)
        return value
    raise InvalidTimestamp(f"a JSON {_json_kind(value)} is not a timestamp")


def _from_string(text: str) -> float:
    """The epoch seconds of a decimal string or an RFC 3339 date-time."""
    match = _DATE_TIME.fullmatch(text)
    if match is not None:
        return _from_date_time(*match.groups())
    match = _DECIMAL.fullmatch(text)
    if match is not None:
        # The integer part decides the range exactly; the float of the decimal is the value.
        _check_range(int(match.group(1)))
        return float(text)
    raise InvalidTimestamp(_diagnose(text))


def _from_date_time(
    year_s: str,
    month_s: str,
    day_s: str,
    hour_s: str,
    minute_s: str,
    second_s: str,
    fraction: str | None,
    sign: str | None,
    offset_hours_s: str | None,
    offset_minutes_s: str | None,
) -> float:
    """The epoch seconds of a matched date-time, checking every field's range."""
    year = int(year_s)
    month = int(month_s)
    day = int(day_s)
    hour = int(hour_s)
    minute = int(minute_s)
    second = int(second_s)
    if not 1 <= month <= 12:
        raise InvalidTimestamp("month must be 01 to 12")
    if day < 1 or day > _DAYS_IN_MONTH[month]:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if not (month == 2 and day == 29 and leap):
            raise InvalidTimestamp("day does not exist in that month")
    if hour > 23:
        raise InvalidTimestamp("hour must be 00 to 23")
    if minute > 59:
        raise InvalidTimestamp("minute must be 00 to 59")
    if second > 59:
        raise InvalidTimestamp("second must be 00 to 59")
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    if sign is not None:
        offset_hours = int(offset_hours_s)  # type: ignore[arg-type]
        offset_minutes = int(offset_minutes_s)  # type: ignore[arg-type]
        if offset_hours > 23 or offset_minutes > 59:
            raise InvalidTimestamp("offset must lie within -23:59 to +23:59")
        offset = offset_hours * 3600 + offset_minutes * 60
        seconds = seconds - offset if sign == "+" else seconds + offset
    # Beyond microseconds the fraction is truncated, never rounded.
    micros = int((fraction + "00000")[:6]) if fraction is not None else 0
    _check_range(seconds)
    # int / int is correctly rounded: the nearest float to the exact decimal value.
    return (seconds * 1_000_000 + micros) / 1_000_000


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if month <= 2:
        year -= 1
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _check_range(seconds: float) -> None:
    """Raise unless 0 <= seconds < 4102444800."""
    if seconds < 0:
        raise InvalidTimestamp("negative values are not timestamps")
    if seconds >= UPPER_BOUND:
        raise InvalidTimestamp("must be before 2100-01-01T00:00:00Z (4102444800 epoch seconds)")


def _diagnose(text: str) -> str:
    """The rule a string that is neither a decimal nor a date-time broke (rejection path only)."""
    if text == "":
        return "an empty string is not a timestamp"
    if text != text.strip():
        return "leading or trailing whitespace"
    if _NON_FINITE.fullmatch(text):
        return "NaN and Infinity are not timestamps"
    if text.startswith("-"):
        return "negative values are not timestamps"
    if "_" in text:
        return "underscores are not allowed"
    if "," in text:
        return "comma decimals are not allowed"
    if re.fullmatch(r"[0-9.]+[eE][+-]?[0-9]+", text):
        return "exponent notation is not allowed in a string"
    if _DATE_ONLY.fullmatch(text):
        return "a date without a time is not a timestamp"
    if _WEEK_OR_ORDINAL.fullmatch(text):
        return "week and ordinal dates are not allowed"
    if _BASIC_FORMAT.fullmatch(text):
        return "basic format without separators is not allowed"
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return "a decimal string has at most 10 integer and 9 fraction digits"
    return "neither epoch seconds nor an RFC 3339 date-time"


def _json_kind(value: object) -> str:
    """The JSON name of a non-scalar value's kind, for the error message."""
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
