"""Nearest-rank percentiles and summaries, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from harness.verdict.policy import Budget, Statistic
from harness.verdict.statistics import check_budget, percentile, summarize

ONE_TO_TWENTY = tuple(float(i) for i in range(20, 0, -1))  # unsorted on purpose


@pytest.mark.parametrize(
    ("samples", "percent", "expected"),
    [
        ((15.0, 20.0, 35.0, 40.0, 50.0), 5, 15.0),
        ((15.0, 20.0, 35.0, 40.0, 50.0), 30, 20.0),
        ((15.0, 20.0, 35.0, 40.0, 50.0), 40, 20.0),
        ((15.0, 20.0, 35.0, 40.0, 50.0), 50, 35.0),
        ((15.0, 20.0, 35.0, 40.0, 50.0), 100, 50.0),
        (ONE_TO_TWENTY, 95, 19.0),
        (ONE_TO_TWENTY, 50, 10.0),
        (ONE_TO_TWENTY, 99, 20.0),
        (ONE_TO_TWENTY, 90, 18.0),
        ((7.5,), 99, 7.5),
    ],
    ids=[
        "p5-of-5",
        "p30-of-5",
        "p40-of-5",
        "p50-of-5",
        "p100-of-5",
        "p95-of-20",
        "p50-of-20",
        "p99-of-20",
        "p90-of-20",
        "p99-of-1",
    ],
)
def test_nearest_rank_percentile(samples: tuple[float, ...], percent: int, expected: float) -> None:
    """p = sorted[ceil(q * n) - 1], with no interpolation."""
    assert percentile(samples, percent) == expected


def test_p95_of_100_samples_is_the_95th_value() -> None:
    """0.95 * 100 must not round up to the 96th value through float error."""
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 99) == 99.0


def test_percentile_of_no_samples_is_an_error() -> None:
    """There is no percentile of an empty set."""
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_summary() -> None:
    """count, min, max, mean and percentiles of a small set."""
    summary = summarize([4.0, 1.0, 3.0, 2.0])
    assert summary is not None
    assert (summary.count, summary.min, summary.max, summary.mean) == (4, 1.0, 4.0, 2.5)
    assert (summary.p50, summary.p90, summary.p95, summary.p99) == (2.0, 4.0, 4.0, 4.0)
    assert summary.get(Statistic.MEAN) == 2.5
    assert summarize([]) is None


@pytest.mark.parametrize(
    ("samples", "status", "observed"),
    [
        ((100.0, 500.0), "met", 500.0),
        ((100.0, 500.5), "missed", 500.5),
        ((100.0,), "insufficient_samples", 100.0),
        ((), "not_measured", None),
    ],
    ids=["at-the-limit", "over-the-limit", "too-few", "none"],
)
def test_check_budget(samples: tuple[float, ...], status: str, observed: float | None) -> None:
    """max <= 500 with at least 2 samples."""
    budget = Budget("m", Statistic.MAX, 500.0, "ms", min_samples=2)
    check = check_budget(budget, summarize(samples))
    assert (check.status.value, check.observed, check.count) == (status, observed, len(samples))
