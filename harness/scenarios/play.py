"""Playing a scenario on a target: each run's turns over one connection, each turn's
checks judged, and the runs judged k of n (`min_pass` of `runs`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from harness.errors import CheckFailed
from harness.scenarios.checks import judge
from harness.scenarios.model import NEW, Scenario, TurnSpec
from harness.scenarios.turn import TimedFrame, Turn, turn_of
from harness.wire.client import Client
from harness.wire.profile import load_profile
from harness.wire.turn_driver import TurnDriver
from harness.wire.turn_shape import shape_of

# Generous: a slow target must fail on a `within_ms` check, not on this deadline.
TURN_WITHIN_S: Final = 15.0


@dataclass(frozen=True, slots=True)
class Failure:
    """The first check a run failed: the turn (from 1), the check, why, and the turn."""

    turn: int
    check: str
    reason: str
    final_text: str | None = None
    frames: tuple[TimedFrame, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every run of a scenario: None for a run that passed, else its first failure."""

    scenario: Scenario
    runs: tuple[Failure | None, ...]

    @property
    def passed_runs(self) -> int:
        """How many runs passed."""
        return sum(1 for run in self.runs if run is None)

    @property
    def passed(self) -> bool:
        """At least `min_pass` runs passed."""
        return self.passed_runs >= self.scenario.min_pass

    def to_json(self) -> dict[str, Any]:
        """The scenario's verdict as JSON: k of n, and each run's first failure with the
        frames of its turn (what verdict.json's scenarios block would hold)."""
        scenario = self.scenario
        return {
            "name": scenario.name,
            "file": str(scenario.path),
            "description": scenario.description,
            "runs": len(self.runs),
            "min_pass": scenario.min_pass,
            "passed_runs": self.passed_runs,
            "passed": self.passed,
            "failures": [
                {
                    "run": number,
                    "turn": failure.turn,
                    "check": failure.check,
                    "reason": failure.reason,
                    "final_text": failure.final_text,
                    "frames": [
                        {"at_ms": round(f.at_ms, 3), "frame": dict(f.frame)} for f in failure.frames
                    ],
                }
                for number, failure in enumerate(self.runs, start=1)
                if failure is not None
            ],
        }

    def summary(self) -> str:
        """`k of n runs passed (min_pass m)`, then the first failing run's turn, check,
        reason and final text."""
        line = (
            f"{self.passed_runs} of {len(self.runs)} runs passed "
            f"(min_pass {self.scenario.min_pass})"
        )
        for number, failure in enumerate(self.runs, start=1):
            if failure is not None:
                return (
                    f"{line}; run {number}, turn {failure.turn}, check {failure.check}: "
                    f"{failure.reason}; final text: {failure.final_text!r}"
                )
        return line


async def play_turn(
    driver: TurnDriver, send: str, thread_id: str, *, within: float = TURN_WITHIN_S
) -> Turn:
    """Ask for a turn of `send` in `thread_id`, in the target's dialect, and read it to its
    terminal (or the error that refused it), each frame with its arrival time."""
    taken = await driver.take(send, thread=thread_id, within=within)
    timed = [TimedFrame(taken.at_ms(f) or 0.0, f) for f in taken.received]
    return turn_of(send, timed, driver.shape)


def _deadline(spec: TurnSpec) -> float:
    """How long a turn may take: the default, or longer when a check's window is longer."""
    windows = [
        check.value if check.kind == "within_ms" else check.options["within_ms"]
        for check in spec.checks
        if check.kind == "within_ms" or "within_ms" in check.options
    ]
    return max([TURN_WITHIN_S, *(float(ms) / 1000 + 1 for ms in windows)])


async def play_run(client: Client, scenario: Scenario) -> Failure | None:
    """One run of `scenario` on `client`: its first failing check, or None."""
    driver = TurnDriver(client, shape_of(client.profile or load_profile(None)))
    thread = f"t-{uuid.uuid4().hex[:12]}"
    for number, spec in enumerate(scenario.turns, start=1):
        if spec.thread == NEW and number > 1:
            thread = f"t-{uuid.uuid4().hex[:12]}"
        within = _deadline(spec)
        try:
            turn = await play_turn(driver, spec.send, thread, within=within)
        except CheckFailed as exc:
            return Failure(number, "the turn's end", f"{exc.what}: {exc.observed}")
        for check in spec.checks:
            reason = judge(check, turn)
            if reason is not None:
                return Failure(number, check.describe(), reason, turn.final_text, turn.frames)
    return None


async def play(scenario: Scenario, connect: Callable[[], Awaitable[Client]]) -> Outcome:
    """Every run of `scenario`, each on a connection of its own (`connect`: fresh users)."""
    runs = []
    for _ in range(scenario.runs):
        client = await connect()
        runs.append(await play_run(client, scenario))
        await client.close()
    return Outcome(scenario, tuple(runs))
