"""The Baseline section of report.md and report.html: every transition, metric changes with
both medians, counts and the p-value, refusals and "no baseline"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.report.render import render_html, render_markdown

from .conftest import COUNTED, ORIGINAL, PING, RETIRED, TOOL_ORDER, ZULU, compared

LATENCY_ROW = (
    "| `agent_started_latency_ms` | 30 | 38 | +26.67 % | 29.5 | 37.2 | 30 | 30 | 0.000312 "
    "| +26.1 % | yes | **condition**: a budgeted metric got significantly worse |"
)


def section(text: str) -> str:
    """Return report.md's Baseline section."""
    return text[text.index("\n## Baseline\n") : text.index("\n---\n")]


def test_markdown_counts_and_lists_every_transition(verdict: dict[str, Any]) -> None:
    """Each of the five transitions has its count in the table and its ids under a heading."""
    text = render_markdown(compared(verdict))
    part = section(text)
    assert "Compared with `history run 20261124T101500Z-0a0b0c`." in part
    assert (
        "| regression (passed there, fail now) | 1 |\n"
        "| fixed (failed there, pass now) | 1 |\n"
        "| still failing (failed there and now) | 2 |\n"
        "| new (not in the baseline) | 1 |\n"
        "| removed (no longer planned) | 1 |\n"
    ) in part
    assert f"### Regression (passed there, fail now)\n\n- `{ORIGINAL}`\n" in part
    assert f"### Fixed (failed there, pass now)\n\n- `{ZULU}`\n" in part
    assert f"### Still failing (failed there and now)\n\n- `{TOOL_ORDER}`\n- `{COUNTED}`\n" in part
    assert f"### New (not in the baseline)\n\n- `{PING}`\n" in part
    assert f"### Removed (no longer planned)\n\n- `{RETIRED}`\n" in part
    assert (
        "- **Baseline:** regression 1, fixed 1, still failing 2, new 1, removed 1, against "
        "`history run 20261124T101500Z-0a0b0c`"
    ) in text


def test_markdown_metric_changes_show_medians_counts_p_value_and_consequence(
    verdict: dict[str, Any],
) -> None:
    """A significant change of a budgeted metric is a condition; noise is "no"; a change
    without samples says the rank test was not run."""
    part = section(render_markdown(compared(verdict)))
    assert (
        "| Metric | Before | After | Change | Median before | Median after | Samples before "
        "| Samples after | p-value | Effect | Significant | Consequence |"
    ) in part
    assert LATENCY_ROW in part
    assert (
        "| `roundtrip_ms` | 4 | 4.2 | +5.00 % | 4 | 4.1 | 12 | 14 | 0.41 | +2.5 % | no | none |"
        in (part)
    )
    assert (
        "| `timestamp_conversion_us` | 210 | 200 | -4.76 % | n/a | n/a | 0 | 0 | not tested "
        "| n/a | no | none |"
    ) in part


def test_long_transition_lists_are_cut_in_markdown_and_collapsed_in_html(
    verdict: dict[str, Any],
) -> None:
    """25 removed ids: report.md lists 20 and says how many more; report.html lists all 25
    in a closed <details>, while the regressions stay open."""
    removed = [f"staging_repro::test_gone[{i}]" for i in range(25)]
    compared(verdict)["baseline"]["removed"] = removed
    part = section(render_markdown(verdict))
    assert f"- `{removed[19]}`\n- … and 5 more (every id is in verdict.json)\n" in part
    assert removed[20] not in part
    html = render_html(verdict)
    assert '<details class="transition" id="baseline-removed">' in html
    assert '<details class="transition" id="baseline-regression" open>' in html
    assert html.count("staging_repro::test_gone[") == 25


def test_old_baseline_without_new_transitions_says_not_recorded(verdict: dict[str, Any]) -> None:
    """A verdict.json of an older harness (regressions and fixed only) is not read as zeros."""
    verdict["baseline"] = {
        "source": "reports/previous/verdict.json",
        "regressions": [ORIGINAL],
        "fixed": [],
        "metric_changes": {
            "agent_started_latency_ms": {"before": 30.0, "after": 38.0, "change_pct": 26.67}
        },
    }
    part = section(render_markdown(verdict))
    assert "| regression (passed there, fail now) | 1 |" in part
    assert "| still failing (failed there and now) | not recorded |" in part
    assert (
        "| `agent_started_latency_ms` | 30 | 38 | +26.67 % | n/a | n/a | 0 | 0 | not tested" in part
    )


