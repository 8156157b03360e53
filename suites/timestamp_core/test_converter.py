"""The converter under test, in-process: the wire corpus, and its conversion time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from harness.errors import CheckFailed
from harness.wire.client import is_close
from suites.timestamp_core.corpus import (
    ACCEPTED,
    ACCEPTED_IN_AGENT_REQUESTS,
    REJECTED,
    REJECTED_IN_AGENT_REQUESTS,
    STAGING_EPOCH,
    STAGING_ISO,
)

pytestmark = pytest.mark.requires_converter

Converter = Callable[[object], object]

CONVERTER_ACCEPTED = [
    *ACCEPTED,
    *(pytest.param(*case.values[1:], id=case.id) for case in ACCEPTED_IN_AGENT_REQUESTS),
]
CONVERTER_REJECTED = [
    *REJECTED,
    *(pytest.param(case.values[1], id=case.id) for case in REJECTED_IN_AGENT_REQUESTS),
]
SAMPLES = 120
CALLS_PER_SAMPLE = 50


@pytest.mark.parametrize(("timestamp", "expected"), CONVERTER_ACCEPTED)
def test_converter_accepts(converter: Converter, timestamp: str, expected: float) -> None:
    """The converter returns the literal epoch seconds (a float within 1e-6) for the value."""
    _check_accepts(converter, json.loads(timestamp), expected)


@pytest.mark.parametrize("timestamp", CONVERTER_REJECTED)
def test_converter_rejects(converter: Converter, timestamp: str) -> None:
    """The converter raises ValueError or TypeError for the value."""
    value = json.loads(timestamp)
    try:
        observed = converter(value)
    except (ValueError, TypeError):
        return
    raise CheckFailed(
        f"converter({value!r})", expected="ValueError or TypeError", observed=observed
    )


@pytest.mark.perf
def test_converter_time_for_the_staging_string(
    converter: Converter, benchmark: Any, metrics: Any
) -> None:
    """Conversion time of the staging string: benchmarked, and sampled for the policy's budget."""
    _check_accepts(converter, STAGING_ISO, STAGING_EPOCH)
    benchmark(converter, STAGING_ISO)
    # Each sample is the mean of a batch, so the timer's own cost stays out of it.
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        for _ in range(CALLS_PER_SAMPLE):
            converter(STAGING_ISO)
        elapsed_ns = time.perf_counter_ns() - start
        metrics.record("timestamp_conversion_us", elapsed_ns / CALLS_PER_SAMPLE / 1000, "us")


def _check_accepts(converter: Converter, value: object, expected: float) -> None:
    """converter(value) returns `expected` within 1e-6, without raising."""
    try:
        observed = converter(value)
    except (ValueError, TypeError) as exc:
        raise CheckFailed(
            f"converter({value!r})", expected=expected, observed=f"{type(exc).__name__}: {exc}"
        ) from None
    if not is_close(observed, expected):
        raise CheckFailed(f"converter({value!r})", expected=expected, observed=observed)
