"""The deterministic scripted agent of PROTOCOL.md section 4: a pure plan and its timed run.

A dialect whose profile says its agent is `llm` (docs/TURNS.md) gets an llm-like agent
instead: the same event order, but tool calls, arguments and answers that vary from run
to run, so that only what holds whatever an agent says can pass.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass
from typing import Any, Final

import harness.reference.defects as D
from harness.reference.config import ServerConfig
from harness.reference.expression import Result, evaluate, find_expressions
from harness.reference.liberal import THINKING
from harness.reference.state import HistoryEntry, Peer, ServerState, Thread
from harness.wire import protocol as P
from harness.wire.turn_shape import shape_of

AGENT_NAME: Final = "scripted-agent"
CALCULATOR: Final = "calculator"
WORD_COUNT: Final = "word_count"
FAIL_PREFIX: Final = "fail:"
SEARCH: Final = "search"
_OPENINGS: Final = ("Sure.", "Here is what I found.", "Let me answer that.", "Good question!")
SLOW_FIRST_EVENT_S: Final = 1.5


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One planned tool call and its (already known) result."""

    tool_name: str
    parameters: dict[str, Any]
    result: Result


@dataclass(frozen=True, slots=True)
class AgentPlan:
    """What a run will do: fail, or call these tools and answer with this response."""

    fails: bool
    calls: tuple[ToolCall, ...]
    final_response: str


def plan_run(content: str, defects: frozenset[str] = frozenset()) -> AgentPlan:
    """The scripted agent's plan for a message: fail, calculator calls, or one word count."""
    anywhere = D.FAIL_ANYWHERE in defects
    if FAIL_PREFIX in content if anywhere else content.startswith(FAIL_PREFIX):
        return AgentPlan(fails=True, calls=(), final_response="")
    expressions = find_expressions(content, bare_numbers=D.BARE_NUMBER_EXPRESSION in defects)
    if expressions:
        flat = D.LEFT_TO_RIGHT_ARITHMETIC in defects
        calls = tuple(
            ToolCall(CALCULATOR, {"expression": expression}, evaluate(expression, flat=flat))
            for expression in expressions
        )
        answer = "; ".join(
            f"{call.parameters['expression']} = {_written(call.result, defects)}" for call in calls
        )
        return AgentPlan(fails=False, calls=calls, final_response=answer)
    words = len(content.split(" ") if D.SPLIT_ON_SPACE in defects else content.split())
    call = ToolCall(WORD_COUNT, {"text": content}, words)
    return AgentPlan(fails=False, calls=(call,), final_response=f"Your message has {words} words.")


def plan_llm(content: str, rng: random.Random) -> AgentPlan:
    """An llm-like agent's plan: zero to two `search` calls whose queries are words of the
    content, results and an answer worded differently each run; it never fails on purpose."""
    words = content.split() or ["nothing"]
    calls = tuple(
        ToolCall(
            SEARCH,
            {"query": " ".join(rng.sample(words, min(len(words), rng.randint(1, 3))))},
            f"{rng.randint(1, 9)} documents",
        )
        for _ in range(rng.choice((0, 1, 1, 2)))
    )
    answer = (
        f"{rng.choice(_OPENINGS)} You wrote {len(words)} words; {rng.choice(words)!r} stands out."
    )
    return AgentPlan(fails=False, calls=calls, final_response=answer)


def _written(result: Result, defects: frozenset[str]) -> str:
    """A result as final_response writes it: its JSON text (under `float-final-response`, 2.0)."""
    if D.FLOAT_FINAL_RESPONSE in defects and isinstance(result, int):
        return json.dumps(float(result))
    return json.dumps(result)


@dataclass(frozen=True, slots=True)
class RunContext:
    """Who a run belongs to and where its events go."""

    peer: Peer
    thread: Thread
    run_id: str
    message_id: str
    content: str


