"""What must still arrive on a connection, and the cause key of each wait (harness.wire.causes).

The protocol says what a target owes a client: a direct reply to each text frame
sent, and the events of each acknowledged run until it ends. `Pending` follows
that debt frame by frame, so that a wait for "the next frame" is keyed by what
it really awaits (`reply:ping`, `event:agent_started`, ...). `Deadlines` is the
cause ledger as a wait uses it: a short deadline for a known cause, the record
of a new one, and the failure that names the test that met it first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from harness.errors import CheckFailed, Deviation
from harness.wire import protocol as P
from harness.wire.causes import Cause, CauseWatch, limit_for
from harness.wire.ending import Ending
from harness.wire.profile import Profile
from harness.wire.transcript import Transcript
from harness.wire.translation import parse_frame

MAX_LABEL_CHARS: Final = 40
# The connection_established of an accepted connection; the first frame of any other
# (a refusal's error frame) is a cause of its own.
WELCOME_KEY: Final = "welcome"
HANDSHAKE_KEY: Final = "handshake"
FIRST_FRAME_KEY: Final = "first-frame"
CLOSE_KEY: Final = "close"

# A sent text frame's claim on a direct reply: the message_id the reply carries (None
# when unreadable) and a label of what was sent (its type, or `non-json`, ...).
Slot = tuple[str | None, str]


class Pending:
    """The direct replies and run events a connection still owes, in order."""

    def __init__(self, by_order: bool) -> None:
        # With correlation by order (replies echo no message id), each direct reply answers
        # the oldest unanswered frame, and its canonical form carries that frame's message_id.
        self._by_order = by_order
        self._unanswered: list[Slot] = []
        self._runs: dict[str, list[str]] = {}
        self.sent = False  # any frame sent, text or binary

    def sent_text(self, slot: Slot) -> None:
        """Note a text frame sent: it is owed a direct reply."""
        self._unanswered.append(slot)

    def received(self, frame: dict[str, Any]) -> None:
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

    def awaited(self, type: str | None, received_any: bool) -> str:
        """The cause key of a wait for the next frame (of `type`), from what must still come."""
        if type in P.AGENT_EVENTS:
            return f"event:{type}"
        if type == P.CONNECTION_ESTABLISHED:
            return WELCOME_KEY
        if type is not None and type not in P.DIRECT_REPLIES:
            return f"frame:{label(type)}"
        if self._unanswered:
            return reply_key(self._unanswered[0][1])
        if type is not None:
            return f"frame:{label(type)}"
        if self._runs:
            return event_key(next(iter(self._runs.values())))
        if not self.sent and not received_any:
            return FIRST_FRAME_KEY
        return "frame"


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The cause ledger as one connection's waits use it (no ledger: full deadlines)."""

    causes: CauseWatch | None
    transcript: Transcript

    def limit(self, key: str, within: float) -> tuple[Cause | None, float]:
        """The cause already recorded for `key`, and how long to wait for it (short if known)."""
        known = self.causes.known(key) if self.causes is not None else None
        return known, limit_for(known, within)

    def timed_out(
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
        frames = self.transcript.export()
        if known is not None and self.causes is not None:
            self.causes.met_again(known)
            return CheckFailed(
                known.named(self.causes.test),
                expected=f"{wanted} within {limit:.3g} s (a known cause: short deadline)",
                observed=observed,
                frames=frames,
                cause=known,
                deviation=missed(key, known.message),
            )
        described = describe_cause(key, within)
        if self.causes is not None:
            self.causes.timed_out(key, described)
        return CheckFailed(
            what,
            expected=f"{wanted} within {within:.3g} s",
            observed=observed,
            frames=frames,
            deviation=missed(key, described),
        )


def missed(key: str, title: str) -> Deviation:
    """The deviation of a wait for `key` that timed out: the same in every test that waits
    for the same thing, whether it waited the whole deadline or the short one."""
    return Deviation(f"missed:{key}", title)


def closed_while(key: str, ending: Ending, profile: Profile | None = None) -> Deviation:
    """The deviation of a wait for `key` that the connection's end cut short: how it ended
    (its close code, or the harness's close for an oversize frame or a framing violation);
    a close code `profile` does not declare names the rule it breaks."""
    how = "oversize" if ending.oversize else "violation" if ending.violation else None
    undeclared = None if how else undeclared_close(ending.close_code, profile)
    return undeclared or Deviation(
        f"closed:{key}:{how or ending.close_code}",
        f"the connection closed ({ending.closed_text()}) while the harness awaited {key}",
    )


# The rule a close code the profile does not declare breaks.
DECLARED_CODES: Final = "6.close.declared-codes"


def undeclared_close(code: int | None, profile: Profile | None) -> Deviation | None:
    """The deviation of a connection the target closed with a code its profile does not
    declare (1011 has a rule of its own; no profile: none known): a failure that close cut
    short breaks 6.close.declared-codes alone, not the rules its test was checking."""
    if code is None or code == P.CLOSE_INTERNAL_ERROR or profile is None:
        return None
    if code in profile.section("capabilities")["close_codes"]:
        return None
    return Deviation(
        f"close:{code}", "a close code the profile does not declare", (DECLARED_CODES,)
    )


def not_welcomed(seen: str | None) -> Deviation:
    """The deviation of a connection whose first frame is of type `seen`, not the welcome."""
    kind = label(seen or "untyped")
    welcome = P.CONNECTION_ESTABLISHED
    return Deviation(
        f"unexpected-frame:{welcome}:{kind}",
        f"the first frame after the handshake is a {kind} frame, not {welcome}",
    )


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


def label(text: str) -> str:
    """A frame type as a cause key names it (long ones cut)."""
    return text if len(text) <= MAX_LABEL_CHARS else text[:MAX_LABEL_CHARS] + "…"


def reply_key(label: str) -> str:
    """The cause key of a wait for the direct reply to a frame labelled `label`."""
    return f"reply:{label}"


def event_key(seen: Sequence[object]) -> str:
    """What a run's next wait awaits: its first event, else its end."""
    return f"event:{P.AGENT_STARTED}" if not seen else "event:" + "/".join(P.TERMINAL_EVENTS)


def sent_frame(text: str) -> tuple[Mapping[str, Any], Slot]:
    """A sent text as `parse_frame` reads it, and its claim on a direct reply (one parse of
    the text where it is strict JSON: the common case)."""
    try:
        # RFC 8259, as the protocol reads it: NaN and Infinity are not JSON.
        parsed = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return parse_frame(text), (None, "non-json")
    if not isinstance(parsed, dict):
        return {"__not_an_object__": parsed}, (None, "non-object")
    return parsed, slot_of(parsed)


def slot_of(frame: Mapping[str, Any]) -> Slot:
    """A sent JSON object's claim on a direct reply: its message_id and its label."""
    kind = frame.get("type")
    mid = frame.get("message_id")
    # An id the protocol does not allow (empty, too long) is unreadable: its reply says null.
    readable = isinstance(mid, str) and 1 <= len(mid) <= P.MAX_MESSAGE_ID_CHARS
    return (mid if readable else None), (
        label(kind) if isinstance(kind, str) and kind else "untyped"
    )


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
