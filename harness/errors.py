"""The harness's exceptions.

    Exception
     +-- HarnessError          the harness could not judge (a test *errors*)
     |    +-- ConfigError      bad CLI option, policy file, baseline (exit 4)
     |    +-- TargetUnreachable  target not listening, preflight failed
     |    +-- SuiteLoadError   a suite failed to import or has no manifest
     |    +-- CapabilityMissing  a suite needs what the target or options lack
     +-- CheckFailed (AssertionError)  the target misbehaved (a test *fails*)

A test that raises ``CheckFailed`` (or a plain ``AssertionError``) is a
failure of the target; one that raises ``HarnessError`` is an error of the
harness, which the verdict turns into INCOMPLETE, never into a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class HarnessError(Exception):
    """The harness could not judge: configuration, reachability, a suite, a bug."""


class ConfigError(HarnessError):
    """A usage or configuration error (CLI option, policy file, baseline)."""


class TargetUnreachable(HarnessError):
    """The target did not answer within its deadline or refused the harness's credentials."""


class SuiteLoadError(HarnessError):
    """A suite could not be imported, has no manifest, or its manifest is invalid."""


class CapabilityMissing(HarnessError):
    """A test needs something the run does not provide (more users, a converter, a secret)."""


class KnownCause(Protocol):
    """A cause already recorded in the run (harness.wire.causes.Cause): what a wait awaited
    (`key`), the test that saw it first (`test`) and a one-line description (`message`)."""

    @property
    def key(self) -> str: ...

    @property
    def test(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Deviation:
    """How a check failed, as a key that the same failure gives in every test, and a title.

    The key names the check and what deviated from it, without test-specific values
    (`missed:reply:ping`, `unexpected-frame:connection_established:system_message`): the
    verdict groups the failures of a run by it, one cause per key (docs/VERDICT_JSON.md).
    """

    key: str
    title: str  # one line for a reader: what the target did in place of what was expected
    # The rules of the catalogue the failed check names as broken (a frame that breaks
    # its dialect, a turn's invariant): only these are violated by the failure; the
    # test's other rules are then not verified by it. Empty: the check names none.
    rules: tuple[str, ...] = ()


class CheckFailed(AssertionError):
    """The target misbehaved: carries what was expected, what was observed and the frames.

    `cause` is set when the failure is a cause already met by an earlier test (a wait for
    the same thing timed out there first): the verdict's fast-fail notes count by its key.
    `deviation` is set where the check knows how it failed in terms that do not depend on
    the test (the client's waits, its first frame): the verdict's causes group by it.
    """

    def __init__(
        self,
        what: str,
        *,
        expected: Any,
        observed: Any,
        frames: Sequence[dict[str, Any]] = (),
        cause: KnownCause | None = None,
        deviation: Deviation | None = None,
    ) -> None:
        self.what = what
        self.expected = expected
        self.observed = observed
        self.frames = tuple(frames)
        self.cause = cause
        self.deviation = deviation
        super().__init__(f"{what}: expected {expected!r}, observed {observed!r}")
