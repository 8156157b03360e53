"""harness.wire.limits: the skip a suite raises for a limit is the one the verdict recognises."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.results import read_results
from harness.verdict import judge
from harness.verdict.policy import Policy
from harness.verdict.records import Outcome
from harness.wire.limits import skip_unverifiable_limit

from ..extra_suite import install_suite
from .runbuilder import TODAY, reasons, run, suite, with_attempts

MESSAGE = (
    "limit not verified: max_messages_per_minute=100000 "
    "(larger than 3000, the largest this suite verifies)"
)


def test_a_suite_test_skipped_for_a_limit_becomes_a_listed_condition(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    """A real pytest run of a test calling the helper: its skip, recorded with the limit and
    its value as fields of the attempt, judged as a condition."""
    package = install_suite(
        extra_site,
        {
            "test_limit.py": """
                from harness.wire.limits import skip_unverifiable_limit

                def test_rate_limit():
                    skip_unverifiable_limit("max_messages_per_minute", 100000, 3000)
                    raise AssertionError("not reached")
            """
        },
    )
    out = pytester.path / "out"
    pytester.runpytest_subprocess(
        *(str(package), "--rootdir", str(extra_site), "-p", "no:cacheprovider", "-p", "no:xdist"),
        *("--harness-out", str(out)),
    )
    (skip,) = read_results(out / "results.jsonl").attempts[
        "extra_suite::test_limit::test_rate_limit"
    ]
    assert (skip.outcome, skip.message) == (Outcome.SKIPPED, MESSAGE)
    assert skip.limit_skip == ("max_messages_per_minute", 100000)
    spec = with_attempts(suite("message_routing", "major", a="", b="P"), "a", skip)
    policy = Policy(limits_may_skip=("max_messages_per_minute",))
    result = judge(run(spec), policy, today=TODAY)
    assert result.verdict.value == "APPROVED_WITH_CONDITIONS"
    assert reasons(result) == [
        ("limit-not-verified", "condition", "message_routing", ("message_routing::a",))
    ]


def test_unknown_limit_is_refused() -> None:
    """A misspelt limit would escape the policy: it raises instead of skipping."""
    with pytest.raises(ValueError, match="unknown limit 'max_message_per_minute'"):
        skip_unverifiable_limit("max_message_per_minute", 100000, 3000)


def test_a_limit_the_suite_can_verify_is_not_skipped() -> None:
    """A target value within the suite's reach gives no reason to skip: it raises."""
    with pytest.raises(ValueError) as caught:
        skip_unverifiable_limit("max_message_bytes", 65536, 65536)
    assert str(caught.value) == (
        "max_message_bytes=65536 is at most 65536: the suite can verify it, not skip it"
    )
