"""A Chainlit app of the project's own, the `chainlit` profile's target (docs/TARGETS.md).

Its bot answers with a deterministic fake model (no network): it runs one tool step
(`lookup`, type "tool"), then streams its answer token by token. A message whose
content starts with "fail:" fails the turn: Chainlit sends an error message
(`isError`). `CHAINLIT_APP_DEFECT` switches it to a broken variant:
`tool-never-ends` (the tool step is sent and never updated) or `second-task-end`
(the bot ends its task once more than Chainlit does).
"""

from __future__ import annotations

import asyncio
import os

import chainlit as cl

DEFECT = os.environ.get("CHAINLIT_APP_DEFECT", "")


def fake_model(content: str) -> list[str]:
    """The answer to `content`, as the tokens a model would stream."""
    words = f"You said: {content}".split(" ")
    return [word if i == 0 else " " + word for i, word in enumerate(words)]


@cl.on_message
async def on_message(message: cl.Message) -> None:
    if message.content.startswith("fail:"):
        raise RuntimeError("the fake model failed")
    if DEFECT == "tool-never-ends":
        step = cl.Step(name="lookup", type="tool")
        step.input = message.content
        await step.send()
    else:
        async with cl.Step(name="lookup", type="tool") as step:
            step.input = message.content
            step.output = f"{len(message.content)} characters"
    answer = cl.Message(content="")
    for token in fake_model(message.content):
        await answer.stream_token(token)
        await asyncio.sleep(0)
    await answer.send()
    if DEFECT == "second-task-end":
        await cl.context.emitter.task_end()
