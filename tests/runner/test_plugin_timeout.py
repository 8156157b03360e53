"""A test ended by pytest-timeout is a harness error, recognised by its mechanism (black-box).

A test that fails with the same words as pytest-timeout's message is a plain failure:
the plugin does not read the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.results import read_results
from harness.verdict.records import Outcome

from ..extra_suite import install_suite

SUITE = {
    "test_waits.py": """
        import time

        import pytest

        @pytest.mark.timeout(1, method="signal")
        def test_hangs():
            time.sleep(30)

        def test_says_timeout():
            pytest.fail("Timeout (>1.0s) from pytest-timeout.")
    """,
}


def test_timeout_is_an_error_and_its_words_alone_a_failure(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    pytester.runpytest_subprocess(
        *(str(package), "--rootdir", str(package.parent.parent), "-p", "no:cacheprovider"),
        *("-p", "no:xdist", "--harness-out", str(out)),
    )
    log = read_results(out / "results.jsonl")
    outcomes = {test: [a.outcome for a in attempts] for test, attempts in log.attempts.items()}
    assert outcomes == {
        "extra_suite::test_waits::test_hangs": [Outcome.ERROR],
        "extra_suite::test_waits::test_says_timeout": [Outcome.FAILED],
    }
