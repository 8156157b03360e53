"""The parts of the verdict.json document (docs/VERDICT_JSON.md) as JSON-ready dicts.

One function per part of a verdict (suite, test, reason, metric, rule, baseline);
``Verdict.to_json`` (harness.verdict.run_verdict) assembles them into the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from harness.rules import load_catalogue
from harness.verdict.baseline import BaselineComparison, MetricChange
from harness.verdict.cause_groups import CauseGroup
from harness.verdict.model import (
    MetricVerdict,
    Reason,
    RuleVerdict,
    Severity,
    SuiteVerdict,
    TestVerdict,
)
from harness.verdict.policy import Policy
from harness.verdict.records import Attempt, RunRecord
from harness.verdict.significance import Shift


def rule_sections(rules: tuple[RuleVerdict, ...]) -> dict[str, str]:
    """Return the catalogue's title of every section that has a rule in ``rules``."""
    if not rules:
        return {}
    titles = load_catalogue().sections
    numbers = sorted({r.section for r in rules})
    return {str(n): titles.get(n, f"Section {n}") for n in numbers}


def rule_document(rule: RuleVerdict) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": rule.id,
        "section": rule.section,
        "text": rule.text,
        "status": rule.status.value,
        "tests": list(rule.tests),
    }
    if rule.reason is not None:
        document["reason"] = rule.reason
    if rule.evidence:
        document["evidence"] = [dict(entry) for entry in rule.evidence]
    return document


def duration_s(record: RunRecord) -> float | None:
    try:
        start = dt.datetime.fromisoformat(record.started_at)
        end = dt.datetime.fromisoformat(record.finished_at)
        return round((end - start).total_seconds(), 3)
    except (TypeError, ValueError):  # naive vs aware, or not ISO 8601
        return None


def suite_document(suite: SuiteVerdict) -> dict[str, Any]:
    return {
        "name": suite.name,
        "title": suite.title,
        "criticality": suite.criticality.value,
        "description": suite.description,
        "status": suite.status.value,
        **suite.counts(),
        "load_error": suite.load_error,
        "tests": [_test(t) for t in suite.tests],
    }


def _test(test: TestVerdict) -> dict[str, Any]:
    final = test.attempts[-1] if test.attempts else None
    # A failure stands over a later error or skip: its message is the one to read.
    shown = test.deciding_attempt if test.outcome.value == "failed" else final
    document: dict[str, Any] = {
        "id": test.id,
        "outcome": test.outcome.value,
        "duration_s": final.duration_s if final else 0.0,
        "message": shown.message if shown else "",
        "flaky": test.flaky,
        "waiver": None,
        "attempts": [_attempt(a) for a in test.attempts],
    }
    if test.waiver is not None:
        waiver = test.waiver.waiver
        document["waiver"] = {
            "pattern": waiver.pattern,
            "reason": waiver.reason,
            "owner": waiver.owner,
            "ticket": waiver.ticket,
            "expires": waiver.expires.isoformat(),
            "approver": waiver.approver,
            "expired": test.waiver.expired,
            "applied": test.waiver.applied,
        }
    if any(a.outcome.value in ("failed", "error") for a in test.attempts):
        document["transcript"] = [dict(frame) for frame in test.transcript]
    return document


def _attempt(attempt: Attempt) -> dict[str, Any]:
    document: dict[str, Any] = {
        "outcome": attempt.outcome.value,
        "duration_s": attempt.duration_s,
        "message": attempt.message,
    }
    if attempt.cause_key is not None:
        document["cause_key"] = attempt.cause_key
    if attempt.deviation is not None:
        document["deviation"] = attempt.deviation.key
    return document


def cause_document(cause: CauseGroup) -> dict[str, Any]:
    return {
        "key": cause.key,
        "title": cause.title,
        "count": len(cause.tests),
        "first_test": cause.first_test,
        "frames": [dict(frame) for frame in cause.frames],
        "rules": list(cause.rules),
        "tests": list(cause.tests),
    }


