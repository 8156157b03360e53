"""A dialect's own statements (catalogue section 9): what the target's profile declares
beyond PROTOCOL.md, held on every frame kind and every token transport.

The client decodes every frame through the profile, strictly where the profile declares
(a timestamp's exact format, every mapped field, each constant, the dialect's error
codes) and liberally where it is silent: a frame that breaks a declaration fails the
test that waits on it, naming the rule. These tests make sure every frame kind and every
transport is seen at least once, and check the statements no single frame shows: an
unknown type acknowledged, every oversize frame (the second too) answered by the
declared error. Wrong servers they tell apart from a correct one of netra-2025-09:
- a timestamp in another ISO form (milliseconds, `Z`, no zone, no fraction), or epoch;
- a constant missing or changed (`connection_ready` false, `status` other than
  "acknowledged", an `agent_name` other than "scripted-agent", an error without
  `details`), or a canonical error code the dialect renames (INVALID_PAYLOAD);
- a welcome in the dialect's form on the header transport only;
- an unknown type answered by an error or starting a run;
- a first oversize frame answered and the second closed or processed; a frame of exactly
  the limit refused.
On a target of chat-agent/1 itself these rules are not applicable: it states nothing of
its own beyond PROTOCOL.md.
"""

from __future__ import annotations

import uuid
from typing import Final

import pytest

