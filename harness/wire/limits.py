"""Leaving a target's announced limit unverified, in the one form the verdict recognises.

A suite that cannot exercise a limit because the target's value is larger than it
can send in a run calls ``skip_unverifiable_limit``. The skip's cause, an
``UnverifiedLimit``, names the limit and its value; the harness plugin records them as
the attempt's ``limit_skip`` (results.jsonl), and the verdict lists the skip as a
condition when the policy's ``[limits] may_skip`` names the limit, and as INCOMPLETE
otherwise (docs/POLICY.md). The skip's message, for people, starts with
``limit not verified: <limit>=<value>``.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

from harness.names import LIMIT_SKIP_PREFIX as SKIP_PREFIX
from harness.names import LIMITS


class UnverifiedLimit(Exception):
    """The cause of skip_unverifiable_limit's skip: the target's ``limit`` is ``value``."""

    def __init__(self, limit: str, value: int) -> None:
        super().__init__(f"{limit}={value}")
        self.limit = limit
        self.value = value


def skip_unverifiable_limit(limit: str, target_value: int, largest: int) -> NoReturn:
    """Skip the calling test: the target's ``limit`` is ``target_value``, over ``largest``.

    ``largest`` is the largest value of that limit the suite verifies. Raises
    ValueError for a limit name outside LIMITS (a typo would hide the skip from
    the policy) and for a value the suite can verify (nothing justifies the skip).
    """
    if limit not in LIMITS:
        raise ValueError(f"unknown limit {limit!r}: expected one of {', '.join(LIMITS)}")
    if target_value <= largest:
        raise ValueError(
            f"{limit}={target_value} is at most {largest}: the suite can verify it, not skip it"
        )
    message = (
        f"{SKIP_PREFIX}{limit}={target_value} (larger than {largest}, "
        f"the largest this suite verifies)"
    )
    raise pytest.skip.Exception(message) from UnverifiedLimit(limit, target_value)
