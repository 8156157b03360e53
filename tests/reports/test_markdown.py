"""report.md and the step summary: golden file, structure, honesty of marks, determinism."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.report.render import (
    append_step_summary,
    render_html,
    render_markdown,
    render_step_summary,
    write_reports,
)
from harness.report.rule_status import mentions

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
        "## Rules",
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


def test_business_events_are_the_status_of_the_rules_that_name_them(
    verdict: dict[str, Any],
) -> None:
    """Each event shows the section 4 rules naming it; a violated one makes the event violated."""
    text = render_markdown(verdict)
    assert "### agent_started: ✅ verified\n\n- `4.order.started-first` ✅ verified:" in text
    assert "### tool_executing: ❌ violated\n\n- `4.order.thinking-before-tool` ✅ verified" in text
    assert "- `4.order.tool-completed-follows` ❌ violated: Every tool_executing" in text
    assert "### tool_completed: ❌ violated" in text
    assert "### agent_completed: ⚠️ not verified" in text


def test_an_event_no_rule_names_is_not_verified(verdict: dict[str, Any]) -> None:
    """An event no rule of section 4 names is reported as unverified, never as working."""
    verdict["rules"] = [r for r in verdict["rules"] if "agent_completed" not in r["text"]]
    text = render_markdown(verdict)
    assert (
        "### agent_completed: ⚠️ no rule names this event\n\n"
        "No rule of section 4 names `agent_completed`: no evidence for this event." in text
    )
    assert "### agent_started: ✅ verified" in text


def test_unmeasured_metrics_say_not_measured(verdict: dict[str, Any]) -> None:
    """Without the conversion and latency metrics the report says "not measured"."""
    del verdict["metrics"]["timestamp_conversion_us"]
    del verdict["metrics"]["agent_started_latency_ms"]
    text = render_markdown(verdict)
    assert "**Conversion time** (`timestamp_conversion_us`): not measured" in text
    assert "- **Latency to `agent_started`:** not measured" in text


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


def test_a_violated_rule_whose_text_names_an_event_counts_against_it(
    verdict: dict[str, Any],
) -> None:
    """A violated rule naming agent_completed in its text makes agent_completed violated."""
    verdict["rules"].append(
        {
            "id": "4.order.ends-once",
            "section": 4,
            "text": "A run ends with exactly one terminal event, agent_completed or agent_error, "
            "never both.",
            "status": "violated",
            "tests": ["agent_events::test_order::test_rule4_one_terminal_event"],
            "reason": "failed in agent_events::test_order::test_rule4_one_terminal_event",
        }
    )
    text = render_markdown(verdict)
    assert "### agent_completed: ❌ violated" in text
    assert "### agent_started: ✅ verified" in text


@pytest.mark.parametrize(
    ("rule_id", "text", "event", "named"),
    [
        (
            "4.data.tool-completed.result",
            "The data carries a result field.",
            "tool_completed",
            True,
        ),
        ("4.order.started-first", "agent_started is first.", "agent_started", True),
        ("4.order.x", "the agent_started_latency_ms budget", "agent_started", False),
        ("4.data.agent-started-x.y", "Its data.", "agent_started", False),
        ("4.data.agent-thinking.step", "Steps of agent_thinking.", "tool_executing", False),
    ],
)
def test_which_rules_name_an_event(rule_id: str, text: str, event: str, named: bool) -> None:
    """An event is named by a dotted part of the id (dashed) or by a whole word of the text."""
    assert mentions({"id": rule_id, "text": text}, event) is named


def test_rules_are_tabled_per_section_with_open_rules_first(verdict: dict[str, Any]) -> None:
    """A section lists its rules not verified with status and reason; verified ones collapse."""
    text = render_markdown(verdict)
    assert (
        "17 rules in the catalogue: 5 violated, 3 not verified, 1 not applicable, 8 verified."
        in text
    )
    assert (
        "### 4. Agent runs: 3 of 5 verified\n\n"
        "| Rule | Status | Text | Tests |\n"
        "|------|--------|------|-------|\n"
        "| `4.order.tool-completed-follows` | ❌ violated: failed in agent_events::test_order::"
        "test_tool_completed_follows_tool_executing | Every tool_executing is "
        "followed, before the run's terminal event, by a tool_completed with the same "
        "tool_name. | `agent_events::test_order::test_tool_completed_follows_tool_executing` |\n"
        "\n"
        "<details><summary>1 rule(s) no test of the selected suites names</summary>\n\n"
        "| Rule | Text |\n"
        "|------|------|\n"
        "| `4.data.agent-completed.status` | agent_completed.data.status is the string "
        '"completed". |\n'
        "\n"
        "</details>\n\n"
        "<details><summary>3 verified rule(s)</summary>\n"
    ) in text
    assert (
        "### 3. Server to client frames: 1 of 1 verified\n\n"
        "<details><summary>1 verified rule(s)</summary>\n"
    ) in text


def test_not_applicable_tests_are_listed_with_their_reason(verdict: dict[str, Any]) -> None:
    """Tests left out of the plan are listed with the reason and the rules they would verify."""
    text = render_markdown(verdict)
    assert (
        "- `timestamp_core::test_converter::test_converter_exact[iso-naive]` (suite "
        "`timestamp_core`): no timestamp converter under test (pass --converter "
        "MODULE:FUNCTION); rules `5.general.microsecond-exact`\n"
    ) in text
    assert "- **Not applicable:** 1 test(s) left out of the plan (listed under Rules)" in text
    verdict["not_applicable"] = []
    assert "No test was left out of the plan." in render_markdown(verdict)


def test_timestamp_table_shows_values_sent_expected_observed(verdict: dict[str, Any]) -> None:
    """One row per recorded value of a section 5 rule or a staging test, never a test id."""
    text = render_markdown(verdict)
    section = text[text.index("## Timestamp formats exercised") : text.index("**Conversion time**")]
    assert section.splitlines()[2:10] == [
        "| Rule | Sent | Expected | Observed | Status |",
        "|------|------|----------|----------|--------|",
        '| `5.general.accepted-on-start-agent` | `"2025-09-08T16:50:01.447585"` | '
        "`1757350201.447585` | `close 1011` | ❌ violated |",
        "| `5.accepted.number` | `1693567801.447585` | `1693567801.447585` | "
        "`1693567801.447585` | ✅ verified |",
        '| `5.accepted.iso-z` | `"2025-09-08T16:50:01.447585Z"` | `1757350201.447585` | '
        "`1757350201.447585` | ✅ verified |",
        '| `5.accepted.iso-zoneless-utc` | `"2025-09-08T16:50:01.447585"` | `1757350201.447585` | '
        "`1757350201.447585` | ✅ verified |",
        "| `5.rejected.millisecond-epoch` | `1757350201447` | `INVALID_TIMESTAMP` | "
        "`INVALID_TIMESTAMP` | ✅ verified |",
        '| `6.close.never-1011` | `"2025-09-08T16:50:01.447585"` | `no close 1011` | '
        "`close 1011` | ❌ violated |",
    ]
    assert section.splitlines()[10] == ""
    assert "::" not in section


def test_a_verdict_without_rule_status_says_so(verdict: dict[str, Any]) -> None:
    """A verdict.json written before rule status renders, and says what it lacks."""
    for key in ("rules", "rule_summary", "rule_sections", "not_applicable"):
        del verdict[key]
    text = render_markdown(verdict)
    assert (
        "This verdict.json carries no rule status: it was written by a harness without the rule "
        "catalogue." in text
    )
    assert "No rule status recorded: the business events cannot be judged" in text
    assert "- **Rules:**" not in text


def test_limits_not_verified_are_named_in_the_key_metrics(verdict: dict[str, Any]) -> None:
    """A limit left unverified is listed in the executive summary, as well as a condition."""
    message = (
        "limits not verified in suite message_routing: max_messages_per_minute=100000 (larger "
        "than the suite can exercise; the policy's [limits] may_skip allows it)"
    )
    verdict["reasons"].append(
        {
            "rule": "limit-not-verified",
            "severity": "condition",
            "suite": "message_routing",
            "message": message,
            "tests": ["message_routing::test_limits::test_rate_limit"],
        }
    )
    text = render_markdown(verdict)
    assert (
        "- **Not applicable:** 1 test(s) left out of the plan (listed under Rules)\n"
        "- **Limits:** limits not verified in suite message_routing: "
        "max_messages_per_minute=100000 (larger than the suite can exercise; the policy's "
        "\\[limits\\] may_skip allows it)\n\n## Verification results"
    ) in text
    assert f"<tr><th>Limits</th><td>{message.replace(chr(39), '&#39;')}</td></tr>" in render_html(
        verdict
    )
