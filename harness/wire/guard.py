"""What a client asks before a check whose rule may not apply to its target (the harness's
per-check rule accounting, harness/run/checks.py, answers)."""

from __future__ import annotations

from typing import Protocol

from harness.errors import HarnessError


class RuleGuard(Protocol):
    """Which rules a test may check on this target (harness.run.checks.Checks)."""

    def applies(self, rule: str) -> bool:
        """True when the check of `rule` is to be made."""


class _NoGuard:
    """The guard of a client not opened by the `connect` fixture: it knows no test."""

    def applies(self, rule: str) -> bool:
        raise HarnessError(
            f"a check of rule {rule!r} on a client opened without the connect fixture "
            "(set client.checks to the test's `checks` fixture)"
        )


NO_GUARD: RuleGuard = _NoGuard()
