"""One authenticated connection: numbered sends, rate limit, and the direct reply to each frame."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, cast

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

import harness.reference.defects as D
from harness.reference.agent import AgentRun, RunContext
from harness.reference.config import ServerConfig
from harness.reference.dialect import Dialect
from harness.reference.liberal import Liberties
from harness.reference.state import HistoryEntry, ServerState, Thread
from harness.reference.validation import Accepted, Rejection, parse_frame
from harness.wire import protocol as P

RATE_WINDOW_S: Final = 60.0


class FrameSender:
    """Numbers and timestamps the frames of one connection (seq and timestamps never go back)
    and writes them in the server's dialect."""

    def __init__(
        self,
        websocket: ServerConnection,
        dialect: Dialect,
        liberties: Liberties | None = None,
        defects: frozenset[str] = frozenset(),
    ) -> None:
        self._websocket = websocket
        self._dialect = dialect
        self._liberties = liberties
        self._defects = defects
        self._lock = asyncio.Lock()
        self._numbers: Iterator[int] = itertools.count(1)
        self._last_timestamp = 0.0

    def number_with(self, numbers: Iterator[int]) -> None:
        """Take the `seq` of every later frame from `numbers` (shared under `seq-per-user`)."""
        self._numbers = numbers

    async def send(self, frame: dict[str, Any]) -> float:
        """Send one frame with the next `seq` and a non-decreasing `timestamp`; its timestamp."""
        async with self._lock:
            seq = next(self._numbers)
            timestamp = max(self._last_timestamp, time.time())
            self._last_timestamp = timestamp
            numbered = {**frame, "timestamp": timestamp, "seq": seq}
            liberties = self._liberties
            if liberties is None and not self._defects:
                await self._websocket.send(self._dialect.encode(numbered))
                return timestamp
            wire = self._dialect.encode_object(numbered)
            if not self._dialect.profile.canonical_wire:
                wire = off_dialect(wire, frame, self._defects)
            if liberties is None:
                await self._websocket.send(json.dumps(wire))
                return timestamp
            welcome = frame.get("type") == P.CONNECTION_ESTABLISHED
            await self._websocket.send(liberties.text(liberties.frame(wire, welcome=welcome)))
            return timestamp


def off_dialect(
    wire: dict[str, Any], frame: Mapping[str, Any], defects: frozenset[str]
) -> dict[str, Any]:
    """A wire frame of a dialect as a server with the dialect's defects writes it
    (`iso-milliseconds`, `error-without-details`); unchanged without them."""
    kind = frame.get("type")
    if D.ISO_MILLISECONDS in defects and kind in P.AGENT_EVENTS:
        stamp = wire.get("timestamp")
        if isinstance(stamp, str) and "." in stamp:
            head, _, tail = stamp.partition(".")
            wire["timestamp"] = f"{head}.{tail[:3]}{tail[6:]}"
        elif isinstance(stamp, int | float):
            wire["timestamp"] = str(stamp)
    if D.ERROR_WITHOUT_DETAILS in defects and kind == P.ERROR:
        wire.pop("details", None)
    return wire


