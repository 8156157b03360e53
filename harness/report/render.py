"""Report rendering: the verdict.json dict in, Markdown, HTML, JUnit XML and step summary out.

Every view is a pure function of the verdict dict, so views never disagree. All markup
lives in `harness/report/templates/*.j2`; this module only derives plain values (groupings, counts,
histogram geometry) for the templates.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.names import (
    AGENT_STARTED_LATENCY_MS,
    REPLAY_SUITE,
    STAGING_SUITE,
    TIMESTAMP_CONVERSION_US,
    TIMESTAMP_SUITE,
)
from harness.report import comparison, rule_status, trend
from harness.report.environment import anchor, environment
from harness.report.junit import junit_view
from harness.verdict.model import Severity

Verdict = Mapping[str, Any]

REPORT_FILES = {"md": "report.md", "html": "report.html", "junit": "junit.xml"}
TEMPLATES = {"md": "report.md.j2", "html": "report.html.j2", "junit": "junit.xml.j2"}
# Strongest first, as the verdict ranks them.
SEVERITY_ORDER = tuple(severity.value for severity in Severity)
_TEST_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("message", ""),
    ("flaky", False),
    ("waiver", None),
    ("attempts", list),
    ("transcript", list),
)

# Characters that XML 1.0 forbids, and lone surrogates that UTF-8 cannot encode.
_UNSAFE_RAW = re.compile("[\ufffe\uffff\ud800-\udfff]")
_UNSAFE_ESCAPE = re.compile(r"(\\+)(u00(?:0[0-8bcef]|1[0-9a-f])|[bf])")


def _replace_escape(match: re.Match[str]) -> str:
    # An odd run of backslashes ends in an escape; an even run is escaped backslashes.
    run = match.group(1)
    return run[:-1] + "\\ufffd" if len(run) % 2 else match.group(0)


def clean(verdict: Verdict) -> dict[str, Any]:
    """A copy of the verdict whose strings lose what XML or UTF-8 cannot carry (as U+FFFD)."""
    # A JSON round trip copies in C; json.dumps writes control characters as escapes.
    text = json.dumps(verdict, ensure_ascii=False)
    text = _UNSAFE_RAW.sub("\ufffd", text)
    if "\\u00" in text or "\\b" in text or "\\f" in text:
        text = _UNSAFE_ESCAPE.sub(_replace_escape, text)
    document: dict[str, Any] = json.loads(text)
    return document


def _all_tests(verdict: Verdict) -> dict[str, dict[str, Any]]:
    """Every test of the verdict by id, with its suite name."""
    index: dict[str, dict[str, Any]] = {}
    for suite in verdict["suites"]:
        for test in suite["tests"]:
            index.setdefault(test["id"], {"suite": suite["name"], "test": test})
    return index


def _suite(verdict: Verdict, name: str) -> Mapping[str, Any] | None:
    return next((s for s in verdict["suites"] if s["name"] == name), None)


def staging_cases(verdict: Verdict) -> list[dict[str, Any]]:
    """Each staging_repro test with the frames it sent and what came back after the first send."""
    suite = _suite(verdict, STAGING_SUITE)
    cases = []
    for test in suite["tests"] if suite else []:
        transcript = list(test.get("transcript") or [])
        first_send = next((i for i, f in enumerate(transcript) if f["dir"] == "send"), None)
        frames = transcript[first_send:] if first_send is not None else []
        cases.append({"test": test, "frames": frames})
    return cases


def issues(verdict: Verdict) -> list[dict[str, Any]]:
    """Reason lines grouped by rule (blockers first), each evidence id with its test."""
    index = _all_tests(verdict)
    groups: dict[str, dict[str, Any]] = {}
    for reason in verdict["reasons"]:
        group = groups.setdefault(
            reason["rule"],
            {"rule": reason["rule"], "severity": reason.get("severity", "info"), "reasons": []},
        )
        evidence = [
            {"id": tid, "test": index[tid]["test"] if tid in index else None}
            for tid in reason["tests"]
        ]
        group["reasons"].append({"reason": reason, "evidence": evidence})

    def rank(group: Mapping[str, Any]) -> int:
        severity = group["severity"]
        return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)

    return sorted(groups.values(), key=rank)


def reasons_by_severity(verdict: Verdict) -> dict[str, list[Mapping[str, Any]]]:
    """The reason lines per severity, in SEVERITY_ORDER (an unknown severity counts as info)."""
    groups: dict[str, list[Mapping[str, Any]]] = {sev: [] for sev in SEVERITY_ORDER}
    for reason in verdict["reasons"]:
        severity = reason.get("severity", "info")
        groups[severity if severity in groups else "info"].append(reason)
    return groups


def suite_figures(suite: Mapping[str, Any]) -> dict[str, Any]:
    """A suite's reruns (attempts beyond the first) and total duration over all attempts."""
    reruns, duration = 0, 0.0
    for test in suite["tests"]:
        attempts = test.get("attempts") or [test]
        reruns += len(attempts) - 1
        duration += sum(float(a["duration_s"]) for a in attempts)
    return {"reruns": reruns, "duration_s": duration}


