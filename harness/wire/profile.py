"""Profiles: how one target's wire dialect differs from `chat-agent/1` (docs/PROFILES.md).

A profile is a TOML file or a built-in name. It names only what differs from the
profile it `extends`; loading resolves the chain, merges tables key by key and
validates the result at this trust boundary: every error names the file, the
key and, where the key is written in the file, its line.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from harness.errors import ConfigError
from harness.wire import protocol as P
from harness.wire.profile_schema import validate
from harness.wire.toml_lines import line_of, split_key

DEFAULT: Final = P.PROFILE
BUILT_IN: Final = {
    "chat-agent/1": "chat-agent-1.toml",
    "netra-2025-09": "netra-2025-09.toml",
    "openai-realtime": "openai-realtime.toml",
    "autogen-studio": "autogen-studio.toml",
    "chainlit": "chainlit.toml",
}
MAX_EXTENDS: Final = 8


@dataclass(frozen=True, slots=True)
class FrameMap:
    """How one canonical server frame looks on the wire."""

    canonical: str
    wire_type: str
    match: tuple[tuple[str, Any], ...]
    fields: Mapping[str, str]  # canonical path -> wire path ("" = the target never sends it)
    optional: frozenset[str]
    timestamps: Mapping[str, str]  # canonical path -> format
    timestamp_format: str  # of the frame's own timestamp
    # Constant wire fields a server of the dialect writes and the codec does not read
    # (`"status": "acknowledged"`): the reference server and the examples write them.
    extra: Mapping[str, Any] = field(default_factory=dict)


# When a declared notice may come: only before the welcome, or at any time.
NOTICE_WHEN: Final = ("before_welcome", "any_time")


@dataclass(frozen=True, slots=True)
class Notice:
    """A frame the target may send that the protocol does not define (a heartbeat, a
    notice): `[server.notices.NAME]`. The client records it and skips it."""

    name: str
    wire_type: str
    match: tuple[tuple[str, Any], ...]
    when: str  # one of NOTICE_WHEN

    def matches(self, type_value: Any, wire: Mapping[str, Any]) -> bool:
        """Whether a received wire frame (its type already read) is this notice."""
        return type_value == self.wire_type and all(
            lookup(wire, path) == value for path, value in self.match
        )


def lookup(node: Any, dotted: str) -> Any:
    """The value at a dotted wire path, or ABSENT; a number indexes a list ("content.0.id")."""
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif not isinstance(node, Mapping) or part not in node:
            return ABSENT
        else:
            node = node[part]
    return node


ABSENT: Final = object()  # what `lookup` finds where a path leads nowhere


@dataclass(frozen=True)
class Profile:
    """A resolved, validated profile: plain data read by the codec, the suites and the runner."""

    name: str
    source: str  # "built-in" or the file's path
    chain: tuple[str, ...]  # this profile, then what it extends, down to chat-agent/1
    data: Mapping[str, Any]  # the merged tables
    # What the modules that read the profile derive from it once (its codec, built by
    # harness.wire.codec): the profile itself knows none of them.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def section(self, name: str) -> Mapping[str, Any]:
        """One merged top-level table."""
        value = self.data.get(name, {})
        return value if isinstance(value, Mapping) else {}

    @functools.cached_property
    def frames(self) -> dict[str, FrameMap]:
        """Canonical server frame type -> its wire form."""
        server = self.section("server")
        out = {}
        for canonical, table in server["frames"].items():
            out[canonical] = FrameMap(
                canonical=canonical,
                wire_type=table["type"],
                match=tuple(sorted(table.get("match", {}).items())),
                fields=dict(table["fields"]),
                optional=frozenset(table.get("optional", ())),
                timestamps=dict(table.get("timestamps", {})),
                timestamp_format=table.get("timestamp_format", server["timestamp_format"]),
                extra=dict(table.get("extra", {})),
            )
        return out

    @functools.cached_property
    def notices(self) -> tuple[Notice, ...]:
        """The frames the target may send besides the protocol's, by name."""
        tables = self.section("server").get("notices", {})
        return tuple(
            Notice(
                name=name,
                wire_type=table["type"],
                match=tuple(sorted(table.get("match", {}).items())),
                when=table.get("when", "any_time"),
            )
            for name, table in sorted(tables.items())
        )

    @property
    def error_codes(self) -> Mapping[str, str]:
        """Canonical error code -> the target's code ("" when it has none)."""
        return self.section("error_codes")

    @property
    def capabilities(self) -> frozenset[str]:
        """The catalogue's capability names this target has (harness/rules/catalogue.toml)."""
        return capability_names(self.data) | (set() if self.canonical_wire else {"dialect"})

    @functools.cached_property
    def canonical_wire(self) -> bool:
        """True when the target's frames are chat-agent/1's own, both ways: no renamed type,
        field, envelope or code, every timestamp epoch seconds, no constant declared and
        no codec class (the codec is then the identity, and the dialect states nothing
        of its own)."""
        client = self.section("client")
        server = self.section("server")
        envelope = {k: client[f"{k}_field"] for k in ("type", "message_id", "timestamp", "payload")}
        if any(k != v for k, v in envelope.items()) or self.section("codec").get("class"):
            return False
        if dict(client["content_field"]) != {
            P.USER_MESSAGE: "content",
            P.START_AGENT: "user_request",
        }:
            return False
        if (server["type_field"], server["timestamp_field"], server["seq_field"]) != (
            "type",
            "timestamp",
            "seq",
        ):
            return False
        if any(code != wire for code, wire in self.error_codes.items()):
            return False
        return all(_canonical_frame(name, frame) for name, frame in self.frames.items())

    def lacks(self, needed: tuple[str, ...]) -> tuple[str, ...]:
        """The capabilities of `needed` this target lacks, in order."""
        have = self.capabilities
        return tuple(c for c in needed if c not in have)

    def http_path(self, canonical: str) -> str:
        """The target's path for a canonical HTTP route (`/health`, `/stats`); "" when none."""
        endpoint = self.section("endpoint")
        if canonical == P.HEALTH_PATH:
            return str(endpoint["health_path"])
        if canonical == P.STATS_PATH:
            return str(endpoint["stats_path"])
        return canonical

    @property
    def healthy(self) -> tuple[int, dict[str, Any]]:
        """What a healthy answer of the health route is: its status and body field."""
        endpoint = self.section("endpoint")
        return int(endpoint["health_status"]), {endpoint["health_field"]: endpoint["health_value"]}

    @property
    def auth(self) -> Mapping[str, Any]:
        """The `[auth]` table (transports, subprotocol prefix, query parameter, tokens)."""
        return self.section("auth")

    @property
    def by_order(self) -> bool:
        """True when direct replies are correlated by order (they echo no message id)."""
        return bool(self.section("capabilities")["correlation"] == "order")


