"""End to end: the load phase over turns on a real Chainlit server, over socket.io
(docs/TURNS.md "Load over turns"): 15 users at once, two turns each (30 samples, the
least the budget judges), through the built-in `chainlit` profile, whose frames name no
turn (`turn_id = ""`). Both load tests over turns are verified; chat-agent/1's are not
applicable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import RUN_DEADLINE_S
from tests.targets.test_chainlit import gate, rule_status

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

CROWD = ("--suite", "load", "--users", "15", "--conversations", "2", "--ramp", "0.5")


def test_fifteen_chainlit_users_run_two_turns_each(tmp_path: Path) -> None:
    run = gate(tmp_path, *CROWD)
    assert run.verdict is not None, run.stdout + run.stderr
    assert (run.code, run.verdict["verdict"]) == (0, "APPROVED"), run.stdout + run.stderr
    outcomes = {t["id"]: t["outcome"] for t in run.suite("load")["tests"]}
    assert outcomes == {
        "load::test_load_turns::test_every_user_completes_every_turn": "passed",
        "load::test_load_turns::test_no_session_sees_another_sessions_turns": "passed",
    }
    assert rule_status(run, "4.delivery.not-other-users") == "not_applicable"
    for rule in ("4.turn.sessions-isolated", "4.turn.one-terminal", "6.close.declared-codes"):
        assert rule_status(run, rule) == "verified", rule
    metrics = run.verdict["metrics"]
    assert metrics["load_run_ms"]["count"] == 30
    assert metrics["load_first_text_ms"]["count"] == 30
    assert metrics["load_error_rate"]["samples"] == [0] * 30
    assert metrics["load_contamination"]["samples"] == [0] * 15
