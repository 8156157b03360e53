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


# Per-check accounting on a dialect without echoed message ids (netra-2025-09 lacks
# message_id_echo): the test is planned, only its echo check is left out.
ACCOUNTING = {
    "test_accounting.py": """
        import pytest

        from harness.suite_api import Checks, HarnessError, premise, rules

        @rules("2.type.ping", "3.frame.pong.message-id")
        def test_bundled(checks: Checks):
            assert checks.applies("2.type.ping") is True
            assert checks.applies("3.frame.pong.message-id") is False

        @rules("3.frame.pong.message-id", "2.reply.carries-message-id")
        def test_only_left_out_rules():
            pass

        @premise("6.error.unknown-type")
        @rules("3.frame.error.error-code")
        def test_premise_left_out():
            pass

        @rules("2.type.ping")
        def test_unnamed_rule(checks: Checks):
            with pytest.raises(HarnessError, match="do not name"):
                checks.applies("3.frame.pong.message-id")
    """,
}
PREFIX = "extra_suite::test_accounting::"


def test_a_profile_lacking_a_capability_leaves_out_checks_not_tests(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, ACCOUNTING)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        str(package),
        *("--rootdir", str(package.parent.parent), "-p", "no:cacheprovider"),
        *("--harness-out", str(out), *REMOTE, "--harness-profile", "netra-2025-09"),
    )
    assert result.ret == 0, result.stdout.str()[-2000:]
    log = read_results(out / "results.jsonl")
    assert set(log.attempts) == {PREFIX + "test_bundled", PREFIX + "test_unnamed_rule"}
    assert {ident: reason for ident, (_, reason) in log.not_applicable.items()} == {
        PREFIX + "test_only_left_out_rules": "the target's profile netra-2025-09 lacks "
        "message_id_echo",
        PREFIX + "test_premise_left_out": "the target's profile netra-2025-09 lacks "
        "unknown_type_error (the test's premise, rule 6.error.unknown-type, needs it)",
    }
    assert log.rules_left_out == {
        PREFIX + "test_bundled": (
            "extra_suite",
            {"3.frame.pong.message-id": "the target's profile netra-2025-09 lacks message_id_echo"},
        )
    }
