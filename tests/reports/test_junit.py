"""junit.xml: valid XML, one testsuite per suite, counts that match, every rerun attempt kept."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from harness.report.render import render_junit
from harness.verdict import judge
from harness.verdict.policy import Budget, Policy, Statistic, Waiver
from harness.verdict.records import RunError

from ..verdict.runbuilder import TODAY, limit_skip, metric, run, suite, with_attempts

AE = "agent_events"
MR = "message_routing"


def _suite(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"testsuite[@name='{name}']")
    assert found is not None, f"no testsuite {name!r} in junit.xml"
    return found


def _case(root: ET.Element, test_id: str) -> ET.Element:
    for case in root.iter("testcase"):
        if case.get("name") == test_id:
            return case
    raise AssertionError(f"no testcase {test_id!r} in junit.xml")


def test_junit_parses_and_totals_match_the_verdict(verdict: dict[str, Any]) -> None:
    """The root counts: 12 planned and 1 not applicable; skipped: not run, waived, left out."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    assert root.tag == "testsuites"
    assert root.get("tests") == "13"
    assert root.get("failures") == "2"
    assert root.get("errors") == "1"
    assert root.get("skipped") == "3"
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "timestamp_core",
        "agent_events",
        "staging_repro",
        "message_routing",
        "security",
    ]


def test_each_testsuite_counts_its_testcases(verdict: dict[str, Any]) -> None:
    """Per suite, the counts match the verdict and the testcase elements."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    expected = {
        "timestamp_core": ("4", "0", "0", "1"),
        "agent_events": ("3", "1", "0", "0"),
        "staging_repro": ("2", "1", "0", "0"),
        "message_routing": ("2", "0", "0", "1"),
        "security": ("2", "0", "1", "1"),
    }
    for name, (tests, failures, errors, skipped) in expected.items():
        suite = _suite(root, name)
        assert (
            suite.get("tests"),
            suite.get("failures"),
            suite.get("errors"),
            suite.get("skipped"),
        ) == (tests, failures, errors, skipped), name
        cases = suite.findall("testcase")
        assert len(cases) == int(tests)
        assert {c.get("classname") for c in cases} == {name}


def test_failures_errors_and_not_run_have_their_elements(verdict: dict[str, Any]) -> None:
    """failed -> <failure message>, error -> <error>, not_run -> <skipped>."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    failure = _case(root, "staging_repro::test_staging::test_original_frame").find("failure")
    assert failure is not None
    assert failure.get("message") == "close code: expected None, observed 1011"
    error = _case(root, "security::test_tokens::test_forged_token_rejected").find("error")
    assert error is not None
    assert error.get("message") == "CapabilityMissing: mint_tokens needs the target's secret"
    skipped = _case(root, "security::test_tokens::test_expired_token_rejected").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not_run"


def test_every_rerun_attempt_is_kept(verdict: dict[str, Any]) -> None:
    """A flaky test keeps its failed attempt as <flakyFailure>; a failing one as <rerunFailure>."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    flaky = _case(root, "message_routing::test_types::test_ping")
    assert flaky.find("failure") is None
    flaky_failures = flaky.findall("flakyFailure")
    assert [f.get("message") for f in flaky_failures] == ["pong: no reply within 5.0 s"]
    failing = _case(root, "agent_events::test_order::test_tool_completed_follows_tool_executing")
    assert failing.find("failure") is not None
    assert len(failing.findall("rerunFailure")) == 1


def test_transcript_goes_to_system_out(verdict: dict[str, Any]) -> None:
    """A failed test's frames are listed in <system-out>, close code included."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    out = _case(root, "staging_repro::test_staging::test_original_frame").findtext("system-out")
    assert out is not None
    assert "close t=0.0027 type=- size=0 close=1011" in out
    assert '"timestamp": "2025-09-08T16:50:01.447585"' in out


