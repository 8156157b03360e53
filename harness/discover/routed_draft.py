"""The draft of a server talked to through socket.io or set-up calls (routed.py).

When the server's welcome and a turn match a built-in dialect's frames, the draft
extends that built-in and writes only what differs, the frames as evidence in comments;
with `--start FILE` it extends FILE (its set-up calls and all it says are kept); else
it extends chat-agent/1 with the transport seen, and says the rest is to write by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from harness.discover.routed import Routed, built_ins, matching
from harness.discover.toml_text import Table, saw, short, toml_value
from harness.wire.profile import Profile

HEAD: Final = (
    "# Sure: the frame says so; likely: inferred from a frame; guess: nothing conclusive",
    "# seen (the base profile's value is kept). Keys are written only where the server",
)


def routed_draft(seen: Routed, start: Profile | None, *, command: str) -> str:
    """The TOML text of the draft."""
    profiles = built_ins()
    found = matching(seen, profiles)
    if found is not None:
        base = profiles[found[0]]
        extends, why = found[0], f"sure: the welcome {short(found[1])} and a turn ({found[2]})"
        why += f" are {found[0]}'s"
    elif start is not None:
        base, extends = start, str(Path(start.source).resolve())
        why = f"sure: --start {start.source}, whose set-up calls opened the connection"
    else:
        base, extends = profiles["chat-agent/1"], "chat-agent/1"
        why = "guess: the frames are no built-in dialect's, so the root profile"
    profile = Table("profile")
    host = urlsplit(seen.url).hostname or "target"
    profile.lines.append(f"name = {toml_value('discovered-' + host)}")
    profile.key("extends", extends, why)
    profile.lines.append(
        f"description = {toml_value('Drafted from ' + seen.url + ' by profile discover.')}"
    )
    tables = [profile, _endpoint(seen, base), _transport(seen, base), _auth(seen, base)]
    tables += _welcome(seen, found)
    tables.append(_turn(seen, found))
    out = [f"# Drafted by `{command}`.", *HEAD, f"# differs from {extends!r}; review, then:"]
    parts = urlsplit(seen.url)
    target = f"{parts.scheme}://{parts.netloc}" if "{" in parts.path else seen.url
    out.append(f"#   stability-harness run --profile THIS_FILE --target {target}")
    for table in tables:
        if table.lines:
            out += ["", f"[{table.name}]", *table.lines]
    return "\n".join(out) + "\n"


def _endpoint(seen: Routed, base: Profile) -> Table:
    table = Table("endpoint")
    path = urlsplit(seen.url).path or "/"
    if path != base.section("endpoint")["ws_path"]:
        table.key("ws_path", path, "sure: the path of the URL given")
    for line in seen.setup:
        table.note(f"sure: set-up call of {seen.setup_from}: {short(line)}")
    return table


def _transport(seen: Routed, base: Profile) -> Table:
    table = Table("transport")
    known = base.section("transport")
    if seen.kind != "socketio":
        if known["kind"] != "websocket":
            table.key("kind", "websocket", "sure: a WebSocket opened after the set-up calls")
        return table
    table.key("kind", "socketio", f"sure: {short(seen.why)}")
    tried = "; ".join(f"auth {shape}: {outcome}" for shape, outcome in seen.auth_tried)
    if (seen.auth or {}) != dict(known.get("auth", {})):
        table.key("auth", seen.auth or {}, f"sure: the connect auth payloads tried: {tried}")
    else:
        table.note(f"sure: the connect auth payload as {base.name}'s: {tried}")
    return table


def _auth(seen: Routed, base: Profile) -> Table:
    table = Table("auth")
    if seen.kind == "socketio" and "subprotocol" in base.auth["transports"]:
        why = "guess: socket.io carries no subprotocol; a token goes in a header (or the auth)"
        table.key("transports", ["header"], why)
        table.key("default_transport", "header", "guess: as the transports")
    return table


def _welcome(seen: Routed, found: tuple[str, str, str] | None) -> list[Table]:
    if found is not None or seen.welcome is None:
        return []
    if seen.kind != "socketio":
        return [_note("server", f"guess: the first frame, to map by hand: {saw(seen.first)}")]
    frame = Table("server.frames.connection_established")
    frame.key("type", "connect", f"sure: the socket.io connect packet: {saw(seen.first)}")
    fields = {"user_id": "", "connection_id": "data.sid", "server_time": ""}
    fields |= {"limits.max_message_bytes": "", "limits.max_messages_per_minute": ""}
    frame.key("fields", fields, "sure: the connect frame carries the connection's sid")
    frame.key("timestamps", {}, "sure: it carries no time")
    server = Table("server")
    server.key("timestamp_field", "", "likely: socket.io events carry no common timestamp")
    server.key("seq_field", "", "likely: nor a sequence number")
    return [server, frame]


def _note(name: str, text: str) -> Table:
    table = Table(name)
    table.note(text)
    return table


def _turn(seen: Routed, found: tuple[str, str, str] | None) -> Table:
    table = Table("turn")
    for request, got in seen.turns:
        frames = " then ".join(short(f) for f in request.frames)
        table.note(f"saw: {request.whose}'s request {frames} got: {' '.join(got.types())}")
        if got.frames:
            table.note(f"saw: its first frames: {saw(got)}")
    if found is None:
        table.note("guess: no request matched a built-in's turn: write [turn] and")
        table.note("[turn.request] by hand (docs/TURNS.md)")
    else:
        table.note(f"sure: the turn's frames are {found[0]}'s ({json.dumps(found[2])})")
    return table
