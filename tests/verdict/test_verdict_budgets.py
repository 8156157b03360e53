"""Table-driven checks of performance budgets: met, missed, unmeasured, too few samples."""

from __future__ import annotations

from typing import Any

import pytest

from harness.verdict import judge
from harness.verdict.policy import Budget, Policy, Statistic
from harness.verdict.policy_file import load_policy

from .runbuilder import TODAY, metric, reasons, run, statuses, suite

AE = "agent_events"
TC = "timestamp_core"
LAT = "agent_started_latency_ms"
P95 = Budget(LAT, Statistic.P95, 500.0, "ms", min_samples=30, suite=AE)
P50 = Budget(LAT, Statistic.P50, 250.0, "ms", min_samples=30, suite=AE)
CONV = Budget("timestamp_conversion_us", Statistic.P95, 1000.0, "us", 100, False, TC)
FAST = (100.0,) * 30
EVIDENCE = ("agent_events::latency",)

# (case id, run, budgets, verdict, suite statuses, reasons, budget statuses of LAT)
CASES: list[tuple[str, Any, tuple[Budget, ...], str, dict[str, str], list[Any], list[str]]] = [
    (
        "budget-met",
        run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *FAST),)),
        (P95, P50),
        "APPROVED",
        {AE: "PASS"},
        [],
        ["met", "met"],
    ),
    (
        "slow-tail-fails-though-the-median-is-fast",
        run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *(100.0,) * 28, 1600.0, 1600.0),)),
        (P95, P50),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("budget-missed", "blocker", AE, EVIDENCE)],
        ["missed", "met"],
    ),
    (
        "slow-median-fails",
        run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *(300.0,) * 30),)),
        (P95, P50),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("budget-missed", "blocker", AE, EVIDENCE)],
        ["met", "missed"],
    ),
    (
        "required-budget-with-no-samples",
        run(suite(AE, a="P")),
        (P95,),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("budget-not-measured", "incomplete", AE, ())],
        ["not_measured"],
    ),
    (
        "too-few-samples",
        run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *(100.0,) * 29),)),
        (P95,),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("budget-insufficient-samples", "incomplete", AE, EVIDENCE)],
        ["insufficient_samples"],
    ),
    (
        "metric-recorded-in-another-unit",
        run(suite(AE, a="P"), metrics=(metric(LAT, "s", AE, *(0.1,) * 30),)),
        (P95,),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("budget-unit-mismatch", "incomplete", AE, EVIDENCE)],
        ["not_measured"],
    ),
    (
        "optional-budget-unmeasured-is-info",
        run(suite(AE, a="P"), suite(TC, a="P"), metrics=(metric(LAT, "ms", AE, *FAST),)),
        (P95, CONV),
        "APPROVED",
        {AE: "PASS", TC: "PASS"},
        [("budget-not-measured", "info", TC, ())],
        ["met"],
    ),
    (
        "budget-of-a-suite-not-planned-in-this-run",
        run(suite(TC, a="P")),
        (P95,),
        "APPROVED",
        {TC: "PASS"},
        [("budget-not-applicable", "info", AE, ())],
        [],
    ),
    (
        "budget-missed-and-a-test-failed",
        run(suite(AE, a="F"), metrics=(metric(LAT, "ms", AE, *(1600.0,) * 30),)),
        (P95,),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [
            ("critical-failure", "blocker", AE, ("agent_events::a",)),
            ("budget-missed", "blocker", AE, EVIDENCE),
        ],
        ["missed"],
    ),
]


@pytest.mark.parametrize(
    ("record", "budgets", "verdict", "suite_statuses", "expected", "checks"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_budget(
    record: Any,
    budgets: tuple[Budget, ...],
    verdict: str,
    suite_statuses: dict[str, str],
    expected: list[Any],
    checks: list[str],
) -> None:
    """The verdict, suite statuses, reasons and budget statuses of the latency metric."""
    result = judge(record, Policy(budgets=budgets), today=TODAY)
    assert result.verdict.value == verdict
    assert statuses(result) == suite_statuses
    assert reasons(result) == expected
    latency = [m for m in result.metrics if m.name == LAT]
    assert [c.status.value for m in latency for c in m.checks] == checks


def test_missed_budget_reason_names_metric_statistic_observed_limit_and_samples() -> None:
    """The reason line carries everything needed to judge the miss without the report."""
    record = run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *(100.0,) * 28, 1503.5, 1600),))
    result = judge(record, Policy(budgets=(P95,)), today=TODAY)
    assert [r.message for r in result.reasons if r.rule == "budget-missed"] == [
        "agent_started_latency_ms p95 is 1503.5 ms, over the budget of 500 ms (30 samples)"
    ]


def test_insufficient_samples_reason_says_how_many() -> None:
    """Too few samples: the reason names the minimum and the count measured."""
    record = run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, 10.0, 20.0),))
    result = judge(record, Policy(budgets=(P95,)), today=TODAY)
    assert [r.message for r in result.reasons if r.rule == "budget-insufficient-samples"] == [
        "budget agent_started_latency_ms p95 <= 500 ms needs at least 30 samples, 2 were measured"
    ]


def test_metric_value_is_the_first_budget_statistic_else_the_median() -> None:
    """value = the first budget's statistic when budgeted, the p50 otherwise."""
    samples = tuple(float(i) for i in range(1, 41))  # 1..40
    record = run(
        suite(AE, a="P"),
        metrics=(metric(LAT, "ms", AE, *samples), metric("frame_bytes", "B", AE, *samples)),
    )
    result = judge(record, Policy(budgets=(P95,)), today=TODAY)
    values = {m.name: m.value for m in result.metrics}
    assert values == {LAT: 38.0, "frame_bytes": 20.0}


def test_samples_of_one_metric_from_several_records_are_pooled() -> None:
    """Two records of the same metric count as one sample set of 30."""
    record = run(
        suite(AE, a="P"),
        metrics=(metric(LAT, "ms", AE, *(100.0,) * 15), metric(LAT, "ms", AE, *(100.0,) * 15)),
    )
    result = judge(record, Policy(budgets=(P95,)), today=TODAY)
    assert result.verdict.value == "APPROVED"
    assert [(m.name, len(m.samples)) for m in result.metrics] == [(LAT, 30)]


def test_default_policy_budgets_the_tail_and_the_median_of_agent_started() -> None:
    """The built-in policy passes fast agent_started latencies and fails a 1.5 s tail."""
    policy = load_policy(None)
    fast = run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *FAST),))
    assert judge(fast, policy, today=TODAY).verdict.value == "APPROVED"
    slow = run(suite(AE, a="P"), metrics=(metric(LAT, "ms", AE, *(1500.0,) * 30),))
    result = judge(slow, policy, today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert [(r.rule, r.suite) for r in result.reasons if r.severity.value == "blocker"] == [
        ("budget-missed", AE),
        ("budget-missed", AE),
    ]


def test_default_policy_without_latency_samples_is_incomplete() -> None:
    """agent_events ran but measured no agent_started latency: INCOMPLETE, never APPROVED."""
    result = judge(run(suite(AE, a="P")), load_policy(None), today=TODAY)
    assert result.verdict.value == "INCOMPLETE"
    assert {r.rule for r in result.reasons if r.severity.value == "incomplete"} == {
        "budget-not-measured"
    }
