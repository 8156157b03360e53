"""The project's own AutoGen Studio team: one assistant whose model is AutoGen's own
`ReplayChatCompletionClient` (scripted replies, no key, no network) and whose tool is a
local Python function.

Each run loads the team afresh from its config, so every turn replays the same script:
a tool call `get_weather` (id `call_weather_1`), its execution, then a streamed answer
ending in TERMINATE. `broken_team()` is the same team whose tool never returns: a tool
call that never ends. `exhausted_team()` has no scripted reply at all: the model raises
"No more mock responses available", a deterministic error turn.

Run as a script, it prints the clean team's config as JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any

CALL_ID = "call_weather_1"
ANSWER = "The weather in Paris is sunny, 21 degrees. TERMINATE"


def get_weather(city: str) -> str:
    """The weather in a city (a fixed answer)."""
    return f"sunny, 21 degrees in {city}"


def get_weather_forever(city: str) -> str:
    """A tool that never returns."""
    import time

    while True:
        time.sleep(1.0)


def _team(tool: Any, replies: list[Any]) -> dict[str, Any]:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
    from autogen_agentchat.teams import RoundRobinGroupChat
    from autogen_core.tools import FunctionTool
    from autogen_ext.models.replay import ReplayChatCompletionClient

    model = ReplayChatCompletionClient(
        chat_completions=replies,
        model_info={
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "family": "unknown",
            "structured_output": False,
        },
    )
    agent = AssistantAgent(
        "assistant",
        model_client=model,
        tools=[FunctionTool(tool, description="The weather in a city.", name="get_weather")],
        reflect_on_tool_use=True,
        model_client_stream=True,
    )
    stop = TextMentionTermination("TERMINATE") | MaxMessageTermination(6)
    team = RoundRobinGroupChat([agent], termination_condition=stop)
    config: dict[str, Any] = team.dump_component().model_dump(mode="json")
    return config


def _script() -> list[Any]:
    from autogen_core import FunctionCall
    from autogen_core.models import CreateResult, RequestUsage

    call = FunctionCall(id=CALL_ID, name="get_weather", arguments='{"city": "Paris"}')
    usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
    return [
        CreateResult(finish_reason="function_calls", content=[call], usage=usage, cached=False),
        ANSWER,
    ]


def clean_team() -> dict[str, Any]:
    """The clean team: a tool call, its result, a streamed answer."""
    return _team(get_weather, _script())


def broken_team() -> dict[str, Any]:
    """The same script, with a tool that never returns."""
    return _team(get_weather_forever, _script())


def exhausted_team() -> dict[str, Any]:
    """No scripted reply: the model call fails, an error turn."""
    return _team(get_weather, [])


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "clean"
    build = {"clean": clean_team, "broken": broken_team, "exhausted": exhausted_team}[which]
    print(json.dumps(build(), indent=1))
