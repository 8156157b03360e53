"""Timestamps on the wire: exact client_timestamp, or INVALID_TIMESTAMP with nothing processed.

Each class is sent in ping, user_message and start_agent frames on one connection. The
rejected classes are followed by a request of the test's own: its run ending is the
window in which a wrongly started run would show; two more tests send every rejected
value in one kind of agent request and wait out a quiet window.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    Evidence,
    HttpClient,
    Target,
    needs,
    to_microseconds,
)
from harness.suite_api import protocol as P
from suites.timestamp_core.corpus import (
    ACCEPTED,
    AGENT_CONTENT,
    STAGING_ISO,
    STAGING_MICROS,
    Accepted,
    case_params,
)
from suites.timestamp_core.exchange import (
    AGENT_REQUESTS,
    FRAME_TYPES,
    QUIET_WINDOW_S,
    RUN_WITHIN_S,
    check_no_other_runs,
    check_normalised,
    check_rejected,
    check_runs_complete,
    check_still_usable,
    expected_text,
    observed_text,
    replies_to,
    run_events,
    send,
    wait_for_replies,
    wait_until,
)
from suites.timestamp_core.rejections import REJECTED, Rejected

# Every test speaks chat-agent/1's requests (ping, user_message, acks, threads).
pytestmark = [pytest.mark.asyncio, needs("chat_requests")]


ACCEPTED_RULES = (
    "3.frame.pong.client-timestamp",
    "3.frame.ack.client-timestamp",
    "5.general.normalised-epoch-seconds",
    "5.general.microsecond-exact",
    "5.general.accepted-on-user-message",
    "5.general.accepted-on-start-agent",
)
REJECTED_RULES = (
    "5.general.rejection-code",
    "5.general.rejected-not-processed",
    "5.general.rejected-starts-no-run",
    "5.general.connection-stays-open",
    "5.general.never-server-clock",
    "5.general.rejected-on-ping",
    "5.general.rejected-on-user-message",
    "5.general.rejected-on-start-agent",
)
# (class rule, value) of every rejected value, in corpus order.
EVERY_REJECTED_VALUE = tuple((case.rule, value) for case in REJECTED for value in case.values)
INVALID = P.INVALID_TIMESTAMP


@pytest.mark.rules(*ACCEPTED_RULES)
@pytest.mark.parametrize("case", case_params(ACCEPTED))
async def test_accepted_timestamp_is_normalised(
    connect: Connect, evidence: Evidence, case: Accepted
) -> None:
    """pong and acks carry the exact microseconds (or null); both runs complete; socket open."""
    client = await connect()
    sent = [
        (await send(client, frame_type, text), expected)
        for text, expected in case.values
        for frame_type in FRAME_TYPES
    ]
    await wait_for_replies(client, [s for s, _ in sent])
    for text, expected in case.values:
        of_value = [s for s, _ in sent if s.timestamp == text]
        evidence.record(
            case.rule,
            sent=of_value[0].shown,
            expected=expected_text(expected),
            observed=observed_text(client, of_value, accepted=True),
        )
    acks = []
    for one, expected in sent:
        reply = check_normalised(client, one, expected)
        if one.frame_type in AGENT_REQUESTS:
            acks.append((one, reply))
    await check_runs_complete(client, acks)
    await check_still_usable(client)


@pytest.mark.rules(*REJECTED_RULES)
@pytest.mark.parametrize("case", case_params(REJECTED))
async def test_rejected_timestamp_starts_nothing(
    connect: Connect, evidence: Evidence, case: Rejected
) -> None:
    """Exactly one error INVALID_TIMESTAMP per frame, no run, the socket open for a request."""
    client = await connect()
    sent = [
        await send(client, frame_type, text) for text in case.values for frame_type in FRAME_TYPES
    ]
    # The test's own request, after the rejected ones: until its run ends, a wrongly
    # started run of a rejected frame has had as long as this one to show.
    own = await send(client, P.USER_MESSAGE, None)
    await wait_for_replies(client, [*sent, own])
    own_ack = replies_to(client, own.message_id)
    own_run = own_ack[0].get("run_id") if own_ack else None
    await wait_until(
        client,
        lambda: any(e.get("type") in P.TERMINAL_EVENTS for e in run_events(client, own_run)),
        RUN_WITHIN_S,
    )
    for text in case.values:
        evidence.record(
            case.rule,
            sent=text,
            expected=INVALID,
            observed=observed_text(
                client, [s for s in sent if s.timestamp == text], accepted=False
            ),
        )
    for one in sent:
        check_rejected(client, one)
    check_no_other_runs(client, [own_run], sent)
    await check_runs_complete(client, [(own, own_ack[0] if own_ack else {})])
    await check_still_usable(client)


@pytest.mark.parametrize(
    "frame_type",
    [
        pytest.param(P.USER_MESSAGE, marks=pytest.mark.rules("5.general.rejected-on-user-message")),
        pytest.param(P.START_AGENT, marks=pytest.mark.rules("5.general.rejected-on-start-agent")),
    ],
)
@pytest.mark.rules(
    "5.general.rejected-starts-no-run",
    "5.general.rejected-not-processed",
    "5.general.never-server-clock",
    "5.general.connection-stays-open",
)
async def test_rejected_agent_requests_start_no_run_in_a_quiet_window(
    connect: Connect, http: HttpClient, evidence: Evidence, target: Target, frame_type: str
) -> None:
    """Every rejected value in one kind of agent request: errors only, then no event at all
    (and, on a target with per-user stats, runs_started still 0)."""
    client = await connect()
    sent = [await send(client, frame_type, text) for _, text in EVERY_REJECTED_VALUE]
    await wait_for_replies(client, sent)
    await asyncio.sleep(QUIET_WINDOW_S)
    for (rule, _), one in zip(EVERY_REJECTED_VALUE, sent, strict=True):
        evidence.record(
            rule,
            sent=one.shown,
            expected=INVALID,
            observed=observed_text(client, [one], accepted=False),
        )
    for one in sent:
        check_rejected(client, one)
    check_no_other_runs(client, [], sent)
    await check_still_usable(client)
    assert client.user is not None
    if "stats" not in target.profile.capabilities:
        return  # no /stats: the quiet window above is the whole check
    stats = await http.get(P.STATS_PATH, token=client.user.token)
    runs = (stats.json or {}).get("runs_started", 0)
    if stats.status != 200 or runs != 0:
        raise CheckFailed(
            f"/stats runs_started after {len(sent)} {frame_type} frames with rejected timestamps",
            expected="HTTP 200 with runs_started 0 (or absent)",
            observed=f"HTTP {stats.status} with runs_started {runs!r}",
        )


# A thread is made with an accepted timestamp; these values then meet it.
HISTORY_REJECTED = ('"2025-09-08T16:50:60Z"', "true", '"NaN"', '"2025-09-31T00:00:00Z"')


@pytest.mark.rules(
    "5.general.rejected-on-get-thread-history",
    "5.general.rejected-not-processed",
    "5.general.rejection-code",
)
async def test_rejected_timestamp_adds_no_history_and_gets_no_history(
    connect: Connect, evidence: Evidence
) -> None:
    """A rejected user_message adds no history entry; a rejected get_thread_history is an error."""
    client = await connect()
    thread_id = f"t-{uuid.uuid4().hex[:12]}"
    kept = await send(
        client,
        P.USER_MESSAGE,
        f'"{STAGING_ISO}"',
        {"content": AGENT_CONTENT, "thread_id": thread_id},
    )
    await wait_for_replies(client, [kept])
    ack = check_normalised(client, kept, STAGING_MICROS)
    await check_runs_complete(client, [(kept, ack)])
    dropped = await send(
        client,
        P.USER_MESSAGE,
        HISTORY_REJECTED[0],
        {"content": "this message is not kept", "thread_id": thread_id},
    )
    asked = [
        await send(client, P.GET_THREAD_HISTORY, text, {"thread_id": thread_id})
        for text in HISTORY_REJECTED
    ]
    history = await send(client, P.GET_THREAD_HISTORY, None, {"thread_id": thread_id})
    await wait_for_replies(client, [dropped, *asked, history])
    for one in asked:
        evidence.record(
            "5.general.rejected-on-get-thread-history",
            sent=one.shown,
            expected=INVALID,
            observed=observed_text(client, [one], accepted=False),
        )
    for one in [dropped, *asked]:
        check_rejected(client, one)
    reply = replies_to(client, history.message_id)
    messages = reply[0].get("messages") if reply else None
    contents = [m.get("content") for m in messages or [] if isinstance(m, dict)]
    user_times = [
        to_microseconds(m.get("timestamp"))
        for m in messages or []
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    if not reply or reply[0].get("type") != P.THREAD_HISTORY or len(contents) != 2:
        raise CheckFailed(
            "the thread's history after a user_message with a rejected timestamp",
            expected=f"{P.THREAD_HISTORY} with 2 messages: {AGENT_CONTENT!r} and the answer",
            observed=reply[0] if reply else "no reply",
            frames=reply,
        )
    if contents[0] != AGENT_CONTENT or user_times != [STAGING_MICROS]:
        raise CheckFailed(
            "the user message of the thread's history",
            expected=f"{AGENT_CONTENT!r} at {expected_text(STAGING_MICROS)} (its client_timestamp)",
            observed=f"{contents[0]!r} at {user_times}",
            frames=reply,
        )
