"""End to end: the load phase over turns, on a target without chat-agent/1's requests.

The embedded server in the `openai-realtime` dialect: each synthetic user asks for its
turns with `conversation.item.create` then `response.create`, and each turn is judged
whole. The clean server is APPROVED with both load tests verified (chat-agent/1's left
out as not applicable); `rt-cross-session`, which copies each text delta to every other
session, is NOT_APPROVED naming 4.turn.sessions-isolated under load, also where the
profile reads frames as naming no turn. Small crowds keep each run to a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from .conftest import RUN_DEADLINE_S, Finished, harness
from .test_load import metric, outcomes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

SMALL: Final = ("--suite", "load", "-n", "0", "--quiet", "--no-history")
REALTIME: Final = ("--profile", "openai-realtime")
TURNS_TEST: Final = "load::test_load_turns::test_every_user_completes_every_turn"
LEAK_TEST: Final = "load::test_load_turns::test_no_session_sees_another_sessions_turns"
NORMAL_CLOSE: Final = 1000


def rule_status(run: Finished, rule: str) -> str:
    assert run.verdict is not None, run.stdout + run.stderr
    (found,) = [r for r in run.verdict["rules"] if r["id"] == rule]
    return str(found["status"])


def test_the_clean_realtime_server_passes_the_load_phase_over_turns(tmp_path: Path) -> None:
    run = harness("run", *REALTIME, *SMALL, "--users", "10", "--conversations", "3", out=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "APPROVED"
    assert outcomes(run) == {
        TURNS_TEST: "passed",
        LEAK_TEST: "passed",
    }
    # chat-agent/1's load tests are left out, their rule not applicable.
    assert rule_status(run, "4.delivery.not-other-users") == "not_applicable"
    for rule in ("4.turn.sessions-isolated", "4.turn.one-terminal", "6.close.declared-codes"):
        assert rule_status(run, rule) == "verified", rule
    assert metric(run, "load_users")["samples"] == [10]
    for name in ("load_handshake_ms", "load_close_code", "load_contamination"):
        assert metric(run, name)["count"] == 10, name
    for name in ("load_first_event_ms", "load_first_text_ms", "load_run_ms"):
        assert metric(run, name)["count"] == 30, name
    assert metric(run, "load_error_rate")["samples"] == [0] * 30
    assert metric(run, "load_contamination")["samples"] == [0] * 10
    assert metric(run, "load_close_code")["samples"] == [NORMAL_CLOSE] * 10
    first, text, end = (
        metric(run, name)["p50"]
        for name in ("load_first_event_ms", "load_first_text_ms", "load_run_ms")
    )
    assert 0 < first <= text <= end
    # The report speaks turns, not chat-agent/1's runs.
    report = (run.out / "report.md").read_text()
    assert "| time to the turn's first frame | 30 |" in report
    assert "| time to the first text | 30 |" in report
    assert "| whole turn | 30 |" in report
    assert (
        "- Contamination (frames of a turn the connection did not ask for): 0 on 0 of 10 "
        "connections" in report
    )
    assert "agent_started" not in report.split("### Load", 1)[1].split("\n## ", 1)[0]
    page = (run.out / "report.html").read_text()
    assert "<td>time to the turn&#39;s first frame</td>" in page


def test_a_realtime_server_leaking_across_sessions_is_not_approved_under_load(
    tmp_path: Path,
) -> None:
    run = harness(
        "run", *REALTIME, *SMALL, "--users", "10", "--defect", "rt-cross-session", out=tmp_path
    )
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None and run.verdict["verdict"] == "NOT_APPROVED"
    assert outcomes(run)[LEAK_TEST] == "failed"
    assert rule_status(run, "4.turn.sessions-isolated") == "violated"
    (message,) = [t["message"] for t in run.suite("load")["tests"] if t["id"] == LEAK_TEST]
    counted = r"(\d+) frames of a turn the connection did not ask for on (\d+) of 10 "
    leaked = re.search(counted, message)
    assert leaked is not None, message
    assert int(leaked.group(1)) > 0 and int(leaked.group(2)) > 1
    assert "response.output_text.delta" in message
    assert sum(metric(run, "load_contamination")["samples"]) == int(leaked.group(1))


# openai-realtime read as if its frames named no turn (`turn_id = ""`, as Chainlit's do):
# a frame outside every turn of the connection is another session's.
UNNAMED: Final = str(Path(__file__).parent / "profiles" / "realtime-unnamed-turns.toml")


def test_frames_outside_every_turn_are_foreign_where_frames_name_no_turn(
    tmp_path: Path,
) -> None:
    crowd = ("--users", "10", "--conversations", "3")  # 30 samples: the budgets' least
    clean = harness("run", "--profile", UNNAMED, *SMALL, *crowd, out=tmp_path / "c")
    assert clean.code == 0, clean.stdout + clean.stderr
    assert outcomes(clean) == {TURNS_TEST: "passed", LEAK_TEST: "passed"}
    run = harness(
        "run", "--profile", UNNAMED, *SMALL, *crowd, "--defect", "rt-cross-session",
        out=tmp_path / "leak",
    )  # fmt: skip
    assert run.code == 1, run.stdout + run.stderr
    assert outcomes(run)[LEAK_TEST] == "failed"
    assert rule_status(run, "4.turn.sessions-isolated") == "violated"
    (message,) = [t["message"] for t in run.suite("load")["tests"] if t["id"] == LEAK_TEST]
    assert "response.output_text.delta after the terminal" in message or (
        "response.output_text.delta before the turn's start" in message
    ), message
