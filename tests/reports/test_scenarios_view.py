"""The scenarios block of verdict.json and its view in report.md and report.html."""

from __future__ import annotations

import copy
from typing import Any

from harness.report.render import render_html, render_markdown

FAILED = {
    "test": "scenarios::test_scenarios::test_scenario[wrong-sum]",
    "outcome": "failed",
    "name": "wrong-sum",
    "file": "scenarios/wrong.toml",
    "description": "",
    "runs": 3,
    "min_pass": 2,
    "passed_runs": 1,
    "passed": False,
    "failures": [
        {
            "run": 2,
            "turn": 1,
            "check": "contains '6'",
            "reason": "the final text does not contain '6'",
            "final_text": "2+3 = 5",
            "frames": [
                {"at_ms": 0.4, "frame": {"type": "ack", "run_id": "r-1"}},
                {"at_ms": 19.3, "frame": {"type": "agent_completed", "run_id": "r-1"}},
            ],
        }
    ],
}
PASSED = {
    "test": "scenarios::test_scenarios::test_scenario[arithmetic]",
    "outcome": "passed",
    "name": "arithmetic",
    "file": "scenarios/arithmetic.toml",
    "description": "",
    "runs": 3,
    "min_pass": 2,
    "passed_runs": 3,
    "passed": True,
    "failures": [],
}


def _with_scenarios(verdict: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(verdict)
    document["scenarios"] = [PASSED, FAILED]
    return document


def test_markdown_shows_each_scenario_k_of_n_and_the_first_failing_turn(
    verdict: dict[str, Any],
) -> None:
    text = render_markdown(_with_scenarios(verdict))
    assert "| `arithmetic` | 3 of 3 (min_pass 2) | ✅ passed | none |" in text
    assert (
        "| `wrong-sum` | 1 of 3 (min_pass 2) | ❌ failed | run 2, turn 1, check contains '6': "
        "the final text does not contain '6' |"
    ) in text
    assert "Scenario `wrong-sum`, run 2, turn 1: the final text was\n\n    2+3 = 5\n" in text
    assert '    {"at_ms": 19.3, "frame": {"run_id": "r-1", "type": "agent_completed"}}' in text


def test_without_scenarios_there_is_no_scenarios_section(verdict: dict[str, Any]) -> None:
    assert "## Scenarios" not in render_markdown(verdict)
    assert 'id="scenarios"' not in render_html(verdict)


def test_html_shows_each_scenario_and_the_failing_turn_collapsed(verdict: dict[str, Any]) -> None:
    page = render_html(_with_scenarios(verdict))
    assert '<section id="scenarios">' in page
    assert "<td>1 of 3 (min_pass 2)</td>" in page
    assert "run 2, turn 1, check contains &#39;6&#39;: the final text does not contain" in page
    assert "<details><summary>final text and frames</summary><pre>2+3 = 5</pre>" in page
