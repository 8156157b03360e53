"""The turn (docs/TURNS.md) in report.md and report.html: its rules, what the turns
showed, and the turn latencies."""

from __future__ import annotations

import copy
from typing import Any

from harness.report.render import render_html, render_markdown

TEST = "agent_events::test_turns::test_every_turn_of_a_connection_is_well_formed"
OBSERVED = {"turns": 5, "completed": 4, "failed": 1, "cancelled": 0, "tool calls": 6}


def _with_turns(verdict: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(verdict)
    document["rules"] = [
        *document["rules"],
        {
            "id": "4.turn.one-terminal",
            "section": 4,
            "text": "A turn ends with exactly one terminal frame.",
            "status": "verified",
            "tests": [TEST],
            "evidence": [
                {
                    "test": TEST,
                    "sent": ["What is 2+3?"],
                    "expected": "one terminal per turn",
                    "observed": OBSERVED,
                }
            ],
        },
        {
            "id": "4.turn.text-reconstructs",
            "section": 4,
            "text": "The joined text deltas of a stream equal its final text.",
            "status": "violated",
            "tests": [TEST],
            "reason": f"failed in {TEST}",
        },
    ]
    document["metrics"]["turn_terminal_ms"] = {
        "value": 41.5,
        "unit": "ms",
        "suite": "agent_events",
        "count": 40,
        "samples": [],
        "min": 20.0,
        "p50": 33.25,
        "p95": 41.5,
        "p99": 43.0,
        "max": 43.5,
        "mean": 33.0,
        "budgets": [],
    }
    return document


def test_markdown_shows_the_turn_rules_what_the_turns_showed_and_their_latencies(
    verdict: dict[str, Any],
) -> None:
    text = render_markdown(_with_turns(verdict))
    section = text.split("### Turns", 1)[1].split("\n## ", 1)[0]
    assert (
        "- `4.turn.one-terminal` ✅ verified: A turn ends with exactly one terminal frame."
        in section
    )
    assert "- `4.turn.text-reconstructs` ❌ violated:" in section
    assert (
        "Observed in the turns of one connection: turns 5, completed 4, failed 1, cancelled 0, "
        "tool calls 6." in section
    )
    assert "| `turn_terminal_ms` | 40 | 33.25 | 41.5 | 43.5 |" in section


def test_no_turn_rule_no_turns_section(verdict: dict[str, Any]) -> None:
    assert "### Turns" not in render_markdown(verdict)
    assert 'id="turns"' not in render_html(verdict)


def test_html_shows_the_turns(verdict: dict[str, Any]) -> None:
    page = render_html(_with_turns(verdict))
    assert '<h3 id="turns">Turns</h3>' in page
    assert "<td><code>turn_terminal_ms</code></td><td>40</td>" in page
    assert "turns 5, completed 4, failed 1, cancelled 0, tool calls 6." in page
