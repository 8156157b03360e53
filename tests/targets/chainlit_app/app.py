"""A Chainlit app of the project's own, the `chainlit` profile's target (docs/TARGETS.md).

Its bot answers with a deterministic fake model (no network): it runs one tool step
(`lookup`, type "tool"), then streams its answer token by token. A message whose
content starts with "fail:" fails the turn: Chainlit sends an error message
(`isError`). `CHAINLIT_APP_DEFECT` switches it to a broken variant:
`tool-never-ends` (the tool step is sent and never updated), `second-task-end`
(the bot ends its task once more than Chainlit does) or `leak` (the bot keeps the
emitter of every session it served in a module-level list and streams each answer into
the previous session's as well: one session's stream shows in another).

`CHAINLIT_APP_LOGIN=1` turns login on: a password auth callback (the one user
`harness`, its password in `CHAINLIT_APP_PASSWORD`), with `CHAINLIT_AUTH_SECRET` in the
server's environment. Chainlit then refuses a socket.io connect whose access-token
cookie holds no JWT signed with that secret. `CHAINLIT_APP_DEFECT=open-door` with login
on lets such a connection in anyway, as a guest (it wraps Chainlit's check of the
cookie): the broken variant of the login app.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import chainlit as cl
from chainlit.emitter import BaseChainlitEmitter

DEFECT = os.environ.get("CHAINLIT_APP_DEFECT", "")
LOGIN = os.environ.get("CHAINLIT_APP_LOGIN", "") == "1"
# `leak`: the emitter of each session the bot answered, oldest first.
SESSIONS_SEEN: list[BaseChainlitEmitter] = []


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
    others = _other_sessions() if DEFECT == "leak" else []
    for token in fake_model(message.content):
        await answer.stream_token(token)
        for other in others:  # the leak: the same tokens into another live session
            await other.send_token(answer.id, token)
        await asyncio.sleep(0)
    await answer.send()
    if DEFECT == "second-task-end":
        await cl.context.emitter.task_end()


def _other_sessions() -> list[BaseChainlitEmitter]:
    """`leak`: the emitter of the session served before this one (this one remembered)."""
    emitter = cl.context.emitter
    if all(seen.session.id != emitter.session.id for seen in SESSIONS_SEEN):
        SESSIONS_SEEN.append(emitter)
    others = [seen for seen in SESSIONS_SEEN if seen.session.id != emitter.session.id]
    return others[-1:]


if LOGIN:

    @cl.password_auth_callback
    async def login(username: str, password: str) -> cl.User | None:
        """The one user, `harness`, with the password of the app's environment."""
        if (username, password) == ("harness", os.environ.get("CHAINLIT_APP_PASSWORD")):
            return cl.User(identifier=username)
        return None


if LOGIN and DEFECT == "open-door":
    import chainlit.socket

    check = chainlit.socket._authenticate_connection

    async def open_door(environ: Any) -> tuple[Any, Any]:
        """Chainlit's check of the access-token cookie, and a guest where it fails."""
        try:
            user, token = await check(environ)
        except Exception:  # a token Chainlit could not decode (a bad signature, expired)
            user, token = None, None
        return (user, token) if user is not None else (cl.User(identifier="guest"), "")

    chainlit.socket._authenticate_connection = open_door
