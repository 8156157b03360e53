"""The types of the harness plugin's fixtures, as a suite sees them (re-exported by
harness.suite_api): what `connect`, `metrics`, `evidence`, `private_target` and
`converter` take and give."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeAlias

from harness.wire.client import DEFAULT_WITHIN, Client, User
from harness.wire.target import Target

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
    """The `private_target` fixture: an instance of the target for one test (the embedded
    target, or a second process of the served command)."""

    @property
    def target(self) -> Target:
        """Where the instance listens (its secret and defects are the run's)."""

    @property
    def stopped_in_s(self) -> float | None:
        """After `stop`: the seconds its process took to exit (None: it had to be killed)."""

    async def stop(self) -> None:
        """Shut the instance down as its operator would (SIGTERM), its clients still open."""
