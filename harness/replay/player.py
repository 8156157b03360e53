"""Replaying a capture against a target: every recorded connection again, for fresh users.

Client events (opens, frames, closes) are replayed in the capture's order across
connections. Causal pacing, the default, sends each client event once the server
frames recorded before it have arrived on every connection (matched by type), or
a deadline passes; timed pacing keeps the recorded gaps, divided by `speed`.
Each recorded user becomes a fresh synthetic user and each client-chosen thread
id a fresh one, consistently; a connection whose recording was refused with
AUTH_FAILED is replayed with an invalid token, so the refusal is reproduced.
A connection opens as harness/replay/opening.py says: over the capture's transport
(a socket.io capture through the harness's socket.io client), after the profile's
set-up calls.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from websockets.exceptions import ConnectionClosed

from harness.replay.capture import Capture, CaptureEvent
from harness.replay.conformance import ConnectionRecord, Mismatch, VolatileMap, judge_connection
from harness.replay.opening import (
    OPEN_WITHIN_S,
    NotOpened,
    Opened,
    check_transport,
    close_as_recorded,
    closed_with,
    open_replayed,
)
from harness.replay.recorded import (
    NewUser,
    Substitutions,
    decode_text,
    is_notice,
    recorded_connections,
)
from harness.wire import protocol as P
from harness.wire.codec import Codec
from harness.wire.profile import Profile
from harness.wire.transcript import Transcript
from harness.wire.translation import Translation

PACINGS: Final = ("causal", "timed")
STEP_WITHIN_S: Final = 5.0  # the most a causal step waits for the frames recorded before it
AFTER_MISS_WITHIN_S: Final = 0.5  # once a connection missed a frame, later steps wait this long
INVALID_TOKEN: Final = "invalid.replayed.token"


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How to pace a replay."""

    pacing: str = "causal"
    speed: float = 1.0
    step_within_s: float = STEP_WITHIN_S


@dataclass
class _Live:
    """One replayed connection while it runs."""

    conn: int
    ws: Opened | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    close_code: int | None = None
    closed: bool = False
    missed: bool = False
    problem: str | None = None
    reader: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    notices: Translation | None = None  # the profile's declared notices, skipped


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """One connection of a capture: what was recorded, what the replay saw, the first mismatch."""

    conn: int
    recorded: ConnectionRecord
    replayed: ConnectionRecord
    mismatch: Mismatch | None
    raw_replayed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """A whole capture replayed: per connection, and the first mismatch of all."""

    capture: str
    connections: tuple[ConnectionResult, ...]

    @property
    def first_mismatch(self) -> Mismatch | None:
        """The mismatch of the lowest connection number, or None when the replay matches."""
        found = [c.mismatch for c in self.connections if c.mismatch is not None]
        return found[0] if found else None


