"""Metric changes judged with a Mann-Whitney U test and a minimum effect, on known samples."""

from __future__ import annotations

import pytest

from harness.verdict.significance import shift

BEFORE = [10.0, 11.0, 12.0, 13.0, 14.0]


def test_identical_distributions_are_not_significant() -> None:
    """The same five samples twice: p = 1, no effect, not significant."""
    moved = shift(BEFORE, list(BEFORE), alpha=0.01, min_effect=0.10)
    assert (moved.p_value, moved.effect, moved.significant) == (1.0, 0.0, False)
    assert (moved.before_median, moved.after_median) == (12.0, 12.0)


def test_a_shifted_distribution_is_significant_at_the_exact_level() -> None:
    """5 vs 5 samples, every new one larger: exact two-sided p = 2/C(10,5) = 2/252."""
    moved = shift(BEFORE, [20.0, 21.0, 22.0, 23.0, 24.0], alpha=0.01, min_effect=0.10)
    assert moved.p_value == pytest.approx(2 / 252)
    assert (moved.before_median, moved.after_median) == (12.0, 22.0)
    assert (moved.before_count, moved.after_count) == (5, 5)
    assert moved.effect == pytest.approx(10 / 12)
    assert moved.significant and moved.worse


def test_too_few_samples_are_not_significant_however_far_apart() -> None:
    """4 vs 4 samples fully apart: the smallest possible p is 2/70, above alpha 0.01."""
    moved = shift([10.0, 11.0, 12.0, 13.0], [20.0, 21.0, 22.0, 23.0], alpha=0.01, min_effect=0.1)
    assert moved.p_value == pytest.approx(2 / 70)
    assert not moved.significant


def test_a_significant_but_small_effect_is_noise() -> None:
    """p = 2/252 but the median moved 102 -> 107, under 10 %: not significant."""
    moved = shift(
        [100.0, 101.0, 102.0, 103.0, 104.0],
        [105.0, 106.0, 107.0, 108.0, 109.0],
        alpha=0.01,
        min_effect=0.10,
    )
    assert moved.p_value == pytest.approx(2 / 252)
    assert moved.effect == pytest.approx(5 / 102)
    assert not moved.significant


def test_a_faster_metric_is_significant_but_not_worse() -> None:
    """Every new sample smaller: significant, an improvement."""
    moved = shift(BEFORE, [1.0, 2.0, 3.0, 4.0, 5.0], alpha=0.01, min_effect=0.10)
    assert moved.significant and not moved.worse
    assert moved.effect == pytest.approx(-9 / 12)


def _judged(block: bool) -> tuple[str, list[tuple[str, str]]]:
    """Return the verdict and (rule, severity) reasons of a run 12 -> 22 ms slower."""
    from harness.verdict import judge
    from harness.verdict.policy import Budget, Policy, Statistic
    from harness.verdict.records import Baseline
    from tests.verdict.runbuilder import TODAY, metric, run, suite

    base = Baseline("base", {"agent_events::a": "passed"}, {"lat": 12.0}, {"lat": tuple(BEFORE)})
    record = run(
        suite("agent_events", a="P"),
        metrics=(metric("lat", "ms", "agent_events", 20.0, 21.0, 22.0, 23.0, 24.0),),
        baseline=base,
    )
    budget = Budget("lat", Statistic.P95, 100.0, "ms", 1, True, "agent_events")
    result = judge(record, Policy(budgets=(budget,), baseline_block=block), today=TODAY)
    return result.verdict.value, [(r.rule, r.severity.value) for r in result.reasons]


def test_a_budgeted_metric_significantly_worse_is_a_condition() -> None:
    """Within budget but 12 -> 22 ms at p = 2/252: a condition, APPROVED_WITH_CONDITIONS."""
    verdict, reasons = _judged(block=False)
    assert verdict == "APPROVED_WITH_CONDITIONS"
    assert ("metric-worse", "condition") in reasons


def test_block_true_makes_it_a_blocker() -> None:
    """[baseline] block = true: the same change is NOT_APPROVED."""
    verdict, reasons = _judged(block=True)
    assert verdict == "NOT_APPROVED"
    assert ("metric-worse", "blocker") in reasons


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[baseline]\nalpha = 1.5\n", "baseline.alpha: must be a number between 0 and 1, got 1.5"),
        ("[baseline]\nmin_effect = -1\n", "baseline.min_effect: must be a number >= 0, got -1"),
        ("[baseline]\nblock = 1\n", "baseline.block: must be true or false, got 1"),
    ],
)
def test_a_bad_baseline_table_is_one_line(text: str, message: str) -> None:
    """Each [baseline] key is validated, naming the file and key."""
    from harness.errors import ConfigError
    from harness.verdict.policy_file import parse_policy

    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "p.toml")
    assert str(caught.value) == f"p.toml: {message}"
