"""Per-check rule accounting: which of a test's rules its target's profile lets it check.

A test names the rules it verifies (`@rules(...)`). A rule that needs a capability the
target's profile lacks is left out of that test, with the reason (the plan file's
`rules_left_out`, computed at collection from the same profile), and the test's other
rules still count. Inside the test, every check whose rule may be left out asks first:
`if checks.applies("3.frame.error.message-id"): ...`, so a check of a left-out rule is
never made and never fails a correct server of a dialect without that capability.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.errors import HarnessError


class Checks:
    """The rules one test names, and which of them its target's profile lets it check."""

    def __init__(self, test: str, named: tuple[str, ...], left_out: Mapping[str, str]) -> None:
        self._test = test
        self._named = frozenset(named)
        self._left_out = dict(left_out)

    def applies(self, rule: str) -> bool:
        """True when the check of `rule` is to be made on this target; False when the
        target's profile lacks a capability the rule needs (the rule is then
        `not_applicable` for this test, with the reason). A rule the test does not name
        is a defect of the test (HarnessError): its outcome would be accounted nowhere."""
        if rule not in self._named:
            raise HarnessError(
                f"{self._test}: a check of rule {rule!r}, which the test's @rules do not name"
            )
        return rule not in self._left_out