class AgentRun:
    """One timed run of the scripted agent, sending its events in PROTOCOL.md order."""

    def __init__(self, context: RunContext, config: ServerConfig, state: ServerState) -> None:
        self._context = context
        self._config = config
        self._state = state

    async def run(self) -> None:
        """Send every event of the run; record the answer in the thread and the counters."""
        context, defects = self._context, self._config.defects
        step = itertools.count(1)
        started = time.monotonic()
        stats = self._state.stats(context.peer.user_id)
        if D.SLOW_FIRST_EVENT in defects:
            await asyncio.sleep(SLOW_FIRST_EVENT_S)
        await self._emit(
            P.AGENT_STARTED, {"agent_name": AGENT_NAME, "message_id": context.message_id}
        )
        if shape_of(self._config.dialect.profile).agent == "llm":
            plan = plan_llm(context.content, random.Random(context.run_id))
        else:
            plan = plan_run(context.content, defects)
        await self._think(next(step), "Reading the request and looking for arithmetic expressions.")
        if plan.fails:
            await self._emit(
                P.AGENT_ERROR,
                {"error_code": P.AGENT_FAILED, "message": "The agent failed as the request asked."},
            )
            stats.runs_failed += 1
            return
        held: dict[str, Any] | None = None
        thinks = self._thinking_after(len(plan.calls))
        for _ in range(thinks[0]):
            await self._think(next(step), THINKING[1])
        for index, call in enumerate(plan.calls, start=1):
            for _ in range(thinks[index - 1] if index > 1 else 0):
                await self._think(next(step), THINKING[2])
            call_id = self._call_id(index)
            await self._emit(
                P.TOOL_EXECUTING,
                {
                    "tool_name": call.tool_name,
                    "tool_call_id": call_id,
                    "parameters": call.parameters,
                },
            )
            tool_started = time.monotonic()
            await asyncio.sleep(self._tool_ms() / 1000)
            completed = {
                "tool_name": call.tool_name,
                "tool_call_id": call_id,
                "result": call.result,
                "duration_ms": self._duration(tool_started),
            }
            if D.DROP_TOOL_COMPLETED in defects:
                continue
            if D.REORDER_EVENTS in defects and index == len(plan.calls):
                held = completed
                continue
            await self._emit(P.TOOL_COMPLETED, completed)
        for _ in range(thinks[len(plan.calls)]):
            await self._think(
                next(step), f"Composing the answer from {len(plan.calls)} tool result(s)."
            )
        if D.NO_AGENT_COMPLETED in defects:
            stats.runs_completed += 1
            return
        completed = {
            "status": "completed",
            "final_response": plan.final_response,
            "duration_ms": self._duration(started),
        }
        sent_at = await self._emit(P.AGENT_COMPLETED, completed)
        if D.DOUBLE_TERMINAL in defects:
            await self._emit(P.AGENT_COMPLETED, completed)
        if held is not None:
            await self._emit(P.TOOL_COMPLETED, held)
        context.thread.entries.append(
            HistoryEntry(
                "assistant",
                plan.final_response,
                sent_at if sent_at is not None else time.time(),
                context.peer.connection_id,
            )
        )
        stats.runs_completed += 1
        if D.LATE_1011 in defects:
            await context.peer.close(P.CLOSE_INTERNAL_ERROR)

    def _thinking_after(self, calls: int) -> list[int]:
        """How many `agent_thinking` steps follow the first one: before the first tool call
        (index 0) and after each call (index i). The reference thinks once more at the end;
        a liberal server thinks one to three times in all, placed as its connection chose."""
        slots = [0] * (calls + 1)
        liberties = self._context.peer.liberties
        if liberties is None:
            slots[calls] = 1
            return slots
        extra = liberties.thinking_steps - 1
        if liberties.think_where == "before-tools":
            slots[0] = extra
        elif liberties.think_where == "between-tools":
            for index in range(1, calls):
                if extra:
                    slots[index], extra = 1, extra - 1
            slots[calls] += extra
        else:
            slots[calls] = extra
        return slots

    def _call_id(self, index: int) -> str:
        liberties = self._context.peer.liberties
        if liberties is not None:
            return liberties.new_id("call")
        return f"{self._context.run_id}-call-{index}"

    def _tool_ms(self) -> float:
        liberties = self._context.peer.liberties
        return liberties.tool_ms if liberties is not None else self._config.tool_ms

    def _duration(self, since: float) -> float | int:
        milliseconds = (time.monotonic() - since) * 1000
        liberties = self._context.peer.liberties
        return liberties.duration(milliseconds) if liberties is not None else milliseconds

    async def _think(self, step: int, reasoning: str) -> None:
        """One `agent_thinking` after the think delay (twice under `duplicate-thinking`)."""
        liberties = self._context.peer.liberties
        think_ms = liberties.think_ms if liberties is not None else self._config.think_ms
        await asyncio.sleep(think_ms / 1000)
        times = 2 if D.DUPLICATE_THINKING in self._config.defects else 1
        for _ in range(times):
            await self._emit(P.AGENT_THINKING, {"reasoning": reasoning, "step": step})

    async def _emit(self, event_type: str, data: dict[str, Any]) -> float | None:
        """Send one event to the run's connection (and to all others under `cross-user-leak`)."""
        context = self._context
        frame = {
            "type": event_type,
            "run_id": context.run_id,
            "thread_id": context.thread.thread_id,
            "user_id": context.peer.user_id,
            "data": data,
        }
        sent_at = await context.peer.send_event(frame)
        if D.CROSS_USER_LEAK in self._config.defects:
            for other in self._state.peers():
                if other is not context.peer:
                    await other.send_event(dict(frame))
        return sent_at
