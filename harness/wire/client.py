"""An authenticated WebSocket client for suites: records every frame, every wait has a deadline."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.causes import SHORT_WITHIN_S, Cause, CauseWatch
from harness.wire.codec import DecodeError, codec_of, rewrite_object_text
from harness.wire.opener import TRANSPORTS as TRANSPORTS
from harness.wire.opener import HandshakeFailed, open_websocket, place_token
from harness.wire.profile import Profile
from harness.wire.transcript import Transcript

DEFAULT_WITHIN: Final = 5.0
MAX_LABEL_CHARS: Final = 40


class _Absent:
    """Marks an argument that was not given (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

_conn_ids = itertools.count(1)


class TargetRefused(CheckFailed):
    """The target refused or reset a new connection: a failure of the target in a test.

    Only preflight, before any test runs, reads it as "the target is unreachable".
    """


@dataclass(frozen=True, slots=True)
class User:
    """A synthetic user: its id (the token's `sub`) and its token."""

    id: str
    token: str


class Client:
    """One WebSocket connection of a suite test."""

    def __init__(
        self,
        ws: ClientConnection,
        user: User | None,
        transcript: Transcript,
        conn: int,
        *,
        causes: CauseWatch | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.user = user
        # The target's dialect: frames are encoded and decoded through its codec. With
        # correlation by order (replies echo no message id), each direct reply answers the
        # oldest unanswered frame, and its canonical form carries that frame's message_id;
        # the rules about echoed ids need `message_id_echo` and are not applicable there.
        self._codec: Any = codec_of(profile) if profile is not None else None
        if self._codec is not None and getattr(self._codec, "identity", False):
            self._codec = None
        self._by_order = profile.by_order if profile is not None else False
        self._undecodable: dict[str, Any] | None = None
        client_fields = profile.section("client") if profile is not None else {}
        self.envelope: tuple[str, str, str] = (
            client_fields.get("type_field", "type"),
            client_fields.get("message_id_field", "message_id"),
            client_fields.get("payload_field", "payload"),
        )
        self.established: dict[str, Any] | None = None
        self.frames: list[dict[str, Any]] = []
        self.conn = conn
        self._ws = ws
        self._transcript = transcript
        self._causes = causes
        self._buffer: list[dict[str, Any]] = []
        self._cond = asyncio.Condition()
        self._closed = False
        self.close_code: int | None = None
        # What the protocol says must still come: a direct reply to each text frame sent
        # (message_id or None, what was sent), and the events of each acked run until it ends.
        self._unanswered: list[tuple[str | None, str]] = []
        self._runs: dict[str, list[str]] = {}
        self._sent = False
        self._dropped = False
        self._aborted = False
        self._end_seen = False
        self.oversize = False
        self.violation: str | None = None
        self._reader = asyncio.create_task(self._read())

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server selected, if any."""
        return self._ws.subprotocol

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side)."""
        return self._closed

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, bytes):
                    frame: dict[str, Any] = {"__binary__": message.hex()[:200]}
                    self._transcript.add("recv", size=len(message), data="<binary>", conn=self.conn)
                else:
                    frame = self._decode(_parse(message))
                    self._transcript.add(
                        "recv",
                        frame_type=_type_of(frame),
                        size=len(message.encode()),
                        data=message,
                        conn=self.conn,
                    )
                self._track_received(frame)
                async with self._cond:
                    self.frames.append(frame)
                    self._buffer.append(frame)
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            rcvd = self._ws.protocol.close_rcvd
            self.close_code = rcvd.code if rcvd is not None else None
            # The harness closes with 1009 only when the target's frame passed the bound.
            # (A 1009 the harness only echoed, the server having closed first, is the server's.)
            sent = self._ws.protocol.close_sent
            echoed = bool(self._ws.protocol.close_rcvd_then_sent)
            self.oversize = sent is not None and sent.code == P.CLOSE_MESSAGE_TOO_BIG and not echoed
            self.violation = None if echoed else framing_violation(self._ws)
            # No close frame, and not because the harness gave up on a close handshake.
            self._dropped = rcvd is None and not (
                self._aborted or isinstance(self._ws.connection_exc, TimeoutError)
            )
            self._transcript.add(
                "close",
                close_code=self.close_code,
                data=rcvd.reason if rcvd is not None else "no close frame",
                conn=self.conn,
            )
            async with self._cond:
                self._closed = True
                self._cond.notify_all()

    def _decode(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The canonical form of a received frame; an undecodable one is kept as such."""
        if self._codec is None or any(k.startswith("__") for k in frame):
            return frame
        try:
            decoded: dict[str, Any] = self._codec.decode(frame)
        except DecodeError as exc:
            failed = {"__undecodable__": exc.reason, "raw": exc.raw}
            if self._undecodable is None:
                self._undecodable = failed
            return failed
        return decoded

    async def send(self, frame: Mapping[str, Any]) -> None:
        """Send one canonical JSON text frame (in the target's dialect: its profile's wire form)."""
        await self.send_raw(json.dumps(frame, allow_nan=True))

    async def send_raw(self, data: str | bytes) -> None:
        """Send a raw text (str) or binary (bytes) frame.

        A text that is a canonical JSON object is sent in the target's envelope when its
        dialect names the envelope's fields otherwise; any other text goes as written.
        """
        self._sent = True
        if isinstance(data, str) and self._codec is not None and not self._codec.client_identity:
            data = _in_dialect(self._codec, data)
        if isinstance(data, bytes):
            self._transcript.add("send", size=len(data), data="<binary>", conn=self.conn)
        else:
            parsed, slot = _sent_frame(data)
            self._transcript.add(
                "send",
                frame_type=_type_of(parsed),
                size=len(data.encode()),
                data=data,
                conn=self.conn,
            )
            self._unanswered.append(slot)
        try:
            # asyncio.timeout, not wait_for: no task (and no extra loop turns) per frame.
            async with asyncio.timeout(DEFAULT_WITHIN):
                await self._ws.send(data)
        except ConnectionClosed as exc:
            self._end_seen = True
            raise CheckFailed(
                "sending a frame",
                expected="an open connection",
                observed=f"connection closed: {close_text(_code(exc))}",
                frames=self._transcript.export(),
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
            _reply_key(_label(type)),
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
                _event_key([e.get("type") for e in events]),
            )
            events.append(event)
            if wanted is None:
                wanted = event.get("run_id")
            if event.get("type") in P.TERMINAL_EVENTS:
                return events

    async def quiet(self, within: float = 0.3) -> list[dict[str, Any]]:
        """Wait out the window, then return (and consume) every unconsumed frame."""
        await asyncio.sleep(within)
        async with self._cond:
            taken, self._buffer = self._buffer, []
        return taken

    async def wait_closed(self, within: float = DEFAULT_WITHIN) -> int | None:
        """Wait for the server to close; return the close code it sent (None: no close frame)."""
        key = CLOSE_KEY
        known, limit = self._limit(key, within)
        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(lambda: self._closed), limit)
        except TimeoutError:
            raise self._timed_out(
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
        if not self._closed:
            # Two turns of the event loop first: a target on this same loop (the harness's
            # own tests) reads and answers a frame sent just before, so that the close frame
            # does not overtake its reply (a 1011 after the test's last check).
            for _ in range(2):
                await asyncio.sleep(0)
        if not self._closed:
            await self._ws.close(code)
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), DEFAULT_WITHIN)
        except TimeoutError:
            self._aborted = True
            self._reader.cancel()

    def end_failure(self) -> str | None:
        """Why the connection's end fails the test (close 1011, no close frame); None if clean."""
        if not self._closed:
            return None
        when = "" if self._end_seen else " after the test's last check"
        if self.oversize:
            return OVERSIZE_TEXT + when
        if self.violation is not None:
            return self.violation + when
        if self.close_code == P.CLOSE_INTERNAL_ERROR:
            return (
                f"the server closed the connection with {P.CLOSE_INTERNAL_ERROR} "
                f"(internal error){when}"
            )
        if self._dropped:
            return f"the connection was dropped without a close frame{when}"
        return None

    def _limit(self, key: str, within: float) -> tuple[Cause | None, float]:
        """The cause already recorded for `key`, and how long to wait for it (short if known)."""
        known = self._causes.known(key) if self._causes is not None else None
        limit = min(within, SHORT_WITHIN_S) if known is not None else within
        return known, max(limit, 0.0)

    def _timed_out(
        self,
        key: str,
        what: str,
        wanted: str,
        within: float,
        limit: float,
        known: Cause | None,
        observed: str,
    ) -> CheckFailed:
        """The failure of a wait that timed out; records its cause, or names the known one."""
        frames = self._transcript.export()
        if known is not None and self._causes is not None:
            self._causes.met_again(known)
            return CheckFailed(
                f"same cause as {known.test}: {known.message}",
                expected=f"{wanted} within {limit:.3g} s (a known cause: short deadline)",
                observed=observed,
                frames=frames,
            )
        if self._causes is not None:
            self._causes.timed_out(key, describe_cause(key, within))
        return CheckFailed(
            what, expected=f"{wanted} within {within:.3g} s", observed=observed, frames=frames
        )

    async def _take(
        self,
        match: Callable[[dict[str, Any]], bool],
        within: float,
        wanted: str,
        key: str,
    ) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            if self._undecodable is not None:
                return True
            for i, frame in enumerate(self._buffer):
                if match(frame):
                    found.append(self._buffer.pop(i))
                    return True
            return self._closed

        known, limit = self._limit(key, within)
        try:
            async with self._cond, asyncio.timeout(limit):
                await self._cond.wait_for(ready)
        except TimeoutError:
            raise self._timed_out(
                key,
                "waiting for the target",
                wanted,
                within,
                limit,
                known,
                f"nothing matching; unconsumed frames: {self._summary()}",
            ) from None
        if self._undecodable is not None:
            bad = self._undecodable
            raise CheckFailed(
                f"a frame the target sent does not decode in its profile: {bad['__undecodable__']}",
                expected="a frame of the profile's dialect",
                observed=bad["raw"],
                frames=self._transcript.export(),
            )
        if found:
            return found[0]
        self._end_seen = True
        raise CheckFailed(
            "waiting for the target",
            expected=wanted,
            observed=f"connection closed: "
            f"{OVERSIZE_TEXT if self.oversize else self.violation or close_text(self.close_code)}; "
            f"unconsumed frames: {self._summary()}",
            frames=self._transcript.export(),
        )

    def _track_received(self, frame: dict[str, Any]) -> None:
        """Strike what a received frame answers off what must still come."""
        kind = frame.get("type")
        if kind in P.DIRECT_REPLIES:
            if self._by_order:
                # No message id on the wire: the reply answers the oldest unanswered frame.
                if self._unanswered:
                    frame.setdefault("message_id", self._unanswered.pop(0)[0])
            else:
                mid = frame.get("message_id")
                for i, (sent_id, _) in enumerate(self._unanswered):
                    if sent_id == mid:
                        del self._unanswered[i]
                        break
            run_id = frame.get("run_id")
            if kind == P.ACK and isinstance(run_id, str):
                self._runs.setdefault(run_id, [])
        elif kind in P.AGENT_EVENTS:
            events = self._runs.get(str(frame.get("run_id")))
            if events is not None:
                events.append(str(kind))
                if kind in P.TERMINAL_EVENTS:
                    del self._runs[str(frame.get("run_id"))]

    def _awaited(self, type: str | None = None) -> str:
        """The cause key of a wait for the next frame (of `type`), from what must still come."""
        if type in P.AGENT_EVENTS:
            return f"event:{type}"
        if type == P.CONNECTION_ESTABLISHED:
            return WELCOME_KEY
        if type is not None and type not in P.DIRECT_REPLIES:
            return f"frame:{_label(type)}"
        if self._unanswered:
            return _reply_key(self._unanswered[0][1])
        if type is not None:
            return f"frame:{_label(type)}"
        if self._runs:
            return _event_key(next(iter(self._runs.values())))
        if not self._sent and not self.frames:
            return FIRST_FRAME_KEY
        return "frame"

    def _summary(self) -> str:
        types = [_type_of(f) for f in self._buffer]
        return repr(types[:10]) + (f" (+{len(types) - 10} more)" if len(types) > 10 else "")


async def open_client(
    ws_url: str,
    user: User | None,
    transcript: Transcript,
    *,
    transport: str = "header",
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
    query: Mapping[str, str] | None = None,
    established: bool = True,
    within: float = DEFAULT_WITHIN,
    compression: str | None = None,
    causes: CauseWatch | None = None,
    profile: Profile | None = None,
) -> Client:
    """Open a connection for `user` with its token in `transport`; see docs/WRITING_SUITES.md.

    With a `profile`, the token goes where that dialect expects it (subprotocol prefix,
    query parameter) and every frame is encoded and decoded through it.
    """
    jwt = token if token is not None else (user.token if user is not None else None)
    placed = place_token(
        jwt,
        transport,
        profile.auth if profile is not None else None,
        headers=headers,
        subprotocols=subprotocols,
        query=query,
    )
    url = placed.url(ws_url)
    conn = next(_conn_ids)
    transcript.add("open", data=f"{transport} {url.split('?')[0]}", conn=conn)
    # A target that went silent (stopped, blackholed) accepts TCP and never answers: once
    # one handshake timed out, later opens of the run wait the short deadline only.
    known = causes.known(HANDSHAKE_KEY) if causes is not None else None
    limit = min(within, SHORT_WITHIN_S) if known is not None else within
    try:
        ws = await open_websocket(
            url,
            headers=placed.headers,
            subprotocols=placed.subprotocols,
            open_timeout=limit,
            close_timeout=2.0,
            max_size=MAX_RECEIVED_BYTES,
            compression=compression,
        )
    except HandshakeFailed as failed:
        raise _handshake_failure(failed, within, limit, known, causes, transcript) from None
    client = Client(ws, user, transcript, conn, causes=causes, profile=profile)
    if established:
        first = await client._take(lambda f: True, within, "a first frame", WELCOME_KEY)
        if first.get("type") != P.CONNECTION_ESTABLISHED:
            raise CheckFailed(
                "first frame after the handshake",
                expected=P.CONNECTION_ESTABLISHED,
                observed=first,
                frames=transcript.export(),
            )
        client.established = first
    return client


def _handshake_failure(
    failed: HandshakeFailed,
    within: float,
    limit: float,
    known: Cause | None,
    causes: CauseWatch | None,
    transcript: Transcript,
) -> CheckFailed:
    """A test's failure for a connection that did not open (a timeout is a cause)."""
    frames = transcript.export()
    if failed.kind == "timeout":
        if known is not None and causes is not None:
            causes.met_again(known)
            return CheckFailed(
                f"same cause as {known.test}: {known.message}",
                expected=f"a WebSocket handshake within {limit:.3g} s (a known cause: short "
                "deadline)",
                observed=str(failed),
                frames=frames,
            )
        if causes is not None:
            causes.timed_out(HANDSHAKE_KEY, describe_cause(HANDSHAKE_KEY, within))
        return CheckFailed(
            "opening handshake",
            expected=f"a WebSocket handshake within {within:g} s",
            observed=str(failed),
            frames=frames,
        )
    if failed.kind == "unreachable":
        return TargetRefused(
            "opening a connection",
            expected="the target accepting a TCP connection",
            observed=str(failed),
            frames=frames,
        )
    if failed.kind == "refused":
        return CheckFailed(
            "opening handshake",
            expected="101 Switching Protocols (auth failures are an error frame and close 1008)",
            observed=f"HTTP {failed.status}",
            frames=frames,
        )
    return CheckFailed(
        "opening handshake",
        expected=f"a WebSocket handshake within {within:g} s",
        observed=str(failed),
        frames=frames,
    )


def is_close(a: object, b: float, tol: float = P.TIMESTAMP_TOLERANCE_S) -> bool:
    """True when `a` is a real number (not a bool) within `tol` of `b`."""
    return (
        isinstance(a, int | float)
        and not isinstance(a, bool)
        and math.isfinite(a)
        and abs(a - b) <= tol
    )


def _parse(text: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except ValueError:
        return {"__invalid_json__": text[:200]}
    return obj if isinstance(obj, dict) else {"__not_an_object__": obj}


def _type_of(frame: Mapping[str, Any]) -> str | None:
    value = frame.get("type")
    return value if isinstance(value, str) else None


def _code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


# The connection_established of an accepted connection; the first frame of any other
# (a refusal's error frame) is a cause of its own.
WELCOME_KEY: Final = "welcome"
HANDSHAKE_KEY: Final = "handshake"
FIRST_FRAME_KEY: Final = "first-frame"
CLOSE_KEY: Final = "close"
# What the harness accepts in one frame (after permessage-deflate): 16 MiB, past any
# frame a conforming target sends, plus 1 MiB for the largest frame a suite sends and
# the target may echo. A larger frame (or a decompression bomb) is the target's failure.
MAX_RECEIVED_BYTES: Final = 16 * 2**20 + 2**20
OVERSIZE_TEXT: Final = (
    f"the target sent a frame over {MAX_RECEIVED_BYTES} bytes (after decompression); "
    f"the harness closed with {P.CLOSE_MESSAGE_TOO_BIG}"
)


def framing_violation(ws: ClientConnection) -> str | None:
    """What the target sent that ended the connection below the JSON level; None if nothing."""
    sent, parsing = ws.protocol.close_sent, ws.protocol.parser_exc
    if sent is not None and sent.code == CloseCode.INVALID_DATA:
        return (
            f"the target sent a text frame that is not valid UTF-8 ({sent.reason}); "
            f"the harness closed with {sent.code}"
        )
    if sent is not None and sent.code == CloseCode.PROTOCOL_ERROR:
        return (
            f"the target broke the WebSocket framing ({sent.reason}); "
            f"the harness closed with {sent.code}"
        )
    # websockets says "stream ends after N bytes, expected M bytes" only inside a frame;
    # between two frames it is "unexpected end of stream": a plain drop, said elsewhere.
    if isinstance(parsing, EOFError) and str(parsing).startswith("stream ends after"):
        return f"the target closed the TCP connection in the middle of a frame ({parsing})"
    return None


def close_text(code: int | None) -> str:
    """A close code as failure messages name it: 1011 says it is an internal error."""
    if code is None:
        return "no close frame from the server"
    if code == P.CLOSE_INTERNAL_ERROR:
        return f"close code {code} (internal error)"
    return f"close code {code}"


def describe_cause(key: str, within: float) -> str:
    """One line saying what a wait for `key` missed within `within` seconds."""
    kind, _, what = key.partition(":")
    late = f"within {within:.3g} s"
    if kind == "reply":
        return f"no direct reply to a {what} frame {late}"
    if kind == "event":
        if "/" in what:
            return f"a run never ended: no {' or '.join(what.split('/'))} {late}"
        return f"no {what} event {late}"
    if kind == CLOSE_KEY:
        return f"the server did not close the connection {late}"
    if kind == WELCOME_KEY:
        return f"no {P.CONNECTION_ESTABLISHED} after the handshake {late}"
    if kind == HANDSHAKE_KEY:
        return f"no answer to the WebSocket opening handshake {late}"
    if kind == FIRST_FRAME_KEY:
        return f"no first frame after the handshake {late}"
    return f"no {what} frame {late}" if what else f"no frame {late}"


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[:MAX_LABEL_CHARS] + "…"


def _reply_key(label: str) -> str:
    return f"reply:{label}"


def _event_key(seen: Sequence[object]) -> str:
    """What a run's next wait awaits: its first event, else its end."""
    return f"event:{P.AGENT_STARTED}" if not seen else "event:" + "/".join(P.TERMINAL_EVENTS)


def _sent_frame(text: str) -> tuple[dict[str, Any], tuple[str | None, str]]:
    """A sent text as `_parse` reads it, and the message_id its direct reply carries and
    what the frame was (one parse of the text where it is strict JSON: the common case)."""
    try:
        # RFC 8259, as the protocol reads it: NaN and Infinity are not JSON.
        parsed = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return _parse(text), (None, "non-json")
    if not isinstance(parsed, dict):
        return {"__not_an_object__": parsed}, (None, "non-object")
    kind = parsed.get("type")
    mid = parsed.get("message_id")
    # An id the protocol does not allow (empty, too long) is unreadable: its reply says null.
    readable = isinstance(mid, str) and 1 <= len(mid) <= P.MAX_MESSAGE_ID_CHARS
    return parsed, (
        (mid if readable else None),
        _label(kind) if isinstance(kind, str) and kind else "untyped",
    )


def _in_dialect(codec: Any, text: str) -> str:
    """A canonical JSON object text in the dialect's envelope; other texts unchanged."""
    return rewrite_object_text(text, codec.encode)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
