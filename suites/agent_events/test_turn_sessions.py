"""Turns across sessions, cancelled turns and close codes, in the target's own dialect
(docs/TURNS.md): what holds whatever the agent says.

Wrong servers these tests tell apart from a correct one:
- a session that receives frames of a turn another session started (a stream delta, a
  tool call), during that turn or after its terminal;
- a cancel that the server ignores (the turn streams on and ends completed, and the
  cancel gets no error), or a cancelled turn that never ends;
- a connection closed with a code the profile does not declare.
A server may end a turn before the cancel reaches it: the turn then ends completed and the
cancel is answered with an error naming it (no turn in flight), which these tests accept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

import pytest

from harness.suite_api import (
    LEAK,
    CheckFailed,
    Connect,
    Deviation,
    Target,
    TurnDriver,
    TurnShape,
    needs,
    turn_shape,
    turn_value,
)
from harness.suite_api import protocol as P

pytestmark = pytest.mark.asyncio

SESSIONS: Final = 6
TURNS_PER_SESSION: Final = 2
CONTENTS: Final = (
    "Search for the opening hours of the museum",
    "Tell me about the history of the lighthouse in two paragraphs",
)
# Frames a server sends late (after a terminal) come within this window.
LATE_WINDOW_S: Final = 0.3
ISOLATED: Final = "4.turn.sessions-isolated"
# Where a frame of another session shows: as a turn, stream or call this session never
# started (its own reader flags it so).
_FOREIGN_RULES: Final = (ISOLATED, "4.turn.started-first", "4.turn.opened-before-use")


@pytest.mark.rules(ISOLATED, "6.close.never-1011")
async def test_sessions_never_see_each_others_turns(connect: Connect, target: Target) -> None:
    """Six sessions, each of its own user, run two turns each at the same time: no session
    receives a frame of a turn, a stream or a tool call that another session started,
    late frames included."""
    shape = turn_shape(target.profile)
    drivers = [TurnDriver(await connect(), shape) for _ in range(SESSIONS)]

    async def run(driver: TurnDriver) -> None:
        for content in CONTENTS[:TURNS_PER_SESSION]:
            await driver.take(content)

    await asyncio.gather(*(run(driver) for driver in drivers))
    violations = await asyncio.gather(*(d.settle(LATE_WINDOW_S) for d in drivers))
    started: dict[str, int] = {}  # each turn, stream and call id -> the session that started it
    for number, driver in enumerate(drivers):
        for turn in driver.reader.turns:
            foreign = [v for v in violations[number] if v.turn == turn.key]
            if not any(v.rule == "4.turn.started-first" for v in foreign):
                started.setdefault(f"turn {turn.key}", number)
            for key, stream in turn.streams.items():
                if stream.opened and key:
                    started.setdefault(f"stream {key}", number)
            for call in turn.tools:
                started.setdefault(f"call {call.key}", number)
    leaks = []
    for number, found in enumerate(violations):
        for violation in found:
            if violation.rule not in _FOREIGN_RULES:
                continue  # the turns' own invariants are judged by test_turns
            owners = {
                owner
                for name, owner in started.items()
                if owner != number and name.split(" ", 1)[1] in _ids_of(violation.frame, shape)
            }
            # A turn it never started is another session's, of this test or another.
            if owners or violation.rule == ISOLATED:
                leaks.append((number, sorted(owners), violation))
    if leaks:
        raise CheckFailed(
            f"the frames of {SESSIONS} sessions running turns at once",
            expected="each session receives only frames of the turns it started",
            observed=[
                f"session {n + 1} received {v.frame.get('type')} of {_whose(owners)}: {v.text}"
                for n, owners, v in leaks
            ],
            frames=[dict(v.frame) for _, _, v in leaks],
            deviation=Deviation(
                "turn:sessions-isolated", "a session sees another session's turn", (ISOLATED,)
            ),
        )


def _whose(owners: list[int]) -> str:
    if not owners:
        return "another session"
    return "session(s) " + ", ".join(str(owner + 1) for owner in owners)


def _ids_of(frame: Mapping[str, Any], shape: TurnShape) -> set[str]:
    """Every id a frame carries where the dialect puts turn, stream and call ids."""
    found = (turn_value(frame, path) for path in (shape.turn_id, shape.text.id, shape.tool.id))
    return {str(value) for value in found if value is not None}


CANCELLED: Final = "4.turn.cancel-ends"
# A long answer: a cancel sent at its start lands while it streams.
LONG_RUN: Final = "Tell me a long story about the sea, the wind and the lighthouse keeper"
CANCEL_WITHIN_S: Final = 10.0


@needs("cancel")
@pytest.mark.rules(CANCELLED, "4.turn.nothing-after-terminal", "6.close.never-1011")
async def test_a_cancelled_turn_ends_cancelled(connect: Connect, target: Target) -> None:
    """A cancel sent as soon as a turn starts ends it with a cancelled terminal, and no
    frame of it comes after; a turn that ended before the server read the cancel may end
    completed, the cancel then being refused with an error that names it."""
    client = await connect()
    driver = TurnDriver(client, turn_shape(target.profile))
    taken = await driver.send(LONG_RUN)
    await driver.started(taken, CANCEL_WITHIN_S)
    cancel_id = await driver.cancel(taken)
    try:
        await driver.until([taken], CANCEL_WITHIN_S)
    except CheckFailed as failed:
        if failed.deviation is not None and ISOLATED in failed.deviation.rules:
            raise  # another session's turn on this connection: that, not the cancel
        raise CheckFailed(
            "a turn cancelled in flight",
            expected="its terminal",
            observed=failed.observed,
            frames=failed.frames,
            deviation=Deviation("turn:cancel-ends", "a cancelled turn never ends", (CANCELLED,)),
        ) from None
    found = await driver.settle(LATE_WINDOW_S)
    turn = taken.turn
    assert turn is not None  # it started
    late = [v for v in found if v.turn == turn.key and v.rule == "4.turn.nothing-after-terminal"]
    if late:
        raise CheckFailed(
            "the frames of a cancelled turn after its terminal",
            expected="none",
            observed=[v.text for v in late],
            frames=[dict(v.frame) for v in late],
            deviation=Deviation(
                "turn:nothing-after-terminal",
                "a frame of a turn after its terminal",
                ("4.turn.nothing-after-terminal",),
            ),
        )
    if turn.terminal == "cancelled":
        return
    leaks = [v for v in found if v.rule == ISOLATED]
    if leaks:
        # Another session's turn started here: the turn cancelled may have been that one.
        raise CheckFailed(
            "a turn cancelled on a connection that saw another session's turn",
            expected="only the turns this session asked for",
            observed=[v.text for v in leaks],
            frames=[dict(v.frame) for v in leaks],
            deviation=LEAK,
        )
    refusals = [
        f for f in client.frames if f.get("type") == P.ERROR and f.get("message_id") == cancel_id
    ]
    if turn.terminal == "completed" and refusals:
        return  # it had ended before the server read the cancel
    raise CheckFailed(
        "a turn cancelled as soon as it started",
        expected="a cancelled terminal (or, for a turn already ended, an error naming the cancel)",
        observed=f"terminal {turn.terminal}; errors naming the cancel: {len(refusals)}",
        frames=[dict(f) for f in turn.frames[-5:]],
        deviation=Deviation("turn:cancel-ends", "a cancel does not end its turn", (CANCELLED,)),
    )


DECLARED: Final = "6.close.declared-codes"


@pytest.mark.rules(DECLARED, "6.close.never-1011")
async def test_connections_close_only_with_declared_codes(connect: Connect, target: Target) -> None:
    """A connection that runs three turns and is refused a frame (where the dialect refuses
    one) stays open, and its close is answered with a code the profile declares."""
    declared = tuple(target.profile.section("capabilities")["close_codes"])
    client = await connect()
    driver = TurnDriver(client, turn_shape(target.profile))
    try:
        for content in CONTENTS + CONTENTS[:1]:
            await driver.take(content)
        if "refusal" in target.profile.capabilities:
            await driver.refused()
        await client.quiet(LATE_WINDOW_S)
    except CheckFailed:
        if client.close_code is None or client.close_code in declared:
            raise
    if not client.closed:
        await client.close()
    if client.close_code is not None and client.close_code not in declared:
        raise CheckFailed(
            "the close code of a connection",
            expected=f"one the profile declares: {list(declared)}",
            observed=client.close_code,
            frames=client.frames[-5:],
            deviation=Deviation(
                f"close:{client.close_code}",
                "a close code the profile does not declare",
                (DECLARED,),
            ),
        )
