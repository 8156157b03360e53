"""Capabilities a policy requires, against the profile recorded in the run."""

from __future__ import annotations

import dataclasses
import datetime as dt

from harness.verdict import judge
from harness.verdict.policy_file import parse_policy

from .runbuilder import run, suite

TODAY = dt.date(2026, 12, 2)


def test_a_required_capability_the_profile_lacks_is_a_blocker() -> None:
    record = run(suite("agent_events", a="P"))
    record = dataclasses.replace(
        record,
        environment={
            **record.environment,
            "profile": {"name": "netra-2025-09", "capabilities": ["welcome", "health"]},
        },
    )
    policy = parse_policy('[require]\ncapabilities = ["stats", "health"]\n', "policy.toml")
    verdict = judge(record, policy, today=TODAY).to_json()
    assert verdict["verdict"] == "NOT_APPROVED"
    required = [r for r in verdict["reasons"] if r["rule"] == "capability-required"]
    assert [(r["severity"], r["message"]) for r in required] == [
        (
            "blocker",
            "the policy requires capability stats; the target's profile netra-2025-09 lacks "
            "it, so the rules that need it cannot be verified",
        )
    ]


def test_a_required_capability_the_profile_has_changes_nothing() -> None:
    record = run(suite("agent_events", a="P"))
    record = dataclasses.replace(
        record,
        environment={**record.environment, "profile": {"name": "p", "capabilities": ["stats"]}},
    )
    policy = parse_policy('[require]\ncapabilities = ["stats"]\n', "policy.toml")
    verdict = judge(record, policy, today=TODAY).to_json()
    assert not [r for r in verdict["reasons"] if r["rule"] == "capability-required"]
