"""Close codes of PROTOCOL.md section 6: binary frames, normal close, server shutdown.

Wrong servers these tests tell apart from a correct one:
- a binary frame answered with an error frame (FORMAT_ERROR) or read as text, or closed
  with another code (1002, 1008, 1011);
- a client's close 1000 answered with another code (1001, 1005) or a dropped connection;
- a shutdown that drops its connections without a close frame, or closes them with 1000
  or 1011 instead of 1001, or a process that does not exit after SIGTERM (the harness can
  stop only an instance it started: the shutdown test runs against a private instance of
  the embedded target or of the served command, and is not applicable to a remote one).
"""

from __future__ import annotations

import asyncio

import pytest

from harness.suite_api import (
    CauseWatch,
    CheckFailed,
    Checks,
    Client,
    Connect,
    Deviation,
    PrivateTarget,
    Target,
    Transcript,
    TurnDriver,
    UserFactory,
    open_client,
    turn_shape,
    turn_value,
)
from harness.suite_api import protocol as P
from suites.message_routing.replies import REPLY_WITHIN, error_summary

pytestmark = pytest.mark.asyncio

# 6.close.shutdown-exits: how long the process may take to exit after SIGTERM.
SHUTDOWN_EXIT_S = 10.0


@pytest.mark.rules("6.close.binary-1003")
@pytest.mark.parametrize(
    "data",
    [b'{"type": "ping", "message_id": "bin-1"}', b"\x00\xff\x10"],
    ids=["json-bytes", "raw-bytes"],
)
async def test_binary_frame_closes_1003(connect: Connect, target: Target, data: bytes) -> None:
    """A binary frame closes the connection with 1003, with no reply before (a frame of an
    agent's turn, which only a leak from another session could bring, is no reply: the
    turn tests judge it)."""
    client = await connect()
    await client.send_raw(data)
    code = await client.wait_closed(within=REPLY_WITHIN)
    turn_id = turn_shape(target.profile).turn_id
    replies = [
        error_summary(f)
        for f in client.frames
        if f.get("type") != P.CONNECTION_ESTABLISHED and turn_value(f, turn_id) is None
    ]
    assert (code, replies) == (P.CLOSE_UNSUPPORTED_DATA, []), (
        f"answer to a binary frame: expected close 1003 and no reply, "
        f"observed close {code} after the replies {replies}"
    )


@pytest.mark.rules("6.close.normal-1000")
async def test_normal_close_answered_with_1000(connect: Connect, target: Target) -> None:
    """A client's close 1000 (on a connection shown live by a ping where the dialect has
    one, else by its welcome) is answered by the server's close 1000."""
    client = await connect()
    if "chat_requests" in target.profile.capabilities:
        pong = await client.request(P.PING, message_id="before-close")
        assert pong.get("type") == P.PONG, f"reply to ping: observed {error_summary(pong)}"
    await client.close(P.CLOSE_NORMAL)
    assert client.close_code == P.CLOSE_NORMAL, (
        f"the server's answer to close 1000: expected close 1000, observed {client.close_code} "
        "(None: no close frame)"
    )


@pytest.mark.requires_private_target
@pytest.mark.rules("6.close.shutdown-1001", "6.close.shutdown-exits", "6.close.declared-codes")
async def test_shutdown_closes_every_connection_1001(
    private_target: PrivateTarget, transcript: Transcript, causes: CauseWatch, checks: Checks
) -> None:
    """When the server shuts down (SIGTERM), each of its open connections is closed with
    1001, the one with a turn in flight as the idle one, and its process exits in 10 s.
    (1001 is chat-agent/1's: for a dialect without its requests, only the exit is checked.)"""
    users = UserFactory(private_target.target)
    clients: list[Client] = []
    try:
        for _ in range(2):
            clients.append(
                await open_client(
                    private_target.target.ws_url,
                    users.new(),
                    transcript,
                    profile=private_target.target.profile,
                    causes=causes,  # a welcome the run knows never comes is not waited for
                )
            )
        profile = private_target.target.profile
        if "chat_requests" in profile.capabilities:
            for index, client in enumerate(clients):
                reply = await client.request(P.PING, message_id=f"sd-{index}")
                assert reply.get("type") == P.PONG, (
                    f"reply to ping: observed {error_summary(reply)}"
                )
        # The first connection has a turn in flight when the shutdown begins (asked for in
        # the target's dialect); the second idles.
        await TurnDriver(clients[0], turn_shape(profile)).send("what is 12 * 7 and 3 + 4?")
        await private_target.stop()
        codes = await asyncio.gather(*(c.wait_closed(within=REPLY_WITHIN) for c in clients))
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    going_away = checks.applies("6.close.shutdown-1001")
    if going_away and codes != [P.CLOSE_GOING_AWAY] * len(clients):
        raise CheckFailed(
            f"close codes of {len(clients)} connections (a turn in flight, idle) when the "
            "server shut down",
            expected="1001 each",
            observed=f"{codes} (None: no close frame)",
            deviation=Deviation(
                f"shutdown-close:{codes}",
                f"the shutdown closed its connections with {codes}, not 1001",
                ("6.close.shutdown-1001",),
            ),
        )
    # Where chat-agent/1's 1001 does not apply, each connection still ends with a close
    # frame whose code the profile declares: a drop is no close, and says nothing.
    declared = tuple(profile.section("capabilities")["close_codes"])
    if not going_away and any(code is None or code not in declared for code in codes):
        raise CheckFailed(
            f"close codes of {len(clients)} connections (a turn in flight, idle) when the "
            "server shut down",
            expected=f"a close frame with a declared code each ({list(declared)})",
            observed=f"{codes} (None: no close frame)",
            deviation=Deviation(
                f"shutdown-close:{codes}",
                f"the shutdown ended its connections with {codes}",
                ("6.close.declared-codes",),
            ),
        )
    seconds = private_target.stopped_in_s
    if seconds is None or seconds > SHUTDOWN_EXIT_S:
        raise CheckFailed(
            "the server process after SIGTERM",
            expected=f"exits within {SHUTDOWN_EXIT_S:g} s",
            observed="still running: killed" if seconds is None else f"exited in {seconds:.1f} s",
            deviation=Deviation(
                "shutdown-exit",
                "the process did not exit after SIGTERM",
                ("6.close.shutdown-exits",),
            ),
        )