def test_hostile_text_and_control_characters_stay_valid_xml(verdict: dict[str, Any]) -> None:
    """Quotes, markup, control characters and lone surrogates cannot break the XML."""
    nasty = 'a"b<c>&d]]>\x00\x1b\ud800 <script>alert(1)</script>'
    test = verdict["suites"][2]["tests"][0]
    test["id"] = nasty
    test["message"] = nasty
    test["transcript"][2]["data"] = nasty
    text = render_junit(verdict)
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite[@name='staging_repro']/testcase")
    assert case is not None
    assert case.get("name") == 'a"b<c>&d]]>\ufffd\ufffd\ufffd <script>alert(1)</script>'
    failure = case.find("failure")
    assert failure is not None
    assert failure.text == 'a"b<c>&d]]>\ufffd\ufffd\ufffd <script>alert(1)</script>'


def test_load_error_and_run_errors_are_errors(verdict: dict[str, Any]) -> None:
    """A suite that failed to load and a run-level error each appear as an <error>."""
    verdict["suites"][0]["load_error"] = "ImportError: no module named x"
    verdict["run_errors"] = [
        {"cause": "worker_crash", "message": "worker gw1 crashed", "suite": None, "tests": []}
    ]
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    assert root.get("errors") == "3"
    assert root.get("tests") == "15"
    load = _case(root, "timestamp_core::(load)").find("error")
    assert load is not None
    assert load.get("message") == "ImportError: no module named x"
    run = _suite(root, "(run)").find("testcase/error")
    assert run is not None
    assert run.get("message") == "worker gw1 crashed"


def test_a_waived_failure_is_a_skipped_case_that_names_its_waiver(verdict: dict[str, Any]) -> None:
    """A failure the verdict accepts is not a <failure>: CI must not be red for it."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    case = _case(root, "message_routing::test_stats::test_ping_counted")
    assert case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "failed, waived by OPS-1234 until 2026-12-31 (owner platform-team): stats counters move "
        "to the new store: messages_routed: expected 3, observed 2"
    )


def test_not_applicable_tests_are_skipped_cases_with_their_reason(verdict: dict[str, Any]) -> None:
    """A test left out of the plan is a skipped case of its suite, with the reason."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    case = _case(root, "timestamp_core::test_converter::test_converter_exact[iso-naive]")
    assert case.get("classname") == "timestamp_core"
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "not applicable: no timestamp converter under test (pass --converter MODULE:FUNCTION)"
    )


def _junit_of(record: Any, policy: Policy | None = None) -> tuple[str, ET.Element]:
    result = judge(record, policy or Policy(), today=TODAY)
    document = json.loads(json.dumps(result.to_json()))
    return document["verdict"], ET.fromstring(render_junit(document).encode("utf-8"))


LATENCY = Budget("agent_started_latency_ms", Statistic.P95, 500.0, "ms", 3, True, AE)
WAIVER = Waiver("message_routing::a", "lag", "routing-team", "CHAT-7", dt.date(2026, 12, 31))
SKIP = "limit not verified: max_message_bytes=16777216 (larger than 1048576, the largest)"


def _limit_skip(allowed: tuple[str, ...]) -> tuple[Any, Policy]:
    skip = limit_skip("max_message_bytes", 16777216, SKIP)
    spec = with_attempts(suite(MR, "major", a="", b="P"), "a", skip)
    return run(spec), Policy(limits_may_skip=allowed)