def _canonical_frame(canonical: str, frame: FrameMap) -> bool:
    """Whether a server frame is written as chat-agent/1 writes it."""
    if frame.wire_type != canonical or frame.match or frame.optional or frame.extra:
        return False
    if frame.timestamp_format != "epoch_s":
        return False
    if any(form != "epoch_s" for form in frame.timestamps.values()):
        return False
    for path, wire in frame.fields.items():
        expected = path.split("[].", 1)[1] if "[]." in path else path
        if wire != expected:
            return False
    return True


def capability_names(data: Mapping[str, Any]) -> frozenset[str]:
    """Derive the catalogue's capability vocabulary from a merged profile."""
    caps = data["capabilities"]
    endpoint = data["endpoint"]
    auth = data["auth"]
    codes = data["error_codes"]
    turn = data["turn"]
    have = {
        "welcome": bool(caps["welcome"]),
        "seq": bool(caps["seq"]) and bool(data["server"]["seq_field"]),
        "message_id_echo": caps["correlation"] == "message_id",
        "unknown_type_error": caps["unknown_type"] == "error" and bool(codes[P.UNKNOWN_TYPE]),
        "thread_history": bool(caps["thread_history"]),
        "stats": bool(endpoint["stats_path"]),
        "health": bool(endpoint["health_path"]),
        "not_found": bool(endpoint["not_found"]),
        "rate_limit": caps["max_messages_per_minute"] > 0 and bool(codes[P.RATE_LIMITED]),
        "connection_limit": caps["max_connections_per_user"] > 0,
        "oversize_close": caps["oversize"] == f"close:{P.CLOSE_MESSAGE_TOO_BIG}",
        "binary_close": caps["binary"] == f"close:{P.CLOSE_UNSUPPORTED_DATA}",
        "tool_call_id": bool(caps["tool_call_id"]),
        "client_timestamp_echo": bool(caps["client_timestamp"]),
        "auth_header": "header" in auth["transports"],
        "auth_subprotocol": "subprotocol" in auth["transports"],
        "auth_query": "query" in auth["transports"],
        "declared_constants": any(t.get("extra") for t in data["server"]["frames"].values()),
        "oversize_error": str(caps["oversize"]).startswith("error:"),
        "unknown_type_ack": caps["unknown_type"] == "ack",
        "scripted_agent": turn["agent"] == "scripted",
        "text_stream": bool(turn["text"]["delta"]),
        "parts_open": bool(
            turn["text"]["start"] or turn["tool"]["end"] or turn["tool"]["args_delta"]
        ),
        "chat_requests": bool(caps["chat_requests"]),
        "cancel": bool(turn["request"]["cancel"]),
        "tool_results": bool(turn["tool"]["result"]),
        "refusal": bool(turn["request"]["refused"]),
        # A target that checks no token: its transports are "none", or the harness
        # presents none (the token source is "none").
        "authenticates": auth["tokens"]["source"] != "none"
        and any(t != "none" for t in auth["transports"]),
        # A refused token is an error frame, then a close (not socket.io's connect_error).
        "auth_refusal_frame": data["transport"]["kind"] != "socketio",
    }
    return frozenset(name for name, present in have.items() if present)


