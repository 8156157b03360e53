"""The causes of a run's failures open every report: report.md, report.html, the step
summary and the console, most tests first, each named once with its count."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from rich.console import Console

from harness.report.console import print_summary
from harness.report.render import render_markdown, render_step_summary, write_reports

from ..browser import CHROMIUM, CHROMIUM_ARGS

NOTICE_TITLE = (
    "the first frame after the handshake is a system_message frame, not connection_established"
)
NOTICE = {
    "key": "unexpected-frame:connection_established:system_message",
    "title": NOTICE_TITLE,
    "count": 3,
    "first_test": "agent_events::test_ordering::test_started_first",
    "frames": [
        {
            "dir": "recv",
            "t": 0.002,
            "type": "system_message",
            "size": 61,
            "close_code": None,
            "data": '{"type": "system_message", "data": {"event": "fallback_mode"}}',
        }
    ],
    "rules": ["4.order.started-first", "2.reply.exactly-one"],
    "tests": [
        "agent_events::test_ordering::test_started_first",
        "agent_events::test_schema::test_event_schema[agent_started]",
        "message_routing::test_replies::test_ping_gets_pong",
    ],
}
PONG = {
    "key": "missed:reply:ping",
    "title": "no direct reply to a ping frame within 5 s",
    "count": 1,
    "first_test": "message_routing::test_replies::test_ping_gets_pong",
    "frames": [],
    "rules": ["2.reply.exactly-one"],
    "tests": ["message_routing::test_replies::test_ping_gets_pong"],
}


@pytest.fixture
def with_causes(verdict: dict[str, Any]) -> dict[str, Any]:
    verdict["causes"] = [NOTICE, PONG]
    return verdict


def test_report_md_opens_with_the_causes_most_tests_first(with_causes: dict[str, Any]) -> None:
    text = render_markdown(with_causes)
    heading = text.index("### 2 causes of the failures, most tests first")
    assert heading < text.index("### Key metrics")
    first = text.index(
        f"1. **{NOTICE_TITLE}**: 3 tests "
        "(`unexpected-frame:connection_established:system_message`), "
        "first in `agent_events::test_ordering::test_started_first`."
    )
    second = text.index(
        "2. **no direct reply to a ping frame within 5 s**: 1 test (`missed:reply:ping`)"
    )
    assert heading < first < second
    assert "Rules its tests verify: `4.order.started-first`, `2.reply.exactly-one`." in text
    assert '"event": "fallback_mode"' in text
    assert "   - `message_routing::test_replies::test_ping_gets_pong`" in text
    assert text.count(NOTICE_TITLE) == 1


def test_no_causes_no_section(verdict: dict[str, Any]) -> None:
    verdict["causes"] = []
    assert "cause" not in render_markdown(verdict).split("### Key metrics")[0]


def test_step_summary_and_console_name_each_cause_once(with_causes: dict[str, Any]) -> None:
    summary = render_step_summary(with_causes)
    assert "### 2 causes of the failures, most tests first" in summary
    assert summary.count(NOTICE_TITLE) == 1
    out = io.StringIO()
    print_summary(Console(file=out, width=300), with_causes, {}, quiet=False)
    console = out.getvalue()
    line = (
        f"• cause {NOTICE_TITLE}: 3 tests (first: agent_events::test_ordering::test_started_first)"
    )
    assert line in console, console
    assert console.index(NOTICE_TITLE) < console.index("no direct reply to a ping frame")


@pytest.mark.browser
def test_report_html_shows_the_causes_first_in_a_browser(
    with_causes: dict[str, Any], tmp_path: Path
) -> None:
    report = write_reports(with_causes, tmp_path)["html"]
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (CI does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(report.as_uri(), wait_until="load")
            heading = page.inner_text("#causes h2").strip()
            assert heading == "2 causes of the failures, most tests first"
            items = page.locator("#causes ol.causes > li")
            assert items.count() == 2
            assert items.nth(0).inner_text().startswith(f"{NOTICE_TITLE}: 3 tests")
            box_causes = page.locator("#causes").bounding_box()
            box_summary = page.locator("#summary").bounding_box()
            assert box_causes is not None and box_summary is not None
            assert box_causes["y"] < box_summary["y"]
        finally:
            browser.close()
