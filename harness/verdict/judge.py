"""The verdict engine: a pure function from a run's records and a policy to a verdict.

``judge`` opens no socket or file and reads no clock ("today", for waiver
expiry, is an argument). docs/POLICY.md lists its rules. In short: every
planned test counts; a failure of the target blocks unless the policy makes
it a condition; whatever the harness could not judge makes the run
INCOMPLETE; and a demonstrated failure outranks an incomplete judgement, so a
run with both is NOT_APPROVED and its reasons list both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from harness.verdict.measures import failure_severity, judge_baseline, judge_metrics
from harness.verdict.model import (
    RANK,
    FinalOutcome,
    Reason,
    Severity,
    SuiteStatus,
    SuiteVerdict,
    TestVerdict,
    Verdict,
    VerdictKind,
    WaiverUse,
)
from harness.verdict.policy import FlakyAction, Policy, Waiver
from harness.verdict.records import Attempt, Criticality, Outcome, RunError, RunRecord, SuiteRecord

_RUN_ERROR_RULES = {
    "preflight": "preflight-failed",
    "worker_crash": "worker-crash",
    "timeout": "harness-timeout",
    "internal": "harness-crash",
    "collection": "collection-error",
}
_FLAKY_SEVERITY = {
    FlakyAction.FAIL: Severity.BLOCKER,
    FlakyAction.CONDITION: Severity.CONDITION,
    FlakyAction.INFO: Severity.INFO,
}


def judge(record: RunRecord, policy: Policy, *, today: dt.date) -> Verdict:
    """Return the verdict of ``record`` under ``policy``, with waivers judged as of ``today``."""
    reasons: list[Reason] = []
    ended = tuple(e for e in record.run_errors if e.suite is None and not e.tests)
    for error in record.run_errors:
        if not error.tests:
            reasons.append(Reason(_rule_of(error), Severity.INCOMPLETE, error.suite, _text(error)))
    if not record.suites:
        reasons.append(Reason("no-suites", Severity.INCOMPLETE, None, "no suite was planned"))
    by_test = {test_id: e for e in record.run_errors for test_id in e.tests}
    results = {t.id: t.attempts for t in record.tests}
    judged: list[tuple[SuiteRecord, Criticality, tuple[TestVerdict, ...]]] = []
    for suite in record.suites:
        criticality = policy.criticality_of(suite.name, suite.criticality)
        tests = tuple(
            _test(i, results.get(i, ()), by_test.get(i), criticality, policy, today)
            for i in suite.planned
        )
        reasons += _suite_reasons(suite, criticality, tests, ended, policy)
        judged.append((suite, criticality, tests))
    planned = {i for s in record.suites for i in s.planned}
    for error in record.run_errors:
        stray = tuple(i for i in error.tests if i not in planned)
        if stray:  # a crash named tests no suite planned: still a harness problem
            reasons.append(
                Reason(_rule_of(error), Severity.INCOMPLETE, error.suite, _text(error), stray)
            )
    unplanned = tuple(t.id for t in record.tests if t.id not in planned)
    if unplanned:
        message = f"{len(unplanned)} results of tests that were not planned are not counted"
        reasons.append(Reason("unplanned-result", Severity.INFO, None, message, unplanned))
    metrics, measured = judge_metrics(record.metrics, policy, {s.name for s in record.suites})
    comparison, compared = judge_baseline(
        record.baseline, [(s.name, crit, tests) for s, crit, tests in judged], metrics
    )
    reasons += measured + compared
    reasons.sort(key=lambda r: RANK[r.severity])
    suites = tuple(
        SuiteVerdict(
            s.name,
            s.title,
            crit,
            s.description,
            _status(s, tests, [r for r in reasons if r.suite == s.name], bool(ended)),
            tests,
            s.load_error,
        )
        for s, crit, tests in judged
    )
    severities = {r.severity for r in reasons}
    kind = (
        VerdictKind.NOT_APPROVED
        if Severity.BLOCKER in severities
        else VerdictKind.INCOMPLETE
        if Severity.INCOMPLETE in severities
        else VerdictKind.APPROVED_WITH_CONDITIONS
        if Severity.CONDITION in severities
        else VerdictKind.APPROVED
    )
    return Verdict(kind, suites, tuple(reasons), metrics, comparison, record, policy, today)


def verdict_for_early_exit(
    record: RunRecord, error: RunError, policy: Policy, *, today: dt.date
) -> Verdict:
    """Return the verdict of a run that ended early with ``error`` (preflight, crash, timeout).

    ``record`` holds what is known so far: the planned suites (their planned
    tests may be empty when collection never happened) and any results
    already written. Every test without a result is NOT_RUN, and the reasons
    name the cause, so the run is INCOMPLETE (or NOT_APPROVED when a failure
    was already observed).
    """
    return judge(
        dataclasses.replace(record, run_errors=(*record.run_errors, error)), policy, today=today
    )


def _rule_of(error: RunError) -> str:
    return _RUN_ERROR_RULES.get(error.cause, "run-error")


def _text(error: RunError) -> str:
    return f"{error.cause}: {error.message}"


def _test(
    test_id: str,
    attempts: tuple[Attempt, ...],
    error: RunError | None,
    criticality: Criticality,
    policy: Policy,
    today: dt.date,
) -> TestVerdict:
    if error is not None and (not attempts or attempts[-1].outcome is not Outcome.ERROR):
        attempts = (*attempts, Attempt(Outcome.ERROR, 0.0, _text(error)))
    outcome = FinalOutcome(attempts[-1].outcome.value) if attempts else FinalOutcome.NOT_RUN
    flaky = outcome is FinalOutcome.PASSED and any(
        a.outcome is Outcome.FAILED for a in attempts[:-1]
    )
    waiver = None
    if outcome is FinalOutcome.FAILED or flaky:
        waiver = _waiver(policy.waivers_for(test_id), criticality, today)
    return TestVerdict(test_id, outcome, attempts, flaky, waiver, error)


def _waiver(
    matching: Sequence[Waiver], criticality: Criticality, today: dt.date
) -> WaiverUse | None:
    """Return the first matching waiver that covers the test, else the first that does not."""
    uses = [
        WaiverUse(
            w,
            applied=False,
            expired=w.expired(today),
            lacks_approver=criticality is Criticality.CRITICAL and w.approver is None,
        )
        for w in matching
    ]
    for use in uses:
        if not use.expired and not use.lacks_approver:
            return dataclasses.replace(use, applied=True)
    return uses[0] if uses else None


def _suite_reasons(
    suite: SuiteRecord,
    criticality: Criticality,
    tests: tuple[TestVerdict, ...],
    ended: tuple[RunError, ...],
    policy: Policy,
) -> list[Reason]:
    """Return the reasons that a suite's own tests give."""
    name, planned, crit = suite.name, len(tests), criticality.value
    early = f" (the run ended early: {_text(ended[0])})" if ended else ""

    def ids(keep: Callable[[TestVerdict], bool]) -> tuple[str, ...]:
        return tuple(t.id for t in tests if keep(t))

    out: list[Reason] = []
    not_run = ids(lambda t: t.outcome is FinalOutcome.NOT_RUN)
    if suite.load_error is not None:
        message = f"suite {name} could not be loaded: {suite.load_error}"
        out.append(Reason("suite-load-error", Severity.INCOMPLETE, name, message, not_run))
        if len(not_run) == planned:
            return out
    elif not tests:
        if ended:
            message = f"suite {name} was not run{early}"
            return [Reason("not-executed", Severity.INCOMPLETE, name, message)]
        message = f"suite {name} has no planned tests: it verifies nothing"
        return [Reason("empty-suite", Severity.INCOMPLETE, name, message)]
    of = f"of {planned} planned tests"
    if not_run and suite.load_error is None:
        message = f"{len(not_run)} {of} in suite {name} were never executed{early}"
        out.append(Reason("not-executed", Severity.INCOMPLETE, name, message, not_run))
    for error in dict.fromkeys(t.run_error for t in tests if t.run_error is not None):
        hit = tuple(t.id for t in tests if t.run_error is error)
        message = f"{len(hit)} {of} in suite {name} errored: {_text(error)}"
        out.append(Reason(_rule_of(error), Severity.INCOMPLETE, name, message, hit))
    errors = ids(lambda t: t.outcome is FinalOutcome.ERROR and t.run_error is None)
    if errors:
        message = f"{len(errors)} {of} in suite {name} errored: the harness could not judge them"
        out.append(Reason("harness-error", Severity.INCOMPLETE, name, message, errors))
    skipped = ids(lambda t: t.outcome is FinalOutcome.SKIPPED)
    if len(skipped) == planned:
        message = f"all {planned} planned tests in suite {name} were skipped: it verified nothing"
        out.append(Reason("all-skipped", Severity.INCOMPLETE, name, message, skipped))
    elif skipped:
        severity = (
            Severity.INCOMPLETE if criticality is Criticality.CRITICAL else Severity.CONDITION
        )
        message = f"{len(skipped)} {of} in {crit} suite {name} were skipped"
        out.append(Reason("skipped", severity, name, message, skipped))
    rule, fail_severity = f"{crit}-failure", failure_severity(criticality, waived=False)
    failed = ids(lambda t: t.outcome is FinalOutcome.FAILED and not t.waived)
    if failed:
        message = f"{len(failed)} {of} failed in {crit} suite {name}"
        out.append(Reason(rule, fail_severity, name, message, failed))
    flaky_severity = _FLAKY_SEVERITY[policy.flaky_action(criticality)]
    flaky = ids(lambda t: t.flaky and not t.waived)
    if flaky:
        message = f"{len(flaky)} {of} in {crit} suite {name} are flaky: failed, then passed"
        out.append(Reason("flaky", flaky_severity, name, message, flaky))
    out += _waiver_reasons(name, tests, fail_severity, flaky_severity)
    return out


