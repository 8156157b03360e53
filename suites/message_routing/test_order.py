"""Validation order: a frame that breaks several checks gets the code of the first one.

PROTOCOL.md section 2: JSON (FORMAT_ERROR) -> envelope (INVALID_MESSAGE) -> timestamp
(INVALID_TIMESTAMP) -> known type (UNKNOWN_TYPE) -> payload (INVALID_PAYLOAD) -> thread
ownership (THREAD_NOT_FOUND, THREAD_ACCESS_DENIED). Each frame below breaks two (or more)
checks, so that a server that runs them in another order answers another code: a lenient
parser that checks the envelope of `{"timestamp": NaN}`, a router that looks the type up
before reading the timestamp, a handler that validates its payload before the envelope's
timestamp, a store that checks thread ownership before the payload, a history lookup that
answers THREAD_NOT_FOUND before reading the timestamp. Each error must still carry the
frame's message_id when it is readable, and a rejected run request must start no run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.suite_api import Connect, needs
from harness.suite_api import protocol as P
from suites.message_routing.replies import (
    ERROR_FRAME,
    NO_RUN_QUIET,
    error_summary,
    expect_error,
    expect_usable,
    fresh_thread_id,
    is_run_request,
)

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]

# Replaced by a thread that another user of the test owns.
FOREIGN = "<a thread of another user>"
# Replaced by a thread id that nobody owns.
UNKNOWN = "<a thread that does not exist>"
DECIDES = "2.order.first-failing-check-decides"


def order(
    raw: str, code: str, message_id: str | None, id: str, *rules: str, premise: str = ""
) -> Any:
    """Return one frame of the order table: what is sent, the code and message_id expected
    (with `premise`, a rule without which the case checks nothing)."""
    marks = [pytest.mark.rules(DECIDES, *rules)]
    if premise:
        marks.append(pytest.mark.premise(premise))
    return pytest.param(raw, code, message_id, id=id, marks=marks)


# The message_id of each error is checked where the target echoes ids: on a target that
# correlates replies by order these order checks still apply, and 3.frame.error.message-id
# is left out of them.
@pytest.mark.rules(*ERROR_FRAME)
@pytest.mark.parametrize(
    ("raw", "code", "message_id"),
    [
        order(
            '{"message_id": "o-1", "timestamp": NaN}',
            P.FORMAT_ERROR,
            None,
            "not-json-and-no-type",
            "2.order.json-before-envelope",
        ),
        order(
            '[{"type": "ping", "timestamp": Infinity}]',
            P.FORMAT_ERROR,
            None,
            "not-json-and-not-object",
            "2.order.json-before-envelope",
        ),
        order(
            '{"type": "ping", "message_id": "o-2", "timestamp": "not a time", "payload": null}',
            P.INVALID_MESSAGE,
            "o-2",
            "payload-null-and-bad-timestamp",
            "2.order.envelope-before-timestamp",
        ),
        order(
            '{"type": "ping", "message_id": 5, "timestamp": true}',
            P.INVALID_MESSAGE,
            None,
            "message_id-number-and-bad-timestamp",
            "2.order.envelope-before-timestamp",
        ),
        order(
            '{"message_id": "o-3", "timestamp": -1}',
            P.INVALID_MESSAGE,
            "o-3",
            "no-type-and-bad-timestamp",
            "2.order.envelope-before-timestamp",
        ),
        order(
            '{"type": "frobnicate", "message_id": "o-4", "payload": null}',
            P.INVALID_MESSAGE,
            "o-4",
            "payload-null-and-unknown-type",
            "2.order.envelope-before-type",
        ),
        order(
            '{"type": "frobnicate", "message_id": ""}',
            P.INVALID_MESSAGE,
            None,
            "message_id-empty-and-unknown-type",
            "2.order.envelope-before-type",
        ),
        order(
            '{"type": "frobnicate", "message_id": "o-5", "timestamp": true}',
            P.INVALID_TIMESTAMP,
            "o-5",
            "bad-timestamp-and-unknown-type",
            "2.order.timestamp-before-type",
        ),
        order(
            '{"type": "frobnicate", "message_id": "o-6", "timestamp": "2025-13-45T99:99:99",'
            ' "payload": {"content": ""}}',
            P.INVALID_TIMESTAMP,
            "o-6",
            "bad-timestamp-unknown-type-and-bad-payload",
            "2.order.timestamp-before-type",
            "2.order.timestamp-before-payload",
        ),
        order(
            '{"type": "frobnicate", "message_id": "o-7",'
            ' "payload": {"content": "", "user_request": "", "thread_id": ""}}',
            P.UNKNOWN_TYPE,
            "o-7",
            "unknown-type-and-bad-payload",
            premise="2.order.type-before-payload",
        ),
        order(
            '{"type": "user_message", "message_id": "o-8", "timestamp": -1,'
            ' "payload": {"content": ""}}',
            P.INVALID_TIMESTAMP,
            "o-8",
            "bad-timestamp-and-empty-content",
            "2.order.timestamp-before-payload",
        ),
        order(
            '{"type": "start_agent", "message_id": "o-9", "timestamp": "1757350201447",'
            ' "payload": {}}',
            P.INVALID_TIMESTAMP,
            "o-9",
            "bad-timestamp-and-no-user_request",
            "2.order.timestamp-before-payload",
        ),
        order(
            '{"type": "get_thread_history", "message_id": "o-10", "timestamp": [],'
            ' "payload": {"thread_id": ""}}',
            P.INVALID_TIMESTAMP,
            "o-10",
            "bad-timestamp-and-bad-thread_id",
            "2.order.timestamp-before-payload",
        ),
        order(
            '{"type": "user_message", "message_id": "o-11",'
            ' "payload": {"content": " ", "thread_id": "' + FOREIGN + '"}}',
            P.INVALID_PAYLOAD,
            "o-11",
            "blank-content-in-foreign-thread",
            "2.order.payload-before-thread",
        ),
        order(
            '{"type": "start_agent", "message_id": "o-12",'
            ' "payload": {"user_request": 42, "thread_id": "' + FOREIGN + '"}}',
            P.INVALID_PAYLOAD,
            "o-12",
            "bad-user_request-in-foreign-thread",
            "2.order.payload-before-thread",
        ),
        order(
            '{"type": "user_message", "message_id": "o-13", "timestamp": "yesterday",'
            ' "payload": {"content": "hello", "thread_id": "' + FOREIGN + '"}}',
            P.INVALID_TIMESTAMP,
            "o-13",
            "bad-timestamp-in-foreign-thread",
            "2.order.timestamp-before-thread",
        ),
        order(
            '{"type": "get_thread_history", "message_id": "o-14", "timestamp": false,'
            ' "payload": {"thread_id": "' + FOREIGN + '"}}',
            P.INVALID_TIMESTAMP,
            "o-14",
            "bad-timestamp-history-of-foreign-thread",
            "2.order.timestamp-before-thread",
        ),
        order(
            '{"type": "get_thread_history", "message_id": "o-15", "timestamp": "",'
            ' "payload": {"thread_id": "' + UNKNOWN + '"}}',
            P.INVALID_TIMESTAMP,
            "o-15",
            "bad-timestamp-history-of-unknown-thread",
            "2.order.timestamp-before-thread",
        ),
        order(
            '{"type": 5, "message_id": "o-16", "timestamp": true, "payload": null}',
            P.INVALID_MESSAGE,
            "o-16",
            "every-check-broken",
        ),
    ],
)
async def test_first_failing_check_decides(
    connect: Connect, raw: str, code: str, message_id: str | None
) -> None:
    """A frame breaking several checks gets the first one's code (and its message_id)."""
    if FOREIGN in raw:
        raw = raw.replace(FOREIGN, await _foreign_thread(connect))
    raw = raw.replace(UNKNOWN, fresh_thread_id())
    client = await connect()
    await client.send_raw(raw)
    await expect_error(client, code, message_id)
    await expect_usable(client, quiet=NO_RUN_QUIET if _starts_runs(raw) else 0.0)


async def _foreign_thread(connect: Connect) -> str:
    """Return a thread that another user created (its run finished)."""
    owner = await connect()
    thread_id = fresh_thread_id()
    ack = await owner.request(P.USER_MESSAGE, {"content": "mine", "thread_id": thread_id})
    assert ack.get("type") == P.ACK, (
        f"the owner's message: expected ack, observed {error_summary(ack)}"
    )
    await owner.collect_run(ack.get("run_id"))
    return thread_id


def _starts_runs(raw: str) -> bool:
    """Return whether the frame is an object whose type starts a run when accepted."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return False
    return isinstance(frame, dict) and is_run_request(frame.get("type"))
