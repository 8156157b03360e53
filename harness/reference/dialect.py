"""The wire dialect the reference server speaks: `chat-agent/1`, or any declarative profile.

The server works on canonical frames throughout; the dialect encodes each frame it
sends with the profile's codec and reads each client frame through it, and decides
the few behaviours a profile states as capabilities: the HTTP routes, what an unknown
type gets, what an oversize frame gets, the rate limit and the connections per user.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from harness.wire import protocol as P
from harness.wire.codec import Codec, rewrite_object_text
from harness.wire.profile import BUILT_IN, Profile, load_profile

CHAT_AGENT = "chat-agent"
OPENAI_REALTIME = "openai-realtime"


def family_of(profile: Profile) -> str:
    """Which dialect family a profile's server speaks: `openai-realtime` when the profile
    is that built-in or extends it, else `chat-agent` (chat-agent/1 and its offspring)."""
    return OPENAI_REALTIME if BUILT_IN[OPENAI_REALTIME] in profile.chain else CHAT_AGENT


@dataclass(frozen=True)
class Dialect:
    """One profile, as the reference server applies it."""

    profile: Profile
    codec: Codec

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.profile.name

    def encode(self, frame: dict[str, Any]) -> str:
        """The wire text of a canonical server frame."""
        return json.dumps(self.codec.encode_server(frame))

    def encode_object(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The wire object of a canonical server frame (before it is written as text)."""
        return self.codec.encode_server(frame)

    def client_text(self, text: str) -> str:
        """A client frame in the canonical envelope (the text itself when nothing differs:
        re-encoding would change what the client sent, 1e400 into Infinity for one)."""
        if self.codec.client_identity:
            return text
        return rewrite_object_text(text, self.codec.decode_client)

    def _endpoint(self, key: str) -> Any:
        return self.profile.section("endpoint")[key]

    def _capability(self, key: str) -> Any:
        return self.profile.section("capabilities")[key]

    @property
    def family(self) -> str:
        """`openai-realtime` or `chat-agent`: which connection handler the server runs."""
        return family_of(self.profile)

    @property
    def subprotocol_prefix(self) -> str:
        """The prefix of the subprotocol that carries a token."""
        return str(self.profile.auth["subprotocol_prefix"])

    @property
    def query_param(self) -> str:
        """The query parameter that carries a token."""
        return str(self.profile.auth["query_param"])

    @property
    def claims(self) -> tuple[str, str]:
        """The names of the user and expiry claims of a token."""
        tokens = self.profile.auth["tokens"]
        return str(tokens["user_claim"]), str(tokens["expiry_claim"])

    @property
    def ws_path(self) -> str:
        """The WebSocket path."""
        return str(self._endpoint("ws_path"))

    @property
    def health_path(self) -> str:
        """The health route ("" for none)."""
        return str(self._endpoint("health_path"))

    @property
    def health_body(self) -> dict[str, Any]:
        """What a healthy answer says."""
        return {self._endpoint("health_field"): self._endpoint("health_value")}

    @property
    def stats_path(self) -> str:
        """The per-user stats route ("" for none)."""
        return str(self._endpoint("stats_path"))

    @property
    def by_order(self) -> bool:
        """True when direct replies are matched to their frames by order, not message_id."""
        return bool(self.profile.by_order)

    @property
    def unknown_type_acked(self) -> bool:
        """True when an unknown type is acknowledged (no run) instead of refused."""
        return bool(self._capability("unknown_type") == "ack")

    @property
    def oversize_error(self) -> str | None:
        """The error code an oversize frame gets (the connection stays open), or None: close."""
        kind, _, value = str(self._capability("oversize")).partition(":")
        return value if kind == "error" else None

    @property
    def rate_limit(self) -> int:
        """max_messages_per_minute (0: no limit)."""
        return int(self._capability("max_messages_per_minute"))

    @property
    def max_bytes(self) -> int:
        """max_message_bytes."""
        return int(self._capability("max_message_bytes"))

    @property
    def max_connections(self) -> int:
        """Open connections per user (0: no limit)."""
        return int(self._capability("max_connections_per_user"))


@functools.cache
def dialect(spec: str = P.PROFILE) -> Dialect:
    """The dialect of a built-in profile name or a profile file (loaded once per process)."""
    profile = load_profile(spec)
    return Dialect(profile, Codec(profile))
