"""How a client's check failed, as a deviation that the same failure gives in every test."""

from __future__ import annotations

import pytest

from harness.errors import CheckFailed, Deviation
from harness.wire.connect import open_client
from harness.wire.transcript import Transcript

from .partial_server import partial_server

pytestmark = pytest.mark.asyncio

NOT_WELCOMED = Deviation(
    "unexpected-frame:connection_established:system_message",
    "the first frame after the handshake is a system_message frame, not connection_established",
)


async def test_a_notice_before_the_welcome_is_one_deviation_for_every_connection() -> None:
    failures = []
    async with partial_server() as url:
        notice = url.replace("/ws", "/notice")
        for _ in range(2):
            with pytest.raises(CheckFailed) as failed:
                await open_client(notice, None, Transcript(), transport="none")
            failures.append(failed.value)
    assert [f.deviation for f in failures] == [NOT_WELCOMED, NOT_WELCOMED]
    assert [f.observed for f in failures] == [
        {"type": "system_message", "data": {"text": "running in fallback mode"}}
    ] * 2


async def test_a_close_while_waiting_names_the_wait_and_the_close_code() -> None:
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none")
        with pytest.raises(CheckFailed) as failed:
            await client.request("crash", within=5.0)
    assert failed.value.deviation == Deviation(
        "closed:reply:crash:1011",
        "the connection closed (close code 1011 (internal error)) while the harness awaited "
        "reply:crash",
    )


async def test_a_missed_wait_without_a_ledger_still_says_what_it_missed() -> None:
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none")
        with pytest.raises(CheckFailed) as failed:
            await client.expect("agent_started", within=0.3)
        await client.close()
    assert failed.value.deviation == Deviation(
        "missed:event:agent_started", "no agent_started event within 0.3 s"
    )
