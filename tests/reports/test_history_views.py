"""Unstable tests from the run history in report.md, report.html and the console summary."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.history.run_history import RunHistory
from harness.history.store import History, Identity, RunEntry
from harness.report.console import print_summary
from harness.report.render import render_html, render_markdown
from harness.verdict.policy import Policy

from .conftest import COUNTED, ORIGINAL, PING, TOOL_ORDER, ZULU

IDENT = Identity("embedded", "chat-agent/1", "m1", "p1", "b1")


def _annotated(verdict: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The sample verdict annotated by a history holding one earlier run of the same identity,
    in which ORIGINAL and ZULU failed and PING passed."""
    path = tmp_path / "h.sqlite"
    with History(path) as history:
        history.record(
            RunEntry(
                "earlier",
                "2026-11-24T20:40:00Z",
                "NOT_APPROVED",
                IDENT,
                "0.1.0",
                {"run_id": "earlier", "verdict": "NOT_APPROVED", "planned": 12, "passed": 9},
                [
                    (ORIGINAL, "staging_repro", "failed", 0.1),
                    (ZULU, "staging_repro", "failed", 0.1),
                    (PING, "message_routing", "passed", 0.1),
                ],
            )
        )
    recorder = RunHistory.open(path, "embedded", Policy(), auto=False)
    recorder.identity = IDENT
    recorder.annotate(verdict)
    recorder.close()
    return verdict


def test_unstable_tests_are_listed_with_their_failures_in_report_md(
    verdict: dict[str, Any], tmp_path: Path
) -> None:
    """Failed in the earlier run and now: 2 of 2; failed once: 1 of 2, most failures first."""
    text = render_markdown(_annotated(verdict, tmp_path))
    section = text.split("## Unstable tests (history)\n", 1)[1].split("\n---\n", 1)[0]
    assert section.strip().splitlines()[2:] == [
        "| Test | Failures | Of the last N runs |",
        "|------|---------:|-------------------:|",
        f"| `{ORIGINAL}` | 2 | 2 |",
        f"| `{TOOL_ORDER}` | 1 | 2 |",
        f"| `{COUNTED}` | 1 | 2 |",
        f"| `{ZULU}` | 1 | 2 |",
    ]
    assert text.index("## Baseline") < text.index("## Unstable tests (history)")


def test_unstable_tests_in_the_html_and_console_summary(
    verdict: dict[str, Any], tmp_path: Path
) -> None:
    """The same four tests in the HTML section and in the console's verdict panel."""
    annotated = _annotated(verdict, tmp_path)
    html = render_html(annotated)
    section = html.split('<section id="unstable">', 1)[1].split("</section>", 1)[0]
    assert "<h2>Unstable tests (history)</h2>" in section
    assert (
        f'<tr><td><code>{ZULU}</code></td><td class="n">1</td><td class="n">2</td></tr>' in section
    )
    assert section.count("<tr><td>") == 4
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    print_summary(console, annotated, {}, quiet=False)
    lines = [line.strip("│ ") for line in buffer.getvalue().splitlines()]
    start = lines.index("Unstable tests (history): 4 failed in the last 2 runs")
    assert lines[start + 1 : start + 5] == [
        f"{ORIGINAL}: 2 of 2",
        f"{TOOL_ORDER}: 1 of 2",
        f"{COUNTED}: 1 of 2",
        f"{ZULU}: 1 of 2",
    ]


def test_no_history_no_section(verdict: dict[str, Any]) -> None:
    """A verdict.json without `unstable` (no history): neither section nor console line."""
    assert "Unstable tests" not in render_markdown(verdict)
    assert 'id="unstable"' not in render_html(verdict)
    assert 'id="trend"' not in render_html(verdict)
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=200), verdict, {}, quiet=False)
    assert "Unstable tests" not in buffer.getvalue()
