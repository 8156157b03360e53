"""Reading scenario files: every mistake refused with one line `FILE:LINE: KEY: what is wrong`.

The line of a key is found with the profile's `line_of`; a key of the n-th `[[turn]]` or
of its m-th `[[turn.check]]` is looked up in the text of that table alone.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.scenarios.model import NEW, OPTIONS, REQUIRED, SAME, Check, Scenario, TurnSpec
from harness.wire.toml_lines import line_of

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\" -]+?)\s*\]\]?\s*(?:#.*)?$")
_SCENARIO_KEYS = ("name", "description", "runs", "min_pass")
_TURN_KEYS = ("send", "thread", "check")
Where = tuple[int | None, int | None]  # (turn index, check index), 0-based
TOP: Where = (None, None)  # a key of the file or of its [scenario] table


class _Source:
    """A scenario file's text, to name the file and line of a key in an error."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        # (line number, table) of every table header, in order.
        self.headers = [
            (number, match.group(1).replace(" ", ""))
            for number, raw in enumerate(self.lines, start=1)
            if (match := _HEADER.match(raw))
        ]

    def error(self, where: Where, key: str, message: str) -> ConfigError:
        """`FILE:LINE: KEY: message` for `key` of the scenario, of a turn or of a check."""
        turn, check = where
        if turn is None:
            line = line_of(self.text, key)
            label = key
        else:
            line = self._line_in_table(turn, check, key)
            label = f"turn[{turn + 1}]" + (f".check[{check + 1}]" if check is not None else "")
            label += f".{key}" if key else ""
        at = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{at}: {label}: {message}")

    def _line_in_table(self, turn: int, check: int | None, key: str) -> int | None:
        turns = [i for i, (_, table) in enumerate(self.headers) if table == "turn"]
        if turn >= len(turns):
            return None  # written as an inline array: no header to point at
        start = turns[turn]
        if check is not None:
            end = turns[turn + 1] if turn + 1 < len(turns) else len(self.headers)
            checks = [i for i in range(start + 1, end) if self.headers[i][1] == "turn.check"]
            if check >= len(checks):
                return self.headers[start][0]
            start = checks[check]
        first = self.headers[start][0]
        last = self.headers[start + 1][0] - 1 if start + 1 < len(self.headers) else len(self.lines)
        if not key:
            return first
        table = "turn.check" if check is not None else "turn"
        block = "\n".join(self.lines[first - 1 : last])
        found = line_of(block, f"{table}.{key}")
        return first + found - 1 if found else first


