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
from harness.history.recorder import RunHistory
from harness.report.console import ProgressView, print_summary
from harness.report.render import append_step_summary, write_reports
from harness.rules import load_catalogue
from harness.run.interruption import Interrupted, interruptible
from harness.run.phases import Phase, has_load_tests, phase_errors, pytest_command, run_phase
from harness.run.preflight import preflight
from harness.run.results import RESULTS_FILE, ResultsLog, read_results
from harness.run.shard import (
    Shard,
    ShardPlan,
    ShardSummary,
    history_durations,
    load_durations,
    shard_policy,
    slice_record,
    write_durations,
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
    EMBEDDED_CONVERTER,
    Target,
    http_url_for,
    normalise_ws_url,
    parse_tokens,
)
from harness.wire.tokens import SECRET_ENV, TOKENS_ENV

VERDICT_FILE = "verdict.json"
HISTORY_FILE = Path("reports") / "history.sqlite"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The options of one run (DESIGN.md, `run`)."""

    target: str = EMBEDDED
    defects: tuple[str, ...] = ()
    suites: tuple[str, ...] = ()
    workers: str = "auto"
    policy: Path | None = None
    baseline: Path | None = None
    out: Path | None = None
    jwt_secret: str | None = None
    tokens: tuple[str, ...] = ()
    converter: str | None = None
    reruns: int | None = None
    max_duration: float = 900.0
    quiet: bool = False
    extra_pytest_args: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()  # --fault KIND=VALUE: a fault proxy before the target
    profile: str | None = None  # the target's dialect: a built-in profile name or a file
    history: Path | None = HISTORY_FILE  # the run history (SQLite); None: --no-history
    baseline_auto: bool = False  # --baseline auto: the history's last approved comparable run
    # The load phase (suites/load): None takes the policy's [load] value.
    users: int | None = None
    conversations: int | None = None
    ramp: float | None = None
    soak: float | None = None
    shard: str | None = None  # --shard I/N: run only that slice of the plan (harness/run/shard.py)
    shard_durations: Path | None = None  # --shard-durations FILE: the split's durations table


def new_run_id(now: dt.datetime) -> str:
    """A sortable, unique run id such as `20261125T204000Z-1a2b3c`."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def utc_now() -> dt.datetime:
    """The current UTC time (the runner's only clock)."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """ISO 8601 UTC with microseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def select_suites(installed: list[InstalledSuite], names: tuple[str, ...]) -> list[InstalledSuite]:
    """The suites named with --suite (all when none); ConfigError naming an unknown one."""
    if not names:
        return installed
    known = {s.name: s for s in installed}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"--suite {unknown[0]!r}: no such suite (installed: {', '.join(sorted(known))})"
        )
    return [known[n] for n in dict.fromkeys(names)]


def validate_options(options: RunOptions) -> None:
    """Usage errors found before anything starts (exit code 4)."""
    if options.workers != "auto":
        try:
            if int(options.workers) < 0:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"-n/--workers {options.workers!r}: expected auto or N >= 0"
            ) from None
    if options.reruns is not None and options.reruns < 0:
        raise ConfigError(f"--reruns {options.reruns}: expected 0 or more")
    if options.max_duration <= 0:
        raise ConfigError(f"--max-duration {options.max_duration:g}: expected a positive number")
    for name, count in (("users", options.users), ("conversations", options.conversations)):
        if count is not None and count < 1:
            raise ConfigError(f"--{name} {count}: expected a whole number >= 1")
    for name, seconds in (("ramp", options.ramp), ("soak", options.soak)):
        if seconds is not None and not 0 <= seconds < float("inf"):
            raise ConfigError(f"--{name} {seconds:g}: expected a number of seconds >= 0")
    if options.target != EMBEDDED:
        normalise_ws_url(options.target)
    if options.converter:
        from harness.run.converter import load_converter

        load_converter(options.converter)  # one that does not load is a usage error now
    if options.faults:
        from harness.faults.proxy import parse_faults

        parse_faults(options.faults)
    if options.target != EMBEDDED and options.defects:
        raise ConfigError("--defect applies only to the embedded target (--target embedded)")
    if options.target == EMBEDDED and options.tokens:
        raise ConfigError("--token applies only to a remote target (--target ws://...)")
    profile = load_profile(options.profile)  # a bad profile is a usage error now
    commanded = profile.auth["tokens"]["source"] == "command"
    credentials = options.jwt_secret or options.tokens or commanded
    if options.target != EMBEDDED and not credentials:
        raise ConfigError(
            f"--target {options.target}: give --jwt-secret or at least one --token "
            "USER=JWT (or a profile whose token source is a command)"
        )
    parse_tokens(options.tokens)
    if options.shard is not None:
        Shard.parse(options.shard)
    if options.shard_durations is not None:
        if options.shard is None:
            raise ConfigError("--shard-durations applies only with --shard I/N")
        load_durations(options.shard_durations)


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


