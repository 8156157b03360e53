"""Baselines: regressions and fixes named as such, "no baseline" said as such, file errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.history.diff import diff_main
from harness.verdict import judge
from harness.verdict.baseline import load_baseline
from harness.verdict.policy import Budget, Policy, Statistic
from harness.verdict.records import Baseline

from .runbuilder import TODAY, metric, reasons, run, suite

AE = "agent_events"
MR = "message_routing"
MINOR = "docs_examples"
BASE = Baseline(
    source="reports/previous/verdict.json",
    outcomes={
        "agent_events::a": "passed",
        "agent_events::b": "failed",
        "agent_events::gone": "passed",
        "message_routing::a": "passed",
        "docs_examples::a": "passed",
        "security::x": "passed",
    },
    metrics={"agent_started_latency_ms": 10.0, "frame_bytes": 0.0},
)


def test_regressions_and_fixes_are_named() -> None:
    """a passed there and fails now: a regression; b failed there and passes now: fixed."""
    record = run(suite(AE, a="F", b="P"), suite(MR, "major", a="P"), baseline=BASE)
    result = judge(record, Policy(), today=TODAY)
    assert result.verdict.value == "NOT_APPROVED"
    assert reasons(result) == [
        ("critical-failure", "blocker", AE, ("agent_events::a",)),
        ("regression", "blocker", AE, ("agent_events::a",)),
        ("fixed", "info", AE, ("agent_events::b",)),
        ("not-planned", "info", None, ("agent_events::gone",)),
    ]
    assert result.baseline is not None
    assert result.baseline.regressions == ("agent_events::a",)
    assert result.baseline.fixed == ("agent_events::b",)
    assert [r.message for r in result.reasons if r.rule == "regression"] == [
        "1 tests in suite agent_events passed in the baseline "
        "(reports/previous/verdict.json) and fail now"
    ]


def test_a_regression_in_a_minor_suite_keeps_the_weight_of_its_failure() -> None:
    """A minor suite's regression is listed as a condition, like its failure."""
    result = judge(run(suite(MINOR, "minor", a="F"), baseline=BASE), Policy(), today=TODAY)
    assert result.verdict.value == "APPROVED_WITH_CONDITIONS"
    assert ("regression", "condition", MINOR, ("docs_examples::a",)) in reasons(result)


def test_an_error_now_is_not_called_a_regression() -> None:
    """A test that errors could not be judged: not a regression, INCOMPLETE."""
    result = judge(run(suite(AE, a="E", b="F"), baseline=BASE), Policy(), today=TODAY)
    assert result.baseline is not None
    assert result.baseline.regressions == ()


def test_no_baseline_is_reported_as_no_baseline() -> None:
    """Without a baseline: a 'no-baseline' info line, never 'no regressions'."""
    result = judge(run(suite(AE, a="P")), Policy(), today=TODAY)
    assert result.baseline is None
    assert [(r.rule, r.severity.value, r.message) for r in result.reasons] == [
        (
            "no-baseline",
            "info",
            "no baseline: regressions were not assessed (compare with --baseline FILE)",
        )
    ]
    document = result.to_json()
    assert document["baseline"] is None
    assert "no regressions" not in json.dumps(document)


def test_metric_changes() -> None:
    """before 10 ms, after 12.5 ms: +25 %; a before of 0 has no percentage."""
    budget = Budget("agent_started_latency_ms", Statistic.P50, 250.0, "ms", 1, True, AE)
    record = run(
        suite(AE, a="P"),
        metrics=(
            metric("agent_started_latency_ms", "ms", AE, 12.5),
            metric("frame_bytes", "B", AE, 3.0),
        ),
        baseline=BASE,
    )
    result = judge(record, Policy(budgets=(budget,)), today=TODAY)
    assert result.to_json()["baseline"]["metric_changes"] == {
        # A budgeted metric that grew, but with no samples to test: no condition.
        "agent_started_latency_ms": {
            "before": 10.0,
            "after": 12.5,
            "change_pct": 25.0,
            "budgeted": True,
            "severity": None,
        },
        "frame_bytes": {
            "before": 0.0,
            "after": 3.0,
            "change_pct": None,
            "budgeted": False,
            "severity": None,
        },
    }


def test_load_baseline_reads_an_earlier_verdict_json(tmp_path: Path) -> None:
    """The final outcome of every test and the value of every metric."""
    record = run(
        suite(AE, a="P", b="F", c=""),
        metrics=(metric("agent_started_latency_ms", "ms", AE, 20.0, 10.0, 30.0),),
    )
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(judge(record, Policy(), today=TODAY).to_json()))
    baseline = load_baseline(path)
    assert baseline.source == str(path)
    assert baseline.outcomes == {
        "agent_events::a": "passed",
        "agent_events::b": "failed",
        "agent_events::c": "not_run",
    }
    assert baseline.metrics == {"agent_started_latency_ms": 20.0}


BAD = [
    ("not-json", "{", "the baseline is not valid JSON: "),
    ("array", "[]", "(top level): must be a JSON object"),
    ("wrong-schema", '{"schema": "other@2", "suites": []}', "schema: is 'other@2'"),
    ("no-suites", '{"schema": "stability-harness/verdict@1"}', "suites: must be an array"),
    (
        "test-without-outcome",
        '{"schema": "stability-harness/verdict@1", "suites": [{"tests": [{"id": "a"}]}]}',
        "suites[0].tests[0]: must have string 'id' and 'outcome'",
    ),
    (
        "metric-value-not-a-number",
        '{"schema": "stability-harness/verdict@1", "suites": [], "metrics": {"m": {"value": "1"}}}',
        "metrics.m.value: must be a number or null, got '1'",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_baseline_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    """ConfigError naming the file and what is wrong, on one line."""
    path = tmp_path / "old.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_baseline(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_missing_baseline_file(tmp_path: Path) -> None:
    """A missing file is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="cannot read the baseline"):
        load_baseline(tmp_path / "absent.json")


def test_diff_main_prints_regressions_and_returns_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """diff BASE NEW: one line per fact; exit 1 when there is a regression."""
    before = run(suite(AE, a="P", b="F"), metrics=(metric("m_ms", "ms", AE, 10.0),))
    after = run(suite(AE, a="F", b="P"), metrics=(metric("m_ms", "ms", AE, 15.0),))
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(judge(before, Policy(), today=TODAY).to_json()))
    new.write_text(json.dumps(judge(after, Policy(), today=TODAY).to_json()))
    history = tmp_path / "h.sqlite"
    assert diff_main(str(base), str(new), history=history, policy=None, fmt="plain") == 1
    assert capsys.readouterr().out.splitlines() == [
        f"baseline: {base}",
        f"compared: {new}",
        "regression (passed there, fail now): 1",
        "  agent_events::a",
        "fixed (failed there, pass now): 1",
        "  agent_events::b",
        "still failing (failed there and now): 0",
        "new (not in the baseline): 0",
        "removed (no longer planned): 0",
        "metric changes: 1",
        "  m_ms: 10 -> 15 (+50.00%); median 10 -> 15, samples 1 -> 1, p = 1: not significant",
    ]
    assert diff_main(str(new), str(new), history=history, policy=None, fmt="plain") == 0
