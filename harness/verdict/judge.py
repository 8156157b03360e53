"""The verdict engine: a pure function from a run's records and a policy to a verdict.

``judge`` opens no socket or file and reads no clock ("today", for waiver
expiry, is an argument). docs/POLICY.md lists its rules. In short: every
planned test counts; a failure of the target blocks unless the policy makes
it a condition; whatever the harness could not judge makes the run
INCOMPLETE; and a demonstrated failure outranks an incomplete judgement, so a
run with both is NOT_APPROVED and its reasons list both. Each rule of the
catalogue gets a status from the tests that name it (harness.verdict.rule_status).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from harness.verdict.cause_groups import cause_reasons, group_causes
from harness.verdict.concessions import (
    effective_criticality,
    limit_reasons,
    limit_skipped,
    lowering_reason,
)
from harness.verdict.measures import failure_severity, judge_baseline, judge_metrics
from harness.verdict.model import (
    RANK,
    FinalOutcome,
    Reason,
    Severity,
    SuiteStatus,
    SuiteVerdict,
    TestVerdict,
    VerdictKind,
    WaiverUse,
)
from harness.verdict.policy import FlakyAction, Policy, Waiver
from harness.verdict.records import Attempt, Criticality, Outcome, RunError, RunRecord, SuiteRecord
from harness.verdict.rule_status import judge_rules
from harness.verdict.run_verdict import Verdict

_RUN_ERROR_RULES = {
    "preflight": "preflight-failed",
    "worker_crash": "worker-crash",
    "timeout": "harness-timeout",
    "internal": "harness-crash",
    "collection": "collection-error",
    "served_not_ready": "served-not-ready",
    "served_exit": "served-process-exited",
}
# A run error that is the target's failure, not the harness's: a served process that died.
_TARGET_FAILURES = frozenset({"served_exit"})
_FLAKY_SEVERITY = {
    FlakyAction.FAIL: Severity.BLOCKER,
    FlakyAction.CONDITION: Severity.CONDITION,
    FlakyAction.INFO: Severity.INFO,
}


def judge(record: RunRecord, policy: Policy, *, today: dt.date) -> Verdict:
    """Return the verdict of ``record`` under ``policy``, with waivers judged as of ``today``."""
    reasons: list[Reason] = []
    left_out = {entry.id for entry in record.not_applicable}
    # A suite every planned test of which the target's profile leaves out verifies nothing
    # that applies: it is not applicable (info), not empty, and its budgets are left out.
    left_out_of = {test_id.split("::", 1)[0] for test_id in left_out}
    inapplicable = {
        s.name
        for s in record.suites
        if s.name in left_out_of and all(i in left_out for i in s.planned)
    }
    record = _without_not_applicable(record)
    ended = tuple(e for e in record.run_errors if e.suite is None and not e.tests)
    for error in record.run_errors:
        if not error.tests:
            severity = Severity.BLOCKER if error.cause in _TARGET_FAILURES else Severity.INCOMPLETE
            reasons.append(Reason(_rule_of(error), severity, error.suite, _text(error)))
    if not record.suites:
        reasons.append(Reason("no-suites", Severity.INCOMPLETE, None, "no suite was planned"))
    reasons += _required_capabilities(record, policy)
    by_test = {test_id: e for e in record.run_errors for test_id in e.tests}
    results = {t.id: t.attempts for t in record.tests}
    judged: list[tuple[SuiteRecord, Criticality, tuple[TestVerdict, ...]]] = []
    for suite in record.suites:
        criticality = effective_criticality(suite, policy)
        tests = tuple(
            _test(i, results.get(i, ()), by_test.get(i), criticality, policy, today)
            for i in suite.planned
        )
        if suite.name in inapplicable:
            message = (
                f"suite {suite.name}: every test is not applicable to the target's profile "
                "(see not_applicable)"
            )
            reasons.append(Reason("suite-not-applicable", Severity.INFO, suite.name, message))
            judged.append((suite, criticality, tests))
            continue
        own = _suite_reasons(suite, criticality, tests, ended, policy)
        declared = own
        if policy.lowers(suite.name, suite.criticality):  # what the manifest would have said
            as_declared = tuple(
                _test(i, results.get(i, ()), by_test.get(i), suite.criticality, policy, today)
                for i in suite.planned
            )
            declared = _suite_reasons(suite, suite.criticality, as_declared, ended, policy)
        lowered = lowering_reason(suite, policy, declared, own)
        reasons += own if lowered is None else [*own, lowered]
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
    metrics, measured = judge_metrics(
        record.metrics,
        policy,
        {s.name for s in record.suites} - inapplicable,
        record.environment.get("faults"),
    )
    comparison, compared = judge_baseline(
        record.baseline, [(s.name, crit, tests) for s, crit, tests in judged], metrics, policy
    )
    reasons += measured + compared
    reasons += cause_reasons(record.causes, judged)
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
    every = [t for _, _, tests in judged for t in tests]
    rules = judge_rules(record, every)
    causes = group_causes(every, record.test_rules)
    return Verdict(
        kind, suites, tuple(reasons), metrics, comparison, record, policy, today, rules, causes
    )


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


def _without_not_applicable(record: RunRecord) -> RunRecord:
    """Return ``record`` with the not-applicable tests out of every suite's plan and results."""
    left_out = {entry.id for entry in record.not_applicable}
    if not left_out:
        return record
    suites = tuple(
        dataclasses.replace(s, planned=tuple(i for i in s.planned if i not in left_out))
        for s in record.suites
    )
    tests = tuple(t for t in record.tests if t.id not in left_out)
    return dataclasses.replace(record, suites=suites, tests=tests)


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
    earlier = {a.outcome for a in attempts[:-1]}
    if outcome in (FinalOutcome.ERROR, FinalOutcome.SKIPPED) and Outcome.FAILED in earlier:
        # A rerun that could not judge does not undo a failure the target showed.
        outcome = FinalOutcome.FAILED
    # Failed or errored, then passed: flaky either way, never a plain pass.
    flaky = outcome is FinalOutcome.PASSED and bool(earlier & {Outcome.FAILED, Outcome.ERROR})
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
    all_skipped = len(skipped) == planned
    if all_skipped:
        message = f"all {planned} planned tests in suite {name} were skipped: it verified nothing"
        out.append(Reason("all-skipped", Severity.INCOMPLETE, name, message, skipped))
    out += limit_reasons(name, tests, policy)
    # A limit left unverified has its own reason above; the other skips are judged here.
    skipped = ids(lambda t: t.outcome is FinalOutcome.SKIPPED and limit_skipped(t) is None)
    if skipped and not all_skipped:
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
    flaky = ids(lambda t: t.flaky and t.failed_once and not t.waived)
    if flaky:
        message = f"{len(flaky)} {of} in {crit} suite {name} are flaky: failed, then passed"
        out.append(Reason("flaky", flaky_severity, name, message, flaky))
    # An error is the harness's, not the target's: at most a condition, per [flaky] otherwise.
    error_severity = max(flaky_severity, Severity.CONDITION, key=RANK.__getitem__)
    flaky = ids(lambda t: t.flaky and not t.failed_once and not t.waived)
    if flaky:
        message = (
            f"{len(flaky)} {of} in {crit} suite {name} are flaky: errored, then passed on rerun"
        )
        out.append(Reason("flaky-error", error_severity, name, message, flaky))
    out += _waiver_reasons(name, tests, fail_severity, flaky_severity, error_severity)
    return out


def _waiver_reasons(
    suite: str,
    tests: tuple[TestVerdict, ...],
    fail_severity: Severity,
    flaky_severity: Severity,
    error_severity: Severity,
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
            (
                fail_severity
                if t.outcome is FinalOutcome.FAILED
                else flaky_severity
                if t.failed_once
                else error_severity
                for t in hit
            ),
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


def _required_capabilities(record: RunRecord, policy: Policy) -> list[Reason]:
    """A blocker for each capability the policy requires that the target's profile lacks."""
    profile = record.environment.get("profile")
    if not policy.required_capabilities or not isinstance(profile, dict):
        return []
    have = set(profile.get("capabilities") or ())
    return [
        Reason(
            "capability-required",
            Severity.BLOCKER,
            None,
            f"the policy requires capability {cap}; the target's profile "
            f"{profile.get('name', '?')} lacks it, so the rules that need it cannot be verified",
        )
        for cap in policy.required_capabilities
        if cap not in have
    ]
