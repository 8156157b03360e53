"""Frames through the target's profile: what a test sends goes out in the target's dialect,
what the target sends comes back canonical (docs/PROFILES.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness.wire.codec import DecodeError, codec_of, rewrite_object_text
from harness.wire.profile import Profile


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
            failed = {"__undecodable__": exc.reason, "raw": exc.raw}
            if self.undecodable is None:
                self.undecodable = failed
            return failed
        return decoded

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
