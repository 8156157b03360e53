"""Replay conformance: does a replayed connection match its recording, frame by frame (pure).

Per connection it compares the server's frames, decoded to canonical frames by
the capture's profile: the sequence of frame types, with the events of each
agent run kept together (runs may interleave differently from one execution to
the next); every field that is not volatile; and the close code (unless the
recording does not know it). Volatile fields (ids, timestamps, durations, free
text) are not compared. Volatile ids must stay consistent: values equal in two
recorded frames must be equal in their replayed counterparts, and different
values stay different (a run_id in an ack and in its events, a thread id across
reconnections). A volatile timestamp, duration or text must only be present, or
null, where the recording has it so; holding two timestamps equal would fail a
correct server that took one microsecond longer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from harness.wire import protocol as P

_MISSING: Final = "<absent>"


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first difference on one connection: where, which field, and both frames."""

    conn: int
    index: int  # position in the connection's compared sequence
    field: str
    recorded: Any
    replayed: Any
    recorded_frame: Mapping[str, Any] | None = None
    replayed_frame: Mapping[str, Any] | None = None

    def describe(self) -> str:
        """One line: connection, frame and field, recorded against replayed."""
        return (
            f"connection {self.conn}, server frame {self.index + 1}: {self.field}: recorded "
            f"{_short(self.recorded)}, replayed {_short(self.replayed)}"
        )


@dataclass
class ConnectionRecord:
    """What one side of the comparison saw on one connection (canonical server frames)."""

    conn: int
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_known: bool = True


def _short(value: Any) -> str:
    text = value if isinstance(value, str) and value == _MISSING else json.dumps(value)
    return text if len(text) <= 120 else text[:117] + "..."


def blocks(
    frames: Sequence[Mapping[str, Any]], collapse: frozenset[str] = frozenset()
) -> list[list[Mapping[str, Any]]]:
    """Frames in order, the events of each agent run gathered at the place of its first event.

    Within a block, consecutive frames of a `collapse` type count as one (the first).
    """
    out: list[list[Mapping[str, Any]]] = []
    runs: dict[Any, list[Mapping[str, Any]]] = {}
    for frame in frames:
        if frame.get("type") in P.AGENT_EVENTS and "run_id" in frame:
            run = runs.get(frame["run_id"])
            if run is None:
                run = runs[frame["run_id"]] = []
                out.append(run)
            run.append(frame)
        else:
            out.append([frame])
    if collapse:
        out = [_collapsed(block, collapse) for block in out]
    return out


def _collapsed(block: list[Mapping[str, Any]], collapse: frozenset[str]) -> list[Mapping[str, Any]]:
    """A run's frames of a `collapse` type count as one, at the place of the first: how many
    there are and where the later ones fall is the server's choice (PROTOCOL.md section 4
    asks for one `agent_thinking` before the first tool call, and fixes nothing else)."""
    kept: list[Mapping[str, Any]] = []
    seen: set[Any] = set()
    for frame in block:
        kind = frame.get("type")
        if kind in collapse:
            if kind in seen:
                continue
            seen.add(kind)
        kept.append(frame)
    return kept


class VolatileMap:
    """Keeps volatile values consistent: recorded value <-> replayed value, one to one."""

    def __init__(self) -> None:
        self._forward: dict[str, dict[str, Any]] = {}
        self._backward: dict[str, dict[str, Any]] = {}

    def check(self, name: str, recorded: Any, replayed: Any) -> str | None:
        """None when consistent, else what is inconsistent."""
        if recorded is None and replayed is None:
            return None
        if (recorded is None) != (replayed is None):
            return "null in one run and not in the other"
        key_r, key_p = json.dumps(recorded, sort_keys=True), json.dumps(replayed, sort_keys=True)
        forward = self._forward.setdefault(name, {})
        backward = self._backward.setdefault(name, {})
        if key_r in forward and forward[key_r] != key_p:
            return f"the recording repeats this value, the replay changed it (was {forward[key_r]})"
        if key_p in backward and backward[key_p] != key_r:
            return "the replay repeats a value the recording kept distinct"
        forward[key_r] = key_p
        backward[key_p] = key_r
        return None


