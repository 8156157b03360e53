"""Console views: plain progress lines off a terminal, live bars on one, the verdict line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.report.console import ProgressView, print_summary


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=120, color_system=None)
    return console, buffer


def test_plain_lines_when_not_a_terminal() -> None:
    """Off a terminal each finished test is one plain line, target text shown literally."""
    console, buffer = _console(terminal=False)
    with ProgressView(console, [("agent_events", 2), ("security", 1)]) as view:
        view.advance("agent_events", "agent_events::t::test_a[[red]x[/red]]", "passed", 0.25)
        view.advance("security", "security::t::test_b", "failed", 1.5)
    assert buffer.getvalue() == (
        "[1/3] PASSED  agent_events::t::test_a[[red]x[/red]] (0.25 s)\n"
        "[2/3] FAILED  security::t::test_b (1.50 s)\n"
    )


def test_a_rerun_is_not_counted_twice() -> None:
    """A rerun attempt is shown as a rerun and does not advance the count past the plan."""
    console, buffer = _console(terminal=False)
    with ProgressView(console, [("staging_repro", 2)]) as view:
        view.advance("staging_repro", "staging_repro::t::a", "failed", 0.5)
        view.advance("staging_repro", "staging_repro::t::a", "passed", 0.25)
        view.advance("staging_repro", "staging_repro::t::b", "passed", 0.125)
        assert view.failures("staging_repro") == 0
    assert buffer.getvalue() == (
        "[1/2] FAILED  staging_repro::t::a (0.50 s)\n"
        "[1/2] PASSED  staging_repro::t::a (0.25 s) rerun\n"
        "[2/2] PASSED  staging_repro::t::b (0.12 s)\n"
    )


def test_live_bars_on_a_terminal() -> None:
    """On a terminal the view draws a bar per suite with its count, not one line per test."""
    console, buffer = _console(terminal=True)
    with ProgressView(console, [("agent_events", 2), ("security", 1)]) as view:
        view.advance("agent_events", "agent_events::t::test_a", "passed", 0.25)
        view.advance("security", "security::t::test_b", "failed", 1.5)
    out = buffer.getvalue()
    assert "agent_events" in out
    assert "1/2" in out
    assert "1 failed" in out
    assert "PASSED  agent_events::t::test_a" not in out


def test_quiet_prints_one_verdict_line(verdict: dict[str, Any]) -> None:
    """Quiet: exactly one line with verdict, exit code, reason count and report path."""
    console, buffer = _console(terminal=False)
    paths = {"md": Path("reports/x/report.md"), "html": Path("reports/x/report.html")}
    print_summary(console, verdict, paths, quiet=True)
    assert buffer.getvalue() == "NOT_APPROVED (exit 1): 5 reasons; report: reports/x/report.md\n"


def test_summary_shows_table_reasons_and_paths(verdict: dict[str, Any]) -> None:
    """Not quiet: the suite table, every reason line and the report paths."""
    console, buffer = _console(terminal=False)
    print_summary(console, verdict, {"md": Path("reports/x/report.md")}, quiet=False)
    out = buffer.getvalue()
    assert "PASS_WITH_CONDITIONS" in out
    assert "NOT_APPROVED (exit 1)" in out
    assert "blocker critical-failure [agent_events]: 1 of 3 planned tests failed" in out
    assert "md: reports/x/report.md" in out


def test_summary_counts_rules_and_not_applicable_tests(verdict: dict[str, Any]) -> None:
    """Not quiet: one line of rule counts and one of tests left out, with their reason."""
    console, buffer = _console(terminal=False)
    verdict["not_applicable"].append(
        {
            "id": "timestamp_core::test_converter::test_converter_exact[iso-z]",
            "suite": "timestamp_core",
            "reason": "no timestamp converter under test (pass --converter MODULE:FUNCTION)",
            "rules": [],
        }
    )
    print_summary(console, verdict, {}, quiet=False)
    lines = [line.strip("│ ").rstrip(" │") for line in buffer.getvalue().splitlines()]
    assert (
        "Rules: 17 in the catalogue: 5 violated, 3 not verified, 1 not applicable, 8 verified"
        in lines
    )
    assert (
        "Not applicable: 2 tests; no timestamp converter under test (pass --converter "
        "MODULE:FUNCTION): 2" in lines
    )
