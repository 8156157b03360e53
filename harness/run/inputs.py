"""A run's inputs, read and validated once into one frozen record before anything starts.

`read_inputs` turns the options of `run` (and `replay`) into `RunInputs`: the options
with the policy's defaults filled in, the policy, the baseline, the profile, the tokens,
the faults, the shard and its durations, and the selected suites. Starting the target,
the phases and the publishing each take what they need from it; none reads a file again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import ConfigError
from harness.faults.proxy import FaultPlan, parse_faults
from harness.run.options import (
    RunOptions,
    replay_capture_args,
    scenario_args,
    select_suites,
    validate_options,
)
from harness.run.shard import Shard
from harness.run.suite import InstalledSuite, discover_suites
from harness.verdict.baseline import load_baseline
from harness.verdict.policy import Policy, ServePlan
from harness.verdict.policy_file import load_policy
from harness.verdict.records import Baseline, Criticality
from harness.wire.client import User
from harness.wire.profile import Profile, load_profile
from harness.wire.target import EMBEDDED


@dataclass(frozen=True, slots=True)
class RunInputs:
    """Everything one run reads before it starts (frozen: no step changes or re-reads it)."""

    options: RunOptions  # with the policy's defaults (reruns, [load], replays) filled in
    policy: Policy
    baseline: Baseline | None
    profile: Profile
    suites: tuple[InstalledSuite, ...]
    tokens: tuple[User, ...] = ()
    faults: FaultPlan | None = None
    shard: Shard | None = None
    durations: Mapping[str, float] | None = None  # --shard-durations FILE, read
    serve: ServePlan | None = None  # --serve CMD or the policy's [serve]: the harness starts it

    @property
    def profile_spec(self) -> str:
        """The profile as the pytest phases are given it: a built-in name, or the file as
        read (its absolute path: the phases run in the output folder)."""
        return self.profile.source if self.profile.source != "built-in" else self.profile.name

    @property
    def embedded(self) -> bool:
        """Whether the target is the embedded reference server."""
        return self.options.target == EMBEDDED

    def with_workers(self, workers: str) -> RunInputs:
        """Return these inputs with `-n auto` resolved to `workers`."""
        return dataclasses.replace(self, options=dataclasses.replace(self.options, workers=workers))


def read_inputs(options: RunOptions) -> RunInputs:
    """Validate the options and read every input once; ConfigError (exit 4) on a bad one."""
    checked = validate_options(options)
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
    scenarios = scenario_args(options, policy)
    options = dataclasses.replace(
        options, extra_pytest_args=(*options.extra_pytest_args, *scenarios)
    )
    serve = serve_plan(options, policy)
    suites = select_suites(discover_suites(), options.suites, bool(scenarios))
    policy.check_criticality(
        {s.name: Criticality(s.manifest.criticality) for s in suites if s.manifest is not None}
    )
    return RunInputs(
        options,
        policy,
        baseline,
        checked.profile,
        tuple(suites),
        checked.tokens,
        checked.faults,
        checked.shard,
        checked.durations,
        serve,
    )


def serve_plan(options: RunOptions, policy: Policy) -> ServePlan | None:
    """The command that starts the target: --serve (its options over the policy's), else the
    policy's [serve] when the target is remote; ConfigError when a target URL has {port}
    and nothing says what to start."""
    plan = policy.serve
    if options.serve is not None:
        base = plan or ServePlan(options.serve)
        plan = dataclasses.replace(
            base,
            command=options.serve,
            ready_url=options.ready_url or (None if options.ready_line else base.ready_url),
            ready_line=options.ready_line or (None if options.ready_url else base.ready_line),
            timeout_s=options.serve_timeout or base.timeout_s,
        )
    if options.target == EMBEDDED:
        return None
    if plan is None and "{port}" in options.target:
        raise ConfigError(
            f"--target {options.target}: {{port}} needs a command to start (--serve CMD or "
            "the policy's [serve])"
        )
    return plan


def recovered_inputs(options: RunOptions) -> RunInputs:
    """The inputs of a run rebuilt from its run.json (`report --from`): the options it kept,
    read again, without a start's usage checks (its secrets and tokens were never kept)."""
    policy = load_policy(options.policy)
    options = dataclasses.replace(options, reruns=options.reruns or policy.reruns)
    return RunInputs(
        options,
        policy,
        None,
        load_profile(options.profile),
        tuple(
            select_suites(
                discover_suites(),
                options.suites,
                bool(options.scenarios or policy.scenario_folders),
            )
        ),
        faults=parse_faults(options.faults) if options.faults else None,
    )
