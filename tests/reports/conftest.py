"""Literal verdict.json dicts (docs/VERDICT_JSON.md) that the report tests render."""

from __future__ import annotations

import copy
from typing import Any

import pytest

STAGING_FRAME = (
    '{"type": "start_agent", "message_id": "m-staging", '
    '"timestamp": "2025-09-08T16:50:01.447585", '
    '"payload": {"user_request": "What is 2+3?"}}'
)

LATENCY_SAMPLES = [
    8.1, 9.4, 10.2, 10.9, 11.3, 11.8, 12.0, 12.4, 12.9, 13.1,
    13.6, 14.0, 14.2, 14.9, 15.3, 15.8, 16.4, 17.0, 17.7, 18.1,
    19.2, 20.5, 21.0, 22.8, 24.1, 25.0, 27.3, 31.9, 38.0, 40.1,
]  # fmt: skip


ISO_NAIVE = "timestamp_core::test_wire::test_accepted[iso-naive]"
EPOCH_FLOAT = "timestamp_core::test_wire::test_accepted[epoch-float]"
MILLIS = "timestamp_core::test_wire::test_rejected[millis-epoch]"
CONVERTER = "timestamp_core::test_converter::test_converter_exact[iso-naive]"
STARTED = "agent_events::test_order::test_agent_started_first"
TOOL_ORDER = "agent_events::test_order::test_tool_completed_follows_tool_executing"
THINKING = "agent_events::test_schema::test_agent_thinking_schema"
ORIGINAL = "staging_repro::test_staging::test_original_frame"
ZULU = "staging_repro::test_staging::test_variant[zulu]"
PING = "message_routing::test_types::test_ping"
COUNTED = "message_routing::test_stats::test_ping_counted"
FORGED = "security::test_tokens::test_forged_token_rejected"
EXPIRED = "security::test_tokens::test_expired_token_rejected"
NO_CONVERTER = "no timestamp converter under test (pass --converter MODULE:FUNCTION)"


NAIVE_VALUES = {
    "test": ISO_NAIVE,
    "sent": '"2025-09-08T16:50:01.447585"',
    "expected": "1757350201.447585",
    "observed": "1757350201.447585",
}


def _rule(
    rule_id: str,
    text: str,
    status: str,
    tests: list[str],
    reason: str | None = None,
    *evidence: dict[str, Any],
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "section": int(rule_id[0]),
        "text": text,
        "status": status,
        "tests": tests,
    }
    if reason is not None:
        rule["reason"] = reason
    if evidence:
        rule["evidence"] = list(evidence)
    return rule


def _passed(test_id: str, duration: float) -> dict[str, Any]:
    return {
        "id": test_id,
        "outcome": "passed",
        "duration_s": duration,
        "message": "",
        "flaky": False,
        "waiver": None,
        "attempts": [{"outcome": "passed", "duration_s": duration, "message": ""}],
    }


