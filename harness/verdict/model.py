"""The parts of a verdict: kinds, statuses, reasons, and the judged suites, tests and metrics."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from harness.exit_codes import ExitCode
from harness.verdict.policy import Waiver
from harness.verdict.records import Attempt, Criticality, Outcome, RunError
from harness.verdict.statistics import BudgetCheck, Summary


class VerdictKind(enum.Enum):
    """The production-readiness verdict of a run."""

    APPROVED = "APPROVED"
    APPROVED_WITH_CONDITIONS = "APPROVED_WITH_CONDITIONS"
    NOT_APPROVED = "NOT_APPROVED"
    INCOMPLETE = "INCOMPLETE"

    @property
    def exit_code(self) -> int:
        """Return the process exit code of this verdict (0, 0, 1, 2), a plain int."""
        codes = {"NOT_APPROVED": ExitCode.NOT_APPROVED, "INCOMPLETE": ExitCode.INCOMPLETE}
        return int(codes.get(self.value, ExitCode.OK))


class SuiteStatus(enum.Enum):
    """The status of one suite; a suite with an unwaived failure is FAIL whatever its weight."""

    PASS = "PASS"
    PASS_WITH_CONDITIONS = "PASS_WITH_CONDITIONS"
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"
    NOT_RUN = "NOT_RUN"


class Severity(enum.Enum):
    """What a reason does to the verdict, strongest first."""

    BLOCKER = "blocker"  # NOT_APPROVED
    INCOMPLETE = "incomplete"  # INCOMPLETE unless a blocker exists
    CONDITION = "condition"  # APPROVED_WITH_CONDITIONS
    INFO = "info"  # listed only


RANK = {severity: rank for rank, severity in enumerate(Severity)}


class RuleStatus(enum.Enum):
    """What a run established about one rule of the catalogue, from the tests that name it."""

    VERIFIED = "verified"  # every planned test naming it passed
    VIOLATED = "violated"  # one failed: the target broke it
    NOT_VERIFIED = "not_verified"  # errored, skipped, not run, or no planned test names it
    NOT_APPLICABLE = "not_applicable"  # every test naming it was left out of the plan


class FinalOutcome(enum.Enum):
    """The outcome of a planned test's final attempt, or NOT_RUN when it had none."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not_run"


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of why the verdict is what it is: rule, severity, suite and evidence test ids."""

    rule: str
    severity: Severity
    suite: str | None
    message: str
    tests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WaiverUse:
    """The waiver that matched a failed or flaky test, and whether it covers it."""

    waiver: Waiver
    applied: bool
    expired: bool = False
    lacks_approver: bool = False


@dataclass(frozen=True, slots=True)
class TestVerdict:
    """One planned test: final outcome, every attempt, flakiness, waiver and evidence frames."""

    id: str
    outcome: FinalOutcome
    attempts: tuple[Attempt, ...] = ()
    flaky: bool = False
    waiver: WaiverUse | None = None
    run_error: RunError | None = None  # the run-level error that made it error, if any

    @property
    def waived(self) -> bool:
        """Return whether a valid waiver covers this test's failure or flakiness."""
        return self.waiver is not None and self.waiver.applied

    @property
    def failed_once(self) -> bool:
        """Return whether any attempt failed: the target misbehaved at least once."""
        return any(a.outcome is Outcome.FAILED for a in self.attempts)

    @property
    def deciding_attempt(self) -> Attempt | None:
        """Return the last failed attempt if any failed, else the final one (None if never run)."""
        failed = [a for a in self.attempts if a.outcome is Outcome.FAILED]
        return failed[-1] if failed else (self.attempts[-1] if self.attempts else None)

    @property
    def transcript(self) -> tuple[dict[str, Any], ...]:
        """Return the frames of the last attempt that failed or errored (empty if none did)."""
        bad = [a for a in self.attempts if a.outcome in (Outcome.FAILED, Outcome.ERROR)]
        return bad[-1].transcript if bad else ()


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """One rule's status, the planned tests behind it, why when not verified, and its values."""

    id: str
    section: int
    text: str
    status: RuleStatus
    tests: tuple[str, ...] = ()
    reason: str | None = None
    # {"test", "sent", "expected", "observed"} recorded by its tests through `evidence`.
    evidence: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class SuiteVerdict:
    """One suite's status and its planned tests; every count has the planned tests as base."""

    name: str
    title: str
    criticality: Criticality
    description: str
    status: SuiteStatus
    tests: tuple[TestVerdict, ...]
    load_error: str | None = None

    def count(self, outcome: FinalOutcome) -> int:
        """Return how many planned tests ended with ``outcome``."""
        return sum(1 for t in self.tests if t.outcome is outcome)

    def counts(self) -> dict[str, int]:
        """Return planned, passed, failed, errors, skipped, not_run, flaky and waived counts."""
        return {
            "planned": len(self.tests),
            "passed": self.count(FinalOutcome.PASSED),
            "failed": self.count(FinalOutcome.FAILED),
            "errors": self.count(FinalOutcome.ERROR),
            "skipped": self.count(FinalOutcome.SKIPPED),
            "not_run": self.count(FinalOutcome.NOT_RUN),
            "flaky": sum(1 for t in self.tests if t.flaky),
            "waived": sum(1 for t in self.tests if t.waived),
        }


@dataclass(frozen=True, slots=True)
class MetricVerdict:
    """A metric's samples, their statistics and its checks against every budget on it."""

    name: str
    unit: str
    suite: str | None
    samples: tuple[float, ...]
    tests: tuple[str, ...]
    summary: Summary | None
    checks: tuple[BudgetCheck, ...] = ()

    @property
    def value(self) -> float | None:
        """Return the first budget's statistic when a budget exists, else the p50."""
        if self.summary is None:
            return None
        if self.checks:
            return self.summary.get(self.checks[0].budget.statistic)
        return self.summary.p50
