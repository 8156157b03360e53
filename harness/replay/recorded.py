"""What a capture recorded, as a replay needs it: the recorded users and threads mapped to
fresh ones (the same way every time), and each recorded connection's server frames,
decoded through the capture's profile, with its close code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from harness.replay.capture import Capture
from harness.replay.conformance import ConnectionRecord
from harness.wire.codec import Codec
from harness.wire.profile import Profile
from harness.wire.translation import Translation
from harness.wire.wire_values import DecodeError

NewUser = Callable[[], tuple[str, str]]  # () -> (fresh user id, its token)


class Substitutions:
    """Recorded user ids and thread ids to fresh ones, the same way every time."""

    def __init__(self, new_user: NewUser) -> None:
        self._new_user = new_user
        self.users: dict[str, tuple[str, str]] = {}
        self.threads: dict[str, str] = {}

    def user(self, recorded: str | None) -> tuple[str, str]:
        """The fresh (id, token) standing in for a recorded user (None: an unknown one)."""
        key = recorded if recorded is not None else f"<anonymous-{len(self.users)}>"
        if key not in self.users:
            self.users[key] = self._new_user()
        return self.users[key]

    def text(self, data: str) -> str:
        """A client text frame with recorded user and thread ids substituted (JSON only).

        A frame with nothing to substitute is sent byte for byte as recorded.
        """
        try:
            frame = json.loads(data)
        except ValueError:
            return data
        self._substituted = 0
        changed = self._walk(frame)
        return json.dumps(changed, ensure_ascii=False) if self._substituted else data

    _substituted = 0

    def _walk(self, node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: self._walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self._walk(v, key) for v in node]
        if isinstance(node, str):
            if key == "thread_id" and node:
                self._substituted += 1
                return self.threads.setdefault(node, f"{node}-{uuid.uuid4().hex[:10]}")
            if node in self.users:
                self._substituted += 1
                return self.users[node][0]
        return node


def recorded_connections(
    capture: Capture, codec: Codec, profile: Profile | None = None
) -> dict[int, ConnectionRecord]:
    """Each recorded connection's server frames, decoded, and its close code (the notices
    `profile` declares left out: they are not the protocol's and never compared)."""
    out: dict[int, ConnectionRecord] = {}
    for conn, events in capture.connections().items():
        record = ConnectionRecord(conn)
        notices = Translation(profile) if profile is not None else None
        for event in events:
            if event.dir == "server" and event.kind == "text":
                if is_notice(notices, event.data):
                    continue
                record.frames.append(decode_text(codec, event.data))
            elif event.dir == "server" and event.kind == "binary":
                record.frames.append({"type": "<binary>", "data": event.data})
            elif event.kind == "close" and event.dir == "server":
                record.close_code = event.code
                record.close_known = event.code is not None
        closes = [e for e in events if e.kind == "close"]
        if not any(e.dir == "server" for e in closes):
            # A client close answered (or not) by the server: judge the server's echo only
            # when the recording knows a code at all.
            record.close_code = closes[0].code if closes else None
            record.close_known = bool(closes) and closes[0].code is not None
        out[conn] = record
    return out


def is_notice(notices: Translation | None, text: str) -> bool:
    """Whether a server text is a notice the profile declares (at this point of its
    connection)."""
    if notices is None:
        return False
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    return notices.notice(frame if isinstance(frame, dict) else {"__not_json__": text}) is not None


def decode_text(codec: Codec, text: str) -> dict[str, Any]:
    """A recorded or replayed server text as a canonical frame, or a marker of what it is
    instead (not JSON, not an object, does not decode in the profile)."""
    try:
        frame = json.loads(text)
    except ValueError:
        return {"type": "<not json>", "text": text[:200]}
    if not isinstance(frame, dict):
        return {"type": "<not an object>", "value": frame}
    try:
        return codec.decode(frame)
    except DecodeError as exc:
        return {"type": "<does not decode>", "reason": exc.reason, "raw": frame}
