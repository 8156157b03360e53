"""The per-user connection limit of PROTOCOL.md section 6: 16 open connections, no more.

Wrong servers these tests tell apart from a correct one:
- off by one: the 16th connection refused, or a 17th accepted;
- a refused connection that gets connection_established first, no TOO_MANY_CONNECTIONS
  error, or another close code than 1008 (or no close at all);
- a limit shared by all users (another user refused while one holds 16);
- a closed connection that keeps its slot (counted until the server restarts);
- a refused connection counted in connections_open.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import pytest

from harness.suite_api import (
    CheckFailed,
    Client,
    Connect,
    HttpClient,
    Target,
    User,
    UserFactory,
    needs,
    premise,
)
from harness.suite_api import protocol as P
from suites.message_routing.counters import expect_counters
from suites.message_routing.replies import REPLY_WITHIN, error_summary

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# The limit of PROTOCOL.md section 6 (not announced by the target); a profile may state
# another (netra-2025-09: 3), which the tests then hold the target to.
MAX_CONNECTIONS: Final = 16


def connection_limit(target: Target) -> int:
    """The open connections one user may hold: 16 by the protocol, or the profile's."""
    limit = target.profile.section("capabilities")["max_connections_per_user"]
    return int(limit) if limit else MAX_CONNECTIONS


# A server may free a closed connection's slot just after its closing handshake.
SLOT_FREED_WITHIN: Final = 2.0


async def open_sixteen(connect: Connect, user: User, limit: int = MAX_CONNECTIONS) -> list[Client]:
    """Open 16 (the limit's) connections for `user`; each must get connection_established."""
    clients = await asyncio.gather(*(connect(user) for _ in range(limit)))
    return list(clients)


async def expect_refused(connect: Connect, user: User, limit: int = MAX_CONNECTIONS) -> None:
    """Check that a new connection of `user` gets TOO_MANY_CONNECTIONS, then close 1008."""
    client = await connect(user, established=False)
    first = await client.recv(within=REPLY_WITHIN)
    observed = (first.get("type"), first.get("error_code"))
    if observed != (P.ERROR, P.TOO_MANY_CONNECTIONS):
        raise CheckFailed(
            f"first frame of connection {limit + 1} of one user",
            expected={"type": P.ERROR, "error_code": P.TOO_MANY_CONNECTIONS},
            observed=error_summary(first),
        )
    code = await client.wait_closed(within=REPLY_WITHIN)
    welcomed = [f for f in client.frames if f.get("type") == P.CONNECTION_ESTABLISHED]
    assert (code, welcomed) == (P.CLOSE_POLICY_VIOLATION, []), (
        f"after TOO_MANY_CONNECTIONS: expected close 1008 and no connection_established, "
        f"observed close {code} and {len(welcomed)} connection_established"
    )


@pytest.mark.rules(
    "6.limit.connections-up-to-16",
    "6.limit.too-many-connections",
    "6.close.too-many-connections-1008",
)
async def test_seventeenth_connection_refused(
    connect: Connect, users: UserFactory, target: Target
) -> None:
    """16 connections of one user are established; the 17th gets TOO_MANY_CONNECTIONS, 1008."""
    user = users.new(prefix="conn-cap")
    limit = connection_limit(target)
    await open_sixteen(connect, user, limit)
    await expect_refused(connect, user, limit)


@premise("7.stats.connections-open")
@pytest.mark.rules("6.limit.too-many-connections")
async def test_refused_connection_is_not_counted_open(
    connect: Connect, http: HttpClient, users: UserFactory, target: Target
) -> None:
    """After 16 (the limit's) connections and a refused one more, connections_open is 16."""
    user = users.new(prefix="conn-count")
    limit = connection_limit(target)
    await open_sixteen(connect, user, limit)
    await expect_refused(connect, user, limit)
    expected = {"connections_open": limit}
    await expect_counters(http, user.token, expected, "a refused 17th connection", only=True)


@pytest.mark.rules("6.limit.connection-limit-per-user")
async def test_limit_is_per_user(connect: Connect, users: UserFactory, target: Target) -> None:
    """While one user holds 16 connections, another user connects and is answered."""
    await open_sixteen(connect, users.new(prefix="conn-full"), connection_limit(target))
    other = await connect(users.new(prefix="conn-other"))
    reply = await other.request(P.PING, message_id="other-user")
    assert reply.get("type") == P.PONG, f"reply to ping: observed {error_summary(reply)}"


@pytest.mark.rules("6.limit.closed-connection-frees-slot")
async def test_closed_connection_frees_its_slot(
    connect: Connect, users: UserFactory, target: Target
) -> None:
    """After one of 16 connections closes, a new connection of that user is accepted."""
    user = users.new(prefix="conn-slot")
    limit = connection_limit(target)
    clients = await open_sixteen(connect, user, limit)
    await clients[0].close()
    # The server may count the closed connection until its handler ends: retry briefly.
    deadline = time.monotonic() + SLOT_FREED_WITHIN
    while True:
        client = await connect(user, established=False)
        first = await client.recv(within=REPLY_WITHIN)
        if first.get("type") == P.CONNECTION_ESTABLISHED or time.monotonic() >= deadline:
            break
        await client.wait_closed(within=REPLY_WITHIN)
        await asyncio.sleep(0.05)
    assert first.get("type") == P.CONNECTION_ESTABLISHED, (
        f"a new connection after closing one of {limit}: expected "
        f"connection_established within {SLOT_FREED_WITHIN:g} s, observed {error_summary(first)}"
    )
