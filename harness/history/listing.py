"""`stability-harness history`: the recent runs of the history, newest first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.exit_codes import ExitCode
from harness.history.diff import open_history
from harness.history.store import StoredRun
from harness.names import AGENT_STARTED_LATENCY_MS
from harness.report.listing import print_listing

COLUMNS = ("run", "finished", "verdict", "target", "profile", "planned", "passed", "failed")
P95_COLUMN = f"{AGENT_STARTED_LATENCY_MS} p95"


def row_json(run: StoredRun) -> dict[str, Any]:
    """Return one run as the JSON listing shows it (p95 of every metric with a p95 budget)."""
    summary = run.summary
    return {
        "run_id": run.run_id,
        "finished_at": run.finished_at,
        "verdict": run.verdict,
        "target": run.target,
        "profile": run.profile,
        "manifest": run.manifest,
        "planned": summary.get("planned"),
        "passed": summary.get("passed"),
        "failed": summary.get("failed"),
        "p95": dict(summary.get("p95") or {}),
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def history_main(path: Path, *, target: str | None, limit: int, fmt: str) -> int:
    """Print the latest ``limit`` runs (of ``target`` when given); no history is not an error."""
    if limit < 1:
        raise ConfigError(f"--limit {limit}: expected a positive number of runs")
    history = open_history(path)
    if history is None:
        runs: list[StoredRun] = []
    else:
        with history:
            runs = history.runs(target=target, limit=limit)
    if fmt == "json":
        print(json.dumps([row_json(r) for r in runs], indent=2, ensure_ascii=False))
        return ExitCode.OK
    if not runs:
        if history is None:
            print(f"no history at {path}: every run writes one (run --history PATH)")
        elif target is not None:
            print(f"no runs of target {target} in history {path}")
        else:
            print(f"no runs in history {path}")
        return ExitCode.OK
    rows = []
    for run in runs:
        shown = row_json(run)
        cells = [shown[k] for k in ("run_id", "finished_at", "verdict", "target", "profile")]
        cells += [shown[k] for k in ("planned", "passed", "failed")]
        cells.append(shown["p95"].get(AGENT_STARTED_LATENCY_MS))
        rows.append([_cell(c) for c in cells])
    print_listing(f"Run history ({path})", (*COLUMNS, P95_COLUMN), rows)
    return ExitCode.OK
