"""End to end: the clean reference server is APPROVED, each defect is NOT_APPROVED in its suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RUN_DEADLINE_S, harness

# A whole run may take minutes on a loaded machine; each has its own deadline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

# PROTOCOL.md section 8: each defect and the suites that catch it.
CATALOGUE = [
    ("iso-timestamp-crash", ("staging_repro", "timestamp_core")),
    ("silent-timestamp-fallback", ("timestamp_core",)),
    ("naive-local-time", ("timestamp_core", "staging_repro")),
    ("drop-tool-completed", ("agent_events",)),
    ("reorder-events", ("agent_events",)),
    ("duplicate-thinking", ("agent_events",)),
    ("cross-user-leak", ("agent_events", "business_flow")),
    ("slow-first-event", ("agent_events",)),
    ("unknown-type-crash", ("message_routing",)),
    ("swallow-bad-json", ("message_routing",)),
    ("stats-drift", ("message_routing",)),
    ("history-lost-on-reconnect", ("business_flow",)),
    ("auth-bypass-header", ("security",)),
    ("error-leaks-secret", ("security",)),
    ("seq-per-user", ("agent_events",)),
    ("left-to-right-arithmetic", ("agent_events",)),
    ("fail-anywhere", ("agent_events",)),
    ("split-on-space", ("agent_events",)),
    ("float-final-response", ("agent_events",)),
    ("bare-number-expression", ("agent_events",)),
    ("round-fraction", ("timestamp_core", "staging_repro")),
    ("rejected-timestamp-starts-run", ("timestamp_core", "staging_repro")),
    ("agent-rejects-decimal-string", ("timestamp_core",)),
    ("unicode-digits", ("timestamp_core",)),
    ("iso-range-by-year", ("timestamp_core",)),
    ("auth-bypass-cookie", ("security",)),
    ("subprotocol-padding-required", ("security",)),
    ("offered-subprotocol-verified", ("security",)),
    ("error-leaks-exception", ("security",)),
    ("error-quotes-signatures", ("security",)),
    ("history-null-timestamp", ("business_flow",)),
    ("history-content-stripped", ("business_flow",)),
    ("start-agent-ignores-owner", ("business_flow",)),
    (
        "late-1011",
        ("agent_events", "business_flow", "message_routing", "staging_repro", "timestamp_core"),
    ),
    ("drop-without-close", ("message_routing", "staging_repro", "timestamp_core")),
    ("closed-connection-keeps-slot", ("message_routing",)),
    ("size-counts-characters", ("message_routing",)),
    ("connection-limit-off-by-one", ("message_routing",)),
    ("rate-limit-after-parse", ("message_routing",)),
    ("error-message-markup", ("message_routing",)),
    ("thread-check-before-payload", ("message_routing",)),
    ("shutdown-closes-1000", ("message_routing",)),
]
ALL_SUITES = {
    "agent_events",
    "business_flow",
    "load",
    "message_routing",
    "replays",
    "security",
    "staging_repro",
    "timestamp_core",
}


def test_clean_reference_server_is_approved(tmp_path: Path) -> None:
    run = harness("run", "-n", "2", "--quiet", out=tmp_path / "out")
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    assert run.verdict["exit_code"] == 0
    assert {s["name"]: s["status"] for s in run.verdict["suites"]} == dict.fromkeys(
        ALL_SUITES, "PASS"
    )
    for suite in run.verdict["suites"]:
        assert suite["planned"] > 0
        assert suite["passed"] == suite["planned"], suite["name"]
    latency = run.verdict["metrics"]["agent_started_latency_ms"]
    assert latency["count"] >= 30
    assert [b["status"] for b in latency["budgets"]] == ["met", "met"]
    assert run.stdout.startswith("APPROVED (exit 0)")
    for name in ("verdict.json", "report.md", "report.html", "junit.xml", "results.jsonl"):
        assert (run.out / name).is_file(), name


@pytest.mark.parametrize(("defect", "suites"), CATALOGUE, ids=[d for d, _ in CATALOGUE])
def test_each_defect_is_not_approved_in_the_suites_that_catch_it(
    tmp_path: Path, defect: str, suites: tuple[str, ...]
) -> None:
    # The suites the catalogue names are the proof; the clean run above covers the rest.
    selected = [arg for suite in suites for arg in ("--suite", suite)]
    run = harness("run", "--defect", defect, *selected, "-n", "2", "--quiet", out=tmp_path / "out")
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "NOT_APPROVED"
    assert run.verdict["target"]["defects"] == [defect]
    blocked = {r["suite"] for r in run.reasons("blocker")}
    for suite in suites:
        assert suite in blocked, f"{defect}: no blocker reason in {suite}: {run.reasons()}"
        assert run.suite(suite)["status"] == "FAIL"
    for reason in run.reasons("blocker"):
        assert reason["tests"] or reason["rule"].startswith("budget"), reason
    assert not run.reasons("incomplete"), run.reasons("incomplete")
    # --quiet: the verdict line only; what the target logs (its crashes) stays off the console.
    assert run.stdout.splitlines() == [run.stdout.strip()]
    assert run.stdout.startswith("NOT_APPROVED (exit 1)")
    assert run.stderr == ""
