"""Opening a suite test's connection: the token placed where the target's dialect expects
it, the handshake bounded by its deadline, and the welcome read, as `Client`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from websockets.asyncio.client import ClientConnection

from harness.errors import CheckFailed
from harness.wire import protocol as P
from harness.wire.causes import CauseWatch
from harness.wire.client import DEFAULT_WITHIN, Client, User, conn_ids
from harness.wire.opener import open_for_test, open_socketio_for_test, place_token
from harness.wire.pending import WELCOME_KEY, not_welcomed
from harness.wire.profile import Profile
from harness.wire.setup_calls import run_setup, setup_calls, ws_url_with
from harness.wire.socketio_conn import SocketIOConnection, auth_payload
from harness.wire.transcript import Transcript
from harness.wire.translation import type_of


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
    # A user without a token (a profile whose target authenticates no one) presents none.
    jwt = token if token is not None else (user.token or None if user is not None else None)
    placed = place_token(
        jwt,
        transport,
        profile.auth if profile is not None else None,
        headers=headers,
        subprotocols=subprotocols,
        query=query,
    )
    conn = next(conn_ids)
    calls = setup_calls(profile.data) if profile is not None else ()
    saved = {}
    if calls:  # the HTTP calls that make what the connection opens on (a run)
        saved = await run_setup(ws_url, calls, user.id if user else None, transcript, conn)
        ws_url = ws_url_with(ws_url, saved)
    url = placed.url(ws_url)
    transcript.add("open", data=f"{transport} {url.split('?')[0]}", conn=conn)
    carried = profile.section("transport") if profile is not None else {}
    ws: ClientConnection | SocketIOConnection
    if carried.get("kind") == "socketio":
        if jwt is not None and carried["cookie"] and transport != "none":
            placed.headers["Cookie"] = f"{carried['cookie']}={jwt}"
        ws = await open_socketio_for_test(
            url,
            placed,
            auth=auth_payload(carried["auth"], jwt) if carried["auth"] else None,
            ack_type=carried["ack_type"],
            within=within,
            causes=causes,
            transcript=transcript,
        )
    else:
        ws = await open_for_test(
            url,
            placed,
            within=within,
            compression=compression,
            causes=causes,
            transcript=transcript,
        )
    client = Client(ws, user, transcript, conn, causes=causes, profile=profile)
    client.setup_values = saved
    if established:
        try:
            first = await client._take(lambda f: True, within, "a first frame", WELCOME_KEY)
        except BaseException:
            await client.close()  # no test holds it yet: it must not outlive the failure
            raise
        if first.get("type") != P.CONNECTION_ESTABLISHED:
            await client.close()
            raise CheckFailed(
                "first frame after the handshake",
                expected=P.CONNECTION_ESTABLISHED,
                observed=first,
                frames=transcript.export(),
                deviation=not_welcomed(type_of(first)),
            )
        client.established = first
    return client
