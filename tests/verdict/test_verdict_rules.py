"""Table-driven checks of the verdict rules on small literal runs (no budgets, no waivers)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.verdict import judge, records, verdict_for_early_exit
from harness.verdict.policy import FlakyAction, Policy
from harness.verdict.records import Criticality, RunError

from .runbuilder import TODAY, SuiteSpec, broken_suite, reasons, run, statuses, suite

AE = "agent_events"
MR = "message_routing"
MINOR = "docs_examples"

# (case id, run, verdict, suite statuses, reasons as (rule, severity, suite, evidence ids))
CASES: list[tuple[str, Any, str, dict[str, str], list[Any]]] = [
    (
        "all-planned-passed",
        run(suite(AE, a="P", b="P"), suite(MR, "major", a="P")),
        "APPROVED",
        {AE: "PASS", MR: "PASS"},
        [],
    ),
    (
        "critical-failure",
        run(suite(AE, a="P", b="F", c="P")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("critical-failure", "blocker", AE, ("agent_events::b",))],
    ),
    (
        "major-failure-without-waiver",
        run(suite(AE, a="P"), suite(MR, "major", a="F", b="P")),
        "NOT_APPROVED",
        {AE: "PASS", MR: "FAIL"},
        [("major-failure", "blocker", MR, ("message_routing::a",))],
    ),
    (
        "minor-failure-is-a-condition-but-the-suite-fails",
        run(suite(AE, a="P"), suite(MINOR, "minor", a="F", b="P")),
        "APPROVED_WITH_CONDITIONS",
        {AE: "PASS", MINOR: "FAIL"},
        [("minor-failure", "condition", MINOR, ("docs_examples::a",))],
    ),
    (
        "planned-test-never-executed-in-critical-suite",
        run(suite(AE, a="P", b="")),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("not-executed", "incomplete", AE, ("agent_events::b",))],
    ),
    (
        "planned-test-never-executed-in-major-suite",
        run(suite(MR, "major", a="P", b="")),
        "INCOMPLETE",
        {MR: "INCOMPLETE"},
        [("not-executed", "incomplete", MR, ("message_routing::b",))],
    ),
    (
        "skipped-in-critical-suite",
        run(suite(AE, a="P", b="S")),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("skipped", "incomplete", AE, ("agent_events::b",))],
    ),
    (
        "skipped-in-minor-suite",
        run(suite(MINOR, "minor", a="P", b="S")),
        "APPROVED_WITH_CONDITIONS",
        {MINOR: "PASS_WITH_CONDITIONS"},
        [("skipped", "condition", MINOR, ("docs_examples::b",))],
    ),
    (
        "all-tests-skipped",
        run(suite(MINOR, "minor", a="S", b="S")),
        "INCOMPLETE",
        {MINOR: "INCOMPLETE"},
        [("all-skipped", "incomplete", MINOR, ("docs_examples::a", "docs_examples::b"))],
    ),
    (
        "harness-error",
        run(suite(AE, a="P", b="E")),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("harness-error", "incomplete", AE, ("agent_events::b",))],
    ),
    (
        "error-then-pass-is-flaky-a-condition-never-a-plain-pass",
        run(suite(AE, a="EP", b="P")),
        "APPROVED_WITH_CONDITIONS",
        {AE: "PASS_WITH_CONDITIONS"},
        [("flaky-error", "condition", AE, ("agent_events::a",))],
    ),
    (
        "error-then-pass-under-flaky-info-is-a-note",
        run(suite(MINOR, "minor", a="EEP")),
        "APPROVED",
        {MINOR: "PASS"},
        [("flaky-error", "info", MINOR, ("docs_examples::a",))],
    ),
    (
        "failure-then-error-on-rerun-stays-a-failure",
        run(suite(AE, a="FE", b="P")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("critical-failure", "blocker", AE, ("agent_events::a",))],
    ),
    (
        "failure-then-skip-on-rerun-stays-a-failure",
        run(suite(MR, "major", a="FS")),
        "NOT_APPROVED",
        {MR: "FAIL"},
        [("major-failure", "blocker", MR, ("message_routing::a",))],
    ),
    (
        "error-then-failure-is-a-failure",
        run(suite(AE, a="EF")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("critical-failure", "blocker", AE, ("agent_events::a",))],
    ),
    (
        "failure-error-then-pass-is-flaky-as-a-failure",
        run(suite(AE, a="FEP")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("flaky", "blocker", AE, ("agent_events::a",))],
    ),
    (
        "empty-suite",
        run(suite(AE, a="P"), suite(MR, "major")),
        "INCOMPLETE",
        {AE: "PASS", MR: "INCOMPLETE"},
        [("empty-suite", "incomplete", MR, ())],
    ),
    (
        "suite-load-error",
        run(suite(AE, a="P"), broken_suite(MR, "major", "ImportError: no module x", "a", "b")),
        "INCOMPLETE",
        {AE: "PASS", MR: "INCOMPLETE"},
        [("suite-load-error", "incomplete", MR, ("message_routing::a", "message_routing::b"))],
    ),
    (
        "suite-load-error-before-collection",
        run(broken_suite(MR, "major", "ImportError: no module x")),
        "INCOMPLETE",
        {MR: "INCOMPLETE"},
        [("suite-load-error", "incomplete", MR, ())],
    ),
    (
        "suite-load-error-after-some-tests-ran",
        run(
            SuiteSpec(
                broken_suite(MR, "major", "teardown of module failed", "a", "b").record,
                suite(MR, "major", a="F").tests,
            )
        ),
        "NOT_APPROVED",
        {MR: "FAIL"},
        [
            ("major-failure", "blocker", MR, ("message_routing::a",)),
            ("suite-load-error", "incomplete", MR, ("message_routing::b",)),
        ],
    ),
    (
        "crashed-xdist-worker-makes-its-tests-error",
        run(
            suite(AE, a="P", b="", c="P"),
            run_errors=(RunError("worker_crash", "node gw1 crashed", None, ("agent_events::b",)),),
        ),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("worker-crash", "incomplete", AE, ("agent_events::b",))],
    ),
    (
        "served-process-exited-during-the-run-is-a-blocker",
        run(
            suite(AE, a="P", b="P"),
            run_errors=(RunError("served_exit", "the served process exited with status 137"),),
        ),
        "NOT_APPROVED",
        {AE: "PASS"},
        [("served-process-exited", "blocker", None, ())],
    ),
    (
        "served-command-not-ready-is-incomplete",
        run(
            suite(AE, a="", b=""),
            run_errors=(RunError("served_not_ready", "exited with status 3 before it was ready"),),
        ),
        "INCOMPLETE",
        {AE: "NOT_RUN"},
        [
            ("served-not-ready", "incomplete", None, ()),
            ("not-executed", "incomplete", AE, ("agent_events::a", "agent_events::b")),
        ],
    ),
    (
        "failure-and-harness-error-in-one-run",
        run(suite(AE, a="F", b="P"), suite(MR, "major", a="E")),
        "NOT_APPROVED",
        {AE: "FAIL", MR: "INCOMPLETE"},
        [
            ("critical-failure", "blocker", AE, ("agent_events::a",)),
            ("harness-error", "incomplete", MR, ("message_routing::a",)),
        ],
    ),
    (
        "failure-and-error-in-one-suite",
        run(suite(AE, a="F", b="E")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [
            ("critical-failure", "blocker", AE, ("agent_events::a",)),
            ("harness-error", "incomplete", AE, ("agent_events::b",)),
        ],
    ),
    (
        "flaky-in-critical-suite",
        run(suite(AE, a="P", b="FP")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("flaky", "blocker", AE, ("agent_events::b",))],
    ),
    (
        "flaky-in-major-suite",
        run(suite(MR, "major", a="P", b="FFP")),
        "APPROVED_WITH_CONDITIONS",
        {MR: "PASS_WITH_CONDITIONS"},
        [("flaky", "condition", MR, ("message_routing::b",))],
    ),
    (
        "failed-on-every-rerun-is-a-failure",
        run(suite(AE, a="FF")),
        "NOT_APPROVED",
        {AE: "FAIL"},
        [("critical-failure", "blocker", AE, ("agent_events::a",))],
    ),
    (
        "harness-timeout-mid-run",
        run(
            suite(AE, a="P", b=""),
            run_errors=(RunError("timeout", "--max-duration 60 s reached"),),
        ),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [
            ("harness-timeout", "incomplete", None, ()),
            ("not-executed", "incomplete", AE, ("agent_events::b",)),
        ],
    ),
    (
        "suite-level-collection-error",
        run(
            suite(AE, a="P"),
            run_errors=(RunError("collection", "SyntaxError in test_x.py", AE),),
        ),
        "INCOMPLETE",
        {AE: "INCOMPLETE"},
        [("collection-error", "incomplete", AE, ())],
    ),
    (
        "crash-naming-a-test-no-suite-planned",
        run(
            suite(AE, a="P"),
            run_errors=(RunError("worker_crash", "node gw3 crashed", None, ("security::x",)),),
        ),
        "INCOMPLETE",
        {AE: "PASS"},
        [("worker-crash", "incomplete", None, ("security::x",))],
    ),
    (
        "no-suites-planned",
        run(),
        "INCOMPLETE",
        {},
        [("no-suites", "incomplete", None, ())],
    ),
    (
        "results-of-unplanned-tests-are-not-counted",
        run(
            suite(AE, a="P"),
            extra=(records.TestRecord("agent_events::ghost", AE),),
        ),
        "APPROVED",
        {AE: "PASS"},
        [("unplanned-result", "info", None, ("agent_events::ghost",))],
    ),
]


@pytest.mark.parametrize(
    ("record", "verdict", "suite_statuses", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(
    record: Any, verdict: str, suite_statuses: dict[str, str], expected: list[Any]
) -> None:
    """The verdict, every suite status and every reason (rule, severity, suite, evidence)."""
    policy = Policy(flaky={Criticality.MINOR: FlakyAction.INFO})
    result = judge(record, policy, today=TODAY)
    assert result.verdict.value == verdict
    assert result.exit_code == {"APPROVED": 0, "APPROVED_WITH_CONDITIONS": 0}.get(
        verdict, 1 if verdict == "NOT_APPROVED" else 2
    )
    assert statuses(result) == suite_statuses
    assert reasons(result) == expected


def test_counts_have_the_planned_tests_as_denominator() -> None:
    """planned = passed + failed + errors + skipped + not_run; flaky counts among passed."""
    record = run(suite(AE, a="P", b="F", c="E", d="S", e="", f="FP", g="EP", h="FE"))
    counts = judge(record, Policy(), today=TODAY).suites[0].counts()
    assert counts == {
        "planned": 8,
        "passed": 3,
        "failed": 2,
        "errors": 1,
        "skipped": 1,
        "not_run": 1,
        "flaky": 2,
        "waived": 0,
    }


def test_error_then_pass_is_listed_as_flaky_with_every_attempt() -> None:
    """An errored-then-passed test is flaky in its verdict and keeps both attempts."""
    test = judge(run(suite(AE, a="EP")), Policy(), today=TODAY).suites[0].tests[0]
    assert (test.outcome.value, test.flaky, test.failed_once) == ("passed", True, False)
    assert [a.outcome.value for a in test.attempts] == ["error", "passed"]
    message = judge(run(suite(AE, a="EP")), Policy(), today=TODAY).reasons[0].message
    assert message == (
        "1 of 1 planned tests in critical suite agent_events are flaky: "
        "errored, then passed on rerun"
    )


def test_crashed_worker_turns_a_recorded_pass_into_an_error() -> None:
    """A test named by a worker crash is an error even when a pass was recorded for it."""
    record = run(
        suite(AE, a="P"),
        run_errors=(RunError("worker_crash", "node gw0 crashed", None, ("agent_events::a",)),),
    )
    test = judge(record, Policy(), today=TODAY).suites[0].tests[0]
    assert test.outcome.value == "error"
    assert [a.outcome.value for a in test.attempts] == ["passed", "error"]
    assert test.attempts[-1].message == "worker_crash: node gw0 crashed"


def test_policy_criticality_overrides_the_manifest() -> None:
    """A suite declared minor but named critical in the policy fails as critical."""
    policy = Policy(criticality={MINOR: Criticality.CRITICAL})
    result = judge(run(suite(MINOR, "minor", a="F")), policy, today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert reasons(result) == [("critical-failure", "blocker", MINOR, ("docs_examples::a",))]
    assert result.suites[0].criticality is Criticality.CRITICAL


def test_reason_messages_name_counts_of_planned_tests() -> None:
    """The failure line says how many of the planned tests failed, in which suite."""
    result = judge(run(suite(AE, a="P", b="F", c="F", d="")), Policy(), today=TODAY)
    messages = {r.rule: r.message for r in result.reasons}
    assert (
        messages["critical-failure"] == "2 of 4 planned tests failed in critical suite agent_events"
    )
    assert messages["not-executed"] == (
        "1 of 4 planned tests in suite agent_events were never executed"
    )


@pytest.mark.parametrize(
    "planned",
    [("a", "b"), ()],
    ids=["collected-before-preflight", "not-collected"],
)
def test_early_exit_gives_a_full_incomplete_verdict(planned: tuple[str, ...]) -> None:
    """A failed preflight: every planned suite NOT_RUN, reasons name the cause."""
    suites = (
        suite(AE, **dict.fromkeys(planned, "")),
        suite(MR, "major", **dict.fromkeys(planned, "")),
    )
    error = RunError("preflight", "GET /health: connection refused")
    result = verdict_for_early_exit(run(*suites), error, Policy(), today=TODAY)
    assert result.verdict.value == "INCOMPLETE"
    assert result.exit_code == 2
    assert statuses(result) == {AE: "NOT_RUN", MR: "NOT_RUN"}
    rules = [(r.rule, r.suite) for r in result.reasons if r.rule != "no-baseline"]
    assert rules == [("preflight-failed", None), ("not-executed", AE), ("not-executed", MR)]
    assert result.reasons[0].message == "preflight: GET /health: connection refused"
    assert all(
        "connection refused" in r.message for r in result.reasons if r.rule == "not-executed"
    )


def test_early_exit_after_a_failure_is_not_approved() -> None:
    """An internal crash after a failure was observed still reports NOT_APPROVED."""
    error = RunError("internal", "KeyError in runner")
    result = verdict_for_early_exit(run(suite(AE, a="F", b="")), error, Policy(), today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert reasons(result) == [
        ("critical-failure", "blocker", AE, ("agent_events::a",)),
        ("harness-crash", "incomplete", None, ()),
        ("not-executed", "incomplete", AE, ("agent_events::b",)),
    ]
