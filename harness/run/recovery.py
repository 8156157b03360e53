"""`report --from DIR`: judge a run that never finished (killed) from what its folder holds.

At its start a run writes `run.json` (its id, start time and options, never a secret);
with results.jsonl and the plan files beside it, that is enough to judge the run: the
tests that never ran are not run, and the run error says it did not finish.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final

from rich.console import Console

from harness.errors import ConfigError
from harness.history.store import VERDICT_FILE
from harness.report.render import REPORT_FILES
from harness.run.context import RunContext
from harness.run.inputs import recovered_inputs
from harness.run.options import RunOptions
from harness.run.results import PLAN_FILE, RESULTS_FILE, read_results
from harness.run.served import LOG_FILE, PRIVATE_LOG_FILE
from harness.run.shard import SHARD_FILE
from harness.verdict.records import RunError
from harness.wire.causes import LEDGER_FILE

START_FILE: Final = "run.json"
# The options run.json keeps: what was verified and how; secrets and tokens are left out.
_KEPT: Final = (
    "target",
    "defects",
    "suites",
    "workers",
    "policy",
    "reruns",
    "max_duration",
    "faults",
    "profile",
    "scenarios",
)


# What a run writes in its folder, by name: a new run in the same folder starts without
# them, so that nothing of an earlier run (its attempts, plans or causes, appended to by
# each process) is read or shown as this run's.
RUN_FILES: Final = (
    RESULTS_FILE,
    LEDGER_FILE,
    PLAN_FILE.format(phase="*"),
    SHARD_FILE.format(phase="*"),
    "pytest-phase*.log",  # the phases' logs and their ini (harness/run/phases.py)
    "pytest.ini",
    LOG_FILE,  # a served target's output (harness/run/served.py), appended to
    PRIVATE_LOG_FILE,
    VERDICT_FILE,
    *REPORT_FILES.values(),
    START_FILE,
)


def clear_previous_run(out: Path) -> list[Path]:
    """Remove an earlier run's files from `out` (nothing else); the paths removed."""
    removed = []
    for pattern in RUN_FILES:
        for path in sorted(out.glob(pattern)):
            if path.is_file():
                path.unlink()
                removed.append(path)
    return removed


def write_start(out: Path, run_id: str, started_at: str, options: RunOptions) -> None:
    """Write `run.json` in `out`, an earlier run's files removed first."""
    clear_previous_run(out)
    kept = {}
    for name in _KEPT:
        value = getattr(options, name)
        if isinstance(value, Path):
            value = str(value.resolve())
        kept[name] = list(value) if isinstance(value, tuple) else value
    document = {"run_id": run_id, "started_at": started_at, "options": kept}
    (out / START_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def rebuild(out: Path, console: Console) -> int:
    """Judge the run in `out` from its files, write verdict.json and the reports; the exit code."""
    results = out / RESULTS_FILE
    start = out / START_FILE
    if not results.is_file():
        raise ConfigError(f"--from {out}: no {RESULTS_FILE} in it (not a run's output folder)")
    try:
        document = json.loads(start.read_text(encoding="utf-8"))
        kept = document["options"]
        options = RunOptions(
            target=str(kept["target"]),
            defects=tuple(kept["defects"]),
            suites=tuple(kept["suites"]),
            workers=str(kept["workers"]),
            policy=Path(kept["policy"]) if kept["policy"] else None,
            out=out,
            reruns=kept["reruns"],
            max_duration=float(kept["max_duration"]),
            faults=tuple(kept["faults"]),
            profile=kept["profile"],
            scenarios=tuple(kept.get("scenarios", ())),
        )
        run_id = str(document["run_id"])
        started = dt.datetime.strptime(document["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    except OSError as exc:
        raise ConfigError(f"--from {out}: cannot read {START_FILE}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{start}: not a run's start file: {type(exc).__name__}: {exc}") from None
    inputs = recovered_inputs(options)
    log = read_results(results)
    finished = sorted(log.sessions)
    message = f"the run did not finish (rebuilt from {RESULTS_FILE} by `report --from`): " + (
        f"phases finished: {', '.join(map(str, finished))}" if finished else "no phase finished"
    )
    run = RunContext(inputs, started.replace(tzinfo=dt.UTC), run_id)
    return run.finish(console, early=RunError("interrupted", message))
