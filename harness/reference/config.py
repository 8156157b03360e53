"""The reference server's configuration, validated once at construction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from harness.errors import ConfigError
from harness.reference.defects import find_defect, resolve_defects
from harness.reference.dialect import Dialect, dialect
from harness.wire import protocol as P


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How one reference server runs: secret, defects, delays, dialect, limits, address.

    The limits default to the dialect's (for `chat-agent/1`: 600 messages a minute,
    65536 bytes, 16 connections per user); 0 for the rate limit or the connections
    means none.
    """

    jwt_secret: str
    defects: frozenset[str] = frozenset()
    think_ms: float = 5.0
    tool_ms: float = 5.0
    rate_limit: int | None = None  # max_messages_per_minute
    max_bytes: int | None = None  # max_message_bytes
    max_connections_per_user: int | None = None
    host: str = "127.0.0.1"
    port: int = 0
    profile: str = P.PROFILE  # the dialect: a built-in profile name or a profile file
    liberal: int | None = None  # the seed of the freedoms taken (harness/reference/liberal.py)
    # JSON texts sent on every accepted connection before the welcome: a notice such as a
    # production server's "running in fallback mode" (docs/PROFILES.md, [server.notices]).
    before_welcome: tuple[str, ...] = ()
    seed: int = 0  # what an llm-like agent draws its answers from (realtime_agent.py)

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise ConfigError("jwt_secret must be a non-empty string")
        spoken = self.dialect
        # Unknown names fail here; frozen, so the expanded set is written through object.
        object.__setattr__(self, "defects", resolve_defects(self.defects, spoken.family))
        for name in sorted(self.defects):
            if find_defect(name).serves != spoken.family:
                raise ConfigError(
                    f"defect {name!r} belongs to the {find_defect(name).serves} dialect; "
                    f"profile {spoken.name!r} speaks {spoken.family}"
                )
        if self.think_ms < 0 or self.tool_ms < 0:
            raise ConfigError("think_ms and tool_ms must be >= 0")
        for name, default in (
            ("rate_limit", spoken.rate_limit),
            ("max_bytes", spoken.max_bytes),
            ("max_connections_per_user", spoken.max_connections),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        if self.limit("rate_limit") < 0:
            raise ConfigError("rate_limit must be >= 0 (0: no limit)")
        if self.limit("max_bytes") < 1:
            raise ConfigError("max_bytes must be >= 1")
        if self.limit("max_connections_per_user") < 0:
            raise ConfigError("max_connections_per_user must be >= 0 (0: no limit)")
        for text in self.before_welcome:
            try:
                json.loads(text)
            except ValueError:
                raise ConfigError(f"before_welcome: not a JSON text: {text[:80]!r}") from None
        if self.liberal is not None and self.liberal < 0:
            raise ConfigError(f"liberal must be a seed >= 0, not {self.liberal}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0 to 65535, not {self.port}")

    def has(self, defect: str) -> bool:
        """True when the named defect is switched on."""
        return defect in self.defects

    @property
    def dialect(self) -> Dialect:
        """The dialect the server speaks (ConfigError naming the profile when it is bad)."""
        return dialect(self.profile)

    def limit(self, name: str) -> int:
        """A limit, resolved (rate_limit, max_bytes or max_connections_per_user)."""
        value = getattr(self, name)
        assert isinstance(value, int)
        return value
