"""The verdict.json document keeps to docs/VERDICT_JSON.md."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from harness.verdict import judge, verdict_for_early_exit
from harness.verdict.policy import Budget, Policy, Statistic, Waiver
from harness.verdict.policy_file import load_policy
from harness.verdict.records import Attempt, Outcome, RunError

from .runbuilder import FRAMES, TODAY, metric, run, suite, with_attempts

AE = "agent_events"
MR = "message_routing"
WAIVER = Waiver("message_routing::b", "lag", "routing-team", "CHAT-7", dt.date(2026, 12, 31))
BUDGET = Budget("agent_started_latency_ms", Statistic.P95, 500.0, "ms", 3, True, AE)


def document() -> dict[str, Any]:
    record = run(
        suite(AE, a="P", b="FP", c="E"),
        suite(MR, "major", a="P", b="F", c=""),
        metrics=(metric("agent_started_latency_ms", "ms", AE, 30.0, 10.0, 20.0, 40.0),),
    )
    policy = Policy(source="policy.toml", waivers=(WAIVER,), budgets=(BUDGET,))
    return json.loads(json.dumps(judge(record, policy, today=TODAY).to_json()))


def test_top_level_keys_and_run_facts() -> None:
    """Every stable key is present with the run's values."""
    doc = document()
    assert set(doc) >= {
        "schema", "verdict", "exit_code", "run_id", "started_at", "finished_at", "duration_s",
        "harness_version", "target", "policy", "environment", "summary", "suites", "reasons",
        "metrics", "baseline", "run_errors",
    }  # fmt: skip
    assert doc["schema"] == "stability-harness/verdict@1"
    assert (doc["verdict"], doc["exit_code"]) == ("NOT_APPROVED", 1)
    assert doc["duration_s"] == 12.5
    assert doc["target"] == {
        "url": "ws://127.0.0.1:40123/ws",
        "kind": "embedded",
        "defects": ["iso-timestamp-crash"],
    }
    assert doc["policy"] == {"source": "policy.toml", "rollback_plan": [], "success_indicators": []}
    assert doc["environment"] == {"python": "3.11.7", "workers": 2, "reruns": 1}
    assert doc["summary"] == {
        "planned": 6, "passed": 3, "failed": 1, "errors": 1, "skipped": 0, "not_run": 1,
        "flaky": 1, "waived": 1,
    }  # fmt: skip
    assert doc["baseline"] is None
    assert doc["run_errors"] == []


def test_suites_and_tests() -> None:
    """Suite counts and statuses; tests carry attempts, flakiness, waivers and transcripts."""
    suites = {s["name"]: s for s in document()["suites"]}
    assert suites[AE]["status"] == "FAIL"
    assert suites[MR]["status"] == "INCOMPLETE"
    assert {k: suites[MR][k] for k in ("planned", "passed", "failed", "not_run", "waived")} == {
        "planned": 3, "passed": 1, "failed": 1, "not_run": 1, "waived": 1,
    }  # fmt: skip
    tests = {t["id"]: t for s in suites.values() for t in s["tests"]}
    assert "transcript" not in tests["agent_events::a"]
    assert "transcript" not in tests["message_routing::c"]
    flaky = tests["agent_events::b"]
    assert (flaky["outcome"], flaky["flaky"], flaky["message"]) == ("passed", True, "")
    assert flaky["attempts"] == [
        {"outcome": "failed", "duration_s": 0.25, "message": "expected ack, observed error"},
        {"outcome": "passed", "duration_s": 0.25, "message": ""},
    ]
    assert flaky["transcript"] == [dict(frame) for frame in FRAMES]
    assert tests["agent_events::c"]["transcript"] == [dict(frame) for frame in FRAMES]
    assert tests["message_routing::c"] | {"attempts": None} == {
        "id": "message_routing::c", "outcome": "not_run", "duration_s": 0.0, "message": "",
        "flaky": False, "waiver": None, "attempts": None,
    }  # fmt: skip
    assert tests["message_routing::b"]["waiver"] == {
        "pattern": "message_routing::b", "reason": "lag", "owner": "routing-team",
        "ticket": "CHAT-7", "expires": "2026-12-31", "approver": None, "expired": False,
        "applied": True,
    }  # fmt: skip


def test_reasons_and_metrics() -> None:
    """Reasons carry rule, severity, suite, message and tests; metrics their statistics."""
    doc = document()
    assert [(r["rule"], r["severity"], r["suite"]) for r in doc["reasons"]] == [
        ("flaky", "blocker", AE),
        ("harness-error", "incomplete", AE),
        ("not-executed", "incomplete", MR),
        ("waived", "condition", MR),
        ("no-baseline", "info", None),
    ]
    assert doc["metrics"] == {
        "agent_started_latency_ms": {
            "value": 40.0, "unit": "ms", "suite": AE, "count": 4,
            "samples": [30.0, 10.0, 20.0, 40.0], "min": 10.0, "max": 40.0, "mean": 25.0,
            "p50": 20.0, "p90": 40.0, "p95": 40.0, "p99": 40.0,
            "tests": ["agent_events::latency"],
            "budgets": [
                {"statistic": "p95", "limit": 500.0, "unit": "ms", "min_samples": 3,
                 "required": True, "observed": 40.0, "count": 4, "status": "met"},
            ],
        }
    }  # fmt: skip


def test_early_exit_document() -> None:
    """A run stopped by a failed preflight still writes a full INCOMPLETE document."""
    record = run(suite(AE), suite(MR, "major"))
    error = RunError("preflight", "GET /health: connection refused")
    doc = verdict_for_early_exit(record, error, load_policy(None), today=TODAY).to_json()
    assert (doc["verdict"], doc["exit_code"]) == ("INCOMPLETE", 2)
    assert [(s["name"], s["status"]) for s in doc["suites"]] == [(AE, "NOT_RUN"), (MR, "NOT_RUN")]
    assert doc["run_errors"] == [
        {
            "cause": "preflight",
            "message": "GET /health: connection refused",
            "suite": None,
            "tests": [],
        }
    ]
    assert doc["reasons"][0]["rule"] == "preflight-failed"
    assert doc["policy"]["rollback_plan"]
    json.dumps(doc)


def test_an_attempt_from_a_known_cause_carries_its_key() -> None:
    """An attempt that failed from a cause met first by another test says which, as a field."""
    spec = suite(AE, a="", b="")
    spec = with_attempts(spec, "a", Attempt(Outcome.FAILED, 0.5, "no pong within 10 s"))
    spec = with_attempts(
        spec, "b", Attempt(Outcome.FAILED, 0.5, "same cause as ...", cause_key="reply:ping")
    )
    cause = {"key": "reply:ping", "test": "agent_events::a", "message": "no pong within 10 s"}
    doc = json.loads(json.dumps(judge(run(spec, causes=(cause,)), Policy(), today=TODAY).to_json()))
    tests = {t["id"]: t["attempts"] for t in doc["suites"][0]["tests"]}
    assert tests == {
        "agent_events::a": [
            {"outcome": "failed", "duration_s": 0.5, "message": "no pong within 10 s"}
        ],
        "agent_events::b": [
            {
                "outcome": "failed",
                "duration_s": 0.5,
                "message": "same cause as ...",
                "cause_key": "reply:ping",
            }
        ],
    }
