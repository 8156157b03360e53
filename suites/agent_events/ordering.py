"""The five ordering rules of an agent run (PROTOCOL.md section 4), each raising CheckFailed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from harness.suite_api import CheckFailed
from harness.suite_api import protocol as P

Frame = dict[str, Any]


def _types(events: Sequence[Frame]) -> list[Any]:
    return [e.get("type") for e in events]


def _data(event: Frame) -> Frame:
    data = event.get("data")
    return data if isinstance(data, dict) else {}


def _until_end(events: Sequence[Frame]) -> list[Frame]:
    for i, event in enumerate(events):
        if event.get("type") in P.TERMINAL_EVENTS:
            return list(events[: i + 1])
    return list(events)


def check_started_first(events: Sequence[Frame]) -> None:
    """Rule 1: agent_started is the first event of a run and appears once."""
    types = _types(events)
    if not types or types[0] != P.AGENT_STARTED or types.count(P.AGENT_STARTED) != 1:
        raise CheckFailed(
            "rule 1: agent_started is the first event of a run and appears once",
            expected=f"{P.AGENT_STARTED} first and exactly once",
            observed=f"event types {types}",
            frames=events,
        )


def check_thinking_before_tools(events: Sequence[Frame]) -> None:
    """Rule 2: at least one agent_thinking precedes the first tool_executing."""
    types = _types(events)
    if P.TOOL_EXECUTING not in types:
        raise CheckFailed(
            "rule 2: at least one agent_thinking precedes the first tool_executing",
            expected=f"a run with {P.TOOL_EXECUTING} events (the content has expressions)",
            observed=f"event types {types}",
            frames=events,
        )
    if P.AGENT_THINKING not in types[: types.index(P.TOOL_EXECUTING)]:
        raise CheckFailed(
            "rule 2: at least one agent_thinking precedes the first tool_executing",
            expected=f"{P.AGENT_THINKING} before the first {P.TOOL_EXECUTING}",
            observed=f"event types {types}",
            frames=events,
        )


def check_tools_complete(events: Sequence[Frame]) -> None:
    """Rule 3: each tool_executing is completed once, same id and name, before the run ends."""
    what = (
        "rule 3: every tool_executing is followed, before the run ends, by exactly one "
        "tool_completed with the same tool_call_id and tool_name; tool calls do not overlap"
    )
    ended = _until_end(events)
    calls = [
        (e.get("type"), _data(e).get("tool_call_id"), _data(e).get("tool_name"))
        for e in ended
        if e.get("type") in (P.TOOL_EXECUTING, P.TOOL_COMPLETED)
    ]
    problems: list[str] = []
    if not any(kind == P.TOOL_EXECUTING for kind, _, _ in calls):
        problems.append("no tool_executing at all (the content has expressions)")
    open_call: tuple[Any, Any] | None = None
    for kind, call_id, name in calls:
        if kind == P.TOOL_EXECUTING:
            if open_call is not None:
                problems.append(f"tool call {call_id!r} starts while {open_call[0]!r} is open")
            open_call = (call_id, name)
        elif open_call != (call_id, name):
            problems.append(
                f"tool_completed {call_id!r} ({name!r}) matches no open tool_executing "
                f"(open: {open_call!r})"
            )
        else:
            open_call = None
    if open_call is not None:
        problems.append(f"tool call {open_call[0]!r} ({open_call[1]!r}) never completed")
    # A second tool_completed after the end still makes two for one call.
    late = [
        _data(e).get("tool_call_id")
        for e in events[len(ended) :]
        if e.get("type") == P.TOOL_COMPLETED
    ]
    if late:
        problems.append(f"tool_completed {late!r} after the run's terminal event")
    if problems:
        raise CheckFailed(
            what,
            expected="tool_executing X, tool_completed X, ... before the terminal event",
            observed=f"{'; '.join(problems)}; tool events up to the end: {calls}",
            frames=events,
        )


def check_single_terminal(events: Sequence[Frame]) -> None:
    """Rule 4: a run ends with exactly one terminal event and nothing of the run follows it."""
    types = _types(events)
    terminals = [t for t in types if t in P.TERMINAL_EVENTS]
    if len(terminals) != 1 or types[-1] not in P.TERMINAL_EVENTS:
        raise CheckFailed(
            "rule 4: a run ends with exactly one agent_completed or agent_error; "
            "nothing of that run follows it",
            expected="exactly one terminal event, and it is the run's last event",
            observed=f"event types {types}",
            frames=events,
        )


def check_constant_ids(events: Sequence[Frame]) -> None:
    """Rule 5: run_id, thread_id, user_id are the same on every event; timestamps never decrease."""
    problems = []
    for key in ("run_id", "thread_id", "user_id"):
        values = {repr(e.get(key)) for e in events}
        if len(values) != 1:
            problems.append(f"{key} takes values {sorted(values)}")
    stamps = [e.get("timestamp") for e in events]
    for i in range(1, len(stamps)):
        a, b = stamps[i - 1], stamps[i]
        if not (isinstance(a, int | float) and isinstance(b, int | float) and b >= a):
            problems.append(f"timestamp {b!r} of event {i} ({events[i].get('type')}) after {a!r}")
    if problems:
        raise CheckFailed(
            "rule 5: run_id, thread_id and user_id are the same on every event of a run; "
            "event timestamps never decrease",
            expected="one run_id, one thread_id, one user_id; non-decreasing timestamps",
            observed="; ".join(problems),
            frames=events,
        )


CHECKS: Final = (
    check_started_first,
    check_thinking_before_tools,
    check_tools_complete,
    check_single_terminal,
    check_constant_ids,
)


def ordering_problems(events: Sequence[Frame]) -> list[str]:
    """What each of the five ordering rules finds wrong with one run's events (tools expected)."""
    problems = []
    for check in CHECKS:
        try:
            check(events)
        except CheckFailed as failed:
            problems.append(f"{failed.what}: {failed.observed}")
    return problems