def load_scenario(path: Path) -> Scenario:
    """The scenario in `path`; ConfigError with one line naming the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(f"{path}:{at.group(1) if at else '?'}: TOML: {exc}") from None
    return _scenario(_Source(path, text), document)


def load_folders(folders: Iterable[Path]) -> list[Scenario]:
    """Every `*.toml` scenario of the folders (a file counts as itself), sorted by name;
    ConfigError on a bad file, a missing folder or a name given twice."""
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        if not folder.exists():
            raise ConfigError(f"{folder}: no such scenario folder")
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else [folder]
        for file in files:
            scenario = load_scenario(file)
            if scenario.name in seen:
                raise ConfigError(
                    f"{file}: name: scenario {scenario.name!r} is also in {seen[scenario.name]}"
                )
            seen[scenario.name] = file
            scenarios.append(scenario)
    return sorted(scenarios, key=lambda s: s.name)


def _unknown(
    source: _Source, where: Where, table: Mapping[str, Any], known: Sequence[str], prefix: str = ""
) -> None:
    for key in table:
        if key not in known:
            raise source.error(
                where, prefix + key, f"unknown key (expected one of {', '.join(known)})"
            )


def _scenario(source: _Source, document: Mapping[str, Any]) -> Scenario:
    _unknown(source, TOP, document, ("scenario", "turn"))
    head = document.get("scenario")
    if not isinstance(head, dict):
        raise source.error(TOP, "scenario", "a [scenario] table is required")
    _unknown(source, TOP, head, _SCENARIO_KEYS, "scenario.")
    name = head.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise source.error(TOP, "scenario.name", "expected a name of letters, digits, _ . -")
    description = head.get("description", "")
    if not isinstance(description, str):
        raise source.error(TOP, "scenario.description", "expected a string")
    runs = _count(source, head, "runs", 1)
    min_pass = _count(source, head, "min_pass", runs)
    if min_pass > runs:
        raise source.error(TOP, "scenario.min_pass", f"{min_pass} is more than runs ({runs})")
    turns = document.get("turn")
    if not isinstance(turns, list) or not turns:
        raise source.error(TOP, "turn", "at least one [[turn]] is required")
    specs = tuple(_turn(source, i, turn) for i, turn in enumerate(turns))
    return Scenario(name, source.path, specs, description, runs, min_pass)


def _count(source: _Source, head: Mapping[str, Any], key: str, default: int) -> int:
    value = head.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise source.error(TOP, f"scenario.{key}", f"expected a whole number >= 1, got {value!r}")
    return value


def _turn(source: _Source, index: int, turn: Any) -> TurnSpec:
    where: Where = (index, None)
    if not isinstance(turn, dict):
        raise source.error(where, "", "expected a table")
    _unknown(source, where, turn, _TURN_KEYS)
    send = turn.get("send")
    if not isinstance(send, str) or not send:
        raise source.error(where, "send", "expected the user's message, a non-empty string")
    thread = turn.get("thread", SAME)
    if thread not in (SAME, NEW):
        raise source.error(where, "thread", f"expected {SAME!r} or {NEW!r}, got {thread!r}")
    checks = turn.get("check", [])
    if not isinstance(checks, list):
        raise source.error(where, "check", "expected [[turn.check]] tables")
    return TurnSpec(
        send, thread, tuple(_check(source, (index, j), c) for j, c in enumerate(checks))
    )


def _check(source: _Source, where: Where, table: Any) -> Check:
    if not isinstance(table, dict):
        raise source.error(where, "", "expected a table")
    kinds = [key for key in table if key in OPTIONS]
    if "absent" in kinds and "within_ms" in kinds:
        kinds.remove("within_ms")  # absent's window, not a check of its own
    if len(kinds) > 1:
        raise source.error(where, kinds[1], f"a check has one kind; this one also has {kinds[0]}")
    if not kinds:
        first = next(iter(table), "")
        raise source.error(
            where, first, f"unknown check kind (expected one of {', '.join(OPTIONS)})"
        )
    kind = kinds[0]
    options = {key: value for key, value in table.items() if key != kind}
    for key in options:
        if key not in OPTIONS[kind]:
            takes = ", ".join(OPTIONS[kind]) or "none"
            raise source.error(where, key, f"not an option of {kind} (its options: {takes})")
    for needed in REQUIRED.get(kind, ()):
        if needed not in options:
            raise source.error(where, kind, f"needs {needed}")
    return Check(kind, table[kind], options, _ready(source, where, kind, table[kind], options))


def _ready(source: _Source, where: Where, kind: str, value: Any, options: Mapping[str, Any]) -> Any:
    """What a check needs at judging, made now (so that a bad one is refused at loading)."""
    if kind == "json_schema":
        return _schema(source, where, value, options)
    if kind == "predicate":
        return _predicate(source, where, value)
    if kind == "json_path":
        return _json_path(source, where, value)
    if kind == "within_ms" or "within_ms" in options:
        ms = options.get("within_ms", value)
        if not isinstance(ms, int | float) or isinstance(ms, bool) or not ms > 0:
            raise source.error(where, "within_ms", f"expected milliseconds > 0, got {ms!r}")
        if kind == "within_ms":
            return None
    if not isinstance(options.get("arguments", {}), dict):
        raise source.error(where, "arguments", "expected a table of the arguments to match")
    if not isinstance(value, str) or not value:
        raise source.error(where, kind, f"expected a non-empty string, got {value!r}")
    if kind in ("regex", "not_regex"):
        try:
            return re.compile(value)
        except re.error as exc:
            raise source.error(where, kind, f"does not compile: {exc}") from None
    return None


def _schema(source: _Source, where: Where, value: Any, options: Mapping[str, Any]) -> Any:
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for

    if "tool" in options and not isinstance(options["tool"], str):
        raise source.error(where, "tool", "expected a tool name")
    schema = value
    if isinstance(value, str):
        file = source.path.parent / value
        try:
            schema = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise source.error(where, "json_schema", f"cannot read {file}: {exc}") from None
    if not isinstance(schema, dict):
        raise source.error(where, "json_schema", "expected a schema table or a file's path")
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise source.error(
            where, "json_schema", f"not a valid JSON Schema: {exc.message}"
        ) from None
    return cls(schema)


def _predicate(source: _Source, where: Where, value: Any) -> Callable[[Any], Any]:
    module, _, name = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not module or not name:
        raise source.error(where, "predicate", f"expected 'package.module:function', got {value!r}")
    folder = str(source.path.parent.resolve())
    if folder not in sys.path:
        sys.path.append(folder)  # a module next to the scenario files imports too
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise source.error(where, "predicate", f"{value!r} does not import: {exc}") from None
    if not callable(function):
        raise source.error(where, "predicate", f"{value!r} is not a function")
    return function  # type: ignore[no-any-return]


def _json_path(source: _Source, where: Where, value: Any) -> tuple[str | int, ...]:
    """A dotted path with `[n]` indices (`items[0].name`) as its keys and indices."""
    steps: list[str | int] = []
    if not isinstance(value, str) or not value:
        raise source.error(where, "json_path", f"expected a dotted path, got {value!r}")
    for part in value.split("."):
        match = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", part)
        if match is None or (not match.group(1) and not match.group(2)):
            raise source.error(where, "json_path", f"{value!r}: bad step {part!r}")
        if match.group(1):
            steps.append(match.group(1))
        steps.extend(int(n) for n in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(steps)
