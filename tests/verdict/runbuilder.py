"""Compact builders of literal RunRecords for the verdict tests.

A suite is written as ``suite("agent_events", "critical", a="P", b="FP")``:
each keyword is a test (id ``agent_events::a``) and its string lists the
outcomes of its attempts in order: P passed, F failed, E error, S skipped;
an empty string is a planned test that never ran. ``with_attempts`` gives a
test attempts with their own messages and evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from harness.rules import Rule
from harness.verdict import Verdict
from harness.verdict.records import (
    Attempt,
    Baseline,
    Criticality,
    MetricRecord,
    NotApplicable,
    Outcome,
    RunError,
    RunRecord,
    SuiteRecord,
    TargetInfo,
    TestRecord,
)

TODAY = dt.date(2026, 11, 25)
_LETTERS = {"P": Outcome.PASSED, "F": Outcome.FAILED, "E": Outcome.ERROR, "S": Outcome.SKIPPED}
FRAMES = (
    {"dir": "recv", "t": 0.01, "type": "error", "size": 30, "close_code": None, "data": "{}"},
)


@dataclass(frozen=True, slots=True)
class SuiteSpec:
    """A suite record and the test records of its planned tests."""

    record: SuiteRecord
    tests: tuple[TestRecord, ...]


def suite(name: str, criticality: str = "critical", **tests: str) -> SuiteSpec:
    """Return a suite whose planned tests ran with the attempt letters given per test."""
    ids = tuple(f"{name}::{key}" for key in tests)
    records = tuple(
        TestRecord(test_id, name, tuple(_attempt(letter) for letter in letters))
        for test_id, letters in zip(ids, tests.values(), strict=True)
        if letters
    )
    record = SuiteRecord(
        name, name.replace("_", " ").title(), Criticality(criticality), planned=ids
    )
    return SuiteSpec(record, records)


def broken_suite(name: str, criticality: str, error: str, *planned: str) -> SuiteSpec:
    """Return a suite that could not be loaded, with the given planned test keys."""
    ids = tuple(f"{name}::{key}" for key in planned)
    record = SuiteRecord(name, name, Criticality(criticality), planned=ids, load_error=error)
    return SuiteSpec(record, ())


def _attempt(letter: str) -> Attempt:
    outcome = _LETTERS[letter]
    bad = outcome in (Outcome.FAILED, Outcome.ERROR)
    message = {"F": "expected ack, observed error", "E": "target unreachable"}.get(letter, "")
    return Attempt(outcome, 0.25, message, FRAMES if bad else ())


def attempt(letter: str, message: str = "", *evidence: dict[str, Any]) -> Attempt:
    """Return one attempt (P, F, E or S) with its message and evidence entries."""
    return Attempt(_LETTERS[letter], 0.25, message, (), tuple(evidence))


def limit_skip(limit: str, value: int, message: str) -> Attempt:
    """Return a skip that left the target's ``limit`` (its value ``value``) unverified."""
    return Attempt(Outcome.SKIPPED, 0.25, message, limit_skip=(limit, value))


def with_attempts(spec: SuiteSpec, key: str, *attempts: Attempt) -> SuiteSpec:
    """Return ``spec`` whose test ``key`` ran ``attempts`` (its planned position kept)."""
    test_id = f"{spec.record.name}::{key}"
    assert test_id in spec.record.planned, test_id
    others = tuple(t for t in spec.tests if t.id != test_id)
    return SuiteSpec(spec.record, (*others, TestRecord(test_id, spec.record.name, attempts)))


def rule(rule_id: str, text: str = "") -> Rule:
    """Return a catalogue rule whose section is its id's first digit."""
    return Rule(rule_id, int(rule_id.split(".", 1)[0]), text or f"text of {rule_id}")


def metric(name: str, unit: str, suite_name: str, *samples: float) -> MetricRecord:
    """Return a metric measured by one test of ``suite_name``."""
    return MetricRecord(name, unit, suite_name, samples, (f"{suite_name}::latency",))


def run(
    *suites: SuiteSpec,
    metrics: tuple[MetricRecord, ...] = (),
    run_errors: tuple[RunError, ...] = (),
    baseline: Baseline | None = None,
    extra: tuple[TestRecord, ...] = (),
    rules: tuple[Rule, ...] = (),
    test_rules: dict[str, tuple[str, ...]] | None = None,
    not_applicable: tuple[NotApplicable, ...] = (),
    causes: tuple[dict[str, str], ...] = (),
    rules_left_out: tuple[NotApplicable, ...] = (),
) -> RunRecord:
    """Return a run record of the given suites."""
    return RunRecord(
        run_id="20261125T204000Z-1a2b3c",
        started_at="2026-11-25T20:40:00.000000+00:00",
        finished_at="2026-11-25T20:40:12.500000+00:00",
        harness_version="0.1.0",
        target=TargetInfo("ws://127.0.0.1:40123/ws", "embedded", ("iso-timestamp-crash",)),
        suites=tuple(s.record for s in suites),
        tests=tuple(t for s in suites for t in s.tests) + extra,
        metrics=metrics,
        run_errors=run_errors,
        environment={"python": "3.11.7", "workers": 2, "reruns": 1},
        baseline=baseline,
        rules=rules,
        test_rules=dict(test_rules or {}),
        not_applicable=not_applicable,
        rules_left_out=rules_left_out,
        causes=causes,
    )


def reasons(verdict: Verdict) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    """Return (rule, severity, suite, tests) of every reason except the no-baseline note."""
    return [
        (r.rule, r.severity.value, r.suite, r.tests)
        for r in verdict.reasons
        if r.rule != "no-baseline"
    ]


def statuses(verdict: Verdict) -> dict[str, str]:
    """Return the status of every suite by name."""
    return {s.name: s.status.value for s in verdict.suites}
