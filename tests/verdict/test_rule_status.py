"""Rule status from the tests naming each rule: verified, violated, not verified, not applicable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from harness.errors import Deviation
from harness.verdict import judge
from harness.verdict.policy import Policy, Waiver
from harness.verdict.records import NotApplicable

from .runbuilder import TODAY, attempt, limit_skip, rule, run, suite, with_attempts

TS = "timestamp_core"
MR = "message_routing"
RULE = "5.rejected.boolean"
NO_CONVERTER = "no timestamp converter under test (pass --converter MODULE:FUNCTION)"


def _status(letters: dict[str, str], **extra: Any) -> tuple[str, tuple[str, ...], str | None]:
    """Return (status, tests, reason) of RULE named by every test of a timestamp_core suite."""
    spec = suite(TS, **letters)
    record = run(
        spec,
        rules=(rule(RULE),),
        test_rules={i: (RULE,) for i in spec.record.planned},
        **extra,
    )
    (verdict,) = judge(record, Policy(), today=TODAY).rules
    return verdict.status.value, verdict.tests, verdict.reason


CASES: list[tuple[str, dict[str, str], str, str | None]] = [
    ("all-passed", {"a": "P", "b": "P"}, "verified", None),
    ("one-failed", {"a": "P", "b": "F"}, "violated", "failed in timestamp_core::b"),
    ("flaky-failure", {"a": "FP", "b": "P"}, "violated", "failed in timestamp_core::a"),
    ("failure-then-error", {"a": "FE"}, "violated", "failed in timestamp_core::a"),
    (
        "failure-outranks-error",
        {"a": "E", "b": "F", "c": "S"},
        "violated",
        "failed in timestamp_core::b",
    ),
    ("error-then-pass-verified", {"a": "EP", "b": "P"}, "verified", None),
    (
        "errored",
        {"a": "P", "b": "E"},
        "not_verified",
        "1 of 2 tests did not pass: timestamp_core::b (error: target unreachable)",
    ),
    (
        "skipped-and-not-run",
        {"a": "S", "b": "", "c": "P"},
        "not_verified",
        "2 of 3 tests did not pass: timestamp_core::a (skipped), timestamp_core::b (not run)",
    ),
    (
        "many-not-passed-are-cut-short",
        {"a": "E", "b": "E", "c": "E", "d": "E", "e": "E"},
        "not_verified",
        "5 of 5 tests did not pass: timestamp_core::a (error: target unreachable), "
        "timestamp_core::b (error: target unreachable), timestamp_core::c (error: target "
        "unreachable) and 2 more",
    ),
]


@pytest.mark.parametrize(
    ("letters", "status", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_status_from_the_tests_naming_the_rule(
    letters: dict[str, str], status: str, reason: str | None
) -> None:
    """The rule's status and reason follow from the outcomes of every test that names it."""
    tests = tuple(f"timestamp_core::{key}" for key in letters)
    assert _status(letters) == (status, tests, reason)


def test_a_waived_failure_still_violates_the_rule() -> None:
    """A waiver accepts a failure for the verdict; the rule was broken all the same."""
    waiver = Waiver("message_routing::a", "lag", "routing-team", "CHAT-7", dt.date(2026, 12, 31))
    spec = suite(MR, "major", a="F")
    record = run(
        spec,
        rules=(rule("7.stats.errors"),),
        test_rules={"message_routing::a": ("7.stats.errors",)},
    )
    result = judge(record, Policy(waivers=(waiver,)), today=TODAY)
    assert result.verdict.value == "APPROVED_WITH_CONDITIONS"
    assert [(r.id, r.status.value) for r in result.rules] == [("7.stats.errors", "violated")]


def test_a_skip_for_a_limit_leaves_the_rule_not_verified_with_the_skip_message() -> None:
    """The skip's message is the rule's reason: the report says which limit was not verified."""
    message = "limit not verified: max_messages_per_minute=100000 (larger than 1000, the largest)"
    skip = limit_skip("max_messages_per_minute", 100000, message)
    spec = with_attempts(suite(MR, "major", a=""), "a", skip)
    record = run(
        spec,
        rules=(rule("6.limit.rate-limited"),),
        test_rules={"message_routing::a": ("6.limit.rate-limited",)},
    )
    (verdict,) = judge(
        record, Policy(limits_may_skip=("max_messages_per_minute",)), today=TODAY
    ).rules
    assert (verdict.status.value, verdict.reason) == (
        "not_verified",
        "1 of 1 tests did not pass: message_routing::a (skipped: limit not verified: "
        "max_messages_per_minute=100000 (larger than 1000, the largest))",
    )


