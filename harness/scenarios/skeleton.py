"""A scenario skeleton from a recorded conversation: one turn per user message the client
sent, each with a `within_ms` check and, commented out, a `contains` of the recorded answer."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.wire import protocol as P

# A turn's budget: twice its recorded time, rounded up to 100 ms, never under this.
MIN_WITHIN_MS: Final = 1000


@dataclass(frozen=True, slots=True)
class Recorded:
    """One frame of a recording in canonical form: when (seconds), who sent it, the frame."""

    t: float
    client: bool
    frame: Mapping[str, Any]


@dataclass(slots=True)
class _Turn:
    send: str
    thread: Any
    t: float
    ms: float | None = None
    answer: str | None = None


def _turns(frames: Sequence[Recorded]) -> list[_Turn]:
    turns: list[_Turn] = []
    for recorded in frames:
        frame = recorded.frame
        payload = frame.get("payload")
        payload = payload if isinstance(payload, Mapping) else {}
        if recorded.client and frame.get("type") in (P.USER_MESSAGE, P.START_AGENT):
            text = payload.get("content", payload.get("user_request"))
            turns.append(_Turn(str(text), payload.get("thread_id"), recorded.t))
        elif (
            not recorded.client
            and frame.get("type") in P.TERMINAL_EVENTS
            and turns
            and turns[-1].ms is None
        ):
            turn = turns[-1]
            turn.ms = (recorded.t - turn.t) * 1000
            data = frame.get("data")
            answer = data.get("final_response") if isinstance(data, Mapping) else None
            turn.answer = answer if isinstance(answer, str) else None
    return turns


def _within(ms: float | None) -> int:
    if ms is None:
        return MIN_WITHIN_MS
    return max(MIN_WITHIN_MS, math.ceil(ms * 2 / 100) * 100)


def skeleton(name: str, description: str, conversations: Sequence[Sequence[Recorded]]) -> str:
    """The TOML text of a scenario with one turn per user message of `conversations` (each
    a connection's frames, in order); empty turns list when the recording sent none."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "scenario"
    lines = [
        "# A skeleton made by `stability-harness scenario from-capture`: edit its checks.",
        "[scenario]",
        f"name = {json.dumps(safe)}",
        f"description = {json.dumps(description)}",
    ]
    previous: Any = None
    for turns in (_turns(frames) for frames in conversations):
        for number, turn in enumerate(turns):
            lines += ["", "[[turn]]", f"send = {json.dumps(turn.send)}"]
            changed = turn.thread is not None and previous is not None and turn.thread != previous
            if (number == 0 and lines.count("[[turn]]") > 1) or changed:
                lines.append('thread = "new"')
            previous = turn.thread if turn.thread is not None else previous
            recorded = "no terminal recorded" if turn.ms is None else f"{turn.ms:.0f} ms recorded"
            lines += ["[[turn.check]]", f"within_ms = {_within(turn.ms)}  # {recorded}"]
            if turn.answer is not None:
                lines += ["# [[turn.check]]", f"# contains = {json.dumps(turn.answer)}"]
    return "\n".join(lines) + "\n"
