"""Plain records of one run: what was planned, what happened, what was measured.

These are the input of the verdict engine (a pure function) and are built by
the runner from `results.jsonl`. They hold data only: no markup, no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from harness.errors import Deviation
from harness.rules import Rule


class Outcome(enum.Enum):
    """The outcome of one attempt of one test."""

    PASSED = "passed"
    FAILED = "failed"  # the target misbehaved
    ERROR = "error"  # the harness could not judge
    SKIPPED = "skipped"


class Criticality(enum.Enum):
    """How much a suite's failures weigh in the verdict."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One execution of a test (a rerun adds another attempt)."""

    outcome: Outcome
    duration_s: float
    message: str = ""
    # Frames seen by the test, recorded for failures and errors:
    # {"dir": "send"|"recv"|"open"|"close", "t": s since test start, "type": str|None,
    #  "size": int, "close_code": int|None, "data": str (truncated)}
    transcript: tuple[dict[str, Any], ...] = ()
    # Values the test compared, for the reports' views of rule status:
    # {"rule": id, "sent": ..., "expected": ..., "observed": ...}
    evidence: tuple[dict[str, Any], ...] = ()
    # A skip that left a target's limit unverified: (limit, the target's value).
    limit_skip: tuple[str, int] | None = None
    # The key of a cause an earlier test met first (a wait for the same thing timed out
    # there), when this attempt failed from it: the verdict groups failures by it.
    cause_key: str | None = None
    # How a check failed, in terms the same failure gives in every test: the verdict's
    # causes group the run's failures by its key.
    deviation: Deviation | None = None
    # A scenario test's verdict (harness/scenarios: k of n, each failing run's turn, check,
    # reason, final text and frames), as the suite recorded it.
    scenario: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TestRecord:
    """Every attempt of one planned test; no attempts means it never ran."""

    id: str
    suite: str
    attempts: tuple[Attempt, ...] = ()

    @property
    def final(self) -> Attempt | None:
        """The last attempt, or None when the test never ran."""
        return self.attempts[-1] if self.attempts else None


@dataclass(frozen=True, slots=True)
class SuiteRecord:
    """A suite's manifest and its planned (collected) test ids."""

    name: str
    title: str
    criticality: Criticality
    description: str = ""
    capabilities: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()
    # Set when the suite could not be loaded or collected.
    load_error: str | None = None


@dataclass(frozen=True, slots=True)
class MetricRecord:
    """Every sample of one metric, as measured by the tests that name it."""

    name: str
    unit: str
    suite: str
    samples: tuple[float, ...] = ()
    tests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunError:
    """A run-level harness problem: preflight failed, a worker crashed, time ran out."""

    # "preflight", "worker_crash", "timeout", "internal", "collection", "interrupted",
    # "shard", "served_not_ready", "served_exit" (a served target exited during the run)
    cause: str
    message: str
    suite: str | None = None
    tests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """What was verified."""

    url: str
    kind: str  # "embedded" or "remote"
    defects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Baseline:
    """A previous run to compare with: final outcome per test id, metric values."""

    source: str
    outcomes: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    # Every sample per metric, for the rank test of a metric's change (empty: values only).
    samples: dict[str, tuple[float, ...]] = field(default_factory=dict)
    # Why this baseline was not compared (another target, profile, plan or budgets).
    refused: str | None = None
    # target, profile, manifest, policy and budgets of the baseline run (empty: unknown).
    identity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A test that was not planned because the run lacks what it needs (an input, a capability)."""

    id: str
    suite: str
    reason: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunRecord:
    """Everything one run produced, the verdict engine's whole input besides the policy."""

    run_id: str
    started_at: str  # ISO 8601 UTC
    finished_at: str
    harness_version: str
    target: TargetInfo
    suites: tuple[SuiteRecord, ...]
    tests: tuple[TestRecord, ...]
    metrics: tuple[MetricRecord, ...] = ()
    run_errors: tuple[RunError, ...] = ()
    environment: dict[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None
    # The rule catalogue in force, the rules each test names, and the tests left out.
    rules: tuple[Rule, ...] = ()
    test_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_applicable: tuple[NotApplicable, ...] = ()
    # Planned tests some of whose rules the target's profile leaves out: each entry names
    # the test, the rules whose checks it does not make, and why (one entry per reason).
    rules_left_out: tuple[NotApplicable, ...] = ()
    # Waits that timed out, first seen (results.jsonl `cause` lines): {"key", "test", "message"}.
    causes: tuple[dict[str, str], ...] = ()