def test_rules_no_planned_test_names_are_not_verified_in_catalogue_order() -> None:
    """Every catalogue rule gets a status, in catalogue order; unnamed ones say why."""
    spec = suite(TS, a="P")
    rules = (rule("6.close.never-1011"), rule("5.accepted.iso-z"), rule("1.http.health"))
    record = run(spec, rules=rules, test_rules={"timestamp_core::a": ("5.accepted.iso-z", "9.x")})
    result = judge(record, Policy(), today=TODAY)
    assert [(r.id, r.status.value, r.tests, r.reason) for r in result.rules] == [
        ("6.close.never-1011", "not_verified", (), "no test of the selected suites names it"),
        ("5.accepted.iso-z", "verified", ("timestamp_core::a",), None),
        ("1.http.health", "not_verified", (), "no test of the selected suites names it"),
    ]
    assert result.rule_summary() == {
        "verified": 1,
        "violated": 0,
        "not_verified": 2,
        "not_applicable": 0,
        "total": 3,
    }


def test_not_applicable_tests_are_neither_planned_nor_passed() -> None:
    """A test left out for a missing input makes its rules not applicable and counts nowhere."""
    converter = "timestamp_core::test_converter[iso-z]"
    left_out = NotApplicable(converter, TS, NO_CONVERTER, ("5.general.microsecond-exact",))
    spec = suite(TS, a="P")
    # Even listed among the planned tests by mistake, it is not counted.
    spec = type(spec)(
        type(spec.record)(
            spec.record.name,
            spec.record.title,
            spec.record.criticality,
            planned=(*spec.record.planned, converter),
        ),
        spec.tests,
    )
    rules = (rule("5.general.microsecond-exact"), rule("5.accepted.iso-z"))
    record = run(
        spec,
        rules=rules,
        test_rules={
            "timestamp_core::a": ("5.accepted.iso-z",),
            converter: ("5.general.microsecond-exact",),
        },
        not_applicable=(left_out,),
    )
    result = judge(record, Policy(), today=TODAY)
    assert result.verdict.value == "APPROVED"
    assert result.suites[0].counts()["planned"] == 1
    assert result.summary()["passed"] == 1
    assert [(r.id, r.status.value, r.tests, r.reason) for r in result.rules] == [
        ("5.general.microsecond-exact", "not_applicable", (converter,), NO_CONVERTER),
        ("5.accepted.iso-z", "verified", ("timestamp_core::a",), None),
    ]


def test_a_rule_with_planned_and_not_applicable_tests_is_judged_by_the_planned_ones() -> None:
    """Only when every test naming a rule was left out is the rule not applicable."""
    left_out = NotApplicable("timestamp_core::conv", TS, NO_CONVERTER, (RULE,))
    assert _status({"a": "P"}, not_applicable=(left_out,))[0] == "verified"
    assert _status({"a": "E"}, not_applicable=(left_out,))[0] == "not_verified"


LACKS_ECHO = "the target's profile netra-2025-09 lacks message_id_echo"


