"""Server-wide state: threads and their history, per-user counters, open connections per user."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from harness.reference.liberal import Liberties


class Peer(Protocol):
    """An open connection as the state sees it: who it belongs to and how to reach it."""

    user_id: str
    connection_id: str
    liberties: Liberties | None  # a liberal server's choices for this connection

    async def send_event(self, frame: dict[str, Any]) -> float | None: ...

    async def close(self, code: int) -> None: ...


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message of a thread, with the connection that produced it."""

    role: str  # "user" or "assistant"
    content: str
    timestamp: float
    connection_id: str

    def to_json(self) -> dict[str, Any]:
        """The entry as a `thread_history` message object."""
        return {"role": self.role, "content": self.content, "timestamp": self.timestamp}


@dataclass(slots=True)
class Thread:
    """A conversation owned by one user; it lives as long as the server process."""

    thread_id: str
    owner: str
    entries: list[HistoryEntry] = field(default_factory=list)


@dataclass(slots=True)
class UserStats:
    """The counters of one user that `GET /stats` returns (PROTOCOL.md section 7)."""

    messages_routed: int = 0
    message_types: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    runs_started: int = 0
    runs_completed: int = 0
    runs_failed: int = 0


class ServerState:
    """Threads, counters and open connections of one server, shared by its connections."""

    def __init__(self) -> None:
        self.threads: dict[str, Thread] = {}
        self._stats: dict[str, UserStats] = {}
        self._peers: dict[str, dict[str, Peer]] = {}

    def stats(self, user_id: str) -> UserStats:
        """The (created on first use) counters of one user."""
        stats = self._stats.get(user_id)
        if stats is None:
            stats = self._stats[user_id] = UserStats()
        return stats

    def stats_json(self, user_id: str) -> dict[str, Any]:
        """The `/stats` body of one user: zeros for a user never seen."""
        stats = self._stats.get(user_id) or UserStats()
        return {
            "user_id": user_id,
            "connections_open": self.open_count(user_id),
            "messages_routed": stats.messages_routed,
            "message_types": dict(stats.message_types),
            "errors": dict(stats.errors),
            "runs_started": stats.runs_started,
            "runs_completed": stats.runs_completed,
            "runs_failed": stats.runs_failed,
        }

    def open_count(self, user_id: str) -> int:
        """How many connections of this user are registered as open."""
        return len(self._peers.get(user_id, {}))

    def register(self, peer: Peer) -> None:
        """Count a connection as open."""
        self._peers.setdefault(peer.user_id, {})[peer.connection_id] = peer

    def unregister(self, peer: Peer) -> None:
        """Count a connection as closed."""
        peers = self._peers.get(peer.user_id, {})
        peers.pop(peer.connection_id, None)
        if not peers:
            self._peers.pop(peer.user_id, None)

    def peers(self) -> list[Peer]:
        """Every open connection of every user."""
        return [peer for peers in self._peers.values() for peer in peers.values()]
