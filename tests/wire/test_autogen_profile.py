"""The built-in `autogen-studio` profile reads AutoGen Studio's frames as turns: frames as
AutoGen Studio 0.4.2.2 sent them to the project's team (tests/targets/autogen), literally."""

from __future__ import annotations

from typing import Any

from harness.wire.profile import load_profile
from harness.wire.setup_calls import setup_calls
from harness.wire.turn_shape import shape_of
from harness.wire.turns import TurnReader


def _message(kind: str, source: str, content: Any) -> dict[str, Any]:
    data = {"source": source, "models_usage": None, "metadata": {}, "content": content}
    return {"type": "message", "data": {**data, "type": kind}}


def _chunk(text: str) -> dict[str, Any]:
    data = {"source": "assistant", "models_usage": None, "metadata": {}, "content": text}
    return {"type": "message_chunk", "data": {**data, "type": "ModelClientStreamingChunkEvent"}}


CALL = {"id": "call_weather_1", "arguments": '{"city": "Paris"}', "name": "get_weather"}
EXECUTION = {
    "content": "sunny, 21 degrees in Paris",
    "name": "get_weather",
    "call_id": "call_weather_1",
    "is_error": False,
}
RESULT = {"type": "result", "data": {"task_result": {"messages": []}}, "status": "complete"}
TURN = [
    _message("TextMessage", "user", "weather in Paris?"),
    _message("ToolCallRequestEvent", "assistant", [CALL]),
    _message("ToolCallExecutionEvent", "assistant", [EXECUTION]),
    _chunk("The "),
    _chunk("weather "),
    _chunk("is sunny."),
    _message("TextMessage", "assistant", "The weather is sunny."),
    RESULT,
]


def _read(frames: list[dict[str, Any]]) -> TurnReader:
    reader = TurnReader(shape_of(load_profile("autogen-studio")))
    for frame in frames:
        reader.feed(frame)
    return reader


def test_a_clean_turn_pairs_its_tool_call_by_id_and_call_id() -> None:
    reader = _read(TURN)
    assert reader.finish() == []
    (turn,) = reader.turns
    assert turn.terminal == "completed"
    (call,) = turn.tools
    assert (call.key, call.name, call.arguments) == (
        "call_weather_1",
        "get_weather",
        {"city": "Paris"},
    )
    assert call.results == ["sunny, 21 degrees in Paris"]
    (stream,) = turn.streams.values()
    assert stream.deltas == ["The ", "weather ", "is sunny."]
    assert stream.final_text == "The weather is sunny."


def test_a_second_result_is_a_second_terminal() -> None:
    rules = [v.rule for v in _read([*TURN, RESULT]).finish()]
    assert rules == ["4.turn.one-terminal"]


def test_an_execution_of_no_requested_call_is_unpaired() -> None:
    stray = _message("ToolCallExecutionEvent", "assistant", [{**EXECUTION, "call_id": "call_x"}])
    rules = [v.rule for v in _read([*TURN[:3], stray, *TURN[3:]]).finish()]
    assert rules == ["4.turn.tool-result-paired"]


def test_its_set_up_calls_make_a_session_then_a_run_of_the_guest() -> None:
    calls = setup_calls(load_profile("autogen-studio").data)
    assert [(c.method, c.path) for c in calls] == [
        ("GET", "/api/teams/?user_id=guestuser@gmail.com"),
        ("POST", "/api/sessions/"),
        ("POST", "/api/runs/"),
    ]
    assert calls[2].body == {"session_id": "{session_id}", "user_id": "guestuser@gmail.com"}
    assert load_profile("autogen-studio").section("endpoint")["ws_path"] == "/api/ws/runs/{run_id}"
