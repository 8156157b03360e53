"""`stability-harness run`: start or reach the target, preflight, run the suites, judge, report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console

from harness import __version__
from harness.errors import ConfigError, HarnessError
from harness.history.run_history import RunHistory
from harness.history.store import VERDICT_FILE
from harness.report.console import print_summary
from harness.report.render import append_step_summary, write_reports
from harness.rules import load_catalogue
from harness.run.clock import iso, new_run_id, utc_now
from harness.run.interruption import Interrupted, interruptible
from harness.run.options import RunOptions, replay_capture_args, select_suites, validate_options
from harness.run.phases import run_phases
from harness.run.preflight import preflight
from harness.run.results import RESULTS_FILE, ResultsLog, read_results
from harness.run.shard import (
    Shard,
    ShardPlan,
    ShardSummary,
    shard_policy,
    slice_record,
)
from harness.run.suite import InstalledSuite, discover_suites
from harness.verdict import judge, verdict_for_early_exit
from harness.verdict.baseline import load_baseline
from harness.verdict.policy import Policy, load_policy
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
from harness.wire import protocol as P
from harness.wire.profile import load_profile
from harness.wire.redaction import Redactor
from harness.wire.target import (
    EMBEDDED,
    Target,
    http_url_for,
    parse_tokens,
)
from harness.wire.tokens import SECRET_ENV, TOKENS_ENV


@contextmanager
def start_target(options: RunOptions) -> Iterator[tuple[Target, list[str]]]:
    """The target to verify and the pytest options that point the suites at it.

    With `--fault`, a fault-injecting proxy on 127.0.0.1 stands between the harness and
    the target, and the suites (and preflight) talk to the proxy.
    """
    with _reach_target(options) as (target, args):
        if not options.faults:
            yield target, args
            return
        from harness.faults.proxy import parse_faults, running

        parts = urlsplit(target.ws_url)
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        with running(parts.hostname or "127.0.0.1", port, parse_faults(options.faults)) as local:
            via = urlunsplit((parts.scheme, f"127.0.0.1:{local}", parts.path, "", ""))
            proxied = dataclasses.replace(target, ws_url=via, http_url=http_url_for(via))
            yield proxied, [f"--target={via}" if a.startswith("--target=") else a for a in args]


@contextmanager
def _reach_target(options: RunOptions) -> Iterator[tuple[Target, list[str]]]:
    profile = load_profile(options.profile)
    spec = options.profile or P.PROFILE
    if options.target == EMBEDDED:
        from harness.reference import ServerConfig, start_subprocess
        from harness.reference.defects import resolve_defects

        defects = resolve_defects(options.defects)
        secret = options.jwt_secret or secrets.token_urlsafe(24)
        # A process of its own: what the target logs (a defect's crash) stays off the
        # harness's console, and the target never shares an interpreter with the harness.
        config = ServerConfig(jwt_secret=secret, defects=defects, profile=spec)
        with start_subprocess(config) as server:
            target = Target.from_url(
                server.ws_url, secret=secret, kind=EMBEDDED, defects=defects, profile=profile
            )
            args = [f"--target={target.ws_url}", f"--profile={spec}", "--harness-embedded"]
            args.append(f"--harness-server-pid={server.pid}")  # the load phase reads its RSS
            yield target, args + [f"--defect={name}" for name in sorted(defects)]
        return
    target = Target.from_url(
        options.target,
        secret=options.jwt_secret,
        tokens=parse_tokens(options.tokens),
        profile=profile,
    )
    yield target, [f"--target={target.ws_url}", f"--profile={spec}"]


def secret_environment(target: Target) -> dict[str, str]:
    """The secrets the pytest phases need, as environment variables (never on a command line)."""
    env = {}
    if target.secret is not None:
        env[SECRET_ENV] = target.secret
    if target.tokens:
        env[TOKENS_ENV] = "\n".join(f"{user.id}={user.token}" for user in target.tokens)
    return env


def environment(options: RunOptions) -> dict[str, Any]:
    """Where and how the run ran."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "workers": options.workers if options.workers == "auto" else int(options.workers),
        "reruns": options.reruns or 0,
        "cpus": os.cpu_count(),
        **({"faults": _faults(options)} if options.faults else {}),
        "profile": _profile(options),
        **({"shards": _shards(options.shard)} if options.shard else {}),
    }


def _shards(shard: str) -> dict[str, Any]:
    parsed = Shard.parse(shard)
    return {"index": parsed.index, "of": parsed.count, "count": 1, "machines": [platform.node()]}


def _profile(options: RunOptions) -> dict[str, Any]:
    profile = load_profile(options.profile)
    return {"name": profile.name, "capabilities": sorted(profile.capabilities)}


def _faults(options: RunOptions) -> dict[str, Any]:
    from harness.faults.proxy import parse_faults

    return dict(parse_faults(options.faults).describe())


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
                criticality=Criticality(manifest.criticality if manifest else "critical"),
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
        causes=tuple(log.causes),
    )


