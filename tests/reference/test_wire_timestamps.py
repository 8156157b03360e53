"""Timestamps over the wire (PROTOCOL.md section 5): normalised client_timestamp, rejections."""

from __future__ import annotations

import pytest

from .conftest import Connector

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2025-09-08T16:50:01.447585", 1757350201.447585),
        ("2025-09-08T16:50:01.447585-05:00", 1757368201.447585),
        ("2025-09-08T16:50:01.447585Z", 1757350201.447585),
        ("2025-09-08 16:50:01.447585+02:00", 1757343001.447585),
        (1693567801.447585, 1693567801.447585),
        (1757350201, 1757350201.0),
        ("1693567801.447585", 1693567801.447585),
    ],
    ids=["staging_zoneless", "offset", "zulu", "space_separator", "float", "int", "decimal_string"],
)
@pytest.mark.parametrize("frame_type", ["ping", "user_message", "start_agent"], ids=str)
async def test_accepted_timestamp_is_normalised(
    connect: Connector, sent: object, expected: float, frame_type: str
) -> None:
    wire = await connect()
    payload = {"ping": {}, "user_message": {"content": "hi"}, "start_agent": {"user_request": "hi"}}
    reply = await wire.request(frame_type, payload[frame_type], timestamp=sent)
    assert reply["type"] == ("pong" if frame_type == "ping" else "ack"), reply
    assert reply["client_timestamp"] == pytest.approx(expected, abs=1e-6)


async def test_float_passes_as_is(connect: Connector) -> None:
    wire = await connect()
    reply = await wire.request("ping", {}, timestamp=1693567801.447585)
    assert reply["client_timestamp"] == 1693567801.447585


@pytest.mark.parametrize(
    "sent",
    [
        True,
        [1],
        {"t": 1},
        "",
        " 1693567801",
        "NaN",
        "infinity",
        "1e9",
        "1_000",
        -1,
        4102444800,
        1757350201447,
        "2025-09-08",
        "2025-W37-1",
        "20250908T165001",
        "1693567801,5",
        "2025-13-45T99:99:99",
        "2025-09-08T24:00:00",
        "2025-09-08T16:50:60",
        "2025-09-08T16:50:01+24:00",
    ],
    ids=[
        "bool",
        "array",
        "object",
        "empty",
        "padded",
        "nan_string",
        "infinity_string",
        "exponent_string",
        "underscore",
        "negative",
        "year_2100",
        "milliseconds",
        "date_only",
        "week_date",
        "basic_format",
        "comma_decimal",
        "out_of_range_fields",
        "hour_24",
        "second_60",
        "offset_24h",
    ],
)
async def test_rejected_timestamp_is_invalid_timestamp_and_connection_stays_open(
    connect: Connector, sent: object
) -> None:
    wire = await connect()
    reply = await wire.request("user_message", {"content": "hi"}, timestamp=sent, message_id="ts")
    assert reply["type"] == "error"
    assert reply["error_code"] == "INVALID_TIMESTAMP"
    assert reply["message_id"] == "ts"
    assert await wire.quiet(0.05) == []  # the frame was not processed: no run
    assert (await wire.request("ping", {}))["type"] == "pong"


async def test_user_message_timestamp_is_its_history_timestamp(connect: Connector) -> None:
    wire = await connect()
    ack = await wire.request(
        "user_message", {"content": "hello"}, timestamp="2025-09-08T16:50:01.447585"
    )
    await wire.collect_run()
    history = await wire.request("get_thread_history", {"thread_id": ack["thread_id"]})
    assert history["messages"][0]["timestamp"] == pytest.approx(1757350201.447585, abs=1e-6)
