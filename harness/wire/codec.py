"""The profile codec: canonical frames to the target's wire form and back (docs/PROFILES.md).

Suites speak only `chat-agent/1`. The client encodes every frame a test sends
with `Codec.encode` and decodes every frame the target sends with
`Codec.decode`; a wire frame that does not decode (a field the profile says is
there is missing, a timestamp not in the profile's format) raises
`DecodeError`, the target's failure, with the raw frame as evidence. For the
canonical profile both directions are the identity, at the cost of one check.

The decoder is strict about what a profile declares and liberal about what it
leaves open: each timestamp in exactly its declared format, every mapped field
present (unless optional), every declared constant with exactly its value (a
constant `{}` or `[]` fixes only the kind, an object or a list), and every error
code one of the dialect's own. Each DecodeError names the rule of the dialect's
statements (catalogue section 9; docs/PROTOCOL.md has none of these) it breaks.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from harness.errors import ConfigError
from harness.wire import protocol as P
from harness.wire.profile import ABSENT, FrameMap, Profile, lookup
from harness.wire.wire_values import (
    CONSTANT_FIELDS_RULE,
    ERROR_CODES_RULE,
    DecodeError,
    constant_holds,
    constant_text,
    read_timestamp,
    write_timestamp,
)


class FrameCodec(Protocol):
    """What a codec does; a profile's `[codec] class` names one for dialects no table expresses."""

    def encode(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """The wire form of a canonical client frame."""
        ...

    def decode(self, wire: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical form of a wire frame; DecodeError when it cannot be read."""
        ...


def codec_of(profile: Profile) -> FrameCodec:
    """The profile's codec, built once per profile (the codec reads the profile, never the
    other way round)."""
    codec: FrameCodec | None = profile.derived.get("codec")
    if codec is None:
        codec = profile.derived["codec"] = codec_for(profile)
    return codec


def codec_for(profile: Profile) -> FrameCodec:
    """The profile's own codec class when it names one, else the table-driven codec."""
    spec = profile.section("codec").get("class", "")
    if not spec:
        return Codec(profile)
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
        codec: FrameCodec = factory(profile)
    except Exception as exc:  # a user's class: any failure to build it is a usage error
        raise ConfigError(f"profile {profile.name}: codec.class {spec!r}: {exc!r}") from None
    if not callable(getattr(codec, "encode", None)) or not callable(getattr(codec, "decode", None)):
        raise ConfigError(f"profile {profile.name}: codec.class {spec!r} lacks encode/decode")
    return codec


class Codec:
    """The table-driven codec of a profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        client = profile.section("client")
        server = profile.section("server")
        self._envelope = {
            "type": client["type_field"],
            "message_id": client["message_id_field"],
            "timestamp": client["timestamp_field"],
            "payload": client["payload_field"],
        }
        self._content = dict(client["content_field"])
        self._type_field = server["type_field"]
        self._timestamp_field = server["timestamp_field"]
        self._seq_field = server["seq_field"]
        self._frames = profile.frames
        self._by_wire_type: dict[str, list[FrameMap]] = {}
        for frame in self._frames.values():
            self._by_wire_type.setdefault(frame.wire_type, []).append(frame)
        for candidates in self._by_wire_type.values():
            candidates.sort(key=lambda f: -len(f.match))  # the most specific match first
        self._codes_in = {wire: canon for canon, wire in profile.error_codes.items() if wire}
        self._codes_out = {canon: wire for canon, wire in profile.error_codes.items() if wire}
        # Every error code a server of the dialect may send: its names of the canonical
        # codes, and the codes its oversize and binary answers name (`error:CODE`).
        caps = profile.section("capabilities")
        self._wire_codes = (
            frozenset(self._codes_in)
            | set(profile.section("server")["other_error_codes"])
            | {
                str(caps[key]).split(":", 1)[1]
                for key in ("oversize", "binary")
                if str(caps.get(key, "")).startswith("error:")
            }
        )
        self.client_identity = all(k == v for k, v in self._envelope.items()) and (
            self._content == {P.USER_MESSAGE: "content", P.START_AGENT: "user_request"}
        )
        self.identity = profile.canonical_wire

    def wire_code(self, code: str) -> str | None:
        """The target's error code for a canonical one, None when the target has none."""
        return self._codes_out.get(code)

    def encode(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """The wire form of a canonical client frame (envelope and content field renamed)."""
        if self.client_identity:
            return dict(frame)
        wire: dict[str, Any] = {}
        frame_type = frame.get("type")
        for key, value in frame.items():
            name = self._envelope.get(key, key)
            if key == "payload" and isinstance(value, Mapping):
                value = self._encode_payload(frame_type, value)
            wire[name] = value
        return wire

    def _encode_payload(self, frame_type: Any, payload: Mapping[str, Any]) -> dict[str, Any]:
        canonical = {P.USER_MESSAGE: "content", P.START_AGENT: "user_request"}.get(
            frame_type if isinstance(frame_type, str) else ""
        )
        target = self._content.get(frame_type) if isinstance(frame_type, str) else None
        if canonical is None or target is None or canonical == target:
            return dict(payload)
        return {target if k == canonical else k: v for k, v in payload.items()}

    def decode(self, wire: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical frame of a wire frame; an unknown wire type passes through unchanged."""
        if self.identity:
            return dict(wire)
        frame_map = self._kind(wire)
        if frame_map is None:
            return dict(wire)
        canonical: dict[str, Any] = {"type": frame_map.canonical}
        self._check_declared(frame_map, wire)
        if self._timestamp_field:  # "": the dialect's frames carry no timestamp
            stamp = wire.get(self._timestamp_field, ABSENT)
            if stamp is ABSENT:
                raise DecodeError(f"{frame_map.wire_type}: no {self._timestamp_field!r}", wire)
            canonical["timestamp"] = read_timestamp(
                stamp, frame_map.timestamp_format, "timestamp", wire
            )
        if self._seq_field:
            seq = wire.get(self._seq_field, ABSENT)
            if seq is not ABSENT:
                canonical["seq"] = seq
        lists: dict[str, list[str]] = {}
        for path, wire_path in frame_map.fields.items():
            if "[]." in path:
                lists.setdefault(path.split("[].", 1)[0], []).append(path)
                continue
            if not wire_path:
                continue
            value = lookup(wire, wire_path)
            if value is ABSENT:
                if path in frame_map.optional:
                    continue
                raise DecodeError(
                    f"{frame_map.wire_type}: no field {wire_path!r} ({path} of "
                    f"{frame_map.canonical})",
                    wire,
                )
            form = frame_map.timestamps.get(path)
            if form is not None:
                value = read_timestamp(value, form, path, wire)
            _set(canonical, path, value)
        for list_path, item_paths in lists.items():
            items = lookup(canonical, list_path)
            if isinstance(items, list):
                _set(
                    canonical,
                    list_path,
                    [self._item(i, item_paths, frame_map, wire) for i in items],
                )
        self._decode_codes(canonical)
        return canonical

    def _check_declared(self, frame_map: FrameMap, wire: Mapping[str, Any]) -> None:
        """The frame's declared constants and error codes, as the profile states them."""
        for path, value in frame_map.extra.items():
            found = lookup(wire, path)
            if not constant_holds(value, found):
                shown = "absent" if found is ABSENT else json.dumps(found)
                raise DecodeError(
                    f"{frame_map.wire_type}: {path} is {shown}, the dialect states "
                    f"{constant_text(value)}",
                    wire,
                    CONSTANT_FIELDS_RULE,
                )
        if frame_map.canonical == P.ERROR:
            wire_path = frame_map.fields.get("error_code", "")
        elif frame_map.canonical == P.AGENT_ERROR:
            wire_path = frame_map.fields.get("data.error_code", "")
        else:
            return
        code = lookup(wire, wire_path) if wire_path else ABSENT
        if isinstance(code, str) and code not in self._wire_codes:
            raise DecodeError(
                f"{frame_map.wire_type}: error code {code!r} is not one of the dialect's "
                f"({', '.join(sorted(self._wire_codes))})",
                wire,
                ERROR_CODES_RULE,
            )

    def _item(
        self, item: Any, paths: list[str], frame_map: FrameMap, wire: Mapping[str, Any]
    ) -> Any:
        if not isinstance(item, Mapping):
            return item
        out: dict[str, Any] = {}
        for path in paths:
            name = path.split("[].", 1)[1]
            wire_path = frame_map.fields[path]
            value = lookup(item, wire_path) if wire_path else ABSENT
            if value is ABSENT:
                continue
            form = frame_map.timestamps.get(path)
            out[name] = read_timestamp(value, form, path, wire) if form else value
        return out

    def _decode_codes(self, canonical: dict[str, Any]) -> None:
        if canonical["type"] == P.ERROR and isinstance(canonical.get("error_code"), str):
            canonical["error_code"] = self._codes_in.get(
                canonical["error_code"], canonical["error_code"]
            )
        data = canonical.get("data")
        if canonical["type"] == P.AGENT_ERROR and isinstance(data, dict):
            code = data.get("error_code")
            if isinstance(code, str):
                data["error_code"] = self._codes_in.get(code, code)

    def encode_server(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """The wire form of a canonical server frame (the reference server and the examples)."""
        if self.identity:
            return dict(frame)
        frame_map = self._frames.get(str(frame.get("type")))
        if frame_map is None:
            return dict(frame)
        wire: dict[str, Any] = {self._type_field: frame_map.wire_type}
        for path, value in frame_map.match:
            _set(wire, path, value)
        for path, value in frame_map.extra.items():
            _set(wire, path, json.loads(json.dumps(value)))  # a copy: never shared
        if "timestamp" in frame and self._timestamp_field:
            wire[self._timestamp_field] = write_timestamp(
                frame["timestamp"], frame_map.timestamp_format
            )
        if self._seq_field and "seq" in frame:
            wire[self._seq_field] = frame["seq"]
        items: dict[str, list[str]] = {}
        for path, wire_path in frame_map.fields.items():
            if "[]." in path:
                items.setdefault(path.split("[].", 1)[0], []).append(path)
                continue
            value = lookup(frame, path)
            if not wire_path or value is ABSENT:
                continue
            form = frame_map.timestamps.get(path)
            if form is not None:
                value = write_timestamp(value, form)
            elif path in ("error_code", "data.error_code") and isinstance(value, str):
                value = self._codes_out.get(value, value)
            _set(wire, wire_path, value)
        for list_path, paths in items.items():
            wire_list = frame_map.fields.get(list_path, "")
            values = lookup(frame, list_path)
            if wire_list and isinstance(values, list):
                _set(wire, wire_list, [self._encode_item(v, paths, frame_map) for v in values])
        return wire

    def _encode_item(self, item: Any, paths: list[str], frame_map: FrameMap) -> Any:
        if not isinstance(item, Mapping):
            return item
        out: dict[str, Any] = {}
        for path in paths:
            name = path.split("[].", 1)[1]
            wire_path = frame_map.fields[path]
            if not wire_path or name not in item:
                continue
            form = frame_map.timestamps.get(path)
            value = write_timestamp(item[name], form) if form else item[name]
            _set(out, wire_path, value)
        return out

    def decode_client(self, wire: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical form of a client frame in the target's envelope (the reference server)."""
        if self.client_identity:
            return dict(wire)
        names = {v: k for k, v in self._envelope.items()}
        frame: dict[str, Any] = {names.get(k, k): v for k, v in wire.items()}
        frame_type = frame.get("type")
        payload = frame.get("payload")
        if isinstance(frame_type, str) and isinstance(payload, Mapping):
            canonical = {P.USER_MESSAGE: "content", P.START_AGENT: "user_request"}.get(frame_type)
            target = self._content.get(frame_type)
            if canonical is not None and target is not None and canonical != target:
                frame["payload"] = {canonical if k == target else k: v for k, v in payload.items()}
        return frame

    def _kind(self, wire: Mapping[str, Any]) -> FrameMap | None:
        wire_type = wire.get(self._type_field)
        if not isinstance(wire_type, str):
            return None
        for candidate in self._by_wire_type.get(wire_type, ()):
            if all(lookup(wire, path) == value for path, value in candidate.match):
                return candidate
        return None


def _set(node: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


class _Literal(str):
    """A JSON number or constant kept exactly as written (1e400 stays 1e400)."""


def rewrite_object_text(text: str, transform: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """`text`, a JSON object, passed through `transform` (an envelope's renaming) and written
    back with every number and constant exactly as it was; any other text unchanged."""
    try:
        parsed = json.loads(text, parse_float=_Literal, parse_int=_Literal, parse_constant=_Literal)
    except ValueError:
        return text
    return _dump(transform(parsed)) if isinstance(parsed, dict) else text


def _dump(value: Any) -> str:
    if isinstance(value, _Literal):
        return str.__str__(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_dump(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