class Progress:
    """Feeds results.jsonl lines, as they are appended, to the console's progress view."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self._console = console
        self._quiet = quiet
        self._view: ProgressView | None = None
        self._plan: list[tuple[str, int]] = []

    def __call__(self, line: dict[str, Any]) -> None:
        if self._quiet:
            return
        if line.get("kind") == "plan":
            self._plan.append((line["suite"], len(line["tests"])))
        elif line.get("kind") == "attempt":
            if self._view is None:
                self._view = ProgressView(self._console, self._plan)
                self._view.__enter__()
            self._view.advance(line["suite"], line["id"], line["outcome"], line["duration_s"])

    def close(self) -> None:
        """End the live display of this phase."""
        if self._view is not None:
            self._view.__exit__(None, None, None)
        self._view = None
        self._plan = []


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


def replay_capture_args(policy: Policy, policy_file: Path | None) -> tuple[str, ...]:
    """`--replay-capture` options for the captures the policy names (relative to its file),
    each validated now: a missing or bad capture is a usage error before anything starts."""
    from harness.replay.capture import load_capture

    base = policy_file.resolve().parent if policy_file is not None else Path.cwd()
    args = []
    for i, name in enumerate(policy.replay_paths):
        path = (base / name).resolve()
        if not path.exists():
            raise ConfigError(f"{policy.source}: replays.paths[{i}]: {path} does not exist")
        for capture in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
            load_capture(capture)
        args.append(f"--replay-capture={path}")
    return tuple(args)


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


def run_phases(
    options: RunOptions,
    suites: list[InstalledSuite],
    target_args: list[str],
    out: Path,
    deadline: float,
    console: Console,
    env: dict[str, str] | None = None,
) -> list[RunError]:
    """Phase 1 (parallel suites), phase 2 (serial performance tests), then phase 3 (load)."""
    loaded = [s.path for s in suites if s.path is not None]
    if not loaded:
        return []
    # The embedded target's own normaliser is the converter under test unless one is given.
    embedded = options.target == EMBEDDED
    errors: list[RunError] = []
    progress = Progress(console, options.quiet)
    durations = shard_durations(options, out) if options.shard else None
    crowded = [path for path in loaded if has_load_tests(path)]
    for number in (1, 2, 3) if crowded else (1, 2):
        args = pytest_command(
            number,
            crowded if number == 3 else loaded,
            target_args,
            out,
            workers=options.workers,
            reruns=options.reruns,
            converter=options.converter or (EMBEDDED_CONVERTER if embedded else None),
            extra=options.extra_pytest_args,
            shard=options.shard,
            shard_durations=durations,
            load=load_arguments(options) if number == 3 else (),
        )
        phase = Phase(number, args, out / f"pytest-phase{number}.log", env=env)
        try:
            run_phase(phase, deadline, progress, out / RESULTS_FILE)
        finally:
            progress.close()
        errors += phase_errors(phase, options.max_duration)
        if phase.timed_out:
            break
    return errors


def load_arguments(options: RunOptions) -> list[str]:
    """The load phase's pytest options (suites/load) from the run's options."""
    return [
        f"--load-users={options.users}",
        f"--load-conversations={options.conversations}",
        f"--load-ramp={options.ramp}",
        f"--load-soak={options.soak}",
    ]


def shard_durations(options: RunOptions, out: Path) -> Path:
    """Write the durations table every phase of a shard run splits with: --shard-durations,
    else the history's recorded durations, else none (the split balances by count)."""
    if options.shard_durations is not None:
        source = f"file {options.shard_durations.name}"
        return write_durations(out, source, load_durations(options.shard_durations))
    if options.history is not None:
        found = history_durations(options.history)
        if found:
            return write_durations(out, f"history {options.history.name}", found)
    return write_durations(out, "none", {})
