"""Client waits against a real throwaway server: causes recorded once, named by later waits."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from harness.errors import CheckFailed, Deviation, HarnessError
from harness.wire.causes import Cause, CauseLedger, CauseWatch
from harness.wire.client import TargetRefused
from harness.wire.connect import open_client
from harness.wire.transcript import Transcript

from .partial_server import UNANSWERED, partial_server

pytestmark = pytest.mark.asyncio


async def test_missing_reply_is_recorded_once_and_named_by_the_next_wait(tmp_path: Path) -> None:
    ledger = CauseLedger(tmp_path / "causes.jsonl")
    first = CauseWatch(ledger, "suite::mod::test_first")
    second = CauseWatch(ledger, "suite::mod::test_second")
    async with partial_server() as url:
        a = await open_client(url, None, Transcript(), transport="none", causes=first)
        with pytest.raises(CheckFailed) as missed:
            await a.request(UNANSWERED, {"thread_id": "t-1"}, within=1.0)
        assert "same cause" not in str(missed.value)
        # Another test, another worker: it reads the same file.
        again = CauseWatch(CauseLedger(tmp_path / "causes.jsonl"), "suite::mod::test_second")
        b = await open_client(url, None, Transcript(), transport="none", causes=again)
        with pytest.raises(CheckFailed) as known:
            await b.request(UNANSWERED, {"thread_id": "t-2"}, within=60.0)
        await a.close()
        await b.close()
    cause = Cause(
        "reply:get_thread_history",
        "suite::mod::test_first",
        "no direct reply to a get_thread_history frame within 1 s",
    )
    assert ledger.find("reply:get_thread_history") == cause
    assert str(known.value).startswith(
        "same cause as suite::mod::test_first: "
        "no direct reply to a get_thread_history frame within 1 s"
    )
    assert (first.first, again.first, again.again, second.again) == ([cause], [], [cause], [])
    # The failure carries the cause it met again, and both say how they failed alike.
    assert (missed.value.cause, known.value.cause) == (None, cause)
    deviation = Deviation(
        "missed:reply:get_thread_history",
        "no direct reply to a get_thread_history frame within 1 s",
    )
    assert (missed.value.deviation, known.value.deviation) == (deviation, deviation)


async def test_a_wait_that_gets_its_frame_records_nothing(tmp_path: Path) -> None:
    ledger = CauseLedger(tmp_path / "causes.jsonl")
    ledger.record(Cause("reply:ping", "suite::mod::earlier", "no direct reply to a ping frame"))
    watch = CauseWatch(ledger, "suite::mod::test_now")
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none", causes=watch)
        pong = await client.request("ping", message_id="p-1")
        await client.close()
    assert (pong["type"], pong["message_id"]) == ("pong", "p-1")
    assert (watch.first, watch.again) == ([], [])
    assert ledger.find("welcome") is None


@pytest.mark.parametrize(
    ("sent", "key"),
    [
        ("{nope", "reply:non-json"),
        ('{"type": "ping", "message_id": "m", "x": NaN}', "reply:non-json"),
        (f'{{"type": "{UNANSWERED}", "message_id": "m"}}', f"reply:{UNANSWERED}"),
    ],
    ids=["not-json", "NaN-is-not-json", "typed"],
)
async def test_recv_is_keyed_by_the_reply_still_due(sent: str, key: str) -> None:
    watch = CauseWatch(CauseLedger(), "suite::mod::test_recv")
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none", causes=watch)
        await client.send_raw(sent)
        with pytest.raises(CheckFailed):
            await client.recv(within=0.3)
        await client.close()
    assert [c.key for c in watch.first] == [key]


async def test_other_waits_have_keys_of_their_own() -> None:
    watch = CauseWatch(CauseLedger(), "suite::mod::test_keys")
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none", causes=watch)
        ack = await client.request("user_message", {"content": "hi"})
        with pytest.raises(CheckFailed):
            await client.collect_run(ack["run_id"], within=0.3)
        with pytest.raises(CheckFailed):
            await client.expect("tool_completed", within=0.3)
        with pytest.raises(CheckFailed):
            await client.wait_closed(within=0.3)
        await client.close()
        with pytest.raises(CheckFailed):
            await open_client(
                url + "?silent=1", None, Transcript(), transport="none", within=0.3, causes=watch
            )
    assert [(c.key, c.message) for c in watch.first] == [
        ("event:agent_started", "no agent_started event within 0.3 s"),
        ("event:tool_completed", "no tool_completed event within 0.3 s"),
        ("close", "the server did not close the connection within 0.3 s"),
        ("welcome", "no connection_established after the handshake within 0.3 s"),
    ]


async def test_a_first_frame_awaited_without_the_welcome_is_a_cause_of_its_own() -> None:
    watch = CauseWatch(CauseLedger(), "suite::mod::test_refusal")
    async with partial_server() as url:
        client = await open_client(
            url + "?silent=1", None, Transcript(), transport="none", established=False, causes=watch
        )
        with pytest.raises(CheckFailed):
            await client.recv(within=0.3)
        await client.close()
    assert [(c.key, c.message) for c in watch.first] == [
        ("first-frame", "no first frame after the handshake within 0.3 s")
    ]


async def test_close_1011_is_named_and_fails_the_connection_end() -> None:
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none")
        with pytest.raises(CheckFailed) as closed:
            await client.request("crash")
        await client.close()
    assert "close code 1011 (internal error)" in str(closed.value)
    assert client.end_failure() == "the server closed the connection with 1011 (internal error)"


async def test_1011_after_the_last_check_is_seen_at_close() -> None:
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none")
        await client.send({"type": "crash", "message_id": "c"})
        await client.close()
    assert client.close_code == 1011
    assert client.end_failure() == (
        "the server closed the connection with 1011 (internal error) after the test's last check"
    )


async def test_dropped_connection_fails_the_connection_end() -> None:
    async with partial_server() as url:
        client = await open_client(url, None, Transcript(), transport="none")
        assert (await client.request("drop"))["type"] == "pong"
        await client.close()
    assert client.close_code is None
    assert client.end_failure() == (
        "the connection was dropped without a close frame after the test's last check"
    )


async def test_clean_and_expected_closes_are_not_failures() -> None:
    async with partial_server() as url:
        ours = await open_client(url, None, Transcript(), transport="none")
        await ours.request("ping")
        await ours.close()
        refused = await open_client(url, None, Transcript(), transport="none")
        await refused.send({"type": "refuse", "message_id": "r"})
        assert await refused.wait_closed() == 1008
        await refused.close()
    assert (ours.end_failure(), refused.end_failure()) == (None, None)


async def test_refused_connection_is_a_failure_of_the_target() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TargetRefused) as refused:
        await open_client(f"ws://127.0.0.1:{port}/ws", None, Transcript(), transport="none")
    assert isinstance(refused.value, CheckFailed)
    assert not isinstance(refused.value, HarnessError)
    assert "ConnectionRefusedError" in str(refused.value)


async def test_a_silent_handshake_is_a_cause_and_later_opens_wait_briefly(tmp_path: Path) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accepts TCP, never answers the HTTP upgrade

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws"
    ledger = CauseLedger(tmp_path / "causes.jsonl")
    first = CauseWatch(ledger, "suite::mod::test_first")
    later = CauseWatch(CauseLedger(tmp_path / "causes.jsonl"), "suite::mod::test_later")
    try:
        with pytest.raises(CheckFailed) as missed:
            await open_client(url, None, Transcript(), transport="none", within=1.0, causes=first)
        started = time.monotonic()
        with pytest.raises(CheckFailed) as known:
            await open_client(url, None, Transcript(), transport="none", within=60.0, causes=later)
        waited = time.monotonic() - started
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    cause = Cause(
        "handshake",
        "suite::mod::test_first",
        "no answer to the WebSocket opening handshake within 1 s",
    )
    assert "same cause" not in str(missed.value)
    assert (first.first, later.again) == ([cause], [cause])
    assert (missed.value.cause, known.value.cause) == (None, cause)
    assert str(known.value).startswith(
        "same cause as suite::mod::test_first: "
        "no answer to the WebSocket opening handshake within 1 s"
    )
    assert waited < 5.0  # the short deadline (0.1 s), not the 60 s asked for
