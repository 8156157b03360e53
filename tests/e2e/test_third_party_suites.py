"""End to end with a third-party suite: a crashed worker and a broken suite are never a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..extra_suite import install_suite
from .conftest import RUN_DEADLINE_S, harness

# A whole run may take minutes on a loaded machine; each has its own deadline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

CRASHING = {
    "test_crash.py": """
        import os

        def test_kills_its_worker():
            os._exit(17)

        def test_survivor():
            assert True
    """,
}


def test_a_test_that_kills_its_worker_makes_the_run_incomplete(
    tmp_path: Path, extra_site: Path
) -> None:
    install_suite(extra_site, CRASHING)
    run = harness("run", "--suite", "extra_suite", "-n", "2", out=tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "INCOMPLETE"
    suite = run.suite("extra_suite")
    assert suite["status"] == "INCOMPLETE"
    assert (suite["planned"], suite["passed"], suite["errors"]) == (2, 1, 1)
    crashed = "extra_suite::test_crash::test_kills_its_worker"
    assert any(crashed in r["tests"] for r in run.reasons("incomplete")), run.reasons()
    # Once per attempt: the default policy reruns a failed test once.
    assert {e["cause"] for e in run.verdict["run_errors"]} == {"worker_crash"}
    (test,) = [t for t in suite["tests"] if t["id"] == crashed]
    assert [a["outcome"] for a in test["attempts"]] == ["error"] * len(run.verdict["run_errors"])


def test_a_suite_that_fails_to_load_is_listed_and_incomplete(
    tmp_path: Path, extra_site: Path
) -> None:
    install_suite(extra_site, {}, manifest="raise ImportError('missing dependency: frobnicate')\n")
    listing = harness("suites", out=tmp_path / "out")
    assert listing.code == 4, listing.stdout + listing.stderr
    assert "extra_suite\tfailed to load" in listing.stdout
    assert "error: suite extra_suite failed to load" in listing.stderr  # the why, on stderr
    assert "missing dependency: frobnicate" in listing.stderr
    run = harness("run", "--suite", "extra_suite", out=tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert run.suite("extra_suite")["status"] == "INCOMPLETE"
    assert any("frobnicate" in r["message"] for r in run.reasons("incomplete")), run.reasons()
