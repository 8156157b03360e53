"""Each invariant of turns against its defect of the reference server, in two dialects that
frame a turn differently: `openai-realtime` (a distinct type per part) and `flagged-stream`
(tests/e2e/profiles/flagged-stream.toml: flags on two shared types), both served by the
embedded realtime server with the same agent and the same `rt-` defects.

The clean gate is APPROVED; each defect's gate is NOT_APPROVED with its one rule violated
and no other rule of turns (`4.turn.*`) or of declared close codes violated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from .conftest import RUN_DEADLINE_S, Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

FLAGGED: Final = str(Path(__file__).parent / "profiles" / "flagged-stream.toml")
DIALECTS: Final = {"openai-realtime": "openai-realtime", "flagged-stream": FLAGGED}
SUITES: Final = ("--suite", "agent_events", "--suite", "security", "--suite", "message_routing")

# Each rt- defect and the one rule it breaks (docs/REFERENCE_SERVER.md, docs/TURNS.md).
BREAKS: Final = {
    "rt-double-done": "4.turn.one-terminal",
    "rt-delta-after-done": "4.turn.nothing-after-terminal",
    "rt-reused-response-id": "4.turn.id-unique",
    "rt-delta-before-item": "4.turn.opened-before-use",
    "rt-text-done-twice": "4.turn.opened-once-ended-once",
    "rt-done-while-open": "4.turn.closed-at-completed",
    "rt-bad-arguments": "4.turn.tool-arguments-json",
    "rt-text-mismatch": "4.turn.text-reconstructs",
    "rt-cross-session": "4.turn.sessions-isolated",
    "rt-stuck-after-error": "4.turn.usable-after-error",
    "rt-cancel-ignored": "4.turn.cancel-ends",
    "rt-close-4000": "6.close.declared-codes",
}
# The rules of turns and of close codes: each defect's gate violates exactly its own. The
# three no rt- defect breaks: a turn's frames after its start, tool results, error frames.
WATCHED: Final = frozenset(BREAKS.values()) | {
    "4.turn.started-first",
    "4.turn.tool-result-paired",
    "4.turn.error-names-request",
}


def _gate(dialect: str, defect: str | None, out: Path) -> Finished:
    chosen = ("--defect", defect) if defect is not None else ()
    return harness("run", "--profile", DIALECTS[dialect], *chosen, *SUITES, "--quiet", out=out)


def _violated(run: Finished) -> set[str]:
    assert run.verdict is not None, run.stdout + run.stderr
    return {r["id"] for r in run.verdict["rules"] if r["status"] == "violated"}


# On a clean server every watched rule is verified, but where a dialect has no tool
# results (openai-realtime: the client runs the function): tool-result pairing.
NOT_APPLICABLE: Final = {
    "openai-realtime": {"4.turn.tool-result-paired"},
    "flagged-stream": set(),
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_clean_server_is_approved(tmp_path: Path, dialect: str) -> None:
    run = _gate(dialect, None, tmp_path / "out")
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    statuses = {r["id"]: r["status"] for r in run.verdict["rules"] if r["id"] in WATCHED}
    expected = {
        rule: "not_applicable" if rule in NOT_APPLICABLE[dialect] else "verified"
        for rule in WATCHED
    }
    assert statuses == expected


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("defect", BREAKS)
def test_each_defect_breaks_its_rule_alone(tmp_path: Path, dialect: str, defect: str) -> None:
    run = _gate(dialect, defect, tmp_path / "out")
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "NOT_APPROVED"
    assert _violated(run) & WATCHED == {BREAKS[defect]}, run.reasons()
