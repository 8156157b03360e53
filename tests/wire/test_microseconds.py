"""Tests of harness.wire.microseconds: exact conversion of received numbers to microseconds."""

from __future__ import annotations

import json
import math
import random

import pytest

from harness.wire.microseconds import decimal_text, to_microseconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1757350201.447585", 1757350201447585),
        ("1693567801.447585", 1693567801447585),
        ("1757368201.447585", 1757368201447585),
        ("1757350201.123456", 1757350201123456),
        ("1757350201.123457", 1757350201123457),
        ("1757350201.000001", 1757350201000001),
        ("1757350201.999999", 1757350201999999),
        ("4102444799.999999", 4102444799999999),
        ("0.000001", 1),
        ("0.0", 0),
        ("0", 0),
        ("1757350201", 1757350201000000),
        ("1.7573502014475850E9", 1757350201447585),
    ],
)
def test_parsed_json_numbers_give_their_exact_microseconds(text: str, expected: int) -> None:
    """A JSON number as `json.loads` reads it gives the microseconds it was written with."""
    assert to_microseconds(json.loads(text)) == expected


def test_every_six_digit_decimal_of_the_range_round_trips() -> None:
    """The nearest double to N / 10**6 gives N back, over a sample of the whole range."""
    rng = random.Random(20250908)
    edges = [0, 1, 999_999, 4102444799_999_999, 4102444799_000_000, 2**31 * 10**6 + 1]
    sample = edges + [rng.randrange(0, 4102444800_000_000) for _ in range(20_000)]
    for micros in sample:
        text = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        assert to_microseconds(float(text)) == micros, text


def test_more_fraction_digits_give_the_nearest_microsecond() -> None:
    """Digits beyond the 6th round to the nearest microsecond (what a rounding server sends)."""
    assert to_microseconds(1757350201.123456789) == 1757350201123457
    assert to_microseconds(1757350201.1234564) == 1757350201123456


def test_an_exact_half_rounds_to_even() -> None:
    """1/128 s is 7812.5 microseconds exactly and rounds to 7812."""
    assert to_microseconds(0.0078125) == 7812
    assert to_microseconds(0.0234375) == 23438


@pytest.mark.parametrize(
    "value",
    [True, False, None, "1757350201.447585", [1.0], {"t": 1.0}, math.nan, math.inf, -math.inf],
)
def test_non_numbers_give_none(value: object) -> None:
    """Booleans, strings, containers, null and non-finite floats are not microseconds."""
    assert to_microseconds(value) is None


def test_integers_and_negatives_convert_exactly() -> None:
    """Integers of any size and negative floats convert without loss."""
    assert to_microseconds(1757350201447) == 1757350201447000000
    assert to_microseconds(-1) == -1_000_000
    assert to_microseconds(-0.5) == -500_000


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (1757350201447585, "1757350201.447585"),
        (1757350201000000, "1757350201.000000"),
        (1, "0.000001"),
        (0, "0.000000"),
        (-500_000, "-0.500000"),
    ],
)
def test_decimal_text_writes_six_fraction_digits(micros: int, expected: str) -> None:
    """Microseconds render as seconds with exactly 6 fraction digits."""
    assert decimal_text(micros) == expected
