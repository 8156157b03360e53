"""The verdict policy: suite criticality, waivers, budgets, flaky handling, skippable limits.

The policy as data; reading and checking a policy file is harness/verdict/policy_file.py.
docs/POLICY.md is the reference.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.errors import ConfigError
from harness.verdict.records import Criticality

DEFAULT_SOURCE = "built-in default"
# Weights in increasing order: a policy that moves a suite left of its manifest lowers it.
_WEIGHT = {Criticality.MINOR: 0, Criticality.MAJOR: 1, Criticality.CRITICAL: 2}


class Statistic(enum.Enum):
    """A statistic a budget constrains."""

    P50 = "p50"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"
    MAX = "max"
    MEAN = "mean"


class FlakyAction(enum.Enum):
    """What a flaky (failed, then passed) test that no waiver covers does to the verdict."""

    FAIL = "fail"  # a blocker: NOT_APPROVED
    CONDITION = "condition"  # a listed condition: APPROVED_WITH_CONDITIONS
    INFO = "info"  # listed only


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted failure: which tests, why, who owns it, until when, who approved it."""

    pattern: str
    reason: str
    owner: str
    ticket: str
    expires: dt.date
    approver: str | None = None

    def matches(self, test_id: str) -> bool:
        """Return whether the waiver's fnmatch pattern matches ``test_id``."""
        return fnmatch.fnmatchcase(test_id, self.pattern)

    def expired(self, today: dt.date) -> bool:
        """Return whether the waiver has expired (it is valid through its ``expires`` day)."""
        return today > self.expires


@dataclass(frozen=True, slots=True)
class Approval:
    """Who accepted a suite's lower criticality than its manifest's, and why."""

    approver: str
    reason: str


@dataclass(frozen=True, slots=True)
class Budget:
    """A performance budget: ``statistic`` of ``metric`` must be at most ``limit``."""

    metric: str
    statistic: Statistic
    limit: float
    unit: str
    min_samples: int = 1
    required: bool = True
    suite: str | None = None  # the suite that measures the metric


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """The load phase's shape (`[load]`): users, conversations each, ramp and soak seconds."""

    users: int = 200
    conversations: int = 2
    ramp_s: float = 2.0
    soak_s: float = 0.0  # 0: no soak, each user holds `conversations` and stops


@dataclass(frozen=True, slots=True)
class ServePlan:
    """`[serve]` (or `run --serve`): the command that starts the server under test.

    `{port}` in the command (and in the target URL and `ready_url`) is a free port the
    harness picks. Ready when a line of its output matches `ready_line`, else when
    `ready_url` answers HTTP, else when the port accepts a TCP connection, within
    `timeout_s`; stopped with SIGTERM to its process group, SIGKILL past `stop_timeout_s`.
    """

    command: str
    ready_url: str | None = None
    ready_line: str | None = None
    timeout_s: float = 30.0
    stop_timeout_s: float = 10.0
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the verdict engine needs besides the run's records."""

    source: str = DEFAULT_SOURCE
    criticality: dict[str, Criticality] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    budgets: tuple[Budget, ...] = ()
    flaky: dict[Criticality, FlakyAction] = field(default_factory=dict)
    reruns: int = 0
    rollback_plan: tuple[str, ...] = ()
    success_indicators: tuple[str, ...] = ()
    # Approver and reason per suite of [criticality] given as a table.
    approvals: dict[str, Approval] = field(default_factory=dict)
    # The limits a test may leave unverified (a skip the verdict lists as a condition).
    limits_may_skip: tuple[str, ...] = ()
    # Captures (files or folders, relative to the policy file) the replays suite replays.
    replay_paths: tuple[str, ...] = ()
    # [scenarios]: folders (or files) of scenarios, relative to the policy file, that the
    # scenarios suite plays (docs/SCENARIOS.md).
    scenario_folders: tuple[str, ...] = ()
    # Capabilities the target's profile must have: one it lacks is a blocker.
    required_capabilities: tuple[str, ...] = ()
    # [baseline]: a metric changed when a Mann-Whitney U test gives p < alpha and its
    # median moved by more than min_effect (relative); block makes a worse budgeted
    # metric a blocker instead of a condition.
    baseline_alpha: float = 0.01
    baseline_min_effect: float = 0.10
    baseline_block: bool = False
    # [load]: the load phase's defaults; `run --users/--conversations/--ramp/--soak` win.
    load: LoadPlan = field(default_factory=LoadPlan)
    # [serve]: the command that starts the target; `run --serve` wins.
    serve: ServePlan | None = None

    def criticality_of(self, suite: str, declared: Criticality) -> Criticality:
        """Return the suite's criticality: the policy's, else the suite manifest's."""
        return self.criticality.get(suite, declared)

    def lowers(self, suite: str, declared: Criticality) -> bool:
        """Return whether the policy gives ``suite`` less weight than its manifest declares."""
        return _WEIGHT[self.criticality_of(suite, declared)] < _WEIGHT[declared]

    def check_criticality(self, declared: Mapping[str, Criticality]) -> None:
        """Raise ConfigError for a suite whose criticality is lowered without approver and reason.

        ``declared`` maps suite names to their manifests' criticality; call it once
        the installed suites are known, before the run starts.
        """
        for suite, manifest in declared.items():
            if self.lowers(suite, manifest) and suite not in self.approvals:
                level = self.criticality[suite].value
                raise ConfigError(
                    f"{self.source}: criticality.{suite}: lowers suite {suite} from "
                    f"{manifest.value} (its manifest) to {level}: name an approver and a "
                    f'reason, as {suite} = {{ level = "{level}", approver = "...", '
                    f'reason = "..." }}'
                )

    def flaky_action(self, criticality: Criticality) -> FlakyAction:
        """Return what a flaky test in a suite of ``criticality`` does to the verdict."""
        return self.flaky.get(criticality, _DEFAULT_FLAKY[criticality])

    def waivers_for(self, test_id: str) -> tuple[Waiver, ...]:
        """Return the waivers whose pattern matches ``test_id``, in file order."""
        return tuple(w for w in self.waivers if w.matches(test_id))


_DEFAULT_FLAKY = {
    Criticality.CRITICAL: FlakyAction.FAIL,
    Criticality.MAJOR: FlakyAction.CONDITION,
    Criticality.MINOR: FlakyAction.CONDITION,
}
