"""The reference server: WebSocket transport, handshake authentication and the HTTP routes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http
import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, Final

import jwt
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

import harness.reference.defects as D
from harness.errors import HarnessError
from harness.reference.agent import AgentRun
from harness.reference.auth import (
    AuthFailure,
    Transport,
    offered_subprotocols,
    present_token,
    select_token_subprotocol,
    verify_token,
)
from harness.reference.config import ServerConfig
from harness.reference.dialect import OPENAI_REALTIME
from harness.reference.liberal import LiberalServer
from harness.reference.realtime import RealtimeHub
from harness.reference.session import FrameSender, Session
from harness.reference.state import ServerState
from harness.wire import protocol as P

STOP_DEADLINE_S: Final = 10.0
# What a dialect that answers oversize frames with an error receives at most before closing.
OVERSIZE_RECEIVE_BYTES: Final = 1 << 20
# Connections the kernel queues before the server accepts them (capped by net.core.somaxconn).
# asyncio's default, 100, overflows when a load test opens hundreds at once: each dropped SYN
# is retried a second or more later (benchmarks/bench_connections.py, docs/PERFORMANCE.md).
LISTEN_BACKLOG: Final = 2048


class ReferenceServer:
    """PROTOCOL.md implemented exactly (plus the switched-on defects), in the current event loop."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.state = ServerState()
        self.port = 0
        self._server: Server | None = None
        self._runs: set[asyncio.Task[None]] = set()
        # `seq-per-user`: one seq counter per user, shared by the user's connections.
        self._seq_of_user: dict[str, Iterator[int]] = {}
        # Connections ever accepted per user (the cap of `closed-connection-keeps-slot`).
        self._opened: Counter[str] = Counter()
        self.liberal = None if config.liberal is None else LiberalServer(config.liberal)
        speaks_realtime = config.dialect.family == OPENAI_REALTIME
        self.realtime = RealtimeHub(config) if speaks_realtime else None

    @property
    def ws_url(self) -> str:
        """The WebSocket endpoint, `ws://HOST:PORT/ws` (the dialect's path)."""
        return f"ws://{self.config.host}:{self.port}{self.config.dialect.ws_path}"

    @property
    def http_url(self) -> str:
        """The HTTP base URL, `http://HOST:PORT`."""
        return f"http://{self.config.host}:{self.port}"

    async def start(self) -> None:
        """Listen; returns once the port is bound and accepting."""
        if self._server is not None:
            raise HarnessError("the reference server is already started")
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            max_size=self._max_size(),
            backlog=LISTEN_BACKLOG,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, end the running agent runs and close every client with 1001."""
        server, self._server = self._server, None
        if server is None:
            return
        for task in list(self._runs):
            task.cancel()
        shutdown_1000 = self.config.has(D.SHUTDOWN_CLOSES_1000)
        server.close(code=P.CLOSE_NORMAL if shutdown_1000 else P.CLOSE_GOING_AWAY)
        await asyncio.wait_for(server.wait_closed(), STOP_DEADLINE_S)

    async def __aenter__(self) -> ReferenceServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _max_size(self) -> int:
        """The transport's size limit in bytes (`size-counts-characters`: 4 bytes a character).

        A dialect that answers an oversize frame with an error must receive it first: the
        transport then allows more, and the handler refuses what is over the limit.
        """
        limit = self.config.limit("max_bytes")
        if self.config.has(D.SIZE_COUNTS_CHARACTERS):
            return 4 * limit  # the handler then counts characters
        if self.config.dialect.oversize_error is not None:
            return max(4 * limit, OVERSIZE_RECEIVE_BYTES)
        return limit

    def _slots_taken(self, user_id: str) -> int:
        """The user's connections that count against the cap: the open ones, unless a defect."""
        taken = self.state.open_count(user_id)
        if self.config.has(D.CLOSED_CONNECTION_KEEPS_SLOT):
            taken = self._opened[user_id]
        if self.config.has(D.CONNECTION_LIMIT_OFF_BY_ONE):
            taken -= 1  # one connection more than the cap gets in
        return taken

    def _too_many_characters(self, message: str) -> bool:
        """`size-counts-characters`: the message has more characters than max_message_bytes."""
        limit = self.config.limit("max_bytes")
        return self.config.has(D.SIZE_COUNTS_CHARACTERS) and len(message) > limit

    def _too_large_for_an_error(self, message: str) -> bool:
        """A dialect that answers oversize frames with an error: this one is over the limit."""
        if self.config.dialect.oversize_error is None:
            return False
        return len(message.encode()) > self.config.limit("max_bytes")

    def _start_run(self, run: AgentRun) -> None:
        task = asyncio.get_running_loop().create_task(run.run())
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        prefix = self.config.dialect.subprotocol_prefix
        return select_token_subprotocol(subprotocols, prefix)  # type: ignore[return-value]

    def _user_of(self, headers: Headers, path: str, *, with_transports: bool) -> str:
        """The authenticated user of a request; AuthFailure with a client-safe reason otherwise."""
        authorizations = headers.get_all("Authorization")
        if len(authorizations) > 1:
            raise AuthFailure("more than one Authorization header")
        authorization = authorizations[0] if authorizations else None
        offered = offered_subprotocols(headers.get_all("Sec-WebSocket-Protocol"))
        if not with_transports:
            offered, path = [], path.partition("?")[0]
        spoken = self.config.dialect
        presented = present_token(
            authorization,
            offered,
            path,
            prefix=spoken.subprotocol_prefix,
            param=spoken.query_param,
        )
        if (
            self.config.has(D.SUBPROTOCOL_PADDING_REQUIRED)
            and presented.transport is Transport.SUBPROTOCOL
            and len(presented.token) % 3
        ):
            # Base64 of a text whose length is not a multiple of 3 needs padding, which the
            # client leaves out: a decoder that does not restore it fails on exactly these.
            raise AuthFailure("the jwt. subprotocol does not carry a token")
        if (
            self.config.has(D.OFFERED_SUBPROTOCOL_VERIFIED)
            and presented.transport is Transport.HEADER
            and select_token_subprotocol(offered, spoken.subprotocol_prefix) is not None
        ):
            token = present_token(None, offered, "", prefix=spoken.subprotocol_prefix).token
            verify_token(token, self.config.jwt_secret)
        bypass = (
            self.config.has(D.AUTH_BYPASS_HEADER)
            and any(value.strip() == "1" for value in headers.get_all(P.BYPASS_HEADER))
        ) or (
            self.config.has(D.AUTH_BYPASS_COOKIE)
            and any(
                "test_mode=1" in (item.strip() for item in value.split(";"))
                for value in headers.get_all("Cookie")
            )
        )
        try:
            user_claim, expiry_claim = spoken.claims
            return verify_token(
                presented.token,
                self.config.jwt_secret,
                verify_signature=not bypass,
                user_claim=user_claim,
                expiry_claim=expiry_claim,
            )
        except AuthFailure as failure:
            if not (
                self.config.has(D.ERROR_QUOTES_SIGNATURES)
                and isinstance(failure.__context__, jwt.InvalidSignatureError)
            ):
                raise
            signed, _, received = presented.token.rpartition(".")
            expected = _hs256(signed, self.config.jwt_secret)
            raise AuthFailure(f"{failure} (received {received}, expected {expected})") from None

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """The HTTP routes: /health, /stats, 404; None lets /ws continue to the handshake."""
        path = request.path.partition("?")[0]
        spoken = self.config.dialect
        if path == spoken.ws_path:
            return None
        if spoken.health_path and path == spoken.health_path:
            return _json_response(connection, http.HTTPStatus.OK, spoken.health_body)
        if spoken.stats_path and path == spoken.stats_path:
            try:
                user_id = self._user_of(request.headers, request.path, with_transports=False)
            except AuthFailure:
                body = {"error": "a valid bearer token is required"}
                return _json_response(connection, http.HTTPStatus.UNAUTHORIZED, body)
            body = self.state.stats_json(user_id)
            if self.liberal is not None:
                body = self.liberal.stats(body)
            return _json_response(connection, http.HTTPStatus.OK, body)
        return _json_response(connection, http.HTTPStatus.NOT_FOUND, {"error": "not found"})

    async def _handle(self, websocket: ServerConnection) -> None:
        """One WebSocket connection: authenticate, enforce the cap, then reply frame by frame."""
        liberties = None if self.liberal is None else self.liberal.for_connection()
        sender = FrameSender(websocket, self.config.dialect, liberties, self.config.defects)
        request = websocket.request
        assert request is not None
        try:
            user_id = self._user_of(request.headers, request.path, with_transports=True)
        except AuthFailure as failure:
            refusal = self._auth_message(failure)
            if self.realtime is not None:
                await self.realtime.refuse(websocket, refusal)
            else:
                await self._refuse(websocket, sender, None, P.AUTH_FAILED, refusal)
            return
        if self.realtime is not None:
            await self.realtime.serve(websocket, user_id)
            return
        limit = self.config.limit("max_connections_per_user")
        if limit and self._slots_taken(user_id) >= limit:
            too_many = f"Too many open connections for this user (at most {limit})."
            await self._refuse(websocket, sender, user_id, P.TOO_MANY_CONNECTIONS, too_many)
            return
        if self.config.has(D.SEQ_PER_USER):
            sender.number_with(self._seq_of_user.setdefault(user_id, itertools.count(1)))
        self._opened[user_id] += 1
        session = Session(
            websocket, sender, user_id, self.config, self.state, self._start_run, liberties
        )
        self.state.register(session)
        try:
            for text in self.config.before_welcome:
                await websocket.send(text)
            if not self.config.has(D.NO_WELCOME):
                await session.send_established()
            oversize = 0
            async for message in websocket:
                if isinstance(message, bytes):
                    await websocket.close(
                        P.CLOSE_UNSUPPORTED_DATA, "binary frames are not supported"
                    )
                    return
                if self._too_many_characters(message):
                    await websocket.close(P.CLOSE_MESSAGE_TOO_BIG, "message too big")
                    return
                if self._too_large_for_an_error(message):
                    oversize += 1
                    if oversize > 1 and self.config.has(D.SECOND_OVERSIZE_CLOSES):
                        await websocket.close(P.CLOSE_MESSAGE_TOO_BIG, "message too big")
                        return
                    code = self.config.dialect.oversize_error
                    assert code is not None
                    await session.send_oversize_error(code, self.config.limit("max_bytes"))
                    continue
                await session.handle_text(message)
        except ConnectionClosed:
            return
        finally:
            self.state.unregister(session)

    def _auth_message(self, failure: AuthFailure) -> str:
        """The AUTH_FAILED message: the reason only (`error-leaks-exception`, `-secret`: more)."""
        message = f"Authentication failed: {failure}."
        if self.config.has(D.ERROR_LEAKS_EXCEPTION):
            # The verifier's own exception (kept as the context of the safe one), dumped.
            cause = failure.__context__ or failure
            message = f"{type(cause).__module__}.{type(cause).__qualname__}: {cause}"
        if self.config.has(D.ERROR_LEAKS_SECRET):
            message += f" (verified with secret {self.config.jwt_secret})"
        return message

    async def _refuse(
        self,
        websocket: ServerConnection,
        sender: FrameSender,
        user_id: str | None,
        error_code: str,
        message: str,
    ) -> None:
        """Send one error frame on a just-opened connection, then close it with 1008."""
        if user_id is not None:
            self.state.stats(user_id).errors[error_code] += 1
        try:
            await sender.send(
                {"type": P.ERROR, "error_code": error_code, "message": message, "message_id": None}
            )
            await websocket.close(P.CLOSE_POLICY_VIOLATION, error_code)
        except ConnectionClosed:
            return


def _hs256(signed: str, secret: str) -> str:
    """The base64url HS256 signature of a token's `header.payload` (`error-quotes-signatures`)."""
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _json_response(
    connection: ServerConnection, status: http.HTTPStatus, body: dict[str, Any]
) -> Response:
    """A JSON HTTP response in place of the WebSocket handshake."""
    response = connection.respond(status, json.dumps(body))
    del response.headers["Content-Type"]  # Headers is a multidict: replace, not add
    response.headers["Content-Type"] = "application/json"
    return response
