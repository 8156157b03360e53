"""Recording socket.io: a proxied Engine.IO WebSocket's packets as the harness's frames.

The recording proxy forwards a socket.io connection's WebSocket unchanged; what it
writes into the capture is what the harness's socket.io client
(harness/wire/socketio_conn.py) shows the suites, so that a capture reads the same
whatever the transport. Packets are decoded with python-engineio's and python-socketio's
own packet classes:

- an event (either direction) is the frame `{"type": EVENT, "data": ARG}` (several
  arguments: their list; none: no `data`), binary attachments put back in place;
- the server's connect packet is the frame `{"type": "connect", "data": {"sid": SID}}`;
  the server's connect_error is `{"type": "connect_error", "data": PAYLOAD}`;
- with the profile's `ack_type`, the server's acknowledgement of a client event is
  `{"type": ack_type, "event": EVENT, "data": ARG}`;
- Engine.IO's open, ping, pong, close, upgrade and noop packets, the client's connect
  packet (its auth: a replay sends the profile's own) and both sides' disconnect
  packets are transport: forwarded, not recorded (the WebSocket close is);
- a namespace other than `/` is not recorded (the harness's client speaks `/` only).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from harness.wire.socketio_conn import CONNECT_EVENT, as_frame

if TYPE_CHECKING:
    import socketio.packet as sio

CONNECT_ERROR: Final = "connect_error"
NOT_SOCKETIO: Final = "<not socket.io>"


class SocketIOFrames:
    """One proxied connection: each WebSocket message in, the frame texts to record out."""

    def __init__(self, ack_type: str = "") -> None:
        # Imported by a socket.io capture only: python-engineio and python-socketio import
        # aiohttp and requests (about 0.2 s of CPU), which every process that imports the
        # replay package (the runner, every pytest session) would pay otherwise.
        import engineio.packet
        import socketio.packet

        self._eio, self._sio = engineio.packet, socketio.packet
        self._ack_type = ack_type
        self._asked: dict[int, str] = {}  # ack id -> the client event that asked for it
        self._pending: dict[str, sio.Packet] = {}  # direction -> a packet awaiting attachments

    def feed(self, direction: str, message: str | bytes) -> list[str]:
        """The frames (JSON texts) that one message of `direction` carries (often none)."""
        eio = self._eio
        try:
            packet = eio.Packet(encoded_packet=message)
        except (ValueError, IndexError):
            return [_text({"type": NOT_SOCKETIO, "text": _shown(message)})]
        pending = self._pending.get(direction)
        if packet.binary and pending is not None:
            if not pending.add_attachment(packet.data):
                return []
            del self._pending[direction]
            return self._frames(direction, pending)
        if packet.packet_type != eio.MESSAGE or packet.binary:
            return []
        try:
            packet_io = self._sio.Packet(encoded_packet=packet.data)
        except (ValueError, TypeError):
            return [_text({"type": NOT_SOCKETIO, "text": _shown(message)})]
        if packet_io.namespace not in (None, "/"):
            return []
        if packet_io.attachment_count:
            self._pending[direction] = packet_io
            return []
        return self._frames(direction, packet_io)

    def _frames(self, direction: str, packet: sio.Packet) -> list[str]:
        kind, data, sio = packet.packet_type, packet.data, self._sio
        if kind in (sio.EVENT, sio.BINARY_EVENT) and isinstance(data, list) and data:
            event = str(data[0])
            if direction == "client" and packet.id is not None:
                self._asked[packet.id] = event
            return [_text(as_frame(event, data[1:]))]
        if direction != "server":
            return []
        if kind == sio.CONNECT:
            sid = data.get("sid") if isinstance(data, dict) else None
            return [_text({"type": CONNECT_EVENT, "data": {"sid": sid}})]
        if kind == sio.CONNECT_ERROR:
            return [_text({"type": CONNECT_ERROR, "data": data})]
        if kind in (sio.ACK, sio.BINARY_ACK) and self._ack_type and packet.id in self._asked:
            event = self._asked.pop(packet.id)
            args = data if isinstance(data, list) else []
            return [_text({**as_frame(self._ack_type, args), "event": event})]
        return []


def _text(frame: dict[str, Any]) -> str:
    """A frame as socketio_conn writes it (binary data as its text, as there)."""
    return json.dumps(frame, default=str)


def _shown(message: str | bytes) -> str:
    return message[:200] if isinstance(message, str) else f"<{len(message)} bytes>"
