"""An authenticated WebSocket client for suites: records every frame, every wait has a deadline.

The client composes its parts, one job each: opening the connection (harness.wire.opener),
buffered frame I/O (harness.wire.frame_io), translation through the target's profile
(harness.wire.translation), what must still arrive and the cause key of each wait
(harness.wire.pending), and how the connection ended (harness.wire.ending). A test's
connection is opened by harness.wire.connect.open_client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from harness.errors import CheckFailed, Deviation
from harness.wire import protocol as P
from harness.wire.causes import Cause, CauseWatch
from harness.wire.ending import Ending, close_text, closed_code, diagnose
from harness.wire.frame_io import Frame, FrameBuffer
from harness.wire.guard import NO_GUARD, RuleGuard
from harness.wire.opener import TargetRefused
from harness.wire.pending import (
    CLOSE_KEY,
    Deadlines,
    Pending,
    Slot,
    closed_while,
    event_key,
    label,
    reply_key,
    sent_frame,
    slot_of,
    undeclared_close,
)
from harness.wire.profile import Profile
from harness.wire.socketio_conn import SocketIOConnection
from harness.wire.transcript import Transcript
from harness.wire.translation import Translation, parse_frame, type_of

# What suites, the runner and the benchmarks import from here; the parts hold the rest.
__all__ = ["ABSENT", "DEFAULT_WITHIN", "Client", "TargetRefused", "User", "close_text", "is_close"]

DEFAULT_WITHIN: Final = 5.0


class _Absent:
    """Marks an argument that was not given (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

# The number of each connection a test opens (transcripts name it), in this process.
conn_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class User:
    """A synthetic user: its id (the token's `sub`) and its token."""

    id: str
    token: str


class Client:
    """One WebSocket connection of a suite test; `async with` closes it on exit (as `close`)."""

    def __init__(
        self,
        ws: ClientConnection | SocketIOConnection,
        user: User | None,
        transcript: Transcript,
        conn: int,
        *,
        causes: CauseWatch | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.user = user
        self.conn = conn
        self.profile = profile  # the target's dialect (None: chat-agent/1 as written)
        self.established: dict[str, Any] | None = None
        self.setup_values: dict[str, Any] = {}  # what the profile's set-up calls saved
        # Which of the test's rules the target's profile lets it check (set by the
        # harness's `connect` fixture; see harness.run.checks).
        self.checks: RuleGuard = NO_GUARD
        self._ws = ws
        self._transcript = transcript
        # The target's dialect: frames are encoded and decoded through its codec. With
        # correlation by order (replies echo no message id), each direct reply answers the
        # oldest unanswered frame, and its canonical form carries that frame's message_id;
        # the rules about echoed ids need `message_id_echo` and are not applicable there.
        self._dialect = Translation(profile)
        self.envelope = self._dialect.envelope
        self._pending = Pending(self._dialect.by_order)
        self._deadlines = Deadlines(causes, transcript)
        self._ending = Ending()
        self._end_seen = False
        self._io = FrameBuffer(ws, self._received, self._ended)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server selected, if any."""
        return self._ws.subprotocol

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side)."""
        return self._io.closed

    @property
    def frames(self) -> list[dict[str, Any]]:
        """Every frame received, in order (canonical; consumed or not)."""
        return self._io.frames

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame once closed (None: none, or still open)."""
        return self._ending.close_code

    @property
    def oversize(self) -> bool:
        """True when the harness closed because the target's frame passed MAX_RECEIVED_BYTES."""
        return self._ending.oversize

    @property
    def violation(self) -> str | None:
        """What the target sent that ended the connection below the JSON level, if anything."""
        return self._ending.violation

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _received(self, message: str | bytes) -> Frame | None:
        """A received message as a frame, kept in the transcript and struck off what is due;
        None for a notice the profile declares, which is kept in the transcript only."""
        if isinstance(message, bytes):
            frame: Frame = {"__binary__": message.hex()[:200]}
            self._transcript.add("recv", size=len(message), data="<binary>", conn=self.conn)
        else:
            raw = parse_frame(message)
            notice = self._dialect.notice(raw)
            if notice is not None:
                self._transcript.add(
                    "recv",
                    frame_type=f"notice:{notice}",
                    size=len(message.encode()),
                    data=message,
                    conn=self.conn,
                )
                return None
            frame = self._dialect.decode(raw)
            if self._transcript.keeps:
                self._transcript.add(
                    "recv",
                    frame_type=type_of(frame),
                    size=len(message.encode()),
                    data=message,
                    conn=self.conn,
                )
        self._pending.received(frame)
        return frame

    def _ended(self) -> None:
        ws = self._ws
        if isinstance(ws, SocketIOConnection):
            self._ending = ws.ending(self._io.aborted)
        else:
            self._ending = diagnose(ws, self._io.aborted)
        self._transcript.add(
            "close",
            close_code=self._ending.close_code,
            data=self._ending.reason if self._ending.reason is not None else "no close frame",
            conn=self.conn,
        )

    async def send(self, frame: Mapping[str, Any]) -> None:
        """Send one canonical JSON text frame (in the target's dialect: its profile's wire form)."""
        try:
            text = json.dumps(frame, allow_nan=False)
        except ValueError:  # NaN or Infinity in it: a text that is not JSON, as written
            await self.send_raw(json.dumps(frame, allow_nan=True))
            return
        if isinstance(frame, dict) and self._dialect.outgoing(text) is text:
            # Sent as written: its claim on a reply is read from the frame, not parsed back.
            self._pending.sent = True
            await self._send_text(text, frame, slot_of(frame))
            return
        await self.send_raw(text)

    async def send_raw(self, data: str | bytes) -> None:
        """Send a raw text (str) or binary (bytes) frame.

        A text that is a canonical JSON object is sent in the target's envelope when its
        dialect names the envelope's fields otherwise; any other text goes as written.
        """
        self._pending.sent = True
        data = self._dialect.outgoing(data)
        if isinstance(data, bytes):
            self._transcript.add("send", size=len(data), data="<binary>", conn=self.conn)
            await self._write(data)
        else:
            parsed, slot = sent_frame(data)
            await self._send_text(data, parsed, slot)

    async def _send_text(self, data: str, parsed: Mapping[str, Any], slot: Slot) -> None:
        """Send a text frame: noted in the transcript, owed its direct reply."""
        if self._transcript.keeps:
            self._transcript.add(
                "send",
                frame_type=type_of(parsed),
                size=len(data.encode()),
                data=data,
                conn=self.conn,
            )
        self._pending.sent_text(slot)
        await self._write(data)

    async def _write(self, data: str | bytes) -> None:
        try:
            await self._io.send(data, DEFAULT_WITHIN)
        except ConnectionClosed as exc:
            self._end_seen = True
            raise CheckFailed(
                "sending a frame",
                expected="an open connection",
                observed=f"connection closed: {close_text(closed_code(exc))}",
                frames=self._transcript.export(),
                deviation=undeclared_close(closed_code(exc), self.profile),
            ) from None
        except TimeoutError:
            raise CheckFailed(
                "sending a frame",
                expected=f"the frame accepted within {DEFAULT_WITHIN:g} s",
                observed="the target stopped reading",
            ) from None

    async def request(
        self,
        type: str,
        payload: Any = ABSENT,
        *,
        message_id: str | None = None,
        timestamp: Any = ABSENT,
        extra: Mapping[str, Any] | None = None,
        within: float = DEFAULT_WITHIN,
    ) -> dict[str, Any]:
        """Send a frame of `type` and return its direct reply (pong, ack, thread_history, error)."""
        mid = message_id if message_id is not None else f"m-{uuid.uuid4().hex[:12]}"
        frame: dict[str, Any] = {"type": type, "message_id": mid}
        frame["payload"] = {} if payload is ABSENT else payload
        if timestamp is not ABSENT:
            frame["timestamp"] = timestamp
        frame.update(extra or {})
        await self.send(frame)
        return await self._take(
            lambda f: f.get("type") in P.DIRECT_REPLIES and f.get("message_id") == mid,
            within,
            f"a direct reply ({'/'.join(P.DIRECT_REPLIES)}) with message_id {mid!r} to {type!r}",
            reply_key(label(type)),
        )

    async def recv(self, within: float = DEFAULT_WITHIN) -> dict[str, Any]:
        """The next frame; CheckFailed on timeout or close."""
        return await self._take(lambda f: True, within, "a frame", self._awaited())

    async def expect(
        self, type: str, *, within: float = DEFAULT_WITHIN, **fields: Any
    ) -> dict[str, Any]:
        """The next frame of `type` whose top-level fields equal `fields`."""

        def match(frame: dict[str, Any]) -> bool:
            return frame.get("type") == type and all(
                frame.get(k, ABSENT) == v for k, v in fields.items()
            )

        wanted = type if not fields else f"{type} with {fields!r}"
        return await self._take(match, within, f"a {wanted} frame", self._awaited(type))

    async def collect_run(
        self, run_id: str | None = None, *, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """The agent events of one run, up to and including its first terminal event."""
        deadline = time.monotonic() + within
        events: list[dict[str, Any]] = []
        wanted = run_id
        while True:
            remaining = deadline - time.monotonic()

            def match(frame: dict[str, Any], wanted: str | None = wanted) -> bool:
                return frame.get("type") in P.AGENT_EVENTS and (
                    wanted is None or frame.get("run_id") == wanted
                )

            event = await self._take(
                match,
                remaining,
                f"the agent events of run {wanted or '(first)'} up to "
                f"{' or '.join(P.TERMINAL_EVENTS)} (got {[e.get('type') for e in events]})",
                event_key([e.get("type") for e in events]),
            )
            events.append(event)
            if wanted is None:
                wanted = event.get("run_id")
            if event.get("type") in P.TERMINAL_EVENTS:
                return events

    async def quiet(self, within: float = 0.3) -> list[dict[str, Any]]:
        """Wait out the window, then return (and consume) every unconsumed frame."""
        await asyncio.sleep(within)
        return await self._io.take_all()

    async def wait_closed(self, within: float = DEFAULT_WITHIN) -> int | None:
        """Wait for the server to close; return the close code it sent (None: no close frame)."""
        key = CLOSE_KEY
        known, limit = self._deadlines.limit(key, within)
        try:
            await self._io.wait_closed(limit)
        except TimeoutError:
            raise self._deadlines.timed_out(
                key,
                "waiting for the server to close the connection",
                "a close",
                within,
                limit,
                known,
                "the connection is still open",
            ) from None
        self._end_seen = True
        return self.close_code

    async def close(self, code: int = P.CLOSE_NORMAL) -> None:
        """Close from the client side (bounded by the connection's close timeout)."""
        await self._io.close(code, DEFAULT_WITHIN)

    def end_failure(self) -> str | None:
        """Why the connection's end fails the test (close 1011, no close frame); None if clean."""
        return self._ending.failure(self._end_seen) if self.closed else None

    async def consume(
        self,
        handler: Callable[[dict[str, Any]], bool],
        wanted: str,
        within: float = DEFAULT_WITHIN,
    ) -> None:
        """Hand every frame, in order (those not consumed yet first), to `handler` until it
        returns True; each frame it sees is consumed. CheckFailed (`wanted`: what it waits
        for) as `recv` fails: on timeout, on close, on a frame the dialect cannot read.

        One wait for a whole exchange (a crowd's conversation), not one a frame. Its
        deadline is that of what the connection awaits when it starts (`recv`'s); a timeout
        is recorded under what it awaits when the deadline passes."""
        key = self._awaited()
        known, limit = self._deadlines.limit(key, within)
        try:
            finished = await self._io.consume(handler, limit, self._undecodable)
        except TimeoutError:
            now = self._awaited()
            if now != key:
                known = self._deadlines.limit(now, within)[0]
            raise self._timed_out(now, wanted, within, limit, known) from None
        self._check_decodable()
        if not finished:
            raise self._closed_while(key, wanted)

    async def _take(
        self,
        match: Callable[[dict[str, Any]], bool],
        within: float,
        wanted: str,
        key: str,
    ) -> dict[str, Any]:
        known, limit = self._deadlines.limit(key, within)
        try:
            found = await self._io.take(match, limit, self._undecodable)
        except TimeoutError:
            raise self._timed_out(key, wanted, within, limit, known) from None
        self._check_decodable()
        if found is not None:
            return found
        raise self._closed_while(key, wanted)

    def _undecodable(self) -> bool:
        return self._dialect.undecodable is not None

    def _timed_out(
        self, key: str, wanted: str, within: float, limit: float, known: Cause | None
    ) -> CheckFailed:
        return self._deadlines.timed_out(
            key,
            "waiting for the target",
            wanted,
            within,
            limit,
            known,
            f"nothing matching; unconsumed frames: {self._summary()}",
        )

    def _check_decodable(self) -> None:
        """CheckFailed when a frame the target sent breaks its dialect."""
        bad = self._dialect.undecodable
        if bad is not None:
            why = f"a frame the target sent breaks its dialect ({bad['rule']}): "
            why += str(bad["__undecodable__"])
            raise CheckFailed(
                why,
                expected="a frame of the profile's dialect",
                observed=bad["raw"],
                frames=self._transcript.export(),
                deviation=Deviation(f"undecodable:{bad['rule']}", why, (bad["rule"],)),
            )

    def _closed_while(self, key: str, wanted: str) -> CheckFailed:
        """The failure of a wait that the connection's close ended."""
        self._end_seen = True
        return CheckFailed(
            "waiting for the target",
            expected=wanted,
            observed=f"connection closed: {self._ending.closed_text()}; "
            f"unconsumed frames: {self._summary()}",
            frames=self._transcript.export(),
            deviation=closed_while(key, self._ending, self.profile),
        )

    def _awaited(self, type: str | None = None) -> str:
        """The cause key of a wait for the next frame (of `type`), from what must still come."""
        return self._pending.awaited(type, bool(self.frames))

    def _summary(self) -> str:
        types = [type_of(f) for f in self._io.unconsumed()]
        return repr(types[:10]) + (f" (+{len(types) - 10} more)" if len(types) > 10 else "")


def is_close(a: object, b: float, tol: float = P.TIMESTAMP_TOLERANCE_S) -> bool:
    """True when `a` is a real number (not a bool) within `tol` of `b`."""
    return (
        isinstance(a, int | float)
        and not isinstance(a, bool)
        and math.isfinite(a)
        and abs(a - b) <= tol
    )