def histogram(metric: Mapping[str, Any] | None, *, bins: int = 20) -> dict[str, Any] | None:
    """Bar geometry (SVG user units) of a metric's samples and its budget lines; None if empty."""
    samples = [float(s) for s in (metric or {}).get("samples") or []]
    if not metric or not samples:
        return None
    width, height, left, bottom, top = 640.0, 220.0, 48.0, 28.0, 12.0
    plot_w, plot_h = width - left - 12.0, height - bottom - top
    limits = [float(b["limit"]) for b in metric.get("budgets") or []]
    high = max(samples)
    # Stretch the axis to show a budget limit unless it would squash the bars.
    high = max([high, *(lim for lim in limits if lim <= 3 * max(high, 1e-9))])
    high = high if high > 0 else 1.0
    count = max(1, min(bins, len(samples)))
    step = high / count
    counts = [0] * count
    for sample in samples:
        counts[min(count - 1, max(0, int(sample / step)))] += 1
    tallest = max(counts)
    bars = []
    for i, n in enumerate(counts):
        bar_h = plot_h * n / tallest
        bars.append(
            {
                "x": round(left + i * plot_w / count, 2),
                "y": round(top + plot_h - bar_h, 2),
                "w": round(max(plot_w / count - 1.0, 0.5), 2),
                "h": round(bar_h, 2),
                "low": step * i,
                "high": step * (i + 1),
                "count": n,
            }
        )
    lines = []
    for budget in metric.get("budgets") or []:
        limit = float(budget["limit"])
        if limit <= high:
            lines.append({"x": round(left + plot_w * limit / high, 2), "budget": budget})
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "base": round(top + plot_h, 2),
        "right": round(left + plot_w, 2),
        "high": high,
        "tallest": tallest,
        "bars": bars,
        "lines": lines,
        "unit": metric.get("unit", ""),
        "count": len(samples),
    }


def _complete_tests(verdict: dict[str, Any]) -> None:
    """Gives every test (of a private copy) its optional keys, its anchor and whether to expand."""
    for suite in verdict["suites"]:
        for test in suite["tests"]:
            for key, default in _TEST_DEFAULTS:
                if key not in test:
                    test[key] = default() if callable(default) else default
            test["anchor"] = anchor(test["id"])
            test["expanded"] = bool(
                test["outcome"] in ("failed", "error") or test["flaky"] or test["transcript"]
            )


def context(verdict: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates read: the verdict itself plus values derived from it alone."""
    metrics = verdict["metrics"]
    _complete_tests(verdict)
    anchors = {t["id"]: t["anchor"] for s in verdict["suites"] for t in s["tests"]}
    return {
        "v": verdict,
        "summary": verdict["summary"],
        "policy": verdict.get("policy") or {},
        "environment": verdict.get("environment") or {},
        "baseline": verdict.get("baseline"),
        "comparison": comparison.baseline_view(verdict),
        "transitions": comparison.TRANSITIONS,
        "run_errors": verdict.get("run_errors") or [],
        "figures": {s["name"]: suite_figures(s) for s in verdict["suites"]},
        "rules_recorded": rule_status.recorded(verdict),
        "rule_summary": verdict.get("rule_summary") or {},
        "rule_sections": rule_status.rule_sections(verdict, anchors),
        "not_applicable": verdict.get("not_applicable") or [],
        "causes": verdict.get("causes") or [],
        "scenarios": verdict.get("scenarios") or [],
        "events": rule_status.business_events(verdict),
        "turns": rule_status.turns_view(verdict),
        "timestamp_rows": rule_status.timestamp_rows(verdict),
        "replay_rows": rule_status.replay_rows(verdict),
        "replay_suite": _suite(verdict, REPLAY_SUITE),
        "timestamp_suite": _suite(verdict, TIMESTAMP_SUITE),
        "staging_suite": _suite(verdict, STAGING_SUITE),
        "staging": staging_cases(verdict),
        "issues": issues(verdict),
        "latency": metrics.get(AGENT_STARTED_LATENCY_MS),
        "conversion": metrics.get(TIMESTAMP_CONVERSION_US),
        "histogram": histogram(metrics.get(AGENT_STARTED_LATENCY_MS)),
        "trend": trend.chart(verdict),
        "unstable": trend.unstable(verdict),
        "severities": SEVERITY_ORDER,
        "by_severity": reasons_by_severity(verdict),
        "junit": junit_view(verdict),
    }


def _render(template: str, prepared: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(prepared)


def prepare(verdict: Verdict) -> dict[str, Any]:
    """The template context of a verdict: cleaned once, shared by every format."""
    return context(clean(verdict))


def render_markdown(verdict: Verdict) -> str:
    """The full stability report as Markdown (report.md)."""
    return _render("report.md.j2", prepare(verdict))


def render_html(verdict: Verdict) -> str:
    """The full stability report as one self-contained HTML page (report.html)."""
    return _render("report.html.j2", prepare(verdict))


def render_junit(verdict: Verdict) -> str:
    """The tests as JUnit XML (junit.xml): one testsuite per suite, every rerun attempt kept."""
    return _render("junit.xml.j2", prepare(verdict))


def render_step_summary(verdict: Verdict) -> str:
    """A short Markdown summary for a CI job page (GitHub step summary)."""
    # The summary shows counts and reasons only: leave the (large) test lists out of the copy.
    suites = [{**suite, "tests": []} for suite in verdict["suites"]]
    return _render("summary.md.j2", prepare({**verdict, "suites": suites}))


def render_all(verdict: Verdict) -> dict[str, str]:
    """The text of every report file by format ("md", "html", "junit"), from one preparation."""
    prepared = prepare(verdict)
    return {fmt: _render(TEMPLATES[fmt], prepared) for fmt in REPORT_FILES}


def write_text(path: Path, text: str) -> None:
    """Writes `text` to `path` as UTF-8 with "\\n" newlines, whatever the platform."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_reports(verdict: Verdict, out_dir: Path) -> dict[str, Path]:
    """Writes report.md, report.html and junit.xml into out_dir; returns their paths by format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt, text in render_all(verdict).items():
        path = out_dir / REPORT_FILES[fmt]
        write_text(path, text)
        paths[fmt] = path
    return paths


def append_step_summary(verdict: Verdict) -> Path | None:
    """Appends the step summary to $GITHUB_STEP_SUMMARY when set; returns that path or None."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(render_step_summary(verdict))
    return path
