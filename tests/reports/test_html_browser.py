"""report.html opened in real headless Chromium: self-contained, banner, escaping, not blank."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from harness.report.render import render_html, write_reports

from ..browser import CHROMIUM, CHROMIUM_ARGS
from .conftest import compared

pytestmark = pytest.mark.browser

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
NAV_TIMEOUT_MS = 15_000


@dataclass
class Visit:
    """What the browser saw while showing one report."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    other_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; a missing browser fails the test rather than skipping it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (CI does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=NAV_TIMEOUT_MS
        )
        yield launched
        launched.close()


def _open(browser: Browser, report: Path) -> Visit:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(NAV_TIMEOUT_MS)
    visit = Visit(page)
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.console_errors.append(str(e)))
    page.on("requestfailed", lambda r: visit.failed_requests.append(r.url))
    page.on(
        "request",
        lambda r: None if r.url == report.as_uri() else visit.other_requests.append(r.url),
    )

    def dismiss(dialog: Any) -> None:
        visit.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(report.as_uri(), wait_until="load")
    return visit


def _distinct_colours(png: bytes, limit: int = 64) -> int:
    """How many distinct pixel colours a PNG screenshot (8-bit RGB or RGBA) holds, up to limit."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous, colours = bytearray(stride), set[bytes]()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        if row % 8 == 0:
            colours.update(bytes(line[i : i + 3]) for i in range(0, stride, bpp * 4))
        if len(colours) >= limit:
            return len(colours)
        previous = line
    return len(colours)


def test_report_loads_with_no_errors_and_no_requests(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """The page makes no request beyond itself, logs no error, and its banner is the verdict."""
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    try:
        assert visit.console_errors == []
        assert visit.failed_requests == []
        assert visit.other_requests == []
        assert visit.page.inner_text("#verdict").strip() == "NOT_APPROVED"
        background = visit.page.eval_on_selector(
            "header.banner", "e => getComputedStyle(e).backgroundColor"
        )
        assert background == "rgb(207, 34, 46)"
        assert _distinct_colours(visit.page.screenshot(full_page=False)) >= 8
    finally:
        visit.page.close()


def test_failed_tests_are_expanded_with_transcripts_and_reasons_link_to_them(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """A failed test is an open <details> with its frames; its reason line links to it."""
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        link = page.locator(
            "#reasons a", has_text="staging_repro::test_staging::test_original_frame"
        )
        href = link.first.get_attribute("href")
        assert href is not None and href.startswith("#t-")
        target = page.locator(f"details.test[id='{href[1:]}']")
        assert target.get_attribute("open") is not None
        rows = target.locator("table.frames tbody tr")
        assert rows.count() == 4
        assert rows.nth(3).locator("td").nth(4).inner_text() == "1011"
        assert page.locator("svg.hist rect.bar").count() == 20
        assert page.locator("svg.hist line.budget").count() == 1
        passed_suite = page.locator("#tests > details").first
        assert passed_suite.get_attribute("open") is None
    finally:
        page.close()


def test_print_shows_the_tests_of_collapsed_suites(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """A passed suite's test list is collapsed on screen and printed in full."""
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        test_id = "timestamp_core::test_wire::test_accepted[iso-naive]"
        row = page.locator("#tests > details:not([open]) li", has_text=test_id)
        assert not row.is_visible()
        page.emulate_media(media="print")
        assert row.is_visible()
    finally:
        page.close()