def test_a_rule_left_out_of_a_planned_test_is_not_applicable_and_the_others_count() -> None:
    """Per-check accounting: a failed test leaves out the check of its echo rule; that rule is
    not applicable (never violated), its other rule is violated, and a rule left out of one
    test but checked by another is judged by the one that checked it."""
    echo, envelope, pong = "3.frame.error.message-id", "2.envelope.not-object", "2.type.ping"
    spec = suite(TS, a="F", b="P")
    record = run(
        spec,
        rules=(rule(echo), rule(envelope), rule(pong)),
        test_rules={"timestamp_core::a": (envelope, echo), "timestamp_core::b": (pong, echo)},
        rules_left_out=(
            NotApplicable("timestamp_core::a", TS, LACKS_ECHO, (echo,)),
            NotApplicable("timestamp_core::b", TS, LACKS_ECHO, (echo,)),
        ),
    )
    result = judge(record, Policy(), today=TODAY)
    assert [(r.id, r.status.value, r.tests, r.reason) for r in result.rules] == [
        (echo, "not_applicable", ("timestamp_core::a", "timestamp_core::b"), LACKS_ECHO),
        (envelope, "violated", ("timestamp_core::a",), "failed in timestamp_core::a"),
        (pong, "verified", ("timestamp_core::b",), None),
    ]
    # Both tests stay planned: leaving out a check never leaves out the test.
    assert result.suites[0].counts()["planned"] == 2
    checked = run(
        spec,
        rules=(rule(echo),),
        test_rules={"timestamp_core::a": (echo,), "timestamp_core::b": (echo,)},
        rules_left_out=(NotApplicable("timestamp_core::a", TS, LACKS_ECHO, (echo,)),),
    )
    (verdict,) = judge(checked, Policy(), today=TODAY).rules
    assert (verdict.status.value, verdict.tests) == ("verified", ("timestamp_core::b",))


