"""The causes of verdict.json: failed tests grouped by the deviation of their failures."""

from __future__ import annotations

import json
from typing import Any

from harness.errors import Deviation
from harness.verdict import judge
from harness.verdict.policy import Policy
from harness.verdict.records import Attempt, Outcome

from .runbuilder import TODAY, run, suite, with_attempts

AE = "agent_events"
MR = "message_routing"
NOTICE = {"dir": "recv", "t": 0.002, "type": "system_message", "size": 61, "close_code": None,
          "data": '{"type":"system_message","data":{"text":"fallback"}}'}  # fmt: skip
PING = {"dir": "send", "t": 0.01, "type": "ping", "size": 40, "close_code": None, "data": "{}"}
NOT_WELCOMED = Deviation(
    "unexpected-frame:connection_established:system_message",
    "the first frame after the handshake is a system_message frame, not connection_established",
)
NO_PONG = Deviation("missed:reply:ping", "no direct reply to a ping frame within 10 s")


def failed(
    deviation: Deviation | None,
    message: str = "failed",
    frames: tuple[dict[str, Any], ...] = (),
    cause_key: str | None = None,
) -> Attempt:
    return Attempt(Outcome.FAILED, 0.5, message, frames, cause_key=cause_key, deviation=deviation)


def causes_of(*specs: Any, test_rules: dict[str, tuple[str, ...]] | None = None) -> Any:
    verdict = judge(run(*specs, test_rules=test_rules), Policy(), today=TODAY)
    return json.loads(json.dumps(verdict.to_json()))["causes"]


def test_one_deviation_in_many_tests_is_one_cause_most_tests_first() -> None:
    ae = suite(AE, a="", b="", c="", d="P")
    ae = with_attempts(ae, "a", failed(NO_PONG, frames=(PING,)))
    ae = with_attempts(ae, "b", failed(NOT_WELCOMED, frames=(NOTICE,)))
    ae = with_attempts(ae, "c", failed(NOT_WELCOMED), Attempt(Outcome.PASSED, 0.1))  # flaky
    mr = suite(MR, "major", a="", b="")
    mr = with_attempts(mr, "a", failed(NOT_WELCOMED))
    # A message that reads like a cause, but the failure says no deviation: in no cause.
    said = "same cause as agent_events::b: " + NOT_WELCOMED.title
    mr = with_attempts(mr, "b", failed(None, said))
    rules = {"agent_events::b": ("1.welcome.first",), "message_routing::a": ("2.route.ack",),
             "agent_events::a": ("3.ping.pong",)}  # fmt: skip
    assert causes_of(ae, mr, test_rules=rules) == [
        {
            "key": "unexpected-frame:connection_established:system_message",
            "title": "the first frame after the handshake is a system_message frame, "
            "not connection_established",
            "count": 3,
            "first_test": "agent_events::b",
            "frames": [NOTICE],
            "rules": ["1.welcome.first", "2.route.ack"],
            "tests": ["agent_events::b", "agent_events::c", "message_routing::a"],
        },
        {
            "key": "missed:reply:ping",
            "title": "no direct reply to a ping frame within 10 s",
            "count": 1,
            "first_test": "agent_events::a",
            "frames": [PING],
            "rules": ["3.ping.pong"],
            "tests": ["agent_events::a"],
        },
    ]


def test_the_first_test_is_the_one_that_met_the_cause_itself() -> None:
    """Tests that failed fast on a known cause name it (cause_key): the one that did not is
    the cause's first test, with its frames, wherever the plan put it."""
    spec = suite(AE, a="", b="", c="")
    spec = with_attempts(spec, "a", failed(NO_PONG, cause_key="reply:ping"))
    spec = with_attempts(spec, "b", failed(NO_PONG, frames=(PING,)))
    spec = with_attempts(spec, "c", failed(NO_PONG, cause_key="reply:ping"))
    [cause] = causes_of(spec)
    assert (cause["first_test"], cause["tests"], cause["frames"]) == (
        "agent_events::b",
        ["agent_events::b", "agent_events::a", "agent_events::c"],
        [PING],
    )


def test_a_run_without_deviations_has_no_causes() -> None:
    spec = with_attempts(suite(AE, a="", b="P"), "a", failed(None))
    assert causes_of(spec, suite(MR, "major", a="E", b="S")) == []
