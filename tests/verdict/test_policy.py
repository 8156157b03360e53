"""The policy file: the built-in default, a custom file, and one-line errors for bad ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.names import LIMIT_SKIP_PREFIX, LIMITS
from harness.verdict.policy import (
    Approval,
    Budget,
    FlakyAction,
    Statistic,
    Waiver,
)
from harness.verdict.policy_file import load_policy
from harness.verdict.records import Criticality
from harness.wire import limits

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
        "load": Criticality.MAJOR,
    }
    assert policy.flaky_action(Criticality.CRITICAL) is FlakyAction.FAIL
    assert policy.flaky_action(Criticality.MAJOR) is FlakyAction.CONDITION
    assert policy.budgets == (
        Budget("agent_started_latency_ms", Statistic.P95, 500.0, "ms", 30, True, "agent_events"),
        Budget("agent_started_latency_ms", Statistic.P50, 250.0, "ms", 30, True, "agent_events"),
        Budget("turn_first_frame_ms", Statistic.P95, 500.0, "ms", 30, False, "agent_events"),
        Budget("turn_first_text_ms", Statistic.P95, 5000.0, "ms", 30, False, "agent_events"),
        Budget("turn_largest_gap_ms", Statistic.MAX, 2000.0, "ms", 30, False, "agent_events"),
        Budget("turn_terminal_ms", Statistic.P95, 10000.0, "ms", 30, False, "agent_events"),
        Budget(
            "timestamp_conversion_us", Statistic.P95, 1000.0, "us", 100, False, "timestamp_core"
        ),
        Budget("load_first_event_ms", Statistic.P95, 1000.0, "ms", 30, True, "load"),
        Budget("load_error_rate", Statistic.MEAN, 0.0, "ratio", 1, True, "load"),
        Budget("load_contamination", Statistic.MAX, 0.0, "events", 1, True, "load"),
        Budget("load_soak_drift_ratio", Statistic.MAX, 3.0, "ratio", 1, False, "load"),
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
        "retries: unknown key (allowed: baseline, budgets, criticality, flaky, limits, load, "
        "replays, report, require, reruns, scenarios, serve, waivers)",
    ),
    ("serve-no-command", '[serve]\nready_url = "http://x/"\n', "serve.command: is required"),
    (
        "serve-unknown-key",
        '[serve]\ncommand = "srv"\nport = 1\n',
        "serve.port: unknown key (allowed: command, env, ready_line, ready_url, stop_timeout_s, "
        "timeout_s)",
    ),
    (
        "serve-ready-url-not-http",
        '[serve]\ncommand = "srv"\nready_url = "ws://127.0.0.1:{port}/ws"\n',
        "serve.ready_url: must be an http:// URL, got 'ws://127.0.0.1:{port}/ws'",
    ),
    (
        "serve-timeout-zero",
        '[serve]\ncommand = "srv"\ntimeout_s = 0\n',
        "serve.timeout_s: must be a number of seconds > 0, got 0",
    ),
    (
        "serve-env-not-string",
        '[serve]\ncommand = "srv"\n[serve.env]\nDEBUG = 1\n',
        "serve.env.DEBUG: must be a string, got int",
    ),
    (
        "serve-ready-line-bad",
        '[serve]\ncommand = "srv"\nready_line = "(unclosed"\n',
        "serve.ready_line: not a valid regular expression: missing ), unterminated subpattern "
        "at position 0",
    ),
    (
        "scenarios-unknown-key",
        "[scenarios]\npaths = []\n",
        "scenarios.paths: unknown key (allowed: criticality, folders)",
    ),
    (
        "scenarios-criticality-twice",
        '[criticality]\nscenarios = "major"\n[scenarios]\ncriticality = "critical"\n',
        "scenarios.criticality: also given as criticality.scenarios",
    ),
    (
        "scenarios-criticality-bad",
        '[scenarios]\ncriticality = "severe"\n',
        "scenarios.criticality: must be one of critical, major, minor, got 'severe'",
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
        "criticality-table-without-level",
        '[criticality]\nmessage_routing = { approver = "a", reason = "r" }\n',
        "criticality.message_routing.level: is required",
    ),
    (
        "criticality-approver-without-reason",
        '[criticality]\nmessage_routing = { level = "minor", approver = "release-manager" }\n',
        "criticality.message_routing.reason: is required when approver is given",
    ),
    (
        "criticality-reason-without-approver",
        '[criticality]\nmessage_routing = { level = "minor", reason = "known lag" }\n',
        "criticality.message_routing.approver: is required when reason is given",
    ),
    (
        "criticality-unknown-key",
        '[criticality]\nmessage_routing = { level = "minor", owner = "x" }\n',
        "criticality.message_routing.owner: unknown key (allowed: approver, level, reason)",
    ),
    (
        "limits-unknown-limit",
        '[limits]\nmay_skip = ["max_message_bytes", "max_connections"]\n',
        "limits.may_skip[1]: must be one of max_messages_per_minute, max_message_bytes, "
        "got 'max_connections'",
    ),
    (
        "limits-not-an-array",
        '[limits]\nmay_skip = "max_message_bytes"\n',
        "limits.may_skip: must be an array, got a string",
    ),
    (
        "limits-unknown-key",
        "[limits]\nmax_burst = 10\n",
        "limits.max_burst: unknown key (allowed: may_skip)",
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
    (
        "replays-paths-not-texts",
        "[replays]\npaths = [3]\n",
        "replays.paths[0]: must be a non-empty string",
    ),
    (
        "replays-unknown-key",
        "[replays]\nfiles = []\n",
        "replays.files: unknown key (allowed: paths)",
    ),
    (
        "require-unknown-capability",
        '[require]\ncapabilities = ["stats", "sequence"]\n',
        "require.capabilities[1]: 'sequence' is not a capability (known: auth_header, ",
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
    if message.endswith(", "):  # a message that goes on to list a vocabulary
        assert str(caught.value).startswith(f"{path}: {message}")
    else:
        assert str(caught.value) == f"{path}: {message}"


def test_replays_paths_and_required_capabilities(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[replays]\npaths = ["captures", "one.jsonl"]\n[require]\ncapabilities = ["stats"]\n'
    )
    policy = load_policy(path)
    assert policy.replay_paths == ("captures", "one.jsonl")
    assert policy.required_capabilities == ("stats",)


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


def test_default_policy_allows_both_limits_to_be_skipped() -> None:
    """The built-in policy lets a suite leave either announced limit unverified."""
    assert load_policy(None).limits_may_skip == ("max_messages_per_minute", "max_message_bytes")


def test_a_file_without_limits_allows_no_limit_skip(tmp_path: Path) -> None:
    """A policy file without [limits] allows no skip: the built-in value is not inherited."""
    path = tmp_path / "policy.toml"
    path.write_text("reruns = 0\n")
    assert load_policy(path).limits_may_skip == ()


def test_lowered_criticality_with_approver_and_reason(tmp_path: Path) -> None:
    """A table with level, approver and reason lowers the suite and records the approval."""
    path = tmp_path / "policy.toml"
    path.write_text(
        "[criticality]\n"
        'message_routing = { level = "minor", approver = "release-manager", '
        'reason = "routing is rewritten next sprint" }\n'
        'security = "critical"\n'
    )
    policy = load_policy(path)
    assert policy.criticality == {
        "message_routing": Criticality.MINOR,
        "security": Criticality.CRITICAL,
    }
    assert policy.approvals == {
        "message_routing": Approval("release-manager", "routing is rewritten next sprint")
    }
    assert policy.lowers("message_routing", Criticality.MAJOR)
    assert not policy.lowers("security", Criticality.CRITICAL)
    policy.check_criticality(
        {"message_routing": Criticality.MAJOR, "security": Criticality.CRITICAL}
    )


def test_lowering_without_approver_names_file_and_key(tmp_path: Path) -> None:
    """Lowering a suite below its manifest without approver and reason is a ConfigError."""
    path = tmp_path / "policy.toml"
    path.write_text('[criticality]\nagent_events = "major"\nmessage_routing = "critical"\n')
    policy = load_policy(path)
    policy.check_criticality({"message_routing": Criticality.MAJOR})
    with pytest.raises(ConfigError) as caught:
        policy.check_criticality(
            {"message_routing": Criticality.MAJOR, "agent_events": Criticality.CRITICAL}
        )
    assert str(caught.value) == (
        f"{path}: criticality.agent_events: lowers suite agent_events from critical (its "
        'manifest) to major: name an approver and a reason, as agent_events = { level = "major", '
        'approver = "...", reason = "..." }'
    )


def test_limit_names_and_skip_prefix_match_the_suites_helper() -> None:
    """The verdict recognises exactly the skips that harness.wire.limits produces."""
    assert LIMITS == limits.LIMITS == ("max_messages_per_minute", "max_message_bytes")
    assert LIMIT_SKIP_PREFIX == limits.SKIP_PREFIX == "limit not verified: "


def test_serve_table_is_read_with_its_defaults(tmp_path: Path) -> None:
    """[serve]: the command, the readiness, the deadlines and the environment as written;
    the deadlines left out are 30 s to be ready and 10 s to stop."""
    path = tmp_path / "policy.toml"
    path.write_text(
        '[serve]\ncommand = "./server --port {port}"\nready_line = "listening on"\n'
        '[serve.env]\nLOG_LEVEL = "debug"\n'
    )
    serve = load_policy(path).serve
    assert serve is not None
    assert (serve.command, serve.ready_url, serve.ready_line) == (
        "./server --port {port}",
        None,
        "listening on",
    )
    assert (serve.timeout_s, serve.stop_timeout_s, dict(serve.env)) == (
        30.0,
        10.0,
        {"LOG_LEVEL": "debug"},
    )
    assert load_policy(None).serve is None
