"""The reference server speaking openai-realtime: welcome, items, responses, cancel, errors."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.reference.dialect import dialect

from .realtime_client import (
    PROFILE,
    SEARCH_TEXT,
    joined,
    of_type,
    realtime_server,
    respond,
    say,
    session,
    until_done,
    user_item,
)
from .wire import SECRET, Wire, fresh_user, http_get

pytestmark = pytest.mark.asyncio

EVENT_ID = re.compile(r"event_[0-9a-f]{12}")
SEARCH_TOOL = {
    "type": "function",
    "name": "search",
    "description": "Search the web",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
}


def _error(frame: dict[str, Any], code: str, param: str | None, event_id: str | None) -> None:
    assert frame["type"] == "error", frame
    assert EVENT_ID.fullmatch(frame["event_id"])
    error = frame["error"]
    assert (error["type"], error["code"], error["param"], error["event_id"]) == (
        "invalid_request_error",
        code,
        param,
        event_id,
    )
    assert isinstance(error["message"], str) and error["message"]


async def test_the_welcome_is_session_created() -> None:
    async with realtime_server() as server, session(server) as wire:
        welcome = wire.established
    assert welcome is not None and EVENT_ID.fullmatch(welcome["event_id"])
    created = welcome["session"]
    assert re.fullmatch(r"sess_[0-9a-f]+", created.pop("id"))
    assert created == {
        "object": "realtime.session",
        "model": "reference-realtime",
        "modalities": ["text"],
        "instructions": "",
        "tools": [SEARCH_TOOL],
    }


async def test_session_update_answers_the_merged_session() -> None:
    async with realtime_server() as server, session(server) as wire:
        await wire.send({"type": "session.update", "session": {"instructions": "Be brief."}})
        updated = await wire.expect("session.updated")
    assert updated["session"]["instructions"] == "Be brief."
    assert updated["session"]["model"] == "reference-realtime"
    assert updated["session"]["tools"] == [SEARCH_TOOL]


async def test_items_are_created_with_the_previous_item_id() -> None:
    async with realtime_server() as server, session(server) as wire:
        first = await say(wire, "hello")
        output = {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}
        await wire.send({"type": "conversation.item.create", "item": output})
        second = await wire.expect("conversation.item.created")
    assert first["previous_item_id"] is None
    item = first["item"]
    assert re.fullmatch(r"item_[0-9a-f]+", item["id"])
    assert (item["object"], item["type"], item["role"], item["status"]) == (
        "realtime.item",
        "message",
        "user",
        "completed",
    )
    assert item["content"] == [{"type": "input_text", "text": "hello"}]
    assert second["previous_item_id"] == item["id"]
    assert (second["item"]["call_id"], second["item"]["output"]) == ("call_1", "sunny")


@pytest.mark.parametrize(
    "item",
    [None, "text", {"type": "message", "role": "user"}, {"type": "message", "content": []}],
    ids=["missing", "string", "no-content", "empty"],
)
async def test_a_malformed_item_is_invalid_value(item: Any) -> None:
    frame: dict[str, Any] = {"type": "conversation.item.create", "event_id": "evt_9"}
    if item is not None:
        frame["item"] = item
    async with realtime_server() as server, session(server) as wire:
        await wire.send(frame)
        _error(await wire.recv(), "invalid_value", "item", "evt_9")


async def test_a_response_streams_its_calls_then_its_text_in_order() -> None:
    async with realtime_server() as server, session(server) as wire:
        frames = await respond(wire, SEARCH_TEXT)
        assert await wire.quiet(0.2) == []
    created, done = frames[0], frames[-1]
    assert created["type"] == "response.created"
    response_id = created["response"]["id"]
    assert re.fullmatch(r"resp_[0-9a-f]+", response_id)
    assert (created["response"]["object"], created["response"]["status"]) == (
        "realtime.response",
        "in_progress",
    )
    assert created["response"]["output"] == []
    kinds = " ".join(frame["type"] for frame in frames)
    call = (
        r"response\.output_item\.added( response\.function_call_arguments\.delta)+"
        r" response\.function_call_arguments\.done response\.output_item\.done"
    )
    message = (
        r"response\.output_item\.added response\.content_part\.added"
        r"( response\.output_text\.delta){3,40} response\.output_text\.done"
        r" response\.content_part\.done response\.output_item\.done"
    )
    assert re.fullmatch(rf"response\.created( {call}){{1,2}} {message} response\.done", kinds)
    assert all(f.get("response_id", response_id) == response_id for f in frames[1:-1])
    event_ids = [frame["event_id"] for frame in frames]
    assert all(EVENT_ID.fullmatch(e) for e in event_ids) and len(set(event_ids)) == len(frames)
    # Every call's deltas join to its arguments, JSON naming a query.
    for ended in of_type(frames, "response.function_call_arguments.done"):
        arguments = joined(
            frames,
            "response.function_call_arguments.delta",
            lambda f, item_id=ended["item_id"]: f["item_id"] == item_id,
        )
        assert arguments == ended["arguments"]
        assert isinstance(json.loads(arguments)["query"], str)
        assert ended["name"] == "search" and ended["call_id"].startswith("call_")
    (text_done,) = of_type(frames, "response.output_text.done")
    text = joined(frames, "response.output_text.delta", lambda f: True)
    assert text == text_done["text"] and 12 <= len(text.split()) <= 60
    assert done["response"]["id"] == response_id
    assert (done["response"]["status"], done["response"]["status_details"]) == ("completed", None)
    output = done["response"]["output"]
    assert [item["type"] for item in output][-1] == "message"
    assert output[-1]["content"] == [{"type": "text", "text": text}]
    assert all(item["status"] == "completed" for item in output)
    usage = done["response"]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


async def test_a_response_with_no_user_text_is_still_a_text_message() -> None:
    async with realtime_server() as server, session(server) as wire:
        frames = await respond(wire)
    assert of_type(frames, "response.function_call_arguments.delta") == []
    assert frames[-1]["response"]["status"] == "completed"
    assert len(of_type(frames, "response.output_text.done")) == 1


async def _texts(seed: int, prompts: list[str]) -> list[str]:
    async with realtime_server(seed=seed) as server, session(server) as wire:
        return [
            of_type(await respond(wire, p), "response.output_text.done")[0]["text"] for p in prompts
        ]


async def test_responses_differ_and_a_seed_and_order_repeat_them() -> None:
    prompts = ["Tell me a story", "Tell me a story", "What now?"]
    first = await _texts(7, prompts)
    assert first[0] != first[1]  # the same question, worded anew
    assert await _texts(7, prompts) == first
    assert await _texts(8, prompts) != first


async def test_the_capital_of_france_is_known_in_most_responses_not_all() -> None:
    texts = await _texts(0, ["What is the capital of France?"] * 16)
    knowing = sum("Paris" in text for text in texts)
    assert 8 <= knowing <= 15, texts


async def test_cancel_mid_stream_ends_the_response_cancelled() -> None:
    async with realtime_server(think_ms=20.0) as server, session(server) as wire:
        await say(wire, "Tell me a long story")
        await wire.send({"type": "response.create"})
        await wire.expect("response.output_text.delta")
        await wire.send({"type": "response.cancel"})
        frames = await until_done(wire)
        after = await wire.quiet(0.4)
        # The session goes on: the next response completes.
        again = await respond(wire)
    done = frames[-1]["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert [item["type"] for item in done["output"]] == ["message"]
    assert of_type(frames, "response.output_text.done") == []
    assert after == []
    assert again[-1]["response"]["status"] == "completed"


@pytest.mark.parametrize("response_id", [None, "resp_000000000000"], ids=["none", "other-id"])
async def test_cancel_with_no_such_response_in_flight_is_an_error(response_id: str | None) -> None:
    cancel: dict[str, Any] = {"type": "response.cancel", "event_id": "evt_c1"}
    if response_id is not None:
        cancel["response_id"] = response_id
    async with realtime_server() as server, session(server) as wire:
        if response_id is not None:
            await wire.send({"type": "response.create"})
            await wire.expect("response.created")
        await wire.send(cancel)
        error = await wire.expect("error")
        frames = await until_done(wire) if response_id is not None else []
    _error(error, "response_cancel_not_active", None, "evt_c1")
    assert frames == [] or frames[-1]["response"]["status"] == "completed"


async def test_a_second_response_create_in_flight_is_refused_the_first_goes_on() -> None:
    async with realtime_server(think_ms=10.0) as server, session(server) as wire:
        await wire.send({"type": "response.create"})
        await wire.expect("response.created")
        await wire.send({"type": "response.create", "event_id": "evt_2"})
        error = await wire.expect("error")
        frames = await until_done(wire)
        assert await wire.quiet(0.2) == []
    _error(error, "conversation_already_has_active_response", None, "evt_2")
    assert frames[-1]["response"]["status"] == "completed"
    assert of_type(frames, "response.created") == []


@pytest.mark.parametrize(
    ("text", "code", "param", "event_id"),
    [
        (
            '{"type": "input_audio_buffer.append", "event_id": "e1"}',
            "invalid_event_type",
            "type",
            "e1",
        ),
        ('{"event_id": "e2"}', "invalid_event_type", "type", "e2"),
        ("{not json", "invalid_json", None, None),
        ("[1, 2]", "invalid_json", None, None),
        (
            '{"type": "response.create", "response": 3, "event_id": "e3"}',
            "invalid_value",
            "response",
            "e3",
        ),
    ],
    ids=["unknown-type", "no-type", "not-json", "not-object", "bad-response"],
)
async def test_a_bad_frame_gets_its_error_and_the_session_still_answers(
    text: str, code: str, param: str | None, event_id: str | None
) -> None:
    async with realtime_server() as server, session(server) as wire:
        await wire.send_raw(text)
        _error(await wire.recv(), code, param, event_id)
        frames = await respond(wire, "hello again")
    assert frames[-1]["response"]["status"] == "completed"


async def test_a_bad_token_gets_one_invalid_api_key_error_then_1008() -> None:
    async with realtime_server() as server:
        wire = await Wire.open(
            server.ws_url, token=mint_token("another-secret-0123456789abcdefghijklmnop", "u")
        )
        error = await wire.recv()
        code = await wire.wait_closed()
        frames = wire.buffer
    _error(error, "invalid_api_key", None, None)
    assert code == 1008 and frames == []


async def test_binary_closes_1003_and_oversize_1009() -> None:
    async with realtime_server() as server:
        async with session(server) as wire:
            await wire.send_raw(b"\x00\x01")
            assert await wire.wait_closed() == 1003
        async with session(server) as wire:
            await wire.send_raw(json.dumps(user_item("é" * (1 << 19))))  # over 1 MiB in UTF-8
            assert await wire.wait_closed() == 1009
        async with session(server) as wire:
            # 1 MiB exactly is allowed.
            frame = json.dumps(user_item(""))
            await wire.send_raw(frame.replace('""', '"' + "a" * ((1 << 20) - len(frame)) + '"'))
            assert (await wire.recv())["type"] == "conversation.item.created"


async def test_shutdown_closes_1001_and_http_paths_are_404() -> None:
    async with realtime_server() as server:
        for path in ("/health", "/stats", "/ws/health", "/"):
            assert (await http_get(server.http_url + path)).status == 404
        async with session(server) as wire:
            await wire.send({"type": "response.create"})
            await wire.expect("response.created")
            # Stopped from another thread: this loop answers the closing handshake.
            stopping = asyncio.create_task(asyncio.to_thread(server.stop))
            assert await wire.wait_closed() == 1001
            await stopping


async def test_sessions_of_two_users_are_isolated() -> None:
    async with realtime_server() as server, session(server) as one, session(server) as two:
        await respond(one, "Tell me a story")
        assert await two.quiet(0.2) == []


async def test_serve_runs_openai_realtime_with_a_seed() -> None:
    config = ServerConfig(jwt_secret=SECRET, profile=PROFILE, seed=3, think_ms=1.0)
    with start_subprocess(config) as server:
        assert server.ws_url.endswith("/v1/realtime")
        wire = await Wire.open(server.ws_url, token=mint_token(SECRET, fresh_user()))
        assert (await wire.recv())["type"] == "session.created"
        await wire.send({"type": "response.create"})
        frames = await until_done(wire)
        await wire.close()
    assert frames[-1]["response"]["status"] == "completed"


async def test_the_profile_reads_the_welcome_and_the_errors_canonically() -> None:
    codec = dialect(PROFILE).codec
    async with realtime_server() as server:
        async with session(server) as wire:
            await wire.send_raw("{not json")
            error = await wire.recv()
            welcome = wire.established
        refused = await Wire.open(server.ws_url, token="not.a.token")
        refusal = await refused.recv()
        assert await refused.wait_closed() == 1008
    assert welcome is not None
    assert codec.decode(welcome) == {
        "type": "connection_established",
        "connection_id": welcome["session"]["id"],
    }
    assert codec.decode(error)["error_code"] == "FORMAT_ERROR"
    assert codec.decode(refusal)["error_code"] == "AUTH_FAILED"
    assert codec.decode(refusal)["message_id"] is None