# (case id, record, policy, verdict)
RUNS: list[tuple[str, Any, Policy | None, str]] = [
    ("all-passed", run(suite(AE, a="P")), None, "APPROVED"),
    ("minor-failure", run(suite("docs", "minor", a="F")), None, "APPROVED_WITH_CONDITIONS"),
    (
        "waived-major-failure",
        run(suite(MR, "major", a="FF")),
        Policy(waivers=(WAIVER,)),
        "APPROVED_WITH_CONDITIONS",
    ),
    ("flaky-major", run(suite(MR, "major", a="FP")), None, "APPROVED_WITH_CONDITIONS"),
    ("flaky-error", run(suite(AE, a="EP")), None, "APPROVED_WITH_CONDITIONS"),
    ("limit-skip-allowed", *_limit_skip(("max_message_bytes",)), "APPROVED_WITH_CONDITIONS"),
    ("critical-failure", run(suite(AE, a="F", b="P")), None, "NOT_APPROVED"),
    ("flaky-critical", run(suite(AE, a="FP")), None, "NOT_APPROVED"),
    (
        "budget-missed",
        run(
            suite(AE, a="P"),
            metrics=(metric("agent_started_latency_ms", "ms", AE, 900.0, 950.0, 990.0),),
        ),
        Policy(budgets=(LATENCY,)),
        "NOT_APPROVED",
    ),
    (
        "too-few-samples",
        run(suite(AE, a="P"), metrics=(metric("agent_started_latency_ms", "ms", AE, 9.0),)),
        Policy(budgets=(LATENCY,)),
        "INCOMPLETE",
    ),
    ("not-executed", run(suite(AE, a="P", b="")), None, "INCOMPLETE"),
    ("empty-suite", run(suite(AE, a="P"), suite(MR, "major")), None, "INCOMPLETE"),
    ("skipped-critical", run(suite(AE, a="P", b="S")), None, "INCOMPLETE"),
    ("harness-error", run(suite(AE, a="E")), None, "INCOMPLETE"),
    ("limit-skip-not-allowed", *_limit_skip(()), "INCOMPLETE"),
    (
        "run-error",
        run(suite(AE, a="P"), run_errors=(RunError("timeout", "--max-duration 60 s reached"),)),
        None,
        "INCOMPLETE",
    ),
    ("no-suites", run(), None, "INCOMPLETE"),
]


@pytest.mark.parametrize(
    ("record", "policy", "expected"), [c[1:] for c in RUNS], ids=[c[0] for c in RUNS]
)
def test_junit_is_red_exactly_when_the_verdict_is(
    record: Any, policy: Policy | None, expected: str
) -> None:
    """A failure or error element exists iff the verdict is NOT_APPROVED or INCOMPLETE."""
    verdict, root = _junit_of(record, policy)
    assert verdict == expected
    red = [e for e in root.iter() if e.tag in ("failure", "error")]
    assert bool(red) is (verdict in ("NOT_APPROVED", "INCOMPLETE"))
    assert int(root.get("failures") or 0) + int(root.get("errors") or 0) == len(red)
    assert int(root.get("tests") or 0) == len(list(root.iter("testcase")))


def test_a_reason_no_failed_test_carries_is_a_failed_case_of_its_own() -> None:
    """A missed budget with every test passed: one failed case in the (verdict) suite."""
    record = run(
        suite(AE, a="P"),
        metrics=(metric("agent_started_latency_ms", "ms", AE, 900.0, 950.0, 990.0),),
    )
    verdict, root = _junit_of(record, Policy(budgets=(LATENCY,)))
    assert verdict == "NOT_APPROVED"
    own = _suite(root, "(verdict)")
    assert (own.get("tests"), own.get("failures")) == ("1", "1")
    case = own.find("testcase")
    assert case is not None
    assert case.get("name") == "budget-missed agent_events #1"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "budget-missed"
    assert failure.get("message") == (
        "agent_started_latency_ms p95 is 990 ms, over the budget of 500 ms (3 samples)"
    )
    assert failure.text == (
        "blocker: agent_started_latency_ms p95 is 990 ms, over the budget of 500 ms "
        "(3 samples)\nagent_events::latency"
    )


def test_a_failure_then_error_is_a_failure_case_with_the_failure_message() -> None:
    """The case of a test that failed, then errored on rerun, is the failure."""
    verdict, root = _junit_of(run(suite(AE, a="FE")))
    assert verdict == "NOT_APPROVED"
    case = _case(root, "agent_events::a")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "expected ack, observed error"
    assert case.find("error") is None
    assert [e.tag for e in case if e.tag.startswith("rerun")] == ["rerunFailure"]
