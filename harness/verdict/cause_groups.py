"""The causes of a run's failures: the failed tests grouped by how their check failed.

A check that knows how it failed tags its failure with a deviation (harness.errors.Deviation):
a key that the same failure gives in every test (the same wait missed, the same unexpected
first frame, the same end of the connection) and a one-line title. One broken behaviour
of a target then fails many tests with one key, and the verdict names it once: a cause
with its count of tests, the first test's frames and the rules those tests verify.
Failures without a deviation are in no cause; their tests stay in the suites' lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.verdict.model import FinalOutcome, Reason, Severity, TestVerdict
from harness.verdict.records import Attempt, Criticality, SuiteRecord


@dataclass(frozen=True, slots=True)
class CauseGroup:
    """One cause: its deviation key and title, its tests (the first one first), the first
    test's frames, and the rules its tests verify."""

    key: str
    title: str
    tests: tuple[str, ...]
    frames: tuple[dict[str, Any], ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def first_test(self) -> str:
        """The test whose frames show the cause (it met it first, with its full deadline)."""
        return self.tests[0]


def group_causes(
    tests: Sequence[TestVerdict], test_rules: Mapping[str, Sequence[str]]
) -> tuple[CauseGroup, ...]:
    """Return the causes of the failed tests among `tests` (in plan order), most tests first.

    A test counts when it failed in any attempt; its last failed attempt says how. A
    cause's first test is the first one that met it itself (its failure names no earlier
    test through `cause_key`), else the first in plan order.
    """
    found: dict[str, list[tuple[TestVerdict, Attempt]]] = {}
    for test in tests:
        if test.outcome is not FinalOutcome.FAILED and not test.failed_once:
            continue
        attempt = test.deciding_attempt
        if attempt is not None and attempt.deviation is not None:
            found.setdefault(attempt.deviation.key, []).append((test, attempt))
    groups = []
    for key, members in found.items():
        first = next((m for m in members if m[1].cause_key is None), members[0])
        ordered = [first, *(m for m in members if m is not first)]
        rules = sorted({r for test, _ in ordered for r in test_rules.get(test.id, ())})
        deviation = first[1].deviation
        groups.append(
            CauseGroup(
                key,
                deviation.title if deviation is not None else key,
                tuple(test.id for test, _ in ordered),
                tuple(dict(frame) for frame in first[1].transcript),
                tuple(rules),
            )
        )
    # Most tests first; among equals, the order in which the plan met them.
    return tuple(sorted(groups, key=lambda g: -len(g.tests)))


def cause_reasons(
    causes: Sequence[Mapping[str, Any]],
    judged: Sequence[tuple[SuiteRecord, Criticality, tuple[TestVerdict, ...]]],
) -> list[Reason]:
    """Return one note per fast-fail cause: where it was seen first, how many tests it failed.

    A cause's tests are the test that saw it first, when it failed, and every failed
    test whose deciding attempt carries the cause's key (`Attempt.cause_key`); the
    failure's message is for the reader and is never read here.
    """
    suite_of = {t.id: s.name for s, _, tests in judged for t in tests}
    failed = [
        t
        for _, _, tests in judged
        for t in tests
        if t.outcome is FinalOutcome.FAILED or t.failed_once
    ]
    first_of: dict[str, Mapping[str, Any]] = {}
    for cause in causes:  # the first cause of a key wins, as in the ledger
        first_of.setdefault(str(cause.get("key")), cause)
    out: list[Reason] = []
    for key, cause in first_of.items():
        first, text = str(cause.get("test", "")), str(cause.get("message", ""))
        ids = tuple(t.id for t in failed if t.id == first or _cause_key(t) == key)
        message = f"cause seen first in {first}: {text}; {len(ids)} tests failed from it"
        out.append(Reason("fast-fail-cause", Severity.INFO, suite_of.get(first), message, ids))
    return out


def _cause_key(test: TestVerdict) -> str | None:
    attempt = test.deciding_attempt
    return attempt.cause_key if attempt is not None else None
