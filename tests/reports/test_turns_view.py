"""The turn (docs/TURNS.md) in report.md and report.html: its rules, what the turns
showed, and the turn latencies."""

from __future__ import annotations

import copy
from typing import Any

from harness.report.render import render_html, render_markdown

TEST = "agent_events::test_turns::test_every_turn_of_a_connection_is_well_formed"
BY_KIND = [
    {
        "kind": "arithmetic",
        "turns": 3,
        "completed": 3,
        "failed": 0,
        "cancelled": 0,
        "unended": 0,
        "text streams": 3,
        "tool calls": 5,
        "first text ms": [12.5, 30.0, 7.25],
        "terminal ms": [20.0, 41.5, 15.0],
    },
    {
        "kind": "asked to fail",
        "turns": 2,
        "completed": 0,
        "failed": 1,
        "cancelled": 0,
        "unended": 1,
        "text streams": 0,
        "tool calls": 1,
        "first text ms": [],
        "terminal ms": [9.0],
    },
]
OBSERVED = {
    "turns": 5,
    "completed": 4,
    "failed": 1,
    "cancelled": 0,
    "tool calls": 6,
    "by kind": BY_KIND,
}


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
    # Per kind of turn: nearest-rank p50 of (7.25, 12.5, 30) is 12.5, p95 30.
    assert (
        "| arithmetic | 3 | 3 | 0 | 0 | 0 | 3 | 5 | 3, 12.5, 30, 30 | 3, 20, 41.5, 41.5 |"
        in section
    )
    assert "| asked to fail | 2 | 0 | 1 | 0 | 1 | 0 | 1 | no sample | 1, 9, 9, 9 |" in section
    assert (
        "by kind"
        not in section.split("Observed in the turns of one connection:", 1)[1].split("\n", 1)[0]
    )


def test_no_turn_rule_no_turns_section(verdict: dict[str, Any]) -> None:
    assert "### Turns" not in render_markdown(verdict)
    assert 'id="turns"' not in render_html(verdict)


def test_html_shows_the_turns(verdict: dict[str, Any]) -> None:
    page = render_html(_with_turns(verdict))
    assert '<h3 id="turns">Turns</h3>' in page
    assert "<td><code>turn_terminal_ms</code></td><td>40</td>" in page
    assert "turns 5, completed 4, failed 1, cancelled 0, tool calls 6." in page
    assert (
        "<tr><td>asked to fail</td><td>2</td><td>0</td><td>1</td><td>0</td><td>1</td>"
        "<td>0</td><td>1</td><td>no sample</td><td>1, 9, 9, 9</td></tr>" in page
    )
