"""Verdicts at the edges (approved, incomplete, unmeasured) render honestly in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from harness.report.render import render_all, render_markdown, render_step_summary


def _approved(verdict: dict[str, Any]) -> dict[str, Any]:
    verdict["verdict"] = "APPROVED"
    verdict["exit_code"] = 0
    verdict["suites"] = [verdict["suites"][0]]
    verdict["summary"] = {
        "planned": 3,
        "passed": 3,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "not_run": 0,
        "flaky": 0,
        "waived": 0,
    }
    verdict["reasons"] = []
    # The rules of the one suite left, and the converter rule left out of the plan.
    verdict["rules"] = [
        r
        for r in verdict["rules"]
        if r["status"] == "not_applicable"
        or (r["tests"] and all(t.startswith("timestamp_core::") for t in r["tests"]))
    ]
    verdict["rule_summary"] = {
        "verified": 4,
        "violated": 0,
        "not_verified": 0,
        "not_applicable": 1,
        "total": 5,
    }
    return verdict


def test_approved_run_says_so_and_lists_missing_evidence(verdict: dict[str, Any]) -> None:
    """APPROVED renders its pass marks, and still says which suites were not in the run."""
    texts = render_all(_approved(verdict))
    md = texts["md"]
    assert "### ✅ Verdict: **APPROVED** (exit 0)" in md
    assert "| Timestamp conversion core (`timestamp_core`, critical) | ✅ PASS | 3/3 |" in md
    assert "No reason lines: nothing to fix or track." in md
    assert (
        "Suite `staging_repro` was not in this run: the staging error case was not verified." in md
    )
    assert "### agent_started: ⚠️ no rule names this event" in md
    assert "### 5. Timestamps: 3 of 4 verified" in md
    root = ET.fromstring(texts["junit"].encode("utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "0", "0")
    assert root.get("skipped") == "1"
    assert "verdict-APPROVED" in texts["html"]


def test_incomplete_run_with_load_and_run_errors(verdict: dict[str, Any]) -> None:
    """INCOMPLETE: run errors and a suite load error are listed; an unmeasured budget is shown."""
    verdict["verdict"] = "INCOMPLETE"
    verdict["exit_code"] = 2
    verdict["suites"][0].update(status="INCOMPLETE", tests=[], planned=0, passed=0)
    verdict["suites"][0]["load_error"] = "SuiteLoadError: suites.timestamp_core has no MANIFEST"
    verdict["run_errors"] = [
        {"cause": "preflight", "message": "GET /health: connection refused", "suite": None,
         "tests": []}
    ]  # fmt: skip
    verdict["metrics"]["agent_started_latency_ms"].update(
        count=0, samples=[], p50=None, p95=None, p99=None, value=None
    )
    verdict["metrics"]["agent_started_latency_ms"]["budgets"][0].update(
        observed=None, status="not_measured"
    )
    texts = render_all(verdict)
    md = texts["md"]
    assert "Incomplete: the harness could not judge everything it planned" in md
    assert "- `preflight`: GET /health: connection refused" in md
    assert "load error: SuiteLoadError: suites.timestamp_core has no MANIFEST" in md
    assert (
        "| `agent_started_latency_ms` | p95 ≤ 50 ms | not measured | 0 (min 30) | ⚠️ not_measured |"
        in md
    )
    assert "- **Latency to `agent_started`:** not measured" in md
    assert "agent_started latency: not measured (no samples)." in texts["html"]
    root = ET.fromstring(texts["junit"].encode("utf-8"))
    assert root.get("errors") == "3"


def test_optional_keys_may_be_absent(verdict: dict[str, Any]) -> None:
    """Tests without flaky/waiver/attempts/transcript keys and a verdict without policy render."""
    for suite in verdict["suites"]:
        for test in suite["tests"]:
            for key in ("flaky", "waiver", "attempts", "transcript"):
                test.pop(key, None)
    del verdict["policy"]
    del verdict["environment"]
    del verdict["run_errors"]
    texts = render_all(verdict)
    assert "No rollback plan in the policy." in texts["md"]
    assert "No success indicators in the policy." in texts["html"]
    assert render_step_summary(verdict).startswith("## ❌ Stability verdict: NOT_APPROVED")


def test_rendering_does_not_change_the_verdict(verdict: dict[str, Any]) -> None:
    """Renderers work on a copy: the caller's dict is left exactly as it was."""
    before = json.dumps(verdict, sort_keys=True)
    render_all(verdict)
    render_markdown(verdict)
    assert json.dumps(verdict, sort_keys=True) == before
