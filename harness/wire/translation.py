"""Frames through the target's profile: what a test sends goes out in the target's dialect,
what the target sends comes back canonical (docs/PROFILES.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness.wire.codec import codec_of, rewrite_object_text
from harness.wire.profile import Profile, lookup
from harness.wire.wire_values import DecodeError


class Translation:
    """One connection's dialect: its codec (None for the canonical one) and its envelope."""

    def __init__(self, profile: Profile | None) -> None:
        codec: Any = codec_of(profile) if profile is not None else None
        if codec is not None and getattr(codec, "identity", False):
            codec = None
        self._codec = codec
        self.by_order = profile.by_order if profile is not None else False
        # The first received frame that did not decode: every later wait fails on it.
        self.undecodable: dict[str, Any] | None = None
        # Frames the profile declares besides the protocol's (heartbeats, notices).
        self._notices = profile.notices if profile is not None else ()
        self._frames = tuple(profile.frames.values()) if profile is not None else ()
        server = profile.section("server") if profile is not None else {}
        self._type_field = server.get("type_field", "type")
        self.welcomed = False  # the welcome (or any protocol frame) has arrived
        client_fields = profile.section("client") if profile is not None else {}
        self.envelope: tuple[str, str, str] = (
            client_fields.get("type_field", "type"),
            client_fields.get("message_id_field", "message_id"),
            client_fields.get("payload_field", "payload"),
        )

    def decode(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The canonical form of a received frame; an undecodable one is kept as such."""
        if self._codec is None or any(k.startswith("__") for k in frame):
            return frame
        try:
            decoded: dict[str, Any] = self._codec.decode(frame)
        except DecodeError as exc:
            failed = {"__undecodable__": exc.reason, "rule": exc.rule, "raw": exc.raw}
            if self.undecodable is None:
                self.undecodable = failed
            return failed
        return decoded

    def notice(self, wire: Mapping[str, Any]) -> str | None:
        """The name of the declared notice a received wire frame is, or None: a frame the
        protocol defines is never a notice, and a `before_welcome` one only counts before
        the first frame that is not a notice."""
        if not self._notices or any(str(k).startswith("__") for k in wire):
            self.welcomed = True
            return None
        type_value = wire.get(self._type_field)
        for frame in self._frames:
            if type_value == frame.wire_type and all(
                lookup(wire, path) == value for path, value in frame.match
            ):
                self.welcomed = True
                return None
        for declared in self._notices:
            if declared.when == "before_welcome" and self.welcomed:
                continue
            if declared.matches(type_value, wire):
                return declared.name
        self.welcomed = True
        return None

    def outgoing(self, data: str | bytes) -> str | bytes:
        """A frame to send, in the dialect's envelope when it is a canonical JSON object text
        and the dialect names the envelope's fields otherwise; anything else as written."""
        if isinstance(data, str) and self._codec is not None and not self._codec.client_identity:
            return rewrite_object_text(data, self._codec.encode)
        return data


def parse_frame(text: str) -> dict[str, Any]:
    """A received text as a frame: the JSON object, or a marker of what it is instead."""
    try:
        obj = json.loads(text)
    except ValueError:
        return {"__invalid_json__": text[:200]}
    return obj if isinstance(obj, dict) else {"__not_an_object__": obj}


def type_of(frame: Mapping[str, Any]) -> str | None:
    """A frame's `type` when it is a string."""
    value = frame.get("type")
    return value if isinstance(value, str) else None
