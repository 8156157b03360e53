"""`stability-harness diff BASE NEW`: two runs (verdict.json files, run folders or history
run ids) compared test by test and metric by metric."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.exit_codes import ExitCode
from harness.history.store import VERDICT_FILE, History, HistoryError
from harness.report import comparison as view
from harness.verdict.baseline import BaselineComparison, diff, load_baseline, refusal
from harness.verdict.policy_file import load_policy
from harness.verdict.records import Baseline


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff: what the user named, where it was found, and the run it holds."""

    given: str
    source: str
    run: Baseline


def open_history(path: Path) -> History | None:
    """Return the history at ``path``, None when there is no file; unreadable is a usage error."""
    if not path.exists():
        return None
    try:
        return History(path)
    except HistoryError as exc:
        raise ConfigError(str(exc)) from None


def resolve(given: str, history: Path) -> Side:
    """Return the run ``given`` names: a verdict.json, a run folder holding one, or a run id
    in the history (a path that exists wins over a run id of the same name)."""
    path = Path(given)
    if path.is_dir():
        path = path / VERDICT_FILE
        if not path.is_file():
            raise ConfigError(f"{given}: the folder holds no {VERDICT_FILE}")
    if path.is_file():
        return Side(given, str(path), load_baseline(path))
    found = open_history(history)
    if found is None:
        raise ConfigError(
            f"{given}: no such file or folder, and no history at {history} to find it as a run id"
        )
    with found:
        stored = found.run(given)
        if stored is None:
            raise ConfigError(f"{given}: no such file or folder, nor a run id in history {history}")
        run = found.baseline(stored)
    return Side(given, run.source, dataclasses.replace(run, identity=stored.identity()))


def comparison_json(base: Side, new: Side, comparison: BaselineComparison) -> dict[str, Any]:
    """Return the diff as a JSON object: both sources, the transitions, the metric changes."""
    tests = {
        "regression": list(comparison.regressions),
        "fixed": list(comparison.fixed),
        "still_failing": list(comparison.still_failing),
        "new": list(comparison.new),
        "removed": list(comparison.not_planned),
    }
    metrics: dict[str, Any] = {}
    for name, change in sorted(comparison.metric_changes.items()):
        moved = change.shift
        metrics[name] = {
            "before": change.before,
            "after": change.after,
            "change_pct": change.change_pct,
            "before_median": moved.before_median if moved else None,
            "after_median": moved.after_median if moved else None,
            "before_count": moved.before_count if moved else 0,
            "after_count": moved.after_count if moved else 0,
            "p_value": moved.p_value if moved else None,
            "significant": moved.significant if moved else False,
        }
    return {
        "baseline": {"given": base.given, "source": base.source},
        "compared": {"given": new.given, "source": new.source},
        "tests": tests,
        "metrics": metrics,
    }


def diff_main(base: str, new: str, *, history: Path, policy: Path | None, fmt: str) -> int:
    """Print the diff of two runs in ``fmt`` (plain, md, json); return 1 when a test
    regressed, 4 when the runs are not comparable (the reason on stderr), else 0."""
    before, after = resolve(base, history), resolve(new, history)
    if before.run.identity and after.run.identity:
        refused = refusal(after.run.identity, before.run.identity)
        if refused is not None:
            raise ConfigError(f"diff refused: {base} and {new} are not comparable: {refused}")
    judged = load_policy(policy)
    comparison = diff(
        before.run, after.run, alpha=judged.baseline_alpha, min_effect=judged.baseline_min_effect
    )
    data = comparison_json(before, after, comparison)
    if fmt == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "md":
        print(view.markdown(data), end="")
    else:
        for line in view.plain_lines(data):
            print(line)
    return ExitCode.NOT_APPROVED if comparison.regressions else ExitCode.OK
