"""report.md and the step summary: golden file, structure, honesty of marks, determinism."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.report.render import (
    append_step_summary,
    render_markdown,
    render_step_summary,
    write_reports,
)

GOLDEN = Path(__file__).parent / "golden" / "report.md"


def test_markdown_matches_the_golden_file(verdict: dict[str, Any]) -> None:
    """The sample verdict renders exactly the reviewed golden report.md."""
    text = render_markdown(verdict)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_sections_follow_the_assessment_report(verdict: dict[str, Any]) -> None:
    """Every section of the seed assessment report is present, in its order."""
    text = render_markdown(verdict)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Executive summary",
        "## Verification results",
        "## Business events",
        "## Timestamp formats exercised",
        "## Staging error case",
        "## Issues identified",
        "## Performance against budgets",
        "## Test execution summary",
        "## Final assessment and recommendations",
        "## Rollback plan and success indicators",
        "## Baseline",
    ]


def test_a_suite_with_failures_never_gets_a_pass_mark(verdict: dict[str, Any]) -> None:
    """A FAIL suite is marked as failing; a suite with waived failures is not marked as a pass."""
    text = render_markdown(verdict)
    assert (
        "| WebSocket agent events (`agent_events`, critical) | ❌ FAIL | 2/3 |"
        " 1 of 3 planned tests failed in critical suite agent_events |" in text
    )
    assert "| Message routing (`message_routing`, major) | ⚠️ PASS_WITH_CONDITIONS | 1/2 |" in text
    assert "| Security (`security`, critical) | ⛔ INCOMPLETE | 0/2 |" in text


def test_a_suite_marked_pass_with_failures_still_shows_no_pass_mark(
    verdict: dict[str, Any],
) -> None:
    """Even a status of PASS beside a failed count gets no pass mark (counts win)."""
    verdict["suites"][1]["status"] = "PASS"
    text = render_markdown(verdict)
    assert "| WebSocket agent events (`agent_events`, critical) | ❌ PASS | 2/3 |" in text
    assert "✅ PASS | 2/3" not in text


def test_key_metrics_carry_the_verdict_figures(verdict: dict[str, Any]) -> None:
    """Executive summary: verdict, counts, p95 latency with samples, conversion time, baseline."""
    text = render_markdown(verdict)
    assert "### ❌ Verdict: **NOT_APPROVED** (exit 1)" in text
    assert (
        "- **Tests:** 12 planned, 7 passed, 3 failed, 1 errors, 0 skipped, 1 not run"
        " (1 flaky, 1 waived)" in text
    )
    assert "- **Latency to `agent_started`:** p50 15.3 ms, p95 38 ms over 30 samples" in text
    assert "- **Timestamp conversion:** p50 3.5 us, p95 4.2 us over 200 samples" in text
    assert "- **Baseline:** no baseline" in text


def test_staging_case_shows_the_frame_sent_and_the_close(verdict: dict[str, Any]) -> None:
    """The staging frame appears verbatim as a code block, followed by the 1011 close."""
    text = render_markdown(verdict)
    frame = (
        '    {"type": "start_agent", "message_id": "m-staging", '
        '"timestamp": "2025-09-08T16:50:01.447585", "payload": {"user_request": "What is 2+3?"}}'
    )
    assert frame in text
    assert "Closed at t=0.0027 s, 0 bytes, close code **1011**." in text
    assert (
        "Test `staging_repro::test_staging::test_variant[zulu]` passed; no frame transcript" in text
    )


def test_business_event_without_evidence_is_not_verified(verdict: dict[str, Any]) -> None:
    """An event no agent_events test names is reported as unverified, never as working."""
    text = render_markdown(verdict)
    assert "### agent_completed: ⚠️ no test names this event" in text
    assert "### tool_completed: ❌ failing" in text
    assert "### agent_started: ✅ verified" in text


def test_unmeasured_metrics_say_not_measured(verdict: dict[str, Any]) -> None:
    """Without the conversion and latency metrics the report says "not measured"."""
    del verdict["metrics"]["timestamp_conversion_us"]
    del verdict["metrics"]["agent_started_latency_ms"]
    text = render_markdown(verdict)
    assert "**Conversion time** (`timestamp_conversion_us`): not measured" in text
    assert "- **Latency to `agent_started`:** not measured" in text


def test_baseline_lists_regressions_and_metric_changes(verdict: dict[str, Any]) -> None:
    """With a baseline the report names regressions, fixes and metric changes."""
    verdict["baseline"] = {
        "source": "reports/previous/verdict.json",
        "regressions": ["staging_repro::test_staging::test_original_frame"],
        "fixed": [],
        "metric_changes": {
            "agent_started_latency_ms": {"before": 30.0, "after": 38.0, "change_pct": 26.67}
        },
    }
    text = render_markdown(verdict)
    assert "Compared with `reports/previous/verdict.json`." in text
    assert "- `staging_repro::test_staging::test_original_frame`" in text
    assert "**Fixed** (failed there, pass now): none" in text
    assert "| `agent_started_latency_ms` | 30 | 38 | 26.7 % |" in text
    assert "No baseline" not in text


def test_markdown_escapes_table_breaking_text(verdict: dict[str, Any]) -> None:
    """A pipe or newline in a message cannot break the table; markup is backslashed."""
    verdict["reasons"][0]["message"] = "a | b\n<b>c</b>"
    text = render_markdown(verdict)
    assert "a \\| b \\<b\\>c\\</b\\>" in text


def test_write_reports_is_byte_identical(verdict: dict[str, Any], tmp_path: Path) -> None:
    """The same verdict written twice gives byte-identical UTF-8 files with \\n newlines."""
    first = write_reports(verdict, tmp_path / "a")
    second = write_reports(verdict, tmp_path / "b")
    assert sorted(first) == ["html", "junit", "md"]
    assert [p.name for p in first.values()] == ["report.md", "report.html", "junit.xml"]
    for fmt, path in first.items():
        data = path.read_bytes()
        assert data == second[fmt].read_bytes()
        assert b"\r\n" not in data
        data.decode("utf-8")


def test_step_summary_is_short_and_names_the_verdict(verdict: dict[str, Any]) -> None:
    """The step summary heads with the verdict and lists each suite and reason."""
    text = render_step_summary(verdict)
    assert text.startswith("## ❌ Stability verdict: NOT_APPROVED (exit 1)\n")
    assert "| `agent_events` (critical) | ❌ FAIL | 2/3 |" in text
    assert "- **blocker** `critical-failure` (`staging_repro`):" in text
    assert len(text.splitlines()) < 30


def test_step_summary_appends_to_github_file(
    verdict: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With GITHUB_STEP_SUMMARY set, the summary is appended after what the file held."""
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    assert append_step_summary(verdict) == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## ❌ Stability verdict: NOT_APPROVED (exit 1)\n")


def test_step_summary_without_variable_writes_nothing(
    verdict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without GITHUB_STEP_SUMMARY nothing is written."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert append_step_summary(verdict) is None


def test_a_failure_whose_message_names_an_event_counts_against_it(
    verdict: dict[str, Any],
) -> None:
    """A failed agent_events test is evidence against every event its message names."""
    suite = next(s for s in verdict["suites"] if s["name"] == "agent_events")
    suite["tests"].append(
        {
            "id": "agent_events::test_order::test_rule4_one_terminal_event",
            "outcome": "failed",
            "duration_s": 0.2,
            "message": "rule 4: expected one terminal event, observed "
            "['agent_completed', 'tool_completed']",
            "flaky": False,
            "waiver": None,
            "attempts": [],
        }
    )
    text = render_markdown(verdict)
    assert "### agent_completed: ❌ failing" in text
    assert "### agent_started: ✅ verified" in text
