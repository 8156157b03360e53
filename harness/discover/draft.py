"""The draft: observations turned into a commented TOML profile.

It extends the built-in profile whose welcome the server sent (chat-agent/1 when none
fits) and writes a key only where what the server did differs from that profile. Every
guess, written or kept, has a comment saying what was seen (the raw frame, shortened)
and how sure it is: `sure` (the frame says so), `likely` (inferred from a frame) or
`guess` (nothing conclusive seen: the base profile's value is kept, or a placeholder to
edit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from harness.discover.probe import (
    HEALTH_PATHS,
    IDLE_S,
    NO_SUCH_PATH,
    TERMINALS,
    Observations,
    announced_limit,
    as_object,
    closest,
    code_of,
)
from harness.discover.toml_text import Table, saw, short, toml_value
from harness.wire.profile import Profile, lookup

# Where a frame of a dialect of its own may name its kind, in the order tried.
TYPE_KEYS: Final = ("type", "event", "kind", "op", "action", "t")
CHAT_TERMINALS: Final = frozenset({"agent_completed", "agent_error"})


def draft(seen: Observations, base: Profile, *, static_token: bool, command: str) -> str:
    """The TOML text of the draft (`base`: the built-in profile it extends)."""
    welcome = seen.welcome
    tables = [
        _profile(seen, base, command),
        _endpoint(seen, base),
        *_auth(seen, base, static_token),
        *_server(seen, base),
        _error_codes(seen, base),
        _capabilities(seen, base),
        _turn(seen, base),
    ]
    head = [
        f"# Drafted by `{command}`.",
        "# Sure: the frame says so; likely: inferred from a frame; guess: nothing conclusive",
        "# seen (the base profile's value is kept, or a placeholder to edit). Keys are written",
        f"# only where the server differs from {base.name!r}; review, then run the gate:",
        f"#   stability-harness run --profile THIS_FILE --target {seen.url}",
    ]
    if welcome is None:
        head.append("# No frame came after the handshake: the server sends no welcome.")
    out = head
    for table in tables:
        if table.lines:
            out += ["", f"[{table.name}]", *table.lines]
    return "\n".join(out) + "\n"


def _profile(seen: Observations, base: Profile, command: str) -> Table:
    table = Table("profile")
    host = urlsplit(seen.url).hostname or "target"
    table.lines.append(f"name = {toml_value('discovered-' + host)}")
    welcome = seen.welcome
    if closest(welcome) is not None:
        raw = seen.first.frames[seen.welcome_index or 0]
        sure = f"sure: the welcome is {base.name}'s: {short(raw)}"
    elif welcome is not None:
        sure = f"guess: a welcome of no built-in dialect, so the root: {short(json.dumps(welcome))}"
    else:
        sure = "guess: no welcome was seen, so the root profile"
    table.key("extends", base.name, sure)
    table.lines.append(
        f"description = {toml_value('Drafted from ' + seen.url + ' by profile discover.')}"
    )
    return table


def _endpoint(seen: Observations, base: Profile) -> Table:
    table = Table("endpoint")
    endpoint = base.section("endpoint")
    path = urlsplit(seen.url).path or "/"
    if path != endpoint["ws_path"]:
        table.key("ws_path", path, "sure: the path of the URL given")
    healthy = [
        (p, s, b) for p, (s, b) in seen.health.items() if p in HEALTH_PATHS and 200 <= s < 300
    ]
    tried = ", ".join(f"{p} {s}" for p, (s, _) in seen.health.items() if p in HEALTH_PATHS)
    if healthy:
        found, status, body = healthy[0]
        parsed = as_object(body)
        field_name, value = _health_field(parsed)
        saw_it = f"saw: GET {found} -> {status} {short(body)}"
        wanted = (found, status, field_name, value)
        known = tuple(
            endpoint[k] for k in ("health_path", "health_status", "health_field", "health_value")
        )
        if wanted == known:
            table.note(f"sure: health as {base.name}; {saw_it}")
        else:
            table.key("health_path", found, f"sure: {saw_it}")
            table.key("health_status", status, "sure: the status it answered")
            table.key("health_field", field_name, "likely: the field that says healthy")
            table.key("health_value", value, "likely: its value when healthy")
    elif endpoint["health_path"]:
        table.key(
            "health_path", "", f"likely: no health route answered 2xx ({tried or 'none answered'})"
        )
    else:
        table.note(f"likely: no health route, as {base.name} ({tried or 'none answered'})")
    missing = seen.health.get(NO_SUCH_PATH)
    if missing is not None:
        answers = missing[0] == 404
        why = f"sure: GET {NO_SUCH_PATH} -> {missing[0]} {short(missing[1])}"
        if answers != endpoint["not_found"]:
            table.key("not_found", answers, why)
        else:
            table.note(f"{why}, as {base.name}")
    stats = seen.health.get("/stats")
    if endpoint["stats_path"] and stats is not None and stats[0] == 404:
        table.key("stats_path", "", f"likely: GET /stats -> 404 {short(stats[1])}")
    return table


def _health_field(parsed: dict[str, Any] | None) -> tuple[str, str]:
    if parsed is None:
        return "", ""
    if isinstance(parsed.get("status"), str):
        return "status", str(parsed["status"])
    for key, value in parsed.items():
        if isinstance(value, str):
            return str(key), value
    return "", ""


def _auth(seen: Observations, base: Profile, static_token: bool) -> list[Table]:
    auth, tokens, refusal = Table("auth"), Table("auth.tokens"), Table("auth.refusal")
    known = base.section("auth")
    accepted = [t for t, why in seen.transports.items() if why == "accepted"]
    report = "; ".join(f"{t}: {why}" for t, why in seen.transports.items())
    if accepted != list(known["transports"]):
        auth.key("transports", accepted, f"sure: a connection with the token by each: {report}")
    else:
        auth.note(f"sure: transports as {base.name}: {report}")
    if seen.transport != known["default_transport"]:
        auth.key("default_transport", seen.transport, "sure: the first transport accepted")
    if static_token and known["tokens"]["source"] != "static":
        tokens.key("source", "static", "sure: the token was given with --token USER=JWT")
    answer = seen.refusal
    said = f"saw (no token): {saw(answer)}"
    if answer.closed is not None and answer.closed != known["refusal"]["close_code"]:
        refusal.key("close_code", answer.closed, f"sure: {said}")
    elif answer.frames and not any(code_of(p) for p in answer.parsed()):
        refusal.note(f"likely: a connection without a token was NOT refused; {said}")
    else:
        refusal.note(f"{'sure' if answer.closed else 'guess'}: refusal as {base.name}; {said}")
    return [auth, tokens, refusal]


def _server(seen: Observations, base: Profile) -> list[Table]:
    server = Table("server")
    out = [server]
    welcome = seen.welcome
    seq_field = base.section("server")["seq_field"]
    if welcome is not None:
        has_seq = "seq" in welcome
        if has_seq and not seq_field:
            server.key(
                "seq_field", "seq", f"sure: the welcome carries seq: {short(json.dumps(welcome))}"
            )
        elif seq_field and seq_field not in welcome:
            server.key("seq_field", "", f"sure: the welcome carries no {seq_field}")
        if closest(welcome) is None:
            type_field = _type_field(welcome)
            if type_field != base.section("server")["type_field"]:
                why = f"likely: the welcome names its kind in {type_field!r}"
                server.key("type_field", type_field, why)
                client = Table("client")
                client.key("type_field", type_field, "guess: the client's frames as the server's")
                out.append(client)
            frame = Table("server.frames.connection_established")
            frame.key(
                "type",
                str(welcome.get(type_field)),
                f"guess: the first frame: {short(json.dumps(welcome))}",
            )
            frame.key(
                "fields",
                {
                    "user_id": "",
                    "connection_id": "",
                    "server_time": "",
                    "limits.max_message_bytes": "",
                    "limits.max_messages_per_minute": "",
                },
                "guess: map the welcome's fields here (docs/PROFILES.md)",
            )
            frame.key("timestamps", {}, "guess")
            out.append(frame)
            if "timestamp" not in welcome:
                server.key("timestamp_field", "", "likely: the welcome carries no timestamp")
    index = seen.welcome_index
    type_field = _type_field(welcome) if welcome is not None else "type"
    unasked = [
        (text, "before_welcome" if index is not None and position < index else "any_time")
        for position, text in enumerate(seen.first.frames)
        if position != index
    ] + [(text, "any_time") for text in seen.idle.frames]
    named: set[str] = set()
    for text, when in unasked:
        notice = _notice(text, when, type_field)
        if notice.name not in named:
            named.add(notice.name)
            out.append(notice)
    if seen.idle.tried and not seen.idle.frames:
        server.note(f"likely: nothing came unasked while idle (listened {IDLE_S:g} s)")
    return out


def _type_field(welcome: Mapping[str, Any]) -> str:
    """Where the welcome names its kind: `type` unless a dialect of its own says otherwise."""
    if closest(welcome) is not None:
        return "type"
    return next((k for k in TYPE_KEYS if isinstance(welcome.get(k), str)), "type")


def _notice(text: str, when: str, type_field: str) -> Table:
    parsed = as_object(text) or {}
    kind = str(parsed.get(type_field, "notice"))
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", kind).strip("-") or "notice"
    table = Table(f"server.notices.{name}")
    table.key("type", kind, f"sure: sent unasked {when.replace('_', ' ')}: {short(text)}")
    for path in ("data.event", "event") if type_field != "event" else ("data.event",):
        value = lookup(parsed, path)
        if isinstance(value, str):
            table.key("match", {path: value}, "likely: what tells this notice from other frames")
            break
    table.key("when", when, "sure: when it came")
    return table


def _error_codes(seen: Observations, base: Profile) -> Table:
    table = Table("error_codes")
    known = base.section("error_codes")
    for canonical, exchange in (
        ("AUTH_FAILED", seen.refusal),
        ("UNKNOWN_TYPE", seen.unknown),
        ("FORMAT_ERROR", seen.invalid_json),
    ):
        codes = [c for c in (code_of(p) for p in exchange.parsed()) if c]
        if codes and codes[0] != known.get(canonical):
            table.key(canonical, codes[0], f"sure: {canonical} answered: {saw(exchange)}")
        elif codes:
            table.note(f"sure: {canonical} is {codes[0]!r}, as {base.name}: {saw(exchange)}")
    return table


def _capabilities(seen: Observations, base: Profile) -> Table:
    table = Table("capabilities")
    known = base.section("capabilities")
    welcome = seen.welcome
    if welcome is None and known["welcome"]:
        table.key("welcome", False, "sure: no frame came after the handshake")
    if welcome is not None:
        has_seq = "seq" in welcome
        if has_seq != known["seq"]:
            table.key("seq", has_seq, "sure: as the welcome's seq field")
    _correlation(table, seen, base)
    _unknown(table, seen, base)
    limit = announced_limit(welcome)
    if limit is not None and limit != known["max_message_bytes"]:
        table.key("max_message_bytes", limit, "sure: the welcome announces it")
    _oversize(table, seen, known)
    if seen.second.frames and not any(code_of(p) for p in seen.second.parsed()):
        table.note(
            f"likely: a second connection of the same user is accepted ({saw(seen.second)}); "
            f"the limit per user is not probed: {known['max_connections_per_user']} kept (guess)"
        )
    elif seen.second.frames or seen.second.closed is not None:
        table.key(
            "max_connections_per_user",
            1,
            f"likely: a second connection was refused: {saw(seen.second)}",
        )
    chat = bool(set(seen.chat_turn.types()) & CHAT_TERMINALS)
    if chat != known["chat_requests"] and (chat or seen.realtime_turn.tried):
        table.key("chat_requests", chat, f"likely: a user_message got {saw(seen.chat_turn)}")
    return table


def _correlation(table: Table, seen: Observations, base: Profile) -> None:
    known = base.section("capabilities")["correlation"]
    pong = base.frames["pong"]
    replies = [p for p in seen.ping.parsed() if p.get("type") == pong.wire_type]
    if not replies:
        table.note(f"guess: a ping got no pong ({saw(seen.ping)}); correlation {known!r} kept")
        return
    sent = as_object(seen.ping.sent) or {}
    echoed = any(v == sent.get("message_id") for v in _values(replies[0]))
    found = "message_id" if echoed else "order"
    echo = "echoes" if echoed else "does not echo"
    why = f"sure: a ping's pong {echo} its message_id: {saw(seen.ping)}"
    if found != known:
        table.key("correlation", found, why)
    else:
        table.note(f"{why}; correlation {found!r}, as {base.name}")


def _values(node: Any) -> list[Any]:
    if isinstance(node, Mapping):
        return [v for value in node.values() for v in _values(value)]
    return [node]


def _unknown(table: Table, seen: Observations, base: Profile) -> None:
    known = base.section("capabilities")["unknown_type"]
    replies = seen.unknown.parsed()
    if any(code_of(p) for p in replies):
        found = "error"
    elif any(p.get("type") == base.frames["ack"].wire_type for p in replies):
        found = "ack"
    else:
        table.note(f"guess: an unknown type got {saw(seen.unknown)}; {known!r} kept")
        return
    why = f"sure: an unknown type got {saw(seen.unknown)}"
    if found != known:
        table.key("unknown_type", found, why)
    else:
        table.note(f"{why}; unknown_type {found!r}, as {base.name}")


def _oversize(table: Table, seen: Observations, known: Mapping[str, Any]) -> None:
    answer = seen.oversize
    codes = [c for c in (code_of(p) for p in answer.parsed()) if c]
    if answer.closed is not None and not codes:
        found = f"close:{answer.closed}"
    elif codes:
        found = f"error:{codes[0]}"
    else:
        table.note(
            f"guess: {answer.sent or 'an oversize frame'} got {saw(answer)}; "
            f"{known['oversize']!r} kept"
        )
        return
    why = f"sure: {answer.sent} got {saw(answer)}"
    if found != known["oversize"]:
        table.key("oversize", found, why)
    else:
        table.note(f"{why}; oversize {found!r}, as the base")


def _turn(seen: Observations, base: Profile) -> Table:
    table = Table("turn")
    chat = set(seen.chat_turn.types())
    realtime = set(seen.realtime_turn.types())
    if chat & TERMINALS:
        table.note(f"sure: a user_message started a turn: {' '.join(seen.chat_turn.types())}")
    elif realtime & TERMINALS:
        table.note(
            "sure: conversation.item.create + response.create started a turn: "
            + " ".join(seen.realtime_turn.types())
        )
    else:
        table.note(
            f"guess: no message started a turn (user_message got {saw(seen.chat_turn)}"
            + (
                f"; response.create got {saw(seen.realtime_turn)}"
                if seen.realtime_turn.tried
                else ""
            )
            + "); write [turn] and [turn.request] by hand (docs/TURNS.md)"
        )
        return table
    realtime_seen = bool(realtime & TERMINALS)
    if realtime_seen != (not base.section("capabilities")["chat_requests"]):
        family = "openai-realtime" if realtime_seen else "chat-agent/1"
        kept = f"like {family}'s, not {base.name}'s: guess, edit [turn] by hand (docs/TURNS.md)"
    else:
        kept = f"as {base.name}'s"
    table.note(f"the turn's frames are {kept}")
    return table
