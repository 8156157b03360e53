"""Turns of a chat conversation over one connection, and the checks of a thread's history.

History timestamps are compared exactly, as integer microseconds (`to_microseconds`), so
that a value rounded or shifted by a single microsecond, or the server's clock in place of
the client's, is told apart from the expected one.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.suite_api import (
    ABSENT,
    MICROS_PER_SECOND,
    CheckFailed,
    Client,
    to_microseconds,
)
from harness.suite_api import protocol as P

Frame = dict[str, Any]
# (role, content, timestamp in integer microseconds) of one history message.
Message = tuple[str, str, int]
# The same as observed: anything the target sent in place of a message or of its fields.
Observed = tuple[Any, Any, int | None] | Any

USER: Final = "user"
ASSISTANT: Final = "assistant"
# Generous: a run takes milliseconds; a slow target must fail on answers, not on this deadline.
RUN_WITHIN: Final = 15.0
# Long enough for the events of a run to reach a connection they must not reach (a run of
# the scripted agent takes about 10 ms); short, since only a broken server waits it out.
QUIET_WINDOW_S: Final = 0.3


def new_thread_id() -> str:
    """A thread id no one has used yet."""
    return f"t-{uuid.uuid4().hex[:12]}"


def new_message_id() -> str:
    """A message id no one has used yet."""
    return f"m-{uuid.uuid4().hex[:12]}"


def clock_micros() -> int:
    """Now, in integer microseconds: the client timestamp of a later message of a thread.

    A later message carries the current time, so that the history's order is the same
    whether a server lists messages as added or by timestamp ("oldest first").
    """
    return time.time_ns() // 1000


def seconds(micros: int) -> float:
    """`micros` as the JSON number of seconds to send (the nearest double: exact to 1 us)."""
    return micros / MICROS_PER_SECOND


def data_of(frame: Frame | None) -> Frame:
    """The frame's `data` object ({} when it is missing or not an object)."""
    data = (frame or {}).get("data")
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True, slots=True)
class Turn:
    """One user message: its ack and the events of the run it started, up to the run's end."""

    content: str
    ack: Frame
    events: tuple[Frame, ...]
    client: Client  # whose `checks` say whether the scripted agent's answers are known

    @property
    def completed(self) -> Frame | None:
        """The agent_completed event, or None when the run ended otherwise."""
        last = self.events[-1] if self.events else {}
        return last if last.get("type") == P.AGENT_COMPLETED else None

    @property
    def answer(self) -> Any:
        """The run's final_response (None when it did not complete)."""
        return data_of(self.completed).get("final_response") if self.completed else None

    @property
    def results(self) -> list[str]:
        """Every tool result, as written in JSON."""
        return [
            json.dumps(data_of(e).get("result"))
            for e in self.events
            if e.get("type") == P.TOOL_COMPLETED
        ]

    def reply(self) -> Message:
        """The assistant message the run must leave: final_response at agent_completed's time."""
        micros = to_microseconds((self.completed or {}).get("timestamp"))
        if micros is None or not isinstance(self.answer, str):
            raise CheckFailed(
                f"agent_completed of {self.content!r}",
                expected="a final_response string and a numeric timestamp",
                observed=self.completed,
                frames=self.events,
            )
        return (ASSISTANT, self.answer, micros)


async def say(
    client: Client,
    content: str,
    *,
    thread_id: str | None = None,
    timestamp: Any = ABSENT,
    request_type: str = P.USER_MESSAGE,
    within: float = RUN_WITHIN,
) -> Turn:
    """Send a user_message (or start_agent), require its ack, and return once its run ended."""
    key = "user_request" if request_type == P.START_AGENT else "content"
    payload: Frame = {key: content}
    if thread_id is not None:
        payload["thread_id"] = thread_id
    ack = await client.request(request_type, payload, timestamp=timestamp, within=within)
    if ack.get("type") != P.ACK:
        raise CheckFailed(
            f"direct reply to {request_type} {content!r}", expected=P.ACK, observed=ack
        )
    events = await client.collect_run(ack.get("run_id"), within=within)
    return Turn(content, ack, tuple(events), client)


# The rule of the scripted agent's exact answers: checked only where the target's agent is it.
EXACT_ANSWER: Final = "4.agent.calculator.final-response"


def check_answer(turn: Turn, results: Sequence[str], thread_id: str | None = None) -> None:
    """The run completed with these tool results (JSON) and its final_response contains them;
    where the target's agent is not the scripted one (EXACT_ANSWER does not apply), that it
    completed with a non-empty final_response, whatever it says."""
    answer = turn.answer
    problems = []
    exact = turn.client.checks.applies(EXACT_ANSWER)
    if turn.completed is None:
        problems.append(f"the run ended with {[e.get('type') for e in turn.events]}")
    if exact and turn.results != list(results):
        problems.append(f"tool results {turn.results}")
    missing = exact and isinstance(answer, str) and any(r not in answer for r in results)
    if not isinstance(answer, str) or not answer or missing:
        problems.append(f"final_response {answer!r}")
    threads = {e.get("thread_id") for e in turn.events} | {turn.ack.get("thread_id")}
    if thread_id is not None and threads != {thread_id}:
        problems.append(f"thread ids {sorted(map(str, threads))}")
    if problems:
        raise CheckFailed(
            f"answer to {turn.content!r}",
            expected=(
                f"agent_completed, tool results {list(results)}, final_response containing them"
                if exact
                else "agent_completed with a final_response"
            )
            + (f", thread {thread_id!r} on the ack and every event" if thread_id else ""),
            observed="; ".join(problems),
            frames=turn.events,
        )


async def history_of(client: Client, thread_id: str, *, within: float = 5.0) -> list[Observed]:
    """The thread's messages as (role, content, integer microseconds or None), as listed."""
    reply = await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}, within=within)
    messages = reply.get("messages")
    if (
        reply.get("type") != P.THREAD_HISTORY
        or reply.get("thread_id") != thread_id
        or not isinstance(messages, list)
    ):
        raise CheckFailed(
            f"reply to get_thread_history of {thread_id!r}",
            expected=f"thread_history for {thread_id!r} with a list of messages",
            observed=reply,
            frames=[reply],
        )
    return [
        (m.get("role"), m.get("content"), to_microseconds(m.get("timestamp")))
        if isinstance(m, dict)
        else m
        for m in messages
    ]


async def check_history(client: Client, thread_id: str, expected: Sequence[Message]) -> None:
    """get_thread_history returns exactly these messages, oldest first, to the microsecond."""
    observed = await history_of(client, thread_id)
    if observed != list(expected):
        raise CheckFailed(
            f"history of thread {thread_id!r}",
            expected=f"(role, content, timestamp in us), oldest first: {list(expected)}",
            observed=observed,
        )


def check_error(reply: Frame, code: str, message_id: str, what: str) -> None:
    """The direct reply is an error frame with this code, echoing the request's message_id."""
    if reply.get("type") != P.ERROR or reply.get("error_code") != code:
        raise CheckFailed(what, expected=f"error {code}", observed=reply, frames=[reply])
    if reply.get("message_id") != message_id:
        raise CheckFailed(
            f"{what}: message_id of the error",
            expected=message_id,
            observed=reply.get("message_id"),
        )
