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

from typing import Final

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    Deviation,
    Evidence,
    Metrics,
    Target,
    TurnReader,
    turn_shape,
)
from harness.suite_api import protocol as P
from suites.agent_events.observation import Request, run_all, run_one

pytestmark = pytest.mark.asyncio

TOOL_RUN: Final = "What is 2+3 and (7-1) * 4?"
WORDS_RUN: Final = "How many words are in this sentence?"
FAIL_RUN: Final = "fail: the tool chain broke"
# Frames of a run that a server sends after its terminal come within this window.
LATE_WINDOW_S: Final = 0.3
TERMINALS: Final = ("completed", "failed", "cancelled")
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
)


@pytest.mark.rules(*TURN_RULES, "4.agent.fail.agent-error", "6.close.never-1011")
async def test_every_turn_of_a_connection_is_well_formed(
    connect: Connect, target: Target, metrics: Metrics, evidence: Evidence
) -> None:
    """Three runs one after another and two at once: five turns, each well formed."""
    client = await connect()
    for content in (TOOL_RUN, WORDS_RUN, FAIL_RUN):
        await run_one(client, content, metrics)
    await run_all(client, [Request(TOOL_RUN), Request("What is 6/3?")], metrics)
    await client.quiet(LATE_WINDOW_S)
    reader = TurnReader(turn_shape(target.profile))
    for frame in client.frames:
        reader.feed(frame)
    found = [v for v in reader.finish() if client.checks.applies(v.rule)]
    # What the reports show of the turns: their terminals and their parts, as observed.
    turns = reader.turns
    evidence.record(
        "4.turn.one-terminal",
        sent=[TOOL_RUN, WORDS_RUN, FAIL_RUN, TOOL_RUN, "What is 6/3?"],
        expected="one terminal per turn",
        observed={
            "turns": len(turns),
            **{kind: sum(t.terminal == kind for t in turns) for kind in TERMINALS},
            "text streams": sum(len(t.streams) for t in turns),
            "text deltas": sum(len(s.deltas) for t in turns for s in t.streams.values()),
            "tool calls": sum(len(t.tools) for t in turns),
            "reasoning steps": sum(t.reasoning for t in turns),
        },
    )
    if found:
        # The rules the frames broke, and only those: the test's other rules are then
        # not verified by it (never violated).
        broken = tuple(sorted({v.rule for v in found}))
        raise CheckFailed(
            "the turns of one connection",
            expected="each turn started, its parts opened before use and closed once, "
            "one terminal and nothing after it",
            observed=[f"{v.rule} (turn {v.turn}): {v.text}" for v in found],
            frames=[dict(v.frame) for v in found],
            deviation=Deviation(
                f"turn:{','.join(broken)}", f"a turn breaks {', '.join(broken)}", broken
            ),
        )
    if not client.checks.applies("4.agent.fail.agent-error"):
        return  # another agent need not fail on "fail:": its terminals are its own
    terminals = sorted(str(turn.terminal) for turn in reader.turns)
    expected = ["completed", "completed", "completed", "completed", "failed"]
    if terminals != expected:
        raise CheckFailed(
            "the terminals of five runs",
            expected=expected,
            observed=terminals,
            frames=client.frames,
        )


# A turn that must complete is given this long: a correct server ends one in milliseconds.
NEXT_TURN_WITHIN_S: Final = 10.0


@pytest.mark.rules("4.turn.usable-after-error", "4.agent.fail.agent-error", "6.close.never-1011")
async def test_the_next_turn_completes_after_an_error(
    connect: Connect, target: Target, metrics: Metrics
) -> None:
    """An error frame (an empty content), and where the agent fails on "fail:" a failed
    turn, each leave the connection usable: the next turn on it ends with its terminal."""
    client = await connect()
    refused = await client.request(P.USER_MESSAGE, {"content": ""})
    if refused.get("type") != P.ERROR:
        raise CheckFailed(
            "direct reply to a user_message with empty content",
            expected=P.ERROR,
            observed=refused.get("type"),
            frames=[refused],
        )
    after = [await run_one(client, WORDS_RUN, metrics, within=NEXT_TURN_WITHIN_S)]
    if client.checks.applies("4.agent.fail.agent-error"):
        failed = await run_one(client, FAIL_RUN, metrics, within=NEXT_TURN_WITHIN_S)
        if failed.types[-1:] != [P.AGENT_ERROR]:
            raise CheckFailed(
                f"the run of {FAIL_RUN!r}",
                expected=P.AGENT_ERROR,
                observed=failed.types,
                frames=failed.events,
            )
        after.append(await run_one(client, WORDS_RUN, metrics, within=NEXT_TURN_WITHIN_S))
    ends = [run.types[-1:] for run in after]
    if any(end not in ([P.AGENT_COMPLETED], [P.AGENT_ERROR]) for end in ends):
        raise CheckFailed(
            "the turns after an error",
            expected="each ends with its terminal",
            observed=ends,
            frames=[e for run in after for e in run.events],
        )