SAMPLE_VERDICT: dict[str, Any] = {
    "schema": "stability-harness/verdict@1",
    "verdict": "NOT_APPROVED",
    "exit_code": 1,
    "run_id": "20261125T204000Z-1a2b3c",
    "started_at": "2026-11-25T20:40:00.123456Z",
    "finished_at": "2026-11-25T20:40:12.654321Z",
    "duration_s": 12.53,
    "harness_version": "0.1.0",
    "target": {
        "url": "ws://127.0.0.1:40123/ws",
        "kind": "embedded",
        "defects": ["iso-timestamp-crash", "drop-tool-completed"],
    },
    "policy": {
        "source": "built-in default",
        "rollback_plan": [
            "Revert the deploy to the last approved release.",
            "Watch WebSocket close codes: any 1011 means the handler crashed.",
        ],
        "success_indicators": [
            "No WebSocket 1011 closes in the logs.",
            "Agent events reach users within the p95 budget.",
        ],
    },
    "environment": {
        "python": "3.11.7",
        "platform": "Linux-6.1-x86_64",
        "workers": 2,
        "reruns": 1,
        "hostname": "ci-1",
    },
    "summary": {
        "planned": 12,
        "passed": 7,
        "failed": 3,
        "errors": 1,
        "skipped": 0,
        "not_run": 1,
        "flaky": 1,
        "waived": 1,
    },
    "suites": [
        {
            "name": "timestamp_core",
            "title": "Timestamp conversion core",
            "criticality": "critical",
            "description": "Every timestamp class of PROTOCOL.md section 5.",
            "status": "PASS",
            "planned": 3,
            "passed": 3,
            "failed": 0,
            "errors": 0,
            "skipped": 0,
            "not_run": 0,
            "flaky": 0,
            "waived": 0,
            "load_error": None,
            "tests": [
                _passed("timestamp_core::test_wire::test_accepted[iso-naive]", 0.021),
                _passed("timestamp_core::test_wire::test_accepted[epoch-float]", 0.019),
                _passed("timestamp_core::test_wire::test_rejected[millis-epoch]", 0.018),
            ],
        },
        {
            "name": "agent_events",
            "title": "WebSocket agent events",
            "criticality": "critical",
            "description": "The five business events and their ordering.",
            "status": "FAIL",
            "planned": 3,
            "passed": 2,
            "failed": 1,
            "errors": 0,
            "skipped": 0,
            "not_run": 0,
            "flaky": 0,
            "waived": 0,
            "load_error": None,
            "tests": [
                _passed("agent_events::test_order::test_agent_started_first", 0.112),
                {
                    "id": "agent_events::test_order::test_tool_completed_follows_tool_executing",
                    "outcome": "failed",
                    "duration_s": 10.004,
                    "message": "tool_completed for call c-1: expected 1 frame, observed 0 | "
                    "run ended without it",
                    "flaky": False,
                    "waiver": None,
                    "attempts": [
                        {
                            "outcome": "failed",
                            "duration_s": 10.001,
                            "message": "tool_completed for call c-1: expected 1 frame, "
                            "observed 0 | run ended without it",
                        },
                        {
                            "outcome": "failed",
                            "duration_s": 10.004,
                            "message": "tool_completed for call c-1: expected 1 frame, "
                            "observed 0 | run ended without it",
                        },
                    ],
                    "transcript": [
                        {
                            "dir": "open",
                            "t": 0.0,
                            "type": None,
                            "size": 0,
                            "close_code": None,
                            "data": "",
                        },
                        {
                            "dir": "send",
                            "t": 0.0012,
                            "type": "user_message",
                            "size": 86,
                            "close_code": None,
                            "data": '{"type": "user_message", "message_id": "m-1", '
                            '"payload": {"content": "What is 2+3?"}}',
                        },
                        {
                            "dir": "recv",
                            "t": 0.0031,
                            "type": "tool_executing",
                            "size": 201,
                            "close_code": None,
                            "data": '{"type": "tool_executing", "seq": 4}',
                        },
                    ],
                },
                _passed("agent_events::test_schema::test_agent_thinking_schema", 0.087),
            ],
        },
        {
            "name": "staging_repro",
            "title": "Staging error case",
            "criticality": "critical",
            "description": "The original staging frame and its variants.",
            "status": "FAIL",
            "planned": 2,
            "passed": 1,
            "failed": 1,
            "errors": 0,
            "skipped": 0,
            "not_run": 0,
            "flaky": 0,
            "waived": 0,
            "load_error": None,
            "tests": [
                {
                    "id": "staging_repro::test_staging::test_original_frame",
                    "outcome": "failed",
                    "duration_s": 0.034,
                    "message": "close code: expected None, observed 1011",
                    "flaky": False,
                    "waiver": None,
                    "attempts": [
                        {
                            "outcome": "failed",
                            "duration_s": 0.034,
                            "message": "close code: expected None, observed 1011",
                        }
                    ],
                    "transcript": [
                        {
                            "dir": "open",
                            "t": 0.0,
                            "type": None,
                            "size": 0,
                            "close_code": None,
                            "data": "",
                        },
                        {
                            "dir": "recv",
                            "t": 0.0009,
                            "type": "connection_established",
                            "size": 190,
                            "close_code": None,
                            "data": '{"type": "connection_established", "seq": 1}',
                        },
                        {
                            "dir": "send",
                            "t": 0.0015,
                            "type": "start_agent",
                            "size": 142,
                            "close_code": None,
                            "data": STAGING_FRAME,
                        },
                        {
                            "dir": "close",
                            "t": 0.0027,
                            "type": None,
                            "size": 0,
                            "close_code": 1011,
                            "data": "",
                        },
                    ],
                },
                _passed("staging_repro::test_staging::test_variant[zulu]", 0.029),
            ],
        },
        {
            "name": "message_routing",
            "title": "Message routing",
            "criticality": "major",
            "description": "Handled types, malformed frames, limits, stats.",
            "status": "PASS_WITH_CONDITIONS",
            "planned": 2,
            "passed": 1,
            "failed": 1,
            "errors": 0,
            "skipped": 0,
            "not_run": 0,
            "flaky": 1,
            "waived": 1,
            "load_error": None,
            "tests": [
                {
                    "id": "message_routing::test_types::test_ping",
                    "outcome": "passed",
                    "duration_s": 0.011,
                    "message": "",
                    "flaky": True,
                    "waiver": None,
                    "attempts": [
                        {
                            "outcome": "failed",
                            "duration_s": 5.002,
                            "message": "pong: no reply within 5.0 s",
                        },
                        {"outcome": "passed", "duration_s": 0.011, "message": ""},
                    ],
                    "transcript": [
                        {
                            "dir": "send",
                            "t": 0.001,
                            "type": "ping",
                            "size": 38,
                            "close_code": None,
                            "data": '{"type": "ping", "message_id": "m-7"}',
                        }
                    ],
                },
                {
                    "id": "message_routing::test_stats::test_ping_counted",
                    "outcome": "failed",
                    "duration_s": 0.052,
                    "message": "messages_routed: expected 3, observed 2",
                    "flaky": False,
                    "waiver": {
                        "pattern": "message_routing::test_stats::*",
                        "reason": "stats counters move to the new store",
                        "owner": "platform-team",
                        "ticket": "OPS-1234",
                        "expires": "2026-12-31",
                        "approver": None,
                        "expired": False,
                    },
                    "attempts": [
                        {
                            "outcome": "failed",
                            "duration_s": 0.052,
                            "message": "messages_routed: expected 3, observed 2",
                        }
                    ],
                    "transcript": [],
                },
            ],
        },
        {
            "name": "security",
            "title": "Security",
            "criticality": "critical",
            "description": "Token transports and secrets.",
            "status": "INCOMPLETE",
            "planned": 2,
            "passed": 0,
            "failed": 0,
            "errors": 1,
            "skipped": 0,
            "not_run": 1,
            "flaky": 0,
            "waived": 0,
            "load_error": None,
            "tests": [
                {
                    "id": "security::test_tokens::test_forged_token_rejected",
                    "outcome": "error",
                    "duration_s": 0.004,
                    "message": "CapabilityMissing: mint_tokens needs the target's secret",
                    "flaky": False,
                    "waiver": None,
                    "attempts": [
                        {
                            "outcome": "error",
                            "duration_s": 0.004,
                            "message": "CapabilityMissing: mint_tokens needs the target's secret",
                        }
                    ],
                    "transcript": [],
                },
                {
                    "id": "security::test_tokens::test_expired_token_rejected",
                    "outcome": "not_run",
                    "duration_s": 0,
                    "message": "",
                    "flaky": False,
                    "waiver": None,
                    "attempts": [],
                },
            ],
        },
    ],
    "reasons": [
        {
            "rule": "critical-failure",
            "severity": "blocker",
            "suite": "agent_events",
            "message": "1 of 3 planned tests failed in critical suite agent_events",
            "tests": ["agent_events::test_order::test_tool_completed_follows_tool_executing"],
        },
        {
            "rule": "critical-failure",
            "severity": "blocker",
            "suite": "staging_repro",
            "message": "1 of 2 planned tests failed in critical suite staging_repro",
            "tests": ["staging_repro::test_staging::test_original_frame"],
        },
        {
            "rule": "harness-error",
            "severity": "incomplete",
            "suite": "security",
            "message": "1 of 2 planned tests errored and 1 did not run in critical suite security",
            "tests": [
                "security::test_tokens::test_forged_token_rejected",
                "security::test_tokens::test_expired_token_rejected",
            ],
        },
        {
            "rule": "waived-failure",
            "severity": "condition",
            "suite": "message_routing",
            "message": "failure waived until 2026-12-31 (OPS-1234, platform-team)",
            "tests": ["message_routing::test_stats::test_ping_counted"],
        },
        {
            "rule": "flaky-test",
            "severity": "condition",
            "suite": "message_routing",
            "message": "1 test failed, then passed on rerun",
            "tests": ["message_routing::test_types::test_ping"],
        },
    ],
    "metrics": {
        "agent_started_latency_ms": {
            "value": 38.0,
            "unit": "ms",
            "suite": "agent_events",
            "count": 30,
            "samples": LATENCY_SAMPLES,
            "min": 8.1,
            "max": 40.1,
            "mean": 17.97,
            "p50": 15.3,
            "p95": 38.0,
            "p99": 40.1,
            "budgets": [
                {
                    "statistic": "p95",
                    "limit": 50.0,
                    "unit": "ms",
                    "min_samples": 30,
                    "observed": 38.0,
                    "status": "met",
                }
            ],
        },
        "timestamp_conversion_us": {
            "value": 4.2,
            "unit": "us",
            "suite": "timestamp_core",
            "count": 200,
            "samples": [3.1, 3.4, 3.9, 4.2, 4.4],
            "min": 2.9,
            "max": 11.8,
            "mean": 3.7,
            "p50": 3.5,
            "p95": 4.2,
            "p99": 9.9,
            "budgets": [
                {
                    "statistic": "p95",
                    "limit": 1000.0,
                    "unit": "us",
                    "min_samples": 100,
                    "observed": 4.2,
                    "status": "met",
                }
            ],
        },
        "roundtrip_ms": {
            "value": 2.5,
            "unit": "ms",
            "suite": "message_routing",
            "count": 3,
            "samples": [2.1, 2.5, 3.0],
            "min": 2.1,
            "max": 3.0,
            "mean": 2.53,
            "p50": 2.5,
            "p95": 3.0,
            "p99": 3.0,
            "budgets": [],
        },
    },
    "baseline": None,
    "run_errors": [],
    "rule_summary": {
        "verified": 8,
        "violated": 5,
        "not_verified": 3,
        "not_applicable": 1,
        "total": 17,
    },
    "rule_sections": {
        "1": "Transport and authentication",
        "2": "Client to server frames",
        "3": "Server to client frames",
        "4": "Agent runs",
        "5": "Timestamps",
        "6": "Errors, limits and close codes",
        "7": "Stats",
    },
    "rules": [
        _rule(
            "1.auth.refuse.wrong-signature",
            "A token signed with another secret is refused: one error frame AUTH_FAILED, "
            "then close 1008.",
            "not_verified",
            [FORGED],
            f"1 of 1 tests did not pass: {FORGED} (error: CapabilityMissing: mint_tokens needs "
            "the target's secret)",
        ),
        _rule(
            "1.auth.refuse.expired",
            "A token whose exp is in the past is refused: one error frame AUTH_FAILED, "
            "then close 1008.",
            "not_verified",
            [EXPIRED],
            f"1 of 1 tests did not pass: {EXPIRED} (not run)",
        ),
        _rule(
            "2.type.ping",
            "A ping gets a pong as its direct reply, whatever fields its payload object holds.",
            "violated",
            [PING],
            f"failed in {PING}",
        ),
        _rule(
            "3.common.type",
            "Every server frame has a type field holding a non-empty string.",
            "verified",
            [ISO_NAIVE, EPOCH_FLOAT],
        ),
        _rule(
            "4.data.agent-thinking.reasoning",
            "agent_thinking.data.reasoning is a non-empty string.",
            "verified",
            [THINKING],
        ),
        _rule(
            "4.data.agent-completed.status",
            'agent_completed.data.status is the string "completed".',
            "not_verified",
            [],
            "no test of the selected suites names it",
        ),
        _rule(
            "4.order.started-first",
            "agent_started is the first event of every run.",
            "verified",
            [STARTED],
        ),
        _rule(
            "4.order.thinking-before-tool",
            "At least one agent_thinking precedes the first tool_executing of a run.",
            "verified",
            [STARTED],
        ),
        _rule(
            "4.order.tool-completed-follows",
            "Every tool_executing is followed, before the run's terminal event, by a "
            "tool_completed with the same tool_name.",
            "violated",
            [TOOL_ORDER],
            f"failed in {TOOL_ORDER}",
        ),
        _rule(
            "5.general.microsecond-exact",
            "The normalised value equals the expected one exactly at microsecond resolution "
            "(integer microseconds, digits beyond the sixth truncated).",
            "not_applicable",
            [CONVERTER],
            NO_CONVERTER,
        ),
        _rule(
            "5.general.accepted-on-start-agent",
            "A start_agent with an accepted timestamp is processed and its ack carries the "
            'normalised value ("2025-09-08T16:50:01.447585-05:00" gives 1757368201.447585).',
            "violated",
            [ORIGINAL],
            f"failed in {ORIGINAL}",
            {
                "test": ORIGINAL,
                "sent": '"2025-09-08T16:50:01.447585"',
                "expected": "1757350201.447585",
                "observed": "close 1011",
            },
        ),
        _rule(
            "5.accepted.number",
            "A finite JSON number timestamp is accepted as is "
            "(1693567801.447585 gives 1693567801.447585).",
            "verified",
            [EPOCH_FLOAT],
            None,
            {
                "test": EPOCH_FLOAT,
                "sent": "1693567801.447585",
                "expected": "1693567801.447585",
                "observed": "1693567801.447585",
            },
        ),
        _rule(
            "5.accepted.iso-z",
            'An RFC 3339 string with zone Z is accepted ("2025-09-08T16:50:01.447585Z" '
            "gives 1757350201.447585).",
            "verified",
            [ZULU],
            None,
            {
                "test": ZULU,
                "sent": '"2025-09-08T16:50:01.447585Z"',
                "expected": "1757350201.447585",
                "observed": "1757350201.447585",
            },
        ),
        _rule(
            "5.accepted.iso-zoneless-utc",
            'An ISO string without a zone is read as UTC ("2025-09-08T16:50:01.447585" '
            "gives 1757350201.447585).",
            "verified",
            [ISO_NAIVE],
            None,
            # Checked in a ping and in a user_message: the same row, shown once.
            NAIVE_VALUES,
            NAIVE_VALUES,
        ),
        _rule(
            "5.rejected.millisecond-epoch",
            "A millisecond epoch (1757350201447) is rejected with INVALID_TIMESTAMP, never "
            "guessed as milliseconds.",
            "verified",
            [MILLIS],
            None,
            {
                "test": MILLIS,
                "sent": 1757350201447,
                "expected": "INVALID_TIMESTAMP",
                "observed": "INVALID_TIMESTAMP",
            },
        ),
        _rule(
            "6.close.never-1011",
            "No connection is ever closed with code 1011 (internal error) during a "
            "verification run, whatever the client sends.",
            "violated",
            [ORIGINAL],
            f"failed in {ORIGINAL}",
            {
                "test": ORIGINAL,
                "sent": '"2025-09-08T16:50:01.447585"',
                "expected": "no close 1011",
                "observed": "close 1011",
            },
        ),
        _rule(
            "7.stats.messages-routed",
            "stats.messages_routed counts every client text frame of the user that parsed as JSON.",
            "violated",
            [COUNTED],
            f"failed in {COUNTED}",
        ),
    ],
    "not_applicable": [
        {
            "id": CONVERTER,
            "suite": "timestamp_core",
            "reason": NO_CONVERTER,
            "rules": ["5.general.microsecond-exact"],
        }
    ],
}


