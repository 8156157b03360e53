"""The harness as a suite sees it: every name a suite imports, from this one module.

A suite (docs/WRITING_SUITES.md) imports from here, pytest and the standard library,
and nothing else of `harness`: the modules behind these names may move, these names
stay. The fixtures of the harness's pytest plugin are described by the types below
(`Connect`, `Metrics`, `Evidence`, `PrivateTarget`, `Converter`), so that a suite's
tests are checked by mypy against what the plugin gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeAlias

import pytest

from harness.errors import CapabilityMissing, CheckFailed, ConfigError, HarnessError
from harness.names import (
    AGENT_STARTED_LATENCY_MS,
    REPLAY_SUITE,
    STAGING_SUITE,
    TIMESTAMP_CONVERSION_US,
    TIMESTAMP_SUITE,
)
from harness.replay.capture import load_capture
from harness.replay.player import Player, ReplayOptions
from harness.run.shard import Shard, shard_of
from harness.run.suite import CRITICALITIES, SuiteManifest
from harness.verdict.records import Criticality
from harness.wire import protocol
from harness.wire.causes import CauseWatch
from harness.wire.client import ABSENT, DEFAULT_WITHIN, Client, User, close_text, open_client
from harness.wire.http import HttpClient, HttpReply
from harness.wire.limits import LIMITS, skip_unverifiable_limit
from harness.wire.microseconds import MICROS_PER_SECOND, decimal_text, to_microseconds
from harness.wire.profile import Profile, load_profile
from harness.wire.target import Target, UserFactory
from harness.wire.tokens import subprotocol_for
from harness.wire.transcript import Transcript

__all__ = [
    "ABSENT",
    "AGENT_STARTED_LATENCY_MS",
    "CRITICALITIES",
    "DEFAULT_WITHIN",
    "LIMITS",
    "MICROS_PER_SECOND",
    "REPLAY_SUITE",
    "STAGING_SUITE",
    "TIMESTAMP_CONVERSION_US",
    "TIMESTAMP_SUITE",
    "CapabilityMissing",
    "CauseWatch",
    "CheckFailed",
    "Client",
    "ConfigError",
    "Connect",
    "Converter",
    "Criticality",
    "Evidence",
    "HarnessError",
    "HttpClient",
    "HttpReply",
    "Metrics",
    "Player",
    "PrivateTarget",
    "Profile",
    "ReplayOptions",
    "Shard",
    "SuiteManifest",
    "Target",
    "Transcript",
    "User",
    "UserFactory",
    "close_text",
    "decimal_text",
    "load_capture",
    "load_profile",
    "open_client",
    "protocol",
    "rules",
    "shard_of",
    "skip_unverifiable_limit",
    "subprotocol_for",
    "to_microseconds",
]

# The `converter` fixture: the timestamp converter under test, value -> epoch seconds;
# it rejects a value by raising ValueError or TypeError.
Converter: TypeAlias = Callable[[object], object]


class Connect(Protocol):
    """The `connect` fixture: opens one authenticated `Client` to the target.

    `user` None makes a fresh synthetic user (unless `token` is given or `transport`
    is "none"). `transport` places the token: "header" (Authorization: Bearer),
    "subprotocol", "query" or "none"; `token` overrides the user's token (a forged
    one, say). With `established` the first frame must be `connection_established`
    or `CheckFailed` is raised. The fixture closes every client it opened at the
    test's teardown, and fails the test if the server closed any of them with 1011
    or dropped one without a close frame.
    """

    async def __call__(
        self,
        user: User | None = None,
        *,
        transport: str = "header",
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        query: Mapping[str, str] | None = None,
        established: bool = True,
        within: float = DEFAULT_WITHIN,
        compression: str | None = None,
    ) -> Client: ...


class Metrics(Protocol):
    """The `metrics` fixture: samples kept with the test's result, judged by the policy."""

    def record(self, name: str, value: float, unit: str) -> None:
        """Keep one sample of metric `name` (a latency in "ms", say)."""


class Evidence(Protocol):
    """The `evidence` fixture: what a test compared for a rule, shown by the reports."""

    def record(self, rule: str, *, sent: object, expected: object, observed: object) -> None:
        """Keep what was sent for `rule`, the value the spec expects and the value observed.

        Record before checking, so that a failed check still shows what was observed.
        Values are kept as JSON (anything else as its repr).
        """


class PrivateTarget(Protocol):
    """The `private_target` fixture: an instance of the embedded target for one test."""

    @property
    def target(self) -> Target:
        """Where the instance listens (its secret and defects are the run's)."""

    async def stop(self) -> None:
        """Shut the instance down as its operator would, its clients still open."""


def rules(*ids: str) -> pytest.MarkDecorator:
    """The rules of the catalogue a test verifies (`@pytest.mark.rules(...)`, typed).

    A test names a rule only when it contains the check that fails if a server
    breaks that rule; a name outside the catalogue stops collection.
    """
    return pytest.mark.rules(*ids)
