"""Predicates the scenario tests name (`predicate = "tests.scenarios.predicates:NAME"`)."""

from __future__ import annotations

from harness.scenarios.turn import Turn

CALLS: list[str] = []


def says_five(turn: Turn) -> bool | str:
    """True when the final text holds 5; otherwise the reason, a string."""
    return True if "5" in (turn.final_text or "") else f"no 5 in {turn.final_text!r}"


def is_false(turn: Turn) -> bool:
    """Always False."""
    return False


def explodes(turn: Turn) -> bool:
    """Raises: the harness's error, not the target's failure."""
    raise RuntimeError("the predicate's own bug")


def fails_first_run(turn: Turn) -> bool | str:
    """Fails the first time it is called after CALLS was cleared, passes afterwards."""
    CALLS.append(turn.send)
    return True if len(CALLS) > 1 else "the first run fails"


def fails_two_runs(turn: Turn) -> bool | str:
    """Fails the first two times it is called after CALLS was cleared."""
    CALLS.append(turn.send)
    return True if len(CALLS) > 2 else f"run {len(CALLS)} fails"
