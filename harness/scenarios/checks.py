"""Judging one check on one turn: None when it holds, else the reason it does not.

A predicate that raises (or returns anything but True, False or a string) is the harness's
error, not the target's failure: `HarnessError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.errors import HarnessError
from harness.scenarios.model import Check
from harness.scenarios.turn import ToolCall, Turn

_MISSING = object()


def judge(check: Check, turn: Turn) -> str | None:
    """Why `turn` fails `check`, or None when the check holds."""
    return _JUDGES[check.kind](check, turn)


def _no_text(turn: Turn) -> str:
    return f"the turn has no final text (it ended with {turn.terminal or 'no terminal'})"


def _text(check: Check, turn: Turn) -> str | None:
    negated = check.kind.startswith("not_")
    kind = check.kind.removeprefix("not_")
    if turn.final_text is None:
        return None if negated else _no_text(turn)
    text = turn.final_text
    if kind == "contains":
        found = check.value in text
    elif kind == "icontains":
        found = check.value.casefold() in text.casefold()
    else:
        found = check.ready.search(text) is not None
    if found == negated:
        what = {"contains": "contain", "icontains": "contain (ignoring case)", "regex": "match"}
        return f"the final text {'does' if negated else 'does not'} {what[kind]} {check.value!r}"
    return None


def _parsed(turn: Turn) -> tuple[Any, str | None]:
    if turn.final_text is None:
        return None, _no_text(turn)
    try:
        return json.loads(turn.final_text), None
    except ValueError as exc:
        return None, f"the final text is not JSON: {exc}"


def _schema(check: Check, turn: Turn) -> str | None:
    tool = check.options.get("tool")
    targets: list[tuple[str, Any]]
    if tool is None:
        document, problem = _parsed(turn)
        if problem is not None:
            return problem
        targets = [("the final text does", document)]
    else:
        targets = [
            (f"the arguments of {tool} call {i} do", dict(c.arguments))
            for i, c in enumerate((c for c in turn.tool_calls if c.name == tool), start=1)
        ]
        if not targets:
            return f"tool {tool!r} was not called ({_calls(turn)})"
    from jsonschema.exceptions import best_match

    for what, document in targets:
        error = best_match(check.ready.iter_errors(document))
        if error is not None:
            at = "/".join(str(step) for step in error.absolute_path)
            return f"{what} not match the schema{f' at {at}' if at else ''}: {error.message}"
    return None


def _json_path(check: Check, turn: Turn) -> str | None:
    document, problem = _parsed(turn)
    if problem is not None:
        return problem
    value = document
    for step in check.ready:
        indexed = isinstance(step, int) and isinstance(value, list) and step < len(value)
        keyed = isinstance(step, str) and isinstance(value, dict) and step in value
        if indexed or keyed:
            value = value[step]
        else:
            return f"the final text has no value at {check.value!r}"
    wanted = check.options["equals"]
    if value != wanted or isinstance(value, bool) != isinstance(wanted, bool):
        return f"{check.value} is {json.dumps(value)}, not {json.dumps(wanted)}"
    return None


def _calls(turn: Turn) -> str:
    made = [f"{c.name}({json.dumps(dict(c.arguments))})" for c in turn.tool_calls]
    return f"calls: {', '.join(made)}" if made else "no tool was called"


def _matches(call: ToolCall, name: str, arguments: Mapping[str, Any]) -> bool:
    return call.name == name and all(
        call.arguments.get(key, _MISSING) == value for key, value in arguments.items()
    )


def _tool_called(check: Check, turn: Turn) -> str | None:
    arguments = check.options.get("arguments", {})
    if any(_matches(call, check.value, arguments) for call in turn.tool_calls):
        return None
    wanted = f"{check.value!r}" + (f" with {json.dumps(arguments)}" if arguments else "")
    return f"no call of {wanted} ({_calls(turn)})"


def _tool_not_called(check: Check, turn: Turn) -> str | None:
    if any(call.name == check.value for call in turn.tool_calls):
        return f"tool {check.value!r} was called ({_calls(turn)})"
    return None


def _absent(check: Check, turn: Turn) -> str | None:
    window = check.options["within_ms"]
    seen = [f.at_ms for f in turn.frames if f.type == check.value and f.at_ms <= window]
    if seen:
        return f"{check.value} arrived {seen[0]:.0f} ms after the send (within {window} ms)"
    return None


def _within(check: Check, turn: Turn) -> str | None:
    at = turn.terminal_ms
    if at is None:
        return "the turn never ended"
    if at > check.value:
        return f"the turn's terminal ({turn.terminal}) arrived {at:.0f} ms after the send"
    return None


def _predicate(check: Check, turn: Turn) -> str | None:
    try:
        verdict = check.ready(turn)
    except Exception as exc:
        raise HarnessError(f"predicate {check.value} raised {type(exc).__name__}: {exc}") from exc
    if verdict is True:
        return None
    if verdict is False:
        return f"predicate {check.value} returned False"
    if isinstance(verdict, str):
        return verdict
    raise HarnessError(
        f"predicate {check.value} returned {verdict!r}: expected True, False or a reason"
    )


_JUDGES: dict[str, Callable[[Check, Turn], str | None]] = {
    **dict.fromkeys(
        ("contains", "icontains", "regex", "not_contains", "not_icontains", "not_regex"), _text
    ),
    "json_schema": _schema,
    "json_path": _json_path,
    "tool_called": _tool_called,
    "tool_not_called": _tool_not_called,
    "absent": _absent,
    "within_ms": _within,
    "predicate": _predicate,
}
