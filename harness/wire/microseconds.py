"""Received JSON numbers as integer microseconds, so that timestamps compare exactly."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

MICROS_PER_SECOND: Final = 1_000_000


def to_microseconds(value: object) -> int | None:
    """The nearest integer microsecond of a JSON number of seconds; None for anything else.

    Booleans, non-numbers and non-finite floats give None. A float is converted
    exactly (through its binary value, never through `value * 1e6`, which rounds), so
    that the nearest double to a decimal with at most 6 fraction digits gives back that
    decimal's microseconds for every value of the protocol's range (below 2**32 s the
    spacing of doubles is under half a microsecond). An exact half rounds to even.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * MICROS_PER_SECOND
    if isinstance(value, float) and math.isfinite(value):
        return round(Fraction(value) * MICROS_PER_SECOND)
    return None


def decimal_text(micros: int) -> str:
    """`micros` written as decimal seconds with exactly 6 fraction digits ("1757350201.447585")."""
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), MICROS_PER_SECOND)
    return f"{sign}{seconds}.{fraction:06d}"
