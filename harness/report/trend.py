"""The trend of the last comparable runs as the reports show it: chart geometry, unstable tests.

Both come from verdict.json alone (`trend` and `unstable`, written by `run` from its
history); the markup lives in the templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.names import AGENT_STARTED_LATENCY_MS
from harness.verdict.model import VerdictKind

VERDICTS = tuple(kind.value for kind in VerdictKind)


def _metric(points: Sequence[Mapping[str, Any]]) -> str | None:
    """The metric whose p95 the trend draws: the latency budget's, else the first with one."""
    names = sorted({name for p in points for name in (p.get("p95") or {})})
    if AGENT_STARTED_LATENCY_MS in names:
        return AGENT_STARTED_LATENCY_MS
    return names[0] if names else None


def _limit(metric: Mapping[str, Any]) -> float | None:
    limits = [float(b["limit"]) for b in metric.get("budgets") or [] if b.get("statistic") == "p95"]
    return min(limits) if limits else None


def chart(verdict: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the geometry (SVG user units) of the trend of the last comparable runs: a bar of
    passed tests and a verdict marker per run, the p95 as a line; None without a trend."""
    points = list(verdict.get("trend") or [])
    if not points:
        return None
    width, height, left, right, top, bottom = 640.0, 240.0, 48.0, 64.0, 30.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    slot = plot_w / len(points)
    tallest = max([1, *(int(p.get("planned") or 0) for p in points)])
    metric = _metric(points)
    values = [(p.get("p95") or {}).get(metric) for p in points]
    measured = [float(v) for v in values if v is not None]
    now = (verdict.get("metrics") or {}).get(metric) or {}
    limit = _limit(now)
    high = max([*measured, 0.0])
    if limit is not None and limit <= 3 * max(high, 1e-9):
        high = max(high, limit)  # show the budget unless it would flatten the line
    high = high if high > 0 else 1.0
    runs, line = [], []
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        x = left + (i + 0.5) * slot
        passed, planned = int(point.get("passed") or 0), int(point.get("planned") or 0)
        bar_h = plot_h * passed / tallest
        verdict_name = str(point.get("verdict"))
        run = {
            "x": round(x, 2),
            "bar_x": round(x - slot * 0.35, 2),
            "bar_w": round(max(slot * 0.7, 0.5), 2),
            "bar_y": round(base - bar_h, 2),
            "bar_h": round(bar_h, 2),
            "marker_y": round(top - 14, 2),
            "mark": verdict_name if verdict_name in VERDICTS else "INCOMPLETE",
            "run_id": point.get("run_id"),
            "finished_at": point.get("finished_at"),
            "verdict": verdict_name,
            "passed": passed,
            "planned": planned,
            "failed": int(point.get("failed") or 0),
            "p95": value,
        }
        runs.append(run)
        if value is not None:
            y = base - plot_h * float(value) / high
            line.append({"x": run["x"], "y": round(y, 2), "value": float(value)})
    budget_y = None if limit is None or limit > high else round(base - plot_h * limit / high, 2)
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "base": round(base, 2),
        "right": round(left + plot_w, 2),
        "runs": runs,
        "line": line,
        "path": " ".join(f"{p['x']},{p['y']}" for p in line),
        "metric": metric,
        "unit": str(now.get("unit") or ""),
        "high": high,
        "tallest": tallest,
        "limit": limit,
        "budget_y": budget_y,
    }


def unstable(verdict: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the unstable tests (failed in any of the last N comparable runs) with their
    failure counts, most failures first; None when the run kept no history."""
    found = verdict.get("unstable")
    if not isinstance(found, Mapping):
        return None
    tests = sorted((found.get("tests") or {}).items(), key=lambda item: (-item[1], item[0]))
    return {"runs": int(found.get("runs") or 0), "tests": tests}
