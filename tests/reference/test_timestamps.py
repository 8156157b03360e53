"""The timestamp normaliser against PROTOCOL.md section 5: exact values and every rejected class."""

from __future__ import annotations

import calendar
import random
import re
from collections.abc import Callable

import pytest

from harness.reference import timestamps
from harness.reference.timestamps import (
    InvalidTimestamp,
    normalise_timestamp,
    python_normalise_timestamp,
)

Normaliser = Callable[[object], float | None]

# Expected values are literals worked out independently (calendar.timegm plus the offset by
# hand), never produced by the normaliser.
ACCEPTED: list[tuple[object, float]] = [
    (0, 0.0),
    (1693567801, 1693567801.0),
    (1693567801.447585, 1693567801.447585),
    (1.5e9, 1500000000.0),
    ("20250908", 20250908.0),
    (4102444799.999999, 4102444799.999999),
    ("0", 0.0),
    ("1693567801", 1693567801.0),
    ("1693567801.447585", 1693567801.447585),
    ("1693567801.123456789", 1693567801.123456),
    ("1757350201.999999999", 1757350201.999999),
    ("4102444799.9999999", 4102444799.999999),
    ("4102444799.999999", 4102444799.999999),
    ("2025-09-08T16:50:01.447585", 1757350201.447585),
    ("2025-09-08T16:50:01.447585Z", 1757350201.447585),
    ("2025-09-08T16:50:01.447585z", 1757350201.447585),
    ("2025-09-08t16:50:01.447585Z", 1757350201.447585),
    ("2025-09-08 16:50:01.447585", 1757350201.447585),
    ("2025-09-08T16:50:01.447585+00:00", 1757350201.447585),
    ("2025-09-08T16:50:01.447585-00:00", 1757350201.447585),
    ("2025-09-08T16:50:01.447585-05:00", 1757368201.447585),
    ("2025-09-08T16:50:01.447585+05:30", 1757330401.447585),
    ("2025-09-08T16:50:01+23:59", 1757263861.0),
    ("2025-09-08T16:50:01-23:59", 1757436541.0),
    ("2025-09-08T16:50:01Z", 1757350201.0),
    ("2025-09-08T16:50:01", 1757350201.0),
    ("2025-09-08T16:50:01.4Z", 1757350201.4),
    ("2025-09-08T16:50:01.4475859Z", 1757350201.447585),
    ("2025-09-08T16:50:01.447585999", 1757350201.447585),
    ("2025-09-08T16:50:01.999999999Z", 1757350201.999999),
    ("2023-09-01T11:30:01.447585Z", 1693567801.447585),
    ("1970-01-01T00:00:00Z", 0.0),
    ("1969-12-31T19:00:00-05:00", 0.0),
    ("2099-12-31T23:59:59.999999Z", 4102444799.999999),
    ("2100-01-01T00:00:00+00:01", 4102444740.0),
    ("2024-02-29T12:00:00Z", 1709208000.0),
    ("2000-02-29T00:00:00Z", 951782400.0),
    ("2024-12-31T23:59:59Z", 1735689599.0),
    ("2025-01-01T00:00:00", 1735689600.0),
]

ACCEPTED_IDS = [f"accept-{i:02d}-{value!r}" for i, (value, _) in enumerate(ACCEPTED)]

