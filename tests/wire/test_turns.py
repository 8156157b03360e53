"""Turns assembled from literal frames, and every invariant told apart from its violation.

Two dialects: chat-agent/1 (the answer whole in its terminal, tool calls in one start
frame) and `flagged-stream`, a test dialect that frames text streams and tool calls as
deltas flagged on shared types (tests/e2e/profiles/flagged-stream.toml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.wire.profile import load_profile
from harness.wire.turn_shape import shape_of
from harness.wire.turns import TurnReader, Violation

FLAGGED = Path(__file__).parents[1] / "e2e" / "profiles" / "flagged-stream.toml"


def _event(kind: str, run: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "run_id": run, "thread_id": "t-1", "user_id": "u-1", "data": data}


def _tool_run(run: str) -> list[dict[str, Any]]:
    """A chat-agent/1 run with one calculator call, as PROTOCOL.md section 4 frames it."""
    call = f"{run}-call-1"
    return [
        {"type": "ack", "message_id": "m-1", "run_id": run},
        _event("agent_started", run, {"agent_name": "scripted-agent", "message_id": "m-1"}),
        _event("agent_thinking", run, {"reasoning": "Reading the request.", "step": 1}),
        _event(
            "tool_executing",
            run,
            {"tool_name": "calculator", "tool_call_id": call, "parameters": {"expression": "2+3"}},
        ),
        _event(
            "tool_completed",
            run,
            {"tool_name": "calculator", "tool_call_id": call, "result": 5, "duration_ms": 1.0},
        ),
        _event(
            "agent_completed",
            run,
            {"status": "completed", "final_response": "2+3 = 5", "duration_ms": 3.0},
        ),
    ]


def _read(frames: list[dict[str, Any]], profile: str | Path | None = None) -> TurnReader:
    reader = TurnReader(shape_of(load_profile(profile)))
    for frame in frames:
        reader.feed(frame)
    return reader


def _found(reader: TurnReader) -> list[tuple[str, str, str]]:
    return [(v.rule, v.turn, v.text) for v in reader.finish()]


def test_chat_agent_1_runs_are_well_formed_turns() -> None:
    reader = _read([*_tool_run("r-1"), {"type": "pong"}, *_tool_run("r-2")])
    assert _found(reader) == []
    assert [t.key for t in reader.turns] == ["r-1", "r-2"]
    first = reader.turns[0]
    assert first.terminal == "completed"
    assert first.text == "2+3 = 5"
    assert first.reasoning == 1
    assert [(c.key, c.name, c.arguments, c.results) for c in first.tools] == [
        ("r-1-call-1", "calculator", {"expression": "2+3"}, [5])
    ]


def test_interleaved_runs_on_one_connection_are_told_apart_by_run_id() -> None:
    one, two = _tool_run("r-1"), _tool_run("r-2")
    mixed = [frame for pair in zip(one, two, strict=True) for frame in pair]
    reader = _read(mixed)
    assert _found(reader) == []
    assert [len(t.frames) for t in reader.turns] == [5, 5]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param(
            [*_tool_run("r-1"), _tool_run("r-1")[-1]],
            [("4.turn.one-terminal", "r-1", "a second terminal (completed)")],
            id="second-terminal",
        ),
        pytest.param(
            [*[f for f in _tool_run("r-1") if f["type"] != "tool_completed"], _tool_run("r-1")[4]],
            [("4.turn.nothing-after-terminal", "r-1", "tool_completed after the terminal")],
            id="tool-result-after-terminal",
        ),
        pytest.param(
            _tool_run("r-1")[:-1],
            [("4.turn.one-terminal", "r-1", "no terminal")],
            id="no-terminal",
        ),
        pytest.param(
            [f for f in _tool_run("r-1") if f["type"] != "agent_started"],
            [("4.turn.started-first", "r-1", "agent_thinking before the turn's start")],
            id="no-start",
        ),
        pytest.param(
            [*_tool_run("r-1"), *_tool_run("r-1")],
            [("4.turn.id-unique", "r-1", "turn id 'r-1' started again")],
            id="run-id-reused",
        ),
        pytest.param(
            [_tool_run("r-1")[2], *_tool_run("r-1")],
            [("4.turn.started-first", "r-1", "agent_thinking before the turn's start")],
            id="start-after-a-frame-of-it",
        ),
        pytest.param(
            [*_tool_run("r-1"), _tool_run("r-9")[2], _tool_run("r-9")[-1]],
            [
                (
                    "4.turn.sessions-isolated",
                    "r-9",
                    "agent_thinking of turn 'r-9', which this session never started",
                )
            ],
            id="another-sessions-turn",
        ),
        pytest.param(
            [
                *_tool_run("r-1")[:3],
                _event("tool_completed", "r-1", {"tool_call_id": "other", "result": 5}),
                _tool_run("r-1")[-1],
            ],
            [("4.turn.tool-result-paired", "r-1", "a tool result for no started call 'other'")],
            id="result-for-an-unknown-call",
        ),
        pytest.param(
            [*_tool_run("r-1")[:5], _tool_run("r-1")[4], _tool_run("r-1")[5]],
            [("4.turn.tool-result-paired", "r-1", "a second tool result for call 'r-1-call-1'")],
            id="two-results",
        ),
        pytest.param(
            [
                *_tool_run("r-1")[:3],
                _event(
                    "tool_executing",
                    "r-1",
                    {"tool_name": "calculator", "tool_call_id": "c", "parameters": "2+3"},
                ),
                _tool_run("r-1")[-1],
            ],
            [
                (
                    "4.turn.tool-arguments-json",
                    "r-1",
                    "tool call 'c': arguments '2+3' are not a JSON object",
                )
            ],
            id="arguments-not-an-object",
        ),
        pytest.param(
            [
                *_tool_run("r-1")[:4],
                _tool_run("r-1")[3],
                *_tool_run("r-1")[4:],
            ],
            [("4.turn.opened-once-ended-once", "r-1", "tool call 'r-1-call-1' started again")],
            id="call-started-twice",
        ),
    ],
)
def test_each_invariant_is_told_apart_from_its_violation(
    frames: list[dict[str, Any]], expected: list[tuple[str, str, str]]
) -> None:
    assert _found(_read(frames)) == expected


def test_calls_without_ids_pair_by_order() -> None:
    """netra-2025-09 sends no tool call id: the first result answers the first call."""
    frames = _tool_run("r-1")
    for frame in frames:
        frame.get("data", {}).pop("tool_call_id", None)
    reader = _read(frames)
    assert _found(reader) == []
    assert [(c.key, c.results) for c in reader.turns[0].tools] == [("#1", [5])]


def _chunk(turn: str, kind: str, content: Any = "", **flags: Any) -> dict[str, Any]:
    frame = {"type": "chunk", "turn": turn, "kind": kind, "content": content}
    return {**frame, "start": False, "end": False, "result": False, **flags}


def _streamed(turn: str = "u-1") -> list[dict[str, Any]]:
    """A flagged-stream turn: a thought, a tool call whose arguments come in three deltas,
    its result, then text in three deltas with the full text on the end."""
    return [
        {"type": "turn", "turn": turn, "phase": "start"},
        {"type": "chunk", "turn": turn, "kind": "thought", "content": "thinking"},
        _chunk(turn, "tool", id="call-1", name="calculator", start=True),
        _chunk(turn, "tool", '{"expression"', id="call-1"),
        _chunk(turn, "tool", ': "2+', id="call-1"),
        _chunk(turn, "tool", '3"}', id="call-1"),
        _chunk(turn, "tool", id="call-1", end=True),
        _chunk(turn, "tool", 5, id="call-1", result=True),
        _chunk(turn, "text", id="msg-1", start=True),
        _chunk(turn, "text", "2+3 ", id="msg-1"),
        _chunk(turn, "text", "is ", id="msg-1"),
        _chunk(turn, "text", "5", id="msg-1"),
        {**_chunk(turn, "text", id="msg-1", end=True), "full": "2+3 is 5"},
        {"type": "turn", "turn": turn, "phase": "end", "status": "ok"},
    ]


def test_a_streamed_turn_of_a_flagged_dialect_is_well_formed() -> None:
    reader = _read(_streamed(), FLAGGED)
    assert _found(reader) == []
    (turn,) = reader.turns
    assert turn.terminal == "completed"
    assert turn.text == "2+3 is 5"
    assert turn.streams["msg-1"].deltas == ["2+3 ", "is ", "5"]
    assert [(c.key, c.name, c.arguments, c.results) for c in turn.tools] == [
        ("call-1", "calculator", {"expression": "2+3"}, [5])
    ]


def _without(frames: list[dict[str, Any]], *indices: int) -> list[dict[str, Any]]:
    return [f for i, f in enumerate(frames) if i not in indices]


STREAMED = _streamed()


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param(
            _without(STREAMED, 8),
            [("4.turn.opened-before-use", "u-1", "a text delta of an unopened stream")],
            id="delta-before-the-stream-opens",
        ),
        pytest.param(
            [*STREAMED[:13], _chunk("u-1", "text", "!", id="msg-1"), STREAMED[13]],
            [("4.turn.opened-before-use", "u-1", "a text delta after the stream's end")],
            id="delta-after-the-end",
        ),
        pytest.param(
            [*STREAMED[:12], {**STREAMED[12], "full": "2+3 is five"}, STREAMED[13]],
            [
                (
                    "4.turn.text-reconstructs",
                    "u-1",
                    "the deltas join to '2+3 is 5', the final text is '2+3 is five'",
                )
            ],
            id="deltas-differ-from-the-final-text",
        ),
        pytest.param(
            _without(STREAMED, 12),
            [("4.turn.closed-at-completed", "u-1", "still open: text stream 'msg-1'")],
            id="completed-with-an-open-stream",
        ),
        pytest.param(
            [*STREAMED[:7], STREAMED[6], *STREAMED[7:]],
            [("4.turn.opened-once-ended-once", "u-1", "a second tool end for call 'call-1'")],
            id="tool-ended-twice",
        ),
        pytest.param(
            [*STREAMED[:4], *STREAMED[5:]],
            [
                (
                    "4.turn.tool-arguments-json",
                    "u-1",
                    "tool call 'call-1': arguments '{\"expression\"3\"}' are not a JSON object",
                )
            ],
            id="arguments-do-not-parse",
        ),
        pytest.param(
            [*STREAMED, _chunk("u-1", "text", "late", id="msg-2", start=True)],
            [("4.turn.nothing-after-terminal", "u-1", "chunk after the terminal")],
            id="a-late-frame",
        ),
        pytest.param(
            _without(STREAMED, 13),
            [("4.turn.one-terminal", "u-1", "no terminal")],
            id="no-terminal",
        ),
    ],
)
def test_each_streamed_invariant_is_told_apart_from_its_violation(
    frames: list[dict[str, Any]], expected: list[tuple[str, str, str]]
) -> None:
    assert _found(_read(frames, FLAGGED)) == expected


def test_a_violation_keeps_the_frame_behind_it() -> None:
    late = _chunk("u-1", "text", "late", id="msg-2", start=True)
    (found,) = _read([*STREAMED, late], FLAGGED).finish()
    assert found == Violation(
        "4.turn.nothing-after-terminal", "u-1", "chunk after the terminal", late
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[turn]\nagent = "robot"\n',
            "turn.agent: expected one of scripted, llm",
            id="agent-kind",
        ),
        pytest.param(
            '[turn]\nstart = [{ kind = "x" }]\n',
            "turn.start[0].kind: unknown key (known: type, when)",
            id="matcher-key",
        ),
        pytest.param(
            '[turn.text]\ndelta = [{ type = "d" }]\n',
            "turn.text.delta_text: must say where the text of each delta frame is",
            id="delta-without-its-text",
        ),
        pytest.param(
            "[turn]\ncompleted = []\n",
            "turn.completed: must not be empty",
            id="no-completed-terminal",
        ),
        pytest.param(
            '[turn.tool]\nid = "a..b"\n',
            'turn.tool.id: expected a dotted path such as "data.step", alternatives such as '
            '"response_id|response.id", or "" for none',
            id="bad-path",
        ),
        pytest.param(
            '[turn.tool]\nid = "call_id|"\n',
            'turn.tool.id: expected a dotted path such as "data.step", alternatives such as '
            '"response_id|response.id", or "" for none',
            id="empty-alternative",
        ),
    ],
)
def test_a_bad_turn_table_is_refused_naming_its_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[profile]\nname = "bad"\n\n' + text, "utf-8")
    with pytest.raises(ConfigError) as raised:
        load_profile(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
