"""Whether a metric changed beyond noise: a Mann-Whitney U test and a minimum effect."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shift:
    """Two samples' medians and counts, the rank test's p-value and the relative effect.

    ``effect`` is (after median - before median) / before median, None when the
    before median is 0; ``p_value`` is None when either sample is empty.
    """

    before_median: float | None
    after_median: float | None
    before_count: int
    after_count: int
    p_value: float | None
    effect: float | None
    significant: bool

    @property
    def worse(self) -> bool:
        """Return whether the metric significantly grew (for a budgeted metric: got worse)."""
        return self.significant and (self.effect is None or self.effect > 0)


def shift(
    before: Sequence[float], after: Sequence[float], *, alpha: float, min_effect: float
) -> Shift:
    """Return the shift from ``before`` to ``after``: significant when p < alpha and
    the median moved by more than ``min_effect`` of the before median (two-sided test)."""
    if not before or not after:
        return Shift(
            statistics.median(before) if before else None,
            statistics.median(after) if after else None,
            len(before),
            len(after),
            None,
            None,
            False,
        )
    old, new = statistics.median(before), statistics.median(after)
    if len(set(before) | set(after)) == 1:
        p_value = 1.0  # every sample equal: no evidence of a change (scipy returns nan here)
    else:
        # Imported here: scipy.stats takes over a second to import, and every pytest
        # process of a run imports the verdict package, but only a baseline needs it.
        from scipy.stats import mannwhitneyu

        p_value = float(mannwhitneyu(before, after, alternative="two-sided").pvalue)
    effect = (new - old) / abs(old) if old else None
    large = abs(effect) > min_effect if effect is not None else new != old
    return Shift(old, new, len(before), len(after), p_value, effect, p_value < alpha and large)