# (value, a word the rule's message must contain)
REJECTED: list[tuple[object, str]] = [
    (True, "boolean"),
    (False, "boolean"),
    ([], "array"),
    ([1757350201], "array"),
    ({}, "object"),
    ({"timestamp": 1757350201}, "object"),
    ("", "empty"),
    (" ", "whitespace"),
    (" 1757350201", "whitespace"),
    ("1757350201 ", "whitespace"),
    ("2025-09-08T16:50:01Z\n", "whitespace"),
    ("\t2025-09-08T16:50:01Z", "whitespace"),
    ("NaN", "NaN"),
    ("nan", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "Infinity"),
    ("inf", "Infinity"),
    ("+INF", "Infinity"),
    (float("nan"), "finite"),
    (float("inf"), "finite"),
    (float("-inf"), "finite"),
    ("1.7e9", "exponent"),
    ("1E9", "exponent"),
    ("1757350201e0", "exponent"),
    ("1_757_350_201", "underscore"),
    (-1, "negative"),
    (-0.5, "negative"),
    ("-1", "negative"),
    ("-1757350201.5", "negative"),
    ("1969-12-31T23:59:59Z", "negative"),
    ("1970-01-01T00:00:00+00:01", "negative"),
    (4102444800, "2100"),
    (4102444800.0, "2100"),
    (1e10, "2100"),
    (1757350201447, "2100"),
    ("4102444800", "2100"),
    ("1757350201447", "decimal"),
    ("2100-01-01T00:00:00Z", "2100"),
    ("2099-12-31T23:59:59-00:01", "2100"),
    ("2025-09-08", "date without"),
    ("2025-09", "date without"),
    ("2025-W36", "week"),
    ("2025-W36-1", "week"),
    ("2025-W36-1T16:50:01Z", "week"),
    ("2025-251", "ordinal"),
    ("2025-251T16:50:01Z", "ordinal"),
    ("20250908T165001Z", "basic"),
    ("20250908T165001.447585", "basic"),
    ("2025-09-08T165001Z", "RFC 3339"),
    ("1757350201,447585", "comma"),
    ("2025-09-08T16:50:01,447585Z", "comma"),
    ("2025-13-45T99:99:99", "month"),
    ("2025-13-08T16:50:01Z", "month"),
    ("2025-00-08T16:50:01Z", "month"),
    ("2025-09-00T16:50:01Z", "day"),
    ("2025-09-45T16:50:01Z", "day"),
    ("2025-09-31T16:50:01Z", "day"),
    ("2025-02-30T16:50:01Z", "day"),
    ("2025-02-29T16:50:01Z", "February 29"),
    ("2100-02-29T00:00:00Z", "February 29"),
    ("2104-02-29T00:00:00Z", "2100"),
    ("2025-09-08T24:00:00Z", "hour"),
    ("2025-09-08T24:00:00", "hour"),
    ("2025-09-08T16:60:01Z", "minute"),
    ("2025-09-08T16:50:60Z", "second"),
    ("2025-09-08T16:50:99", "second"),
    ("2025-09-08T16:50:01+24:00", "offset"),
    ("2025-09-08T16:50:01-24:00", "offset"),
    ("2025-09-08T16:50:01+23:60", "offset"),
    ("2025-09-08T16:50:01+99:99", "offset"),
    ("2025-09-08T16:50:01+05", "RFC 3339"),
    ("2025-09-08T16:50:01+0500", "RFC 3339"),
    ("2025-09-08T16:50:01+05:00:00", "RFC 3339"),
    ("2025-09-08T16:50:01.447585+05:00Z", "RFC 3339"),
    ("2025-09-08T16:50:01.447585Z-05:00", "RFC 3339"),
    ("2025-09-08T16:50:01.4475+05-05:00", "RFC 3339"),
    ("2099-12-31T23:59:59.99999999zZ", "RFC 3339"),
    ("2025-09-08T16:50:01.1234567Zz", "RFC 3339"),
    ("2025-09-08T16:50Z", "RFC 3339"),
    ("2025-09-08T16:50", "RFC 3339"),
    ("2025-09-08T16:50:01.Z", "RFC 3339"),
    ("2025-09-08T16:50:01.", "RFC 3339"),
    ("2025-09-08T16:50:01.1234567890Z", "RFC 3339"),
    ("2025-09-08X16:50:01Z", "RFC 3339"),
    ("2025-09-08_16:50:01", "underscore"),
    ("2025-09-08  16:50:01", "RFC 3339"),
    ("2025-9-08T16:50:01Z", "RFC 3339"),
    ("17573502010", "decimal"),
    ("1757350201.1234567890", "decimal"),
    (".5", "RFC 3339"),
    ("5.", "decimal"),
    ("+5", "RFC 3339"),
    ("0x10", "RFC 3339"),
    ("١٧٥٧٣٥٠٢٠١", "ASCII"),
    ("２０２５-09-08T16:50:01Z", "ASCII"),
    ("2025-09-08T16:50:0١Z", "ASCII"),
]