from harness.suite_api import CheckFailed, Connect, Target, needs, premise
from harness.suite_api import protocol as P
from suites.message_routing.replies import (
    NO_RUN_QUIET,
    REPLY_WITHIN,
    error_summary,
    expect_usable,
)
from suites.message_routing.sizes import (
    ASCII,
    TWO_BYTES,
    expect_pong,
    ping_of_size,
    sized_limit,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# A run with a tool call, and one that ends in agent_error (PROTOCOL.md section 4).
TOOL_RUN: Final = "What is 2+3 and (7-1) * 4?"
FAIL_RUN: Final = "fail: the tool chain broke"
RUN_WITHIN: Final = 15.0
# The staging timestamp (PROTOCOL.md section 5), sent so that pong and ack echo one.
CLIENT_TIMESTAMP: Final = 1757350201.447585
# Every server frame kind a conversation shows, each decoded through the profile.
FRAME_KINDS: Final = frozenset(
    {
        P.CONNECTION_ESTABLISHED,
        P.PONG,
        P.ACK,
        P.THREAD_HISTORY,
        P.ERROR,
        P.AGENT_STARTED,
        P.AGENT_THINKING,
        P.TOOL_EXECUTING,
        P.TOOL_COMPLETED,
        P.AGENT_COMPLETED,
        P.AGENT_ERROR,
    }
)


@premise("9.dialect.frame-fields")
@pytest.mark.rules(
    "9.dialect.timestamp-format",
    "9.dialect.constant-fields",
    "9.dialect.error-codes",
    "6.close.never-1011",
)
async def test_every_frame_kind_is_in_the_dialects_form(connect: Connect) -> None:
    """Welcome, pong, ack, history, errors and every agent event decode in the dialect."""
    owner = await connect()
    foreign = f"t-dialect-{uuid.uuid4().hex}"
    await owner.collect_run(
        (await owner.request(P.USER_MESSAGE, {"content": "mine", "thread_id": foreign}))["run_id"],
        within=RUN_WITHIN,
    )
    client = await connect()
    thread_id = f"t-dialect-{uuid.uuid4().hex}"
    kinds = {P.CONNECTION_ESTABLISHED} if client.established else set()
    replies = [
        await client.request(P.PING, timestamp=CLIENT_TIMESTAMP),
        await client.request(P.GET_THREAD_HISTORY, {"thread_id": f"t-none-{uuid.uuid4().hex}"}),
        await client.request(P.USER_MESSAGE, {"content": ""}),
        await client.request(P.USER_MESSAGE, {"content": "hi", "thread_id": foreign}),
    ]
    for content in (TOOL_RUN, FAIL_RUN):
        ack = await client.request(
            P.USER_MESSAGE,
            {"content": content, "thread_id": thread_id},
            timestamp=CLIENT_TIMESTAMP,
        )
        replies.append(ack)
        replies += await client.collect_run(ack.get("run_id"), within=RUN_WITHIN)
    replies.append(await client.request(P.GET_THREAD_HISTORY, {"thread_id": thread_id}))
    await client.send_raw("not json")
    replies.append(await client.recv(within=REPLY_WITHIN))
    # A last exchange: any frame before it that broke the dialect fails the test here.
    replies.append(await client.request(P.PING))
    kinds |= {str(frame.get("type")) for frame in replies}
    if not kinds >= FRAME_KINDS:
        raise CheckFailed(
            "server frame kinds seen in one conversation",
            expected=sorted(FRAME_KINDS),
            observed=sorted(kinds),
            frames=client.frames,
        )


@pytest.mark.parametrize(
    "transport",
    [
        pytest.param("header", id="header", marks=premise("1.auth.transport.header")),
        pytest.param(
            "subprotocol", id="subprotocol", marks=premise("1.auth.transport.subprotocol")
        ),
        pytest.param("query", id="query", marks=premise("1.auth.transport.query")),
    ],
)
@premise("9.dialect.welcome-every-transport")
async def test_the_welcome_is_the_dialects_on_every_transport(
    connect: Connect, target: Target, transport: str
) -> None:
    """On each token transport the first frame is the welcome, in the dialect's form."""
    client = await connect(transport=transport)
    assert client.user is not None
    welcome = client.established or {}
    largest = int(target.profile.section("capabilities")["max_message_bytes"])
    observed = {
        "type": welcome.get("type"),
        "user_id": welcome.get("user_id"),
        "max_message_bytes": (welcome.get("limits") or {}).get("max_message_bytes"),
    }
    expected = {
        "type": P.CONNECTION_ESTABLISHED,
        "user_id": client.user.id,
        "max_message_bytes": largest,
    }
    if observed != expected:
        raise CheckFailed(
            f"welcome on the {transport} transport", expected=expected, observed=observed
        )
    await expect_usable(client)


@premise("9.dialect.unknown-type-ack")
@pytest.mark.rules("6.close.never-1011")
@pytest.mark.parametrize("frame_type", ["frobnicate", "PING"], ids=["frobnicate", "PING"])
async def test_an_unknown_type_is_acknowledged_and_starts_no_run(
    connect: Connect, frame_type: str
) -> None:
    """An unknown type gets one ack naming it; no agent event follows."""
    client = await connect()
    await client.send({"type": frame_type, "message_id": "ua-1", "payload": {"content": "hi"}})
    reply = await client.recv(within=REPLY_WITHIN)
    observed = {"type": reply.get("type"), "received_type": reply.get("received_type")}
    if observed != {"type": P.ACK, "received_type": frame_type}:
        raise CheckFailed(
            f"reply to a frame of the unknown type {frame_type!r}",
            expected={"type": P.ACK, "received_type": frame_type},
            observed=error_summary(reply) | observed,
        )
    await expect_usable(client, quiet=NO_RUN_QUIET)


@premise("9.dialect.oversize-error")
@pytest.mark.rules(
    "9.dialect.oversize-error-again", "9.dialect.oversize-max-accepted", "6.close.never-1011"
)
@pytest.mark.parametrize("pad", [ASCII, TWO_BYTES], ids=["ascii", "two-byte-chars"])
async def test_every_oversize_frame_gets_the_declared_error(
    connect: Connect, target: Target, pad: str
) -> None:
    """Two frames one byte over the limit each get the declared error, unprocessed; the
    connection stays open, and a frame of exactly the limit is then processed."""
    client = await connect()
    limit = sized_limit(client)
    code = str(target.profile.section("capabilities")["oversize"]).split(":", 1)[1]
    for ordinal in ("first", "second"):
        await client.send_raw(ping_of_size(limit + 1, f"big-{ordinal}", pad, client.envelope))
        try:
            reply = await client.recv(within=REPLY_WITHIN)
        except CheckFailed:
            raise CheckFailed(
                f"reply to the {ordinal} frame of {limit + 1} bytes",
                expected={"type": P.ERROR, "error_code": code},
                observed=f"no frame (close code {client.close_code})",
            ) from None
        observed = {"type": reply.get("type"), "error_code": reply.get("error_code")}
        if observed != {"type": P.ERROR, "error_code": code}:
            raise CheckFailed(
                f"reply to the {ordinal} frame of {limit + 1} bytes",
                expected={"type": P.ERROR, "error_code": code},
                observed=error_summary(reply),
            )
    await expect_pong(client, ping_of_size(limit, "max-size", pad, client.envelope), "max-size")
    await expect_usable(client)
