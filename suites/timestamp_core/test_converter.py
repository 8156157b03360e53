"""The converter under test, in-process: the wire corpus, exact microseconds, and its time."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from harness.suite_api import (
    TIMESTAMP_CONVERSION_US,
    CheckFailed,
    Converter,
    Evidence,
    Metrics,
    to_microseconds,
)
from harness.suite_api import protocol as P
from suites.timestamp_core.corpus import (
    ACCEPTED,
    STAGING_ISO,
    STAGING_MICROS,
    Accepted,
    case_params,
)
from suites.timestamp_core.exchange import expected_text, normalised_as, value_text
from suites.timestamp_core.rejections import REJECTED, Rejected

pytestmark = pytest.mark.requires_converter


# Absent and null are the wire's business: a converter is only given values.
CONVERTER_ACCEPTED = [
    case for case in ACCEPTED if all(expected is not None for _, expected in case.values)
]
SAMPLES = 120
CALLS_PER_SAMPLE = 50


@pytest.mark.rules("5.general.normalised-epoch-seconds", "5.general.microsecond-exact")
@pytest.mark.parametrize("case", case_params(CONVERTER_ACCEPTED))
def test_converter_accepts(converter: Converter, evidence: Evidence, case: Accepted) -> None:
    """The converter returns the literal epoch seconds, exact at microsecond resolution."""
    outcomes = []
    for text, expected in case.values:
        assert text is not None and expected is not None
        value = json.loads(text)
        result = _convert(converter, value)
        evidence.record(
            case.rule, sent=text, expected=expected_text(expected), observed=_shown(result)
        )
        outcomes.append((value, expected, result))
    for value, expected, result in outcomes:
        if isinstance(result, Exception) or not normalised_as(result, expected):
            raise CheckFailed(
                f"converter({value!r})", expected=expected_text(expected), observed=_detail(result)
            )


@pytest.mark.parametrize("case", case_params(REJECTED))
def test_converter_rejects(converter: Converter, evidence: Evidence, case: Rejected) -> None:
    """The converter raises ValueError or TypeError for every value of the class."""
    outcomes = []
    for text in case.values:
        value = json.loads(text)
        result = _convert(converter, value)
        evidence.record(case.rule, sent=text, expected=P.INVALID_TIMESTAMP, observed=_shown(result))
        outcomes.append((value, result))
    for value, result in outcomes:
        if not isinstance(result, ValueError | TypeError):
            raise CheckFailed(
                f"converter({value!r})", expected="ValueError or TypeError", observed=result
            )


@pytest.mark.perf
@pytest.mark.rules("5.accepted.iso-zoneless-utc")
def test_converter_time_for_the_staging_string(
    converter: Converter, benchmark: Any, metrics: Metrics, evidence: Evidence
) -> None:
    """Conversion time of the staging string: benchmarked, and sampled for the policy's budget."""
    result = _convert(converter, STAGING_ISO)
    evidence.record(
        "5.accepted.iso-zoneless-utc",
        sent=json.dumps(STAGING_ISO),
        expected=expected_text(STAGING_MICROS),
        observed=_shown(result),
    )
    if isinstance(result, Exception) or to_microseconds(result) != STAGING_MICROS:
        raise CheckFailed(
            f"converter({STAGING_ISO!r})",
            expected=expected_text(STAGING_MICROS),
            observed=_detail(result),
        )
    benchmark(converter, STAGING_ISO)
    # Each sample is the mean of a batch, so the timer's own cost stays out of it.
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        for _ in range(CALLS_PER_SAMPLE):
            converter(STAGING_ISO)
        elapsed_ns = time.perf_counter_ns() - start
        metrics.record(TIMESTAMP_CONVERSION_US, elapsed_ns / CALLS_PER_SAMPLE / 1000, "us")


def _convert(converter: Converter, value: object) -> object:
    """converter(value), or the ValueError/TypeError it raised (a rejection)."""
    try:
        return converter(value)
    except (ValueError, TypeError) as exc:
        return exc


def _shown(result: object) -> str:
    """A conversion's outcome for the reports: INVALID_TIMESTAMP (the wire's name for a
    rejection), or the value with 6 fraction digits."""
    if isinstance(result, ValueError | TypeError):
        return P.INVALID_TIMESTAMP
    return value_text(result)


def _detail(result: object) -> str:
    """A conversion's outcome for a failure message: the exception raised, or the value."""
    if isinstance(result, Exception):
        return f"{type(result).__name__}: {result}"
    return value_text(result)
