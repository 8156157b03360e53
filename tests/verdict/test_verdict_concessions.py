"""Limits left unverified, lowered criticality and fast-fail causes, as reason lines."""

from __future__ import annotations

from typing import Any

import pytest

from harness.verdict import judge
from harness.verdict.policy import Approval, Policy
from harness.verdict.records import Attempt, Criticality, Outcome

from .runbuilder import TODAY, attempt, limit_skip, reasons, run, statuses, suite, with_attempts

AE = "agent_events"
MR = "message_routing"
RATE = limit_skip(
    "max_messages_per_minute",
    100000,
    "limit not verified: max_messages_per_minute=100000 (larger than 3000, the largest)",
)
SIZE = limit_skip(
    "max_message_bytes",
    16777216,
    "limit not verified: max_message_bytes=16777216 (larger than 1048576, the largest)",
)
BOTH = ("max_messages_per_minute", "max_message_bytes")
APPROVAL = Approval("release-manager", "agent runs are rebuilt this sprint")


def _limit_run(criticality: str, *skips: Attempt) -> Any:
    keys = {f"t{i}": "" for i in range(len(skips))}
    spec = suite(MR if criticality == "major" else AE, criticality, **keys, ok="P")
    for key, skip in zip(keys, skips, strict=True):
        spec = with_attempts(spec, key, skip)
    return run(spec)


# (case id, suite criticality, skips, limits the policy allows, verdict, reasons)
LIMIT_CASES: list[tuple[str, str, tuple[Attempt, ...], tuple[str, ...], str, list[Any]]] = [
    (
        "allowed-in-a-critical-suite-is-a-condition",
        "critical",
        (RATE,),
        BOTH,
        "APPROVED_WITH_CONDITIONS",
        [("limit-not-verified", "condition", AE, ("agent_events::t0",))],
    ),
    (
        "not-allowed-is-incomplete-even-in-a-major-suite",
        "major",
        (SIZE,),
        ("max_messages_per_minute",),
        "INCOMPLETE",
        [("limit-skip-not-allowed", "incomplete", MR, ("message_routing::t0",))],
    ),
    (
        "one-allowed-one-not",
        "major",
        (RATE, SIZE),
        ("max_messages_per_minute",),
        "INCOMPLETE",
        [
            ("limit-skip-not-allowed", "incomplete", MR, ("message_routing::t1",)),
            ("limit-not-verified", "condition", MR, ("message_routing::t0",)),
        ],
    ),
    (
        "a-plain-skip-is-judged-as-a-skip",
        "critical",
        (attempt("S", "limit not verified: max_message_bytes=1 (a message alone)"),),
        BOTH,
        "INCOMPLETE",
        [("skipped", "incomplete", AE, ("agent_events::t0",))],
    ),
]


@pytest.mark.parametrize(
    ("criticality", "skips", "allowed", "verdict", "expected"),
    [c[1:] for c in LIMIT_CASES],
    ids=[c[0] for c in LIMIT_CASES],
)
def test_limit_skips(
    criticality: str,
    skips: tuple[Attempt, ...],
    allowed: tuple[str, ...],
    verdict: str,
    expected: list[Any],
) -> None:
    """A limit skip is a condition only when the policy allows that limit; else INCOMPLETE."""
    result = judge(_limit_run(criticality, *skips), Policy(limits_may_skip=allowed), today=TODAY)
    assert result.verdict.value == verdict
    assert reasons(result) == expected


def test_limit_reason_messages_name_each_limit_and_value() -> None:
    """The reason lines say which limits were not verified, with the target's values."""
    record = _limit_run("major", RATE, SIZE)
    result = judge(record, Policy(limits_may_skip=("max_messages_per_minute",)), today=TODAY)
    assert [r.message for r in result.reasons if r.rule.startswith("limit-")] == [
        "limits not verified in suite message_routing: max_message_bytes=16777216, and the "
        "policy's [limits] may_skip does not allow leaving them unverified",
        "limits not verified in suite message_routing: max_messages_per_minute=100000 (larger "
        "than the suite can exercise; the policy's [limits] may_skip allows it)",
    ]