def test_a_failure_that_names_its_rule_violates_that_rule_only() -> None:
    """A frame that breaks the dialect's timestamp format fails the tests that wait on it;
    the rule it names is violated, their other rules are not verified (never violated)."""
    fmt, order = "9.dialect.timestamp-format", "4.order.started-first"
    broke = dataclasses.replace(
        attempt("F", "a frame breaks its dialect"),
        deviation=Deviation(f"undecodable:{fmt}", "timestamp not in the declared format", (fmt,)),
    )
    spec = with_attempts(suite(TS, a="", b=""), "a", broke)
    spec = with_attempts(spec, "b", broke)
    record = run(
        spec,
        rules=(rule(fmt), rule(order)),
        test_rules={"timestamp_core::a": (fmt, order), "timestamp_core::b": (order,)},
    )
    result = judge(record, Policy(), today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert [(r.id, r.status.value, r.reason) for r in result.rules] == [
        (fmt, "violated", "failed in timestamp_core::a"),
        (
            order,
            "not_verified",
            "2 of 2 tests failed on another rule's check: timestamp_core::a (broke "
            "9.dialect.timestamp-format), timestamp_core::b (broke 9.dialect.timestamp-format)",
        ),
    ]
    # A failure that names no rule still violates every rule of its test.
    plain = with_attempts(suite(TS, a=""), "a", attempt("F", "wrong frame"))
    bundled = run(plain, rules=(rule(order),), test_rules={"timestamp_core::a": (order,)})
    assert judge(bundled, Policy(), today=TODAY).rules[0].status.value == "violated"


def test_evidence_comes_from_the_attempt_that_decided_the_test() -> None:
    """A flaky test shows the values of its failed attempt; others those of their final one."""
    sent = {"rule": RULE, "sent": True, "expected": "INVALID_TIMESTAMP"}
    spec = with_attempts(
        suite(TS, a="", b=""),
        "a",
        attempt("F", "expected error", {**sent, "observed": "ack"}),
        attempt("P", "", {**sent, "observed": "INVALID_TIMESTAMP"}),
    )
    spec = with_attempts(
        spec, "b", attempt("P", "", {**sent, "sent": False, "observed": "INVALID_TIMESTAMP"})
    )
    record = run(
        spec,
        rules=(rule(RULE),),
        test_rules={"timestamp_core::a": (RULE,), "timestamp_core::b": (RULE,)},
    )
    (verdict,) = judge(record, Policy(), today=TODAY).rules
    assert verdict.status.value == "violated"
    assert verdict.evidence == (
        {
            "test": "timestamp_core::a",
            "sent": True,
            "expected": "INVALID_TIMESTAMP",
            "observed": "ack",
        },
        {
            "test": "timestamp_core::b",
            "sent": False,
            "expected": "INVALID_TIMESTAMP",
            "observed": "INVALID_TIMESTAMP",
        },
    )


def test_verdict_json_carries_rules_summary_sections_and_not_applicable() -> None:
    """verdict.json: rules with status, tests, reason and evidence; counts; left-out tests."""
    left_out = NotApplicable(
        "timestamp_core::conv", TS, NO_CONVERTER, ("5.general.microsecond-exact",)
    )
    entry = {"rule": "5.accepted.iso-z", "sent": "2025-09-08T16:50:01.447585Z",
             "expected": 1757350201.447585, "observed": 1757350201.447585}  # fmt: skip
    spec = with_attempts(suite(TS, a="", b="F"), "a", attempt("P", "", entry))
    record = run(
        spec,
        rules=(
            rule("5.accepted.iso-z", "An ISO string with Z is accepted."),
            rule("5.general.microsecond-exact", "Exact to the microsecond."),
            rule("6.close.never-1011", "Never close with 1011."),
        ),
        test_rules={
            "timestamp_core::a": ("5.accepted.iso-z",),
            "timestamp_core::b": ("6.close.never-1011",),
        },
        not_applicable=(left_out,),
    )
    doc = json.loads(json.dumps(judge(record, Policy(), today=TODAY).to_json()))
    assert doc["schema"] == "stability-harness/verdict@1"
    assert doc["rule_summary"] == {
        "verified": 1, "violated": 1, "not_verified": 0, "not_applicable": 1, "total": 3,
    }  # fmt: skip
    assert doc["rule_sections"] == {"5": "Timestamps", "6": "Errors, limits and close codes"}
    assert doc["rules"] == [
        {
            "id": "5.accepted.iso-z", "section": 5, "text": "An ISO string with Z is accepted.",
            "status": "verified", "tests": ["timestamp_core::a"],
            "evidence": [{"test": "timestamp_core::a", "sent": "2025-09-08T16:50:01.447585Z",
                          "expected": 1757350201.447585, "observed": 1757350201.447585}],
        },
        {
            "id": "5.general.microsecond-exact", "section": 5, "text": "Exact to the microsecond.",
            "status": "not_applicable", "tests": ["timestamp_core::conv"], "reason": NO_CONVERTER,
        },
        {
            "id": "6.close.never-1011", "section": 6, "text": "Never close with 1011.",
            "status": "violated", "tests": ["timestamp_core::b"],
            "reason": "failed in timestamp_core::b",
        },
    ]  # fmt: skip
    assert doc["not_applicable"] == [
        {"id": "timestamp_core::conv", "suite": TS, "reason": NO_CONVERTER,
         "rules": ["5.general.microsecond-exact"]},
    ]  # fmt: skip


def test_a_failure_then_error_shows_the_failure_message() -> None:
    """The test's message in verdict.json is its failure's, not the later error's."""
    doc = judge(run(suite(TS, a="FE")), Policy(), today=TODAY).to_json()
    (test,) = doc["suites"][0]["tests"]
    assert (test["outcome"], test["message"]) == ("failed", "expected ack, observed error")
    assert [a["outcome"] for a in test["attempts"]] == ["failed", "error"]


def test_a_rule_left_out_for_capabilities_names_each_lacking_capability_once() -> None:
    """Two tests naming one rule, left out for capabilities their profile lacks: the rule's
    reason names the profile once and each capability once, other reasons kept as they are."""
    rules = (rule(RULE),)
    left_out = (
        NotApplicable(
            "timestamp_core::a",
            TS,
            "the target's profile openai-realtime lacks chat_requests (the test needs it)",
        ),
        NotApplicable(
            "timestamp_core::b",
            TS,
            "the target's profile openai-realtime lacks scripted_agent, chat_requests "
            "(the test needs it)",
        ),
        NotApplicable("timestamp_core::c", TS, NO_CONVERTER),
    )
    record = run(
        suite(TS),
        rules=rules,
        test_rules={f"timestamp_core::{t}": (RULE,) for t in "abc"},
        not_applicable=left_out,
    )
    (judged,) = judge(record, Policy(), today=TODAY).rules
    assert (judged.status.value, judged.reason) == (
        "not_applicable",
        "the target's profile openai-realtime lacks chat_requests, scripted_agent "
        f"(its tests need them); {NO_CONVERTER}",
    )
    # One test's reason stays as it was written.
    (alone,) = judge(
        run(
            suite(TS),
            rules=rules,
            test_rules={"timestamp_core::b": (RULE,)},
            not_applicable=left_out[1:2],
        ),
        Policy(),
        today=TODAY,
    ).rules
    assert alone.reason == (
        "the target's profile openai-realtime lacks scripted_agent, chat_requests "
        "(the test needs it)"
    )
