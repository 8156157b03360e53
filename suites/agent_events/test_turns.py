"""Every run is a well-formed turn (docs/TURNS.md): the invariants of catalogue section 4
that hold whatever the agent says, read through the target's profile ([turn] tables).

All the frames one connection received are read at once, after a quiet window for late
frames, so a turn's every frame counts, whichever run it interleaved with. Wrong servers
these tests tell apart from a correct one:
- a second terminal for one run, or none;
- an event of a run after its terminal (a tool result held back, a late thinking step);
- an event before its run's start; a run id used for a second run on the connection;
- a tool result for a call that was never started, or a second result for one call;
- tool arguments that are not a JSON object;
- where the dialect streams: deltas before their stream opens or after it ends, a stream
  still open at a completed terminal, deltas that do not join to the final text.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    Deviation,
    Evidence,
    TakenTurn,
    Target,
    TurnDriver,
    Violation,
    needs,
    turn_shape,
)
from harness.suite_api import protocol as P

pytestmark = pytest.mark.asyncio

TOOL_RUN: Final = "What is 2+3 and (7-1) * 4?"
WORDS_RUN: Final = "How many words are in this sentence?"
FAIL_RUN: Final = "fail: the tool chain broke"
# A request a language model answers with tool calls (a search); the scripted agent counts
# its words.
SEARCH_RUN: Final = "Search for the tide times in Brest and look up the weather there"
# Frames of a run that a server sends after its terminal come within this window.
LATE_WINDOW_S: Final = 0.3
TERMINALS: Final = ("completed", "failed", "cancelled")
# The kind of each turn asked for, as the reports name it: what was asked, not what an
# agent is expected to do with it (tools or not, failing or not, are its own).
KINDS: Final = {
    TOOL_RUN: "arithmetic",
    "What is 6/3?": "arithmetic",
    WORDS_RUN: "word count",
    FAIL_RUN: "asked to fail",
    SEARCH_RUN: "search",
}
TURN_RULES: Final = (
    "4.turn.started-first",
    "4.turn.one-terminal",
    "4.turn.nothing-after-terminal",
    "4.turn.id-unique",
    "4.turn.opened-before-use",
    "4.turn.opened-once-ended-once",
    "4.turn.closed-at-completed",
    "4.turn.tool-result-paired",
    "4.turn.tool-arguments-json",
    "4.turn.text-reconstructs",
    "4.turn.sessions-isolated",
)


def broken_turns(found: list[Violation], what: str) -> CheckFailed:
    """The failure of turns that break invariants: it names the rules their frames broke,
    and only those (the test's other rules are then not verified by it, never violated)."""
    broken = tuple(sorted({v.rule for v in found}))
    return CheckFailed(
        what,
        expected="each turn started, its parts opened before use and closed once, "
        "one terminal and nothing after it",
        observed=[f"{v.rule} (turn {v.turn}): {v.text}" for v in found],
        frames=[dict(v.frame) for v in found],
        deviation=Deviation(
            f"turn:{','.join(broken)}", f"a turn breaks {', '.join(broken)}", broken
        ),
    )


@pytest.mark.rules(*TURN_RULES, "4.agent.fail.agent-error", "6.close.never-1011")
async def test_every_turn_of_a_connection_is_well_formed(
    connect: Connect, target: Target, evidence: Evidence
) -> None:
    """Four turns one after another and two more at once where the dialect lets turns run
    together (else one after the other): six turns, each well formed."""
    client = await connect()
    driver = TurnDriver(client, turn_shape(target.profile))
    sent = [TOOL_RUN, WORDS_RUN, FAIL_RUN, SEARCH_RUN]
    taken: list[TakenTurn] = []
    try:
        for content in sent:
            taken.append(await driver.take(content))
        taken += await driver.take_all([TOOL_RUN, "What is 6/3?"])
    except CheckFailed:
        if client.closed:
            raise  # the close is the failure (and names its rule where it breaks one)
        # A turn that never ends for a reason its frames show (a run id started again):
        # the rules they broke are the failure, not the wait.
        found = [v for v in await driver.settle(0) if client.checks.applies(v.rule)]
        if found:
            raise broken_turns(found, "the turns of one connection") from None
        raise
    sent += [TOOL_RUN, "What is 6/3?"]
    found = [v for v in await driver.settle(LATE_WINDOW_S) if client.checks.applies(v.rule)]
    # What the reports show of the turns: their terminals and their parts, as observed.
    turns = driver.reader.turns
    evidence.record(
        "4.turn.one-terminal",
        sent=sent,
        expected="one terminal per turn",
        observed={
            "turns": len(turns),
            **{kind: sum(t.terminal == kind for t in turns) for kind in TERMINALS},
            "text streams": sum(len(t.streams) for t in turns),
            "text deltas": sum(len(s.deltas) for t in turns for s in t.streams.values()),
            "tool calls": sum(len(t.tools) for t in turns),
            "reasoning steps": sum(t.reasoning for t in turns),
            "by kind": by_kind(taken),
        },
    )
    if found:
        raise broken_turns(found, "the turns of one connection")
    if not client.checks.applies("4.agent.fail.agent-error"):
        return  # another agent need not fail on "fail:": its terminals are its own
    terminals = sorted(str(turn.terminal) for turn in turns)
    expected = ["completed", "completed", "completed", "completed", "completed", "failed"]
    if terminals != expected:
        raise CheckFailed(
            "the terminals of six runs",
            expected=expected,
            observed=terminals,
            frames=client.frames,
        )


def by_kind(taken: list[TakenTurn]) -> list[dict[str, object]]:
    """Each kind of turn asked for (KINDS): how its turns ended, their text streams and tool
    calls, and each turn's time to its first text and to its terminal (ms after the request),
    for the reports to show per kind."""
    rows: dict[str, dict[str, Any]] = {}
    for one in taken:
        kind = KINDS.get(one.content, one.content)
        row = rows.setdefault(
            kind,
            {"kind": kind, "turns": 0, **dict.fromkeys(TERMINALS, 0), "unended": 0}
            | {"text streams": 0, "tool calls": 0, "first text ms": [], "terminal ms": []},
        )
        row["turns"] += 1
        turn = one.turn
        ending = turn.terminal if turn is not None else None
        row[ending if ending in TERMINALS else "unended"] += 1
        if turn is None:
            continue
        row["text streams"] += len(turn.streams)
        row["tool calls"] += len(turn.tools)
        if one.first_text_ms is not None:
            row["first text ms"].append(round(one.first_text_ms, 3))
        end = one.terminal_frame
        at = one.at_ms(end) if end is not None and ending is not None else None
        if at is not None:
            row["terminal ms"].append(round(at, 3))
    return list(rows.values())


# A turn that must complete is given this long: a correct server ends one in milliseconds.
NEXT_TURN_WITHIN_S: Final = 10.0


@needs("refusal")
@pytest.mark.rules(
    "4.turn.usable-after-error",
    "4.turn.error-names-request",
    "4.agent.fail.agent-error",
    "6.close.never-1011",
    # The decoder holds every frame the test receives (welcome, error, turns) to these.
    "9.dialect.frame-fields",
    "9.dialect.constant-fields",
    "9.dialect.error-codes",
)
async def test_the_next_turn_completes_after_an_error(connect: Connect, target: Target) -> None:
    """The frame the dialect refuses gets an error frame naming it, and where the agent
    fails on "fail:" a failed turn follows: each leaves the connection usable, the next
    turn on it ends with its terminal."""
    client = await connect()
    driver = TurnDriver(client, turn_shape(target.profile))
    frame_id, refused = await driver.refused()
    if client.checks.applies("4.turn.error-names-request") and refused.get("message_id") != (
        frame_id
    ):
        raise CheckFailed(
            "the error frame that refused a frame",
            expected=f"it names the frame refused: {frame_id!r}",
            observed=refused.get("message_id"),
            frames=[dict(refused)],
            deviation=Deviation(
                "turn:error-names-request",
                "an error does not name the frame it refuses",
                ("4.turn.error-names-request",),
            ),
        )
    after = [await _next_turn(driver, WORDS_RUN)]
    if client.checks.applies("4.agent.fail.agent-error"):
        failed = await _next_turn(driver, FAIL_RUN)
        if failed.turn is None or failed.turn.terminal != "failed":
            raise CheckFailed(
                f"the run of {FAIL_RUN!r}",
                expected=P.AGENT_ERROR,
                observed=failed.error or (failed.turn.terminal if failed.turn else None),
                frames=[dict(f) for f in failed.turn.frames] if failed.turn else [],
            )
        after.append(await _next_turn(driver, WORDS_RUN))
    ends = [taken.turn.terminal if taken.turn is not None else "refused" for taken in after]
    if any(end not in TERMINALS for end in ends):
        raise CheckFailed(
            "the turns after an error",
            expected="each ends with its terminal",
            observed=ends,
            frames=[dict(f) for taken in after if taken.turn for f in taken.turn.frames],
            deviation=USABLE_AFTER_ERROR,
        )


USABLE_AFTER_ERROR: Final = Deviation(
    "turn:usable-after-error", "a turn after an error does not end", ("4.turn.usable-after-error",)
)


async def _next_turn(driver: TurnDriver, content: str) -> TakenTurn:
    """The next turn after an error, read to its end: one that never ends breaks
    4.turn.usable-after-error (and only that)."""
    try:
        return await driver.take(content, within=NEXT_TURN_WITHIN_S)
    except CheckFailed as failed:
        raise CheckFailed(
            f"the turn of {content!r} after an error",
            expected=failed.expected,
            observed=failed.observed,
            frames=failed.frames,
            deviation=USABLE_AFTER_ERROR,
        ) from None