class Session:
    """The server side of one open, authenticated connection."""

    def __init__(
        self,
        websocket: ServerConnection,
        sender: FrameSender,
        user_id: str,
        config: ServerConfig,
        state: ServerState,
        start_run: Callable[[AgentRun], None],
        liberties: Liberties | None = None,
    ) -> None:
        self.user_id = user_id
        self.liberties = liberties
        self.connection_id = self._new_id("c")
        self._websocket = websocket
        self._sender = sender
        self._config = config
        self._state = state
        self._start_run = start_run
        self._accepted: deque[float] = deque()
        self._late: set[asyncio.Task[None]] = set()
        self._first_run_id: str | None = None
        self._errored = False  # an error frame was sent on this connection

    def _new_id(self, kind: str) -> str:
        """A fresh connection, thread or run id (`c`, `t`, `r`): the liberal server's shape."""
        if self.liberties is not None:
            return self.liberties.new_id(kind)
        return f"{kind}-{uuid.uuid4().hex}"

    def _run_id(self) -> str:
        """A fresh run id (`reused-run-id`: the connection's first, again and again)."""
        if self._config.has(D.REUSED_RUN_ID) and self._first_run_id is not None:
            return self._first_run_id
        run_id = self._new_id("r")
        self._first_run_id = self._first_run_id or run_id
        return run_id

    def _number(self, value: float | None) -> float | int | None:
        """A normalised client timestamp as sent back (a whole one as an integer, if liberal)."""
        if value is None or self.liberties is None:
            return value
        return self.liberties.number(value)

    async def send_event(self, frame: dict[str, Any]) -> float | None:
        """Send an agent event; None when the connection is already closed."""
        try:
            return await self._sender.send(frame)
        except ConnectionClosed:
            return None

    async def close(self, code: int) -> None:
        """Close the connection with `code` (the closing handshake bounded by the server's)."""
        await self._websocket.close(code)

    async def send_established(self) -> None:
        """The first frame of an accepted connection."""
        await self._sender.send(
            {
                "type": P.CONNECTION_ESTABLISHED,
                "user_id": self.user_id,
                "connection_id": self.connection_id,
                "server_time": time.time(),
                "limits": {
                    "max_message_bytes": self._config.limit("max_bytes"),
                    "max_messages_per_minute": self._config.limit("rate_limit"),
                },
            }
        )

    async def handle_text(self, text: str) -> None:
        """Reply to one client text frame; a rate-limited frame is not even parsed."""
        now = time.monotonic()
        while self._accepted and now - self._accepted[0] >= RATE_WINDOW_S:
            self._accepted.popleft()
        limit = self._config.limit("rate_limit")
        if limit and len(self._accepted) >= limit:
            limited = Rejection(P.RATE_LIMITED, "Too many messages: slow down.", None)
            if self._config.has(D.RATE_LIMIT_AFTER_PARSE):
                first = parse_frame(
                    text, defects=self._config.defects, now=time.time(), liberties=self.liberties
                )
                if not first.is_json and isinstance(first.outcome, Rejection):
                    limited = first.outcome
            await self._send_error(limited)
            return
        self._accepted.append(now)
        received_at = time.time()
        text = self._config.dialect.client_text(text)
        parsed = parse_frame(
            text, defects=self._config.defects, now=received_at, liberties=self.liberties
        )
        self._count(parsed.is_json, parsed.type_name)
        outcome = parsed.outcome
        if isinstance(outcome, Rejection):
            if outcome.error_code == P.FORMAT_ERROR and self._config.has(D.SWALLOW_BAD_JSON):
                return
            if outcome.error_code == P.INVALID_PAYLOAD and self._config.has(
                D.THREAD_CHECK_BEFORE_PAYLOAD
            ):
                outcome = self._thread_checked_first(text, outcome)
            if outcome.error_code == P.UNKNOWN_TYPE and self._config.dialect.unknown_type_acked:
                await self._ack_unknown(text, outcome)
                return
            await self._send_error(outcome)
            if outcome.error_code == P.INVALID_TIMESTAMP and self._config.has(
                D.REJECTED_TIMESTAMP_STARTS_RUN
            ):
                await self._run_despite_rejection(text, received_at)
        elif outcome.type == P.PING:
            pong = {
                "type": P.PONG,
                "message_id": outcome.message_id,
                "client_timestamp": self._number(outcome.client_timestamp),
            }
            if self._config.has(D.NO_PONG):
                return
            if self._late_pongs():
                # Replies are matched by message_id: a pong may come after later replies.
                self._start_late(pong)
                return
            await self._sender.send(pong)
            if self._config.has(D.DROP_WITHOUT_CLOSE):
                self._websocket.transport.close()  # TCP ends: no close frame, no handshake
        elif outcome.type == P.GET_THREAD_HISTORY:
            await self._reply_history(outcome)
        else:
            await self._start_agent(outcome, received_at)

    def _late_pongs(self) -> bool:
        liberties = self.liberties
        return liberties is not None and liberties.late_pongs and not self._config.dialect.by_order

    def _start_late(self, frame: dict[str, Any]) -> None:
        """Send `frame` a few milliseconds from now, after whatever is sent meanwhile."""
        assert self.liberties is not None
        delay = self.liberties.rng.choice((0.001, 0.003, 0.008))

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await self._sender.send(frame)
            except ConnectionClosed:
                return

        task = asyncio.get_running_loop().create_task(later())
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _ack_unknown(self, text: str, rejection: Rejection) -> None:
        """A dialect that acknowledges unknown types: an ack without a run, nothing started."""
        type_name = json.loads(text).get("type")
        await self._sender.send(
            {"type": P.ACK, "message_id": rejection.message_id, "received_type": type_name}
        )

    async def send_oversize_error(self, error_code: str, limit: int) -> None:
        """A dialect whose oversize frames get an error: the frame is not processed."""
        await self._send_error(
            Rejection(error_code, f"The message is larger than {limit} bytes.", None)
        )

    def _count(self, is_json: bool, type_name: str | None) -> None:
        """Count a parsed frame in /stats (`stats-drift` forgets pings)."""
        if not is_json:
            return
        if type_name == P.PING and self._config.has(D.STATS_DRIFT):
            return
        stats = self._state.stats(self.user_id)
        stats.messages_routed += 1
        if type_name is not None:
            stats.message_types[type_name] += 1

    def _launch(self, context: RunContext) -> None:
        """Start a run (`stuck-after-error`: none after an error frame on the connection)."""
        if self._errored and self._config.has(D.STUCK_AFTER_ERROR):
            return
        self._start_run(AgentRun(context, self._config, self._state))

    async def _send_error(self, rejection: Rejection) -> None:
        self._errored = True
        self._state.stats(self.user_id).errors[rejection.error_code] += 1
        message = rejection.message
        if self.liberties is not None:
            message = self.liberties.error_message(rejection.error_code, message)
        await self._sender.send(
            {
                "type": P.ERROR,
                "error_code": rejection.error_code,
                "message": message,
                "message_id": rejection.message_id,
            }
        )

    def _thread_checked_first(self, text: str, rejection: Rejection) -> Rejection:
        """`thread-check-before-payload`: another user's thread_id decides before the payload."""
        payload = json.loads(text).get("payload")
        thread_id = payload.get("thread_id") if isinstance(payload, dict) else None
        thread = self._state.threads.get(thread_id) if isinstance(thread_id, str) else None
        if thread is None or thread.owner == self.user_id:
            return rejection
        return Rejection(
            P.THREAD_ACCESS_DENIED, "The thread belongs to another user.", rejection.message_id
        )

    async def _run_despite_rejection(self, text: str, received_at: float) -> None:
        """`rejected-timestamp-starts-run`: an agent request whose timestamp was rejected is
        run anyway, as if it had none; its error stays its only direct reply (no ack)."""
        document = json.loads(text)
        document.pop("timestamp", None)
        frame = parse_frame(json.dumps(document), defects=self._config.defects, now=received_at)
        accepted = frame.outcome
        if not isinstance(accepted, Accepted) or accepted.content is None:
            return
        thread_id = accepted.thread_id or self._new_id("t")
        thread = self._state.threads.setdefault(thread_id, Thread(thread_id, self.user_id))
        if thread.owner != self.user_id:
            return
        run_id = self._run_id()
        self._state.stats(self.user_id).runs_started += 1
        context = RunContext(self, thread, run_id, accepted.message_id, accepted.content)
        self._launch(context)

    def _owned_thread(self, thread_id: str, message_id: str) -> Thread | Rejection:
        """The thread if this user owns it; a rejection if it is someone else's or unknown."""
        thread = self._state.threads.get(thread_id)
        if thread is None:
            return Rejection(P.THREAD_NOT_FOUND, "No such thread.", message_id)
        if thread.owner != self.user_id:
            return Rejection(
                P.THREAD_ACCESS_DENIED, "The thread belongs to another user.", message_id
            )
        return thread

    async def _reply_history(self, frame: Accepted) -> None:
        assert frame.thread_id is not None
        thread = self._owned_thread(frame.thread_id, frame.message_id)
        if isinstance(thread, Rejection):
            await self._send_error(thread)
            return
        entries = thread.entries
        if self._config.has(D.HISTORY_LOST_ON_RECONNECT):
            entries = [e for e in entries if e.connection_id == self.connection_id]
        await self._sender.send(
            {
                "type": P.THREAD_HISTORY,
                "message_id": frame.message_id,
                "thread_id": thread.thread_id,
                "messages": [entry.to_json() for entry in entries],
            }
        )

    async def _start_agent(self, frame: Accepted, received_at: float) -> None:
        """Ack the message, record it in its thread, then start the run (after the ack is sent)."""
        assert frame.content is not None
        thread_id = frame.thread_id or self._new_id("t")
        thread = self._state.threads.get(thread_id)
        if thread is None:
            thread = self._state.threads[thread_id] = Thread(thread_id, self.user_id)
        elif thread.owner != self.user_id and not (
            frame.type == P.START_AGENT and self._config.has(D.START_AGENT_IGNORES_OWNER)
        ):
            await self._send_error(
                Rejection(
                    P.THREAD_ACCESS_DENIED, "The thread belongs to another user.", frame.message_id
                )
            )
            return
        timestamp = frame.client_timestamp if frame.client_timestamp is not None else received_at
        if self._config.has(D.HISTORY_NULL_TIMESTAMP):
            # No fallback to the receive time: a frame without a timestamp is stored with None.
            timestamp = cast(float, frame.client_timestamp)
        content = frame.content
        if self._config.has(D.HISTORY_CONTENT_STRIPPED):
            content = content.strip()
        thread.entries.append(HistoryEntry("user", content, timestamp, self.connection_id))
        run_id = self._run_id()
        self._state.stats(self.user_id).runs_started += 1
        if self._config.has(D.NO_ACK):
            context = RunContext(self, thread, run_id, frame.message_id, frame.content)
            self._launch(context)
            return
        await self._sender.send(
            {
                "type": P.ACK,
                "message_id": frame.message_id,
                "received_type": frame.type,
                "client_timestamp": self._number(frame.client_timestamp),
                "run_id": run_id,
                "thread_id": thread_id,
            }
        )
        context = RunContext(self, thread, run_id, frame.message_id, frame.content)
        self._launch(context)