def _waiver_reasons(
    suite: str, tests: tuple[TestVerdict, ...], fail_severity: Severity, flaky_severity: Severity
) -> list[Reason]:
    """Return one reason per waiver that covered tests, or that matched but could not."""
    groups: dict[tuple[Waiver, bool], list[TestVerdict]] = {}
    for test in tests:
        if test.waiver is not None:
            groups.setdefault((test.waiver.waiver, test.waiver.applied), []).append(test)
    out: list[Reason] = []
    for (waiver, applied), hit in groups.items():
        ids = tuple(t.id for t in hit)
        label = f"waiver {waiver.ticket} ({waiver.pattern!r}, owner {waiver.owner})"
        if applied:
            approved = f", approved by {waiver.approver}" if waiver.approver else ""
            message = (
                f"{len(ids)} failed or flaky tests in suite {suite} accepted by {label}"
                f"{approved} until {waiver.expires.isoformat()}: {waiver.reason}"
            )
            out.append(Reason("waived", Severity.CONDITION, suite, message, ids))
            continue
        severity = min(
            (fail_severity if t.outcome is FinalOutcome.FAILED else flaky_severity for t in hit),
            key=RANK.__getitem__,
        )
        use = hit[0].waiver
        assert use is not None
        if use.expired:
            message = f"{label} expired on {waiver.expires.isoformat()}: the failures stand"
            out.append(Reason("waiver-expired", severity, suite, message, ids))
        if use.lacks_approver:
            message = f"{label} names no approver, so it cannot cover critical suite {suite}"
            out.append(Reason("waiver-needs-approver", severity, suite, message, ids))
    return out


def _status(
    suite: SuiteRecord, tests: tuple[TestVerdict, ...], reasons: list[Reason], ended: bool
) -> SuiteStatus:
    severities = {r.severity for r in reasons}
    failed = any(t.outcome is FinalOutcome.FAILED and not t.waived for t in tests)
    if failed or Severity.BLOCKER in severities:
        return SuiteStatus.FAIL
    nothing_ran = all(t.outcome is FinalOutcome.NOT_RUN for t in tests)
    if suite.load_error is None and nothing_ran and (tests or ended):
        return SuiteStatus.NOT_RUN
    if Severity.INCOMPLETE in severities:
        return SuiteStatus.INCOMPLETE
    if Severity.CONDITION in severities:
        return SuiteStatus.PASS_WITH_CONDITIONS
    return SuiteStatus.PASS
