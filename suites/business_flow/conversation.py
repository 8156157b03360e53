"""Turns of a chat conversation over one connection, and the checks of a thread's history."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.client import ABSENT, Client, is_close

Frame = dict[str, Any]
Connect = Callable[..., Awaitable[Client]]
# (role, content, timestamp) of one history message.
Message = tuple[str, str, float]

USER: Final = "user"
ASSISTANT: Final = "assistant"
# Generous: a run takes milliseconds; a slow target must fail on answers, not on this deadline.
RUN_WITHIN: Final = 15.0


def new_thread_id() -> str:
    """A thread id no one has used yet."""
    return f"t-{uuid.uuid4().hex[:12]}"


def clock_timestamp() -> float:
    """Now as a client timestamp (microseconds).

    A later message of a thread carries the current time, so that the history's order is the
    same whether a server lists messages as added or by timestamp ("oldest first").
    """
    return round(time.time(), 6)


def data_of(frame: Frame) -> Frame:
    """The frame's `data` object ({} when it is missing or not an object)."""
    data = frame.get("data")
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True, slots=True)
class Turn:
    """One user message: its ack and the events of the run it started, up to the run's end."""

    content: str
    ack: Frame
    events: tuple[Frame, ...]

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


async def say(
    client: Client,
    content: str,
    *,
    thread_id: str | None = None,
    timestamp: Any = ABSENT,
    within: float = RUN_WITHIN,
) -> Turn:
    """Send a user_message, require its ack, and return once its run has ended."""
    payload: Frame = {"content": content}
    if thread_id is not None:
        payload["thread_id"] = thread_id
    ack = await client.request(P.USER_MESSAGE, payload, timestamp=timestamp, within=within)
    if ack.get("type") != P.ACK:
        raise CheckFailed(f"direct reply to user_message {content!r}", expected=P.ACK, observed=ack)
    events = await client.collect_run(ack.get("run_id"), within=within)
    return Turn(content, ack, tuple(events))


def check_answer(turn: Turn, results: Sequence[str], thread_id: str | None = None) -> None:
    """The run completed with these tool results (JSON) and its final_response contains them."""
    answer = turn.answer
    problems = []
    if turn.completed is None:
        problems.append(f"the run ended with {[e.get('type') for e in turn.events]}")
    if turn.results != list(results):
        problems.append(f"tool results {turn.results}")
    if not isinstance(answer, str) or any(r not in answer for r in results):
        problems.append(f"final_response {answer!r}")
    threads = {e.get("thread_id") for e in turn.events} | {turn.ack.get("thread_id")}
    if thread_id is not None and threads != {thread_id}:
        problems.append(f"thread ids {sorted(map(str, threads))}")
    if problems:
        raise CheckFailed(
            f"answer to {turn.content!r}",
            expected=f"agent_completed, tool results {list(results)}, final_response containing "
            f"them" + (f", thread {thread_id!r} on the ack and every event" if thread_id else ""),
            observed="; ".join(problems),
            frames=turn.events,
        )


async def check_history(
    client: Client, thread_id: str, expected: Sequence[Message], *, within: float = 5.0
) -> None:
    """get_thread_history returns exactly these messages, oldest first (timestamps within 1e-6)."""
    reply = await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}, within=within)
    messages = reply.get("messages")
    observed: Any = reply
    if reply.get("type") == P.THREAD_HISTORY and isinstance(messages, list):
        observed = [
            (m.get("role"), m.get("content"), m.get("timestamp")) if isinstance(m, dict) else m
            for m in messages
        ]
        if (
            reply.get("thread_id") == thread_id
            and len(observed) == len(expected)
            and all(_same(o, e) for o, e in zip(observed, expected, strict=True))
        ):
            return
    raise CheckFailed(
        f"history of thread {thread_id!r}",
        expected=f"thread_history for {thread_id!r}, (role, content, timestamp): {list(expected)}",
        observed=observed,
        frames=[reply],
    )


def _same(observed: Any, expected: Message) -> bool:
    return (
        isinstance(observed, tuple)
        and observed[:2] == expected[:2]
        and is_close(observed[2], expected[2])
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


def timestamp_of(frame: Frame | None) -> float:
    """The frame's server timestamp (a CheckFailed when it is not a number)."""
    value = (frame or {}).get("timestamp")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise CheckFailed("timestamp of an agent event", expected="a float", observed=value)
    return float(value)
