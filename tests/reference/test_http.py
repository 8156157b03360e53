"""HTTP routes (PROTOCOL.md sections 1 and 7): /health, /stats per user, 401, 404."""

from __future__ import annotations

import time

import jwt
import pytest

from harness.reference import ReferenceServer, mint_token

from .conftest import Connector
from .wire import SECRET, fresh_user, http_get

pytestmark = pytest.mark.asyncio


async def test_health(server: ReferenceServer) -> None:
    reply = await http_get(f"{server.http_url}/health")
    assert (reply.status, reply.body) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["/", "/nope", "/ws/extra", "/healthz"], ids=str)
async def test_other_paths_are_404(server: ReferenceServer, path: str) -> None:
    assert (await http_get(f"{server.http_url}{path}")).status == 404


def _stats_tokens() -> list[str | None]:
    later = int(time.time()) + 600
    return [
        None,
        "garbage",
        jwt.encode({"sub": "x", "exp": later}, "wrong-" + "k" * 40, algorithm="HS256"),
        jwt.encode({"sub": "x", "exp": int(time.time()) - 5}, SECRET, algorithm="HS256"),
    ]


@pytest.mark.parametrize("token", _stats_tokens(), ids=["none", "garbage", "forged", "expired"])
async def test_stats_needs_a_valid_token(server: ReferenceServer, token: str | None) -> None:
    reply = await http_get(f"{server.http_url}/stats", token=token)
    assert reply.status == 401
    assert SECRET not in str(reply.body)


async def test_stats_of_a_user_never_seen_are_zero(server: ReferenceServer) -> None:
    user = fresh_user()
    reply = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert reply.status == 200
    assert reply.body == {
        "user_id": user,
        "connections_open": 0,
        "messages_routed": 0,
        "message_types": {},
        "errors": {},
        "runs_started": 0,
        "runs_completed": 0,
        "runs_failed": 0,
    }


async def test_stats_counts_exactly_for_a_fresh_user(
    server: ReferenceServer, connect: Connector
) -> None:
    user = fresh_user()
    wire = await connect(user)
    await connect(user)
    await connect()  # another user's traffic is not counted
    await wire.request("ping", {})
    await wire.request("ping", {})
    await wire.request("user_message", {"content": "2+2"})
    await wire.collect_run()
    await wire.request("start_agent", {"user_request": "fail: now"})
    await wire.collect_run()
    await wire.request("teleport", {})
    await wire.request("user_message", {"content": ""})
    await wire.send_raw("not json")
    await wire.recv()
    await wire.send_raw("[1]")
    await wire.recv()
    reply = await http_get(f"{server.http_url}/stats", token=mint_token(SECRET, user))
    assert reply.body == {
        "user_id": user,
        "connections_open": 2,
        "messages_routed": 7,
        "message_types": {"ping": 2, "user_message": 2, "start_agent": 1, "teleport": 1},
        "errors": {
            "UNKNOWN_TYPE": 1,
            "INVALID_PAYLOAD": 1,
            "FORMAT_ERROR": 1,
            "INVALID_MESSAGE": 1,
        },
        "runs_started": 2,
        "runs_completed": 1,
        "runs_failed": 1,
    }
