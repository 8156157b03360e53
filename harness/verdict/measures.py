"""Reasons from what was measured: performance budgets, and the comparison with a baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Any

from harness.verdict.baseline import BaselineComparison, compare
from harness.verdict.model import (
    RANK,
    MetricVerdict,
    Reason,
    Severity,
    TestVerdict,
)
from harness.verdict.policy import Budget, Policy
from harness.verdict.records import Baseline, Criticality, MetricRecord
from harness.verdict.statistics import BudgetCheck, BudgetStatus, check_budget, summarize


def judge_metrics(
    records: Sequence[MetricRecord],
    policy: Policy,
    suites: Set[str],
    faults: Mapping[str, Any] | None = None,
) -> tuple[tuple[MetricVerdict, ...], list[Reason]]:
    """Return every measured or budgeted metric with its budget checks, and their reasons.

    A budget whose ``suite`` is not planned in this run is left out (info);
    one whose metric has no samples is INCOMPLETE when ``required``, else
    info; too few samples are INCOMPLETE; a missed budget is a blocker, unless
    ``faults`` injected latency or a bandwidth cap: then the miss is reported as
    the fault's doing (info), since the run measured the fault, not the target.
    """
    merged: dict[str, MetricRecord] = {}
    for record in records:
        seen = merged.get(record.name)
        if seen is None:
            merged[record.name] = record
        else:
            samples, tests = seen.samples + record.samples, seen.tests + record.tests
            merged[record.name] = MetricRecord(seen.name, seen.unit, seen.suite, samples, tests)
    reasons: list[Reason] = []
    budgets: dict[str, list[Budget]] = {}
    for budget in policy.budgets:
        measured = budget.metric in merged and merged[budget.metric].samples
        if budget.suite is not None and budget.suite not in suites and not measured:
            message = (
                f"budget {budget.metric} {budget.statistic.value} <= {budget.limit:g} "
                f"{budget.unit} not checked: suite {budget.suite} is not planned in this run"
            )
            reasons.append(Reason("budget-not-applicable", Severity.INFO, budget.suite, message))
            continue
        budgets.setdefault(budget.metric, []).append(budget)
    verdicts = []
    for name in dict.fromkeys([*merged, *budgets]):
        record = merged.get(name) or MetricRecord(name, budgets[name][0].unit, "")
        summary = summarize(record.samples)
        checks = []
        for budget in budgets.get(name, []):
            check = check_budget(budget, summary)
            if summary is not None and record.unit != budget.unit:
                check = BudgetCheck(budget, BudgetStatus.NOT_MEASURED, summary.count)
            checks.append(check)
            reason = _budget_reason(check, record)
            if reason is not None and reason.rule == "budget-missed" and _slowed(faults):
                reason = Reason(
                    "budget-missed-under-fault",
                    Severity.INFO,
                    reason.suite,
                    f"{reason.message}, with injected faults {_fault_text(faults)}: "
                    "the fault accounts for it, so it does not judge the target",
                    reason.tests,
                )
            if reason is not None:
                reasons.append(reason)
        suite = record.suite or next((b.suite for b in budgets.get(name, []) if b.suite), None)
        verdicts.append(
            MetricVerdict(
                name, record.unit, suite, record.samples, record.tests, summary, tuple(checks)
            )
        )
    return tuple(verdicts), reasons


def _slowed(faults: Mapping[str, Any] | None) -> bool:
    return faults is not None and any(k in faults for k in ("latency", "jitter", "bandwidth"))


def _fault_text(faults: Mapping[str, Any] | None) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in (faults or {}).items()
    )


def _budget_reason(check: BudgetCheck, record: MetricRecord) -> Reason | None:
    budget = check.budget
    suite = budget.suite or record.suite or None
    label = f"{budget.metric} {budget.statistic.value} <= {budget.limit:g} {budget.unit}"
    tests = record.tests
    if check.status is BudgetStatus.MET:
        return None
    if check.status is BudgetStatus.MISSED:
        message = (
            f"{budget.metric} {budget.statistic.value} is {check.observed:g} {budget.unit}, "
            f"over the budget of {budget.limit:g} {budget.unit} ({check.count} samples)"
        )
        return Reason("budget-missed", Severity.BLOCKER, suite, message, tests)
    if check.status is BudgetStatus.INSUFFICIENT_SAMPLES:
        message = (
            f"budget {label} needs at least {budget.min_samples} samples, "
            f"{check.count} were measured"
        )
        return Reason("budget-insufficient-samples", Severity.INCOMPLETE, suite, message, tests)
    severity = Severity.INCOMPLETE if budget.required else Severity.INFO
    if record.samples:
        message = f"budget {label} not checked: {budget.metric} was measured in {record.unit}"
        return Reason("budget-unit-mismatch", severity, suite, message, tests)
    optional = "" if budget.required else " (optional budget)"
    message = f"budget {label} not checked: {budget.metric} was not measured{optional}"
    return Reason("budget-not-measured", severity, suite, message, tests)


def judge_baseline(
    baseline: Baseline | None,
    suites: Sequence[tuple[str, Criticality, Sequence[TestVerdict]]],
    metrics: Sequence[MetricVerdict],
    policy: Policy | None = None,
) -> tuple[BaselineComparison | None, list[Reason]]:
    """Return the comparison with ``baseline`` and its reasons, or "no baseline" without one.

    ``suites`` are the planned suites as (name, criticality, judged tests). A
    regression keeps the severity its failure has (a condition when waived or
    minor, else a blocker), named as a regression. A refused baseline (not
    comparable) is one info line with the reason, and nothing is compared. A
    budgeted metric that got significantly worse is a condition, a blocker
    when the policy's ``[baseline] block`` is true.
    """
    if baseline is None:
        message = "no baseline: regressions were not assessed (compare with --baseline FILE)"
        return None, [Reason("no-baseline", Severity.INFO, None, message)]
    if baseline.refused is not None:
        message = (
            f"baseline refused, regressions were not assessed: {baseline.source} is not "
            f"comparable: {baseline.refused}"
        )
        return None, [Reason("baseline-refused", Severity.INFO, None, message)]
    policy = policy or Policy()
    outcomes = {t.id: t.outcome.value for _, _, tests in suites for t in tests}
    values = {m.name: m.value for m in metrics}
    comparison = compare(
        baseline,
        outcomes,
        [name for name, _, _ in suites],
        values,
        {m.name: m.samples for m in metrics},
        alpha=policy.baseline_alpha,
        min_effect=policy.baseline_min_effect,
    )
    reasons: list[Reason] = []
    regressed, fixed = set(comparison.regressions), set(comparison.fixed)
    for name, criticality, tests in suites:
        hit = [t for t in tests if t.id in regressed]
        if hit:
            severity = min(
                (failure_severity(criticality, t.waived) for t in hit), key=RANK.__getitem__
            )
            message = (
                f"{len(hit)} tests in suite {name} passed in the baseline "
                f"({baseline.source}) and fail now"
            )
            reasons.append(Reason("regression", severity, name, message, _ids(hit)))
        hit = [t for t in tests if t.id in fixed]
        if hit:
            message = f"{len(hit)} tests in suite {name} failed in the baseline and pass now"
            reasons.append(Reason("fixed", Severity.INFO, name, message, _ids(hit)))
    if comparison.not_planned:
        message = (
            f"{len(comparison.not_planned)} tests of the baseline are no longer planned "
            "in the suites of this run"
        )
        reasons.append(Reason("not-planned", Severity.INFO, None, message, comparison.not_planned))
    reasons += _metric_reasons(comparison, metrics, policy)
    return comparison, reasons


def _metric_reasons(
    comparison: BaselineComparison, metrics: Sequence[MetricVerdict], policy: Policy
) -> list[Reason]:
    """Return one reason per budgeted metric whose samples got significantly worse."""
    reasons = []
    severity = Severity.BLOCKER if policy.baseline_block else Severity.CONDITION
    for metric in metrics:
        change = comparison.metric_changes.get(metric.name)
        moved = change.shift if change is not None else None
        if not metric.checks or moved is None or not moved.worse:
            continue
        effect = "n/a" if moved.effect is None else f"{moved.effect * 100:+.1f}%"
        message = (
            f"{metric.name} got significantly worse than in the baseline: median "
            f"{moved.before_median:g} -> {moved.after_median:g} {metric.unit} ({effect}; "
            f"n={moved.before_count} vs {moved.after_count}, Mann-Whitney U p={moved.p_value:.3g}"
            f" < {policy.baseline_alpha:g})"
        )
        reasons.append(Reason("metric-worse", severity, metric.suite, message, metric.tests))
    return reasons


def failure_severity(criticality: Criticality, waived: bool) -> Severity:
    """Return the severity of one failed test: a waived or minor failure is a condition."""
    if waived or criticality is Criticality.MINOR:
        return Severity.CONDITION
    return Severity.BLOCKER


def _ids(tests: Sequence[TestVerdict]) -> tuple[str, ...]:
    return tuple(t.id for t in tests)
