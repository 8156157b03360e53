"""Black-box runs of one built-in suite against the embedded server, to prove it can fail."""

from __future__ import annotations

import pytest


def run_suite(
    pytester: pytest.Pytester, suite: str, *defects: str, extra: tuple[str, ...] = ()
) -> pytest.RunResult:
    """Run `suites.<suite>` with `defects` switched on, on two workers, results in ./out."""
    args = ["--pyargs", f"suites.{suite}", "-p", "no:cacheprovider", "-rf", "-n", "2"]
    args += ["-o", "asyncio_default_fixture_loop_scope=function"]
    args += ["--harness-out", str(pytester.path / "out"), *extra]
    for defect in defects:
        args += ["--harness-defect", defect]
    return pytester.runpytest_subprocess(*args, timeout=300)


def assert_caught(result: pytest.RunResult, planned: int, test: str) -> None:
    """Some planned tests failed, the rest passed (none skipped or errored), `test` among them."""
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) + outcomes.get("passed", 0) == planned, outcomes
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"FAILED *{test}*"])
