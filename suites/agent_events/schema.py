"""Required fields and types of each agent event (PROTOCOL.md sections 3 and 4)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from harness.suite_api import Profile
from harness.suite_api import protocol as P

Rule = tuple[str, Callable[[Any], bool]]


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _non_negative(value: Any) -> bool:
    return _number(value) and value >= 0


def _counter(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _present(value: Any) -> bool:
    return True


# Fields every server frame carries (section 3).
FRAME: Final[dict[str, Rule]] = {
    "type": ("a non-empty string", _text),
    # A JSON number: a server may write a whole second without a fraction.
    "timestamp": ("a number (epoch seconds)", _number),
    "seq": ("an integer >= 1", _counter),
}

# Fields every agent event carries besides `data` (sections 3 and 4).
COMMON: Final[dict[str, Rule]] = {
    **FRAME,
    "run_id": ("a non-empty string", _text),
    "thread_id": ("a non-empty string", _text),
    "user_id": ("a non-empty string", _text),
    "data": ("an object", _object),
}

# Fields of `data` per event type (section 4).
DATA: Final[dict[str, dict[str, Rule]]] = {
    P.AGENT_STARTED: {
        # PROTOCOL.md gives agent_name no type; read as a non-empty string (catalogue).
        "agent_name": ("a non-empty string", _text),
        "message_id": ("a non-empty string", _text),
    },
    P.AGENT_THINKING: {
        "reasoning": ("a non-empty string", _text),
        "step": ("an integer >= 1", _counter),
    },
    P.TOOL_EXECUTING: {
        "tool_name": ("a non-empty string", _text),
        "tool_call_id": ("a non-empty string", _text),
        "parameters": ("an object", _object),
    },
    P.TOOL_COMPLETED: {
        "tool_name": ("a non-empty string", _text),
        "tool_call_id": ("a non-empty string", _text),
        "result": ("any JSON value", _present),
        "duration_ms": ("a number >= 0", _non_negative),
    },
    P.AGENT_COMPLETED: {
        "status": ('"completed"', lambda value: value == "completed"),
        "final_response": ("a non-empty string", _text),
        # No range stated; read as tool_completed's "number >= 0" (catalogue).
        "duration_ms": ("a number >= 0", _non_negative),
    },
    P.AGENT_ERROR: {
        "error_code": ("a non-empty string", _text),
        "message": ("a string", _string),
    },
}


def describe(event_type: str) -> dict[str, str]:
    """The schema of one event type as field -> expected kind, for failure messages."""
    fields = {name: kind for name, (kind, _) in COMMON.items()}
    fields.update({f"data.{name}": kind for name, (kind, _) in DATA[event_type].items()})
    return fields


def frame_violations(frame: dict[str, Any], absent: frozenset[str] = frozenset()) -> list[str]:
    """Every way any server frame departs from the common fields (an agent event also from
    run_id, thread_id, user_id and its data object; each event type's data fields are
    the schema test's), the fields in `absent`, whose checks the test does not make, left
    out."""
    fields = COMMON if frame.get("type") in P.AGENT_EVENTS else FRAME
    found = [
        _violation(name, kind, check, frame)
        for name, (kind, check) in fields.items()
        if name not in absent
    ]
    return [v for v in found if v]


def not_sent(profile: Profile, frame_type: str) -> frozenset[str]:
    """The canonical fields a target of `profile` does not send in `frame_type` frames (its
    profile maps them to no wire field, or it has no sequence numbers): their rules are not
    applicable there, and the schema checks leave them out."""
    absent = set() if "seq" in profile.capabilities else {"seq"}
    frame = profile.frames.get(frame_type)
    if frame is not None:
        absent |= {path for path, wire in frame.fields.items() if not wire}
    return frozenset(absent)


def violations(event: dict[str, Any], absent: frozenset[str] = frozenset()) -> list[str]:
    """Every way `event` departs from the schema of its type, one line per field (the
    fields in `absent`, which the target's dialect does not carry, left out)."""
    found = [
        _violation(name, kind, check, event)
        for name, (kind, check) in COMMON.items()
        if name not in absent
    ]
    data = event.get("data")
    rules = DATA.get(str(event.get("type")), {})
    if isinstance(data, dict):
        found += [
            _violation(f"data.{name}", kind, check, data, name)
            for name, (kind, check) in rules.items()
            if f"data.{name}" not in absent
        ]
    return [v for v in found if v]


def _violation(
    label: str, kind: str, check: Callable[[Any], bool], obj: dict[str, Any], key: str = ""
) -> str:
    key = key or label
    if key not in obj:
        return f"{label}: expected {kind}, observed no such field"
    if not check(obj[key]):
        return f"{label}: expected {kind}, observed {obj[key]!r}"
    return ""