def test_approved_lowering_that_changes_the_judgement_is_a_condition() -> None:
    """A flaky critical test under an approved lowering to major: a condition, named as such."""
    policy = Policy(
        source="policy.toml",
        criticality={AE: Criticality.MAJOR},
        approvals={AE: APPROVAL},
    )
    result = judge(run(suite(AE, a="FP", b="P")), policy, today=TODAY)
    assert result.verdict.value == "APPROVED_WITH_CONDITIONS"
    assert statuses(result) == {AE: "PASS_WITH_CONDITIONS"}
    assert reasons(result) == [
        ("flaky", "condition", AE, ("agent_events::a",)),
        ("criticality-lowered", "condition", AE, ()),
    ]
    assert result.reasons[1].message == (
        "policy policy.toml lowers suite agent_events from critical (its manifest) to major, "
        "approved by release-manager: agent runs are rebuilt this sprint; this changed the "
        "suite's judgement"
    )


def test_approved_lowering_that_changes_nothing_is_a_note() -> None:
    """All tests passed: the lowering is listed as a note and the run is APPROVED."""
    policy = Policy(criticality={AE: Criticality.MINOR}, approvals={AE: APPROVAL})
    result = judge(run(suite(AE, a="P")), policy, today=TODAY)
    assert result.verdict.value == "APPROVED"
    assert reasons(result) == [("criticality-lowered", "info", AE, ())]
    assert result.suites[0].criticality is Criticality.MINOR
    assert result.reasons[0].message == (
        "policy built-in default lowers suite agent_events from critical (its manifest) to "
        "minor, approved by release-manager: agent runs are rebuilt this sprint"
    )


def test_unapproved_lowering_keeps_the_manifest_criticality() -> None:
    """A lowering without approval that reaches the verdict is not applied, and says so."""
    policy = Policy(criticality={AE: Criticality.MAJOR})
    result = judge(run(suite(AE, a="FP")), policy, today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert result.suites[0].criticality is Criticality.CRITICAL
    assert reasons(result) == [
        ("flaky", "blocker", AE, ("agent_events::a",)),
        ("criticality-lowering-not-approved", "info", AE, ()),
    ]


def test_raising_a_criticality_needs_no_approval() -> None:
    """A policy may make a suite weigh more without anyone's approval, silently."""
    policy = Policy(criticality={MR: Criticality.CRITICAL})
    result = judge(run(suite(MR, "major", a="FP")), policy, today=TODAY)
    assert reasons(result) == [("flaky", "blocker", MR, ("message_routing::a",))]


def _from_cause(key: str | None, message: str) -> Attempt:
    """A failed attempt whose failure carries the cause `key` (None: carries none)."""
    return Attempt(Outcome.FAILED, 0.25, message, cause_key=key)


def test_each_fast_fail_cause_is_one_note_with_the_tests_it_failed() -> None:
    """A cause is shown once, naming its first test and how many tests failed from it:
    the tests whose failure carries its key, whatever their messages say."""
    said = "same cause as agent_events::a: no agent_started within 10 s"
    spec = suite(AE, a="", b="", c="", d="", e="P")
    spec = with_attempts(spec, "a", attempt("F", "agent_started: no frame within 10 s"))
    spec = with_attempts(spec, "b", _from_cause("event:agent_started", "no frame"))
    spec = with_attempts(
        spec,
        "c",
        _from_cause("event:agent_started", said),
        _from_cause("event:agent_started", said),
    )
    # The message names the first test and its cause, but the failure carries no key.
    spec = with_attempts(spec, "d", _from_cause(None, said))
    started = {"key": "event:agent_started", "test": "agent_events::a",
               "message": "no agent_started within 10 s"}  # fmt: skip
    pong = {"key": "reply:ping", "test": "agent_events::e", "message": "no pong"}
    again = {**started, "test": "agent_events::b", "message": "seen again"}
    result = judge(run(spec, causes=(started, again, pong)), Policy(), today=TODAY)
    notes = [
        (r.rule, r.severity.value, r.suite, r.message, r.tests)
        for r in result.reasons
        if r.rule == "fast-fail-cause"
    ]
    assert notes == [
        (
            "fast-fail-cause",
            "info",
            AE,
            "cause seen first in agent_events::a: no agent_started within 10 s; "
            "3 tests failed from it",
            ("agent_events::a", "agent_events::b", "agent_events::c"),
        ),
        (
            "fast-fail-cause",
            "info",
            AE,
            "cause seen first in agent_events::e: no pong; 0 tests failed from it",
            (),
        ),
    ]
