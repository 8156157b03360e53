"""The verdict of one run (``Verdict``) and its verdict.json document (docs/VERDICT_JSON.md).

The parts it is made of live in harness.verdict.model, the document of each part in
harness.verdict.document; this module assembles both, so each of them imports neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import harness.verdict.document as doc
from harness.verdict.baseline import SCHEMA, BaselineComparison
from harness.verdict.cause_groups import CauseGroup
from harness.verdict.model import (
    MetricVerdict,
    Reason,
    RuleStatus,
    RuleVerdict,
    SuiteVerdict,
    VerdictKind,
)
from harness.verdict.policy import Policy
from harness.verdict.records import RunRecord


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict of one run, and everything verdict.json carries."""

    verdict: VerdictKind
    suites: tuple[SuiteVerdict, ...]
    reasons: tuple[Reason, ...]
    metrics: tuple[MetricVerdict, ...]
    baseline: BaselineComparison | None
    record: RunRecord
    policy: Policy
    today: dt.date
    rules: tuple[RuleVerdict, ...] = ()
    # The failures grouped by how their checks failed, most tests first.
    causes: tuple[CauseGroup, ...] = ()

    @property
    def exit_code(self) -> int:
        """Return 0 when approved (with or without conditions), 1 not approved, 2 incomplete."""
        return self.verdict.exit_code

    def summary(self) -> dict[str, int]:
        """Return the counts over every suite."""
        totals = dict.fromkeys(("planned", "passed", "failed", "errors", "skipped"), 0)
        totals.update(not_run=0, flaky=0, waived=0)
        for suite in self.suites:
            for key, value in suite.counts().items():
                totals[key] += value
        return totals

    def rule_summary(self) -> dict[str, int]:
        """Return how many rules of the catalogue have each status, and their total."""
        counts = {status.value: 0 for status in RuleStatus}
        for rule in self.rules:
            counts[rule.status.value] += 1
        return {**counts, "total": len(self.rules)}

    def to_json(self) -> dict[str, Any]:
        """Return the verdict.json document (docs/VERDICT_JSON.md)."""
        return verdict_document(self)


def verdict_document(verdict: Verdict) -> dict[str, Any]:
    """Return the verdict.json dict of ``verdict``."""
    record = verdict.record
    policy = verdict.policy
    return {
        "schema": SCHEMA,
        "verdict": verdict.verdict.value,
        "exit_code": verdict.exit_code,
        "run_id": record.run_id,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "duration_s": doc.duration_s(record),
        "harness_version": record.harness_version,
        "judged_on": verdict.today.isoformat(),
        "target": {
            "url": record.target.url,
            "kind": record.target.kind,
            "defects": list(record.target.defects),
        },
        "policy": {
            "source": policy.source,
            "rollback_plan": list(policy.rollback_plan),
            "success_indicators": list(policy.success_indicators),
        },
        "environment": dict(record.environment),
        "summary": verdict.summary(),
        "suites": [doc.suite_document(s) for s in verdict.suites],
        "reasons": [doc.reason_document(r) for r in verdict.reasons],
        "metrics": {m.name: doc.metric_document(m) for m in verdict.metrics},
        "baseline": doc.baseline_document(verdict.baseline, verdict.metrics, policy),
        "baseline_refused": doc.baseline_refused(record),
        "run_errors": [
            {"cause": e.cause, "message": e.message, "suite": e.suite, "tests": list(e.tests)}
            for e in record.run_errors
        ],
        "rule_summary": verdict.rule_summary(),
        "rule_sections": doc.rule_sections(verdict.rules),
        "rules": [doc.rule_document(r) for r in verdict.rules],
        "not_applicable": [
            {"id": n.id, "suite": n.suite, "reason": n.reason, "rules": list(n.rules)}
            for n in record.not_applicable
        ],
        "rules_left_out": [
            {"id": n.id, "suite": n.suite, "reason": n.reason, "rules": list(n.rules)}
            for n in record.rules_left_out
        ],
        "causes": [doc.cause_document(c) for c in verdict.causes],
        "scenarios": doc.scenario_documents(verdict.suites),
    }
