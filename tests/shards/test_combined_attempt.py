"""A test that runs in every shard is judged by one attempt made of each shard's last one."""

from __future__ import annotations

from harness.errors import Deviation
from harness.run.merge import _combined
from harness.verdict.records import Attempt, Outcome

MISSED = Deviation("missed:reply:ping", "no pong to a ping within 5 s")


def test_the_worst_attempt_keeps_its_cause_and_deviation() -> None:
    passed = Attempt(Outcome.PASSED, 0.5, evidence=({"rule": "a", "observed": 1},))
    failed = Attempt(
        Outcome.FAILED,
        2.0,
        message="no pong",
        transcript=({"dir": "send", "data": "ping"},),
        evidence=({"rule": "a", "observed": 2},),
        limit_skip=None,
        cause_key="reply:ping",
        deviation=MISSED,
    )
    combined = _combined([(1, passed), (2, failed)])
    assert combined == Attempt(
        Outcome.FAILED,
        2.0,
        message="shard 2: no pong",
        transcript=({"dir": "send", "data": "ping"},),
        evidence=({"rule": "a", "observed": 1}, {"rule": "a", "observed": 2}),
        cause_key="reply:ping",
        deviation=MISSED,
    )
