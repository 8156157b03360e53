"""How a connection ended, as a failure names it: the close code, an oversize frame, a
framing violation, a drop without a close frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from harness.wire import protocol as P

# What the harness accepts in one frame (after permessage-deflate): 16 MiB, past any
# frame a conforming target sends, plus 1 MiB for the largest frame a suite sends and
# the target may echo. A larger frame (or a decompression bomb) is the target's failure.
MAX_RECEIVED_BYTES: Final = 16 * 2**20 + 2**20
OVERSIZE_TEXT: Final = (
    f"the target sent a frame over {MAX_RECEIVED_BYTES} bytes (after decompression); "
    f"the harness closed with {P.CLOSE_MESSAGE_TOO_BIG}"
)


@dataclass(frozen=True, slots=True)
class Ending:
    """How a connection ended; the default is a connection that has not ended."""

    close_code: int | None = None  # the code of the target's close frame (None: none)
    reason: str | None = None  # its reason (None: no close frame)
    oversize: bool = False  # the harness closed with 1009: the target's frame passed the bound
    violation: str | None = None  # what the target sent below the JSON level (framing_violation)
    dropped: bool = False  # no close frame, and not because the harness gave up waiting

    def closed_text(self) -> str:
        """Why the connection is closed, as a failed wait says it."""
        return OVERSIZE_TEXT if self.oversize else self.violation or close_text(self.close_code)

    def failure(self, seen: bool) -> str | None:
        """Why this end fails the test (close 1011, no close frame); None if clean.

        `seen`: a check of the test already met the end (else it came after the last one).
        """
        when = "" if seen else " after the test's last check"
        if self.oversize:
            return OVERSIZE_TEXT + when
        if self.violation is not None:
            return self.violation + when
        if self.close_code == P.CLOSE_INTERNAL_ERROR:
            return (
                f"the server closed the connection with {P.CLOSE_INTERNAL_ERROR} "
                f"(internal error){when}"
            )
        if self.dropped:
            return f"the connection was dropped without a close frame{when}"
        return None


def diagnose(ws: ClientConnection, aborted: bool) -> Ending:
    """How the closed connection `ws` ended; `aborted`: the harness gave up its close."""
    rcvd = ws.protocol.close_rcvd
    # The harness closes with 1009 only when the target's frame passed the bound.
    # (A 1009 the harness only echoed, the server having closed first, is the server's.)
    sent = ws.protocol.close_sent
    echoed = bool(ws.protocol.close_rcvd_then_sent)
    return Ending(
        close_code=rcvd.code if rcvd is not None else None,
        reason=rcvd.reason if rcvd is not None else None,
        oversize=sent is not None and sent.code == P.CLOSE_MESSAGE_TOO_BIG and not echoed,
        violation=None if echoed else framing_violation(ws),
        # No close frame, and not because the harness gave up on a close handshake.
        dropped=rcvd is None and not (aborted or isinstance(ws.connection_exc, TimeoutError)),
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


def closed_code(exc: ConnectionClosed) -> int | None:
    """The code of the close frame the target sent, from the error of a closed connection."""
    return exc.rcvd.code if exc.rcvd is not None else None
