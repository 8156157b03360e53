"""Validating a profile's `[turn]` tables (harness/wire/turn_shape.py reads them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

AGENT_KINDS: Final = ("scripted", "llm")
# A number indexes a list: "data.content.0.id".
_PATH: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|[0-9]+))*$")
# A part's path may name alternatives, the first present in a frame counting: "a.b|c".
_LISTS: Final = ("start", "completed", "failed", "cancelled", "reasoning")
TEXT_LISTS: Final = ("start", "delta", "end")
TEXT_PATHS: Final = ("id", "delta_text", "final_text")
TOOL_LISTS: Final = ("start", "args_delta", "end", "result")
TOOL_PATHS: Final = ("id", "name", "arguments", "args_delta_text", "result_value")
REQUEST_LISTS: Final = ("frames", "cancel", "refused")

Problem = tuple[str, str]


def turn_problem(turn: Any) -> Problem | None:
    """The first problem of a merged `[turn]` table, as (dotted key, message), or None."""
    if not isinstance(turn, Mapping):
        return "turn", "expected a table"
    known = {"agent", "turn_id", *_LISTS, "text", "tool", "request"}
    problem = _keys("turn", turn, known)
    if problem is not None:
        return problem
    if turn["agent"] not in AGENT_KINDS:
        return "turn.agent", f"expected one of {', '.join(AGENT_KINDS)}"
    problem = _path("turn.turn_id", turn["turn_id"])
    for key in _LISTS:
        problem = problem or _matcher_list(f"turn.{key}", turn[key])
    if problem is not None:
        return problem
    if not turn["start"] or not turn["completed"]:
        return ("turn.start" if not turn["start"] else "turn.completed"), "must not be empty"
    return (
        _part("turn.text", turn["text"], TEXT_LISTS, TEXT_PATHS)
        or _part("turn.tool", turn["tool"], TOOL_LISTS, TOOL_PATHS)
        or _request(turn["request"])
    )


def _request(table: Any) -> Problem | None:
    """The client frames that ask for a turn, cancel it, and that the target refuses."""
    where = "turn.request"
    if not isinstance(table, Mapping):
        return where, "expected a table"
    problem = _keys(where, table, {*REQUEST_LISTS, "concurrent"})
    if problem is not None:
        return problem
    for key in REQUEST_LISTS:
        frames = table[key]
        if not isinstance(frames, list):
            return f"{where}.{key}", 'expected a list of client frames such as { type = "..." }'
        for index, frame in enumerate(frames):
            if not isinstance(frame, Mapping) or not isinstance(frame.get("type"), str):
                return f"{where}.{key}[{index}]", 'expected a client frame with a "type"'
    if not table["frames"]:
        return f"{where}.frames", "must not be empty: the frames that ask for a turn"
    for key in ("cancel", "refused"):
        if len(table[key]) > 1:
            return f"{where}.{key}", "expected at most one frame"
    if not isinstance(table["concurrent"], bool):
        return f"{where}.concurrent", "expected true or false"
    return None


def _part(where: str, table: Any, lists: tuple[str, ...], paths: tuple[str, ...]) -> Problem | None:
    if not isinstance(table, Mapping):
        return where, "expected a table"
    problem = _keys(where, table, {*lists, *paths})
    for key in lists:
        problem = problem or _matcher_list(f"{where}.{key}", table[key])
    for key in paths:
        problem = problem or _path(f"{where}.{key}", table[key])
    if problem is not None:
        return problem
    needs = {"delta": "delta_text", "args_delta": "args_delta_text"}
    for kinds, path in needs.items():
        if table.get(kinds) and not table[path]:
            return f"{where}.{path}", f"must say where the text of each {kinds} frame is"
    return None


def _keys(where: str, table: Mapping[str, Any], known: set[str]) -> Problem | None:
    for key in table:
        if key not in known:
            return f"{where}.{key}", f"unknown key (known: {', '.join(sorted(known))})"
    for key in sorted(known):
        if key not in table:
            return f"{where}.{key}", "missing"
    return None


def _path(where: str, value: Any) -> Problem | None:
    if not isinstance(value, str) or (
        value and not all(_PATH.match(one) for one in value.split("|"))
    ):
        return where, (
            'expected a dotted path such as "data.step", alternatives such as '
            '"response_id|response.id", or "" for none'
        )
    return None


def _matcher_list(where: str, value: Any) -> Problem | None:
    if not isinstance(value, list):
        return where, 'expected a list of {type = "...", when = {path = value}}'
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            return at, 'expected {type = "...", when = {path = value}}'
        unknown = sorted(set(item) - {"type", "when"})
        if unknown:
            return f"{at}.{unknown[0]}", "unknown key (known: type, when)"
        if not isinstance(item.get("type"), str) or not item["type"].strip():
            return f"{at}.type", "expected a frame type"
        when = item.get("when", {})
        if not isinstance(when, Mapping):
            return f"{at}.when", "expected a table of {path = value}"
        for path, expected in when.items():
            if not _PATH.match(path):
                return f'{at}.when."{path}"', "expected a dotted path"
            if not isinstance(expected, str | int | bool):
                return f'{at}.when."{path}"', "expected a string, integer or boolean"
    return None
