"""The reference server's configuration, validated once at construction."""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import ConfigError
from harness.reference.defects import resolve_defects


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How one reference server runs: secret, defects, delays, limits, address."""

    jwt_secret: str
    defects: frozenset[str] = frozenset()
    think_ms: float = 5.0
    tool_ms: float = 5.0
    rate_limit: int = 600  # max_messages_per_minute
    max_bytes: int = 65536  # max_message_bytes
    max_connections_per_user: int = 16
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise ConfigError("jwt_secret must be a non-empty string")
        # Unknown names fail here; frozen, so the expanded set is written through object.
        object.__setattr__(self, "defects", resolve_defects(self.defects))
        if self.think_ms < 0 or self.tool_ms < 0:
            raise ConfigError("think_ms and tool_ms must be >= 0")
        if self.rate_limit < 1:
            raise ConfigError("rate_limit must be >= 1")
        if self.max_bytes < 1:
            raise ConfigError("max_bytes must be >= 1")
        if self.max_connections_per_user < 1:
            raise ConfigError("max_connections_per_user must be >= 1")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0 to 65535, not {self.port}")

    def has(self, defect: str) -> bool:
        """True when the named defect is switched on."""
        return defect in self.defects
