"""Baselines: an earlier run's verdict.json, and the comparison of a run against it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.verdict.records import Baseline
from harness.verdict.significance import Shift, shift

SCHEMA = "stability-harness/verdict@1"


def load_baseline(path: Path) -> Baseline:
    """Return the final outcome per test id and the metric values of the verdict.json at path."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: the baseline is not valid JSON: {exc}") from None
    return parse_baseline(data, str(path))


def parse_baseline(data: Any, source: str) -> Baseline:
    """Return the baseline in a parsed verdict.json; ``source`` names it in errors."""

    def fail(key: str, what: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {what} (expected a verdict.json of {SCHEMA})")

    if not isinstance(data, dict):
        raise fail("(top level)", "must be a JSON object")
    if data.get("schema") != SCHEMA:
        raise fail("schema", f"is {data.get('schema')!r}")
    suites = data.get("suites")
    if not isinstance(suites, list):
        raise fail("suites", "must be an array")
    outcomes: dict[str, str] = {}
    for i, suite in enumerate(suites):
        tests = suite.get("tests") if isinstance(suite, dict) else None
        if not isinstance(tests, list):
            raise fail(f"suites[{i}].tests", "must be an array")
        for j, test in enumerate(tests):
            key = f"suites[{i}].tests[{j}]"
            if not isinstance(test, dict):
                raise fail(key, "must be an object")
            if not isinstance(test.get("id"), str) or not isinstance(test.get("outcome"), str):
                raise fail(key, "must have string 'id' and 'outcome'")
            outcomes[test["id"]] = test["outcome"]
    metrics_data = data.get("metrics", {})
    if not isinstance(metrics_data, dict):
        raise fail("metrics", "must be an object")
    metrics: dict[str, float] = {}
    samples: dict[str, tuple[float, ...]] = {}
    for name, metric in metrics_data.items():
        value = metric.get("value") if isinstance(metric, dict) else None
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise fail(f"metrics.{name}.value", f"must be a number or null, got {value!r}")
        if value is not None:
            metrics[name] = float(value)
        values = metric.get("samples", []) if isinstance(metric, dict) else []
        if not isinstance(values, list) or not all(_is_number(v) for v in values):
            raise fail(f"metrics.{name}.samples", "must be an array of numbers")
        if values:
            samples[name] = tuple(float(v) for v in values)
    identity = data.get("identity", {})
    if not isinstance(identity, dict) or not all(isinstance(v, str) for v in identity.values()):
        raise fail("identity", "must be an object of strings")
    return Baseline(source, outcomes, metrics, samples, identity=dict(identity))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# What makes two runs comparable, in the order a refusal names the first difference.
IDENTITY = (
    ("target", "another target"),
    ("profile", "another profile"),
    ("manifest", "another suite manifest (the planned tests differ)"),
    ("budgets", "other policy budgets"),
)


def refusal(now: Mapping[str, str], before: Mapping[str, str]) -> str | None:
    """Return why a run of identity ``before`` cannot be a baseline of one of ``now``, or None.

    An identity maps target, profile, manifest and budgets to their values or
    hashes; a baseline without an identity (a verdict.json of an older harness)
    is compared as it is.
    """
    if not before:
        return None
    for key, what in IDENTITY:
        if before.get(key) != now.get(key):
            return f"{what}: the baseline has {before.get(key)!r}, this run {now.get(key)!r}"
    return None


@dataclass(frozen=True, slots=True)
class MetricChange:
    """A metric's value in the baseline and now; change_pct is None when before is 0.

    ``shift`` compares every sample of both runs (medians, counts, p-value).
    """

    before: float
    after: float
    change_pct: float | None
    shift: Shift | None = None


@dataclass(frozen=True, slots=True)
class BaselineComparison:
    """Per-test transitions and metric changes of a run against its baseline."""

    source: str
    regressions: tuple[str, ...] = ()  # passed there, fail now
    fixed: tuple[str, ...] = ()  # failed there, pass now
    not_planned: tuple[str, ...] = ()  # in a suite planned now, but no longer planned
    metric_changes: dict[str, MetricChange] = field(default_factory=dict)
    still_failing: tuple[str, ...] = ()  # failed there, fail now
    new: tuple[str, ...] = ()  # planned now, not in the baseline


def compare(
    baseline: Baseline,
    outcomes: Mapping[str, str],
    suites: Iterable[str],
    metrics: Mapping[str, float | None],
    samples: Mapping[str, Sequence[float]] | None = None,
    *,
    alpha: float = 0.01,
    min_effect: float = 0.10,
) -> BaselineComparison:
    """Return regressions, fixes, dropped tests and metric changes of a run against baseline.

    ``outcomes`` maps every planned test id of the run to its final outcome
    (``passed``, ``failed``, ``error``, ``skipped``, ``not_run``); ``suites``
    are the names of the suites planned in the run; ``samples`` every sample
    per metric now, judged against the baseline's by a rank test at ``alpha``.
    """
    before = baseline.outcomes
    regressions = tuple(
        test_id
        for test_id, outcome in outcomes.items()
        if outcome == "failed" and before.get(test_id) == "passed"
    )
    fixed = tuple(
        test_id
        for test_id, outcome in outcomes.items()
        if outcome == "passed" and before.get(test_id) == "failed"
    )
    still_failing = tuple(
        test_id
        for test_id, outcome in outcomes.items()
        if outcome == "failed" and before.get(test_id) == "failed"
    )
    new = tuple(test_id for test_id in outcomes if test_id not in before)
    prefixes = tuple(f"{name}::" for name in suites)
    not_planned = tuple(
        test_id for test_id in before if test_id not in outcomes and test_id.startswith(prefixes)
    )
    changes: dict[str, MetricChange] = {}
    for name, after in metrics.items():
        old = baseline.metrics.get(name)
        if old is None or after is None:
            continue
        pct = round((after - old) / old * 100, 2) if old else None
        now, then = (samples or {}).get(name, ()), baseline.samples.get(name, ())
        moved = shift(then, now, alpha=alpha, min_effect=min_effect) if now and then else None
        changes[name] = MetricChange(old, after, pct, moved)
    return BaselineComparison(
        baseline.source, regressions, fixed, not_planned, changes, still_failing, new
    )


def diff(
    base: Baseline, new: Baseline, *, alpha: float = 0.01, min_effect: float = 0.10
) -> BaselineComparison:
    """Return the transitions and metric changes from ``base`` to ``new`` (rank test at alpha)."""
    suites = {test_id.split("::", 1)[0] for test_id in new.outcomes}
    return compare(
        base,
        new.outcomes,
        sorted(suites),
        new.metrics,
        new.samples,
        alpha=alpha,
        min_effect=min_effect,
    )