def judge_connection(
    recorded: ConnectionRecord,
    replayed: ConnectionRecord,
    volatile: Sequence[str],
    values: VolatileMap | None = None,
    collapse: Sequence[str] = (),
) -> Mismatch | None:
    """The first mismatch of a replayed connection against its recording, or None."""
    values = values or VolatileMap()
    volatile_set = frozenset(volatile)
    folded = frozenset(collapse)
    left, right = blocks(recorded.frames, folded), blocks(replayed.frames, folded)
    index = 0
    for position in range(max(len(left), len(right))):
        a = left[position] if position < len(left) else []
        b = right[position] if position < len(right) else []
        for offset in range(max(len(a), len(b))):
            fa = a[offset] if offset < len(a) else None
            fb = b[offset] if offset < len(b) else None
            if fa is None or fb is None:
                return Mismatch(
                    recorded.conn,
                    index,
                    "type",
                    fa.get("type") if fa else _MISSING,
                    fb.get("type") if fb else _MISSING,
                    fa,
                    fb,
                )
            problem = compare_frames(fa, fb, volatile_set, values)
            if problem is not None:
                path, was, now = problem
                return Mismatch(recorded.conn, index, path, was, now, fa, fb)
            index += 1
    if recorded.close_known and recorded.close_code != replayed.close_code:
        return Mismatch(
            recorded.conn, index, "close code", recorded.close_code, replayed.close_code
        )
    return None


def compare_frames(
    recorded: Mapping[str, Any],
    replayed: Mapping[str, Any],
    volatile: frozenset[str],
    values: VolatileMap,
    prefix: str = "",
    defined: frozenset[str] | None = None,
) -> tuple[str, Any, Any] | None:
    """The first differing field (dotted path, recorded, replayed) of two frames, or None.

    Only the fields the protocol defines for the frame's type are compared: a server may
    add fields of its own to any frame and to `data` (docs/PROTOCOL.md, readings).
    """
    if recorded.get("type") != replayed.get("type") and not prefix:
        return "type", recorded.get("type"), replayed.get("type")
    if not prefix:
        defined = _defined_paths(recorded.get("type"))
    for key in sorted(set(recorded) | set(replayed), key=lambda k: (k != "type", k)):
        path = f"{prefix}{key}"
        if not _compared(path, defined):
            continue
        a = recorded.get(key, _MISSING)
        b = replayed.get(key, _MISSING)
        if _is_volatile(path, volatile):
            if a is _MISSING or b is _MISSING:
                if a is not b:
                    return path, a, b
                continue
            name = _volatile_name(path)
            if _is_identity(name):
                if values.check(name, a, b) is not None:
                    return path, a, b
            elif (a is None) != (b is None):
                return path, a, b
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            problem = compare_frames(a, b, volatile, values, f"{path}.", defined)
            if problem is not None:
                return problem
            continue
        if (
            isinstance(a, list)
            and isinstance(b, list)
            and a
            and all(isinstance(i, Mapping) for i in a)
        ):
            if len(a) != len(b):
                return f"{path} (length)", len(a), len(b)
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if not isinstance(y, Mapping):
                    return f"{path}[{i}]", x, y
                problem = compare_frames(x, y, volatile, values, f"{path}[].", defined)
                if problem is not None:
                    where, was, now = problem
                    return where.replace(f"{path}[].", f"{path}[{i}].", 1), was, now
            continue
        if not _same_value(path, a, b):
            return path, a, b
    return None


# Fields whose number may be written as an integer or a float (docs/PROTOCOL.md: any JSON
# number; normalised timestamps compare as integer microseconds). A tool's result may not:
# an exact value is an integer (section 4).
_ANY_NUMBER: Final = frozenset({"timestamp", "client_timestamp", "server_time", "duration_ms"})


def _same_value(path: str, a: Any, b: Any) -> bool:
    """Equal JSON values of the same type, or equal numbers where either form is allowed."""
    if path.rsplit(".", 1)[-1] in _ANY_NUMBER and _is_number(a) and _is_number(b):
        return bool(a == b)
    return bool(a == b) and type(a) is type(b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Fields of every server frame (section 3), and the roots of each type's own fields.
_COMMON: Final = frozenset({"type", "timestamp", "seq"})
_DEFINED: Final = {
    kind: frozenset(path.replace("[]", "") for path in paths)
    for kind, paths in P.SERVER_FRAME_FIELDS.items()
}


def _defined_paths(kind: Any) -> frozenset[str] | None:
    """The dotted paths the protocol defines for a frame type (None: a type it does not
    know, whose fields are all compared)."""
    paths = _DEFINED.get(kind) if isinstance(kind, str) else None
    return None if paths is None else paths | _COMMON


def _compared(path: str, defined: frozenset[str] | None) -> bool:
    """Whether a field is one the protocol defines (values inside a defined field, such as
    a tool's `parameters` or `result`, are compared whole)."""
    if defined is None:
        return True
    bare = path.replace("[]", "")
    return any(d == bare or d.startswith(bare + ".") or bare.startswith(d + ".") for d in defined)


def _is_volatile(path: str, volatile: frozenset[str]) -> bool:
    return path in volatile


def _is_identity(name: str) -> bool:
    return name.endswith("_id") or name == "seq"


def _volatile_name(path: str) -> str:
    # Ids keep one namespace across frames: a run_id in an ack and in its events must agree.
    return path.rsplit(".", 1)[-1].removeprefix("[]")
