"""Views of a diff of two runs (the JSON object of `stability-harness diff --format json`):
plain lines for a console, Markdown for a pull request or a step summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.report.environment import environment

# The transitions in the order every view lists them: (key, title).
TRANSITIONS = (
    ("regression", "regression (passed there, fail now)"),
    ("fixed", "fixed (failed there, pass now)"),
    ("still_failing", "still failing (failed there and now)"),
    ("new", "new (not in the baseline)"),
    ("removed", "removed (no longer planned)"),
)

# A metric change of an older verdict.json may lack the rank test's keys: these stand in.
_UNTESTED = {
    "before_median": None,
    "after_median": None,
    "before_count": 0,
    "after_count": 0,
    "p_value": None,
    "effect": None,
    "significant": False,
    "budgeted": False,
    "severity": None,
}


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def metric_line(name: str, change: Mapping[str, Any]) -> str:
    """Return one metric's change: both medians and sample counts, the p-value, the verdict."""
    pct = change["change_pct"]
    moved = "n/a" if pct is None else f"{pct:+.2f}%"
    head = f"{name}: {_number(change['before'])} -> {_number(change['after'])} ({moved})"
    if change["p_value"] is None:
        return f"{head}; no samples on both sides: significance not tested"
    judged = "significant" if change["significant"] else "not significant"
    return (
        f"{head}; median {_number(change['before_median'])} -> "
        f"{_number(change['after_median'])}, samples {change['before_count']} -> "
        f"{change['after_count']}, p = {change['p_value']:.3g}: {judged}"
    )


def plain_lines(data: Mapping[str, Any]) -> list[str]:
    """Return the diff as plain lines, one fact per line, ids indented under their count."""
    lines = [f"baseline: {data['baseline']['source']}", f"compared: {data['compared']['source']}"]
    for key, title in TRANSITIONS:
        ids = data["tests"][key]
        lines.append(f"{title}: {len(ids)}")
        lines += [f"  {test_id}" for test_id in ids]
    lines.append(f"metric changes: {len(data['metrics'])}")
    lines += [f"  {metric_line(name, c)}" for name, c in data["metrics"].items()]
    return lines


def baseline_view(verdict: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return a run's comparison with its baseline as the reports show it, None without one.

    The same shape as a diff's ``tests`` and ``metrics`` (a transition an older
    verdict.json did not record is None), plus ``refused``: the source and
    reason of a baseline that was not compared.
    """
    baseline = verdict.get("baseline")
    refused = verdict.get("baseline_refused")
    if refused is None and baseline is None:
        # A verdict.json without "baseline_refused" tells a refusal in its reasons only.
        refused = next(
            (
                {"source": None, "reason": r["message"]}
                for r in verdict.get("reasons", [])
                if r["rule"] == "baseline-refused"
            ),
            None,
        )
    if baseline is None:
        return None if refused is None else {"refused": refused}
    tests = {
        "regression": baseline["regressions"],
        "fixed": baseline["fixed"],
        "still_failing": baseline.get("still_failing"),
        "new": baseline.get("new"),
        "removed": baseline.get("removed", baseline.get("not_planned")),
    }
    metrics = {
        name: {**_UNTESTED, **change}
        for name, change in sorted(baseline.get("metric_changes", {}).items())
    }
    return {"refused": None, "source": baseline["source"], "tests": tests, "metrics": metrics}


def markdown(data: Mapping[str, Any]) -> str:
    """Return the diff as a Markdown document."""
    template = environment().get_template("diff.md.j2")
    return template.render(d=data, transitions=TRANSITIONS)
