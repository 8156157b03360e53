"""Summary statistics of metric samples and the check of one sample set against a budget.

Pure functions over numbers: percentiles use the nearest-rank method on the
sorted samples (``p = sorted[ceil(q * n) - 1]``), computed with integer
arithmetic so that ``p95`` of 20 samples is always the 19th value.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from harness.verdict.policy import Budget, Statistic

# Whole percents of each percentile statistic.
_PERCENTS = {Statistic.P50: 50, Statistic.P90: 90, Statistic.P95: 95, Statistic.P99: 99}


def percentile(samples: Sequence[float], percent: int) -> float:
    """Return the nearest-rank ``percent``-th percentile of non-empty ``samples``."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    ordered = sorted(samples)
    rank = -(-percent * len(ordered) // 100)  # ceil(percent * n / 100) without float error
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, extremes, mean and nearest-rank percentiles of a non-empty sample set."""

    count: int
    min: float
    max: float
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float

    def get(self, statistic: Statistic) -> float:
        """Return the value of one statistic."""
        return {
            Statistic.P50: self.p50,
            Statistic.P90: self.p90,
            Statistic.P95: self.p95,
            Statistic.P99: self.p99,
            Statistic.MAX: self.max,
            Statistic.MEAN: self.mean,
        }[statistic]


def summarize(samples: Sequence[float]) -> Summary | None:
    """Return the summary of ``samples``, or None when there are none."""
    if not samples:
        return None
    return Summary(
        count=len(samples),
        min=min(samples),
        max=max(samples),
        mean=sum(samples) / len(samples),
        p50=percentile(samples, _PERCENTS[Statistic.P50]),
        p90=percentile(samples, _PERCENTS[Statistic.P90]),
        p95=percentile(samples, _PERCENTS[Statistic.P95]),
        p99=percentile(samples, _PERCENTS[Statistic.P99]),
    )


class BudgetStatus(enum.Enum):
    """How a metric fared against one budget."""

    MET = "met"
    MISSED = "missed"
    INSUFFICIENT_SAMPLES = "insufficient_samples"
    NOT_MEASURED = "not_measured"


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """One budget, the statistic observed for it, the sample count and the outcome."""

    budget: Budget
    status: BudgetStatus
    count: int
    observed: float | None = None


def check_budget(budget: Budget, summary: Summary | None) -> BudgetCheck:
    """Return whether ``summary`` meets ``budget`` (observed statistic <= limit)."""
    if summary is None:
        return BudgetCheck(budget, BudgetStatus.NOT_MEASURED, 0)
    observed = summary.get(budget.statistic)
    if summary.count < budget.min_samples:
        return BudgetCheck(budget, BudgetStatus.INSUFFICIENT_SAMPLES, summary.count, observed)
    status = BudgetStatus.MET if observed <= budget.limit else BudgetStatus.MISSED
    return BudgetCheck(budget, status, summary.count, observed)
