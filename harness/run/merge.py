"""`stability-harness merge`: the output folders of `run --shard I/N` judged as one run.

Each shard's raw record (results.jsonl, the plan and shard files, the run
errors of its verdict.json) is merged into one RunRecord that the pure judge
judges again, so budgets are judged on every sample of every shard, never
combined from the shards' verdicts. What a merge cannot vouch for is a run
error of cause `shard` (INCOMPLETE): a shard missing or given twice, shards of
different counts, shards that planned different tests or split them another
way, tests run by two shards, another target or policy. A folder without a
verdict.json is a usage error (exit 4) that still leaves a report, of the
shards that were there, marked INCOMPLETE.

The merged run takes part in the history as a run does (harness/history/run_history.py):
`--baseline FILE|auto` judges its regressions, its verdict gets the trend and the
unstable tests, and it is recorded (`--history`, default reports/history.sqlite).
Its full plan has the suite manifest of an unsharded run of the same suites, so
merged and unsharded runs are each other's baselines and trend points.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from harness import __version__
from harness.errors import ConfigError
from harness.exit_codes import ExitCode
from harness.history.run_history import AUTO, RunHistory, policy_hashes
from harness.history.run_history import add_arguments as add_history_arguments
from harness.history.store import digest
from harness.rules import Rule, load_catalogue
from harness.run.clock import new_run_id, utc_now
from harness.run.publish import publish
from harness.run.results import ResultsLog
from harness.run.shard_folders import (
    SHARD,
    ShardOutput,
    consistency,
    read_shard,
)
from harness.run.sinks import Block, standard_sinks
from harness.run.suite import discover_suites
from harness.verdict.baseline import load_baseline
from harness.verdict.policy_file import load_policy
from harness.verdict.records import (
    Attempt,
    Criticality,
    MetricRecord,
    NotApplicable,
    Outcome,
    RunError,
    RunRecord,
    SuiteRecord,
    TargetInfo,
    TestRecord,
)
from harness.wire.redaction import Redactor

# Worst first: the outcome an every_shard test gets from its shards' outcomes.
_WORST = (Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED, Outcome.PASSED)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `merge`."""
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="a shard's --out folder")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="where the merged reports go"
    )
    parser.add_argument(
        "--policy", type=Path, metavar="FILE", help="the policy the shards ran with (default)"
    )
    add_history_arguments(parser, "the merged run")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict line")


def merge_record(
    shards: Sequence[ShardOutput], errors: Sequence[RunError], run_id: str, installed: Sequence[Any]
) -> RunRecord:
    """Return the one run record of `shards`: the full plan, each test's attempts from the
    shard that ran it, every metric sample of every shard, and every run error."""
    plan: dict[str, str] = {}  # full plan in collection order, phase by phase
    for phase in sorted({p.phase for s in shards for p in s.plans}):
        for shard in shards:
            for p in shard.plans:
                if p.phase == phase:
                    plan.update((t, suite) for t, suite in p.plan.items() if t not in plan)
    every = {t for s in shards for p in s.plans for t in p.every}
    attempts: dict[str, tuple[Attempt, ...]] = {}
    owner: dict[str, int] = {}
    shared: dict[str, list[tuple[int, Attempt]]] = {}
    overlap: list[str] = []
    suite_of: dict[str, str] = {}
    for shard in shards:
        suite_of.update((t, s) for t, s in shard.log.suite_of.items() if t not in suite_of)
        for test, tries in shard.log.attempts.items():
            if test in every:
                shared.setdefault(test, []).append((shard.index, tries[-1]))
            elif test in owner:
                overlap.append(test)
            else:
                owner[test], attempts[test] = shard.index, tuple(tries)
    for test, finals in shared.items():
        attempts[test] = (_combined(finals),)
    run_errors = list(errors)
    if overlap:
        message = (
            f"{len(overlap)} tests ran in more than one shard: the first shard's result counts"
        )
        run_errors.append(RunError(SHARD, message, None, tuple(sorted(set(overlap)))))
    for shard in shards:
        for e in shard.document.get("run_errors") or ():
            message = f"shard {shard.index}/{shard.count}: {e.get('message')}"
            named = tuple(e.get("tests") or ())
            run_errors.append(RunError(str(e.get("cause")), message, e.get("suite"), named))
        run_errors += [e for e in shard.log.run_errors if e.cause == SHARD]
    suites = _suites(shards, plan, suite_of, installed)
    names = {s.name for s in suites}
    planned = {t for s in suites for t in s.planned}
    tests = [TestRecord(t, suite_of.get(t, plan.get(t, "")), attempts.get(t, ())) for t in plan]
    tests += [TestRecord(t, suite_of.get(t, ""), a) for t, a in attempts.items() if t not in plan]
    first = shards[0].document if shards else {}
    return RunRecord(
        run_id=run_id,
        started_at=min((s.document["started_at"] for s in shards), default=""),
        finished_at=max((s.document["finished_at"] for s in shards), default=""),
        harness_version=__version__,
        target=_target(first),
        suites=suites,
        tests=tuple(t for t in tests if t.id in planned or t.attempts),
        metrics=_metrics(shards),
        run_errors=tuple(run_errors),
        environment=_environment(shards),
        rules=_rules(),
        test_rules={t: r for s in shards for t, r in s.log.test_rules.items()},
        not_applicable=tuple(
            NotApplicable(ident, suite, reason, rules)
            for ident, (suite, reason, rules) in sorted(_left_out(shards).items())
            if suite in names
        ),
        rules_left_out=_rules_left_out(shards, names),
        causes=_causes(shards),
    )


def _combined(finals: Sequence[tuple[int, Attempt]]) -> Attempt:
    """Return one attempt of an every_shard test from each shard's final attempt: the worst
    one (its outcome, transcript, cause and deviation), the longest duration, each shard's
    message and every shard's evidence."""
    worst = min(finals, key=lambda f: _WORST.index(f[1].outcome))[1]
    messages = [f"shard {i}: {a.message}" for i, a in finals if a.message]
    return dataclasses.replace(
        worst,
        duration_s=max(a.duration_s for _, a in finals),
        message="; ".join(messages),
        evidence=tuple(e for _, a in finals for e in a.evidence),
    )


def _suites(
    shards: Sequence[ShardOutput],
    plan: Mapping[str, str],
    suite_of: Mapping[str, str],
    installed: Sequence[Any],
) -> tuple[SuiteRecord, ...]:
    seen: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for suite in shard.document.get("suites") or ():
            seen.setdefault(suite["name"], suite)
    for name in plan.values():
        seen.setdefault(name, {"name": name})
    manifests = {s.name: s.manifest for s in installed if s.manifest is not None}
    order = [s.name for s in installed]
    records = []
    for name in sorted(seen, key=lambda n: (order.index(n) if n in order else len(order), n)):
        shown, manifest = seen[name], manifests.get(name)
        planned = [t for t, s in plan.items() if s == name]
        planned += [t for shard in shards for t in shard.log.planned.get(name, ())]
        records.append(
            SuiteRecord(
                name=name,
                title=manifest.title if manifest else str(shown.get("title", name)),
                criticality=manifest.criticality
                if manifest
                else Criticality(shown.get("criticality", Criticality.CRITICAL.value)),
                description=manifest.description if manifest else str(shown.get("description", "")),
                capabilities=manifest.capabilities if manifest else (),
                planned=tuple(dict.fromkeys(planned)),
                load_error=shown.get("load_error"),
            )
        )
    return tuple(records)


def _target(document: Mapping[str, Any]) -> TargetInfo:
    target = document.get("target") or {}
    return TargetInfo(
        str(target.get("url", "")), str(target.get("kind", "")), tuple(target.get("defects", ()))
    )


def target_of(shards: Sequence[ShardOutput]) -> str:
    """Return the target as the shards' runs named it in the history (`embedded` or the
    URL given to --target): what makes the merged run comparable with unsharded ones."""
    for shard in shards:
        named = (shard.document.get("identity") or {}).get("target")
        if named:
            return str(named)
    target = (shards[0].document.get("target") or {}) if shards else {}
    return "embedded" if target.get("kind") == "embedded" else str(target.get("url", ""))


def _metrics(shards: Sequence[ShardOutput]) -> tuple[MetricRecord, ...]:
    merged = ResultsLog()
    for shard in shards:
        for key, values in shard.log.samples.items():
            merged.samples.setdefault(key, []).extend(values)
    return merged.metrics()


def _left_out(shards: Sequence[ShardOutput]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    found: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for shard in shards:
        for ident, (suite, reason) in shard.log.not_applicable.items():
            found.setdefault(ident, (suite, reason, shard.log.test_rules.get(ident, ())))
    return found


def _rules_left_out(shards: Sequence[ShardOutput], names: set[str]) -> tuple[NotApplicable, ...]:
    merged = ResultsLog()
    for shard in shards:
        for ident, entry in shard.log.rules_left_out.items():
            merged.rules_left_out.setdefault(ident, entry)
    return merged.rules_left_out_of(names)


def _causes(shards: Sequence[ShardOutput]) -> tuple[dict[str, str], ...]:
    first: dict[str, dict[str, str]] = {}
    for shard in shards:
        for cause in shard.log.causes:
            first.setdefault(cause["key"], cause)
    return tuple(first.values())


def _environment(shards: Sequence[ShardOutput]) -> dict[str, Any]:
    """Return the first shard's environment, and how many shards on which machines took part."""
    env = dict(shards[0].document.get("environment") or {}) if shards else {}
    env["hostname"] = platform.node()
    env["shards"] = {
        "count": len(shards),
        "of": shards[0].count if shards else 0,
        "machines": [str((s.document.get("environment") or {}).get("hostname")) for s in shards],
    }
    return env


def _rules() -> tuple[Rule, ...]:
    return load_catalogue().rules


def shards_block(shards: Sequence[ShardOutput]) -> dict[str, Any]:
    """Return verdict.json's `shards`: who took part, with the digests that were compared."""
    return {
        "count": len(shards),
        "of": shards[0].count if shards else 0,
        "plan_hash": digest(sorted({str(s.document["shard"].get("plan_hash")) for s in shards})),
        "members": [
            {
                "index": s.index,
                "folder": str(s.folder),
                "run_id": s.document.get("run_id"),
                "hostname": (s.document.get("environment") or {}).get("hostname"),
                "verdict": s.document.get("verdict"),
                "planned_here": s.document["shard"].get("planned_here"),
                "plan_hash": s.document["shard"].get("plan_hash"),
                "split_digest": s.document["shard"].get("split_digest"),
            }
            for s in shards
        ],
    }


def merge_main(args: argparse.Namespace) -> int:
    """Merge, judge, write verdict.json and the reports, print; the verdict's exit code (4 when
    a folder was not a shard's output: the others are still merged and reported)."""
    out: Path = args.out.resolve()
    if any(d.resolve() == out for d in args.dirs):
        raise ConfigError(f"merge: --out {args.out} is one of the shard folders: choose another")
    return merge(
        args.dirs,
        out,
        args.policy,
        Console(highlight=False),
        quiet=args.quiet,
        history=None if args.no_history else args.history,
        baseline=args.baseline,
    )


def merge(
    folders: Iterable[Path],
    out: Path,
    policy_file: Path | None,
    console: Console,
    *,
    quiet: bool,
    history: Path | None = None,
    baseline: Path | None = None,
) -> int:
    """Merge the shard folders into `out` (see `merge_main`); with `history` the merged run
    is judged against `baseline` (a verdict.json, or `auto`) and recorded, as a run is."""
    policy = load_policy(policy_file)
    auto = baseline is not None and str(baseline) == AUTO
    given = load_baseline(baseline) if baseline is not None and not auto else None
    shards, bad = [], []
    for folder in folders:
        try:
            shards.append(read_shard(folder))
        except ConfigError as exc:
            bad.append(exc)
    merged, errors = consistency(shards)
    errors += [RunError(SHARD, str(problem)) for problem in bad]
    whole = policy_hashes(policy)[0]
    for shard in merged:
        used = (shard.document.get("identity") or {}).get("policy")
        if used is not None and used != whole:
            errors.append(
                RunError(
                    SHARD,
                    f"shard {shard.index}/{shard.count} ran with policy {used}, the merge judges "
                    f"with {whole} ({policy.source}): merge with the shards' --policy FILE",
                )
            )
    now = utc_now()
    record = merge_record(merged, errors, new_run_id(now) + "-merged", discover_suites())
    record = dataclasses.replace(record, baseline=given)
    # Without a shard read there is no run to compare or record.
    runs = RunHistory.open(history if merged else None, target_of(merged), policy, auto=auto)
    code = publish(
        runs.with_baseline(record),
        policy,
        today=now.date(),
        redactor=Redactor.from_environment(),
        sinks=standard_sinks(out, runs, console, quiet=quiet),
        annotators=[Block("shards", shards_block(merged)), runs],
    )
    for problem in bad:
        print(f"stability-harness: error: {problem}", file=sys.stderr)
    return ExitCode.USAGE if bad else code