def execute(options: RunOptions, console: Console) -> int:
    """Run the whole job; return the exit code. Every run that gets an output folder is judged."""
    validate_options(options)
    policy = load_policy(options.policy)
    baseline = load_baseline(options.baseline) if options.baseline is not None else None
    if options.reruns is None:
        options = dataclasses.replace(options, reruns=policy.reruns)
    options = dataclasses.replace(
        options,
        users=policy.load.users if options.users is None else options.users,
        conversations=(
            policy.load.conversations if options.conversations is None else options.conversations
        ),
        ramp=policy.load.ramp_s if options.ramp is None else options.ramp,
        soak=policy.load.soak_s if options.soak is None else options.soak,
    )
    if policy.replay_paths:
        extra = replay_capture_args(policy, options.policy)
        options = dataclasses.replace(
            options, extra_pytest_args=(*options.extra_pytest_args, *extra)
        )
    suites = select_suites(discover_suites(), options.suites)
    policy.check_criticality(
        {s.name: Criticality(s.manifest.criticality) for s in suites if s.manifest is not None}
    )
    started = utc_now()
    run = RunContext(options, policy, baseline, suites, started, new_run_id(started))
    run.out.mkdir(parents=True, exist_ok=True)
    run.write_start()
    # A soak lasts as long as it is asked to: --max-duration bounds the rest of the run.
    deadline = time.monotonic() + options.max_duration + (options.soak or 0.0)
    early: RunError | None = None
    try:
        with interruptible(), start_target(options) as (target, target_args):
            run.target = target
            early = preflight(target)
            if early is None:
                run.errors += run_phases(
                    run.paced(options, target),
                    suites,
                    target_args,
                    run.out,
                    deadline,
                    console,
                    secret_environment(target),
                )
    except ConfigError:
        raise
    except Interrupted as stop:
        # The phase's process group is stopped by now; the report says what never ran.
        elapsed = options.max_duration - (deadline - time.monotonic())
        cause = RunError("interrupted", f"{stop.signal_name} after {elapsed:.1f} s")
        return run.finish(console, early=cause)
    except Exception as exc:
        cause = RunError("internal", f"harness error: {type(exc).__name__}: {exc}")
        run.finish(console, early=cause)
        raise HarnessInternalError(cause.message) from exc
    # Judged and rendered once the target has stopped: nothing else runs beside it.
    return run.finish(console, early=early)


class HarnessInternalError(HarnessError):
    """The harness crashed during a run: exit code 3, after writing an INCOMPLETE verdict."""


@dataclass
class RunContext:
    """What one run knows so far; `finish` judges it and writes every report."""

    options: RunOptions
    policy: Policy
    baseline: Baseline | None
    suites: list[InstalledSuite]
    started: dt.datetime
    run_id: str
    target: Target | None = None
    errors: list[RunError] = dataclasses.field(default_factory=list)
    pace: dict[str, Any] | None = None  # -n auto: one probe run's seconds and the workers started

    def paced(self, options: RunOptions, target: Target) -> RunOptions:
        """The options with `-n auto` resolved for this target's pace (harness/run/pace.py)."""
        if options.workers != "auto":
            return options
        from harness.run.pace import auto_workers, probe

        seconds = probe(target)
        workers = auto_workers(seconds)
        self.pace = {"probe_run_s": None if seconds is None else round(seconds, 3)}
        self.pace["workers_started"] = workers
        return dataclasses.replace(options, workers=str(workers))

    @property
    def out(self) -> Path:
        """The output folder."""
        return (self.options.out or Path("reports") / self.run_id).resolve()

    def write_start(self) -> None:
        """Write run.json: what `report --from` needs to judge the run if it never finishes."""
        from harness.run.recovery import write_start

        write_start(self.out, self.run_id, iso(self.started), self.options)

    def redactor(self) -> Redactor:
        """What hides this run's secret and tokens from the verdict, reports and console."""
        target = self.target
        secret = target.secret if target is not None else self.options.jwt_secret
        tokens = [u.token for u in target.tokens] if target is not None else []
        tokens += [pair.partition("=")[2] for pair in self.options.tokens]
        return Redactor(secret, tokens)

    def shard_summary(self) -> ShardSummary | None:
        """Return what this shard planned over its phases (None: not a shard run)."""
        if self.options.shard is None:
            return None
        try:
            plans = ShardPlan.read_all(self.out)
        except ValueError as exc:
            self.errors.append(RunError("internal", f"cannot read the shard plan: {exc}"))
            plans = []
        return ShardSummary(Shard.parse(self.options.shard), plans)

    def finish(self, console: Console, *, early: RunError | None = None) -> int:
        """Judge, write verdict.json and the reports, print the summary; the verdict's exit code."""
        record = build_record(
            self.run_id,
            self.started,
            utc_now(),
            target_info(self.options, self.target),
            self.suites,
            read_results(self.out / RESULTS_FILE),
            self.errors,
            {**environment(self.options), **(self.pace or {})},
            self.baseline,
        )
        history = RunHistory.open(
            self.options.history, self.options.target, self.policy, auto=self.options.baseline_auto
        )
        record = history.with_baseline(record)
        today = utc_now().date()
        policy, shard = self.policy, self.shard_summary()
        if shard is not None:
            record, policy = slice_record(record, shard), shard_policy(policy)
        if early is not None:
            verdict = verdict_for_early_exit(record, early, policy, today=today)
        else:
            verdict = judge(record, policy, today=today)
        document = self.redactor().data(verdict.to_json())
        if shard is not None:
            document["shard"] = shard.to_json()
        history.annotate(document)
        path = self.out / VERDICT_FILE
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        paths = {"verdict": path, **write_reports(document, self.out)}
        history.keep(document)
        history.close()
        append_step_summary(document)
        print_summary(console, document, paths, quiet=self.options.quiet)
        return int(document["exit_code"])
