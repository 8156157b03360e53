"""Replay conformance on literal frames: runs together, collapse, consistent ids, close codes."""

from __future__ import annotations

from typing import Any

from harness.replay.conformance import ConnectionRecord, blocks, judge_connection

VOLATILE = ("timestamp", "run_id", "thread_id", "data.duration_ms")


def _ev(kind: str, run: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "run_id": run, "thread_id": "t", "data": data, "timestamp": 1.0}


def _conn(*frames: dict[str, Any], close: int | None = 1000) -> ConnectionRecord:
    return ConnectionRecord(1, list(frames), close)


def test_interleaved_runs_compare_as_blocks() -> None:
    recorded = _conn(
        {"type": "ack", "run_id": "A"},
        {"type": "ack", "run_id": "B"},
        _ev("agent_started", "A"),
        _ev("agent_started", "B"),
        _ev("agent_completed", "A"),
        _ev("agent_completed", "B"),
    )
    replayed = _conn(
        {"type": "ack", "run_id": "a"},
        {"type": "ack", "run_id": "b"},
        _ev("agent_started", "a"),
        _ev("agent_completed", "a"),
        _ev("agent_started", "b"),
        _ev("agent_completed", "b"),
    )
    assert [[f["type"] for f in b] for b in blocks(recorded.frames)][2:] == [
        ["agent_started", "agent_completed"],
        ["agent_started", "agent_completed"],
    ]
    assert judge_connection(recorded, replayed, VOLATILE) is None


def test_a_volatile_id_must_stay_consistent() -> None:
    recorded = _conn({"type": "ack", "run_id": "A"}, _ev("agent_started", "A"))
    swapped = _conn({"type": "ack", "run_id": "a"}, _ev("agent_started", "b"))
    mismatch = judge_connection(recorded, swapped, VOLATILE)
    assert mismatch is not None
    assert (mismatch.index, mismatch.field) == (1, "run_id")
    merged = _conn({"type": "ack", "run_id": "A"}, {"type": "ack", "run_id": "B"})
    same = _conn({"type": "ack", "run_id": "x"}, {"type": "ack", "run_id": "x"})
    inconsistent = judge_connection(merged, same, VOLATILE)
    assert inconsistent is not None
    assert inconsistent.field == "run_id"


def test_a_changed_value_is_named_with_both_sides() -> None:
    recorded = _conn(_ev("tool_completed", "A", result=5, duration_ms=3.2))
    replayed = _conn(_ev("tool_completed", "a", result=5.0, duration_ms=9.9))
    mismatch = judge_connection(recorded, replayed, VOLATILE)
    assert mismatch is not None
    assert (mismatch.field, mismatch.recorded, mismatch.replayed) == ("data.result", 5, 5.0)
    assert mismatch.describe() == (
        "connection 1, server frame 1: data.result: recorded 5, replayed 5.0"
    )


def test_a_missing_frame_and_a_close_code() -> None:
    recorded = _conn({"type": "pong"}, {"type": "pong"})
    missing = judge_connection(recorded, _conn({"type": "pong"}), VOLATILE)
    assert missing is not None
    assert (missing.index, missing.recorded, missing.replayed) == (1, "pong", "<absent>")
    crashed = judge_connection(recorded, _conn(*recorded.frames, close=1011), VOLATILE)
    assert crashed is not None
    assert (crashed.field, crashed.recorded, crashed.replayed) == ("close code", 1000, 1011)
    unknown = ConnectionRecord(1, list(recorded.frames), None, close_known=False)
    assert judge_connection(unknown, _conn(*recorded.frames, close=1006), VOLATILE) is None


def test_collapsed_types_compare_as_one() -> None:
    recorded = _conn(_ev("agent_thinking", "A", step=1), _ev("agent_completed", "A"))
    replayed = _conn(
        _ev("agent_thinking", "a", step=1),
        _ev("agent_thinking", "a", step=2),
        _ev("agent_completed", "a"),
    )
    assert judge_connection(recorded, replayed, VOLATILE) is not None
    assert judge_connection(recorded, replayed, VOLATILE, collapse=("agent_thinking",)) is None
