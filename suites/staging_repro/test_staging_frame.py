"""The staging outage replayed: an ISO timestamp without a zone must be processed, not crash.

On staging, `start_agent` with payload `{"user_request": ...}` and timestamp
'2025-09-08T16:50:01.447585' crashed the handler and closed the socket with 1011.
PROTOCOL.md section 5: that string is UTC, 1757350201.447585, compared exactly as
integer microseconds. The wrong servers the variants tell apart: a crash (1011) on an
ISO string; a zone-less string read as local time (UTC-05:00 on staging gives
1757368201.447585); an offset's sign ignored (1757332201.447585); a 7th fraction digit
rounded instead of truncated (1757350201.447586); the staging string with second 60
answered with its error but processed anyway (a run started).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.suite_api import (
    CheckFailed,
    Client,
    Connect,
    Evidence,
    decimal_text,
    needs,
    to_microseconds,
)
from harness.suite_api import protocol as P

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


STAGING_TIMESTAMP = "2025-09-08T16:50:01.447585"
STAGING_MICROS = 1757350201447585
REQUEST = "Summarise the status of my deployment"
RUN_WITHIN_S = 10.0


def _variant(frame_type: str, key: str, timestamp: str, micros: int, rule: str, name: str) -> Any:
    """One accepted variant, marked with its timestamp class's rule and its frame type's."""
    on_frame = {
        "start_agent": "5.general.accepted-on-start-agent",
        "user_message": "5.general.accepted-on-user-message",
    }[frame_type]
    return pytest.param(
        frame_type, key, timestamp, micros, rule, id=name, marks=pytest.mark.rules(rule, on_frame)
    )


@pytest.mark.rules(
    "3.frame.ack.client-timestamp", "5.general.microsecond-exact", "6.close.never-1011"
)
@pytest.mark.parametrize(
    ("frame_type", "payload_key", "timestamp", "expected", "rule"),
    [
        _variant(
            "start_agent",
            "user_request",
            STAGING_TIMESTAMP,
            STAGING_MICROS,
            "5.accepted.iso-zoneless-utc",
            "original-frame",
        ),
        _variant(
            "start_agent",
            "user_request",
            "2025-09-08T16:50:01.447585Z",
            STAGING_MICROS,
            "5.accepted.iso-z",
            "start_agent-zone-Z",
        ),
        _variant(
            "start_agent",
            "user_request",
            "2025-09-08T16:50:01.447585-05:00",
            1757368201447585,
            "5.accepted.iso-offset-minus",
            "start_agent-offset-minus-0500",
        ),
        # A 7th digit of 9: rounding gives 1757350201.447586.
        _variant(
            "start_agent",
            "user_request",
            "2025-09-08T16:50:01.4475859",
            STAGING_MICROS,
            "5.accepted.iso-fraction-truncated",
            "start_agent-7-fraction-digits",
        ),
        _variant(
            "user_message",
            "content",
            STAGING_TIMESTAMP,
            STAGING_MICROS,
            "5.accepted.iso-zoneless-utc",
            "in-user_message",
        ),
    ],
)
async def test_staging_frame_is_processed(
    connect: Connect,
    evidence: Evidence,
    frame_type: str,
    payload_key: str,
    timestamp: str,
    expected: int,
    rule: str,
) -> None:
    """ack with the exact client_timestamp, a run that ends in agent_completed, socket open."""
    client = await connect()
    ack = await _reply(client, frame_type, {payload_key: REQUEST}, timestamp)
    observed = ack.get("client_timestamp", "<missing>")
    shown = (
        _shown(observed)
        if ack.get("type") == P.ACK
        else str(ack.get("error_code") or ack.get("type"))
    )
    evidence.record(
        rule, sent=json.dumps(timestamp), expected=decimal_text(expected), observed=shown
    )
    if ack.get("type") != P.ACK or to_microseconds(observed) != expected:
        raise CheckFailed(
            f"reply to {frame_type} with timestamp {timestamp!r}",
            expected=f"ack with client_timestamp {decimal_text(expected)}",
            observed=ack,
            frames=[ack],
        )
    events = await client.collect_run(ack.get("run_id"), within=RUN_WITHIN_S)
    if events[-1].get("type") != P.AGENT_COMPLETED:
        raise CheckFailed(
            f"the run started by {frame_type} with timestamp {timestamp!r}",
            expected=f"a run ending in {P.AGENT_COMPLETED}",
            observed=[e.get("type") for e in events],
            frames=events,
        )
    await _still_open(client)


@pytest.mark.rules(
    "3.frame.pong.client-timestamp",
    "5.accepted.iso-zoneless-utc",
    "5.general.microsecond-exact",
    "6.close.never-1011",
)
async def test_staging_timestamp_in_ping(connect: Connect, evidence: Evidence) -> None:
    """pong with client_timestamp 1757350201.447585, socket open."""
    client = await connect()
    pong = await _reply(client, P.PING, {}, STAGING_TIMESTAMP)
    observed = pong.get("client_timestamp", "<missing>")
    evidence.record(
        "5.accepted.iso-zoneless-utc",
        sent=json.dumps(STAGING_TIMESTAMP),
        expected=decimal_text(STAGING_MICROS),
        observed=_shown(observed)
        if pong.get("type") == P.PONG
        else str(pong.get("error_code") or pong.get("type")),
    )
    if pong.get("type") != P.PONG or to_microseconds(observed) != STAGING_MICROS:
        raise CheckFailed(
            f"reply to ping with timestamp {STAGING_TIMESTAMP!r}",
            expected=f"pong with client_timestamp {decimal_text(STAGING_MICROS)}",
            observed=pong,
            frames=[pong],
        )
    await _still_open(client)


# The staging string with second 60: rejected; a normalising parser reads it as 16:51:00.
LEAP_SECOND = "2025-09-08T16:50:60.447585"


@pytest.mark.rules(
    "5.rejected.second-60",
    "5.general.rejected-on-start-agent",
    "5.general.rejected-starts-no-run",
    "5.general.connection-stays-open",
    "6.close.never-1011",
)
async def test_staging_frame_with_second_60_starts_nothing(
    connect: Connect, evidence: Evidence
) -> None:
    """error INVALID_TIMESTAMP, and no event but those of the next request's run."""
    client = await connect()
    reply = await _reply(client, P.START_AGENT, {"user_request": REQUEST}, LEAP_SECOND)
    evidence.record(
        "5.rejected.second-60",
        sent=json.dumps(LEAP_SECOND),
        expected=P.INVALID_TIMESTAMP,
        observed=str(reply.get("error_code") or reply.get("type")),
    )
    if (reply.get("type"), reply.get("error_code")) != (P.ERROR, P.INVALID_TIMESTAMP):
        raise CheckFailed(
            f"reply to start_agent with timestamp {LEAP_SECOND!r}",
            expected=f"error {P.INVALID_TIMESTAMP}",
            observed=reply,
            frames=[reply],
        )
    # A request of the test's own: until its run ends, a wrongly started run has had as
    # long as this one to show.
    ack = await _reply(client, P.START_AGENT, {"user_request": REQUEST}, STAGING_TIMESTAMP)
    events = await client.collect_run(ack.get("run_id"), within=RUN_WITHIN_S)
    stray = [
        f
        for f in client.frames
        if f.get("type") in P.AGENT_EVENTS and f.get("run_id") != ack.get("run_id")
    ]
    if ack.get("type") != P.ACK or stray:
        raise CheckFailed(
            f"events after start_agent with rejected timestamp {LEAP_SECOND!r}",
            expected="only the events of the next request's run (the rejected one starts none)",
            observed=[f.get("type") for f in stray] or ack,
            frames=[*stray, *events],
        )
    await _still_open(client)