# The frames a scenario's failing run keeps in verdict.json (its turn's first ones).
SCENARIO_FRAMES = 40


def scenario_documents(suites: Sequence[SuiteVerdict]) -> list[dict[str, Any]]:
    """Every scenario test's verdict, in plan order: its test id and outcome, then what the
    suite recorded (name, file, runs, min_pass, passed_runs, passed, and each failing run's
    turn, check, reason, final text and first frames)."""
    found = []
    for suite in suites:
        for test in suite.tests:
            attempt = test.deciding_attempt
            if attempt is None or attempt.scenario is None:
                continue
            recorded = dict(attempt.scenario)
            recorded["failures"] = [
                {**failure, "frames": list(failure.get("frames") or [])[:SCENARIO_FRAMES]}
                for failure in recorded.get("failures") or []
                if isinstance(failure, dict)
            ]
            found.append({"test": test.id, "outcome": test.outcome.value, **recorded})
    return found


def reason_document(reason: Reason) -> dict[str, Any]:
    return {
        "rule": reason.rule,
        "severity": reason.severity.value,
        "suite": reason.suite,
        "message": reason.message,
        "tests": list(reason.tests),
    }


def metric_document(metric: MetricVerdict) -> dict[str, Any]:
    summary = metric.summary
    return {
        "value": metric.value,
        "unit": metric.unit,
        "suite": metric.suite,
        "count": summary.count if summary else 0,
        "samples": list(metric.samples),
        "min": summary.min if summary else None,
        "max": summary.max if summary else None,
        "mean": summary.mean if summary else None,
        "p50": summary.p50 if summary else None,
        "p90": summary.p90 if summary else None,
        "p95": summary.p95 if summary else None,
        "p99": summary.p99 if summary else None,
        "tests": list(metric.tests),
        "budgets": [
            {
                "statistic": c.budget.statistic.value,
                "limit": c.budget.limit,
                "unit": c.budget.unit,
                "min_samples": c.budget.min_samples,
                "required": c.budget.required,
                "observed": c.observed,
                "count": c.count,
                "status": c.status.value,
            }
            for c in metric.checks
        ],
    }


def baseline_refused(record: RunRecord) -> dict[str, str] | None:
    """Return the baseline that was not compared and why, None when none was refused."""
    baseline = record.baseline
    if baseline is None or baseline.refused is None:
        return None
    return {"source": baseline.source, "reason": baseline.refused}


def baseline_document(
    comparison: BaselineComparison | None, metrics: Sequence[MetricVerdict], policy: Policy
) -> dict[str, Any] | None:
    """Return the comparison with the baseline, None when the run was compared with none."""
    if comparison is None:
        return None
    budgeted = {m.name for m in metrics if m.checks}
    # As judge_baseline: a budgeted metric significantly worse is a condition or a blocker.
    severity = Severity.BLOCKER if policy.baseline_block else Severity.CONDITION
    return {
        "source": comparison.source,
        "regressions": list(comparison.regressions),
        "fixed": list(comparison.fixed),
        "not_planned": list(comparison.not_planned),
        "still_failing": list(comparison.still_failing),
        "new": list(comparison.new),
        "removed": list(comparison.not_planned),
        "metric_changes": {
            name: _change(c, name in budgeted, severity)
            for name, c in comparison.metric_changes.items()
        },
    }


def _change(change: MetricChange, budgeted: bool, severity: Severity) -> dict[str, Any]:
    worse = budgeted and change.shift is not None and change.shift.worse
    return {
        "before": change.before,
        "after": change.after,
        "change_pct": change.change_pct,
        **_shift(change.shift),
        "budgeted": budgeted,
        "severity": severity.value if worse else None,
    }


def _shift(shift: Shift | None) -> dict[str, Any]:
    if shift is None:
        return {}
    return {
        "before_median": shift.before_median,
        "after_median": shift.after_median,
        "before_count": shift.before_count,
        "after_count": shift.after_count,
        "p_value": shift.p_value,
        "effect": shift.effect,
        "significant": shift.significant,
    }
