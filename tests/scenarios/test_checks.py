"""Every kind of check holds on a matching turn and fails, with its reason, on one that does
not match; the turns are built from literal canonical frames (PROTOCOL.md section 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.scenarios.checks import judge
from harness.scenarios.load import load_scenario
from harness.scenarios.model import Check
from harness.scenarios.turn import TimedFrame, ToolCall, Turn, turn_of

EVENT = {"run_id": "r-1", "thread_id": "t-1", "user_id": "u-1"}


def frames(*pairs: tuple[float, dict[str, Any]]) -> list[TimedFrame]:
    return [TimedFrame(at, frame) for at, frame in pairs]


ACK = {"type": "ack", "message_id": "m-1", "run_id": "r-1", "thread_id": "t-1"}
STARTED = {**EVENT, "type": "agent_started", "data": {"agent_name": "a", "message_id": "m-1"}}
THINKING = {**EVENT, "type": "agent_thinking", "data": {"reasoning": "r", "step": 1}}


def completed(text: str) -> dict[str, Any]:
    return {
        **EVENT,
        "type": "agent_completed",
        "data": {"status": "completed", "final_response": text, "duration_ms": 12},
    }


def calculator(expression: str, result: Any) -> list[tuple[float, dict[str, Any]]]:
    return [
        (
            6.0,
            {
                **EVENT,
                "type": "tool_executing",
                "data": {
                    "tool_name": "calculator",
                    "tool_call_id": "tc-1",
                    "parameters": {"expression": expression},
                },
            },
        ),
        (
            11.0,
            {
                **EVENT,
                "type": "tool_completed",
                "data": {
                    "tool_name": "calculator",
                    "tool_call_id": "tc-1",
                    "result": result,
                    "duration_ms": 5,
                },
            },
        ),
    ]


SUM = turn_of(
    "What is 2+3?",
    frames(
        (1.0, ACK),
        (2.0, STARTED),
        (4.0, THINKING),
        *calculator("2+3", 5),
        (40.0, completed("The Answer: 2+3 = 5")),
    ),
)
JSON = turn_of(
    "json please",
    frames(
        (1.0, ACK),
        (2.0, STARTED),
        (30.0, completed('{"answer": {"items": [{"value": 5}, {"value": true}]}, "n": 2}')),
    ),
)
FAILED = turn_of(
    "fail: now",
    frames(
        (1.0, ACK),
        (2.0, STARTED),
        (4.0, THINKING),
        (
            9.0,
            {
                **EVENT,
                "type": "agent_error",
                "data": {"error_code": "AGENT_FAILED", "message": "x"},
            },
        ),
    ),
)


def test_a_turn_is_read_from_its_frames() -> None:
    assert SUM.final_text == "The Answer: 2+3 = 5"
    assert SUM.tool_calls == (ToolCall("calculator", {"expression": "2+3"}, 5),)
    assert (SUM.terminal, SUM.status, SUM.terminal_ms) == ("agent_completed", "completed", 40.0)
    assert (FAILED.final_text, FAILED.tool_calls) == (None, ())
    assert (FAILED.terminal, FAILED.status, FAILED.terminal_ms) == (
        "agent_error",
        "AGENT_FAILED",
        9.0,
    )
    refused = turn_of("x", frames((3.0, {"type": "error", "error_code": "RATE_LIMITED"})))
    assert (refused.terminal, refused.status, refused.final_text) == ("error", "RATE_LIMITED", None)


def check_of(tmp_path: Path, table: str) -> Check:
    (tmp_path / "schema.json").write_text(
        '{"type": "object", "required": ["expression"], '
        '"properties": {"expression": {"type": "string", "pattern": "^[0-9+]+$"}}}',
        encoding="utf-8",
    )
    path = tmp_path / "s.toml"
    path.write_text(
        f'[scenario]\nname = "s"\n[[turn]]\nsend = "x"\n[[turn.check]]\n{table}\n',
        encoding="utf-8",
    )
    return load_scenario(path).turns[0].checks[0]


CASES = [
    ('contains = "2+3 = 5"', SUM, None),
    ('contains = "answer"', SUM, "the final text does not contain 'answer'"),
    ('contains = "5"', FAILED, "the turn has no final text (it ended with agent_error)"),
    ('icontains = "answer"', SUM, None),
    ('icontains = "six"', SUM, "the final text does not contain (ignoring case) 'six'"),
    ('regex = "= \\\\d$"', SUM, None),
    ('regex = "^\\\\d"', SUM, "the final text does not match '^\\\\d'"),
    ('not_contains = "6"', SUM, None),
    ('not_contains = "5"', SUM, "the final text does contain '5'"),
    ('not_contains = "5"', FAILED, None),
    ('not_icontains = "six"', SUM, None),
    ('not_icontains = "ANSWER"', SUM, "the final text does contain (ignoring case) 'ANSWER'"),
    ('not_regex = "^\\\\d"', SUM, None),
    ('not_regex = "\\\\d$"', SUM, "the final text does match '\\\\d$'"),
    ('json_schema = { type = "object", required = ["n"] }', JSON, None),
    (
        'json_schema = { type = "object", required = ["total"] }',
        JSON,
        "the final text does not match the schema: 'total' is a required property",
    ),
    (
        'json_schema = { type = "object" }',
        SUM,
        "the final text is not JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    (
        'json_schema = { properties = { n = { type = "string" } } }',
        JSON,
        "the final text does not match the schema at n: 2 is not of type 'string'",
    ),
    ('json_schema = "schema.json"\ntool = "calculator"', SUM, None),
    (
        'json_schema = { required = ["text"] }\ntool = "calculator"',
        SUM,
        "the arguments of calculator call 1 do not match the schema: 'text' is a required property",
    ),
    (
        'json_schema = "schema.json"\ntool = "word_count"',
        SUM,
        'tool \'word_count\' was not called (calls: calculator({"expression": "2+3"}))',
    ),
    ('json_path = "answer.items[1].value"\nequals = true', JSON, None),
    ('json_path = "answer.items[0].value"\nequals = 5', JSON, None),
    (
        'json_path = "answer.items[1].value"\nequals = 1',
        JSON,
        "answer.items[1].value is true, not 1",
    ),
    (
        'json_path = "answer.items[2].value"\nequals = 5',
        JSON,
        "the final text has no value at 'answer.items[2].value'",
    ),
    ('tool_called = "calculator"', SUM, None),
    ('tool_called = "calculator"\narguments = { expression = "2+3" }', SUM, None),
    (
        'tool_called = "calculator"\narguments = { expression = "2 + 3" }',
        SUM,
        'no call of \'calculator\' with {"expression": "2 + 3"} '
        '(calls: calculator({"expression": "2+3"}))',
    ),
    ('tool_called = "word_count"', FAILED, "no call of 'word_count' (no tool was called)"),
    ('tool_not_called = "word_count"', SUM, None),
    (
        'tool_not_called = "calculator"',
        SUM,
        'tool \'calculator\' was called (calls: calculator({"expression": "2+3"}))',
    ),
    ('absent = "agent_completed"\nwithin_ms = 1000', FAILED, None),
    ('absent = "agent_completed"\nwithin_ms = 30', SUM, None),
    (
        'absent = "agent_completed"\nwithin_ms = 50',
        SUM,
        "agent_completed arrived 40 ms after the send (within 50 ms)",
    ),
    ("within_ms = 40", SUM, None),
    ("within_ms = 39", SUM, "the turn's terminal (agent_completed) arrived 40 ms after the send"),
    ("within_ms = 100", turn_of("x", frames((1.0, ACK))), "the turn never ended"),
    ('predicate = "tests.scenarios.predicates:says_five"', SUM, None),
    ('predicate = "tests.scenarios.predicates:says_five"', FAILED, "no 5 in None"),
    (
        'predicate = "tests.scenarios.predicates:is_false"',
        SUM,
        "predicate tests.scenarios.predicates:is_false returned False",
    ),
]


@pytest.mark.parametrize(("table", "turn", "reason"), CASES)
def test_each_check_holds_or_fails_with_its_reason(
    tmp_path: Path, table: str, turn: Turn, reason: str | None
) -> None:
    assert judge(check_of(tmp_path, table), turn) == reason


def test_a_predicate_that_raises_is_the_harness_s_error(tmp_path: Path) -> None:
    check = check_of(tmp_path, 'predicate = "tests.scenarios.predicates:explodes"')
    with pytest.raises(HarnessError) as caught:
        judge(check, SUM)
    assert str(caught.value) == (
        "predicate tests.scenarios.predicates:explodes raised RuntimeError: the predicate's own bug"
    )


def test_a_predicate_module_next_to_the_scenario_imports(tmp_path: Path) -> None:
    module = f"checks_{tmp_path.name}"
    (tmp_path / f"{module}.py").write_text(
        "def polite(turn):\n    return 'please' in (turn.final_text or '') or 'not polite'\n",
        encoding="utf-8",
    )
    check = check_of(tmp_path, f'predicate = "{module}:polite"')
    assert judge(check, SUM) == "not polite"
