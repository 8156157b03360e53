"""Authentication over the wire (PROTOCOL.md section 1): transports, failures, the 1008 close."""

from __future__ import annotations

import time

import jwt
import pytest
from websockets.asyncio.client import connect

from harness.reference import ReferenceServer, mint_token

from .wire import SECRET, Wire, fresh_user, subprotocol_for

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("transport", ["header", "subprotocol", "query"], ids=str)
async def test_each_transport_is_accepted(server: ReferenceServer, transport: str) -> None:
    user = fresh_user()
    wire = await Wire.open(server.ws_url, token=mint_token(SECRET, user), transport=transport)
    first = await wire.recv()
    assert first["type"] == "connection_established"
    assert first["user_id"] == user
    assert first["seq"] == 1
    await wire.close()


async def test_subprotocol_is_echoed_exactly(server: ReferenceServer) -> None:
    token = mint_token(SECRET, fresh_user())
    wire = await Wire.open(server.ws_url, token=token, transport="subprotocol")
    assert wire.websocket.subprotocol == subprotocol_for(token)
    assert (await wire.recv())["type"] == "connection_established"
    await wire.close()


def _token(claims: dict[str, object], *, key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key if alg != "none" else None, algorithm=alg)


def _bad_tokens() -> list[tuple[str, str | None]]:
    later = int(time.time()) + 3600
    return [
        ("missing", None),
        ("malformed", "not-a-jwt"),
        ("forged", _token({"sub": "mallory", "exp": later}, key="another-secret-" + "x" * 32)),
        ("expired", _token({"sub": "late", "exp": int(time.time()) - 10})),
        ("no_sub", _token({"exp": later})),
        ("empty_sub", _token({"sub": "", "exp": later})),
        ("no_exp", _token({"sub": "forever"})),
        ("alg_none", _token({"sub": "mallory", "exp": later}, alg="none")),
        ("alg_hs512", _token({"sub": "mallory", "exp": later}, key=SECRET * 2, alg="HS512")),
    ]


@pytest.mark.parametrize(("case", "token"), _bad_tokens(), ids=[c for c, _ in _bad_tokens()])
@pytest.mark.parametrize("transport", ["header", "subprotocol", "query"], ids=str)
async def test_bad_token_gets_auth_failed_then_1008(
    server: ReferenceServer, case: str, token: str | None, transport: str
) -> None:
    wire = await Wire.open(server.ws_url, token=token, transport=transport)
    frame = await wire.recv()
    assert frame["type"] == "error"
    assert frame["error_code"] == "AUTH_FAILED"
    assert frame["message_id"] is None
    assert frame["seq"] == 1
    assert isinstance(frame["timestamp"], float)
    assert SECRET not in frame["message"]
    if token is not None:
        assert token not in frame["message"]
    assert "Traceback" not in frame["message"] and "/" not in frame["message"]
    assert await wire.wait_closed() == 1008
    assert wire.buffer == []


async def test_first_transport_decides_bad_header_beats_good_query(
    server: ReferenceServer,
) -> None:
    good = mint_token(SECRET, fresh_user())
    wire = await Wire.open(
        server.ws_url, headers={"Authorization": "Bearer forged.token.here"}, query=f"token={good}"
    )
    assert (await wire.recv())["error_code"] == "AUTH_FAILED"
    assert await wire.wait_closed() == 1008


async def test_first_transport_decides_bad_subprotocol_beats_good_query(
    server: ReferenceServer,
) -> None:
    good = mint_token(SECRET, fresh_user())
    wire = await Wire.open(
        server.ws_url, subprotocols=[subprotocol_for("garbage")], query=f"token={good}"
    )
    assert (await wire.recv())["error_code"] == "AUTH_FAILED"
    assert await wire.wait_closed() == 1008


async def test_first_transport_decides_good_header_beats_bad_query(
    server: ReferenceServer,
) -> None:
    user = fresh_user()
    wire = await Wire.open(
        server.ws_url, token=mint_token(SECRET, user), query="token=forged.token.here"
    )
    first = await wire.recv()
    assert first["type"] == "connection_established"
    assert first["user_id"] == user
    await wire.close()


async def test_bypass_header_does_not_skip_verification(server: ReferenceServer) -> None:
    forged = _token({"sub": "mallory", "exp": int(time.time()) + 60}, key="k" * 40)
    wire = await Wire.open(server.ws_url, token=forged, headers={"X-Test-Mode": "1"})
    assert (await wire.recv())["error_code"] == "AUTH_FAILED"
    assert await wire.wait_closed() == 1008


async def test_two_authorization_headers_fail_cleanly(server: ReferenceServer) -> None:
    token = mint_token(SECRET, fresh_user())
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    websocket = await connect(server.ws_url, additional_headers=headers, open_timeout=5)
    wire = Wire(websocket)
    assert (await wire.recv())["error_code"] == "AUTH_FAILED"
    assert await wire.wait_closed() == 1008