REJECTED_IDS = [f"reject-{i:02d}-{value!r}" for i, (value, _) in enumerate(REJECTED)]


@pytest.fixture(params=["c-fast-path", "python"])
def normalise(request: pytest.FixtureRequest) -> Normaliser:
    """Each implementation: the C fast path (with the Python path behind it), and Python alone."""
    if request.param == "python":
        return python_normalise_timestamp
    assert timestamps.ACCELERATED, "the C fast path harness.reference._speedups was not built"
    return normalise_timestamp


@pytest.mark.parametrize(("value", "expected"), ACCEPTED, ids=ACCEPTED_IDS)
def test_accepted_value_normalises_to_exact_epoch_seconds(
    normalise: Normaliser, value: object, expected: float
) -> None:
    """An accepted timestamp gives the literal epoch seconds, as a float, within 1e-6."""
    observed = normalise(value)
    assert type(observed) is float, f"expected a float, observed {observed!r}"
    assert abs(observed - expected) <= 1e-6, f"{value!r}: expected {expected!r}, got {observed!r}"


@pytest.mark.parametrize(("value", "expected"), ACCEPTED, ids=ACCEPTED_IDS)
def test_accepted_value_is_the_nearest_float(
    normalise: Normaliser, value: object, expected: float
) -> None:
    """Integer-microsecond arithmetic: the result is the float nearest the exact value."""
    assert normalise(value) == expected


def test_none_means_absent(normalise: Normaliser) -> None:
    """None (absent or JSON null) normalises to None."""
    assert normalise(None) is None


@pytest.mark.parametrize(("value", "rule_word"), REJECTED, ids=REJECTED_IDS)
def test_rejected_value_raises_naming_its_rule(
    normalise: Normaliser, value: object, rule_word: str
) -> None:
    """Every rejected class raises InvalidTimestamp (a ValueError) whose message names the rule."""
    with pytest.raises(InvalidTimestamp) as caught:
        normalise(value)
    assert isinstance(caught.value, ValueError)
    assert rule_word.lower() in str(caught.value).lower(), (
        f"{value!r}: expected the message to name {rule_word!r}, observed {caught.value}"
    )
    assert rule_word.lower() in caught.value.rule.lower()


def test_nine_digit_fraction_is_truncated_not_rounded(normalise: Normaliser) -> None:
    """.999999999 keeps 999999 microseconds: rounding would carry into the next second."""
    assert normalise("2025-09-08T16:50:01.999999999Z") == 1757350201.999999
    assert normalise("2099-12-31T23:59:59.9999999Z") == 4102444799.999999
    assert normalise("1757350201.999999999") == 1757350201.999999
    assert normalise("1757350201.123456789") == 1757350201.123456


def test_staging_string_is_read_as_utc(normalise: Normaliser) -> None:
    """The staging outage's zone-less string is UTC: 1757350201.447585, not local time."""
    assert normalise("2025-09-08T16:50:01.447585") == 1757350201.447585


def test_upper_bound_is_exclusive(normalise: Normaliser) -> None:
    """4102444799.999999 is accepted, 4102444800 is not (number, string and date-time)."""
    assert normalise(4102444799.999999) == 4102444799.999999
    for value in (4102444800, "4102444800", "2100-01-01T00:00:00Z"):
        with pytest.raises(InvalidTimestamp):
            normalise(value)