def load_profile(spec: str | Path | None) -> Profile:
    """A built-in profile by name, or a profile file; ConfigError naming file, key and line."""
    name = DEFAULT if spec is None else str(spec)
    layers: list[tuple[str, str, dict[str, Any]]] = []  # (label, text, tables)
    seen: set[str] = set()
    current: str | None = name
    base_dir = Path.cwd()
    while current is not None:
        if len(layers) >= MAX_EXTENDS:
            raise ConfigError(f"{layers[0][0]}: profile.extends: more than {MAX_EXTENDS} levels")
        if layers:
            try:
                label, text = _read(current, base_dir)
            except ConfigError as exc:
                child, child_text, _ = layers[-1]
                reason = str(exc).split(": ", 1)[-1]
                raise _error(child, child_text, "profile.extends", reason) from None
        else:
            label, text = _read(current, base_dir)
        if label in seen:
            raise ConfigError(f"{label}: profile.extends: a cycle through {label}")
        seen.add(label)
        tables = _parse(label, text)
        layers.append((label, text, tables))
        extends = tables.get("profile", {}).get("extends")
        if extends is not None and not isinstance(extends, str):
            raise _error(label, text, "profile.extends", "expected a profile name or file path")
        if label in BUILT_IN.values() and current == DEFAULT:
            extends = None  # chat-agent/1 is the root
        elif extends is None:
            extends = DEFAULT
        if label not in BUILT_IN.values():
            base_dir = Path(label).parent
        current = extends
    merged: dict[str, Any] = {}
    for _, _, tables in reversed(layers):
        merged = _merge(merged, tables)
    label, text, tables = layers[0]
    merged.setdefault("profile", {})["name"] = tables.get("profile", {}).get("name", label)
    problem = validate(merged, own=tables)
    if problem is not None:
        key, message = problem
        owner = next(((lb, tx) for lb, tx, tb in layers if _has(tb, key)), (label, text))
        if owner[0] in BUILT_IN.values() and label not in BUILT_IN.values():
            # What the user wrote broke a built-in default: point at the user's file.
            owner = (label, "")
        raise _error(owner[0], owner[1], key, message)
    source = "built-in" if label in BUILT_IN.values() else label
    return Profile(
        name=merged["profile"]["name"],
        source=source,
        chain=tuple(lb for lb, _, _ in layers),
        data=merged,
    )


def built_in_text(name: str) -> str:
    """The TOML text of a built-in profile; ConfigError naming the built-ins when unknown."""
    if name not in BUILT_IN:
        raise ConfigError(
            f"profile {name!r}: no such built-in profile (built-in: {', '.join(BUILT_IN)})"
        )
    return _read(name, Path.cwd())[1]


def _read(spec: str, base_dir: Path) -> tuple[str, str]:
    if spec in BUILT_IN:
        file = BUILT_IN[spec]
        return file, resources.files("harness.wire.profiles").joinpath(file).read_text("utf-8")
    path = Path(spec)
    if not path.is_absolute():
        path = base_dir / path
    if not path.suffix == ".toml" and not path.exists():
        raise ConfigError(
            f"--profile {spec!r}: {spec!r} is not a built-in profile ({', '.join(BUILT_IN)}) "
            "nor a .toml file"
        )
    try:
        return str(path), path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the profile: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the profile is not UTF-8 text") from None


def _parse(label: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has(tables: Mapping[str, Any], dotted: str) -> bool:
    node: Any = tables
    for part in split_key(dotted):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _error(label: str, text: str, key: str, message: str) -> ConfigError:
    line = line_of(text, key)
    where = f"{label}:{line}" if line else label
    return ConfigError(f"{where}: {key}: {message}")
