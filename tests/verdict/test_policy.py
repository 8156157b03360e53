"""The policy file: the built-in default, a custom file, and one-line errors for bad ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.verdict.policy import Budget, FlakyAction, Statistic, Waiver, load_policy
from harness.verdict.records import Criticality

GOOD = """
reruns = 2

[criticality]
message_routing = "minor"

[flaky]
major = "fail"

[[waivers]]
pattern = "message_routing::test_stats::*"
reason = "stats lag under load"
owner = "routing-team"
ticket = "CHAT-1234"
expires = 2026-12-31

[[waivers]]
pattern = "agent_events::*"
reason = "known slow CI runner"
owner = "agents-team"
ticket = "CHAT-99"
expires = "2027-01-15"
approver = "release-manager"

[[budgets]]
metric = "agent_started_latency_ms"
statistic = "p99"
limit = 800
unit = "ms"
min_samples = 50

[report]
rollback_plan = ["Revert the deploy."]
success_indicators = ["No 1011 closes."]
"""


def test_default_policy() -> None:
    """The built-in policy: criticality, flaky handling, budgets and report texts."""
    policy = load_policy(None)
    assert policy.source == "built-in default"
    assert policy.criticality == {
        "staging_repro": Criticality.CRITICAL,
        "timestamp_core": Criticality.CRITICAL,
        "agent_events": Criticality.CRITICAL,
        "business_flow": Criticality.CRITICAL,
        "security": Criticality.CRITICAL,
        "message_routing": Criticality.MAJOR,
    }
    assert policy.flaky_action(Criticality.CRITICAL) is FlakyAction.FAIL
    assert policy.flaky_action(Criticality.MAJOR) is FlakyAction.CONDITION
    assert policy.budgets == (
        Budget("agent_started_latency_ms", Statistic.P95, 500.0, "ms", 30, True, "agent_events"),
        Budget("agent_started_latency_ms", Statistic.P50, 250.0, "ms", 30, True, "agent_events"),
        Budget(
            "timestamp_conversion_us", Statistic.P95, 1000.0, "us", 100, False, "timestamp_core"
        ),
    )
    assert policy.waivers == ()
    assert policy.reruns == 1
    assert any("1011" in text for text in policy.success_indicators)
    assert policy.rollback_plan


def test_custom_policy(tmp_path: Path) -> None:
    """Every key of a valid file is read; TOML dates and ISO strings both give dates."""
    path = tmp_path / "policy.toml"
    path.write_text(GOOD)
    policy = load_policy(path)
    assert policy.source == str(path)
    assert policy.reruns == 2
    assert policy.criticality == {"message_routing": Criticality.MINOR}
    assert policy.criticality_of("message_routing", Criticality.MAJOR) is Criticality.MINOR
    assert policy.criticality_of("security", Criticality.CRITICAL) is Criticality.CRITICAL
    assert policy.flaky_action(Criticality.MAJOR) is FlakyAction.FAIL
    assert policy.flaky_action(Criticality.MINOR) is FlakyAction.CONDITION
    assert policy.waivers == (
        Waiver(
            "message_routing::test_stats::*",
            "stats lag under load",
            "routing-team",
            "CHAT-1234",
            dt.date(2026, 12, 31),
        ),
        Waiver(
            "agent_events::*",
            "known slow CI runner",
            "agents-team",
            "CHAT-99",
            dt.date(2027, 1, 15),
            "release-manager",
        ),
    )
    assert policy.budgets == (
        Budget("agent_started_latency_ms", Statistic.P99, 800.0, "ms", 50, True, None),
    )
    assert policy.rollback_plan == ("Revert the deploy.",)
    assert policy.success_indicators == ("No 1011 closes.",)
    assert [w.ticket for w in policy.waivers_for("message_routing::test_stats::test_ping")] == [
        "CHAT-1234"
    ]


BUDGET = 'metric = "m"\nstatistic = "p95"\nlimit = 1\nunit = "ms"\n'
WAIVER = 'pattern = "a::*"\nreason = "r"\nowner = "o"\nticket = "T-1"\n'

BAD: list[tuple[str, str, str]] = [
    (
        "unknown-top-level-key",
        "retries = 1\n",
        "retries: unknown key (allowed: budgets, criticality, flaky, report, reruns, waivers)",
    ),
    (
        "unknown-statistic",
        f"[[budgets]]\n{BUDGET}\n[[budgets]]\n{BUDGET.replace('p95', 'p42')}",
        "budgets[1].statistic: must be one of p50, p90, p95, p99, max, mean, got 'p42'",
    ),
    (
        "negative-limit",
        f"[[budgets]]\n{BUDGET.replace('limit = 1', 'limit = -5')}",
        "budgets[0].limit: must be a number >= 0, got -5",
    ),
    (
        "limit-as-string",
        "[[budgets]]\n" + BUDGET.replace("limit = 1", "limit = '1'"),
        "budgets[0].limit: must be a number >= 0, got '1'",
    ),
    (
        "missing-limit",
        f"[[budgets]]\n{BUDGET.replace('limit = 1', '')}",
        "budgets[0].limit: is required",
    ),
    (
        "zero-min-samples",
        f"[[budgets]]\n{BUDGET}min_samples = 0\n",
        "budgets[0].min_samples: must be a whole number >= 1, got 0",
    ),
    (
        "required-not-bool",
        f'[[budgets]]\n{BUDGET}required = "yes"\n',
        "budgets[0].required: must be true or false, got 'yes'",
    ),
    (
        "unknown-budget-key",
        f"[[budgets]]\n{BUDGET}percentile = 95\n",
        "budgets[0].percentile: unknown key (allowed: limit, metric, min_samples, required, "
        "statistic, suite, unit)",
    ),
    (
        "bad-date",
        f'[[waivers]]\n{WAIVER}expires = "2026-13-01"\n',
        "waivers[0].expires: must be a date like 2026-12-31, got '2026-13-01'",
    ),
    (
        "datetime-instead-of-date",
        f"[[waivers]]\n{WAIVER}expires = 2026-12-01T10:00:00\n",
        "waivers[0].expires: must be a date like 2026-12-31, without a time of day",
    ),
    (
        "missing-owner",
        "[[waivers]]\n" + WAIVER.replace('owner = "o"', "") + "expires = 2026-12-01\n",
        "waivers[0].owner: is required",
    ),
    (
        "empty-approver",
        f'[[waivers]]\n{WAIVER}expires = 2026-12-01\napprover = ""\n',
        "waivers[0].approver: must be a non-empty string, got ''",
    ),
    ("waivers-not-an-array", 'waivers = "none"\n', "waivers: must be an array, got a string"),
    (
        "unknown-criticality",
        '[criticality]\nsecurity = "high"\n',
        "criticality.security: must be one of critical, major, minor, got 'high'",
    ),
    (
        "unknown-flaky-action",
        '[flaky]\ncritical = "maybe"\n',
        "flaky.critical: must be one of fail, condition, info, got 'maybe'",
    ),
    (
        "unknown-flaky-key",
        '[flaky]\nblocker = "fail"\n',
        "flaky.blocker: unknown key (allowed: critical, major, minor)",
    ),
    ("reruns-as-string", 'reruns = "1"\n', "reruns: must be a whole number >= 0, got '1'"),
    (
        "rollback-plan-not-texts",
        "[report]\nrollback_plan = [1]\n",
        "report.rollback_plan[0]: must be a non-empty string",
    ),
    (
        "unknown-report-key",
        '[report]\ntitle = "x"\n',
        "report.title: unknown key (allowed: rollback_plan, success_indicators)",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_policy_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    """ConfigError: '<file>: <dotted key>: <what is wrong>' on one line."""
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: {message}"


def test_invalid_toml(tmp_path: Path) -> None:
    """A syntax error names the file and the TOML parser's line and column, on one line."""
    path = tmp_path / "policy.toml"
    path.write_text("reruns = = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML: ")
    assert "line 1" in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    """A missing policy file is a ConfigError naming the file."""
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}: cannot read the policy file: ")


def test_policy_doc_shows_the_default_policy_verbatim() -> None:
    """docs/POLICY.md embeds harness/verdict/default_policy.toml exactly, so they never disagree."""
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "POLICY.md").read_text("utf-8")
    assert (root / "harness" / "verdict" / "default_policy.toml").read_text("utf-8") in doc
