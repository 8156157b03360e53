"""Table-driven checks of waivers: valid, expired, critical without approver, not matching."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from harness.verdict import judge
from harness.verdict.policy import Policy, Waiver

from .runbuilder import TODAY, reasons, run, statuses, suite

AE = "agent_events"
MR = "message_routing"


def waiver(
    pattern: str, expires: str, approver: str | None = None, ticket: str = "CHAT-7"
) -> Waiver:
    """Return a waiver owned by the routing team."""
    return Waiver(
        pattern=pattern,
        reason="counter lags under load",
        owner="routing-team",
        ticket=ticket,
        expires=dt.date.fromisoformat(expires),
        approver=approver,
    )


# (case id, run, waivers, verdict, suite statuses, reasons, waived count)
CASES: list[tuple[str, Any, tuple[Waiver, ...], str, dict[str, str], list[Any], int]] = [
    (
        "valid-waiver-on-major-failure",
        run(suite(MR, "major", a="F", b="P")),
        (waiver("message_routing::a", "2026-12-31"),),
        "APPROVED_WITH_CONDITIONS",
        {MR: "PASS_WITH_CONDITIONS"},
        [("waived", "condition", MR, ("message_routing::a",))],
        1,
    ),
    (
        "waiver-is-valid-through-its-expiry-day",
        run(suite(MR, "major", a="F")),
        (waiver("message_routing::*", "2026-11-25"),),
        "APPROVED_WITH_CONDITIONS",
        {MR: "PASS_WITH_CONDITIONS"},
        [("waived", "condition", MR, ("message_routing::a",))],
        1,
    ),
    (
        "expired-waiver-the-failure-stands",
        run(suite(MR, "major", a="F", b="P")),
        (waiver("message_routing::*", "2026-11-24"),),
        "NOT_APPROVED",
        {MR: "FAIL"},
        [
            ("major-failure", "blocker", MR, ("message_routing::a",)),
            ("waiver-expired", "blocker", MR, ("message_routing::a",)),
        ],
        0,
    ),
    (
        "waiver-on-critical-test-without-approver-does-not-apply",
        run(suite(AE, a="F", b="P")),
        (waiver("agent_events::a", "2026-12-31"),),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [
            ("critical-failure", "blocker", AE, ("agent_events::a",)),
            ("waiver-needs-approver", "blocker", AE, ("agent_events::a",)),
        ],
        0,
    ),
    (
        "waiver-on-critical-test-with-approver",
        run(suite(AE, a="F", b="P")),
        (waiver("agent_events::a", "2026-12-31", approver="release-manager"),),
        "APPROVED_WITH_CONDITIONS",
        {AE: "PASS_WITH_CONDITIONS"},
        [("waived", "condition", AE, ("agent_events::a",))],
        1,
    ),
    (
        "waived-flaky-critical-test",
        run(suite(AE, a="FP", b="P")),
        (waiver("agent_events::*", "2026-12-31", approver="release-manager"),),
        "APPROVED_WITH_CONDITIONS",
        {AE: "PASS_WITH_CONDITIONS"},
        [("waived", "condition", AE, ("agent_events::a",))],
        1,
    ),
    (
        "waiver-pattern-that-matches-nothing",
        run(suite(MR, "major", a="F")),
        (waiver("message_routing::b*", "2026-12-31"),),
        "NOT_APPROVED",
        {MR: "FAIL"},
        [("major-failure", "blocker", MR, ("message_routing::a",))],
        0,
    ),
    (
        "first-valid-matching-waiver-applies",
        run(suite(MR, "major", a="F")),
        (
            waiver("message_routing::*", "2026-01-01", ticket="OLD-1"),
            waiver("message_routing::a", "2026-12-31", ticket="NEW-2"),
        ),
        "APPROVED_WITH_CONDITIONS",
        {MR: "PASS_WITH_CONDITIONS"},
        [("waived", "condition", MR, ("message_routing::a",))],
        1,
    ),
    (
        "a-waiver-never-covers-a-harness-error",
        run(suite(MR, "major", a="E")),
        (waiver("message_routing::*", "2026-12-31"),),
        "INCOMPLETE",
        {MR: "INCOMPLETE"},
        [("harness-error", "incomplete", MR, ("message_routing::a",))],
        0,
    ),
    (
        "waived-and-unwaived-failures-in-one-suite",
        run(suite(MR, "major", a="F", b="F")),
        (waiver("message_routing::a", "2026-12-31"),),
        "NOT_APPROVED",
        {MR: "FAIL"},
        [
            ("major-failure", "blocker", MR, ("message_routing::b",)),
            ("waived", "condition", MR, ("message_routing::a",)),
        ],
        1,
    ),
]


@pytest.mark.parametrize(
    ("record", "waivers", "verdict", "suite_statuses", "expected", "waived"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_waiver(
    record: Any,
    waivers: tuple[Waiver, ...],
    verdict: str,
    suite_statuses: dict[str, str],
    expected: list[Any],
    waived: int,
) -> None:
    """The verdict, statuses, reasons and waived count under the given waivers."""
    result = judge(record, Policy(waivers=waivers), today=TODAY)
    assert result.verdict.value == verdict
    assert statuses(result) == suite_statuses
    assert reasons(result) == expected
    assert result.suites[0].counts()["waived"] == waived


def test_waived_reason_names_ticket_owner_expiry_and_reason() -> None:
    """A release engineer sees who accepted the failure, until when and why."""
    policy = Policy(waivers=(waiver("agent_events::*", "2026-12-31", approver="rm"),))
    result = judge(run(suite(AE, a="F")), policy, today=TODAY)
    assert [r.message for r in result.reasons if r.rule == "waived"] == [
        "1 failed or flaky tests in suite agent_events accepted by waiver CHAT-7 "
        "('agent_events::*', owner routing-team), approved by rm until 2026-12-31: "
        "counter lags under load"
    ]


def test_expired_waiver_reason_says_expired() -> None:
    """The reason line says the waiver expired and on which day."""
    policy = Policy(waivers=(waiver("message_routing::*", "2026-11-01"),))
    result = judge(run(suite(MR, "major", a="F")), policy, today=TODAY)
    assert [r.message for r in result.reasons if r.rule == "waiver-expired"] == [
        "waiver CHAT-7 ('message_routing::*', owner routing-team) expired on 2026-11-01: "
        "the failures stand"
    ]
    use = result.suites[0].tests[0].waiver
    assert use is not None and use.expired and not use.applied


def test_a_waiver_does_not_touch_passing_tests() -> None:
    """A pattern matching a test that passed leaves the run APPROVED, with no waiver listed."""
    policy = Policy(waivers=(waiver("message_routing::*", "2026-12-31"),))
    result = judge(run(suite(MR, "major", a="P")), policy, today=TODAY)
    assert result.verdict.value == "APPROVED"
    assert result.suites[0].tests[0].waiver is None