class Player:
    """Replays one capture against a target's WebSocket URL."""

    def __init__(
        self,
        capture: Capture,
        ws_url: str,
        profile: Profile,
        new_user: NewUser,
        options: ReplayOptions = ReplayOptions(),
        transcript: Transcript | None = None,
    ) -> None:
        check_transport(capture, profile)
        self.capture = capture
        self._transcript = transcript
        self.profile = profile
        self.codec = Codec(profile)
        self._ws_url = ws_url
        self._subs = Substitutions(new_user)
        self._options = options
        self._recorded = recorded_connections(capture, self.codec, profile)
        self._live: dict[int, _Live] = {}

    async def run(self) -> ReplayResult:
        """Replay every connection, then judge each against its recording."""
        t0 = time.monotonic()
        expected = self._expected_counts()
        try:
            for position, event in enumerate(self.capture.events):
                if event.dir != "client":
                    continue
                if self._options.pacing == "timed":
                    delay = event.t / self._options.speed - (time.monotonic() - t0)
                    if delay > 0:
                        await asyncio.sleep(delay)
                if self._options.pacing == "causal" or event.kind == "close":
                    # Timed pacing keeps the gaps, but a close never cuts short what the
                    # recording received before it.
                    await self._await_counts(expected[position])
                await self._perform(event)
            await self._await_counts(expected[len(self.capture.events)])
            await self._finish()
        finally:
            for live in self._live.values():
                await self._close(live)
        return self._judge()

    def _expected_counts(self) -> list[dict[int, Counter[str]]]:
        """Before each event index: the recorded server frame types per connection so far."""
        counts: dict[int, Counter[str]] = {}
        out = []
        decoded = {conn: iter(rec.frames) for conn, rec in self._recorded.items()}
        # The notices the profile declares are not among the recorded frames: skip them
        # as recorded_connections does, connection by connection.
        notices: dict[int, Translation] = {}
        for event in self.capture.events:
            out.append({conn: Counter(c) for conn, c in counts.items()})
            if event.dir == "server" and event.kind in ("text", "binary"):
                said = notices.setdefault(event.conn, Translation(self.profile))
                if event.kind == "text" and is_notice(said, event.data):
                    continue
                frame = next(decoded[event.conn])
                counts.setdefault(event.conn, Counter())[str(frame.get("type"))] += 1
        out.append({conn: Counter(c) for conn, c in counts.items()})
        return out

    async def _await_counts(self, wanted: Mapping[int, Counter[str]]) -> None:
        for conn, counts in wanted.items():
            live = self._live.get(conn)
            if live is None or live.ws is None:
                continue
            within = AFTER_MISS_WITHIN_S if live.missed else self._options.step_within_s
            deadline = time.monotonic() + within
            while not live.closed and any(live.counts[t] < n for t, n in counts.items()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    live.missed = True
                    break
                live.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(live.changed.wait(), remaining)

    async def _perform(self, event: CaptureEvent) -> None:
        if event.kind == "open":
            await self._open(event)
            return
        live = self._live.get(event.conn)
        if live is None or live.ws is None or live.closed:
            return  # the replayed connection is gone already: the judge names what differed
        try:
            if event.kind == "text":
                text = self._subs.text(event.data)
                self._note("send", event.conn, text)
                await asyncio.wait_for(live.ws.send(text), OPEN_WITHIN_S)
            elif event.kind == "binary":
                await asyncio.wait_for(live.ws.send(base64.b64decode(event.data)), OPEN_WITHIN_S)
            elif event.kind == "close":
                code = event.code if event.code is not None else P.CLOSE_NORMAL
                await asyncio.wait_for(
                    close_as_recorded(live.ws, code, event.reason), OPEN_WITHIN_S
                )
        except (ConnectionClosed, TimeoutError):
            pass

    async def _open(self, event: CaptureEvent) -> None:
        live = _Live(event.conn)
        self._live[event.conn] = live
        recorded = self._recorded[event.conn]
        welcome = next(
            (f for f in recorded.frames if f.get("type") == P.CONNECTION_ESTABLISHED), None
        )
        refused = any(
            f.get("type") == P.ERROR and f.get("error_code") == P.AUTH_FAILED
            for f in recorded.frames
        )
        user_id, token = self._subs.user(welcome.get("user_id") if welcome else None)
        if refused:
            token = INVALID_TOKEN
        try:
            live.ws = await open_replayed(
                event,
                self._ws_url,
                self.profile,
                (user_id, token),
                self.capture.header.transport,
                self._transcript,
            )
        except NotOpened as failed:
            if failed.frame is not None:
                frame = decode_text(self.codec, json.dumps(failed.frame))
                live.frames.append(frame)
                live.counts[str(frame.get("type"))] += 1
            else:
                live.problem = failed.problem
            live.closed = True
            return
        live.reader = asyncio.create_task(self._read(live))

    def _note(self, direction: str, conn: int, text: str) -> None:
        """Keep the raw wire frame in the test's transcript (the evidence of a divergence)."""
        if self._transcript is None:
            return
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError):
            kind = None
        self._transcript.add(
            direction,
            frame_type=kind if isinstance(kind, str) else None,
            size=len(text.encode()),
            data=text,
            conn=conn,
        )

    async def _read(self, live: _Live) -> None:
        assert live.ws is not None
        try:
            async for message in live.ws:
                if isinstance(message, bytes):
                    frame: dict[str, Any] = {
                        "type": "<binary>",
                        "data": base64.b64encode(message).decode("ascii"),
                    }
                else:
                    live.raw.append(message)
                    self._note("recv", live.conn, message)
                    if live.notices is None:
                        live.notices = Translation(self.profile)
                    if is_notice(live.notices, message):
                        continue
                    frame = decode_text(self.codec, message)
                live.frames.append(frame)
                live.counts[str(frame.get("type"))] += 1
                live.changed.set()
        except ConnectionClosed:
            pass
        finally:
            live.close_code, reason = closed_with(live.ws)
            if self._transcript is not None:
                self._transcript.add(
                    "close", close_code=live.close_code, data=reason, conn=live.conn
                )
            live.closed = True
            live.changed.set()

    async def _finish(self) -> None:
        """Wait (bounded) for the closes the recording saw from the server."""
        for conn, record in self._recorded.items():
            live = self._live.get(conn)
            if live is None or live.ws is None or not record.close_known:
                continue
            server_closed = any(
                e.conn == conn and e.kind == "close" and e.dir == "server"
                for e in self.capture.events
            )
            if server_closed and not live.closed and live.reader is not None:
                within = AFTER_MISS_WITHIN_S if live.missed else self._options.step_within_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(live.reader), within)

    async def _close(self, live: _Live) -> None:
        if live.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(live.ws.close(), OPEN_WITHIN_S)
        if live.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(live.reader), OPEN_WITHIN_S)
            live.reader.cancel()

    def _judge(self) -> ReplayResult:
        values = VolatileMap()
        volatile = self.capture.header.volatile
        results = []
        for conn, recorded in sorted(self._recorded.items()):
            live = self._live.get(conn, _Live(conn))
            replayed = ConnectionRecord(conn, list(live.frames), live.close_code)
            mismatch = None
            if live.problem is not None and recorded.frames:
                mismatch = Mismatch(conn, 0, "connection", "opened", live.problem)
            else:
                mismatch = judge_connection(
                    recorded, replayed, volatile, values, self.capture.header.collapse
                )
            results.append(ConnectionResult(conn, recorded, replayed, mismatch, tuple(live.raw)))
        return ReplayResult(self.capture.path, tuple(results))