def test_hostile_target_text_is_shown_as_text(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Payloads in ids, messages, frames and reasons render literally: no script, img or dialog."""
    script, img = PAYLOADS
    test = verdict["suites"][2]["tests"][0]
    test["id"] = f"staging_repro::{script}"
    test["message"] = f"expected {img}, observed {script}"
    test["transcript"][2]["data"] = f'{{"type": "{script}", "x": "{img}"}}'
    verdict["reasons"][1]["tests"] = [test["id"]]
    verdict["reasons"][1]["message"] = f"reason {img}"
    verdict["suites"][2]["title"] = script
    verdict["target"]["url"] = f"ws://127.0.0.1:1/ws?{img}"
    report = tmp_path / "report.html"
    report.write_text(render_html(verdict), encoding="utf-8")
    visit = _open(browser, report)
    page = visit.page
    try:
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert visit.dialogs == []
        assert visit.console_errors == []
        assert visit.other_requests == []
        body = page.inner_text("body")
        assert f"staging_repro::{script}" in body
        assert f"expected {img}, observed {script}" in body
        assert f"reason {img}" in body
        assert page.get_by_text(f"expected {img}, observed {script}").first.is_visible()
        frame = page.locator("table.frames code", has_text=f'"x": "{img}"').first
        assert frame.is_visible()
    finally:
        page.close()


def test_rule_tables_show_open_rules_and_collapse_verified_ones(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Violated rules are visible with their tests linked; an all-verified section is collapsed."""
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        assert visit.console_errors == []
        headings = page.locator("#rules h3").all_inner_texts()
        assert headings == [
            "1. Transport and authentication: 0 of 2 verified",
            "2. Client to server frames: 0 of 1 verified",
            "3. Server to client frames: 1 of 1 verified",
            "4. Agent runs: 3 of 5 verified",
            "5. Timestamps: 4 of 6 verified",
            "6. Errors, limits and close codes: 0 of 1 verified",
            "7. Stats: 0 of 1 verified",
            "Not applicable",
        ]
        violated = page.locator(
            "#rules tr.rule-violated", has_text="4.order.tool-completed-follows"
        )
        assert violated.is_visible()
        status = violated.locator("span.r")
        assert status.inner_text() == "violated"
        colour = status.evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(207, 34, 46)"
        href = violated.locator("a").get_attribute("href")
        assert href is not None and href.startswith("#t-")
        target = page.locator(f"details.test[id='{href[1:]}']")
        assert target.get_attribute("open") is not None
        assert (
            "test_tool_completed_follows_tool_executing" in target.locator("summary").inner_text()
        )
        left_out = page.locator("#rules tr.rule-not_applicable")
        assert left_out.locator("td").nth(1).inner_text().startswith("not applicable\n")
        assert left_out.locator("a").count() == 0
        verified = page.locator("#rules tr.rule-verified", has_text="3.common.type")
        assert not verified.is_visible()
        untested = page.locator("#rules tr.rule-untested", has_text="4.data.agent-completed")
        assert untested.count() == 1
        assert not untested.is_visible()
        page.emulate_media(media="print")
        assert verified.is_visible()
    finally:
        page.close()


def test_events_and_timestamps_are_views_of_rule_status(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Each event's status comes from its rules; each timestamp row shows sent/expected/observed."""
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        events = page.locator("#events tbody tr")
        assert [events.nth(i).locator("td").nth(1).inner_text() for i in range(5)] == [
            "verified",
            "verified",
            "violated",
            "violated",
            "not verified",
        ]
        rows = page.locator("#timestamps tbody tr")
        assert rows.count() == 6
        assert rows.nth(0).locator("td").all_inner_texts() == [
            "5.general.accepted-on-start-agent",
            '"2025-09-08T16:50:01.447585"',
            "1757350201.447585",
            "close 1011",
            "violated",
        ]
        assert rows.nth(4).locator("td").all_inner_texts() == [
            "5.rejected.millisecond-epoch",
            "1757350201447",
            "INVALID_TIMESTAMP",
            "INVALID_TIMESTAMP",
            "verified",
        ]
        assert page.locator("#timestamps a").count() == 0
    finally:
        page.close()


def test_hostile_rule_text_and_values_are_shown_as_text(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Markup in a rule's text, reason and recorded values renders literally."""
    script, img = PAYLOADS
    rule = next(r for r in verdict["rules"] if r["id"] == "5.accepted.number")
    rule["status"] = "violated"
    rule["reason"] = f"failed in {script}"
    rule["evidence"][0]["observed"] = img
    verdict["not_applicable"][0]["reason"] = img
    report = tmp_path / "report.html"
    report.write_text(render_html(verdict), encoding="utf-8")
    visit = _open(browser, report)
    page = visit.page
    try:
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert visit.dialogs == []
        row = page.locator("#rules tr.rule-violated", has_text="5.accepted.number")
        assert f"failed in {script}" in row.inner_text()
        cell = page.locator("#timestamps td", has_text=img)
        assert cell.inner_text() == img
        assert img in page.locator("#not-applicable + ul").inner_text()
    finally:
        page.close()


TREND = [
    {"run_id": "r1", "finished_at": "2026-11-21T20:40:00Z", "verdict": "APPROVED",
     "planned": 12, "passed": 12, "failed": 0, "p95": {"agent_started_latency_ms": 30.5}},
    {"run_id": "r2", "finished_at": "2026-11-22T20:40:00Z", "verdict": "APPROVED_WITH_CONDITIONS",
     "planned": 12, "passed": 11, "failed": 1, "p95": {"agent_started_latency_ms": 33.0}},
    {"run_id": "r3", "finished_at": "2026-11-23T20:40:00Z", "verdict": "INCOMPLETE",
     "planned": 12, "passed": 4, "failed": 0, "p95": {}},
    {"run_id": "r4", "finished_at": "2026-11-24T20:40:00Z", "verdict": "APPROVED",
     "planned": 12, "passed": 12, "failed": 0, "p95": {"agent_started_latency_ms": 29.0}},
    {"run_id": "20261125T204000Z-1a2b3c", "finished_at": "2026-11-25T20:40:12Z",
     "verdict": "NOT_APPROVED", "planned": 12, "passed": 7, "failed": 3,
     "p95": {"agent_started_latency_ms": 38.0}},
]  # fmt: skip


def test_trend_is_an_inline_svg_with_a_marker_per_run_and_a_p95_line(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Five runs: five verdict markers coloured by verdict, four p95 points (one run has no
    p95), a drawn line, a titled SVG with a size, and the same runs in the table."""
    verdict["trend"] = TREND
    report = write_reports(verdict, tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        assert visit.console_errors == [] and visit.other_requests == []
        svg = page.locator("#trend svg.trend")
        box = svg.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert svg.locator("title").first.text_content() == (
            "Trend of the last 5 comparable runs of this target, oldest first"
        )
        assert svg.get_attribute("aria-labelledby") == "trend-title trend-desc"
        markers = svg.locator("circle.mark")
        assert markers.count() == 5
        fills = [markers.nth(i).evaluate("e => getComputedStyle(e).fill") for i in range(5)]
        assert fills == [
            "rgb(26, 127, 55)",
            "rgb(154, 103, 0)",
            "rgb(110, 64, 201)",
            "rgb(26, 127, 55)",
            "rgb(207, 34, 46)",
        ]
        assert svg.locator("circle.p95-point").count() == 4
        assert svg.locator("polyline.p95").evaluate("e => e.points.numberOfItems") == 4
        line = svg.locator("polyline.p95").bounding_box()
        assert line is not None and line["width"] > 0 and line["height"] > 0
        bars = svg.locator("rect.passed")
        heights = [float(bars.nth(i).get_attribute("height") or "0") for i in range(5)]
        assert heights[0] == heights[3] > heights[4] > heights[2] > 0
        assert svg.locator("line.budget").count() == 1
        rows = page.locator("#trend details.trend-table tbody tr")
        assert rows.count() == 5
        assert rows.nth(2).locator("td").all_text_contents()[2:] == [
            "INCOMPLETE",
            "4 / 12",
            "0",
            "not measured",
        ]
    finally:
        page.close()


def test_baseline_shows_transitions_and_metric_changes_as_tables(
    verdict: dict[str, Any], tmp_path: Path, browser: Browser
) -> None:
    """Compared with a baseline: a count per transition, the regression open and linked to its
    test, and the metric table with both medians, counts, p-value, effect and consequence."""
    report = write_reports(compared(verdict), tmp_path)["html"]
    visit = _open(browser, report)
    page = visit.page
    try:
        assert visit.console_errors == [] and visit.other_requests == []
        counts = page.locator("#baseline table.transitions tbody tr")
        assert [counts.nth(i).locator("td").nth(1).inner_text() for i in range(5)] == [
            "1",
            "1",
            "2",
            "1",
            "1",
        ]
        regression = page.locator("#baseline-regression")
        assert regression.get_attribute("open") is not None
        href = regression.locator("a").first.get_attribute("href")
        assert href is not None and page.locator(f"details.test[id='{href[1:]}']").count() == 1
        table = page.locator("#baseline table.metric-changes")
        box = table.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
        assert cells == [
            "agent_started_latency_ms",
            "30",
            "38",
            "+26.67 %",
            "29.5",
            "37.2",
            "30",
            "30",
            "0.000312",
            "+26.1 %",
            "yes",
            "condition: a budgeted metric got significantly worse",
        ]
    finally:
        page.close()