def _shown(value: object) -> str:
    """A client_timestamp for the reports: 6 fraction digits, or its JSON text."""
    micros = to_microseconds(value)
    return decimal_text(micros) if micros is not None else json.dumps(value, default=repr)


async def _reply(
    client: Client, frame_type: str, payload: dict[str, Any], timestamp: str
) -> dict[str, Any]:
    """The direct reply to the frame; a closed connection (1011 on staging) fails with its code."""
    try:
        return await client.request(frame_type, payload, timestamp=timestamp)
    except CheckFailed:
        if client.close_code is None:
            raise
        raise CheckFailed(
            f"{frame_type} with timestamp {timestamp!r} (the staging outage)",
            expected="a direct reply on an open connection (never close 1011)",
            observed=f"connection closed with code {client.close_code}",
        ) from None


async def _still_open(client: Client) -> None:
    """A follow-up ping gets its pong: the connection survived the frame."""
    try:
        pong = await client.request(P.PING)
    except CheckFailed:
        if client.close_code is None:
            raise
        raise CheckFailed(
            "the connection after the staging frame",
            expected="still open: a follow-up ping gets a pong",
            observed=f"connection closed with code {client.close_code}",
        ) from None
    if pong.get("type") != P.PONG:
        raise CheckFailed("reply to a follow-up ping", expected=P.PONG, observed=pong)