def _judged(**baseline: Any) -> dict[str, Any]:
    """Return the verdict.json of a run whose latency went 10..14 -> 20..24 ms (p = 2/252)
    with a p95 budget of 100 ms and ``[baseline] block = true``."""
    from harness.verdict import judge
    from harness.verdict.policy import Budget, Policy, Statistic
    from harness.verdict.records import Baseline
    from tests.verdict.runbuilder import TODAY, metric, run, suite

    base = Baseline(
        "base/verdict.json",
        {"agent_events::a": "passed", "agent_events::b": "failed", "agent_events::gone": "passed"},
        {"lat": 14.0},
        {"lat": (10.0, 11.0, 12.0, 13.0, 14.0)},
        **baseline,
    )
    record = run(
        suite("agent_events", a="F", b="P", c="P"),
        metrics=(metric("lat", "ms", "agent_events", 20.0, 21.0, 22.0, 23.0, 24.0),),
        baseline=base,
    )
    budget = Budget("lat", Statistic.P95, 100.0, "ms", 1, True, "agent_events")
    verdict = judge(record, Policy(budgets=(budget,), baseline_block=True), today=TODAY)
    document: dict[str, Any] = json.loads(json.dumps(verdict.to_json()))
    return document


def test_a_judged_run_reports_its_transitions_and_a_blocking_metric() -> None:
    """From the judge to report.md: each transition, and a budgeted metric significantly
    worse under ``block = true`` shown as a blocker with medians 12 -> 22, 5 and 5 samples,
    p = 2/252."""
    document = _judged()
    assert document["baseline_refused"] is None
    part = section(render_markdown(document))
    assert "Compared with `base/verdict.json`." in part
    for title, test_id in [
        ("Regression (passed there, fail now)", "agent_events::a"),
        ("Fixed (failed there, pass now)", "agent_events::b"),
        ("New (not in the baseline)", "agent_events::c"),
        ("Removed (no longer planned)", "agent_events::gone"),
    ]:
        assert f"### {title}\n\n- `{test_id}`\n" in part
    assert (
        "| 12 | 22 | 5 | 5 | 0.00794 | +83.3 % | yes | **blocker**: a budgeted metric got "
        "significantly worse |"
    ) in part


@pytest.mark.parametrize("source", ["reports/other/verdict.json", None])
def test_a_refused_baseline_is_shown_with_its_reason(verdict: dict[str, Any], source: Any) -> None:
    """A refusal names the baseline and why (from "baseline_refused", or from the reason line
    of an older verdict.json); nothing is compared and it is not called "no baseline"."""
    reason = "another target: the baseline has 'ws://a/ws', this run 'ws://b/ws'"
    if source is None:
        message = f"baseline refused, regressions were not assessed: x is not comparable: {reason}"
        verdict["reasons"].append(
            {
                "rule": "baseline-refused",
                "severity": "info",
                "suite": None,
                "message": message,
                "tests": [],
            }
        )
    else:
        verdict["baseline_refused"] = {"source": source, "reason": reason}
    text = render_markdown(verdict)
    part = section(text)
    assert "No baseline" not in part and "| Transition |" not in part
    assert "another target: the baseline has 'ws://a/ws', this run 'ws://b/ws'" in part
    if source is not None:
        assert part.startswith(
            "\n## Baseline\n\nBaseline refused: `reports/other/verdict.json` is not comparable "
            "with this run, so regressions were not checked. Reason: another target"
        )
    assert "- **Baseline:** refused, not comparable (see Baseline)" in text
    assert "refused, not comparable" in render_html(verdict)


def test_judged_refusal_is_written_to_verdict_json() -> None:
    """A baseline refused by the runner is "baseline_refused" with its source and reason."""
    document = _judged(refused="another profile: the baseline has 'a', this run 'b'")
    assert document["baseline"] is None
    assert document["baseline_refused"] == {
        "source": "base/verdict.json",
        "reason": "another profile: the baseline has 'a', this run 'b'",
    }