_ORACLE_SHAPE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?"
)
_ORACLE_DECIMAL = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,9})?")


def _oracle(text: str) -> float | None:
    """Section 5 for strings written straight from its wording: a regex, then field checks."""
    if _ORACLE_DECIMAL.fullmatch(text):
        whole, _, decimals = text.partition(".")
        if int(whole) >= 4102444800:
            return None
        return (int(whole) * 1_000_000 + int(decimals.ljust(6, "0")[:6])) / 1_000_000
    match = _ORACLE_SHAPE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, _, sign, offset_h, offset_m = match.groups()[6:]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not 1 <= month <= 12 or not 1 <= day <= days[month - 1]:
        return None
    if hour > 23 or minute > 59 or second > 59 or year < 1:
        return None
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if sign is not None:
        if int(offset_h) > 23 or int(offset_m) > 59:
            return None
        offset = int(offset_h) * 3600 + int(offset_m) * 60
        seconds += -offset if sign == "+" else offset
    micros = int((fraction or "0").ljust(6, "0")[:6])
    if not 0 <= seconds < 4102444800:
        return None
    return (seconds * 1_000_000 + micros) / 1_000_000


def _mutants(rng: random.Random) -> list[str]:
    """Valid-looking strings with one character replaced, inserted or removed."""
    alphabet = "0123456789-:.TtZz +,W_e"
    seeds = [
        "2025-09-08T16:50:01.447585",
        "2025-09-08T16:50:01.447585-05:00",
        "2024-02-29 23:59:59Z",
        "2025-09-08T16:50:01.447585Z",
        "1970-01-01T00:00:00+00:00",
        "2099-12-31T23:59:59.999999999z",
        "1757350201.447585",
    ]
    out = []
    for _ in range(20000):
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(chars) + 1)
            action = rng.randrange(3)
            if action == 0 and position < len(chars):
                chars[position] = rng.choice(alphabet)
            elif action == 1:
                chars.insert(position, rng.choice(alphabet))
            elif chars and position < len(chars):
                del chars[position]
        out.append("".join(chars))
    return out


def test_strings_agree_with_an_oracle_written_from_the_spec(normalise: Normaliser) -> None:
    """Random mutants of valid strings: accepted exactly when the spec's regex oracle accepts."""
    rng = random.Random(20250908)
    disagreements = []
    for text in _mutants(rng):
        expected = _oracle(text)
        try:
            observed: float | None = normalise(text)
        except InvalidTimestamp:
            observed = None
        if observed != expected:
            disagreements.append((text, expected, observed))
    assert not disagreements, f"expected the oracle's value, observed: {disagreements[:10]}"


def test_generated_date_times_match_the_oracle(normalise: Normaliser) -> None:
    """Random valid date-times in every zone form give the oracle's exact value."""
    rng = random.Random(1757350201)
    mismatches = []
    for _ in range(3000):
        seconds = rng.randrange(0, 4102444800)
        year, month, day, hour, minute, second = _civil(seconds)
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 9)))
        zone = rng.choice(["", "Z", "z", f"+{rng.randrange(24):02d}:{rng.randrange(60):02d}"])
        zone = zone if rng.random() < 0.5 else zone.replace("+", "-")
        separator = rng.choice("Tt ")
        text = f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        text += (f".{fraction}" if fraction else "") + zone
        expected = _oracle(text)
        try:
            observed: float | None = normalise(text)
        except InvalidTimestamp:
            observed = None
        if observed != expected:
            mismatches.append((text, expected, observed))
    assert not mismatches, f"expected the oracle's value, observed: {mismatches[:10]}"


def _civil(seconds: int) -> tuple[int, int, int, int, int, int]:
    """UTC calendar fields of epoch seconds (time.gmtime, independent of the normaliser)."""
    import time

    t = time.gmtime(seconds)
    return t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec
