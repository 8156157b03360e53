"""What one run knows so far (`RunContext`) and the run record built from it; `finish`
ends the run in the publish pipeline (harness/run/publish.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from harness import __version__
from harness.history.run_history import RunHistory
from harness.rules import load_catalogue
from harness.run.clock import iso, utc_now
from harness.run.inputs import RunInputs
from harness.run.options import RunOptions
from harness.run.pace import auto_workers, probe
from harness.run.phases import load_only
from harness.run.publish import Annotator, publish
from harness.run.results import RESULTS_FILE, ResultsLog, read_results
from harness.run.shard import Shard, ShardPlan, ShardSummary, shard_policy, slice_record
from harness.run.sinks import Block, standard_sinks
from harness.run.suite import InstalledSuite
from harness.verdict.records import (
    Baseline,
    Criticality,
    NotApplicable,
    RunError,
    RunRecord,
    SuiteRecord,
    TargetInfo,
    TestRecord,
)
from harness.wire.redaction import Redactor
from harness.wire.target import EMBEDDED, Target


def environment(inputs: RunInputs) -> dict[str, Any]:
    """Where and how the run ran."""
    options, profile = inputs.options, inputs.profile
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "workers": options.workers if options.workers == "auto" else int(options.workers),
        "reruns": options.reruns or 0,
        "cpus": os.cpu_count(),
        **({"faults": dict(inputs.faults.describe())} if inputs.faults is not None else {}),
        "profile": {"name": profile.name, "capabilities": sorted(profile.capabilities)},
        **({"shards": _shards(inputs.shard)} if inputs.shard is not None else {}),
        **({"liberal": options.liberal} if options.liberal is not None else {}),
    }


def _shards(shard: Shard) -> dict[str, Any]:
    return {"index": shard.index, "of": shard.count, "count": 1, "machines": [platform.node()]}


def target_info(options: RunOptions, target: Target | None) -> TargetInfo:
    """What was verified, for the verdict."""
    if target is not None:
        return TargetInfo(target.ws_url, target.kind, tuple(sorted(target.defects)))
    return TargetInfo(
        options.target,
        EMBEDDED if options.target == EMBEDDED else "remote",
        tuple(sorted(options.defects)),
    )


def build_record(
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    target: TargetInfo,
    suites: list[InstalledSuite],
    log: ResultsLog,
    errors: list[RunError],
    env: dict[str, Any],
    baseline: Baseline | None,
) -> RunRecord:
    """The run record of the selected suites from what results.jsonl holds."""
    suite_records = []
    tests: list[TestRecord] = []
    for suite in suites:
        planned = tuple(log.planned.get(suite.name, ()))
        manifest = suite.manifest
        suite_records.append(
            SuiteRecord(
                name=suite.name,
                title=manifest.title if manifest else suite.name,
                criticality=manifest.criticality if manifest else Criticality.CRITICAL,
                description=manifest.description if manifest else "",
                capabilities=manifest.capabilities if manifest else (),
                planned=planned,
                load_error=suite.error,
            )
        )
        ran = [t for t, s in log.suite_of.items() if s == suite.name and t not in planned]
        for test in (*planned, *ran):
            tests.append(TestRecord(test, suite.name, tuple(log.attempts.get(test, ()))))
    selected = {s.name for s in suites}
    return RunRecord(
        run_id=run_id,
        started_at=iso(started),
        finished_at=iso(finished),
        harness_version=__version__,
        target=target,
        suites=tuple(suite_records),
        tests=tuple(tests),
        metrics=log.metrics(),
        run_errors=(*log.run_errors, *errors),
        environment=env,
        baseline=baseline,
        rules=load_catalogue().rules,
        test_rules=dict(log.test_rules),
        not_applicable=tuple(
            NotApplicable(ident, suite, reason, log.test_rules.get(ident, ()))
            for ident, (suite, reason) in sorted(log.not_applicable.items())
            if suite in selected
        ),
        rules_left_out=log.rules_left_out_of(selected),
        causes=tuple(log.causes),
    )


@dataclass
class RunContext:
    """What one run knows so far; `finish` judges it and writes every report."""

    inputs: RunInputs
    started: dt.datetime
    run_id: str
    target: Target | None = None
    errors: list[RunError] = dataclasses.field(default_factory=list)
    pace: dict[str, Any] | None = None  # -n auto: one probe run's seconds and the workers started
    # A target the harness started: its RSS and CPU over the run (harness/run/process_usage.py).
    target_process: dict[str, Any] | None = None

    @property
    def options(self) -> RunOptions:
        """The run's options (its inputs')."""
        return self.inputs.options

    def paced(self, target: Target) -> RunInputs:
        """The inputs with `-n auto` resolved for this target's pace (harness/run/pace.py)."""
        if self.options.workers != "auto" or load_only(self.inputs):
            return self.inputs  # workers given, or none started (load suites only)
        seconds = probe(target)
        workers = auto_workers(seconds)
        self.pace = {"probe_run_s": None if seconds is None else round(seconds, 3)}
        self.pace["workers_started"] = workers
        return self.inputs.with_workers(str(workers))

    @property
    def out(self) -> Path:
        """The output folder."""
        return (self.options.out or Path("reports") / self.run_id).resolve()

    def redactor(self) -> Redactor:
        """What hides this run's secret and tokens from the verdict, reports and console."""
        target = self.target
        secret = target.secret if target is not None else self.options.jwt_secret
        tokens = [u.token for u in target.tokens] if target is not None else []
        tokens += [pair.partition("=")[2] for pair in self.options.tokens]
        return Redactor(secret, tokens)

    def shard_summary(self) -> ShardSummary | None:
        """Return what this shard planned over its phases (None: not a shard run)."""
        if self.inputs.shard is None:
            return None
        try:
            plans = ShardPlan.read_all(self.out)
        except ValueError as exc:
            self.errors.append(RunError("internal", f"cannot read the shard plan: {exc}"))
            plans = []
        return ShardSummary(self.inputs.shard, plans)

    def finish(self, console: Console, *, early: RunError | None = None) -> int:
        """Build the run record and publish it (verdict.json, reports, history, summary);
        return the verdict's exit code."""
        record = build_record(
            self.run_id,
            self.started,
            utc_now(),
            target_info(self.options, self.target),
            list(self.inputs.suites),
            read_results(self.out / RESULTS_FILE),
            self.errors,
            {
                **environment(self.inputs),
                **(self.pace or {}),
                **({"target_process": self.target_process} if self.target_process else {}),
            },
            self.inputs.baseline,
        )
        history = RunHistory.open(
            self.options.history,
            self.options.target,
            self.inputs.policy,
            auto=self.options.baseline_auto,
        )
        record = history.with_baseline(record)
        today = utc_now().date()
        policy, shard = self.inputs.policy, self.shard_summary()
        annotators: list[Annotator] = []
        if shard is not None:
            record, policy = slice_record(record, shard), shard_policy(policy)
            annotators.append(Block("shard", shard.to_json()))
        return publish(
            record,
            policy,
            today=today,
            redactor=self.redactor(),
            sinks=standard_sinks(self.out, history, console, quiet=self.options.quiet),
            annotators=[*annotators, history],
            early=early,
        )
