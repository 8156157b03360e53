"""Set-up calls: the HTTP requests a profile makes before each connection (docs/PROFILES.md).

Some targets open a WebSocket only for a resource made over HTTP first (AutoGen Studio:
a session, then a run, then `/api/ws/runs/{run_id}`). A profile declares them as
`[[setup]]` tables, made in order before every connection, each within its deadline;
`save` keeps values of a call's JSON reply under names, and "{name}" in a later call's
path or body, in `[endpoint] ws_path` or in `[turn.request]` frames is replaced by the
value. A string that is exactly "{name}" becomes the saved value itself (an object
stays an object); "{user}" is the connection's user id.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from harness.errors import CheckFailed
from harness.wire.transcript import Transcript

METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
KEYS: Final = ("method", "path", "body", "save", "timeout_s")
DEFAULT_TIMEOUT_S: Final = 10.0
BUILT_IN_NAMES: Final = ("user",)
MAX_REPLY_BYTES: Final = 2**22
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Where a saved value is in the reply: dotted keys, a number indexing a list ("data.0.id").
_REPLY_PATH: Final = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")

Problem = tuple[str, str]


@dataclass(frozen=True, slots=True)
class SetupCall:
    """One `[[setup]]` table."""

    method: str
    path: str
    body: Any  # None: no body
    save: Mapping[str, str]  # name -> path in the JSON reply
    timeout_s: float


def setup_calls(data: Mapping[str, Any]) -> tuple[SetupCall, ...]:
    """The set-up calls of a merged, validated profile's data, in order."""
    return tuple(
        SetupCall(
            method=table["method"],
            path=table["path"],
            body=table.get("body"),
            save=dict(table.get("save", {})),
            timeout_s=float(table.get("timeout_s", DEFAULT_TIMEOUT_S)),
        )
        for table in data.get("setup", [])
    )


def setup_problem(merged: Mapping[str, Any]) -> Problem | None:
    """The first problem of a merged profile's `[[setup]]` calls and of the placeholders that
    need them, as (dotted key, message), or None."""
    calls = merged.get("setup", [])
    if not isinstance(calls, list):
        return "setup", "expected an array of tables: [[setup]]"
    known = set(BUILT_IN_NAMES)
    for index, table in enumerate(calls):
        where = f"setup[{index}]"
        problem = _call_problem(where, table, known)
        if problem is not None:
            return problem
        known.update(table.get("save", {}))
    ws_path = merged["endpoint"]["ws_path"]
    for name in _PLACEHOLDER.findall(ws_path):
        if name not in known:
            return "endpoint.ws_path", f"{{{name}}} is saved by no [[setup]] call"
    return None


def _call_problem(where: str, table: Any, known: set[str]) -> Problem | None:
    if not isinstance(table, Mapping):
        return where, "expected a table"
    for key in table:
        if key not in KEYS:
            return f"{where}.{key}", f"unknown key (known: {', '.join(KEYS)})"
    if table.get("method") not in METHODS:
        return f"{where}.method", f"expected one of {', '.join(METHODS)}"
    path = table.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        return f"{where}.path", 'expected a path starting with "/"'
    timeout = table.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        return f"{where}.timeout_s", "expected a positive number of seconds"
    save = table.get("save", {})
    if not isinstance(save, Mapping):
        return f"{where}.save", 'expected a table of {name = "path.in.reply"}'
    for name, reply_path in save.items():
        if not _NAME.match(name):
            return f"{where}.save.{name}", "expected a name of letters, digits and _"
        if not isinstance(reply_path, str) or not _REPLY_PATH.match(reply_path):
            return f"{where}.save.{name}", 'expected a dotted path in the reply, such as "data.id"'
    for key in ("path", "body"):
        for name in _placeholders(table.get(key)):
            if name not in known:
                return f"{where}.{key}", f"{{{name}}} is saved by no earlier [[setup]] call"
    return None


def _placeholders(node: Any) -> list[str]:
    if isinstance(node, str):
        return _PLACEHOLDER.findall(node)
    if isinstance(node, Mapping):
        return [name for value in node.values() for name in _placeholders(value)]
    if isinstance(node, list):
        return [name for item in node for name in _placeholders(item)]
    return []


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """`template` with "{name}" replaced by `values[name]` in its strings; a string that is
    exactly one placeholder becomes the value itself. Unknown names stay as written."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole is not None and whole.group(1) in values:
            return values[whole.group(1)]

        def one(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            if value is None:
                return match.group(0)
            return value if isinstance(value, str) else json.dumps(value)

        return _PLACEHOLDER.sub(one, template)
    if isinstance(template, Mapping):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def ws_url_with(ws_url: str, values: Mapping[str, Any]) -> str:
    """`ws_url` with the placeholders of its path filled."""
    parts = urlsplit(ws_url)
    path = str(fill(parts.path.replace("%7B", "{").replace("%7D", "}"), values))
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def http_base(ws_url: str) -> str:
    """`http(s)://host:port` of a `ws(s)://` URL."""
    parts = urlsplit(ws_url)
    return urlunsplit(("https" if parts.scheme == "wss" else "http", parts.netloc, "", "", ""))


async def run_setup(
    ws_url: str,
    calls: Sequence[SetupCall],
    user: str | None,
    transcript: Transcript,
    conn: int,
) -> dict[str, Any]:
    """Make the set-up calls for one connection to `ws_url`, in order, each within its
    deadline; the values saved. CheckFailed on a call that fails, an error status or a
    reply without a value to save."""
    values: dict[str, Any] = {"user": user or ""}
    base = http_base(ws_url)
    for call in calls:
        path = str(fill(call.path, values))
        body = fill(call.body, values) if call.body is not None else None
        what = f"set-up call {call.method} {path}"
        transcript.add("send", frame_type=call.method, data=f"{call.method} {path}", conn=conn)
        status, text = await asyncio.to_thread(_request, call.method, base + path, body, call)
        transcript.add("recv", frame_type=f"HTTP {status}", size=len(text), data=text, conn=conn)
        if not 200 <= status < 300:
            raise CheckFailed(
                what,
                expected="a 2xx reply",
                observed=f"HTTP {status}: {text[:300]}" if status else text,
                frames=transcript.export(),
            )
        reply = _json(text)
        for name, reply_path in call.save.items():
            value = _at(reply, reply_path)
            if value is _MISSING:
                raise CheckFailed(
                    what,
                    expected=f"a JSON reply with {reply_path!r} (saved as {{{name}}})",
                    observed=text[:300],
                    frames=transcript.export(),
                )
            values[name] = value
    return values


def _request(method: str, url: str, body: Any, call: SetupCall) -> tuple[int, str]:
    """Status and body text of one call; status 0 and the reason when it got no reply."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=call.timeout_s) as response:
            status, raw = response.status, response.read(MAX_REPLY_BYTES)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(MAX_REPLY_BYTES)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, f"no reply within {call.timeout_s:g} s: {reason}"
    return status, raw.decode("utf-8", errors="replace")


_MISSING: Final = object()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _at(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node
