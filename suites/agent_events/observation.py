"""Agent runs as one connection observes them: each direct reply, each event, latency to start."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from harness.suite_api import CheckFailed, Client, Metrics
from harness.suite_api import protocol as P

Frame = dict[str, Any]

# Generous on purpose: with `slow-first-event` agent_started comes 1.5 s late, and that must be
# judged by the latency budget, not by a timeout here.
RUN_WITHIN: Final = 15.0
# Payload field that carries the text of each run-starting type (PROTOCOL.md section 2).
CONTENT_FIELD: Final = {P.USER_MESSAGE: "content", P.START_AGENT: "user_request"}


def new_message_id() -> str:
    """A fresh client message id."""
    return f"m-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class Request:
    """One client frame that starts an agent run."""

    content: str
    frame_type: str = P.USER_MESSAGE
    thread_id: str | None = None
    timestamp: float | str | None = None
    message_id: str = field(default_factory=new_message_id)

    def frame(self) -> Frame:
        """The frame as sent on the wire."""
        payload: dict[str, Any] = {CONTENT_FIELD[self.frame_type]: self.content}
        if self.thread_id is not None:
            payload["thread_id"] = self.thread_id
        frame: Frame = {"type": self.frame_type, "message_id": self.message_id, "payload": payload}
        if self.timestamp is not None:
            frame["timestamp"] = self.timestamp
        return frame


@dataclass(frozen=True, slots=True)
class Run:
    """One request, its direct reply and every event of its run, in arrival order."""

    request: Request
    reply: Frame
    reply_index: int  # position of the reply among the observation's frames
    events: tuple[Frame, ...]
    event_indexes: tuple[int, ...]
    latency_ms: float | None  # from sending the request to receiving agent_started

    @property
    def run_id(self) -> Any:
        """The run id the ack announced (None when the reply was not an ack)."""
        return self.reply.get("run_id") if self.reply.get("type") == P.ACK else None

    @property
    def types(self) -> list[Any]:
        """The event types in arrival order."""
        return [e.get("type") for e in self.events]

    def of_type(self, event_type: str) -> list[Frame]:
        """The events of one type, in arrival order."""
        return [e for e in self.events if e.get("type") == event_type]

    def calls(self) -> list[tuple[Any, Any]]:
        """(tool_name, parameters) of every tool_executing, in order."""
        return [
            (data_of(e).get("tool_name"), data_of(e).get("parameters"))
            for e in self.of_type(P.TOOL_EXECUTING)
        ]

    def results(self) -> list[tuple[Any, str]]:
        """(tool_name, result as written in JSON) of every tool_completed, in order."""
        return [
            (data_of(e).get("tool_name"), json.dumps(data_of(e).get("result", "<missing>")))
            for e in self.of_type(P.TOOL_COMPLETED)
        ]

    def until_end(self) -> list[Frame]:
        """The events up to and including the first terminal event (the run's end)."""
        for i, event in enumerate(self.events):
            if event.get("type") in P.TERMINAL_EVENTS:
                return list(self.events[: i + 1])
        return list(self.events)

    @property
    def final(self) -> Frame:
        """The `data` of the run's first terminal event ({} when there is none)."""
        ended = self.until_end()
        last = ended[-1] if ended else {}
        return data_of(last) if last.get("type") in P.TERMINAL_EVENTS else {}


@dataclass(frozen=True, slots=True)
class Observation:
    """Every frame one connection received while its runs went on, and the runs."""

    runs: tuple[Run, ...]
    frames: tuple[Frame, ...]

    def foreign_events(self, user_id: str) -> list[Frame]:
        """Agent events that belong to none of these runs or carry another user id."""
        mine = {run.run_id for run in self.runs if run.run_id is not None}
        return [
            f
            for f in self.frames
            if f.get("type") in P.AGENT_EVENTS
            and (f.get("run_id") not in mine or f.get("user_id") != user_id)
        ]


async def run_all(
    client: Client,
    requests: Sequence[Request],
    metrics: Metrics,
    *,
    within: float = RUN_WITHIN,
) -> Observation:
    """Send every request at once; return when each has its reply and each run has ended."""
    deadline = time.monotonic() + within
    sent_at: dict[str, float] = {}
    for request in requests:
        sent_at[request.message_id] = time.perf_counter()
        await client.send(request.frame())
    frames: list[Frame] = []
    arrived: list[float] = []
    waiting = set(sent_at)
    running: set[Any] = set()
    ended: set[Any] = set()
    while waiting or running:
        frame = await _next(client, deadline, within, frames, waiting, running)
        frames.append(frame)
        arrived.append(time.perf_counter())
        kind = frame.get("type")
        if kind in P.DIRECT_REPLIES and frame.get("message_id") in waiting:
            waiting.discard(frame["message_id"])
            if kind == P.ACK and frame.get("run_id") not in ended:
                running.add(frame.get("run_id"))
        elif kind in P.TERMINAL_EVENTS:
            ended.add(frame.get("run_id"))
            running.discard(frame.get("run_id"))
    runs = tuple(_run(r, frames, arrived, sent_at[r.message_id]) for r in requests)
    # The latency budget's samples come from test_latency, alone in the serial phase.
    return Observation(runs, tuple(frames))


async def run_one(
    client: Client,
    content: str,
    metrics: Metrics,
    *,
    frame_type: str = P.USER_MESSAGE,
    thread_id: str | None = None,
    timestamp: float | str | None = None,
    within: float = RUN_WITHIN,
) -> Run:
    """Start one run, require an ack, and return the run once it has ended."""
    request = Request(content, frame_type, thread_id, timestamp)
    run = (await run_all(client, [request], metrics, within=within)).runs[0]
    if run.reply.get("type") != P.ACK:
        raise CheckFailed(
            f"direct reply to {frame_type} {content!r}",
            expected=P.ACK,
            observed=run.reply,
        )
    return run


async def _next(
    client: Client,
    deadline: float,
    within: float,
    frames: list[Frame],
    waiting: set[str],
    running: set[Any],
) -> Frame:
    remaining = deadline - time.monotonic()
    observed: Any = "the deadline passed"
    shown: tuple[Frame, ...] = ()
    if remaining > 0:
        try:
            return await client.recv(within=remaining)
        except CheckFailed as exc:
            observed, shown = exc.observed, exc.frames
    raise CheckFailed(
        "waiting for agent runs to end",
        expected=f"direct replies to {sorted(waiting)} and "
        f"{' or '.join(P.TERMINAL_EVENTS)} of runs {sorted(map(str, running))} within {within:g} s",
        observed=f"{observed}; frames received meanwhile: {[f.get('type') for f in frames]}",
        frames=shown,
    )


def _run(request: Request, frames: list[Frame], arrived: list[float], sent_at: float) -> Run:
    reply_index = next(
        i
        for i, f in enumerate(frames)
        if f.get("type") in P.DIRECT_REPLIES and f.get("message_id") == request.message_id
    )
    reply = frames[reply_index]
    indexes: tuple[int, ...] = ()
    if reply.get("type") == P.ACK:
        run_id = reply.get("run_id")
        indexes = tuple(
            i
            for i, f in enumerate(frames)
            if f.get("type") in P.AGENT_EVENTS and f.get("run_id") == run_id
        )
    started = [i for i in indexes if frames[i].get("type") == P.AGENT_STARTED]
    latency = (arrived[started[0]] - sent_at) * 1000.0 if started else None
    return Run(
        request=request,
        reply=reply,
        reply_index=reply_index,
        events=tuple(frames[i] for i in indexes),
        event_indexes=indexes,
        latency_ms=latency,
    )


def agent_events(frames: Sequence[Frame]) -> list[Frame]:
    """The agent events among `frames`, whatever run they name (or none), in arrival order."""
    return [f for f in frames if f.get("type") in P.AGENT_EVENTS]


def contains_result(answer: object, written: str) -> bool:
    """True when `answer` contains the result whose JSON text is `written`.

    A number must stand as a whole number in the text: "2" is not in "2.0" nor in "12".
    A string result may appear with or without its JSON quotes (PROTOCOL.md says "as
    written in JSON"; a careful server may well write the text unquoted).
    """
    if not isinstance(answer, str):
        return False
    if written.startswith('"'):
        return written in answer or json.loads(written) in answer
    return re.search(rf"(?<![0-9.]){re.escape(written)}(?![0-9]|\.[0-9])", answer) is not None


def data_of(frame: Frame) -> Frame:
    """The frame's `data` object ({} when it is missing or not an object)."""
    data = frame.get("data")
    return data if isinstance(data, dict) else {}