RETIRED = "staging_repro::test_staging::test_retired"


def compared(verdict: dict[str, Any]) -> dict[str, Any]:
    """Return the sample verdict compared with a baseline: one test of each transition, a
    significant latency change, a roundtrip change that is noise and one with no samples."""
    verdict["baseline"] = {
        "source": "history run 20261124T101500Z-0a0b0c",
        "regressions": [ORIGINAL],
        "fixed": [ZULU],
        "not_planned": [RETIRED],
        "still_failing": [TOOL_ORDER, COUNTED],
        "new": [PING],
        "removed": [RETIRED],
        "metric_changes": {
            "agent_started_latency_ms": {
                "before": 30.0,
                "after": 38.0,
                "change_pct": 26.67,
                "before_median": 29.5,
                "after_median": 37.2,
                "before_count": 30,
                "after_count": 30,
                "p_value": 0.000312,
                "effect": 0.261,
                "significant": True,
                "budgeted": True,
                "severity": "condition",
            },
            "roundtrip_ms": {
                "before": 4.0,
                "after": 4.2,
                "change_pct": 5.0,
                "before_median": 4.0,
                "after_median": 4.1,
                "before_count": 12,
                "after_count": 14,
                "p_value": 0.41,
                "effect": 0.025,
                "significant": False,
                "budgeted": False,
                "severity": None,
            },
            "timestamp_conversion_us": {"before": 210.0, "after": 200.0, "change_pct": -4.76},
        },
    }
    verdict["baseline_refused"] = None
    return verdict


def sample_verdict() -> dict[str, Any]:
    """A fresh deep copy of the NOT_APPROVED sample verdict."""
    return copy.deepcopy(SAMPLE_VERDICT)


@pytest.fixture
def verdict() -> dict[str, Any]:
    """The sample verdict: failures, a flaky test, a waiver, budgets and transcripts."""
    return sample_verdict()
