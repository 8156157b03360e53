"""Tests a run cannot plan are left out with the reason, and planned when it can (black-box)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.results import read_results

from ..extra_suite import install_suite

SUITE = {
    "test_marked.py": """
        import pytest

        @pytest.mark.requires_private_target
        def test_shuts_a_private_instance_down():
            pass

        @pytest.mark.long_wait
        def test_waits_a_minute():
            pass

        def test_plain():
            pass
    """,
}
PRIVATE = "extra_suite::test_marked::test_shuts_a_private_instance_down"
LONG = "extra_suite::test_marked::test_waits_a_minute"
PLAIN = "extra_suite::test_marked::test_plain"
REMOTE = ("--harness-target", "ws://127.0.0.1:9/ws", "--harness-jwt-secret", "s" * 32)


def plan(
    pytester: pytest.Pytester, extra_site: Path, *args: str
) -> tuple[set[str], dict[str, str]]:
    """Run the suite with `args`; return the planned test ids and the left-out ones' reasons."""
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        str(package),
        "--rootdir",
        str(package.parent.parent),
        "-p",
        "no:cacheprovider",
        "--harness-out",
        str(out),
        *args,
    )
    assert result.ret == 0, result.stdout.str()[-2000:]
    log = read_results(out / "results.jsonl")
    planned = {ident for ident, _ in log.attempts.items()}
    return planned, {ident: reason for ident, (_, reason) in log.not_applicable.items()}


def test_remote_target_leaves_out_private_target_and_long_wait_tests(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    planned, left_out = plan(pytester, extra_site, *REMOTE)
    assert planned == {PLAIN}
    assert set(left_out) == {PRIVATE, LONG}
    assert "remote target" in left_out[PRIVATE]
    assert "--harness-long-waits" in left_out[LONG]


def test_embedded_target_of_a_run_and_long_waits_plan_every_test(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    planned, left_out = plan(
        pytester, extra_site, *REMOTE, "--harness-embedded", "--harness-long-waits"
    )
    assert planned == {PRIVATE, LONG, PLAIN}
    assert left_out == {}
